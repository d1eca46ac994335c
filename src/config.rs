//! The connector's configuration: its JSON shape (whose doc comments become the spec's
//! descriptions), loading with errors that name the field, paste-mistake clean-up for
//! tokens, and the [`Secret`] type that never prints.
//!
//! The Airbyte Python connector's config (`org_id`, `auth_method: "oAuth2.0"`,
//! `time_granularity_type`, `start_date` as `YYYY-MM-DDTHH:MM:SSZ`) is accepted as-is so a
//! user can switch without re-entering anything. Nothing here talks to the network.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::{Error, Result};

/// The `LinkedIn-Version` sent when the config names none: a supported monthly version.
/// LinkedIn keeps a version for at least a year; bump this with each release.
pub const DEFAULT_API_VERSION: &str = "202609";
/// LinkedIn's REST base URL.
pub const DEFAULT_API_BASE_URL: &str = "https://api.linkedin.com/rest";
/// LinkedIn's OAuth base URL.
pub const DEFAULT_OAUTH_BASE_URL: &str = "https://www.linkedin.com/oauth/v2";

pub use crate::secret::Secret;

/// How the connector authenticates to LinkedIn.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(tag = "auth_method")]
pub enum Credentials {
    /// Paste an access token (valid 60 days). Simplest; renew it before it expires.
    #[serde(rename = "access_token")]
    #[schemars(title = "Access token")]
    AccessToken {
        /// The access token from LinkedIn's OAuth token tool (the top one, not the refresh token).
        #[schemars(title = "Access token")]
        access_token: Secret,
    },
    /// OAuth 2.0 with a refresh token (valid a year): the connector mints access tokens itself.
    #[serde(rename = "oauth2.0", alias = "oAuth2.0")]
    #[schemars(title = "OAuth 2.0 (refresh token)")]
    OAuth2 {
        /// Client ID of your LinkedIn developer app.
        #[schemars(title = "Client ID")]
        client_id: Secret,
        /// Client secret of your LinkedIn developer app.
        #[schemars(title = "Client secret")]
        client_secret: Secret,
        /// The refresh token issued with your app's programmatic refresh tokens.
        #[schemars(title = "Refresh token")]
        refresh_token: Secret,
    },
}

/// Granularity of the time-bound (daily) statistics streams.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
pub enum Granularity {
    #[default]
    #[serde(alias = "day", alias = "Day")]
    DAY,
    #[serde(alias = "month", alias = "Month")]
    MONTH,
}

impl Granularity {
    /// The value LinkedIn's `timeGranularityType` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::DAY => "DAY",
            Granularity::MONTH => "MONTH",
        }
    }
}

/// The connector's configuration.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(title = "LinkedIn Pages Spec")]
pub struct Config {
    /// How to authenticate: an access token, or OAuth 2.0 with a refresh token. Without
    /// `auth_method`, an `access_token` alone means the token form, and `client_id`,
    /// `client_secret` and `refresh_token` mean OAuth 2.0.
    #[schemars(title = "Authentication", extend("order" = 0))]
    pub credentials: Credentials,

    /// Numeric IDs (or URNs) of the LinkedIn pages to read, e.g. 2414183 or
    /// urn:li:organizationBrand:123 for a showcase page. Leave empty to read every page the
    /// authorising member administers.
    #[serde(default, deserialize_with = "de_org_ids")]
    #[schemars(title = "Organization IDs", extend("order" = 1), schema_with = "org_ids_schema")]
    pub organization_ids: Vec<String>,

    /// Earliest date to read time-bound statistics from (YYYY-MM-DD or an RFC 3339 time).
    /// LinkedIn keeps 12 months; earlier dates are clamped. Default: as far back as LinkedIn allows.
    #[serde(default, deserialize_with = "de_start_date")]
    #[schemars(title = "Start date", extend("order" = 2, "examples" = ["2026-01-01"]), schema_with = "start_date_schema")]
    pub start_date: Option<NaiveDate>,

    /// Days to re-read before each bookmark, to pick up late revisions LinkedIn makes to recent statistics.
    #[serde(default)]
    #[schemars(title = "Lookback window (days)", range(max = 365), extend("order" = 3))]
    pub lookback_window_days: u32,

    /// Granularity of the *_daily statistics streams: DAY or MONTH.
    #[serde(default)]
    #[schemars(title = "Time granularity", extend("order" = 4))]
    pub time_granularity: Granularity,

    /// LinkedIn API version (YYYYMM) sent as the LinkedIn-Version header. LinkedIn retires
    /// versions after about a year; set a newer one if a sync reports NONEXISTENT_VERSION.
    #[serde(default = "default_api_version")]
    #[schemars(title = "API version", extend("order" = 5, "pattern" = "^[0-9]{6}(\\.[0-9]{2})?$"))]
    pub api_version: String,

    /// Maximum requests in flight at once. LinkedIn's quota is per day, not per second, so
    /// higher values only make syncs faster.
    #[serde(default = "default_concurrency")]
    #[schemars(title = "Max concurrency", range(min = 1, max = 32), extend("order" = 6))]
    pub max_concurrency: u32,

    /// Seconds of silence before a request is retried: waiting for LinkedIn to start
    /// answering, or between two parts of an answer. A whole response may take six times
    /// this.
    #[serde(default = "default_timeout")]
    #[schemars(title = "Request timeout (seconds)", range(min = 1, max = 600), extend("order" = 7))]
    pub request_timeout_secs: u64,

    /// How many times a failed request (5xx, throttling, network errors) is retried.
    #[serde(default = "default_retries")]
    #[schemars(title = "Max retries", range(max = 20), extend("order" = 8))]
    pub max_retries: u32,

    /// Most seconds one request may spend waiting between retries, in total, before the
    /// stream fails with a transient error.
    #[serde(default = "default_retry_budget")]
    #[schemars(title = "Retry budget (seconds)", range(min = 1, max = 3600), extend("order" = 9))]
    pub retry_budget_secs: u64,

    /// Most API requests one sync may send (retries included); unset means no limit. When
    /// it runs out, the sync stops at a checkpoint, reports the unfinished streams, and the
    /// next sync continues where it stopped.
    #[serde(default)]
    #[schemars(title = "Max requests per run", range(min = 1), extend("order" = 10))]
    pub max_requests_per_run: Option<u64>,

    /// Advanced: base URL of the LinkedIn REST API (for proxies and the bundled mock).
    #[serde(default = "default_api_base_url")]
    #[schemars(title = "API base URL", extend("order" = 11))]
    pub api_base_url: String,

    /// Advanced: base URL of LinkedIn's OAuth endpoints.
    #[serde(default = "default_oauth_base_url")]
    #[schemars(title = "OAuth base URL", extend("order" = 12))]
    pub oauth_base_url: String,

    /// Also read the replies to comments (LinkedIn's "comments on comments") into
    /// post_comments, each with `parent_comment` naming the comment replied to. One more
    /// request per comment that has replies.
    #[serde(default)]
    #[schemars(title = "Include comment replies", extend("order" = 12))]
    pub include_comment_replies: bool,

    /// Paste mistakes cleaned from the access token while loading (reported by `check`).
    #[serde(skip)]
    pub token_fixes: TokenFixes,

    /// Problems that do not stop a sync (unknown keys), for the log.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Every top-level key the config takes: ours, then the Airbyte Python connector's, which
/// keep working (see `normalise_legacy`).
const KNOWN_KEYS: &[&str] = &[
    "credentials",
    "organization_ids",
    "start_date",
    "lookback_window_days",
    "time_granularity",
    "api_version",
    "max_concurrency",
    "request_timeout_secs",
    "max_retries",
    "retry_budget_secs",
    "api_base_url",
    "oauth_base_url",
    "org_id",
    "time_granularity_type",
    "access_token",
];
/// Every key under `credentials`, for both methods.
const CREDENTIAL_KEYS: &[&str] = &[
    "auth_method",
    "access_token",
    "client_id",
    "client_secret",
    "refresh_token",
];

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Warnings for keys of `obj` that are not in `known`, naming the closest known key.
fn unknown_keys(obj: &serde_json::Map<String, Value>, known: &[&str], at: &str) -> Vec<String> {
    obj.keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| {
            let lower = k.to_lowercase();
            let closest = known
                .iter()
                .map(|c| (edit_distance(&lower, c), *c))
                .min()
                .filter(|(d, c)| *d <= (c.chars().count() / 3).max(2));
            match closest {
                Some((_, c)) => {
                    format!("unknown config key '{at}{k}' is ignored; did you mean '{at}{c}'?")
                }
                None => format!(
                    "unknown config key '{at}{k}' is ignored (known keys: {})",
                    known.join(", ")
                ),
            }
        })
        .collect()
}

fn default_api_version() -> String {
    DEFAULT_API_VERSION.into()
}
fn default_concurrency() -> u32 {
    4
}
fn default_timeout() -> u64 {
    // With the breaker (linkedin::breaker), a tarpit fails a read in about a minute.
    20
}
fn default_retries() -> u32 {
    6
}
fn default_retry_budget() -> u64 {
    600
}
fn default_api_base_url() -> String {
    DEFAULT_API_BASE_URL.into()
}
fn default_oauth_base_url() -> String {
    DEFAULT_OAUTH_BASE_URL.into()
}

fn org_ids_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "items": {"type": ["string", "integer"]},
        "default": [],
        "examples": [["2414183"]]
    })
}

fn start_date_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?$",
        "pattern_descriptor": "YYYY-MM-DD"
    })
}

fn de_org_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    use serde::de::Error as _;
    let raw = Value::deserialize(d)?;
    let items = match raw {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        // A single id or a comma-separated string, as people type them.
        Value::String(s) => s
            .split(',')
            .map(|p| Value::String(p.trim().to_string()))
            .filter(|v| v.as_str() != Some(""))
            .collect(),
        Value::Number(n) => vec![Value::Number(n)],
        _ => return Err(D::Error::custom("expected a list of organization IDs")),
    };
    let parsed: Vec<String> = items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let text = match v {
                Value::Number(n) if n.is_u64() => n.to_string(),
                Value::String(s) => s.trim().to_string(),
                other => {
                    return Err(D::Error::custom(format!(
                        "item {i} must be a numeric ID or an organization URN, got {other}"
                    )))
                }
            };
            crate::domain::urn::OrgUrn::parse(&text)
                .map(|u| u.to_string())
                .map_err(|e| D::Error::custom(format!("item {i}: {e}")))
        })
        .collect::<Result<_, _>>()?;
    // `"2414183"`, `2414183` and `"urn:li:organization:2414183"` are one page: read it once.
    let mut seen = std::collections::HashSet::new();
    Ok(parsed
        .into_iter()
        .filter(|o| seen.insert(o.clone()))
        .collect())
}

fn de_start_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    use serde::de::Error as _;
    let Some(s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(Some(date));
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| Some(t.with_timezone(&Utc).date_naive()))
        .map_err(|_| {
            D::Error::custom(format!(
                "'{s}' is not a date: use YYYY-MM-DD (e.g. 2026-01-31) or an RFC 3339 time (e.g. 2026-01-31T00:00:00Z)"
            ))
        })
}

/// What `clean_token` changed, so `check` can tell the user.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TokenFixes {
    pub removed_bearer: bool,
    pub removed_quotes: bool,
    pub removed_whitespace: bool,
}

impl TokenFixes {
    /// A sentence describing the fixes, or `None` when the token was clean.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.removed_bearer {
            parts.push("a leading 'Bearer '");
        }
        if self.removed_quotes {
            parts.push("surrounding quotes");
        }
        if self.removed_whitespace {
            parts.push("whitespace or line breaks");
        }
        (!parts.is_empty()).then(|| {
            format!(
                "The pasted token contained {}; it was used without them (paste only the token itself).",
                parts.join(", ")
            )
        })
    }
}

/// Cleans the paste mistakes people make: a leading `Bearer `, quotes, whitespace and
/// line breaks anywhere (LinkedIn tokens contain none of these).
pub fn clean_token(raw: &str) -> (String, TokenFixes) {
    let mut fixes = TokenFixes::default();
    let mut s = raw.trim();
    if s.len() != raw.len() {
        fixes.removed_whitespace = true;
    }
    loop {
        let before = s;
        for q in ['"', '\''] {
            if let Some(inner) = s.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
                s = inner.trim();
                fixes.removed_quotes = true;
            }
        }
        // `get` and not slicing: byte 7 of a pasted token may fall inside a character.
        if let (Some(head), Some(tail)) = (s.get(..7), s.get(7..)) {
            if head.eq_ignore_ascii_case("bearer ") && !tail.trim().is_empty() {
                s = tail.trim();
                fixes.removed_bearer = true;
            }
        }
        if s == before {
            break;
        }
    }
    let cleaned: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if cleaned.len() != s.len() {
        fixes.removed_whitespace = true;
    }
    (cleaned, fixes)
}

/// Rewrites the Airbyte Python connector's field names into ours, in place.
fn normalise_legacy(v: &mut Value) {
    let Some(obj) = v.as_object_mut() else { return };
    if !obj.contains_key("organization_ids") {
        if let Some(org) = obj.remove("org_id") {
            obj.insert("organization_ids".into(), Value::Array(vec![org]));
        }
    }
    if !obj.contains_key("time_granularity") {
        if let Some(g) = obj.remove("time_granularity_type") {
            obj.insert("time_granularity".into(), g);
        }
    }
}

/// Every string under `credentials` (and any key that looks secret), to scrub from errors.
pub fn secret_strings(v: &Value) -> Vec<String> {
    fn walk(v: &Value, secret: bool, out: &mut Vec<String>) {
        match v {
            Value::String(s) if secret && s.len() >= 4 => out.push(s.clone()),
            Value::Object(m) => {
                for (k, child) in m {
                    let k = k.to_ascii_lowercase();
                    let is_secret = secret
                        || k == "credentials"
                        || k.contains("token")
                        || k.contains("secret")
                        || k.contains("password");
                    walk(child, is_secret, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, secret, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, false, &mut out);
    out.retain(|s| !matches!(s.as_str(), "access_token" | "oauth2.0" | "oAuth2.0"));
    out
}

/// Fills in `credentials.auth_method` when it is missing but the fields say which form is
/// meant: Meltano's `--custom` prompts and hand-written configs often set only the secrets.
/// `access_token` alone means the token form; `client_id`, `client_secret` and
/// `refresh_token` mean OAuth 2.0. Anything else is left for the parser to reject with
/// its own message.
fn infer_auth_method(value: &mut Value) {
    let Some(creds) = value.get_mut("credentials").and_then(Value::as_object_mut) else {
        return;
    };
    if creds.contains_key("auth_method") {
        return;
    }
    // Meltano may pass settings it has no value for as empty strings.
    let has = |k: &str| {
        creds
            .get(k)
            .is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
    };
    let oauth = has("client_id") && has("client_secret") && has("refresh_token");
    let method = if oauth {
        "oauth2.0"
    } else if has("access_token") {
        "access_token"
    } else {
        return;
    };
    creds.insert("auth_method".into(), Value::String(method.into()));
}

/// Removes the given secrets (and every registered one) from `text`, in all the forms
/// [`crate::scrub`] knows.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    crate::scrub::scrub_with(text, secrets)
}

impl Config {
    /// Parses and validates a config from JSON text; `file` names it in errors.
    pub fn from_json(file: &str, text: &str) -> Result<Config> {
        let mut value: Value = serde_json::from_str(text).map_err(|e| Error::bad_json(file, &e))?;
        Config::from_value(file, &mut value)
    }

    /// Parses and validates a config from a JSON value (normalised in place).
    pub fn from_value(file: &str, value: &mut Value) -> Result<Config> {
        if !value.is_object() {
            return Err(Error::config(file, "the config must be a JSON object"));
        }
        let mut warnings = value
            .as_object()
            .map(|o| unknown_keys(o, KNOWN_KEYS, ""))
            .unwrap_or_default();
        if let Some(creds) = value.get("credentials").and_then(Value::as_object) {
            warnings.extend(unknown_keys(creds, CREDENTIAL_KEYS, "credentials."));
        }
        normalise_legacy(value);
        let secrets = secret_strings(value);
        if value.get("credentials").is_none() {
            // Accept a bare access_token at the top level, as some tools write it.
            if let Some(tok) = value.get("access_token").cloned() {
                value["credentials"] =
                    serde_json::json!({"auth_method": "access_token", "access_token": tok});
            } else {
                return Err(Error::config(
                    file,
                    "'credentials' is missing: set {\"auth_method\": \"access_token\", \"access_token\": \"...\"} or the oauth2.0 form with client_id, client_secret and refresh_token",
                ));
            }
        }
        infer_auth_method(value);
        let mut config: Config = serde_path_to_error::deserialize(&*value).map_err(|e| {
            let path = e.path().to_string();
            let inner = scrub(&e.inner().to_string(), &secrets);
            // A typo is often why a field is missing: say which key was probably meant.
            let hint: Vec<&String> = warnings
                .iter()
                .filter(|w| w.contains("did you mean"))
                .collect();
            let hint = if inner.starts_with("missing field") && !hint.is_empty() {
                format!(
                    " ({})",
                    hint.iter()
                        .map(|w| w.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            } else {
                String::new()
            };
            Error::config(file, format!("field '{path}': {inner}{hint}"))
        })?;
        for w in &warnings {
            tracing::warn!("{file}: {w}");
        }
        config.warnings = warnings;
        config.clean_secrets();
        config.validate(file)?;
        Ok(config)
    }

    fn clean_secrets(&mut self) {
        let fix = |s: &mut Secret| *s = Secret::new(clean_token(s.expose()).0);
        match &mut self.credentials {
            Credentials::AccessToken { access_token } => {
                let (cleaned, fixes) = clean_token(access_token.expose());
                *access_token = Secret::new(cleaned);
                self.token_fixes = fixes;
            }
            Credentials::OAuth2 {
                client_id,
                client_secret,
                refresh_token,
            } => {
                fix(client_id);
                fix(client_secret);
                fix(refresh_token);
            }
        }
    }

    fn validate(&self, file: &str) -> Result<()> {
        let bad =
            |field: &str, rule: &str| Err(Error::config(file, format!("field '{field}': {rule}")));
        match &self.credentials {
            Credentials::AccessToken { access_token } if access_token.expose().is_empty() => {
                return bad(
                    "credentials.access_token",
                    "is empty: paste the access token from LinkedIn's token tool",
                );
            }
            Credentials::OAuth2 {
                client_id,
                client_secret,
                refresh_token,
            } => {
                for (name, v) in [
                    ("client_id", client_id),
                    ("client_secret", client_secret),
                    ("refresh_token", refresh_token),
                ] {
                    if v.expose().is_empty() {
                        return bad(&format!("credentials.{name}"), "is empty");
                    }
                }
            }
            _ => {}
        }
        let v = &self.api_version;
        let (month, rev) = v
            .split_once('.')
            .map_or((v.as_str(), None), |(m, r)| (m, Some(r)));
        let month_ok = month.len() == 6
            && month.bytes().all(|b| b.is_ascii_digit())
            && matches!(month.get(4..).map(str::parse::<u32>), Some(Ok(1..=12)));
        if !month_ok || rev.is_some_and(|r| r.len() != 2 || !r.bytes().all(|b| b.is_ascii_digit()))
        {
            return bad(
                "api_version",
                &format!("'{v}' is not a LinkedIn version: use YYYYMM, e.g. {DEFAULT_API_VERSION}"),
            );
        }
        if let Some(d) = self.start_date {
            if d > Utc::now().date_naive() {
                return bad("start_date", &format!("{d} is in the future"));
            }
        }
        if self.lookback_window_days > 365 {
            return bad(
                "lookback_window_days",
                "must be at most 365 (LinkedIn keeps 12 months)",
            );
        }
        if !(1..=32).contains(&self.max_concurrency) {
            return bad("max_concurrency", "must be between 1 and 32");
        }
        if !(1..=600).contains(&self.request_timeout_secs) {
            return bad("request_timeout_secs", "must be between 1 and 600");
        }
        if !(1..=3600).contains(&self.retry_budget_secs) {
            return bad("retry_budget_secs", "must be between 1 and 3600");
        }
        if self.max_requests_per_run == Some(0) {
            return bad(
                "max_requests_per_run",
                "must be at least 1 (remove it for no limit)",
            );
        }
        if self.max_retries > 20 {
            return bad("max_retries", "must be at most 20");
        }
        for (field, url) in [
            ("api_base_url", &self.api_base_url),
            ("oauth_base_url", &self.oauth_base_url),
        ] {
            match reqwest::Url::parse(url) {
                // Credentials in the URL would silently become Basic auth on every request
                // (and print wherever the URL does); the URL is not echoed for that reason.
                Ok(u) if !u.username().is_empty() || u.password().is_some() => {
                    return bad(field, "must not contain a user name or password ('user:pass@'): LinkedIn authenticates with the token in credentials; put proxy credentials in the proxy's own settings")
                }
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ if url.contains('@') => {
                    return bad(field, "is not an http(s) URL (it contains '@'; not echoed in case it holds a password)")
                }
                _ => return bad(field, &format!("'{url}' is not an http(s) URL")),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn load(v: Value) -> Result<Config> {
        Config::from_value("config.json", &mut v.clone())
    }

    #[test]
    fn secret_never_prints() {
        let c = load(json!({"credentials": {"auth_method": "access_token", "access_token": "canary-123456"}})).unwrap();
        assert!(!format!("{c:?}").contains("canary"));
        let Credentials::AccessToken { access_token } = &c.credentials else {
            panic!()
        };
        assert_eq!(access_token.expose(), "canary-123456");
        assert_eq!(access_token.to_string(), "**REDACTED**");
    }

    #[test]
    fn accepts_the_python_connectors_config() {
        let c = load(json!({
            "org_id": "2414183",
            "credentials": {"auth_method": "oAuth2.0", "client_id": "a", "client_secret": "b", "refresh_token": "c"},
            "start_date": "2025-01-01T00:00:00Z",
            "time_granularity_type": "MONTH"
        }))
        .unwrap();
        assert_eq!(c.organization_ids, vec!["urn:li:organization:2414183"]);
        assert_eq!(c.time_granularity, Granularity::MONTH);
        assert_eq!(c.start_date, NaiveDate::from_ymd_opt(2025, 1, 1));
        assert!(matches!(c.credentials, Credentials::OAuth2 { .. }));
    }

    #[test]
    fn duplicate_organization_ids_are_read_once() {
        let c = load(
            json!({"credentials": {"auth_method": "access_token", "access_token": "t"},
            "organization_ids": ["2414183", 2414183, "urn:li:organization:2414183", " 02414183", 5, "urn:li:organizationBrand:2414183"]}),
        )
        .unwrap();
        assert_eq!(
            c.organization_ids,
            vec![
                "urn:li:organization:2414183",
                "urn:li:organization:5",
                "urn:li:organizationBrand:2414183"
            ]
        );
    }

    #[test]
    fn infers_auth_method_from_the_fields_given() {
        let c = load(json!({"credentials": {"access_token": "t"}})).unwrap();
        assert!(matches!(c.credentials, Credentials::AccessToken { .. }));
        let c = load(json!({"credentials": {"client_id": "a", "client_secret": "b", "refresh_token": "c", "access_token": ""}})).unwrap();
        assert!(matches!(c.credentials, Credentials::OAuth2 { .. }));
        // Only part of the OAuth form: not guessed, and the error names what is missing.
        let e = load(json!({"credentials": {"client_id": "a", "refresh_token": "c"}})).unwrap_err();
        assert!(e.to_string().contains("auth_method"), "{e}");
        // An explicit method is never overridden.
        let e = load(json!({"credentials": {"auth_method": "oauth2.0", "access_token": "t"}}))
            .unwrap_err();
        assert!(e.to_string().contains("client_id"), "{e}");
    }

    #[test]
    fn organization_ids_take_numbers_strings_and_urns() {
        let c = load(
            json!({"credentials": {"auth_method": "access_token", "access_token": "t"},
            "organization_ids": [2414183, " 89758488 ", "urn:li:organizationBrand:5"]}),
        )
        .unwrap();
        assert_eq!(
            c.organization_ids,
            vec![
                "urn:li:organization:2414183",
                "urn:li:organization:89758488",
                "urn:li:organizationBrand:5"
            ]
        );
        let e = load(
            json!({"credentials": {"auth_method": "access_token", "access_token": "t"},
            "organization_ids": ["acme"]}),
        )
        .unwrap_err();
        assert!(e.to_string().contains("organization_ids"), "{e}");
    }

    #[test]
    fn errors_name_the_field_and_never_the_secret() {
        let e = load(json!({})).unwrap_err();
        assert!(e.to_string().contains("credentials"), "{e}");
        let e =
            load(json!({"credentials": {"auth_method": "magic", "access_token": "canary-abcdef"}}))
                .unwrap_err();
        assert!(
            e.to_string().contains("auth_method") || e.to_string().contains("magic"),
            "{e}"
        );
        assert!(!e.to_string().contains("canary"));
        let e =
            load(json!({"credentials": {"auth_method": "access_token", "access_token": 12345678}}))
                .unwrap_err();
        assert!(!e.to_string().contains("12345678"), "{e}");
        let e = load(json!({"credentials": {"auth_method": "access_token", "access_token": "t"}, "start_date": "2026-02-30"})).unwrap_err();
        assert!(e.to_string().contains("start_date"), "{e}");
        let e = load(json!({"credentials": {"auth_method": "access_token", "access_token": "t"}, "api_version": "2024-01"})).unwrap_err();
        assert!(e.to_string().contains("api_version"), "{e}");
        let e = Config::from_json("c.json", "{not json").unwrap_err();
        assert!(e.to_string().starts_with("c.json: not valid JSON"), "{e}");
    }

    #[test]
    fn typos_are_warned_with_the_closest_key_and_legacy_keys_are_not() {
        let c = load(
            json!({"credentials": {"auth_method": "access_token", "access_token": "tok1"},
            "organisation_ids": ["1"], "strat_date": "2026-01-01", "zzz": 1}),
        )
        .unwrap();
        assert!(c.organization_ids.is_empty());
        let w = c.warnings.join("\n");
        assert!(
            w.contains("'organisation_ids' is ignored; did you mean 'organization_ids'?"),
            "{w}"
        );
        assert!(
            w.contains("'strat_date' is ignored; did you mean 'start_date'?"),
            "{w}"
        );
        assert!(w.contains("'zzz' is ignored (known keys:"), "{w}");
        let legacy = load(json!({"credentials": {"auth_method": "oAuth2.0", "client_id": "a", "client_secret": "b", "refresh_token": "c"},
            "org_id": 1, "time_granularity_type": "DAY"})).unwrap();
        assert!(legacy.warnings.is_empty(), "{:?}", legacy.warnings);
        let e =
            load(json!({"credentials": {"auth_method": "access_token", "acess_token": "tok1"}}))
                .unwrap_err();
        assert!(
            e.to_string()
                .contains("did you mean 'credentials.access_token'"),
            "{e}"
        );
    }

    #[test]
    fn credentials_in_the_base_url_are_rejected_without_echoing_them() {
        for url in [
            "https://user:pa55word@proxy.example/rest",
            "https://user@proxy.example",
        ] {
            let e = load(
                json!({"credentials": {"auth_method": "access_token", "access_token": "tok1"},
                "api_base_url": url}),
            )
            .unwrap_err();
            assert!(
                e.to_string().contains("api_base_url") && e.to_string().contains("user:pass@"),
                "{e}"
            );
            assert!(!e.to_string().contains("pa55word"), "{e}");
        }
    }

    #[test]
    fn cleans_paste_mistakes() {
        let (t, f) = clean_token("  \"Bearer AQX123\n456\"  ");
        assert_eq!(t, "AQX123456");
        assert!(f.removed_bearer && f.removed_quotes && f.removed_whitespace);
        assert_eq!(clean_token("AQX1").1, TokenFixes::default());
        // Non-ASCII where byte 7 falls inside a character used to panic (and print the token).
        for raw in [
            "Beareré xyz",
            "éééééé",
            "\"Bearer ñandú€\"",
            "bearer\u{a0}tok",
            "'ü'",
        ] {
            let _ = clean_token(raw);
        }
        assert_eq!(clean_token("\"Bearer ñandú€\"").0, "ñandú€");
        assert!(clean_token("bearer  abc")
            .1
            .describe()
            .unwrap()
            .contains("Bearer"));
    }
}
