#!/usr/bin/env bash
# Opt-in tests of the PyTorch exporter and the IREE path: installs torch,
# torch-mlir and IREE from PyPI into a virtualenv under target/ (several GB;
# the default `cargo test` needs none of it), runs the exporter's tests, and
# runs the TD-MPC example end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" >/dev/null 2>&1; then
  sudo=""; if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q python3-venv
fi
venv=target/venv-torch
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check torch torchvision torch-mlir iree-base-compiler iree-base-runtime numpy onnx
cargo build --bin mcprune-opt
export MCPRUNE_OPT="$PWD/target/debug/mcprune-opt"
PYTHONPATH=python "$venv/bin/python" -m unittest discover -s python/tests -v
PYTHON="$venv/bin/python" bash examples/tdmpc/run.sh --export target/tdmpc-example
# Module sizes for small targets, host latency, and "never slower by default".
"$venv/bin/python" scripts/embedded_artifacts.py --mcprune-opt "$MCPRUNE_OPT" --out target/embedded
