//! Progress of a long read, for the people and platforms watching it: a LOG line (and a
//! stderr log line) at least every [`LOG_EVERY`] while records or ticks arrive, and, when
//! stderr is a terminal, one live line redrawn in place. The sink owns it, so every count
//! it shows is what has been written.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often a progress line is logged on a long read.
pub(super) const LOG_EVERY: Duration = Duration::from_secs(10);
/// How often the terminal line is redrawn.
const DRAW_EVERY: Duration = Duration::from_millis(200);

/// Where the read stands.
pub(super) struct Snapshot {
    pub records: u64,
    pub requests: u64,
    pub streams_done: usize,
    pub streams: usize,
}

impl Snapshot {
    pub(super) fn line(&self, elapsed: Duration) -> String {
        format!(
            "Progress: {} records, {} API requests, {}/{} streams done, {}s elapsed",
            self.records,
            self.requests,
            self.streams_done,
            self.streams,
            elapsed.as_secs()
        )
    }
}

pub(super) struct Progress {
    started: Instant,
    last_log: Instant,
    last_draw: Option<Instant>,
    /// Whether stderr is a terminal (the live line is drawn only then).
    tty: bool,
    drawn: bool,
}

impl Progress {
    pub(super) fn new() -> Progress {
        let now = Instant::now();
        Progress {
            started: now,
            last_log: now,
            last_draw: None,
            tty: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    /// The line to log now, if [`LOG_EVERY`] has passed since the last one.
    pub(super) fn due(&mut self, snap: &Snapshot) -> Option<String> {
        let now = Instant::now();
        if now.duration_since(self.last_log) < LOG_EVERY {
            return None;
        }
        self.last_log = now;
        Some(snap.line(now.duration_since(self.started)))
    }

    /// Redraws the terminal line (at most every [`DRAW_EVERY`]).
    pub(super) fn draw(&mut self, snap: &Snapshot) {
        if !self.tty {
            return;
        }
        let now = Instant::now();
        if self
            .last_draw
            .is_some_and(|t| now.duration_since(t) < DRAW_EVERY)
        {
            return;
        }
        self.last_draw = Some(now);
        // `\r`, the line, erase-to-end-of-line, and `\r` again: the cursor waits at the
        // start of the line, so a log line written next overwrites it instead of being
        // appended to it (log lines are longer). A failed write to a terminal is not worth
        // stopping a read for.
        let line = snap.line(now.duration_since(self.started));
        let _ = write!(std::io::stderr(), "\r{line}\x1b[K\r");
        self.drawn = true;
    }

    /// Ends the live line so later output starts on a fresh line.
    pub(super) fn finish(&mut self, snap: &Snapshot) {
        if self.tty && self.drawn {
            self.last_draw = None;
            self.draw(snap);
            let _ = writeln!(std::io::stderr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_only_after_the_interval() {
        let mut p = Progress::new();
        let snap = Snapshot {
            records: 5,
            requests: 3,
            streams_done: 1,
            streams: 4,
        };
        assert!(p.due(&snap).is_none());
        p.last_log -= LOG_EVERY;
        let line = p.due(&snap).unwrap();
        assert!(
            line.starts_with("Progress: 5 records, 3 API requests, 1/4 streams done"),
            "{line}"
        );
        assert!(p.due(&snap).is_none(), "not again before the next interval");
    }
}
