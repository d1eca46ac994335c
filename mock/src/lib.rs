//! # linkedin-mock: a faithful stand-in for api.linkedin.com
//!
//! A contract, not a stub: what this server rejects, LinkedIn rejects too (headers, API
//! version, Rest.li 2.0 syntax, scopes and roles per `permissions.rs`, page sizes, time
//! ranges, daily quota), and what it accepts it answers in LinkedIn's shapes with
//! deterministic data of any size.
//! It shares no code with the connector.
//!
//! # Layout
//! - `lib.rs`: [`Scenario`], [`serve`], the HTTP plumbing: auth, versions, quota, faults, stats, clock
//! - `api.rs`: the `/rest` resources and `/oauth/v2` endpoints
//! - `authorize.rs`: the consent page and the authorization code grant
//! - `data.rs`: the deterministic data generator
//! - `restli.rs`: the mock's own strict Rest.li 2.0 / 1.0 query parser
//! - `permissions.rs`: the documented permission table (scopes and roles per endpoint)

mod api;
mod authorize;
pub mod data;
pub mod permissions;
pub mod restli;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Value};

use data::{Dataset, DAY_MS};

/// Everything that shapes the mock's behaviour: dataset size, clock, latency and faults.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub seed: u64,
    pub orgs: u32,
    pub posts_per_org: u32,
    pub days: u32,
    pub comments_per_post: u32,
    pub reactions_per_post: u32,
    /// The mock's clock at start, epoch ms; `None` means the start of the current UTC day.
    pub now_ms: Option<i64>,
    /// Added before every API answer.
    pub latency_ms: u64,
    /// Probability that an API request gets a random fault.
    pub fault_rate: f64,
    /// Requests allowed per mock day (application-level quota); `None` is unlimited.
    pub quota: Option<u64>,
    /// Active `LinkedIn-Version` values; `None` means the 12 months up to the clock's month.
    pub versions: Option<Vec<String>>,
    /// How long a "slow" fault stalls before answering.
    pub slow_ms: u64,
    /// Paged finders return short non-final pages (see `api::page_range`).
    pub short_pages: bool,
    /// Replies to every other comment (`socialActions/{comment URN}/comments`); 0: none,
    /// and every comment's `commentsSummary` counts zero replies.
    pub replies_per_comment: u32,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 42,
            orgs: 2,
            posts_per_org: 20,
            days: 90,
            comments_per_post: 4,
            reactions_per_post: 6,
            now_ms: None,
            latency_ms: 0,
            fault_rate: 0.0,
            quota: None,
            versions: None,
            slow_ms: 30_000,
            short_pages: false,
            replies_per_comment: 0,
        }
    }
}

/// A fault the mock can inject into one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 short-term throttle with `Retry-After: 1`.
    Throttle,
    /// 429 short-term throttle without `Retry-After` (as LinkedIn usually sends).
    ThrottleNoRetryAfter,
    /// 429 daily application quota exhausted.
    DailyQuota,
    /// The given 5xx status with a LinkedIn error body.
    Status(u16),
    /// Headers sent, then the connection drops mid-body.
    Reset,
    /// A 200 whose JSON body is cut short.
    Truncated,
    /// A 200 whose body is not JSON at all (an HTML error page from a proxy).
    NotJson,
    /// Answers only after `slow_ms`.
    Slow,
    /// 401 EXPIRED_ACCESS_TOKEN whatever the token.
    Expired,
    /// A scripted status and body, as given (for malformed-response tests).
    Body,
}

impl Fault {
    pub fn parse(s: &str) -> Option<Fault> {
        Some(match s {
            "429" | "throttle" => Fault::Throttle,
            "429-no-retry-after" | "throttle-no-retry-after" => Fault::ThrottleNoRetryAfter,
            "daily-quota" => Fault::DailyQuota,
            "reset" => Fault::Reset,
            "truncated" => Fault::Truncated,
            "not-json" => Fault::NotJson,
            "slow" => Fault::Slow,
            "expired" => Fault::Expired,
            "body" => Fault::Body,
            s => match s.parse::<u16>() {
                Ok(code @ 500..=599) => Fault::Status(code),
                _ => return None,
            },
        })
    }
    const RANDOM_MIX: [Fault; 10] = [
        Fault::Throttle,
        Fault::ThrottleNoRetryAfter,
        Fault::Status(500),
        Fault::Status(502),
        Fault::Status(503),
        Fault::Status(504),
        Fault::Reset,
        Fault::Truncated,
        Fault::NotJson,
        Fault::Slow,
    ];
}

#[derive(Debug, Clone)]
struct ScriptedFault {
    fault: Fault,
    path_contains: Option<String>,
    remaining: u32,
    /// For `Fault::Body`: the status and body to answer with.
    body: Option<(u16, String)>,
}

#[derive(Default)]
struct Mutable {
    /// Clock offset from the scenario's start, ms.
    clock_offset: i64,
    /// (mock day index, requests counted that day) for the quota.
    quota_day: (i64, u64),
    faults: Vec<ScriptedFault>,
    rng: u64,
    stats: BTreeMap<String, BTreeMap<u16, u64>>,
    total: u64,
    /// API requests being answered now, and the most at once since the last reset: the
    /// concurrency a client actually achieved (`make bench` reports it).
    in_flight: u64,
    max_in_flight: u64,
    /// Entities (post URNs) the member may not read: `forbid-entity` faults.
    forbidden: Vec<String>,
    /// Authorization codes issued by the consent page and not yet exchanged.
    auth_codes: std::collections::HashMap<String, authorize::Grant>,
}

pub(crate) struct AppState {
    scenario: Scenario,
    dataset: Dataset,
    versions: Vec<String>,
    inner: Mutex<Mutable>,
}

impl AppState {
    fn new(scenario: Scenario) -> AppState {
        let start = scenario
            .now_ms
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis().div_euclid(DAY_MS) * DAY_MS);
        let history_start = start.div_euclid(DAY_MS) * DAY_MS - i64::from(scenario.days) * DAY_MS;
        let dataset = Dataset {
            seed: scenario.seed,
            orgs: scenario.orgs,
            posts_per_org: scenario.posts_per_org,
            days: scenario.days,
            comments_per_post: scenario.comments_per_post,
            reactions_per_post: scenario.reactions_per_post,
            replies_per_comment: scenario.replies_per_comment,
            history_start,
            anchor: start,
        };
        let versions = scenario
            .versions
            .clone()
            .unwrap_or_else(|| active_versions(start));
        let rng = scenario.seed ^ 0x0005_DEEC_E66D;
        AppState {
            scenario,
            dataset,
            versions,
            inner: Mutex::new(Mutable {
                rng,
                ..Mutable::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mutable> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn now(&self) -> i64 {
        self.dataset.anchor + self.lock().clock_offset
    }
}

/// The twelve monthly versions ending with the month of `now_ms` (`YYYYMM`).
pub fn active_versions(now_ms: i64) -> Vec<String> {
    use chrono::Datelike;
    let Some(now) = chrono::DateTime::from_timestamp_millis(now_ms) else {
        return Vec::new();
    };
    let mut y = now.year();
    let mut m = now.month();
    let mut out = Vec::new();
    for _ in 0..12 {
        out.push(format!("{y:04}{m:02}"));
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
    out
}

/// Serves the mock on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    scenario: Scenario,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = Arc::new(AppState::new(scenario));
    // Scripted bodies for malformed-response tests can be large.
    let app = axum::Router::new()
        .fallback(handle)
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
        .with_state(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// A LinkedIn-style error: HTTP status and its JSON body.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: u16,
    pub body: Value,
    pub retry_after: bool,
}

impl ApiError {
    pub fn new(status: u16, code: &str, service_code: Option<u32>, message: &str) -> ApiError {
        let mut body = json!({"status": status, "code": code, "message": message});
        if let Some(c) = service_code {
            body["serviceErrorCode"] = json!(c);
        }
        ApiError {
            status,
            body,
            retry_after: false,
        }
    }
    pub fn bad_request(message: &str) -> ApiError {
        ApiError::new(400, "ILLEGAL_ARGUMENT", None, message)
    }
    pub fn not_found(message: &str) -> ApiError {
        ApiError::new(404, "NOT_FOUND", None, message)
    }
    pub fn forbidden(message: &str) -> ApiError {
        ApiError::new(403, "ACCESS_DENIED", Some(100), message)
    }
}

/// Who is calling: the token's scopes and which organizations it holds a role on.
pub(crate) struct Caller {
    pub scopes: &'static [&'static str],
    /// ADMINISTRATOR of every organization; otherwise ANALYST of the first one only.
    pub admin_of_all: bool,
    pub member: &'static str,
}

impl Caller {
    /// The caller's role on organization index `org`, if any.
    pub fn role_on(&self, org: u32) -> Option<&'static str> {
        if self.admin_of_all {
            Some("ADMINISTRATOR")
        } else if org == 0 {
            Some("ANALYST")
        } else {
            None
        }
    }
}

/// The Community Management product's scopes (w_ ones included: a real token made for the
/// product carries them), plus the two the widely shared setup guide names.
const ALL_SCOPES: &[&str] = &[
    "r_organization_social",
    "w_organization_social",
    "r_organization_social_feed",
    "w_organization_social_feed",
    "rw_organization_admin",
    "r_organization_admin",
    "r_organization_followers",
    "r_social_engagement",
];
const NO_FOLLOWERS_SCOPES: &[&str] = &["r_organization_social", "r_social_engagement"];
/// Exactly what the widely shared setup guide tells people to pick: no admin scope.
const GUIDE_SCOPES: &[&str] = &[
    "r_organization_social",
    "r_organization_followers",
    "r_social_engagement",
];
const ADMIN_ONLY_SCOPES: &[&str] = &["rw_organization_admin"];
const SOCIAL_ONLY_SCOPES: &[&str] = &["r_organization_social"];

/// The valid tokens, for `/__mock/info` and the README.
pub const TOKENS: &[&str] = &[
    "mock-token",
    "mock-guide-scopes",
    "mock-admin-only",
    "mock-social-only",
    "mock-no-followers-scope",
    "mock-not-admin",
    "mock-expired",
    "mock-revoked",
];

fn caller_for(token: &str) -> Result<Caller, ApiError> {
    let admin = |scopes, member| {
        Ok(Caller {
            scopes,
            admin_of_all: true,
            member,
        })
    };
    match token {
        "mock-token" => admin(ALL_SCOPES, "urn:li:person:mockAdmin1"),
        "mock-no-followers-scope" => admin(NO_FOLLOWERS_SCOPES, "urn:li:person:mockAdmin2"),
        "mock-guide-scopes" => admin(GUIDE_SCOPES, "urn:li:person:mockAdmin4"),
        "mock-admin-only" => admin(ADMIN_ONLY_SCOPES, "urn:li:person:mockAdmin5"),
        "mock-social-only" => admin(SOCIAL_ONLY_SCOPES, "urn:li:person:mockAdmin6"),
        "mock-not-admin" => Ok(Caller {
            scopes: ALL_SCOPES,
            admin_of_all: false,
            member: "urn:li:person:mockMember3",
        }),
        "mock-expired" => Err(expired()),
        "mock-revoked" => Err(ApiError::new(
            401,
            "REVOKED_ACCESS_TOKEN",
            Some(65601),
            "The token used in the request has been revoked by the user",
        )),
        _ => Err(ApiError::new(
            401,
            "INVALID_ACCESS_TOKEN",
            Some(65600),
            "Invalid access token",
        )),
    }
}

fn expired() -> ApiError {
    ApiError::new(
        401,
        "EXPIRED_ACCESS_TOKEN",
        Some(65602),
        "The token used in the request has expired",
    )
}

/// Scopes and role info of the mock's known tokens, for introspection.
pub(crate) fn token_scopes(token: &str) -> Option<&'static [&'static str]> {
    caller_for(token).ok().map(|c| c.scopes)
}

fn endpoint_name(path: &str) -> String {
    let rest = path.trim_start_matches('/');
    let mut segs = rest.split('/');
    match (segs.next(), segs.next()) {
        (Some("rest"), Some(r)) => {
            let r = r.split('?').next().unwrap_or(r);
            if r == "socialActions" {
                "socialActions/comments".into()
            } else if r.starts_with("reactions") {
                "reactions".into()
            } else {
                r.to_string()
            }
        }
        (Some("oauth"), Some(_)) => rest.to_string(),
        (Some(a), _) => a.to_string(),
        _ => "/".into(),
    }
}

async fn handle(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if let Some(ctl) = path.strip_prefix("/__mock/") {
        return control(&state, &method, ctl, &body);
    }
    if path == "/oauth/v2/authorization" {
        // A page for a browser, not an API answer: no faults, latency or JSON envelope.
        return authorize::authorization(&state, &method, uri.query(), &body);
    }
    let endpoint = endpoint_name(&path);
    let _in_flight = InFlight::enter(&state);
    if state.scenario.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(state.scenario.latency_ms)).await;
    }
    let (fault, scripted) = match pick_fault(&state, &path) {
        Some((f, body)) => (Some(f), body),
        None => (None, None),
    };
    if fault == Some(Fault::Slow) {
        tokio::time::sleep(Duration::from_millis(state.scenario.slow_ms)).await;
    }
    let v2 = headers
        .get("x-restli-protocol-version")
        .and_then(|v| v.to_str().ok())
        == Some("2.0.0");
    let result = match fault {
        Some(Fault::Throttle) => Err(throttle(true)),
        Some(Fault::ThrottleNoRetryAfter) => Err(throttle(false)),
        Some(Fault::DailyQuota) => Err(daily_quota()),
        Some(Fault::Status(code)) => Err(ApiError::new(
            code,
            "INTERNAL_SERVER_ERROR",
            None,
            "Internal Server Error",
        )),
        Some(Fault::Expired) => Err(expired()),
        _ => route(&state, &method, &path, uri.query(), &headers, &body, v2),
    };
    let quota_left = state.scenario.quota.map(|q| {
        let used = state.lock().quota_day.1;
        q.saturating_sub(used)
    });
    let (status, mut response) = match (result, scripted) {
        (_, Some((status, text))) => (status, plain(status, Body::from(text))),
        (Ok(reply), None) => {
            let bytes = match reply {
                api::Reply::Json(value) => serde_json::to_vec(&value).unwrap_or_default(),
                api::Reply::Raw(bytes) => bytes,
            };
            let resp = match fault {
                Some(Fault::Truncated) => plain(200, Body::from(bytes[..bytes.len() / 2].to_vec())),
                Some(Fault::NotJson) => {
                    let mut r = plain(
                        200,
                        Body::from("<html><body>upstream connect error</body></html>"),
                    );
                    r.headers_mut()
                        .insert("content-type", HeaderValue::from_static("text/html"));
                    r
                }
                Some(Fault::Reset) => reset_body(bytes),
                _ => plain(200, Body::from(bytes)),
            };
            (200, resp)
        }
        (Err(e), None) => {
            let mut r = plain(e.status, Body::from(e.body.to_string()));
            if e.retry_after {
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from_static("1"));
            }
            (e.status, r)
        }
    };
    let h = response.headers_mut();
    if !h.contains_key("content-type") {
        h.insert("content-type", HeaderValue::from_static("application/json"));
    }
    h.insert(
        "x-restli-protocol-version",
        HeaderValue::from_static(if v2 { "2.0.0" } else { "1.0.0" }),
    );
    if let Some(left) = quota_left {
        if let Ok(v) = HeaderValue::from_str(&left.to_string()) {
            h.insert("x-restli-quota-remaining", v);
        }
    }
    let id = {
        let mut m = state.lock();
        m.total += 1;
        *m.stats
            .entry(endpoint)
            .or_default()
            .entry(status)
            .or_default() += 1;
        m.total
    };
    if let Ok(v) = HeaderValue::from_str(&format!("mock-{id:012}")) {
        h.insert("x-li-uuid", v);
    }
    // `Date` from the mock's clock (hyper would stamp the machine's), so tests can make
    // LinkedIn's clock and the connector's disagree.
    if let Some(t) = chrono::DateTime::from_timestamp_millis(state.now()) {
        if let Ok(v) = HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()) {
            h.insert("date", v);
        }
    }
    response
}

/// Counts one API request as in flight from its arrival (before the latency) until its
/// answer is built, also when the client drops the connection meanwhile.
struct InFlight<'a>(&'a AppState);

impl<'a> InFlight<'a> {
    fn enter(state: &'a AppState) -> InFlight<'a> {
        let mut m = state.lock();
        m.in_flight += 1;
        m.max_in_flight = m.max_in_flight.max(m.in_flight);
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut m = self.0.lock();
        m.in_flight = m.in_flight.saturating_sub(1);
    }
}

fn plain(status: u16, body: Body) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r
}

/// A body that announces its full length, sends half, then fails: hyper drops the connection.
fn reset_body(bytes: Vec<u8>) -> Response {
    let len = bytes.len();
    let half = Bytes::from(bytes[..len / 2].to_vec());
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "mock: connection reset",
        )),
    ];
    let mut r = plain(200, Body::from_stream(futures_util::stream::iter(chunks)));
    if let Ok(v) = HeaderValue::from_str(&len.to_string()) {
        r.headers_mut().insert("content-length", v);
    }
    r
}

fn throttle(retry_after: bool) -> ApiError {
    let mut e = ApiError::new(
        429,
        "TOO_MANY_REQUESTS",
        Some(101),
        "Resource level throttle limit for calls to this resource is reached.",
    );
    e.retry_after = retry_after;
    e
}

fn daily_quota() -> ApiError {
    ApiError::new(
        429,
        "TOO_MANY_REQUESTS",
        Some(101),
        "Application level throttle limit for calls to this resource is reached for the day. Limits reset at midnight UTC.",
    )
}

fn pick_fault(state: &AppState, path: &str) -> Option<(Fault, Option<(u16, String)>)> {
    if !(path.starts_with("/rest/") || path.starts_with("/oauth/")) {
        return None;
    }
    let mut m = state.lock();
    if let Some(i) = m.faults.iter().position(|f| {
        f.remaining > 0 && f.path_contains.as_deref().is_none_or(|p| path.contains(p))
    }) {
        let f = &mut m.faults[i];
        f.remaining -= 1;
        let picked = (f.fault, f.body.clone());
        if f.remaining == 0 {
            m.faults.remove(i);
        }
        return Some(picked);
    }
    if state.scenario.fault_rate > 0.0 {
        m.rng ^= m.rng << 13;
        m.rng ^= m.rng >> 7;
        m.rng ^= m.rng << 17;
        let r = (m.rng >> 11) as f64 / (1u64 << 53) as f64;
        if r < state.scenario.fault_rate {
            let pick = (m.rng >> 3) as usize % Fault::RANDOM_MIX.len();
            return Some((Fault::RANDOM_MIX[pick], None));
        }
    }
    None
}

fn route(
    state: &AppState,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
    v2: bool,
) -> Result<api::Reply, ApiError> {
    if let Some(op) = path.strip_prefix("/oauth/v2/") {
        if method != Method::POST {
            return Err(ApiError::new(405, "METHOD_NOT_ALLOWED", None, "Use POST"));
        }
        return api::oauth(state, op, body).map(api::Reply::Json);
    }
    let Some(resource_path) = path.strip_prefix("/rest/") else {
        return Err(ApiError::not_found("Not Found"));
    };
    if method != Method::GET {
        return Err(ApiError::new(
            405,
            "METHOD_NOT_ALLOWED",
            None,
            "This mock serves GET requests under /rest",
        ));
    }
    let q = restli::Query::parse(query, v2).map_err(|e| ApiError::bad_request(&e))?;
    // Authentication first, then version, then quota: as LinkedIn's gateway does.
    let token = match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(h) => h
            .strip_prefix("Bearer ")
            .ok_or_else(|| {
                ApiError::new(
                    401,
                    "INVALID_ACCESS_TOKEN",
                    Some(65600),
                    "Invalid access token",
                )
            })?
            .to_string(),
        None => q
            .scalar("oauth2_access_token")
            .ok()
            .flatten()
            .ok_or_else(|| {
                ApiError::new(
                    401,
                    "INVALID_ACCESS_TOKEN",
                    Some(65600),
                    "Empty oauth2 access token",
                )
            })?,
    };
    let caller = caller_for(&token)?;
    let version = check_version(state, headers)?;
    count_quota(state)?;
    let forbidden = state.lock().forbidden.clone();
    if let Some(urn) = forbidden
        .iter()
        .find(|urn| names_entity(resource_path, query, urn))
    {
        return Err(refused_entity(resource_path, &q, urn));
    }
    let ctx = api::Ctx {
        ds: &state.dataset,
        now: state.now(),
        caller: &caller,
        version: &version,
        v2,
        headers,
        short_pages: state.scenario.short_pages,
    };
    api::rest(&ctx, resource_path, &q)
}

/// Whether the request names `urn` in its path or query (percent-decoded), as a whole URN:
/// `urn:li:share:12` is not named by `urn:li:share:123`.
fn names_entity(path: &str, query: Option<&str>, urn: &str) -> bool {
    let decode = |s: &str| restli::percent_decode(s).unwrap_or_else(|| s.to_string());
    let text = format!("{}?{}", decode(path), decode(query.unwrap_or("")));
    let id_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    text.match_indices(urn).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + urn.len()..].chars().next();
        !before.is_some_and(id_char) && !after.is_some_and(id_char)
    })
}

/// LinkedIn's 403 for a request naming an entity the member may not read. A batch or list
/// naming it fails whole. Per-post share statistics answer with the observed
/// "Unpermitted fields ... [/shares[n]]" message
/// (https://learn.microsoft.com/en-us/answers/questions/1331917); elsewhere the message is
/// the documented "Not enough permissions to access <urn>"
/// (https://learn.microsoft.com/en-us/linkedin/compliance/announcements/data-restrictions).
fn refused_entity(resource_path: &str, q: &restli::Query, urn: &str) -> ApiError {
    if resource_path == "organizationalEntityShareStatistics" {
        for field in ["shares", "ugcPosts"] {
            if let Ok(Some(list)) = q.list(field) {
                if let Some(n) = list.iter().position(|u| u == urn) {
                    return ApiError::forbidden(&format!(
                        "Unpermitted fields present in PARAMETER: Data Processing Exception while processing fields [/{field}[{n}]]"
                    ));
                }
            }
        }
    }
    ApiError::forbidden(&format!("Not enough permissions to access {urn}"))
}

fn check_version(state: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(raw) = headers
        .get("linkedin-version")
        .and_then(|v| v.to_str().ok())
    else {
        return Err(ApiError::new(
            400,
            "VERSION_MISSING",
            None,
            "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
        ));
    };
    let month = raw.split('.').next().unwrap_or(raw);
    let well_formed = month.len() == 6
        && month.bytes().all(|b| b.is_ascii_digit())
        && raw
            .split_once('.')
            .is_none_or(|(_, r)| r.len() == 2 && r.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed || !state.versions.iter().any(|v| v == month) {
        return Err(ApiError::new(
            426,
            "NONEXISTENT_VERSION",
            None,
            &format!("Requested version {}01 is not active", month),
        ));
    }
    Ok(month.to_string())
}

fn count_quota(state: &AppState) -> Result<(), ApiError> {
    let Some(limit) = state.scenario.quota else {
        return Ok(());
    };
    let day = state.now().div_euclid(DAY_MS);
    let mut m = state.lock();
    if m.quota_day.0 != day {
        m.quota_day = (day, 0);
    }
    if m.quota_day.1 >= limit {
        return Err(daily_quota());
    }
    m.quota_day.1 += 1;
    Ok(())
}

fn control(state: &AppState, method: &Method, op: &str, body: &[u8]) -> Response {
    let parsed: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return plain(400, Body::from(json!({"error": e.to_string()}).to_string())),
        }
    };
    let value = match (method.as_str(), op) {
        ("GET", "info") => {
            let now = state.now();
            json!({
                "versions": state.versions,
                "now": now,
                "now_rfc3339": chrono::DateTime::from_timestamp_millis(now).map(|t| t.to_rfc3339()),
                "organizations": (0..state.dataset.orgs).map(data::org_id).collect::<Vec<_>>(),
                "dataset": {
                    "seed": state.dataset.seed, "orgs": state.dataset.orgs,
                    "posts_per_org": state.dataset.posts_per_org, "days": state.dataset.days,
                    "comments_per_post": state.dataset.comments_per_post,
                    "reactions_per_post": state.dataset.reactions_per_post,
                    "history_start": state.dataset.history_start,
                },
                "quota": state.scenario.quota,
                "short_pages": state.scenario.short_pages,
                "forbidden": state.lock().forbidden.clone(),
                "tokens": TOKENS,
            })
        }
        ("GET", "stats") => {
            let m = state.lock();
            json!({"total": m.total, "endpoints": m.stats, "max_in_flight": m.max_in_flight})
        }
        ("DELETE", "stats") => {
            let mut m = state.lock();
            m.stats.clear();
            m.total = 0;
            m.max_in_flight = m.in_flight;
            json!({"total": 0})
        }
        ("POST", "clock") => {
            let mut m = state.lock();
            if let Some(d) = parsed.get("advance_days").and_then(Value::as_i64) {
                m.clock_offset += d * DAY_MS;
            }
            if let Some(ms) = parsed.get("advance_ms").and_then(Value::as_i64) {
                m.clock_offset += ms;
            }
            json!({"now": state.dataset.anchor + m.clock_offset})
        }
        ("POST", "faults") => {
            let list = match &parsed {
                Value::Array(a) => a.clone(),
                v => vec![v.clone()],
            };
            let mut added = Vec::new();
            let mut forbid = Vec::new();
            for f in list {
                if f.get("fault").and_then(Value::as_str) == Some("forbid-entity") {
                    match f.get("entity").and_then(Value::as_str) {
                        Some(e) if !e.is_empty() => forbid.push(e.to_string()),
                        _ => {
                            return plain(
                                400,
                                Body::from(
                                    json!({"error": "forbid-entity needs 'entity': a URN"})
                                        .to_string(),
                                ),
                            )
                        }
                    }
                    continue;
                }
                let Some(fault) = f
                    .get("fault")
                    .and_then(Value::as_str)
                    .and_then(Fault::parse)
                else {
                    return plain(
                        400,
                        Body::from(json!({"error": "unknown or missing 'fault'"}).to_string()),
                    );
                };
                let body = (fault == Fault::Body).then(|| {
                    let status = f.get("status").and_then(Value::as_u64).unwrap_or(200) as u16;
                    let text = match f.get("body") {
                        Some(Value::String(t)) => t.clone(),
                        Some(v) => v.to_string(),
                        None => String::new(),
                    };
                    (status, text)
                });
                added.push(ScriptedFault {
                    fault,
                    path_contains: f.get("path").and_then(Value::as_str).map(str::to_string),
                    remaining: f.get("count").and_then(Value::as_u64).unwrap_or(1) as u32,
                    body,
                });
            }
            let mut m = state.lock();
            m.faults.extend(added);
            m.forbidden.extend(forbid);
            json!({"pending": m.faults.len(), "forbidden": m.forbidden})
        }
        ("DELETE", "quota") => {
            // What midnight UTC does to the quota, without moving the clock.
            state.lock().quota_day.1 = 0;
            json!({"used": 0})
        }
        ("DELETE", "faults") => {
            let mut m = state.lock();
            m.faults.clear();
            m.forbidden.clear();
            json!({"pending": 0})
        }
        _ => {
            return plain(
                404,
                Body::from(json!({"error": "unknown control"}).to_string()),
            )
        }
    };
    let mut r = plain(200, Body::from(value.to_string()));
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entity_is_named_only_as_a_whole_urn() {
        let u = "urn:li:share:12";
        assert!(names_entity(
            "socialActions/urn%3Ali%3Ashare%3A12/comments",
            None,
            u
        ));
        assert!(names_entity(
            "socialMetadata",
            Some("ids=List(urn%3Ali%3Ashare%3A7,urn%3Ali%3Ashare%3A12)"),
            u
        ));
        assert!(names_entity(
            "videoAnalytics",
            Some("q=entity&entity=urn%3Ali%3Ashare%3A12&type=VIEWER"),
            u
        ));
        assert!(!names_entity(
            "socialActions/urn%3Ali%3Ashare%3A123/comments",
            None,
            u
        ));
        assert!(!names_entity(
            "socialMetadata",
            Some("ids=List(urn%3Ali%3Ashare%3A112)"),
            u
        ));
    }
}
