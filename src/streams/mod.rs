//! The stream table: every stream is one row of plain data (endpoint, partition, sync
//! mode, cursor, primary key, the permission rows it needs, schema and decode functions),
//! read by the one engine in `engine/`. Adding a stream is adding a row and a record type.

pub(crate) mod activity;
pub mod endpoint;
pub mod permissions;
pub mod records;

use std::collections::BTreeSet;

use schemars::generate::{Contract, SchemaSettings};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::domain::urn::PostUrn;
use crate::domain::Cursor;
pub use activity::Activity;
pub use endpoint::{
    Endpoint, GeoBatch, GetAll, IdsBatch, OrgFinder, OrgKeyed, PostBatch, PostList, PostPaged,
    Replies, Showcase, TimeBound, VideoVariants, Window,
};
use records::{DecodedPage, Record, RecordCtx};

/// Decodes one LinkedIn element into a record written to `out`; returns its cursor.
pub type DecodeFn = fn(&RecordCtx, &str, &mut Vec<u8>) -> Result<Option<Cursor>, String>;
/// Decodes a whole collection page in one pass (the fast path; see `records::page`).
pub type PageDecodeFn = fn(&RecordCtx, &[u8]) -> Result<DecodedPage, serde_json::Error>;
/// Generates a stream's JSON Schema.
pub type SchemaFn = fn() -> Value;

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
    pub decode_page: PageDecodeFn,
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
        self.endpoint.post_source().is_some()
    }
}

fn decode<T: Record>(
    ctx: &RecordCtx,
    raw: &str,
    out: &mut Vec<u8>,
) -> Result<Option<Cursor>, String> {
    records::decode::<T>(ctx, raw, out)
}

/// The draft-07 JSON Schema of a record type, as Airbyte expects it: inline, every emitted
/// field declared (see `records::finish_schema`).
pub(crate) fn schema<T: Record>() -> Value {
    let mut settings = SchemaSettings::draft07();
    settings.inline_subschemas = true;
    settings.contract = Contract::Serialize;
    let root = settings.into_generator().into_root_schema_for::<T>();
    let mut v = root.to_value();
    if let Some(o) = v.as_object_mut() {
        o.remove("title");
    }
    records::finish_schema(&mut v);
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

/// Lifetime follower statistics: the follower_statistics stream, and the source of the
/// geo ids the geo stream names (read once per organization and shared).
const FOLLOWER_LIFETIME: OrgFinder = OrgFinder {
    resource: FOLLOWER_STATS,
    finder: "organizationalEntity",
    param: "organizationalEntity",
    time_bound: None,
    showcase: None,
};

/// Lifetime page statistics. Showcase pages have their own resource:
/// "organizationPageStatistics and brandPageStatistics allow you to retrieve … for an
/// organization or organization brand page respectively", queried with
/// `q=brand&brand={organizationBrand URN}`
/// (<https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/page-statistics>).
const PAGE_LIFETIME: OrgFinder = OrgFinder {
    resource: PAGE_STATS,
    finder: "organization",
    param: "organization",
    time_bound: None,
    showcase: Some(Showcase {
        resource: "brandPageStatistics",
        finder: "brand",
        param: "brand",
    }),
};

/// The posts stream: its post list is also what the per-post streams iterate.
const POSTS_STREAM: StreamDef = StreamDef {
    name: "posts",
    description:
        "Posts authored by each page (shares and ugcPosts), incremental on last modification.",
    endpoint: Endpoint::PostList(PostList {
        resource: "posts",
        finder: "author",
        param: "author",
        query: "sortBy=LAST_MODIFIED",
        max_count: 100,
    }),
    partition: Partition::Organization,
    cursor: Some("last_modified_at"),
    primary_key: &["id"],
    needs: &[p::POSTS],
    schema: schema::<r::Post>,
    decode: decode::<r::Post>,
    decode_page: records::decode_page::<r::Post>,
};

/// Replies to comments: "Get Comments on Comments", `GET /rest/socialActions/{comment
/// URN}/comments`, whose elements are comments with `parentComment`
/// (<https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api>).
const COMMENT_REPLIES: Replies = Replies {
    path: "socialActions/{parent}/comments",
    max_count: 100,
    parent_of: comment_with_replies,
};

/// The URN of a comment element whose `commentsSummary` counts replies.
fn comment_with_replies(raw: &str) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Head {
        comment_urn: Option<String>,
        #[serde(rename = "$URN")]
        urn: Option<String>,
        object: Option<String>,
        id: Option<String>,
        comments_summary: Option<Summary>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Summary {
        total_first_level_comments: Option<i64>,
        aggregated_total_comments: Option<i64>,
    }
    let head: Head = serde_json::from_str(raw).ok()?;
    let summary = head.comments_summary?;
    let replies = summary
        .total_first_level_comments
        .or(summary.aggregated_total_comments)
        .unwrap_or(0);
    if replies <= 0 {
        return None;
    }
    records::comment_urn(
        head.comment_urn.as_deref(),
        head.urn.as_deref(),
        head.object.as_deref(),
        head.id.as_deref(),
    )
}

/// Every stream the connector offers.
pub static STREAMS: &[StreamDef] = &[
    StreamDef {
        name: "organizations",
        description: "The pages read: name, vanity name, website, industry, size, locations.",
        endpoint: Endpoint::Organizations(IdsBatch { resource: "organizations", max_ids: 50 }),
        partition: Partition::Global,
        cursor: None,
        primary_key: &["id"],
        needs: &[p::ORGANIZATIONS],
        schema: schema::<r::Organization>,
        decode: decode::<r::Organization>,
        decode_page: records::decode_page::<r::Organization>,
    },
    StreamDef {
        name: "follower_count",
        description: "Total followers of each page, one snapshot per sync day.",
        endpoint: Endpoint::OrgKeyed(OrgKeyed { resource: "networkSizes", query: "edgeType=COMPANY_FOLLOWED_BY_MEMBER" }),
        partition: Partition::Organization,
        cursor: None,
        primary_key: &["organization", "snapshot_date"],
        needs: &[p::NETWORK_SIZES],
        schema: schema::<r::FollowerCount>,
        decode: decode::<r::FollowerCount>,
        decode_page: records::decode_page::<r::FollowerCount>,
    },
    StreamDef {
        name: "follower_statistics",
        description: "Lifetime follower demographics: by association, seniority, industry, function, company size, country and region.",
        endpoint: Endpoint::OrgFinder(FOLLOWER_LIFETIME),
        partition: Partition::Organization,
        cursor: None,
        primary_key: &["organization"],
        needs: &[p::FOLLOWER_STATISTICS],
        schema: schema::<r::FollowerStatistics>,
        decode: decode::<r::FollowerStatistics>,
        decode_page: records::decode_page::<r::FollowerStatistics>,
    },
    StreamDef {
        name: "follower_statistics_daily",
        description: "Organic and paid follower gains per day (or month).",
        endpoint: Endpoint::OrgFinder(OrgFinder { time_bound: Some(TimeBound { lag_days: 2 }), ..FOLLOWER_LIFETIME }),
        partition: Partition::Organization,
        cursor: Some("date"),
        primary_key: &["organization", "time_granularity", "date"],
        needs: &[p::FOLLOWER_STATISTICS],
        schema: schema::<r::FollowerStatisticsDaily>,
        decode: decode::<r::FollowerStatisticsDaily>,
        decode_page: records::decode_page::<r::FollowerStatisticsDaily>,
    },
    StreamDef {
        name: "share_statistics",
        description: "Lifetime organic share statistics of each page: impressions, clicks, reactions, comments, shares, engagement.",
        endpoint: Endpoint::OrgFinder(OrgFinder { resource: SHARE_STATS, finder: "organizationalEntity", param: "organizationalEntity", time_bound: None, showcase: None }),
        partition: Partition::Organization,
        cursor: None,
        primary_key: &["organization"],
        needs: &[p::SHARE_STATISTICS],
        schema: schema::<r::ShareStatisticsLifetime>,
        decode: decode::<r::ShareStatisticsLifetime>,
        decode_page: records::decode_page::<r::ShareStatisticsLifetime>,
    },
    StreamDef {
        name: "share_statistics_daily",
        description: "Organic share statistics per day (or month).",
        endpoint: Endpoint::OrgFinder(OrgFinder { resource: SHARE_STATS, finder: "organizationalEntity", param: "organizationalEntity", time_bound: Some(TimeBound { lag_days: 1 }), showcase: None }),
        partition: Partition::Organization,
        cursor: Some("date"),
        primary_key: &["organization", "time_granularity", "date"],
        needs: &[p::SHARE_STATISTICS],
        schema: schema::<r::ShareStatisticsDaily>,
        decode: decode::<r::ShareStatisticsDaily>,
        decode_page: records::decode_page::<r::ShareStatisticsDaily>,
    },
    StreamDef {
        name: "page_statistics",
        description: "Lifetime page views and clicks by section and device, with demographic breakdowns.",
        endpoint: Endpoint::OrgFinder(PAGE_LIFETIME),
        partition: Partition::Organization,
        cursor: None,
        primary_key: &["organization"],
        needs: &[p::PAGE_STATISTICS],
        schema: schema::<r::PageStatisticsLifetime>,
        decode: decode::<r::PageStatisticsLifetime>,
        decode_page: records::decode_page::<r::PageStatisticsLifetime>,
    },
    StreamDef {
        name: "page_statistics_daily",
        description: "Page views and clicks per day (or month).",
        endpoint: Endpoint::OrgFinder(OrgFinder { time_bound: Some(TimeBound { lag_days: 1 }), ..PAGE_LIFETIME }),
        partition: Partition::Organization,
        cursor: Some("date"),
        primary_key: &["organization", "time_granularity", "date"],
        needs: &[p::PAGE_STATISTICS],
        schema: schema::<r::PageStatisticsDaily>,
        decode: decode::<r::PageStatisticsDaily>,
        decode_page: records::decode_page::<r::PageStatisticsDaily>,
    },
    POSTS_STREAM,
    StreamDef {
        name: "post_statistics",
        description: "Lifetime statistics of every post (impressions, clicks, reactions, comments, shares, engagement).",
        endpoint: Endpoint::PostBatch(PostBatch { resource: SHARE_STATS, finder: "organizationalEntity", param: "organizationalEntity", max_ids: 50, posts: &POSTS_STREAM }),
        partition: Partition::Organization,
        cursor: None,
        primary_key: &["post"],
        needs: &[p::POSTS, p::SHARE_STATISTICS],
        schema: schema::<r::PostStatistics>,
        decode: decode::<r::PostStatistics>,
        decode_page: records::decode_page::<r::PostStatistics>,
    },
    StreamDef {
        name: "post_comments",
        description: "Comments on the pages' posts, incremental on last modification.",
        endpoint: Endpoint::PostPaged(PostPaged { resource: "socialActions", path: "socialActions/{post}/comments", query: "", max_count: 100, finder: false, newest_first: false, activity: Activity::Comments, posts: &POSTS_STREAM, replies: Some(COMMENT_REPLIES) }),
        partition: Partition::Organization,
        cursor: Some("last_modified_at"),
        primary_key: &["comment_urn"],
        needs: &[p::POSTS, p::COMMENTS],
        schema: schema::<r::Comment>,
        decode: decode::<r::Comment>,
        decode_page: records::decode_page::<r::Comment>,
    },
    StreamDef {
        name: "post_reactions",
        description: "Reactions (like, celebrate, support, love, insightful, funny) on the pages' posts.",
        endpoint: Endpoint::PostPaged(PostPaged { resource: "reactions", path: "reactions/(entity:{post})", query: "q=entity&sort=(value:REVERSE_CHRONOLOGICAL)", max_count: 100, finder: true, newest_first: true, activity: Activity::Reactions, posts: &POSTS_STREAM, replies: None }),
        partition: Partition::Organization,
        cursor: Some("created_at"),
        primary_key: &["id"],
        needs: &[p::POSTS, p::REACTIONS],
        schema: schema::<r::Reaction>,
        decode: decode::<r::Reaction>,
        decode_page: records::decode_page::<r::Reaction>,
    },
    StreamDef {
        name: "video_statistics",
        description: "Lifetime views, viewers and watch time of every video post.",
        endpoint: Endpoint::VideoVariants(VideoVariants { resource: "videoAnalytics", variants: &["VIDEO_VIEW", "VIEWER", "TIME_WATCHED", "TIME_WATCHED_FOR_VIDEO_VIEWS"], posts: &POSTS_STREAM }),
        partition: Partition::Organization,
        cursor: None,
        primary_key: &["post", "metric"],
        needs: &[p::POSTS, p::VIDEO_ANALYTICS],
        schema: schema::<r::VideoStatistic>,
        decode: decode::<r::VideoStatistic>,
        decode_page: records::decode_page::<r::VideoStatistic>,
    },
    StreamDef {
        name: "seniorities",
        description: "Names of the seniority URNs used in breakdowns.",
        endpoint: Endpoint::GetAll(GetAll { resource: "seniorities", max_count: 100, variant: "seniority" }),
        partition: Partition::Global,
        cursor: None,
        primary_key: &["id"],
        needs: &[p::SENIORITIES],
        schema: schema::<r::Taxonomy>,
        decode: decode::<r::Taxonomy>,
        decode_page: records::decode_page::<r::Taxonomy>,
    },
    StreamDef {
        name: "functions",
        description: "Names of the job-function URNs used in breakdowns.",
        endpoint: Endpoint::GetAll(GetAll { resource: "functions", max_count: 100, variant: "function" }),
        partition: Partition::Global,
        cursor: None,
        primary_key: &["id"],
        needs: &[p::FUNCTIONS],
        schema: schema::<r::Taxonomy>,
        decode: decode::<r::Taxonomy>,
        decode_page: records::decode_page::<r::Taxonomy>,
    },
    StreamDef {
        name: "industries",
        description: "Names of the industry URNs used in breakdowns.",
        endpoint: Endpoint::GetAll(GetAll { resource: "industries", max_count: 100, variant: "industry" }),
        partition: Partition::Global,
        cursor: None,
        primary_key: &["id"],
        needs: &[p::INDUSTRIES],
        schema: schema::<r::Taxonomy>,
        decode: decode::<r::Taxonomy>,
        decode_page: records::decode_page::<r::Taxonomy>,
    },
    StreamDef {
        name: "geo",
        description: "Names of the geo URNs (countries, regions) in the follower breakdowns.",
        endpoint: Endpoint::Geo(GeoBatch { batch: IdsBatch { resource: "geo", max_ids: 100 }, source: &FOLLOWER_LIFETIME, ids_in: geo_ids }),
        partition: Partition::Global,
        cursor: None,
        primary_key: &["id"],
        needs: &[p::FOLLOWER_STATISTICS, p::GEO],
        schema: schema::<r::Geo>,
        decode: decode::<r::Geo>,
        decode_page: records::decode_page::<r::Geo>,
    },
];

/// Looks a stream up by name.
pub fn find(name: &str) -> Option<&'static StreamDef> {
    STREAMS.iter().find(|s| s.name == name)
}

/// What the per-post streams keep of each post of the post list.
#[derive(Debug, Clone)]
pub(crate) struct PostRef {
    pub urn: PostUrn,
    pub is_video: bool,
}

impl PostRef {
    /// The post URN and content type of one element of the post list.
    pub(crate) fn from_element(raw: &str) -> Result<PostRef, String> {
        #[derive(Deserialize)]
        struct PostHead {
            id: String,
            content: Option<serde_json::Map<String, Value>>,
        }
        let mut de = serde_json::Deserializer::from_str(raw);
        let head: PostHead = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let id = serde_json::from_str::<Value>(raw)
                .ok()
                .and_then(|v| v.get("id").map(Value::to_string))
                .unwrap_or_else(|| "without an id".into());
            let path = e.path().to_string();
            format!("post {id} at field `{path}`: {}", e.into_inner())
        })?;
        Ok(PostRef {
            is_video: records::content_type(head.content.as_ref()) == "video",
            urn: PostUrn::new(head.id),
        })
    }
}

/// Geo ids (`urn:li:geo:N` → `N`) in a lifetime follower statistics element.
fn geo_ids(raw: &str, ids: &mut BTreeSet<String>) {
    let Ok(v) = serde_json::from_str::<Value>(raw) else {
        return;
    };
    for key in ["followerCountsByGeoCountry", "followerCountsByGeo"] {
        for item in v.get(key).and_then(|a| a.as_array()).into_iter().flatten() {
            if let Some(id) = item
                .get("geo")
                .and_then(|g| g.as_str())
                .and_then(|g| g.strip_prefix("urn:li:geo:"))
            {
                ids.insert(id.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::urn::PostKind;
    use chrono::NaiveDate;

    const ORG: &str = "urn:li:organization:2414183";

    fn endpoint(name: &str) -> Endpoint {
        find(name).unwrap().endpoint
    }

    fn finder(name: &str) -> OrgFinder {
        match endpoint(name) {
            Endpoint::OrgFinder(f) => f,
            other => panic!("{name}: {other:?}"),
        }
    }

    fn window(start: &str, end: &str, granularity: crate::config::Granularity) -> Window {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Window {
            start: d(start),
            end: d(end),
            granularity,
        }
    }

    #[test]
    fn exact_urls_per_stream() {
        use crate::config::Granularity;
        let ids = vec!["2414183".to_string(), "2415192".to_string()];
        let Endpoint::Organizations(orgs) = endpoint("organizations") else {
            panic!()
        };
        assert_eq!(orgs.path(&ids), "organizations?ids=List(2414183,2415192)");
        let Endpoint::OrgKeyed(count) = endpoint("follower_count") else {
            panic!()
        };
        assert_eq!(
            count.path(ORG),
            "networkSizes/urn%3Ali%3Aorganization%3A2414183?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
        );
        assert_eq!(finder("follower_statistics").path(ORG),
            "organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183");
        // 2026-01-01 and 2026-01-02 midnights UTC.
        assert_eq!(finder("follower_statistics_daily").windowed_path(ORG, &window("2026-01-01", "2026-01-02", Granularity::DAY)),
            "organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183&timeIntervals=(timeRange:(start:1767225600000,end:1767312000000),timeGranularityType:DAY)");
        // Showcase pages: page statistics from brandPageStatistics (q=brand); the other
        // statistics take the brand URN as the organizational entity.
        let brand = "urn:li:organizationBrand:5";
        assert_eq!(
            finder("page_statistics").path(brand),
            "brandPageStatistics?q=brand&brand=urn%3Ali%3AorganizationBrand%3A5"
        );
        assert_eq!(
            finder("page_statistics").resource_for(brand),
            "brandPageStatistics"
        );
        assert_eq!(finder("page_statistics_daily").windowed_path(brand, &window("2026-01-01", "2026-01-02", Granularity::DAY)),
            "brandPageStatistics?q=brand&brand=urn%3Ali%3AorganizationBrand%3A5&timeIntervals=(timeRange:(start:1767225600000,end:1767312000000),timeGranularityType:DAY)");
        assert_eq!(finder("page_statistics").path(ORG),
            "organizationPageStatistics?q=organization&organization=urn%3Ali%3Aorganization%3A2414183");
        assert_eq!(finder("share_statistics").path(brand),
            "organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3AorganizationBrand%3A5");
        assert_eq!(finder("share_statistics").path(ORG),
            "organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183");
        assert_eq!(finder("share_statistics_daily").windowed_path(ORG, &window("2026-01-01", "2026-02-01", Granularity::MONTH)),
            "organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183&timeIntervals=(timeRange:(start:1767225600000,end:1769904000000),timeGranularityType:MONTH)");
        assert_eq!(finder("page_statistics").path(ORG),
            "organizationPageStatistics?q=organization&organization=urn%3Ali%3Aorganization%3A2414183");
        assert_eq!(finder("page_statistics_daily").windowed_path(ORG, &window("2026-01-01", "2026-01-02", Granularity::DAY)),
            "organizationPageStatistics?q=organization&organization=urn%3Ali%3Aorganization%3A2414183&timeIntervals=(timeRange:(start:1767225600000,end:1767312000000),timeGranularityType:DAY)");
        let Endpoint::PostList(posts) = endpoint("posts") else {
            panic!()
        };
        assert_eq!(posts.path(ORG, 200),
            "posts?q=author&author=urn%3Ali%3Aorganization%3A2414183&sortBy=LAST_MODIFIED&start=200&count=100");
        let (s1, s2) = (
            PostUrn::new("urn:li:share:1"),
            PostUrn::new("urn:li:share:2"),
        );
        let Endpoint::PostBatch(stats) = endpoint("post_statistics") else {
            panic!()
        };
        assert_eq!(stats.path(ORG, PostKind::Share, &[&s1, &s2]),
            "organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183&shares=List(urn%3Ali%3Ashare%3A1,urn%3Ali%3Ashare%3A2)");
        let ugc = PostUrn::new("urn:li:ugcPost:9");
        assert!(stats
            .path(ORG, PostKind::UgcPost, &[&ugc])
            .ends_with("&ugcPosts=List(urn%3Ali%3AugcPost%3A9)"));
        let Endpoint::PostPaged(comments) = endpoint("post_comments") else {
            panic!()
        };
        assert_eq!(
            comments.path(&s1, 100),
            "socialActions/urn%3Ali%3Ashare%3A1/comments?start=100&count=100"
        );
        let Endpoint::PostPaged(reactions) = endpoint("post_reactions") else {
            panic!()
        };
        assert_eq!(reactions.path(&ugc, 0),
            "reactions/(entity:urn%3Ali%3AugcPost%3A9)?q=entity&sort=(value:REVERSE_CHRONOLOGICAL)&start=0&count=100");
        let Endpoint::VideoVariants(video) = endpoint("video_statistics") else {
            panic!()
        };
        assert_eq!(
            video.path(&ugc, "VIEWER"),
            "videoAnalytics?q=entity&entity=urn%3Ali%3AugcPost%3A9&type=VIEWER&aggregation=ALL"
        );
        for (name, res) in [
            ("seniorities", "seniorities"),
            ("functions", "functions"),
            ("industries", "industries"),
        ] {
            let Endpoint::GetAll(all) = endpoint(name) else {
                panic!()
            };
            assert_eq!(all.path(0), format!("{res}?start=0&count=100"));
        }
        let geos = vec!["103644278".to_string()];
        let Endpoint::Geo(geo) = endpoint("geo") else {
            panic!()
        };
        assert_eq!(geo.batch.path(&geos), "geo?ids=List(103644278)");
        // Geo reads its ids from the follower_statistics stream's lifetime request.
        assert_eq!(
            geo.source.path(ORG),
            finder("follower_statistics").path(ORG)
        );
    }

    #[test]
    fn per_post_streams_iterate_the_posts_stream() {
        for s in STREAMS.iter().filter(|s| s.per_post()) {
            assert_eq!(
                s.endpoint.post_source().unwrap().name,
                "posts",
                "{}",
                s.name
            );
        }
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
