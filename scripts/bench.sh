#!/usr/bin/env bash
# Runs every benchmark in bench/ in turn; each prints its figures beside its limit.
set -euo pipefail
for b in bench/bench_*.py; do
  echo "== $b"
  .venv/bin/python "$b"
done
