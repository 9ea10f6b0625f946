"""Run MLIR models without IREE: lower with mlir-opt to LLVM and time @main
with mlir-runner (stdlib Python only).

    python examples/tdmpc/run_mlir_runner.py ORIGINAL.mlir PRUNED.mlir [...] [--repetitions N]

Each model gets an entry function that builds seeded inputs as constants,
calls @main once to print its outputs, then N times between two `rtclock`
readings; the mean time per call is printed. Outputs of every model are
compared with the first one's.
"""

import argparse
import json
import os
import random
import re
import struct
import subprocess
import tempfile

LLVM = "/usr/lib/llvm-22"
PIPELINE = (
    "builtin.module(func.func(tosa-to-linalg-named, tosa-to-linalg, tosa-to-arith, tosa-to-tensor), "
    "func.func(linalg-generalize-named-ops), one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map}, buffer-deallocation-pipeline, "
    "convert-bufferization-to-memref, func.func(convert-linalg-to-loops), convert-scf-to-cf, "
    "expand-strided-metadata, lower-affine, finalize-memref-to-llvm, convert-math-to-llvm, "
    "convert-math-to-libm, convert-arith-to-llvm, convert-func-to-llvm, convert-cf-to-llvm, "
    "reconcile-unrealized-casts)"
)
LIBS = f"{LLVM}/lib/libmlir_runner_utils.so,{LLVM}/lib/libmlir_c_runner_utils.so"


def signature(text):
    m = re.search(r"func\.func @main\((.*?)\)\s*->\s*\(?(.*?)\)?\s*\{", text, re.S)
    ins = [tuple(int(d) for d in s.split("x")) for s in re.findall(r"tensor<([0-9x]+)xf32>", m.group(1))]
    outs = [tuple(int(d) for d in s.split("x")) for s in re.findall(r"tensor<([0-9x]+)xf32>", m.group(2))]
    return ins, outs


def ty(shape, kind="tensor"):
    return f"{kind}<{'x'.join(map(str, shape))}xf32>"


def entry(ins, outs, reps):
    rng = random.Random(0)
    lines = ["  func.func private @rtclock() -> f64", "  func.func private @printF64(f64)", "  func.func private @printNewline()",
             "  func.func private @printMemrefF32(tensor<*xf32>) attributes {llvm.emit_c_interface}",
             "  func.func @mcprune_bench() {"]
    args = []
    for i, s in enumerate(ins):
        n = 1
        for d in s:
            n *= d
        data = b"".join(struct.pack("<f", rng.gauss(0.0, 1.0)) for _ in range(n))
        lines.append(f'    %in{i} = arith.constant dense<"0x{data.hex().upper()}"> : {ty(s)}')
        args.append(f"%in{i}")
    call = f"func.call @main({', '.join(args)}) : ({', '.join(ty(s) for s in ins)}) -> ({', '.join(ty(s) for s in outs)})"
    res = [f"%r#{i}" for i in range(len(outs))] if len(outs) > 1 else ["%r"]
    lines.append(f"    %r{':' + str(len(outs)) if len(outs) > 1 else ''} = {call}")
    for i, (r, s) in enumerate(zip(res, outs)):
        lines.append(f"    %u{i} = tensor.cast {r} : {ty(s)} to tensor<*xf32>")
        lines.append(f"    func.call @printMemrefF32(%u{i}) : (tensor<*xf32>) -> ()")
    lines += [
        "    %c0 = arith.constant 0 : index", "    %c1 = arith.constant 1 : index", f"    %n = arith.constant {reps} : index",
        "    %t0 = func.call @rtclock() : () -> f64",
        "    scf.for %i = %c0 to %n step %c1 {",
        f"      %q{':' + str(len(outs)) if len(outs) > 1 else ''} = {call}",
        "    }",
        "    %t1 = func.call @rtclock() : () -> f64",
        "    %dt = arith.subf %t1, %t0 : f64",
        f"    %nf = arith.constant {float(reps)} : f64",
        "    %per = arith.divf %dt, %nf : f64",
        "    func.call @printF64(%per) : (f64) -> ()",
        "    func.call @printNewline() : () -> ()",
        "    return", "  }",
    ]
    return "\n".join(lines) + "\n"


def run(path, reps):
    text = open(path).read()
    ins, outs = signature(text)
    body, sep, resources = text.partition("\n{-#")
    end = body.rstrip().rfind("}")
    module = body[:end] + entry(ins, outs, reps) + body[end:] + sep + resources
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "m.mlir")
        low = os.path.join(d, "m.ll.mlir")
        open(src, "w").write(module)
        subprocess.run([f"{LLVM}/bin/mlir-opt", src, f"--pass-pipeline={PIPELINE}", "-o", low], check=True)
        out = subprocess.run([f"{LLVM}/bin/mlir-runner", low, "-e", "mcprune_bench", "-entry-point-result=void",
                              "-O3", f"-shared-libs={LIBS}"], check=True, capture_output=True, text=True).stdout
    values = [float(x) for x in re.findall(r"[-+]?\d+\.\d+(?:e[-+]?\d+)?", out.split("data =", 1)[-1])]
    per_call = values[-1]
    return per_call, values[:-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--repetitions", type=int, default=200)
    args = ap.parse_args()
    results = [(p, *run(p, args.repetitions)) for p in args.models]
    base_t, base_out = results[0][1], results[0][2]
    scale = max(abs(v) for v in base_out) or 1.0
    print("| model | params | FLOPs | latency ms | speedup | FLOPs ratio | max rel. output change |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    base_flops = None
    for path, t, out in results:
        report = os.path.splitext(path)[0] + ".json"
        params = flops = None
        if os.path.exists(report):
            s = json.load(open(report))["summary"]
            params, flops = s["params_after"], s["flops_after"]
        base_flops = base_flops or flops
        fr = f"{base_flops / flops:.2f}x" if flops and base_flops else ""
        dev = max(abs(a - b) for a, b in zip(out, base_out)) / scale
        print(f"| {os.path.basename(path)} | {params or ''} | {flops or ''} | {t * 1e3:.3f} | {base_t / t:.2f}x | {fr} | {dev:.3g} |")


if __name__ == "__main__":
    main()
