//! Catalogs: the discovered catalog in Airbyte and Singer form, and the configured
//! catalog a user hands `read` (either form), validated against the stream table.

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::streams::{StreamDef, STREAMS};

/// One stream chosen for a read.
#[derive(Debug, Clone)]
pub struct Selected {
    pub def: &'static StreamDef,
    pub incremental: bool,
    /// Top-level fields the catalog deselected (Singer `selected: false` on a property's
    /// breadcrumb, or an Airbyte configured `json_schema` without them); empty: all.
    /// Never a primary key or the cursor (their inclusion is `automatic`).
    pub excluded: Vec<String>,
}

impl Selected {
    /// The stream's schema without the deselected fields (what Singer's SCHEMA announces).
    pub(crate) fn schema(&self) -> Value {
        let mut schema = (self.def.schema)();
        if self.excluded.is_empty() {
            return schema;
        }
        if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            props.retain(|k, _| !self.excluded.contains(k));
        }
        if let Some(req) = schema.get_mut("required").and_then(Value::as_array_mut) {
            req.retain(|k| {
                !k.as_str()
                    .is_some_and(|k| self.excluded.iter().any(|x| x == k))
            });
        }
        schema
    }
}

/// Whether a field is always emitted: the primary key and the cursor (Singer's
/// `inclusion: automatic`), which targets need to merge and resume.
fn automatic(def: &StreamDef, field: &str) -> bool {
    def.primary_key.contains(&field) || def.cursor == Some(field)
}

/// The stream's top-level fields for which `deselected` holds, except automatic ones
/// (a deselected automatic field is kept, with a warning).
fn excluded_fields(def: &StreamDef, deselected: impl Fn(&str) -> bool) -> Vec<String> {
    let schema = (def.schema)();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in props.keys().filter(|n| deselected(n)) {
        if automatic(def, name) {
            tracing::warn!(
                stream = def.name,
                field = name.as_str(),
                "Field is a primary key or the cursor (inclusion automatic); it is always emitted"
            );
        } else {
            out.push(name.clone());
        }
    }
    out
}

/// Removes `additionalProperties: false` at every depth. Airbyte wants open schemas: a
/// closed one makes removing a property a breaking change for existing connections
/// (airbytehq/airbyte#14196), and airbyte-cdk's standard `test_discover` fails on it. No
/// data depends on it: fields LinkedIn adds are emitted under the declared
/// `additional_fields`. The Singer catalog keeps the closed schemas strict targets use.
fn open_schema(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.get("additionalProperties") == Some(&Value::Bool(false)) {
                o.remove("additionalProperties");
            }
            o.values_mut().for_each(open_schema);
        }
        Value::Array(items) => items.iter_mut().for_each(open_schema),
        _ => {}
    }
}

/// The Airbyte catalog of every stream.
pub(crate) fn airbyte_catalog() -> Value {
    let streams: Vec<Value> = STREAMS
        .iter()
        .map(|s| {
            let mut schema = (s.schema)();
            open_schema(&mut schema);
            let mut v = json!({
                "name": s.name,
                "json_schema": schema,
                "supported_sync_modes": if s.incremental() { json!(["full_refresh", "incremental"]) } else { json!(["full_refresh"]) },
                "source_defined_primary_key": s.primary_key.iter().map(|k| json!([k])).collect::<Vec<_>>(),
                "is_resumable": s.incremental(),
            });
            if let Some(c) = s.cursor {
                v["source_defined_cursor"] = json!(true);
                v["default_cursor_field"] = json!([c]);
            }
            v
        })
        .collect();
    json!({"streams": streams})
}

/// The Singer catalog of every stream, with standard metadata; every stream selected by default.
pub(crate) fn singer_catalog() -> Value {
    let streams: Vec<Value> = STREAMS
        .iter()
        .map(|s| {
            let schema = (s.schema)();
            let mut metadata = vec![json!({"breadcrumb": [], "metadata": {
                "inclusion": "available",
                "selected-by-default": true,
                "table-key-properties": s.primary_key,
                "forced-replication-method": if s.incremental() { "INCREMENTAL" } else { "FULL_TABLE" },
                "valid-replication-keys": s.cursor.map(|c| vec![c]).unwrap_or_default(),
            }})];
            if let Some(props) = schema["properties"].as_object() {
                for name in props.keys() {
                    metadata.push(json!({"breadcrumb": ["properties", name],
                        "metadata": {"inclusion": if automatic(s, name) { "automatic" } else { "available" }}}));
                }
            }
            let mut v = json!({
                "tap_stream_id": s.name, "stream": s.name, "schema": schema,
                "key_properties": s.primary_key,
                "replication_method": if s.incremental() { "INCREMENTAL" } else { "FULL_TABLE" },
                "metadata": metadata,
            });
            if let Some(c) = s.cursor {
                v["replication_key"] = json!(c);
            }
            v
        })
        .collect();
    json!({"streams": streams})
}

/// Every stream, as a catalog selecting all of them with their default sync mode would.
pub(crate) fn all_selected() -> Vec<Selected> {
    STREAMS
        .iter()
        .map(|def| Selected {
            def,
            incremental: def.incremental(),
            excluded: Vec::new(),
        })
        .collect()
}

fn lookup(file: &str, name: &str) -> Result<&'static StreamDef> {
    crate::streams::find(name).ok_or_else(|| {
        let known: Vec<&str> = STREAMS.iter().map(|s| s.name).collect();
        Error::config(
            file,
            format!(
                "stream '{name}' is not a stream of this connector (streams: {})",
                known.join(", ")
            ),
        )
    })
}

/// Parses a configured catalog in Airbyte or Singer form into the selected streams, in
/// table order.
pub fn parse_configured(file: &str, text: &str) -> Result<Vec<Selected>> {
    let v: Value = serde_json::from_str(text).map_err(|e| Error::bad_json(file, &e))?;
    let entries = v
        .get("streams")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::config(file, "expected an object with a 'streams' list"))?;
    let mut selected: Vec<Selected> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let picked = if let Some(stream) = e.get("stream").filter(|s| s.is_object()) {
            airbyte_entry(file, i, e, stream)?
        } else if e.get("tap_stream_id").is_some() || e.get("metadata").is_some() {
            singer_entry(file, i, e)?
        } else {
            return Err(Error::config(file, format!("streams[{i}] is neither an Airbyte configured stream (with 'stream') nor a Singer catalog entry (with 'tap_stream_id')")));
        };
        if let Some(sel) = picked {
            if selected.iter().any(|s| s.def.name == sel.def.name) {
                return Err(Error::config(
                    file,
                    format!("stream '{}' is listed twice", sel.def.name),
                ));
            }
            selected.push(sel);
        }
    }
    selected.sort_by_key(|s| STREAMS.iter().position(|d| d.name == s.def.name));
    Ok(selected)
}

fn airbyte_entry(file: &str, i: usize, e: &Value, stream: &Value) -> Result<Option<Selected>> {
    let name = stream
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::config(file, format!("streams[{i}].stream.name is missing")))?;
    let def = lookup(file, name)?;
    let mode = match e.get("sync_mode") {
        Some(Value::String(m)) => m.as_str(),
        None | Some(Value::Null) => {
            return Err(Error::config(
                file,
                format!(
                    "streams[{i}] ({name}): sync_mode is missing (full_refresh or incremental)"
                ),
            ))
        }
        Some(other) => {
            return Err(Error::config(
                file,
                format!("streams[{i}] ({name}): sync_mode must be a string, \"full_refresh\" or \"incremental\", not {other}"),
            ))
        }
    };
    let incremental = match mode {
        "full_refresh" => false,
        "incremental" if def.incremental() => true,
        // As the Airbyte CDK does (and PyAirbyte relies on): a stream without a cursor
        // asked for incrementally is read in full.
        "incremental" => {
            tracing::warn!(
                stream = name,
                "Stream supports full_refresh only; reading it in full"
            );
            false
        }
        other => {
            return Err(Error::config(
                file,
                format!("streams[{i}] ({name}): unknown sync_mode '{other}'"),
            ))
        }
    };
    if let Some(cf) = e
        .get("cursor_field")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    {
        let want = def.cursor.map(|c| vec![json!(c)]).unwrap_or_default();
        if incremental && *cf != want {
            return Err(Error::config(file, format!(
                "stream '{name}': cursor_field {} is not supported; the cursor is source-defined: {}",
                Value::Array(cf.clone()), Value::Array(want))));
        }
    }
    // Airbyte's field selection: the platform hands the source a configured stream whose
    // `json_schema` lists only the selected fields. No `properties` there: every field.
    let excluded = match stream
        .get("json_schema")
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
    {
        Some(props) => excluded_fields(def, |f| !props.contains_key(f)),
        None => Vec::new(),
    };
    Ok(Some(Selected {
        def,
        incremental,
        excluded,
    }))
}

fn singer_entry(file: &str, i: usize, e: &Value) -> Result<Option<Selected>> {
    let name = e
        .get("tap_stream_id")
        .or_else(|| e.get("stream"))
        .and_then(Value::as_str)
        .ok_or_else(|| Error::config(file, format!("streams[{i}] has no tap_stream_id")))?;
    let def = lookup(file, name)?;
    let root = e
        .get("metadata")
        .and_then(Value::as_array)
        .and_then(|m| {
            m.iter().find(|x| {
                x.get("breadcrumb")
                    .and_then(Value::as_array)
                    .is_some_and(|b| b.is_empty())
            })
        })
        .and_then(|x| x.get("metadata"));
    let flag = |k: &str| root.and_then(|m| m.get(k)).and_then(Value::as_bool);
    let selected = flag("selected")
        .or_else(|| e.get("selected").and_then(Value::as_bool))
        .or(flag("selected-by-default"))
        .unwrap_or(false);
    if !selected {
        return Ok(None);
    }
    let method = root
        .and_then(|m| m.get("replication-method"))
        .or_else(|| e.get("replication_method"))
        .and_then(Value::as_str);
    let incremental = match method {
        None => def.incremental(),
        Some("FULL_TABLE") => false,
        Some("INCREMENTAL") if def.incremental() => true,
        Some("INCREMENTAL") => {
            tracing::warn!(
                stream = name,
                "Stream supports FULL_TABLE only; reading it in full"
            );
            false
        }
        Some(other) => {
            return Err(Error::config(
                file,
                format!("stream '{name}': unsupported replication-method '{other}'"),
            ))
        }
    };
    // Property-level selection: metadata on `["properties", name]`; `selected` wins over
    // `selected-by-default`, and a property without either is selected.
    let metadata = e.get("metadata").and_then(Value::as_array);
    let property_selected = |field: &str| -> bool {
        let md = metadata.and_then(|m| {
            m.iter().find(|x| {
                x.get("breadcrumb")
                    .and_then(Value::as_array)
                    .is_some_and(|b| {
                        b.len() == 2 && b[0] == "properties" && b[1].as_str() == Some(field)
                    })
            })
        });
        let md = md.and_then(|x| x.get("metadata"));
        let flag = |k: &str| md.and_then(|m| m.get(k)).and_then(Value::as_bool);
        flag("selected")
            .or(flag("selected-by-default"))
            .unwrap_or(true)
    };
    let excluded = excluded_fields(def, |f| !property_selected(f));
    Ok(Some(Selected {
        def,
        incremental,
        excluded,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_and_rejects_bad_entries() {
        let airbyte = r#"{"streams":[{"stream":{"name":"posts","json_schema":{},"supported_sync_modes":["incremental"]},"sync_mode":"incremental","destination_sync_mode":"append"},
            {"stream":{"name":"organizations"},"sync_mode":"full_refresh","destination_sync_mode":"overwrite"}]}"#;
        let s = parse_configured("c", airbyte).unwrap();
        let lenient = r#"{"streams":[{"stream":{"name":"organizations"},"sync_mode":"incremental","destination_sync_mode":"append"}]}"#;
        assert!(
            !parse_configured("c", lenient).unwrap()[0].incremental,
            "read in full, as the Airbyte CDK does"
        );
        assert_eq!(
            s.iter()
                .map(|s| (s.def.name, s.incremental))
                .collect::<Vec<_>>(),
            vec![("organizations", false), ("posts", true)]
        );
        let with_fields = r#"{"streams":[{"stream":{"name":"posts","json_schema":{"properties":{"id":{},"commentary":{},"no_such":{}}}},"sync_mode":"incremental"}]}"#;
        let ex = &parse_configured("c", with_fields).unwrap()[0].excluded;
        assert!(!ex
            .iter()
            .any(|f| f == "id" || f == "commentary" || f == "last_modified_at"));
        assert!(ex.iter().any(|f| f == "lifecycle_state"), "{ex:?}");
        let sel = &parse_configured("c", with_fields).unwrap()[0];
        let props = sel.schema()["properties"].as_object().unwrap().len();
        assert_eq!(props, 3, "id, commentary and the cursor");
        let airbyte = airbyte_catalog().to_string();
        assert!(!airbyte.contains(r#""additionalProperties":false"#));
        assert!(singer_catalog()
            .to_string()
            .contains(r#""additionalProperties":false"#));
        let singer = singer_catalog().to_string();
        assert_eq!(parse_configured("c", &singer).unwrap().len(), STREAMS.len());
        for (text, needle) in [
            ("nope", "not valid JSON"),
            ("{}", "'streams' list"),
            (
                r#"{"streams":[{"stream":{"name":"nope"},"sync_mode":"full_refresh"}]}"#,
                "not a stream of this connector",
            ),
            (
                r#"{"streams":[{"stream":{"json_schema":{}},"sync_mode":"incremental"}]}"#,
                "stream.name is missing",
            ),
            (
                r#"{"streams":[{"stream":{"name":"posts"},"sync_mode":"incremental","cursor_field":["id"]}]}"#,
                "source-defined",
            ),
            (
                r#"{"streams":[{"stream":{"name":"posts"},"sync_mode":"sideways"}]}"#,
                "unknown sync_mode",
            ),
            (r#"{"streams":[{"x":1}]}"#, "neither"),
        ] {
            let e = parse_configured("catalog.json", text).unwrap_err();
            assert!(e.to_string().contains(needle), "{text}: {e}");
        }
    }
}
