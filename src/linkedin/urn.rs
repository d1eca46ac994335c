//! Typed URNs for the entities the connector addresses: organizations (and showcase
//! brands) and posts (shares and ugcPosts). They parse, display and know their kind.

use std::fmt;

/// An organization or showcase-page URN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgUrn {
    /// `organization` or `organizationBrand`.
    pub kind: &'static str,
    pub id: u64,
}

impl OrgUrn {
    /// Parses a numeric ID (`2414183`) or an URN (`urn:li:organization:2414183`,
    /// `urn:li:organizationBrand:5`).
    pub fn parse(s: &str) -> Result<OrgUrn, String> {
        let s = s.trim();
        let (kind, num) = if let Some(n) = s.strip_prefix("urn:li:organization:") {
            ("organization", n)
        } else if let Some(n) = s.strip_prefix("urn:li:organizationBrand:") {
            ("organizationBrand", n)
        } else {
            ("organization", s)
        };
        match num.parse::<u64>() {
            Ok(id) if id > 0 && num.bytes().all(|b| b.is_ascii_digit()) => Ok(OrgUrn { kind, id }),
            _ => Err(format!(
                "'{s}' is not an organization ID: use the page's numeric ID (e.g. 2414183) or its URN (urn:li:organization:2414183)"
            )),
        }
    }
}

impl fmt::Display for OrgUrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "urn:li:{}:{}", self.kind, self.id)
    }
}

/// The kind of a post URN, which decides how per-post statistics are requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostKind {
    Share,
    UgcPost,
}

/// Kind of a post URN, if it is one.
pub fn post_kind(urn: &str) -> Option<PostKind> {
    if urn.starts_with("urn:li:share:") {
        Some(PostKind::Share)
    } else if urn.starts_with("urn:li:ugcPost:") {
        Some(PostKind::UgcPost)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_and_urns() {
        assert_eq!(
            OrgUrn::parse("2414183").unwrap().to_string(),
            "urn:li:organization:2414183"
        );
        assert_eq!(
            OrgUrn::parse("urn:li:organizationBrand:7").unwrap().kind,
            "organizationBrand"
        );
        for bad in ["", "0", "-3", "12a", "urn:li:person:1", "1.5"] {
            assert!(OrgUrn::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(post_kind("urn:li:ugcPost:1"), Some(PostKind::UgcPost));
        assert_eq!(post_kind("urn:li:activity:1"), None);
    }
}
