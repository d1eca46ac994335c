//! Lookup records that name the URNs of the statistics breakdowns: standardized data
//! (seniorities, functions, industries) and geo entries.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Extra, Locale, MultiLocaleString, Record, RecordCtx};

typed! {
    /// A standardized-data entry (seniority, function or industry) to name facet URNs.
    pub struct Taxonomy {
        pub id: i64,
        /// The URN used in the statistics breakdowns (LinkedIn's `$URN`).
        #[serde(rename(deserialize = "$URN"), default)]
        pub urn: String,
        /// English name.
        #[serde(skip_deserializing)]
        pub name_en: Option<String>,
        pub name: Option<MultiLocaleString>,
    }
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

typed! {
    /// A string in one locale.
    pub struct LocalizedValue {
        pub locale: Option<Locale>,
        pub value: Option<String>,
    }
}

typed! {
    /// A geo entry (country, region, market area) to name geo URNs in breakdowns.
    pub struct Geo {
        pub id: i64,
        /// The geo URN (LinkedIn's `$URN` when sent, else built from the id).
        #[serde(rename(deserialize = "$URN"), default)]
        pub urn: String,
        #[serde(skip_deserializing)]
        pub name_en: Option<String>,
        pub default_localized_name: Option<LocalizedValue>,
    }
}

impl Record for Geo {
    fn enrich(&mut self, _ctx: &RecordCtx) {
        if self.urn.is_empty() {
            self.urn = format!("urn:li:geo:{}", self.id);
        }
        self.name_en = self
            .default_localized_name
            .as_ref()
            .and_then(|n| n.value.clone());
    }
}
