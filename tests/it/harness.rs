//! The harness: the mock API on a local port, the connector binary, and test-only
//! decoding of its stdout (independent of the code that wrote it).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use linkedin_mock::Scenario;
use serde_json::{json, Value};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_source-linkedin-pages");
/// The mock's clock and the connector's frozen clock (10 hours later the same day).
pub(crate) const MOCK_NOW_MS: i64 = 1_795_132_800_000; // 2026-11-20T00:00:00Z
pub(crate) const CONNECTOR_NOW: &str = "2026-11-20T10:00:00Z";

// ------------------------------------------------------------------ harness

pub(crate) struct Mock {
    pub(crate) url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Mock {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub(crate) fn scenario() -> Scenario {
    Scenario {
        now_ms: Some(MOCK_NOW_MS),
        ..Scenario::default()
    }
}

pub(crate) fn start_mock(scenario: Scenario) -> Mock {
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
    pub(crate) fn control(&self, method: &str, path: &str, body: &Value) -> Value {
        let addr = self.url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let body = body.to_string();
        write!(s, "{method} /__mock/{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (_, body) = resp.split_once("\r\n\r\n").unwrap();
        serde_json::from_str(body).unwrap_or(Value::Null)
    }
    pub(crate) fn stats_total(&self) -> u64 {
        self.control("GET", "stats", &json!({}))["total"]
            .as_u64()
            .unwrap()
    }
    pub(crate) fn config(&self, token: &str) -> Value {
        json!({
            "credentials": {"auth_method": "access_token", "access_token": token},
            "api_base_url": format!("{}/rest", self.url),
            "oauth_base_url": format!("{}/oauth/v2", self.url),
            "max_retries": 4,
            "request_timeout_secs": 5,
        })
    }
}

pub(crate) fn tmp_dir() -> PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("slp-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) fn write_json(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p
}

pub(crate) fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
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
pub(crate) fn read_ok(cfg: &Path, cat: &Path) -> Output {
    read_checked(cfg, cat, None)
}

/// `read --config cfg --catalog cat --state state`, which must succeed.
pub(crate) fn read_state_ok(cfg: &Path, cat: &Path, state: &Path) -> Output {
    read_checked(cfg, cat, Some(state))
}

/// The arguments of `read --config cfg --catalog cat [--state state]`.
pub(crate) fn read_args<'a>(cfg: &'a Path, cat: &'a Path, state: Option<&'a Path>) -> Vec<&'a str> {
    let mut args = vec![
        "read",
        "--config",
        cfg.to_str().unwrap(),
        "--catalog",
        cat.to_str().unwrap(),
    ];
    if let Some(s) = state {
        args.extend(["--state", s.to_str().unwrap()]);
    }
    args
}

fn read_checked(cfg: &Path, cat: &Path, state: Option<&Path>) -> Output {
    let out = run(&read_args(cfg, cat, state), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub(crate) fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l}"))
        })
        .collect()
}

pub(crate) fn of_type<'a>(msgs: &'a [Value], t: &str) -> Vec<&'a Value> {
    msgs.iter().filter(|m| m["type"] == t).collect()
}

/// Records per stream (Airbyte), in a canonical order: partitions run concurrently, so
/// the order across organizations is not part of the contract.
pub(crate) fn records(msgs: &[Value]) -> BTreeMap<String, Vec<Value>> {
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
pub(crate) fn last_states(msgs: &[Value]) -> Value {
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

pub(crate) fn catalog_all(incremental: bool) -> Value {
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

/// The catalog of the `names` streams (each must exist), incremental or full refresh.
pub(crate) fn catalog_of(names: &[&str], incremental: bool) -> Value {
    let all = catalog_all(incremental);
    let streams: Vec<Value> = all["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| names.contains(&s["stream"]["name"].as_str().unwrap()))
        .cloned()
        .collect();
    assert_eq!(streams.len(), names.len());
    json!({"streams": streams})
}

/// `read --config cfg --catalog cat` at the frozen clock, running, with stdout piped to
/// the caller and stderr dropped.
pub(crate) fn spawn_read(cfg: &Path, cat: &Path) -> Child {
    Command::new(BIN)
        .args(read_args(cfg, cat, None))
        .env("SOURCE_LINKEDIN_PAGES_NOW", CONNECTOR_NOW)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

pub(crate) fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

pub(crate) fn pk_of(stream: &str, data: &Value, catalog: &Value) -> String {
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
