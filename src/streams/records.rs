//! One typed record per stream. Each struct deserialises LinkedIn's element (camelCase)
//! and serialises the record (snake_case), and its JSON Schema is generated from the same
//! struct, so data and schema cannot drift. Fields LinkedIn adds later land in `extra` and
//! are kept (with snake_case keys) rather than dropped.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SecondsFormat};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::config::Granularity;

/// A free-form JSON object LinkedIn sends (content, distribution, ...): typed as an object
/// in the schema, so warehouses make it a JSON column.
pub type JsonObject = serde_json::Map<String, Value>;

/// What the engine knows about the partition a record came from.
pub struct RecordCtx<'a> {
    /// Organization (or brand) URN.
    pub organization: &'a str,
    pub granularity: Granularity,
    /// The UTC date of the sync (for snapshot streams).
    pub snapshot_date: NaiveDate,
    /// The post a child record belongs to.
    pub post: Option<&'a str>,
    /// A request variant, e.g. the video metric type.
    pub variant: Option<&'a str>,
}

/// A stream's record type.
pub trait Record: Serialize + for<'de> Deserialize<'de> + JsonSchema {
    /// Fills the fields the engine knows (organization, post, dates).
    fn enrich(&mut self, ctx: &RecordCtx);
    /// The record's cursor value, for incremental streams (sortable text).
    fn cursor(&self) -> Option<String> {
        None
    }
}

/// Epoch milliseconds from LinkedIn, written as an RFC 3339 UTC timestamp with millis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// RFC 3339 text, fixed width so it sorts lexically.
    pub fn to_rfc3339(self) -> String {
        DateTime::from_timestamp_millis(self.0)
            .unwrap_or_default()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }
    /// The UTC date.
    pub fn date(self) -> NaiveDate {
        DateTime::from_timestamp_millis(self.0)
            .unwrap_or_default()
            .date_naive()
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_i64()
                .map(Timestamp)
                .ok_or_else(|| D::Error::custom("timestamp out of range")),
            Value::String(s) => DateTime::parse_from_rfc3339(&s)
                .map(|t| Timestamp(t.timestamp_millis()))
                .map_err(|_| D::Error::custom(format!("'{s}' is not a timestamp"))),
            other => Err(D::Error::custom(format!(
                "expected epoch milliseconds, got {other}"
            ))),
        }
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "date-time", "airbyte_type": "timestamp_with_timezone"})
    }
    fn inline_schema() -> bool {
        true
    }
}

/// Fields LinkedIn sent that this version does not know; written with snake_case keys.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Extra(pub BTreeMap<String, Value>);

fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for (i, c) in key.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '$' {
            continue;
        } else {
            out.push(c);
        }
    }
    out
}

impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(&snake(k), v)?;
        }
        m.end()
    }
}

/// LinkedIn's `{actor, time}` audit stamp.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct AuditStamp {
    pub actor: Option<String>,
    pub impersonator: Option<String>,
    pub time: Option<Timestamp>,
}

/// A time range `[start, end)`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct TimeRange {
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
}

fn org_id(urn: &str) -> Option<i64> {
    urn.rsplit(':').next().and_then(|n| n.parse().ok())
}

// ---------------------------------------------------------------- organizations

/// A localised string: `{localized: {en_US: ...}, preferred_locale: {...}}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct MultiLocaleString {
    pub localized: Option<BTreeMap<String, String>>,
    pub preferred_locale: Option<Locale>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Locale {
    pub country: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct Address {
    pub country: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub geographic_area: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct Location {
    pub location_type: Option<String>,
    pub address: Option<Address>,
    pub staff_count_range: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct FoundedOn {
    pub year: Option<i64>,
}

/// An organization (company or showcase page) the connector reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct Organization {
    pub id: i64,
    #[serde(skip_deserializing)]
    pub organization: String,
    pub localized_name: Option<String>,
    pub name: Option<MultiLocaleString>,
    pub vanity_name: Option<String>,
    pub localized_website: Option<String>,
    pub localized_description: Option<String>,
    pub primary_organization_type: Option<String>,
    pub organization_type: Option<String>,
    pub staff_count_range: Option<String>,
    #[serde(default)]
    pub industries: Vec<String>,
    pub founded_on: Option<FoundedOn>,
    #[serde(default)]
    pub locations: Vec<Location>,
    pub logo_v2: Option<JsonObject>,
    pub parent_relationship: Option<JsonObject>,
    pub version_tag: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for Organization {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.organization = if ctx.organization.is_empty() {
            format!("urn:li:organization:{}", self.id)
        } else {
            ctx.organization.to_string()
        };
        for k in ["$URN", "organization"] {
            self.extra.0.remove(k);
        }
    }
}

// ---------------------------------------------------------------- follower count

/// The page's total follower count, one snapshot per sync day.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct FollowerCount {
    #[serde(skip_deserializing)]
    pub organization: String,
    #[serde(skip_deserializing)]
    pub organization_id: Option<i64>,
    /// UTC date the count was taken.
    #[serde(skip_deserializing)]
    pub snapshot_date: NaiveDate,
    pub first_degree_size: Option<i64>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for FollowerCount {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.organization = ctx.organization.to_string();
        self.organization_id = org_id(ctx.organization);
        self.snapshot_date = ctx.snapshot_date;
    }
}

// ---------------------------------------------------------------- follower statistics

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct FollowerCounts {
    pub organic_follower_count: Option<i64>,
    pub paid_follower_count: Option<i64>,
}

macro_rules! facet {
    ($(#[$doc:meta])* $name:ident, $key:ident, $counts:ident : $cty:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all(deserialize = "camelCase"))]
        pub struct $name {
            pub $key: Option<String>,
            pub $counts: Option<$cty>,
            #[serde(flatten)]
            pub extra: Extra,
        }
    };
}

facet!(/// Followers by association (e.g. EMPLOYEE).
    ByAssociationType, association_type, follower_counts: FollowerCounts);
facet!(/// Followers by seniority URN (join with the seniorities stream).
    BySeniority, seniority, follower_counts: FollowerCounts);
facet!(/// Followers by industry URN (join with the industries stream).
    ByIndustry, industry, follower_counts: FollowerCounts);
facet!(/// Followers by job function URN (join with the functions stream).
    ByFunction, function, follower_counts: FollowerCounts);
facet!(/// Followers by company size band.
    ByStaffCountRange, staff_count_range, follower_counts: FollowerCounts);
facet!(/// Followers by geo URN (join with the geo stream).
    ByGeo, geo, follower_counts: FollowerCounts);

/// Lifetime follower demographics of a page (top 100 values per breakdown).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct FollowerStatistics {
    #[serde(rename(deserialize = "organizationalEntity"), default)]
    pub organization: String,
    #[serde(skip_deserializing)]
    pub organization_id: Option<i64>,
    #[serde(default)]
    pub follower_counts_by_association_type: Vec<ByAssociationType>,
    #[serde(default)]
    pub follower_counts_by_seniority: Vec<BySeniority>,
    #[serde(default)]
    pub follower_counts_by_industry: Vec<ByIndustry>,
    #[serde(default)]
    pub follower_counts_by_function: Vec<ByFunction>,
    #[serde(default)]
    pub follower_counts_by_staff_count_range: Vec<ByStaffCountRange>,
    #[serde(default)]
    pub follower_counts_by_geo_country: Vec<ByGeo>,
    #[serde(default)]
    pub follower_counts_by_geo: Vec<ByGeo>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for FollowerStatistics {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.organization = ctx.organization.to_string();
        self.organization_id = org_id(ctx.organization);
    }
}

/// Fields shared by every time-bound record.
macro_rules! time_bound {
    ($(#[$doc:meta])* $name:ident, $org_key:literal, $field:ident : $ty:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all(deserialize = "camelCase"))]
        pub struct $name {
            #[serde(rename(deserialize = $org_key), default)]
            pub organization: String,
            #[serde(skip_deserializing)]
            pub organization_id: Option<i64>,
            /// DAY or MONTH.
            #[serde(skip_deserializing)]
            pub time_granularity: String,
            /// UTC date the bucket starts (the cursor).
            #[serde(skip_deserializing)]
            pub date: NaiveDate,
            pub time_range: TimeRange,
            pub $field: Option<$ty>,
            #[serde(flatten)]
            pub extra: Extra,
        }

        impl Record for $name {
            fn enrich(&mut self, ctx: &RecordCtx) {
                self.organization = ctx.organization.to_string();
                self.organization_id = org_id(ctx.organization);
                self.time_granularity = ctx.granularity.as_str().to_string();
                self.date = self.time_range.start.unwrap_or_default().date();
            }
            fn cursor(&self) -> Option<String> {
                Some(self.date.to_string())
            }
        }
    };
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct FollowerGains {
    pub organic_follower_gain: Option<i64>,
    pub paid_follower_gain: Option<i64>,
}

time_bound!(/// New followers per day (or month); organic gains can be negative.
    FollowerStatisticsDaily, "organizationalEntity", follower_gains: FollowerGains);

// ---------------------------------------------------------------- share statistics

/// Organic share statistics. `engagement` = (clicks + likes + comments + shares) / impressions.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct ShareStatistics {
    pub impression_count: Option<i64>,
    pub unique_impressions_count: Option<i64>,
    pub click_count: Option<i64>,
    pub like_count: Option<i64>,
    pub comment_count: Option<i64>,
    pub share_count: Option<i64>,
    pub engagement: Option<f64>,
    pub share_mentions_count: Option<i64>,
    pub comment_mentions_count: Option<i64>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Lifetime organic share statistics of a page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct ShareStatisticsLifetime {
    #[serde(rename(deserialize = "organizationalEntity"), default)]
    pub organization: String,
    #[serde(skip_deserializing)]
    pub organization_id: Option<i64>,
    pub total_share_statistics: Option<ShareStatistics>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for ShareStatisticsLifetime {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.organization = ctx.organization.to_string();
        self.organization_id = org_id(ctx.organization);
    }
}

time_bound!(/// Organic share statistics per day (or month).
    ShareStatisticsDaily, "organizationalEntity", total_share_statistics: ShareStatistics);

/// Lifetime statistics of one post.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct PostStatistics {
    /// The post's URN (share or ugcPost).
    #[serde(skip_deserializing)]
    pub post: String,
    #[serde(rename(deserialize = "organizationalEntity"), default)]
    pub organization: String,
    #[serde(skip_deserializing)]
    pub organization_id: Option<i64>,
    pub total_share_statistics: Option<ShareStatistics>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for PostStatistics {
    fn enrich(&mut self, ctx: &RecordCtx) {
        let from_element = ["share", "ugcPost"]
            .iter()
            .find_map(|k| self.extra.0.remove(*k))
            .and_then(|v| v.as_str().map(str::to_string));
        self.post = from_element
            .or(ctx.post.map(str::to_string))
            .unwrap_or_default();
        self.organization = ctx.organization.to_string();
        self.organization_id = org_id(ctx.organization);
    }
}

// ---------------------------------------------------------------- page statistics

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct PageViews {
    pub page_views: Option<i64>,
    pub unique_page_views: Option<i64>,
}

macro_rules! views {
    ($($field:ident),* $(,)?) => {
        /// Page views by section and device.
        #[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all(deserialize = "camelCase"))]
        pub struct Views {
            $(pub $field: Option<PageViews>,)*
            #[serde(flatten)]
            pub extra: Extra,
        }
    };
}

views!(
    all_page_views,
    all_desktop_page_views,
    all_mobile_page_views,
    overview_page_views,
    desktop_overview_page_views,
    mobile_overview_page_views,
    about_page_views,
    desktop_about_page_views,
    mobile_about_page_views,
    careers_page_views,
    desktop_careers_page_views,
    mobile_careers_page_views,
    jobs_page_views,
    desktop_jobs_page_views,
    mobile_jobs_page_views,
    life_at_page_views,
    desktop_life_at_page_views,
    mobile_life_at_page_views,
    people_page_views,
    desktop_people_page_views,
    mobile_people_page_views,
    insights_page_views,
    desktop_insights_page_views,
    mobile_insights_page_views,
    products_page_views,
    desktop_products_page_views,
    mobile_products_page_views,
);

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct CareersClicks {
    pub careers_page_jobs_clicks: Option<i64>,
    pub careers_page_promo_links_clicks: Option<i64>,
    pub careers_page_banner_promo_clicks: Option<i64>,
    pub careers_page_employees_clicks: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct Clicks {
    pub careers_page_clicks: Option<CareersClicks>,
    pub mobile_careers_page_clicks: Option<CareersClicks>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Page views and clicks.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct PageStatistics {
    pub views: Option<Views>,
    pub clicks: Option<Clicks>,
}

facet!(/// Page views by seniority URN.
    PageBySeniority, seniority, page_statistics: PageStatistics);
facet!(/// Page views by function URN.
    PageByFunction, function, page_statistics: PageStatistics);
facet!(/// Page views by industry URN.
    PageByIndustry, industry_v2, page_statistics: PageStatistics);
facet!(/// Page views by company size band.
    PageByStaffCountRange, staff_count_range, page_statistics: PageStatistics);
facet!(/// Page views by geo URN.
    PageByGeo, geo, page_statistics: PageStatistics);

/// Lifetime page views and clicks of a page, with demographic breakdowns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct PageStatisticsLifetime {
    #[serde(default)]
    pub organization: String,
    #[serde(skip_deserializing)]
    pub organization_id: Option<i64>,
    pub total_page_statistics: Option<PageStatistics>,
    #[serde(default)]
    pub page_statistics_by_seniority: Vec<PageBySeniority>,
    #[serde(default)]
    pub page_statistics_by_function: Vec<PageByFunction>,
    #[serde(default)]
    pub page_statistics_by_industry_v2: Vec<PageByIndustry>,
    #[serde(default)]
    pub page_statistics_by_staff_count_range: Vec<PageByStaffCountRange>,
    #[serde(default)]
    pub page_statistics_by_geo_country: Vec<PageByGeo>,
    #[serde(default)]
    pub page_statistics_by_geo: Vec<PageByGeo>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for PageStatisticsLifetime {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.organization = ctx.organization.to_string();
        self.organization_id = org_id(ctx.organization);
    }
}

time_bound!(/// Page views and clicks per day (or month).
    PageStatisticsDaily, "organization", total_page_statistics: PageStatistics);

// ---------------------------------------------------------------- posts

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct LifecycleStateInfo {
    pub is_edited_by_author: Option<bool>,
}

/// A post (share or ugcPost) authored by the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct Post {
    /// The post URN (urn:li:share:… or urn:li:ugcPost:…).
    pub id: String,
    #[serde(skip_deserializing)]
    pub organization: String,
    #[serde(skip_deserializing)]
    pub organization_id: Option<i64>,
    pub author: Option<String>,
    /// Text in LinkedIn's little-text format (mentions and hashtags inline).
    pub commentary: Option<String>,
    pub visibility: Option<String>,
    pub lifecycle_state: Option<String>,
    pub lifecycle_state_info: Option<LifecycleStateInfo>,
    pub is_reshare_disabled_by_author: Option<bool>,
    pub distribution: Option<JsonObject>,
    /// One of media, article, multiImage, poll, celebration, reference, carousel.
    pub content: Option<JsonObject>,
    /// "video", "image", "article", "multi_image", "poll", "document", "text" or "other".
    #[serde(skip_deserializing)]
    pub content_type: String,
    pub content_landing_page: Option<String>,
    pub content_call_to_action_label: Option<String>,
    pub reshare_context: Option<JsonObject>,
    pub ad_context: Option<JsonObject>,
    pub created_at: Option<Timestamp>,
    pub published_at: Option<Timestamp>,
    /// The cursor.
    pub last_modified_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The kind of content a post carries, from its `content` object.
pub fn content_type(content: Option<&JsonObject>) -> &'static str {
    let Some(c) = content else {
        return "text";
    };
    if let Some(id) = c
        .get("media")
        .and_then(|m| m.get("id"))
        .and_then(Value::as_str)
    {
        return if id.starts_with("urn:li:video:") {
            "video"
        } else if id.starts_with("urn:li:document:") {
            "document"
        } else {
            "image"
        };
    }
    for (key, kind) in [
        ("article", "article"),
        ("multiImage", "multi_image"),
        ("poll", "poll"),
        ("carousel", "carousel"),
    ] {
        if c.contains_key(key) {
            return kind;
        }
    }
    "other"
}

impl Record for Post {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.organization = ctx.organization.to_string();
        self.organization_id = org_id(ctx.organization);
        self.content_type = content_type(self.content.as_ref()).to_string();
    }
    fn cursor(&self) -> Option<String> {
        self.last_modified_at.map(Timestamp::to_rfc3339)
    }
}

// ---------------------------------------------------------------- comments and reactions

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct CommentMessage {
    pub text: Option<String>,
    #[serde(default)]
    pub attributes: Vec<JsonObject>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct LikesSummary {
    pub total_likes: Option<i64>,
    pub liked_by_current_user: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct CommentsSummary {
    pub aggregated_total_comments: Option<i64>,
    pub total_first_level_comments: Option<i64>,
}

/// A comment on one of the page's posts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct Comment {
    /// urn:li:comment:(urn:li:activity:…,…)
    pub comment_urn: String,
    pub id: Option<String>,
    /// The post commented on.
    #[serde(skip_deserializing)]
    pub post: String,
    #[serde(skip_deserializing)]
    pub organization: String,
    pub actor: Option<String>,
    pub agent: Option<String>,
    pub object: Option<String>,
    pub parent_comment: Option<String>,
    pub message: Option<CommentMessage>,
    #[serde(default)]
    pub content: Vec<JsonObject>,
    pub created: Option<AuditStamp>,
    pub last_modified: Option<AuditStamp>,
    #[serde(skip_deserializing)]
    pub created_at: Option<Timestamp>,
    /// The cursor.
    #[serde(skip_deserializing)]
    pub last_modified_at: Option<Timestamp>,
    pub likes_summary: Option<LikesSummary>,
    pub comments_summary: Option<CommentsSummary>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for Comment {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.post = ctx.post.unwrap_or_default().to_string();
        self.organization = ctx.organization.to_string();
        self.created_at = self.created.as_ref().and_then(|c| c.time);
        self.last_modified_at = self
            .last_modified
            .as_ref()
            .and_then(|c| c.time)
            .or(self.created_at);
    }
    fn cursor(&self) -> Option<String> {
        self.last_modified_at.map(Timestamp::to_rfc3339)
    }
}

/// A reaction (like, celebrate, …) on one of the page's posts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct Reaction {
    /// urn:li:reaction:(actor,entity)
    pub id: String,
    #[serde(skip_deserializing)]
    pub post: String,
    #[serde(skip_deserializing)]
    pub organization: String,
    /// LIKE, PRAISE, EMPATHY, INTEREST, APPRECIATION or ENTERTAINMENT.
    pub reaction_type: Option<String>,
    pub root: Option<String>,
    pub created: Option<AuditStamp>,
    pub last_modified: Option<AuditStamp>,
    /// The cursor.
    #[serde(skip_deserializing)]
    pub created_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for Reaction {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.post = ctx.post.unwrap_or_default().to_string();
        self.organization = ctx.organization.to_string();
        self.created_at = self.created.as_ref().and_then(|c| c.time);
    }
    fn cursor(&self) -> Option<String> {
        self.created_at.map(Timestamp::to_rfc3339)
    }
}

/// A lifetime metric of one video post.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct VideoStatistic {
    /// The video post (urn:li:ugcPost:…).
    #[serde(rename(deserialize = "entity"), default)]
    pub post: String,
    #[serde(skip_deserializing)]
    pub organization: String,
    /// VIDEO_VIEW, VIEWER, TIME_WATCHED or TIME_WATCHED_FOR_VIDEO_VIEWS (milliseconds).
    #[serde(rename(deserialize = "type"), default)]
    pub metric: String,
    pub value: Option<i64>,
    pub time_range: Option<TimeRange>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for VideoStatistic {
    fn enrich(&mut self, ctx: &RecordCtx) {
        if self.post.is_empty() {
            self.post = ctx.post.unwrap_or_default().to_string();
        }
        if self.metric.is_empty() {
            self.metric = ctx.variant.unwrap_or_default().to_string();
        }
        self.organization = ctx.organization.to_string();
    }
}

// ---------------------------------------------------------------- lookups

/// A standardized-data entry (seniority, function or industry) to name facet URNs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Taxonomy {
    pub id: i64,
    /// The URN used in the statistics breakdowns.
    #[serde(rename(deserialize = "$URN"), default)]
    pub urn: String,
    /// English name.
    #[serde(skip_deserializing)]
    pub name_en: Option<String>,
    pub name: Option<MultiLocaleString>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for Taxonomy {
    fn enrich(&mut self, ctx: &RecordCtx) {
        if self.urn.is_empty() {
            self.urn = format!("urn:li:{}:{}", ctx.variant.unwrap_or("unknown"), self.id);
        }
        self.name_en = self
            .name
            .as_ref()
            .and_then(|n| n.localized.as_ref())
            .and_then(|l| l.get("en_US").or_else(|| l.values().next()).cloned());
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct LocalizedValue {
    pub locale: Option<Locale>,
    pub value: Option<String>,
}

/// A geo entry (country, region, market area) to name geo URNs in breakdowns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
pub struct Geo {
    pub id: i64,
    #[serde(skip_deserializing)]
    pub urn: String,
    #[serde(skip_deserializing)]
    pub name_en: Option<String>,
    pub default_localized_name: Option<LocalizedValue>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for Geo {
    fn enrich(&mut self, _ctx: &RecordCtx) {
        self.urn = format!("urn:li:geo:{}", self.id);
        self.name_en = self
            .default_localized_name
            .as_ref()
            .and_then(|n| n.value.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_kept_in_snake_case_and_known_ones_renamed() {
        let raw = r#"{"timeRange":{"start":1704067200000,"end":1704153600000},
            "followerGains":{"organicFollowerGain":-3,"paidFollowerGain":1},
            "organizationalEntity":"urn:li:organization:5","newMetricCount":{"deepValue":7}}"#;
        let mut r: FollowerStatisticsDaily = serde_json::from_str(raw).unwrap();
        r.enrich(&RecordCtx {
            organization: "urn:li:organization:5",
            granularity: Granularity::DAY,
            snapshot_date: NaiveDate::default(),
            post: None,
            variant: None,
        });
        let out = serde_json::to_value(&r).unwrap();
        assert_eq!(out["date"], "2024-01-01");
        assert_eq!(out["organization_id"], 5);
        assert_eq!(out["follower_gains"]["organic_follower_gain"], -3);
        assert_eq!(out["time_range"]["start"], "2024-01-01T00:00:00.000Z");
        assert_eq!(out["new_metric_count"]["deepValue"], 7);
        assert!(out.get("organizationalEntity").is_none());
        assert_eq!(r.cursor().as_deref(), Some("2024-01-01"));
    }

    #[test]
    fn content_types() {
        use serde_json::json;
        let obj = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            content_type(Some(&obj(json!({"media": {"id": "urn:li:video:1"}})))),
            "video"
        );
        assert_eq!(content_type(Some(&obj(json!({"article": {}})))), "article");
        assert_eq!(content_type(None), "text");
    }
}
