//! Follower and share statistics records: follower count snapshots, lifetime follower
//! demographics, daily follower gains, and organic share statistics (page and per post).

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{org_id, Extra, Record, RecordCtx, TimeRange};

typed! {
    /// The page's total follower count, one snapshot per sync day.
    pub struct FollowerCount {
        #[serde(skip_deserializing)]
        pub organization: String,
        #[serde(skip_deserializing)]
        pub organization_id: Option<i64>,
        /// UTC date the count was taken.
        #[serde(skip_deserializing)]
        pub snapshot_date: NaiveDate,
        pub first_degree_size: Option<i64>,
    }
}

impl Record for FollowerCount {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.organization = ctx.organization.to_string();
        self.organization_id = org_id(ctx.organization);
        self.snapshot_date = ctx.snapshot_date;
    }
}

typed! {
    /// Organic and paid followers of one breakdown value.
    pub struct FollowerCounts {
        pub organic_follower_count: Option<i64>,
        pub paid_follower_count: Option<i64>,
    }
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
facet!(/// Followers by country URN (`urn:li:country:us`), in responses of older API versions.
    ByCountry, country, follower_counts: FollowerCounts);
facet!(/// Followers by region URN (`urn:li:region:7`), in responses of older API versions.
    ByRegion, region, follower_counts: FollowerCounts);

typed! {
    /// Lifetime follower demographics of a page (top 100 values per breakdown).
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
        /// Older API versions' country breakdown (superseded by `follower_counts_by_geo_country`);
        /// written only when LinkedIn sends it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub follower_counts_by_country: Vec<ByCountry>,
        /// Older API versions' region breakdown (superseded by `follower_counts_by_geo`);
        /// written only when LinkedIn sends it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub follower_counts_by_region: Vec<ByRegion>,
    }
}

impl Record for FollowerStatistics {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.organization = ctx.organization.to_string();
        self.organization_id = org_id(ctx.organization);
    }
}

typed! {
    /// New organic and paid followers in one time bucket.
    pub struct FollowerGains {
        pub organic_follower_gain: Option<i64>,
        pub paid_follower_gain: Option<i64>,
    }
}

time_bound!(/// New followers per day (or month); organic gains can be negative.
    FollowerStatisticsDaily, "organizationalEntity", follower_gains: FollowerGains);

typed! {
    /// Organic share statistics. `engagement` = (clicks + likes + comments + shares) /
    /// impressions, kept to the last bit LinkedIn sent.
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
    }
}

typed! {
    /// Lifetime organic share statistics of a page.
    pub struct ShareStatisticsLifetime {
        #[serde(rename(deserialize = "organizationalEntity"), default)]
        pub organization: String,
        #[serde(skip_deserializing)]
        pub organization_id: Option<i64>,
        pub total_share_statistics: Option<ShareStatistics>,
    }
}

impl Record for ShareStatisticsLifetime {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.organization = ctx.organization.to_string();
        self.organization_id = org_id(ctx.organization);
    }
}

time_bound!(/// Organic share statistics per day (or month).
    ShareStatisticsDaily, "organizationalEntity", total_share_statistics: ShareStatistics);

typed! {
    /// Lifetime statistics of one post.
    pub struct PostStatistics {
        /// The post's URN (share or ugcPost).
        #[serde(skip_deserializing)]
        pub post: String,
        #[serde(rename(deserialize = "organizationalEntity"), default)]
        pub organization: String,
        #[serde(skip_deserializing)]
        pub organization_id: Option<i64>,
        pub total_share_statistics: Option<ShareStatistics>,
        /// The element's `share` key (for share posts).
        #[serde(skip_serializing)]
        pub share: Option<String>,
        /// The element's `ugcPost` key (for ugcPost posts).
        #[serde(skip_serializing)]
        pub ugc_post: Option<String>,
    }
}

impl Record for PostStatistics {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.post = self
            .share
            .take()
            .or_else(|| self.ugc_post.take())
            .or(ctx.post.map(str::to_string))
            .unwrap_or_default();
        self.organization = ctx.organization.to_string();
        self.organization_id = org_id(ctx.organization);
    }
}
