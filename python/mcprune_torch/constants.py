"""The float constants of an MLIR module, with their values, for carrying
the values calibrated pruning wrote back into PyTorch.

torch-mlir's Python bindings parse the module (text or bytecode) and give
each constant's attribute and location; they cannot read a
``dense_resource`` blob, so the blobs come from the printed module's
``{-# dialect_resources ... #-}`` section (4 bytes of alignment, then the
raw little-endian elements).
"""

import os
import re
from dataclasses import dataclass

import numpy as np

_DTYPES = {"f32": np.dtype("<f4"), "f16": np.dtype("<f2"), "f64": np.dtype("<f8"), "bf16": "bf16"}
_RESOURCE = re.compile(r'dense_resource<"?([^">]+)"?>')
_BLOB = re.compile(r'^\s*"?([^\s":]+)"?\s*:\s*"0x([0-9A-Fa-f]*)"', re.M)
_NAME_LOC = re.compile(r'"([^"]*)"\(')


@dataclass
class Constant:
    resource: str | None  # the dense_resource name, None for inline data
    location: str | None  # the first name location: the exporter's module path
    data: np.ndarray
    splat: bool


def _module_text(pruned):
    """(MLIR text or bytes, is-a-path) from a path, text or bytecode."""
    if isinstance(pruned, (bytes, bytearray)):
        return bytes(pruned)
    if isinstance(pruned, os.PathLike) or (isinstance(pruned, str) and "\n" not in pruned and os.path.exists(pruned)):
        with open(pruned, "rb") as f:
            data = f.read()
        return data if data.startswith(b"ML\xefR") else data.decode()
    return pruned


def _elements(element_type, raw):
    dtype = _DTYPES.get(element_type)
    if dtype is None:
        return None
    if dtype == "bf16":
        return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    return np.frombuffer(raw, dtype=dtype).astype(np.float32)


def _walk(op):
    for region in op.regions:
        for block in region.blocks:
            for inner in block.operations:
                yield inner
                yield from _walk(inner)


def read_constants(pruned):
    """Every float tensor constant (arith.constant, tosa.const) of the
    module `pruned` (path, text or bytecode)."""
    from torch_mlir import ir

    source = _module_text(pruned)
    with ir.Context() as ctx:
        ctx.allow_unregistered_dialects = True
        module = ir.Module.parse(source, ctx)
        text = source if isinstance(source, str) else module.operation.get_asm(enable_debug_info=True, large_elements_limit=None)
        blobs = {m.group(1): m.group(2) for m in _BLOB.finditer(text[text.rfind("{-#"):])} if "{-#" in text else {}
        found = []
        for op in _walk(module.operation):
            attr = next((op.attributes[n] for n in ("value", "values") if n in op.attributes), None)
            if attr is None or not isinstance(attr.type, ir.RankedTensorType):
                continue
            constant = _constant(attr, _location_name(op), blobs, ir)
            if constant is not None:
                found.append(constant)
    return found


def _first_name(location):
    names = _NAME_LOC.findall(str(location))
    return names[0] if names else None


def _location_name(op):
    """The constant's first name location or, without one, the one name its
    users share (as mcprune-opt's report names weights: torch-mlir's TOSA
    export leaves some weights and splat biases at an unknown location and
    names the ops that read them)."""
    name = _first_name(op.location)
    if name is not None:
        return name
    users = {_first_name(use.owner.location) for result in op.results for use in result.uses}
    users.discard(None)
    return users.pop() if len(users) == 1 else None


def _constant(attr, name, blobs, ir):
    shape = list(attr.type.shape)
    element_type = str(attr.type.element_type)
    if element_type not in _DTYPES:
        return None
    resource = _RESOURCE.search(str(attr))
    if resource:
        blob = blobs.get(resource.group(1))
        if blob is None:
            return None
        data = _elements(element_type, bytes.fromhex(blob)[4:]).reshape(shape)
        return Constant(resource.group(1), name, data, False)
    if isinstance(attr, ir.DenseFPElementsAttr):
        if attr.is_splat:
            value = float(attr.get_splat_value().value)
            return Constant(None, name, np.full(shape, value, dtype=np.float32), True)
        return Constant(None, name, np.array(attr, dtype=np.float32).reshape(shape), False)
    return None
