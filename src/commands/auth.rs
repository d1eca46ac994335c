//! `source-linkedin-pages auth`: a ready config in one command, through the OAuth 2.0
//! authorization code flow ("3-legged OAuth") LinkedIn documents at
//! <https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow>.
//!
//! 1. A callback server listens on `127.0.0.1:PORT`; `http://127.0.0.1:PORT/callback` is the
//!    redirect URL, which must be registered on the app's Auth tab exactly as printed.
//! 2. The person's browser opens `{oauth_base}/authorization?response_type=code&client_id=..
//!    &redirect_uri=..&state=..&scope=..` (scopes space-separated, percent-encoded), where
//!    LinkedIn asks them to allow or deny.
//! 3. LinkedIn redirects to the callback with `code` and `state`, or with `error`,
//!    `error_description` and `state` (`user_cancelled_login`, `user_cancelled_authorize`).
//!    `state` must equal the random value sent in step 2 (the doc's CSRF check).
//! 4. `POST {oauth_base}/accessToken`, form-encoded `grant_type=authorization_code`, `code`,
//!    `client_id`, `client_secret`, `redirect_uri`, answers `access_token`, `expires_in`,
//!    and, for apps with programmatic refresh tokens
//!    (<https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens>),
//!    `refresh_token` and `refresh_token_expires_in`; `scope` lists what was granted.
//!
//! The config goes to stdout (or a 0600 file); everything meant for the person goes to the
//! `tell` writer (stderr), because this command is interactive and stdout must stay a clean
//! JSON document a shell can redirect. Secrets appear only in the config itself.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::cli::{AuthOptions, DEFAULT_SCOPES};
use crate::config::{self, Secret};
use crate::error::{Error, Result};
use crate::linkedin::restli::encode;
use crate::protocol::Writer;
use crate::streams::permissions::{describe_needs, Permission};
use crate::streams::STREAMS;

/// The path of the callback under the local server.
const CALLBACK_PATH: &str = "/callback";
/// Largest request head the callback server reads; LinkedIn's codes are a few hundred bytes.
const MAX_REQUEST: usize = 16 * 1024;

/// The parameters LinkedIn sends to the redirect URL.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// The token endpoint's answer (fields as documented; all optional so a partial answer
/// produces a clear error rather than a decode failure).
#[derive(Debug, Default, Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    expires_in: Option<i64>,
    refresh_token: Option<String>,
    refresh_token_expires_in: Option<i64>,
    scope: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Runs the command: the config goes to `writer` (stdout) unless written to a file; the
/// person's messages, and a failure as one clear message, go to stderr. Returns the exit
/// code.
pub(crate) async fn command<W: Write>(opts: AuthOptions, writer: &mut Writer<W>) -> Result<i32> {
    let mut tell = std::io::stderr();
    match run(opts, &mut tell).await {
        Ok(Some(config)) => writer.document(&config).map(|_| 0),
        Ok(None) => Ok(0),
        Err(e) => {
            let _ = writeln!(tell, "error: {e}");
            Ok(1)
        }
    }
}

/// The flow; returns the config to print, or `None` when it was written to a file.
pub(crate) async fn run<T: Write>(opts: AuthOptions, tell: &mut T) -> Result<Option<Value>> {
    let scopes = parse_scopes(&opts.scopes)?;
    if opts.client_id.trim().is_empty() {
        return Err(Error::Config(
            "no client ID: pass --client-id or set LINKEDIN_CLIENT_ID (the app's Auth tab in LinkedIn's developer portal shows it)".into(),
        ));
    }
    if opts.client_secret.expose().trim().is_empty() {
        return Err(Error::Config(
            "no client secret: pass --client-secret or set LINKEDIN_CLIENT_SECRET (the app's Auth tab shows it)".into(),
        ));
    }
    let oauth_base = opts.oauth_base_url.trim_end_matches('/').to_string();
    match reqwest::Url::parse(&oauth_base) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
        _ => {
            return Err(Error::Config(format!(
                "--oauth-base-url '{oauth_base}' is not an http(s) URL"
            )))
        }
    }
    let listener = TcpListener::bind(("127.0.0.1", opts.port))
        .await
        .map_err(|e| {
            Error::Config(format!(
                "cannot listen on 127.0.0.1:{} for LinkedIn's redirect ({e}): choose another --port (and register its redirect URL), or --port 0 for any free port",
                opts.port
            ))
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::Internal(format!("the callback server has no address: {e}")))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}{CALLBACK_PATH}");
    let state = new_state()?;
    let url = authorization_url(&oauth_base, &opts.client_id, &redirect_uri, &state, &scopes);

    let say = |tell: &mut T, text: String| -> Result<()> {
        writeln!(tell, "{text}").map_err(Error::Output)
    };
    say(
        tell,
        format!("Redirect URL (list it under \"Authorized redirect URLs for your app\" on the app's Auth tab): {redirect_uri}"),
    )?;
    say(tell, format!("Requesting scopes: {}", scopes.join(" ")))?;
    say(
        tell,
        format!(
            "Open this URL in a browser and choose Allow (waiting up to {} s):",
            opts.timeout_secs
        ),
    )?;
    say(tell, url.clone())?;
    let _ = tell.flush();
    if !opts.no_browser && !open_browser(&url) {
        say(
            tell,
            "Could not start a browser; open the URL above yourself.".into(),
        )?;
    }

    let (callback, mut stream) = tokio::time::timeout(
        Duration::from_secs(opts.timeout_secs),
        wait_for_callback(listener),
    )
    .await
    .map_err(|_| {
        Error::Config(format!(
            "no answer from the browser within {} s: open the URL printed above, choose Allow, and check that the redirect URL is registered (or raise --timeout-secs)",
            opts.timeout_secs
        ))
    })??;

    let outcome = match check_callback(&callback, &state) {
        Ok(code) => {
            exchange(
                &oauth_base,
                &opts.client_id,
                &opts.client_secret,
                &code,
                &redirect_uri,
                Duration::from_secs(60),
            )
            .await
        }
        Err(e) => Err(e),
    };
    let page = match &outcome {
        Ok(_) => page(
            "LinkedIn access granted",
            "The connector has its token. You can close this tab and return to the terminal.",
        ),
        Err(e) => page(
            "LinkedIn authorisation failed",
            &format!("{e} You can close this tab; the terminal shows the same message."),
        ),
    };
    respond(&mut stream, if outcome.is_ok() { 200 } else { 400 }, &page).await;
    let tokens = outcome?;

    let config = build_config(&opts, &tokens)?;
    let granted = tokens
        .scope
        .as_deref()
        .map(split_scopes)
        .filter(|s| !s.is_empty());
    for line in summary(granted.as_deref(), &scopes, &tokens) {
        say(tell, line)?;
    }
    match &opts.write_config {
        Some(path) => {
            let text = serde_json::to_string_pretty(&config)
                .map_err(|e| Error::Internal(format!("cannot render the config: {e}")))?;
            write_private(path, &format!("{text}\n"))?;
            say(
                tell,
                format!(
                    "Wrote the config to {} (readable by you only). Check it: source-linkedin-pages check --config {}",
                    path.display(),
                    path.display()
                ),
            )?;
            Ok(None)
        }
        None => Ok(Some(config)),
    }
}

/// Splits `--scopes` on spaces and commas (LinkedIn's token tool shows them either way),
/// keeping the first of duplicates.
pub(crate) fn parse_scopes(raw: &str) -> Result<Vec<String>> {
    let scopes = split_scopes(raw);
    if scopes.is_empty() {
        return Err(Error::Config(format!(
            "--scopes is empty: give at least one, e.g. \"{DEFAULT_SCOPES}\""
        )));
    }
    if let Some(bad) = scopes
        .iter()
        .find(|s| !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        return Err(Error::Config(format!(
            "--scopes: '{bad}' is not a LinkedIn scope name (letters, digits and _ only, e.g. r_organization_social)"
        )));
    }
    Ok(scopes)
}

fn split_scopes(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in raw.split(|c: char| c == ',' || c.is_whitespace()) {
        if !s.is_empty() && !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

/// 32 bytes from the operating system's generator, hex: the unguessable `state`.
fn new_state() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Internal(format!("no random numbers for the OAuth state: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The authorization URL: every value percent-encoded, scopes joined by a space (`%20`),
/// as the doc's example request shows.
pub(crate) fn authorization_url(
    oauth_base: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    scopes: &[String],
) -> String {
    format!(
        "{}/authorization?response_type=code&client_id={}&redirect_uri={}&state={}&scope={}",
        oauth_base.trim_end_matches('/'),
        encode(client_id),
        encode(redirect_uri),
        encode(state),
        encode(&scopes.join(" "))
    )
}

/// The code from a callback whose `state` matches, or the error to report. The state is
/// checked first: an answer that did not come from this run says nothing about it.
pub(crate) fn check_callback(cb: &Callback, expected_state: &str) -> Result<String> {
    match cb.state.as_deref() {
        None => {
            return Err(Error::Config(
                "the redirect carried no state, so it cannot be told apart from a forged one; nothing was exchanged. Run the command again".into(),
            ))
        }
        Some(s) if !constant_time_eq(s.as_bytes(), expected_state.as_bytes()) => {
            return Err(Error::Config(
                "the redirect's state does not match this run's (an old tab, another run, or a forged link); nothing was exchanged. Run the command again and use the URL it prints".into(),
            ))
        }
        Some(_) => {}
    }
    if let Some(err) = &cb.error {
        let why = cb
            .error_description
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        let meaning = match err.as_str() {
            "user_cancelled_authorize" | "access_denied" => {
                "the member declined to authorise the app"
            }
            "user_cancelled_login" => "the member cancelled signing in to LinkedIn",
            "unauthorized_scope_error" => {
                "the app is not approved for a requested scope: request the product (Community Management API) on the app's Products tab, or ask for fewer --scopes"
            }
            "invalid_request" | "invalid_redirect_uri" => {
                "LinkedIn rejected the request: check that the redirect URL printed above is registered on the app's Auth tab exactly"
            }
            _ => "LinkedIn refused the authorisation",
        };
        return Err(Error::Config(format!(
            "authorisation was not granted: {meaning} [{err}]{why}. Run the command again to retry"
        )));
    }
    match cb.code.as_deref() {
        Some(c) if !c.is_empty() => Ok(c.to_string()),
        _ => Err(Error::Config(
            "the redirect carried neither a code nor an error; run the command again".into(),
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Parses the request line of one HTTP/1.1 request: `(method, path, callback params)`.
pub(crate) fn parse_request(head: &str) -> Option<(String, String, Callback)> {
    let line = head.lines().next()?;
    let mut parts = line.split(' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?;
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut cb = Callback::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v);
        match percent_decode(k).as_deref() {
            Some("code") => cb.code = v,
            Some("state") => cb.state = v,
            Some("error") => cb.error = v,
            Some("error_description") => cb.error_description = v,
            _ => {}
        }
    }
    Some((method, path.to_string(), cb))
}

/// Form/query decoding: `%XX` escapes and `+` for a space. `None` for a malformed escape
/// or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Accepts connections until one is a GET of the callback path; every connection is read
/// in its own task, because browsers open speculative connections that never send a
/// request and must not hold up the real one.
async fn wait_for_callback(listener: TcpListener) -> Result<(Callback, TcpStream)> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Callback, TcpStream)>(4);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = accepted.map_err(|e| {
                    Error::Transient(format!("the callback server stopped accepting: {e}"))
                })?;
                let tx = tx.clone();
                tokio::spawn(async move {
                    if let Some(found) = read_one(stream).await {
                        let _ = tx.send(found).await;
                    }
                });
            }
            Some(found) = rx.recv() => return Ok(found),
        }
    }
}

/// Reads one request; answers anything but the callback itself (a favicon, a stray path)
/// with a 404 and returns `None`.
async fn read_one(mut stream: TcpStream) -> Option<(Callback, TcpStream)> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Some(())
    })
    .await;
    if !matches!(read, Ok(Some(()))) {
        return None;
    }
    let head = String::from_utf8_lossy(&buf);
    match parse_request(&head) {
        Some((method, path, cb)) if method == "GET" && path == CALLBACK_PATH => Some((cb, stream)),
        Some(_) => {
            respond(
                &mut stream,
                404,
                &page(
                    "Not found",
                    "This local server only receives LinkedIn's redirect.",
                ),
            )
            .await;
            None
        }
        None => {
            respond(
                &mut stream,
                400,
                &page("Bad request", "Not an HTTP/1.1 request."),
            )
            .await;
            None
        }
    }
}

async fn respond(stream: &mut TcpStream, status: u16, html: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        html.len()
    );
    // The browser may already be gone; the terminal carries the outcome anyway.
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(html.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The small page the browser shows after the redirect.
fn page(title: &str, message: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\n<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">\n<h1>{t}</h1>\n<p>{m}</p>\n<p><small>source-linkedin-pages auth</small></p>\n</body></html>\n",
        t = html_escape(title),
        m = html_escape(message)
    )
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Starts the person's browser at `url` without a shell (the URL holds `&`): `$BROWSER`
/// if set, else the desktop's opener. Returns whether a program started.
fn open_browser(url: &str) -> bool {
    let (program, mut args): (String, Vec<String>) = match std::env::var("BROWSER") {
        Ok(b) if !b.trim().is_empty() => {
            // $BROWSER may list several commands separated by ':'; the first is used.
            let first = b.split(':').next().unwrap_or_default();
            let mut words = first.split_whitespace().map(str::to_string);
            match words.next() {
                Some(p) => (p, words.collect()),
                None => return false,
            }
        }
        _ if cfg!(target_os = "macos") => ("open".into(), Vec::new()),
        _ if cfg!(windows) => (
            "rundll32".into(),
            vec!["url.dll,FileProtocolHandler".into()],
        ),
        _ => ("xdg-open".into(), Vec::new()),
    };
    if args.iter().any(|a| a.contains("%s")) {
        args = args.into_iter().map(|a| a.replace("%s", url)).collect();
    } else {
        args.push(url.to_string());
    }
    match std::process::Command::new(&program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(mut child) => {
            // Reaped on a plain thread so the runtime's shutdown never waits for a browser.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
            true
        }
        Err(_) => false,
    }
}

/// `POST {oauth_base}/accessToken` with the code.
async fn exchange(
    oauth_base: &str,
    client_id: &str,
    client_secret: &Secret,
    code: &str,
    redirect_uri: &str,
    timeout: Duration,
) -> Result<TokenResponse> {
    let url = format!("{oauth_base}/accessToken");
    let form = format!(
        "grant_type=authorization_code&code={}&client_id={}&client_secret={}&redirect_uri={}",
        encode(code),
        encode(client_id),
        encode(client_secret.expose()),
        encode(redirect_uri)
    );
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("source-linkedin-pages/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))?;
    let resp = http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .map_err(|e| {
            Error::Transient(format!(
                "cannot reach LinkedIn's token endpoint {url}: {}",
                e.without_url()
            ))
        })?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap_or_default();
    let parsed: TokenResponse = serde_json::from_slice(&body).unwrap_or_default();
    let secrets = [client_secret.expose().to_string(), code.to_string()];
    match (status, &parsed.access_token) {
        (200, Some(t)) if !t.is_empty() => Ok(parsed),
        (200, _) => Err(Error::Api {
            status,
            endpoint: "oauth/v2/accessToken".into(),
            code: None,
            message:
                "LinkedIn's token endpoint answered without an access_token; run the command again"
                    .into(),
            failure: crate::error::FailureType::System,
        }),
        _ => {
            let code_name = parsed
                .error
                .clone()
                .unwrap_or_else(|| format!("HTTP {status}"));
            let why = config::scrub(
                parsed.error_description.as_deref().unwrap_or_default(),
                &secrets,
            );
            let advice = match code_name.as_str() {
                "invalid_client" => "LinkedIn rejected the client ID or client secret: copy both again from the app's Auth tab",
                "invalid_grant" => "the code was refused (codes are single-use and expire within minutes, and the redirect URL must match): run the command again",
                "invalid_redirect_uri" => "the redirect URL is not registered for the app: add the one printed above on the app's Auth tab",
                _ if status >= 500 => "LinkedIn's OAuth service failed; try again later",
                _ => "check the client ID, client secret and registered redirect URL",
            };
            Err(Error::Api {
                status,
                endpoint: "oauth/v2/accessToken".into(),
                code: Some(code_name.clone()),
                message: format!(
                    "exchanging the code for a token failed ({code_name}{}): {advice}.",
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!(": {why}")
                    }
                ),
                failure: if status >= 500 {
                    crate::error::FailureType::Transient
                } else {
                    crate::error::FailureType::Config
                },
            })
        }
    }
}

/// The ready config: OAuth 2.0 with the refresh token when LinkedIn issued one (apps
/// approved for programmatic refresh tokens), else the access token. Non-default base
/// URLs are kept so the config talks to the same servers the flow did.
fn build_config(opts: &AuthOptions, tokens: &TokenResponse) -> Result<Value> {
    let credentials = match tokens.refresh_token.as_deref().filter(|t| !t.is_empty()) {
        Some(refresh) => json!({
            "auth_method": "oauth2.0",
            "client_id": opts.client_id.trim(),
            "client_secret": opts.client_secret.expose().trim(),
            "refresh_token": refresh,
        }),
        None => json!({
            "auth_method": "access_token",
            "access_token": tokens.access_token.as_deref().unwrap_or_default(),
        }),
    };
    let mut cfg = json!({ "credentials": credentials });
    let api = opts.api_base_url.trim_end_matches('/');
    if api != config::DEFAULT_API_BASE_URL {
        cfg["api_base_url"] = json!(api);
    }
    let oauth = opts.oauth_base_url.trim_end_matches('/');
    if oauth != config::DEFAULT_OAUTH_BASE_URL {
        cfg["oauth_base_url"] = json!(oauth);
    }
    // The config must load as the connector's own; a failure here is a bug, said plainly.
    config::Config::from_value("the generated config", &mut cfg.clone())
        .map_err(|e| Error::Internal(format!("the generated config does not load: {e}")))?;
    Ok(cfg)
}

/// What the person reads after success: scopes granted, what they unlock (a stream is
/// unlocked when every permission-table row it reads is: docs/permissions.md), expiries.
fn summary(granted: Option<&[String]>, requested: &[String], t: &TokenResponse) -> Vec<String> {
    let mut lines = Vec::new();
    let scopes: &[String] = match granted {
        Some(g) => {
            lines.push(format!("Granted scopes: {}", g.join(" ")));
            g
        }
        None => {
            lines.push(format!(
                "LinkedIn did not list the granted scopes; assuming the requested ones: {}",
                requested.join(" ")
            ));
            requested
        }
    };
    let (open, closed): (Vec<_>, Vec<_>) = STREAMS
        .iter()
        .partition(|s| s.needs.iter().all(|p| p.held_by(scopes)));
    lines.push(format!(
        "Streams these scopes unlock: {}",
        open.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
    ));
    for s in closed {
        let missing: Vec<Permission> = s
            .needs
            .iter()
            .filter(|p| !p.held_by(scopes))
            .copied()
            .collect();
        lines.push(format!(
            "Not unlocked: {} (needs {})",
            s.name,
            describe_needs(&missing)
        ));
    }
    let days = |secs: i64| secs / 86_400;
    match (&t.refresh_token, t.refresh_token_expires_in) {
        (Some(_), Some(left)) => lines.push(format!(
            "The refresh token lasts {} days; the connector mints access tokens from it.",
            days(left)
        )),
        (Some(_), None) => {
            lines.push("The connector mints access tokens from the refresh token.".into())
        }
        (None, _) => lines.push(format!(
            "LinkedIn issued no refresh token (the app is not approved for programmatic refresh tokens), so the config holds the access token{}; run auth again before it expires.",
            t.expires_in
                .map(|s| format!(", valid {} days", days(s)))
                .unwrap_or_default()
        )),
    }
    lines
}

/// Writes `text` to `path` readable by the owner only: a 0600 temporary file beside it,
/// renamed over it, so a crash never leaves half a config or a readable secret.
fn write_private(path: &Path, text: &str) -> Result<()> {
    let fail = |e: std::io::Error| {
        Error::Config(format!(
            "--write-config {}: cannot write the file ({e})",
            path.display()
        ))
    };
    let name = path.file_name().ok_or_else(|| {
        Error::Config(format!(
            "--write-config {}: not a file name",
            path.display()
        ))
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = (|| {
        let mut f = options.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorization_url_encodes_every_value() {
        let scopes = parse_scopes("r_organization_social, r_social_engagement").unwrap();
        let url = authorization_url(
            "https://www.linkedin.com/oauth/v2/",
            "abc 123",
            "http://127.0.0.1:8765/callback",
            "s&t",
            &scopes,
        );
        assert_eq!(
            url,
            "https://www.linkedin.com/oauth/v2/authorization?response_type=code&client_id=abc%20123\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback&state=s%26t\
             &scope=r_organization_social%20r_social_engagement"
        );
    }

    #[test]
    fn scopes_split_on_spaces_and_commas_and_reject_junk() {
        assert_eq!(
            parse_scopes(" a_b,c  a_b\td ").unwrap(),
            vec!["a_b", "c", "d"]
        );
        assert!(parse_scopes(" , ").is_err());
        let e = parse_scopes("r_organization_social&evil=1").unwrap_err();
        assert!(e.to_string().contains("not a LinkedIn scope"), "{e}");
        assert_eq!(parse_scopes(DEFAULT_SCOPES).unwrap().len(), 3);
    }

    #[test]
    fn callbacks_parse_from_the_request_line() {
        let (m, p, cb) = parse_request(
            "GET /callback?code=AQ%2Bx-1&state=abc HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        )
        .unwrap();
        assert_eq!((m.as_str(), p.as_str()), ("GET", "/callback"));
        assert_eq!(cb.code.as_deref(), Some("AQ+x-1"));
        assert_eq!(cb.state.as_deref(), Some("abc"));
        let (_, _, cb) = parse_request(
            "GET /callback?error=user_cancelled_authorize&error_description=The+member+refused&state=s HTTP/1.1\r\n\r\n",
        )
        .unwrap();
        assert_eq!(cb.error.as_deref(), Some("user_cancelled_authorize"));
        assert_eq!(cb.error_description.as_deref(), Some("The member refused"));
        let (_, p, cb) = parse_request("GET /favicon.ico HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!((p.as_str(), cb), ("/favicon.ico", Callback::default()));
        assert!(parse_request("garbage").is_none());
        assert!(parse_request("GET /callback SMTP/1.0\r\n").is_none());
        // A malformed escape drops the value rather than guessing at it.
        let (_, _, cb) = parse_request("GET /callback?code=%zz&state=a HTTP/1.1\r\n").unwrap();
        assert_eq!(cb.code, None);
    }

    #[test]
    fn the_state_is_checked_before_anything_else() {
        let cb = |code: Option<&str>, state: Option<&str>, error: Option<&str>| Callback {
            code: code.map(Into::into),
            state: state.map(Into::into),
            error: error.map(Into::into),
            error_description: Some("The member refused <b>".into()),
        };
        assert_eq!(
            check_callback(&cb(Some("c"), Some("s1"), None), "s1").unwrap(),
            "c"
        );
        let e = check_callback(&cb(Some("c"), Some("s2"), None), "s1").unwrap_err();
        assert!(e.to_string().contains("state does not match"), "{e}");
        let e = check_callback(&cb(Some("c"), None, None), "s1").unwrap_err();
        assert!(e.to_string().contains("no state"), "{e}");
        // A denial with a forged state is reported as the forgery.
        let e = check_callback(&cb(None, Some("x"), Some("user_cancelled_authorize")), "s1")
            .unwrap_err();
        assert!(e.to_string().contains("state does not match"), "{e}");
        let e = check_callback(
            &cb(None, Some("s1"), Some("user_cancelled_authorize")),
            "s1",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("declined")
                && e.to_string().contains("user_cancelled_authorize"),
            "{e}"
        );
        assert!(check_callback(&cb(None, Some("s1"), None), "s1").is_err());
    }

    #[test]
    fn states_are_random_and_long() {
        let (a, b) = (new_state().unwrap(), new_state().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn pages_escape_what_they_show() {
        let p = page("t", "<script>alert(1)</script> & \"x\"");
        assert!(p.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
        assert!(!p.contains("<script>"));
    }

    fn opts() -> AuthOptions {
        AuthOptions {
            client_id: "cid".into(),
            client_secret: Secret::new("csecret"),
            scopes: DEFAULT_SCOPES.into(),
            oauth_base_url: config::DEFAULT_OAUTH_BASE_URL.into(),
            api_base_url: config::DEFAULT_API_BASE_URL.into(),
            port: 0,
            no_browser: true,
            write_config: None,
            timeout_secs: 1,
        }
    }

    #[test]
    fn the_config_loads_and_uses_the_refresh_token_when_there_is_one() {
        let tokens = TokenResponse {
            access_token: Some("at".into()),
            refresh_token: Some("rt".into()),
            ..TokenResponse::default()
        };
        let cfg = build_config(&opts(), &tokens).unwrap();
        assert_eq!(
            cfg,
            json!({"credentials": {"auth_method": "oauth2.0", "client_id": "cid",
                   "client_secret": "csecret", "refresh_token": "rt"}})
        );
        let mut o = opts();
        o.api_base_url = "http://127.0.0.1:9/rest/".into();
        let tokens = TokenResponse {
            access_token: Some("at".into()),
            ..TokenResponse::default()
        };
        let cfg = build_config(&o, &tokens).unwrap();
        assert_eq!(cfg["credentials"]["auth_method"], "access_token");
        assert_eq!(cfg["credentials"]["access_token"], "at");
        assert_eq!(cfg["api_base_url"], "http://127.0.0.1:9/rest");
        assert!(cfg.get("oauth_base_url").is_none());
    }

    #[test]
    fn the_summary_names_what_the_scopes_unlock() {
        let t = TokenResponse {
            refresh_token: Some("rt".into()),
            refresh_token_expires_in: Some(365 * 86_400),
            ..TokenResponse::default()
        };
        let granted = split_scopes("r_organization_social");
        let lines = summary(Some(&granted), &[], &t).join("\n");
        assert!(
            lines.contains("Granted scopes: r_organization_social"),
            "{lines}"
        );
        assert!(
            lines.contains("Streams these scopes unlock: follower_count, posts,"),
            "networkSizes needs no scope upfront, posts need r_organization_social: {lines}"
        );
        assert!(
            lines.contains(
                "Not unlocked: follower_statistics (needs rw_organization_admin or r_organization_admin)"
            ),
            "{lines}"
        );
        assert!(
            lines.contains("Not unlocked: post_reactions (needs r_organization_social_feed)"),
            "only the missing row is named: {lines}"
        );
        assert!(lines.contains("365 days"), "{lines}");
        assert!(!lines.contains("rt"), "{lines}");
    }

    #[test]
    fn the_command_line_maps_to_options() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from([
            "x",
            "auth",
            "--client-id",
            "id",
            "--client-secret",
            "sec",
            "--no-browser",
        ])
        .unwrap();
        let Ok(crate::cli::Command::Auth(o)) = cli.command() else {
            panic!("not the auth command")
        };
        assert_eq!(
            (o.client_id.as_str(), o.port),
            ("id", crate::cli::DEFAULT_PORT)
        );
        assert_eq!(o.client_secret.expose(), "sec");
        assert!(o.no_browser && o.write_config.is_none());
        assert_eq!(o.scopes, DEFAULT_SCOPES);
        assert_eq!(o.oauth_base_url, config::DEFAULT_OAUTH_BASE_URL);
        assert!(
            !format!("{o:?}").contains("sec\""),
            "the secret prints redacted"
        );
    }

    #[cfg(unix)]
    #[test]
    fn configs_are_written_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("auth-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.json");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, "{}\n").unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temp file left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
