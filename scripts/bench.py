#!/usr/bin/env python3
"""Speed and memory of mcprune-opt against mlir-opt's parse-and-print floor.

Generates models with mcprune-gen (no torch), then times, with peak resident
memory, several repetitions of:

  (a) mlir-opt IN -o OUT                         the floor any tool pays
  (b) mcprune-opt IN -o OUT                      our parse and print
  (c) mcprune-opt --component-groups IN          the analysis alone: the pass's
                                                 wall time from --mlir-timing
  (d) mcprune-opt --component-prune=ratio=0.4 IN -o OUT   (when the pass exists)

for text and bytecode inputs, and prints a Markdown table of medians and the
ratios (c)/(a) and (d)/(a).

  python3 scripts/bench.py [--sizes 1M,10M] [--families mlp,cnn] [--dialects linalg]
                           [--formats text,bytecode] [--dtypes f32] [--reps 3] [--workdir DIR]
                           [--outdir DIR]

Outputs go to --outdir (default: the workdir). On this machine the time
write(2) takes for the same bytes into ext4's page cache moved by 3-10x
from run to run with the writeback of earlier runs' outputs (strace: 0.14
to 1.64 s for one 580 MB output, for either tool), more than the tools
differ; `--outdir /dev/shm` (tmpfs) takes the disk out of the comparison.

Build first: cargo build --release --bins
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MLIR_OPT = "/usr/lib/llvm-22/bin/mlir-opt"
OPT = os.path.join(ROOT, "target", "release", "mcprune-opt")
GEN = os.path.join(ROOT, "target", "release", "mcprune-gen")


def run(cmd, pass_name=None):
    """Runs cmd; returns (seconds, peak RSS in MiB). With pass_name, the
    seconds are that pass's wall time from --mlir-timing instead of the
    whole command's. Fails loudly."""
    if pass_name:
        cmd = cmd + ["--mlir-timing"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.stderr.close()
    if status != 0:
        sys.exit("failed (%d): %s\n%s" % (status, " ".join(cmd), err))
    if pass_name:
        timed = [l.split() for l in err.splitlines() if l.strip().endswith(" " + pass_name)]
        if not timed:
            sys.exit("no timing for %s in:\n%s" % (pass_name, err))
        elapsed = float(timed[0][0])
    return elapsed, usage.ru_maxrss / 1024.0


def has_pass(name):
    out = subprocess.run([OPT, "--help"], capture_output=True, text=True).stdout
    return any(line.split()[:1] == ["--" + name] for line in out.splitlines())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1M,10M")
    ap.add_argument("--families", default="mlp,cnn")
    ap.add_argument("--dialects", default="linalg")
    ap.add_argument("--formats", default="text,bytecode")
    ap.add_argument("--dtypes", default="f32", help="f32,f16,bf16: mcprune-gen --dtype")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workdir", default=os.path.join(ROOT, "target", "bench"))
    ap.add_argument("--outdir", default=None, help="where outputs are written (default: the workdir)")
    args = ap.parse_args()
    outdir = args.outdir or args.workdir
    for tool in (OPT, GEN, MLIR_OPT):
        if not os.path.exists(tool):
            sys.exit("missing %s (cargo build --release --bins; scripts/setup.sh)" % tool)
    os.makedirs(args.workdir, exist_ok=True)
    os.makedirs(outdir, exist_ok=True)
    prune = has_pass("component-prune")

    rows = []
    for family, dialect, size, dtype in [
        (f, d, s, t)
        for f in args.families.split(",")
        for d in args.dialects.split(",")
        for t in args.dtypes.split(",")
        for s in args.sizes.split(",")
    ]:
                suffix = "" if dtype == "f32" else "-" + dtype
                base = os.path.join(args.workdir, "%s-%s-%s%s" % (family, dialect, size, suffix))
                text = base + ".mlir"
                if not os.path.exists(text):
                    subprocess.run([GEN, "--family", family, "--dialect", dialect, "--params", size, "--dtype", dtype, "-o", text],
                                   check=True, stderr=subprocess.DEVNULL)
                inputs = {"text": text}
                if "bytecode" in args.formats:
                    bc = base + ".mlirbc"
                    if not os.path.exists(bc):
                        subprocess.run([MLIR_OPT, text, "--emit-bytecode", "-o", bc], check=True)
                    inputs["bytecode"] = bc
                for fmt in args.formats.split(","):
                    src = inputs[fmt]
                    out = os.path.join(outdir, os.path.basename(base) + ".out." + ("mlirbc" if fmt == "bytecode" else "mlir"))
                    emit = ["--emit-bytecode"] if fmt == "bytecode" else []
                    cases = {
                        "a": [MLIR_OPT, src, "-o", out] + emit,
                        "b": [OPT, src, "-o", out] + emit,
                        "c": [OPT, "--component-groups", src, "-o", "/dev/null"],
                    }
                    timed_pass = {"c": "component-groups"}
                    if prune:
                        cases["d"] = [OPT, "--component-prune=ratio=0.4", src, "-o", out] + emit
                    res = {}
                    for key, cmd in cases.items():
                        samples = [run(cmd, timed_pass.get(key)) for _ in range(args.reps)]
                        res[key] = (statistics.median(s[0] for s in samples), max(s[1] for s in samples))
                    mb = os.path.getsize(src) / 1e6
                    rows.append((family, dialect, size + suffix.replace("-", " "), fmt, mb, res))
                    sys.stderr.write("done %s %s %s %s %s\n" % (family, dialect, size, dtype, fmt))
                    sys.stderr.flush()

    print("| model | input | MB | (a) mlir-opt s / MiB | (b) mcprune-opt s / MiB | (c) analysis s / MiB | (d) prune s / MiB | (c)/(a) | (d)/(a) time | (d)/(a) memory |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for family, dialect, size, fmt, mb, res in rows:
        def cell(k):
            return "%.3f / %.0f" % res[k] if k in res else "n/a"
        a = res["a"]
        d = res.get("d")
        print("| %s %s %s | %s | %.1f | %s | %s | %s | %s | %.3f | %s | %s |" % (
            family, dialect, size, fmt, mb, cell("a"), cell("b"), cell("c"), cell("d"),
            res["c"][0] / a[0],
            "%.2f" % (d[0] / a[0]) if d else "n/a",
            "%.2f" % (d[1] / a[1]) if d else "n/a"))


if __name__ == "__main__":
    main()
