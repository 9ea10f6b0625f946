# Shared by the sweeps (sweep.sh, corpus-sweep.sh); source it, don't run it.
# sweep_setup [path/to/mcprune-opt] sets $opt (building a release binary
# when none is given), $mlir_opt and a scratch folder $out; prune_and_verify
# MODEL OPTIONS runs one component-prune, counts it in $runs, and on a
# failure (an error, no output, output the verifier rejects, or a ratio
# more than a point off the target without a note) prints it and counts it
# in $failures.

sweep_setup() {
  opt="${1:-}"
  if [ -z "$opt" ]; then
    cargo build --release -q --bin mcprune-opt || exit 1
    opt=target/release/mcprune-opt
  fi
  mlir_opt=/usr/lib/llvm-22/bin/mlir-opt
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
  runs=0
  failures=0
}

prune_and_verify() {
  local model="$1" o="$2" log
  runs=$((runs + 1))
  # A run that exits 0 without writing must not pass on the previous run's
  # output.
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
  elif ! ratio_reached_or_noted "$log"; then
    failures=$((failures + 1))
    echo "RATIO FAIL $model [$o]: $(grep -m1 'component-prune:' <<<"$log") without a note saying why"
  fi
}

# The ratio asked is reached within one point, or a note says why not.
ratio_reached_or_noted() {
  local summary removed target
  summary=$(grep -m1 -o '[0-9.]*% removed, target [0-9.]*%' <<<"$1") || return 0
  removed=${summary%%%*}
  target=${summary##*target }
  target=${target%\%}
  if awk -v r="$removed" -v t="$target" 'BEGIN { d = r - t; exit !(d <= 1 && d >= -1) }'; then
    return 0
  fi
  grep -q '  note: ' <<<"$1"
}
