//! Typed URNs for the entities the connector addresses: organizations (and showcase
//! brands) and posts (shares and ugcPosts). They parse, display and know their kind.

use std::fmt;

/// What an organization URN names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrgKind {
    /// `urn:li:organization:N`, a company page.
    Organization,
    /// `urn:li:organizationBrand:N`, a showcase page.
    Brand,
}

impl OrgKind {
    fn as_str(self) -> &'static str {
        match self {
            OrgKind::Organization => "organization",
            OrgKind::Brand => "organizationBrand",
        }
    }
}

/// An organization or showcase-page URN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgUrn {
    pub kind: OrgKind,
    pub id: u64,
}

impl OrgUrn {
    /// Parses a numeric ID (`2414183`) or an URN (`urn:li:organization:2414183`,
    /// `urn:li:organizationBrand:5`).
    pub fn parse(s: &str) -> Result<OrgUrn, String> {
        let s = s.trim();
        let (kind, num) = if let Some(n) = s.strip_prefix("urn:li:organization:") {
            (OrgKind::Organization, n)
        } else if let Some(n) = s.strip_prefix("urn:li:organizationBrand:") {
            (OrgKind::Brand, n)
        } else {
            (OrgKind::Organization, s)
        };
        match num.parse::<u64>() {
            Ok(id) if id > 0 && num.bytes().all(|b| b.is_ascii_digit()) => Ok(OrgUrn { kind, id }),
            _ => Err(format!(
                "'{s}' is not an organization ID: use the page's numeric ID (e.g. 2414183) or its URN (urn:li:organization:2414183)"
            )),
        }
    }

    /// A company page's URN from its numeric ID.
    pub fn organization(id: u64) -> OrgUrn {
        OrgUrn {
            kind: OrgKind::Organization,
            id,
        }
    }
}

impl fmt::Display for OrgUrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "urn:li:{}:{}", self.kind.as_str(), self.id)
    }
}

/// The kind of a post URN, which decides how per-post statistics are requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PostKind {
    Share,
    UgcPost,
}

/// A post URN (`urn:li:share:N` or `urn:li:ugcPost:N`), kept as LinkedIn wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostUrn {
    urn: String,
    kind: Option<PostKind>,
}

impl PostUrn {
    /// Any post id LinkedIn returns; an unknown form is kept (with no kind) so nothing is
    /// lost, and only per-post requests that need the kind skip it.
    pub fn new(urn: impl Into<String>) -> PostUrn {
        let urn = urn.into();
        let kind = if urn.starts_with("urn:li:share:") {
            Some(PostKind::Share)
        } else if urn.starts_with("urn:li:ugcPost:") {
            Some(PostKind::UgcPost)
        } else {
            None
        };
        PostUrn { urn, kind }
    }

    /// The kind, when the URN is a share or ugcPost.
    pub fn kind(&self) -> Option<PostKind> {
        self.kind
    }

    /// The URN text.
    pub fn as_str(&self) -> &str {
        &self.urn
    }
}

impl fmt::Display for PostUrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.urn)
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
            OrgKind::Brand
        );
        assert_eq!(
            OrgUrn::parse("urn:li:organizationBrand:7")
                .unwrap()
                .to_string(),
            "urn:li:organizationBrand:7"
        );
        for bad in ["", "0", "-3", "12a", "urn:li:person:1", "1.5"] {
            assert!(OrgUrn::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            PostUrn::new("urn:li:ugcPost:1").kind(),
            Some(PostKind::UgcPost)
        );
        assert_eq!(PostUrn::new("urn:li:share:1").kind(), Some(PostKind::Share));
        assert_eq!(PostUrn::new("urn:li:activity:1").kind(), None);
    }
}
