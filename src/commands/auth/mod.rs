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

use serde_json::{json, Value};
use tokio::net::TcpListener;

mod callback;
mod exchange;
#[cfg(test)]
mod tests;

use callback::{open_browser, page, respond, wait_for_callback, Callback};
use exchange::{exchange, TokenResponse};

use crate::cli::{AuthOptions, DEFAULT_SCOPES};
use crate::config;
use crate::error::{Error, Result};
use crate::linkedin::restli::encode;
use crate::protocol::Writer;
use crate::streams::permissions::{describe_needs, Permission};
use crate::streams::STREAMS;

/// The path of the callback under the local server.
const CALLBACK_PATH: &str = "/callback";

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
    let (scopes, oauth_base) = validate(&opts)?;
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
            save_config(path, &config, tell)?;
            Ok(None)
        }
        None => Ok(Some(config)),
    }
}

/// Writes the config to `path`, readable by its owner only, and says where it went.
fn save_config<T: Write>(path: &Path, config: &Value, tell: &mut T) -> Result<()> {
    let text = serde_json::to_string_pretty(config)
        .map_err(|e| Error::Internal(format!("cannot render the config: {e}")))?;
    write_private(path, &format!("{text}\n"))?;
    writeln!(
        tell,
        "Wrote the config to {} (readable by you only). Check it: source-linkedin-pages check --config {}",
        path.display(),
        path.display()
    )
    .map_err(Error::Output)
}

/// Checks the options before anything listens: the scopes, the client credentials and the
/// OAuth base URL (returned without its trailing slash).
fn validate(opts: &AuthOptions) -> Result<(Vec<String>, String)> {
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
    Ok((scopes, oauth_base))
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
