//! The connector's one permission table: for every endpoint it calls, the OAuth scopes of
//! which any one suffices and the role the member needs on the page, each row citing the
//! Microsoft Learn page it comes from (the full notes are in `docs/permissions.md`). The
//! stream rows in `streams/mod.rs` name the rows they need; `check`, `check-token`, the
//! read's error messages and the generated stream reference all read this table.
//!
//! It is written independently of the mock's table (`mock/src/permissions.rs`), so a test
//! against the mock can see the two disagree.
//!
//! Where the docs are silent (networkSizes, the standardized-data lists), a row requires no
//! scope upfront: the connector tries the call and reports a 403 as a blocked stream, which
//! never refuses a token that works.

use crate::error::{Error, FailureType};

/// A family of scopes LinkedIn grants together: `check` probes one endpoint per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// Page administration and reporting data: organizationAcls, lookup, every statistics API.
    Admin,
    /// Organization content: posts, video analytics (and comments on older versions).
    Social,
    /// Organization social feed: comments, reactions, socialMetadata on current versions.
    Feed,
}

impl Group {
    /// Every group, in the order `check` probes them.
    pub const ALL: [Group; 3] = [Group::Admin, Group::Social, Group::Feed];

    /// The scopes of the group, the one to ask for first.
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            // Only rw_organization_admin is on the statistics and lookup pages;
            // r_organization_admin is on the Access Control page and its own description
            // covers "reporting data (including follower, visitor and content analytics)".
            Group::Admin => &["rw_organization_admin", "r_organization_admin"],
            Group::Social => &["r_organization_social"],
            Group::Feed => &["r_organization_social_feed"],
        }
    }

    /// How the group is named to a user: its scopes joined by "or".
    pub fn describe(self) -> String {
        self.scopes().join(" or ")
    }

    /// Whether a token holding `scopes` has this group.
    pub fn held_by(self, scopes: &[String]) -> bool {
        self.scopes().iter().any(|s| scopes.iter().any(|h| h == s))
    }
}

/// The role the member must hold on the page a request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// None (the member's own roles, or data not tied to a page).
    None,
    /// ADMINISTRATOR only (the statistics and lookup pages).
    Administrator,
    /// ADMINISTRATOR or DIRECT_SPONSORED_CONTENT_POSTER (posts also CONTENT_ADMIN).
    ContentReader,
    /// The docs do not say.
    Unstated,
}

impl Role {
    /// The role as the docs name it.
    pub fn describe(self) -> &'static str {
        match self {
            Role::None => "none",
            Role::Administrator => "ADMINISTRATOR",
            Role::ContentReader => "ADMINISTRATOR or DIRECT_SPONSORED_CONTENT_POSTER",
            Role::Unstated => "not stated in the docs",
        }
    }
}

/// One row: an endpoint, the scope groups of which any one suffices (empty: none required
/// upfront), the role, and the page that says so.
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    /// The resource as it appears after `/rest/` (and in the client's error `endpoint`).
    pub resource: &'static str,
    /// What the connector reads there.
    pub what: &'static str,
    pub any_of: &'static [Group],
    pub role: Role,
    pub source: &'static str,
}

impl Permission {
    /// Every scope that unlocks the row, in the order a user should ask for them.
    pub fn scopes(&self) -> Vec<&'static str> {
        self.any_of
            .iter()
            .flat_map(|g| g.scopes())
            .copied()
            .collect()
    }

    /// Whether the row needs a scope at all.
    pub fn needs_scope(&self) -> bool {
        !self.any_of.is_empty()
    }

    /// Whether a token holding `scopes` passes the row's scope check (a row that needs no
    /// scope upfront always does).
    pub fn held_by(&self, scopes: &[String]) -> bool {
        !self.needs_scope() || self.any_of.iter().any(|g| g.held_by(scopes))
    }

    /// The row's scopes for a user: "a or b", or what the docs say when none is required.
    pub fn describe_scopes(&self) -> String {
        if self.any_of.is_empty() {
            "none required (docs silent)".into()
        } else {
            self.scopes().join(" or ")
        }
    }
}

macro_rules! learn {
    ($path:literal) => {
        concat!("https://learn.microsoft.com/en-us/linkedin", $path)
    };
}

pub const ORGANIZATION_ACLS: Permission = Permission {
    resource: "organizationAcls",
    what: "the pages the member administers (used when organization_ids is empty)",
    any_of: &[Group::Admin],
    role: Role::None,
    source: learn!(
        "/marketing/community-management/organizations/organization-access-control-by-role"
    ),
};
pub const ORGANIZATIONS: Permission = Permission {
    resource: "organizations",
    what: "organization lookup (batch get)",
    any_of: &[Group::Admin],
    role: Role::Administrator,
    source: learn!("/marketing/community-management/organizations/organization-lookup-api"),
};
/// A section of the lookup page, whose permission table covers the page, but no page states
/// a scope or role for this call itself: not required upfront.
pub const NETWORK_SIZES: Permission = Permission {
    resource: "networkSizes",
    what: "total followers",
    any_of: &[],
    role: Role::Unstated,
    source: learn!("/marketing/integrations/community-management/organizations/organization-network-size?tabs=http&view=li-lms-2023-05"),
};
pub const FOLLOWER_STATISTICS: Permission = Permission {
    resource: "organizationalEntityFollowerStatistics",
    what: "follower statistics",
    any_of: &[Group::Admin],
    role: Role::Administrator,
    source: learn!("/marketing/community-management/organizations/follower-statistics"),
};
pub const SHARE_STATISTICS: Permission = Permission {
    resource: "organizationalEntityShareStatistics",
    what: "share statistics (organization and per post)",
    any_of: &[Group::Admin],
    role: Role::Administrator,
    source: learn!(
        "/marketing/community-management/organizations/share-statistics?view=li-lms-2025-11"
    ),
};
pub const PAGE_STATISTICS: Permission = Permission {
    resource: "organizationPageStatistics",
    what: "page statistics",
    any_of: &[Group::Admin],
    role: Role::Administrator,
    source: learn!(
        "/marketing/community-management/organizations/page-statistics?view=li-lms-2026-03"
    ),
};
/// For showcase pages (`q=brand`); the engine side of issue 15 switches showcase pages to it.
pub const BRAND_PAGE_STATISTICS: Permission = Permission {
    resource: "brandPageStatistics",
    what: "page statistics of showcase pages",
    any_of: &[Group::Admin],
    role: Role::Administrator,
    source: learn!(
        "/marketing/community-management/organizations/page-statistics?view=li-lms-2026-03"
    ),
};
pub const POSTS: Permission = Permission {
    resource: "posts",
    what: "the pages' posts",
    any_of: &[Group::Social],
    role: Role::ContentReader,
    source: learn!("/marketing/community-management/shares/posts-api?view=li-lms-2026-01"),
};
/// Read by the comment and reaction streams to skip posts with nothing new; optional (the
/// engine reads every post when it is refused), so no stream lists it as a need.
pub const SOCIAL_METADATA: Permission = Permission {
    resource: "socialMetadata",
    what: "comment and reaction counts per post",
    any_of: &[Group::Feed],
    role: Role::ContentReader,
    source: learn!("/marketing/community-management/shares/social-metadata-api"),
};
/// The current page lists r_organization_social_feed; the page up to 202406 listed
/// r_organization_social, which existing apps hold.
pub const COMMENTS: Permission = Permission {
    resource: "socialActions",
    what: "comments on posts",
    any_of: &[Group::Feed, Group::Social],
    role: Role::ContentReader,
    source: learn!("/marketing/community-management/shares/comments-api"),
};
pub const REACTIONS: Permission = Permission {
    resource: "reactions",
    what: "reactions on posts",
    any_of: &[Group::Feed],
    role: Role::ContentReader,
    source: learn!("/marketing/community-management/shares/reactions-api"),
};
pub const VIDEO_ANALYTICS: Permission = Permission {
    resource: "videoAnalytics",
    what: "video views, viewers and watch time",
    any_of: &[Group::Social],
    role: Role::ContentReader,
    source: learn!("/marketing/community-management/shares/video-analytics-api"),
};
pub const GEO: Permission = Permission {
    resource: "geo",
    what: "geo names",
    any_of: &[],
    role: Role::None,
    source: learn!("/shared/references/v2/standardized-data/locations/geo"),
};
pub const FUNCTIONS: Permission = Permission {
    resource: "functions",
    what: "job-function names",
    any_of: &[],
    role: Role::None,
    source: learn!("/shared/references/v2/standardized-data"),
};
pub const SENIORITIES: Permission = Permission {
    resource: "seniorities",
    what: "seniority names",
    any_of: &[],
    role: Role::None,
    source: learn!("/shared/references/v2/standardized-data"),
};
/// No page ties industries to r_basicprofile (issue 15's claim); the page has no
/// Permissions section.
pub const INDUSTRIES: Permission = Permission {
    resource: "industries",
    what: "industry names",
    any_of: &[],
    role: Role::None,
    source: learn!("/shared/references/v2/standardized-data/industries"),
};

/// Every endpoint the connector calls under `/rest`.
pub const TABLE: &[Permission] = &[
    ORGANIZATION_ACLS,
    ORGANIZATIONS,
    NETWORK_SIZES,
    FOLLOWER_STATISTICS,
    SHARE_STATISTICS,
    PAGE_STATISTICS,
    BRAND_PAGE_STATISTICS,
    POSTS,
    SOCIAL_METADATA,
    COMMENTS,
    REACTIONS,
    VIDEO_ANALYTICS,
    GEO,
    FUNCTIONS,
    SENIORITIES,
    INDUSTRIES,
];

/// The row of a resource.
pub fn row(resource: &str) -> Option<&'static Permission> {
    TABLE.iter().find(|p| p.resource == resource)
}

/// What a stream needs: every row listed (each satisfied by any one of its scopes).
pub fn describe_needs(needs: &[Permission]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for p in needs.iter().filter(|p| p.needs_scope()) {
        let s = p.describe_scopes();
        if !parts.contains(&s) {
            parts.push(s);
        }
    }
    if parts.is_empty() {
        "none required (docs silent)".into()
    } else {
        parts.join("; and ")
    }
}

/// Rewrites a 403 from `resource` into a message that names the scope the row needs and the
/// role, with the doc page; other errors pass unchanged.
pub fn explain_refusal(stream: Option<&str>, e: Error) -> Error {
    let Error::Api {
        status: 403,
        endpoint,
        code,
        message,
        failure,
    } = e
    else {
        return e;
    };
    let Some(row) = row(&endpoint) else {
        return Error::Api {
            status: 403,
            endpoint,
            code,
            message,
            failure,
        };
    };
    let subject = match stream {
        Some(s) => format!("Stream {s} is blocked: "),
        None => String::new(),
    };
    let need = if row.needs_scope() {
        format!(
            "{} ({}) needs the scope {} and the role {} on the page (see {}). Add the scope in your LinkedIn app (Products: Community Management API) and create a new token, or ask a super admin of the page for the role",
            row.resource,
            row.what,
            row.describe_scopes(),
            row.role.describe(),
            row.source
        )
    } else {
        format!(
            "{} ({}) was refused although LinkedIn's docs name no scope for it (see {}); the member may lack a role on the page, or the app lacks a product",
            row.resource, row.what, row.source
        )
    };
    Error::Api {
        status: 403,
        endpoint,
        code,
        // The client's generic 403 advice is replaced by the row's.
        message: format!(
            "{subject}{need}. LinkedIn said: {}",
            message
                .split(". LinkedIn denied access to")
                .next()
                .unwrap_or(&message)
        ),
        failure: FailureType::Config,
    }
}

/// The base of every source URL.
pub const SOURCE_BASE: &str = learn!("");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_cites_a_learn_page_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for p in TABLE {
            assert!(p.source.starts_with(SOURCE_BASE), "{}", p.resource);
            assert!(seen.insert(p.resource), "duplicate row {}", p.resource);
        }
    }

    #[test]
    fn table_matches_the_sourced_json() {
        // tests/conformance/permissions.json is the machine-readable docs/permissions.md.
        let text = include_str!("../../tests/conformance/permissions.json");
        let rows: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
        for p in TABLE {
            let doc = rows
                .iter()
                .find(|r| {
                    r["path"]
                        .as_str()
                        .unwrap()
                        .starts_with(&format!("/rest/{}", p.resource))
                })
                .unwrap_or_else(|| panic!("{} is not in permissions.json", p.resource));
            let documented: Vec<&str> = doc["scopes_any"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            if p.needs_scope() {
                let mut ours = p.scopes();
                ours.sort();
                let mut theirs = documented.clone();
                theirs.sort();
                assert_eq!(ours, theirs, "{}", p.resource);
            } else {
                // Only a docs-silent row may require nothing upfront.
                assert!(
                    documented.is_empty() || p.resource == "networkSizes",
                    "{} requires nothing but the docs list {documented:?}",
                    p.resource
                );
            }
            let page = p.source.split('?').next().unwrap();
            let doc_src = doc["source"].as_str().unwrap().split('?').next().unwrap();
            assert!(
                p.resource == "networkSizes" || page == doc_src,
                "{}: {page} vs {doc_src}",
                p.resource
            );
        }
    }

    #[test]
    fn a_refusal_names_the_missing_scope() {
        let e = Error::Api {
            status: 403,
            endpoint: "reactions".into(),
            code: Some("ACCESS_DENIED".into()),
            message: "reactions: LinkedIn answered 403".into(),
            failure: FailureType::Config,
        };
        let m = explain_refusal(Some("post_reactions"), e).to_string();
        assert!(m.starts_with("Stream post_reactions is blocked"), "{m}");
        assert!(m.contains("r_organization_social_feed"), "{m}");
        assert!(m.contains("reactions-api"), "{m}");
        let e = Error::Api {
            status: 401,
            endpoint: "reactions".into(),
            code: None,
            message: "x".into(),
            failure: FailureType::Config,
        };
        assert_eq!(explain_refusal(None, e).to_string(), "x");
    }
}
