//! Refused items in a batch. LinkedIn answers 403 for a whole batch request
//! (`shares=List(..)`, `ugcPosts=List(..)`, `ids=List(..)`) when one entity in it is one
//! the member may not read (observed for per-post share statistics:
//! <https://learn.microsoft.com/en-us/answers/questions/1331917>; the documented message is
//! "Not enough permissions to access <urn>",
//! <https://learn.microsoft.com/en-us/linkedin/compliance/announcements/data-restrictions>).
//! [`bisect`] isolates such entities by splitting the refused batch in halves until the
//! refused items stand alone, so one unreadable post does not cost its organization the
//! rest. A batch of `n` items with one refused entity costs about `2·log2(n)` more
//! requests.
//!
//! A 403 is also what a missing scope or role gets; then every item is refused. When no
//! part of the batches succeeds at all, [`bisect`] returns the first refusal as the error,
//! as if nothing had been split, so a token problem still fails its partition.

use std::future::Future;

use crate::error::{Error, Result};

/// What a split read gives: the answers of the parts that succeeded, in item order, and
/// each refused item with LinkedIn's refusal.
pub(super) struct Split<'i, T, R> {
    pub answers: Vec<R>,
    pub refused: Vec<(&'i T, Error)>,
}

/// Whether an error is LinkedIn refusing the request (403).
pub(super) fn is_refusal(e: &Error) -> bool {
    matches!(e, Error::Api { status: 403, .. })
}

/// Reads `items` in chunks of `max` with `fetch`; a refused chunk is halved until each
/// refused item is alone. Errors other than a refusal end the read.
pub(super) async fn bisect<'i, T, R, F, Fut>(
    items: &'i [T],
    max: usize,
    mut fetch: F,
) -> Result<Split<'i, T, R>>
where
    F: FnMut(&'i [T]) -> Fut,
    Fut: Future<Output = Result<R>>,
{
    let mut split = Split {
        answers: Vec::new(),
        refused: Vec::new(),
    };
    // A stack of parts still to read, the next part on top (so answers keep item order).
    let mut todo: Vec<&'i [T]> = items.chunks(max.max(1)).rev().collect();
    while let Some(part) = todo.pop() {
        match fetch(part).await {
            Ok(answer) => split.answers.push(answer),
            Err(e) if is_refusal(&e) && part.len() > 1 => {
                let (left, right) = part.split_at(part.len() / 2);
                todo.push(right);
                todo.push(left);
            }
            Err(e) if is_refusal(&e) => split.refused.push((&part[0], e)),
            Err(e) => return Err(e),
        }
    }
    if split.answers.is_empty() && !split.refused.is_empty() {
        let (_, first) = split.refused.swap_remove(0);
        return Err(first);
    }
    Ok(split)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FailureType;

    fn refusal() -> Error {
        Error::Api {
            status: 403,
            endpoint: "x".into(),
            code: None,
            message: "Not enough permissions".into(),
            failure: FailureType::Config,
        }
    }

    /// A fake batch endpoint refusing any batch that contains a refused item.
    async fn read(
        items: &[u32],
        max: usize,
        refused: &[u32],
    ) -> (Result<(Vec<u32>, Vec<u32>)>, usize) {
        let mut calls = 0;
        let r = bisect(items, max, |part: &[u32]| {
            calls += 1;
            let bad = part.iter().any(|i| refused.contains(i));
            let part = part.to_vec();
            async move {
                if bad {
                    Err(refusal())
                } else {
                    Ok(part)
                }
            }
        })
        .await
        .map(|s| {
            let got: Vec<u32> = s.answers.into_iter().flatten().collect();
            let out: Vec<u32> = s.refused.iter().map(|(i, _)| **i).collect();
            (got, out)
        });
        (r, calls)
    }

    #[tokio::test]
    async fn one_refused_item_is_isolated_and_the_rest_kept_in_order() {
        let items: Vec<u32> = (0..50).collect();
        let (r, calls) = read(&items, 50, &[17]).await;
        let (got, out) = r.unwrap();
        assert_eq!(out, vec![17]);
        let expected: Vec<u32> = (0..50).filter(|i| *i != 17).collect();
        assert_eq!(got, expected);
        // 1 refused batch, then two halves per level down to the single item.
        assert!(calls <= 1 + 2 * 6, "{calls} calls");
    }

    #[tokio::test]
    async fn several_refused_items_across_chunks() {
        let items: Vec<u32> = (0..30).collect();
        let (r, _) = read(&items, 10, &[0, 9, 10, 29]).await;
        let (got, out) = r.unwrap();
        assert_eq!(out, vec![0, 9, 10, 29]);
        assert_eq!(got.len(), 26);
    }

    #[tokio::test]
    async fn a_clean_read_is_one_request_per_chunk() {
        let items: Vec<u32> = (0..25).collect();
        let (r, calls) = read(&items, 10, &[]).await;
        assert_eq!(r.unwrap().0, items);
        assert_eq!(calls, 3);
    }

    #[tokio::test]
    async fn when_everything_is_refused_it_is_the_error() {
        let items: Vec<u32> = (0..4).collect();
        let (r, _) = read(&items, 10, &[0, 1, 2, 3]).await;
        assert!(matches!(r, Err(Error::Api { status: 403, .. })));
        let (r, _) = read(&[7], 10, &[7]).await;
        assert!(matches!(r, Err(Error::Api { status: 403, .. })));
    }

    #[tokio::test]
    async fn other_errors_end_the_read() {
        let items: Vec<u32> = (0..4).collect();
        let r = bisect(&items, 2, |_: &[u32]| async {
            Err::<(), _>(Error::Transient("down".into()))
        })
        .await;
        assert!(matches!(r, Err(Error::Transient(_))));
    }
}
