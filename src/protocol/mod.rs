//! The only code that writes to stdout: newline-delimited Airbyte or Singer messages
//! through one buffered writer that flushes on every STATE, so a checkpoint reaches the
//! platform the moment it is written. Wire shapes live in `airbyte.rs` and `singer.rs`.

pub(crate) mod airbyte;
pub(crate) mod singer;

use std::io::Write;

use serde_json::Value;

use crate::error::{Error, Result};

/// Which protocol the run speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Airbyte,
    Singer,
}

/// Stream status values of Airbyte's STREAM_STATUS trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamStatus {
    Started,
    Running,
    Complete,
    Incomplete,
}

/// The message writer.
pub(crate) struct Writer<W: Write> {
    out: std::io::BufWriter<W>,
    protocol: Protocol,
    /// Epoch ms stamped on records (fixed per run, so golden files are stable).
    emitted_at: i64,
    time_extracted: String,
    /// The last stream's RECORD envelope: (stream, text before the data, text after it).
    envelope: (String, Vec<u8>, Vec<u8>),
}

impl<W: Write> Writer<W> {
    /// A writer over `out` (stdout in production, a buffer in tests).
    pub(crate) fn new(out: W, protocol: Protocol, now: chrono::DateTime<chrono::Utc>) -> Writer<W> {
        Writer {
            out: std::io::BufWriter::with_capacity(256 * 1024, out),
            protocol,
            emitted_at: now.timestamp_millis(),
            time_extracted: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            envelope: Default::default(),
        }
    }

    /// The protocol this writer speaks.
    pub(crate) fn protocol(&self) -> Protocol {
        self.protocol
    }

    fn line(&mut self, v: &Value) -> Result<()> {
        serde_json::to_writer(&mut self.out, v).map_err(|e| Error::from_output(e.into()))?;
        self.out.write_all(b"\n").map_err(Error::from_output)
    }

    /// Flushes buffered messages to the underlying writer.
    pub(crate) fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(Error::from_output)
    }

    /// Airbyte SPEC.
    pub(crate) fn spec(&mut self, spec: &Value) -> Result<()> {
        self.line(&airbyte::spec(spec))?;
        self.flush()
    }

    /// Airbyte CONNECTION_STATUS.
    pub(crate) fn connection_status(&mut self, ok: bool, message: &str) -> Result<()> {
        self.line(&airbyte::connection_status(ok, message))?;
        self.flush()
    }

    /// The catalog: an Airbyte CATALOG message, or the Singer catalog document itself.
    pub(crate) fn catalog(&mut self, catalog: &Value) -> Result<()> {
        match self.protocol {
            Protocol::Airbyte => self.line(&airbyte::catalog(catalog))?,
            Protocol::Singer => {
                serde_json::to_writer_pretty(&mut self.out, catalog)
                    .map_err(|e| Error::from_output(e.into()))?;
                self.out.write_all(b"\n").map_err(Error::from_output)?;
            }
        }
        self.flush()
    }

    /// Any JSON document on its own line (e.g. `--about`).
    pub(crate) fn document(&mut self, v: &Value) -> Result<()> {
        serde_json::to_writer_pretty(&mut self.out, v).map_err(|e| Error::from_output(e.into()))?;
        self.out.write_all(b"\n").map_err(Error::from_output)?;
        self.flush()
    }

    /// Plain text (e.g. `--about --format markdown`, the human `check-token` report).
    pub(crate) fn text(&mut self, text: &str) -> Result<()> {
        self.out
            .write_all(text.as_bytes())
            .map_err(Error::from_output)?;
        self.flush()
    }

    /// Singer SCHEMA (nothing for Airbyte, whose schemas travel in the catalog).
    pub(crate) fn schema(
        &mut self,
        stream: &str,
        schema: &Value,
        key_properties: &[&str],
        bookmark: Option<&str>,
    ) -> Result<()> {
        if self.protocol == Protocol::Singer {
            self.line(&singer::schema(stream, schema, key_properties, bookmark))?;
        }
        Ok(())
    }

    /// One RECORD whose data is already-serialised JSON (written as is, never re-parsed).
    /// The envelope around it is built once per stream and reused: formatting it per record
    /// (`write!`) cost ~3 % of a record's instructions in the comments benchmark.
    pub(crate) fn record(&mut self, stream: &str, data: &[u8]) -> Result<()> {
        if self.envelope.0 != stream {
            let (head, tail) = match self.protocol {
                Protocol::Airbyte => (
                    format!("{{\"type\":\"RECORD\",\"record\":{{\"stream\":\"{stream}\",\"data\":"),
                    format!(",\"emitted_at\":{}}}}}\n", self.emitted_at),
                ),
                Protocol::Singer => (
                    format!("{{\"type\":\"RECORD\",\"stream\":\"{stream}\",\"record\":"),
                    format!(",\"time_extracted\":\"{}\"}}\n", self.time_extracted),
                ),
            };
            self.envelope = (stream.to_string(), head.into_bytes(), tail.into_bytes());
        }
        let (_, head, tail) = &self.envelope;
        self.out
            .write_all(head)
            .and_then(|_| self.out.write_all(data))
            .and_then(|_| self.out.write_all(tail))
            .map_err(Error::from_output)
    }

    /// A checkpoint: Airbyte per-stream STATE for `stream`, or the whole Singer state.
    /// Only the form this protocol needs is built. Flushed at once.
    pub(crate) fn state(
        &mut self,
        stream: &str,
        record_count: u64,
        airbyte_stream_state: impl FnOnce() -> Value,
        singer_state: impl FnOnce() -> Value,
    ) -> Result<()> {
        match self.protocol {
            Protocol::Airbyte => self.line(&airbyte::stream_state(
                stream,
                &airbyte_stream_state(),
                record_count,
            ))?,
            Protocol::Singer => self.line(&singer::state(&singer_state()))?,
        }
        self.flush()
    }

    /// A log line for the platform's UI (Airbyte LOG; Singer logs go to stderr only).
    pub(crate) fn log(&mut self, level: &str, message: &str) -> Result<()> {
        if self.protocol == Protocol::Airbyte {
            self.line(&airbyte::log(level, message))?;
        }
        Ok(())
    }

    /// Airbyte TRACE ERROR for a failure (optionally tied to a stream).
    pub(crate) fn trace_error(
        &mut self,
        err: &Error,
        stream: Option<&str>,
        now_ms: i64,
    ) -> Result<()> {
        if self.protocol == Protocol::Airbyte {
            self.line(&airbyte::trace_error(err, stream, now_ms))?;
            self.flush()?;
        }
        Ok(())
    }

    /// Airbyte TRACE STREAM_STATUS; `quota_reset_ms` marks an INCOMPLETE stream rate-limited.
    pub(crate) fn stream_status(
        &mut self,
        stream: &str,
        status: StreamStatus,
        quota_reset_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<()> {
        if self.protocol == Protocol::Airbyte {
            self.line(&airbyte::stream_status(
                stream,
                status,
                quota_reset_ms,
                now_ms,
            ))?;
        }
        Ok(())
    }

    /// Airbyte TRACE ANALYTICS: a non-fatal event (see `airbyte::analytics`).
    pub(crate) fn analytics(&mut self, event: &str, value: &str, now_ms: i64) -> Result<()> {
        if self.protocol == Protocol::Airbyte {
            self.line(&airbyte::analytics(event, value, now_ms))?;
        }
        Ok(())
    }

    /// Airbyte TRACE ESTIMATE for a stream's row count.
    pub(crate) fn estimate(&mut self, stream: &str, rows: u64, now_ms: i64) -> Result<()> {
        if self.protocol == Protocol::Airbyte {
            self.line(&airbyte::estimate(stream, rows, now_ms))?;
        }
        Ok(())
    }
}
