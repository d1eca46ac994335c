//! The sink: the single writer of a read. Units send it their records page by page and
//! their outcome when done; it writes RECORD messages, and a unit's STATE only after all
//! of that unit's records, so a kill at any instant loses nothing on resume. It runs on
//! its own thread (see [`super::read`]), so stdout is never written from an async task.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;

use super::progress::{Progress, Snapshot};
use super::window::next_midnight;
use super::UnitResult;
use crate::catalog::Selected;
use crate::error::{Error, Result};
use crate::protocol::{Protocol, StreamStatus, Writer};
use crate::state::{PostCounts, Resume, State};

/// The approximate size (bytes) from which a state counts as big (see `checkpoint_due`).
const BIG_STATE: usize = 256 * 1024;

/// What units tell the sink.
pub(super) enum Msg {
    /// A line for the platform's log (Airbyte LOG).
    Log(String),
    /// A warning for the platform's log (Airbyte LOG at WARN): something skipped.
    Warn(String),
    /// Newline-separated records of one stream.
    Records {
        stream: usize,
        data: Vec<u8>,
        count: u64,
    },
    /// Posts whose reads completed in a pass over an organization's posts (their
    /// records were sent before this), with their activity counts for incremental
    /// streams: checkpointed so a stopped pass resumes after them.
    Progress {
        stream: usize,
        org: String,
        posts: Vec<String>,
        counts: Option<PostCounts>,
    },
    /// Elements of a stream skipped because they do not decode, each with the decoder's
    /// message (which names the element's id and the field).
    Skipped {
        stream: usize,
        elements: Vec<String>,
    },
    /// A unit expects this many records of its stream (added to the stream's ESTIMATE).
    Estimate { stream: usize, rows: u64 },
    /// Time passed (sent every few seconds, so progress is logged on a quiet read too).
    Tick,
    /// A unit finished: its stream, organization (none for global streams) and outcome.
    Done {
        stream: usize,
        org: Option<String>,
        result: Result<UnitResult>,
    },
}

/// The sink's state over a read.
pub(super) struct Sink<'a, W: Write> {
    pub writer: &'a mut Writer<W>,
    selected: &'a [Selected],
    state: State,
    cancel: &'a AtomicBool,
    now: DateTime<Utc>,
    /// Units of each stream still running.
    outstanding: Vec<usize>,
    counts: Vec<u64>,
    /// Elements skipped per stream (undecodable), and the first one's message.
    skipped: Vec<(u64, Option<String>)>,
    since_state: Vec<u64>,
    /// Record bytes written per stream since its last STATE (Airbyte), and since the last
    /// STATE of any stream (Singer, whose STATE is the whole state).
    bytes_since: Vec<usize>,
    singer_bytes_since: usize,
    /// Whether the stream's last message is a STATE (no record after it).
    stated: Vec<bool>,
    pub total_records: u64,
    /// Streams that failed, with the first error of each.
    pub failures: Vec<(String, Error)>,
    /// The daily-quota or request-budget stop, reported once for the whole read.
    pub quota: Option<Error>,
    /// Partitions that completed in this read (stream index, partition).
    completed: Vec<(usize, String)>,
    /// A failure to write stdout: the read stops.
    pub output_error: Option<Error>,
    /// Each stream's estimate so far (the sum over its units).
    estimates: Vec<u64>,
    /// API requests sent so far (the client's counter).
    requests: &'a (dyn Fn() -> u64 + Sync),
    progress: Progress,
}

impl<'a, W: Write> Sink<'a, W> {
    pub(super) fn new(
        writer: &'a mut Writer<W>,
        selected: &'a [Selected],
        state: State,
        outstanding: Vec<usize>,
        cancel: &'a AtomicBool,
        now: DateTime<Utc>,
        requests: &'a (dyn Fn() -> u64 + Sync),
    ) -> Self {
        let n = selected.len();
        Sink {
            writer,
            selected,
            state,
            cancel,
            now,
            outstanding,
            counts: vec![0; n],
            skipped: vec![(0, None); n],
            since_state: vec![0; n],
            bytes_since: vec![0; n],
            singer_bytes_since: 0,
            stated: vec![false; n],
            total_records: 0,
            failures: Vec::new(),
            quota: None,
            completed: Vec::new(),
            output_error: None,
            estimates: vec![0; n],
            requests,
            progress: Progress::new(),
        }
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            records: self.total_records,
            requests: (self.requests)(),
            streams_done: self.outstanding.iter().filter(|n| **n == 0).count(),
            streams: self.selected.len(),
        }
    }

    /// Logs progress when it is due (Airbyte LOG and stderr) and redraws the live line.
    fn report_progress(&mut self) -> Result<()> {
        let snap = self.snapshot();
        self.progress.draw(&snap);
        if let Some(line) = self.progress.due(&snap) {
            tracing::info!(
                records = snap.records,
                requests = snap.requests,
                streams_done = snap.streams_done,
                "{line}"
            );
            self.writer.log("INFO", &line)?;
        }
        Ok(())
    }

    /// Ends the live progress line (the read is over).
    fn end_progress_line(&mut self) {
        let snap = self.snapshot();
        self.progress.finish(&snap);
    }

    /// Handles one message; after an output error it only drains, so producers finish.
    pub(super) fn handle(&mut self, msg: Msg) {
        if self.output_error.is_some() {
            return;
        }
        let res = match msg {
            Msg::Log(line) => self.writer.log("INFO", &line),
            Msg::Warn(line) => {
                tracing::warn!("{line}");
                self.writer.log("WARN", &line)
            }
            Msg::Records {
                stream,
                data,
                count,
            } => self.records(stream, &data, count),
            Msg::Progress {
                stream,
                org,
                posts,
                counts,
            } => self.progress(stream, &org, posts, counts),
            Msg::Skipped { stream, elements } => self.skipped(stream, elements),
            Msg::Estimate { stream, rows } => {
                self.estimates[stream] += rows;
                let name = self.selected[stream].def.name;
                let now_ms = self.now.timestamp_millis();
                self.writer.estimate(name, self.estimates[stream], now_ms)
            }
            Msg::Tick => Ok(()),
            Msg::Done {
                stream,
                org,
                result,
            } => self.done(stream, org, result),
        };
        let res = res.and_then(|_| self.report_progress());
        if let Err(e) = res {
            self.cancel.store(true, Ordering::SeqCst);
            self.output_error = Some(e);
        }
    }

    fn records(&mut self, stream: usize, data: &[u8], count: u64) -> Result<()> {
        let name = self.selected[stream].def.name;
        let first = self.counts[stream] == 0;
        self.counts[stream] += count;
        self.since_state[stream] += count;
        self.bytes_since[stream] += data.len();
        self.singer_bytes_since += data.len();
        self.stated[stream] = false;
        self.total_records += count;
        if first && count > 0 {
            let now_ms = self.now.timestamp_millis();
            self.writer
                .stream_status(name, StreamStatus::Running, None, now_ms)?;
        }
        // Records are newline-separated; memchr finds the boundaries at memory speed (a
        // byte loop here cost ~10% of a read).
        let excluded = &self.selected[stream].excluded;
        let mut projected = Vec::new();
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', data) {
            if end > start {
                let line = &data[start..end];
                if excluded.is_empty() {
                    self.writer.record(name, line)?;
                } else {
                    projected.clear();
                    project(line, excluded, &mut projected)?;
                    self.writer.record(name, &projected)?;
                }
            }
            start = end + 1;
        }
        Ok(())
    }

    fn progress(
        &mut self,
        stream: usize,
        org: &str,
        posts: Vec<String>,
        counts: Option<PostCounts>,
    ) -> Result<()> {
        if posts.is_empty() {
            return Ok(());
        }
        let name = self.selected[stream].def.name;
        if let Some(counts) = counts {
            self.state.merge_post_counts(name, org, counts);
        }
        self.state.add_resume_posts(name, org, posts);
        if self.checkpoint_due(stream) {
            self.checkpoint(stream)?;
        }
        Ok(())
    }

    /// Warns of each skipped element, naming the stream, and counts them.
    fn skipped(&mut self, stream: usize, elements: Vec<String>) -> Result<()> {
        let name = self.selected[stream].def.name;
        for detail in elements {
            let line = format!("{name}: skipped an element that does not decode: {detail}. The other elements are kept.");
            tracing::warn!(stream = name, "{line}");
            self.writer.log("WARN", &line)?;
            let s = &mut self.skipped[stream];
            s.0 += 1;
            s.1.get_or_insert(detail);
        }
        Ok(())
    }

    fn done(
        &mut self,
        stream: usize,
        org: Option<String>,
        result: Result<UnitResult>,
    ) -> Result<()> {
        let selected = self.selected;
        let sel = &selected[stream];
        self.outstanding[stream] -= 1;
        match result {
            Ok((cursor, counts)) => {
                let partition = org.as_deref().unwrap_or_default();
                let skipped = matches!(
                    self.state.resume(sel.def.name, partition),
                    Some(Resume::Done)
                );
                if skipped {
                    // Completed earlier in the sync this read continues: nothing new.
                } else if sel.incremental {
                    if let Some(c) = cursor {
                        self.state.advance(sel.def.name, partition, c);
                    }
                    if let Some(counts) = counts {
                        self.state.set_post_counts(sel.def.name, partition, counts);
                    }
                    // The pass is complete: its bookmark now covers it.
                    let resumed = self.state.resume(sel.def.name, partition).is_some();
                    self.state.set_resume(sel.def.name, partition, None);
                    // While every element of the stream so far failed to decode, no STATE: the
                    // stream may end as an error, which writes none.
                    let none_decoded = self.skipped[stream].0 > 0 && self.counts[stream] == 0;
                    if !none_decoded && (resumed || self.checkpoint_due(stream)) {
                        self.checkpoint(stream)?;
                    }
                } else if matches!(
                    self.state.resume(sel.def.name, partition),
                    Some(Resume::Posts(_))
                ) {
                    // A finished pass forgets its posts; if the read stops, `finish`
                    // marks the partition done.
                    self.state.set_resume(sel.def.name, partition, None);
                    self.checkpoint(stream)?;
                }
                self.completed.push((stream, partition.to_string()));
            }
            Err(Error::Cancelled) => {}
            Err(e) => self.failed(sel, org.as_deref(), e),
        }
        self.finish_if_last(stream)
    }

    fn finish_if_last(&mut self, stream: usize) -> Result<()> {
        if self.outstanding[stream] == 0 {
            self.stream_finished(stream)?;
        }
        Ok(())
    }

    /// Whether a unit's checkpoint is worth its size. A small state is written after
    /// every unit; a big one (per-post counts of tens of thousands of posts) only once the
    /// records it covers outweigh it, so STATE never costs more bytes than the records
    /// (a kill then repeats at most that many bytes of records). Every stream still ends
    /// with its STATE (see `stream_finished` and `finish`).
    fn checkpoint_due(&self, stream: usize) -> bool {
        let (size, since) = match self.writer.protocol() {
            Protocol::Airbyte => (
                self.state.approx_size(Some(self.selected[stream].def.name)),
                self.bytes_since[stream],
            ),
            Protocol::Singer => (self.state.approx_size(None), self.singer_bytes_since),
        };
        size < BIG_STATE || since >= size
    }

    /// Writes the checkpoint of `stream`: its Airbyte STATE (full-refresh streams: the
    /// CDK's no-cursor marker), or the whole Singer state.
    fn checkpoint(&mut self, stream: usize) -> Result<()> {
        let sel = &self.selected[stream];
        let state = &self.state;
        self.writer.state(
            sel.def.name,
            self.since_state[stream],
            || {
                // A full refresh keeps partitions only while an unfinished sync resumes.
                if sel.incremental || state.has_partitions(sel.def.name) {
                    state.airbyte_stream_state(sel.def)
                } else {
                    serde_json::json!({"__ab_no_cursor_state_message": true})
                }
            },
            || state.singer_state(),
        )?;
        self.since_state[stream] = 0;
        self.bytes_since[stream] = 0;
        self.stated[stream] = true;
        if self.writer.protocol() == Protocol::Singer {
            self.singer_bytes_since = 0;
            self.stated.iter_mut().for_each(|s| *s = true);
        }
        Ok(())
    }

    /// The end of a read. A read that stopped early records which full refreshes
    /// completed, so the next run (continuing this sync) does not repeat them; a read
    /// that completed everything ends the sync and clears every resume point. A Singer
    /// sync then always ends with a STATE carrying every bookmark, since targets may keep
    /// only the last one.
    pub(super) fn finish(&mut self) -> Result<()> {
        self.end_progress_line();
        if self.output_error.is_some() {
            return Ok(());
        }
        let touched = self.settle_resume();
        if self.writer.protocol() == Protocol::Singer {
            let state = &self.state;
            return self
                .writer
                .state("", 0, serde_json::Value::default, || state.singer_state());
        }
        for stream in touched {
            self.checkpoint(stream)?;
        }
        Ok(())
    }

    /// Updates the resume points at the end of a read; returns the streams whose state
    /// changed.
    fn settle_resume(&mut self) -> Vec<usize> {
        let mut touched: Vec<usize> = Vec::new();
        let names = if self.quota.is_some() {
            // Stopped by the quota or the budget: the next run continues this sync and
            // skips what completed in it.
            for (stream, partition) in std::mem::take(&mut self.completed) {
                let name = self.selected[stream].def.name;
                self.state.set_resume(name, &partition, Some(Resume::Done));
                touched.push(stream);
            }
            Vec::new()
        } else if self.failures.is_empty() && !self.cancel.load(Ordering::SeqCst) {
            self.state.clear_resume()
        } else {
            // Another failure, perhaps one the user must fix: the next run re-reads the
            // full refreshes (never skip them run after run), but unfinished passes over
            // posts still resume where they stopped.
            self.state.clear_resume_done()
        };
        touched.extend(
            (0..self.selected.len())
                .filter(|&i| names.iter().any(|n| n == self.selected[i].def.name)),
        );
        touched.sort_unstable();
        touched.dedup();
        touched
    }

    fn failed(&mut self, sel: &Selected, org: Option<&str>, e: Error) {
        tracing::error!(stream = sel.def.name, organization = org.unwrap_or("-"), error = %e, "Stream partition failed");
        let stop = matches!(
            e,
            Error::QuotaExhausted { .. } | Error::BudgetExhausted { .. }
        );
        let fatal = stop
            || matches!(&e, Error::Api { status: 401, .. })
            || matches!(e, Error::Output(_) | Error::BrokenPipe)
            // The breaker opened: the API is down for every stream.
            || matches!(e, Error::ApiUnavailable(_));
        if fatal {
            self.cancel.store(true, Ordering::SeqCst);
        }
        if stop {
            if self.quota.is_none() {
                self.quota = Some(e);
            }
        } else if !self.failures.iter().any(|(s, _)| s == sel.def.name) {
            self.failures.push((sel.def.name.to_string(), e));
        }
    }

    fn stream_finished(&mut self, stream: usize) -> Result<()> {
        let name = self.selected[stream].def.name;
        let now_ms = self.now.timestamp_millis();
        let (skipped, first_skipped) = self.skipped[stream].clone();
        // A stream whose every element failed to decode read nothing: that is an error.
        if skipped > 0 && self.counts[stream] == 0 {
            if let Some(detail) =
                first_skipped.filter(|_| !self.failures.iter().any(|(s, _)| s == name))
            {
                self.failures.push((
                    name.to_string(),
                    Error::Decode {
                        stream: name.into(),
                        detail: format!(
                            "none of its {skipped} element(s) decodes; the first: {detail}"
                        ),
                    },
                ));
            }
        }
        let failed =
            self.failures.iter().any(|(s, _)| s == name) || self.cancel.load(Ordering::SeqCst);
        let status = if failed {
            StreamStatus::Incomplete
        } else {
            StreamStatus::Complete
        };
        // Every stream that ran ends with its STATE after its last record (Airbyte
        // commits a stream's records on its STATE), full refresh included. Not a stream
        // that failed on its own error (its STATE would commit a partial read as if it
        // were whole), nor a full refresh that did not finish (the CDK's marker means
        // "complete"); an incremental stream stopped by the quota still ends with the
        // bookmarks of its completed partitions.
        let own_failure = self.failures.iter().any(|(s, _)| s == name);
        let unfinished_full_refresh = failed && !self.selected[stream].incremental;
        if self.writer.protocol() == Protocol::Airbyte
            && !self.stated[stream]
            && !own_failure
            && !unfinished_full_refresh
        {
            self.checkpoint(stream)?;
        }
        let quota = matches!(self.quota, Some(Error::QuotaExhausted { .. }));
        let reset = (failed && quota).then(|| next_midnight(self.now).timestamp_millis());
        self.writer.stream_status(name, status, reset, now_ms)?;
        if !failed {
            self.writer.estimate(name, self.counts[stream], now_ms)?;
        }
        if skipped > 0 {
            // Not an ERROR trace: Airbyte fails the sync on one. ANALYTICS is the
            // protocol's non-fatal trace (see `protocol::airbyte::analytics`).
            self.writer
                .analytics(SKIPPED_EVENT, &format!("{name}:{skipped}"), now_ms)?;
        }
        let skipped_note = if skipped > 0 {
            format!(", {skipped} undecodable element(s) skipped")
        } else {
            String::new()
        };
        let line = format!(
            "Stream {name}: {} records, {}{skipped_note}",
            self.counts[stream],
            if failed { "incomplete" } else { "complete" }
        );
        tracing::info!(
            stream = name,
            records = self.counts[stream],
            skipped,
            "{line}"
        );
        self.writer.log("INFO", &line)
    }
}

/// The ANALYTICS event type of elements skipped because they do not decode; its value is
/// `stream:count`. A static name, as the protocol asks of event types.
pub(super) const SKIPPED_EVENT: &str = "source-linkedin-pages-undecodable-elements-skipped";

/// The top-level fields of one serialised record, in their order, values untouched.
struct Fields<'a>(Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Fields<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a record object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    out.push(entry);
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Writes `record` without the `excluded` top-level fields into `out`. Only the top level
/// is parsed; kept values are copied byte for byte, in their order.
fn project(record: &[u8], excluded: &[String], out: &mut Vec<u8>) -> Result<()> {
    let fields: Fields = serde_json::from_slice(record)
        .map_err(|e| Error::Internal(format!("a serialised record is not an object: {e}")))?;
    out.push(b'{');
    let mut first = true;
    for (k, v) in fields.0.iter().filter(|(k, _)| !excluded.contains(k)) {
        if !first {
            out.push(b',');
        }
        first = false;
        serde_json::to_writer(&mut *out, k)
            .map_err(|e| Error::Internal(format!("cannot write a field name: {e}")))?;
        out.push(b':');
        out.extend_from_slice(v.get().as_bytes());
    }
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::project;

    #[test]
    fn projection_drops_only_the_excluded_fields_and_keeps_order() {
        let mut out = Vec::new();
        let rec = br#"{"z":1,"id":"a\"b","text":{"nested":[1,{"x":null}]},"a":null}"#;
        project(rec, &["text".into(), "nope".into()], &mut out).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"z":1,"id":"a\"b","a":null}"#
        );
        out.clear();
        project(
            rec,
            &["z".into(), "id".into(), "text".into(), "a".into()],
            &mut out,
        )
        .unwrap();
        assert_eq!(out, b"{}");
        assert!(project(b"[1]", &["a".into()], &mut out).is_err());
    }
}
