#!/usr/bin/env bash
# The TD-MPC example end to end:
#   1. the model: the bundled trained one (default), or with --export a fresh
#      export of examples/tdmpc/model.py through torch-mlir;
#   2. mcprune-opt --component-prune at 0.2, 0.4 and 0.6 (with reports);
#   3. compile original and pruned with IREE, run on the same inputs,
#      compare outputs and latency (needs iree-base-compiler/-runtime);
#   4. the same through mlir-opt to LLVM and mlir-runner.
# usage: examples/tdmpc/run.sh [--export] [OUT_DIR]
# PYTHON (default python3) must have torch/torch-mlir for --export and IREE
# for step 3; scripts/test-exporter.sh sets one up in target/venv-torch.
set -euo pipefail
cd "$(dirname "$0")/../.."
export_model=0
if [ "${1:-}" = "--export" ]; then export_model=1; shift; fi
out="${1:-target/tdmpc-example}"
py="${PYTHON:-python3}"
# IREE's CPU code is fastest for widths that are multiples of 64 (see
# BENCHMARKS.md); ROUND_TO=1 prunes channel by channel.
round_to="${ROUND_TO:-64}"
opt="${MCPRUNE_OPT:-target/debug/mcprune-opt}"
mkdir -p "$out"
[ -x "$opt" ] || cargo build --bin mcprune-opt

model="$out/tdmpc.mlir"
if [ "$export_model" = 1 ]; then
  PYTHONPATH=python "$py" -m mcprune_torch.export examples/tdmpc/model.py:TDMPC \
    --input 256x5 --input 256x2x1 --output-type linalg-on-tensors -o "$model"
else
  cp examples/tdmpc/tdmpc.mlir "$model"
fi

"$opt" "--component-groups=report=$out/tdmpc.json dot=$out/tdmpc.dot" "$model" -o /dev/null
pruned=()
for r in 0.2 0.4 0.6; do
  "$opt" "--component-prune=ratio=$r round-to=$round_to report=$out/tdmpc.$r.json" "$model" -o "$out/tdmpc.$r.mlir"
  pruned+=("$out/tdmpc.$r.mlir")
done

if "$py" -c "import iree.compiler, iree.runtime, numpy" 2>/dev/null; then
  echo "== IREE (llvm-cpu, local-sync)"
  "$py" examples/tdmpc/run_iree.py "$model" "${pruned[@]}"
else
  echo "== IREE: skipped ($py has no iree-base-compiler/iree-base-runtime/numpy)"
fi
echo "== mlir-opt to LLVM, mlir-runner"
python3 examples/tdmpc/run_mlir_runner.py "$model" "${pruned[@]}"
