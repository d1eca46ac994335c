#!/usr/bin/env bash
# Interop: `source-linkedin-pages auth` in a real headless Chromium (Debian's chromium and
# chromium-driver, driven by Selenium from .venv-browser) against the mock's consent page:
# Allow (config written 0600, `check` succeeds), Deny, and a tampered state.
# Self-contained: installs chromium with apt-get when missing (as root), never skips.
# SCREENSHOT_DIR keeps the consent-page screenshot (default: the temporary work dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$TARGET/debug/source-linkedin-pages
MOCK_BIN=$TARGET/debug/linkedin-mock
[ -x "$BIN" ] && [ -x "$MOCK_BIN" ] || cargo build --workspace --quiet

if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "auth_browser: needs /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium chromium-driver)" >&2
    exit 1
  fi
fi

if [ ! -x .venv-browser/bin/python ] || ! .venv-browser/bin/python -c 'import selenium' 2>/dev/null; then
  python3 -m venv .venv-browser
  .venv-browser/bin/pip install --quiet --disable-pip-version-check "selenium>=4.10,<5"
fi

WORK=$(mktemp -d)
MOCK_PID=
cleanup() {
  if [ -n "$MOCK_PID" ]; then kill "$MOCK_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$MOCK_BIN" --addr 127.0.0.1:0 > "$WORK/mock.log" 2>&1 &
MOCK_PID=$!
for _ in $(seq 100); do grep -q listening "$WORK/mock.log" 2>/dev/null && break; sleep 0.05; done
MOCK_URL=$(head -1 "$WORK/mock.log" | awk '{print $3}')
[ -n "$MOCK_URL" ] || { echo "the mock did not start" >&2; cat "$WORK/mock.log" >&2; exit 1; }

SHOTS=${SCREENSHOT_DIR:-$WORK}
mkdir -p "$SHOTS"
.venv-browser/bin/python tests/interop/auth_browser.py "$BIN" "$MOCK_URL" "$WORK" "$SHOTS"
