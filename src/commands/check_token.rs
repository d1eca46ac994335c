//! `check-token`: a report on a pasted access token for a person at a terminal: whether
//! LinkedIn accepts it, its expiry and exact scopes (with app credentials), the pages it
//! can read, each scope of the permission table with the streams that use it, and which
//! streams each missing scope blocks. The probes are `check`'s (at most three requests);
//! the page names cost one more only when the budget allows.

use std::io::Write;

use serde::Deserialize;

use super::check::probes::{self, Have};
use super::check::{diagnose_with, split_scopes, Diagnosis};
use crate::config::{Config, Secret};
use crate::error::{Error, Result};
use crate::linkedin::client::Client;
use crate::protocol::Writer;
use crate::streams::permissions::Group;
use crate::streams::STREAMS;

/// The command line of `check-token`.
pub(super) struct Options {
    pub api_base_url: String,
    pub oauth_base_url: String,
    pub api_version: String,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// Reads the token (`LINKEDIN_ACCESS_TOKEN`, else stdin), writes the report; exit code 1
/// when the token cannot read.
pub(super) async fn run<W: Write>(opts: Options, writer: &mut Writer<W>) -> Result<i32> {
    let raw_token = match std::env::var("LINKEDIN_ACCESS_TOKEN") {
        Ok(t) if !t.trim().is_empty() => t,
        _ => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| Error::Config(format!("cannot read the token from stdin: {e}")))?;
            s
        }
    };
    let client = match (opts.client_id, opts.client_secret) {
        (Some(id), Some(secret)) => Some((Secret::new(id), Secret::new(secret))),
        _ => None,
    };
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none();
    let (report, ok) = check_token(TokenCheck {
        raw_token,
        api_base_url: opts.api_base_url,
        oauth_base_url: opts.oauth_base_url,
        api_version: opts.api_version,
        client,
        colour,
    })
    .await;
    // The report quotes LinkedIn's answers: scrubbed like every other message.
    writer.text(&crate::scrub::scrub(&report))?;
    Ok(if ok { 0 } else { 1 })
}

/// Inputs of the human `check-token` command.
struct TokenCheck {
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
async fn check_token(opts: TokenCheck) -> (String, bool) {
    let colour = opts.colour;
    let paint = move |code: &str, text: &str| {
        if colour {
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
    let introspected = match &opts.client {
        Some((id, secret)) => introspection(&config, id, secret, &token, &paint, &mut out).await,
        None => None,
    };
    let client = match Client::new(super::client_settings(&config)) {
        Ok(c) => c,
        Err(e) => {
            out.push_str(&format!("  {e}\n"));
            return (out, false);
        }
    };
    let d = diagnose_with(&config, &client, introspected.clone()).await;
    let marks = [&ok_mark, &bad_mark, &unknown_mark];
    if d.organizations.is_empty() {
        if introspected.is_some() {
            out.push_str(&scope_lines(&d, introspected.as_deref(), marks));
        }
        out.push_str(&format!("  Verdict:      {}\n", paint("31", "cannot sync")));
        out.push_str(&format!("  Why:          {}\n", d.message));
        return (out, false);
    }
    // Page names: one batch request, if the admin group is held and the budget allows.
    let named =
        d.access.have(Group::Admin) == Have::Yes && d.access.requests < probes::MAX_REQUESTS;
    out.push_str(&format!(
        "  Pages:        {}\n",
        page_names(&client, &d.organizations, named).await
    ));
    out.push_str(&scope_lines(&d, introspected.as_deref(), marks));
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
    let mut out = String::from("  Scopes:\n");
    for scope in reported_scopes() {
        let have = match introspected {
            Some(list) => Some(list.iter().any(|s| s == scope)),
            None => Group::ALL
                .into_iter()
                .find(|g| g.scopes().contains(&scope))
                .and_then(|g| match d.access.have(g) {
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
            let known = reported_scopes();
            let unused: Vec<&str> = list
                .iter()
                .map(String::as_str)
                .filter(|s| !known.contains(s))
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

/// Token introspection (with the app's credentials): status and expiry into the report;
/// returns the token's scopes when LinkedIn lists them.
async fn introspection(
    config: &Config,
    id: &Secret,
    secret: &Secret,
    token: &str,
    paint: &dyn Fn(&str, &str) -> String,
    out: &mut String,
) -> Option<Vec<String>> {
    let timeout = std::time::Duration::from_secs(30);
    let token = Secret::new(token);
    let i = match crate::linkedin::client::introspect(
        &config.oauth_base_url,
        id,
        secret,
        &token,
        timeout,
    )
    .await
    {
        Ok(i) => i,
        Err(e) => {
            out.push_str(&format!("  Introspection: {e}\n"));
            return None;
        }
    };
    let active = i.active == Some(true);
    let status = i
        .status
        .clone()
        .unwrap_or_else(|| if active { "active" } else { "inactive" }.into());
    let expiry = i
        .expires_at
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| {
            let days = (t - chrono::Utc::now()).num_days();
            format!(", expires {} (in {days} days)", t.format("%Y-%m-%d"))
        })
        .unwrap_or_default();
    let status = paint(if active { "32" } else { "31" }, &status);
    out.push_str(&format!("  Token:        {status}{expiry}\n"));
    i.scope.as_deref().map(split_scopes)
}

/// The pages' ids with their names (one batch request when `named`; ids alone without it
/// or if it fails).
async fn page_names(client: &Client, organizations: &[String], named: bool) -> String {
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
    let ids: Vec<String> = organizations
        .iter()
        .filter_map(|o| crate::domain::urn::OrgUrn::parse(o).ok())
        .map(|u| u.id.to_string())
        .collect();
    let names = if named {
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
    let pages: Vec<String> = ids
        .iter()
        .map(
            |id| match names.get(id).and_then(|n| n.localized_name.clone()) {
                Some(name) => format!("{id} ({name})"),
                None => id.clone(),
            },
        )
        .collect();
    pages.join(", ")
}
