//! One integration-test binary: the real connector binary against the mock API, with
//! stdout decoded by test-only code (independent of the code that wrote it).
// Test diagnostics go to the test runner's stderr.
#![allow(clippy::disallowed_macros)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use linkedin_mock::Scenario;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_source-linkedin-pages");
/// The mock's clock and the connector's frozen clock (10 hours later the same day).
const MOCK_NOW_MS: i64 = 1_795_132_800_000; // 2026-11-20T00:00:00Z
const CONNECTOR_NOW: &str = "2026-11-20T10:00:00Z";

// ------------------------------------------------------------------ harness

struct Mock {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Mock {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

fn scenario() -> Scenario {
    Scenario {
        now_ms: Some(MOCK_NOW_MS),
        ..Scenario::default()
    }
}

fn start_mock(scenario: Scenario) -> Mock {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            linkedin_mock::serve(listener, scenario, async {
                let _ = stop_rx.await;
            })
            .await
            .unwrap();
        });
    });
    let addr = addr_rx.recv().unwrap();
    Mock {
        url: format!("http://{addr}"),
        stop: Some(stop_tx),
    }
}

impl Mock {
    fn control(&self, method: &str, path: &str, body: &Value) -> Value {
        let addr = self.url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let body = body.to_string();
        write!(s, "{method} /__mock/{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (_, body) = resp.split_once("\r\n\r\n").unwrap();
        serde_json::from_str(body).unwrap_or(Value::Null)
    }
    fn stats_total(&self) -> u64 {
        self.control("GET", "stats", &json!({}))["total"]
            .as_u64()
            .unwrap()
    }
    fn config(&self, token: &str) -> Value {
        json!({
            "credentials": {"auth_method": "access_token", "access_token": token},
            "api_base_url": format!("{}/rest", self.url),
            "oauth_base_url": format!("{}/oauth/v2", self.url),
            "max_retries": 4,
            "request_timeout_secs": 5,
        })
    }
}

fn tmp_dir() -> PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("slp-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_json(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("SOURCE_LINKEDIN_PAGES_NOW", CONNECTOR_NOW)
        .env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).output().unwrap()
}

/// `read --config cfg --catalog cat`, which must succeed.
fn read_ok(cfg: &Path, cat: &Path) -> Output {
    let out = run(
        &[
            "read",
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
    out
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l}"))
        })
        .collect()
}

fn of_type<'a>(msgs: &'a [Value], t: &str) -> Vec<&'a Value> {
    msgs.iter().filter(|m| m["type"] == t).collect()
}

/// Records per stream (Airbyte), in a canonical order: partitions run concurrently, so
/// the order across organizations is not part of the contract.
fn records(msgs: &[Value]) -> BTreeMap<String, Vec<Value>> {
    let mut m: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for r in of_type(msgs, "RECORD") {
        m.entry(r["record"]["stream"].as_str().unwrap().to_string())
            .or_default()
            .push(r["record"]["data"].clone());
    }
    for rows in m.values_mut() {
        rows.sort_by_key(|r| r.to_string());
    }
    m
}

/// The latest Airbyte per-stream state payloads, as `read --state` takes them.
fn last_states(msgs: &[Value]) -> Value {
    let mut by_stream: BTreeMap<String, Value> = BTreeMap::new();
    for s in of_type(msgs, "STATE") {
        let name = s["state"]["stream"]["stream_descriptor"]["name"]
            .as_str()
            .unwrap()
            .to_string();
        by_stream.insert(name, s["state"].clone());
    }
    Value::Array(by_stream.into_values().collect())
}

fn catalog_all(incremental: bool) -> Value {
    let cat: Value =
        serde_json::from_str(&std::fs::read_to_string(repo("catalog/all_streams.json")).unwrap())
            .unwrap();
    if incremental {
        cat
    } else {
        let streams: Vec<Value> = cat["streams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s["sync_mode"] = json!("full_refresh");
                s
            })
            .collect();
        json!({"streams": streams})
    }
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn pk_of(stream: &str, data: &Value, catalog: &Value) -> String {
    let entry = catalog["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stream"]["name"] == stream)
        .unwrap();
    entry["stream"]["source_defined_primary_key"]
        .as_array()
        .unwrap()
        .iter()
        .map(|path| data[path[0].as_str().unwrap()].to_string())
        .collect::<Vec<_>>()
        .join("|")
}

// ------------------------------------------------------------------ snapshots

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

/// Golden runs per protocol: a small dataset, a frozen clock, a sequential read. Any change
/// to what users receive shows up as a diff of these files (UPDATE_SNAPSHOTS=1 rewrites them).
#[test]
fn golden_runs_per_protocol() {
    let mock = start_mock(Scenario {
        orgs: 1,
        posts_per_org: 4,
        days: 5,
        comments_per_post: 2,
        reactions_per_post: 2,
        ..scenario()
    });
    let dir = tmp_dir();
    let mut cfg = mock.config("mock-token");
    cfg["max_concurrency"] = json!(1);
    let cfg = write_json(&dir, "config.json", &cfg);
    let airbyte = run(
        &[
            "read",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            repo("catalog/all_streams.json").to_str().unwrap(),
        ],
        &[],
    );
    assert!(airbyte.status.success());
    let singer_catalog = run(&["--config", cfg.to_str().unwrap(), "--discover"], &[]);
    let cat = dir.join("singer_catalog.json");
    std::fs::write(&cat, &singer_catalog.stdout).unwrap();
    let singer = run(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
        ],
        &[],
    );
    assert!(singer.status.success());
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok();
    for (name, out) in [
        ("airbyte_read.jsonl", &airbyte.stdout),
        ("singer_read.jsonl", &singer.stdout),
    ] {
        let path = repo(&format!("tests/golden/{name}"));
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, out).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        let got = String::from_utf8_lossy(out);
        if want != got {
            let diff = want
                .lines()
                .zip(got.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| {
                    format!(
                        "first difference at line {}:\n  golden: {a}\n  now:    {b}",
                        i + 1
                    )
                })
                .unwrap_or_else(|| {
                    format!(
                        "golden has {} lines, now {}",
                        want.lines().count(),
                        got.lines().count()
                    )
                });
            panic!("{name} changed (run `make spec` if intended): {diff}");
        }
    }
}

// ------------------------------------------------------------------ check

fn check(mock: &Mock, config: &Value) -> (String, String) {
    let dir = tmp_dir();
    let p = write_json(&dir, "config.json", config);
    let out = run(&["check", "--config", p.to_str().unwrap()], &[]);
    assert!(
        out.status.success(),
        "check must exit 0 even when the connection fails"
    );
    let msgs = lines(&out);
    let cs = &of_type(&msgs, "CONNECTION_STATUS")[0]["connectionStatus"];
    let _ = mock;
    (
        cs["status"].as_str().unwrap().to_string(),
        cs["message"].as_str().unwrap().to_string(),
    )
}

#[test]
fn check_diagnoses_every_token_problem() {
    let mock = start_mock(scenario());
    let (s, m) = check(&mock, &mock.config("mock-token"));
    assert_eq!(s, "SUCCEEDED", "{m}");
    assert!(m.contains("2 page(s)"), "{m}");
    let before = mock.stats_total();
    check(&mock, &mock.config("mock-token"));
    assert!(
        mock.stats_total() - before <= 3,
        "check must cost at most 3 requests"
    );

    for (token, status, needle) in [
        ("mock-expired", "FAILED", "expired"),
        ("mock-revoked", "FAILED", "revoked"),
        ("not-a-token", "FAILED", "not the refresh token"),
        (
            "AQXmock-refresh-like",
            "FAILED",
            "looks like a refresh token",
        ),
        ("mock-not-admin", "FAILED", "administers no LinkedIn page"),
        // Under LinkedIn's documented model this token (no admin scope) cannot list pages.
        (
            "mock-no-followers-scope",
            "FAILED",
            "Organization discovery (organizationAcls",
        ),
        ("  \"Bearer mock-token\"\n", "SUCCEEDED", "'Bearer '"),
    ] {
        let (s, m) = check(&mock, &mock.config(token));
        assert_eq!(s, status, "{token}: {m}");
        assert!(m.contains(needle), "{token}: {m}");
    }
    let (_, m) = check(&mock, &mock.config("mock-no-followers-scope"));
    assert!(m.contains("rw_organization_admin"), "{m}");

    let mut cfg = mock.config("mock-not-admin");
    cfg["organization_ids"] = json!([2414183]);
    let (s, m) = check(&mock, &cfg);
    assert_eq!(s, "FAILED");
    assert!(
        m.contains("not an ADMINISTRATOR of urn:li:organization:2414183"),
        "{m}"
    );

    let mut cfg = mock.config("mock-token");
    cfg["api_version"] = json!("202001");
    let (s, m) = check(&mock, &cfg);
    assert_eq!(s, "FAILED");
    assert!(m.contains("api_version"), "{m}");

    let mut cfg = mock.config("mock-token");
    cfg["api_base_url"] = json!("http://127.0.0.1:9/rest");
    cfg["max_retries"] = json!(0);
    let (s, m) = check(&mock, &cfg);
    assert_eq!(s, "FAILED");
    assert!(m.contains("127.0.0.1:9"), "{m}");

    let (s, m) = check(&mock, &json!({}));
    assert_eq!(s, "FAILED");
    assert!(m.contains("credentials"), "{m}");

    let mut oauth = mock.config("x");
    oauth["credentials"] = json!({"auth_method": "oauth2.0", "client_id": "mock-client", "client_secret": "mock-secret", "refresh_token": "mock-refresh"});
    assert_eq!(check(&mock, &oauth).0, "SUCCEEDED");
    oauth["credentials"]["client_secret"] = json!("wrong-secret");
    let (s, m) = check(&mock, &oauth);
    assert_eq!(s, "FAILED");
    assert!(m.contains("client ID or client secret"), "{m}");
}

fn check_token(mock: &Mock, stdin: &str, extra: &[&str]) -> (bool, String) {
    let api = format!("{}/rest", mock.url);
    let oauth = format!("{}/oauth/v2", mock.url);
    let mut args = vec![
        "check-token",
        "--api-base-url",
        &api,
        "--oauth-base-url",
        &oauth,
    ];
    args.extend_from_slice(extra);
    let mut child = Command::new(BIN)
        .args(&args)
        .env_remove("LINKEDIN_ACCESS_TOKEN")
        .env_remove("LINKEDIN_CLIENT_ID")
        .env_remove("LINKEDIN_CLIENT_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !text.contains("\x1b["),
        "no colour when stdout is not a terminal"
    );
    (out.status.success(), text)
}

#[test]
fn check_token_reports_for_a_person() {
    let mock = start_mock(scenario());
    let (ok, r) = check_token(&mock, "mock-token\n", &[]);
    assert!(ok, "{r}");
    assert!(
        r.contains("Pages:        2414183") && r.contains("OK: the token can sync"),
        "{r}"
    );
    assert!(
        r.lines()
            .any(|l| l.trim_start().starts_with("rw_organization_admin ") && l.contains(" yes ")),
        "{r}"
    );
    assert!(
        !r.contains("Note:"),
        "a trailing newline on stdin is not a paste mistake: {r}"
    );
    let (ok, r) = check_token(&mock, "  Bearer mock-token  ", &[]);
    assert!(ok);
    assert!(r.contains("'Bearer '"), "{r}");
    let (ok, r) = check_token(
        &mock,
        "mock-no-followers-scope",
        &[
            "--client-id",
            "mock-client",
            "--client-secret",
            "mock-secret",
        ],
    );
    assert!(!ok, "without the admin scope no page can be found: {r}");
    assert!(
        r.contains("Token:        active, expires"),
        "introspection gives the expiry: {r}"
    );
    assert!(
        r.contains("Organization discovery (organizationAcls"),
        "{r}"
    );
    for (token, needle) in [
        ("mock-expired", "expired"),
        ("mock-revoked", "revoked"),
        ("mock-not-admin", "administers no LinkedIn page"),
        ("", "No token given"),
    ] {
        let (ok, r) = check_token(&mock, token, &[]);
        assert!(!ok, "{token}: {r}");
        assert!(r.contains(needle), "{token}: {r}");
    }
    let (_, r) = check_token(
        &mock,
        "canary-5e4d3c2b1a",
        &[
            "--client-id",
            "mock-client",
            "--client-secret",
            "canary-5e4d3c2b1a",
        ],
    );
    assert!(!r.contains("canary-5e4d3c2b1a"), "{r}");
}

#[test]
fn oauth_refresh_keeps_a_sync_alive() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let mut cfg = mock.config("x");
    cfg["credentials"] = json!({"auth_method": "oauth2.0", "client_id": "mock-client", "client_secret": "mock-secret", "refresh_token": "mock-refresh-expiring"});
    let cfg = write_json(&dir, "config.json", &cfg);
    let cat = write_json(
        &dir,
        "catalog.json",
        &json!({"streams": [{"stream": {"name": "posts"}, "sync_mode": "incremental", "destination_sync_mode": "append"}]}),
    );
    // The token expires mid-sync: the connector refreshes once and carries on.
    mock.control(
        "POST",
        "faults",
        &json!({"fault": "expired", "count": 1, "path": "/rest/posts"}),
    );
    let out = read_ok(&cfg, &cat);
    assert_eq!(records(&lines(&out))["posts"].len(), 40);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refreshing it once"), "{stderr}");
    assert!(
        stderr.contains("refresh token expires in 12 days"),
        "warns 30 days ahead: {stderr}"
    );
    let stats = mock.control("GET", "stats", &json!({}));
    assert_eq!(
        stats["endpoints"]["oauth/v2/accessToken"]["200"], 2,
        "minted at start and once after the 401"
    );
    // A second 401 after the refresh is not retried forever.
    mock.control(
        "POST",
        "faults",
        &json!({"fault": "expired", "count": 5, "path": "/rest/posts"}),
    );
    let out = run(
        &[
            "read",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
}

// ------------------------------------------------------------------ compliance

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft7::new(schema).unwrap()
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
    let out = run(
        &[
            "read",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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

// ------------------------------------------------------------------ reliability

fn pk_set(msgs: &[Value], catalog: &Value) -> BTreeSet<String> {
    records(msgs)
        .iter()
        .flat_map(|(s, rows)| {
            rows.iter()
                .map(move |r| format!("{s}|{}", pk_of(s, r, catalog)))
        })
        .collect()
}

#[test]
fn a_flaky_api_yields_exactly_the_clean_record_set() {
    let small = Scenario {
        orgs: 1,
        posts_per_org: 10,
        comments_per_post: 3,
        reactions_per_post: 3,
        ..scenario()
    };
    let clean_mock = start_mock(small.clone());
    let flaky_mock = start_mock(Scenario {
        fault_rate: 0.2,
        slow_ms: 3_000,
        seed: 42,
        ..small
    });
    let dir = tmp_dir();
    let catalog = catalog_all(true);
    let cat = write_json(&dir, "catalog.json", &catalog);
    let clean_cfg = write_json(&dir, "clean.json", &clean_mock.config("mock-token"));
    let mut flaky = flaky_mock.config("mock-token");
    flaky["request_timeout_secs"] = json!(1);
    flaky["max_retries"] = json!(10);
    let flaky_cfg = write_json(&dir, "flaky.json", &flaky);
    let clean = run(
        &[
            "read",
            "--config",
            clean_cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
        ],
        &[],
    );
    let noisy = read_ok(&flaky_cfg, &cat);
    let stats = flaky_mock.control("GET", "stats", &json!({}));
    let errors: u64 = stats["endpoints"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|e| {
            e.as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| k.as_str() != "200")
                .map(|(_, v)| v.as_u64().unwrap())
        })
        .sum();
    assert!(errors > 0, "the flaky mock injected no error status");
    assert_eq!(
        pk_set(&lines(&noisy), &catalog),
        pk_set(&lines(&clean), &catalog)
    );
    assert_eq!(records(&lines(&noisy)), records(&lines(&clean)));
}

#[test]
fn daily_quota_checkpoints_then_resumes_without_loss() {
    let catalog = catalog_all(true);
    let dir = tmp_dir();
    let cat = write_json(&dir, "catalog.json", &catalog);
    let clean_mock = start_mock(scenario());
    let clean_cfg = write_json(&dir, "clean.json", &clean_mock.config("mock-token"));
    let clean = lines(&run(
        &[
            "read",
            "--config",
            clean_cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
        ],
        &[],
    ));
    let want = pk_set(&clean, &catalog);

    let mock = start_mock(Scenario {
        quota: Some(90),
        ..scenario()
    });
    let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
    let first = run(
        &[
            "read",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        !first.status.success(),
        "a daily-quota stop must exit non-zero"
    );
    let msgs = lines(&first);
    let errors: Vec<&Value> = of_type(&msgs, "TRACE")
        .into_iter()
        .filter(|t| t["trace"]["type"] == "ERROR")
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e["trace"]["error"]["failure_type"] == "transient_error"
                && e["trace"]["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("midnight UTC")),
        "{errors:?}"
    );
    assert!(of_type(&msgs, "TRACE")
        .iter()
        .any(|t| t["trace"]["stream_status"]["status"] == "INCOMPLETE"
            && t["trace"]["stream_status"]["reasons"][0]["type"] == "RATE_LIMITED"));
    let calls = mock.stats_total();
    assert!(
        calls <= 90 + 4,
        "kept calling after the quota was gone: {calls} requests for a quota of 90"
    );
    // Resume after each quota reset (midnight UTC) until a run completes;
    // together the runs must hold every record of the clean run.
    let mut got = pk_set(&msgs, &catalog);
    let mut all_msgs = msgs.clone();
    let mut finished = false;
    for day in 1..=6 {
        let state = write_json(&dir, &format!("state{day}.json"), &last_states(&all_msgs));
        mock.control("DELETE", "quota", &json!({}));
        let out = run(
            &[
                "read",
                "--config",
                cfg.to_str().unwrap(),
                "--catalog",
                cat.to_str().unwrap(),
                "--state",
                state.to_str().unwrap(),
            ],
            &[],
        );
        let m = lines(&out);
        eprintln!(
            "day {day}: exit {:?}, {} records, {} states; {}",
            out.status.code(),
            of_type(&m, "RECORD").len(),
            of_type(&m, "STATE").len(),
            of_type(&m, "TRACE")
                .iter()
                .filter(|t| t["trace"]["type"] == "ERROR")
                .map(|t| t["trace"]["error"]["message"]
                    .as_str()
                    .unwrap()
                    .chars()
                    .take(120)
                    .collect::<String>())
                .collect::<Vec<_>>()
                .join(" / ")
        );
        got.extend(pk_set(&m, &catalog));
        all_msgs.extend(m);
        if out.status.success() {
            finished = true;
            break;
        }
    }
    assert!(finished, "no resumed run completed within 6 days");
    let missing: Vec<&String> = want.iter().filter(|k| !got.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "records lost across the quota stop: {} e.g. {:?}",
        missing.len(),
        missing.first()
    );
}

/// Records the platform has committed: those before the last STATE of the output.
fn committed(msgs: &[Value]) -> &[Value] {
    let last_state = msgs
        .iter()
        .rposition(|m| m["type"] == "STATE")
        .map_or(0, |i| i + 1);
    &msgs[..last_state]
}

/// kill -9 at spread-out instants, then resume from the last STATE printed: every record
/// of an uninterrupted run is in what was committed before the kill plus the resumed run.
#[test]
fn kill_at_any_instant_loses_nothing() {
    let mock = start_mock(Scenario {
        latency_ms: 8,
        ..scenario()
    });
    let dir = tmp_dir();
    let catalog = catalog_all(true);
    let cat = write_json(&dir, "catalog.json", &catalog);
    let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
    let args = [
        "read",
        "--config",
        cfg.to_str().unwrap(),
        "--catalog",
        cat.to_str().unwrap(),
    ];
    let started = std::time::Instant::now();
    let clean = run(&args, &[]);
    let full_ms = started.elapsed().as_millis() as u64;
    assert!(clean.status.success());
    let want = pk_set(&lines(&clean), &catalog);
    let trials = 24;
    let (mut lost_total, mut duplicates) = (0, 0);
    for t in 0..trials {
        let delay = full_ms * (2 + t * 96 / trials) / 100;
        let mut child = Command::new(BIN)
            .args(args)
            .env("SOURCE_LINKEDIN_PAGES_NOW", CONNECTOR_NOW)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout.read_to_end(&mut buf);
            buf
        });
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let buf = reader.join().unwrap();
        // Only whole lines reached the platform.
        let text = String::from_utf8_lossy(&buf);
        let whole = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
        let before: Vec<Value> = whole
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let kept = committed(&before);
        let state = write_json(&dir, &format!("state{t}.json"), &last_states(kept));
        let resumed = run(
            &[
                "read",
                "--config",
                cfg.to_str().unwrap(),
                "--catalog",
                cat.to_str().unwrap(),
                "--state",
                state.to_str().unwrap(),
            ],
            &[],
        );
        assert!(resumed.status.success(), "trial {t}: resume failed");
        let first = pk_set(kept, &catalog);
        let second = pk_set(&lines(&resumed), &catalog);
        duplicates += first.intersection(&second).count();
        let got: BTreeSet<String> = first.union(&second).cloned().collect();
        let lost = want.difference(&got).count();
        lost_total += lost;
        assert_eq!(
            lost, 0,
            "trial {t} (kill after {delay} ms): {lost} records lost"
        );
    }
    eprintln!("kill -9: {trials} trials over a {full_ms} ms read, {lost_total} records lost, {duplicates} duplicates re-read (of {} per run)", want.len());
}

// ------------------------------------------------------------------ secrets and bad input

#[test]
fn secrets_never_appear_in_any_output() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let canary = "canary-9f8e7d6c5b4a";
    let mut cfgs = vec![mock.config(canary)];
    let mut oauth = mock.config("x");
    oauth["credentials"] = json!({"auth_method": "oauth2.0", "client_id": "mock-client", "client_secret": canary, "refresh_token": canary});
    cfgs.push(oauth);
    let mut ok_oauth = mock.config("x");
    ok_oauth["credentials"] = json!({"auth_method": "oauth2.0", "client_id": "mock-client", "client_secret": "mock-secret", "refresh_token": "mock-refresh"});
    cfgs.push(ok_oauth);
    let mut bad_type = mock.config("x");
    bad_type["credentials"]["access_token"] = json!({"nested": canary});
    cfgs.push(bad_type);
    let cat = write_json(
        &dir,
        "catalog.json",
        &json!({"streams": [{"stream": {"name": "posts"}, "sync_mode": "incremental", "destination_sync_mode": "append"}]}),
    );
    for (i, c) in cfgs.iter().enumerate() {
        let p = write_json(&dir, &format!("c{i}.json"), c);
        for args in [
            vec!["check", "--config"],
            vec!["discover", "--config"],
            vec!["read", "--catalog", cat.to_str().unwrap(), "--config"],
        ] {
            let mut a = args.clone();
            a.push(p.to_str().unwrap());
            let out = run(&a, &[("RUST_LOG", "trace")]);
            for (what, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                let text = String::from_utf8_lossy(text);
                assert!(!text.contains(canary), "{a:?} leaked the secret on {what}");
                assert!(
                    !text.contains("mock-secret") && !text.contains("mock-refresh"),
                    "{a:?} leaked an OAuth secret on {what}"
                );
            }
        }
    }
}

/// The corpus in tests/bad_inputs/cases.json: malformed configs, catalogs, states and API
/// responses, each with the failure type and message it must produce.
#[test]
fn bad_input_corpus() {
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(repo("tests/bad_inputs/cases.json")).unwrap(),
    )
    .unwrap();
    assert!(cases.len() >= 40, "the corpus shrank to {}", cases.len());
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let mut good = mock.config("mock-token");
    good["max_retries"] = json!(1);
    let posts_catalog = json!({"streams": [{"stream": {"name": "posts"}, "sync_mode": "incremental", "destination_sync_mode": "append"}]});
    for (i, c) in cases.iter().enumerate() {
        let name = c["name"].as_str().unwrap();
        mock.control("DELETE", "faults", &json!({}));
        let file = |kind: &str,
                    text_key: &str,
                    json_key: &str,
                    default: Option<Value>|
         -> Option<PathBuf> {
            let path = dir.join(format!("{i}-{kind}.json"));
            if let Some(t) = c[text_key].as_str() {
                std::fs::write(&path, t).unwrap();
            } else if !c[json_key].is_null() {
                std::fs::write(&path, c[json_key].to_string()).unwrap();
            } else {
                std::fs::write(&path, default?.to_string()).unwrap();
            }
            Some(path)
        };
        let mut config = good.clone();
        for (k, v) in c["config_patch"].as_object().into_iter().flatten() {
            config[k] = v.clone();
        }
        let cfg = file("config", "config_text", "__none", Some(config)).unwrap();
        let cat = file(
            "catalog",
            "catalog_text",
            "catalog",
            Some(posts_catalog.clone()),
        )
        .unwrap();
        let state = file("state", "state_text", "state", None);
        if let Some(r) = c.get("response") {
            let body = match r.get("repeat_element") {
                Some(el) => {
                    json!({"paging": {"start": 0, "count": 100}, "elements": vec![el.clone(); r["times"].as_u64().unwrap() as usize]})
                }
                None => r["body"].clone(),
            };
            mock.control("POST", "faults", &json!({"fault": "body", "path": r["path"], "status": r.get("status").cloned().unwrap_or(json!(200)), "body": body, "count": 1000}));
        }
        let mut args = vec![
            "read",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
        ];
        if let Some(s) = &state {
            args.extend(["--state", s.to_str().unwrap()]);
        }
        let out = run(&args, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: exit 0");
        assert!(!stderr.contains("panicked"), "{name}: panic: {stderr}");
        let msgs = lines(&out);
        let errs: Vec<&Value> = of_type(&msgs, "TRACE")
            .into_iter()
            .filter(|t| t["trace"]["type"] == "ERROR")
            .collect();
        assert!(!errs.is_empty(), "{name}: no TRACE error");
        let e = &errs[0]["trace"]["error"];
        assert_eq!(
            e["failure_type"], c["expect"]["failure_type"],
            "{name}: {e}"
        );
        let needle = c["expect"]["contains"].as_str().unwrap();
        assert!(
            e["message"].as_str().unwrap().contains(needle),
            "{name}: '{}' lacks '{needle}'",
            e["message"]
        );
        // A failed stream writes no STATE, so nothing is skipped next time.
        let failed: Vec<&str> = errs
            .iter()
            .filter_map(|t| t["trace"]["error"]["stream_descriptor"]["name"].as_str())
            .collect();
        for st in of_type(&msgs, "STATE") {
            let s = st["state"]["stream"]["stream_descriptor"]["name"]
                .as_str()
                .unwrap();
            assert!(
                !failed.contains(&s),
                "{name}: STATE written for the failed stream {s}"
            );
        }
    }
    eprintln!("bad-input corpus: {} cases", cases.len());
}

#[test]
fn a_huge_valid_response_is_read() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let big = "x".repeat(8 * 1024 * 1024);
    mock.control("POST", "faults", &json!({"fault": "body", "path": "/rest/posts", "count": 100,
        "body": {"paging": {"start": 0, "count": 100, "total": 1}, "elements": [{"id": "urn:li:share:1", "commentary": big, "lastModifiedAt": 1795000000000_i64}]}}));
    let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
    let cat = write_json(
        &dir,
        "catalog.json",
        &json!({"streams": [{"stream": {"name": "posts"}, "sync_mode": "incremental", "destination_sync_mode": "append"}]}),
    );
    let out = read_ok(&cfg, &cat);
    let recs = records(&lines(&out));
    assert_eq!(recs["posts"].len(), 2, "one 8 MB post per organization");
    assert_eq!(
        recs["posts"][0]["commentary"].as_str().unwrap().len(),
        big.len()
    );
}

#[test]
fn a_closed_stdout_is_a_clean_exit() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
    let cat = write_json(&dir, "catalog.json", &catalog_all(true));
    let mut child = Command::new(BIN)
        .args([
            "read",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
        ])
        .env("SOURCE_LINKEDIN_PAGES_NOW", CONNECTOR_NOW)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "exit {status:?} after the reader went away"
    );
}
