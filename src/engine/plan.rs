//! The plan of a read: one unit per selected stream and partition (each organization,
//! or the whole sync for global streams), with its bookmark and per-post counts.

use crate::catalog::Selected;
use crate::domain::Cursor;
use crate::state::{PostCounts, Resume, State};
use crate::streams::{Endpoint, Partition, StreamDef};

/// One unit of work: a stream over one partition.
pub(super) struct Unit {
    /// Index of the stream in the selection.
    pub stream: usize,
    pub def: &'static StreamDef,
    pub incremental: bool,
    /// The organization; `None` for a global stream.
    pub org: Option<String>,
    /// Where the previous sync stopped (incremental units only).
    pub bookmark: Option<Cursor>,
    /// Per-post counts recorded by the previous sync (incremental per-post units only).
    pub counts: Option<PostCounts>,
    /// Where an unfinished sync got with this partition (see `state::Resume`).
    pub resume: Option<Resume>,
}

impl Unit {
    /// Already completed in the unfinished sync this read continues: not read again
    /// until that sync ends, so each quota day goes to the work still left.
    pub(super) fn already_done(&self) -> bool {
        matches!(self.resume, Some(Resume::Done))
    }

    /// A pass over posts that stopped part-way in an earlier run.
    pub(super) fn unfinished(&self) -> bool {
        matches!(self.resume, Some(Resume::Posts(_)))
    }

    /// Whether `post` was read completely by an earlier run of this unfinished pass.
    pub(super) fn post_done(&self, post: &str) -> bool {
        matches!(&self.resume, Some(Resume::Posts(done)) if done.contains(post))
    }
}

/// The units of a read, post lists first: the stream whose post list the per-post streams
/// iterate builds it while emitting its own records.
pub(super) fn plan(selected: &[Selected], orgs: &[String], state: &State) -> Vec<Unit> {
    let mut units = Vec::new();
    for (i, s) in selected.iter().enumerate() {
        let unit = |org: Option<&String>| {
            let key = org.map(String::as_str);
            let remembered = s.incremental && key.is_some();
            Unit {
                stream: i,
                def: s.def,
                incremental: s.incremental,
                org: org.cloned(),
                bookmark: key
                    .filter(|_| remembered)
                    .and_then(|o| state.get(s.def.name, o)),
                counts: key
                    .filter(|_| remembered)
                    .and_then(|o| state.post_counts(s.def.name, o).cloned()),
                resume: state.resume(s.def.name, key.unwrap_or_default()).cloned(),
            }
        };
        match s.def.partition {
            Partition::Global => units.push(unit(None)),
            Partition::Organization => units.extend(orgs.iter().map(|o| unit(Some(o)))),
        }
    }
    units.sort_by_key(|u| {
        (
            !matches!(u.def.endpoint, Endpoint::PostList(_)),
            u.def.per_post(),
        )
    });
    units
}

/// The units in the order they run: first the passes an earlier run left unfinished (with
/// the post lists they iterate), so each run of an interrupted sync advances it before
/// starting anything else; then the rest.
pub(super) fn phases(units: Vec<Unit>) -> [Vec<Unit>; 2] {
    let resumed_orgs: std::collections::BTreeSet<Option<String>> = units
        .iter()
        .filter(|u| u.unfinished())
        .map(|u| u.org.clone())
        .collect();
    let (first, then): (Vec<Unit>, Vec<Unit>) = units.into_iter().partition(|u| {
        u.unfinished()
            || (matches!(u.def.endpoint, Endpoint::PostList(_)) && resumed_orgs.contains(&u.org))
    });
    [first, then]
}

/// How many units each selected stream has.
pub(super) fn units_per_stream(units: &[Unit], streams: usize) -> Vec<usize> {
    let mut n = vec![0; streams];
    for u in units {
        n[u.stream] += 1;
    }
    n
}
