"""apply_report on every corpus model and on the example (issue 12): the
sliced PyTorch model computes what the pruned MLIR model computes on the
fixture inputs, with plain pruning and with calibrated pruning
(compensate=lstsq).

Opt-in like test_apply.py (torch, torchvision, torch-mlir, IREE,
mcprune-opt, LLVM 22's mlir-opt and mlir-runner; scripts/test-exporter.sh
sets them up). Unlike test_apply.py, the corpus models are not exported
again: the committed fixtures (tests/fixtures/corpus/NAME.DIALECT.mlir) are
pruned, and the PyTorch model is rebuilt by the corpus generator with the
fixture's seed, which the test checks by reproducing the fixture's outputs
before it prunes anything.

The pruned model runs in IREE where IREE compiles it and through
mlir-runner otherwise (IREE 3.13 rejects torch-mlir's strided convolutions
in linalg and its newer `tosa.const_shape` syntax in TOSA).
"""

import contextlib
import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

from mcprune_torch import apply_report  # noqa: E402
from mcprune_torch.export import export  # noqa: E402
from mlir_run import run_iree, run_mlir_runner  # noqa: E402
from test_apply import OPT, ROOT, corpus_model, counted_like_mcprune, uncompensated  # noqa: E402

CORPUS = os.path.join(ROOT, "tests", "fixtures", "corpus")
# Component groups that span components are pruned too, so that interfaces
# (a ResNet's residual stream, the Dreamer's latent) lose channels as well.
OPTIONS = "ratio=0.4 interfaces=prune"
CALIBRATION_BATCHES = 16
# The recurrent cells' hidden state loses channels too (test_dreamer_hidden_state).
HIDDEN_OPTIONS = "ratio=0.6 interfaces=prune round-to=1"
CORPUS_MODELS = (
    "resnet18_narrow", "mobilenet_v3_small", "efficientnet_b0", "googlenet_narrow", "densenet121_tiny",
    "regnet_y_narrow", "resnext_narrow", "convnext_tiny_narrow", "vit_tiny", "ijepa_tiny", "dreamer_gru",
    "dreamer_lstm", "shufflenet_v2_narrow",
)
# Models whose TOSA export lowers and runs in seconds (ResNet-18's and
# ResNeXt's) or has weights whose shape fits PyTorch's layout and TOSA's alike
# (GoogLeNet's 3x3 filters of 3 input channels, 20 s each run), and the
# Dreamers, whose TOSA weights torch-mlir leaves without a module path (the
# report names them by their users'), and I-JEPA and ConvNeXt, whose TOSA
# gathers (patches, positional embeddings, the pooled map) mcprune-opt
# normalizes before pruning. The other linalg models pass in TOSA too
# (README).
TOSA_MODELS = (
    "resnet18_narrow", "resnext_narrow", "vit_tiny", "googlenet_narrow", "dreamer_gru", "dreamer_lstm", "ijepa_tiny",
    "convnext_tiny_narrow",
)
# Of an output's largest magnitude. IREE returns the floats; mlir-runner
# prints six significant digits (5e-7 of each value); summation orders
# differ (up to 3e-6 seen). Tight enough that GoogLeNet's compensation
# (5e-5 of its output) is seen when it is not copied.
RTOL = {"IREE": 1e-5, "mlir-runner": 2e-5}


def read_io(name):
    """The fixture's inputs and PyTorch's outputs for them, as tensors."""
    with open(os.path.join(CORPUS, f"{name}.io.json")) as f:
        io = json.load(f)

    def tensors(entries):
        return [torch.tensor(e["data"], dtype=torch.float32).reshape(e["shape"]) for e in entries]

    return tensors(io["inputs"]), tensors(io["outputs"])


def calibration_inputs(args, batches=CALIBRATION_BATCHES):
    """Seeded random inputs, `batches` times the fixture's batch along each
    input's first axis: mcprune-opt runs them batch by batch."""
    g = torch.Generator().manual_seed(1)
    return [torch.randn((batches * a.shape[0], *a.shape[1:]), generator=g) for a in args]


def as_tuple(outputs):
    return tuple(outputs) if isinstance(outputs, (tuple, list)) else (outputs,)


def prune(source, options, directory, calibration=None):
    """Runs mcprune-opt's component-prune on `source`; returns the pruned
    module's path (printed with locations, as apply_report needs for
    compensated splats) and the report."""
    pruned, report = os.path.join(directory, "pruned.mlir"), os.path.join(directory, "report.json")
    if calibration is not None:
        inputs = os.path.join(directory, "calibration.npz")
        np.savez(inputs, *[x.numpy() for x in calibration])
        options += f" calibration={inputs} compensate=lstsq"
    cmd = [OPT, f"--component-prune={options} report={report}", source, "-o", pruned, "--mlir-print-debuginfo"]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise AssertionError(f"mcprune-opt {options} {os.path.basename(source)} failed:\n{run.stderr}")
    with open(report) as f:
        return pruned, json.load(f)


def run_pruned(path, inputs, dialect):
    """The pruned module's outputs and what ran it: IREE, or mlir-runner
    where IREE does not compile the module."""
    import iree.compiler

    arrays = [x.numpy() for x in inputs]
    if dialect == "linalg":
        try:
            return run_iree(path, arrays), "IREE"
        except iree.compiler.CompilerToolError:
            pass
    return run_mlir_runner(path, arrays), "mlir-runner"


class ApplyCase(unittest.TestCase):
    """Prune an MLIR export, apply the report, compare outputs."""

    def check(self, model, source, inputs, dialect, calibrated, options=OPTIONS, running=None):
        """Prunes `source` (plain, or calibrated with lstsq compensation),
        applies the report to a copy of `model`, and asserts that the copy
        holds the parameters the report counts and computes the pruned
        module's outputs on `inputs`; returns the copy. `running(sliced)`,
        if given, is the context the sliced models run in."""
        with tempfile.TemporaryDirectory() as d:
            calibration = calibration_inputs(inputs) if calibrated else None
            pruned, report = prune(source, options, d, calibration)
            sliced = apply_report(copy.deepcopy(model), report, pruned=pruned)
            theirs, runner = run_pruned(pruned, inputs, dialect)
        what = f"{os.path.basename(source)} {options} {'lstsq' if calibrated else 'plain'} ({runner})"
        self.assert_sliced(model, sliced, report, what)
        with running(sliced) if running else contextlib.nullcontext(), torch.no_grad():
            self.assert_close(as_tuple(sliced(*inputs)), theirs, RTOL[runner], what)
            if calibrated:
                self.assert_compensation_matters(model, sliced, report, inputs, theirs, RTOL[runner], what)
        return sliced

    def assert_sliced(self, model, sliced, report, what):
        """Something was pruned, and the sliced model holds what the report counts."""
        self.assertLess(report["summary"]["params_after"], report["summary"]["params_before"], f"{what}: nothing was pruned")
        self.assertEqual(counted_like_mcprune(sliced), report["summary"]["params_after"], what)

    def assert_compensation_matters(self, model, sliced, report, inputs, theirs, rtol, what):
        """Where compensation changed weights, slicing alone (the report's
        compensation marks taken off, nothing copied) does not give
        the pruned model's outputs, so the copied values are what makes
        them agree. Calibrated ranking removes dead channels first, whose
        compensation is nothing (GoogLeNet's, in TOSA all of them)."""
        stripped = apply_report(copy.deepcopy(model), uncompensated(report))
        if all(torch.equal(a, b) for a, b in zip(stripped.state_dict().values(), sliced.state_dict().values())):
            print(f"  {what}: compensation changed no weight", file=sys.stderr)
            return
        ours = as_tuple(stripped(*inputs))
        off = max(float(np.abs(a.numpy() - b).max() / max(float(np.abs(b).max()), 1e-30)) for a, b in zip(ours, theirs))
        self.assertGreater(off, rtol, f"{what}: compensation changed less than the tolerance; the comparison shows nothing")

    def assert_close(self, ours, theirs, rtol, what):
        """Every output agrees to `rtol` of its largest magnitude."""
        self.assertEqual(len(ours), len(theirs), what)
        for i, (a, b) in enumerate(zip(ours, theirs)):
            a = a.numpy()
            self.assertEqual(a.shape, b.shape, f"{what}: output {i}")
            scale = max(float(np.abs(b).max()), 1e-30)
            diff = float(np.abs(a - b).max())
            print(f"  {what}: output {i} max |diff| {diff:.3g}, relative {diff / scale:.3g}", file=sys.stderr)
            self.assertLessEqual(diff, rtol * scale, f"{what}: output {i} differs by {diff:.3g} (scale {scale:.3g})")


class CorpusApplyTest(ApplyCase):
    """Every corpus model, linalg (and TOSA for TOSA_MODELS), plain and
    lstsq; one test per model so that a failure names it."""

    def rebuilt(self, name):
        """The corpus model and the fixture's inputs, checked to be the
        fixture's model: same seed, same construction, same outputs."""
        model, _ = corpus_model(name)
        inputs, outputs = read_io(name)
        with torch.no_grad():
            self.assert_close(as_tuple(model(*inputs)), [o.numpy() for o in outputs], 0.0, f"{name} rebuilt")
        return model, inputs

    def check_model(self, name):
        model, inputs = self.rebuilt(name)
        dialects = ("linalg", "tosa") if name in TOSA_MODELS else ("linalg",)
        for dialect in dialects:
            for calibrated in (False, True):
                with self.subTest(dialect=dialect, calibrated=calibrated):
                    self.check(model, os.path.join(CORPUS, f"{name}.{dialect}.mlir"), inputs, dialect, calibrated)

    def test_shufflenet_v2_blocks_route_by_index(self):
        """ShuffleNetV2's forward splits a block's input into halves
        (chunk) and interleaves its branches (channel_shuffle), by
        position. The plan keeps different numbers of channels in the two
        halves (valid in MLIR, where slices and a concat move them), so
        apply_report makes each block a NarrowShuffleBlock that picks and
        interleaves them by index (the corpus test above: ratio 0.4,
        interfaces pruned); here also at 0.6 with vanilla grouping and at
        0.2 in local scope."""
        from mcprune_torch.shuffle import NarrowShuffleBlock

        model, inputs = self.rebuilt("shufflenet_v2_narrow")
        source = os.path.join(CORPUS, "shufflenet_v2_narrow.linalg.mlir")
        uneven = 0
        for options in ("ratio=0.6 grouping=vanilla interfaces=prune round-to=1", "ratio=0.2 scope=local"):
            for calibrated in (False, True):
                with self.subTest(options=options, calibrated=calibrated):
                    sliced = self.check(model, source, inputs, "linalg", calibrated, options)
                    blocks = [m for m in sliced.modules() if isinstance(m, NarrowShuffleBlock)]
                    self.assertEqual(len(blocks), 16)
                    uneven += sum(1 for b in blocks if b.stride == 1 and len(b.x1_channels) != len(b.x2_channels))
        self.assertGreater(uneven, 0, "no block kept uneven halves: the test shows nothing")

    def test_dreamer_hidden_state(self):
        """The recurrent cells' hidden state loses channels in every gate
        (at ratio 0.4 only their inputs do). The Dreamer's forward makes its
        initial state from the generator's DETER, a size the model's code
        holds, so DETER is set to the cell's new hidden_size to run it."""
        self.rebuilt("dreamer_gru")  # puts the corpus generator on the path
        import generate

        def running(sliced):
            return mock.patch.object(generate, "DETER", sliced.rssm.cell.hidden_size)

        for name in ("dreamer_gru", "dreamer_lstm"):
            model, inputs = self.rebuilt(name)
            for calibrated in (False, True):
                with self.subTest(name=name, calibrated=calibrated):
                    source = os.path.join(CORPUS, f"{name}.linalg.mlir")
                    sliced = self.check(model, source, inputs, "linalg", calibrated, HIDDEN_OPTIONS, running)
                    self.assertLess(sliced.rssm.cell.hidden_size, generate.DETER)

    def test_vit_square_attention_projection_in_tosa(self):
        """At ratio 0.6 (interfaces kept) the attention's head dims go and
        its width stays: out_proj, square, held as TOSA's [1, in, out],
        loses inputs only."""
        model, inputs = self.rebuilt("vit_tiny")
        for calibrated in (False, True):
            with self.subTest(calibrated=calibrated):
                self.check(model, os.path.join(CORPUS, "vit_tiny.tosa.mlir"), inputs, "tosa", calibrated, "ratio=0.6")


def _corpus_test(name):
    def test(self):
        self.check_model(name)

    test.__name__ = f"test_{name}"
    return test


for _name in CORPUS_MODELS:
    setattr(CorpusApplyTest, f"test_{_name}", _corpus_test(_name))


class ExampleApplyTest(ApplyCase):
    """The example's TD-MPC (examples/tdmpc/model.py), seeded and exported
    to linalg here: its bundled tdmpc.mlir holds trained weights that
    PyTorch does not have (its TOSA export: test_apply.py)."""

    def test_tdmpc(self):
        sys.path.insert(0, os.path.join(ROOT, "examples", "tdmpc"))
        from model import TDMPC

        torch.manual_seed(0)
        model = TDMPC().eval()
        inputs = [torch.randn(8, 5), torch.randn(8, 2, 1)]
        with tempfile.TemporaryDirectory() as d:
            source = os.path.join(d, "tdmpc.mlir")
            with open(source, "w") as f:
                f.write(export(model, tuple(inputs), output_type="linalg-on-tensors"))
            for calibrated in (False, True):
                with self.subTest(calibrated=calibrated):
                    self.check(model, source, inputs, "linalg", calibrated)


if __name__ == "__main__":
    unittest.main()
