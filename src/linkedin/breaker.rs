//! A circuit breaker over one API host, shared by every unit of a sync. Each unit retries
//! on its own; without this, a dead API costs every unit its whole retry budget (14 minutes
//! with two organizations). After a run of consecutive failures — `threshold` failed
//! attempts in a row, or failures without a single answer for `window` — every further
//! request fails at once with one clear error.
//!
//! A failure is what a dead or unreachable API produces: no connection, a timeout, a body
//! cut off, or a 5xx. Any other HTTP answer (2xx, 4xx, 429 throttling) proves the API is
//! alive and ends the run.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Attempts that fail in a row before the breaker opens.
pub(crate) const DEFAULT_THRESHOLD: u32 = 8;
/// How long failures may last, without one answer, before the breaker opens.
pub(crate) const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Run {
    failures: u32,
    /// When the first failed attempt of this run was sent.
    since: Instant,
    last: String,
}

/// The breaker; see the module documentation.
#[derive(Debug)]
pub(crate) struct Breaker {
    host: String,
    threshold: u32,
    window: Duration,
    run: Mutex<Option<Run>>,
    open: Mutex<Option<String>>,
}

impl Breaker {
    /// A closed breaker for `host`.
    pub(crate) fn new(host: impl Into<String>, threshold: u32, window: Duration) -> Breaker {
        Breaker {
            host: host.into(),
            threshold: threshold.max(1),
            window,
            run: Mutex::new(None),
            open: Mutex::new(None),
        }
    }

    /// The error message once the breaker is open.
    pub(crate) fn open_reason(&self) -> Option<String> {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The last failure of the current run of failures, if one is under way.
    pub(crate) fn last_failure(&self) -> Option<String> {
        self.run
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|r| r.last.clone())
    }

    /// An attempt got an answer: the API is alive.
    pub(crate) fn success(&self) {
        *self.run.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// An attempt sent at `sent` failed with `why`; returns the open reason if this
    /// failure opened the breaker (or it was already open).
    pub(crate) fn failure(&self, sent: Instant, why: &str) -> Option<String> {
        let mut run = self.run.lock().unwrap_or_else(|p| p.into_inner());
        let r = run.get_or_insert_with(|| Run {
            failures: 0,
            since: sent,
            last: String::new(),
        });
        r.failures += 1;
        r.since = r.since.min(sent);
        r.last = why.to_string();
        let tripped =
            r.failures >= self.threshold || (r.failures >= 2 && r.since.elapsed() >= self.window);
        tripped.then(|| self.open(r)).flatten()
    }

    /// When the current run of failures will have lasted `window`, if it has the two
    /// failures that let the window open the breaker. A request waiting to retry wakes
    /// then at the latest: otherwise a long backoff wait would stretch a dead API's run
    /// far past the window before anyone tries again.
    pub(crate) fn window_end(&self) -> Option<Instant> {
        self.run
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|r| r.failures >= 2)
            .map(|r| r.since + self.window)
    }

    /// Opens the breaker if the current run of failures has lasted `window` without a
    /// single answer (no request succeeded since it began); returns the open reason.
    pub(crate) fn check_window(&self) -> Option<String> {
        let run = self.run.lock().unwrap_or_else(|p| p.into_inner());
        let r = run.as_ref()?;
        (r.failures >= 2 && r.since.elapsed() >= self.window)
            .then(|| self.open(r))
            .flatten()
    }

    /// Opens the breaker (once; the first reason stays) and returns its reason.
    fn open(&self, r: &Run) -> Option<String> {
        let reason = format!(
            "LinkedIn's API at {} is not answering: {} requests in a row failed over {} s (last: {}). Stopping the sync instead of retrying every stream; everything checkpointed so far is kept. Check the network, any proxy and api_base_url, then run the sync again.",
            self.host,
            r.failures,
            r.since.elapsed().as_secs(),
            r.last
        );
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.is_none() {
            *open = Some(reason);
        }
        open.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_a_run_of_failures_and_an_answer_resets_it() {
        let b = Breaker::new("api.example", 3, Duration::from_secs(3600));
        let t = Instant::now();
        assert!(b.failure(t, "refused").is_none());
        assert!(b.failure(t, "refused").is_none());
        b.success();
        assert!(b.failure(t, "refused").is_none());
        assert!(b.failure(t, "refused").is_none());
        let why = b.failure(t, "connection refused").unwrap();
        assert!(
            why.contains("api.example") && why.contains("3 requests in a row"),
            "{why}"
        );
        assert!(b.open_reason().is_some());
        assert_eq!(b.last_failure().as_deref(), Some("connection refused"));
    }

    #[test]
    fn opens_when_failures_last_the_window() {
        let b = Breaker::new("h", 100, Duration::from_millis(30));
        let t = Instant::now();
        assert!(b.failure(t, "timeout").is_none());
        std::thread::sleep(Duration::from_millis(40));
        assert!(b.failure(Instant::now(), "timeout").is_some());
    }

    #[test]
    fn a_run_that_lasts_the_window_opens_without_another_attempt() {
        let b = Breaker::new("h", 100, Duration::from_millis(30));
        let t = Instant::now();
        b.failure(t, "refused");
        assert!(b.window_end().is_none(), "one failure is not a run");
        b.failure(t, "refused");
        assert_eq!(b.window_end(), Some(t + Duration::from_millis(30)));
        assert!(b.check_window().is_none(), "the window has not passed");
        std::thread::sleep(Duration::from_millis(40));
        let why = b.check_window().unwrap();
        assert!(why.contains("2 requests in a row"), "{why}");
        // An answer in the meantime ends the run: the window then opens nothing.
        let b = Breaker::new("h", 100, Duration::from_millis(30));
        b.failure(t, "refused");
        b.failure(t, "refused");
        b.success();
        std::thread::sleep(Duration::from_millis(40));
        assert!(b.check_window().is_none() && b.window_end().is_none());
    }
}
