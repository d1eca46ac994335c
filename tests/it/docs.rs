//! The docs generators: spec.json, schemas/, catalog/, docs/configuration.md and
//! docs/streams.md are generated from the code, and checked to be in sync.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::harness::*;

/// docs/configuration.md, generated from the spec.
fn configuration_doc(spec: &Value) -> String {
    let mut md = String::from("# Configuration reference\n\n<!-- Generated from spec.json by `make spec`; do not edit. -->\n\n");
    md.push_str("| field | type | default | description |\n|---|---|---|---|\n");
    let props = spec["properties"].as_object().unwrap();
    let mut fields: Vec<(&String, &Value)> = props.iter().collect();
    fields.sort_by_key(|(_, v)| v["order"].as_i64().unwrap_or(99));
    let required: Vec<&str> = spec["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let ty = |v: &Value| -> String {
        if v.get("oneOf").is_some() {
            return "object (one of the forms below)".into();
        }
        match &v["type"] {
            Value::Array(t) => t
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(" or "),
            Value::String(t) if t == "array" => format!(
                "array of {}",
                match &v["items"]["type"] {
                    Value::Array(t) => t
                        .iter()
                        .map(|x| x.as_str().unwrap())
                        .collect::<Vec<_>>()
                        .join(" or "),
                    x => x.as_str().unwrap_or("any").to_string(),
                }
            ),
            Value::String(t) => t.clone(),
            _ => "any".into(),
        }
    };
    for (name, v) in &fields {
        let default = if required.contains(&name.as_str()) {
            "required".to_string()
        } else {
            v.get("default")
                .map(|d| format!("`{d}`"))
                .unwrap_or_else(|| "—".into())
        };
        let mut desc = v["description"].as_str().unwrap_or("").replace('\n', " ");
        if let Some(values) = v["enum"].as_array() {
            desc.push_str(&format!(
                " One of: {}.",
                values
                    .iter()
                    .map(|x| format!("`{}`", x.as_str().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        md.push_str(&format!("| `{name}` | {} | {default} | {desc} |\n", ty(v)));
    }
    md.push_str("\n## `credentials` forms\n");
    for form in props["credentials"]["oneOf"].as_array().unwrap() {
        md.push_str(&format!(
            "\n### {}\n\n{}\n\n",
            form["title"].as_str().unwrap_or(""),
            form["description"].as_str().unwrap_or("")
        ));
        for (k, f) in form["properties"].as_object().unwrap() {
            let secret = if f["airbyte_secret"] == true {
                " (secret)"
            } else {
                ""
            };
            let value = f
                .get("const")
                .map(|c| format!(" = `{c}`"))
                .unwrap_or_default();
            md.push_str(&format!(
                "- `{k}`{value}{secret}: {}\n",
                f["description"].as_str().unwrap_or("")
            ));
        }
    }
    md
}

/// docs/streams.md, generated from the stream table, the catalog and the golden run.
fn streams_doc(catalog_streams: &[Value]) -> String {
    use source_linkedin_pages::streams::STREAMS;
    let golden =
        std::fs::read_to_string(repo("tests/golden/airbyte_read.jsonl")).unwrap_or_default();
    let example = |name: &str| -> Option<Value> {
        golden
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|m| m["type"] == "RECORD" && m["record"]["stream"] == name)
            .map(|m| m["record"]["data"].clone())
    };
    let mut md = String::from("# Stream reference\n\n<!-- Generated from the stream table by `make spec`; do not edit. -->\n\n");
    md.push_str(
        "| stream | sync modes | primary key | cursor | scopes (\"a or b\": either; \"; and\": both) |\n|---|---|---|---|---|\n",
    );
    for s in STREAMS {
        let modes = if s.cursor.is_some() {
            "full_refresh, incremental"
        } else {
            "full_refresh"
        };
        let scopes = source_linkedin_pages::streams::permissions::describe_needs(s.needs);
        md.push_str(&format!(
            "| [{0}](#{0}) | {modes} | {1} | {2} | {scopes} |\n",
            s.name,
            s.primary_key.join(", "),
            s.cursor.unwrap_or("—")
        ));
    }
    for s in STREAMS {
        md.push_str(&format!(
            "\n## {}\n\n{}\n\n- Request: `{}`\n",
            s.name,
            s.description,
            s.endpoint.summary()
        ));
        for p in s.needs {
            md.push_str(&format!(
                "- Permission: `{}`: scopes {}; role {} ([docs]({}))\n",
                p.resource,
                p.describe_scopes(),
                p.role.describe(),
                p.source
            ));
        }
        let schema = &catalog_streams
            .iter()
            .find(|c| c["name"] == s.name)
            .unwrap()["json_schema"];
        let fields: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        md.push_str(&format!(
            "- Fields: {}\n",
            fields
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if let Some(ex) = example(s.name) {
            let mut text = serde_json::to_string_pretty(&ex).unwrap();
            if text.lines().count() > 40 {
                text = text.lines().take(40).collect::<Vec<_>>().join("\n") + "\n  …";
            }
            md.push_str(&format!(
                "\nExample record (from the mock):\n\n```json\n{text}\n```\n"
            ));
        }
    }
    md
}

/// Regenerates (UPDATE_SNAPSHOTS=1) or checks every user-visible generated file.
#[test]
fn generated_files_are_in_sync() {
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok();
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let spec = lines(&run(&["spec"], &[]));
    files.push((
        repo("spec.json"),
        serde_json::to_string_pretty(&spec[0]["spec"]).unwrap() + "\n",
    ));
    let dir = tmp_dir();
    let cfg = write_json(
        &dir,
        "c.json",
        &json!({"credentials": {"auth_method": "access_token", "access_token": "x"}}),
    );
    let cat = lines(&run(&["discover", "--config", cfg.to_str().unwrap()], &[]));
    let streams = cat[0]["catalog"]["streams"].as_array().unwrap().clone();
    for s in &streams {
        let mut schema = s["json_schema"].clone();
        schema["$schema"] = json!("http://json-schema.org/draft-07/schema#");
        files.push((
            repo(&format!("schemas/{}.json", s["name"].as_str().unwrap())),
            serde_json::to_string_pretty(&schema).unwrap() + "\n",
        ));
    }
    let configured = |names: &dyn Fn(&Value) -> bool, incremental: bool| {
        let list: Vec<Value> = streams
            .iter()
            .filter(|s| names(s))
            .map(|s| {
                let inc = incremental
                    && s["supported_sync_modes"]
                        .as_array()
                        .unwrap()
                        .contains(&json!("incremental"));
                json!({"stream": s, "sync_mode": if inc { "incremental" } else { "full_refresh" },
                   "destination_sync_mode": if inc { "append_dedup" } else { "overwrite" }})
            })
            .collect();
        serde_json::to_string_pretty(&json!({"streams": list})).unwrap() + "\n"
    };
    files.push((
        repo("catalog/all_streams.json"),
        configured(&|_| true, true),
    ));
    files.push((
        repo("catalog/incremental_only.json"),
        configured(
            &|s| {
                s["supported_sync_modes"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("incremental"))
            },
            true,
        ),
    ));
    files.push((
        repo("catalog/first_try.json"),
        configured(
            &|s| {
                ["organizations", "follower_statistics_daily", "posts"]
                    .contains(&s["name"].as_str().unwrap())
            },
            true,
        ),
    ));
    files.push((
        repo("docs/configuration.md"),
        configuration_doc(&spec[0]["spec"]["connectionSpecification"]),
    ));
    files.push((repo("docs/streams.md"), streams_doc(&streams)));
    let mut stale = Vec::new();
    for (path, content) in files {
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale (run `make spec`): {stale:?}"
    );
}
