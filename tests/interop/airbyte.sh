#!/usr/bin/env bash
# Interop: run spec, check, discover and read against the mock and validate every line
# with the real airbyte-protocol-models package (installed into .venv by this script).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c "import airbyte_protocol" 2>/dev/null || \
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "airbyte-protocol-models==0.18.0"
BIN=target/debug/source-linkedin-pages
MOCK=target/debug/linkedin-mock
WORK=$(mktemp -d)
trap 'kill $MOCK_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$MOCK" --addr 127.0.0.1:0 --now 2026-11-20T00:00:00Z > "$WORK/mock.log" &
MOCK_PID=$!
for _ in $(seq 50); do grep -q listening "$WORK/mock.log" 2>/dev/null && break; sleep 0.1; done
URL=$(head -1 "$WORK/mock.log" | awk '{print $3}')
cat > "$WORK/config.json" <<JSON
{"credentials": {"auth_method": "access_token", "access_token": "mock-token"},
 "api_base_url": "$URL/rest", "oauth_base_url": "$URL/oauth/v2"}
JSON
echo '{"credentials": {"auth_method": "access_token", "access_token": "mock-expired"}, "api_base_url": "'"$URL"'/rest"}' > "$WORK/expired.json"
export SOURCE_LINKEDIN_PAGES_NOW=2026-11-20T10:00:00Z
"$BIN" spec > "$WORK/spec.out"
"$BIN" check --config "$WORK/config.json" > "$WORK/check.out"
"$BIN" check --config "$WORK/expired.json" > "$WORK/check_failed.out"
"$BIN" discover --config "$WORK/config.json" > "$WORK/discover.out"
"$BIN" read --config "$WORK/config.json" --catalog catalog/all_streams.json > "$WORK/read.out"
# A failing read (TRACE ERROR) must be valid too.
"$BIN" read --config "$WORK/expired.json" --catalog catalog/first_try.json > "$WORK/read_failed.out" || true
"$VENV/bin/python" tests/interop/validate_airbyte.py "$WORK"/*.out
