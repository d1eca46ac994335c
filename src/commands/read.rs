//! `read` (Airbyte) and the Singer sync: load config, catalog and state, resolve the
//! organizations, run the engine, report each failed stream as a TRACE error. A 403 is
//! reported with the scope and role the permission table gives for its endpoint.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::{client_settings, load_config, log_config_warnings, read_file};
use crate::catalog;
use crate::engine;
use crate::error::{Error, Result};
use crate::linkedin::client::{Client, ClientSettings};
use crate::linkedin::orgs;
use crate::protocol::Writer;
use crate::state::State;
use crate::streams::permissions::explain_refusal;

/// Runs a read; exit code 1 when a stream failed.
pub(super) async fn run<W: Write + Send>(
    config: &Path,
    catalog_path: &Path,
    state: Option<&Path>,
    writer: &mut Writer<W>,
    now: DateTime<Utc>,
) -> Result<i32> {
    let config = load_config(config)?;
    log_config_warnings(writer, &config)?;
    let selected = catalog::parse_configured(
        &catalog_path.display().to_string(),
        &read_file(catalog_path)?,
    )?;
    let state = match state {
        Some(p) => State::parse_with(
            &p.display().to_string(),
            &read_file(p)?,
            &config.organization_ids,
            config.time_granularity,
            now,
        )?,
        None => State::default(),
    };
    if selected.is_empty() {
        writer.log("WARN", "The catalog selects no stream; nothing to read")?;
        return Ok(0);
    }
    let client = Client::new(ClientSettings {
        max_requests: config.max_requests_per_run,
        ..client_settings(&config)
    })?;
    let orgs = orgs::resolve(&config.organization_ids, &client)
        .await
        .map_err(|e| explain_refusal(None, e))?;
    let report = engine::read(&config, &client, orgs, &selected, state, writer, now)
        .await
        .map_err(|e| explain_refusal(None, e))?;
    let now_ms = now.timestamp_millis();
    // A dead API is one error for the sync, not one per stream it stopped.
    let mut failures = report.failures;
    if let Some(i) = failures
        .iter()
        .position(|(_, e)| matches!(e, Error::ApiUnavailable(_)))
    {
        let (_, dead) = failures.swap_remove(i);
        failures = vec![(None, dead)];
    }
    let failed = !failures.is_empty();
    for (stream, e) in failures {
        let e = explain_refusal(stream.as_deref(), e);
        writer.trace_error(&e, stream.as_deref(), now_ms)?;
    }
    writer.flush()?;
    Ok(if failed { 1 } else { 0 })
}
