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

#[derive(Deserialize)]
struct Acl {
    organization: Option<String>,
    #[serde(rename = "organizationTarget")]
    organization_target: Option<String>,
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
            if let Some(o) = acl.organization.or(acl.organization_target) {
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
