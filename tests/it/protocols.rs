//! Protocol compliance: Airbyte and Singer messages against their schemas, the
//! Python connector's config and state, showcase pages.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::harness::*;

/// A validator that also rejects undeclared fields: the Airbyte catalog's schemas are open
/// (Airbyte's rule), so every object with `properties` is closed here, as the Singer
/// catalog's are, to check that every emitted field is declared.
fn validator(schema: &Value) -> jsonschema::Validator {
    fn close(v: &mut Value) {
        match v {
            Value::Object(o) => {
                if o.contains_key("properties") {
                    o.entry("additionalProperties").or_insert(json!(false));
                }
                o.values_mut().for_each(close);
            }
            Value::Array(a) => a.iter_mut().for_each(close),
            _ => {}
        }
    }
    let mut schema = schema.clone();
    close(&mut schema);
    jsonschema::draft7::new(&schema).unwrap()
}

#[test]
fn compliance_over_all_streams() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
    let catalog = catalog_all(true);
    let cat = write_json(&dir, "catalog.json", &catalog);
    let out = read_ok(&cfg, &cat);
    let msgs = lines(&out);
    let recs = records(&msgs);
    let requests = mock.stats_total();

    for entry in catalog["streams"].as_array().unwrap() {
        let name = entry["stream"]["name"].as_str().unwrap();
        let rows = recs
            .get(name)
            .unwrap_or_else(|| panic!("stream {name} returned no data"));
        assert!(!rows.is_empty(), "{name} returned no data");
        let v = validator(&entry["stream"]["json_schema"]);
        let mut keys = BTreeSet::new();
        for r in rows {
            let errors: Vec<String> = v
                .iter_errors(r)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{name}: record does not match its schema: {errors:?}\n{r}"
            );
            for path in entry["stream"]["source_defined_primary_key"]
                .as_array()
                .unwrap()
            {
                assert!(
                    !r[path[0].as_str().unwrap()].is_null(),
                    "{name}: primary key {path} is null"
                );
            }
            assert!(
                keys.insert(pk_of(name, r, &catalog)),
                "{name}: duplicate primary key in one sync"
            );
        }
    }
    // Statuses: each stream STARTED then COMPLETE.
    let statuses: Vec<(String, String)> = of_type(&msgs, "TRACE")
        .iter()
        .filter(|t| t["trace"]["type"] == "STREAM_STATUS")
        .map(|t| {
            (
                t["trace"]["stream_status"]["stream_descriptor"]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                t["trace"]["stream_status"]["status"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    for entry in catalog["streams"].as_array().unwrap() {
        let name = entry["stream"]["name"].as_str().unwrap();
        let seq: Vec<&str> = statuses
            .iter()
            .filter(|(s, _)| s == name)
            .map(|(_, st)| st.as_str())
            .collect();
        assert_eq!(seq.first(), Some(&"STARTED"), "{name}");
        assert_eq!(seq.last(), Some(&"COMPLETE"), "{name}");
    }

    // Full refresh twice gives identical records (idempotence).
    let again = run(
        &[
            "read",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(
        records(&lines(&again)),
        recs,
        "two reads of the same data differ"
    );

    // Incremental: advance the mock one day; the second read from the first's state emits
    // only rows newer than the bookmarks.
    let state = write_json(&dir, "state.json", &last_states(&msgs));
    mock.control("POST", "clock", &json!({"advance_days": 1}));
    let stats_before = mock.control("GET", "stats", &json!({}));
    let next = run(
        &[
            "read",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ],
        &[("SOURCE_LINKEDIN_PAGES_NOW", "2026-11-21T10:00:00Z")],
    );
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
    let next_recs = records(&lines(&next));
    for (stream, cursor) in [
        ("follower_statistics_daily", "date"),
        ("share_statistics_daily", "date"),
        ("page_statistics_daily", "date"),
        ("posts", "last_modified_at"),
        ("post_comments", "last_modified_at"),
        ("post_reactions", "created_at"),
    ] {
        let old_max = recs[stream]
            .iter()
            .map(|r| r[cursor].as_str().unwrap().to_string())
            .max()
            .unwrap();
        let new = next_recs.get(stream).cloned().unwrap_or_default();
        for r in &new {
            assert!(
                r[cursor].as_str().unwrap() > old_max.as_str(),
                "{stream}: re-emitted {} <= bookmark {old_max}",
                r[cursor]
            );
        }
        if stream.ends_with("_daily") {
            assert_eq!(new.len(), 2, "{stream}: one new day per organization");
        }
    }
    assert!(
        !next_recs
            .get("posts")
            .cloned()
            .unwrap_or_default()
            .is_empty(),
        "a day later some posts are new or edited"
    );
    // Comments and reactions are re-read only for posts whose counts changed.
    let stats_after = mock.control("GET", "stats", &json!({}));
    let calls = |e: &str| -> u64 {
        let n = |s: &Value| s["endpoints"][e]["200"].as_u64().unwrap_or(0);
        n(&stats_after) - n(&stats_before)
    };
    let posts_now = recs["posts"].len() as u64;
    assert!(
        calls("socialActions/comments") < posts_now / 2,
        "{} comment requests for {posts_now} posts",
        calls("socialActions/comments")
    );
    assert!(
        calls("reactions") < posts_now / 2,
        "{} reaction requests for {posts_now} posts",
        calls("reactions")
    );
    eprintln!(
        "incremental: {} comment and {} reaction requests for {posts_now} posts, {} socialMetadata",
        calls("socialActions/comments"),
        calls("reactions"),
        calls("socialMetadata")
    );
    eprintln!(
        "compliance: {} records, {requests} requests on the first sync",
        recs.values().map(Vec::len).sum::<usize>()
    );
}

#[test]
fn singer_protocol_end_to_end() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
    let out = run(&["--config", cfg.to_str().unwrap(), "--discover"], &[]);
    assert!(out.status.success());
    let mut catalog: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Select two streams the way Meltano does.
    for s in catalog["streams"].as_array_mut().unwrap() {
        let keep =
            ["posts", "follower_statistics_daily"].contains(&s["tap_stream_id"].as_str().unwrap());
        s["metadata"][0]["metadata"]["selected"] = json!(keep);
    }
    let cat = write_json(&dir, "catalog.json", &catalog);
    let out = run(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--properties",
            cat.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let msgs = lines(&out);
    let mut schema_seen = BTreeSet::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for m in &msgs {
        match m["type"].as_str().unwrap() {
            "SCHEMA" => {
                schema_seen.insert(m["stream"].as_str().unwrap().to_string());
                assert!(m["key_properties"].is_array());
            }
            "RECORD" => {
                let s = m["stream"].as_str().unwrap();
                assert!(schema_seen.contains(s), "RECORD before SCHEMA for {s}");
                assert!(m["time_extracted"].is_string());
                *counts.entry(s.to_string()).or_default() += 1;
            }
            "STATE" => assert!(m["value"]["bookmarks"].is_object()),
            other => panic!("unexpected Singer message type {other}"),
        }
    }
    assert_eq!(
        counts.keys().cloned().collect::<Vec<_>>(),
        vec!["follower_statistics_daily", "posts"]
    );
    // Resume from the last STATE: nothing new on the same day.
    let state = of_type(&msgs, "STATE").last().unwrap()["value"].clone();
    let st = write_json(&dir, "state.json", &state);
    let again = run(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
            "--state",
            st.to_str().unwrap(),
        ],
        &[],
    );
    assert!(again.status.success());
    assert_eq!(
        of_type(&lines(&again), "RECORD").len(),
        0,
        "a resumed read on the same day re-emitted records"
    );
    let about = run(&["--about", "--format", "json"], &[]);
    let about: Value = serde_json::from_slice(&about.stdout).unwrap();
    assert!(about["capabilities"]
        .as_array()
        .unwrap()
        .contains(&json!("discover")));
}

#[test]
fn python_connector_config_and_state_are_accepted() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let cfg = write_json(
        &dir,
        "config.json",
        &json!({
            "org_id": "2414183",
            "credentials": {"auth_method": "oAuth2.0", "client_id": "mock-client", "client_secret": "mock-secret", "refresh_token": "mock-refresh"},
            "start_date": "2026-01-01T00:00:00Z", "time_granularity_type": "DAY",
            "api_base_url": format!("{}/rest", mock.url), "oauth_base_url": format!("{}/oauth/v2", mock.url),
        }),
    );
    // The Python connector's state: its last bucket ended 2026-11-10T00:00Z.
    let state = write_json(
        &dir,
        "state.json",
        &json!([{"type": "STREAM", "stream": {"stream_descriptor": {"name": "follower_statistics_time_bound"},
        "stream_state": {"timeRangeEnd": 1_794_268_800_000_i64}}}]),
    );
    let cat = write_json(
        &dir,
        "catalog.json",
        &json!({"streams": [{"stream": {"name": "follower_statistics_daily"}, "sync_mode": "incremental", "destination_sync_mode": "append"}]}),
    );
    let out = read_state_ok(&cfg, &cat, &state);
    let recs = records(&lines(&out));
    let dates: Vec<&str> = recs["follower_statistics_daily"]
        .iter()
        .map(|r| r["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates.first(),
        Some(&"2026-11-10"),
        "resumes the day after the Python connector stopped"
    );
    assert_eq!(
        dates.last(),
        Some(&"2026-11-18"),
        "ends at the last final day (now - 2 days)"
    );
    assert!(recs["follower_statistics_daily"]
        .iter()
        .all(|r| r["organization"] == "urn:li:organization:2414183"));
}

#[test]
fn showcase_pages_work_like_organizations() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let mut cfg = mock.config("mock-token");
    cfg["organization_ids"] = json!(["urn:li:organizationBrand:2414183"]);
    let cfg = write_json(&dir, "config.json", &cfg);
    let names = [
        "follower_statistics_daily",
        "share_statistics",
        "posts",
        "post_comments",
    ];
    let entries: Vec<Value> = names.iter()
        .map(|s| json!({"stream": {"name": s}, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"})).collect();
    let cat = write_json(&dir, "catalog.json", &json!({"streams": entries}));
    let out = read_ok(&cfg, &cat);
    let recs = records(&lines(&out));
    for stream in [
        "follower_statistics_daily",
        "share_statistics",
        "posts",
        "post_comments",
    ] {
        assert!(!recs[stream].is_empty(), "{stream}");
        assert!(
            recs[stream]
                .iter()
                .all(|r| r["organization"] == "urn:li:organizationBrand:2414183"),
            "{stream}"
        );
    }
}

/// Field selection in both protocols: deselected fields are neither emitted nor (Singer)
/// announced; the primary key and cursor are kept even when deselected.
#[test]
fn deselected_fields_are_not_emitted() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
    let full = catalog_all(true);
    let mut posts = full["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stream"]["name"] == "posts")
        .unwrap()
        .clone();
    let all_fields: Vec<String> = posts["stream"]["json_schema"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let kept = "commentary";
    assert!(all_fields.iter().any(|f| f == kept), "{all_fields:?}");

    // Airbyte: the configured json_schema lists only the selected fields; the cursor is
    // left out of it and still emitted.
    let props = posts["stream"]["json_schema"]["properties"].clone();
    posts["stream"]["json_schema"]["properties"] = json!({"id": props["id"], kept: props[kept]});
    let cat = write_json(&dir, "airbyte.json", &json!({"streams": [posts]}));
    let out = read_ok(&cfg, &cat);
    let recs = records(&lines(&out));
    assert!(!recs["posts"].is_empty());
    for r in &recs["posts"] {
        let keys: BTreeSet<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["id", kept, "last_modified_at"]),
            "{r}"
        );
    }

    // Singer: `selected: false` on property breadcrumbs, the primary key among them.
    let out = run(&["--config", cfg.to_str().unwrap(), "--discover"], &[]);
    let mut catalog: Value = serde_json::from_slice(&out.stdout).unwrap();
    let dropped = ["commentary", "id", "lifecycle_state"];
    for s in catalog["streams"].as_array_mut().unwrap() {
        let is_posts = s["tap_stream_id"] == "posts";
        for m in s["metadata"].as_array_mut().unwrap() {
            let crumb = m["breadcrumb"].clone();
            if crumb.as_array().unwrap().is_empty() {
                m["metadata"]["selected"] = json!(is_posts);
            } else if dropped.iter().any(|d| crumb[1] == *d) {
                m["metadata"]["selected"] = json!(false);
            }
        }
    }
    let cat = write_json(&dir, "singer.json", &catalog);
    let out = run(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let msgs = lines(&out);
    let schema = &of_type(&msgs, "SCHEMA")[0]["schema"];
    let announced: BTreeSet<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(announced.contains("id") && !announced.contains("commentary"));
    assert!(!announced.contains("lifecycle_state"));
    let rows: Vec<&Value> = of_type(&msgs, "RECORD");
    assert!(!rows.is_empty());
    for r in rows {
        let data = r["record"].as_object().unwrap();
        assert!(data.contains_key("id"), "the primary key is kept");
        assert!(!data.contains_key("commentary") && !data.contains_key("lifecycle_state"));
        for k in data.keys() {
            assert!(
                announced.contains(k.as_str()),
                "{k} emitted but not in SCHEMA"
            );
        }
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("always emitted"), "{stderr}");
}

/// Singer `--test` as singer-sdk taps have it: a connection test with no output on stdout
/// and exit 0/1; `--test=schema` writes SCHEMA messages only and makes no request.
#[test]
fn singer_test_flag() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let good = write_json(&dir, "good.json", &mock.config("mock-token"));
    let bad = write_json(&dir, "bad.json", &mock.config("not-a-token"));
    for flag in ["--test", "--test=all"] {
        let out = run(&["--config", good.to_str().unwrap(), flag], &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{flag}: {stderr}");
        assert!(out.stdout.is_empty(), "{flag} emits nothing on stdout");
        assert!(stderr.contains("Connection test passed"), "{stderr}");
    }
    let out = run(&["--config", bad.to_str().unwrap(), "--test"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Connection test failed"));

    let before = mock.stats_total();
    let out = run(&["--config", bad.to_str().unwrap(), "--test=schema"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let msgs = lines(&out);
    assert_eq!(
        msgs.len(),
        of_type(&msgs, "SCHEMA").len(),
        "only SCHEMA messages"
    );
    let catalog = catalog_all(true);
    assert_eq!(msgs.len(), catalog["streams"].as_array().unwrap().len());
    assert_eq!(mock.stats_total(), before, "--test=schema makes no request");
}
