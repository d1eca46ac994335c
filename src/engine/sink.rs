//! The sink: the single writer of a read. Units send it their records page by page and
//! their outcome when done; it writes RECORD messages, and a unit's STATE only after all
//! of that unit's records, so a kill at any instant loses nothing on resume. It runs on
//! its own thread (see [`super::read`]), so stdout is never written from an async task.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};

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
    /// A warning for the platform's log (Airbyte LOG at WARN): something skipped.
    Warn(String),
    /// Newline-separated records of one stream.
    Records {
        stream: usize,
        data: Vec<u8>,
        count: u64,
    },
    /// Elements of a stream skipped because they do not decode, each with the decoder's
    /// message (which names the element's id and the field).
    Skipped {
        stream: usize,
        elements: Vec<String>,
    },
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
    pub total_records: u64,
    /// Streams that failed, with the first error of each.
    pub failures: Vec<(String, Error)>,
    /// The daily-quota stop, reported once for the whole read.
    pub quota: Option<Error>,
    /// A failure to write stdout: the read stops.
    pub output_error: Option<Error>,
}

impl<'a, W: Write> Sink<'a, W> {
    pub(super) fn new(
        writer: &'a mut Writer<W>,
        selected: &'a [Selected],
        state: State,
        outstanding: Vec<usize>,
        cancel: &'a AtomicBool,
        now: DateTime<Utc>,
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
            total_records: 0,
            failures: Vec::new(),
            quota: None,
            output_error: None,
        }
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
            Msg::Skipped { stream, elements } => self.skipped(stream, elements),
            Msg::Done {
                stream,
                org,
                result,
            } => self.done(stream, org, result),
        };
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
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', data) {
            if end > start {
                self.writer.record(name, &data[start..end])?;
            }
            start = end + 1;
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
        let sel = self.selected[stream];
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
                    // While every element of the stream so far failed to decode, no
                    // STATE: the stream may end as an error, which writes none.
                    let (skipped, _) = &self.skipped[stream];
                    if *skipped > 0 && self.counts[stream] == 0 {
                        return self.finish_if_last(stream);
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
        self.finish_if_last(stream)
    }

    fn finish_if_last(&mut self, stream: usize) -> Result<()> {
        if self.outstanding[stream] == 0 {
            self.stream_finished(stream)?;
        }
        Ok(())
    }

    fn failed(&mut self, sel: Selected, org: Option<&str>, e: Error) {
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
        let reset =
            (failed && self.quota.is_some()).then(|| next_midnight(self.now).timestamp_millis());
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
