#!/usr/bin/env bash
# Meltano runs the connector as a custom extractor into target-jsonl and target-sqlite,
# twice each; the second run must be incremental from Meltano's stored state.
# (meltanolabs-target-postgres is left out: no PostgreSQL server runs here by default.)
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/interop/lib.sh
venv meltano "meltano==4.4.1"
start_mock
PROJECT="$WORK/project"
mkdir -p "$PROJECT"
sed "s|executable: source-linkedin-pages|executable: $PWD/target/debug/source-linkedin-pages|" \
  docs/examples/meltano/meltano.yml > "$PROJECT/meltano.yml"
# target-sqlite 0.2.0 (the only SQLite target on PyPI) needs Python 3.9 or older: its
# pinned SQLAlchemy imports collections.MutableMapping. Use one if this machine has it.
PY_OLD=$(ls "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/3.9*/bin/python3.9 2>/dev/null | head -1 || true)
[ -n "$PY_OLD" ] || PY_OLD=$(command -v python3.9 || true)
if [ -n "$PY_OLD" ]; then
  sed -i "s|      namespace: target_sqlite|      namespace: target_sqlite\n      python: $PY_OLD|" "$PROJECT/meltano.yml"
fi
cd "$PROJECT"
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false MELTANO_DISABLE_TRACKING=true
export TAP_LINKEDIN_PAGES_ACCESS_TOKEN=mock-token
export TAP_LINKEDIN_PAGES_API_BASE_URL="$MOCK_URL/rest"
export TAP_LINKEDIN_PAGES_OAUTH_BASE_URL="$MOCK_URL/oauth/v2"
M="$VENV/bin/meltano"
"$M" install > "$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; exit 1; }
count_jsonl() { cat output/*.jsonl 2>/dev/null | wc -l; }
"$M" run tap-linkedin-pages target-jsonl > "$WORK/run1.log" 2>&1 || { grep -v '^[│╭╰]' "$WORK/run1.log" | tail -30; exit 1; }
first=$(count_jsonl)
"$M" run tap-linkedin-pages target-jsonl > "$WORK/run2.log" 2>&1 || { grep -v '^[│╭╰]' "$WORK/run2.log" | tail -30; exit 1; }
second=$(( $(count_jsonl) - first ))
echo "meltano: target-jsonl first run $first records, second run $second (incremental from Meltano's state)"
[ "$first" -gt 0 ] || { echo "the first run loaded nothing"; exit 1; }
# Same mock day: the stored state leaves only the full-refresh organizations stream.
[ "$second" -lt "$first" ] || { echo "the second run was not incremental"; exit 1; }
if [ -z "$PY_OLD" ]; then
  echo "meltano: target-sqlite skipped: it needs Python 3.9 or older and this machine has none"
  exit 0
fi
sqlite_rows() {
  python3 -c 'import glob, sqlite3
db = sqlite3.connect(glob.glob("output/linkedin_pages*")[0])
print(sum(db.execute(f"select count(*) from \"{t}\"").fetchone()[0] for (t,) in db.execute("select name from sqlite_master where type=\"table\"")))'
}
"$M" run tap-linkedin-pages target-sqlite > "$WORK/run3.log" 2>&1 || { grep -v '^[│╭╰]' "$WORK/run3.log" | tail -30; exit 1; }
rows1=$(sqlite_rows)
"$M" run tap-linkedin-pages target-sqlite > "$WORK/run4.log" 2>&1 || { grep -v '^[│╭╰]' "$WORK/run4.log" | tail -30; exit 1; }
rows2=$(sqlite_rows)
echo "meltano: target-sqlite loaded $rows1 rows; a second run left $rows2 (upserts by key, nothing duplicated)"
[ "$rows1" -gt 0 ] && [ "$rows2" -eq "$rows1" ] || { echo "target-sqlite rows changed on an incremental rerun"; exit 1; }
