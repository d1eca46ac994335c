//! The connector's one error type. Every variant knows its Airbyte `failure_type` and
//! renders a message a user can act on; none carries a secret (texts from HTTP bodies are
//! scrubbed before they get here, see `linkedin::client`).

use std::fmt;

/// Airbyte's classification of a failure, which decides whether the platform retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureType {
    /// The user must change something (config, token, permissions).
    Config,
    /// Retrying later may succeed (quota, outages).
    Transient,
    /// A bug or an answer we do not understand.
    System,
}

impl FailureType {
    /// The wire value of Airbyte's `failure_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureType::Config => "config_error",
            FailureType::Transient => "transient_error",
            FailureType::System => "system_error",
        }
    }
}

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad config, catalog or state file, or a bad CLI argument.
    #[error("{0}")]
    Config(String),
    /// LinkedIn refused the request for a reason the user must fix (401, 403, 426, 400).
    #[error("{message}")]
    Api {
        status: u16,
        /// The resource, e.g. `organizationalEntityFollowerStatistics`.
        endpoint: String,
        /// LinkedIn's `code` field, e.g. `EXPIRED_ACCESS_TOKEN`.
        code: Option<String>,
        message: String,
        failure: FailureType,
    },
    /// The daily request quota is used up; resumable from the last STATE.
    #[error("LinkedIn's daily request quota is exhausted ({endpoint}). Everything read so far is checkpointed; the quota resets at midnight UTC ({reset}), and the next sync resumes from the last state.")]
    QuotaExhausted { endpoint: String, reset: String },
    /// The API host failed a run of requests in a row (see `linkedin::breaker`): the whole
    /// sync stops with this one error.
    #[error("{0}")]
    ApiUnavailable(String),
    /// The config's `max_requests_per_run` is spent; resumable from the last STATE.
    #[error("The request budget of this run ran out (max_requests_per_run = {max}). Everything read so far is checkpointed and the next sync continues where this one stopped; raise max_requests_per_run (or remove it for no limit) to read more per run.")]
    BudgetExhausted { max: u64 },
    /// Network failures or 5xx that outlasted the retry budget.
    #[error("{0}")]
    Transient(String),
    /// A response that does not decode as LinkedIn documents it.
    #[error("Unexpected response from LinkedIn for stream '{stream}': {detail}")]
    Decode { stream: String, detail: String },
    /// Writing to stdout failed (other than a closed pipe).
    #[error("cannot write output: {0}")]
    Output(#[source] std::io::Error),
    /// The reader closed stdout; not a failure.
    #[error("stdout was closed by the reader")]
    BrokenPipe,
    /// A bug in the connector.
    #[error("internal error: {0}")]
    Internal(String),
    /// The platform cancelled the sync (SIGTERM) or the user pressed Ctrl-C (SIGINT).
    #[error("The sync was interrupted by {signal} before it finished. Every STATE already emitted is complete; the next sync resumes from the last one.")]
    Interrupted {
        signal: &'static str,
        exit_code: i32,
    },
    /// Work stopped because another part of the sync hit a fatal error.
    #[error("cancelled after an earlier failure")]
    Cancelled,
}

impl Error {
    /// Airbyte's `failure_type` for this error.
    pub fn failure_type(&self) -> FailureType {
        match self {
            Error::Config(_) => FailureType::Config,
            Error::Api { failure, .. } => *failure,
            Error::QuotaExhausted { .. }
            | Error::BudgetExhausted { .. }
            | Error::Transient(_)
            | Error::ApiUnavailable(_)
            | Error::Interrupted { .. } => FailureType::Transient,
            Error::Decode { .. }
            | Error::Output(_)
            | Error::Internal(_)
            | Error::BrokenPipe
            | Error::Cancelled => FailureType::System,
        }
    }

    /// Maps an I/O error on stdout: a closed pipe is a normal end, not a failure.
    pub fn from_output(e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Output(e)
        }
    }

    /// A config error for an input file that is not valid JSON.
    pub fn bad_json(file: &str, e: &serde_json::Error) -> Error {
        Error::config(file, format!("not valid JSON ({e})"))
    }

    /// A config error about one input file.
    pub fn config(file: &str, detail: impl fmt::Display) -> Error {
        Error::Config(format!("{file}: {detail}"))
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_types_follow_the_cause() {
        assert_eq!(
            Error::Config("x".into()).failure_type().as_str(),
            "config_error"
        );
        let quota = Error::QuotaExhausted {
            endpoint: "posts".into(),
            reset: "2026-01-01T00:00:00Z".into(),
        };
        assert_eq!(quota.failure_type(), FailureType::Transient);
        assert!(quota.to_string().contains("midnight UTC"));
        let decode = Error::Decode {
            stream: "posts".into(),
            detail: "missing field".into(),
        };
        assert_eq!(decode.failure_type(), FailureType::System);
        let pipe = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "x");
        assert!(matches!(Error::from_output(pipe), Error::BrokenPipe));
    }
}
