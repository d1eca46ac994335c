//! The stream table: every stream is one row of plain data (endpoint, partition, sync
//! mode, cursor, primary key, scopes, schema and decode functions), read by the one engine
//! in `engine.rs`. Adding a stream is adding a row and a record type.

pub mod permissions;
pub mod records;

use schemars::generate::{Contract, SchemaSettings};
use serde_json::{json, Value};

use crate::linkedin::restli::{encode, list, time_intervals};
use records::{Record, RecordCtx};

/// Decodes one LinkedIn element into a record written to `out`; returns its cursor.
pub type DecodeFn = fn(&RecordCtx, &str, &mut Vec<u8>) -> Result<Option<String>, String>;
/// Generates a stream's JSON Schema.
pub type SchemaFn = fn() -> Value;

/// How a stream's requests are shaped.
#[derive(Debug, Clone, Copy)]
pub enum Endpoint {
    /// `GET organizations?ids=List(..)` over every organization: a batch-get map.
    OrganizationsBatch { max_ids: usize },
    /// `GET {resource}/{encoded org URN}?{query}`: a bare object.
    OrgKeyed {
        resource: &'static str,
        query: &'static str,
    },
    /// `GET {resource}?q={finder}&{param}={org}[&timeIntervals=..]`: all elements at once.
    OrgFinder {
        resource: &'static str,
        finder: &'static str,
        param: &'static str,
        time_bound: Option<TimeBound>,
    },
    /// An offset-paged finder over one organization, newest first.
    OrgPaged {
        resource: &'static str,
        finder: &'static str,
        param: &'static str,
        query: &'static str,
        max_count: usize,
    },
    /// Per-post lifetime statistics in batches (`shares=List(..)` / `ugcPosts=List(..)`).
    PostBatch {
        resource: &'static str,
        finder: &'static str,
        param: &'static str,
        max_ids: usize,
    },
    /// Offset-paged requests per post; `{post}` in `path` is the encoded post URN.
    /// `activity` says which socialMetadata count tells whether a post changed.
    PostPaged {
        path: &'static str,
        query: &'static str,
        max_count: usize,
        finder: bool,
        newest_first: bool,
        activity: Activity,
    },
    /// One request per video post and variant (`type=`).
    VideoVariants {
        resource: &'static str,
        variants: &'static [&'static str],
    },
    /// `GET {resource}?start=..&count=..`: a whole standardized-data list.
    GetAll {
        resource: &'static str,
        max_count: usize,
    },
    /// `GET geo?ids=List(..)` for the geo URNs in the follower breakdowns.
    GeoBatch { max_ids: usize },
}

/// The per-post count (from batched socialMetadata) that changes when a child stream of
/// that post has something new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Top-level comments.
    Comments,
    /// Reactions of every type.
    Reactions,
}

/// Time-bound statistics: the API's lag before a day is final.
#[derive(Debug, Clone, Copy)]
pub struct TimeBound {
    pub lag_days: i64,
}

/// What a stream is partitioned by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// One partition for the whole sync.
    Global,
    /// One partition per organization (child streams iterate the org's posts).
    Organization,
}

/// One row of the table.
pub struct StreamDef {
    pub name: &'static str,
    pub description: &'static str,
    pub endpoint: Endpoint,
    pub partition: Partition,
    /// The cursor field for incremental reads; `None` means full refresh only.
    pub cursor: Option<&'static str>,
    pub primary_key: &'static [&'static str],
    /// The endpoints the stream reads, each a row of the permission table: the stream
    /// needs every one (each satisfied by any one of its scopes).
    pub needs: &'static [Permission],
    pub schema: SchemaFn,
    pub decode: DecodeFn,
}

impl std::fmt::Debug for StreamDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamDef")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl StreamDef {
    /// Whether the stream supports incremental sync.
    pub fn incremental(&self) -> bool {
        self.cursor.is_some()
    }
    /// Whether the stream iterates the posts of each organization.
    pub fn per_post(&self) -> bool {
        matches!(
            self.endpoint,
            Endpoint::PostBatch { .. }
                | Endpoint::PostPaged { .. }
                | Endpoint::VideoVariants { .. }
        )
    }
}

fn decode<T: Record>(
    ctx: &RecordCtx,
    raw: &str,
    out: &mut Vec<u8>,
) -> Result<Option<String>, String> {
    let mut rec: T = serde_json::from_str(raw).map_err(|e| e.to_string())?;
    rec.enrich(ctx);
    serde_json::to_writer(&mut *out, &rec).map_err(|e| e.to_string())?;
    Ok(rec.cursor())
}

/// The draft-07 JSON Schema of a record type, as Airbyte expects it: inline, open to
/// additional properties.
pub fn schema<T: Record>() -> Value {
    let mut settings = SchemaSettings::draft07();
    settings.inline_subschemas = true;
    settings.contract = Contract::Serialize;
    let root = settings.into_generator().into_root_schema_for::<T>();
    let mut v = root.to_value();
    if let Some(o) = v.as_object_mut() {
        o.remove("title");
        o.insert("additionalProperties".into(), json!(true));
    }
    no_boolean_subschemas(&mut v);
    v
}

/// Replaces boolean subschemas (`true`, "anything") under `properties` and `items` with
/// `{}`: the same meaning, but older draft-4 validators in Singer targets cannot read them.
fn no_boolean_subschemas(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, child) in o.iter_mut() {
                match (k.as_str(), &mut *child) {
                    ("properties", Value::Object(props)) => {
                        for p in props.values_mut() {
                            if p.is_boolean() {
                                *p = json!({});
                            }
                            no_boolean_subschemas(p);
                        }
                    }
                    ("items", c) if c.is_boolean() => *c = json!({}),
                    (_, c) => no_boolean_subschemas(c),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(no_boolean_subschemas),
        _ => {}
    }
}

use records as r;

use permissions as p;
use permissions::Permission;

const FOLLOWER_STATS: &str = "organizationalEntityFollowerStatistics";
const SHARE_STATS: &str = "organizationalEntityShareStatistics";
const PAGE_STATS: &str = "organizationPageStatistics";

/// Every stream the connector offers.
pub static STREAMS: &[StreamDef] = &[
    StreamDef {
        name: "organizations",
        description: "The pages read: name, vanity name, website, industry, size, locations.",
        endpoint: Endpoint::OrganizationsBatch { max_ids: 50 },
        partition: Partition::Global,
        cursor: None,
        primary_key: &["id"],
        needs: &[p::ORGANIZATIONS],
        schema: schema::<r::Organization>,
        decode: decode::<r::Organization>,
    },
    StreamDef {
        name: "follower_count",
        description: "Total followers of each page, one snapshot per sync day.",
        endpoint: Endpoint::OrgKeyed { resource: "networkSizes", query: "edgeType=COMPANY_FOLLOWED_BY_MEMBER" },
        partition: Partition::Organization,
        cursor: None,
        primary_key: &["organization", "snapshot_date"],
        needs: &[p::NETWORK_SIZES],
        schema: schema::<r::FollowerCount>,
        decode: decode::<r::FollowerCount>,
    },
    StreamDef {
        name: "follower_statistics",
        description: "Lifetime follower demographics: by association, seniority, industry, function, company size, country and region.",
        endpoint: Endpoint::OrgFinder { resource: FOLLOWER_STATS, finder: "organizationalEntity", param: "organizationalEntity", time_bound: None },
        partition: Partition::Organization,
        cursor: None,
        primary_key: &["organization"],
        needs: &[p::FOLLOWER_STATISTICS],
        schema: schema::<r::FollowerStatistics>,
        decode: decode::<r::FollowerStatistics>,
    },
    StreamDef {
        name: "follower_statistics_daily",
        description: "Organic and paid follower gains per day (or month).",
        endpoint: Endpoint::OrgFinder { resource: FOLLOWER_STATS, finder: "organizationalEntity", param: "organizationalEntity", time_bound: Some(TimeBound { lag_days: 2 }) },
        partition: Partition::Organization,
        cursor: Some("date"),
        primary_key: &["organization", "time_granularity", "date"],
        needs: &[p::FOLLOWER_STATISTICS],
        schema: schema::<r::FollowerStatisticsDaily>,
        decode: decode::<r::FollowerStatisticsDaily>,
    },
    StreamDef {
        name: "share_statistics",
        description: "Lifetime organic share statistics of each page: impressions, clicks, reactions, comments, shares, engagement.",
        endpoint: Endpoint::OrgFinder { resource: SHARE_STATS, finder: "organizationalEntity", param: "organizationalEntity", time_bound: None },
        partition: Partition::Organization,
        cursor: None,
        primary_key: &["organization"],
        needs: &[p::SHARE_STATISTICS],
        schema: schema::<r::ShareStatisticsLifetime>,
        decode: decode::<r::ShareStatisticsLifetime>,
    },
    StreamDef {
        name: "share_statistics_daily",
        description: "Organic share statistics per day (or month).",
        endpoint: Endpoint::OrgFinder { resource: SHARE_STATS, finder: "organizationalEntity", param: "organizationalEntity", time_bound: Some(TimeBound { lag_days: 1 }) },
        partition: Partition::Organization,
        cursor: Some("date"),
        primary_key: &["organization", "time_granularity", "date"],
        needs: &[p::SHARE_STATISTICS],
        schema: schema::<r::ShareStatisticsDaily>,
        decode: decode::<r::ShareStatisticsDaily>,
    },
    StreamDef {
        name: "page_statistics",
        description: "Lifetime page views and clicks by section and device, with demographic breakdowns.",
        endpoint: Endpoint::OrgFinder { resource: PAGE_STATS, finder: "organization", param: "organization", time_bound: None },
        partition: Partition::Organization,
        cursor: None,
        primary_key: &["organization"],
        needs: &[p::PAGE_STATISTICS],
        schema: schema::<r::PageStatisticsLifetime>,
        decode: decode::<r::PageStatisticsLifetime>,
    },
    StreamDef {
        name: "page_statistics_daily",
        description: "Page views and clicks per day (or month).",
        endpoint: Endpoint::OrgFinder { resource: PAGE_STATS, finder: "organization", param: "organization", time_bound: Some(TimeBound { lag_days: 1 }) },
        partition: Partition::Organization,
        cursor: Some("date"),
        primary_key: &["organization", "time_granularity", "date"],
        needs: &[p::PAGE_STATISTICS],
        schema: schema::<r::PageStatisticsDaily>,
        decode: decode::<r::PageStatisticsDaily>,
    },
    StreamDef {
        name: "posts",
        description: "Posts authored by each page (shares and ugcPosts), incremental on last modification.",
        endpoint: Endpoint::OrgPaged { resource: "posts", finder: "author", param: "author", query: "sortBy=LAST_MODIFIED", max_count: 100 },
        partition: Partition::Organization,
        cursor: Some("last_modified_at"),
        primary_key: &["id"],
        needs: &[p::POSTS],
        schema: schema::<r::Post>,
        decode: decode::<r::Post>,
    },
    StreamDef {
        name: "post_statistics",
        description: "Lifetime statistics of every post (impressions, clicks, reactions, comments, shares, engagement).",
        endpoint: Endpoint::PostBatch { resource: SHARE_STATS, finder: "organizationalEntity", param: "organizationalEntity", max_ids: 50 },
        partition: Partition::Organization,
        cursor: None,
        primary_key: &["post"],
        needs: &[p::POSTS, p::SHARE_STATISTICS],
        schema: schema::<r::PostStatistics>,
        decode: decode::<r::PostStatistics>,
    },
    StreamDef {
        name: "post_comments",
        description: "Comments on the pages' posts, incremental on last modification.",
        endpoint: Endpoint::PostPaged { path: "socialActions/{post}/comments", query: "", max_count: 100, finder: false, newest_first: false, activity: Activity::Comments },
        partition: Partition::Organization,
        cursor: Some("last_modified_at"),
        primary_key: &["comment_urn"],
        needs: &[p::POSTS, p::COMMENTS],
        schema: schema::<r::Comment>,
        decode: decode::<r::Comment>,
    },
    StreamDef {
        name: "post_reactions",
        description: "Reactions (like, celebrate, support, love, insightful, funny) on the pages' posts.",
        endpoint: Endpoint::PostPaged { path: "reactions/(entity:{post})", query: "q=entity&sort=(value:REVERSE_CHRONOLOGICAL)", max_count: 100, finder: true, newest_first: true, activity: Activity::Reactions },
        partition: Partition::Organization,
        cursor: Some("created_at"),
        primary_key: &["id"],
        needs: &[p::POSTS, p::REACTIONS],
        schema: schema::<r::Reaction>,
        decode: decode::<r::Reaction>,
    },
    StreamDef {
        name: "video_statistics",
        description: "Lifetime views, viewers and watch time of every video post.",
        endpoint: Endpoint::VideoVariants { resource: "videoAnalytics", variants: &["VIDEO_VIEW", "VIEWER", "TIME_WATCHED", "TIME_WATCHED_FOR_VIDEO_VIEWS"] },
        partition: Partition::Organization,
        cursor: None,
        primary_key: &["post", "metric"],
        needs: &[p::POSTS, p::VIDEO_ANALYTICS],
        schema: schema::<r::VideoStatistic>,
        decode: decode::<r::VideoStatistic>,
    },
    StreamDef {
        name: "seniorities",
        description: "Names of the seniority URNs used in breakdowns.",
        endpoint: Endpoint::GetAll { resource: "seniorities", max_count: 100 },
        partition: Partition::Global,
        cursor: None,
        primary_key: &["id"],
        needs: &[p::SENIORITIES],
        schema: schema::<r::Taxonomy>,
        decode: decode::<r::Taxonomy>,
    },
    StreamDef {
        name: "functions",
        description: "Names of the job-function URNs used in breakdowns.",
        endpoint: Endpoint::GetAll { resource: "functions", max_count: 100 },
        partition: Partition::Global,
        cursor: None,
        primary_key: &["id"],
        needs: &[p::FUNCTIONS],
        schema: schema::<r::Taxonomy>,
        decode: decode::<r::Taxonomy>,
    },
    StreamDef {
        name: "industries",
        description: "Names of the industry URNs used in breakdowns.",
        endpoint: Endpoint::GetAll { resource: "industries", max_count: 100 },
        partition: Partition::Global,
        cursor: None,
        primary_key: &["id"],
        needs: &[p::INDUSTRIES],
        schema: schema::<r::Taxonomy>,
        decode: decode::<r::Taxonomy>,
    },
    StreamDef {
        name: "geo",
        description: "Names of the geo URNs (countries, regions) in the follower breakdowns.",
        endpoint: Endpoint::GeoBatch { max_ids: 100 },
        partition: Partition::Global,
        cursor: None,
        primary_key: &["id"],
        needs: &[p::FOLLOWER_STATISTICS, p::GEO],
        schema: schema::<r::Geo>,
        decode: decode::<r::Geo>,
    },
];

/// Looks a stream up by name.
pub fn find(name: &str) -> Option<&'static StreamDef> {
    STREAMS.iter().find(|s| s.name == name)
}

/// The inputs a request may need.
#[derive(Debug, Default, Clone)]
pub struct Params<'a> {
    pub org: Option<&'a str>,
    /// `[start_ms, end_ms)` and granularity of a time-bound request.
    pub window: Option<(i64, i64, &'a str)>,
    pub post: Option<&'a str>,
    pub ids: &'a [String],
    /// For post batches: `shares` or `ugcPosts`.
    pub id_param: Option<&'a str>,
    pub variant: Option<&'a str>,
    pub start: usize,
}

impl Endpoint {
    /// The resource name, for logs and errors.
    pub fn resource(&self) -> &'static str {
        match *self {
            Endpoint::OrganizationsBatch { .. } => "organizations",
            Endpoint::OrgKeyed { resource, .. }
            | Endpoint::OrgFinder { resource, .. }
            | Endpoint::OrgPaged { resource, .. }
            | Endpoint::PostBatch { resource, .. }
            | Endpoint::VideoVariants { resource, .. }
            | Endpoint::GetAll { resource, .. } => resource,
            Endpoint::PostPaged { path, .. } => {
                if path.starts_with("reactions") {
                    "reactions"
                } else {
                    "socialActions"
                }
            }
            Endpoint::GeoBatch { .. } => "geo",
        }
    }

    /// A one-line description of the requests, for the stream reference.
    pub fn summary(&self) -> String {
        match *self {
            Endpoint::OrganizationsBatch { max_ids } => format!("GET /rest/organizations?ids=List(…) — up to {max_ids} organizations per request"),
            Endpoint::OrgKeyed { resource, query } => format!("GET /rest/{resource}/{{organization}}?{query} — one request per organization"),
            Endpoint::OrgFinder { resource, finder, param, time_bound: None } => {
                format!("GET /rest/{resource}?q={finder}&{param}={{organization}} — one request per organization")
            }
            Endpoint::OrgFinder { resource, finder, param, time_bound: Some(tb) } => format!(
                "GET /rest/{resource}?q={finder}&{param}={{organization}}&timeIntervals=(…) — one request per organization per sync, final data up to {} day(s) ago",
                tb.lag_days
            ),
            Endpoint::OrgPaged { resource, finder, param, query, max_count } => {
                format!("GET /rest/{resource}?q={finder}&{param}={{organization}}&{query} — {max_count} per page, newest first")
            }
            Endpoint::PostBatch { resource, param, max_ids, .. } => {
                format!("GET /rest/{resource}?q=organizationalEntity&{param}={{organization}}&shares=List(…) (or ugcPosts) — {max_ids} posts per request")
            }
            Endpoint::PostPaged { path, query, max_count, .. } => {
                let sep = if query.is_empty() { "" } else { "?" };
                format!("GET /rest/{path}{sep}{query} — {max_count} per page; only posts whose socialMetadata count changed")
            }
            Endpoint::VideoVariants { resource, variants } => {
                format!("GET /rest/{resource}?q=entity&entity={{video post}}&type=… — one request per video and metric ({})", variants.join(", "))
            }
            Endpoint::GetAll { resource, max_count } => format!("GET /rest/{resource} — {max_count} per page"),
            Endpoint::GeoBatch { max_ids } => format!("GET /rest/geo?ids=List(…) — the geo URNs of the follower breakdowns, {max_ids} per request"),
        }
    }

    /// Whether requests carry `X-RestLi-Method: FINDER`.
    pub fn finder_header(&self) -> bool {
        match *self {
            Endpoint::OrgPaged { .. }
            | Endpoint::OrgFinder { .. }
            | Endpoint::PostBatch { .. }
            | Endpoint::VideoVariants { .. } => true,
            Endpoint::PostPaged { finder, .. } => finder,
            _ => false,
        }
    }

    /// The page size requested (paged endpoints).
    pub fn page_size(&self) -> usize {
        match *self {
            Endpoint::OrgPaged { max_count, .. }
            | Endpoint::PostPaged { max_count, .. }
            | Endpoint::GetAll { max_count, .. } => max_count,
            _ => 0,
        }
    }

    /// The path and query (relative to the REST base) of one request.
    pub fn path(&self, p: &Params) -> String {
        let org = p.org.map(encode).unwrap_or_default();
        match *self {
            Endpoint::OrganizationsBatch { .. } | Endpoint::GeoBatch { .. } => {
                format!("{}?ids={}", self.resource(), list_raw(p.ids))
            }
            Endpoint::OrgKeyed { resource, query } => format!("{resource}/{org}?{query}"),
            Endpoint::OrgFinder {
                resource,
                finder,
                param,
                ..
            } => {
                let mut s = format!("{resource}?q={finder}&{param}={org}");
                if let Some((start, end, gran)) = p.window {
                    s.push_str(&format!(
                        "&timeIntervals={}",
                        time_intervals(start, end, gran)
                    ));
                }
                s
            }
            Endpoint::OrgPaged {
                resource,
                finder,
                param,
                query,
                max_count,
            } => {
                format!(
                    "{resource}?q={finder}&{param}={org}&{query}&start={}&count={max_count}",
                    p.start
                )
            }
            Endpoint::PostBatch {
                resource,
                finder,
                param,
                ..
            } => format!(
                "{resource}?q={finder}&{param}={org}&{}={}",
                p.id_param.unwrap_or("shares"),
                list(p.ids)
            ),
            Endpoint::PostPaged {
                path,
                query,
                max_count,
                ..
            } => {
                let path = path.replace("{post}", &encode(p.post.unwrap_or_default()));
                let sep = if query.is_empty() { "" } else { "&" };
                format!("{path}?{query}{sep}start={}&count={max_count}", p.start)
            }
            Endpoint::VideoVariants { resource, .. } => format!(
                "{resource}?q=entity&entity={}&type={}&aggregation=ALL",
                encode(p.post.unwrap_or_default()),
                p.variant.unwrap_or_default()
            ),
            Endpoint::GetAll {
                resource,
                max_count,
            } => format!("{resource}?start={}&count={max_count}", p.start),
        }
    }
}

/// `List(..)` of numeric ids (no encoding needed, none applied).
fn list_raw(ids: &[String]) -> String {
    format!("List({})", ids.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(name: &str, p: Params) -> String {
        find(name).unwrap().endpoint.path(&p)
    }

    const ORG: Option<&str> = Some("urn:li:organization:2414183");

    #[test]
    fn exact_urls_per_stream() {
        let ids = vec!["2414183".to_string(), "2415192".to_string()];
        assert_eq!(
            path(
                "organizations",
                Params {
                    ids: &ids,
                    ..Default::default()
                }
            ),
            "organizations?ids=List(2414183,2415192)"
        );
        assert_eq!(
            path(
                "follower_count",
                Params {
                    org: ORG,
                    ..Default::default()
                }
            ),
            "networkSizes/urn%3Ali%3Aorganization%3A2414183?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
        );
        assert_eq!(path("follower_statistics", Params { org: ORG, ..Default::default() }),
            "organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183");
        assert_eq!(path("follower_statistics_daily", Params { org: ORG, window: Some((1, 2, "DAY")), ..Default::default() }),
            "organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183&timeIntervals=(timeRange:(start:1,end:2),timeGranularityType:DAY)");
        assert_eq!(path("share_statistics", Params { org: ORG, ..Default::default() }),
            "organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183");
        assert_eq!(path("share_statistics_daily", Params { org: ORG, window: Some((3, 4, "MONTH")), ..Default::default() }),
            "organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183&timeIntervals=(timeRange:(start:3,end:4),timeGranularityType:MONTH)");
        assert_eq!(path("page_statistics", Params { org: ORG, ..Default::default() }),
            "organizationPageStatistics?q=organization&organization=urn%3Ali%3Aorganization%3A2414183");
        assert_eq!(path("page_statistics_daily", Params { org: ORG, window: Some((5, 6, "DAY")), ..Default::default() }),
            "organizationPageStatistics?q=organization&organization=urn%3Ali%3Aorganization%3A2414183&timeIntervals=(timeRange:(start:5,end:6),timeGranularityType:DAY)");
        assert_eq!(path("posts", Params { org: ORG, start: 200, ..Default::default() }),
            "posts?q=author&author=urn%3Ali%3Aorganization%3A2414183&sortBy=LAST_MODIFIED&start=200&count=100");
        let posts = vec!["urn:li:share:1".to_string(), "urn:li:share:2".to_string()];
        assert_eq!(path("post_statistics", Params { org: ORG, ids: &posts, id_param: Some("shares"), ..Default::default() }),
            "organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183&shares=List(urn%3Ali%3Ashare%3A1,urn%3Ali%3Ashare%3A2)");
        assert_eq!(
            path(
                "post_comments",
                Params {
                    post: Some("urn:li:share:1"),
                    start: 100,
                    ..Default::default()
                }
            ),
            "socialActions/urn%3Ali%3Ashare%3A1/comments?start=100&count=100"
        );
        assert_eq!(path("post_reactions", Params { post: Some("urn:li:ugcPost:9"), ..Default::default() }),
            "reactions/(entity:urn%3Ali%3AugcPost%3A9)?q=entity&sort=(value:REVERSE_CHRONOLOGICAL)&start=0&count=100");
        assert_eq!(
            path(
                "video_statistics",
                Params {
                    post: Some("urn:li:ugcPost:9"),
                    variant: Some("VIEWER"),
                    ..Default::default()
                }
            ),
            "videoAnalytics?q=entity&entity=urn%3Ali%3AugcPost%3A9&type=VIEWER&aggregation=ALL"
        );
        for (name, res) in [
            ("seniorities", "seniorities"),
            ("functions", "functions"),
            ("industries", "industries"),
        ] {
            assert_eq!(
                path(name, Params::default()),
                format!("{res}?start=0&count=100")
            );
        }
        let geos = vec!["103644278".to_string()];
        assert_eq!(
            path(
                "geo",
                Params {
                    ids: &geos,
                    ..Default::default()
                }
            ),
            "geo?ids=List(103644278)"
        );
    }

    #[test]
    fn schemas_have_no_boolean_subschemas() {
        fn walk(v: &Value, path: &str) {
            if let Value::Object(o) = v {
                for (k, c) in o {
                    if (k == "items" && c.is_boolean())
                        || (k == "properties"
                            && c.as_object()
                                .is_some_and(|p| p.values().any(Value::is_boolean)))
                    {
                        panic!("boolean subschema at {path}/{k}");
                    }
                    walk(c, &format!("{path}/{k}"));
                }
            }
        }
        for s in STREAMS {
            walk(&(s.schema)(), s.name);
        }
    }

    #[test]
    fn table_is_consistent() {
        let mut names = std::collections::HashSet::new();
        for s in STREAMS {
            assert!(names.insert(s.name), "duplicate stream {}", s.name);
            let schema = (s.schema)();
            let props = schema["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{} has no properties", s.name));
            for k in s.primary_key {
                assert!(
                    props.contains_key(*k),
                    "{}: primary key {k} not in schema",
                    s.name
                );
            }
            if let Some(c) = s.cursor {
                assert!(
                    props.contains_key(c),
                    "{}: cursor {c} not in schema",
                    s.name
                );
            }
        }
    }
}
