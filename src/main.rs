//! Thin entry point: parse the command line, send logs to stderr, call
//! [`source_linkedin_pages::run`], exit with its code.
//!
//! Two things here protect the sync from its surroundings: logs go through a writer that
//! scrubs secrets and ignores write errors (a full disk or a log reader that went away must
//! not stop a sync; stdout is what matters), and a panic hook that never prints a secret.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;
use source_linkedin_pages::cli::Cli;
use source_linkedin_pages::scrub::scrub;

/// Whether descriptor 1 was closed when the process started (`>&-`), set before `main`.
static STDOUT_CLOSED_AT_START: AtomicBool = AtomicBool::new(false);

/// Runs from `.init_array`, before Rust's runtime start-up, which reopens a closed
/// standard descriptor on /dev/null (library/std/src/sys/pal/unix/mod.rs,
/// `sanitize_standard_fds`); after that a closed stdout is indistinguishable from a
/// deliberate `>/dev/null` (Python's `subprocess.DEVNULL`, which the benchmarks use).
/// glibc and musl both run `.init_array` before `main`.
extern "C" fn note_closed_stdout() {
    // SAFETY: fcntl(F_GETFD) only reads the descriptor table.
    if unsafe { libc::fcntl(1, libc::F_GETFD) } == -1 {
        STDOUT_CLOSED_AT_START.store(true, Ordering::Relaxed);
    }
}

#[used]
#[link_section = ".init_array"]
static NOTE_CLOSED_STDOUT: extern "C" fn() = note_closed_stdout;

/// Keeps peak memory flat on long reads (glibc only; other allocators are left alone).
/// glibc gives each thread that allocates its own heap (arena), and the connector's
/// post lists, counts and checkpoints are built on one thread and freed on another, so
/// freed memory stayed spread over several arenas; and it raises its mmap threshold
/// after freeing a big buffer, so later big buffers (checkpoints, pages) stayed in the
/// heap. One arena and a fixed 128 KiB threshold keep peak RSS flat as a read grows
/// (`make bench` measures it: docs/benchmarks.md).
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any other thread
    // exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Where protocol messages go: fd 1 as a plain file. `std::io::stdout()` is line
/// buffered, so each write of the protocol writer's 256 KiB buffer was searched for its
/// last newline and its tail copied again; the protocol writer already buffers and
/// flushes at each checkpoint. If fd 1 cannot be duplicated, `std::io::stdout()`.
fn stdout() -> Box<dyn Write + Send> {
    use std::os::fd::AsFd;
    match std::io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(std::io::stdout()),
    }
}

/// stderr for tracing: each event is scrubbed, and a failed write is dropped silently.
struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // tracing's fmt layer hands over one whole event per call, so a secret is never
        // split across two calls.
        let text = scrub(&String::from_utf8_lossy(buf));
        let _ = std::io::stderr().write_all(text.as_bytes());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

/// Replaces the default panic message (which prints the payload, and payloads have held a
/// pasted token) with a scrubbed one; write errors are ignored like every log line.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let text = source_linkedin_pages::scrub::panic_text(
            info.payload(),
            info.location().map(|l| (l.file(), l.line())),
        );
        let _ = std::io::stderr().write_all(text.as_bytes());
    }));
}

fn main() -> std::process::ExitCode {
    install_panic_hook();
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,hyper=warn,reqwest=warn,rustls=warn")
    });
    tracing_subscriber::fmt()
        .with_writer(|| Stderr)
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let command = match cli.command() {
        Ok(c) => c,
        Err(usage) => {
            tracing::error!("{usage}");
            return std::process::ExitCode::from(2);
        }
    };
    if STDOUT_CLOSED_AT_START.load(Ordering::Relaxed) {
        // Rust reopened it on /dev/null, so without this check a `read >&-` would sync
        // everything into nowhere and report success. (A reader that closes the pipe
        // later is different: that EPIPE is a normal end, exit 0.)
        tracing::error!("stdout is closed: the protocol messages (records, state) have nowhere to go. Run the connector with stdout connected to the platform, a pipe or a file.");
        return std::process::ExitCode::from(1);
    }
    tune_allocator();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "Cannot start the async runtime");
            return std::process::ExitCode::from(1);
        }
    };
    let code = runtime.block_on(source_linkedin_pages::run(command, stdout()));
    std::process::ExitCode::from(code as u8)
}
