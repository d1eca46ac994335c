//! The `organizations` record: a page's profile from `GET /rest/organizations`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AuditStamp, Extra, JsonObject, Record, RecordCtx};

typed! {
    /// A localised string: `{localized: {en_US: ...}, preferred_locale: {...}}`.
    pub struct MultiLocaleString {
        pub localized: Option<BTreeMap<String, String>>,
        pub preferred_locale: Option<Locale>,
    }
}

typed! {
    /// A locale (`{country, language}`).
    pub struct Locale {
        pub country: Option<String>,
        pub language: Option<String>,
    }
}

typed! {
    /// A postal address of a page location.
    pub struct Address {
        pub country: Option<String>,
        pub city: Option<String>,
        pub postal_code: Option<String>,
        pub line1: Option<String>,
        pub line2: Option<String>,
        pub geographic_area: Option<String>,
    }
}

typed! {
    /// One location of the organization.
    pub struct Location {
        pub location_type: Option<String>,
        pub address: Option<Address>,
        pub staff_count_range: Option<String>,
    }
}

typed! {
    /// The founding date (LinkedIn sends the year).
    pub struct FoundedOn {
        pub year: Option<i64>,
    }
}

typed! {
    /// An organization (company or showcase page) the connector reads.
    pub struct Organization {
        pub id: i64,
        #[serde(skip_deserializing)]
        pub organization: String,
        /// LinkedIn's `$URN` of the page, when sent.
        #[serde(rename(deserialize = "$URN"))]
        pub urn: Option<String>,
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
        pub default_locale: Option<Locale>,
        pub auto_created: Option<bool>,
        pub created: Option<AuditStamp>,
        pub last_modified: Option<AuditStamp>,
    }
}

impl Record for Organization {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.organization = if ctx.organization.is_empty() {
            format!("urn:li:organization:{}", self.id)
        } else {
            ctx.organization.to_string()
        };
    }
}
