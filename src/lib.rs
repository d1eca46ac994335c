//! # source-linkedin-pages
//!
//! An Airbyte and Singer source for LinkedIn Pages (Community Management API). The binary
//! is a thin wrapper around [`run`].
//!
//! # Layout
//! - `cli`: Airbyte subcommands and Singer flags → one `Command`
//! - `config`: the config type (the spec is generated from it), `Secret`, paste clean-up
//! - `spec`: the Airbyte connector specification
//! - `error`: the error enum and its Airbyte `failure_type`
//! - `linkedin`: the API client: Rest.li encoding, typed URNs, retry classifier, HTTP and OAuth
//! - `streams`: the static stream table and one typed record per stream
//! - `catalog`: discovered catalogs and configured-catalog parsing (both protocols)
//! - `state`: bookmarks per stream and organization, in every accepted shape
//! - `engine`: the one read loop: partitions × windows × pages → records → checkpoints
//! - `check`: token diagnosis for `check`
//! - `protocol`: the only writer of stdout (Airbyte and Singer messages)
//! - `signals`: SIGTERM/SIGINT, how a sync is cancelled
//! - `scrub`: the one secret scrubber every quoted request, response and log line passes
// string_slice: byte-range slicing of text panics inside a multi-byte character (a pasted
// token with one non-ASCII character did exactly that); use `get`, `split_once` and friends.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)]

pub mod catalog;
pub mod check;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod linkedin;
pub mod protocol;
pub mod scrub;
pub mod signals;
pub mod spec;
pub mod state;
pub mod streams;

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::json;

use cli::{AboutFormat, Command};
use config::Config;
use error::{Error, Result};
use protocol::{Protocol, Writer};

/// The longest a `check` may take.
pub const CHECK_DEADLINE: std::time::Duration = std::time::Duration::from_secs(25);

/// The environment variable that freezes the connector's clock (tests and golden files).
pub const NOW_ENV: &str = "SOURCE_LINKEDIN_PAGES_NOW";

/// The sync's notion of now: the real clock, unless frozen by [`NOW_ENV`].
pub fn now() -> Result<DateTime<Utc>> {
    match std::env::var(NOW_ENV) {
        Ok(v) => DateTime::parse_from_rfc3339(&v)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| Error::Config(format!("{NOW_ENV} must be an RFC 3339 time, got '{v}'"))),
        Err(_) => Ok(Utc::now()),
    }
}

fn read_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::config(
            &path.display().to_string(),
            format!("cannot read the file: {e}"),
        )
    })?;
    // Windows editors save "UTF-8 with BOM"; JSON forbids it (RFC 8259 §8.1) but allows a
    // parser to ignore it, which is kinder than "not valid JSON" at column 1.
    match text.strip_prefix('\u{feff}') {
        Some(rest) => {
            tracing::warn!(
                "{}: the file starts with a UTF-8 byte order mark (BOM); it was ignored. Save the file as UTF-8 without BOM to silence this warning.",
                path.display()
            );
            Ok(rest.to_string())
        }
        None => Ok(text),
    }
}

/// Writes the config's warnings (unknown keys) where the platform shows them.
fn log_config_warnings<W: Write>(writer: &mut Writer<W>, config: &Config) -> Result<()> {
    for w in &config.warnings {
        writer.log("WARN", w)?;
    }
    Ok(())
}

fn load_config(path: &Path) -> Result<Config> {
    Config::from_json(&path.display().to_string(), &read_file(path)?)
}

fn protocol_of(cmd: &Command) -> Protocol {
    match cmd {
        Command::Discover { protocol, .. } | Command::Read { protocol, .. } => *protocol,
        _ => Protocol::Airbyte,
    }
}

/// Runs one command, writing protocol messages to `out`. Returns the process exit code:
/// 0 on success (and when the reader closed stdout early), 1 after a failure, which is
/// also reported as an Airbyte TRACE error.
pub async fn run<W: Write>(cmd: Command, out: W) -> i32 {
    let now = match now() {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, "Bad environment");
            return 1;
        }
    };
    let mut writer = Writer::new(out, protocol_of(&cmd), now);
    // A cancelled sync (SIGTERM/SIGINT) drops the work at its next await: every message
    // is written by synchronous calls between awaits, so no line is cut, and every STATE
    // already written was flushed with it.
    // Only the commands that talk to LinkedIn watch for signals: `check-token` blocks on
    // stdin, where a watched Ctrl-C could not stop it, so it keeps the default.
    let watch = matches!(
        cmd,
        Command::Read { .. } | Command::Check { .. } | Command::Discover { .. }
    );
    // Installed now, before any work, so a signal never meets the default action.
    let watcher = watch.then(signals::interrupted);
    let interrupted = async move {
        match watcher {
            Some(w) => w.await,
            None => std::future::pending().await,
        }
    };
    let result = tokio::select! {
        r = execute(cmd, &mut writer, now) => r,
        i = interrupted => Err(Error::Interrupted { signal: i.name, exit_code: i.exit_code }),
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

async fn execute<W: Write>(
    cmd: Command,
    writer: &mut Writer<W>,
    now: DateTime<Utc>,
) -> Result<i32> {
    match cmd {
        Command::Spec => writer.spec(&spec::spec()).map(|_| 0),
        Command::About { format } => {
            let about = about();
            match format {
                AboutFormat::Json => writer.document(&about)?,
                AboutFormat::Markdown => writer.text(&about_markdown(&about))?,
            }
            Ok(0)
        }
        Command::CheckToken {
            api_base_url,
            oauth_base_url,
            api_version,
            client_id,
            client_secret,
        } => {
            let raw_token = match std::env::var("LINKEDIN_ACCESS_TOKEN") {
                Ok(t) if !t.trim().is_empty() => t,
                _ => {
                    let mut s = String::new();
                    std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(|e| {
                        Error::Config(format!("cannot read the token from stdin: {e}"))
                    })?;
                    s
                }
            };
            let client = match (client_id, client_secret) {
                (Some(id), Some(secret)) => {
                    Some((config::Secret::new(id), config::Secret::new(secret)))
                }
                _ => None,
            };
            let colour = std::io::IsTerminal::is_terminal(&std::io::stdout())
                && std::env::var_os("NO_COLOR").is_none();
            let (report, ok) = check::check_token(check::TokenCheck {
                raw_token,
                api_base_url,
                oauth_base_url,
                api_version,
                client,
                colour,
            })
            .await;
            // The report quotes LinkedIn's answers: scrubbed like every other message.
            writer.text(&scrub::scrub(&report))?;
            Ok(if ok { 0 } else { 1 })
        }
        Command::Check { config } => {
            let config = match load_config(&config) {
                Ok(c) => c,
                Err(e) => {
                    writer.connection_status(false, &e.to_string())?;
                    return Ok(0);
                }
            };
            log_config_warnings(writer, &config)?;
            let client = linkedin::client::Client::new(&config)?;
            // `check` answers within CHECK_DEADLINE whatever the API does (a tarpit accepts
            // connections and never answers; the platform's check would hang on it).
            let (ok, message) =
                match tokio::time::timeout(CHECK_DEADLINE, check::diagnose(&config, &client))
                    .await
                {
                    Ok(d) => (d.ok, d.message),
                    Err(_) => (false, format!(
                        "Cannot reach the LinkedIn API at {}: no usable answer within {} s{}. Check the network, any proxy and api_base_url.",
                        config.api_base_url,
                        CHECK_DEADLINE.as_secs(),
                        client.last_failure().map(|w| format!(" (last: {w})")).unwrap_or_default()
                    )),
                };
            writer.connection_status(ok, &message)?;
            Ok(0)
        }
        Command::Discover { config, protocol } => {
            load_config(&config)?;
            let catalog = match protocol {
                Protocol::Airbyte => catalog::airbyte_catalog(),
                Protocol::Singer => catalog::singer_catalog(),
            };
            writer.catalog(&catalog)?;
            Ok(0)
        }
        Command::Read {
            config,
            catalog: catalog_path,
            state,
            ..
        } => {
            let config = load_config(&config)?;
            log_config_warnings(writer, &config)?;
            let selected = catalog::parse_configured(
                &catalog_path.display().to_string(),
                &read_file(&catalog_path)?,
            )?;
            let state = match state {
                Some(p) => state::State::parse(
                    &p.display().to_string(),
                    &read_file(&p)?,
                    &config.organization_ids,
                    now,
                )?,
                None => state::State::default(),
            };
            if selected.is_empty() {
                writer.log("WARN", "The catalog selects no stream; nothing to read")?;
                return Ok(0);
            }
            let client = linkedin::client::Client::new(&config)?;
            let report = engine::read(&config, &client, &selected, state, writer, now).await?;
            let now_ms = now.timestamp_millis();
            // A dead API is one error for the sync, not one per stream it stopped.
            let mut failures = report.failures;
            if let Some(i) = failures
                .iter()
                .position(|(_, e)| matches!(e, Error::ApiUnavailable(_)))
            {
                let (_, dead) = failures.swap_remove(i);
                failures = vec![("*".to_string(), dead)];
            }
            for (stream, e) in &failures {
                writer.trace_error(e, (stream != "*").then_some(stream.as_str()), now_ms)?;
            }
            writer.flush()?;
            Ok(if failures.is_empty() { 0 } else { 1 })
        }
    }
}

/// The Singer `--about` document.
pub fn about() -> serde_json::Value {
    json!({
        "name": "source-linkedin-pages",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "LinkedIn Pages (Community Management API): organizations, followers, page views, posts, post statistics, comments, reactions.",
        "capabilities": ["catalog", "discover", "state", "about", "properties"],
        "settings": spec::connection_specification(),
        "streams": streams::STREAMS.iter().map(|s| json!({
            "name": s.name, "description": s.description,
            "key_properties": s.primary_key, "replication_key": s.cursor,
        })).collect::<Vec<_>>(),
    })
}

fn about_markdown(about: &serde_json::Value) -> String {
    let mut md = format!(
        "# source-linkedin-pages {}\n\n{}\n\n## Capabilities\n\n",
        about["version"].as_str().unwrap_or_default(),
        about["description"].as_str().unwrap_or_default()
    );
    for c in about["capabilities"].as_array().into_iter().flatten() {
        md.push_str(&format!("- {}\n", c.as_str().unwrap_or_default()));
    }
    md.push_str(
        "\n## Streams\n\n| stream | key | replication key | description |\n|---|---|---|---|\n",
    );
    for s in streams::STREAMS {
        md.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            s.name,
            s.primary_key.join(", "),
            s.cursor.unwrap_or("—"),
            s.description
        ));
    }
    md
}
