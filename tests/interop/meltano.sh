#!/usr/bin/env bash
# Meltano as people use it: docs/examples/meltano/meltano.yml (every setting declared, every
# stream selected), with only `executable` filled in and the settings given as the
# environment variables Meltano documents.
#   1. The tap alone (`meltano invoke`): its last line must be a STATE carrying a bookmark
#      for every incremental stream, so targets that keep only the trailing state save it.
#   2. target-jsonl twice, the mock's clock one day later the second time: Meltano must have
#      stored state, and the second run must be incremental (fewer records than the first
#      for every incremental stream, and some new ones).
#   3. meltanolabs-target-csv (strict: it rejects fields a schema does not declare), every
#      stream, twice.
#   4. target-sqlite twice, on the Python 3.9 interpreter the `python:` setting names.
#   0. The three ways to add the tap declare every setting of spec.json (credentials.*
#      included): the example meltano.yml, `meltano add --from-ref tap-linkedin-pages.yml`,
#      and `meltano add --custom` fed custom-answers.txt; each discovers with the env set.
# Every check runs; the script fails if any failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/interop/lib.sh
venv meltano "meltano==4.4.1"
M="$VENV/bin/meltano"
start_mock --now 2026-11-20T00:00:00Z
export SOURCE_LINKEDIN_PAGES_NOW=2026-11-20T10:00:00Z
failures=0
fail() { echo "meltano: FAIL: $*"; failures=$((failures + 1)); }

# target-sqlite 0.2.0 needs Python 3.9 or older; the example names `python3.9`. Resolve it
# to a real interpreter (pyenv's shim only runs if 3.9 is an active pyenv version).
PY39=
for c in "$(pyenv prefix 3.9 2>/dev/null | head -1)/bin/python3.9" \
         $(ls -d "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/3.9*/bin/python3.9 2>/dev/null) \
         /usr/bin/python3.9 /usr/local/bin/python3.9; do
  if [ -x "$c" ] && "$c" -c 'import venv' 2>/dev/null; then PY39=$c; break; fi
done
[ -n "$PY39" ] || { echo "meltano: target-sqlite needs Python 3.9 (python3.9 on PATH or pyenv 3.9.x); none found"; exit 1; }

need_binaries
PROJECT="$WORK/project"
mkdir -p "$PROJECT"
sed -e "s|executable: source-linkedin-pages|executable: $BIN|" \
    -e "s|python: python3.9|python: $PY39|" \
  docs/examples/meltano/meltano.yml > "$PROJECT/meltano.yml"
REPO=$PWD
cd "$PROJECT"
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false MELTANO_DISABLE_TRACKING=true
# auth_method too: `meltano add --custom` cannot give a setting a default value.
export TAP_LINKEDIN_PAGES_CREDENTIALS_AUTH_METHOD=access_token
export TAP_LINKEDIN_PAGES_CREDENTIALS_ACCESS_TOKEN=mock-token
export TAP_LINKEDIN_PAGES_API_BASE_URL="$MOCK_URL/rest"
export TAP_LINKEDIN_PAGES_OAUTH_BASE_URL="$MOCK_URL/oauth/v2"
t0=$SECONDS
for p in "extractor tap-linkedin-pages" "loader target-jsonl" "loader target-csv" "loader target-sqlite"; do
  # shellcheck disable=SC2086
  "$M" install $p >> "$WORK/install.log" 2>&1 || { tail -30 "$WORK/install.log"; exit 1; }
done
echo "meltano: plugins installed in $((SECONDS - t0))s"

run() { # run NAME TARGET
  local t=$SECONDS
  if "$M" run tap-linkedin-pages "$2" > "$WORK/$1.log" 2>&1; then
    echo "meltano: $1 ($2) took $((SECONDS - t))s"
  else
    fail "$1: meltano run tap-linkedin-pages $2 failed:"
    grep -v '^[│╭╰]' "$WORK/$1.log" | grep -iE 'error|exception|fail' | grep -v '^\s*$' | head -8 | sed 's/^/    /'
    return 1
  fi
}

# 0. Every setting of spec.json, in each way of adding the tap.
EXPECTED=$(python3 -c '
import json
p = json.load(open("'"$REPO"'/spec.json"))["connectionSpecification"]["properties"]
names = {k for k in p if k != "credentials"}
names |= {"credentials." + k for o in p["credentials"]["oneOf"] for k in o["properties"]}
print(" ".join(sorted("TAP_LINKEDIN_PAGES_" + n.upper().replace(".", "_") for n in names)))')
check_settings() { # check_settings HOW PROJECT_DIR
  local have missing
  have=$(cd "$2" && "$M" config list --all tap-linkedin-pages 2>/dev/null | grep -o 'env: TAP_LINKEDIN_PAGES_[A-Z_]*' | cut -c6- | sort -u | tr '\n' ' ')
  missing=$(comm -23 <(tr ' ' '\n' <<< "$EXPECTED" | grep . | sort) <(tr ' ' '\n' <<< "$have" | grep . | sort) | tr '\n' ' ')
  [ -z "$missing" ] && echo "meltano: $1 declares all $(wc -w <<< "$EXPECTED") settings of spec.json" \
    || fail "$1 lacks settings: $missing"
  (cd "$2" && "$M" invoke tap-linkedin-pages --discover > /dev/null 2> "$WORK/discover-$1.log") \
    || fail "$1: --discover failed: $(grep -o 'ERROR source_linkedin_pages.*' "$WORK/discover-$1.log" | head -1)"
}
check_settings meltano.yml "$PROJECT"
for how in from-ref custom; do
  "$M" init "$WORK/$how" > /dev/null 2>&1 || { echo "meltano init failed"; exit 1; }
  if [ "$how" = from-ref ]; then
    (cd "$WORK/$how" && "$M" add --plugin-type extractor tap-linkedin-pages \
      --from-ref "$REPO/docs/examples/meltano/tap-linkedin-pages.yml") > "$WORK/add-$how.log" 2>&1
  else
    (cd "$WORK/$how" && "$M" add --plugin-type extractor tap-linkedin-pages --custom \
      < "$REPO/docs/examples/meltano/custom-answers.txt") > "$WORK/add-$how.log" 2>&1
  fi || { fail "meltano add ($how) failed"; tail -5 "$WORK/add-$how.log"; continue; }
  (cd "$WORK/$how" && "$M" config set tap-linkedin-pages _executable "$BIN") > /dev/null 2>&1
  check_settings "$how" "$WORK/$how"
done

# The incremental streams, from the tap's own discovered catalog.
"$M" invoke tap-linkedin-pages --discover > "$WORK/catalog.json" 2> "$WORK/discover.log" \
  || { tail -20 "$WORK/discover.log"; exit 1; }
INCREMENTAL=$(python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["streams"]:
    md = next((m["metadata"] for m in s.get("metadata", []) if m["breadcrumb"] == []), {})
    if md.get("forced-replication-method", md.get("replication-method")) == "INCREMENTAL" or s.get("replication_key"):
        print(s["tap_stream_id"])' "$WORK/catalog.json" | sort | tr '\n' ' ')
ALL=$(python3 -c 'import json,sys; print(" ".join(s["tap_stream_id"] for s in json.load(open(sys.argv[1]))["streams"]))' "$WORK/catalog.json")
echo "meltano: incremental streams: $INCREMENTAL"
[ -n "$INCREMENTAL" ] || fail "the discovered catalog marks no stream INCREMENTAL"

# 1. The tap's own output ends with a STATE carrying every incremental stream's bookmark.
t=$SECONDS
"$M" invoke tap-linkedin-pages > "$WORK/tap.out" 2> "$WORK/tap.err" || fail "meltano invoke tap-linkedin-pages failed"
echo "meltano: tap alone took $((SECONDS - t))s, $(grep -c '"type": *"RECORD"' "$WORK/tap.out") records"
last=$(python3 -c '
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
m = json.loads(lines[-1]) if lines else {}
if m.get("type") != "STATE":
    print("the last line is a %s (stream %s), not a STATE" % (m.get("type"), m.get("stream")))
else:
    missing = sorted(set(sys.argv[2].split()) - set(m["value"].get("bookmarks", {})))
    print("missing bookmarks: %s" % missing if missing else "ok")' "$WORK/tap.out" "$INCREMENTAL")
[ "$last" = ok ] && echo "meltano: the tap ends with a STATE carrying every bookmark" \
  || fail "the tap's output does not end with a complete STATE: $last"

# 2. target-jsonl twice; the second run a day later, incremental from Meltano's state.
# target-jsonl 0.1.4 writes STREAM-YYYYMMDDTHHMMSS.jsonl per run: each run's files are
# moved aside and counted per stream.
jsonl_counts() {
  mkdir -p "$WORK/$1"
  mv output/*.jsonl "$WORK/$1/" 2>/dev/null || true
  for f in "$WORK/$1"/*.jsonl; do [ -e "$f" ] && printf '%s\t%s\n' "$(basename "$f" .jsonl | sed 's/-[0-9]\{8\}T[0-9]\{6\}$//')" "$(wc -l < "$f")"; done \
    | awk -F'\t' '{n[$1] += $2} END {for (s in n) print s "\t" n[s]}' | sort
}
if run jsonl-1 target-jsonl; then
  jsonl_counts jsonl-1 > "$WORK/jsonl-1.counts"
  "$M" state get dev:tap-linkedin-pages-to-target-jsonl > "$WORK/state-1.json" 2> /dev/null \
    || fail "Meltano stored no state after the first target-jsonl run"
  kept=$(python3 -c '
import json, sys
try:
    value = json.load(open(sys.argv[1]))
except ValueError:
    value = {}
bookmarks = (value.get("singer_state") or value).get("bookmarks", {})
missing = sorted(set(sys.argv[2].split()) - set(bookmarks))
print("missing bookmarks: %s" % missing if missing else "ok")' "$WORK/state-1.json" "$INCREMENTAL")
  [ "$kept" = ok ] && echo "meltano: Meltano kept a bookmark for every incremental stream" \
    || fail "the state Meltano kept after the first run is incomplete: $kept"
  advance_mock_days 1
  export SOURCE_LINKEDIN_PAGES_NOW=2026-11-21T10:00:00Z
  if run jsonl-2 target-jsonl; then
    jsonl_counts jsonl-2 > "$WORK/jsonl-2.counts"
    echo "meltano: target-jsonl records per stream, first run / second run (a day later):"
    for s in $(cut -f1 "$WORK/jsonl-2.counts"); do
      a=$(awk -F'\t' -v s="$s" '$1 == s {print $2}' "$WORK/jsonl-1.counts"); a=${a:-0}
      b=$(awk -F'\t' -v s="$s" '$1 == s {print $2}' "$WORK/jsonl-2.counts")
      printf '  %-28s %6s %6s\n' "$s" "$a" "$b"
      case " $INCREMENTAL " in
        *" $s "*) [ "$b" -lt "$a" ] || fail "$s: the second run re-read everything ($b records after $a): not incremental"
                 [ "$b" -gt 0 ] || fail "$s: the second run read nothing new a day later" ;;
      esac
    done
    for s in $ALL; do grep -q "^$s	" "$WORK/jsonl-2.counts" || fail "target-jsonl: stream $s wrote no file"; done
  fi
fi

# 3. meltanolabs-target-csv: strict about fields the SCHEMA does not declare.
csv_rows() { python3 -c '
import csv, glob
print(sum(sum(1 for _ in csv.reader(open(f))) - 1 for f in glob.glob("output/csv/*.csv")))'; }
if run csv-1 target-csv; then
  r1=$(csv_rows)
  run csv-2 target-csv && echo "meltano: target-csv wrote $r1 rows; after the second run (which rewrites the files) they hold $(csv_rows)"
  [ "$(ls output/csv/*.csv | wc -l)" -ge "$(echo $ALL | wc -w)" ] || fail "target-csv: fewer files than streams"
fi

# 4. target-sqlite on its own Python 3.9 (the example's `python:` setting).
sqlite_rows() {
  python3 -c 'import glob, sqlite3
db = sqlite3.connect(glob.glob("output/linkedin_pages*")[0])
print(sum(db.execute(f"select count(*) from \"{t}\"").fetchone()[0] for (t,) in db.execute("select name from sqlite_master where type=\"table\"")))'
}
if run sqlite-1 target-sqlite; then
  rows1=$(sqlite_rows)
  if run sqlite-2 target-sqlite; then
    rows2=$(sqlite_rows)
    echo "meltano: target-sqlite loaded $rows1 rows; a second run the same day left $rows2 (upserts by key)"
    [ "$rows1" -gt 0 ] && [ "$rows2" -eq "$rows1" ] || fail "target-sqlite rows changed on a same-day rerun ($rows1 -> $rows2)"
  fi
fi
echo "meltano: total ${SECONDS}s"
[ "$failures" = 0 ] || { echo "meltano: $failures check(s) failed"; exit 1; }
echo "meltano: all checks passed"
