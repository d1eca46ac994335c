//! The one paging loop. Every offset-paged LinkedIn endpoint (posts, comments, reactions,
//! the standardized-data lists, organizationAcls) is read through [`Pager`], page by page:
//! the caller handles one page, then asks for the next, so nothing holds more than a page.
//!
//! When paging ends: LinkedIn's pagination guide
//! (<https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/pagination>) says
//! `count` is a maximum ("there could be fewer items remaining than the value you
//! specify") and calls a page shorter than `count` the end of the dataset, but the
//! endpoint pages we read (Posts, Comments, Reactions) do not promise full pages, and the
//! Posts finder is known to drop elements the viewer may not see after paging. A short
//! page is therefore not trusted as the end. Paging stops on the signals that cannot lose
//! data: an empty page, `start` reaching `paging.total`, or (where the endpoint gives
//! `paging.links`) a page without a `rel: next` link after pages that had one. The cost of
//! this tolerance is at most one extra request.
//!
//! A guard stops a server that answers every offset with the same page, which would
//! otherwise page forever.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::value::RawValue;

use super::client::Client;
use super::wire::{Collection, Paging};
use crate::error::{Error, Result};

/// An offset pager over one paged endpoint.
pub(crate) struct Pager<'a> {
    client: &'a Client,
    /// The resource, for the client's logs and errors.
    resource: &'a str,
    /// What is being paged, for the loop-guard error (a stream name or resource).
    label: &'a str,
    finder: bool,
    cancel: Option<&'a AtomicBool>,
    start: usize,
    /// Whether an earlier page carried a `next` link: from then on its absence ends paging.
    links_seen: bool,
    guard: LoopGuard,
    done: bool,
    /// `paging.total` of the first page, when the endpoint gives it.
    total: Option<u64>,
}

impl<'a> Pager<'a> {
    /// A pager starting at offset 0. `finder` adds `X-RestLi-Method: FINDER`.
    pub(crate) fn new(client: &'a Client, resource: &'a str, label: &'a str, finder: bool) -> Self {
        Pager {
            client,
            resource,
            label,
            finder,
            cancel: None,
            start: 0,
            links_seen: false,
            guard: LoopGuard::default(),
            done: false,
            total: None,
        }
    }

    /// The collection's size as its first page gave it (`paging.total`), if it did.
    pub(crate) fn total(&self) -> Option<u64> {
        self.total
    }

    /// Stops (with [`Error::Cancelled`]) before any request once `flag` is set.
    pub(crate) fn cancel_on(mut self, flag: &'a AtomicBool) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// Fetches the next page, whose path `path_at(start)` builds; `None` once paging is
    /// over. The caller may stop earlier (e.g. at a bookmark) by not asking again.
    pub(crate) async fn next_page(
        &mut self,
        path_at: impl FnOnce(usize) -> String,
    ) -> Result<Option<Vec<Box<RawValue>>>> {
        if self.done {
            return Ok(None);
        }
        if self.cancel.is_some_and(|c| c.load(Ordering::SeqCst)) {
            return Err(Error::Cancelled);
        }
        let page: Collection = self
            .client
            .get(self.resource, &path_at(self.start), self.finder)
            .await?;
        let n = page.elements.len();
        if n == 0 {
            self.done = true;
            return Ok(None);
        }
        self.guard.check(self.label, self.start, &page.elements)?;
        self.start += n;
        let paging = page.paging.unwrap_or_default();
        if self.total.is_none() {
            self.total = paging.total;
        }
        self.done = is_last(self.start, &paging, self.links_seen);
        self.links_seen |= paging.has_next_link();
        Ok(Some(page.elements))
    }
}

/// Whether a non-empty page is the last one, given the offset after it and whether an
/// earlier page had a `next` link. Its length is deliberately not an input.
fn is_last(start_after: usize, paging: &Paging, links_seen: bool) -> bool {
    let total_reached = paging.total.is_some_and(|t| start_after as u64 >= t);
    let links_given = match &paging.links {
        Some(l) => links_seen || !l.is_empty(),
        None => false,
    };
    total_reached || (links_given && !paging.has_next_link())
}

/// Detects a server that answers every offset with the same page.
#[derive(Default)]
struct LoopGuard(Option<(String, String)>);

impl LoopGuard {
    fn check(&mut self, label: &str, start: usize, elements: &[Box<RawValue>]) -> Result<()> {
        let (Some(first), Some(last)) = (elements.first(), elements.last()) else {
            return Ok(());
        };
        let key = (first.get().to_string(), last.get().to_string());
        if self.0.as_ref() == Some(&key) {
            return Err(Error::Decode {
                stream: label.into(),
                detail: format!("LinkedIn returned the same page again at start={start}; stopping instead of paging forever"),
            });
        }
        self.0 = Some(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paging(json: &str) -> Paging {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_short_page_is_not_the_end() {
        // 7 of count=100 with no total and no links: ask again (an empty page ends it).
        assert!(!is_last(7, &paging(r#"{"start":0,"count":100}"#), false));
        assert!(!is_last(7, &paging(r#"{"links":[]}"#), false));
        // With a total still ahead, a short page is not the end either.
        assert!(!is_last(7, &paging(r#"{"total":250,"links":[]}"#), false));
    }

    #[test]
    fn total_and_links_end_paging() {
        assert!(is_last(250, &paging(r#"{"total":250}"#), false));
        assert!(is_last(300, &paging(r#"{"total":250}"#), false));
        let next = r#"{"links":[{"rel":"next","href":"/rest/x?start=100&count=100"}]}"#;
        assert!(!is_last(100, &paging(next), false));
        // After pages with a next link, a page without one is the last.
        assert!(is_last(200, &paging(r#"{"links":[]}"#), true));
        // Links that are given but have no next (only prev) end paging at once.
        assert!(is_last(
            100,
            &paging(r#"{"links":[{"rel":"prev","href":"/rest/x?start=0"}]}"#),
            false
        ));
    }
}
