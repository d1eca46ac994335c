//! The read engine. A read is planned as units (a stream over one organization, or over
//! the whole sync for global streams); units run concurrently, at most
//! `max_concurrency` at a time, and send their records page by page to the sink, the
//! single writer, which emits each unit's bookmark as STATE only after all of that
//! unit's records. So a kill at any instant loses nothing on resume: at most the open
//! units are read again, and primary keys make the repeats harmless. Units that iterate
//! an organization's posts also checkpoint the posts they completed, and a read stopped by
//! the quota or the request budget is continued by the next one, which finishes those
//! passes before starting anything else (`plan::phases`).
//!
//! - `plan`: the units, from the catalog, the state and the organizations
//! - `run` and `posts`: one unit, driven by its stream's endpoint kind
//! - `replies`: replies to the elements of a per-post endpoint, when asked for
//! - `batch`: decoded records and cursors on their way to the sink
//! - `sink`: the single writer, on its own thread
//! - `split`: batches split to isolate the entities LinkedIn refuses
//! - `window`: time windows of the time-bound statistics
//! - `estimate`: the request-count model of a read, for the `plan` command
//! - `cache`: values shared by the units of a read (post lists, activity counts,
//!   lifetime statistics)
//!
//! Paging goes through the one pager, `linkedin::pager`. The engine knows the endpoint
//! *kinds* of `streams::Endpoint`, never a particular stream or LinkedIn resource.

mod batch;
mod cache;
mod estimate;
mod plan;
mod posts;
mod progress;
mod replies;
mod run;
mod sink;
mod split;
mod window;

use std::io::Write;
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::mpsc;

use crate::catalog::Selected;
use crate::config::Config;
use crate::domain::Cursor;
use crate::error::{Error, Result};
use crate::linkedin::client::Client;
use crate::protocol::{StreamStatus, Writer};
use crate::state::{PostCounts, State};
use run::Shared;
use sink::{Msg, Sink};

pub(crate) use estimate::{estimate, Part, StreamPlan};

/// What a completed unit hands the sink: its new cursor and, for streams that read every
/// post, the per-post counts to compare with next time.
type UnitResult = (Option<Cursor>, Option<PostCounts>);

/// The outcome of a read that ran to its end: which streams failed and why (`None`: the
/// whole read, e.g. the daily quota).
pub(crate) struct ReadReport {
    pub failures: Vec<(Option<String>, Error)>,
}

/// Reads the selected streams of `orgs` and writes RECORD and STATE messages.
pub(crate) async fn read<W: Write + Send>(
    config: &Config,
    client: &Client,
    orgs: Vec<String>,
    selected: &[Selected],
    state: State,
    writer: &mut Writer<W>,
    now: DateTime<Utc>,
) -> Result<ReadReport> {
    announce(writer, selected, &orgs, now)?;
    let units = plan::plan(selected, &orgs, &state);
    let outstanding = plan::units_per_stream(&units, selected.len());
    let shared = Shared {
        client,
        config,
        now,
        orgs,
        cancel: AtomicBool::new(false),
        post_lists: Default::default(),
        social: Default::default(),
        lifetime: Default::default(),
        post_sources: selected
            .iter()
            .filter_map(|s| s.def.endpoint.post_source())
            .map(|d| d.name)
            .collect(),
    };
    // A small channel: producers wait for the writer rather than queue pages, so peak
    // memory stays flat however many records a read emits (64 pages doubled it at 1M).
    let (tx, rx) = mpsc::channel::<Msg>(8);
    // With max_concurrency 1 the read is sequential, so its output is byte-stable.
    let limit = config.max_concurrency.max(1) as usize;
    let producer = produce(&shared, units, limit, tx);
    let requests = || client.requests();
    let mut sink = Sink::new(
        writer,
        selected,
        state,
        outstanding,
        &shared.cancel,
        now,
        &requests,
    );
    drive(producer, rx, &mut sink).await;
    if let Err(e) = sink.finish() {
        sink.output_error.get_or_insert(e);
    }
    let Sink {
        writer,
        total_records,
        mut failures,
        quota,
        output_error,
        ..
    } = sink;
    if let Some(e) = output_error {
        return Err(e);
    }
    writer.flush()?;
    if let Some(i) = crate::signals::raised() {
        return Err(Error::Interrupted {
            signal: i.name,
            exit_code: i.exit_code,
        });
    }
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
    let mut failures: Vec<(Option<String>, Error)> =
        failures.drain(..).map(|(s, e)| (Some(s), e)).collect();
    if let Some(q) = quota {
        failures.insert(0, (None, q));
    }
    Ok(ReadReport { failures })
}

/// Runs the units (unfinished passes first, at most `limit` at a time) and sends their
/// outcomes, with a tick every second so the sink can log progress; a SIGTERM/SIGINT stops
/// the units where they are (their requests and waits are dropped), and the sink still
/// writes what it holds, so every unit that finished before the signal gets its STATE.
async fn produce(shared: &Shared<'_>, units: Vec<plan::Unit>, limit: usize, tx: mpsc::Sender<Msg>) {
    let ticks = tx.clone();
    let units_done = async move {
        // Unfinished passes first: the next phase starts only when they are done.
        for phase in plan::phases(units) {
            futures_util::stream::iter(phase)
                .for_each_concurrent(limit, |unit| {
                    let tx = tx.clone();
                    async move {
                        let result = if unit.already_done() {
                            Ok((None, None))
                        } else {
                            run::run_unit(shared, &unit, &tx).await
                        };
                        let done = Msg::Done {
                            stream: unit.stream,
                            org: unit.org,
                            result,
                        };
                        let _ = tx.send(done).await;
                    }
                })
                .await;
        }
    };
    // Ticks stop (and drop their sender) when the units are done.
    let ticker = async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            every.tick().await;
            if ticks.send(Msg::Tick).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        () = units_done => {}
        () = ticker => {}
        _ = crate::signals::interrupted() => {}
    }
}

/// The opening messages: what is read, each stream's schema (Singer) and STARTED status.
fn announce<W: Write>(
    writer: &mut Writer<W>,
    selected: &[Selected],
    orgs: &[String],
    now: DateTime<Utc>,
) -> Result<()> {
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
        let schema = s.schema();
        writer.schema(
            s.def.name,
            &schema,
            s.def.primary_key,
            s.def.cursor.filter(|_| s.incremental),
        )?;
        writer.stream_status(
            s.def.name,
            StreamStatus::Started,
            None,
            now.timestamp_millis(),
        )?;
    }
    Ok(())
}

/// Runs the units while the sink consumes their messages. On the multi-thread runtime
/// (the binary's) the sink runs on its own thread, so no async task ever blocks on
/// stdout; on a current-thread runtime it runs beside the units in this task.
async fn drive<W: Write + Send>(
    producer: impl std::future::Future<Output = ()>,
    mut rx: mpsc::Receiver<Msg>,
    sink: &mut Sink<'_, W>,
) {
    if Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
        tokio::task::block_in_place(|| {
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    while let Some(msg) = rx.blocking_recv() {
                        sink.handle(msg);
                    }
                });
                Handle::current().block_on(producer);
            });
        });
    } else {
        let consumer = async {
            while let Some(msg) = rx.recv().await {
                sink.handle(msg);
            }
        };
        tokio::join!(producer, consumer);
    }
}
