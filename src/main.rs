//! Thin entry point: parse the command line, send logs to stderr, call
//! [`source_linkedin_pages::run`], exit with its code.

use clap::Parser;
use source_linkedin_pages::cli::Cli;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,hyper=warn,reqwest=warn,rustls=warn")
    });
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
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
    let code = runtime.block_on(source_linkedin_pages::run(command, std::io::stdout()));
    std::process::ExitCode::from(code as u8)
}
