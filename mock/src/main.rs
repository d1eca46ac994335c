//! `linkedin-mock`: serves the mock LinkedIn API until SIGINT/SIGTERM.
//! Prints `listening on http://ADDR` as its first stdout line so scripts can find the port.
// The mock is not the connector: its stdout is a plain status line, not a protocol.
#![allow(clippy::disallowed_macros)]

use clap::Parser;
use linkedin_mock::{serve, Scenario};

/// A faithful mock of the LinkedIn Community Management API (see mock/README.md).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
    #[arg(long, default_value_t = 2)]
    orgs: u32,
    #[arg(long, default_value_t = 20)]
    posts_per_org: u32,
    /// Days of history.
    #[arg(long, default_value_t = 90)]
    days: u32,
    #[arg(long, default_value_t = 4)]
    comments_per_post: u32,
    #[arg(long, default_value_t = 6)]
    reactions_per_post: u32,
    /// Replies to every other comment (0: no replies).
    #[arg(long, default_value_t = 0)]
    replies_per_comment: u32,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The mock clock at start (RFC 3339); default: the start of the current UTC day.
    #[arg(long)]
    now: Option<String>,
    /// Latency added to every API answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Probability (0..1) of a random fault per API request.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Requests allowed per mock day before daily-quota 429s.
    #[arg(long)]
    quota: Option<u64>,
    /// Comma-separated active LinkedIn-Version values (YYYYMM); default: the last 12 months.
    #[arg(long, value_delimiter = ',')]
    versions: Option<Vec<String>>,
    /// How long a "slow" fault stalls, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    slow_ms: u64,
    /// Paged finders return fewer than `count` elements on non-final pages (the held-back
    /// elements open the next page); `paging.total` and links stay right.
    #[arg(long)]
    short_pages: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let now_ms = match args
        .now
        .as_deref()
        .map(chrono::DateTime::parse_from_rfc3339)
    {
        None => None,
        Some(Ok(t)) => Some(t.timestamp_millis()),
        Some(Err(e)) => {
            eprintln!("linkedin-mock: --now must be RFC 3339 (e.g. 2026-11-20T00:00:00Z): {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if !(0.0..=1.0).contains(&args.fault_rate) {
        eprintln!("linkedin-mock: --fault-rate must be between 0 and 1");
        return std::process::ExitCode::from(2);
    }
    let scenario = Scenario {
        seed: args.seed,
        orgs: args.orgs,
        posts_per_org: args.posts_per_org,
        days: args.days,
        comments_per_post: args.comments_per_post,
        reactions_per_post: args.reactions_per_post,
        now_ms,
        latency_ms: args.latency_ms,
        fault_rate: args.fault_rate,
        quota: args.quota,
        versions: args.versions,
        slow_ms: args.slow_ms,
        short_pages: args.short_pages,
        replies_per_comment: args.replies_per_comment,
    };
    let listener = match tokio::net::TcpListener::bind(&args.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("linkedin-mock: cannot listen on {}: {e}", args.addr);
            return std::process::ExitCode::from(2);
        }
    };
    match listener.local_addr() {
        Ok(a) => println!("listening on http://{a}"),
        Err(e) => {
            eprintln!("linkedin-mock: {e}");
            return std::process::ExitCode::from(2);
        }
    }
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(t) => t,
                    Err(_) => {
                        let _ = ctrl_c.await;
                        return;
                    }
                };
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
    };
    if let Err(e) = serve(listener, scenario, shutdown).await {
        eprintln!("linkedin-mock: {e}");
        return std::process::ExitCode::from(1);
    }
    std::process::ExitCode::SUCCESS
}
