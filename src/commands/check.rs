//! Token and permission diagnosis for `check` (and the verdict `check-token` prints): one
//! actionable verdict, in at most three API requests (quota is precious). The probes are in
//! `probes`; which scopes unlock which streams comes from the permission table the stream
//! rows name (`streams::permissions`), so the advice stays true as streams are added. A 403
//! never reaches `explain`: the probes turn it into a missing scope group or a role problem.
//!
//! This layer does not import the engine: pages are discovered through `linkedin::orgs`,
//! as the read does.

use std::io::Write;
use std::path::Path;

use crate::config::{Config, Credentials};
use crate::error::{Error, Result};
use crate::linkedin::client::Client;
use crate::protocol::Writer;

pub(super) mod probes;

/// The longest a `check` may take.
const CHECK_DEADLINE: std::time::Duration = std::time::Duration::from_secs(25);

/// The verdict of a check.
#[derive(Debug, Clone)]
pub(crate) struct Diagnosis {
    pub ok: bool,
    pub message: String,
    pub organizations: Vec<String>,
    /// What the probes found, per permission group.
    pub access: probes::Access,
}

/// Explains an error from the first request in terms of the token.
fn explain(e: &Error, config: &Config) -> String {
    match e {
        Error::Api { status: 401, code, message, .. } => {
            let pasted_refresh = matches!(&config.credentials, Credentials::AccessToken { access_token }
                if access_token.expose().starts_with("AQX") || access_token.expose().contains("refresh"));
            let mut m = match code.as_deref() {
                Some("EXPIRED_ACCESS_TOKEN") => "The access token has expired (LinkedIn access tokens last 60 days). Create a new one in the LinkedIn developer portal (your app > Auth > OAuth 2.0 tools), or use auth_method oauth2.0 with a refresh token so the connector renews it.".to_string(),
                Some("REVOKED_ACCESS_TOKEN") => "The access token was revoked (the member withdrew the app's access, or a newer token replaced it). Authorise the app again and paste the new access token.".to_string(),
                _ => format!("LinkedIn does not accept this access token ({message}). Paste the access token shown at the top of LinkedIn's token tool: not the refresh token below it, and without a 'Bearer ' prefix."),
            };
            if pasted_refresh {
                m.push_str(" This value looks like a refresh token: use it as credentials.refresh_token with auth_method oauth2.0, client_id and client_secret instead.");
            }
            m
        }
        Error::Api { status: 426, .. } => format!(
            "LinkedIn no longer serves API version {}. Set api_version to a recent month (YYYYMM); LinkedIn keeps each version for about a year.",
            config.api_version
        ),
        // Only a failure to connect is "cannot reach"; a body cut off mid-way reached it.
        Error::Transient(m) if m.contains("cannot reach") || m.contains("cannot connect") => {
            format!("Cannot reach the LinkedIn API at {}: {m}", config.api_base_url)
        }
        other => other.to_string(),
    }
}

/// Runs the diagnosis; the paste mistakes cleaned while loading the config are reported too.
/// With OAuth credentials the refresh reports the token's exact scopes.
pub(crate) async fn diagnose(config: &Config, client: &Client) -> Diagnosis {
    let scopes = match client.ensure_token().await {
        Ok(info) => info.and_then(|i| i.scopes).map(|s| split_scopes(&s)),
        Err(e) => {
            return Diagnosis {
                ok: false,
                message: explain(&e, config),
                organizations: Vec::new(),
                access: probes::Access::default(),
            }
        }
    };
    diagnose_with(config, client, scopes).await
}

/// LinkedIn's scope lists are comma-separated (introspection and refresh alike); spaces
/// are accepted too, as OAuth's own format.
pub(super) fn split_scopes(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// The diagnosis with the exact scopes, when known.
pub(super) async fn diagnose_with(
    config: &Config,
    client: &Client,
    scopes: Option<Vec<String>>,
) -> Diagnosis {
    let note = config
        .token_fixes
        .describe()
        .map(|s| format!(" {s}"))
        .unwrap_or_default();
    let access = probes::probe_access(config, client, scopes, |e| explain(e, config)).await;
    let (ok, message) = probes::verdict(&access, &note);
    let requests = client.requests();
    tracing::info!(requests, "Check used {requests} API request(s)");
    Diagnosis {
        ok,
        message,
        organizations: if access.fatal.is_none() {
            access.organizations.clone()
        } else {
            Vec::new()
        },
        access,
    }
}

/// `check`: a CONNECTION_STATUS; a config that does not load is a failed status, not an
/// error.
pub(super) async fn run<W: Write>(config: &Path, writer: &mut Writer<W>) -> Result<i32> {
    let config = match super::load_config(config) {
        Ok(c) => c,
        Err(e) => {
            writer.connection_status(false, &e.to_string())?;
            return Ok(0);
        }
    };
    super::log_config_warnings(writer, &config)?;
    let client = Client::new(super::client_settings(&config))?;
    // `check` answers within CHECK_DEADLINE whatever the API does (a tarpit accepts
    // connections and never answers; the platform's check would hang on it).
    let (ok, message) = match tokio::time::timeout(CHECK_DEADLINE, diagnose(&config, &client))
        .await
    {
        Ok(d) => (d.ok, d.message),
        Err(_) => (
            false,
            format!(
                "Cannot reach the LinkedIn API at {}: no usable answer within {} s{}. Check the network, any proxy and api_base_url.",
                config.api_base_url,
                CHECK_DEADLINE.as_secs(),
                client
                    .last_failure()
                    .map(|w| format!(" (last: {w})"))
                    .unwrap_or_default()
            ),
        ),
    };
    writer.connection_status(ok, &message)?;
    Ok(0)
}
