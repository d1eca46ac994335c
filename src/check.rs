//! Token and permission diagnosis for `check`: one actionable verdict, in at most three
//! API requests (quota is precious). Which scopes unlock which streams comes from the
//! stream table, so the advice stays true as streams are added.

use serde::Deserialize;

use crate::config::{Config, Credentials, Secret};
use crate::engine::resolve_organizations;
use crate::error::Error;
use crate::linkedin::client::Client;
use crate::linkedin::restli::encode;
use crate::streams::STREAMS;

/// The verdict of a check.
#[derive(Debug, Clone)]
pub struct Diagnosis {
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
pub async fn diagnose(config: &Config, client: &Client) -> Diagnosis {
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
    let administered = match resolve_organizations(
        &Config {
            organization_ids: Vec::new(),
            ..config.clone()
        },
        client,
    )
    .await
    {
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

/// Inputs of the human `check-token` command.
pub struct TokenCheck {
    /// The token as pasted (cleaned here).
    pub raw_token: String,
    pub api_base_url: String,
    pub oauth_base_url: String,
    pub api_version: String,
    /// App credentials, for token introspection (expiry and exact scopes).
    pub client: Option<(Secret, Secret)>,
    pub colour: bool,
}

/// The scopes a report lists, in the order a user requests them.
const REPORTED_SCOPES: &[&str] = &[
    "r_organization_social",
    "r_organization_followers",
    "r_social_engagement",
    "rw_organization_admin",
];

fn streams_unlocked_by(scope: &str) -> Vec<&'static str> {
    STREAMS
        .iter()
        .filter(|s| s.scopes.contains(&scope))
        .map(|s| s.name)
        .collect()
}

/// Runs the human token check; returns the report and whether the token can sync something.
pub async fn check_token(opts: TokenCheck) -> (String, bool) {
    let paint = |code: &str, text: &str| {
        if opts.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let (ok_mark, bad_mark, unknown_mark) = (
        paint("32", "yes"),
        paint("31", "NO"),
        paint("33", "not checked"),
    );
    // A line break ending piped input is how stdin works, not a paste mistake.
    let (token, fixes) = crate::config::clean_token(opts.raw_token.trim_end_matches(['\n', '\r']));
    let mut out = String::from("LinkedIn token check\n");
    if token.is_empty() {
        out.push_str("  No token given: pipe it on stdin or set LINKEDIN_ACCESS_TOKEN.\n");
        return (out, false);
    }
    if let Some(f) = fixes.describe() {
        out.push_str(&format!("  Note:         {f}\n"));
    }
    let config_json = serde_json::json!({
        "credentials": {"auth_method": "access_token", "access_token": token},
        "api_base_url": opts.api_base_url, "oauth_base_url": opts.oauth_base_url,
        "api_version": opts.api_version, "max_retries": 2, "request_timeout_secs": 30,
    });
    let config = match Config::from_value("check-token", &mut config_json.clone()) {
        Ok(c) => c,
        Err(e) => {
            out.push_str(&format!("  {e}\n"));
            return (out, false);
        }
    };
    out.push_str(&format!("  API version:  {}\n", config.api_version));
    let mut introspected: Option<Vec<String>> = None;
    if let Some((id, secret)) = &opts.client {
        match crate::linkedin::client::introspect(
            &config.oauth_base_url,
            id,
            secret,
            &Secret::new(token.clone()),
            std::time::Duration::from_secs(30),
        )
        .await
        {
            Ok(i) => {
                let status = i.status.clone().unwrap_or_else(|| {
                    if i.active == Some(true) {
                        "active".into()
                    } else {
                        "inactive".into()
                    }
                });
                let expiry = i
                    .expires_at
                    .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                    .map(|t| {
                        let days = (t - chrono::Utc::now()).num_days();
                        format!(", expires {} (in {days} days)", t.format("%Y-%m-%d"))
                    })
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  Token:        {}{expiry}\n",
                    if i.active == Some(true) {
                        paint("32", &status)
                    } else {
                        paint("31", &status)
                    }
                ));
                introspected = i
                    .scope
                    .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
            }
            Err(e) => out.push_str(&format!("  Introspection: {e}\n")),
        }
    }
    let client = match Client::new(&config) {
        Ok(c) => c,
        Err(e) => {
            out.push_str(&format!("  {e}\n"));
            return (out, false);
        }
    };
    let d = diagnose(&config, &client).await;
    if d.organizations.is_empty() {
        out.push_str(&format!("  Verdict:      {}\n", paint("31", "cannot sync")));
        out.push_str(&format!("  Why:          {}\n", d.message));
        return (out, false);
    }
    // Page names: one batch request.
    #[derive(Deserialize)]
    struct Batch {
        #[serde(default)]
        results: std::collections::HashMap<String, Named>,
    }
    #[derive(Deserialize)]
    struct Named {
        #[serde(rename = "localizedName")]
        localized_name: Option<String>,
    }
    let ids: Vec<String> = d
        .organizations
        .iter()
        .filter_map(|o| crate::linkedin::urn::OrgUrn::parse(o).ok())
        .map(|u| u.id.to_string())
        .collect();
    let names = client
        .get::<Batch>(
            "organizations",
            &format!("organizations?ids=List({})", ids.join(",")),
            false,
        )
        .await
        .map(|b| b.results)
        .unwrap_or_default();
    out.push_str("  Pages:        ");
    let pages: Vec<String> = ids
        .iter()
        .map(
            |id| match names.get(id).and_then(|n| n.localized_name.clone()) {
                Some(name) => format!("{id} ({name})"),
                None => id.clone(),
            },
        )
        .collect();
    out.push_str(&pages.join(", "));
    out.push('\n');
    out.push_str("  Scopes:\n");
    for scope in REPORTED_SCOPES {
        let have = match &introspected {
            Some(list) => Some(list.iter().any(|s| s == scope)),
            None => d.probed.iter().find(|(s, _)| s == scope).map(|(_, ok)| *ok),
        };
        let mark = match have {
            Some(true) => &ok_mark,
            Some(false) => &bad_mark,
            None => &unknown_mark,
        };
        out.push_str(&format!(
            "    {scope:26} {mark:>3}  unlocks {}\n",
            streams_unlocked_by(scope).join(", ")
        ));
    }
    if introspected.is_none() {
        out.push_str(
            "    (give --client-id and --client-secret to read the exact scopes and expiry)\n",
        );
    }
    let verdict = if d.blocked.is_empty() {
        paint("32", "OK: the token can sync")
    } else if d.ok {
        paint("33", "partly usable")
    } else {
        paint("31", "cannot sync")
    };
    out.push_str(&format!(
        "  Verdict:      {verdict}\n  Details:      {}\n",
        d.message
    ));
    out.push_str(&format!(
        "  Requests:     {} API request(s) used\n",
        client.requests()
    ));
    (out, d.ok)
}
