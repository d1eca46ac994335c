//! Failing well (issue 14): every failure retried or bounded, correctly diagnosed, and
//! never leaking a secret. The real binary against the mock API and against tiny local
//! servers that misbehave on purpose (echo the request, never answer, never end a body).
// Test diagnostics (the measured figures) go to the test runner's stderr.
#![allow(clippy::disallowed_macros)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use linkedin_mock::Scenario;
use serde_json::{json, Value};

/// The binary under test; `FAIL_WELL_BIN` points the tests at another build (e.g. the
/// code before these fixes, to see each test fail there).
fn bin() -> String {
    std::env::var("FAIL_WELL_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_source-linkedin-pages").to_string())
}
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

fn scenario() -> Scenario {
    Scenario {
        now_ms: Some(MOCK_NOW_MS),
        ..Scenario::default()
    }
}

impl Mock {
    fn control(&self, method: &str, path: &str, body: &Value) -> Value {
        let addr = self.url.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).unwrap();
        let body = body.to_string();
        write!(s, "{method} /__mock/{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (_, body) = resp.split_once("\r\n\r\n").unwrap();
        serde_json::from_str(body).unwrap_or(Value::Null)
    }
}

/// A config for `base` (a mock or a local server) with the given credentials.
fn config_for(base: &str, credentials: Value) -> Value {
    json!({
        "credentials": credentials,
        "api_base_url": format!("{base}/rest"),
        "oauth_base_url": format!("{base}/oauth/v2"),
        "max_retries": 1,
        "request_timeout_secs": 5,
    })
}

fn token(t: &str) -> Value {
    json!({"auth_method": "access_token", "access_token": t})
}

fn tmp_dir() -> PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("slp-failwell-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_json(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p
}

fn posts_catalog(dir: &Path) -> PathBuf {
    write_json(
        dir,
        "catalog.json",
        &json!({"streams": [
            {"stream": {"name": "organizations"}, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"},
            {"stream": {"name": "posts"}, "sync_mode": "incremental", "destination_sync_mode": "append"}]}),
    )
}

fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env("SOURCE_LINKEDIN_PAGES_NOW", CONNECTOR_NOW)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    cmd
}

fn run(args: &[&str]) -> Output {
    command(args).output().unwrap()
}

fn read_args<'a>(cfg: &'a Path, cat: &'a Path) -> Vec<&'a str> {
    vec![
        "read",
        "--config",
        cfg.to_str().unwrap(),
        "--catalog",
        cat.to_str().unwrap(),
    ]
}

fn lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn trace_errors(msgs: &[Value]) -> Vec<&Value> {
    msgs.iter()
        .filter(|m| m["type"] == "TRACE" && m["trace"]["type"] == "ERROR")
        .map(|m| &m["trace"]["error"])
        .collect()
}

fn records(msgs: &[Value], stream: &str) -> usize {
    msgs.iter()
        .filter(|m| m["type"] == "RECORD" && m["record"]["stream"] == stream)
        .count()
}

/// A local HTTP/1.1 server answering every request with `respond(request text)`; each
/// connection is closed after one answer.
fn serve_with(respond: fn(&str) -> (u16, String)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut head = String::new();
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&line);
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0u8; len];
                let _ = reader.read_exact(&mut body);
                head.push_str(&String::from_utf8_lossy(&body));
                let (status, text) = respond(&head);
                let _ = write!(conn, "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}", text.len());
            });
        }
    });
    format!("http://{addr}")
}

// ------------------------------------------------------------------ 1. secrets

/// An echoing server (debugging proxies do this): every request comes back, headers,
/// form body and all, in the error body, LinkedIn-shaped so the message is quoted.
fn echo(status: u16) -> fn(&str) -> (u16, String) {
    fn wrap(status: u16, req: &str) -> (u16, String) {
        let body = json!({"status": status, "code": "ECHO", "message": format!("you sent: {req}"),
            "error": format!("echo {req}"), "error_description": format!("you sent: {req}")});
        (status, body.to_string())
    }
    match status {
        500 => |r| wrap(500, r),
        401 => |r| wrap(401, r),
        403 => |r| wrap(403, r),
        400 => |r| wrap(400, r),
        _ => |r| (200, format!("<html>not json: {r}</html>")),
    }
}

#[test]
fn no_secret_reaches_any_output_with_an_echoing_server() {
    let dir = tmp_dir();
    let cat = posts_catalog(&dir);
    // Canaries with the characters that change under URL and base64 encoding, and
    // non-ASCII ones (which cannot go in a header: the token one exercises that path).
    let access = "acc+ess/tok=en&1%2";
    let access_non_ascii = "Bearer ñandú+tok/é=n&%";
    let client_id = "cli+ent/ïd=&%7";
    let client_secret = "séc+ret/val=ue&%";
    let refresh = "ref+resh/tök=en&%";
    let canaries = [access, "ñandú+tok/é=n&%", client_id, client_secret, refresh];
    let creds = [
        token(access),
        token(access_non_ascii),
        json!({"auth_method": "oauth2.0", "client_id": client_id, "client_secret": client_secret, "refresh_token": refresh}),
    ];
    let mut cases = 0;
    for status in [500, 401, 403, 400, 200] {
        let base = serve_with(echo(status));
        for (ci, c) in creds.iter().enumerate() {
            let cfg = write_json(
                &dir,
                &format!("c{status}-{ci}.json"),
                &config_for(&base, c.clone()),
            );
            let cfg = cfg.to_str().unwrap();
            for args in [
                vec!["check", "--config", cfg],
                vec!["discover", "--config", cfg],
                vec!["read", "--config", cfg, "--catalog", cat.to_str().unwrap()],
                vec!["--config", cfg, "--catalog", cat.to_str().unwrap()],
            ] {
                let out = command(&args).env("RUST_LOG", "trace").output().unwrap();
                cases += 1;
                for (what, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                    let text = String::from_utf8_lossy(text);
                    assert!(!text.contains("panicked"), "{args:?} panicked: {text}");
                    let lower = text.to_lowercase();
                    for canary in canaries {
                        for form in encodings(canary) {
                            assert!(
                                !text.contains(&form) && !lower.contains(&form.to_lowercase()),
                                "{args:?} against a {status} echo leaked {canary} as '{form}' on {what}:\n{text}"
                            );
                        }
                    }
                }
            }
        }
    }
    // check-token with the app credentials (introspection POSTs them).
    let base = serve_with(echo(400));
    let mut child = command(&[
        "check-token",
        "--api-base-url",
        &format!("{base}/rest"),
        "--oauth-base-url",
        &format!("{base}/oauth/v2"),
        "--client-id",
        client_id,
        "--client-secret",
        client_secret,
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(access.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    for canary in canaries {
        for form in encodings(canary) {
            assert!(
                !text.contains(&form),
                "check-token leaked {canary} as {form}:\n{text}"
            );
        }
    }
    eprintln!("secret leak: {cases} command × failure runs, no canary in any form");
}

/// The forms a secret takes in a quoted request: raw, URL-encoded, base64.
fn encodings(s: &str) -> Vec<String> {
    let url: String = s
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for c in s.as_bytes().chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=c.len() {
            b64.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    vec![s.to_string(), url, b64]
}

// ------------------------------------------------------------------ 2. stdout and stderr

#[test]
fn a_full_stderr_does_not_stop_the_sync_but_a_closed_stdout_fails() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let cat = posts_catalog(&dir);
    let cfg = write_json(
        &dir,
        "config.json",
        &config_for(&mock.url, token("mock-token")),
    );
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = command(&read_args(&cfg, &cat))
        .env("RUST_LOG", "debug")
        .stderr(Stdio::from(full))
        .output()
        .unwrap();
    assert!(out.status.success(), "read 2>/dev/full: {:?}", out.status);
    let msgs = lines(&out.stdout);
    assert!(records(&msgs, "posts") > 0, "no records with stderr full");

    // `>&-`: the shell closes stdout before exec.
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"exec "$0" "$@" >&-"#)
        .arg(bin())
        .args(read_args(&cfg, &cat))
        .env("SOURCE_LINKEDIN_PAGES_NOW", CONNECTOR_NOW)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "read >&- must fail");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stdout is closed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A deliberate `> /dev/null` still works.
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"exec "$0" "$@" >/dev/null"#)
        .arg(bin())
        .args(read_args(&cfg, &cat))
        .env("SOURCE_LINKEDIN_PAGES_NOW", CONNECTOR_NOW)
        .output()
        .unwrap();
    assert!(out.status.success(), "read >/dev/null: {:?}", out.status);
    // So does /dev/null opened read-write, as Python's subprocess.DEVNULL does (and as
    // Rust itself reopens a closed stdout: the two must not be confused).
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .unwrap();
    let out = command(&read_args(&cfg, &cat))
        .stdout(Stdio::from(null))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "read with stdout O_RDWR /dev/null: {:?}",
        out.status
    );
}

// ------------------------------------------------------------------ 3. throttling

#[test]
fn short_term_throttling_fails_its_stream_only_and_the_daily_quota_stops_all() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let cat = posts_catalog(&dir);
    let cfg = write_json(
        &dir,
        "config.json",
        &config_for(&mock.url, token("mock-token")),
    );
    mock.control(
        "POST",
        "faults",
        &json!({"fault": "429", "count": 1000, "path": "/rest/posts"}),
    );
    let out = run(&read_args(&cfg, &cat));
    let msgs = lines(&out.stdout);
    let errs = trace_errors(&msgs);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(errs.len(), 1, "{errs:?}");
    let m = errs[0]["message"].as_str().unwrap();
    assert!(
        !m.contains("exhausted") && !m.contains("midnight"),
        "throttling reported as the quota: {m}"
    );
    assert!(m.contains("short-term throttling"), "{m}");
    assert_eq!(errs[0]["failure_type"], "transient_error");
    assert_eq!(errs[0]["stream_descriptor"]["name"], "posts");
    assert!(
        records(&msgs, "organizations") > 0,
        "the other stream must still be read"
    );

    mock.control("DELETE", "faults", &json!({}));
    mock.control(
        "POST",
        "faults",
        &json!({"fault": "daily-quota", "count": 1000, "path": "/rest/posts"}),
    );
    let msgs = lines(&run(&read_args(&cfg, &cat)).stdout);
    let errs = trace_errors(&msgs);
    assert!(
        errs.iter()
            .any(|e| e["message"].as_str().unwrap().contains("midnight UTC")),
        "{errs:?}"
    );
}

// ------------------------------------------------------------------ 5. dead API

/// A server that accepts connections and never answers.
fn tarpit() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming().flatten() {
            held.push(c);
        }
    });
    format!("http://{addr}")
}

fn refused() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// Default settings (no retry or timeout overrides), two organizations.
fn default_config(base: &str, orgs: bool) -> Value {
    let mut c = json!({"credentials": token("mock-token"), "api_base_url": format!("{base}/rest")});
    if orgs {
        c["organization_ids"] = json!(["1", "2"]);
    }
    c
}

#[test]
fn a_dead_api_fails_read_within_2_minutes_and_check_within_30_seconds() {
    let dir = tmp_dir();
    let cat = write_json(
        &dir,
        "all.json",
        &serde_json::from_str::<Value>(
            &std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog/all_streams.json"),
            )
            .unwrap(),
        )
        .unwrap(),
    );
    let mut runs = Vec::new();
    for (kind, base) in [("refused", refused()), ("tarpit", tarpit())] {
        for orgs in [true, false] {
            let cfg = write_json(
                &dir,
                &format!("{kind}-{orgs}.json"),
                &default_config(&base, orgs),
            );
            let (cfg2, cat2) = (cfg.clone(), cat.clone());
            runs.push(std::thread::spawn(move || {
                let t = Instant::now();
                let out = run(&read_args(&cfg2, &cat2));
                (
                    format!(
                        "read, {kind}, organization_ids {}",
                        if orgs { "set" } else { "empty" }
                    ),
                    t.elapsed(),
                    out,
                    120,
                )
            }));
            if orgs {
                runs.push(std::thread::spawn(move || {
                    let t = Instant::now();
                    let out = run(&["check", "--config", cfg.to_str().unwrap()]);
                    (format!("check, {kind}"), t.elapsed(), out, 30)
                }));
            }
        }
    }
    for r in runs {
        let (what, took, out, limit) = r.join().unwrap();
        let msgs = lines(&out.stdout);
        eprintln!(
            "dead API: {what}: gave up after {:.1} s",
            took.as_secs_f64()
        );
        assert!(took < Duration::from_secs(limit), "{what} took {took:?}");
        if what.starts_with("check") {
            let st = msgs
                .iter()
                .find(|m| m["type"] == "CONNECTION_STATUS")
                .unwrap();
            assert_eq!(st["connectionStatus"]["status"], "FAILED");
            let m = st["connectionStatus"]["message"].as_str().unwrap();
            assert!(
                m.contains("Cannot reach") || m.contains("not answering"),
                "{what}: {m}"
            );
            let cause = if what.contains("refused") {
                "cannot connect"
            } else {
                "no answer in time"
            };
            assert!(m.contains(cause), "{what}: {m}");
            eprintln!("dead API: {what}: {m}");
        } else {
            assert_eq!(out.status.code(), Some(1), "{what}");
            let errs = trace_errors(&msgs);
            assert_eq!(errs.len(), 1, "{what}: one clear error, got {errs:?}");
            assert_eq!(errs[0]["failure_type"], "transient_error");
            eprintln!("dead API: {what}: {}", errs[0]["message"]);
        }
    }
}

// ------------------------------------------------------------------ 6. jitter

fn retry_waits(stderr: &[u8]) -> Vec<u64> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains("Retrying request"))
        .filter_map(|l| l.split("wait_ms=").nth(1))
        .filter_map(|w| w.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        .collect()
}

#[test]
fn retry_waits_are_random() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let cat = write_json(
        &dir,
        "cat.json",
        &json!({"streams": [{"stream": {"name": "organizations"}, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}),
    );
    let mut c = config_for(&mock.url, token("mock-token"));
    c["max_retries"] = json!(3);
    let cfg = write_json(&dir, "config.json", &c);
    let mut seqs = Vec::new();
    for _ in 0..3 {
        mock.control("DELETE", "faults", &json!({}));
        mock.control(
            "POST",
            "faults",
            &json!({"fault": "503", "count": 3, "path": "organizationAcls"}),
        );
        let out = run(&read_args(&cfg, &cat));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let waits = retry_waits(&out.stderr);
        assert_eq!(waits.len(), 3, "{}", String::from_utf8_lossy(&out.stderr));
        seqs.push(waits);
    }
    eprintln!("retry waits (ms) of three runs: {seqs:?}");
    assert!(
        seqs[0] != seqs[1] && seqs[1] != seqs[2] && seqs[0] != seqs[2],
        "{seqs:?}"
    );
}

// ------------------------------------------------------------------ 7. signals

#[test]
fn sigterm_and_sigint_end_with_a_trace_and_128_plus_the_signal() {
    let mock = start_mock(Scenario {
        latency_ms: 40,
        ..scenario()
    });
    let dir = tmp_dir();
    let cat = write_json(
        &dir,
        "all.json",
        &serde_json::from_str::<Value>(
            &std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog/all_streams.json"),
            )
            .unwrap(),
        )
        .unwrap(),
    );
    let cfg = write_json(
        &dir,
        "config.json",
        &config_for(&mock.url, token("mock-token")),
    );
    for (sig, code, name) in [
        (libc::SIGTERM, 143, "SIGTERM"),
        (libc::SIGINT, 130, "SIGINT"),
    ] {
        let child = command(&read_args(&cfg, &cat))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        let sent = Instant::now();
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, sig) };
        let out = child.wait_with_output().unwrap();
        let took = sent.elapsed();
        assert_eq!(out.status.code(), Some(code), "{name}");
        assert!(
            took < Duration::from_secs(3),
            "{name}: took {took:?} to stop"
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.ends_with('\n'), "{name}: the last line was cut");
        let msgs = lines(&out.stdout);
        let last = msgs.last().unwrap();
        assert_eq!(last["type"], "TRACE", "{name}: {last}");
        let m = last["trace"]["error"]["message"].as_str().unwrap();
        assert!(m.contains(&format!("interrupted by {name}")), "{m}");
        if sig == libc::SIGTERM {
            eprintln!(
                "SIGTERM run: exit {code} {} ms after the signal; last lines:",
                took.as_millis()
            );
            for l in text
                .lines()
                .rev()
                .take(3)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                eprintln!("  {}", l.chars().take(300).collect::<String>());
            }
        }
    }
}

// ------------------------------------------------------------------ 8. body cap

#[test]
fn a_body_that_never_ends_fails_its_request() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for c in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut c = c;
                let mut buf = [0u8; 4096];
                let _ = c.read(&mut buf);
                let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
                let chunk = format!("{:x}\r\n{}\r\n", 1 << 20, " ".repeat(1 << 20));
                while c.write_all(chunk.as_bytes()).is_ok() {}
            });
        }
    });
    let dir = tmp_dir();
    let cat = write_json(
        &dir,
        "cat.json",
        &json!({"streams": [{"stream": {"name": "organizations"}, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}),
    );
    let cfg = write_json(
        &dir,
        "config.json",
        &config_for(&format!("http://{addr}"), token("mock-token")),
    );
    let t = Instant::now();
    let out = run(&read_args(&cfg, &cat));
    let msgs = lines(&out.stdout);
    let errs = trace_errors(&msgs);
    assert_eq!(out.status.code(), Some(1));
    let m = errs[0]["message"].as_str().unwrap();
    assert!(m.contains("larger than 64 MiB"), "{m}");
    assert_eq!(errs[0]["failure_type"], "system_error");
    eprintln!(
        "endless body: failed after {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

// ------------------------------------------------------------------ 10, 11. config and messages

#[test]
fn config_typos_are_warned_and_a_bom_is_accepted() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let cat = posts_catalog(&dir);
    let mut c = config_for(&mock.url, token("mock-token"));
    c["organisation_ids"] = json!(["2414183"]);
    let mut text = vec![0xEF, 0xBB, 0xBF];
    text.extend(serde_json::to_vec(&c).unwrap());
    let cfg = dir.join("bom.json");
    std::fs::write(&cfg, text).unwrap();
    let out = run(&read_args(&cfg, &cat));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let msgs = lines(&out.stdout);
    assert!(
        msgs.iter().any(|m| m["type"] == "LOG"
            && m["log"]["level"] == "WARN"
            && m["log"]["message"]
                .as_str()
                .unwrap()
                .contains("'organisation_ids' is ignored; did you mean 'organization_ids'?")),
        "no typo warning"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("byte order mark"));
}

#[test]
fn a_body_cut_off_mid_way_is_not_a_connection_failure() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let cfg = write_json(
        &dir,
        "config.json",
        &config_for(&mock.url, token("mock-token")),
    );
    mock.control(
        "POST",
        "faults",
        &json!({"fault": "reset", "count": 1000, "path": "organizationAcls"}),
    );
    let out = run(&["check", "--config", cfg.to_str().unwrap()]);
    let msgs = lines(&out.stdout);
    let m = msgs[0]["connectionStatus"]["message"].as_str().unwrap();
    assert!(
        !m.contains("Cannot reach") && !m.contains("cannot connect"),
        "{m}"
    );
    assert!(m.contains("broke off"), "{m}");
}
