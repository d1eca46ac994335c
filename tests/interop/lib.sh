# Shared by the interop scripts: start the mock on a free port, stop it on exit.
# Usage: source tests/interop/lib.sh; start_mock [mock flags...]; then use $MOCK_URL.

WORK=$(mktemp -d)
MOCK_PID=
PG_DATA=
PG_BIN=
# Extra cleanup steps the scripts register (run before the temp dir is removed).
CLEANUP_HOOKS=()
cleanup() {
  local hook
  for hook in "${CLEANUP_HOOKS[@]}"; do "$hook" || true; done
  if [ -n "$MOCK_PID" ]; then kill "$MOCK_PID" 2>/dev/null || true; fi
  stop_postgres
  rm -rf "$WORK"
}
trap cleanup EXIT

# The binaries from `cargo build` (honours CARGO_TARGET_DIR, as cargo does).
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
BIN="$TARGET_DIR/debug/source-linkedin-pages"
MOCK_BIN="$TARGET_DIR/debug/linkedin-mock"
need_binaries() {
  [ -x "$BIN" ] && [ -x "$MOCK_BIN" ] || { echo "build first: $BIN or $MOCK_BIN is missing (make build)" >&2; exit 1; }
}

start_mock() {
  need_binaries
  "$MOCK_BIN" --addr 127.0.0.1:0 "$@" > "$WORK/mock.log" 2>&1 &
  MOCK_PID=$!
  for _ in $(seq 100); do grep -q listening "$WORK/mock.log" 2>/dev/null && break; sleep 0.05; done
  MOCK_URL=$(head -1 "$WORK/mock.log" | awk '{print $3}')
  [ -n "$MOCK_URL" ] || { echo "the mock did not start" >&2; cat "$WORK/mock.log" >&2; exit 1; }
}

# Moves the mock's clock (new statistics days, posts, comments and reactions appear).
advance_mock_days() {
  curl -sf -X POST -H 'content-type: application/json' -d "{\"advance_days\": $1}" \
    "$MOCK_URL/__mock/clock" > /dev/null || { echo "could not advance the mock clock" >&2; exit 1; }
}

# A virtualenv under .venv-NAME with the given pip requirements (installed once).
# PYTHON picks the interpreter (default python3).
venv() {
  local name=$1; shift
  local dir=".venv-$name"
  if [ ! -f "$dir/.installed" ] || [ "$(cat "$dir/.installed")" != "$*" ]; then
    rm -rf "$dir"
    "${PYTHON:-python3}" -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@" \
      || { echo "pip install into $dir failed: $*" >&2; exit 1; }
    echo "$*" > "$dir/.installed"
  fi
  VENV="$PWD/$dir"
}

mock_requests() {
  curl -s "$MOCK_URL/__mock/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
}

# Seconds since the script started, for the timing lines every script prints.
elapsed() { echo "$SECONDS"; }

# Installs Debian packages that are missing (as root, or through sudo). Fails if it cannot:
# a test that needs a tool never passes without it.
apt_install() {
  local sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing Debian packages: $*" >&2
  ($sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@") > "$WORK/apt.log" 2>&1 \
    || { echo "apt-get install $* failed" >&2; tail -20 "$WORK/apt.log" >&2; exit 1; }
}

# --- PostgreSQL: a throwaway cluster under $WORK on a free port, stopped on exit ---------

# Finds initdb/pg_ctl (PATH, then Debian's /usr/lib/postgresql/*/bin), installing Debian's
# postgresql package if there is none.
find_pg_bin() {
  local initdb
  initdb=$(command -v initdb || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$initdb" ]; then
    apt_install postgresql postgresql-client
    initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)
  fi
  [ -n "$initdb" ] || { echo "no initdb after installing postgresql" >&2; exit 1; }
  PG_BIN=$(dirname "$(readlink -f "$initdb")")
  command -v psql > /dev/null || apt_install postgresql-client
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts the cluster; sets PG_PORT, PG_URL (user postgres, trust auth on 127.0.0.1 only).
# PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (or nobody).
start_postgres() {
  find_pg_bin
  local as=()
  PG_DATA=$(mktemp -d)
  if [ "$(id -u)" = 0 ]; then
    local user=postgres
    id -u postgres > /dev/null 2>&1 || user=nobody
    chown "$user" "$PG_DATA"
    as=(runuser -u "$user" --)
  fi
  PG_AS=("${as[@]}")
  PG_PORT=$(free_port)
  "${as[@]}" "$PG_BIN/initdb" -D "$PG_DATA/db" -U postgres -A trust -E UTF8 --no-sync > "$WORK/initdb.log" 2>&1 \
    || { echo "initdb failed" >&2; cat "$WORK/initdb.log" >&2; exit 1; }
  "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA/db" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_DATA -c listen_addresses=127.0.0.1 -c fsync=off" start > /dev/null \
    || { echo "PostgreSQL did not start" >&2; cat "$PG_DATA/server.log" >&2; exit 1; }
  PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
}

stop_postgres() {
  if [ -n "$PG_DATA" ] && [ -d "$PG_DATA/db" ]; then
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA/db" -m immediate stop > /dev/null 2>&1 || true
  fi
  [ -z "$PG_DATA" ] || rm -rf "$PG_DATA"
  PG_DATA=
}

# One value (or rows, tab-separated) from a query.
psql_q() { psql "$PG_URL" -X -q -t -A -F $'\t' -v ON_ERROR_STOP=1 -c "$1"; }

# --- Headless Chromium for the `auth` browser test ----------------------------------------

# Debian's chromium and chromium-driver (installed only if missing; no browser download).
# Sets CHROMIUM and CHROMEDRIVER.
ensure_chromium() {
  CHROMIUM=$(command -v chromium || true)
  CHROMEDRIVER=$(command -v chromedriver || true)
  if [ -z "$CHROMIUM" ] || [ -z "$CHROMEDRIVER" ]; then
    apt_install chromium chromium-driver
    CHROMIUM=$(command -v chromium || true)
    CHROMEDRIVER=$(command -v chromedriver || true)
  fi
  [ -n "$CHROMIUM" ] && [ -n "$CHROMEDRIVER" ] || { echo "chromium/chromedriver missing after apt-get" >&2; exit 1; }
}

# Chromium plus a venv with Selenium (.venv-browser). Selenium must use the system driver:
#   Service("/usr/bin/chromedriver") and options.binary_location = $CHROMIUM,
# never Selenium Manager's download. Sets VENV, CHROMIUM, CHROMEDRIVER; exports
# SE_OFFLINE=true so Selenium Manager never reaches the network. As root, Chromium needs
# --no-sandbox; with --headless=new and --disable-dev-shm-usage this works here:
#   o = webdriver.ChromeOptions(); o.binary_location = os.environ["CHROMIUM"]
#   for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"): o.add_argument(a)
#   d = webdriver.Chrome(service=Service(os.environ["CHROMEDRIVER"]), options=o)
browser_env() {
  ensure_chromium
  # 4.52 needs a certifi newer than the index has.
  venv browser "selenium==4.51.0"
  export SE_OFFLINE=true CHROMIUM CHROMEDRIVER
}
