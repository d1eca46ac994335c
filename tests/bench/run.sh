#!/usr/bin/env bash
# make bench: release builds, a venv with airbyte-cdk for the Python connector, then the
# benchmark (results in docs/benchmarks.md). BENCH_QUICK=1 runs the small sizes only.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/interop/lib.sh
cargo build --quiet --release --workspace
venv peer "airbyte-cdk==7.39.1"
python3 tests/bench/bench.py "$VENV/bin/python"
