//! Warnings for config keys this connector does not know, naming the key probably meant
//! (a typo is otherwise a silently ignored setting).

use serde_json::Value;

/// Every top-level key the config takes: ours, then the Airbyte Python connector's, which
/// keep working (see `normalise_legacy`).
pub(super) const KNOWN_KEYS: &[&str] = &[
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
pub(super) const CREDENTIAL_KEYS: &[&str] = &[
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
pub(super) fn unknown_keys(
    obj: &serde_json::Map<String, Value>,
    known: &[&str],
    at: &str,
) -> Vec<String> {
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
