//! The kinds that iterate an organization's posts: the post list itself (which the
//! per-post streams share), per-post statistics in batches, paged comments and reactions
//! gated by per-post activity counts, and per-video statistics.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;

use super::batch::{CursorMax, Emitter, Pushed};
use super::plan::Unit;
use super::run::{Shared, SocialCounts};
use super::split;
use super::UnitResult;
use crate::domain::urn::{PostKind, PostUrn};
use crate::domain::Cursor;
use crate::error::{Error, Result};
use crate::linkedin::pager::Page;
use crate::linkedin::wire::Collection;
use crate::state::PostCounts;
use crate::streams::activity::{self, MetaBatch};
use crate::streams::records::RecordCtx;
use crate::streams::{Endpoint, PostBatch, PostPaged, PostRef, StreamDef, VideoVariants};

/// The activity counts of an organization's posts, and the posts LinkedIn refused.
#[derive(Default)]
pub(super) struct Social {
    /// `None` when the token may not read the counts at all.
    pub counts: Option<SocialCounts>,
    /// Refused posts, with LinkedIn's refusal.
    pub refused: Vec<(PostUrn, String)>,
}

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
    let signpost = shared.signpost();
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
pub(super) async fn post_list(
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
            let post = match PostRef::from_element(raw.get()) {
                Ok(post) => post,
                Err(detail) => {
                    // Not a post the per-post streams can iterate: skipped, like any
                    // element that does not decode (counted once, by the list's stream).
                    match sink.as_mut() {
                        Some(s) => s.out.records.skip(detail),
                        None => tracing::warn!(
                            stream = def.name,
                            "skipped a post that does not decode: {detail}"
                        ),
                    }
                    continue;
                }
            };
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
    // Kept for the whole sync: not a slot more than needed (tens of thousands of posts).
    refs.shrink_to_fit();
    Ok(refs)
}

/// Lifetime statistics of every post, in batches of one post kind. A post LinkedIn
/// refuses is skipped with a warning naming it (see `split`); the others are kept.
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
        let read = split::bisect(&urns, b.max_ids, |chunk| {
            let path = b.path(org, kind, chunk);
            async move { shared.get::<Collection>(def, &path).await }
        })
        .await?;
        for (post, e) in &read.refused {
            out.warn(refused_note(def, org, post, e)).await;
        }
        for coll in read.answers {
            for raw in &coll.elements {
                out.push(def, &ctx, raw)?;
            }
            out.flush().await?;
        }
    }
    Ok(())
}

/// The warning for a post LinkedIn refused: skipped, the rest kept.
fn refused_note(def: &StreamDef, org: &str, post: &PostUrn, why: &dyn std::fmt::Display) -> String {
    format!(
        "{}: skipped post {post} of {org}: LinkedIn refused it ({why}); the member may not read this post. The other posts are read.",
        def.name
    )
}

/// Activity counts per post (the gate of `streams::activity`, in batches), once per
/// organization per sync. Posts LinkedIn refuses are isolated (see `split`) and listed,
/// so their comments and reactions are not requested; the counts are `None` when the
/// token may not read them at all.
pub(super) async fn social_counts(
    shared: &Shared<'_>,
    org: &str,
    posts: &[PostRef],
) -> Result<Arc<Social>> {
    let (social, _) = shared
        .social
        .get_or_try_init(&org.to_string(), || async {
            let urns: Vec<&PostUrn> = posts.iter().map(|p| &p.urn).collect();
            let read = split::bisect(&urns, activity::MAX_IDS, |chunk| {
                let path = activity::path(chunk);
                async move {
                    shared
                        .get_from::<MetaBatch>(activity::RESOURCE, false, &path)
                        .await
                }
            })
            .await;
            match read {
                Ok(read) => {
                    let mut counts = SocialCounts::new();
                    for batch in read.answers {
                        counts.extend(batch.counts().map(|(urn, c)| (urn.into_boxed_str(), c)));
                    }
                    Ok(Social {
                        counts: Some(counts),
                        refused: read
                            .refused
                            .into_iter()
                            .map(|(u, e)| ((*u).clone(), e.to_string()))
                            .collect(),
                    })
                }
                Err(e) if split::is_refusal(&e) => {
                    tracing::warn!(organization = org, "The token may not read {}; reading every post's comments and reactions instead", activity::RESOURCE);
                    Ok(Social::default())
                }
                Err(e) => Err(e),
            }
        })
        .await?;
    Ok(social)
}

/// Posts per checkpoint of a pass over an organization's posts: a pass stopped by the
/// quota, the request budget or a kill resumes after the last checkpoint.
const POSTS_PER_CHECKPOINT: usize = 50;

/// The posts of a pass completed since its last checkpoint.
struct PassProgress<'u> {
    unit: &'u Unit,
    posts: Vec<String>,
    counts: PostCounts,
}

/// Completed posts (with their counts, for incremental streams) to checkpoint.
struct Checkpoint<'u> {
    org: &'u str,
    posts: Vec<String>,
    counts: Option<PostCounts>,
}

impl Checkpoint<'_> {
    async fn send(self, out: &Emitter<'_>) {
        out.progress(self.org, self.posts, self.counts).await;
    }
}

impl<'u> PassProgress<'u> {
    fn new(unit: &'u Unit) -> Self {
        PassProgress {
            unit,
            posts: Vec::new(),
            counts: PostCounts::new(),
        }
    }

    /// Notes one completed post (with its count, for incremental streams); returns the
    /// checkpoint to send when one is due.
    fn done(&mut self, post: &PostUrn, count: Option<u64>) -> Option<Checkpoint<'u>> {
        self.posts.push(post.to_string());
        if let Some(n) = count.filter(|_| self.unit.incremental) {
            self.counts.insert(post.to_string(), n);
        }
        (self.posts.len() >= POSTS_PER_CHECKPOINT).then(|| self.take())
    }

    /// The posts completed since the last checkpoint, as a checkpoint.
    fn take(&mut self) -> Checkpoint<'u> {
        Checkpoint {
            org: self.unit.org.as_deref().unwrap_or_default(),
            posts: std::mem::take(&mut self.posts),
            counts: self
                .unit
                .incremental
                .then(|| std::mem::take(&mut self.counts)),
        }
    }
}

/// Locks a pass's progress (shared by its concurrent post reads; never held across an
/// await).
fn lock<'a, 'u>(p: &'a Mutex<PassProgress<'u>>) -> std::sync::MutexGuard<'a, PassProgress<'u>> {
    p.lock().unwrap_or_else(|e| e.into_inner())
}

/// Comments or reactions of the posts whose activity count changed since the last sync
/// (every post, when the counts cannot be read), each post paged and streamed. Completed
/// posts are checkpointed in batches, so a stopped pass resumes after them; a post skipped
/// on a 404 keeps its old count (or none) and is read again next time.
pub(super) async fn post_paged(
    shared: &Shared<'_>,
    unit: &Unit,
    p: PostPaged,
    out: &mut Emitter<'_>,
) -> Result<UnitResult> {
    let (def, org) = (unit.def, unit.org.as_deref().unwrap_or_default());
    let posts = post_list(shared, p.posts, org).await?;
    let social = social_counts(shared, org, &posts).await?;
    for (post, why) in &social.refused {
        out.warn(refused_note(def, org, post, why)).await;
    }
    let activity = match p.replies {
        Some(_) if shared.config.include_comment_replies => p.activity.with_replies(),
        _ => p.activity,
    };
    let current: Option<PostCounts> = social.counts.as_ref().map(|m| {
        posts
            .iter()
            .filter(|post| !social.refused.iter().any(|(u, _)| *u == post.urn))
            .map(|post| {
                let c = m.get(post.urn.as_str()).copied().unwrap_or_default();
                (post.urn.to_string(), activity.of(c))
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
    let to_read: Vec<&PostRef> = posts
        .iter()
        .filter(|post| !unit.post_done(post.urn.as_str()))
        .filter(|post| !social.refused.iter().any(|(u, _)| *u == post.urn))
        .filter(changed)
        .collect();
    tracing::info!(
        stream = def.name,
        organization = org,
        posts = posts.len(),
        reading = to_read.len(),
        "Reading posts with new activity"
    );
    let bookmark = unit.bookmark.filter(|_| unit.incremental);
    let pass =
        each_post(
            shared,
            unit,
            to_read,
            current.as_ref(),
            out,
            |post, mut o| async move {
                read_post(shared, def, p, org, &post.urn, bookmark, &mut o).await
            },
        )
        .await?;
    let (max, skipped) = (pass.max, pass.skipped);
    let counts = current
        .filter(|_| unit.incremental)
        .map(|cur| pass_counts(unit, &posts, cur, &skipped));
    // With a post skipped, the bookmark stays: the next read of that post must not drop
    // its records as older than the posts read now.
    let cursor = if skipped.is_empty() {
        max.capped(shared.signpost())
    } else {
        tracing::warn!(
            stream = def.name,
            organization = org,
            skipped = skipped.len(),
            "Some posts were skipped; the bookmark stays where it was so the next sync reads them"
        );
        None
    };
    Ok((cursor, counts))
}

/// How one post's read ended: read, with its newest cursor; skipped (`None`: a 404, read
/// again next sync); or an error.
type PostRead = Result<Option<Option<Cursor>>>;

/// What a completed pass over posts found: the newest cursor and the posts skipped.
struct Pass<'p> {
    max: CursorMax,
    skipped: Vec<&'p str>,
}

/// Reads `posts` with `read`, `max_concurrency` at a time, checkpointing completed posts
/// every [`POSTS_PER_CHECKPOINT`] (with their `counts`, for incremental streams). A post
/// LinkedIn refuses is skipped with a warning; when it refuses them all, or on any other
/// error, the pass stops after checkpointing what completed.
///
/// Everything a post's read sends to the sink (its records, the checkpoint it completes, a
/// warning) is sent inside that read, never by the loop here: the loop must not wait for
/// the sink while reads are pending. The sink's queue is first come, first served, and a
/// pending read holding a place in it is only polled by this loop; a loop waiting behind
/// it would wait forever (a read of many posts hung that way).
async fn each_post<'p, 'e, F, Fut>(
    shared: &Shared<'_>,
    unit: &Unit,
    posts: Vec<&'p PostRef>,
    counts: Option<&PostCounts>,
    out: &Emitter<'e>,
    read: F,
) -> Result<Pass<'p>>
where
    F: Fn(&'p PostRef, Emitter<'e>) -> Fut,
    Fut: std::future::Future<Output = PostRead>,
{
    let (def, org) = (unit.def, unit.org.as_deref().unwrap_or_default());
    let concurrency = shared.config.max_concurrency.max(1) as usize;
    let progress = Mutex::new(PassProgress::new(unit));
    let (progress_ref, read_ref) = (&progress, &read);
    let mut reads = futures_util::stream::iter(posts)
        .map(|post| async move {
            let result = read_ref(post, out.sibling()).await;
            match &result {
                Ok(Some(_)) => {
                    let count = counts.and_then(|c| c.get(post.urn.as_str()).copied());
                    let due = lock(progress_ref).done(&post.urn, count);
                    if let Some(checkpoint) = due {
                        checkpoint.send(out).await;
                    }
                }
                Err(e) if split::is_refusal(e) => {
                    out.warn(refused_note(def, org, &post.urn, e)).await;
                }
                _ => {}
            }
            (post, result)
        })
        .buffered(concurrency);
    let mut pass = Pass {
        max: CursorMax::default(),
        skipped: Vec::new(),
    };
    let mut refused = Refused::default();
    let mut failed = None;
    while let Some((post, result)) = reads.next().await {
        refused.read += 1;
        match result {
            Ok(Some(post_max)) => pass.max.see(post_max),
            Ok(None) => pass.skipped.push(post.urn.as_str()),
            Err(e) if split::is_refusal(&e) => refused.note(e),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    drop(reads);
    match failed.map_or_else(|| refused.check(), Err) {
        // The pass completed: its outcome replaces the checkpoints, so none is written.
        Ok(()) => Ok(pass),
        Err(e) => {
            let rest = lock(&progress).take();
            rest.send(out).await;
            Err(e)
        }
    }
}

/// The per-post counts a completed pass stores: the current ones, except that posts an
/// earlier run of this pass read keep the count they were read at, and a skipped post
/// keeps its old count (or none), so it is read again next time.
fn pass_counts(
    unit: &Unit,
    posts: &[PostRef],
    mut cur: PostCounts,
    skipped: &[&str],
) -> PostCounts {
    let before = |urn: &str| unit.counts.as_ref().and_then(|c| c.get(urn).copied());
    let resumed = posts
        .iter()
        .map(|p| p.urn.as_str())
        .filter(|urn| unit.post_done(urn));
    for urn in resumed.chain(skipped.iter().copied()) {
        match before(urn) {
            Some(n) => cur.insert(urn.to_string(), n),
            None => cur.remove(urn),
        };
    }
    cur
}

/// Every page of one post's comments or reactions newer than the bookmark, sent to the
/// sink page by page; returns the newest cursor, or `None` when the post was skipped (a
/// 404: deleted during the sync, or a transient answer; either way not read completely).
async fn read_post(
    shared: &Shared<'_>,
    def: &'static StreamDef,
    p: PostPaged,
    org: &str,
    post: &PostUrn,
    bookmark: Option<Cursor>,
    out: &mut Emitter<'_>,
) -> Result<Option<Option<Cursor>>> {
    let ctx = RecordCtx {
        post: Some(post.as_str()),
        ..shared.ctx(org)
    };
    let mut max = CursorMax::default();
    let mut pager = shared.pager(def);
    // Replies are found in the raw elements; without them, each page is decoded in one
    // pass when it can be (`records::page`).
    let replies = p.replies.filter(|_| shared.config.include_comment_replies);
    loop {
        let next = if replies.is_some() {
            pager
                .next_page(|start| p.path(post, start))
                .await
                .map(|o| o.map(Page::Raw))
        } else {
            let decode = |body: &[u8]| (def.decode_page)(&ctx, body);
            pager
                .next_page_decoded(|start| p.path(post, start), decode)
                .await
        };
        let page = match next {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(Error::Api { status: 404, .. }) => {
                tracing::warn!(
                    stream = def.name,
                    post = post.as_str(),
                    "Post not found (deleted during the sync?); skipping it until the next sync"
                );
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let reached = match page {
            Page::Decoded(page) => {
                let (kept, reached) = out.records.take_page(page, bookmark);
                max.see(kept.0);
                out.flush().await?;
                reached
            }
            Page::Raw(page) => {
                let mut reached = false;
                for raw in &page {
                    match out.records.push_newer(def, &ctx, raw, bookmark)? {
                        Pushed::Kept(c) => max.see(c),
                        Pushed::Older => reached = true,
                    }
                }
                out.flush().await?;
                if let Some(r) = replies {
                    max.see(
                        super::replies::read(shared, def, r, &page, &ctx, bookmark, out).await?,
                    );
                }
                reached
            }
        };
        if reached && p.newest_first {
            break;
        }
    }
    Ok(Some(max.0))
}

/// Each video post's statistics, one request per variant. Video Analytics takes only a
/// ugcPost URN of a post that contains a video (its schema: `entity`, "URN for the video
/// entity with type ugcPost and includes the video",
/// <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/video-analytics-api>),
/// so share URNs and other posts are never sent. Posts are read `max_concurrency` at a
/// time, their variants one after another (see [`each_post`]); a post LinkedIn refuses is
/// skipped with a warning naming it.
pub(super) async fn video(
    shared: &Shared<'_>,
    unit: &Unit,
    v: VideoVariants,
    out: &mut Emitter<'_>,
) -> Result<()> {
    let (def, org) = (unit.def, unit.org.as_deref().unwrap_or_default());
    let posts = post_list(shared, v.posts, org).await?;
    let videos: Vec<&PostRef> = posts
        .iter()
        .filter(|p| {
            p.is_video && p.urn.kind() == Some(PostKind::UgcPost) && !unit.post_done(p.urn.as_str())
        })
        .collect();
    each_post(shared, unit, videos, None, out, |post, mut o| async move {
        video_post(shared, def, v, org, &post.urn, &mut o)
            .await
            .map(|()| Some(None))
    })
    .await?;
    Ok(())
}

/// Posts read one by one that LinkedIn refused. Each is skipped with a warning; when it
/// refused every post read, that is a token or role problem, not one post, and the first
/// refusal is the unit's error.
#[derive(Default)]
struct Refused {
    read: usize,
    first: Option<Error>,
    count: usize,
}

impl Refused {
    /// Counts a refused post (its warning is sent by the caller).
    fn note(&mut self, e: Error) {
        self.count += 1;
        self.first.get_or_insert(e);
    }

    fn check(self) -> Result<()> {
        match self.first {
            Some(e) if self.count == self.read => Err(e),
            _ => Ok(()),
        }
    }
}

/// One video post's statistics, every variant, sent to the sink.
async fn video_post(
    shared: &Shared<'_>,
    def: &'static StreamDef,
    v: VideoVariants,
    org: &str,
    post: &PostUrn,
    out: &mut Emitter<'_>,
) -> Result<()> {
    // Every variant first, so a post LinkedIn refuses part-way emits nothing.
    let mut answers = Vec::with_capacity(v.variants.len());
    for variant in v.variants {
        let coll: Collection = shared.get(def, &v.path(post, variant)).await?;
        answers.push((*variant, coll));
    }
    for (variant, coll) in &answers {
        let ctx = RecordCtx {
            post: Some(post.as_str()),
            variant: Some(variant),
            ..shared.ctx(org)
        };
        for raw in &coll.elements {
            out.push(def, &ctx, raw)?;
        }
    }
    out.flush().await
}
