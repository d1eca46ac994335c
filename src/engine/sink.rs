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
use crate::protocol::{StreamStatus, Writer};
use crate::state::State;

/// What units tell the sink.
pub(super) enum Msg {
    /// A line for the platform's log (Airbyte LOG).
    Log(String),
    /// Newline-separated records of one stream.
    Records {
        stream: usize,
        data: Vec<u8>,
        count: u64,
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
    since_state: Vec<u64>,
    pub total_records: u64,
    /// Streams that failed, with the first error of each.
    pub failures: Vec<(String, Error)>,
    /// The daily-quota stop, reported once for the whole read.
    pub quota: Option<Error>,
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
            since_state: vec![0; n],
            total_records: 0,
            failures: Vec::new(),
            quota: None,
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
    fn progress(&mut self) -> Result<()> {
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
    pub(super) fn finish(&mut self) {
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
            Msg::Records {
                stream,
                data,
                count,
            } => self.records(stream, &data, count),
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
        let res = res.and_then(|_| self.progress());
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
                if sel.incremental {
                    let partition = org.as_deref().unwrap_or_default();
                    if let Some(c) = cursor {
                        self.state.advance(sel.def.name, partition, c);
                    }
                    if let Some(counts) = counts {
                        self.state.set_post_counts(sel.def.name, partition, counts);
                    }
                    let state = &self.state;
                    self.writer.state(
                        sel.def.name,
                        self.since_state[stream],
                        || state.airbyte_stream_state(sel.def),
                        || state.singer_state(),
                    )?;
                    self.since_state[stream] = 0;
                }
            }
            Err(Error::Cancelled) => {}
            Err(e) => self.failed(sel, org.as_deref(), e),
        }
        if self.outstanding[stream] == 0 {
            self.stream_finished(stream)?;
        }
        Ok(())
    }

    fn failed(&mut self, sel: &Selected, org: Option<&str>, e: Error) {
        tracing::error!(stream = sel.def.name, organization = org.unwrap_or("-"), error = %e, "Stream partition failed");
        let fatal = matches!(e, Error::QuotaExhausted { .. })
            || matches!(&e, Error::Api { status: 401, .. })
            || matches!(e, Error::Output(_) | Error::BrokenPipe);
        if fatal {
            self.cancel.store(true, Ordering::SeqCst);
        }
        if matches!(e, Error::QuotaExhausted { .. }) {
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
        let failed =
            self.failures.iter().any(|(s, _)| s == name) || self.cancel.load(Ordering::SeqCst);
        let status = if failed {
            StreamStatus::Incomplete
        } else {
            StreamStatus::Complete
        };
        let reset =
            (failed && self.quota.is_some()).then(|| next_midnight(self.now).timestamp_millis());
        self.writer.stream_status(name, status, reset, now_ms)?;
        if !failed {
            self.writer.estimate(name, self.counts[stream], now_ms)?;
        }
        let line = format!(
            "Stream {name}: {} records, {}",
            self.counts[stream],
            if failed { "incomplete" } else { "complete" }
        );
        tracing::info!(stream = name, records = self.counts[stream], "{line}");
        self.writer.log("INFO", &line)
    }
}

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
