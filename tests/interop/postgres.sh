#!/usr/bin/env bash
# A real PostgreSQL: a throwaway cluster (initdb/pg_ctl from this machine, or Debian's
# postgresql package) on a free port under a temp dir, stopped on exit. Every stream is
# loaded twice by two tools, with the mock's clock advanced one day in between:
#   - Meltano (docs/examples/meltano/meltano.yml) into meltanolabs-target-postgres, schema
#     `meltano`, Meltano keeping the state between the runs;
#   - PyAirbyte into its Postgres cache, schema `pyairbyte`, PyAirbyte keeping the state.
# Then, by SQL: every stream has a table, primary keys are never NULL, no key appears twice,
# and the second run added rows to the streams that grow with the clock.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/interop/lib.sh
venv meltano "meltano==4.4.1"
MELTANO="$VENV/bin/meltano"
venv pyairbyte "airbyte==0.71.3"
PYAIRBYTE="$VENV/bin/python"
echo "postgres: tools ready after $(elapsed)s"
start_postgres
echo "postgres: PostgreSQL $(psql_q 'show server_version') on port $PG_PORT"
start_mock --now 2026-11-20T00:00:00Z

# Meltano project: the example as users copy it, the binary and the database filled in.
PROJECT="$WORK/meltano"
mkdir -p "$PROJECT"
sed "s|executable: source-linkedin-pages|executable: $BIN|" docs/examples/meltano/meltano.yml > "$PROJECT/meltano.yml"
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false MELTANO_DISABLE_TRACKING=true
export TAP_LINKEDIN_PAGES_CREDENTIALS_ACCESS_TOKEN=mock-token
export TAP_LINKEDIN_PAGES_API_BASE_URL="$MOCK_URL/rest"
export TAP_LINKEDIN_PAGES_OAUTH_BASE_URL="$MOCK_URL/oauth/v2"
# The throwaway cluster trusts local connections; target-postgres still wants a password.
export TARGET_POSTGRES_PASSWORD=unused TARGET_POSTGRES_HOST=127.0.0.1 TARGET_POSTGRES_PORT="$PG_PORT" TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=meltano
(cd "$PROJECT" && "$MELTANO" install extractor tap-linkedin-pages && "$MELTANO" install loader target-postgres) \
  > "$WORK/meltano-install.log" 2>&1 || { tail -30 "$WORK/meltano-install.log"; exit 1; }
echo "postgres: meltano project installed after $(elapsed)s"

meltano_run() {
  local t0=$SECONDS
  (cd "$PROJECT" && "$MELTANO" run tap-linkedin-pages target-postgres) > "$WORK/meltano-$1.log" 2>&1 \
    || { echo "meltano run $1 failed:"; grep -v '^[│╭╰]' "$WORK/meltano-$1.log" | tail -30; exit 1; }
  echo "postgres: meltano run $1 took $((SECONDS - t0))s"
}
pyairbyte_run() {
  local t0=$SECONDS
  "$PYAIRBYTE" tests/interop/pyairbyte_postgres.py "$BIN" "$MOCK_URL" "$PG_PORT" pyairbyte \
    "$WORK/pyairbyte-$1.json" > "$WORK/pyairbyte-$1.log" 2>&1 \
    || { echo "pyairbyte read $1 failed:"; tail -30 "$WORK/pyairbyte-$1.log"; exit 1; }
  echo "postgres: pyairbyte read $1 took $((SECONDS - t0))s"
}

# Rows per table of a schema, as "table<TAB>rows" lines.
counts() {
  local schema=$1 t
  for t in $(psql_q "select table_name from information_schema.tables where table_schema = '$schema' and table_name not like '\\_airbyte%' order by 1"); do
    printf '%s\t%s\n' "$t" "$(psql_q "select count(*) from \"$schema\".\"$t\"")"
  done
}

export SOURCE_LINKEDIN_PAGES_NOW=2026-11-20T10:00:00Z
meltano_run 1
pyairbyte_run 1
counts meltano > "$WORK/meltano-1.counts"
counts pyairbyte > "$WORK/pyairbyte-1.counts"

advance_mock_days 1
export SOURCE_LINKEDIN_PAGES_NOW=2026-11-21T10:00:00Z
meltano_run 2
pyairbyte_run 2
counts meltano > "$WORK/meltano-2.counts"
counts pyairbyte > "$WORK/pyairbyte-2.counts"

# The streams and their primary keys, from the connector's own catalog.
cp "$WORK/pyairbyte-2.json" "$WORK/keys.json"
failures=0
fail() { echo "postgres: FAIL: $*"; failures=$((failures + 1)); }

# Streams whose rows grow when the clock moves a day: new statistics days, new posts,
# comments and reactions, a new follower snapshot.
GROWING="follower_count follower_statistics_daily share_statistics_daily page_statistics_daily posts post_comments post_reactions"

STREAMS=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["streams"]))' "$WORK/keys.json")
[ "$(echo $STREAMS | wc -w)" -gt 0 ] || { echo "postgres: no streams in the catalog"; exit 1; }
for schema in meltano pyairbyte; do
  echo "postgres: $schema: rows per table after run 1 -> run 2"
  for stream in $STREAMS; do
    table=$stream
    exists=$(psql_q "select count(*) from information_schema.tables where table_schema = '$schema' and table_name = '$table'")
    if [ "$exists" != 1 ]; then fail "$schema.$table: no table for stream $stream"; continue; fi
    r1=$(awk -F'\t' -v t="$table" '$1 == t {print $2}' "$WORK/$schema-1.counts")
    r2=$(awk -F'\t' -v t="$table" '$1 == t {print $2}' "$WORK/$schema-2.counts")
    printf '  %-28s %6s -> %6s\n' "$table" "${r1:-0}" "$r2"
    [ "${r2:-0}" -gt 0 ] || fail "$schema.$table is empty"
    cols=$(python3 -c 'import json,sys; print(",".join("\"%s\"" % c for c in json.load(open(sys.argv[1]))["primary_keys"].get(sys.argv[2], [])))' "$WORK/keys.json" "$stream")
    [ -n "$cols" ] || { fail "$stream has no primary key in the catalog"; continue; }
    nulls=$(psql_q "select count(*) from \"$schema\".\"$table\" where ($(echo "$cols" | sed 's/,/ is null or /g') is null)")
    [ "$nulls" = 0 ] || fail "$schema.$table: $nulls rows with a NULL primary key ($cols)"
    dups=$(psql_q "select count(*) from (select $cols from \"$schema\".\"$table\" group by $cols having count(*) > 1) d")
    [ "$dups" = 0 ] || fail "$schema.$table: $dups primary keys ($cols) appear more than once"
    case " $GROWING " in
      *" $stream "*) [ "${r2:-0}" -gt "${r1:-0}" ] || fail "$schema.$table: no new rows after the clock moved a day (${r1:-0} -> $r2)" ;;
    esac
  done
done

# Meltano kept the state between the runs: the second run was incremental.
(cd "$PROJECT" && "$MELTANO" state list) > "$WORK/state-list.log" 2>&1 || true
grep -q 'tap-linkedin-pages-to-target-postgres' "$WORK/state-list.log" || fail "meltano stored no state for the pipeline"
echo "postgres: total $(elapsed)s"
[ "$failures" = 0 ] || { echo "postgres: $failures check(s) failed"; exit 1; }
echo "postgres: all checks passed"
