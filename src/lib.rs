//! # source-linkedin-pages
//!
//! An Airbyte and Singer source for LinkedIn Pages (Community Management API). The binary
//! is a thin wrapper around [`run`].
//!
//! # Layers
//! Dependencies point one way, top to bottom:
//! - `commands`: one file per command; the only layer that turns the config into the
//!   settings of the layers below
//! - `engine`: a read: plan units, run them, the single writer (sink), windows, caches
//! - `catalog`, `state`: the configured catalog and the bookmarks, checked against the
//!   stream table
//! - `streams`: the stream table, the endpoint kinds with typed parameters, the records
//! - `linkedin`: the API client: auth and its token store, retries, Rest.li encoding,
//!   the one pager, response envelopes, organization discovery
//! - at the bottom, depending on nothing above: `config` (and `spec`, generated from it),
//!   `protocol` (the only writer of stdout), `domain` (typed URNs and cursor), `secret`
//!   and `scrub` (the one secret scrubber every quoted request, response, log line and
//!   panic text passes), `signals` (SIGTERM/SIGINT, how a sync is cancelled), `error`, `cli`
// string_slice: byte-range slicing of text panics inside a multi-byte character (a pasted
// token with one non-ASCII character did exactly that); use `get`, `split_once` and friends.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)]
#![warn(unreachable_pub)]

pub mod catalog;
pub mod cli;
mod commands;
pub mod config;
pub mod domain;
mod engine;
pub mod error;
mod linkedin;
mod protocol;
pub mod scrub;
pub(crate) mod secret;
mod signals;
mod spec;
pub mod state;
pub mod streams;

use std::io::Write;

use chrono::{DateTime, Utc};

use cli::Command;
use error::{Error, Result};
use protocol::{Protocol, Writer};

/// The environment variable that freezes the connector's clock (tests and golden files).
pub const NOW_ENV: &str = "SOURCE_LINKEDIN_PAGES_NOW";

/// The sync's notion of now: the real clock, unless frozen by [`NOW_ENV`].
fn now() -> Result<DateTime<Utc>> {
    match std::env::var(NOW_ENV) {
        Ok(v) => DateTime::parse_from_rfc3339(&v)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| Error::Config(format!("{NOW_ENV} must be an RFC 3339 time, got '{v}'"))),
        Err(_) => Ok(Utc::now()),
    }
}

fn protocol_of(cmd: &Command) -> Protocol {
    match cmd {
        Command::Discover { protocol, .. } | Command::Read { protocol, .. } => *protocol,
        Command::SingerTest { .. } => Protocol::Singer,
        _ => Protocol::Airbyte,
    }
}

/// Runs one command, writing protocol messages to `out`. Returns the process exit code:
/// 0 on success (and when the reader closed stdout early), 1 after a failure, which is
/// also reported as an Airbyte TRACE error. A read writes from its own thread, so `out`
/// must be `Send`.
pub async fn run<W: Write + Send>(cmd: Command, out: W) -> i32 {
    let now = match now() {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, "Bad environment");
            return 1;
        }
    };
    let mut writer = Writer::new(out, protocol_of(&cmd), now);
    // A cancelled sync (SIGTERM/SIGINT) stops its work at the next await: the units of a
    // read stop (see `engine::read`), the sink writes what it already holds and ends, and
    // every STATE already written was flushed with its records, so no line is cut and every
    // checkpoint emitted is complete. Then one TRACE says the sync was interrupted.
    // Only the commands that talk to LinkedIn watch for signals: `check-token` blocks on
    // stdin, where a watched Ctrl-C could not stop it, so it keeps the default.
    if matches!(
        cmd,
        Command::Read { .. } | Command::Check { .. } | Command::Discover { .. }
    ) {
        signals::watch();
    }
    let result = tokio::select! {
        r = commands::execute(cmd, &mut writer, now) => r,
        i = signals::interrupted() => Err(Error::Interrupted { signal: i.name, exit_code: i.exit_code }),
    };
    let code = match result {
        Ok(code) => code,
        Err(e @ Error::Interrupted { exit_code, .. }) => {
            tracing::warn!(error = %e, "Interrupted");
            let _ = writer.trace_error(&e, None, Utc::now().timestamp_millis());
            exit_code
        }
        Err(Error::BrokenPipe) => 0,
        Err(e) => {
            tracing::error!(failure_type = e.failure_type().as_str(), error = %e, "Failed");
            let _ = writer.trace_error(&e, None, now.timestamp_millis());
            1
        }
    };
    match writer.flush() {
        Ok(()) | Err(Error::BrokenPipe) => code,
        Err(_) => 1,
    }
}
