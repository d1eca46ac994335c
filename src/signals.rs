//! How the platform cancels a sync: SIGTERM from Airbyte, SIGINT from a terminal. (The
//! check for a stdout closed at start lives in main.rs: it must run before Rust's runtime.)

/// A cancellation request: which signal, and the exit code the shell convention gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupt {
    pub name: &'static str,
    /// 128 + the signal number: 143 for SIGTERM, 130 for SIGINT.
    pub exit_code: i32,
}

/// Resolves at the first SIGTERM or SIGINT. The handlers are installed when this is
/// called (before any work starts), so the signal is never the default "die silently".
/// If they cannot be installed the future never resolves and the default stays.
pub fn interrupted() -> impl std::future::Future<Output = Interrupt> {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        match (term, int) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => Interrupt { name: "SIGTERM", exit_code: 143 },
                _ = int.recv() => Interrupt { name: "SIGINT", exit_code: 130 },
            },
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "Cannot watch for SIGTERM/SIGINT; a cancelled sync will stop without a message");
                std::future::pending().await
            }
        }
    }
}
