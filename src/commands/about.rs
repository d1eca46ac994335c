//! `--about`: the Singer capabilities document, as JSON or Markdown.

use std::io::Write;

use serde_json::json;

use crate::cli::AboutFormat;
use crate::error::Result;
use crate::protocol::Writer;
use crate::streams::STREAMS;

/// Writes the document in the asked format.
pub(super) fn run<W: Write>(format: AboutFormat, writer: &mut Writer<W>) -> Result<i32> {
    let about = about();
    match format {
        AboutFormat::Json => writer.document(&about)?,
        AboutFormat::Markdown => writer.text(&about_markdown(&about))?,
    }
    Ok(0)
}

/// The Singer `--about` document.
pub(crate) fn about() -> serde_json::Value {
    json!({
        "name": "source-linkedin-pages",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "LinkedIn Pages (Community Management API): organizations, followers, page views, posts, post statistics, comments, reactions.",
        "capabilities": ["catalog", "discover", "state", "about", "properties"],
        "settings": crate::spec::connection_specification(),
        "streams": STREAMS.iter().map(|s| json!({
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
    for s in STREAMS {
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
