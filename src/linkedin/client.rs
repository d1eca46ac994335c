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
async fn post_form(http: &reqwest::Client, url: &str, form: String) -> Result<(u16, Vec<u8>)> {
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
fn http_client(timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .read_timeout(timeout)
        .timeout(timeout.saturating_mul(6))
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("source-linkedin-pages/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))
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
            if let Some(why) = self.breaker.open_reason() {
                return Err(Error::ApiUnavailable(why));
            }
            let sent_at = std::time::Instant::now();
            let sent = {
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
                let sent = self.send_once(&url, finder, &token).await;
                let status = sent.as_ref().map_or(0, |(status, _, _)| *status);
                self.log_request("GET", &url, status, started, attempt);
                sent.map(|r| (r, version))
            };
            let token_version = sent.as_ref().map_or(0, |(_, v)| *v);
            // The breaker sees every attempt: any HTTP answer below 500 proves the API
            // alive; no connection, a timeout, a cut-off body or a 5xx add to a run of
            // failures that, long enough, stops every request.
            let alive = match &sent {
                Ok(((status, _, _), _)) => *status < 500,
                Err((Transport::TooLarge, _)) => true,
                Err(_) => false,
            };
            if alive {
                self.breaker.success();
            } else {
                let why = match &sent {
                    Ok(((status, _, _), _)) => format!("HTTP {status}"),
                    Err((_, e)) => self.scrubbed(e),
                };
                if let Some(open) = self.breaker.failure(sent_at, &why) {
                    tracing::error!(endpoint, "{open}");
                    return Err(Error::ApiUnavailable(open));
                }
            }
            let (action, status, body, last_error) = match &sent {
                Ok(((status, headers, body), _)) => {
                    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
                    // RFC 9110 `Date` (IMF-fixdate, e.g. "Wed, 25 Nov 2026 00:33:37 GMT").
                    if let Some(t) =
                        header("date").and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
                    {
                        self.server_clock
                            .fetch_min(t.timestamp_millis(), Ordering::Relaxed);
                    }
                    if let Some(q) = header("x-restli-quota-remaining")
                        .and_then(|q| q.trim().parse::<i64>().ok())
                    {
                        self.quota_remaining.store(q, Ordering::Relaxed);
                    }
                    let action = classify(Outcome::Response {
                        status: *status,
                        retry_after: header("retry-after"),
                        quota_remaining: header("x-restli-quota-remaining"),
                        body,
                    });
                    if action == Action::Done {
                        match serde_json::from_slice::<T>(body) {
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
                        let detail = self.scrubbed(&if status == 0 || status == 200 {
                            last_error
                        } else {
                            api_message(status, body)
                        });
                        let slept = budget.total_slept().as_secs();
                        return Err(if status == 429 {
                            // Short-term throttling (the daily quota was classified as
                            // DailyQuota above): only this request's stream stops.
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
                        });
                    };
                    tracing::warn!(endpoint, attempt, wait_ms = wait.as_millis() as u64, status, reason = %reason, "Retrying request");
                    let before = std::time::Instant::now();
                    let wake = before + wait;
                    // A run of failures that lasts the breaker's window stops the sync then,
                    // not after the rest of a long wait (a dead API fails a read within
                    // about the window plus one attempt, whatever the jitter drew).
                    if let Some(end) = self.breaker.window_end().filter(|end| *end < wake) {
                        tokio::time::sleep_until(end.into()).await;
                        if let Some(open) = self.breaker.check_window() {
                            tracing::error!(endpoint, "{open}");
                            return Err(Error::ApiUnavailable(open));
                        }
                    }
                    tokio::time::sleep_until(wake.into()).await;
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

/// An error and its causes on one line ("error sending request" alone says nothing).
fn error_chain(e: &dyn std::error::Error) -> String {
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
async fn read_capped(
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
fn api_message(status: u16, body: &[u8]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A mock LinkedIn on a local port, serving until the test ends.
    async fn mock() -> (String, tokio::sync::oneshot::Sender<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let scenario = linkedin_mock::Scenario {
            now_ms: Some(chrono::Utc::now().timestamp_millis()),
            ..Default::default()
        };
        tokio::spawn(linkedin_mock::serve(listener, scenario, async {
            let _ = stopped.await;
        }));
        (url, stop)
    }

    async fn control(
        url: &str,
        method: reqwest::Method,
        path: &str,
        body: &str,
    ) -> serde_json::Value {
        let http = reqwest::Client::new();
        let resp = http
            .request(method, format!("{url}/__mock/{path}"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap_or_default()
    }

    fn settings(url: &str) -> ClientSettings {
        ClientSettings {
            api_base_url: format!("{url}/rest"),
            api_version: "202609".into(),
            auth: Auth::OAuth(OAuth {
                client_id: Secret::new("mock-client"),
                client_secret: Secret::new("mock-secret"),
                refresh_token: Secret::new("mock-refresh"),
                base_url: format!("{url}/oauth/v2"),
            }),
            request_timeout: Duration::from_secs(5),
            retry: RetryPolicy {
                min_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(5),
                ..RetryPolicy::new(2)
            },
            max_concurrency: 8,
            max_requests: None,
            secrets: vec![],
        }
    }

    const ACLS: &str =
        "organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start=0&count=10";

    async fn minted(url: &str) -> serde_json::Value {
        let stats = control(url, reqwest::Method::GET, "stats", "{}").await;
        stats["endpoints"]["oauth/v2/accessToken"]["200"].clone()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn start_up_mints_once_and_concurrent_401s_refresh_once() {
        let (url, _stop) = mock().await;
        let client = Client::new(settings(&url)).unwrap();
        // Eight requests start together: one mint serves them all.
        let starts = (0..8).map(|_| client.ensure_token());
        futures_util::future::try_join_all(starts).await.unwrap();
        assert_eq!(minted(&url).await, 1);
        assert_eq!(client.tokens.current().1, 1);
        // Eight requests refused with token version 1 ask for a renewal together: one
        // refresh, and all of them then hold version 2.
        let renewals = (0..8).map(|_| client.renew(1));
        futures_util::future::try_join_all(renewals).await.unwrap();
        assert_eq!(minted(&url).await, 2);
        assert_eq!(client.tokens.current().1, 2);
        // A request refused mid-sync renews the token and is retried.
        let fault = r#"{"fault": "expired", "count": 1, "path": "/rest/organizationAcls"}"#;
        control(&url, reqwest::Method::POST, "faults", fault).await;
        client
            .get::<serde_json::Value>("organizationAcls", ACLS, true)
            .await
            .unwrap();
        assert_eq!(minted(&url).await, 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_oauth_endpoint_is_retried_on_5xx() {
        let (url, _stop) = mock().await;
        let fault = r#"{"fault": "500", "count": 1, "path": "/oauth/v2/accessToken"}"#;
        control(&url, reqwest::Method::POST, "faults", fault).await;
        let client = Client::new(settings(&url)).unwrap();
        client
            .get::<serde_json::Value>("organizationAcls", ACLS, true)
            .await
            .unwrap();
    }
}
