#!/usr/bin/env bash
# PyAirbyte → DuckDB against the mock (installs PyAirbyte into .venv-pyairbyte).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/interop/lib.sh
venv pyairbyte "airbyte==0.71.3"
start_mock
"$VENV/bin/python" tests/interop/pyairbyte_read.py "$BIN" "$MOCK_URL"
