//! Token and permission diagnosis for `check` and `check-token`: one actionable verdict, in
//! at most three API requests (quota is precious). The probes are in `probes`; which scopes
//! unlock which streams comes from the permission table the stream rows name
//! (`streams::permissions`), so the advice stays true as streams are added. A 403 never
//! reaches `explain`: the probes turn it into a missing scope group or a role problem.

use serde::Deserialize;

use crate::config::{Config, Credentials, Secret};
use crate::error::Error;
use crate::linkedin::client::Client;
use crate::streams::permissions::Group;
use crate::streams::STREAMS;
use probes::Have;

pub mod probes;

/// The verdict of a check.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    pub ok: bool,
    pub message: String,
    pub requests: u64,
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
        Error::Transient(m) if m.contains("cannot reach") || m.contains("Connect") || m.contains("connect") => {
            format!("Cannot reach the LinkedIn API at {}: {m}", config.api_base_url)
        }
        other => other.to_string(),
    }
}

/// Runs the diagnosis; the paste mistakes cleaned while loading the config are reported too.
/// With OAuth credentials the refresh reports the token's exact scopes.
pub async fn diagnose(config: &Config, client: &Client) -> Diagnosis {
    let scopes = match client.ensure_token().await {
        Ok(info) => info.and_then(|i| i.scopes).map(|s| split_scopes(&s)),
        Err(e) => {
            return Diagnosis {
                ok: false,
                message: explain(&e, config),
                requests: client.requests(),
                organizations: Vec::new(),
                access: probes::Access::default(),
            }
        }
    };
    diagnose_with(config, client, scopes).await
}

/// LinkedIn's scope lists are comma-separated (introspection and refresh alike).
fn split_scopes(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// The diagnosis with the exact scopes, when known.
pub async fn diagnose_with(
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
    tracing::info!(requests, "Check used {requests} request(s)");
    Diagnosis {
        ok,
        message,
        requests,
        organizations: if access.fatal.is_none() {
            access.organizations.clone()
        } else {
            Vec::new()
        },
        access,
    }
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

/// The scopes a report lists: every scope of the permission table, in the order a user
/// requests them.
fn reported_scopes() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for g in Group::ALL {
        for s in g.scopes() {
            if !v.contains(s) {
                v.push(s);
            }
        }
    }
    v
}

/// The streams that read an endpoint accepting `scope`.
fn streams_using(scope: &str) -> Vec<&'static str> {
    STREAMS
        .iter()
        .filter(|s| s.needs.iter().any(|p| p.scopes().contains(&scope)))
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
                introspected = i.scope.as_deref().map(split_scopes);
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
    let d = diagnose_with(&config, &client, introspected.clone()).await;
    if d.organizations.is_empty() {
        if introspected.is_some() {
            out.push_str(&scope_lines(
                &d,
                introspected.as_deref(),
                [&ok_mark, &bad_mark, &unknown_mark],
            ));
        }
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
    // Page names: one batch request, if the admin group is held and the budget allows.
    let names =
        if d.access.have(Group::Admin) == Have::Yes && d.access.requests < probes::MAX_REQUESTS {
            client
                .get::<Batch>(
                    "organizations",
                    &format!("organizations?ids=List({})", ids.join(",")),
                    false,
                )
                .await
                .map(|b| b.results)
                .unwrap_or_default()
        } else {
            Default::default()
        };
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
    out.push_str(&scope_lines(
        &d,
        introspected.as_deref(),
        [&ok_mark, &bad_mark, &unknown_mark],
    ));
    let verdict = if !d.ok {
        paint("31", "cannot sync")
    } else if d.access.blocked().is_empty() {
        paint("32", "OK: the token can sync")
    } else {
        paint("33", "partly usable")
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

/// The report's scope section: each scope of the permission table with yes / NO / not
/// checked and the streams that use it; with introspection, the token's other scopes too.
fn scope_lines(d: &Diagnosis, introspected: Option<&[String]>, marks: [&String; 3]) -> String {
    let [ok_mark, bad_mark, unknown_mark] = marks;
    let mut out = String::new();
    out.push_str("  Scopes:\n");
    for scope in reported_scopes() {
        let have = match introspected {
            Some(list) => Some(list.iter().any(|s| s == scope)),
            None => Group::ALL
                .into_iter()
                .find(|g| g.scopes().contains(&scope))
                .map(|g| d.access.have(g))
                .and_then(|h| match h {
                    Have::Yes => Some(true),
                    Have::No => Some(false),
                    Have::Unknown => None,
                }),
        };
        let mark = match have {
            Some(true) => ok_mark,
            Some(false) => bad_mark,
            None => unknown_mark,
        };
        out.push_str(&format!(
            "    {scope:28} {mark:>3}  used by {}\n",
            streams_using(scope).join(", ")
        ));
    }
    match introspected {
        Some(list) => {
            let unused: Vec<&str> = list
                .iter()
                .map(String::as_str)
                .filter(|s| !reported_scopes().contains(s))
                .collect();
            if !unused.is_empty() {
                out.push_str(&format!(
                    "    also held, not used by any endpoint this connector calls: {}\n",
                    unused.join(", ")
                ));
            }
        }
        None => out.push_str(
            "    (without introspection a probed group shows for each of its scopes; give --client-id and --client-secret to read the exact scopes and expiry)\n",
        ),
    }
    out
}
