"""Opt-in tests of the ONNX importer (they need torch, torch-mlir, onnx and
IREE): scripts/test-exporter.sh sets up a virtualenv and runs them."""

import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "examples", "tdmpc"))

from mcprune_torch.from_onnx import UnsupportedOnnx, import_onnx, main  # noqa: E402


class FromOnnxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import torch
        from model import TDMPC

        torch.manual_seed(0)
        cls.model = TDMPC().eval()
        cls.inputs = (torch.randn(8, 5), torch.randn(8, 2, 1))
        cls.dir = tempfile.TemporaryDirectory()
        cls.onnx = os.path.join(cls.dir.name, "tdmpc.onnx")
        torch.onnx.export(cls.model, cls.inputs, cls.onnx, dynamo=False, input_names=["obs", "actions"])
        cls.opt = os.environ.get("MCPRUNE_OPT", os.path.join(ROOT, "target", "debug", "mcprune-opt"))

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def imported(self, output_type):
        path = os.path.join(self.dir.name, "tdmpc.%s.mlir" % output_type)
        with open(path, "w") as f:
            f.write(import_onnx(self.onnx, output_type))
        return path

    def check_groups_and_pruning(self, output_type):
        """ONNX node names tag the four components, and the groups are
        Torch-Pruning's 11 (with 3 more pieces where interfaces split)."""
        path = self.imported(output_type)
        groups = subprocess.run([self.opt, "--component-groups", path, "-o", os.devnull], capture_output=True, text=True, check=True)
        self.assertIn("components                4  (encoder, reward, dynamics, pi)", groups.stderr)
        self.assertRegex(groups.stderr, r"groups\s+11\s+14")
        pruned = os.path.join(self.dir.name, "pruned.mlir")
        run = subprocess.run([self.opt, "--component-prune=ratio=0.4", path, "-o", pruned], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        removed = float(re.search(r"\((\d+\.\d)% removed", run.stderr)[1])
        self.assertLess(abs(removed - 40.0), 2.0, run.stderr)

    def test_linalg_groups_and_prunes(self):
        self.check_groups_and_pruning("linalg-on-tensors")

    def test_tosa_groups_and_prunes(self):
        self.check_groups_and_pruning("tosa")

    def test_imported_model_computes_what_pytorch_does(self):
        import iree.compiler as ireec
        import iree.runtime as ireert
        import numpy as np
        import torch

        path = self.imported("linalg-on-tensors")
        vmfb = ireec.compile_file(path, target_backends=["llvm-cpu"], extra_args=["--iree-llvmcpu-target-cpu=host"])
        ctx = ireert.SystemContext(config=ireert.Config("local-sync"))
        ctx.add_vm_module(ireert.VmModule.copy_buffer(ctx.instance, vmfb))
        got = ctx.modules.module["main_graph"](*[t.numpy() for t in self.inputs])
        with torch.no_grad():
            want = self.model(*self.inputs)
        for g, w in zip(got, want):
            np.testing.assert_allclose(np.asarray(g.to_host()), w.numpy(), rtol=1e-4, atol=1e-5)

    def test_unsupported_ops_are_named(self):
        import onnx
        from onnx import TensorProto, helper

        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
        graph = helper.make_graph([helper.make_node("Foo", ["x"], ["y"], domain="custom.ops", name="/head/Foo")], "g", [x], [y])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("custom.ops", 1)])
        bad = os.path.join(self.dir.name, "bad.onnx")
        onnx.save(model, bad)
        with self.assertRaisesRegex(UnsupportedOnnx, r"cannot lower these ONNX ops: onnx\.Foo \(1\)"):
            import_onnx(bad)
        out = os.path.join(self.dir.name, "bad.mlir")
        self.assertEqual(main([bad, "-o", out]), 1)
        self.assertFalse(os.path.exists(out), "no output on failure")


if __name__ == "__main__":
    unittest.main()
