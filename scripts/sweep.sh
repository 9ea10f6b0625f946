#!/usr/bin/env bash
# Robustness sweep: prunes every fixture and example model, both dialects,
# under many option sets (ratios up to 0.99, both groupings and scopes,
# round-to, min-keep, mask), and checks that each run exits 0 and that
# mlir-opt verifies its output. Prints the failures and a count; exits 1 if
# any. Slower than the test suite (a minute in release), so it is a script:
#   bash scripts/sweep.sh [path/to/mcprune-opt]
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/sweep-lib.sh
sweep_setup "${1:-}"
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
for model in tests/fixtures/*.mlir tests/fixtures/trained/*.mlir examples/tdmpc/tdmpc.mlir; do
  for o in "${options[@]}"; do
    prune_and_verify "$model" "$o"
  done
done
echo "sweep: $failures failures in $runs runs"
[ "$failures" -eq 0 ]
