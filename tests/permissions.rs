//! Issue 15, connector side: the tokens of the mock's documented permission model against
//! `check`, `check-token` and `read`. The mock enforces its own copy of LinkedIn's table
//! (mock/src/permissions.rs); the connector reads its own (src/streams/permissions.rs).
//! Where the two differ (the mock also accepts r_organization_social for reactions and
//! socialMetadata, as the pages up to 202406 did), the connector follows the docs: the test
//! says which answer comes from which.
// Test diagnostics go to the test runner's stderr.
#![allow(clippy::disallowed_macros)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use linkedin_mock::Scenario;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_source-linkedin-pages");
const MOCK_NOW_MS: i64 = 1_795_132_800_000; // 2026-11-20T00:00:00Z
const CONNECTOR_NOW: &str = "2026-11-20T10:00:00Z";

const ADMIN_STREAMS: &[&str] = &[
    "organizations",
    "follower_statistics",
    "follower_statistics_daily",
    "share_statistics",
    "share_statistics_daily",
    "page_statistics",
    "page_statistics_daily",
    "post_statistics",
    "geo",
];
const SOCIAL_STREAMS: &[&str] = &[
    "posts",
    "post_statistics",
    "post_comments",
    "post_reactions",
    "video_statistics",
];

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

fn start_mock() -> Mock {
    let scenario = Scenario {
        now_ms: Some(MOCK_NOW_MS),
        ..Scenario::default()
    };
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
    fn control(&self, method: &str, path: &str) -> Value {
        let addr = self.url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(s, "{method} /__mock/{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (_, body) = resp.split_once("\r\n\r\n").unwrap();
        serde_json::from_str(body).unwrap_or(Value::Null)
    }
    /// API requests (under /rest) the mock has answered.
    fn api_requests(&self) -> u64 {
        let stats = self.control("GET", "stats");
        stats["endpoints"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| !k.starts_with("oauth"))
            .flat_map(|(_, by_status)| by_status.as_object().unwrap().values())
            .map(|n| n.as_u64().unwrap())
            .sum()
    }
    fn config(&self, token: &str, orgs: &[u64]) -> Value {
        json!({
            "credentials": {"auth_method": "access_token", "access_token": token},
            "organization_ids": orgs,
            "api_base_url": format!("{}/rest", self.url),
            "oauth_base_url": format!("{}/oauth/v2", self.url),
            "max_retries": 2,
            "request_timeout_secs": 5,
        })
    }
}

fn tmp_dir() -> PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("slp-perm-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_json(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("SOURCE_LINKEDIN_PAGES_NOW", CONNECTOR_NOW)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// `check`: (status, message, API requests it cost).
fn check(mock: &Mock, config: &Value) -> (String, String, u64) {
    let dir = tmp_dir();
    let p = write_json(&dir, "config.json", config);
    let before = mock.api_requests();
    let out = run(&["check", "--config", p.to_str().unwrap()]);
    assert!(out.status.success(), "check exits 0 even when it fails");
    let msgs = lines(&out);
    let cs = msgs
        .iter()
        .find(|m| m["type"] == "CONNECTION_STATUS")
        .unwrap()["connectionStatus"]
        .clone();
    (
        cs["status"].as_str().unwrap().to_string(),
        cs["message"].as_str().unwrap().to_string(),
        mock.api_requests() - before,
    )
}

/// `check-token`: (exit 0, report, API requests it cost).
fn check_token(mock: &Mock, token: &str, introspect: bool) -> (bool, String, u64) {
    let api = format!("{}/rest", mock.url);
    let oauth = format!("{}/oauth/v2", mock.url);
    let mut args = vec![
        "check-token",
        "--api-base-url",
        &api,
        "--oauth-base-url",
        &oauth,
    ];
    if introspect {
        args.extend([
            "--client-id",
            "mock-client",
            "--client-secret",
            "mock-secret",
        ]);
    }
    let before = mock.api_requests();
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
        .write_all(token.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        mock.api_requests() - before,
    )
}

/// The mark a check-token report gives a scope: "yes", "NO" or "not checked".
fn mark(report: &str, scope: &str) -> String {
    let line = report
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{scope} ")))
        .unwrap_or_else(|| panic!("no line for {scope}: {report}"));
    let rest = line.trim_start()[scope.len()..].trim_start();
    rest.split("  ").next().unwrap().trim().to_string()
}

/// The "add X for a, b, c" sentence of a verdict, as the list of streams.
fn blocked_by(message: &str, add: &str) -> Vec<String> {
    let Some((_, rest)) = message.split_once(&format!("add {add} for ")) else {
        return Vec::new();
    };
    rest.split([';', '.'])
        .next()
        .unwrap()
        .split(", ")
        .map(str::to_string)
        .collect()
}

const ADMIN_ADD: &str = "rw_organization_admin (or r_organization_admin)";

#[test]
fn check_follows_the_documented_model_for_every_token() {
    let mock = start_mock();
    // The full Community Management set: everything, in at most three requests.
    let (s, m, n) = check(&mock, &mock.config("mock-token", &[]));
    assert_eq!(s, "SUCCEEDED", "{m}");
    assert!(m.contains("every stream"), "{m}");
    assert!(n <= 3, "{n} requests");

    // The widely shared list (and the content-only token): no admin scope, so no page
    // discovery and no statistics, whatever else the token holds.
    for token in ["mock-guide-scopes", "mock-social-only"] {
        let (s, m, n) = check(&mock, &mock.config(token, &[]));
        assert_eq!(s, "FAILED", "{token}: {m}");
        assert!(
            m.starts_with("Organization discovery (organizationAcls")
                && m.contains("rw_organization_admin or r_organization_admin")
                && m.contains("set organization_ids"),
            "{token}: {m}"
        );
        assert_eq!(n, 1, "{token}: one refused request says it all");

        let (s, m, n) = check(&mock, &mock.config(token, &[2414183]));
        assert_eq!(s, "FAILED", "{token}: {m}");
        assert!(m.starts_with("Cannot read the pages' statistics"), "{m}");
        assert_eq!(blocked_by(&m, ADMIN_ADD), ADMIN_STREAMS, "{token}: {m}");
        assert!(n <= 3, "{token}: {n} requests");
        // Posts are readable; the other content streams are blocked by the statistics only.
        assert!(!m.contains("add r_organization_social for"), "{m}");
    }

    // Admin only: statistics yes, so Airbyte may connect; the content streams are named
    // with the one scope that unlocks them.
    for orgs in [&[][..], &[2414183u64][..]] {
        let (s, m, n) = check(&mock, &mock.config("mock-admin-only", orgs));
        assert_eq!(s, "SUCCEEDED", "{m}");
        assert!(m.starts_with("Connected with limits"), "{m}");
        assert_eq!(
            blocked_by(&m, "r_organization_social"),
            SOCIAL_STREAMS,
            "{m}"
        );
        assert!(!m.contains("rw_organization_admin"), "{m}");
        assert!(n <= 3, "{n} requests");
    }

    // OAuth: the refresh reports the exact scopes (mock-refresh mints mock-token).
    let mut oauth = mock.config("x", &[2414183]);
    oauth["credentials"] = json!({"auth_method": "oauth2.0", "client_id": "mock-client",
        "client_secret": "mock-secret", "refresh_token": "mock-refresh"});
    let (s, m, n) = check(&mock, &oauth);
    assert_eq!(s, "SUCCEEDED", "{m}");
    assert!(m.contains("every stream"), "{m}");
    assert!(
        n <= 2,
        "feed scope known from the refresh: no reaction probe ({n})"
    );

    // A showcase page is probed with the same statistics endpoint the sync reads.
    let (s, m, n) = check(
        &mock,
        &json!({"credentials": {"auth_method": "access_token", "access_token": "mock-token"},
            "organization_ids": ["urn:li:organizationBrand:2414183"],
            "api_base_url": format!("{}/rest", mock.url)}),
    );
    assert_eq!(s, "SUCCEEDED", "{m}");
    assert!(m.contains("urn:li:organizationBrand:2414183"), "{m}");
    assert_eq!(n, 3, "statistics, one post, one reaction");

    // A member without the role, scopes complete: the role, not a scope, is named.
    let (s, m, _) = check(&mock, &mock.config("mock-not-admin", &[2414183]));
    assert_eq!(s, "FAILED", "{m}");
    assert!(
        m.contains("not an ADMINISTRATOR of urn:li:organization:2414183"),
        "{m}"
    );
}

#[test]
fn check_token_reads_exact_scopes_with_introspection() {
    let mock = start_mock();
    // Full set, introspected: the feed scope is known, so a request is left for page names.
    let (ok, r, n) = check_token(&mock, "mock-token", true);
    assert!(ok, "{r}");
    assert!(r.contains("OK: the token can sync"), "{r}");
    assert!(r.contains("2414183 (Mock Company 1)"), "{r}");
    for scope in [
        "rw_organization_admin",
        "r_organization_admin",
        "r_organization_social",
        "r_organization_social_feed",
    ] {
        assert_eq!(mark(&r, scope), "yes", "{scope}: {r}");
    }
    assert!(n <= 3, "{n} requests");

    // The shared setup list: its admin scope is missing, and the two scopes it adds are
    // used by no endpoint the connector calls.
    let (ok, r, n) = check_token(&mock, "mock-guide-scopes", true);
    assert!(!ok, "{r}");
    assert!(
        r.contains("Organization discovery (organizationAcls"),
        "{r}"
    );
    assert_eq!(
        n, 0,
        "the scopes say discovery is impossible: no request is spent"
    );
    assert_eq!(mark(&r, "rw_organization_admin"), "NO", "{r}");
    assert_eq!(mark(&r, "r_organization_social"), "yes", "{r}");
    // The docs list r_organization_social_feed for reactions; the guide's list lacks it.
    assert_eq!(mark(&r, "r_organization_social_feed"), "NO", "{r}");
    assert!(
        r.contains("not used by any endpoint this connector calls: r_organization_followers, r_social_engagement"),
        "{r}"
    );
    let (ok, r, _) = check_token(&mock, "mock-social-only", true);
    assert!(!ok && r.contains("Organization discovery"), "{r}");

    let (ok, r, n) = check_token(&mock, "mock-admin-only", true);
    assert!(ok, "statistics readable: usable: {r}");
    assert!(r.contains("partly usable"), "{r}");
    assert_eq!(mark(&r, "rw_organization_admin"), "yes", "{r}");
    assert_eq!(mark(&r, "r_organization_admin"), "NO", "{r}");
    assert_eq!(mark(&r, "r_organization_social"), "NO", "{r}");
    assert_eq!(mark(&r, "r_organization_social_feed"), "NO", "{r}");
    assert!(
        r.contains("add r_organization_social for posts, post_statistics, post_comments, post_reactions, video_statistics"),
        "{r}"
    );
    assert!(
        n <= 2,
        "ACL and page names; no content probe for a scope it lacks ({n})"
    );
}

#[test]
fn check_token_probes_without_introspection() {
    let mock = start_mock();
    let (ok, r, n) = check_token(&mock, "mock-token", false);
    assert!(ok && r.contains("OK: the token can sync"), "{r}");
    assert_eq!(n, 3, "ACL, one post, one reaction");
    assert_eq!(mark(&r, "r_organization_social_feed"), "yes", "{r}");

    let (ok, r, n) = check_token(&mock, "mock-admin-only", false);
    assert!(ok && r.contains("partly usable"), "{r}");
    assert_eq!(mark(&r, "rw_organization_admin"), "yes", "{r}");
    assert_eq!(mark(&r, "r_organization_social"), "NO", "{r}");
    // Without posts there is nothing to probe reactions on; they are blocked anyway.
    assert_eq!(mark(&r, "r_organization_social_feed"), "not checked", "{r}");
    assert!(n <= 3, "{n}");

    for token in ["mock-guide-scopes", "mock-social-only"] {
        let (ok, r, n) = check_token(&mock, token, false);
        assert!(!ok, "{token}: {r}");
        assert!(
            r.contains("Organization discovery (organizationAcls")
                && r.contains("rw_organization_admin"),
            "{token}: {r}"
        );
        assert_eq!(n, 1, "{token}");
    }
}

// ------------------------------------------------------------------ read

struct ReadRun {
    ok: bool,
    records: BTreeMap<String, usize>,
    status: BTreeMap<String, String>,
    /// Error TRACE messages per stream ("*" for none), with their failure_type.
    errors: BTreeMap<String, (String, String)>,
}

fn read(mock: &Mock, token: &str, orgs: &[u64]) -> ReadRun {
    let dir = tmp_dir();
    let cfg = write_json(&dir, "config.json", &mock.config(token, orgs));
    let catalog = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog/all_streams.json"),
    )
    .unwrap();
    let cat = dir.join("catalog.json");
    std::fs::write(&cat, catalog).unwrap();
    let out = run(&[
        "read",
        "--config",
        cfg.to_str().unwrap(),
        "--catalog",
        cat.to_str().unwrap(),
    ]);
    let mut r = ReadRun {
        ok: out.status.success(),
        records: BTreeMap::new(),
        status: BTreeMap::new(),
        errors: BTreeMap::new(),
    };
    for m in lines(&out) {
        match (m["type"].as_str(), m["trace"]["type"].as_str()) {
            (Some("RECORD"), _) => {
                *r.records
                    .entry(m["record"]["stream"].as_str().unwrap().into())
                    .or_default() += 1
            }
            (Some("TRACE"), Some("STREAM_STATUS")) => {
                let s = &m["trace"]["stream_status"];
                r.status.insert(
                    s["stream_descriptor"]["name"].as_str().unwrap().into(),
                    s["status"].as_str().unwrap().into(),
                );
            }
            (Some("TRACE"), Some("ERROR")) => {
                let e = &m["trace"]["error"];
                r.errors.insert(
                    e["stream_descriptor"]["name"]
                        .as_str()
                        .unwrap_or("*")
                        .into(),
                    (
                        e["message"].as_str().unwrap().into(),
                        e["failure_type"].as_str().unwrap().into(),
                    ),
                );
            }
            _ => {}
        }
    }
    r
}

/// Every stream of the table is either read to COMPLETE, or INCOMPLETE with a config_error
/// naming `scope`, exactly as `blocked` says.
fn assert_partial(r: &ReadRun, blocked: &[&str], scope: &str) {
    assert!(!r.ok, "a partial read exits non-zero");
    for s in source_linkedin_pages::streams::STREAMS {
        let status = r.status.get(s.name).map(String::as_str);
        if blocked.contains(&s.name) {
            assert_eq!(status, Some("INCOMPLETE"), "{}", s.name);
            let (msg, kind) = r
                .errors
                .get(s.name)
                .unwrap_or_else(|| panic!("no error TRACE for {}", s.name));
            assert_eq!(kind, "config_error", "{}", s.name);
            assert!(
                msg.starts_with(&format!("Stream {} is blocked", s.name)) && msg.contains(scope),
                "{}: {msg}",
                s.name
            );
        } else {
            assert_eq!(
                status,
                Some("COMPLETE"),
                "{}: {:?}",
                s.name,
                r.errors.get(s.name)
            );
        }
    }
}

#[test]
fn read_with_an_admin_only_token_reads_all_it_can() {
    let mock = start_mock();
    let r = read(&mock, "mock-admin-only", &[2414183, 2415192]);
    assert_partial(&r, SOCIAL_STREAMS, "r_organization_social");
    for s in [
        "organizations",
        "follower_statistics",
        "share_statistics_daily",
        "page_statistics",
        "geo",
    ] {
        assert!(
            r.records.get(s).copied().unwrap_or(0) > 0,
            "{s}: {:?}",
            r.records
        );
    }
}

#[test]
fn read_with_a_social_only_token_reads_all_it_can() {
    let mock = start_mock();
    let r = read(&mock, "mock-social-only", &[2414183, 2415192]);
    assert_partial(&r, ADMIN_STREAMS, "rw_organization_admin");
    for s in [
        "posts",
        "post_comments",
        "video_statistics",
        "follower_count",
    ] {
        assert!(
            r.records.get(s).copied().unwrap_or(0) > 0,
            "{s}: {:?}",
            r.records
        );
    }
    // Without organization_ids the pages cannot be discovered: one error naming the scope.
    let r = read(&mock, "mock-guide-scopes", &[]);
    assert!(!r.ok);
    let (msg, kind) = &r.errors["*"];
    assert_eq!(kind, "config_error");
    assert!(
        msg.contains("organizationAcls") && msg.contains("rw_organization_admin"),
        "{msg}"
    );
}
