//! Page statistics records: lifetime page views and clicks with demographic breakdowns,
//! and the same per day (or month), from `organizationPageStatistics`.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{org_id, Extra, Record, RecordCtx, TimeRange};

typed! {
    /// Views of one page section.
    pub struct PageViews {
        pub page_views: Option<i64>,
        pub unique_page_views: Option<i64>,
    }
}

macro_rules! views {
    ($($field:ident),* $(,)?) => {
        typed! {
            /// Page views by section and device.
            pub struct Views {
                $(pub $field: Option<PageViews>,)*
            }
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

typed! {
    /// Clicks on the careers page's elements.
    pub struct CareersClicks {
        pub careers_page_jobs_clicks: Option<i64>,
        pub careers_page_promo_links_clicks: Option<i64>,
        pub careers_page_banner_promo_clicks: Option<i64>,
        pub careers_page_employees_clicks: Option<i64>,
    }
}

typed! {
    /// Clicks by page and device.
    pub struct Clicks {
        pub careers_page_clicks: Option<CareersClicks>,
        pub mobile_careers_page_clicks: Option<CareersClicks>,
    }
}

typed! {
    /// Page views and clicks.
    pub struct PageStatistics {
        pub views: Option<Views>,
        pub clicks: Option<Clicks>,
    }
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
facet!(/// Page views by (version 1) industry URN, in responses of older API versions.
    PageByIndustryV1, industry, page_statistics: PageStatistics);
facet!(/// Page views by country URN (`urn:li:country:us`), in responses of older API versions.
    PageByCountry, country, page_statistics: PageStatistics);
facet!(/// Page views by region URN (`urn:li:region:7`), in responses of older API versions.
    PageByRegion, region, page_statistics: PageStatistics);

typed! {
    /// Lifetime page views and clicks of a page, with demographic breakdowns.
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
        /// Older API versions' industry breakdown (superseded by
        /// `page_statistics_by_industry_v2`); written only when LinkedIn sends it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub page_statistics_by_industry: Vec<PageByIndustryV1>,
        /// Older API versions' country breakdown (superseded by
        /// `page_statistics_by_geo_country`); written only when LinkedIn sends it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub page_statistics_by_country: Vec<PageByCountry>,
        /// Older API versions' region breakdown (superseded by `page_statistics_by_geo`);
        /// written only when LinkedIn sends it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub page_statistics_by_region: Vec<PageByRegion>,
    }
}

impl Record for PageStatisticsLifetime {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.organization = ctx.organization.to_string();
        self.organization_id = org_id(ctx.organization);
    }
}

time_bound!(/// Page views and clicks per day (or month).
    PageStatisticsDaily, "organization", total_page_statistics: PageStatistics);
