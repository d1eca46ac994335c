"""PyAirbyte reads every stream into its Postgres cache. Run it twice against the same cache:
PyAirbyte keeps the state in the cache, so the second read is incremental and merges by
primary key. Usage: pyairbyte_postgres.py BIN MOCK_URL PG_PORT SCHEMA OUT
Writes {"streams": [...], "primary_keys": {stream: [columns]}} as JSON to OUT (PyAirbyte
prints its progress on stdout)."""
import json
import os
import sys

os.environ["AIRBYTE_OFFLINE_MODE"] = "1"  # the Airbyte registry is not reachable here
import airbyte as ab  # noqa: E402
from airbyte.caches import PostgresCache  # noqa: E402

binary, url, port, schema, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
config = {
    "credentials": {"auth_method": "access_token", "access_token": "mock-token"},
    "api_base_url": f"{url}/rest",
    "oauth_base_url": f"{url}/oauth/v2",
}
source = ab.get_source("source-linkedin-pages", config=config, local_executable=binary)
source.select_all_streams()
streams = source.get_available_streams()
cache = PostgresCache(
    host="127.0.0.1",
    port=port,
    username="postgres",
    password="",
    database="postgres",
    schema_name=schema,
)
source.read(cache=cache)
keys = {
    s.stream.name: [k[0] for k in (s.primary_key or s.stream.source_defined_primary_key or [])]
    for s in source.get_configured_catalog().streams
}
with open(out, "w") as f:
    json.dump({"streams": streams, "primary_keys": keys}, f)
