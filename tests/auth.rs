//! `source-linkedin-pages auth` end to end against the mock, with reqwest in the browser's
//! place: read the printed URL, load the consent page, submit its form, follow the redirect
//! to the command's callback server, and check what the command printed and exited with.
// Test diagnostics go to the test runner's stderr.
#![allow(clippy::disallowed_macros)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_source-linkedin-pages");

struct Mock {
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start_mock() -> Mock {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let scenario = linkedin_mock::Scenario {
        now_ms: Some(1_795_132_800_000),
        ..Default::default()
    };
    tokio::spawn(linkedin_mock::serve(listener, scenario, async {
        let _ = rx.await;
    }));
    Mock {
        url: format!("http://{addr}"),
        _stop: tx,
    }
}

/// The running command: its stderr arrives line by line on a channel.
struct Auth {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Auth {
    fn start(mock: &Mock, extra: &[&str]) -> Auth {
        Auth::start_with(mock, extra, None)
    }

    /// `browser`: a `$BROWSER` command; without it the command runs with `--no-browser`.
    fn start_with(mock: &Mock, extra: &[&str], browser: Option<&str>) -> Auth {
        let timeout = ["--timeout-secs", "30"];
        let timeout: &[&str] = if extra.contains(&"--timeout-secs") {
            &[]
        } else {
            &timeout
        };
        let mut child = Command::new(BIN)
            .arg("auth")
            .args(browser.is_none().then_some("--no-browser"))
            .args([
                "--port",
                "0",
                "--client-id",
                "mock-client",
                "--oauth-base-url",
                &format!("{}/oauth/v2", mock.url),
                "--api-base-url",
                &format!("{}/rest", mock.url),
            ])
            .args(extra)
            .args(timeout)
            .env("LINKEDIN_CLIENT_SECRET", "mock-secret")
            .env_remove("LINKEDIN_CLIENT_ID")
            .env_remove("BROWSER")
            .envs(browser.map(|b| ("BROWSER", b)))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Auth {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// The authorization URL: the stderr line that is the URL alone.
    fn url(&mut self, mock: &Mock) -> String {
        let prefix = format!("{}/oauth/v2/authorization?", mock.url);
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no URL on stderr; saw {:?}", self.seen));
            self.seen.push(line.clone());
            if line.starts_with(&prefix) {
                return line;
            }
        }
    }

    /// Waits for the exit; returns the code, stdout and the whole stderr.
    fn finish(mut self) -> (i32, String, String) {
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let status = self.child.wait().unwrap();
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(l);
        }
        (status.code().unwrap_or(-1), out, self.seen.join("\n"))
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Loads the consent page, answers its form with `decision`, and returns the redirect
/// target (the command's callback URL with code or error).
async fn consent(url: &str, decision: &str, mock: &Mock) -> String {
    let page = http().get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("value=\"{decision}\"")), "{html}");
    let mut form: Vec<String> = Vec::new();
    for input in html.split("<input type=\"hidden\" ").skip(1) {
        let name = input
            .split("name=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let value = input
            .split("value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        form.push(format!("{name}={}", encode(&unescape(value))));
    }
    form.push(format!("decision={decision}"));
    let resp = http()
        .post(format!("{}/oauth/v2/authorization", mock.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.join("&"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    resp.headers()["location"].to_str().unwrap().to_string()
}

/// Follows the redirect to the command's callback server; returns status and page.
async fn callback(location: &str) -> (u16, String) {
    let r = http().get(location).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn check(config_path: &std::path::Path) -> Value {
    let out = Command::new(BIN)
        .args(["check", "--config"])
        .arg(config_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|m| m["type"] == "CONNECTION_STATUS")
        .unwrap_or_else(|| panic!("no CONNECTION_STATUS in {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_prints_a_config_that_passes_check() {
    let mock = start_mock().await;
    let mut auth = Auth::start(&mock, &[]);
    let url = auth.url(&mock);
    assert!(url.contains(
        "response_type=code&client_id=mock-client&redirect_uri=http%3A%2F%2F127.0.0.1%3A"
    ));
    assert!(url.contains(
        "&scope=rw_organization_admin%20r_organization_social%20r_organization_social_feed"
    ));
    let location = consent(&url, "Allow", &mock).await;
    assert!(location.contains("/callback?code="), "{location}");
    let (status, page) = callback(&location).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("close this tab"), "{page}");
    let (code, stdout, stderr) = auth.finish();
    assert_eq!(code, 0, "{stderr}");
    let config: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(config["credentials"]["auth_method"], "oauth2.0");
    assert_eq!(config["credentials"]["client_id"], "mock-client");
    assert_eq!(config["credentials"]["client_secret"], "mock-secret");
    assert_eq!(config["credentials"]["refresh_token"], "mock-refresh");
    assert_eq!(config["api_base_url"], format!("{}/rest", mock.url));
    assert_eq!(config["oauth_base_url"], format!("{}/oauth/v2", mock.url));
    assert!(stderr.contains("Granted scopes: rw_organization_admin r_organization_social r_organization_social_feed"), "{stderr}");
    assert!(
        stderr.contains("Streams these scopes unlock: organizations"),
        "{stderr}"
    );
    for secret in ["mock-secret", "mock-refresh", "mock-token", "mock-code-"] {
        assert!(!stderr.contains(secret), "{secret} leaked: {stderr}");
        assert!(!page.contains(secret), "{secret} in the page");
    }
    let dir = std::env::temp_dir().join(format!("auth-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.json");
    std::fs::write(&path, &stdout).unwrap();
    let status = check(&path);
    assert_eq!(
        status["connectionStatus"]["status"], "SUCCEEDED",
        "{status}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_config_makes_an_owner_only_file_and_fewer_scopes_unlock_less() {
    let mock = start_mock().await;
    let dir = std::env::temp_dir().join(format!("auth-it-w-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("linkedin.json");
    let mut auth = Auth::start(
        &mock,
        &[
            "--write-config",
            path.to_str().unwrap(),
            "--scopes",
            "r_organization_social,r_social_engagement",
        ],
    );
    let url = auth.url(&mock);
    let location = consent(&url, "Allow", &mock).await;
    assert_eq!(callback(&location).await.0, 200);
    let (code, stdout, stderr) = auth.finish();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "", "the config goes to the file only");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // The documented model: statistics need the admin scope; r_social_engagement unlocks
    // nothing this connector reads.
    assert!(
        stderr.contains(
            "Not unlocked: follower_statistics (needs rw_organization_admin or r_organization_admin)"
        ),
        "{stderr}"
    );
    // The written config loads and connects. The mock's code grant hands out its one
    // refresh token whatever scopes were granted, and refreshing it mints the full-scope
    // mock-token, so check passes here; a partial token's check is tested in
    // tests/permissions.rs with the mock's partial tokens.
    assert_eq!(check(&path)["connectionStatus"]["status"], "SUCCEEDED");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_fails_with_one_clear_message() {
    let mock = start_mock().await;
    let mut auth = Auth::start(&mock, &[]);
    let url = auth.url(&mock);
    let location = consent(&url, "Deny", &mock).await;
    assert!(
        location.contains("error=user_cancelled_authorize"),
        "{location}"
    );
    let (status, page) = callback(&location).await;
    assert_eq!(status, 400);
    assert!(page.contains("declined"), "{page}");
    let (code, stdout, stderr) = auth.finish();
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("the member declined to authorise the app [user_cancelled_authorize]"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_state_is_refused_before_any_exchange() {
    let mock = start_mock().await;
    let mut auth = Auth::start(&mock, &[]);
    let url = auth.url(&mock);
    let location = consent(&url, "Allow", &mock).await;
    let (head, _) = location.split_once("&state=").unwrap();
    let (status, page) = callback(&format!("{head}&state=forged")).await;
    assert_eq!(status, 400);
    assert!(page.contains("state does not match"), "{page}");
    let (code, stdout, stderr) = auth.finish();
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert!(
        stderr.contains("error: the redirect's state does not match"),
        "{stderr}"
    );
    // The code was never spent: the mock still accepts it once.
    let code = head.split("code=").nth(1).unwrap();
    let callback_uri = head.split('?').next().unwrap();
    let r = http()
        .post(format!("{}/oauth/v2/accessToken", mock.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=authorization_code&code={code}&client_id=mock-client&client_secret=mock-secret&redirect_uri={}", encode(callback_uri)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_exchange_names_the_cause_and_hides_the_secret() {
    let mock = start_mock().await;
    let mut auth = Auth::start(&mock, &["--client-secret", "wrong-secret-1234"]);
    let url = auth.url(&mock);
    let location = consent(&url, "Allow", &mock).await;
    let (status, page) = callback(&location).await;
    assert_eq!(status, 400);
    assert!(page.contains("invalid_client"), "{page}");
    let (code, stdout, stderr) = auth.finish();
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert!(
        stderr.contains("error: exchanging the code for a token failed (invalid_client"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-secret-1234") && !page.contains("wrong-secret-1234"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_times_out_and_missing_credentials_are_named() {
    let mock = start_mock().await;
    let mut auth = Auth::start(&mock, &["--timeout-secs", "1"]);
    auth.url(&mock);
    let (code, _, stderr) = auth.finish();
    assert_eq!(code, 1);
    assert!(
        stderr.contains("error: no answer from the browser within 1 s"),
        "{stderr}"
    );
    let out = Command::new(BIN)
        .args(["auth", "--no-browser", "--client-id", "x"])
        .env_remove("LINKEDIN_CLIENT_SECRET")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("client-secret"));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_no_browser_the_url_goes_to_the_browser_command() {
    use std::os::unix::fs::PermissionsExt;
    let mock = start_mock().await;
    let dir = std::env::temp_dir().join(format!("auth-it-b-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("browser.sh");
    let seen = dir.join("opened.txt");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", seen.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut auth = Auth::start_with(&mock, &[], Some(script.to_str().unwrap()));
    let url = auth.url(&mock);
    let mut opened = String::new();
    for _ in 0..100 {
        opened = std::fs::read_to_string(&seen).unwrap_or_default();
        if !opened.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        opened, url,
        "the browser got the same URL as stderr, as one argument"
    );
    let location = consent(&opened, "Allow", &mock).await;
    assert_eq!(callback(&location).await.0, 200);
    let (code, _, stderr) = auth.finish();
    assert_eq!(code, 0, "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
