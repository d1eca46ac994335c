//! The request-count model of a read, for the `plan` command: per stream and partition,
//! how many requests the next read will make. It takes its facts from the same places the
//! read does (the units of `plan.rs`, the windows of `window.rs`, the page and batch sizes
//! on the stream table's endpoint kinds, the post list and activity counts of `posts.rs`),
//! so the two cannot disagree on a constant.
//!
//! Sizing costs a few requests, which are the read's own first requests: each
//! organization's post list (whole, when per-post streams need its posts; else its first
//! page, and a few more to find by bisection where an incremental read will reach its
//! bookmark) and the activity-count batches. What cannot be known without reading the data
//! itself (the length of a standardized-data list, the ids a geo batch will name, how many
//! pages of a post's newest-first reactions come before the bookmark) is an estimate,
//! flagged.
//! Retries are not modelled: each retry is one more request.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::value::RawValue;

use super::plan::{self, Unit};
use super::posts::{post_list, social_counts};
use super::run::Shared;
use super::window::window;
use crate::catalog::Selected;
use crate::config::Config;
use crate::domain::urn::{OrgKind, OrgUrn, PostKind};
use crate::domain::Cursor;
use crate::error::Result;
use crate::linkedin::client::Client;
use crate::linkedin::wire::Collection;
use crate::state::State;
use crate::streams::activity;
use crate::streams::{
    Endpoint, PostBatch, PostList, PostPaged, StreamDef, TimeBound, VideoVariants,
};

/// The requests of one unit (a stream over one organization, or a global stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// The organization; `None` for a global stream.
    pub org: Option<String>,
    pub requests: u64,
    /// Whether `requests` is an estimate rather than a count from known data.
    pub estimated: bool,
    /// How the number was found, for people.
    pub basis: String,
    /// The same requests per LinkedIn resource; they add up to `requests`.
    pub by_resource: ByResource,
}

/// The requests of one selected stream.
#[derive(Debug, Clone)]
pub(crate) struct StreamPlan {
    pub name: &'static str,
    pub parts: Vec<Part>,
}

impl StreamPlan {
    pub(crate) fn requests(&self) -> u64 {
        self.parts.iter().map(|p| p.requests).sum()
    }
    pub(crate) fn estimated(&self) -> bool {
        self.parts.iter().any(|p| p.estimated)
    }
}

/// What the sizing requests found about one organization's post list.
enum ListSize {
    /// The whole list was read (per-post streams need it).
    Full,
    /// Only the first page: the estimated requests of the list's own stream.
    FirstPage(u64, bool, String),
}

/// Counts the requests the next read of `selected` will make for `orgs`, making the few
/// requests that size the work (see the module doc) through `client`.
pub(crate) async fn estimate(
    config: &Config,
    client: &Client,
    orgs: Vec<String>,
    selected: &[Selected],
    state: &State,
    now: DateTime<Utc>,
) -> Result<Vec<StreamPlan>> {
    let units = plan::plan(selected, &orgs, state);
    let shared = Shared {
        client,
        config,
        now,
        orgs,
        cancel: AtomicBool::new(false),
        post_lists: Default::default(),
        social: Default::default(),
        lifetime: Default::default(),
        post_sources: selected
            .iter()
            .filter_map(|s| s.def.endpoint.post_source())
            .map(|d| d.name)
            .collect(),
    };
    let lists = size_post_lists(&shared, &units).await?;
    let mut paid = HashSet::new();
    let mut out: Vec<StreamPlan> = selected
        .iter()
        .map(|s| StreamPlan {
            name: s.def.name,
            parts: Vec::new(),
        })
        .collect();
    for unit in &units {
        let part = unit_requests(&shared, unit, &lists, &mut paid).await?;
        out[unit.stream].parts.push(part);
    }
    Ok(out)
}

/// Reads, for every organization (concurrently, within `max_concurrency`), the post lists
/// the per-post streams iterate and their activity counts (cached in `shared`, exactly as
/// the read reads them), or the first page of a post list read for its own records only.
async fn size_post_lists(
    shared: &Shared<'_>,
    units: &[Unit],
) -> Result<HashMap<(&'static str, String), ListSize>> {
    let limit = shared.config.max_concurrency.max(1) as usize;
    let mut jobs = Vec::new();
    for u in units {
        let Some(org) = u.org.clone() else { continue };
        match u.def.endpoint {
            Endpoint::PostList(list) if !shared.post_sources.contains(u.def.name) => {
                jobs.push((
                    u.def,
                    org,
                    Some((list, u.bookmark.filter(|_| u.incremental))),
                ));
            }
            Endpoint::PostBatch(_) | Endpoint::PostPaged(_) | Endpoint::VideoVariants(_) => {
                if let Some(src) = u.def.endpoint.post_source() {
                    jobs.push((src, org, None));
                }
            }
            _ => {}
        }
    }
    let gated: HashSet<(&str, String)> = units
        .iter()
        .filter(|u| matches!(u.def.endpoint, Endpoint::PostPaged(_)))
        .filter_map(|u| Some((u.def.endpoint.post_source()?.name, u.org.clone()?)))
        .collect();
    let mut seen = HashSet::new();
    jobs.retain(|(def, org, _)| seen.insert((def.name, org.clone())));
    let results: Vec<Result<((&'static str, String), ListSize)>> = futures_util::stream::iter(jobs)
        .map(|(def, org, first)| {
            let gated = gated.contains(&(def.name, org.clone()));
            async move {
                let size = match first {
                    Some((list, bookmark)) => {
                        let (n, est, basis) = first_page(shared, def, list, &org, bookmark).await?;
                        ListSize::FirstPage(n, est, basis)
                    }
                    None => {
                        let posts = post_list(shared, def, &org).await?;
                        if gated {
                            social_counts(shared, &org, &posts).await?;
                        }
                        ListSize::Full
                    }
                };
                Ok(((def.name, org), size))
            }
        })
        .buffer_unordered(limit)
        .collect()
        .await;
    results.into_iter().collect()
}

/// The pages of a post list read for its own records only: all of them on a full
/// refresh, else up to the first page that reaches the bookmark (newest first), found by
/// bisection when the first page does not reach it.
async fn first_page(
    shared: &Shared<'_>,
    def: &StreamDef,
    list: PostList,
    org: &str,
    bookmark: Option<Cursor>,
) -> Result<(u64, bool, String)> {
    let page: Collection = shared.get(def, &list.path(org, 0)).await?;
    let n = page.elements.len() as u64;
    let paging = page.paging.unwrap_or_default();
    let per_page = list.max_count.max(1) as u64;
    let all_pages = paging.total.map(|t| t.div_ceil(per_page).max(1));
    if n == 0 || all_pages == Some(1) {
        return Ok((1, false, "1 page (the whole list)".into()));
    }
    let Some(b) = bookmark else {
        return Ok(match (all_pages, paging.total) {
            (Some(p), Some(t)) => (p, false, format!("{t} posts, {p} pages of {per_page}")),
            _ => (
                2,
                true,
                "LinkedIn gave no paging.total: at least 2 pages".into(),
            ),
        });
    };
    let reaches = |elements: &[Box<RawValue>]| {
        let ctx = shared.ctx(org);
        let mut buf = Vec::new();
        elements.is_empty()
            || elements.iter().any(|raw| {
                buf.clear();
                (def.decode)(&ctx, raw.get(), &mut buf)
                    .ok()
                    .flatten()
                    .is_some_and(|c| c <= b)
            })
    };
    if reaches(&page.elements) {
        return Ok((
            1,
            false,
            "1 page: the first page reaches the bookmark".into(),
        ));
    }
    let Some(all) = all_pages else {
        return Ok((
            2,
            true,
            "LinkedIn gave no paging.total: at least 2 pages".into(),
        ));
    };
    // The list is newest first, so the pages that reach the bookmark are a suffix: find
    // the first of them by bisection, one request per probe (log2 of the pages).
    let (mut lo, mut hi) = (0u64, all);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let start = usize::try_from(mid * per_page).unwrap_or(usize::MAX);
        let probe: Collection = shared.get(def, &list.path(org, start)).await?;
        if reaches(&probe.elements) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    if hi == all {
        return Ok((
            all,
            false,
            format!("all {all} pages: none reaches the bookmark"),
        ));
    }
    let pages = hi + 1;
    Ok((
        pages,
        false,
        format!("{pages} of {all} pages: page {pages} is the first to reach the bookmark (found by bisection)"),
    ))
}

/// Ceiling division for request counts; at least one request when `at_least_one`.
fn pages(items: u64, per: usize, at_least_one: bool) -> u64 {
    let p = items.div_ceil(per.max(1) as u64);
    if at_least_one {
        p.max(1)
    } else {
        p
    }
}

/// Requests per LinkedIn resource (LinkedIn's daily limits are per endpoint).
pub(crate) type ByResource = BTreeMap<&'static str, u64>;

fn add(t: &mut ByResource, resource: &'static str, n: u64) {
    if n > 0 {
        *t.entry(resource).or_default() += n;
    }
}

/// The requests of one unit. `paid` holds the shared work (a post list, activity counts,
/// a lifetime response) already counted for an earlier unit: the read does it once.
async fn unit_requests(
    shared: &Shared<'_>,
    unit: &Unit,
    lists: &HashMap<(&'static str, String), ListSize>,
    paid: &mut HashSet<String>,
) -> Result<Part> {
    let def = unit.def;
    let org = unit.org.as_deref().unwrap_or_default();
    let mut t = ByResource::new();
    let mut estimated = false;
    if unit.already_done() {
        // Completed earlier in the unfinished sync this read continues: not read again.
        return Ok(Part {
            org: unit.org.clone(),
            requests: 0,
            estimated: false,
            basis: "completed earlier in this unfinished sync".into(),
            by_resource: t,
        });
    }
    let basis: String = match def.endpoint {
        Endpoint::Organizations(b) => {
            let n = shared
                .orgs
                .iter()
                .filter_map(|o| OrgUrn::parse(o).ok())
                .filter(|u| u.kind == OrgKind::Organization)
                .count() as u64;
            add(&mut t, b.resource, pages(n, b.max_ids, false));
            format!("{n} organization(s), {} per request", b.max_ids)
        }
        Endpoint::OrgKeyed(k) => {
            add(&mut t, k.resource, 1);
            "one request".into()
        }
        Endpoint::OrgFinder(f) => match f.time_bound {
            None => {
                if paid.insert(f.path(org)) {
                    add(&mut t, f.resource, 1);
                    "one request".into()
                } else {
                    "shared with another stream's identical request".into()
                }
            }
            Some(tb) => windowed(shared, unit, f.resource, tb, &mut t),
        },
        Endpoint::PostList(list) => match lists.get(&(def.name, org.to_string())) {
            Some(ListSize::FirstPage(r, est, basis)) => {
                add(&mut t, list.resource, *r);
                estimated = *est;
                basis.clone()
            }
            _ => {
                // The whole list, which the per-post streams also need: read here.
                let posts = post_list(shared, def, org).await?;
                paid.insert(list_key(def, org));
                let r = pages(posts.len() as u64, list.max_count, true);
                add(&mut t, list.resource, r);
                format!("{} posts, {r} pages", posts.len())
            }
        },
        Endpoint::PostBatch(b) => post_batch(shared, b, org, paid, &mut t).await?,
        Endpoint::PostPaged(p) => {
            let (basis, est) = post_paged(shared, unit, p, paid, &mut t).await?;
            estimated = est;
            basis
        }
        Endpoint::VideoVariants(v) => video(shared, unit, v, paid, &mut t).await?,
        Endpoint::GetAll(g) => {
            add(&mut t, g.resource, 1);
            estimated = true;
            "length of the list unknown before reading it: 1 page assumed".into()
        }
        Endpoint::Geo(g) => {
            let mut lifetime = 0;
            for o in &shared.orgs {
                if paid.insert(g.source.path(o)) {
                    lifetime += 1;
                }
            }
            add(&mut t, g.source.resource, lifetime);
            add(&mut t, g.batch.resource, 1);
            estimated = true;
            format!(
                "{lifetime} request(s) for the follower breakdowns not already counted for another stream; the ids in them are known only once read: 1 batch of {} assumed",
                g.batch.max_ids
            )
        }
    };
    Ok(Part {
        org: unit.org.clone(),
        requests: t.values().sum(),
        estimated,
        basis,
        by_resource: t,
    })
}

/// A time-bound statistics request: one for the window, none when nothing is new.
fn windowed(
    shared: &Shared<'_>,
    unit: &Unit,
    resource: &'static str,
    tb: TimeBound,
    t: &mut ByResource,
) -> String {
    let c = shared.config;
    let bookmark = unit.bookmark.filter(|_| unit.incremental);
    match window(
        tb,
        c.time_granularity,
        bookmark,
        c.start_date,
        c.lookback_window_days,
        shared.now,
    ) {
        Some(w) => {
            add(t, resource, 1);
            format!(
                "one request for {} to {}",
                w.start,
                w.end - chrono::Duration::days(1)
            )
        }
        None => "nothing new since the bookmark".into(),
    }
}

/// Per-post lifetime statistics: batches per post kind, as `posts::post_batch` sends them.
async fn post_batch(
    shared: &Shared<'_>,
    b: PostBatch,
    org: &str,
    paid: &mut HashSet<String>,
    t: &mut ByResource,
) -> Result<String> {
    let posts = post_list(shared, b.posts, org).await?;
    let mut basis = list_cost(b.posts, org, posts.len(), paid, t);
    for kind in [PostKind::Share, PostKind::UgcPost] {
        let n = posts.iter().filter(|p| p.urn.kind() == Some(kind)).count() as u64;
        add(t, b.resource, pages(n, b.max_ids, false));
    }
    basis.push(format!(
        "{} posts in batches of {} per post kind",
        posts.len(),
        b.max_ids
    ));
    Ok(basis.join("; "))
}

/// Video statistics: one request per metric of each ugcPost video not read by an
/// unfinished pass, as `posts::video` chooses them.
async fn video(
    shared: &Shared<'_>,
    unit: &Unit,
    v: VideoVariants,
    paid: &mut HashSet<String>,
    t: &mut ByResource,
) -> Result<String> {
    let org = unit.org.as_deref().unwrap_or_default();
    let posts = post_list(shared, v.posts, org).await?;
    let mut basis = list_cost(v.posts, org, posts.len(), paid, t);
    let videos = posts
        .iter()
        .filter(|p| {
            p.is_video && p.urn.kind() == Some(PostKind::UgcPost) && !unit.post_done(p.urn.as_str())
        })
        .count() as u64;
    add(t, v.resource, videos * v.variants.len() as u64);
    basis.push(format!(
        "{videos} video posts × {} metrics",
        v.variants.len()
    ));
    Ok(basis.join("; "))
}

fn list_key(def: &StreamDef, org: &str) -> String {
    format!("list {} {org}", def.name)
}

/// The post list's pages, when no earlier unit paid for them.
fn list_cost(
    src: &StreamDef,
    org: &str,
    posts: usize,
    paid: &mut HashSet<String>,
    t: &mut ByResource,
) -> Vec<String> {
    let Endpoint::PostList(list) = src.endpoint else {
        return Vec::new();
    };
    if !paid.insert(list_key(src, org)) {
        return Vec::new();
    }
    let r = pages(posts as u64, list.max_count, true);
    add(t, list.resource, r);
    vec![format!("the post list: {posts} posts, {r} pages")]
}

/// Comments or reactions: the activity-count batches (once per organization), then the
/// pages of each post whose count changed since the last sync, as `posts::post_paged`
/// chooses them. Returns the basis and whether the count is an estimate.
async fn post_paged(
    shared: &Shared<'_>,
    unit: &Unit,
    p: PostPaged,
    paid: &mut HashSet<String>,
    t: &mut ByResource,
) -> Result<(String, bool)> {
    let org = unit.org.as_deref().unwrap_or_default();
    let posts = post_list(shared, p.posts, org).await?;
    let mut basis = list_cost(p.posts, org, posts.len(), paid, t);
    let social = social_counts(shared, org, &posts).await?;
    if paid.insert(format!("{} {org}", activity::RESOURCE)) {
        let batches = pages(posts.len() as u64, activity::MAX_IDS, false);
        add(t, activity::RESOURCE, batches);
        basis.push(format!("{batches} {} batches", activity::RESOURCE));
    }
    let Some(counts) = social.counts.as_ref() else {
        // Counts refused: the read pages every post; one page each is assumed.
        add(t, p.resource, posts.len() as u64);
        basis.push(format!(
            "{} posts, counts unreadable: 1 page each assumed",
            posts.len()
        ));
        return Ok((basis.join("; "), true));
    };
    let previous = unit.counts.as_ref().filter(|_| unit.incremental);
    let bookmark = unit.bookmark.filter(|_| unit.incremental);
    // The same activity as `posts::post_paged`: with replies included, the replies'
    // own requests are not sized, so the count is an estimate.
    let replies = p.replies.is_some() && shared.config.include_comment_replies;
    let activity = if replies {
        p.activity.with_replies()
    } else {
        p.activity
    };
    let (mut reading, mut estimated, mut r) = (0u64, replies, 0u64);
    // Posts an unfinished pass already read, and posts LinkedIn refuses, are not read.
    let read_now = posts.iter().filter(|post| {
        !unit.post_done(post.urn.as_str()) && !social.refused.iter().any(|(u, _)| *u == post.urn)
    });
    for post in read_now {
        let now = counts
            .get(post.urn.as_str())
            .map(|c| activity.of(*c))
            .unwrap_or(0);
        let before = previous.map(|prev| prev.get(post.urn.as_str()).copied());
        // The same choice as `posts::post_paged`: a changed count, or any activity when
        // there is no earlier count.
        let changed = match before {
            Some(Some(b)) => now != b,
            _ => now > 0,
        };
        if !changed {
            continue;
        }
        reading += 1;
        let all = pages(now, p.max_count, true);
        r += if p.newest_first && bookmark.is_some() {
            // Paging stops at the first element older than the bookmark: after the new
            // ones, if the list only grew since the last sync.
            estimated = true;
            let new = now.saturating_sub(before.flatten().unwrap_or(0));
            (new / p.max_count.max(1) as u64 + 1).min(all)
        } else {
            all
        };
    }
    add(t, p.resource, r);
    basis.push(format!(
        "{reading} of {} posts with new activity, {} per page",
        posts.len(),
        p.max_count
    ));
    Ok((basis.join("; "), estimated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_round_up() {
        assert_eq!(pages(0, 100, false), 0);
        assert_eq!(pages(0, 100, true), 1);
        assert_eq!(pages(100, 100, true), 1);
        assert_eq!(pages(101, 100, true), 2);
        assert_eq!(pages(5, 0, false), 5);
    }
}
