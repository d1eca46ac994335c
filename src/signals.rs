//! How the platform cancels a sync: SIGTERM from Airbyte, SIGINT from a terminal. (The
//! check for a stdout closed at start lives in main.rs: it must run before Rust's runtime.)
//!
//! [`watch`] installs the handlers and a task that records the first signal; every part of
//! the run that may be busy when it comes waits on [`interrupted`]: the command as a whole
//! (in `run`), and the read's units, which run inside a blocking section (the sink's
//! thread) where the command's own wait could not be polled.

use std::sync::OnceLock;

use tokio::sync::watch as channel;

/// A cancellation request: which signal, and the exit code the shell convention gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Interrupt {
    pub name: &'static str,
    /// 128 + the signal number: 143 for SIGTERM, 130 for SIGINT.
    pub exit_code: i32,
}

/// The first signal received, once one was.
fn received() -> &'static channel::Sender<Option<Interrupt>> {
    static RECEIVED: OnceLock<channel::Sender<Option<Interrupt>>> = OnceLock::new();
    RECEIVED.get_or_init(|| channel::channel(None).0)
}

/// Installs SIGTERM and SIGINT handlers now (before any work starts, so a signal never
/// meets the default "die silently") and records the first one that arrives. If they
/// cannot be installed the default stays, with a warning.
pub(crate) fn watch() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::spawn(async move {
                let i = tokio::select! {
                    _ = term.recv() => Interrupt { name: "SIGTERM", exit_code: 143 },
                    _ = int.recv() => Interrupt { name: "SIGINT", exit_code: 130 },
                };
                received().send_replace(Some(i));
            });
        }
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "Cannot watch for SIGTERM/SIGINT; a cancelled sync will stop without a message");
        }
    }
}

/// The signal received so far, if any.
pub(crate) fn raised() -> Option<Interrupt> {
    *received().borrow()
}

/// Resolves once a signal has been received (never, if none is).
pub(crate) async fn interrupted() -> Interrupt {
    let mut rx = received().subscribe();
    loop {
        if let Some(i) = *rx.borrow_and_update() {
            return i;
        }
        // The sender is static, so it is never dropped and `changed` never fails.
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
