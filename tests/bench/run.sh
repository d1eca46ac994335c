#!/usr/bin/env bash
# make bench: release builds, a venv with airbyte-cdk for the Python connector, then the
# benchmark (results in docs/benchmarks.md). BENCH_QUICK=1 runs the small sizes only;
# BENCH_ONLY=comments runs only the one-core comments runs (no Python peer, docs untouched).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/interop/lib.sh
cargo build --quiet --release --workspace
if [ -n "${BENCH_ONLY:-}" ]; then
    python3 tests/bench/bench.py
    exit 0
fi
venv peer "airbyte-cdk==7.39.1"
python3 tests/bench/bench.py "$VENV/bin/python"
