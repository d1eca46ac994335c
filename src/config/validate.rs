//! Checks of the loaded config's values (empty secrets, API version, ranges, base URLs),
//! each failure a config error naming the field and the rule.

use chrono::Utc;

use super::{Config, Credentials, DEFAULT_API_VERSION};
use crate::error::{Error, Result};

impl Config {
    pub(super) fn validate(&self, file: &str) -> Result<()> {
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
