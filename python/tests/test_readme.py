"""The README's three paths for PyTorch users, run as the README shows
them (issue 12): PyTorch to IREE (export, prune, compile, run), ONNX in,
the cross-compiled embedded modules, and back into PyTorch (apply the
report, fine-tune, re-export, compile).

Each fenced block is taken from README.md and run unchanged in a temporary
directory, after its first line when that line installs packages (the
opt-in target's virtualenv has them). What the README takes as given is
set up around it: `.venv` is the opt-in target's virtualenv, `python` and
`examples` are the repository's, `cargo run --` and `mcprune-opt` run the
binary under test, and the ONNX path's `tdmpc.onnx` and `inputs.npz` are
exported from the example first. Opt-in like the other tests here
(scripts/test-exporter.sh).
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from test_apply import OPT, ROOT  # noqa: E402

VENV = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))
# `cargo run -- ARGS` as the README writes it, without building anything.
CARGO_SHIM = textwrap.dedent(
    """\
    cargo() {
      [ "$1" = run ] || { echo "cargo $1: not shimmed" >&2; return 1; }
      shift; [ "$1" = -- ] && shift
      mcprune-opt "$@"
    }
    """
)


def readme_blocks():
    """(language, body) of every fenced block of README.md, in order, as
    the lit docs tests read them (lit/Inputs/readme-block.py)."""
    spec = importlib.util.spec_from_file_location("readme_block", os.path.join(ROOT, "lit", "Inputs", "readme-block.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(os.path.join(ROOT, "README.md")) as f:
        return module.blocks(f.read())


def block(first_line_start, language="sh"):
    """The README block of `language` whose first line starts so."""
    found = [b for lng, b in readme_blocks() if lng == language and b.startswith(first_line_start)]
    if len(found) != 1:
        raise AssertionError(f"README: {len(found)} {language} blocks start with {first_line_start!r}")
    return found[0]


def without_install(body):
    """`body` without its first line when that line installs packages."""
    first, _, rest = body.partition("\n")
    return rest if "pip install" in first else body


class ReadmePaths(unittest.TestCase):
    """Each test runs in a fresh directory laid out as the README assumes."""

    def setUp(self):
        if not os.path.exists(os.path.join(VENV, "bin", "iree-compile")):
            raise unittest.SkipTest("the opt-in virtualenv (scripts/test-exporter.sh) is not this Python's")
        self.dir = tempfile.mkdtemp(prefix="mcprune-readme-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        os.symlink(VENV, os.path.join(self.dir, ".venv"))
        for name in ("python", "examples"):
            os.symlink(os.path.join(ROOT, name), os.path.join(self.dir, name))
        bin_dir = os.path.join(self.dir, "bin")
        os.mkdir(bin_dir)
        os.symlink(os.path.abspath(OPT), os.path.join(bin_dir, "mcprune-opt"))
        self.env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")

    def sh(self, body):
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", CARGO_SHIM + body], cwd=self.dir, env=self.env,
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, f"{body}\nstdout:\n{run.stdout[-3000:]}\nstderr:\n{run.stderr[-3000:]}")
        return run

    def python(self, body, extra_path):
        env = dict(self.env, PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "python"), extra_path]))
        run = subprocess.run([sys.executable, "-c", body], cwd=self.dir, env=env, capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, f"stdout:\n{run.stdout[-3000:]}\nstderr:\n{run.stderr[-3000:]}")
        return run

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_pytorch_to_iree_and_the_embedded_targets(self):
        run = self.sh(without_install(block("python3 -m venv .venv")))
        # iree-run-module prints the two results of the pruned model.
        self.assertIn("result[0]", run.stdout)
        self.assertIn("result[1]", run.stdout)
        self.assertIn("component-prune: 173808 ->", run.stderr)
        self.sh(block(".venv/bin/iree-compile --iree-hal-target-backends=llvm-cpu \\"))
        for target in ("aarch64", "riscv64"):
            module = self.path(f"tdmpc.pruned.{target}.vmfb")
            self.assertGreater(os.path.getsize(module), 1000, module)

    def test_onnx_in(self):
        # The README's tdmpc.onnx and inputs.npz: the example, exported by torch.onnx.
        self.python(
            textwrap.dedent(
                """\
                import numpy as np, torch
                from model import TDMPC
                torch.manual_seed(0)
                model, args = TDMPC().eval(), (torch.randn(256, 5), torch.randn(256, 2, 1))
                torch.onnx.export(model, args, "tdmpc.onnx", opset_version=17, dynamo=False)
                np.savez("inputs.npz", torch.randn(512, 5).numpy(), torch.randn(512, 2, 1).numpy())
                """
            ),
            os.path.join(ROOT, "examples", "tdmpc"),
        )
        run = self.sh(without_install(block(".venv/bin/pip install onnx")))
        self.assertRegex(run.stderr, r"component-prune: \d+ -> \d+ parameters")
        with open(self.path("tdmpc.pruned.mlir")) as f:
            pruned = f.read()
        self.assertIn("func.func @main_graph", pruned)

    def test_back_into_pytorch(self):
        code = block("import subprocess, torch", "python")
        run = self.python(code, os.path.join(ROOT, "examples", "tdmpc"))
        # print(model.encoder): the first layer lost outputs.
        self.assertRegex(run.stdout, r"Linear\(in_features=5, out_features=(\d+)")
        width = int(run.stdout.split("Linear(in_features=5, out_features=")[1].split(",")[0])
        self.assertLess(width, 192)  # TDMPC(hidden=192)
        with open(self.path("tdmpc.finetuned.mlir")) as f:
            self.assertIn(f"tensor<{width}x5xf32>", f.read())
        self.assertGreater(os.path.getsize(self.path("tdmpc.finetuned.vmfb")), 1000)


if __name__ == "__main__":
    unittest.main()
