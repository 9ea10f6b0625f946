"""What an embedded user measures, original against pruned: the size of the
deployable IREE module cross-compiled for small targets, and host latency.
Also the check that a model pruned with the default options is never slower
than its original (issue 12, issue 10's width rule).

    target/venv-torch/bin/python scripts/embedded_artifacts.py \\
        [--mcprune-opt target/debug/mcprune-opt] [--out target/embedded] [--ratios 0.2 0.4 0.6] \\
        [--chart docs/embedded.svg]

For each bundled trained model (tests/fixtures/trained: the TD-MPC-style
world model and the digits CNN) and each ratio, `mcprune-opt
--component-prune=ratio=R` (default options otherwise), then `iree-compile`
(llvm-cpu, the embedded ELF linker) for:
  - aarch64 bare metal (aarch64-unknown-unknown-eabi-elf),
  - riscv64 bare metal (riscv64-unknown-elf, rv64gc, lp64d),
  - the host, whose module is run for latency (iree-benchmark-module,
    local-sync, one thread; the fastest of three medians).
Sizes are of the .vmfb (weights included; the weights' share is printed
alongside). Exits 1 when a pruned model is slower than its original by
more than the noise margin, measured again against it, back to back, up to
three times (slower every time). Needs iree-base-compiler and iree-base-runtime
(scripts/test-exporter.sh installs them).
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples", "tdmpc"))
from run_iree import arg_shapes, benchmark_module  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MODELS = {
    "tdmpc_trained": os.path.join(REPO, "tests/fixtures/trained/tdmpc_trained.linalg.mlir"),
    "digits_cnn": os.path.join(REPO, "tests/fixtures/trained/digits_cnn.linalg.mlir"),
}
SHORT_NAMES = {"tdmpc_trained": "TD-MPC", "digits_cnn": "digits CNN"}
TARGETS = {
    "aarch64": ["--iree-llvmcpu-target-triple=aarch64-unknown-unknown-eabi-elf"],
    "riscv64": [
        "--iree-llvmcpu-target-triple=riscv64-unknown-elf",
        "--iree-llvmcpu-target-abi=lp64d",
        "--iree-llvmcpu-target-cpu-features=+m,+a,+f,+d,+c",
    ],
    "host": ["--iree-llvmcpu-target-cpu=host"],
}
# A pruned model may measure this much slower than its original before it
# counts as slower: repeated medians on this machine vary by a few percent.
NOISE = 1.05
# A pruned model that measures slower is measured again, alternating with
# its original, this many times, and counts as slower only if it is slower
# every time: one timing of each, minutes apart, differed by 7% between
# runs on this machine (the digits CNN at 0.4, 1.02x fewer FLOPs: 0.94x in
# one run, 1.04x and 1.06x alone).
CONFIRM_ROUNDS = 3


def iree_tool(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def prune(opt, model, ratio, out_dir, name):
    """Prunes `model` with the default options; returns (mlir, report)."""
    mlir = os.path.join(out_dir, f"{name}-{ratio}.mlir")
    report = os.path.join(out_dir, f"{name}-{ratio}.json")
    subprocess.run([opt, f"--component-prune=ratio={ratio} report={report}", model, "-o", mlir], check=True, capture_output=True)
    return mlir, json.load(open(report))["summary"]


def compile_for(mlir, target, out_dir):
    vmfb = os.path.join(out_dir, f"{os.path.basename(mlir)[:-5]}.{target}.vmfb")
    args = [iree_tool("iree-compile"), "--iree-hal-target-backends=llvm-cpu", *TARGETS[target], mlir, "-o", vmfb]
    subprocess.run(args, check=True, capture_output=True)
    return vmfb


def host_latency(vmfb, mlir, reps=20, trials=3):
    """Fastest of `trials` medians of `reps` calls, in seconds."""
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(s).astype(np.float32) for s in arg_shapes(open(mlir).read())]
    data = open(vmfb, "rb").read()
    times = [benchmark_module(data, inputs, reps) for _ in range(trials)]
    if any(t is None for t in times):
        raise SystemExit("iree-benchmark-module gave no timing")
    return min(times)


def measure(opt, name, model, ratios, out_dir):
    """Rows (ratio, params, flops, sizes by target, latency) for one model."""
    rows = []
    cases = [(0.0, model, None)] + [(r, *prune(opt, model, r, out_dir, name)) for r in ratios]
    for ratio, mlir, summary in cases:
        modules = {t: compile_for(mlir, t, out_dir) for t in TARGETS}
        sizes = {t: os.path.getsize(path) for t, path in modules.items()}
        latency = host_latency(modules["host"], mlir)
        params = summary["params_after"] if summary else None
        flops = summary["flops_after"] if summary else None
        rows.append({"ratio": ratio, "params": params, "flops": flops, "sizes": sizes, "latency": latency, "summary": summary,
                     "host": (modules["host"], mlir)})
    base = rows[0]
    base["params"] = rows[1]["summary"]["params_before"]
    base["flops"] = rows[1]["summary"]["flops_before"]
    return rows


def confirmed_slower(original, pruned):
    """Latency ratios pruned / original, each pair measured back to back,
    over CONFIRM_ROUNDS rounds; the pruned model is slower if every one
    exceeds the noise margin."""
    ratios = []
    for _ in range(CONFIRM_ROUNDS):
        base = host_latency(*original)
        ratios.append(host_latency(*pruned) / base)
        if ratios[-1] <= NOISE:
            break
    return all(r > NOISE for r in ratios), ratios


def table(name, rows):
    base = rows[0]
    lines = [
        f"**{name}**",
        "",
        "| ratio | params | weights KiB | aarch64 .vmfb KiB | riscv64 .vmfb KiB | host latency µs | speedup | FLOPs reduction |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        label = "original" if r["ratio"] == 0.0 else f"{r['ratio']:.1f}"
        lines.append(
            f"| {label} | {r['params']} | {r['params'] * 4 / 1024:.0f} | {r['sizes']['aarch64'] / 1024:.0f} | "
            f"{r['sizes']['riscv64'] / 1024:.0f} | {r['latency'] * 1e6:.1f} | {base['latency'] / r['latency']:.2f}x | "
            f"{base['flops'] / r['flops']:.2f}x |"
        )
    return "\n".join(lines)


def svg_chart(results, path):
    """Module size per target and ratio, with host speedup over each group
    of bars (stdlib only, like scripts/chart.py)."""
    colors = {"aarch64": "#4c72b0", "riscv64": "#dd8452"}
    bar, gap, group_gap, height, left, top = 16, 2, 26, 200, 50, 30
    groups = [(name, r) for name, rows in results.items() for r in rows]
    biggest = max(r["sizes"][t] for _, r in groups for t in colors) / 1024
    width = left + len(groups) * (2 * bar + gap + group_gap) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + top + 70}" font-family="sans-serif" font-size="10">']
    out.append(f'<text x="{left}" y="14" font-size="12">IREE module size (KiB) and host speedup, original and pruned with default options</text>')
    x = left
    for name, r in groups:
        base = results[name][0]["latency"]
        for k, t in enumerate(colors):
            kib = r["sizes"][t] / 1024
            h = height * kib / biggest
            out.append(f'<rect x="{x + k * (bar + gap)}" y="{top + height - h:.1f}" width="{bar}" height="{h:.1f}" fill="{colors[t]}"/>')
        label = "orig" if r["ratio"] == 0.0 else f"{r['ratio']:.1f}"
        out.append(f'<text x="{x}" y="{top + height + 12}">{label}</text>')
        out.append(f'<text x="{x}" y="{top + height + 24}" fill="#555">{SHORT_NAMES[name]}</text>')
        out.append(f'<text x="{x}" y="{top - 4}">{base / r["latency"]:.2f}x</text>')
        x += 2 * bar + gap + group_gap
    for k, (t, c) in enumerate(colors.items()):
        out.append(f'<rect x="{left + k * 90}" y="{top + height + 36}" width="10" height="10" fill="{c}"/>')
        out.append(f'<text x="{left + k * 90 + 14}" y="{top + height + 45}">{t} .vmfb</text>')
    out.append("</svg>")
    open(path, "w").write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mcprune-opt", default=os.environ.get("MCPRUNE_OPT", os.path.join(REPO, "target/debug/mcprune-opt")))
    ap.add_argument("--out", default=os.path.join(REPO, "target/embedded"))
    ap.add_argument("--ratios", type=float, nargs="+", default=[0.2, 0.4, 0.6])
    ap.add_argument("--chart", help="also write an SVG chart here (the README's is docs/embedded.svg)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    slower = []
    results = {}
    for name, model in MODELS.items():
        rows = measure(args.mcprune_opt, name, model, args.ratios, args.out)
        results[name] = [{k: v for k, v in r.items() if k not in ("summary", "host")} for r in rows]
        print(table(name, rows) + "\n")
        for r in rows[1:]:
            if r["latency"] > rows[0]["latency"] * NOISE:
                is_slower, ratios = confirmed_slower(rows[0]["host"], r["host"])
                again = ", ".join(f"{x:.2f}x" for x in ratios)
                print(f"{name} at {r['ratio']} measured {r['latency'] / rows[0]['latency']:.2f}x the original's latency; again: {again}")
                if is_slower:
                    slower.append((name, r["ratio"], min(ratios)))
    json.dump(results, open(os.path.join(args.out, "embedded.json"), "w"), indent=1)
    if args.chart:
        svg_chart(results, args.chart)
    for name, ratio, factor in slower:
        print(f"SLOWER: {name} pruned at {ratio} with default options runs {factor:.2f}x the original's latency")
    sys.exit(1 if slower else 0)


if __name__ == "__main__":
    main()
