#!/usr/bin/env bash
# Runs every Go fuzz target in the module for FUZZTIME (default 10s) each.
# `go test -fuzz` takes one target per run, so this finds them and loops.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-10s}"
found=0
while IFS= read -r file; do
  dir="./$(dirname "$file")"
  while IFS= read -r target; do
    found=$((found + 1))
    log="$(mktemp)"
    printf 'fuzz %-40s %s (%s)\n' "$dir" "$target" "$fuzztime"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s "$dir" >"$log" 2>&1; then
      cat "$log"
      rm -f "$log"
      exit 1
    fi
    rm -f "$log"
  done < <(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file")
done < <(git ls-files -co --exclude-standard -- '*_test.go' | grep -v '^tools/' | xargs grep -l '^func Fuzz' || true)
if [ "$found" -eq 0 ]; then
  echo "no fuzz targets found" >&2
  exit 1
fi
echo "fuzzed $found targets"
