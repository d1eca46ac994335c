#!/usr/bin/env bash
# Interop: run spec, check, discover and read against the mock and validate every line
# with the real airbyte-protocol-models package (installed into .venv-protocol).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/interop/lib.sh
venv protocol "airbyte-protocol-models==0.18.0"
start_mock --now 2026-11-20T00:00:00Z
cat > "$WORK/config.json" <<JSON
{"credentials": {"auth_method": "access_token", "access_token": "mock-token"},
 "api_base_url": "$MOCK_URL/rest", "oauth_base_url": "$MOCK_URL/oauth/v2"}
JSON
echo '{"credentials": {"auth_method": "access_token", "access_token": "mock-expired"}, "api_base_url": "'"$MOCK_URL"'/rest"}' > "$WORK/expired.json"
export SOURCE_LINKEDIN_PAGES_NOW=2026-11-20T10:00:00Z
"$BIN" spec > "$WORK/spec.out"
"$BIN" check --config "$WORK/config.json" > "$WORK/check.out"
"$BIN" check --config "$WORK/expired.json" > "$WORK/check_failed.out"
"$BIN" discover --config "$WORK/config.json" > "$WORK/discover.out"
"$BIN" read --config "$WORK/config.json" --catalog catalog/all_streams.json > "$WORK/read.out" 2>/dev/null
# A failing read (TRACE ERROR) must be valid too.
"$BIN" read --config "$WORK/expired.json" --catalog catalog/first_try.json > "$WORK/read_failed.out" 2>/dev/null || true
"$VENV/bin/python" tests/interop/validate_airbyte.py "$WORK"/*.out
