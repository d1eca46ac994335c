//! Organization discovery: the pages a member administers, from organizationAcls
//! (role ADMINISTRATOR, state APPROVED), read through the one pager.
//! <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role>

use std::collections::BTreeSet;

use serde::Deserialize;

use super::client::Client;
use super::pager::Pager;
use crate::error::{Error, Result};

/// The resource discovery reads.
pub(crate) const RESOURCE: &str = "organizationAcls";
const PAGE_SIZE: usize = 100;

/// An ACL's page. The current field is `organization` (the page above; a real answer in
/// `tests/recorded/kiwiq_organization_acls.json` has it). Older shapes are read too, so a
/// page is never skipped for its field's name: `organizationTarget`, and
/// `organizationalTarget`, the field of the v2 `organizationalEntityAcls` resource that
/// organizationAcls replaced.
#[derive(Deserialize)]
struct Acl {
    organization: Option<String>,
    #[serde(rename = "organizationTarget")]
    organization_target: Option<String>,
    /// Read only when it is a URN: a field this old must not fail discovery.
    #[serde(rename = "organizationalTarget")]
    organizational_target: Option<serde_json::Value>,
}

impl Acl {
    fn page(self) -> Option<String> {
        self.organization.or(self.organization_target).or_else(|| {
            self.organizational_target
                .and_then(|v| v.as_str().map(str::to_string))
        })
    }
}

/// The organizations to read: `configured` when given, else every page the member who
/// authorised the token administers.
pub(crate) async fn resolve(configured: &[String], client: &Client) -> Result<Vec<String>> {
    if !configured.is_empty() {
        return Ok(configured.to_vec());
    }
    let mut orgs = BTreeSet::new();
    let mut pager = Pager::new(client, RESOURCE, RESOURCE, true);
    while let Some(page) = pager
        .next_page(|start| {
            format!("{RESOURCE}?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start={start}&count={PAGE_SIZE}")
        })
        .await?
    {
        for raw in page {
            let acl: Acl = serde_json::from_str(raw.get()).map_err(|e| Error::Decode {
                stream: RESOURCE.into(),
                detail: e.to_string(),
            })?;
            if let Some(o) = acl.page() {
                orgs.insert(o);
            }
        }
    }
    if orgs.is_empty() {
        return Err(Error::Config(
            "The member who authorised the token administers no LinkedIn page (no APPROVED ADMINISTRATOR role in organizationAcls). Ask a super admin of the page to make them an ADMINISTRATOR, or set organization_ids.".into(),
        ));
    }
    Ok(orgs.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_name_of_the_page_field_is_read() {
        for (body, page) in [
            (
                r#"{"organization":"urn:li:organization:1","role":"ADMINISTRATOR"}"#,
                Some("urn:li:organization:1"),
            ),
            (
                r#"{"organizationTarget":"urn:li:organization:2"}"#,
                Some("urn:li:organization:2"),
            ),
            (
                r#"{"organizationalTarget":"urn:li:organization:3"}"#,
                Some("urn:li:organization:3"),
            ),
            (r#"{"roleAssignee":"urn:li:person:a"}"#, None),
            (r#"{"organizationalTarget":{"unexpected":1}}"#, None),
        ] {
            let acl: Acl = serde_json::from_str(body).unwrap();
            assert_eq!(acl.page().as_deref(), page, "{body}");
        }
    }
}
