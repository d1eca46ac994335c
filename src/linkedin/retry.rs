//! What to do with a response: a pure classifier `(status, headers, body) -> Action` and a
//! bounded backoff policy built on `backon` (the `backoff` crate is unmaintained,
//! RUSTSEC-2025-0012). The classifier is table-tested; the policy never waits forever.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use serde::Deserialize;

use crate::error::FailureType;

/// LinkedIn's Rest.li error body; every field optional, as LinkedIn omits some.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApiErrorBody {
    pub service_error_code: Option<i64>,
    pub code: Option<String>,
    pub message: Option<String>,
}

impl ApiErrorBody {
    /// Parses a body leniently: a non-JSON body gives an empty error.
    pub(crate) fn parse(body: &[u8]) -> ApiErrorBody {
        serde_json::from_slice(body).unwrap_or_default()
    }
}

/// How a request ended, as the classifier sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome<'a> {
    /// An HTTP response arrived in full.
    Response {
        status: u16,
        retry_after: Option<&'a str>,
        quota_remaining: Option<&'a str>,
        body: &'a [u8],
    },
    /// The connection failed, timed out, or the body was cut short or not JSON.
    Transport(Transport),
}

/// Kinds of transport failure, all retryable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Timeout,
    Connect,
    /// The body broke off mid-way (reset, truncated).
    Body,
    /// A 2xx whose body is not the JSON LinkedIn documents.
    Decode,
}

/// What the client does next.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    /// Success: decode the body.
    Done,
    /// Try again, after `after` if the server said so, else after the policy's backoff.
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    /// The access token expired: refresh it (once) and retry.
    RefreshToken,
    /// The daily quota is used up: checkpoint and stop until midnight UTC.
    DailyQuota,
    /// Give up with this failure type.
    Fail(FailureType),
}

/// Parses `Retry-After` in seconds (LinkedIn and proxies send seconds).
pub(crate) fn parse_retry_after(v: &str) -> Option<Duration> {
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The pure classifier.
pub(crate) fn classify(outcome: Outcome<'_>) -> Action {
    let (status, retry_after, quota_remaining, body) = match outcome {
        Outcome::Transport(t) => {
            return Action::Retry {
                after: None,
                reason: format!("{t:?}").to_lowercase(),
            }
        }
        Outcome::Response {
            status,
            retry_after,
            quota_remaining,
            body,
        } => (status, retry_after, quota_remaining, body),
    };
    let after = retry_after.and_then(parse_retry_after);
    match status {
        200..=299 => Action::Done,
        401 => {
            let err = ApiErrorBody::parse(body);
            if err.code.as_deref() == Some("EXPIRED_ACCESS_TOKEN")
                || err.service_error_code == Some(65602)
            {
                Action::RefreshToken
            } else {
                Action::Fail(FailureType::Config)
            }
        }
        403 | 404 | 426 => Action::Fail(FailureType::Config),
        408 => Action::Retry {
            after,
            reason: "408 request timeout".into(),
        },
        429 => {
            let err = ApiErrorBody::parse(body);
            let msg = err.message.unwrap_or_default().to_ascii_lowercase();
            let exhausted = quota_remaining.is_some_and(|q| q.trim() == "0")
                || msg.contains("for the day")
                || msg.contains("daily");
            if exhausted {
                Action::DailyQuota
            } else {
                Action::Retry {
                    after,
                    reason: "429 throttled".into(),
                }
            }
        }
        500..=599 => Action::Retry {
            after,
            reason: format!("{status} server error"),
        },
        _ => Action::Fail(FailureType::System),
    }
}

/// A bounded retry policy: at most `max_retries` waits, each at most `max_delay`, all
/// together at most `max_total`.
#[derive(Debug, Clone)]
pub(crate) struct RetryPolicy {
    pub max_retries: u32,
    pub min_delay: Duration,
    pub max_delay: Duration,
    pub max_total: Duration,
}

impl RetryPolicy {
    /// The policy for `max_retries` with LinkedIn-friendly delays (1 s doubling to 60 s).
    pub(crate) fn new(max_retries: u32) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_total: Duration::from_secs(600),
        }
    }

    /// Full-jitter exponential delays; `None` when the budget is spent.
    pub(crate) fn backoff(&self) -> impl Iterator<Item = Duration> {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries as usize)
            .with_total_delay(Some(self.max_total))
            .with_jitter()
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, retry_after: Option<&str>, quota: Option<&str>, body: &str) -> Action {
        classify(Outcome::Response {
            status,
            retry_after,
            quota_remaining: quota,
            body: body.as_bytes(),
        })
    }

    #[test]
    fn classification_table() {
        let expired = r#"{"status":401,"serviceErrorCode":65602,"code":"EXPIRED_ACCESS_TOKEN","message":"The token used in the request has expired"}"#;
        let revoked = r#"{"status":401,"serviceErrorCode":65601,"code":"REVOKED_ACCESS_TOKEN","message":"revoked"}"#;
        let daily = r#"{"status":429,"message":"Application level throttle limit for calls to this resource is reached for the day."}"#;
        let short = r#"{"status":429,"message":"Resource level throttle limit for calls to this resource is reached."}"#;
        let cases: Vec<(Action, Action)> = vec![
            (resp(200, None, None, "{}"), Action::Done),
            (resp(401, None, None, expired), Action::RefreshToken),
            (
                resp(401, None, None, revoked),
                Action::Fail(FailureType::Config),
            ),
            (
                resp(401, None, None, "<html>"),
                Action::Fail(FailureType::Config),
            ),
            (
                resp(403, None, None, "{}"),
                Action::Fail(FailureType::Config),
            ),
            (
                resp(426, None, None, "{}"),
                Action::Fail(FailureType::Config),
            ),
            (
                resp(400, None, None, "{}"),
                Action::Fail(FailureType::System),
            ),
            (resp(429, None, None, daily), Action::DailyQuota),
            (resp(429, None, Some("0"), short), Action::DailyQuota),
            (
                resp(429, Some("3"), Some("10"), short),
                Action::Retry {
                    after: Some(Duration::from_secs(3)),
                    reason: "429 throttled".into(),
                },
            ),
            (
                resp(429, None, None, short),
                Action::Retry {
                    after: None,
                    reason: "429 throttled".into(),
                },
            ),
            (
                resp(503, Some("2"), None, ""),
                Action::Retry {
                    after: Some(Duration::from_secs(2)),
                    reason: "503 server error".into(),
                },
            ),
            (
                resp(500, None, None, ""),
                Action::Retry {
                    after: None,
                    reason: "500 server error".into(),
                },
            ),
            (
                resp(408, None, None, ""),
                Action::Retry {
                    after: None,
                    reason: "408 request timeout".into(),
                },
            ),
            (
                classify(Outcome::Transport(Transport::Body)),
                Action::Retry {
                    after: None,
                    reason: "body".into(),
                },
            ),
            (
                classify(Outcome::Transport(Transport::Timeout)),
                Action::Retry {
                    after: None,
                    reason: "timeout".into(),
                },
            ),
        ];
        for (i, (got, want)) in cases.into_iter().enumerate() {
            assert_eq!(got, want, "case {i}");
        }
    }

    #[test]
    fn policy_is_bounded() {
        let p = RetryPolicy {
            max_retries: 5,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            max_total: Duration::from_secs(10),
        };
        let delays: Vec<Duration> = p.backoff().collect();
        assert_eq!(delays.len(), 5);
        assert!(
            delays.iter().all(|d| *d <= Duration::from_millis(80)),
            "{delays:?}"
        );
        assert_eq!(RetryPolicy::new(0).backoff().count(), 0);
    }
}
