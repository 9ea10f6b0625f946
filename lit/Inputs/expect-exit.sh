#!/usr/bin/env bash
# Runs a command and succeeds only if it exits with exactly the given code:
#   bash expect-exit.sh CODE COMMAND [ARGS...]
# lit.cfg.py makes `%exit1` of it. lit's `not` accepts any non-zero code,
# a panic's 101 or a crash included; the README promises exit code 1 for
# every error.
want="$1"
shift
"$@"
got=$?
if [ "$got" -ne "$want" ]; then
  echo "expect-exit: $1 exited with $got, expected $want" >&2
  exit 1
fi
