//! The commands, one file each: they load the inputs (config, catalog, state), build the
//! client from the config, call the engine or a diagnosis, and write the result. This is
//! the only layer that turns the config into the settings of the layers below.

mod about;
mod auth;
pub(crate) mod check;
mod check_token;
mod discover;
mod plan;
mod read;
mod singer_test;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::cli::Command;
use crate::config::{Config, Credentials};
use crate::error::{Error, Result};
use crate::linkedin::client::{Auth, ClientSettings, OAuth};
use crate::linkedin::retry::RetryPolicy;
use crate::protocol::Writer;

/// Runs one command; returns the process exit code (failures already written).
pub(crate) async fn execute<W: Write + Send>(
    cmd: Command,
    writer: &mut Writer<W>,
    now: DateTime<Utc>,
) -> Result<i32> {
    match cmd {
        Command::Spec => writer.spec(&crate::spec::spec()).map(|_| 0),
        // Interactive: the config is its stdout, the person's messages its stderr.
        Command::Auth(opts) => auth::command(opts, writer).await,
        Command::About { format } => about::run(format, writer),
        Command::CheckToken {
            api_base_url,
            oauth_base_url,
            api_version,
            client_id,
            client_secret,
        } => {
            let opts = check_token::Options {
                api_base_url,
                oauth_base_url,
                api_version,
                client_id,
                client_secret,
            };
            check_token::run(opts, writer).await
        }
        Command::Check { config } => check::run(&config, writer).await,
        Command::SingerTest {
            config,
            catalog,
            mode,
        } => singer_test::run(&config, catalog.as_deref(), mode, writer).await,
        Command::Discover { config, protocol } => discover::run(&config, protocol, writer),
        Command::Plan(opts) => plan::run(&opts, writer, now).await,
        Command::Read {
            config,
            catalog,
            state,
            ..
        } => read::run(&config, &catalog, state.as_deref(), writer, now).await,
    }
}

fn read_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::config(&path.display().to_string(), unreadable(&e, uid())))?;
    // Windows editors save "UTF-8 with BOM"; JSON forbids it (RFC 8259 §8.1) but allows a
    // parser to ignore it, which is kinder than "not valid JSON" at column 1.
    match text.strip_prefix('\u{feff}') {
        Some(rest) => {
            tracing::warn!(
                "{}: the file starts with a UTF-8 byte order mark (BOM); it was ignored. Save the file as UTF-8 without BOM to silence this warning.",
                path.display()
            );
            Ok(rest.to_string())
        }
        None => Ok(text),
    }
}

/// Writes the config's warnings (unknown keys) where the platform shows them.
fn log_config_warnings<W: Write>(writer: &mut Writer<W>, config: &Config) -> Result<()> {
    for w in &config.warnings {
        writer.log("WARN", w)?;
    }
    Ok(())
}

/// The user id the connector's container image runs as (the Dockerfile's `USER`).
const IMAGE_UID: u32 = 65532;

#[cfg(unix)]
fn uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    // The owner of /proc/self is the process's user; no libc call needed.
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

#[cfg(not(unix))]
fn uid() -> Option<u32> {
    None
}

/// Why a file could not be read, and what to do. A mounted file the image's user may not
/// read is the common container mistake (files written 0600 by the person's own user), so
/// permission errors say which uid needs read access.
fn unreadable(e: &std::io::Error, uid: Option<u32>) -> String {
    if e.kind() != std::io::ErrorKind::PermissionDenied {
        return format!("cannot read the file: {e}");
    }
    let fix = format!(
        "make the file readable by uid {IMAGE_UID} (e.g. `chmod a+r FILE`, or `chown {IMAGE_UID} FILE` on the host), or run the container with `--user $(id -u)`"
    );
    match uid {
        Some(IMAGE_UID) => format!(
            "cannot read the file: permission denied. The connector's container image runs as uid {IMAGE_UID}, which may not read this file: {fix}."
        ),
        Some(u) => format!(
            "cannot read the file: permission denied (this process runs as uid {u}). If you run the container image, note it runs as uid {IMAGE_UID}: {fix}."
        ),
        None => format!(
            "cannot read the file: permission denied. The container image runs as uid {IMAGE_UID}: {fix}."
        ),
    }
}

fn load_config(path: &Path) -> Result<Config> {
    Config::from_json(&path.display().to_string(), &read_file(path)?)
}

/// What the LinkedIn client needs from the config.
pub(crate) fn client_settings(config: &Config) -> ClientSettings {
    let (auth, secrets) = match &config.credentials {
        Credentials::AccessToken { access_token } => (Auth::Token(access_token.clone()), vec![]),
        Credentials::OAuth2 {
            client_id,
            client_secret,
            refresh_token,
        } => (
            Auth::OAuth(OAuth {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                refresh_token: refresh_token.clone(),
                base_url: config.oauth_base_url.clone(),
            }),
            vec![
                client_id.expose().to_string(),
                client_secret.expose().to_string(),
                refresh_token.expose().to_string(),
            ],
        ),
    };
    ClientSettings {
        api_base_url: config.api_base_url.clone(),
        api_version: config.api_version.clone(),
        auth,
        request_timeout: Duration::from_secs(config.request_timeout_secs),
        retry: RetryPolicy {
            max_total: Duration::from_secs(config.retry_budget_secs),
            ..RetryPolicy::new(config.max_retries)
        },
        max_concurrency: config.max_concurrency as usize,
        // The request budget is a sync's (set by `read`); `check` may always diagnose.
        max_requests: None,
        secrets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_files_name_the_image_uid() {
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let m = unreadable(&denied, Some(IMAGE_UID));
        assert!(
            m.contains("container image runs as uid 65532, which may not read this file"),
            "{m}"
        );
        let m = unreadable(&denied, Some(1000));
        assert!(
            m.contains("runs as uid 1000") && m.contains("it runs as uid 65532"),
            "{m}"
        );
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert!(!unreadable(&missing, Some(IMAGE_UID)).contains("65532"));
    }
}
