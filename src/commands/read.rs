//! `read` (Airbyte) and the Singer sync: load config, catalog and state, resolve the
//! organizations, run the engine, report each failed stream as a TRACE error.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::{client_settings, load_config, read_file};
use crate::catalog;
use crate::engine;
use crate::error::Result;
use crate::linkedin::client::{Client, ClientSettings};
use crate::linkedin::orgs;
use crate::protocol::Writer;
use crate::state::State;

/// Runs a read; exit code 1 when a stream failed.
pub(super) async fn run<W: Write + Send>(
    config: &Path,
    catalog_path: &Path,
    state: Option<&Path>,
    writer: &mut Writer<W>,
    now: DateTime<Utc>,
) -> Result<i32> {
    let config = load_config(config)?;
    let selected = catalog::parse_configured(
        &catalog_path.display().to_string(),
        &read_file(catalog_path)?,
    )?;
    let state = match state {
        Some(p) => State::parse(
            &p.display().to_string(),
            &read_file(p)?,
            &config.organization_ids,
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
    let orgs = orgs::resolve(&config.organization_ids, &client).await?;
    let report = engine::read(&config, &client, orgs, &selected, state, writer, now).await?;
    let now_ms = now.timestamp_millis();
    for (stream, e) in &report.failures {
        writer.trace_error(e, stream.as_deref(), now_ms)?;
    }
    writer.flush()?;
    Ok(if report.failures.is_empty() { 0 } else { 1 })
}
