"""Export an ``nn.Module`` to linalg-on-tensors or TOSA MLIR with module-path
name locations.

Python API::

    from mcprune_torch.export import export
    text = export(model, (obs, actions), output_type="linalg-on-tensors")

Command line::

    python -m mcprune_torch.export models.py:TDMPC --input 256x5 --input 256x2x1 \\
        --output-type linalg-on-tensors -o tdmpc.mlir

The class (or a zero-argument factory) is loaded from the given Python file;
inputs are random normal tensors of the given shapes (float32), seeded.
"""

import argparse
import contextlib
import importlib.util
import re
import sys

OUTPUT_TYPES = ("linalg-on-tensors", "tosa")

# Prefixes torch.export / dynamo put before a module's qualified name.
_SELF_PREFIX = re.compile(r"^(L\['self'\]\.|L__self___|self\.)")


def module_path(nn_module_stack):
    """The qualified name of the innermost module in an FX node's
    ``nn_module_stack`` ({key: (qualified_name, type)}), normalised to the
    dotted form of ``model.named_modules()`` (``encoder.net.0``)."""
    if not nn_module_stack:
        return None
    entry = list(nn_module_stack.values())[-1]
    name = entry[0] if isinstance(entry, (tuple, list)) else str(entry)
    name = _SELF_PREFIX.sub("", str(name))
    # dynamo spells indices as `net[0]` or `net_0` in some versions.
    name = re.sub(r"\[(\d+)\]", r".\1", name)
    name = name.replace("._modules['", ".").replace("']", "")
    return name or None


@contextlib.contextmanager
def _named_locations():
    """Makes torch-mlir's FX importer wrap every op location in a name
    location holding the op's module path."""
    from torch_mlir.extras import fx_importer
    from torch_mlir.ir import Location

    original = fx_importer.ContextCache.get_node_location

    def named(self, node):
        loc = original(self, node)
        path = module_path(node.meta.get("nn_module_stack"))
        if path is None:
            return loc
        if loc is None:
            loc = Location.unknown(context=self._c)
        return Location.name(path, childLoc=loc, context=self._c)

    fx_importer.ContextCache.get_node_location = named
    try:
        yield
    finally:
        fx_importer.ContextCache.get_node_location = original


def export(model, example_args, output_type="linalg-on-tensors", func_name="main"):
    """Exports ``model`` called on ``example_args`` to MLIR text."""
    import torch
    from torch_mlir import fx

    if output_type not in OUTPUT_TYPES:
        raise ValueError(f"output_type must be one of {OUTPUT_TYPES}, not {output_type!r}")
    model = model.eval()
    with torch.no_grad(), _named_locations():
        module = fx.export_and_import(model, *example_args, output_type=output_type, func_name=func_name)
    return module.operation.get_asm(enable_debug_info=True, large_elements_limit=None)


def _load(spec):
    path, _, name = spec.rpartition(":")
    if not path or not name:
        raise SystemExit(f"expected FILE.py:NAME, got {spec!r}")
    loader = importlib.util.spec_from_file_location("mcprune_user_model", path)
    if loader is None:
        raise SystemExit(f"cannot load {path}")
    mod = importlib.util.module_from_spec(loader)
    sys.modules["mcprune_user_model"] = mod
    loader.loader.exec_module(mod)
    obj = getattr(mod, name)
    return obj()


def _shape(text):
    try:
        return tuple(int(d) for d in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape such as 256x5")


def main(argv=None):
    import torch

    ap = argparse.ArgumentParser(prog="python -m mcprune_torch.export", description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="FILE.py:NAME of an nn.Module class or a zero-argument factory")
    ap.add_argument("--input", action="append", type=_shape, required=True, help="an input shape, e.g. 256x5 (repeat per input)")
    ap.add_argument("--output-type", choices=OUTPUT_TYPES, default="linalg-on-tensors")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", default="-")
    args = ap.parse_args(argv)
    torch.manual_seed(args.seed)
    model = _load(args.model)
    inputs = tuple(torch.randn(*s) for s in args.input)
    write_output(export(model, inputs, output_type=args.output_type), args.output)
    return 0


def write_output(text, path):
    """Writes `text` to `path`, or to standard output for ``-``."""
    if path == "-":
        sys.stdout.write(text)
    else:
        with open(path, "w") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
