//! What to do with a response: a pure classifier `(status, headers, body) -> Action` and a
//! bounded backoff policy. The classifier is table-tested; the policy never waits forever.
//!
//! Rate limits, per LinkedIn
//! (<https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits>):
//! limits are per day per application and per member, "reset at midnight UTC every day",
//! and "in rare cases, LinkedIn may also return a 429 response as part of infrastructure
//! protection. API service will return to normal automatically". The page documents no
//! body or header that tells the two apart; LinkedIn's daily-limit answer says so in its
//! message ("... throttle limit for calls to this resource is reached for the day"). So
//! only a 429 whose message speaks of the day (or that reports zero requests left in
//! `X-Restli-Quota-Remaining`) is the daily quota, which stops every request until
//! midnight; any other 429 is short-term throttling, retried, and after the retry budget a
//! transient error for that request's stream only.
//!
//! Waits are [`backon`]'s exponential backoff with its jitter (not "full jitter"): the
//! delay `d = min_delay · 2^n` (n = retries so far, `d` capped at `max_delay / 2`) plus a
//! uniformly random extra in `[0, d)`, so each wait lies in `[d, 2d)` and never exceeds
//! `max_delay`. The generator is seeded from the operating system for every request, so
//! concurrent requests and separate runs never retry in lockstep. backon, not the
//! unmaintained `backoff` crate (RUSTSEC-2025-0012): see docs/dependencies.md.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
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
    /// The connection failed, timed out, or the body was cut short, too large or not JSON.
    Transport(Transport),
}

/// Kinds of transport failure, all retryable but `TooLarge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Timeout,
    Connect,
    /// The body broke off mid-way (reset, truncated).
    Body,
    /// A 2xx whose body is not the JSON LinkedIn documents.
    Decode,
    /// The body exceeded the size cap: not retried (it would only be read again).
    TooLarge,
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
        Outcome::Transport(Transport::TooLarge) => return Action::Fail(FailureType::System),
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
/// together (including waits a server asked for with `Retry-After`) at most `max_total`.
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

    /// The waits of one request's retries.
    pub(crate) fn budget(&self) -> RetryBudget {
        RetryBudget {
            policy: self.clone(),
            backoff: None,
            slept: Duration::ZERO,
        }
    }
}

/// One request's retry budget: backon's jittered exponential delays, at most
/// `max_retries` of them, and the time actually slept (`Retry-After` waits included)
/// counted against `max_total`. (backon's own total-delay bound counts only the delays it
/// handed out, not a server's `Retry-After` nor a sleep that overran.)
#[derive(Debug)]
pub(crate) struct RetryBudget {
    policy: RetryPolicy,
    /// Built at the first retry: most requests never need one.
    backoff: Option<ExponentialBackoff>,
    slept: Duration,
}

/// A seed for backon's jitter from the operating system. backon built without its `std`
/// feature seeds every generator with the same constant, and with it from the clock and
/// thread id only: either way runs could retry in lockstep (issue 14 saw the same waits,
/// 1480, 3896, 6115, 12942 ms, in every run). `None` only if the OS has no random source,
/// and then backon's own seeding (the `std` feature) is used.
fn jitter_seed() -> Option<u64> {
    getrandom::u64().ok()
}

impl RetryBudget {
    /// The wait before the next retry, or `None` when the retries or the time are spent:
    /// the server's `Retry-After` if it gave one, capped at `max_delay`; else backon's
    /// exponential delay `d = min_delay · 2^n` plus a uniformly random extra of up to `d`
    /// ("jitter"). `d` is capped at half of `max_delay`, so no wait exceeds `max_delay`.
    pub(crate) fn next_wait(&mut self, server_asked: Option<Duration>) -> Option<Duration> {
        let policy = &self.policy;
        let backoff = self.backoff.get_or_insert_with(|| {
            let builder = ExponentialBuilder::default()
                .with_min_delay(policy.min_delay)
                .with_max_delay(policy.max_delay / 2)
                .with_max_times(policy.max_retries as usize)
                .with_jitter();
            match jitter_seed() {
                Some(seed) => builder.with_jitter_seed(seed),
                None => builder,
            }
            .build()
        });
        // Always advanced, so the retry count and the growth include Retry-After waits.
        let jittered = backoff.next()?;
        let wait = server_asked.unwrap_or(jittered).min(policy.max_delay);
        if self.slept + wait > policy.max_total {
            return None;
        }
        Some(wait)
    }

    /// Records a wait as slept (the caller measures it: a sleep can overrun).
    pub(crate) fn slept(&mut self, d: Duration) {
        self.slept += d;
    }

    /// The time slept so far.
    pub(crate) fn total_slept(&self) -> Duration {
        self.slept
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
    fn policy_is_bounded_and_counts_server_waits() {
        let p = RetryPolicy {
            max_retries: 5,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            max_total: Duration::from_secs(10),
        };
        let mut b = p.budget();
        let mut waits = Vec::new();
        while let Some(w) = b.next_wait(None) {
            b.slept(w);
            waits.push(w);
        }
        assert_eq!(waits.len(), 5);
        assert!(
            waits.iter().all(|d| *d <= Duration::from_millis(40)),
            "{waits:?}"
        );
        assert!(RetryPolicy::new(0).budget().next_wait(None).is_none());
        // Retry-After waits count against the time budget: 3 × 60 s fit in 200 s, a
        // fourth does not, although retries are left.
        let p = RetryPolicy {
            max_total: Duration::from_secs(200),
            ..RetryPolicy::new(10)
        };
        let mut b = p.budget();
        let mut n = 0;
        while let Some(w) = b.next_wait(Some(Duration::from_secs(600))) {
            assert_eq!(w, Duration::from_secs(60), "capped at max_delay");
            b.slept(w);
            n += 1;
        }
        assert_eq!(n, 3);
        assert_eq!(b.total_slept(), Duration::from_secs(180));
    }

    #[test]
    fn jitter_is_random() {
        // The same policy must not give the same waits twice (the bug: a fixed sequence
        // 1480, 3896, 6115, 12942 ms in every run). Three sequences of 5 waits drawn from
        // ranges of 1-32 s collide by chance with probability far below 1e-12.
        let p = RetryPolicy::new(5);
        let seq = || {
            let mut b = p.budget();
            std::iter::from_fn(|| b.next_wait(None)).collect::<Vec<_>>()
        };
        let (a, b, c) = (seq(), seq(), seq());
        assert_eq!(a.len(), 5);
        assert!(a != b && b != c && a != c, "{a:?} {b:?} {c:?}");
        // backon's jitter: wait n lies in [d, 2d) with d = 1 s · 2^n.
        for s in [&a, &b, &c] {
            for (i, w) in s.iter().enumerate() {
                let d = Duration::from_secs(1 << i);
                assert!(*w >= d && *w < 2 * d, "wait {i}: {w:?}");
            }
        }
        // The longest waits stay within max_delay (60 s), still jittered.
        let mut late = RetryPolicy::new(12).budget();
        let waits: Vec<Duration> = std::iter::from_fn(|| late.next_wait(None)).collect();
        assert!(
            waits.iter().all(|w| *w <= Duration::from_secs(60)),
            "{waits:?}"
        );
        assert!(waits[8..].windows(2).any(|w| w[0] != w[1]), "{waits:?}");
    }
}
