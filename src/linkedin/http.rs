//! The HTTP plumbing under the client: the reqwest client, LinkedIn's OAuth form POSTs
//! (refresh and introspection), bodies read under a size cap, and error texts made
//! readable (the cause chain, LinkedIn's message or an excerpt). No retries here: those
//! are the client's.

use std::time::Duration;

use serde::Deserialize;

use super::restli::encode;
use super::retry::{ApiErrorBody, Transport};
use crate::error::{Error, FailureType, Result};
use crate::secret::Secret;

/// The most a response body may hold. LinkedIn's largest page (100 posts or comments with
/// long texts) is a few megabytes; a body beyond this is a proxy or server gone wrong, and
/// reading on would only grow memory.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// What LinkedIn's token introspection says (timestamps in seconds).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Introspection {
    pub active: Option<bool>,
    pub status: Option<String>,
    pub expires_at: Option<i64>,
    pub scope: Option<String>,
}

/// `POST {oauth_base}/introspectToken`: whether a token is active, its expiry and scopes.
/// Needs the app's client credentials.
pub(crate) async fn introspect(
    oauth_base: &str,
    client_id: &Secret,
    client_secret: &Secret,
    token: &Secret,
    timeout: Duration,
) -> Result<Introspection> {
    let http = http_client(timeout)?;
    let form = format!(
        "client_id={}&client_secret={}&token={}",
        encode(client_id.expose()),
        encode(client_secret.expose()),
        encode(token.expose())
    );
    let url = format!("{}/introspectToken", oauth_base.trim_end_matches('/'));
    let (status, body) = post_form(&http, &url, form).await?;
    if status != 200 {
        return Err(Error::Api {
            status,
            endpoint: "oauth/v2/introspectToken".into(),
            code: None,
            message: format!(
                "token introspection failed ({status}): check the client ID and client secret"
            ),
            failure: FailureType::Config,
        });
    }
    serde_json::from_slice(&body).map_err(|e| Error::Decode {
        stream: "introspectToken".into(),
        detail: e.to_string(),
    })
}

/// POSTs a form to one of LinkedIn's OAuth endpoints; returns the status and body. The
/// error names the URL only (reqwest's message without it; the form holds the secrets).
pub(super) async fn post_form(
    http: &reqwest::Client,
    url: &str,
    form: String,
) -> Result<(u16, Vec<u8>)> {
    let resp = http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .map_err(|e| {
            Error::Transient(crate::scrub::scrub(&format!(
                "cannot reach LinkedIn's OAuth endpoint {url}: {}",
                e.without_url()
            )))
        })?;
    let status = resp.status().as_u16();
    let body = read_capped(resp, MAX_BODY_BYTES).await.unwrap_or_default();
    Ok((status, body))
}

/// Builds the reqwest client shared by the API and OAuth calls.
///
/// `timeout` bounds the silence: waiting for the response headers, or between two reads of
/// the body (a tarpit that accepts and never answers fails after it). The whole exchange
/// may take six times that, so a large page on a slow line still arrives while a server
/// that drips bytes forever does not hold a request.
pub(super) fn http_client(timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .read_timeout(timeout)
        .timeout(timeout.saturating_mul(6))
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("source-linkedin-pages/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))
}

/// An error and its causes on one line ("error sending request" alone says nothing).
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Reads a body of at most `cap` bytes; a longer one fails as `TooLarge` as soon as the
/// cap is passed (an announced length beyond it fails before reading anything).
pub(super) async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
) -> std::result::Result<Vec<u8>, (Transport, String)> {
    let too_large = || {
        (
            Transport::TooLarge,
            format!("the response is larger than {} MiB, far beyond any page LinkedIn sends; a proxy or the server is misbehaving", cap / (1024 * 1024)),
        )
    };
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(resp.content_length().unwrap_or(0).min(1 << 20) as usize);
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                let kind = if e.is_timeout() {
                    Transport::Timeout
                } else {
                    Transport::Body
                };
                // Headers arrived, so the server was reached: a cut-off body is not a
                // failure to connect.
                return Err((
                    kind,
                    format!(
                        "the connection broke off after {} bytes of the response body: {}",
                        body.len(),
                        error_chain(&e.without_url())
                    ),
                ));
            }
        }
    }
}

/// LinkedIn's error message, or an excerpt of a body that is not LinkedIn's error shape.
pub(super) fn api_message(status: u16, body: &[u8]) -> String {
    let err = ApiErrorBody::parse(body);
    match (err.code, err.message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (None, Some(m)) => m,
        _ if body.is_empty() => format!("HTTP {status} with an empty body"),
        _ => excerpt(body),
    }
}

/// The first 200 characters of a body, on one line.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > 200 {
        format!("{one_line}…")
    } else {
        one_line
    }
}
