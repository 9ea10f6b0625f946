#!/usr/bin/env bash
# The corpus sweep: every model of tests/fixtures/corpus (architectures this
# project did not write), both dialects, through component-groups and
# component-prune, and checks that each run exits 0 and that mlir-opt
# verifies its output. Prints the failures and a count; exits 1 if any.
#   bash scripts/corpus-sweep.sh [--full] [path/to/mcprune-opt]
# Default: ratio 0.4 with the default options and with grouping=vanilla
# interfaces=prune (the lit suite runs this). --full: ratios 0.2, 0.4 and
# 0.6, both groupings and both interface policies.
set -uo pipefail
cd "$(dirname "$0")/.."
full=0
if [ "${1:-}" = "--full" ]; then full=1; shift; fi
. scripts/sweep-lib.sh
sweep_setup "${1:-}"
if [ "$full" = 1 ]; then
  options=()
  for r in 0.2 0.4 0.6; do
    for g in component vanilla; do
      for i in keep prune; do options+=("ratio=$r grouping=$g interfaces=$i"); done
    done
  done
else
  options=("ratio=0.4" "ratio=0.4 grouping=vanilla interfaces=prune")
fi
for model in tests/fixtures/corpus/*.mlir; do
  runs=$((runs + 1))
  if ! log=$("$opt" --component-groups "$model" -o /dev/null 2>&1); then
    failures=$((failures + 1))
    echo "FAIL $model [component-groups]: $(grep -m1 error <<<"$log")"
  fi
  for o in "${options[@]}"; do
    prune_and_verify "$model" "$o"
  done
done
echo "corpus-sweep: $failures failures in $runs runs"
[ "$failures" -eq 0 ]
