#!/usr/bin/env python3
"""Per-component parameters before and after pruning, as an SVG bar chart,
from one or more component-prune reports (stdlib only).

    python3 scripts/chart.py REPORT.json [REPORT2.json ...] -o chart.svg

Each report adds an "after" bar per component, labelled with its ratio.
"""

import argparse
import json

COLORS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("reports", nargs="+")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--title", default="Parameters per component")
    args = ap.parse_args()
    reports = [json.load(open(p)) for p in args.reports]
    comps = [c["name"] for c in reports[0]["components"]]
    series = [("before", [c["params"] for c in reports[0]["components"]])]
    for r in reports:
        s = r["summary"]
        label = "after %.0f%%" % (100 * s.get("ratio_reached", 1 - s["params_after"] / s["params_before"]))
        series.append((label, [c["params_after"] for c in r["components"]]))
    top = max(max(v) for _, v in series) or 1
    bar, gap, group_gap = 18, 2, 28
    group_w = len(series) * (bar + gap) + group_gap
    left, height, bottom = 70, 260, 60
    width = left + len(comps) * group_w + 170
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + bottom + 40}" font-family="sans-serif" font-size="12">',
           f'<text x="{left}" y="20" font-size="15" font-weight="bold">{args.title}</text>']
    base = 30 + height
    for k in range(5):
        v = top * k / 4
        y = base - height * k / 4
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 170}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v / 1000:.0f}k</text>')
    for i, name in enumerate(comps):
        x0 = left + i * group_w + group_gap / 2
        for j, (_, vals) in enumerate(series):
            h = height * vals[i] / top
            x = x0 + j * (bar + gap)
            out.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar}" height="{h:.1f}" fill="{COLORS[j % len(COLORS)]}"/>')
        out.append(f'<text x="{x0 + len(series) * (bar + gap) / 2:.1f}" y="{base + 18}" text-anchor="middle">{name}</text>')
    for j, (label, _) in enumerate(series):
        y = 40 + j * 20
        out.append(f'<rect x="{width - 155}" y="{y}" width="12" height="12" fill="{COLORS[j % len(COLORS)]}"/>')
        out.append(f'<text x="{width - 137}" y="{y + 10}">{label}</text>')
    out.append("</svg>")
    open(args.output, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
