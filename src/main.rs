//! Thin entry point: parse the command line, send logs to stderr, call
//! [`source_linkedin_pages::run`], exit with its code.
//!
//! Two things here protect the sync from its surroundings: logs go through a writer that
//! scrubs secrets and ignores write errors (a full disk or a log reader that went away must
//! not stop a sync; stdout is what matters), and a panic hook that never prints a secret.

use std::io::Write;

use clap::Parser;
use source_linkedin_pages::cli::Cli;
use source_linkedin_pages::scrub::scrub;

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
    if source_linkedin_pages::signals::stdout_was_closed() {
        // Rust reopens a closed stdout on /dev/null before main, so without this check a
        // `read >&-` would sync everything into nowhere and report success.
        tracing::error!("stdout is closed: the protocol messages (records, state) have nowhere to go. Run the connector with stdout connected to the platform, a pipe or a file.");
        return std::process::ExitCode::from(1);
    }
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
    let code = runtime.block_on(source_linkedin_pages::run(
        command,
        std::io::stdout().lock(),
    ));
    std::process::ExitCode::from(code as u8)
}
