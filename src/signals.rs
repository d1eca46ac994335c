//! The process's surroundings: how the platform cancels a sync (SIGTERM from Airbyte,
//! SIGINT from a terminal) and whether stdout exists at all.

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

/// Whether stdout was closed when the process started (`>&-`).
///
/// Rust's runtime reopens a closed standard descriptor on `/dev/null` before `main`, with
/// `O_RDWR` (library/std/src/sys/pal/unix/mod.rs, `sanitize_standard_fds`); a shell's
/// `> /dev/null` opens it write-only. So "stdout is /dev/null opened read-write" means it
/// was closed; a deliberate `> /dev/null` still works.
pub fn stdout_was_closed() -> bool {
    // SAFETY: fcntl and fstat only read the descriptor table and fill the given struct.
    unsafe {
        let flags = libc::fcntl(1, libc::F_GETFL);
        if flags < 0 {
            return true; // no descriptor 1 at all
        }
        if flags & libc::O_ACCMODE != libc::O_RDWR {
            return false;
        }
        let mut out: libc::stat = std::mem::zeroed();
        let mut null: libc::stat = std::mem::zeroed();
        if libc::fstat(1, &mut out) != 0 || libc::stat(c"/dev/null".as_ptr(), &mut null) != 0 {
            return false;
        }
        (out.st_mode & libc::S_IFMT) == libc::S_IFCHR && out.st_rdev == null.st_rdev
    }
}
