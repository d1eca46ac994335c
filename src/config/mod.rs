//! The connector's configuration: its JSON shape (whose doc comments become the spec's
//! descriptions), loading with errors that name the field, paste-mistake clean-up for
//! tokens, and the [`Secret`] type that never prints.
//!
//! The Airbyte Python connector's config (`org_id`, `auth_method: "oAuth2.0"`,
//! `time_granularity_type`, `start_date` as `YYYY-MM-DDTHH:MM:SSZ`) is accepted as-is so a
//! user can switch without re-entering anything. Nothing here talks to the network.
//!
//! This file holds the config's types and loading; `fields.rs` reads and describes the
//! fields that take several forms, `normalize.rs` turns legacy and partial configs into
//! ours and cleans pasted secrets, `warnings.rs` names unknown keys, `validate.rs`
//! checks the values.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

use fields::{
    de_org_ids, de_start_date, default_api_base_url, default_api_version, default_concurrency,
    default_oauth_base_url, default_retries, default_retry_budget, default_timeout, org_ids_schema,
    start_date_schema,
};
use normalize::{infer_auth_method, normalise_legacy};
use warnings::{unknown_keys, CREDENTIAL_KEYS, KNOWN_KEYS};

pub use normalize::{clean_token, scrub, secret_strings, TokenFixes};

mod fields;
mod normalize;
#[cfg(test)]
mod tests;
mod validate;
mod warnings;

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
}
