//! What `check` and `check-token` learn about a token: which pages it reads and which
//! permission groups of `streams::permissions` it holds. At most three API requests, one per
//! group the streams use, each an endpoint the sync itself calls (not a proxy):
//! - admin group: `organizationAcls` when the pages must be discovered (it needs the admin
//!   scope and lists exactly the pages with the ADMINISTRATOR role), otherwise the lifetime
//!   share statistics of the first page;
//! - social group: one post of the first page;
//! - feed group: one reaction of that post.
//!
//! When the exact scopes are known (token introspection, or the scope list of an OAuth
//! refresh), a group the token lacks is not probed, and a refused probe of a group it holds
//! is a role problem. When they are not, a refused statistics probe is told apart from a
//! missing role with `organizationAcls`, if the budget allows.
//!
//! Each probe's request is built by the endpoint kind of the stream that reads it (with
//! `count=1` where the kind pages), so a probe asks exactly what the sync will ask.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::Config;
use crate::domain::urn::PostUrn;
use crate::error::Error;
use crate::linkedin::client::Client;
use crate::linkedin::orgs;
use crate::streams::permissions::{Group, Permission, ORGANIZATION_ACLS};
use crate::streams::{Endpoint, OrgFinder, PostList, PostPaged, STREAMS};

/// The most API requests a check may send (quota is precious).
pub(crate) const MAX_REQUESTS: u32 = 3;

/// What is known about one permission group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Have {
    Yes,
    No,
    /// Not probed: the budget ran out, or nothing could be probed (a page without posts).
    Unknown,
}

/// The findings, before they are phrased.
#[derive(Debug, Clone, Default)]
pub(crate) struct Access {
    /// The pages the sync would read.
    pub organizations: Vec<String>,
    pub groups: BTreeMap<Group, Have>,
    /// The token's exact scopes, when introspection or a refresh reported them.
    pub scopes: Option<Vec<String>>,
    /// API requests sent by the probes.
    pub requests: u32,
    /// Why nothing can be synced (bad token, no page, no discovery), when that is so.
    pub fatal: Option<String>,
    /// A role problem found by the probes.
    pub role_problem: Option<String>,
}

impl Access {
    /// What is known about `g`.
    pub(crate) fn have(&self, g: Group) -> Have {
        self.groups.get(&g).copied().unwrap_or(Have::Unknown)
    }

    /// The group whose absence blocks `stream`, if one does: the first group of the first
    /// needed row none of whose groups the token has.
    pub(crate) fn blocking_group(&self, needs: &[Permission]) -> Option<Group> {
        needs
            .iter()
            .filter(|p| p.needs_scope())
            .find(|p| p.any_of.iter().all(|g| self.have(*g) == Have::No))
            .map(|p| p.any_of[0])
    }

    /// Whether some needed row of the stream could not be checked (and none is known blocked).
    pub(crate) fn unchecked(&self, needs: &[Permission]) -> bool {
        self.blocking_group(needs).is_none()
            && needs
                .iter()
                .filter(|p| p.needs_scope())
                .any(|p| !p.any_of.iter().any(|g| self.have(*g) == Have::Yes))
    }

    /// The blocked streams, grouped by the scope group to add.
    pub(crate) fn blocked(&self) -> Vec<(Group, Vec<&'static str>)> {
        let mut by: BTreeMap<Group, Vec<&'static str>> = BTreeMap::new();
        for s in STREAMS {
            if let Some(g) = self.blocking_group(s.needs) {
                by.entry(g).or_default().push(s.name);
            }
        }
        by.into_iter().collect()
    }

    /// The streams that could not be checked.
    pub(crate) fn not_checked(&self) -> Vec<&'static str> {
        STREAMS
            .iter()
            .filter(|s| self.unchecked(s.needs))
            .map(|s| s.name)
            .collect()
    }

    /// Whether the token reads the pages' statistics: what Airbyte's check must require.
    pub(crate) fn reads_statistics(&self) -> bool {
        self.fatal.is_none() && self.role_problem.is_none() && self.have(Group::Admin) == Have::Yes
    }
}

#[derive(Deserialize)]
struct Ignored {}

#[derive(Deserialize)]
struct Elements {
    #[serde(default)]
    elements: Vec<PostId>,
}

#[derive(Deserialize)]
struct PostId {
    id: Option<String>,
}

/// How one probe went.
enum Outcome<T> {
    Ok(T),
    Refused,
    Fatal(Error),
}

async fn probe<T: for<'de> Deserialize<'de>>(
    client: &Client,
    access: &mut Access,
    resource: &str,
    path: &str,
    finder: bool,
) -> Outcome<T> {
    access.requests += 1;
    match client.get::<T>(resource, path, finder).await {
        Ok(v) => Outcome::Ok(v),
        Err(Error::Api { status: 403, .. }) => Outcome::Refused,
        Err(e) => Outcome::Fatal(e),
    }
}

/// The endpoint kinds the probes use, taken from the stream table: the lifetime share
/// statistics (admin group), the post list (social group) and the reactions of a post
/// (feed group), the paged ones asking for one element.
fn probe_endpoints() -> Result<(OrgFinder, PostList, PostPaged), Error> {
    let kind = |name: &str| {
        crate::streams::find(name)
            .map(|s| s.endpoint)
            .ok_or_else(|| Error::Internal(format!("check probes stream {name}, not in the table")))
    };
    let stats = match kind("share_statistics")? {
        Endpoint::OrgFinder(f) if f.time_bound.is_none() => f,
        other => return Err(Error::Internal(format!("share_statistics is {other:?}"))),
    };
    let posts = match kind("posts")? {
        Endpoint::PostList(p) => PostList { max_count: 1, ..p },
        other => return Err(Error::Internal(format!("posts is {other:?}"))),
    };
    let reactions = match kind("post_reactions")? {
        Endpoint::PostPaged(p) => PostPaged { max_count: 1, ..p },
        other => return Err(Error::Internal(format!("post_reactions is {other:?}"))),
    };
    Ok((stats, posts, reactions))
}

/// The message for a token that cannot discover the pages.
pub(crate) fn discovery_refused() -> String {
    format!(
        "Organization discovery (organizationAcls, used when organization_ids is empty) needs the scope {}, which this token lacks (see {}). Add rw_organization_admin in your LinkedIn app (Products: Community Management API) and create a new token, or set organization_ids to the pages to read; the statistics streams need that scope too.",
        Group::Admin.describe(),
        ORGANIZATION_ACLS.source
    )
}

/// A probe step that may stop the check: `Err` carries the message that ends it.
type Step<T = ()> = std::result::Result<T, String>;

/// Probes the token. `scopes` are the exact scopes when known; `explain` phrases an error
/// that stops the check (401, 426, unreachable API).
pub(crate) async fn probe_access(
    config: &Config,
    client: &Client,
    scopes: Option<Vec<String>>,
    explain: impl Fn(&Error) -> String,
) -> Access {
    let mut a = Access {
        scopes,
        ..Access::default()
    };
    if let Some(s) = &a.scopes {
        for g in Group::ALL {
            let have = if g.held_by(s) {
                Have::Unknown
            } else {
                Have::No
            };
            a.groups.insert(g, have);
        }
    }
    if let Err(message) = run_probes(config, client, &mut a, &explain).await {
        a.fatal = Some(message);
        return a;
    }
    // Scopes known and held: a group not refused by a probe counts as held.
    if a.scopes.is_some() {
        for g in Group::ALL {
            if a.have(g) == Have::Unknown {
                a.groups.insert(g, Have::Yes);
            }
        }
    }
    a
}

/// Whether the token's known scopes hold a group (`None`: scopes unknown).
fn held(a: &Access, g: Group) -> Option<bool> {
    a.scopes.as_ref().map(|s| g.held_by(s))
}

/// The probes in order: pages (and with discovery the admin group), page statistics,
/// one post, the cause of a statistics refusal, one reaction.
async fn run_probes(
    config: &Config,
    client: &Client,
    a: &mut Access,
    explain: &impl Fn(&Error) -> String,
) -> Step {
    let discovered = config.organization_ids.is_empty();
    if discovered {
        discover_pages(client, a, explain).await?;
    } else {
        a.organizations = config.organization_ids.clone();
    }
    let Some(first) = a.organizations.first().cloned() else {
        return Err("No page to check: set organization_ids.".into());
    };
    let (stats, posts, reactions) = probe_endpoints().map_err(|e| e.to_string())?;
    // The admin group: the lifetime share statistics of the first page.
    let mut stats_refused = false;
    if !discovered && held(a, Group::Admin) != Some(false) {
        let path = stats.path(&first);
        match probe::<Ignored>(client, a, stats.resource, &path, true).await {
            Outcome::Ok(_) => {
                a.groups.insert(Group::Admin, Have::Yes);
            }
            Outcome::Refused => stats_refused = true,
            Outcome::Fatal(e) => return Err(explain(&e)),
        }
    }
    let post = probe_social(client, a, &posts, &first, explain).await?;
    if stats_refused {
        settle_stats_refusal(client, a, &first, explain).await?;
    }
    probe_feed(client, a, &reactions, post.as_deref(), explain).await
}

/// Organization discovery, which is also the admin group's probe.
async fn discover_pages(
    client: &Client,
    a: &mut Access,
    explain: &impl Fn(&Error) -> String,
) -> Step {
    if held(a, Group::Admin) == Some(false) {
        return Err(discovery_refused());
    }
    a.requests += 1;
    match orgs::resolve(&[], client).await {
        Ok(orgs) => {
            a.organizations = orgs;
            a.groups.insert(Group::Admin, Have::Yes);
            Ok(())
        }
        Err(Error::Api { status: 403, .. }) => {
            a.groups.insert(Group::Admin, Have::No);
            Err(discovery_refused())
        }
        Err(Error::Config(m)) => Err(m),
        Err(e) => Err(explain(&e)),
    }
}

/// The social group: one post of the first page. Returns that post's URN, if any.
async fn probe_social(
    client: &Client,
    a: &mut Access,
    posts: &PostList,
    first: &str,
    explain: &impl Fn(&Error) -> String,
) -> Step<Option<String>> {
    if held(a, Group::Social) == Some(false) {
        return Ok(None);
    }
    let path = posts.path(first, 0);
    match probe::<Elements>(client, a, posts.resource, &path, true).await {
        Outcome::Ok(page) => {
            a.groups.insert(Group::Social, Have::Yes);
            Ok(page.elements.into_iter().find_map(|p| p.id))
        }
        Outcome::Refused => {
            // With the scope known to be held, the refusal is the member's role.
            if held(a, Group::Social) == Some(true) {
                a.role_problem.get_or_insert(format!(
                    "LinkedIn refused the posts of {first} although the token has r_organization_social: the member needs the ADMINISTRATOR role on that page."
                ));
            }
            a.groups.insert(Group::Social, Have::No);
            Ok(None)
        }
        Outcome::Fatal(e) => Err(explain(&e)),
    }
}

/// A refused statistics probe: missing scope or missing role?
async fn settle_stats_refusal(
    client: &Client,
    a: &mut Access,
    first: &str,
    explain: &impl Fn(&Error) -> String,
) -> Step {
    if held(a, Group::Admin) == Some(true) {
        a.role_problem = Some(format!(
            "LinkedIn refused the statistics of {first} although the token has {}: the member who authorised it is not an ADMINISTRATOR of that page. Ask a super admin of the page to grant the ADMINISTRATOR role, or correct organization_ids.",
            Group::Admin.describe()
        ));
        return Ok(());
    }
    if a.requests >= MAX_REQUESTS {
        // No budget left to tell them apart: the scope is the likelier cause.
        a.groups.insert(Group::Admin, Have::No);
        return Ok(());
    }
    a.requests += 1;
    match orgs::resolve(&[], client).await {
        Err(Error::Api { status: 403, .. }) => {
            a.groups.insert(Group::Admin, Have::No);
        }
        Ok(admin_of) if admin_of.iter().any(|o| o == first) => {
            // The ACL page lists r_organization_admin; the statistics pages list only
            // rw_organization_admin.
            a.groups.insert(Group::Admin, Have::No);
            a.role_problem = Some(format!(
                "LinkedIn refused the statistics of {first}, which the member administers: the token's admin scope is accepted for listing pages but not for statistics. Add rw_organization_admin (the scope the statistics pages list) and create a new token."
            ));
        }
        Ok(admin_of) => {
            a.role_problem = Some(format!(
                "The member who authorised this token is not an ADMINISTRATOR of {first} (pages administered: {}). Ask a super admin of the page to grant the ADMINISTRATOR role, or correct organization_ids.",
                admin_of.join(", ")
            ));
        }
        Err(Error::Config(_)) => {
            a.role_problem = Some(format!(
                "The member who authorised this token is not an ADMINISTRATOR of {first} (pages administered: none). Ask a super admin of the page to grant the ADMINISTRATOR role, or correct organization_ids."
            ));
        }
        Err(e) => return Err(explain(&e)),
    }
    Ok(())
}

/// The feed group: one reaction of the probed post.
async fn probe_feed(
    client: &Client,
    a: &mut Access,
    reactions: &PostPaged,
    post: Option<&str>,
    explain: &impl Fn(&Error) -> String,
) -> Step {
    match held(a, Group::Feed) {
        Some(true) if a.have(Group::Social) == Have::Yes => {
            a.groups.insert(Group::Feed, Have::Yes);
            Ok(())
        }
        Some(_) => Ok(()),
        None => {
            let (Some(urn), true) = (post, a.requests < MAX_REQUESTS) else {
                return Ok(());
            };
            let path = reactions.path(&PostUrn::new(urn.to_string()), 0);
            match probe::<Ignored>(client, a, reactions.resource, &path, reactions.finder).await {
                Outcome::Ok(_) => {
                    a.groups.insert(Group::Feed, Have::Yes);
                }
                Outcome::Refused => {
                    a.groups.insert(Group::Feed, Have::No);
                }
                Outcome::Fatal(e) => return Err(explain(&e)),
            }
            Ok(())
        }
    }
}

/// One sentence per missing group: the scope to add and the streams it blocks.
pub(crate) fn blocked_sentences(a: &Access) -> Vec<String> {
    a.blocked()
        .into_iter()
        .map(|(g, streams)| {
            let add = match g {
                Group::Admin => "rw_organization_admin (or r_organization_admin)".to_string(),
                other => other.scopes()[0].to_string(),
            };
            format!("add {add} for {}", streams.join(", "))
        })
        .collect()
}

/// The verdict: (ok for Airbyte, message).
pub(crate) fn verdict(a: &Access, note: &str) -> (bool, String) {
    if let Some(m) = &a.fatal {
        return (false, format!("{m}{note}"));
    }
    let pages = format!(
        "{} page(s): {}",
        a.organizations.len(),
        a.organizations.join(", ")
    );
    let blocked = blocked_sentences(a);
    let unchecked = a.not_checked();
    let mut tail = String::new();
    if !blocked.is_empty() {
        tail.push_str(&format!(
            " Blocked streams: {}. Add the scope in your LinkedIn app (Products: Community Management API) and create a new token.",
            blocked.join("; ")
        ));
    }
    if !unchecked.is_empty() {
        tail.push_str(&format!(
            " Not checked (nothing to probe them with, or no request left): {}.",
            unchecked.join(", ")
        ));
    }
    if let Some(r) = &a.role_problem {
        return (false, format!("Cannot sync {pages}. {r}{tail}{note}"));
    }
    if !a.reads_statistics() {
        return (
            false,
            format!(
                "Cannot read the pages' statistics: the token lacks {} (LinkedIn's statistics pages require it). The token can reach {pages}.{tail}{note}",
                Group::Admin.describe()
            ),
        );
    }
    if blocked.is_empty() && unchecked.is_empty() {
        (
            true,
            format!("Connected: the token can read {pages}, and every stream.{note}"),
        )
    } else if blocked.is_empty() {
        (
            true,
            format!("Connected: the token can read {pages}.{tail}{note}"),
        )
    } else {
        (
            true,
            format!("Connected with limits: the token can read {pages}.{tail}{note}"),
        )
    }
}
