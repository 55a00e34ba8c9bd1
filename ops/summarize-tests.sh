#!/usr/bin/env bash
# Adds up the per-assembly lines of a `dotnet test` log into one closing line:
#   tests: N passed, N failed, N skipped
set -euo pipefail
log=$1
grep -oE 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" \
  | awk -F'[:,] +' '{ failed += $2; passed += $4; skipped += $6 }
      END { printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped }'
