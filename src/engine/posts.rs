//! The kinds that iterate an organization's posts: the post list itself (which the
//! per-post streams share), per-post statistics in batches, paged comments and reactions
//! gated by per-post activity counts, and per-video statistics.

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::StreamExt;

use super::batch::{CursorMax, Emitter, Pushed};
use super::plan::Unit;
use super::run::{Shared, SocialCounts};
use super::UnitResult;
use crate::domain::urn::{PostKind, PostUrn};
use crate::domain::Cursor;
use crate::error::{Error, Result};
use crate::state::PostCounts;
use crate::streams::activity::{self, MetaBatch};
use crate::streams::records::RecordCtx;
use crate::streams::{Endpoint, PostBatch, PostPaged, PostRef, StreamDef, VideoVariants};

/// Where the post list's own records go, when its stream is the one running.
struct ListSink<'a, 'b> {
    out: &'a mut Emitter<'b>,
    max: &'a mut CursorMax,
    bookmark: Option<Cursor>,
}

/// The unit of a post-list stream: emits its records and, when per-post streams of the
/// sync iterate its list, builds that shared list on the way.
pub(super) async fn post_list_unit(
    shared: &Shared<'_>,
    unit: &Unit,
    out: &mut Emitter<'_>,
) -> Result<UnitResult> {
    let (def, org) = (unit.def, unit.org.as_deref().unwrap_or_default());
    let signpost = Cursor::Time(shared.now);
    let mut max = CursorMax::default();
    let bookmark = unit.bookmark.filter(|_| unit.incremental);
    let mut sink = ListSink {
        out,
        max: &mut max,
        bookmark,
    };
    let mut emitted = false;
    if shared.post_sources.contains(def.name) {
        let key = (def.name, org.to_string());
        let (_, built) = shared
            .post_lists
            .get_or_try_init(&key, || list_posts(shared, def, org, Some(&mut sink)))
            .await?;
        emitted = built;
    }
    if !emitted {
        list_posts(shared, def, org, Some(&mut sink)).await?;
    }
    Ok((max.capped(signpost), None))
}

/// The post list `def` builds for `org`, read once per sync.
async fn post_list(
    shared: &Shared<'_>,
    def: &'static StreamDef,
    org: &str,
) -> Result<Arc<Vec<PostRef>>> {
    let key = (def.name, org.to_string());
    let (list, _) = shared
        .post_lists
        .get_or_try_init(&key, || list_posts(shared, def, org, None))
        .await?;
    Ok(list)
}

/// Pages through an organization's posts (newest modification first). With a sink, it
/// also emits the post stream's records: all of them when the full list is needed for
/// per-post streams, else stopping at the first page that reaches the bookmark.
async fn list_posts(
    shared: &Shared<'_>,
    def: &'static StreamDef,
    org: &str,
    mut sink: Option<&mut ListSink<'_, '_>>,
) -> Result<Vec<PostRef>> {
    let Endpoint::PostList(list) = def.endpoint else {
        return Err(Error::Internal(format!("{} has no post list", def.name)));
    };
    let full_list = shared.post_sources.contains(def.name);
    let ctx = shared.ctx(org);
    let mut refs = Vec::new();
    let mut seen = HashSet::new();
    let mut pager = shared.pager(def);
    let mut estimated = false;
    while let Some(page) = pager.next_page(|start| list.path(org, start)).await? {
        let mut reached_bookmark = false;
        for raw in &page {
            let post = PostRef::from_element(raw.get()).map_err(|detail| Error::Decode {
                stream: def.name.into(),
                detail,
            })?;
            if !seen.insert(post.urn.clone()) {
                continue; // an edit during paging moved this post: already handled
            }
            refs.push(post);
            if let Some(s) = sink.as_mut() {
                match s.out.records.push_newer(def, &ctx, raw, s.bookmark)? {
                    Pushed::Kept(c) => s.max.see(c),
                    Pushed::Older => reached_bookmark = true,
                }
            }
        }
        if let Some(s) = sink.as_mut() {
            // The list's size, before its first records (an upper bound when it stops at
            // the bookmark).
            if let Some(total) = pager
                .total()
                .filter(|_| !std::mem::replace(&mut estimated, true))
            {
                s.out.estimate(total).await;
            }
            s.out.flush().await?;
        }
        if reached_bookmark && !full_list {
            break;
        }
    }
    Ok(refs)
}

/// Lifetime statistics of every post, in batches of one post kind.
pub(super) async fn post_batch(
    shared: &Shared<'_>,
    unit: &Unit,
    b: PostBatch,
    out: &mut Emitter<'_>,
) -> Result<()> {
    let (def, org) = (unit.def, unit.org.as_deref().unwrap_or_default());
    let ctx = shared.ctx(org);
    let posts = post_list(shared, b.posts, org).await?;
    for kind in [PostKind::Share, PostKind::UgcPost] {
        let urns: Vec<&PostUrn> = posts
            .iter()
            .map(|p| &p.urn)
            .filter(|u| u.kind() == Some(kind))
            .collect();
        for chunk in urns.chunks(b.max_ids.max(1)) {
            let coll: crate::linkedin::wire::Collection =
                shared.get(def, &b.path(org, kind, chunk)).await?;
            for raw in &coll.elements {
                out.push(def, &ctx, raw)?;
            }
            out.flush().await?;
        }
    }
    Ok(())
}

/// Activity counts per post (the gate of `streams::activity`, in batches), once per
/// organization per sync; `None` when the token may not read them.
async fn social_counts(
    shared: &Shared<'_>,
    org: &str,
    posts: &[PostRef],
) -> Result<Arc<Option<SocialCounts>>> {
    let (counts, _) = shared
        .social
        .get_or_try_init(&org.to_string(), || async {
            let mut map = SocialCounts::new();
            let urns: Vec<&PostUrn> = posts.iter().map(|p| &p.urn).collect();
            for chunk in urns.chunks(activity::MAX_IDS) {
                let path = activity::path(chunk);
                match shared.get_from::<MetaBatch>(activity::RESOURCE, false, &path).await {
                    Ok(batch) => map.extend(batch.counts()),
                    Err(Error::Api { status: 403, .. }) => {
                        tracing::warn!(organization = org, "The token may not read {}; reading every post's comments and reactions instead", activity::RESOURCE);
                        return Ok(None);
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(Some(map))
        })
        .await?;
    Ok(counts)
}

/// Comments or reactions of the posts whose activity count changed since the last sync
/// (every post, when the counts cannot be read), each post paged and streamed.
pub(super) async fn post_paged(
    shared: &Shared<'_>,
    unit: &Unit,
    p: PostPaged,
    out: &mut Emitter<'_>,
) -> Result<UnitResult> {
    let (def, org) = (unit.def, unit.org.as_deref().unwrap_or_default());
    let posts = post_list(shared, p.posts, org).await?;
    let social = social_counts(shared, org, &posts).await?;
    let current: Option<PostCounts> = social.as_ref().as_ref().map(|m| {
        posts
            .iter()
            .map(|post| {
                let c = m.get(post.urn.as_str()).copied().unwrap_or_default();
                (post.urn.to_string(), p.activity.of(c))
            })
            .collect()
    });
    let previous = unit.counts.as_ref().filter(|_| unit.incremental);
    let changed = |post: &&PostRef| match &current {
        None => true,
        Some(cur) => {
            let now = cur.get(post.urn.as_str()).copied().unwrap_or(0);
            match previous.map(|prev| prev.get(post.urn.as_str()).copied()) {
                Some(Some(before)) => now != before,
                _ => now > 0,
            }
        }
    };
    let to_read: Vec<&PostRef> = posts.iter().filter(changed).collect();
    tracing::info!(
        stream = def.name,
        organization = org,
        posts = posts.len(),
        reading = to_read.len(),
        "Reading posts with new activity"
    );
    let bookmark = unit.bookmark.filter(|_| unit.incremental);
    let concurrency = shared.config.max_concurrency.max(1) as usize;
    let mut reads = futures_util::stream::iter(to_read)
        .map(|post| {
            let mut post_out = out.sibling();
            async move { read_post(shared, def, p, org, &post.urn, bookmark, &mut post_out).await }
        })
        .buffered(concurrency);
    let mut max = CursorMax::default();
    while let Some(post_max) = reads.next().await {
        max.see(post_max?);
    }
    let counts = current.filter(|_| unit.incremental);
    Ok((max.capped(Cursor::Time(shared.now)), counts))
}

/// Every page of one post's comments or reactions newer than the bookmark, sent to the
/// sink page by page; returns the newest cursor. A post deleted during the sync is skipped.
async fn read_post(
    shared: &Shared<'_>,
    def: &'static StreamDef,
    p: PostPaged,
    org: &str,
    post: &PostUrn,
    bookmark: Option<Cursor>,
    out: &mut Emitter<'_>,
) -> Result<Option<Cursor>> {
    let ctx = RecordCtx {
        post: Some(post.as_str()),
        ..shared.ctx(org)
    };
    let mut max = CursorMax::default();
    let mut pager = shared.pager(def);
    loop {
        let page = match pager.next_page(|start| p.path(post, start)).await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(Error::Api { status: 404, .. }) => {
                tracing::warn!(
                    stream = def.name,
                    post = post.as_str(),
                    "Post disappeared during the sync (deleted?); skipping it"
                );
                break;
            }
            Err(e) => return Err(e),
        };
        let mut reached = false;
        for raw in &page {
            match out.records.push_newer(def, &ctx, raw, bookmark)? {
                Pushed::Kept(c) => max.see(c),
                Pushed::Older => reached = true,
            }
        }
        out.flush().await?;
        if reached && p.newest_first {
            break;
        }
    }
    Ok(max.0)
}

/// Each video post's statistics, one request per variant.
pub(super) async fn video(
    shared: &Shared<'_>,
    unit: &Unit,
    v: VideoVariants,
    out: &mut Emitter<'_>,
) -> Result<()> {
    let (def, org) = (unit.def, unit.org.as_deref().unwrap_or_default());
    let posts = post_list(shared, v.posts, org).await?;
    for post in posts.iter().filter(|p| p.is_video) {
        for variant in v.variants {
            let coll: crate::linkedin::wire::Collection =
                shared.get(def, &v.path(&post.urn, variant)).await?;
            let ctx = RecordCtx {
                post: Some(post.urn.as_str()),
                variant: Some(variant),
                ..shared.ctx(org)
            };
            for raw in &coll.elements {
                out.push(def, &ctx, raw)?;
            }
        }
        out.flush().await?;
    }
    Ok(())
}
