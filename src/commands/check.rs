//! Token and permission diagnosis for `check`: one actionable verdict, in at most three
//! API requests (quota is precious). Which scopes unlock which streams comes from the
//! stream table, so the advice stays true as streams are added.

use std::io::Write;
use std::path::Path;

use serde::Deserialize;

use crate::config::{Config, Credentials};
use crate::error::{Error, Result};
use crate::linkedin::client::Client;
use crate::linkedin::orgs;
use crate::linkedin::restli::encode;
use crate::protocol::Writer;
use crate::streams::STREAMS;

/// The longest a `check` may take.
const CHECK_DEADLINE: std::time::Duration = std::time::Duration::from_secs(25);

/// The verdict of a check.
#[derive(Debug, Clone)]
pub(crate) struct Diagnosis {
    pub ok: bool,
    pub message: String,
    pub requests: u64,
    pub organizations: Vec<String>,
    /// Scope groups found missing, with the streams they block.
    pub blocked: Vec<(String, Vec<&'static str>)>,
    /// Scope groups probed, and whether the token has them.
    pub probed: Vec<(String, bool)>,
}

/// The streams a failed probe of `scopes` blocks: those needing any of them and no other.
fn streams_needing(scopes: &[&str]) -> Vec<&'static str> {
    STREAMS
        .iter()
        .filter(|s| !s.scopes.is_empty() && s.scopes.iter().all(|sc| scopes.contains(sc)))
        .map(|s| s.name)
        .collect()
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
        Error::Api { status: 403, .. } => format!(
            "LinkedIn refused to list the pages this member administers: the token lacks the Community Management scopes. {e}"
        ),
        // Only a failure to connect is "cannot reach"; a body cut off mid-way reached it.
        Error::Transient(m) if m.contains("cannot reach") || m.contains("cannot connect") => {
            format!("Cannot reach the LinkedIn API at {}: {m}", config.api_base_url)
        }
        other => other.to_string(),
    }
}

#[derive(Deserialize)]
struct Ignored {}

/// Runs the diagnosis; the paste mistakes cleaned while loading the config are reported too.
pub(crate) async fn diagnose(config: &Config, client: &Client) -> Diagnosis {
    let mut d = Diagnosis {
        ok: false,
        message: String::new(),
        requests: 0,
        organizations: Vec::new(),
        blocked: Vec::new(),
        probed: Vec::new(),
    };
    let note = config
        .token_fixes
        .describe()
        .map(|s| format!(" {s}"))
        .unwrap_or_default();
    // 1. Which pages does the member administer? (also proves the token and version work)
    let administered = match orgs::resolve(&[], client).await {
        Ok(orgs) => orgs,
        Err(Error::Config(m)) if config.organization_ids.is_empty() => {
            d.requests = client.requests();
            d.message = format!("{m}{note}");
            return d;
        }
        Err(Error::Config(_)) => Vec::new(),
        Err(e) => {
            d.requests = client.requests();
            d.message = format!("{}{note}", explain(&e, config));
            return d;
        }
    };
    let orgs = if config.organization_ids.is_empty() {
        administered.clone()
    } else {
        config.organization_ids.clone()
    };
    let missing: Vec<&String> = orgs.iter().filter(|o| !administered.contains(o)).collect();
    if !missing.is_empty() {
        d.requests = client.requests();
        d.message = format!(
            "The member who authorised this token is not an ADMINISTRATOR of {} (pages administered: {}). Ask a super admin of the page to grant the ADMINISTRATOR role, or correct organization_ids.{note}",
            missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            if administered.is_empty() { "none".to_string() } else { administered.join(", ") }
        );
        return d;
    }
    d.organizations = orgs.clone();
    // 2-3. Probe the two scope families with the cheapest requests on the first page.
    let org = encode(&orgs[0]);
    let probes: [(&str, &[&str], String, bool); 2] = [
        (
            "r_organization_followers",
            &["r_organization_followers", "rw_organization_admin"],
            format!("networkSizes/{org}?edgeType=COMPANY_FOLLOWED_BY_MEMBER"),
            false,
        ),
        (
            "r_organization_social",
            &["r_organization_social", "r_organization_social_feed"],
            format!("posts?q=author&author={org}&sortBy=LAST_MODIFIED&start=0&count=1"),
            true,
        ),
    ];
    for (scope, scopes, path, finder) in probes {
        let resource = path.split(['/', '?']).next().unwrap_or("");
        match client.get::<Ignored>(resource, &path, finder).await {
            Ok(_) => d.probed.push((scope.to_string(), true)),
            Err(Error::Api { status: 403, .. }) => {
                d.probed.push((scope.to_string(), false));
                d.blocked.push((scope.to_string(), streams_needing(scopes)));
            }
            Err(e) => {
                d.requests = client.requests();
                d.message = format!("{}{note}", explain(&e, config));
                return d;
            }
        }
    }
    d.requests = client.requests();
    d.ok = d.blocked.len() < 2;
    let pages = format!("{} page(s): {}", orgs.len(), orgs.join(", "));
    d.message = if d.blocked.is_empty() {
        format!("Connected: the token can read {pages}.{note}")
    } else {
        let parts: Vec<String> = d
            .blocked
            .iter()
            .map(|(s, streams)| {
                format!("scope {s} is missing, which blocks {}", streams.join(", "))
            })
            .collect();
        format!("{}: the token can read {pages}, but {}. Add the scope in your LinkedIn app (Products: Community Management API) and create a new token.{note}",
            if d.ok { "Connected with limits" } else { "Cannot read" }, parts.join("; "))
    };
    tracing::info!(
        requests = d.requests,
        "Check used {} API request(s)",
        d.requests
    );
    d
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
