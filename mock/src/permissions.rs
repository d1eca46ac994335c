//! The mock's one permission table: for every `/rest` resource it serves, the OAuth scopes
//! of which any one suffices and the organization roles the member must hold on the page
//! the request is about. Written from LinkedIn's documentation (each row cites its page);
//! it shares no code with the connector, so the two can disagree and a test can see it.
//!
//! Where the issue that asked for this table (issue 15) and the pages differ, the pages win
//! and the row says so:
//! - The statistics, lookup and ACL pages list only `rw_organization_admin`. The issue (and
//!   the developer portal's endpoint table it quotes) also names the read-only
//!   `r_organization_admin`; no Learn page read for this table contradicts it, so the mock
//!   accepts either (the tolerant reading).
//! - The current Comments, Reactions and Social Metadata pages list
//!   `r_organization_social_feed`; the same pages up to version 202406 list
//!   `r_organization_social`. The mock accepts either.
//! - `industries`: the issue says `r_basicprofile`; the Standardized Data page for
//!   industries documents no permission at all (like geo, functions and seniorities), so the
//!   mock requires none.
//!
//! A missing scope or role answers 403 with LinkedIn's body (see [`crate::ApiError::forbidden`]):
//! `{"status":403,"serviceErrorCode":100,"code":"ACCESS_DENIED","message":"Not enough
//! permissions to access: <resource>.<METHOD>.<YYYYMMDD>"}` — the pattern observed in
//! LinkedIn's answers, e.g. `partnerApiSocialAction.GET.20231101`
//! (https://learn.microsoft.com/en-us/answers/questions/1331917 shows the same envelope for a
//! refused share).

/// The role a page's member must hold for a request about that page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// No role on the page is needed (public or member-level data).
    None,
    /// `ADMINISTRATOR` only: the statistics and admin lookup pages say "Restricted to
    /// organizations in which the authenticated member has the following role: ADMINISTRATOR".
    Administrator,
    /// `ADMINISTRATOR` or `DIRECT_SPONSORED_CONTENT_POSTER`: the content pages'
    /// `r_organization_social` rows. An ANALYST may not read posts.
    ContentReader,
}

impl Role {
    /// Whether a member holding `role` on the page satisfies this requirement.
    pub fn allows(self, role: &str) -> bool {
        match self {
            Role::None => true,
            Role::Administrator => role == "ADMINISTRATOR",
            Role::ContentReader => {
                role == "ADMINISTRATOR" || role == "DIRECT_SPONSORED_CONTENT_POSTER"
            }
        }
    }
}

/// One row: the resource (as it appears in `/rest/<resource>`), the scopes of which any one
/// suffices (empty: any valid token), the role, and the doc page it comes from.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub resource: &'static str,
    pub any_of: &'static [&'static str],
    pub role: Role,
    pub source: &'static str,
}

const ORG_ADMIN: &[&str] = &["rw_organization_admin", "r_organization_admin"];
const ORG_SOCIAL: &[&str] = &["r_organization_social"];
const ORG_SOCIAL_OR_FEED: &[&str] = &["r_organization_social", "r_organization_social_feed"];
const NONE: &[&str] = &[];

const CM: &str = "https://learn.microsoft.com/en-us/linkedin/marketing/community-management";
const STD: &str =
    "https://learn.microsoft.com/en-us/linkedin/shared/references/v2/standardized-data";

/// The table. Order is the order of the connector's streams, roughly.
pub const TABLE: &[Rule] = &[
    // organizationAcls lists the caller's own roles, so no role is needed to call it.
    // CM/organizations/organization-access-control-by-role. The search tool did not return
    // this page's permission row; the scopes follow issue 15 (and the "Page Access
    // management ... rw_organization_admin" line of CM/community-management-api-migration-guide).
    Rule {
        resource: "organizationAcls",
        any_of: ORG_ADMIN,
        role: Role::None,
        source: "organizations/organization-access-control-by-role",
    },
    // CM/organizations/organization-lookup-api: "rw_organization_admin — Manage organization
    // pages and retrieve reporting data" (and r_compliance, not modelled); admin fields need
    // the ADMINISTRATOR role ("Admin and Non-Admin Access").
    Rule {
        resource: "organizations",
        any_of: ORG_ADMIN,
        role: Role::Administrator,
        source: "organizations/organization-lookup-api",
    },
    // CM/organizations/organization-network-size (and follower-statistics, which sends
    // readers there for the total): the page documents no permission section; any valid
    // token reads the follower count of any page.
    Rule {
        resource: "networkSizes",
        any_of: NONE,
        role: Role::None,
        source: "organizations/organization-network-size",
    },
    // CM/organizations/follower-statistics: rw_organization_admin, ADMINISTRATOR.
    Rule {
        resource: "organizationalEntityFollowerStatistics",
        any_of: ORG_ADMIN,
        role: Role::Administrator,
        source: "organizations/follower-statistics",
    },
    // CM/organizations/share-statistics: rw_organization_admin, ADMINISTRATOR. Also covers
    // the per-post form (shares=List(...) / ugcPosts=List(...)).
    Rule {
        resource: "organizationalEntityShareStatistics",
        any_of: ORG_ADMIN,
        role: Role::Administrator,
        source: "organizations/share-statistics",
    },
    // CM/organizations/page-statistics: rw_organization_admin, ADMINISTRATOR (covers
    // organizationPageStatistics and brandPageStatistics).
    Rule {
        resource: "organizationPageStatistics",
        any_of: ORG_ADMIN,
        role: Role::Administrator,
        source: "organizations/page-statistics",
    },
    // CM/organizations/page-statistics: brandPageStatistics (showcase pages), as above.
    Rule {
        resource: "brandPageStatistics",
        any_of: ORG_ADMIN,
        role: Role::Administrator,
        source: "organizations/page-statistics",
    },
    // CM/shares/posts-api: r_organization_social, "Restricted to organizations in which the
    // authenticated member has one of the following company page roles: ADMINISTRATOR,
    // DIRECT_SPONSORED_CONTENT_POSTER, CONTENT_ADMIN".
    Rule {
        resource: "posts",
        any_of: ORG_SOCIAL,
        role: Role::ContentReader,
        source: "shares/posts-api",
    },
    // CM/shares/comments-api: r_organization_social_feed (current versions),
    // r_organization_social (versions up to 202406); ADMINISTRATOR or DSC poster.
    Rule {
        resource: "socialActions",
        any_of: ORG_SOCIAL_OR_FEED,
        role: Role::ContentReader,
        source: "shares/comments-api",
    },
    // CM/shares/reactions-api: as comments.
    Rule {
        resource: "reactions",
        any_of: ORG_SOCIAL_OR_FEED,
        role: Role::ContentReader,
        source: "shares/reactions-api",
    },
    // CM/shares/social-metadata-api: as comments.
    Rule {
        resource: "socialMetadata",
        any_of: ORG_SOCIAL_OR_FEED,
        role: Role::ContentReader,
        source: "shares/social-metadata-api",
    },
    // CM/shares/video-analytics-api: r_organization_social, ADMINISTRATOR or DSC poster.
    Rule {
        resource: "videoAnalytics",
        any_of: ORG_SOCIAL,
        role: Role::ContentReader,
        source: "shares/video-analytics-api",
    },
    // STD/locations/geo: no permission section.
    Rule {
        resource: "geo",
        any_of: NONE,
        role: Role::None,
        source: "locations/geo",
    },
    // STD/functions: no permission section.
    Rule {
        resource: "functions",
        any_of: NONE,
        role: Role::None,
        source: "functions",
    },
    // STD/seniorities: no permission section.
    Rule {
        resource: "seniorities",
        any_of: NONE,
        role: Role::None,
        source: "seniorities",
    },
    // STD/industries: no permission section (the r_basicprofile is not on the page).
    Rule {
        resource: "industries",
        any_of: NONE,
        role: Role::None,
        source: "industries",
    },
];

/// The rule for a resource; `None` for a resource the mock does not serve.
pub fn rule(resource: &str) -> Option<&'static Rule> {
    TABLE.iter().find(|r| r.resource == resource)
}

/// The full URL of a row's doc page.
pub fn source_url(rule: &Rule) -> String {
    let base = if matches!(
        rule.resource,
        "geo" | "functions" | "seniorities" | "industries"
    ) {
        STD
    } else {
        CM
    };
    format!("{base}/{}", rule.source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_cites_a_learn_page_and_resources_are_unique() {
        for r in TABLE {
            assert!(source_url(r).starts_with("https://learn.microsoft.com/en-us/linkedin/"));
            assert_eq!(TABLE.iter().filter(|o| o.resource == r.resource).count(), 1);
        }
    }

    #[test]
    fn roles() {
        assert!(Role::Administrator.allows("ADMINISTRATOR"));
        assert!(!Role::Administrator.allows("ANALYST"));
        assert!(Role::ContentReader.allows("DIRECT_SPONSORED_CONTENT_POSTER"));
        assert!(!Role::ContentReader.allows("ANALYST"));
        assert!(Role::None.allows("ANALYST"));
    }
}
