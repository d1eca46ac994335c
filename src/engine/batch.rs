//! Decoded records on their way to the sink: a newline-separated buffer per unit, sent
//! page by page, and the newest cursor seen.

use serde_json::value::RawValue;
use tokio::sync::mpsc;

use super::sink::Msg;
use crate::domain::Cursor;
use crate::error::{Error, Result};
use crate::linkedin::pager::OnePass;
use crate::streams::records::{DecodedPage, RecordCtx};
use crate::streams::StreamDef;

/// Decoded records, newline-separated, ready for the writer, and the elements skipped
/// because they do not decode (each with the decoder's message naming its id and field).
#[derive(Default)]
pub(super) struct Records {
    pub buf: Vec<u8>,
    pub count: u64,
    pub skipped: Vec<String>,
}

/// What `Records::push_newer` did with a record.
pub(super) enum Pushed {
    /// Kept, with its cursor.
    Kept(Option<Cursor>),
    /// Not newer than the bookmark: dropped.
    Older,
}

impl Records {
    /// Decodes one element into a record; returns its cursor. An element that does not
    /// decode is skipped (issue 18: one bad element must not cost its page and
    /// partition): it is noted in `skipped`, and the sink warns and counts it.
    pub(super) fn push(
        &mut self,
        def: &StreamDef,
        ctx: &RecordCtx,
        raw: &RawValue,
    ) -> Result<Option<Cursor>> {
        let mark = self.buf.len();
        match (def.decode)(ctx, raw.get(), &mut self.buf) {
            Ok(c) => {
                self.buf.push(b'\n');
                self.count += 1;
                Ok(c)
            }
            Err(e) => {
                self.buf.truncate(mark);
                self.skip(e);
                Ok(None)
            }
        }
    }

    /// Notes an element skipped because it does not decode (`detail` names it).
    pub(super) fn skip(&mut self, detail: String) {
        self.skipped.push(detail);
    }

    /// Takes the records of a page decoded in one pass, dropping those whose cursor is not
    /// after `bookmark` as `push_newer` does; returns the cursors of those kept and whether
    /// any was dropped.
    pub(super) fn take_page(
        &mut self,
        page: DecodedPage,
        bookmark: Option<Cursor>,
    ) -> (CursorMax, bool) {
        let mut max = CursorMax::default();
        let older = |c: &Option<Cursor>| matches!((c, bookmark), (Some(c), Some(b)) if *c <= b);
        let DecodedPage {
            mut out, records, ..
        } = page;
        let reached = records.iter().any(|(_, c)| older(c));
        // Nothing dropped: the page's buffer is taken whole (no copy when ours is empty).
        if !reached {
            if self.buf.is_empty() {
                std::mem::swap(&mut self.buf, &mut out);
            } else {
                self.buf.extend_from_slice(&out);
            }
        }
        let mut start = 0;
        for (end, c) in &records {
            if !older(c) {
                if reached {
                    self.buf.extend_from_slice(&out[start..*end]);
                }
                self.count += 1;
                max.see(*c);
            }
            start = *end;
        }
        (max, reached)
    }

    /// Like `push`, but drops a record whose cursor is not after `bookmark`.
    pub(super) fn push_newer(
        &mut self,
        def: &StreamDef,
        ctx: &RecordCtx,
        raw: &RawValue,
        bookmark: Option<Cursor>,
    ) -> Result<Pushed> {
        let mark = self.buf.len();
        let cursor = self.push(def, ctx, raw)?;
        if let (Some(c), Some(b)) = (cursor, bookmark) {
            if c <= b {
                self.buf.truncate(mark);
                self.count -= 1;
                return Ok(Pushed::Older);
            }
        }
        Ok(Pushed::Kept(cursor))
    }
}

/// A unit's records on their way to the sink, sent page by page.
pub(super) struct Emitter<'a> {
    tx: &'a mpsc::Sender<Msg>,
    stream: usize,
    pub records: Records,
}

impl<'a> Emitter<'a> {
    pub(super) fn new(tx: &'a mpsc::Sender<Msg>, stream: usize) -> Emitter<'a> {
        Emitter {
            tx,
            stream,
            records: Records::default(),
        }
    }

    pub(super) fn push(
        &mut self,
        def: &StreamDef,
        ctx: &RecordCtx,
        raw: &RawValue,
    ) -> Result<Option<Cursor>> {
        self.records.push(def, ctx, raw)
    }

    /// Sends what is buffered.
    pub(super) async fn flush(&mut self) -> Result<()> {
        if self.records.count == 0 && self.records.skipped.is_empty() {
            return Ok(());
        }
        let Records {
            buf: data,
            count,
            skipped,
        } = std::mem::take(&mut self.records);
        if !skipped.is_empty() {
            self.tx
                .send(Msg::Skipped {
                    stream: self.stream,
                    elements: skipped,
                })
                .await
                .map_err(|_| Error::Cancelled)?;
        }
        if count == 0 {
            return Ok(());
        }
        self.tx
            .send(Msg::Records {
                stream: self.stream,
                data,
                count,
            })
            .await
            .map_err(|_| Error::Cancelled)
    }

    /// Another emitter for the same stream (a concurrent part of one unit).
    pub(super) fn sibling(&self) -> Emitter<'a> {
        Emitter::new(self.tx, self.stream)
    }

    /// Checkpoints posts whose reads completed (their records were sent before this).
    pub(super) async fn progress(
        &self,
        org: &str,
        posts: Vec<String>,
        counts: Option<crate::state::PostCounts>,
    ) {
        if posts.is_empty() {
            return;
        }
        let msg = Msg::Progress {
            stream: self.stream,
            org: org.to_string(),
            posts,
            counts,
        };
        let _ = self.tx.send(msg).await;
    }

    /// How many records this unit expects to emit (Airbyte ESTIMATE), before them.
    pub(super) async fn estimate(&self, rows: u64) {
        let _ = self
            .tx
            .send(Msg::Estimate {
                stream: self.stream,
                rows,
            })
            .await;
    }

    /// A line for the platform's log.
    pub(super) async fn log(&self, line: String) {
        let _ = self.tx.send(Msg::Log(line)).await;
    }

    /// A warning for the platform's log (something skipped).
    pub(super) async fn warn(&self, line: String) {
        let _ = self.tx.send(Msg::Warn(line)).await;
    }
}

/// Keeps the newest cursor seen.
#[derive(Default)]
pub(super) struct CursorMax(pub Option<Cursor>);

impl CursorMax {
    pub(super) fn see(&mut self, c: Option<Cursor>) {
        if let Some(c) = c {
            if self.0.is_none_or(|m| c > m) {
                self.0 = Some(c);
            }
        }
    }

    /// The newest cursor, capped at `signpost` (the sync's start: nothing later is final).
    pub(super) fn capped(self, signpost: Cursor) -> Option<Cursor> {
        self.0.map(|m| m.min(signpost))
    }
}

impl OnePass for DecodedPage {
    fn len(&self) -> usize {
        self.records.len()
    }
    fn ends(&self) -> (&[u8], &[u8]) {
        (self.record(0), self.record(self.records.len() - 1))
    }
    fn paging(&self) -> Option<&RawValue> {
        self.paging.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(cursors: &[Option<&str>]) -> DecodedPage {
        let mut p = DecodedPage::default();
        for (i, c) in cursors.iter().enumerate() {
            p.out
                .extend_from_slice(format!("{{\"n\":{i}}}\n").as_bytes());
            p.records.push((p.out.len(), c.and_then(Cursor::parse)));
        }
        p
    }

    #[test]
    fn a_decoded_page_keeps_what_is_after_the_bookmark_as_push_newer_does() {
        let days = [
            Some("2026-01-03"),
            Some("2026-01-01"),
            None,
            Some("2026-01-02"),
        ];
        let mut r = Records::default();
        let (max, reached) = r.take_page(page(&days), Cursor::parse("2026-01-02"));
        assert!(reached);
        assert_eq!(
            String::from_utf8(r.buf.clone()).unwrap(),
            "{\"n\":0}\n{\"n\":2}\n"
        );
        assert_eq!(r.count, 2);
        assert_eq!(max.0, Cursor::parse("2026-01-03"));

        // Without a bookmark every record is kept, after what the buffer already holds.
        let (max, reached) = r.take_page(page(&days), None);
        assert!(!reached);
        assert_eq!(r.count, 6);
        assert!(String::from_utf8(r.buf.clone())
            .unwrap()
            .ends_with("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"));
        assert_eq!(max.0, Cursor::parse("2026-01-03"));
    }
}
