"""Compile MLIR models with IREE (llvm-cpu), run them on the same inputs,
and compare outputs and latency.

    python examples/tdmpc/run_iree.py ORIGINAL.mlir PRUNED.mlir [PRUNED2.mlir ...] \\
        [--report-dir DIR] [--repetitions N]

Needs the PyPI packages iree-base-compiler, iree-base-runtime and numpy
(scripts/test-exporter.sh installs them). Inputs are seeded normal samples
of @main's argument shapes. Latency is the median wall time of N calls on a
single-threaded local-sync device (iree-benchmark-module is used when on
PATH). FLOPs per model come from the mcprune reports next to the pruned
files (PRUNED.json) when present.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import iree.compiler as ireec
import iree.runtime as ireert


def arg_shapes(text):
    sig = re.search(r"func\.func @main\((.*?)\)\s*->", text, re.S).group(1)
    return [tuple(int(d) for d in m.split("x")) for m in re.findall(r"tensor<([0-9x]+)xf32>", sig)]


def compile_vmfb(path):
    return ireec.compile_file(path, target_backends=["llvm-cpu"], extra_args=["--iree-llvmcpu-target-cpu=host"])


def load(vmfb):
    config = ireert.Config("local-sync")
    ctx = ireert.SystemContext(config=config)
    ctx.add_vm_module(ireert.VmModule.copy_buffer(ctx.instance, vmfb))
    return ctx.modules.module["main"]


def outputs(fn, inputs):
    res = fn(*inputs)
    res = res if isinstance(res, (list, tuple)) else [res]
    return [np.asarray(r.to_host() if hasattr(r, "to_host") else r) for r in res]


def latency(fn, inputs, reps):
    fn(*inputs)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn(*inputs)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def benchmark_module(vmfb, inputs, reps):
    """Median real time from iree-benchmark-module, if installed."""
    exe = os.path.join(os.path.dirname(sys.executable), "iree-benchmark-module")
    if not os.path.exists(exe):
        return None
    with tempfile.TemporaryDirectory() as d:
        mod = os.path.join(d, "m.vmfb")
        open(mod, "wb").write(vmfb)
        args = [exe, f"--module={mod}", "--device=local-sync", "--function=main", f"--benchmark_repetitions={reps}"]
        for i, x in enumerate(inputs):
            p = os.path.join(d, f"in{i}.npy")
            np.save(p, x)
            args.append(f"--input=@{p}")
        out = subprocess.run(args, capture_output=True, text=True).stdout
    m = re.search(r"BM_main/process_time/real_time_median\s+([0-9.]+)\s+(ms|us|ns)", out)
    if not m:
        return None
    scale = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9}[m.group(2)]
    return float(m.group(1)) * scale


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--repetitions", type=int, default=200)
    args = ap.parse_args()
    texts = [open(p).read() for p in args.models]
    shapes = arg_shapes(texts[0])
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    rows = []
    reference = None
    for path in args.models:
        vmfb = compile_vmfb(path)
        fn = load(vmfb)
        outs = outputs(fn, inputs)
        if reference is None:
            reference = outs
        dev = max(float(np.max(np.abs(o - r)) / max(float(np.max(np.abs(r))), 1e-9)) for o, r in zip(outs, reference))
        lat = benchmark_module(vmfb, inputs, 10) or latency(fn, inputs, args.repetitions)
        report = os.path.splitext(path)[0] + ".json"
        flops = params = None
        if os.path.exists(report):
            s = json.load(open(report))["summary"]
            flops, params = s["flops_after"], s["params_after"]
        rows.append((path, params, flops, lat, dev))
    base = rows[0]
    print("| model | params | FLOPs | latency ms | speedup | FLOPs ratio | max rel. output change |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for path, params, flops, lat, dev in rows:
        fr = (base[2] / flops) if (flops and base[2]) else float("nan")
        print(f"| {os.path.basename(path)} | {params or ''} | {flops or ''} | {lat * 1e3:.3f} | {base[3] / lat:.2f}x | {fr:.2f}x | {dev:.3g} |")


if __name__ == "__main__":
    main()
