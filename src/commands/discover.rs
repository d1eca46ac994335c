//! `discover` (Airbyte) and `--discover` (Singer): the catalog of every stream.

use std::io::Write;
use std::path::Path;

use crate::catalog;
use crate::error::Result;
use crate::protocol::{Protocol, Writer};

/// Validates the config, then writes the catalog in the protocol's form.
pub(super) fn run<W: Write>(
    config: &Path,
    protocol: Protocol,
    writer: &mut Writer<W>,
) -> Result<i32> {
    super::load_config(config)?;
    let catalog = match protocol {
        Protocol::Airbyte => catalog::airbyte_catalog(),
        Protocol::Singer => catalog::singer_catalog(),
    };
    writer.catalog(&catalog)?;
    Ok(0)
}
