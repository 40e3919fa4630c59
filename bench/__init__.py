"""Benchmarks: each `bench_*.py` is a script (see `scripts/bench.sh`); the other modules are their shared set-up."""
