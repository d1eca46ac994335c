//! Endpoint kinds: how a stream's requests are shaped. Each kind is a struct whose
//! `path` takes exactly the inputs its requests need, so a request cannot be built with
//! a parameter missing. What is special about a stream (the post list its children share,
//! the lifetime statistics geo reads its ids from, the socialMetadata gate) is data here,
//! not a case in the engine.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::activity::Activity;
use super::StreamDef;
use crate::config::Granularity;
use crate::domain::urn::{OrgKind, OrgUrn, PostKind, PostUrn};
use crate::linkedin::restli::{encode, list, time_intervals};

/// How a stream's requests are shaped.
#[derive(Debug, Clone, Copy)]
pub enum Endpoint {
    /// `GET organizations?ids=List(..)` over every organization: a batch-get map.
    Organizations(IdsBatch),
    /// `GET {resource}/{encoded org URN}?{query}`: a bare object.
    OrgKeyed(OrgKeyed),
    /// `GET {resource}?q={finder}&{param}={org}[&timeIntervals=..]`: all elements at once.
    OrgFinder(OrgFinder),
    /// The organization's post list, offset-paged, newest modification first; the
    /// per-post streams iterate it.
    PostList(PostList),
    /// Per-post lifetime statistics in batches (`shares=List(..)` / `ugcPosts=List(..)`).
    PostBatch(PostBatch),
    /// Offset-paged requests per post (comments, reactions).
    PostPaged(PostPaged),
    /// One request per video post and variant (`type=`).
    VideoVariants(VideoVariants),
    /// `GET {resource}?start=..&count=..`: a whole standardized-data list.
    GetAll(GetAll),
    /// `GET geo?ids=List(..)` for the geo ids found in another endpoint's elements.
    Geo(GeoBatch),
}

/// `GET {resource}?ids=List(..)` of numeric ids, `max_ids` per request.
#[derive(Debug, Clone, Copy)]
pub struct IdsBatch {
    pub resource: &'static str,
    pub max_ids: usize,
}

impl IdsBatch {
    /// One batch request (numeric ids need no encoding and get none).
    pub fn path(&self, ids: &[String]) -> String {
        format!("{}?ids=List({})", self.resource, ids.join(","))
    }
}

/// A keyed GET on one organization.
#[derive(Debug, Clone, Copy)]
pub struct OrgKeyed {
    pub resource: &'static str,
    pub query: &'static str,
}

impl OrgKeyed {
    pub fn path(&self, org: &str) -> String {
        format!("{}/{}?{}", self.resource, encode(org), self.query)
    }
}

/// A statistics finder on one organization, lifetime or time-bound.
#[derive(Debug, Clone, Copy)]
pub struct OrgFinder {
    pub resource: &'static str,
    pub finder: &'static str,
    pub param: &'static str,
    /// `Some` for the time-bound (daily/monthly) form.
    pub time_bound: Option<TimeBound>,
    /// Where a showcase page (`urn:li:organizationBrand:N`) is read instead, when the
    /// endpoint has a separate resource for them; `None`: the same request.
    pub showcase: Option<Showcase>,
}

/// The resource, finder and parameter of a showcase page's statistics.
#[derive(Debug, Clone, Copy)]
pub struct Showcase {
    pub resource: &'static str,
    pub finder: &'static str,
    pub param: &'static str,
}

/// Time-bound statistics: the API's lag before a day is final.
#[derive(Debug, Clone, Copy)]
pub struct TimeBound {
    pub lag_days: i64,
}

/// The `[start, end)` days and bucket size of a time-bound request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub granularity: Granularity,
}

impl OrgFinder {
    /// The (resource, finder, parameter) that reads `org`: the showcase form for a
    /// showcase page when the row has one.
    fn target(&self, org: &str) -> (&'static str, &'static str, &'static str) {
        let brand = OrgUrn::parse(org).is_ok_and(|u| u.kind == OrgKind::Brand);
        match self.showcase {
            Some(s) if brand => (s.resource, s.finder, s.param),
            _ => (self.resource, self.finder, self.param),
        }
    }

    /// The resource a request for `org` goes to (for logs and errors).
    pub fn resource_for(&self, org: &str) -> &'static str {
        self.target(org).0
    }

    /// The lifetime request.
    pub fn path(&self, org: &str) -> String {
        let (resource, finder, param) = self.target(org);
        format!("{resource}?q={finder}&{param}={}", encode(org))
    }

    /// The time-bound request over `window` (midnights UTC, in epoch milliseconds).
    pub fn windowed_path(&self, org: &str, window: &Window) -> String {
        let ms = |d: NaiveDate| {
            d.and_time(chrono::NaiveTime::MIN)
                .and_utc()
                .timestamp_millis()
        };
        format!(
            "{}&timeIntervals={}",
            self.path(org),
            time_intervals(
                ms(window.start),
                ms(window.end),
                window.granularity.as_str()
            )
        )
    }
}

/// An organization's post list.
#[derive(Debug, Clone, Copy)]
pub struct PostList {
    pub resource: &'static str,
    pub finder: &'static str,
    pub param: &'static str,
    pub query: &'static str,
    pub max_count: usize,
}

impl PostList {
    pub fn path(&self, org: &str, start: usize) -> String {
        format!(
            "{}?q={}&{}={}&{}&start={start}&count={}",
            self.resource,
            self.finder,
            self.param,
            encode(org),
            self.query,
            self.max_count
        )
    }
}

/// Lifetime statistics of posts, `max_ids` posts of one kind per request.
#[derive(Debug, Clone, Copy)]
pub struct PostBatch {
    pub resource: &'static str,
    pub finder: &'static str,
    pub param: &'static str,
    pub max_ids: usize,
    /// The stream whose rows are the posts iterated.
    pub posts: &'static StreamDef,
}

impl PostBatch {
    pub fn path(&self, org: &str, kind: PostKind, posts: &[&PostUrn]) -> String {
        let ids_param = match kind {
            PostKind::Share => "shares",
            PostKind::UgcPost => "ugcPosts",
        };
        let urns: Vec<&str> = posts.iter().map(|p| p.as_str()).collect();
        format!(
            "{}?q={}&{}={}&{ids_param}={}",
            self.resource,
            self.finder,
            self.param,
            encode(org),
            list(&urns)
        )
    }
}

/// Offset-paged requests per post; `{post}` in `path` is the encoded post URN.
#[derive(Debug, Clone, Copy)]
pub struct PostPaged {
    pub resource: &'static str,
    pub path: &'static str,
    pub query: &'static str,
    pub max_count: usize,
    /// Whether requests carry `X-RestLi-Method: FINDER`.
    pub finder: bool,
    /// Newest first: paging may stop at the first element older than the bookmark.
    pub newest_first: bool,
    /// Which socialMetadata count tells whether a post has something new.
    pub activity: Activity,
    /// The stream whose rows are the posts iterated.
    pub posts: &'static StreamDef,
    /// Replies to the elements, read when the config asks for them.
    pub replies: Option<Replies>,
}

/// Replies to the elements of a per-post paged endpoint, offset-paged per parent element;
/// `{parent}` in `path` is the encoded parent URN.
#[derive(Debug, Clone, Copy)]
pub struct Replies {
    pub path: &'static str,
    pub max_count: usize,
    /// The parent's URN when the element says it has replies; `None` otherwise.
    pub parent_of: fn(&str) -> Option<String>,
}

impl Replies {
    pub fn path(&self, parent: &str, start: usize) -> String {
        format!(
            "{}?start={start}&count={}",
            self.path.replace("{parent}", &encode(parent)),
            self.max_count
        )
    }
}

impl PostPaged {
    pub fn path(&self, post: &PostUrn, start: usize) -> String {
        let path = self.path.replace("{post}", &encode(post.as_str()));
        let sep = if self.query.is_empty() { "" } else { "&" };
        format!(
            "{path}?{}{sep}start={start}&count={}",
            self.query, self.max_count
        )
    }
}

/// One request per video post and variant.
#[derive(Debug, Clone, Copy)]
pub struct VideoVariants {
    pub resource: &'static str,
    pub variants: &'static [&'static str],
    /// The stream whose rows are the posts iterated.
    pub posts: &'static StreamDef,
}

impl VideoVariants {
    pub fn path(&self, post: &PostUrn, variant: &str) -> String {
        format!(
            "{}?q=entity&entity={}&type={variant}&aggregation=ALL",
            self.resource,
            encode(post.as_str())
        )
    }
}

/// A whole standardized-data list, paged.
#[derive(Debug, Clone, Copy)]
pub struct GetAll {
    pub resource: &'static str,
    pub max_count: usize,
    /// The record's `kind` (e.g. `seniority`).
    pub variant: &'static str,
}

impl GetAll {
    pub fn path(&self, start: usize) -> String {
        format!("{}?start={start}&count={}", self.resource, self.max_count)
    }
}

/// Names of the geo ids that appear in another endpoint's lifetime elements.
#[derive(Debug, Clone, Copy)]
pub struct GeoBatch {
    pub batch: IdsBatch,
    /// The lifetime finder whose elements hold the geo URNs (read once per sync and
    /// shared with the stream that emits it).
    pub source: &'static OrgFinder,
    /// Collects the ids from one source element.
    pub ids_in: fn(&str, &mut BTreeSet<String>),
}

impl Endpoint {
    /// The resource name, for logs and errors.
    pub fn resource(&self) -> &'static str {
        match self {
            Endpoint::Organizations(b) => b.resource,
            Endpoint::OrgKeyed(e) => e.resource,
            Endpoint::OrgFinder(e) => e.resource,
            Endpoint::PostList(e) => e.resource,
            Endpoint::PostBatch(e) => e.resource,
            Endpoint::PostPaged(e) => e.resource,
            Endpoint::VideoVariants(e) => e.resource,
            Endpoint::GetAll(e) => e.resource,
            Endpoint::Geo(e) => e.batch.resource,
        }
    }

    /// Whether requests carry `X-RestLi-Method: FINDER`.
    pub fn finder_header(&self) -> bool {
        match self {
            Endpoint::PostList(_)
            | Endpoint::OrgFinder(_)
            | Endpoint::PostBatch(_)
            | Endpoint::VideoVariants(_) => true,
            Endpoint::PostPaged(e) => e.finder,
            _ => false,
        }
    }

    /// The stream whose posts a per-post stream iterates.
    pub fn post_source(&self) -> Option<&'static StreamDef> {
        match self {
            Endpoint::PostBatch(e) => Some(e.posts),
            Endpoint::PostPaged(e) => Some(e.posts),
            Endpoint::VideoVariants(e) => Some(e.posts),
            _ => None,
        }
    }

    /// A one-line description of the requests, for the stream reference.
    pub fn summary(&self) -> String {
        match *self {
            Endpoint::Organizations(b) => format!("GET /rest/{}?ids=List(…) — up to {} organizations per request", b.resource, b.max_ids),
            Endpoint::OrgKeyed(OrgKeyed { resource, query }) => format!("GET /rest/{resource}/{{organization}}?{query} — one request per organization"),
            Endpoint::OrgFinder(OrgFinder { resource, finder, param, time_bound, showcase }) => {
                let window = if time_bound.is_some() { "&timeIntervals=(…)" } else { "" };
                let per = match time_bound {
                    None => "one request per organization".to_string(),
                    Some(tb) => format!("one request per organization per sync, final data up to {} day(s) ago", tb.lag_days),
                };
                let showcase = showcase
                    .map(|s| format!("; showcase pages: GET /rest/{}?q={}&{}={{organizationBrand}}{window}", s.resource, s.finder, s.param))
                    .unwrap_or_default();
                format!("GET /rest/{resource}?q={finder}&{param}={{organization}}{window} — {per}{showcase}")
            }
            Endpoint::PostList(PostList { resource, finder, param, query, max_count }) => {
                format!("GET /rest/{resource}?q={finder}&{param}={{organization}}&{query} — {max_count} per page, newest first")
            }
            Endpoint::PostBatch(PostBatch { resource, param, max_ids, .. }) => {
                format!("GET /rest/{resource}?q=organizationalEntity&{param}={{organization}}&shares=List(…) (or ugcPosts) — {max_ids} posts per request")
            }
            Endpoint::PostPaged(PostPaged { path, query, max_count, .. }) => {
                let sep = if query.is_empty() { "" } else { "?" };
                format!("GET /rest/{path}{sep}{query} — {max_count} per page; only posts whose socialMetadata count changed")
            }
            Endpoint::VideoVariants(VideoVariants { resource, variants, .. }) => {
                format!("GET /rest/{resource}?q=entity&entity={{video post}}&type=… — one request per video and metric ({})", variants.join(", "))
            }
            Endpoint::GetAll(GetAll { resource, max_count, .. }) => format!("GET /rest/{resource} — {max_count} per page"),
            Endpoint::Geo(g) => format!("GET /rest/{}?ids=List(…) — the geo URNs of the follower breakdowns, {} per request", g.batch.resource, g.batch.max_ids),
        }
    }
}
