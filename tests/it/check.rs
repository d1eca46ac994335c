//! `check`, `check-token` and OAuth: token diagnosis and refresh.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::harness::*;

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
