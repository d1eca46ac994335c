//! The conformance corpus (tests/conformance/): LinkedIn's documented response shapes,
//! written independently of the mock. Every element of every corpus response is decoded with
//! the connector's own decoder for its stream and must give a schema-valid record; the corpus
//! and the permission table must cite LinkedIn's pages and cover every endpoint the stream
//! table calls.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::Value;
use source_linkedin_pages::config::Granularity;
use source_linkedin_pages::streams::records::RecordCtx;
use source_linkedin_pages::streams::{find, STREAMS};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every corpus response file, sorted by name.
fn corpus() -> Vec<(String, Value)> {
    let dir = repo("tests/conformance/responses");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                read_json(p),
            )
        })
        .collect()
}

/// The elements a stream decodes from one response, as LinkedIn nests them.
fn elements(name: &str, file: &Value) -> Vec<Value> {
    let resp = &file["response"];
    match file["elements_at"].as_str().unwrap_or("") {
        "elements" => resp["elements"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: response.elements is not an array"))
            .clone(),
        "results" => resp["results"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: response.results is not an object"))
            .values()
            .cloned()
            .collect(),
        "" => vec![resp.clone()],
        other => panic!("{name}: unknown elements_at {other:?}"),
    }
}

/// The partition the engine would pass: the organization (or brand) and post the request
/// names, and the variant (video metric or taxonomy kind).
fn ctx_parts(file: &Value, element: &Value) -> (String, Option<String>, Option<String>) {
    let request = file["request"].as_str().unwrap_or_default();
    let decoded = request.replace("%3A", ":");
    let org = if decoded.contains("urn:li:organizationBrand:") {
        "urn:li:organizationBrand:8810022".to_string()
    } else {
        "urn:li:organization:5509810".to_string()
    };
    let post = ["share", "ugcPost", "entity", "root"]
        .iter()
        .find_map(|k| element[*k].as_str())
        .map(str::to_string)
        .or_else(|| Some("urn:li:share:7390012233445566778".to_string()));
    let variant = match file["stream"].as_str().unwrap_or_default() {
        "functions" => Some("function".to_string()),
        "seniorities" => Some("seniority".to_string()),
        "industries" => Some("industry".to_string()),
        _ => element["type"].as_str().map(str::to_string),
    };
    (org, post, variant)
}

#[test]
fn every_corpus_file_cites_a_learn_page_and_has_a_request_and_response() {
    let files = corpus();
    assert!(
        files.len() >= 14,
        "the corpus needs one file per endpoint called (at least 14), found {}",
        files.len()
    );
    for (name, f) in &files {
        let source = f["source"].as_str().unwrap_or_default();
        assert!(
            source.starts_with("https://learn.microsoft.com/en-us/linkedin/"),
            "{name}: source must be a Microsoft Learn LinkedIn page, got {source:?}"
        );
        for key in ["endpoint", "request"] {
            assert!(
                f[key].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: missing {key}"
            );
        }
        assert!(
            f["response"].is_object(),
            "{name}: response is not an object"
        );
        if let Some(stream) = f["stream"].as_str() {
            assert!(find(stream).is_some(), "{name}: no stream named {stream}");
        }
    }
}

#[test]
fn every_documented_element_decodes_into_a_schema_valid_record() {
    let mut decoded = 0;
    for (name, f) in corpus() {
        let Some(stream) = f["stream"].as_str() else {
            continue;
        };
        let def = find(stream).unwrap_or_else(|| panic!("{name}: no stream {stream}"));
        let schema = read_json(&repo(&format!("schemas/{stream}.json")));
        let validator = jsonschema::draft7::new(&schema)
            .unwrap_or_else(|e| panic!("schemas/{stream}.json: {e}"));
        let els = elements(&name, &f);
        assert!(!els.is_empty(), "{name}: no elements to decode");
        for (i, el) in els.iter().enumerate() {
            let (org, post, variant) = ctx_parts(&f, el);
            let ctx = RecordCtx {
                organization: &org,
                granularity: Granularity::DAY,
                snapshot_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                post: post.as_deref(),
                variant: variant.as_deref(),
            };
            let mut out = Vec::new();
            (def.decode)(&ctx, &el.to_string(), &mut out)
                .unwrap_or_else(|e| panic!("{name}[{i}] ({stream}): decode failed: {e}"));
            let record: Value = serde_json::from_slice(&out)
                .unwrap_or_else(|e| panic!("{name}[{i}]: decoder wrote invalid JSON: {e}"));
            let errors: Vec<String> = validator
                .iter_errors(&record)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{name}[{i}] ({stream}): record does not match schemas/{stream}.json: {errors:?}\nrecord: {record}"
            );
            for k in def.primary_key {
                assert!(
                    !record[*k].is_null() && record[*k] != Value::String(String::new()),
                    "{name}[{i}] ({stream}): primary key {k} is empty in {record}"
                );
            }
            decoded += 1;
        }
    }
    assert!(decoded > 0, "no corpus element was decoded");
}

#[test]
fn every_stream_has_a_corpus_file_and_a_permission_row_for_its_resource() {
    let files = corpus();
    let perms = read_json(&repo("tests/conformance/permissions.json"));
    let rows = perms.as_array().expect("permissions.json is an array");
    for row in rows {
        let source = row["source"].as_str().unwrap_or_default();
        assert!(
            source.starts_with("https://learn.microsoft.com/"),
            "permission row {} does not cite a Learn page: {source:?}",
            row["endpoint"]
        );
        assert!(
            row["scopes_any"].is_array(),
            "{}: scopes_any",
            row["endpoint"]
        );
    }
    let covered: BTreeSet<&str> = files
        .iter()
        .filter_map(|(_, f)| f["stream"].as_str())
        .collect();
    for s in STREAMS {
        assert!(
            covered.contains(s.name),
            "stream {} has no documented response in tests/conformance/responses",
            s.name
        );
        let resource = s.endpoint.resource();
        let needle = format!("/rest/{resource}");
        assert!(
            rows.iter()
                .any(|r| r["path"].as_str().is_some_and(|p| p.contains(&needle))),
            "stream {} calls {resource}, which has no row in permissions.json",
            s.name
        );
    }
}
