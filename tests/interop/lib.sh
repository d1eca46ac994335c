# Shared by the interop scripts: start the mock on a free port, stop it on exit.
# Usage: source tests/interop/lib.sh; start_mock [mock flags...]; then use $MOCK_URL.

WORK=$(mktemp -d)
MOCK_PID=
cleanup() {
  if [ -n "$MOCK_PID" ]; then kill "$MOCK_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

start_mock() {
  target/debug/linkedin-mock --addr 127.0.0.1:0 "$@" > "$WORK/mock.log" 2>&1 &
  MOCK_PID=$!
  for _ in $(seq 100); do grep -q listening "$WORK/mock.log" 2>/dev/null && break; sleep 0.05; done
  MOCK_URL=$(head -1 "$WORK/mock.log" | awk '{print $3}')
  [ -n "$MOCK_URL" ] || { echo "the mock did not start" >&2; cat "$WORK/mock.log" >&2; exit 1; }
}

# A virtualenv under .venv-NAME with the given pip requirements (installed once).
venv() {
  local name=$1; shift
  local dir=".venv-$name"
  if [ ! -f "$dir/.installed" ] || [ "$(cat "$dir/.installed")" != "$*" ]; then
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
    echo "$*" > "$dir/.installed"
  fi
  VENV="$PWD/$dir"
}

mock_requests() {
  curl -s "$MOCK_URL/__mock/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
}
