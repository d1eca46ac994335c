//! Replies to the elements of a per-post paged endpoint (comments on comments), read when
//! the config asks for them: for each element of a page that says it has replies, every
//! page of its replies, emitted as records of the same stream (each names its parent).

use serde_json::value::RawValue;

use super::batch::{CursorMax, Emitter, Pushed};
use super::run::Shared;
use crate::domain::Cursor;
use crate::error::{Error, Result};
use crate::streams::records::RecordCtx;
use crate::streams::{Replies, StreamDef};

/// The replies to the elements of `page` newer than `bookmark`, sent to the sink page by
/// page; returns the newest cursor. A parent deleted during the sync is skipped.
pub(super) async fn read(
    shared: &Shared<'_>,
    def: &'static StreamDef,
    r: Replies,
    page: &[Box<RawValue>],
    ctx: &RecordCtx<'_>,
    bookmark: Option<Cursor>,
    out: &mut Emitter<'_>,
) -> Result<Option<Cursor>> {
    let mut max = CursorMax::default();
    for parent in page.iter().filter_map(|raw| (r.parent_of)(raw.get())) {
        let mut pager = shared.pager(def);
        loop {
            let replies = match pager.next_page(|start| r.path(&parent, start)).await {
                Ok(Some(replies)) => replies,
                Ok(None) => break,
                Err(Error::Api { status: 404, .. }) => {
                    out.warn(format!("{}: {parent} disappeared during the sync (deleted?); its replies are skipped", def.name)).await;
                    break;
                }
                Err(e) => return Err(e),
            };
            for raw in &replies {
                if let Pushed::Kept(c) = out.records.push_newer(def, ctx, raw, bookmark)? {
                    max.see(c);
                }
            }
            out.flush().await?;
        }
    }
    Ok(max.0)
}
