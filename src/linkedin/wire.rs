//! LinkedIn's response envelopes (Rest.li 2.0), decoded lazily: elements stay raw JSON
//! until a stream's record type decodes them.
//!
//! Collections: `{"paging": {"start", "count", "links": [{"rel": "next", ..}], "total"?},
//! "elements": [..]}`; BATCH_GET: `{"results": {id: ..}, "errors": {id: {"message", ..}}}`
//! with partial failures. <https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/pagination>

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

/// A Rest.li collection (finder or GET_ALL) or statistics response.
#[derive(Deserialize)]
pub(crate) struct Collection {
    pub elements: Vec<Box<RawValue>>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

/// The `paging` object of a collection.
#[derive(Deserialize, Default)]
pub(crate) struct Paging {
    pub total: Option<u64>,
    /// `None` when the response has no `links` field at all.
    pub links: Option<Vec<Link>>,
}

/// One entry of `paging.links`.
#[derive(Deserialize)]
pub(crate) struct Link {
    #[serde(default)]
    pub rel: String,
}

impl Paging {
    /// Whether `links` holds a `rel: next` entry.
    pub(crate) fn has_next_link(&self) -> bool {
        self.links
            .as_ref()
            .is_some_and(|l| l.iter().any(|l| l.rel == "next"))
    }
}

/// A Rest.li BATCH_GET response: partial failures are normal.
#[derive(Deserialize)]
pub(crate) struct Batch {
    #[serde(default)]
    pub results: HashMap<String, Box<RawValue>>,
    #[serde(default)]
    pub errors: HashMap<String, serde_json::Value>,
}
