//! `plan`: the requests the next `read` with the same config, catalog and state will
//! make, per stream and organization, their total, and whether that fits a daily quota;
//! as text for people or one JSON object for machines. The count comes from the engine's
//! own model (`engine::estimate`); this file loads the inputs, resolves the organizations
//! exactly as `read` does (the discovery requests are the read's too), and formats.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{client_settings, load_config, read_file};
use crate::catalog;
use crate::cli::{PlanFormat, PlanOptions};
use crate::config::Credentials;
use crate::engine::{self, Part, StreamPlan};
use crate::error::Result;
use crate::linkedin::client::Client;
use crate::linkedin::orgs;
use crate::protocol::Writer;
use crate::state::State;

/// The plan of one read, ready to print.
struct Report {
    streams: Vec<StreamPlan>,
    organizations: Vec<String>,
    /// Pages of the organization discovery (0 when organization_ids is set).
    discovery: u64,
    /// The OAuth token the read mints before its first request (0 with an access token).
    token: u64,
    /// Requests this plan made to size the work.
    plan_requests: u64,
    daily_quota: Option<u64>,
    /// What LinkedIn said is left of today's quota, when it said so.
    quota_remaining: Option<i64>,
}

impl Report {
    fn total(&self) -> u64 {
        self.discovery + self.token + self.streams.iter().map(StreamPlan::requests).sum::<u64>()
    }
    fn estimated(&self) -> bool {
        self.streams.iter().any(StreamPlan::estimated)
    }
    /// API requests per LinkedIn resource (the token mint is not an API resource).
    fn by_resource(&self) -> BTreeMap<&'static str, u64> {
        let mut t = BTreeMap::new();
        if self.discovery > 0 {
            t.insert(orgs::RESOURCE, self.discovery);
        }
        for p in self.streams.iter().flat_map(|s| &s.parts) {
            for (r, n) in &p.by_resource {
                *t.entry(*r).or_default() += n;
            }
        }
        t
    }
    fn fits(&self) -> Option<bool> {
        self.daily_quota.map(|q| self.total() <= q)
    }
    /// Days of quota the read needs (a read stopped by the quota resumes the next day).
    fn quota_days(&self) -> Option<u64> {
        self.daily_quota.map(|q| self.total().div_ceil(q).max(1))
    }
}

/// Runs `plan`; exit code 0 (whether or not it fits: that is the answer, not a failure).
pub(super) async fn run<W: Write + Send>(
    opts: &PlanOptions,
    writer: &mut Writer<W>,
    now: DateTime<Utc>,
) -> Result<i32> {
    let config = load_config(&opts.config)?;
    let selected = catalog::parse_configured(
        &opts.catalog.display().to_string(),
        &read_file(&opts.catalog)?,
    )?;
    let state = match &opts.state {
        Some(p) => State::parse(
            &p.display().to_string(),
            &read_file(p)?,
            &config.organization_ids,
            now,
        )?,
        None => State::default(),
    };
    let client = Client::new(client_settings(&config))?;
    let token = match config.credentials {
        Credentials::OAuth2 { .. } => 1,
        Credentials::AccessToken { .. } => 0,
    };
    let (orgs, discovery) = if selected.is_empty() {
        (Vec::new(), 0)
    } else {
        let orgs = orgs::resolve(&config.organization_ids, &client).await?;
        let discovery = client.requests().saturating_sub(token);
        (orgs, discovery)
    };
    let streams = engine::estimate(&config, &client, orgs.clone(), &selected, &state, now).await?;
    let report = Report {
        streams,
        organizations: orgs,
        discovery,
        token: if selected.is_empty() { 0 } else { token },
        plan_requests: client.requests(),
        daily_quota: opts.daily_quota,
        quota_remaining: client.quota_remaining(),
    };
    match opts.format {
        PlanFormat::Json => writer.document(&json_report(&report))?,
        PlanFormat::Text => writer.text(&text_report(&report, now))?,
    }
    Ok(0)
}

fn json_report(r: &Report) -> Value {
    let streams: Vec<Value> = r
        .streams
        .iter()
        .map(|s| {
            json!({
                "stream": s.name,
                "requests": s.requests(),
                "estimated": s.estimated(),
                "organizations": s.parts.iter().map(|p| json!({
                    "organization": p.org,
                    "requests": p.requests,
                    "estimated": p.estimated,
                    "basis": p.basis,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "total_requests": r.total(),
        "estimated": r.estimated(),
        "plan_requests": r.plan_requests,
        "organizations": r.organizations,
        "organization_discovery_requests": r.discovery,
        "token_requests": r.token,
        "requests_by_resource": r.by_resource(),
        "streams": streams,
        "daily_quota": r.daily_quota,
        "fits_daily_quota": r.fits(),
        "quota_days": r.quota_days(),
        "quota_remaining_today": r.quota_remaining,
        "suggested_max_requests_per_run": r.total(),
    })
}

/// A part's requests, `~` marking an estimate.
fn requests_text(p: &Part) -> String {
    if p.estimated {
        format!("~{}", p.requests)
    } else {
        p.requests.to_string()
    }
}

fn text_report(r: &Report, now: DateTime<Utc>) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    if r.token > 0 {
        rows.push([
            "(access token)".into(),
            "—".into(),
            r.token.to_string(),
            "minted from the refresh token before the first request".into(),
        ]);
    }
    if r.discovery > 0 {
        rows.push([
            "(organization discovery)".into(),
            "—".into(),
            r.discovery.to_string(),
            format!("{} pages: organization_ids is empty", orgs::RESOURCE),
        ]);
    }
    for s in &r.streams {
        for p in &s.parts {
            rows.push([
                s.name.to_string(),
                p.org.clone().unwrap_or_else(|| "(all)".into()),
                requests_text(p),
                p.basis.clone(),
            ]);
        }
    }
    let header = [
        "stream".to_string(),
        "organization".into(),
        "requests".into(),
        "how counted".into(),
    ];
    let w0 = rows
        .iter()
        .chain([&header])
        .map(|r| r[0].len())
        .max()
        .unwrap_or(0);
    let w1 = rows
        .iter()
        .chain([&header])
        .map(|r| r[1].chars().count())
        .max()
        .unwrap_or(0);
    let w2 = rows
        .iter()
        .chain([&header])
        .map(|r| r[2].len())
        .max()
        .unwrap_or(0);
    let mut out = format!(
        "Plan of the next read at {} UTC: {} stream(s), {} organization(s)\n\n",
        now.format("%Y-%m-%d %H:%M"),
        r.streams.len(),
        r.organizations.len()
    );
    for row in std::iter::once(&header).chain(rows.iter()) {
        let pad1 = w1 - row[1].chars().count().min(w1);
        out.push_str(&format!(
            "{:<w0$}  {}{}  {:>w2$}  {}\n",
            row[0],
            row[1],
            " ".repeat(pad1),
            row[2],
            row[3]
        ));
    }
    let total = r.total();
    out.push_str(&format!(
        "\nTotal: {}{total} requests{}\n",
        if r.estimated() { "~" } else { "" },
        if r.estimated() {
            " (~ marks an estimate: what the data holds is known only when it is read)"
        } else {
            ""
        }
    ));
    out.push_str(&format!(
        "This plan made {} request(s) to size the work (organization discovery, post lists, activity counts); the read makes them again.\n",
        r.plan_requests
    ));
    let by: Vec<String> = r
        .by_resource()
        .iter()
        .map(|(res, n)| format!("{res} {n}"))
        .collect();
    out.push_str(&format!(
        "Per LinkedIn endpoint (its daily limits are per endpoint: see your app's Analytics tab in the Developer Portal): {}.\n",
        by.join(", ")
    ));
    if let Some(q) = r.quota_remaining {
        out.push_str(&format!(
            "LinkedIn reports {q} requests left in today's quota.\n"
        ));
    }
    if let (Some(q), Some(fits), Some(days)) = (r.daily_quota, r.fits(), r.quota_days()) {
        if fits {
            out.push_str(&format!(
                "Daily quota {q}: fits ({total} of {q} requests).\n"
            ));
        } else {
            out.push_str(&format!(
                "Daily quota {q}: does NOT fit; the read needs {days} days of quota (it stops at the quota, checkpointed, and the next run continues).\n"
            ));
        }
    }
    out.push_str(&format!(
        "Request budget: set max_requests_per_run to {total} to let this read finish in one run (or lower, to spread it over several runs).\n"
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(quota: Option<u64>) -> Report {
        Report {
            streams: vec![StreamPlan {
                name: "posts",
                parts: vec![
                    Part {
                        org: Some("urn:li:organization:1".into()),
                        requests: 3,
                        estimated: false,
                        basis: "b".into(),
                        by_resource: [("posts", 3)].into(),
                    },
                    Part {
                        org: Some("urn:li:organization:2".into()),
                        requests: 4,
                        estimated: true,
                        basis: "b".into(),
                        by_resource: [("posts", 4)].into(),
                    },
                ],
            }],
            organizations: vec![
                "urn:li:organization:1".into(),
                "urn:li:organization:2".into(),
            ],
            discovery: 1,
            token: 0,
            plan_requests: 2,
            daily_quota: quota,
            quota_remaining: None,
        }
    }

    #[test]
    fn totals_and_quota() {
        let r = report(Some(5));
        assert_eq!(r.total(), 8);
        assert_eq!(r.fits(), Some(false));
        assert_eq!(r.quota_days(), Some(2));
        assert_eq!(report(Some(8)).fits(), Some(true));
        let j = json_report(&r);
        assert_eq!(j["total_requests"], 8);
        assert_eq!(j["estimated"], true);
        assert_eq!(j["streams"][0]["requests"], 7);
        assert_eq!(j["streams"][0]["organizations"][1]["estimated"], true);
        assert_eq!(report(None).fits(), None);
        assert_eq!(
            j["requests_by_resource"],
            json!({"posts": 7, "organizationAcls": 1})
        );
        let t = text_report(&r, Utc::now());
        assert!(t.contains("Total: ~8 requests"), "{t}");
        assert!(t.contains("does NOT fit"), "{t}");
        assert!(t.contains("max_requests_per_run to 8"), "{t}");
    }
}
