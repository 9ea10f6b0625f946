"""Apply a ``component-prune`` report to the PyTorch model it was exported
from, so the pruned model can be fine-tuned (and re-exported) in PyTorch.

    from mcprune_torch.apply import apply_report
    apply_report(model, "report.json")                        # plain pruning
    apply_report(model, "report.json", pruned="pruned.mlir")  # calibrated pruning

The report (version 3 or later) lists, per group, every weight constant the
group cuts: its location (the module path the exporter gave it,
``layer1.0.conv2``), its shape, the axis cut and the indices removed. Each
constant is mapped to a parameter or buffer of the module at its location by
shape (the layout PyTorch holds it in; a permutation of it, as TOSA holds
convolution filters; or either with unit dims added or dropped, as TOSA
holds matmul weights), the removed indices are sliced out of that tensor,
and the module's size attributes (``in_features``, ``out_channels``,
``num_features``, ``normalized_shape``, ...) are set to the new sizes.

Calibrated pruning (``calibration=... compensate=mean|lstsq``) also changes
the kept weights: the report then marks those constants (``"compensated":
true`` since version 4, and a ``..._compensated`` blob name), and ``pruned``
(the pruned module, printed with ``--mlir-print-debuginfo``) is needed to
copy their new values back.
"""

import dataclasses
import itertools
import json
import os
from dataclasses import dataclass

import torch
from torch import nn

from .rnn import is_rnn_cell, narrow_rnn_cell, pick_weights
from .shuffle import plan_shuffle_blocks

MIN_REPORT_VERSION = 3


class ReportError(ValueError):
    """The report cannot be applied to this model; the message says where."""


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cut:
    """One weight constant of one group: which axis of which constant the
    plan cut, and which of its indices went."""

    op: str
    resource: str | None
    location: str | None
    shape: tuple
    dim: int
    removed: frozenset
    # Some group names two dims of the constant: a weight that maps a space
    # onto itself (an RNN cell's weight_hh), told apart from another of its shape.
    recurrent: bool = False
    # The report (version 4) says compensation changed its values.
    marked: bool = False

    @property
    def compensated(self):
        """Compensation rewrote this constant's values, so slicing alone
        does not give them: the report says so (version 4, any constant),
        or the rewrite renamed its blob ``_compensated`` (version 3)."""
        return self.marked or (self.resource is not None and "_compensated" in self.resource)

    def describe(self):
        where = f"at {self.location!r}" if self.location is not None else "without a location"
        return f"{self.op} (shape {list(self.shape)}, {where})"


def load_report(report):
    """The report as a dict, from a dict, a path or a JSON string."""
    if isinstance(report, dict):
        return report
    if isinstance(report, (str, os.PathLike)) and os.path.exists(report):
        with open(report) as f:
            return json.load(f)
    if isinstance(report, str) and report.lstrip().startswith("{"):
        return json.loads(report)
    raise ReportError(f"not a report, nor a path to one: {str(report)[:80]!r}")


def report_cuts(report):
    """Every (constant, axis) the report's groups name, once each, with
    the indices all of them remove. A constant appears in several groups:
    a layer's output dim in one and its input dim in another, an interface
    group and its pieces (the same indices), and a layer reading a
    concatenation in one group per input (DenseNet's layers, a classifier
    on [h, z]; each removes indices of its own range of the dim, which the
    report does not give): the plan removes their union."""
    version = report.get("version", 1)
    if version < MIN_REPORT_VERSION:
        raise ReportError(
            f"report version {version}: apply_report needs version {MIN_REPORT_VERSION} or later "
            "(weights with `location` and `removed`); rerun a current mcprune-opt"
        )
    cuts, dims_in_group = {}, {}
    for group in report["groups"]:
        for w in group["weights"]:
            if "removed" not in w:
                raise ReportError(f"{w['op']}: no `removed` indices; write the report with --component-prune, not --component-groups")
            cut = Cut(w["op"], w.get("resource"), w.get("location"), tuple(w["shape"]), w["dim"], frozenset(w["removed"]),
                      marked=bool(w.get("compensated", False)))
            key = (cut.resource or cut.op, cut.dim)
            if key in cuts:
                cut = dataclasses.replace(cut, removed=cuts[key].removed | cut.removed, marked=cuts[key].marked or cut.marked)
            cuts[key] = cut
            dims_in_group.setdefault((key[0], group["id"]), set()).add(cut.dim)
    recurrent = {constant for (constant, _), dims in dims_in_group.items() if len(dims) > 1}
    return [dataclasses.replace(c, recurrent=key[0] in recurrent) for key, c in cuts.items()]


# --- constants to tensors --------------------------------------------------------------------

# Layouts other than PyTorch's that exporters hold weights in, as the tensor
# axis of each constant axis, tried before any other permutation: a 2-D
# weight transposed; a filter in OHWI, HWIO or HWCM (TOSA's convolution and
# depthwise filters).
PREFERRED_PERMUTATIONS = {
    2: [(1, 0)],
    3: [(0, 2, 1)],
    4: [(0, 2, 3, 1), (2, 3, 1, 0), (2, 3, 0, 1)],
}


def _permutations(const_shape, tensor_shape):
    """The axis maps (tensor axis per constant axis) under which a constant
    of `const_shape` is the tensor permuted; identity first, then the
    preferred layouts, then the rest."""
    rank = len(const_shape)
    if rank != len(tensor_shape):
        return []
    order = [tuple(range(rank))] + PREFERRED_PERMUTATIONS.get(rank, []) + list(itertools.permutations(range(rank)))
    found = []
    for perm in order:
        if perm not in found and all(const_shape[i] == tensor_shape[p] for i, p in enumerate(perm)):
            found.append(perm)
    return found


def layouts(const_shape, tensor_shape):
    """How a constant can hold a tensor, as a list of axis maps (tensor axis
    per constant axis, None for a unit axis the tensor does not have), best
    first: the same shape (and the permutations that keep it, after it); a
    permutation; either after dropping unit axes (a bias held as [1, C], a
    matmul weight as [1, in, out])."""
    const_shape, tensor_shape = tuple(const_shape), tuple(tensor_shape)
    same_rank = _permutations(const_shape, tensor_shape)
    if same_rank:
        return same_rank
    const_axes = [i for i, d in enumerate(const_shape) if d != 1]
    tensor_axes = [i for i, d in enumerate(tensor_shape) if d != 1]
    maps = []
    for perm in _permutations([const_shape[i] for i in const_axes], [tensor_shape[i] for i in tensor_axes]):
        axis_map = [None] * len(const_shape)
        for k, p in enumerate(perm):
            axis_map[const_axes[k]] = tensor_axes[p]
        maps.append(tuple(axis_map))
    return maps


@dataclass
class Target:
    """A parameter or buffer of the model that a constant holds."""

    module_path: str
    name: str  # relative to the module, e.g. `weight` or `out_proj.weight`
    axis_map: tuple

    @property
    def path(self):
        return _join(self.module_path, self.name)


def _tensors(module, recurse):
    """The module's float parameters and buffers (its own, or its
    submodules' too), by name."""
    found = list(module.named_parameters(recurse=recurse)) + list(module.named_buffers(recurse=recurse))
    return [(n, t) for n, t in found if t is not None and t.is_floating_point() and t.dim() > 0]


def find_module(model, location):
    """The module a constant's location names; None for the model itself
    (what the exporter writes for the root module's own parameters)."""
    path = location or ""
    try:
        return model.get_submodule(path)
    except AttributeError:
        raise ReportError(f"location {location!r} names no module of {type(model).__name__}") from None


def targets(model, cut):
    """The tensors `cut`'s constant holds: those of the module at its
    location that match its shape in the best layout any of them matches
    (its own tensors before its submodules': nn.MultiheadAttention's
    out_proj weights carry the attention's location). Several tensors
    match when they have the same shape (BatchNorm's four statistics)."""
    module = find_module(model, cut.location)
    # Without a location the constant is the model's own, or one whose path TOSA's export
    # dropped: never guess among all of the model's tensors.
    for recurse in (False,) if cut.location is None else (False, True):
        best = None
        for name, tensor in _tensors(module, recurse):
            maps = _tosa_layout_first(cut, module, name, layouts(cut.shape, tensor.shape))
            if not maps:
                continue
            tier = 0 if tuple(tensor.shape) == cut.shape else (1 if len(tensor.shape) == len(cut.shape) else 2)
            if best is None or tier < best[0]:
                best = (tier, [])
            if tier == best[0]:
                best[1].append(Target(cut.location or "", name, maps[0]))
        if best:
            return pick_weights(best[1], cut.recurrent) if is_rnn_cell(module) else best[1]
    kind = type(module).__name__
    if cut.location is None:
        raise ReportError(
            f"{cut.describe()}: no parameter of the model itself has its shape; torch-mlir's TOSA output drops "
            "the module path of some weights, export with output_type='linalg-on-tensors'"
        )
    shapes = ", ".join(f"{n} {list(t.shape)}" for n, t in _tensors(module, True)) or "none"
    raise ReportError(f"{cut.describe()}: no parameter or buffer of {kind} {cut.location!r} matches its shape (it has: {shapes})")


def _tosa_layout_first(cut, module, name, maps):
    """`maps` with TOSA's layout first where the constant is one of
    torch-mlir's TOSA export folded into TOSA's layout (an inline literal,
    not the dense_resource blob of PyTorch's tensor) and its shape fits
    PyTorch's layout too: a square Linear weight as the matmul's
    [1, in, out], a filter with as many input channels as its kernel is
    wide as OHWI. (layouts() puts the identity first, which cut a ViT's
    out_proj's outputs for its inputs and a GoogLeNet filter's kernel
    width for its inputs.)"""
    if len(maps) < 2 or cut.resource is not None or not cut.op.startswith("tosa."):
        return maps
    preferred = _tosa_layouts(module, name)
    return sorted(maps, key=lambda m: m not in preferred)


def _tosa_layouts(module, name):
    """TOSA's layouts of the tensor `name` (relative to `module`), as axis
    maps: a weight F.linear reads (an nn.Linear's, an attention's out_proj,
    an RNN cell's) as the matmul's [1, in, out]; a convolution's filter as
    OHWI, or HWCM for a depthwise one."""
    owner_path, _, attr = name.rpartition(".")
    owner = module.get_submodule(owner_path)
    if isinstance(owner, nn.Linear) and attr == "weight" or isinstance(owner, nn.RNNCellBase) and attr.startswith("weight"):
        return [(None, 1, 0)]
    if isinstance(owner, nn.modules.conv._ConvNd) and attr == "weight":
        return PREFERRED_PERMUTATIONS[4]
    return []


# --- slicing ---------------------------------------------------------------------------------


def resolve(model, cuts):
    """{cut: its targets} for every cut that removes something or whose
    values compensation changed, found before anything is sliced."""
    return {cut: targets(model, cut) for cut in cuts if cut.removed or cut.compensated}


def plan_slices(model, resolved):
    """{tensor path: {tensor axis: removed indices}} for every cut that
    removes something; raises where two constants that name one tensor
    axis disagree, or an index is out of the axis' range."""
    plan, sources = {}, {}
    for cut, found in resolved.items():
        if not cut.removed:
            continue
        for target in found:
            axis = target.axis_map[cut.dim]
            if axis is None:
                raise ReportError(f"{cut.describe()}: dim {cut.dim} is a unit dim that {target.path} does not have")
            size = getattr(*_owner(model, target.path)).shape[axis]
            if max(cut.removed) >= size or min(cut.removed) < 0 or len(cut.removed) >= size:
                raise ReportError(f"{cut.describe()}: removes {len(cut.removed)} indices up to {max(cut.removed)} from dim {axis} of {target.path}, of size {size}")
            axes = plan.setdefault(target.path, {})
            if axis in axes and axes[axis] != cut.removed:
                raise ReportError(
                    f"{target.path}: {cut.describe()} and {sources[(target.path, axis)].describe()} remove "
                    f"different indices from its dim {axis}; it is ambiguous which constant holds it"
                )
            axes[axis] = cut.removed
            sources[(target.path, axis)] = cut
    return plan


def keep_index(size, removed):
    """The indices of an axis of `size` that stay."""
    return torch.tensor([i for i in range(size) if i not in removed], dtype=torch.long)


def _owner(model, path):
    """(module, attribute name) of a dotted parameter or buffer path."""
    module_path, _, name = path.rpartition(".")
    return model.get_submodule(module_path), name


def slice_tensor(model, path, axes):
    """Replaces the parameter or buffer at `path` by its kept slices
    (a new nn.Parameter with the same requires_grad; gradients dropped)."""
    module, name = _owner(model, path)
    old = getattr(module, name)
    data = old.detach()
    for axis, removed in sorted(axes.items()):
        data = data.index_select(axis, keep_index(data.shape[axis], removed).to(data.device))
    data = data.clone().contiguous()
    if name in module._parameters:
        module._parameters[name] = nn.Parameter(data, requires_grad=old.requires_grad)
    else:
        module._buffers[name] = data


# --- module attributes -----------------------------------------------------------------------


def _axis_removed(plan, path, axis):
    return plan.get(path, {}).get(axis, frozenset())


def _per_feature_cuts(module_path, module, plan):
    """BatchNorm and LayerNorm keep one value per channel in several
    tensors (scale, shift, running statistics) that must lose the same
    channels: the report may name only some of them (batch statistics that
    an export folded, a norm without affine parameters)."""
    names = [n for n, _ in _tensors(module, False)]
    removed = {}
    for n in names:
        for axis, r in plan.get(_join(module_path, n), {}).items():
            if axis in removed and removed[axis] != r:
                raise ReportError(f"{module_path!r}: its per-channel tensors lose different channels")
            removed[axis] = r
    for n in names:
        for axis, r in removed.items():
            plan.setdefault(_join(module_path, n), {})[axis] = r


def _conv_groups(path, conv, plan, weight_path):
    """The group count after the cut. A grouped convolution keeps its
    groups and loses the same channels in each (ResNeXt, RegNet); a
    depthwise one (one output channel per group, or whole groups cut)
    loses whole groups."""
    groups, out = conv.groups, conv.out_channels
    if groups == 1:
        return 1
    removed_out = _axis_removed(plan, weight_path, 0)
    if not removed_out:
        return groups
    per_group = out // groups
    lost = [sorted(i % per_group for i in removed_out if i // per_group == g) for g in range(groups)]
    whole = sum(len(lg) == per_group for lg in lost)
    if all(len(lg) in (0, per_group) for lg in lost) and not _axis_removed(plan, weight_path, 1):
        return groups - whole
    if any(lg != lost[0] for lg in lost):
        raise ReportError(f"{type(conv).__name__} {path!r}: the report removes different channels in its {groups} groups")
    return groups


def _check_norm_groups(label, norm, plan, path):
    """A GroupNorm keeps its groups (mcprune cuts the same number of
    channels from each, and the statistics run over the kept ones), which
    nn.GroupNorm can hold only if every group loses as many channels."""
    per_group = norm.num_channels // norm.num_groups
    removed = _axis_removed(plan, _join(path, "weight"), 0)
    counts = [sum(1 for i in removed if i // per_group == g) for g in range(norm.num_groups)]
    if len(set(counts)) > 1:
        raise ReportError(f"{label}: the report removes {counts} channels from its {norm.num_groups} groups; every group must lose as many")


def plan_attributes(model, plan):
    """Checks every module whose tensors the plan cuts and returns the
    size updates to run after slicing (callables); a module whose sizes it
    cannot fix raises here, before anything is sliced. BatchNorm's and
    LayerNorm's per-channel tensors that the report does not name are
    added to the plan."""
    modules = set()
    for path in plan:
        module_path = path.rpartition(".")[0]
        modules.add(module_path)
        # nn.MultiheadAttention computes with its out_proj's tensors itself: a cut
        # there changes the attention too.
        for ancestor in _ancestors(module_path):
            if isinstance(model.get_submodule(ancestor), nn.MultiheadAttention):
                modules.add(ancestor)
    updates = []
    for module_path in sorted(modules, key=len):
        module = model.get_submodule(module_path)
        updates.append(_attribute_update(model, module_path, module, plan))
    return [u for u in updates if u is not None]


def _ancestors(module_path):
    """The paths of the modules that contain `module_path`, root first."""
    parts = module_path.split(".") if module_path else []
    return [".".join(parts[:i]) for i in range(len(parts))]


def _attribute_update(model, path, module, plan):
    """The size fix-up for one module, checked now, run after slicing."""
    label = f"{type(module).__name__} {path!r}"
    if isinstance(module, nn.Linear):
        return lambda: _set(module, in_features=module.weight.shape[1], out_features=module.weight.shape[0])
    if isinstance(module, nn.modules.conv._ConvNd):
        if module.transposed:
            raise ReportError(f"{label}: transposed convolutions are not supported by apply_report")
        groups = _conv_groups(path, module, plan, _join(path, "weight"))
        return lambda: _set(
            module, out_channels=module.weight.shape[0], in_channels=module.weight.shape[1] * groups, groups=groups
        )
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        _per_feature_cuts(path, module, plan)
        return lambda: _set(module, num_features=_first_dim(module, ("running_mean", "weight")))
    if isinstance(module, nn.GroupNorm):
        _per_feature_cuts(path, module, plan)
        _check_norm_groups(label, module, plan, path)
        return lambda: _set(module, num_channels=module.weight.shape[0])
    if isinstance(module, (nn.LayerNorm, getattr(nn, "RMSNorm", nn.LayerNorm))):
        _per_feature_cuts(path, module, plan)
        return lambda: _set(module, normalized_shape=tuple(module.weight.shape))
    if isinstance(module, nn.Embedding):
        return lambda: _set(module, num_embeddings=module.weight.shape[0], embedding_dim=module.weight.shape[1])
    if isinstance(module, nn.PReLU):
        return lambda: _set(module, num_parameters=module.weight.numel())
    if isinstance(module, nn.MultiheadAttention):
        from .attention import narrow_attention

        return narrow_attention(label, module, plan, path)
    if is_rnn_cell(module):
        return narrow_rnn_cell(label, module, plan, path)
    if type(module).__module__.startswith("torch.nn"):
        raise ReportError(
            f"{label}: apply_report does not know how to resize {type(module).__name__} "
            "(supported: Linear, Conv1d/2d/3d, BatchNorm, LayerNorm, RMSNorm, GroupNorm, Embedding, PReLU, "
            "MultiheadAttention, RNNCell, GRUCell, LSTMCell)"
        )
    # A user-defined module's own parameters (a layer scale, a position embedding): sliced,
    # with no size attribute known to fix.
    return None


def _join(module_path, name):
    return f"{module_path}.{name}" if module_path else name


def _first_dim(module, names):
    for n in names:
        t = getattr(module, n, None)
        if t is not None:
            return t.shape[0]
    raise ReportError(f"{type(module).__name__}: no per-channel tensor left")


def _set(module, **attrs):
    for k, v in attrs.items():
        setattr(module, k, v)


# --- compensated values ----------------------------------------------------------------------


def plan_compensation(model, resolved, plan, pruned):
    """What to copy from the pruned module, found and checked before
    anything is sliced: the values calibrated pruning gave the kept weights
    (each with the tensors it may hold) and the one-value biases it folds
    into splats."""
    from .constants import read_constants

    constants = read_constants(pruned)
    copies = _resource_copies(model, resolved, plan, constants) + _inline_copies(model, resolved, plan, constants)
    return copies, _splat_biases(model, resolved, constants)


def _resource_copies(model, resolved, plan, constants):
    """The report's ``_compensated`` constants, found by resource name."""
    by_resource = {c.resource: c for c in constants if c.resource is not None}
    copies, done = [], set()
    for cut, found in resolved.items():
        # Inline constants (no blob) are `_inline_copies`' to find.
        if not cut.compensated or cut.resource is None or cut.resource in done:
            continue
        done.add(cut.resource)
        const = by_resource.get(cut.resource + "_pruned") or by_resource.get(cut.resource)
        if const is None:
            raise ReportError(f"{cut.describe()}: the pruned module has no constant {cut.resource}[_pruned]; is it the one this report describes?")
        fits = _fitting(model, plan, found, const.data.shape)
        if not fits:
            raise ReportError(f"{cut.describe()}: the pruned constant's shape {list(const.data.shape)} fits no sliced tensor")
        copies.append(Copy(fits, const.data, _uncompensated_at(constants, cut.location)))
    return copies


def _inline_copies(model, resolved, plan, constants):
    """Constants held inline (no resource name: torch-mlir's TOSA export
    folds the transposed convolution filters and matmul weights into
    literals) cannot carry the ``_compensated`` mark, so compensation
    changes them unseen in the report: each is copied from the pruned
    module's one inline constant at its location that fits its sliced
    tensor. Copying an unchanged one changes nothing."""
    copies, done = [], set()
    for cut, found in resolved.items():
        if cut.resource is not None or cut.location is None or cut.op in done:
            continue
        done.add(cut.op)
        matches = [(c, _fitting(model, plan, found, c.data.shape)) for c in constants
                   if c.resource is None and not c.splat and c.location == cut.location]
        matches = [(c, fits) for c, fits in matches if fits]
        if len(matches) > 1:
            raise ReportError(f"{cut.describe()}: {len(matches)} inline constants of the pruned module at its location fit it")
        if matches:
            const, fits = matches[0]
            copies.append(Copy(fits, const.data, []))
    return copies


def _fitting(model, plan, found, const_shape):
    """The targets in `found` that a constant of `const_shape` holds once
    the plan is sliced."""
    return [t for t in found if _fits(const_shape, t.axis_map, sliced_shape(model, plan, t.path))]


@dataclass
class Copy:
    """Values to write into one of `candidates` (the tensors their
    constant's shape fits), and the arrays of the constants at its location
    that compensation left alone (`untouched`), which tell candidates
    apart."""

    candidates: list
    data: object
    untouched: list


def _uncompensated_at(constants, location):
    """The arrays of the pruned module's constants at `location` whose
    values compensation did not change."""
    if location is None:
        return []
    return [c.data for c in constants if c.location == location and "_compensated" not in (c.resource or "")]


def sliced_shape(model, plan, path):
    """The shape the tensor at `path` will have once the plan is sliced."""
    shape = list(getattr(*_owner(model, path)).shape)
    for axis, removed in plan.get(path, {}).items():
        shape[axis] -= len(removed)
    return tuple(shape)


def _fits(const_shape, axis_map, shape):
    mapped = {a: const_shape[i] for i, a in enumerate(axis_map) if a is not None}
    unit = all(d == 1 for i, d in enumerate(const_shape) if axis_map[i] is None)
    return unit and all(mapped.get(a, 1) == d for a, d in enumerate(shape)) and len(mapped) == sum(1 for a in axis_map if a is not None)


def _as_tensor_layout(data, axis_map, shape):
    """A constant's array in the layout of a tensor of `shape`."""
    kept = [i for i, a in enumerate(axis_map) if a is not None]
    order = sorted(kept, key=lambda i: axis_map[i])
    squeezed = data.reshape([data.shape[i] for i in kept]) if len(kept) != data.ndim else data
    perm = [kept.index(i) for i in order]
    return torch.from_numpy(squeezed.transpose(perm).copy()).reshape(shape)


def write_compensation(model, copies, splats):
    """Writes the planned values into the sliced tensors. Where a constant
    may hold several tensors of its shape (BatchNorm's four statistics, a
    cell's two biases), it goes to one that no untouched constant at its
    location still holds, the nearest of those: compensation moves values,
    it does not replace them. (Without a bias before it, compensation
    shifts a batch norm's mean, which can lie nearer its zero bias.)"""
    with torch.no_grad():
        for planned in copies:
            tensors = [getattr(*_owner(model, t.path)) for t in planned.candidates]
            values = [_as_tensor_layout(planned.data, t.axis_map, x.shape).to(x.dtype) for t, x in zip(planned.candidates, tensors)]
            free = [i for i, x in enumerate(tensors) if not _held(x, planned.untouched)] if len(tensors) > 1 else [0]
            best = min(free or range(len(tensors)), key=lambda i: float((values[i] - tensors[i]).norm()))
            tensors[best].copy_(values[best])
        for path, value in splats:
            getattr(*_owner(model, path)).fill_(value)


def _held(tensor, arrays):
    """Whether one of `arrays` holds exactly `tensor`'s values, in any
    layout that fits it."""
    for data in arrays:
        for axis_map in layouts(data.shape, tensor.shape):
            if torch.equal(_as_tensor_layout(data, axis_map, tensor.shape).to(tensor.dtype), tensor):
                return True
    return False


def _splat_biases(model, cuts, constants):
    """[(path, value)] for the one-output layers' biases compensation
    changed: torch-mlir holds such a bias as a splat (not a weight the
    report lists), found by its location, so the pruned module must carry
    locations."""
    located = [c for c in constants if c.location is not None]
    found = []
    for location in sorted({c.location for c in cuts if c.compensated and c.location is not None}):
        module = find_module(model, location)
        ones = [(n, t) for n, t in _tensors(module, False) if t.numel() == 1]
        if len(ones) != 1:
            continue
        if not located:
            raise ReportError(
                f"{location!r} was compensated and has a one-value bias, which the pruned module holds as a splat "
                "found by its location: print the pruned module with --mlir-print-debuginfo"
            )
        name, tensor = ones[0]
        values = {float(c.data.reshape(-1)[0]) for c in located if c.location == location and c.splat}
        changed = {v for v in values if v != float(tensor.detach().reshape(-1)[0])}
        if len(changed) > 1:
            raise ReportError(f"{location!r}: several splat constants could be its one-value bias: {sorted(changed)}")
        if changed:
            found.append((_join(location, name), changed.pop()))
    return found


# --- the entry point -------------------------------------------------------------------------


def apply_report(model, report, pruned=None):
    """Slices `model` in place as `report` (a ``component-prune`` report of
    version 3 or later: dict, path or JSON text) pruned its export, and
    returns it.

    `pruned` (path, text or bytecode of the pruned module, printed with
    ``--mlir-print-debuginfo``) is required when the report shows
    compensation (calibrated pruning): the kept weights' new values are
    copied from it. Everything is checked before anything is changed:
    a location that names no module, a constant that matches no tensor, or
    a module whose sizes apply_report cannot fix raises ReportError and
    leaves the model as it was."""
    report = load_report(report)
    cuts = report_cuts(report)
    if pruned is None and any(c.compensated for c in cuts):
        names = sorted({c.location or c.op for c in cuts if c.compensated})
        raise ReportError(
            "the report shows compensation (calibrated pruning rewrote the kept weights of "
            f"{', '.join(names[:4])}{', ...' if len(names) > 4 else ''}): pass pruned= the pruned module, "
            "printed with --mlir-print-debuginfo, to copy their values"
        )
    resolved = resolve(model, cuts)
    plan = plan_slices(model, resolved)
    updates = plan_attributes(model, plan) + plan_shuffle_blocks(model, plan)
    copies, splats = plan_compensation(model, resolved, plan, pruned) if pruned is not None else ([], [])
    for path, axes in plan.items():
        slice_tensor(model, path, axes)
    for update in updates:
        update()
    write_compensation(model, copies, splats)
    return model
