//! The config fields that take more than one form (organization IDs as numbers, strings
//! or URNs; dates or RFC 3339 times), how serde reads them and how the spec describes
//! them, and the defaults of the optional fields.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::{DEFAULT_API_BASE_URL, DEFAULT_API_VERSION, DEFAULT_OAUTH_BASE_URL};
use crate::error::Result;

pub(super) fn default_api_version() -> String {
    DEFAULT_API_VERSION.into()
}
pub(super) fn default_concurrency() -> u32 {
    4
}
pub(super) fn default_timeout() -> u64 {
    // With the breaker (linkedin::breaker), a tarpit fails a read in about a minute.
    20
}
pub(super) fn default_retries() -> u32 {
    6
}
pub(super) fn default_retry_budget() -> u64 {
    600
}
pub(super) fn default_api_base_url() -> String {
    DEFAULT_API_BASE_URL.into()
}
pub(super) fn default_oauth_base_url() -> String {
    DEFAULT_OAUTH_BASE_URL.into()
}

pub(super) fn org_ids_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "items": {"type": ["string", "integer"]},
        "default": [],
        "examples": [["2414183"]]
    })
}

pub(super) fn start_date_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?$",
        "pattern_descriptor": "YYYY-MM-DD"
    })
}

pub(super) fn de_org_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
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

pub(super) fn de_start_date<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<NaiveDate>, D::Error> {
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
