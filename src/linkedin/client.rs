//! The HTTP client: LinkedIn's headers on every call, OAuth refresh, bounded concurrency,
//! retries driven by [`retry::classify`], and error texts scrubbed of secrets. It returns
//! decoded JSON and knows nothing of streams or output.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Utc};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::sync::Semaphore;

use super::auth::TokenStore;
use super::breaker::Breaker;
use super::http::{api_message, error_chain, http_client, post_form, read_capped};
pub(crate) use super::http::{excerpt, introspect, MAX_BODY_BYTES};
use super::restli::encode;
use super::retry::{classify, Action, ApiErrorBody, Outcome, RetryPolicy, Transport};
use crate::error::{Error, FailureType, Result};
use crate::secret::Secret;

/// How the client authenticates.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    /// A pasted access token.
    Token(Secret),
    /// OAuth client credentials and a refresh token: the client mints access tokens.
    OAuth(OAuth),
}

/// What the client needs to know, and nothing else of the connector's config.
pub(crate) struct ClientSettings {
    pub api_base_url: String,
    pub api_version: String,
    pub auth: Auth,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    pub max_concurrency: usize,
    /// Most API requests (attempts) this client may send; `None`: no limit.
    pub max_requests: Option<u64>,
    /// Every secret value of the configuration, scrubbed from error texts (with every
    /// value made by `Secret::new`, which [`crate::scrub`] knows already).
    pub secrets: Vec<String>,
}

/// OAuth client credentials and refresh token.
#[derive(Debug, Clone)]
pub(crate) struct OAuth {
    pub client_id: Secret,
    pub client_secret: Secret,
    pub refresh_token: Secret,
    pub base_url: String,
}

/// What a refresh returned, for logs and `check`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RefreshInfo {
    pub expires_in_secs: Option<i64>,
    pub refresh_token_expires_in_secs: Option<i64>,
    /// The token's scopes as the refresh lists them (`check` reads the exact scopes here).
    pub scopes: Option<String>,
}

/// The LinkedIn REST client.
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    version: String,
    tokens: TokenStore,
    oauth: Option<OAuth>,
    policy: RetryPolicy,
    limiter: Semaphore,
    requests: AtomicU64,
    /// Attempts allowed by `ClientSettings::max_requests`, reserved before each is sent.
    max_requests: Option<u64>,
    quota_remaining: AtomicI64,
    /// Set by the first daily-quota 429: no request is sent after it.
    quota_exhausted: AtomicBool,
    /// The earliest `Date` LinkedIn sent (epoch ms; `i64::MAX` until one arrives).
    server_clock: AtomicI64,
    secrets: Vec<String>,
    /// Opens after a run of failures from the API host, across all units.
    breaker: Breaker,
}

/// One attempt's answer: status, headers and body, or the transport failure.
type Sent = std::result::Result<(u16, HeaderMap, Vec<u8>), (Transport, String)>;

/// How far a request got before its retries ran out (for the message).
#[derive(Clone, Copy)]
struct Tried<'a> {
    endpoint: &'a str,
    attempt: u32,
    slept_secs: u64,
    reason: &'a str,
}

impl Client {
    /// A client. With OAuth credentials the first request mints a token.
    pub(crate) fn new(settings: ClientSettings) -> Result<Client> {
        let (token, oauth) = match settings.auth {
            Auth::Token(t) => (t, None),
            Auth::OAuth(o) => (
                Secret::default(),
                Some(OAuth {
                    base_url: o.base_url.trim_end_matches('/').to_string(),
                    ..o
                }),
            ),
        };
        let mut secrets = settings.secrets;
        secrets.push(token.expose().to_string());
        Ok(Client {
            http: http_client(settings.request_timeout)?,
            base: settings.api_base_url.trim_end_matches('/').to_string(),
            version: settings.api_version,
            tokens: TokenStore::new(token),
            oauth,
            policy: settings.retry,
            limiter: Semaphore::new(settings.max_concurrency.max(1)),
            requests: AtomicU64::new(0),
            max_requests: settings.max_requests,
            quota_remaining: AtomicI64::new(-1),
            quota_exhausted: AtomicBool::new(false),
            server_clock: AtomicI64::new(i64::MAX),
            secrets,
            breaker: Breaker::new(
                reqwest::Url::parse(&settings.api_base_url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_else(|| settings.api_base_url.clone()),
                super::breaker::DEFAULT_THRESHOLD,
                super::breaker::DEFAULT_WINDOW,
            ),
        })
    }

    /// Requests sent so far (every attempt counts: that is what the quota counts).
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests left today, when LinkedIn said so in `X-Restli-Quota-Remaining`.
    pub(crate) fn quota_remaining(&self) -> Option<i64> {
        let q = self.quota_remaining.load(Ordering::Relaxed);
        (q >= 0).then_some(q)
    }

    /// LinkedIn's clock at the first response of this client (its `Date` header, whole
    /// seconds, so never later than the instant the response was made); `None` before
    /// any response carried one. Bookmarks are capped by it: records created during a
    /// sync are read by the next one, whatever the local clock says.
    pub(crate) fn server_time_floor(&self) -> Option<chrono::DateTime<Utc>> {
        match self.server_clock.load(Ordering::Relaxed) {
            i64::MAX => None,
            ms => chrono::DateTime::from_timestamp_millis(ms),
        }
    }

    /// Why the requests of the current run of failures failed (for `check`'s deadline).
    pub(crate) fn last_failure(&self) -> Option<String> {
        self.breaker.last_failure()
    }

    /// One debug line per request sent (`RUST_LOG=source_linkedin_pages=debug`): method,
    /// path and query (never a header, so never a token; scrubbed anyway), status (0: no
    /// response), milliseconds and attempt.
    fn log_request(
        &self,
        method: &str,
        url: &str,
        status: u16,
        started: std::time::Instant,
        attempt: u32,
    ) {
        if !tracing::enabled!(tracing::Level::DEBUG) {
            return;
        }
        // The path after scheme and host: the base URL's host is the same for every line.
        let path = url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').and_then(|i| rest.get(i..)))
            .unwrap_or(url);
        let path = self.scrubbed(path);
        let ms = started.elapsed().as_millis() as u64;
        tracing::debug!(method, path = %path, status, ms, attempt, "HTTP request");
    }

    /// Removes every secret from a text that quotes a request or response: the ones
    /// registered by `Secret::new` (the current token included) and the settings' own.
    fn scrubbed(&self, text: &str) -> String {
        crate::scrub::scrub_with(text, &self.secrets)
    }

    /// Mints an access token from the refresh token, when OAuth is configured and no
    /// token is held yet. Concurrent callers wait for one mint.
    pub(crate) async fn ensure_token(&self) -> Result<Option<RefreshInfo>> {
        if self.oauth.is_none() || self.tokens.current().1 > 0 {
            return Ok(None);
        }
        self.renew(0).await
    }

    /// Replaces the token of `version` with a fresh one, unless another request already
    /// did: concurrent 401s on the same token cause one refresh, and every one of them
    /// then retries with the new token.
    async fn renew(&self, version: u64) -> Result<Option<RefreshInfo>> {
        let _turn = self.tokens.refresh_turn().await;
        if self.tokens.current().1 != version {
            return Ok(None);
        }
        self.refresh().await.map(Some)
    }

    /// Exchanges the refresh token for a new access token.
    pub(crate) async fn refresh(&self) -> Result<RefreshInfo> {
        let Some(o) = &self.oauth else {
            return Err(Error::Internal("refresh without OAuth credentials".into()));
        };
        #[derive(Deserialize)]
        struct TokenResponse {
            access_token: Option<String>,
            expires_in: Option<i64>,
            refresh_token_expires_in: Option<i64>,
            scope: Option<String>,
            error: Option<String>,
            error_description: Option<String>,
        }
        let form = format!(
            "grant_type=refresh_token&refresh_token={}&client_id={}&client_secret={}",
            encode(o.refresh_token.expose()),
            encode(o.client_id.expose()),
            encode(o.client_secret.expose())
        );
        let url = format!("{}/accessToken", o.base_url);
        let (status, body) = self.post_oauth(&url, form).await?;
        let parsed: TokenResponse = serde_json::from_slice(&body).unwrap_or(TokenResponse {
            access_token: None,
            expires_in: None,
            refresh_token_expires_in: None,
            scope: None,
            error: None,
            error_description: None,
        });
        match (status, parsed.access_token) {
            (200, Some(token)) if !token.is_empty() => {
                self.tokens.replace(Secret::new(token));
                let info = RefreshInfo {
                    expires_in_secs: parsed.expires_in,
                    refresh_token_expires_in_secs: parsed.refresh_token_expires_in,
                    scopes: parsed.scope,
                };
                tracing::info!(expires_in_secs = ?info.expires_in_secs, "Minted an access token from the refresh token");
                if let Some(left) = info.refresh_token_expires_in_secs {
                    if left < 30 * 86_400 {
                        tracing::warn!(
                            days_left = left / 86_400,
                            "The refresh token expires in {} days: re-authorise the app in LinkedIn's developer portal and update credentials.refresh_token before then",
                            left / 86_400
                        );
                    }
                }
                Ok(info)
            }
            (status, _) => {
                let code = self.scrubbed(&parsed.error.unwrap_or_else(|| format!("HTTP {status}")));
                let why = self.scrubbed(&parsed.error_description.unwrap_or_default());
                let advice = match code.as_str() {
                    "invalid_grant" => "the refresh token is invalid, expired (they last 365 days) or revoked: authorise the app again to get a new refresh token",
                    "invalid_client" => "LinkedIn rejected the client ID or client secret: copy both again from the app's Auth tab",
                    "invalid_request" => "LinkedIn says the refresh request is incomplete: check client_id, client_secret and refresh_token",
                    _ if status >= 500 => "LinkedIn's OAuth service failed; try again later",
                    _ => "check client_id, client_secret and refresh_token",
                };
                let failure = if status >= 500 {
                    FailureType::Transient
                } else {
                    FailureType::Config
                };
                Err(Error::Api {
                    status,
                    endpoint: "oauth/v2/accessToken".into(),
                    code: Some(code.clone()),
                    message: format!(
                        "OAuth token refresh failed ({code}{}): {advice}.",
                        if why.is_empty() {
                            String::new()
                        } else {
                            format!(": {why}")
                        }
                    ),
                    failure,
                })
            }
        }
    }

    /// POSTs to the OAuth endpoint, retried like any request on dropped connections, 5xx
    /// and 429 within the retry policy; the last answer (or error) is returned.
    async fn post_oauth(&self, url: &str, form: String) -> Result<(u16, Vec<u8>)> {
        let mut budget = self.policy.budget();
        let mut attempt: u32 = 0;
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            attempt += 1;
            let started = std::time::Instant::now();
            let sent = post_form(&self.http, url, form.clone()).await;
            let status = sent.as_ref().map_or(0, |(status, _)| *status);
            self.log_request("POST", url, status, started, attempt);
            let retryable = match &sent {
                Ok((status, _)) => *status >= 500 || *status == 429,
                Err(_) => true,
            };
            if !retryable {
                return sent;
            }
            let Some(wait) = budget.next_wait(None) else {
                return sent;
            };
            tracing::warn!(
                wait_ms = wait.as_millis() as u64,
                "Retrying the OAuth token request"
            );
            let before = std::time::Instant::now();
            tokio::time::sleep(wait).await;
            budget.slept(before.elapsed());
        }
    }

    /// GETs `path_and_query` (relative to the REST base, already Rest.li-encoded) and
    /// decodes the JSON body as `T`, retrying what the classifier says is retryable.
    /// `endpoint` names the resource in logs and errors; `finder` adds `X-RestLi-Method: FINDER`.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        path_and_query: &str,
        finder: bool,
    ) -> Result<T> {
        self.get_with(endpoint, path_and_query, finder, |body: &[u8]| {
            serde_json::from_slice::<T>(body)
        })
        .await
    }

    /// [`Client::get`] with the body decoded by `parse` (called once per successful
    /// answer); a body `parse` rejects is treated as one that is not JSON.
    pub(crate) async fn get_with<T>(
        &self,
        endpoint: &str,
        path_and_query: &str,
        finder: bool,
        parse: impl Fn(&[u8]) -> serde_json::Result<T>,
    ) -> Result<T> {
        if self.quota_exhausted.load(Ordering::SeqCst) {
            return Err(self.quota_error(endpoint));
        }
        self.ensure_token().await?;
        let url = format!("{}/{}", self.base, path_and_query);
        let mut budget = self.policy.budget();
        let mut attempt: u32 = 0;
        let mut renewed = false;
        loop {
            attempt += 1;
            let (sent, token_version) = self.attempt(endpoint, &url, finder, attempt).await?;
            let (action, status, body, last_error) = match &sent {
                Ok((status, headers, body)) => {
                    self.note_headers(headers);
                    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
                    let action = classify(Outcome::Response {
                        status: *status,
                        retry_after: header("retry-after"),
                        quota_remaining: header("x-restli-quota-remaining"),
                        body,
                    });
                    if action == Action::Done {
                        match parse(body) {
                            Ok(v) => return Ok(v),
                            Err(e) => (
                                classify(Outcome::Transport(Transport::Decode)),
                                *status,
                                body.as_slice(),
                                format!("the response is not the JSON LinkedIn documents ({e}); it starts with: {}", excerpt(body)),
                            ),
                        }
                    } else {
                        (action, *status, body.as_slice(), String::new())
                    }
                }
                Err(t) => (classify(Outcome::Transport(t.0)), 0, &[][..], t.1.clone()),
            };
            match action {
                // A success returned above once decoded; a failed decode became a retry.
                Action::Done => {
                    return Err(Error::Internal(
                        "a successful response was not returned".into(),
                    ))
                }
                Action::Retry { after, reason } => {
                    let Some(wait) = budget.next_wait(after) else {
                        let tried = Tried {
                            endpoint,
                            attempt,
                            slept_secs: budget.total_slept().as_secs(),
                            reason: &reason,
                        };
                        return Err(self.give_up(&tried, status, body, last_error));
                    };
                    tracing::warn!(endpoint, attempt, wait_ms = wait.as_millis() as u64, status, reason = %reason, "Retrying request");
                    let before = std::time::Instant::now();
                    self.wait_to_retry(endpoint, before + wait).await?;
                    budget.slept(before.elapsed());
                }
                Action::RefreshToken => {
                    // One renewal per request: a 401 with a fresh token is a real refusal.
                    if self.oauth.is_some() && !renewed {
                        renewed = true;
                        tracing::info!(
                            endpoint,
                            "Access token rejected mid-sync; refreshing it once for this token"
                        );
                        self.renew(token_version).await?;
                        continue;
                    }
                    return Err(self.api_error(endpoint, status, body));
                }
                Action::DailyQuota => return Err(self.quota_error(endpoint)),
                Action::Fail(_) if status == 0 => {
                    return Err(Error::Decode {
                        stream: endpoint.into(),
                        detail: self.scrubbed(&last_error),
                    })
                }
                Action::Fail(_) => return Err(self.api_error(endpoint, status, body)),
            }
        }
    }

    /// Sends one attempt within the concurrency limit and the request budget, and tells
    /// the breaker how it went. Returns the answer (or the transport failure) and the
    /// version of the token it was sent with; `Err` stops the request outright.
    async fn attempt(
        &self,
        endpoint: &str,
        url: &str,
        finder: bool,
        attempt: u32,
    ) -> Result<(Sent, u64)> {
        if let Some(why) = self.breaker.open_reason() {
            return Err(Error::ApiUnavailable(why));
        }
        let sent_at = std::time::Instant::now();
        let (sent, version) = {
            let _permit = self
                .limiter
                .acquire()
                .await
                .map_err(|_| Error::Internal("request limiter closed".into()))?;
            // Requests queued behind the one that hit the quota must not be sent.
            if self.quota_exhausted.load(Ordering::SeqCst) {
                return Err(self.quota_error(endpoint));
            }
            self.reserve()?;
            let (token, version) = self.tokens.current();
            let started = std::time::Instant::now();
            let sent = self.send_once(url, finder, &token).await;
            let status = sent.as_ref().map_or(0, |(status, _, _)| *status);
            self.log_request("GET", url, status, started, attempt);
            (sent, version)
        };
        // The breaker sees every attempt: any HTTP answer below 500 proves the API alive;
        // no connection, a timeout, a cut-off body or a 5xx add to a run of failures that,
        // long enough, stops every request.
        let alive = match &sent {
            Ok((status, _, _)) => *status < 500,
            Err((Transport::TooLarge, _)) => true,
            Err(_) => false,
        };
        if alive {
            self.breaker.success();
        } else {
            let why = match &sent {
                Ok((status, _, _)) => format!("HTTP {status}"),
                Err((_, e)) => self.scrubbed(e),
            };
            if let Some(open) = self.breaker.failure(sent_at, &why) {
                tracing::error!(endpoint, "{open}");
                return Err(Error::ApiUnavailable(open));
            }
        }
        Ok((sent, version))
    }

    /// Keeps what a response's headers say of LinkedIn: its clock (`Date`, RFC 9110
    /// IMF-fixdate such as "Wed, 25 Nov 2026 00:33:37 GMT") and the quota left.
    fn note_headers(&self, headers: &HeaderMap) {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(t) = header("date").and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok()) {
            self.server_clock
                .fetch_min(t.timestamp_millis(), Ordering::Relaxed);
        }
        if let Some(q) =
            header("x-restli-quota-remaining").and_then(|q| q.trim().parse::<i64>().ok())
        {
            self.quota_remaining.store(q, Ordering::Relaxed);
        }
    }

    /// The error of a request whose retries ran out.
    fn give_up(&self, tried: &Tried<'_>, status: u16, body: &[u8], last_error: String) -> Error {
        let Tried {
            endpoint,
            attempt,
            slept_secs: slept,
            reason,
        } = *tried;
        let detail = self.scrubbed(&if status == 0 || status == 200 {
            last_error
        } else {
            api_message(status, body)
        });
        if status == 429 {
            // Short-term throttling (the daily quota was classified as DailyQuota):
            // only this request's stream stops.
            Error::Transient(format!(
                "{endpoint}: LinkedIn kept throttling this request (429) through {attempt} attempts and {slept} s of waiting: {}. This is short-term throttling, not the daily quota; the stream stops here and the next sync resumes it from the last state.",
                detail.trim_end_matches('.')
            ))
        } else if status == 200 {
            Error::Decode {
                stream: endpoint.into(),
                detail,
            }
        } else {
            Error::Transient(format!(
                "{endpoint}: giving up after {attempt} attempts and {slept} s of waiting ({reason}): {detail}"
            ))
        }
    }

    /// Sleeps until `wake`, unless a run of failures lasts the breaker's window first:
    /// then the sync stops at that moment, not after the rest of a long wait (a dead API
    /// fails a read within about the window plus one attempt, whatever the jitter drew).
    async fn wait_to_retry(&self, endpoint: &str, wake: std::time::Instant) -> Result<()> {
        if let Some(end) = self.breaker.window_end().filter(|end| *end < wake) {
            tokio::time::sleep_until(end.into()).await;
            if let Some(open) = self.breaker.check_window() {
                tracing::error!(endpoint, "{open}");
                return Err(Error::ApiUnavailable(open));
            }
        }
        tokio::time::sleep_until(wake.into()).await;
        Ok(())
    }

    async fn send_once(
        &self,
        url: &str,
        finder: bool,
        token: &Secret,
    ) -> std::result::Result<(u16, HeaderMap, Vec<u8>), (Transport, String)> {
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                (
                    Transport::Connect,
                    "the access token contains characters that cannot be sent in a header"
                        .to_string(),
                )
            })?;
        auth.set_sensitive(true);
        let mut req = self
            .http
            .get(url)
            .header(AUTHORIZATION, auth)
            .header("LinkedIn-Version", &self.version)
            .header("X-Restli-Protocol-Version", "2.0.0");
        if finder {
            req = req.header("X-RestLi-Method", "FINDER");
        }
        let resp = req.send().await.map_err(|e| {
            let (kind, what) = if e.is_connect() {
                (Transport::Connect, "cannot connect")
            } else if e.is_timeout() {
                (Transport::Timeout, "no answer in time")
            } else {
                // Connected, then the connection closed or reset before a whole answer.
                (
                    Transport::Body,
                    "the connection broke off before the answer was complete",
                )
            };
            (kind, format!("{what}: {}", error_chain(&e.without_url())))
        })?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = read_capped(resp, MAX_BODY_BYTES).await?;
        Ok((status, headers, body))
    }

    /// Counts one attempt about to be sent; with a request budget, refuses the attempt
    /// that would exceed it (atomically, so concurrent requests cannot overshoot).
    fn reserve(&self) -> Result<()> {
        let Some(max) = self.max_requests else {
            self.requests.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        };
        self.requests
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .map(|_| ())
            .map_err(|_| Error::BudgetExhausted { max })
    }

    fn quota_error(&self, endpoint: &str) -> Error {
        self.quota_exhausted.store(true, Ordering::SeqCst);
        let reset = (Utc::now() + ChronoDuration::days(1))
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().to_rfc3339())
            .unwrap_or_default();
        Error::QuotaExhausted {
            endpoint: endpoint.into(),
            reset,
        }
    }

    fn api_error(&self, endpoint: &str, status: u16, body: &[u8]) -> Error {
        let err = ApiErrorBody::parse(body);
        let raw = self.scrubbed(&api_message(status, body));
        let code = err.code.clone();
        let advice = match (status, code.as_deref()) {
            (401, Some("EXPIRED_ACCESS_TOKEN")) => if self.oauth.is_some() {
                "The access token expired and a refresh did not help: check the OAuth credentials.".to_string()
            } else {
                "The access token has expired (they last 60 days). Create a new one in LinkedIn's developer portal (Auth tab, OAuth 2.0 tools), or switch to the oauth2.0 method with a refresh token so the connector renews it.".to_string()
            },
            (401, Some("REVOKED_ACCESS_TOKEN")) => "The access token was revoked (the member removed the app's access or LinkedIn invalidated it). Authorise the app again and paste the new token.".into(),
            (401, _) => "LinkedIn does not recognise the access token. Paste the access token itself (not the refresh token, no 'Bearer ' prefix), or create a new one.".into(),
            (403, _) => format!("LinkedIn denied access to {endpoint}. The token may lack a scope this stream needs, or the member who authorised it is not an ADMINISTRATOR of the page. Run `source-linkedin-pages check-token` for a diagnosis."),
            (404, _) => format!("LinkedIn says this {endpoint} resource does not exist: check organization_ids."),
            (426, _) => format!("LinkedIn no longer serves API version {}: set api_version to a recent month (YYYYMM).", self.version),
            _ => String::new(),
        };
        Error::Api {
            status,
            endpoint: endpoint.into(),
            code,
            message: format!("{endpoint}: LinkedIn answered {status}: {raw}. {advice}")
                .trim_end()
                .to_string(),
            failure: match status {
                401 | 403 | 404 | 426 => FailureType::Config,
                _ => FailureType::System,
            },
        }
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
