#!/usr/bin/env bash
# The soak: random models (mcprune::gen::random) for seeds FIRST..END-1,
# each pruned with the option set its seed draws and checked as
# tests/it/random.rs checks its fixed seeds (prune or a documented refusal,
# never an internal error or a panic; the output verifies; the ratio is
# reached or a note says why not; materialize=remove computes what
# materialize=mask computes). Prints each failure as
#   FAIL seed=N dialect=... functions=...: OPTIONS: what went wrong
# each refusal, each seed that took the process down (an abort in MLIR) as
#   CRASH seed=N: last line of stderr
# (the chunk then goes on after it). Each failure is run again through
# mcprune-gen and mcprune-opt, which must exit 1 with a diagnostic and
# write nothing (else a BINARY line). Exits 1 if any seed failed or
# crashed.
#   bash scripts/soak.sh [FIRST [END [JOBS]]]     (defaults: 0 2000 1)
# JOBS runs that many chunks of the range at once. To look at a seed:
#   mcprune-gen --family random --seed N -o m.mlir
#   mcprune-opt '--component-prune=OPTIONS' m.mlir
set -uo pipefail
cd "$(dirname "$0")/.."
first=${1:-0}
end=${2:-2000}
jobs=${3:-1}
# The test binary cargo builds for tests/it (debug: the models are small,
# most of the time goes to MLIR's CPU lowering, which is built optimised).
binary=$(cargo test --test it --no-run 2>&1 | sed -n 's/.*Executable tests\/it\/main.rs (\(.*\))/\1/p' | tail -1)
if [ -z "$binary" ] || [ ! -x "$binary" ]; then
  echo "soak: could not build the test binary" >&2
  exit 2
fi
log=$(mktemp -d)

# Seeds a..b-1 into $log/$1.out; after a crash, the seeds after it.
run_chunk() {
  local j=$1 a=$2 b=$3 k=0
  while [ "$a" -lt "$b" ]; do
    MCPRUNE_SOAK="$a..$b" "$binary" --ignored --exact random::random_soak --nocapture >>"$log/$j.out" 2>"$log/$j.$k.err"
    if grep -q "^soak $a\.\.$b:" "$log/$j.out"; then
      return
    fi
    local seed
    seed=$(sed -n 's/^soak: seed \([0-9]*\)$/\1/p' "$log/$j.$k.err" | tail -1)
    [ -n "$seed" ] || seed=$a
    echo "CRASH seed=$seed: $(grep -v '^soak: seed' "$log/$j.$k.err" | tail -1)" >>"$log/$j.out"
    a=$((seed + 1))
    k=$((k + 1))
  done
}

span=$(( (end - first + jobs - 1) / jobs ))
for ((j = 0; j < jobs; j++)); do
  a=$(( first + j * span ))
  b=$(( a + span < end ? a + span : end ))
  [ "$a" -lt "$b" ] || continue
  run_chunk "$j" "$a" "$b" &
done
wait
grep -h '^\(FAIL\|CRASH\|REFUSED\|soak \)' "$log"/*.out
# Failures by kind: the message after the options, up to the first quote
# (op names and numbers vary from seed to seed).
grep -h '^FAIL' "$log"/*.out | sed 's/^FAIL seed=[0-9]* [^:]*: [^:]*: //; s/".*//; s/[0-9][0-9]*/N/g' | sort | uniq -c | sort -rn |
  sed 's/^/soak: kind: /'
# Each failure again through the binaries, as a user runs them: it must
# exit 1 with a diagnostic and write no output file.
bin_dir=$(dirname "$(dirname "$binary")")
grep -h '^FAIL' "$log"/*.out | while read -r line; do
  seed=$(echo "$line" | sed 's/^FAIL seed=\([0-9]*\).*/\1/')
  options=$(echo "$line" | sed 's/^FAIL seed=[0-9]* [^:]*: \([^:]*\): .*/\1/')
  "$bin_dir/mcprune-gen" --family random --seed "$seed" -o "$log/model.mlir" 2>/dev/null
  rm -f "$log/pruned.mlir"
  "$bin_dir/mcprune-opt" "--component-prune=$options" "$log/model.mlir" -o "$log/pruned.mlir" >/dev/null 2>"$log/pruned.err"
  rc=$?
  if [ "$rc" -eq 1 ] && [ ! -e "$log/pruned.mlir" ] && grep -q "error:" "$log/pruned.err"; then
    echo "soak: seed $seed: mcprune-opt exits 1 with a diagnostic and writes nothing"
  else
    echo "BINARY seed=$seed: mcprune-opt exits $rc, output $([ -e "$log/pruned.mlir" ] && echo written || echo absent)"
  fi
done | tee "$log/binary.txt"
failed=$(grep -h '^FAIL' "$log"/*.out | wc -l)
crashed=$(grep -h '^CRASH' "$log"/*.out | wc -l)
unclean=$(grep -c '^BINARY' "$log/binary.txt")
echo "soak: seeds $first..$end: $failed failed ($unclean not cleanly through mcprune-opt), $crashed crashed (logs: $log)"
[ "$failed" -eq 0 ] && [ "$crashed" -eq 0 ]
