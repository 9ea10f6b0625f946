"""Opt-in tests of apply_report (they need torch, torchvision, torch-mlir,
IREE, mcprune-opt and LLVM 22's mlir-opt and mlir-runner):
scripts/test-exporter.sh sets them up and runs them.

Each end-to-end test exports a model with our exporter, prunes it with
mcprune-opt, applies the report to the PyTorch model and checks that the
sliced PyTorch model computes what the pruned MLIR model computes on the
same inputs, and that it holds as many parameters as the report counts."""

import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "examples", "tdmpc"))
sys.path.insert(0, HERE)

import torch  # noqa: E402
from torch import nn  # noqa: E402

from mcprune_torch import apply_report  # noqa: E402
from mcprune_torch.apply import ReportError, layouts  # noqa: E402
from mcprune_torch.attention import NarrowMultiheadAttention  # noqa: E402
from mcprune_torch.export import export  # noqa: E402
from mlir_run import run_iree, run_mlir_runner  # noqa: E402

OPT = os.environ.get("MCPRUNE_OPT", os.path.join(ROOT, "target", "debug", "mcprune-opt"))


def corpus_model(name):
    """A model of the corpus generator (tests/fixtures/corpus/generate.py),
    seeded as the fixtures are, with set batch-norm statistics."""
    try:
        import torchvision  # noqa: F401
    except ImportError:
        raise unittest.SkipTest("torchvision is not installed")
    sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures", "corpus"))
    sys.path.insert(1, os.path.join(ROOT, "tests", "fixtures"))
    import generate

    torch.manual_seed(0)
    model, args = generate.MODELS[name]()
    generate.set_batch_norm_statistics(model, 0)
    return model.eval(), args


def counted_like_mcprune(model):
    """Parameters as mcprune counts them in the IR: every element of every
    float parameter and buffer (batch-norm statistics are constants too),
    except one-element ones (a splat, not a weight)."""
    tensors = list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]
    return sum(t.numel() for t in tensors if t.numel() > 1)


def copied_params(pruned):
    """Elements of the pruned module's constants that repeat an earlier one
    at the same location, value for value: mcprune counts both copies, the
    PyTorch model holds one parameter. torch-mlir's TOSA export holds a
    weight the model reads twice (the example's reward head, once per
    rollout step) as two constants."""
    from mcprune_torch.constants import read_constants

    seen, copied = set(), 0
    for c in read_constants(pruned):
        if c.splat or c.data.size <= 1:
            continue
        key = (c.location, c.data.shape, c.data.tobytes())
        copied += c.data.size if key in seen else 0
        seen.add(key)
    return copied


def uncompensated(report):
    """`report` with every compensation mark taken off (blob names renamed
    back, version 4's `compensated` flags dropped): what slicing alone
    applies."""
    plain = json.loads(json.dumps(report).replace("_compensated", ""))
    for group in plain["groups"]:
        for weight in group["weights"]:
            weight.pop("compensated", None)
    return plain


class Pruned:
    """A model exported and pruned in a temporary directory."""

    def __init__(self, model, args, options, output_type="linalg-on-tensors", debuginfo=True, calibration=None):
        self.dir = tempfile.TemporaryDirectory()
        d = self.dir.name
        self.source = os.path.join(d, "model.mlir")
        self.path = os.path.join(d, "model.pruned.mlir")
        self.report_path = os.path.join(d, "model.json")
        with open(self.source, "w") as f:
            f.write(export(model, args, output_type=output_type))
        if calibration is not None:
            inputs = os.path.join(d, "inputs.npz")
            np.savez(inputs, *[x.numpy() for x in calibration])
            options += f" calibration={inputs}"
        cmd = [OPT, f"--component-prune={options} report={self.report_path}", self.source, "-o", self.path]
        if debuginfo:
            cmd.append("--mlir-print-debuginfo")
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            raise AssertionError(f"mcprune-opt {options} failed:\n{run.stderr}")
        self.summary_line = run.stderr.splitlines()[0]
        with open(self.report_path) as f:
            self.report = json.load(f)

    def close(self):
        self.dir.cleanup()


class EndToEnd(unittest.TestCase):
    """Export, prune, apply, compare."""

    runner = staticmethod(run_mlir_runner)
    # mlir-runner prints six significant digits; IREE's outputs are exact floats.
    rtol = 1e-4

    def check(self, model, args, options, output_type="linalg-on-tensors", calibration=None):
        """Prunes a copy of `model` with `options`, applies the report, and
        asserts the outputs agree; returns the sliced copy and the pruned
        model's outputs."""
        pruned = Pruned(model, args, options, output_type, calibration=calibration)
        self.addCleanup(pruned.close)
        sliced = copy.deepcopy(model)
        apply_report(sliced, pruned.report, pruned=pruned.path)
        held = pruned.report["summary"]["params_after"] - copied_params(pruned.path)
        self.assertEqual(counted_like_mcprune(sliced), held, pruned.summary_line)
        self.assertLess(counted_like_mcprune(sliced), counted_like_mcprune(model), "nothing was pruned")
        theirs = self.runner(pruned.path, [x.numpy() for x in args])
        self.assert_outputs(sliced, args, theirs, f"{options} ({output_type})")
        return sliced, theirs, pruned

    def assert_outputs(self, model, args, theirs, what):
        with torch.no_grad():
            ours = model(*args)
        ours = [o.numpy() for o in (ours if isinstance(ours, (tuple, list)) else (ours,))]
        self.assertEqual(len(ours), len(theirs))
        for i, (a, b) in enumerate(zip(ours, theirs)):
            self.assertEqual(a.shape, b.shape, f"{what}: output {i}")
            scale = max(float(np.abs(b).max()), 1e-30)
            diff = float(np.abs(a - b).max())
            print(f"  {type(model).__name__} {what}: output {i} max |diff| {diff:.3g}, relative {diff / scale:.3g}", file=sys.stderr)
            self.assertLessEqual(diff, self.rtol * scale, f"{what}: output {i} differs by {diff:.3g} (scale {scale:.3g})")


class LayoutTest(unittest.TestCase):
    def test_identity_first_for_square_weights(self):
        self.assertEqual(layouts((8, 8), (8, 8))[0], (0, 1))

    def test_permutation_and_unit_dims(self):
        self.assertEqual(layouts((16, 3, 3, 8), (16, 8, 3, 3))[0], (0, 2, 3, 1))  # OHWI
        self.assertEqual(layouts((1, 5, 192), (192, 5)), [(None, 1, 0)])  # TOSA's matmul weight
        self.assertEqual(layouts((1, 192), (192,)), [(None, 0)])
        self.assertEqual(layouts((3, 4), (5, 4)), [])

    def test_tosa_folded_weights_take_tosa_layouts(self):
        # torch-mlir's TOSA export folds a Linear's weight into the matmul's [1, in, out] and a
        # filter into OHWI, as inline literals; a square weight, or a filter with as many inputs
        # as its kernel is wide, fits PyTorch's layout too.
        from mcprune_torch.apply import Cut, _tosa_layout_first

        def first(op, resource, shape, module, tensor_shape):
            cut = Cut(op, resource, "x", shape, 0, frozenset())
            return _tosa_layout_first(cut, module, "weight", layouts(shape, tensor_shape))[0]

        self.assertEqual(first("tosa.const#1", None, (1, 8, 8), nn.Linear(8, 8), (8, 8)), (None, 1, 0))
        self.assertEqual(first("tosa.const#1", None, (8, 3, 3, 3), nn.Conv2d(3, 8, 3), (8, 3, 3, 3)), (0, 2, 3, 1))
        # PyTorch's own tensor (a dense_resource blob), or linalg's: as it is.
        self.assertEqual(first("tosa.const#1", "w", (8, 3, 3, 3), nn.Conv2d(3, 8, 3), (8, 3, 3, 3)), (0, 1, 2, 3))
        self.assertEqual(first("arith.constant#1", None, (1, 8, 8), nn.Linear(8, 8), (8, 8)), (None, 0, 1))


class ReportErrorTest(unittest.TestCase):
    """Wrong reports are refused before the model changes."""

    def setUp(self):
        self.model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Linear(6, 2))
        self.before = {k: v.clone() for k, v in self.model.state_dict().items()}

    def report(self, location="0", shape=(6, 4), dim=0, removed=(1, 2), resource="w"):
        weight = {"op": "arith.constant#1", "resource": resource, "shape": list(shape), "dim": dim,
                  "location": location, "removed": list(removed)}
        return {"version": 3, "groups": [{"id": 0, "weights": [weight], "removed": [1, 2]}], "summary": {}}

    def assert_refused(self, report, words, pruned=None):
        with self.assertRaises(ReportError) as e:
            apply_report(self.model, report, pruned=pruned)
        for w in words:
            self.assertIn(w, str(e.exception))
        for k, v in self.model.state_dict().items():
            self.assertTrue(torch.equal(v, self.before[k]), f"{k} changed")

    def test_unknown_location(self):
        self.assert_refused(self.report(location="encoder.9"), ["'encoder.9'", "names no module"])

    def test_no_matching_parameter(self):
        self.assert_refused(self.report(shape=(7, 3)), ["Linear '0'", "[7, 3]", "weight [6, 4]"])

    def test_old_report(self):
        report = self.report()
        report["version"] = 2
        self.assert_refused(report, ["version 2"])

    def test_index_out_of_range(self):
        self.assert_refused(self.report(removed=(1, 6)), ["of size 6"])

    def test_compensation_needs_the_pruned_module(self):
        self.assert_refused(self.report(resource="w_compensated"), ["compensation", "pruned="])

    def test_marked_inline_compensation_needs_the_pruned_module(self):
        # Version 4 marks compensated constants that have no blob to rename
        # (inline literals, as torch-mlir's TOSA export holds filters).
        report = self.report(resource=None)
        report["version"] = 4
        report["groups"][0]["weights"][0]["compensated"] = True
        self.assert_refused(report, ["compensation", "pruned="])

    def test_unsupported_module(self):
        self.model = nn.Sequential(nn.InstanceNorm1d(6, affine=True))
        self.before = {k: v.clone() for k, v in self.model.state_dict().items()}
        self.assert_refused(self.report(shape=(6,)), ["InstanceNorm1d '0'", "does not know how to resize"])

    def test_rnn_cell_gates_lose_the_same_hidden_channels(self):
        self.model = nn.Sequential(nn.GRUCell(4, 6))
        self.before = {k: v.clone() for k, v in self.model.state_dict().items()}
        self.assert_refused(self.report(shape=(18, 4)), ["GRUCell '0'", "each of its 3 gates"])

    def test_slices_batch_norm_statistics_with_its_scale(self):
        report = self.report()
        report["groups"][0]["weights"].append(
            {"op": "c#2", "resource": "g", "shape": [6], "dim": 0, "location": "1", "removed": [1, 2]})
        apply_report(self.model, report)
        bn = self.model[1]
        self.assertEqual(bn.num_features, 4)
        self.assertTrue(torch.equal(bn.running_mean, self.before["1.running_mean"][[0, 3, 4, 5]]))
        self.assertEqual(self.model[0].out_features, 4)

    def group_norm_report(self, removed):
        """A conv and the GroupNorm(2, 8) after it losing `removed`."""
        self.model = nn.Sequential(nn.Conv2d(3, 8, 1), nn.GroupNorm(2, 8))
        with torch.no_grad():
            self.model[1].weight.normal_(1, 0.2)
            self.model[1].bias.normal_(0, 0.2)
        self.before = {k: v.clone() for k, v in self.model.state_dict().items()}
        weights = [{"op": f"c#{i}", "resource": f"r{i}", "shape": shape, "dim": 0, "location": location, "removed": removed}
                   for i, (shape, location) in enumerate((([8, 3, 1, 1], "0"), ([8], "0"), ([8], "1")))]
        return {"version": 3, "groups": [{"id": 0, "weights": weights, "removed": removed}], "summary": {}}

    def test_group_norm_keeps_its_groups(self):
        # Statistics over each group's kept channels, as mcprune's pruned GroupNorm computes them.
        report = self.group_norm_report([1, 6])
        x, kept = torch.randn(1, 3, 4, 4), [0, 2, 3, 4, 5, 7]
        with torch.no_grad():
            h = self.model[0](x)[:, kept]
            expected = nn.functional.group_norm(h, 2, self.model[1].weight[kept], self.model[1].bias[kept])
        apply_report(self.model, report)
        self.assertEqual((self.model[1].num_groups, self.model[1].num_channels), (2, 6))
        with torch.no_grad():
            self.assertTrue(torch.allclose(self.model(x), expected, atol=1e-6))

    def test_group_norm_groups_lose_as_many_channels(self):
        self.assert_refused(self.group_norm_report([1, 2]), ["GroupNorm '1'", "[2, 0]", "every group must lose as many"])


class TDMPCTest(EndToEnd):
    """The example TD-MPC world model, in IREE."""

    runner = staticmethod(run_iree)
    rtol = 1e-5

    def setUp(self):
        from model import TDMPC

        torch.manual_seed(0)
        self.model = TDMPC().eval()
        self.args = (torch.randn(8, 5), torch.randn(8, 2, 1))

    def test_ratios_and_policies(self):
        for options in ("ratio=0.2", "ratio=0.4", "ratio=0.6", "ratio=0.4 interfaces=prune",
                        "ratio=0.4 grouping=vanilla interfaces=prune", "ratio=0.5 scope=local interfaces=prune round-to=1"):
            with self.subTest(options=options):
                sliced, _, _ = self.check(self.model, self.args, options)
                if "scope=local" in options:
                    # The latent, an interface of all four components, loses channels too.
                    self.assertLess(sliced.encoder[4].out_features, 24)
                    self.assertLess(sliced.pi[0].in_features, 24)

    def test_calibrated_pruning_carries_compensated_weights_back(self):
        calibration = (torch.randn(64, 5), torch.randn(64, 2, 1))
        for compensate in ("mean", "lstsq"):
            with self.subTest(compensate=compensate):
                sliced, theirs, pruned = self.check(self.model, self.args, f"ratio=0.4 compensate={compensate}", calibration=calibration)
                # Slicing alone (the compensation marks taken off) does not give the
                # pruned model: the copied values are what makes the outputs agree.
                plain = apply_report(copy.deepcopy(self.model), uncompensated(pruned.report))
                with torch.no_grad():
                    off = max(float(np.abs(a.numpy() - b).max()) for a, b in zip(plain(*self.args), theirs))
                self.assertGreater(off, 1e-4, "compensation changed nothing; the test shows nothing")

    def test_compensated_splat_bias_needs_locations(self):
        pruned = Pruned(self.model, self.args, "ratio=0.4", debuginfo=False, calibration=(torch.randn(64, 5), torch.randn(64, 2, 1)))
        self.addCleanup(pruned.close)
        model = copy.deepcopy(self.model)
        with self.assertRaises(ReportError) as e:
            apply_report(model, pruned.report, pruned=pruned.path)
        self.assertIn("--mlir-print-debuginfo", str(e.exception))
        # Refused before anything was sliced.
        for (k, v), w in zip(model.state_dict().items(), self.model.state_dict().values()):
            self.assertTrue(torch.equal(v, w), k)

    def test_fine_tune_and_re_export(self):
        sliced, _, pruned = self.check(self.model, self.args, "ratio=0.4")
        sliced.train()
        optimizer = torch.optim.SGD(sliced.parameters(), lr=1e-2)
        target_r, target_a = torch.randn(8, 1), torch.randn(8, 1)
        losses = []
        for _ in range(5):
            reward, action = sliced(*self.args)
            loss = nn.functional.mse_loss(reward, target_r) + nn.functional.mse_loss(action, target_a)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        self.assertLess(losses[-1], losses[0])
        text = export(sliced, self.args)
        hidden = sliced.encoder[0].out_features
        self.assertLess(hidden, 192)
        self.assertIn(f"tensor<{hidden}x5xf32>", text)
        again = subprocess.run([OPT, "--component-groups", "-"], input=text, capture_output=True, text=True)
        self.assertEqual(again.returncode, 0, again.stderr)

    def test_tosa_export(self):
        # torch-mlir's TOSA export leaves some of this model's weights without
        # a module path (a folded transpose); the report names them by their
        # users' (report.rs `weight_location`). IREE 3.13 does not take
        # torch-mlir's `tosa.const_shape`: mlir-runner runs it.
        self.runner, self.rtol = run_mlir_runner, EndToEnd.rtol
        calibration = (torch.randn(64, 5), torch.randn(64, 2, 1))
        for calibrated in (None, calibration):
            with self.subTest(calibrated=calibrated is not None):
                _, _, pruned = self.check(self.model, self.args, "ratio=0.4", output_type="tosa", calibration=calibrated)
                self.assertTrue(all(w.get("location") for g in pruned.report["groups"] for w in g["weights"]))

    def test_weights_without_locations_are_refused(self):
        pruned = Pruned(self.model, self.args, "ratio=0.4", output_type="tosa")
        self.addCleanup(pruned.close)
        report = copy.deepcopy(pruned.report)
        for group in report["groups"]:
            for weight in group["weights"]:
                weight.pop("location")
        with self.assertRaises(ReportError) as e:
            apply_report(copy.deepcopy(self.model), report)
        self.assertIn("linalg-on-tensors", str(e.exception))


class ShuffleBlockTest(EndToEnd):
    """One stride-1 ShuffleNetV2 block between two 1x1 convolutions (found
    applying reports to the corpus): the plan keeps 1 of the first
    convolution's channels in the block's first half and 2 in its second,
    which torchvision's chunk and channel_shuffle cannot split."""

    def setUp(self):
        try:
            from torchvision.models.shufflenetv2 import InvertedResidual
        except ImportError:
            raise unittest.SkipTest("torchvision is not installed")
        torch.manual_seed(0)
        self.model = nn.Sequential(nn.Conv2d(3, 8, 1), InvertedResidual(8, 8, 1), nn.Conv2d(8, 4, 1)).eval()
        for bn in self.model.modules():
            if isinstance(bn, nn.BatchNorm2d):
                bn.running_mean.normal_(0, 0.1)
                bn.running_var.uniform_(0.75, 1.25)
        self.args = (torch.randn(1, 3, 4, 4),)

    def test_uneven_halves(self):
        from mcprune_torch.shuffle import NarrowShuffleBlock

        sliced, _, pruned = self.check(self.model, self.args, "ratio=0.4 interfaces=prune round-to=1")
        removed = next(w["removed"] for g in pruned.report["groups"] for w in g["weights"] if w["location"] == "0" and w["dim"] == 0)
        self.assertNotEqual(sum(i < 4 for i in removed), sum(i >= 4 for i in removed), "even halves: the test shows nothing")
        block = sliced[1]
        self.assertIsInstance(block, NarrowShuffleBlock)
        self.assertEqual(len(block.x1_channels) + len(block.x2_channels), sliced[0].out_channels)
        # The index lists are no parameters: state_dict keys stay the model's.
        self.assertEqual(sorted(sliced.state_dict()), sorted(self.model.state_dict()))

    def test_cuts_that_disagree_are_refused(self):
        pruned = Pruned(self.model, self.args, "ratio=0.4 interfaces=prune round-to=1")
        self.addCleanup(pruned.close)
        report = copy.deepcopy(pruned.report)
        for group in report["groups"]:
            for weight in group["weights"]:
                if weight["location"] == "1.branch2.0" and weight["dim"] == 1:
                    weight["removed"] = []
        with self.assertRaises(ReportError) as e:
            apply_report(copy.deepcopy(self.model), report)
        self.assertIn("branch2 keeps inputs", str(e.exception))


class CorpusTest(EndToEnd):
    """Architectures of the corpus, through mlir-runner (IREE does not
    compile torchvision's ResNet stem as torch-mlir exports it)."""

    def check_all(self, name, option_sets, dialects=("linalg-on-tensors",)):
        model, args = corpus_model(name)
        results = []
        for output_type in dialects:
            for options in option_sets:
                with self.subTest(options=options, dialect=output_type):
                    results.append((options, self.check(model, args, options, output_type)[0]))
        return model, results

    def test_resnet18_batch_norm(self):
        model, results = self.check_all(
            "resnet18_narrow", ("ratio=0.4", "ratio=0.4 grouping=vanilla interfaces=prune", "ratio=0.6 grouping=vanilla scope=local round-to=1"),
            dialects=("linalg-on-tensors", "tosa"))
        for _, sliced in results:
            for m in sliced.modules():
                if isinstance(m, nn.BatchNorm2d):
                    self.assertEqual(m.running_var.shape, (m.num_features,))

    def test_resnext_grouped_convolutions_keep_their_groups(self):
        model, results = self.check_all("resnext_narrow", ("ratio=0.4", "ratio=0.6 grouping=vanilla scope=local round-to=1"),
                                        dialects=("linalg-on-tensors", "tosa"))
        before = dict(model.named_modules())
        narrowed = 0
        for _, sliced in results:
            for n, m in sliced.named_modules():
                if isinstance(m, nn.Conv2d) and before[n].groups > 1:
                    self.assertEqual(m.groups, before[n].groups, n)
                    narrowed += m.out_channels < before[n].out_channels
        self.assertGreater(narrowed, 0, "no grouped convolution lost channels")

    def test_mobilenet_depthwise_convolutions_lose_whole_groups(self):
        model, results = self.check_all("mobilenet_v3_small", ("ratio=0.4", "ratio=0.6 grouping=vanilla scope=local round-to=1"))
        before = dict(model.named_modules())
        for _, sliced in results:
            depthwise = [m for n, m in sliced.named_modules() if isinstance(m, nn.Conv2d) and 1 < m.groups < before[n].groups]
            self.assertTrue(depthwise, "no depthwise convolution lost channels")
            for m in depthwise:
                self.assertEqual((m.in_channels, m.out_channels), (m.groups, m.groups))

    def test_vit_attention_head_dims(self):
        model, results = self.check_all("vit_tiny", ("ratio=0.4", "ratio=0.6"))
        for _, sliced in results:
            attention = [m for m in sliced.modules() if isinstance(m, NarrowMultiheadAttention)]
            self.assertTrue(any(m.qk_dim < m.embed_dim for m in attention), "no head dims were cut")


if __name__ == "__main__":
    unittest.main()
