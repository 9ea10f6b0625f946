"""Runs an MLIR model's @main on given inputs, for tests that compare a
pruned MLIR model with the PyTorch model apply_report sliced: in IREE
(llvm-cpu, full float precision) or, for exports IREE does not compile
(torchvision's ResNet stem), lowered with mlir-opt and run by mlir-runner
(outputs printed with six significant digits)."""

import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "examples", "tdmpc"))

from run_mlir_runner import LIBS, LLVM, PIPELINE, signature, ty  # noqa: E402


def run_iree(path, inputs):
    """@main's outputs in IREE, as numpy arrays."""
    import run_iree as iree

    fn = iree.load(iree.compile_vmfb(path))
    return iree.outputs(fn, [np.asarray(x, dtype=np.float32) for x in inputs])


def _entry(ins, outs, inputs):
    """A function that calls @main on `inputs` (as constants) and prints
    every output."""
    lines = [
        "  func.func private @printMemrefF32(tensor<*xf32>) attributes {llvm.emit_c_interface}",
        "  func.func @mcprune_run() {",
    ]
    for i, (x, shape) in enumerate(zip(inputs, ins)):
        if tuple(x.shape) != shape:
            raise ValueError(f"input {i} has shape {tuple(x.shape)}, @main takes {shape}")
        data = np.ascontiguousarray(x, dtype="<f4").tobytes().hex().upper()
        lines.append(f'    %in{i} = arith.constant dense<"0x{data}"> : {ty(shape)}')
    args = ", ".join(f"%in{i}" for i in range(len(ins)))
    results = f"%r:{len(outs)}" if len(outs) > 1 else "%r"
    lines.append(f"    {results} = func.call @main({args}) : ({', '.join(map(ty, ins))}) -> ({', '.join(map(ty, outs))})")
    for i, shape in enumerate(outs):
        value = f"%r#{i}" if len(outs) > 1 else "%r"
        lines.append(f"    %u{i} = tensor.cast {value} : {ty(shape)} to tensor<*xf32>")
        lines.append(f"    func.call @printMemrefF32(%u{i}) : (tensor<*xf32>) -> ()")
    return "\n".join(lines + ["    return", "  }"]) + "\n"


def run_mlir_runner(path, inputs):
    """@main's outputs through mlir-opt and mlir-runner, as numpy arrays."""
    with open(path) as f:
        text = f.read()
    ins, outs = signature(text)
    body, sep, resources = text.partition("\n{-#")
    end = body.rstrip().rfind("}")
    module = body[:end] + _entry(ins, outs, inputs) + body[end:] + sep + resources
    with tempfile.TemporaryDirectory() as d:
        src, low = os.path.join(d, "m.mlir"), os.path.join(d, "m.ll.mlir")
        with open(src, "w") as f:
            f.write(module)
        subprocess.run([f"{LLVM}/bin/mlir-opt", src, f"--pass-pipeline={PIPELINE}", "-o", low], check=True)
        printed = subprocess.run(
            [f"{LLVM}/bin/mlir-runner", low, "-e", "mcprune_run", "-entry-point-result=void", "-O2", f"-shared-libs={LIBS}"],
            check=True, capture_output=True, text=True,
        ).stdout
    arrays = []
    for chunk, shape in zip(printed.split("Unranked Memref")[1:], outs):
        data = chunk.split("data =", 1)[1]
        values = re.findall(r"[-+]?(?:nan|inf|\d+(?:\.\d*)?(?:e[-+]?\d+)?)", data)
        arrays.append(np.array([float(v) for v in values], dtype=np.float32).reshape(shape))
    return arrays
