"""PyAirbyte runs the connector as a local executable, reads every stream into its default
DuckDB cache, then counts rows per stream in DuckDB. Usage: pyairbyte_read.py BIN URL"""
import json
import os
import sys
import tempfile

os.environ["AIRBYTE_OFFLINE_MODE"] = "1"  # the Airbyte registry is not reachable here
import airbyte as ab  # noqa: E402
from sqlalchemy import text  # noqa: E402

binary, url = sys.argv[1], sys.argv[2]
config = {
    "credentials": {"auth_method": "access_token", "access_token": "mock-token"},
    "organization_ids": [2414183, "2415192"],
    "api_base_url": f"{url}/rest",
    "oauth_base_url": f"{url}/oauth/v2",
}
source = ab.get_source("source-linkedin-pages", config=config, local_executable=binary)
source.check()
source.select_all_streams()
streams = source.get_available_streams()
cache_dir = tempfile.mkdtemp()
cache = ab.new_local_cache(cache_name="linkedin_pages", cache_dir=cache_dir)
result = source.read(cache=cache)
# PyAirbyte holds the DuckDB file open; query it through the cache's own DuckDB engine.
engine = cache.get_sql_engine()
assert engine.dialect.name == "duckdb", engine.dialect.name
counts = {}
with engine.connect() as con:
    for stream in streams:
        table = f"{cache.schema_name}.{cache.table_prefix or ''}{stream}"
        counts[stream] = con.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    posts_cols = {r[0] for r in con.execute(text(f"DESCRIBE {cache.schema_name}.{cache.table_prefix or ''}posts"))}
empty = [s for s, n in counts.items() if n == 0]
assert not empty, f"streams loaded no rows: {empty}"

assert {"id", "organization", "last_modified_at", "content_type"} <= posts_cols, posts_cols
print(json.dumps({"pyairbyte_rows_per_stream": counts, "total": sum(counts.values())}))
