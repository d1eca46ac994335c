//! Singer message shapes (as singer-sdk writes them), as JSON values.

use serde_json::{json, Value};

pub(crate) fn schema(
    stream: &str,
    schema: &Value,
    key_properties: &[&str],
    bookmark: Option<&str>,
) -> Value {
    let mut m = json!({"type": "SCHEMA", "stream": stream, "schema": schema, "key_properties": key_properties});
    if let Some(b) = bookmark {
        m["bookmark_properties"] = json!([b]);
    }
    m
}

pub(crate) fn state(value: &Value) -> Value {
    json!({"type": "STATE", "value": value})
}
