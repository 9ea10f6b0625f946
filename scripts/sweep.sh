#!/usr/bin/env bash
# Robustness sweep: prunes every fixture and example model, both dialects,
# under many option sets (ratios up to 0.99, both groupings and scopes,
# round-to, min-keep, mask), and checks that each run exits 0 and that
# mlir-opt verifies its output. Prints the failures and a count; exits 1 if
# any. Slower than the test suite (a minute in release), so it is a script:
#   bash scripts/sweep.sh [path/to/mcprune-opt]
set -uo pipefail
cd "$(dirname "$0")/.."
opt="${1:-}"
if [ -z "$opt" ]; then
  cargo build --release -q --bin mcprune-opt || exit 1
  opt=target/release/mcprune-opt
fi
mlir_opt=/usr/lib/llvm-22/bin/mlir-opt
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
options=(
  "ratio=0.5"
  "ratio=0.9 interfaces=prune"
  "ratio=0.95 interfaces=prune scope=local"
  "ratio=0.6 grouping=vanilla"
  "ratio=0.4 scope=local round-to=4"
  "ratio=0.3 interfaces=prune scope=local min-keep=2"
  "ratio=0.7 grouping=vanilla scope=local importance=l1"
  "ratio=0.99 grouping=vanilla"
  "ratio=0.99 interfaces=prune materialize=mask"
)
runs=0
failures=0
for model in tests/fixtures/*.mlir tests/fixtures/trained/*.mlir examples/tdmpc/tdmpc.mlir; do
  for o in "${options[@]}"; do
    runs=$((runs + 1))
    # A run that exits 0 without writing must not pass on the previous
    # run's output.
    rm -f "$out/pruned.mlir"
    if ! log=$("$opt" "--component-prune=$o" "$model" -o "$out/pruned.mlir" 2>&1); then
      failures=$((failures + 1))
      echo "FAIL $model [$o]: $(grep -m1 error <<<"$log")"
    elif [ ! -s "$out/pruned.mlir" ]; then
      failures=$((failures + 1))
      echo "FAIL $model [$o]: exit 0 but no output written"
    elif ! "$mlir_opt" "$out/pruned.mlir" -o /dev/null 2>"$out/verify.log"; then
      failures=$((failures + 1))
      echo "VERIFY FAIL $model [$o]: $(head -1 "$out/verify.log")"
    fi
  done
done
echo "sweep: $failures failures in $runs runs"
[ "$failures" -eq 0 ]
