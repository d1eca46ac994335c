//! The one read loop. Every selected stream is split into units (one per organization,
//! or one for global streams); units run concurrently and send their records, page by
//! page, to a single writer, which emits each unit's bookmark as STATE only after all of
//! that unit's records. So a kill at any instant loses nothing on resume: at most the
//! open units are read again, and primary keys make the repeats harmless.
//!
//! The engine knows the endpoint *kinds* of `streams::Endpoint`, never a particular stream.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::{mpsc, OnceCell};

use crate::catalog::Selected;
use crate::config::{Config, Granularity};
use crate::error::{Error, Result};
use crate::linkedin::client::Client;
use crate::linkedin::urn::{post_kind, OrgUrn, PostKind};
use crate::protocol::{StreamStatus, Writer};
use crate::state::{PostCounts, State};
use crate::streams::records::{content_type, RecordCtx};
use crate::streams::{Activity, Endpoint, Params, Partition, StreamDef, TimeBound};

/// A Rest.li collection or statistics response.
#[derive(Deserialize)]
struct Collection {
    elements: Vec<Box<RawValue>>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct Paging {
    total: Option<u64>,
}

/// A Rest.li BATCH_GET response: partial failures are normal.
#[derive(Deserialize)]
struct Batch {
    #[serde(default)]
    results: HashMap<String, Box<RawValue>>,
    #[serde(default)]
    errors: HashMap<String, serde_json::Value>,
}

/// What the engine keeps of each post for the child streams.
#[derive(Debug, Clone)]
struct PostRef {
    urn: String,
    is_video: bool,
}

#[derive(Deserialize)]
struct PostHead {
    id: String,
    content: Option<serde_json::Map<String, serde_json::Value>>,
}

enum Msg {
    /// A line for the platform's log (Airbyte LOG).
    Log(String),
    Records {
        stream: usize,
        data: Vec<u8>,
        count: u64,
    },
    Done {
        stream: usize,
        partition: String,
        result: Result<UnitResult>,
    },
}

/// What a completed unit hands the writer: its new cursor and, for streams that read every
/// post, the per-post counts to compare with next time.
type UnitResult = (Option<String>, Option<PostCounts>);

/// (top-level comments, reactions) per post URN.
type SocialCounts = HashMap<String, (u64, u64)>;

/// Lazily built, shared values per organization.
type PerOrg<T> = Mutex<HashMap<String, Arc<OnceCell<Arc<T>>>>>;

/// Everything the units share.
struct Shared<'a> {
    client: &'a Client,
    config: &'a Config,
    now: DateTime<Utc>,
    /// The organizations of this sync, resolved once.
    orgs: Vec<String>,
    cancel: AtomicBool,
    /// Per-organization post lists, read once and shared by the child streams.
    post_index: PerOrg<Vec<PostRef>>,
    /// socialMetadata counts per organization (shared by the comment and reaction streams).
    social: PerOrg<Option<SocialCounts>>,
    /// Lifetime follower statistics per organization (shared by follower_statistics and geo).
    follower_lifetime: PerOrg<Collection>,
    children_selected: bool,
}

/// One unit of work: a stream over one partition.
struct Unit {
    stream: usize,
    def: &'static StreamDef,
    incremental: bool,
    org: Option<String>,
    bookmark: Option<String>,
    /// Per-post counts recorded by the previous sync (child streams).
    counts: Option<PostCounts>,
}

/// The outcome of a read that ran to its end: which streams failed and why.
pub struct ReadReport {
    pub failures: Vec<(String, Error)>,
    pub requests: u64,
    pub records: u64,
}

/// Resolves the organizations to read: the configured ones, or every page the member
/// administers (organizationAcls, role ADMINISTRATOR, state APPROVED).
pub async fn resolve_organizations(config: &Config, client: &Client) -> Result<Vec<String>> {
    if !config.organization_ids.is_empty() {
        return Ok(config.organization_ids.clone());
    }
    #[derive(Deserialize)]
    struct Acl {
        organization: Option<String>,
        #[serde(rename = "organizationTarget")]
        organization_target: Option<String>,
    }
    #[derive(Deserialize)]
    struct Acls {
        elements: Vec<Acl>,
    }
    let mut orgs = BTreeSet::new();
    let mut start = 0;
    loop {
        let page: Acls = client
            .get("organizationAcls", &format!("organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start={start}&count=100"), true)
            .await?;
        let n = page.elements.len();
        for a in page.elements {
            if let Some(o) = a.organization.or(a.organization_target) {
                orgs.insert(o);
            }
        }
        if n < 100 {
            break;
        }
        start += n;
    }
    if orgs.is_empty() {
        return Err(Error::Config(
            "The member who authorised the token administers no LinkedIn page (no APPROVED ADMINISTRATOR role in organizationAcls). Ask a super admin of the page to make them an ADMINISTRATOR, or set organization_ids.".into(),
        ));
    }
    Ok(orgs.into_iter().collect())
}

/// Reads the selected streams and writes RECORD and STATE messages.
pub async fn read<W: Write>(
    config: &Config,
    client: &Client,
    selected: &[Selected],
    mut state: State,
    writer: &mut Writer<W>,
    now: DateTime<Utc>,
) -> Result<ReadReport> {
    let orgs = resolve_organizations(config, client).await?;
    let now_ms = now.timestamp_millis();
    writer.log(
        "INFO",
        &format!(
            "Reading {} stream(s) for {} organization(s): {}",
            selected.len(),
            orgs.len(),
            orgs.join(", ")
        ),
    )?;
    tracing::info!(
        organizations = orgs.len(),
        streams = selected.len(),
        "Starting read"
    );
    for s in selected {
        let schema = (s.def.schema)();
        writer.schema(
            s.def.name,
            &schema,
            s.def.primary_key,
            s.def.cursor.filter(|_| s.incremental),
        )?;
        writer.stream_status(s.def.name, StreamStatus::Started, None, now_ms)?;
    }
    let mut units = Vec::new();
    for (i, s) in selected.iter().enumerate() {
        match s.def.partition {
            Partition::Global => units.push(Unit {
                stream: i,
                def: s.def,
                incremental: s.incremental,
                org: None,
                bookmark: None,
                counts: None,
            }),
            Partition::Organization => {
                for org in &orgs {
                    let bookmark = if s.incremental {
                        state.get(s.def.name, org).map(str::to_string)
                    } else {
                        None
                    };
                    let counts = if s.incremental {
                        state.post_counts(s.def.name, org).cloned()
                    } else {
                        None
                    };
                    units.push(Unit {
                        stream: i,
                        def: s.def,
                        incremental: s.incremental,
                        org: Some(org.clone()),
                        bookmark,
                        counts,
                    });
                }
            }
        }
    }
    // Posts first, so the posts stream builds the post lists the child streams share.
    units.sort_by_key(|u| {
        (
            !matches!(u.def.endpoint, Endpoint::OrgPaged { .. }),
            u.def.per_post(),
        )
    });
    let mut outstanding = vec![0usize; selected.len()];
    for u in &units {
        outstanding[u.stream] += 1;
    }
    let shared = Shared {
        client,
        config,
        now,
        orgs: orgs.clone(),
        cancel: AtomicBool::new(false),
        post_index: Mutex::new(HashMap::new()),
        follower_lifetime: Mutex::new(HashMap::new()),
        social: Mutex::new(HashMap::new()),
        children_selected: selected.iter().any(|s| s.def.per_post()),
    };
    // A message carries up to one post's or page's records (~100 KB for 100 comments), and
    // the producers run ahead of the writer until the channel is full: 8 messages keep
    // the writer fed while bounding what waits (64 let peak RSS grow ~2x from 10k to 1M
    // comments).
    let (tx, mut rx) = mpsc::channel::<Msg>(8);
    // With max_concurrency 1 the read is sequential, so its output is byte-stable.
    let limit = config.max_concurrency.max(1) as usize;
    let producer = {
        let shared = &shared;
        async move {
            futures_util::stream::iter(units)
                .for_each_concurrent(limit, |unit| {
                    let tx = tx.clone();
                    async move {
                        let partition = unit.org.clone().unwrap_or_else(|| "*".into());
                        let result = run_unit(shared, &unit, &tx).await;
                        let _ = tx
                            .send(Msg::Done {
                                stream: unit.stream,
                                partition,
                                result,
                            })
                            .await;
                    }
                })
                .await;
        }
    };
    let mut failures: Vec<(String, Error)> = Vec::new();
    let mut counts = vec![0u64; selected.len()];
    let mut since_state = vec![0u64; selected.len()];
    let mut total_records = 0u64;
    let mut output_error: Option<Error> = None;
    let mut quota: Option<Error> = None;
    let consumer = async {
        while let Some(msg) = rx.recv().await {
            if output_error.is_some() {
                continue; // keep draining so producers finish
            }
            let res = match msg {
                Msg::Log(line) => writer.log("INFO", &line),
                Msg::Records {
                    stream,
                    data,
                    count,
                } => {
                    let name = selected[stream].def.name;
                    let first = counts[stream] == 0;
                    counts[stream] += count;
                    since_state[stream] += count;
                    total_records += count;
                    (|| -> Result<()> {
                        if first && count > 0 {
                            writer.stream_status(name, StreamStatus::Running, None, now_ms)?;
                        }
                        // Records are newline-separated; memchr finds the boundaries at
                        // memory speed (a byte loop here cost ~10% of a read).
                        let mut start = 0;
                        for end in memchr::memchr_iter(b'\n', &data) {
                            if end > start {
                                writer.record(name, &data[start..end])?;
                            }
                            start = end + 1;
                        }
                        Ok(())
                    })()
                }
                Msg::Done {
                    stream,
                    partition,
                    result,
                } => {
                    let sel = selected[stream];
                    outstanding[stream] -= 1;
                    (|| -> Result<()> {
                        match result {
                            Ok((cursor, counts)) => {
                                if sel.incremental {
                                    if let Some(c) = cursor {
                                        state.advance(sel.def.name, &partition, &c);
                                    }
                                    if let Some(counts) = counts {
                                        state.set_post_counts(sel.def.name, &partition, counts);
                                    }
                                    writer.state(
                                        sel.def.name,
                                        since_state[stream],
                                        || state.airbyte_stream_state(sel.def),
                                        || state.singer_state(),
                                    )?;
                                    since_state[stream] = 0;
                                }
                            }
                            Err(Error::Cancelled) => {}
                            Err(e) => {
                                tracing::error!(stream = sel.def.name, organization = partition.as_str(), error = %e, "Stream partition failed");
                                let fatal = matches!(e, Error::QuotaExhausted { .. })
                                    || matches!(&e, Error::Api { status: 401, .. })
                                    || matches!(e, Error::Output(_) | Error::BrokenPipe);
                                if fatal {
                                    shared.cancel.store(true, Ordering::SeqCst);
                                }
                                if matches!(e, Error::QuotaExhausted { .. }) {
                                    if quota.is_none() {
                                        quota = Some(e);
                                    }
                                } else if !failures.iter().any(|(s, _)| s == sel.def.name) {
                                    failures.push((sel.def.name.to_string(), e));
                                }
                            }
                        }
                        if outstanding[stream] == 0 {
                            let failed = failures.iter().any(|(s, _)| s == sel.def.name)
                                || (shared.cancel.load(Ordering::SeqCst));
                            let status = if failed {
                                StreamStatus::Incomplete
                            } else {
                                StreamStatus::Complete
                            };
                            let reset = if failed && quota.is_some() {
                                Some(next_midnight(now).timestamp_millis())
                            } else {
                                None
                            };
                            writer.stream_status(sel.def.name, status, reset, now_ms)?;
                            if !failed {
                                writer.estimate(sel.def.name, counts[stream], now_ms)?;
                            }
                            let line = format!(
                                "Stream {}: {} records, {}",
                                sel.def.name,
                                counts[stream],
                                if failed { "incomplete" } else { "complete" }
                            );
                            tracing::info!(
                                stream = sel.def.name,
                                records = counts[stream],
                                "{line}"
                            );
                            writer.log("INFO", &line)?;
                        }
                        Ok(())
                    })()
                }
            };
            if let Err(e) = res {
                shared.cancel.store(true, Ordering::SeqCst);
                output_error = Some(e);
            }
        }
    };
    tokio::join!(producer, consumer);
    if let Some(e) = output_error {
        return Err(e);
    }
    writer.flush()?;
    let requests = client.requests();
    let quota_note = client
        .quota_remaining()
        .map(|q| format!(", {q} left in today's quota"))
        .unwrap_or_default();
    writer.log(
        "INFO",
        &format!("Read {total_records} records with {requests} API requests{quota_note}"),
    )?;
    tracing::info!(records = total_records, requests, "Read finished");
    if let Some(q) = quota {
        failures.insert(0, ("*".into(), q));
    }
    Ok(ReadReport {
        failures,
        requests,
        records: total_records,
    })
}

fn next_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    (now.date_naive() + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now)
}

fn midnight_ms(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or(0)
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day0(0).unwrap_or(d)
}

use chrono::Datelike;

/// The bucket after the one starting at `d`.
fn bucket_after(d: NaiveDate, g: Granularity) -> NaiveDate {
    match g {
        Granularity::DAY => d + Duration::days(1),
        Granularity::MONTH => month_start(d)
            .checked_add_months(Months::new(1))
            .unwrap_or(d),
    }
}

/// The window `[start, end)` of a time-bound request, clamped the way LinkedIn requires:
/// no earlier than 12 months ago (minus a day of safety) or `start_date`, starting from
/// the bookmark minus the lookback, ending after the last day whose data is final. `None`
/// when there is nothing new to read.
pub fn window(
    tb: TimeBound,
    g: Granularity,
    bookmark: Option<&str>,
    start_date: Option<NaiveDate>,
    lookback_days: u32,
    now: DateTime<Utc>,
) -> Option<(NaiveDate, NaiveDate)> {
    let today = now.date_naive();
    let last_day = today - Duration::days(tb.lag_days);
    let end = last_day + Duration::days(1);
    let retention = today - Duration::days(364);
    let mut start = start_date.map_or(retention, |s| s.max(retention));
    if let Some(b) = bookmark.and_then(|b| NaiveDate::parse_from_str(b, "%Y-%m-%d").ok()) {
        let next = bucket_after(b, g) - Duration::days(i64::from(lookback_days));
        start = start.max(next);
    }
    if g == Granularity::MONTH {
        start = month_start(start).max(retention);
    }
    (start <= last_day).then_some((start, end))
}

/// Decoded records, newline-separated, ready for the writer.
#[derive(Default)]
struct Records {
    buf: Vec<u8>,
    count: u64,
}

/// What `Records::push_newer` did with a record.
enum Pushed {
    /// Kept, with its cursor.
    Kept(Option<String>),
    /// Not newer than the bookmark: dropped.
    Older,
}

impl Records {
    /// Decodes one element into a record; returns its cursor.
    fn push(&mut self, def: &StreamDef, ctx: &RecordCtx, raw: &RawValue) -> Result<Option<String>> {
        let mark = self.buf.len();
        match (def.decode)(ctx, raw.get(), &mut self.buf) {
            Ok(c) => {
                self.buf.push(b'\n');
                self.count += 1;
                Ok(c)
            }
            Err(e) => {
                self.buf.truncate(mark);
                Err(Error::Decode {
                    stream: def.name.into(),
                    detail: format!(
                        "{e}; element: {}",
                        crate::linkedin::client::excerpt(raw.get().as_bytes())
                    ),
                })
            }
        }
    }

    /// Like `push`, but drops a record whose cursor is not after `bookmark`.
    fn push_newer(
        &mut self,
        def: &StreamDef,
        ctx: &RecordCtx,
        raw: &RawValue,
        bookmark: Option<&str>,
    ) -> Result<Pushed> {
        let mark = self.buf.len();
        let cursor = self.push(def, ctx, raw)?;
        if let (Some(c), Some(b)) = (cursor.as_deref(), bookmark) {
            if c <= b {
                self.buf.truncate(mark);
                self.count -= 1;
                return Ok(Pushed::Older);
            }
        }
        Ok(Pushed::Kept(cursor))
    }

    fn append(&mut self, other: Records) {
        // Usually empty (flushed after every post): take the buffer instead of copying it.
        if self.buf.is_empty() {
            self.buf = other.buf;
        } else {
            self.buf.extend_from_slice(&other.buf);
        }
        self.count += other.count;
    }
}

/// A unit's records on their way to the writer, sent page by page.
struct Emitter<'a> {
    tx: &'a mpsc::Sender<Msg>,
    stream: usize,
    records: Records,
}

impl Emitter<'_> {
    fn push(&mut self, def: &StreamDef, ctx: &RecordCtx, raw: &RawValue) -> Result<Option<String>> {
        self.records.push(def, ctx, raw)
    }

    async fn flush(&mut self) -> Result<()> {
        if self.records.count == 0 {
            return Ok(());
        }
        let Records { buf: data, count } = std::mem::take(&mut self.records);
        self.tx
            .send(Msg::Records {
                stream: self.stream,
                data,
                count,
            })
            .await
            .map_err(|_| Error::Cancelled)
    }
}

/// Detects a server that answers every offset with the same page, which would otherwise
/// page forever.
#[derive(Default)]
struct LoopGuard(Option<(String, String)>);

impl LoopGuard {
    fn check(&mut self, stream: &str, start: usize, elements: &[Box<RawValue>]) -> Result<()> {
        let (Some(first), Some(last)) = (elements.first(), elements.last()) else {
            return Ok(());
        };
        let key = (first.get().to_string(), last.get().to_string());
        if self.0.as_ref() == Some(&key) {
            return Err(Error::Decode {
                stream: stream.into(),
                detail: format!("LinkedIn returned the same page again at start={start}; stopping instead of paging forever"),
            });
        }
        self.0 = Some(key);
        Ok(())
    }
}

/// Keeps the newest cursor seen and caps it at the signpost.
#[derive(Default)]
struct CursorMax(Option<String>);

impl CursorMax {
    fn see(&mut self, c: Option<String>) {
        if let Some(c) = c {
            if self.0.as_ref().is_none_or(|m| c > *m) {
                self.0 = Some(c);
            }
        }
    }
}

async fn get<T: for<'de> Deserialize<'de>>(
    shared: &Shared<'_>,
    def: &StreamDef,
    path: &str,
) -> Result<T> {
    if shared.cancel.load(Ordering::SeqCst) {
        return Err(Error::Cancelled);
    }
    shared
        .client
        .get(def.endpoint.resource(), path, def.endpoint.finder_header())
        .await
}

async fn run_unit(shared: &Shared<'_>, unit: &Unit, tx: &mpsc::Sender<Msg>) -> Result<UnitResult> {
    let def = unit.def;
    let org = unit.org.as_deref().unwrap_or("");
    let g = shared.config.time_granularity;
    let snapshot = shared.now.date_naive();
    let ctx = RecordCtx {
        organization: org,
        granularity: g,
        snapshot_date: snapshot,
        post: None,
        variant: None,
    };
    let mut out = Emitter {
        tx,
        stream: unit.stream,
        records: Records::default(),
    };
    let mut max = CursorMax::default();
    let signpost = crate::streams::records::Timestamp(shared.now.timestamp_millis()).to_rfc3339();
    let bookmark = unit.bookmark.as_deref();
    match def.endpoint {
        Endpoint::OrganizationsBatch { max_ids } => {
            let ids: Vec<String> = shared
                .orgs
                .iter()
                .filter_map(|o| OrgUrn::parse(o).ok())
                .filter(|u| u.kind == "organization")
                .map(|u| u.id.to_string())
                .collect();
            let mut problems = Vec::new();
            for (id, entity) in batch_get(shared, def, &ids, max_ids).await? {
                match entity {
                    Ok(raw) => {
                        let urn = format!("urn:li:organization:{id}");
                        out.push(
                            def,
                            &RecordCtx {
                                organization: &urn,
                                ..ctx
                            },
                            &raw,
                        )?;
                    }
                    Err(message) => problems.push(format!("{id}: {message}")),
                }
            }
            out.flush().await?;
            if !problems.is_empty() {
                return Err(Error::Api { status: 403, endpoint: "organizations".into(), code: None, failure: crate::error::FailureType::Config,
                    message: format!("LinkedIn refused some organizations: {}. Check organization_ids and that the member is an ADMINISTRATOR of each page.", problems.join("; ")) });
            }
        }
        Endpoint::OrgKeyed { .. } => {
            let raw: Box<RawValue> = get(
                shared,
                def,
                &def.endpoint.path(&Params {
                    org: Some(org),
                    ..Default::default()
                }),
            )
            .await?;
            out.push(def, &ctx, &raw)?;
            out.flush().await?;
        }
        Endpoint::OrgFinder {
            time_bound: None,
            resource,
            ..
        } => {
            let coll = if resource == "organizationalEntityFollowerStatistics" {
                follower_lifetime(shared, def, org).await?
            } else {
                Arc::new(
                    get::<Collection>(
                        shared,
                        def,
                        &def.endpoint.path(&Params {
                            org: Some(org),
                            ..Default::default()
                        }),
                    )
                    .await?,
                )
            };
            for raw in &coll.elements {
                out.push(def, &ctx, raw)?;
            }
            out.flush().await?;
        }
        Endpoint::OrgFinder {
            time_bound: Some(tb),
            ..
        } => {
            let bm = if unit.incremental { bookmark } else { None };
            let Some((start, end)) = window(
                tb,
                g,
                bm,
                shared.config.start_date,
                shared.config.lookback_window_days,
                shared.now,
            ) else {
                return Ok((None, None));
            };
            let path = def.endpoint.path(&Params {
                org: Some(org),
                window: Some((midnight_ms(start), midnight_ms(end), g.as_str())),
                ..Default::default()
            });
            let _ = tx
                .send(Msg::Log(format!(
                    "{} {org}: {} buckets from {start} to {} (UTC)",
                    def.name,
                    g.as_str(),
                    end - Duration::days(1)
                )))
                .await;
            let coll: Collection = get(shared, def, &path).await?;
            for raw in &coll.elements {
                if let Some(c) = out.push(def, &ctx, raw)? {
                    // Only complete buckets advance the bookmark (a month still in progress does not).
                    let complete = NaiveDate::parse_from_str(&c, "%Y-%m-%d")
                        .is_ok_and(|d| bucket_after(d, g) <= end);
                    if complete {
                        max.see(Some(c));
                    }
                }
            }
            out.flush().await?;
            return Ok((max.0, None));
        }
        Endpoint::OrgPaged { .. } => {
            if shared.children_selected {
                let cell = index_cell(shared, org);
                let mut built = false;
                cell.get_or_try_init(|| async {
                    built = true;
                    list_posts(shared, org, Some((def, unit, &mut out, &mut max)))
                        .await
                        .map(Arc::new)
                })
                .await?;
                if built {
                    return Ok((max.0.map(|m| m.min(signpost)), None));
                }
            }
            list_posts(shared, org, Some((def, unit, &mut out, &mut max))).await?;
            return Ok((max.0.map(|m| m.min(signpost)), None));
        }
        Endpoint::PostBatch { max_ids, .. } => {
            let posts = post_index(shared, org).await?;
            for (param, kind) in [("shares", PostKind::Share), ("ugcPosts", PostKind::UgcPost)] {
                let urns: Vec<String> = posts
                    .iter()
                    .filter(|p| post_kind(&p.urn) == Some(kind))
                    .map(|p| p.urn.clone())
                    .collect();
                for chunk in urns.chunks(max_ids) {
                    let path = def.endpoint.path(&Params {
                        org: Some(org),
                        ids: chunk,
                        id_param: Some(param),
                        ..Default::default()
                    });
                    let coll: Collection = get(shared, def, &path).await?;
                    for raw in &coll.elements {
                        out.push(def, &ctx, raw)?;
                    }
                    out.flush().await?;
                }
            }
        }
        Endpoint::PostPaged {
            newest_first,
            activity,
            ..
        } => {
            let posts = post_index(shared, org).await?;
            // Batched socialMetadata says how many comments/reactions each post has: posts
            // with none are skipped, and an incremental sync re-reads only the posts whose
            // count changed since the last sync.
            let social = social_counts(shared, org, &posts).await?;
            let current: Option<PostCounts> = social.as_ref().as_ref().map(|m| {
                posts
                    .iter()
                    .map(|p| {
                        let (comments, reactions) = m.get(&p.urn).copied().unwrap_or((0, 0));
                        let n = match activity {
                            Activity::Comments => comments,
                            Activity::Reactions => reactions,
                        };
                        (p.urn.clone(), n)
                    })
                    .collect()
            });
            let previous = if unit.incremental {
                unit.counts.as_ref()
            } else {
                None
            };
            let to_read: Vec<PostRef> = posts
                .iter()
                .filter(|p| match &current {
                    None => true,
                    Some(cur) => {
                        let now = cur.get(&p.urn).copied().unwrap_or(0);
                        match previous.map(|prev| prev.get(&p.urn).copied()) {
                            Some(Some(before)) => now != before,
                            _ => now > 0,
                        }
                    }
                })
                .cloned()
                .collect();
            tracing::info!(
                stream = def.name,
                organization = org,
                posts = posts.len(),
                reading = to_read.len(),
                "Reading posts with new activity"
            );
            let concurrency = shared.config.max_concurrency as usize;
            let bm = if unit.incremental {
                bookmark.map(str::to_string)
            } else {
                None
            };
            let mut results = futures_util::stream::iter(to_read)
                .map(|p| {
                    let bm = bm.clone();
                    async move {
                        read_post_pages(shared, def, org, &p.urn, bm.as_deref(), newest_first).await
                    }
                })
                .buffered(concurrency);
            while let Some(res) = results.next().await {
                let (records, post_max) = res?;
                out.records.append(records);
                max.see(post_max);
                out.flush().await?;
            }
            let counts = if unit.incremental { current } else { None };
            return Ok((max.0.map(|m| m.min(signpost)), counts));
        }
        Endpoint::VideoVariants { variants, .. } => {
            let posts = post_index(shared, org).await?;
            for p in posts.iter().filter(|p| p.is_video) {
                for v in variants {
                    let path = def.endpoint.path(&Params {
                        post: Some(&p.urn),
                        variant: Some(v),
                        ..Default::default()
                    });
                    let coll: Collection = get(shared, def, &path).await?;
                    let vctx = RecordCtx {
                        post: Some(&p.urn),
                        variant: Some(v),
                        ..ctx
                    };
                    for raw in &coll.elements {
                        out.push(def, &vctx, raw)?;
                    }
                }
                out.flush().await?;
            }
        }
        Endpoint::GetAll {
            max_count,
            resource,
        } => {
            let kind = match resource {
                "seniorities" => "seniority",
                "functions" => "function",
                _ => "industry",
            };
            let mut start = 0;
            let mut guard = LoopGuard::default();
            loop {
                let coll: Collection = get(
                    shared,
                    def,
                    &def.endpoint.path(&Params {
                        start,
                        ..Default::default()
                    }),
                )
                .await?;
                let n = coll.elements.len();
                guard.check(def.name, start, &coll.elements)?;
                for raw in &coll.elements {
                    out.push(
                        def,
                        &RecordCtx {
                            variant: Some(kind),
                            ..ctx
                        },
                        raw,
                    )?;
                }
                out.flush().await?;
                start += n;
                if n < max_count
                    || coll
                        .paging
                        .and_then(|p| p.total)
                        .is_some_and(|t| start as u64 >= t)
                {
                    break;
                }
            }
        }
        Endpoint::GeoBatch { max_ids } => {
            let follower_def = crate::streams::find("follower_statistics")
                .ok_or_else(|| Error::Internal("no follower_statistics stream".into()))?;
            let mut ids = BTreeSet::new();
            for o in &shared.orgs {
                let coll = follower_lifetime(shared, follower_def, o).await?;
                for raw in &coll.elements {
                    collect_geo_ids(raw.get(), &mut ids);
                }
            }
            let ids: Vec<String> = ids.into_iter().collect();
            for (_, entity) in batch_get(shared, def, &ids, max_ids).await? {
                if let Ok(raw) = entity {
                    out.push(def, &ctx, &raw)?;
                }
            }
            out.flush().await?;
        }
    }
    Ok((None, None))
}

/// Comment and reaction counts per post (socialMetadata, 100 posts per request), once per
/// organization per sync; `None` when the token may not read socialMetadata.
async fn social_counts(
    shared: &Shared<'_>,
    org: &str,
    posts: &[PostRef],
) -> Result<Arc<Option<SocialCounts>>> {
    let cell = {
        let mut m = shared.social.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(org.to_string()).or_default().clone()
    };
    cell.get_or_try_init(|| async {
            #[derive(Deserialize)]
            struct Meta {
                #[serde(rename = "commentSummary")]
                comment_summary: Option<CommentSummary>,
                #[serde(rename = "reactionSummaries", default)]
                reaction_summaries: HashMap<String, ReactionSummary>,
            }
            #[derive(Deserialize)]
            struct CommentSummary {
                #[serde(rename = "topLevelCount")]
                top_level_count: Option<u64>,
                count: Option<u64>,
            }
            #[derive(Deserialize)]
            struct ReactionSummary {
                count: Option<u64>,
            }
            #[derive(Deserialize)]
            struct MetaBatch {
                #[serde(default)]
                results: HashMap<String, Meta>,
            }
            let mut map = SocialCounts::new();
            for chunk in posts.chunks(100) {
                if shared.cancel.load(Ordering::SeqCst) {
                    return Err(Error::Cancelled);
                }
                let urns: Vec<&str> = chunk.iter().map(|p| p.urn.as_str()).collect();
                let path = format!("socialMetadata?ids={}", crate::linkedin::restli::list(&urns));
                match shared.client.get::<MetaBatch>("socialMetadata", &path, false).await {
                    Ok(batch) => {
                        for (urn, m) in batch.results {
                            let comments = m.comment_summary.and_then(|c| c.top_level_count.or(c.count)).unwrap_or(0);
                            let reactions = m.reaction_summaries.values().filter_map(|r| r.count).sum();
                            map.insert(urn, (comments, reactions));
                        }
                    }
                    Err(Error::Api { status: 403, .. }) => {
                        tracing::warn!(organization = org, "The token may not read socialMetadata; reading every post's comments and reactions instead");
                        return Ok::<_, Error>(Arc::new(None));
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(Arc::new(Some(map)))
        })
        .await
        .cloned()
}

/// BATCH_GETs `ids` in chunks of `max_ids`: per id, the entity or LinkedIn's per-id error
/// (partial failures are normal in Rest.li batch responses).
async fn batch_get(
    shared: &Shared<'_>,
    def: &StreamDef,
    ids: &[String],
    max_ids: usize,
) -> Result<Vec<(String, Result<Box<RawValue>, String>)>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(max_ids) {
        let mut batch: Batch = get(
            shared,
            def,
            &def.endpoint.path(&Params {
                ids: chunk,
                ..Default::default()
            }),
        )
        .await?;
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

/// Geo ids (`urn:li:geo:N` → `N`) in a follower statistics element.
fn collect_geo_ids(raw: &str, ids: &mut BTreeSet<String>) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(raw) else {
        return;
    };
    for key in ["followerCountsByGeoCountry", "followerCountsByGeo"] {
        for item in v.get(key).and_then(|a| a.as_array()).into_iter().flatten() {
            if let Some(id) = item
                .get("geo")
                .and_then(|g| g.as_str())
                .and_then(|g| g.strip_prefix("urn:li:geo:"))
            {
                ids.insert(id.to_string());
            }
        }
    }
}

async fn follower_lifetime(
    shared: &Shared<'_>,
    def: &StreamDef,
    org: &str,
) -> Result<Arc<Collection>> {
    let cell = {
        let mut m = shared
            .follower_lifetime
            .lock()
            .map_err(|_| Error::Internal("cache lock poisoned".into()))?;
        m.entry(org.to_string()).or_default().clone()
    };
    let path = def.endpoint.path(&Params {
        org: Some(org),
        ..Default::default()
    });
    cell.get_or_try_init(|| async { get::<Collection>(shared, def, &path).await.map(Arc::new) })
        .await
        .cloned()
}

fn index_cell(shared: &Shared<'_>, org: &str) -> Arc<OnceCell<Arc<Vec<PostRef>>>> {
    let mut m = shared.post_index.lock().unwrap_or_else(|p| p.into_inner());
    m.entry(org.to_string()).or_default().clone()
}

async fn post_index(shared: &Shared<'_>, org: &str) -> Result<Arc<Vec<PostRef>>> {
    let cell = index_cell(shared, org);
    cell.get_or_try_init(|| async { list_posts(shared, org, None).await.map(Arc::new) })
        .await
        .cloned()
}

type PostsSink<'a, 'b> = (
    &'static StreamDef,
    &'a Unit,
    &'a mut Emitter<'b>,
    &'a mut CursorMax,
);

/// Pages through an organization's posts (newest modification first). With a sink, it
/// also emits the posts stream's records: all of them when the full list is needed for
/// child streams, else stopping at the first page that reaches the bookmark.
async fn list_posts(
    shared: &Shared<'_>,
    org: &str,
    mut sink: Option<PostsSink<'_, '_>>,
) -> Result<Vec<PostRef>> {
    let def =
        crate::streams::find("posts").ok_or_else(|| Error::Internal("no posts stream".into()))?;
    let page_size = def.endpoint.page_size();
    let bookmark = sink.as_ref().and_then(|s| {
        if s.1.incremental {
            s.1.bookmark.clone()
        } else {
            None
        }
    });
    let full_list = shared.children_selected;
    let ctx = RecordCtx {
        organization: org,
        granularity: shared.config.time_granularity,
        snapshot_date: shared.now.date_naive(),
        post: None,
        variant: None,
    };
    let mut refs = Vec::new();
    let mut seen = BTreeSet::new();
    let mut guard = LoopGuard::default();
    let mut start = 0;
    loop {
        let coll: Collection = get(
            shared,
            def,
            &def.endpoint.path(&Params {
                org: Some(org),
                start,
                ..Default::default()
            }),
        )
        .await?;
        let n = coll.elements.len();
        guard.check("posts", start, &coll.elements)?;
        let mut reached_bookmark = false;
        for raw in &coll.elements {
            let head: PostHead = serde_json::from_str(raw.get()).map_err(|e| Error::Decode {
                stream: "posts".into(),
                detail: format!("{e}"),
            })?;
            if !seen.insert(head.id.clone()) {
                continue; // an edit during paging moved this post: already handled
            }
            refs.push(PostRef {
                urn: head.id.clone(),
                is_video: content_type(head.content.as_ref()) == "video",
            });
            if let Some((def, _, out, max)) = sink.as_mut() {
                match out
                    .records
                    .push_newer(def, &ctx, raw, bookmark.as_deref())?
                {
                    Pushed::Kept(c) => max.see(c),
                    Pushed::Older => reached_bookmark = true,
                }
            }
        }
        if let Some((_, _, out, _)) = sink.as_mut() {
            out.flush().await?;
        }
        start += n;
        let total_reached = coll
            .paging
            .and_then(|p| p.total)
            .is_some_and(|t| start as u64 >= t);
        if n < page_size || n == 0 || total_reached || (reached_bookmark && !full_list) {
            break;
        }
    }
    Ok(refs)
}

/// Reads every page of one post's comments or reactions; returns the records newer than
/// the bookmark and the newest cursor.
async fn read_post_pages(
    shared: &Shared<'_>,
    def: &'static StreamDef,
    org: &str,
    post: &str,
    bookmark: Option<&str>,
    newest_first: bool,
) -> Result<(Records, Option<String>)> {
    let mut out = Records::default();
    let mut max = CursorMax::default();
    let ctx = RecordCtx {
        organization: org,
        granularity: shared.config.time_granularity,
        snapshot_date: shared.now.date_naive(),
        post: Some(post),
        variant: None,
    };
    let page_size = def.endpoint.page_size();
    let mut start = 0;
    let mut guard = LoopGuard::default();
    loop {
        let path = def.endpoint.path(&Params {
            post: Some(post),
            start,
            ..Default::default()
        });
        let coll: Collection = match get(shared, def, &path).await {
            Ok(c) => c,
            Err(Error::Api { status: 404, .. }) => {
                tracing::warn!(
                    stream = def.name,
                    post,
                    "Post disappeared during the sync (deleted?); skipping it"
                );
                break;
            }
            Err(e) => return Err(e),
        };
        let n = coll.elements.len();
        guard.check(def.name, start, &coll.elements)?;
        let mut reached = false;
        for raw in &coll.elements {
            match out.push_newer(def, &ctx, raw, bookmark)? {
                Pushed::Kept(c) => max.see(c),
                Pushed::Older => reached = true,
            }
        }
        start += n;
        let total_reached = coll
            .paging
            .and_then(|p| p.total)
            .is_some_and(|t| start as u64 >= t);
        if n < page_size || total_reached || (reached && newest_first) {
            break;
        }
    }
    Ok((out, max.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-20T13:45:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }
    const FOLLOW: TimeBound = TimeBound { lag_days: 2 };

    #[test]
    fn windows_are_clamped_and_aligned() {
        // First sync: 12 months back (minus a safety day) to the last final day.
        assert_eq!(
            window(FOLLOW, Granularity::DAY, None, None, 0, now()),
            Some((d("2025-11-21"), d("2026-11-19")))
        );
        // start_date wins when later; never before the retention limit.
        assert_eq!(
            window(
                FOLLOW,
                Granularity::DAY,
                None,
                Some(d("2026-06-01")),
                0,
                now()
            )
            .unwrap()
            .0,
            d("2026-06-01")
        );
        assert_eq!(
            window(
                FOLLOW,
                Granularity::DAY,
                None,
                Some(d("2020-01-01")),
                0,
                now()
            )
            .unwrap()
            .0,
            d("2025-11-21")
        );
        // Resume the day after the bookmark, minus the lookback.
        assert_eq!(
            window(FOLLOW, Granularity::DAY, Some("2026-11-10"), None, 0, now())
                .unwrap()
                .0,
            d("2026-11-11")
        );
        assert_eq!(
            window(FOLLOW, Granularity::DAY, Some("2026-11-10"), None, 3, now())
                .unwrap()
                .0,
            d("2026-11-08")
        );
        // Nothing new: a second sync the same day makes no request (the Python connector fails here).
        assert_eq!(
            window(FOLLOW, Granularity::DAY, Some("2026-11-18"), None, 0, now()),
            None
        );
        // MONTH starts on a month boundary (or the retention limit).
        assert_eq!(
            window(
                FOLLOW,
                Granularity::MONTH,
                Some("2026-09-01"),
                None,
                0,
                now()
            )
            .unwrap()
            .0,
            d("2026-10-01")
        );
        assert_eq!(
            window(FOLLOW, Granularity::MONTH, None, None, 0, now())
                .unwrap()
                .0,
            d("2025-11-21")
        );
    }
}
