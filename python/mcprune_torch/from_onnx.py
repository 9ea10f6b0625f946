"""Import an ONNX model as linalg-on-tensors or TOSA MLIR that mcprune-opt
prunes: ONNX node names (``/encoder/encoder.0/Gemm``, as ``torch.onnx.export``
writes them) become the ops' name locations, which tag components.

Python API::

    from mcprune_torch.from_onnx import import_onnx
    text = import_onnx("model.onnx", output_type="linalg-on-tensors")

Command line::

    python -m mcprune_torch.from_onnx model.onnx -o model.mlir [--output-type tosa]

Shapes are inferred first (ONNX files often lack intermediate shapes, and
the importer then emits ``!torch.none`` results that cannot be lowered).
An ONNX op torch-mlir cannot lower is reported by name, with its count.
"""

import argparse
import collections
import sys

from mcprune_torch.export import write_output

OUTPUT_TYPES = {
    "linalg-on-tensors": "torch-backend-to-linalg-on-tensors-backend-pipeline",
    "tosa": "torch-backend-to-tosa-backend-pipeline",
}


class UnsupportedOnnx(Exception):
    """The model holds ONNX ops (or uses of them) torch-mlir cannot lower."""


def _with_shapes(path):
    import onnx

    model = onnx.load(path)
    onnx.checker.check_model(model)
    return onnx.shape_inference.infer_shapes(model, data_prop=True)


def _torch_module(model, context):
    from torch_mlir.extras import onnx_importer

    info = onnx_importer.ModelInfo(model)
    module = info.create_module(context=context).operation
    onnx_importer.NodeImporter.define_function(info.main_graph, module).import_all()
    return module


def _unlowered_onnx_ops(module):
    """Names and counts of `torch.operator "onnx.*"` ops left in `module`."""
    counts = collections.Counter()

    def visit(op):
        op = op.operation
        if op.name == "torch.operator" and "name" in op.attributes:
            counts[str(op.attributes["name"]).strip('"')] += 1
        for region in op.regions:
            for block in region.blocks:
                for inner in block.operations:
                    visit(inner)

    visit(module)
    return counts


def import_onnx(path, output_type="linalg-on-tensors"):
    """The ONNX model at `path` as MLIR text of `output_type`."""
    from torch_mlir.compiler_utils import run_pipeline_with_repro_report
    from torch_mlir.dialects import torch as torch_d
    from torch_mlir.ir import Context

    if output_type not in OUTPUT_TYPES:
        raise ValueError("output type %r: expected one of %s" % (output_type, ", ".join(OUTPUT_TYPES)))
    context = Context()
    torch_d.register_dialect(context)
    module = _torch_module(_with_shapes(path), context)
    # An op the ONNX conversion does not know stays a `torch.operator`; say
    # which, rather than the backend pipeline's failure on the first one.
    try:
        run_pipeline_with_repro_report(module, "builtin.module(torch-onnx-to-torch-backend-pipeline)", "ONNX to the torch backend")
        failure = None
    except Exception as error:  # torch-mlir raises a plain Exception
        failure = error
    left = _unlowered_onnx_ops(module)
    if left:
        listed = ", ".join("%s (%d)" % (name, n) for name, n in sorted(left.items()))
        raise UnsupportedOnnx("%s: torch-mlir cannot lower these ONNX ops: %s" % (path, listed)) from failure
    if failure is not None:
        raise UnsupportedOnnx("%s: torch-mlir could not convert the model: %s" % (path, _first_line(failure)))
    try:
        run_pipeline_with_repro_report(module, "builtin.module(%s)" % OUTPUT_TYPES[output_type], "torch backend to " + output_type)
    except Exception as error:
        raise UnsupportedOnnx("%s: torch-mlir could not lower the model to %s: %s" % (path, output_type, _first_line(error))) from error
    return module.get_asm(enable_debug_info=True)


def _first_line(error):
    lines = [l.strip() for l in str(error).splitlines() if l.strip()]
    return lines[0] if lines else type(error).__name__


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="an .onnx file")
    ap.add_argument("-o", "--output", default="-", help="output .mlir (default: stdout)")
    ap.add_argument("--output-type", default="linalg-on-tensors", choices=sorted(OUTPUT_TYPES))
    args = ap.parse_args(argv)
    try:
        text = import_onnx(args.model, args.output_type)
    except UnsupportedOnnx as error:
        print("error: %s" % error, file=sys.stderr)
        return 1
    write_output(text, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
