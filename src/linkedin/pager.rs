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
        let page = self
            .fetch(path_at, |body| {
                let c: Collection = serde_json::from_slice(body)?;
                Ok((Page::<NotDecoded>::Raw(c.elements), c.paging))
            })
            .await?;
        Ok(page.map(|p| match p {
            Page::Raw(elements) => elements,
            Page::Decoded(never) => match never {},
        }))
    }

    /// Like [`Pager::next_page`], but decodes the page in one pass with `decode` (a
    /// stream's `decode_page`): the records when every element decoded, else the raw
    /// elements, for the caller to decode one by one (and skip the bad ones).
    pub(crate) async fn next_page_decoded<D: OnePass>(
        &mut self,
        path_at: impl FnOnce(usize) -> String,
        decode: impl Fn(&[u8]) -> serde_json::Result<D>,
    ) -> Result<Option<Page<D>>> {
        self.fetch(path_at, |body| {
            let fast = decode(body).and_then(|d| {
                let paging = d.paging().map(|r| serde_json::from_str(r.get()));
                Ok((d, paging.transpose()?.flatten()))
            });
            match fast {
                Ok((d, paging)) => Ok((Page::Decoded(d), paging)),
                Err(_) => {
                    let c: Collection = serde_json::from_slice(body)?;
                    Ok((Page::Raw(c.elements), c.paging))
                }
            }
        })
        .await
    }

    /// Fetches and decodes the next page (and its `paging`) and moves the pager past it;
    /// `None` once paging is over (an empty page ends it).
    async fn fetch<D: OnePass>(
        &mut self,
        path_at: impl FnOnce(usize) -> String,
        parse: impl Fn(&[u8]) -> serde_json::Result<(Page<D>, Option<Paging>)>,
    ) -> Result<Option<Page<D>>> {
        if self.done {
            return Ok(None);
        }
        if self.cancel.is_some_and(|c| c.load(Ordering::SeqCst)) {
            return Err(Error::Cancelled);
        }
        let (page, paging) = self
            .client
            .get_with(self.resource, &path_at(self.start), self.finder, parse)
            .await?;
        let n = page.len();
        if n == 0 {
            self.done = true;
            return Ok(None);
        }
        self.guard.check(self.label, self.start, page.ends())?;
        self.start += n;
        let paging = paging.unwrap_or_default();
        if self.total.is_none() {
            self.total = paging.total;
        }
        self.done = is_last(self.start, &paging, self.links_seen);
        self.links_seen |= paging.has_next_link();
        Ok(Some(page))
    }
}

/// A collection page decoded in one pass by the layer that knows the elements' types (a
/// stream's `decode_page`): what the pager needs of it.
pub(crate) trait OnePass {
    /// How many elements the page had.
    fn len(&self) -> usize;
    /// The first and last element of a non-empty page, in a form that is the same
    /// whenever the elements are (for the loop guard).
    fn ends(&self) -> (&[u8], &[u8]);
    /// The page's `paging` object as sent.
    fn paging(&self) -> Option<&RawValue>;
}

/// No one-pass decoding (plain [`Pager::next_page`]).
enum NotDecoded {}

impl OnePass for NotDecoded {
    fn len(&self) -> usize {
        match *self {}
    }
    fn ends(&self) -> (&[u8], &[u8]) {
        match *self {}
    }
    fn paging(&self) -> Option<&RawValue> {
        match *self {}
    }
}

/// A page as [`Pager::next_page_decoded`] returns it.
pub(crate) enum Page<D> {
    /// Every element decoded in one pass.
    Decoded(D),
    /// The elements as sent (some did not decode in one pass, or only these were asked for).
    Raw(Vec<Box<RawValue>>),
}

impl<D: OnePass> Page<D> {
    fn len(&self) -> usize {
        match self {
            Page::Decoded(d) => d.len(),
            Page::Raw(elements) => elements.len(),
        }
    }

    /// The first and last element of a non-empty page, for the loop guard.
    fn ends(&self) -> (&[u8], &[u8]) {
        match self {
            Page::Decoded(d) => d.ends(),
            Page::Raw(e) => (e[0].get().as_bytes(), e[e.len() - 1].get().as_bytes()),
        }
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
struct LoopGuard(Option<(Vec<u8>, Vec<u8>)>);

impl LoopGuard {
    fn check(&mut self, label: &str, start: usize, (first, last): (&[u8], &[u8])) -> Result<()> {
        let key = (first.to_vec(), last.to_vec());
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
