#!/usr/bin/env bash
# Interop: `source-linkedin-pages auth` in a real headless Chromium (Debian's chromium and
# chromium-driver, driven by Selenium from .venv-browser) against the mock's consent page:
# Allow (config written 0600, `check` succeeds), Deny, and a tampered state.
# Self-contained: installs chromium with apt-get when missing (lib.sh's browser_env), never skips.
# SCREENSHOT_DIR keeps the consent-page screenshot (default: the temporary work dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/interop/lib.sh
# Debian's chromium and chromium-driver (apt-get when missing) and Selenium in
# .venv-browser, offline: Selenium Manager never downloads a browser or a driver.
browser_env
start_mock

SHOTS=${SCREENSHOT_DIR:-$WORK}
mkdir -p "$SHOTS"
"$VENV/bin/python" tests/interop/auth_browser.py "$BIN" "$MOCK_URL" "$WORK" "$SHOTS"
