//! Running one unit: the endpoint kind of its stream decides the requests. Organization-
//! level and global kinds are here; the kinds that iterate an organization's posts are in
//! `posts.rs`. Nothing here names a stream or a LinkedIn resource: what differs between
//! streams is data on their row (`streams::Endpoint`).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tokio::sync::mpsc;

use super::batch::{CursorMax, Emitter};
use super::cache::Cache;
use super::plan::Unit;
use super::posts;
use super::sink::Msg;
use super::window::{complete, window};
use super::UnitResult;
use crate::config::Config;
use crate::domain::urn::{OrgKind, OrgUrn};
use crate::domain::Cursor;
use crate::error::{Error, FailureType, Result};
use crate::linkedin::client::Client;
use crate::linkedin::pager::Pager;
use crate::linkedin::wire::{Batch, Collection};
use crate::streams::activity::Counts;
use crate::streams::records::RecordCtx;
use crate::streams::{Endpoint, GeoBatch, GetAll, IdsBatch, OrgFinder, PostRef, StreamDef};

/// Activity counts per post URN.
pub(super) type SocialCounts = std::collections::HashMap<Box<str>, Counts>;

/// Everything the units of a read share.
pub(super) struct Shared<'a> {
    pub client: &'a Client,
    pub config: &'a Config,
    pub now: DateTime<Utc>,
    /// The organizations of this sync, resolved once.
    pub orgs: Vec<String>,
    /// Set on a fatal error: units stop before their next request.
    pub cancel: AtomicBool,
    /// Post lists per (source stream, organization), read once and shared by the
    /// per-post streams.
    pub post_lists: Cache<(&'static str, String), Vec<PostRef>>,
    /// Activity counts per organization, and the posts LinkedIn refused.
    pub social: Cache<String, posts::Social>,
    /// Lifetime statistics responses per request path, read once per sync.
    pub lifetime: Cache<String, Collection>,
    /// The streams whose post list a selected per-post stream iterates: when such a
    /// stream runs, it reads its whole list, not only what is newer than its bookmark.
    pub post_sources: BTreeSet<&'static str>,
}

impl Shared<'_> {
    /// One GET for `def`'s endpoint, unless the read was cancelled.
    pub(super) async fn get<T: DeserializeOwned>(&self, def: &StreamDef, path: &str) -> Result<T> {
        self.get_from(def.endpoint.resource(), def.endpoint.finder_header(), path)
            .await
    }

    pub(super) async fn get_from<T: DeserializeOwned>(
        &self,
        resource: &str,
        finder: bool,
        path: &str,
    ) -> Result<T> {
        if self.cancel.load(Ordering::SeqCst) {
            return Err(Error::Cancelled);
        }
        self.client.get(resource, path, finder).await
    }

    /// The cap of time-cursor bookmarks: nothing at or after the sync's start is final,
    /// since records may still be created (or edited) on posts already read. The start is
    /// taken from LinkedIn's clock (the earliest `Date` it sent) and the local one,
    /// whichever is earlier: a local clock running ahead of LinkedIn's must not push
    /// bookmarks past records still to come, and one running behind must not write a
    /// bookmark the next run would reject as in the future. Re-reading a little is
    /// harmless (primary keys); skipping is not.
    pub(super) fn signpost(&self) -> Cursor {
        let start = self
            .client
            .server_time_floor()
            .map_or(self.now, |t| t.min(self.now));
        Cursor::Time(start - Duration::milliseconds(1))
    }

    /// A pager over `def`'s endpoint that stops when the read is cancelled.
    pub(super) fn pager<'s>(&'s self, def: &'s StreamDef) -> Pager<'s> {
        Pager::new(
            self.client,
            def.endpoint.resource(),
            def.name,
            def.endpoint.finder_header(),
        )
        .cancel_on(&self.cancel)
    }

    /// The record context of an organization's records.
    pub(super) fn ctx<'c>(&self, org: &'c str) -> RecordCtx<'c> {
        RecordCtx {
            organization: org,
            granularity: self.config.time_granularity,
            snapshot_date: self.now.date_naive(),
            post: None,
            variant: None,
        }
    }

    /// A lifetime statistics response, read once per sync and path.
    async fn lifetime(&self, f: &OrgFinder, org: &str) -> Result<std::sync::Arc<Collection>> {
        let path = f.path(org);
        let (coll, _) = self
            .lifetime
            .get_or_try_init(&path, || self.get_from(f.resource_for(org), true, &path))
            .await?;
        Ok(coll)
    }
}

/// Runs one unit; its records go to the sink through `tx`.
pub(super) async fn run_unit(
    shared: &Shared<'_>,
    unit: &Unit,
    tx: &mpsc::Sender<Msg>,
) -> Result<UnitResult> {
    let def = unit.def;
    let org = unit.org.as_deref().unwrap_or_default();
    let ctx = shared.ctx(org);
    let mut out = Emitter::new(tx, unit.stream);
    match def.endpoint {
        Endpoint::Organizations(b) => organizations(shared, def, b, &ctx, &mut out).await?,
        Endpoint::OrgKeyed(k) => {
            let raw: Box<RawValue> = shared.get(def, &k.path(org)).await?;
            out.push(def, &ctx, &raw)?;
        }
        Endpoint::OrgFinder(f) => match f.time_bound {
            None => {
                for raw in &shared.lifetime(&f, org).await?.elements {
                    out.push(def, &ctx, raw)?;
                }
            }
            Some(_) => return time_bound(shared, unit, f, &ctx, &mut out).await,
        },
        Endpoint::PostList(_) => return posts::post_list_unit(shared, unit, &mut out).await,
        Endpoint::PostBatch(b) => posts::post_batch(shared, unit, b, &mut out).await?,
        Endpoint::PostPaged(p) => return posts::post_paged(shared, unit, p, &mut out).await,
        Endpoint::VideoVariants(v) => posts::video(shared, unit, v, &mut out).await?,
        Endpoint::GetAll(g) => get_all(shared, def, g, &ctx, &mut out).await?,
        Endpoint::Geo(g) => geo(shared, def, g, &ctx, &mut out).await?,
    }
    out.flush().await?;
    Ok((None, None))
}

/// Every organization in batches; organizations LinkedIn refuses are a config error
/// naming them, after the others' records.
async fn organizations(
    shared: &Shared<'_>,
    def: &StreamDef,
    b: IdsBatch,
    ctx: &RecordCtx<'_>,
    out: &mut Emitter<'_>,
) -> Result<()> {
    let ids: Vec<String> = shared
        .orgs
        .iter()
        .filter_map(|o| OrgUrn::parse(o).ok())
        .filter(|u| u.kind == OrgKind::Organization)
        .map(|u| u.id.to_string())
        .collect();
    let mut problems = Vec::new();
    for (id, entity) in batch_get(shared, def, b, &ids).await? {
        match entity {
            Ok(raw) => {
                let urn = id
                    .parse()
                    .map(|n| OrgUrn::organization(n).to_string())
                    .unwrap_or_default();
                out.push(
                    def,
                    &RecordCtx {
                        organization: &urn,
                        ..*ctx
                    },
                    &raw,
                )?;
            }
            Err(message) => problems.push(format!("{id}: {message}")),
        }
    }
    out.flush().await?;
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::Api {
        status: 403,
        endpoint: b.resource.into(),
        code: None,
        failure: FailureType::Config,
        message: format!("LinkedIn refused some organizations: {}. Check organization_ids and that the member is an ADMINISTRATOR of each page.", problems.join("; ")),
    })
}

/// One time-bound statistics request over the window after the bookmark; only complete
/// buckets advance the bookmark.
async fn time_bound(
    shared: &Shared<'_>,
    unit: &Unit,
    f: OrgFinder,
    ctx: &RecordCtx<'_>,
    out: &mut Emitter<'_>,
) -> Result<UnitResult> {
    let (def, org, c) = (unit.def, ctx.organization, shared.config);
    let Some(tb) = f.time_bound else {
        return Err(Error::Internal(
            "a lifetime finder read as time-bound".into(),
        ));
    };
    let bookmark = unit.bookmark.filter(|_| unit.incremental);
    let g = c.time_granularity;
    let Some(w) = window(
        tb,
        g,
        bookmark,
        c.start_date,
        c.lookback_window_days,
        shared.now,
    ) else {
        return Ok((None, None));
    };
    out.log(format!(
        "{} {org}: {} buckets from {} to {} (UTC)",
        def.name,
        g.as_str(),
        w.start,
        w.end - Duration::days(1)
    ))
    .await;
    out.estimate(super::window::buckets(&w)).await;
    let coll: Collection = shared
        .get_from(f.resource_for(org), true, &f.windowed_path(org, &w))
        .await?;
    let mut max = CursorMax::default();
    for raw in &coll.elements {
        let cursor = out.push(def, ctx, raw)?;
        if cursor
            .and_then(|c| c.date())
            .is_some_and(|d| complete(d, &w))
        {
            max.see(cursor);
        }
    }
    out.flush().await?;
    Ok((max.0, None))
}

/// A whole standardized-data list, page by page.
async fn get_all(
    shared: &Shared<'_>,
    def: &StreamDef,
    g: GetAll,
    ctx: &RecordCtx<'_>,
    out: &mut Emitter<'_>,
) -> Result<()> {
    let ctx = RecordCtx {
        variant: Some(g.variant),
        ..*ctx
    };
    let mut pager = shared.pager(def);
    while let Some(page) = pager.next_page(|start| g.path(start)).await? {
        for raw in &page {
            out.push(def, &ctx, raw)?;
        }
        out.flush().await?;
    }
    Ok(())
}

/// The names of the geo ids found in the source endpoint's lifetime elements (shared
/// with the stream that emits those elements: one request per organization in all).
async fn geo(
    shared: &Shared<'_>,
    def: &StreamDef,
    g: GeoBatch,
    ctx: &RecordCtx<'_>,
    out: &mut Emitter<'_>,
) -> Result<()> {
    let mut ids = BTreeSet::new();
    for o in &shared.orgs {
        for raw in &shared.lifetime(g.source, o).await?.elements {
            (g.ids_in)(raw.get(), &mut ids);
        }
    }
    let ids: Vec<String> = ids.into_iter().collect();
    for (_, entity) in batch_get(shared, def, g.batch, &ids).await? {
        if let Ok(raw) = entity {
            out.push(def, ctx, &raw)?;
        }
    }
    Ok(())
}

/// BATCH_GETs `ids` in chunks: per id, the entity or LinkedIn's per-id error (partial
/// failures are normal in Rest.li batch responses).
async fn batch_get(
    shared: &Shared<'_>,
    def: &StreamDef,
    b: IdsBatch,
    ids: &[String],
) -> Result<Vec<(String, Result<Box<RawValue>, String>)>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(b.max_ids.max(1)) {
        let mut batch: Batch = shared.get(def, &b.path(chunk)).await?;
        for id in chunk {
            let entity = match batch.results.remove(id) {
                Some(raw) => Ok(raw),
                None => Err(batch
                    .errors
                    .get(id)
                    .and_then(|e| e.get("message"))
                    .and_then(|m| m.as_str())
                    .unwrap_or("not returned")
                    .to_string()),
            };
            out.push((id.clone(), entity));
        }
    }
    Ok(out)
}
