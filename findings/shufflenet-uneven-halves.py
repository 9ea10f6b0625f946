"""The plan cuts the two halves of a ShuffleNetV2 block's input unevenly, so
the sliced torchvision model cannot run (found applying reports to the
corpus, issue 12; tests/fixtures/corpus/shufflenet_v2_narrow shows it
in every stage).

    PYTHONPATH=python target/venv-torch/bin/python findings/shufflenet-uneven-halves.py

A 1x1 convolution (8 channels), one stride-1 InvertedResidual of
torchvision's ShuffleNetV2, a 1x1 convolution. The block's forward is
`x1, x2 = x.chunk(2, dim=1); out = cat(x1, branch2(x2)); channel_shuffle(out, 2)`.
At ratio 0.4 with interfaces pruned, the first convolution loses channels
{0, 1, 3} of x1 (0..3) and {5, 6} of x2 (4..7): in MLIR the two slices
are rewritten at the kept channels' offsets and the pruned module is
valid, but PyTorch's chunk splits the 3 kept channels 2 + 1 and
branch2's first convolution, sliced to 2 inputs, gets 1. The shuffle's
reshape to (2, C / 2) needs the same kept channels in both of its halves
as well. Torch-Pruning 1.6.1 does not prune this model (ZeroDivisionError).
Expected, for models a framework slices: a channel split into equal
halves (and a shuffle's factors) loses the same channels in each part, as
a grouped convolution's groups do.
"""

import json
import os
import subprocess
import sys
import tempfile

import torch
from torch import nn
from torchvision.models.shufflenetv2 import InvertedResidual

from mcprune_torch import apply_report
from mcprune_torch.export import export

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPT = os.environ.get("MCPRUNE_OPT", os.path.join(ROOT, "target", "debug", "mcprune-opt"))


def model():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 8, 1), InvertedResidual(8, 8, 1), nn.Conv2d(8, 4, 1)).eval()
    for bn in m.modules():
        if isinstance(bn, nn.BatchNorm2d):
            bn.running_mean.normal_(0, 0.1)
            bn.running_var.uniform_(0.75, 1.25)
    return m


def main():
    m, x = model(), torch.randn(1, 3, 4, 4)
    with tempfile.TemporaryDirectory() as d:
        src, report = os.path.join(d, "m.mlir"), os.path.join(d, "r.json")
        with open(src, "w") as f:
            f.write(export(m, (x,), output_type="linalg-on-tensors"))
        subprocess.run([OPT, f"--component-prune=ratio=0.4 interfaces=prune round-to=1 report={report}", src,
                        "-o", os.path.join(d, "p.mlir")], check=True)
        with open(report) as f:
            report = json.load(f)
    removed = next(w["removed"] for g in report["groups"] for w in g["weights"] if w["location"] == "0" and w["dim"] == 0)
    print("first conv loses", removed, "x1:", [i for i in removed if i < 4], "x2:", [i for i in removed if i >= 4])
    apply_report(m, report)
    try:
        m(x)
        print("the sliced model runs")
    except RuntimeError as e:
        print("the sliced model does not run:", e)
        sys.exit(1)


if __name__ == "__main__":
    main()
