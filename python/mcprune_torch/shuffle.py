"""ShuffleNetV2 blocks after mcprune cut their channels.

torchvision's ``InvertedResidual`` routes channels by position: a stride-1
block splits its input into halves (``chunk(2)``), and every block
interleaves its two branches (``channel_shuffle(out, 2)``: a reshape to
``(2, C / 2)``, a transpose, a flatten). mcprune's plan follows each channel
through those ops and may keep different numbers of channels in the two
halves of a split, or in the two parts of a shuffle; the pruned MLIR then
moves the kept channels with slices and a concat, in their original order.
The block's own forward cannot: its chunk and its reshape need equal halves.

apply_report therefore turns each such block into a NarrowShuffleBlock, the
same object (parameters and state_dict keys unchanged) whose forward picks
the halves and interleaves the branches by index, with the kept channels'
positions computed from the plan: what the pruned MLIR computes. Unpruned,
those indices are the chunk and the shuffle.

A stride-1 block's input is the previous block's output (or a
convolution's), so the kept channels are followed block by block through
each stage, from the stage's first block (stride 2), whose depthwise
convolution reads its whole input.
Where a layer's cut disagrees with the channels that reach it, the report
is refused.
"""

import torch
from torch import nn

try:
    from torchvision.models.shufflenetv2 import InvertedResidual
except ImportError:  # torchvision is optional; without it there is no such block
    InvertedResidual = None


if InvertedResidual is not None:

    class NarrowShuffleBlock(InvertedResidual):
        """A ShuffleNetV2 block whose halves and shuffle are index lists
        (x1_channels, x2_channels, shuffled_order: tuples, not buffers, so
        that state_dict keys stay and torch.export sees constants): its
        forward computes what the pruned MLIR computes."""

        def forward(self, x):
            def pick(t, indices):
                return t.index_select(1, torch.tensor(indices, dtype=torch.long, device=t.device))

            if self.stride == 1:
                out = torch.cat((pick(x, self.x1_channels), self.branch2(pick(x, self.x2_channels))), dim=1)
            else:
                out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
            return pick(out, self.shuffled_order)


def _kept(plan, path, axis, size):
    """The indices of `axis` of the tensor at `path` that the plan keeps."""
    from .apply import _axis_removed

    removed = _axis_removed(plan, path, axis)
    return [i for i in range(size) if i not in removed]


def _kept_outputs(plan, path, module):
    """The kept output channels of a convolution (what a stride-1 block
    right after it reads), else None."""
    if isinstance(module, nn.Conv2d) and not module.transposed:
        return _kept(plan, f"{path}.weight", 0, module.out_channels)
    return None


def _interleaved(first, second):
    """Positions of two parts' channels after channel_shuffle(cat, 2):
    channel c of the first part goes to 2c, of the second to 2c + 1."""
    return [2 * c for c in first] + [2 * c + 1 for c in second]


def plan_shuffle_blocks(model, plan):
    """The updates (callables, run after slicing) that make every
    torchvision ShuffleNetV2 block of `model` a NarrowShuffleBlock, checked
    now; raises ReportError naming the block where the plan's cuts do not
    follow the channels that reach it."""
    from .apply import ReportError, _join

    if InvertedResidual is None:
        return []
    updates = []
    for parent_path, parent in model.named_modules():
        kept_out = None  # the kept positions of the previous block's output
        for name, block in parent.named_children():
            if not isinstance(block, InvertedResidual):
                kept_out = _kept_outputs(plan, _join(parent_path, name), block)
                continue
            path = _join(parent_path, name)
            label = f"{type(block).__name__} {path!r}"
            if type(block) is not InvertedResidual:
                # Already narrowed (its routing is by index now), or a subclass
                # whose forward apply_report does not know.
                if any(p.startswith(path + ".") for p in plan):
                    raise ReportError(f"{label}: apply_report narrows torchvision's InvertedResidual once, from its own forward")
                kept_out = None
                continue
            b2 = block.branch2
            n = b2[5].out_channels
            second = _kept(plan, _join(path, "branch2.5.weight"), 0, n)
            if block.stride > 1:
                width = block.branch1[0].in_channels
                kept_in = _kept(plan, _join(path, "branch1.0.weight"), 0, width)
                first = _kept(plan, _join(path, "branch1.2.weight"), 0, n)
                branch2_in = _kept(plan, _join(path, "branch2.0.weight"), 1, width)
                if branch2_in != kept_in:
                    raise ReportError(f"{label}: its two branches read different channels of its input ({kept_in} and {branch2_in})")
                x1, x2 = [], []
            else:
                if kept_out is None:
                    raise ReportError(
                        f"{label}: a stride-1 block after neither a block nor a convolution; apply_report cannot tell "
                        "which of its input channels are kept"
                    )
                kept_in = kept_out
                x1 = [i for i, p in enumerate(kept_in) if p < n]
                x2 = [i for i, p in enumerate(kept_in) if p >= n]
                expected = [kept_in[i] - n for i in x2]
                branch2_in = _kept(plan, _join(path, "branch2.0.weight"), 1, n)
                if branch2_in != expected:
                    raise ReportError(
                        f"{label}: branch2 keeps inputs {branch2_in} of the second half, where the channels kept "
                        f"before the block are {expected}"
                    )
                first = [kept_in[i] for i in x1]
            positions = _interleaved(first, second)
            order = sorted(range(len(positions)), key=positions.__getitem__)
            kept_out = sorted(positions)
            updates.append(_narrowing(block, x1, x2, order))
    return updates


def _narrowing(block, x1, x2, order):
    def update():
        block.__class__ = NarrowShuffleBlock
        block.x1_channels, block.x2_channels, block.shuffled_order = tuple(x1), tuple(x2), tuple(order)

    return update
