//! Singer `--test`, as singer-sdk taps have it, for orchestrators that test a tap before
//! running it (Meltano's `meltano config <tap> test`, CI): `--test`/`--test=all` tests the
//! connection with `check`'s diagnosis and emits no records; `--test=schema` writes only
//! the SCHEMA messages (for a target to create its tables) without any request.
//! singer-sdk's `--test` syncs one record per stream; here the connection test is `check`'s
//! three requests instead, because a record per stream would cost quota on every stream.

use std::io::Write;
use std::path::Path;

use crate::catalog;
use crate::cli::TestMode;
use crate::error::Result;
use crate::linkedin::client::Client;
use crate::protocol::Writer;

/// Runs the test; exit code 0 when it passed, 1 when not (the reason on stderr).
pub(super) async fn run<W: Write>(
    config_path: &Path,
    catalog_path: Option<&Path>,
    mode: TestMode,
    writer: &mut Writer<W>,
) -> Result<i32> {
    let config = super::load_config(config_path)?;
    match mode {
        TestMode::Schema => {
            let selected = match catalog_path {
                Some(p) => {
                    catalog::parse_configured(&p.display().to_string(), &super::read_file(p)?)?
                }
                None => catalog::all_selected(),
            };
            for s in &selected {
                let cursor = s.def.cursor.filter(|_| s.incremental);
                writer.schema(s.def.name, &s.schema(), s.def.primary_key, cursor)?;
            }
            writer.flush()?;
            tracing::info!(
                streams = selected.len(),
                "Schema test: SCHEMA messages written, no request made"
            );
            Ok(0)
        }
        TestMode::All => {
            let client = Client::new(super::client_settings(&config))?;
            let d = super::check::diagnose(&config, &client).await;
            if d.ok {
                tracing::info!(
                    requests = d.access.requests,
                    "Connection test passed: {}",
                    d.message
                );
                Ok(0)
            } else {
                tracing::error!(
                    requests = d.access.requests,
                    "Connection test failed: {}",
                    d.message
                );
                Ok(1)
            }
        }
    }
}
