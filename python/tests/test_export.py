"""Opt-in tests of the exporter (they need torch and torch-mlir):
scripts/test-exporter.sh sets up a virtualenv and runs them."""

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

from mcprune_torch.export import export, module_path  # noqa: E402


class ModulePathTest(unittest.TestCase):
    def test_normalises_dynamo_spellings(self):
        self.assertEqual(module_path({"a": ("encoder.0", object)}), "encoder.0")
        self.assertEqual(module_path({"a": ("L['self'].encoder.net[0]", object)}), "encoder.net.0")
        self.assertIsNone(module_path({}))


class ExportTest(unittest.TestCase):
    def setUp(self):
        import torch
        from model import TDMPC

        torch.manual_seed(0)
        self.model = TDMPC()
        self.inputs = (torch.randn(8, 5), torch.randn(8, 2, 1))
        self.opt = os.environ.get("MCPRUNE_OPT", os.path.join(ROOT, "target", "debug", "mcprune-opt"))

    def check(self, output_type):
        text = export(self.model, self.inputs, output_type=output_type)
        for name in ("encoder.0", "dynamics.0", "reward.0", "pi.0"):
            self.assertIn(f'"{name}"', text, f"{name} location missing ({output_type})")
        with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as f:
            f.write(text)
        try:
            tag = subprocess.run([self.opt, "--component-tag", f.name], capture_output=True, text=True, check=True)
            for comp in ("encoder", "dynamics", "reward", "pi"):
                self.assertIn(f'mcprune.component = "{comp}"', tag.stdout)
            pruned = subprocess.run(
                [self.opt, "--component-prune=ratio=0.4", f.name], capture_output=True, text=True, check=True
            )
            # The removed share, not the target (which always reads 40.0%).
            summary = re.search(r"(\d+) -> (\d+) parameters \((\d+\.\d)% removed, target 40\.0%\)", pruned.stderr)
            self.assertIsNotNone(summary, pruned.stderr)
            before, after, removed = int(summary[1]), int(summary[2]), float(summary[3])
            self.assertLess(abs(removed - 40.0), 1.0, pruned.stderr)
            self.assertLess(abs((1 - after / before) * 100 - removed), 0.05, pruned.stderr)
        finally:
            os.unlink(f.name)

    def test_linalg(self):
        self.check("linalg-on-tensors")

    def test_tosa(self):
        self.check("tosa")

    def test_command_line(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "m.mlir")
            subprocess.run(
                [sys.executable, "-m", "mcprune_torch.export", os.path.join(ROOT, "examples", "tdmpc", "model.py") + ":TDMPC",
                 "--input", "8x5", "--input", "8x2x1", "-o", out],
                check=True, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")),
            )
            with open(out) as f:
                self.assertIn('"encoder.0"', f.read())


if __name__ == "__main__":
    unittest.main()
