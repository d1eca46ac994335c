//! Bookmarks per stream and per partition (organization), in one internal shape, read
//! from every form a user may hand us and written in the form each protocol expects:
//!
//! - in: Airbyte per-stream STATE (array), GLOBAL, LEGACY and bare-object forms; Singer
//!   `bookmarks`; the Airbyte Python connector's `{"timeRangeEnd": ms}`;
//! - out: Airbyte per-stream `{"states": [{"partition": {..}, "cursor": {..}}]}` and Singer
//!   `{"bookmarks": {stream: {"partitions": [..]}}}`.
//!
//! A corrupt state is a config error that names the problem, never a silent full resync.
//!
//! This file holds the [`State`] type, its API for the engine and the writers of both
//! protocols' forms; `read.rs` parses every accepted form, `packed.rs` is the compact
//! form of per-post counts.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::domain::Cursor;
use crate::streams::{self, StreamDef};

use packed::pack;

mod packed;
mod read;
#[cfg(test)]
mod tests;

/// The sum of `size` over the partitions of the `wanted` streams of `by_stream`.
fn sum_partitions<T>(
    by_stream: &BTreeMap<String, BTreeMap<String, T>>,
    wanted: impl Fn(&String) -> bool,
    size: impl Fn(&T) -> usize,
) -> usize {
    by_stream
        .iter()
        .filter(|(name, _)| wanted(name))
        .flat_map(|(_, parts)| parts.values())
        .map(size)
        .sum()
}

/// Per-post activity counts of one partition (post URN -> count).
pub(crate) type PostCounts = BTreeMap<String, u64>;

/// Stream name -> partition key (organization URN) -> cursor value; and, for the streams
/// that read every post (comments, reactions), the per-post counts seen at the last sync,
/// so the next sync reads only the posts whose counts changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    streams: BTreeMap<String, BTreeMap<String, Cursor>>,
    counts: BTreeMap<String, BTreeMap<String, PostCounts>>,
    /// Work of a sync that stopped before its end (daily quota, request budget), per
    /// stream and partition; the next run continues it and clears it when the sync ends.
    resume: BTreeMap<String, BTreeMap<String, Resume>>,
}

/// How far an unfinished sync got with one stream partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resume {
    /// A full refresh that completed in the unfinished sync: not read again until the
    /// sync ends (Airbyte's resumable full refresh).
    Done,
    /// A pass over an organization's posts that stopped part-way: the posts whose
    /// reads completed (their records were emitted before this was checkpointed).
    Posts(std::collections::BTreeSet<String>),
}

impl State {
    /// The bookmark of one partition.
    pub(crate) fn get(&self, stream: &str, partition: &str) -> Option<Cursor> {
        self.streams.get(stream)?.get(partition).copied()
    }

    /// Sets a bookmark, never moving it backwards.
    pub(crate) fn advance(&mut self, stream: &str, partition: &str, cursor: Cursor) {
        let slot = self.streams.entry(stream.to_string()).or_default();
        match slot.get(partition) {
            Some(old) if *old >= cursor => {}
            _ => {
                slot.insert(partition.to_string(), cursor);
            }
        }
    }

    /// The per-post counts recorded for one partition.
    pub(crate) fn post_counts(&self, stream: &str, partition: &str) -> Option<&PostCounts> {
        self.counts.get(stream)?.get(partition)
    }

    /// Records the per-post counts of one partition (replacing the old ones).
    pub(crate) fn set_post_counts(&mut self, stream: &str, partition: &str, counts: PostCounts) {
        self.counts
            .entry(stream.to_string())
            .or_default()
            .insert(partition.to_string(), counts);
    }

    /// About how many bytes the state of `stream` (or of every stream) takes when
    /// written: per-post counts and an unfinished pass's posts take about 11 bytes a post
    /// once packed.
    pub(crate) fn approx_size(&self, stream: Option<&str>) -> usize {
        let wanted = |name: &String| stream.is_none_or(|s| s == name);
        let cursors = sum_partitions(&self.streams, wanted, |_| 120);
        let counts = sum_partitions(&self.counts, wanted, |c| c.len() * 11);
        let resume = sum_partitions(&self.resume, wanted, |r| match r {
            Resume::Posts(set) => set.len() * 11,
            Resume::Done => 20,
        });
        cursors + counts + resume
    }

    /// Merges per-post counts into a partition's counts (posts read so far in a pass).
    pub(crate) fn merge_post_counts(&mut self, stream: &str, partition: &str, counts: PostCounts) {
        self.counts
            .entry(stream.to_string())
            .or_default()
            .entry(partition.to_string())
            .or_default()
            .extend(counts);
    }

    /// How far an unfinished sync got with one partition.
    pub(crate) fn resume(&self, stream: &str, partition: &str) -> Option<&Resume> {
        self.resume.get(stream)?.get(partition)
    }

    /// Sets or clears (`None`) the resume point of one partition.
    pub(crate) fn set_resume(&mut self, stream: &str, partition: &str, r: Option<Resume>) {
        match r {
            Some(r) => {
                self.resume
                    .entry(stream.to_string())
                    .or_default()
                    .insert(partition.to_string(), r);
            }
            None => {
                if let Some(m) = self.resume.get_mut(stream) {
                    m.remove(partition);
                    if m.is_empty() {
                        self.resume.remove(stream);
                    }
                }
            }
        }
    }

    /// Adds posts to a partition's unfinished pass.
    pub(crate) fn add_resume_posts(
        &mut self,
        stream: &str,
        partition: &str,
        posts: impl IntoIterator<Item = String>,
    ) {
        let slot = self
            .resume
            .entry(stream.to_string())
            .or_default()
            .entry(partition.to_string())
            .or_insert_with(|| Resume::Posts(Default::default()));
        match slot {
            Resume::Posts(set) => set.extend(posts),
            Resume::Done => {}
        }
    }

    /// Ends the unfinished sync: clears every resume point; returns the streams that had one.
    pub(crate) fn clear_resume(&mut self) -> Vec<String> {
        std::mem::take(&mut self.resume).into_keys().collect()
    }

    /// Forgets the full refreshes marked done, keeping unfinished passes over posts;
    /// returns the streams that had such a mark.
    pub(crate) fn clear_resume_done(&mut self) -> Vec<String> {
        let mut names = Vec::new();
        for (name, parts) in self.resume.iter_mut() {
            let before = parts.len();
            parts.retain(|_, r| !matches!(r, Resume::Done));
            if parts.len() != before {
                names.push(name.clone());
            }
        }
        self.resume.retain(|_, parts| !parts.is_empty());
        names
    }

    /// Whether a stream has anything to keep (a cursor, counts or a resume point).
    pub(crate) fn has_partitions(&self, stream: &str) -> bool {
        !self.partitions(stream).is_empty()
    }

    /// Partitions of a stream that have a cursor, counts or a resume point, in order.
    fn partitions(&self, stream: &str) -> std::collections::BTreeSet<&String> {
        let a = self.streams.get(stream).into_iter().flat_map(|m| m.keys());
        let b = self.counts.get(stream).into_iter().flat_map(|m| m.keys());
        let c = self.resume.get(stream).into_iter().flat_map(|m| m.keys());
        a.chain(b).chain(c).collect()
    }

    /// The JSON form of a partition's resume point.
    fn resume_json(&self, stream: &str, partition: &str) -> Option<Value> {
        Some(match self.resume(stream, partition)? {
            Resume::Done => json!({"done": true}),
            // Packed like the per-post counts (each post with count 1): a pass over tens
            // of thousands of posts checkpoints every 50 posts, and a plain list of URNs
            // made each checkpoint a large JSON tree.
            Resume::Posts(set) => {
                json!({"posts_done_packed": packed::pack_pairs(set.iter().map(|p| (p.as_str(), 1)))})
            }
        })
    }

    /// The Airbyte `stream_state` of one stream.
    pub(crate) fn airbyte_stream_state(&self, def: &StreamDef) -> Value {
        let field = def.cursor.unwrap_or("cursor");
        let states: Vec<Value> = self
            .partitions(def.name)
            .into_iter()
            .map(|p| {
                let cursor = match self.get(def.name, p) {
                    Some(c) => json!({field: c.to_string()}),
                    None => json!({}),
                };
                let mut entry = json!({"partition": {"organization": p}, "cursor": cursor});
                if let Some(counts) = self.post_counts(def.name, p) {
                    entry["post_counts_packed"] = pack(counts);
                }
                if let Some(r) = self.resume_json(def.name, p) {
                    entry["resume"] = r;
                }
                entry
            })
            .collect();
        json!({"states": states})
    }

    /// The whole Singer state.
    pub(crate) fn singer_state(&self) -> Value {
        let mut bookmarks = Map::new();
        let names: std::collections::BTreeSet<&String> = self
            .streams
            .keys()
            .chain(self.counts.keys())
            .chain(self.resume.keys())
            .collect();
        for stream in names {
            let key = streams::find(stream)
                .and_then(|d| d.cursor)
                .unwrap_or("cursor");
            let partitions: Vec<Value> = self
                .partitions(stream)
                .into_iter()
                .map(|p| {
                    let mut entry = json!({"context": {"organization": p}, "replication_key": key});
                    if let Some(c) = self.get(stream, p) {
                        entry["replication_key_value"] = json!(c.to_string());
                    }
                    if let Some(counts) = self.post_counts(stream, p) {
                        entry["post_counts_packed"] = pack(counts);
                    }
                    if let Some(r) = self.resume_json(stream, p) {
                        entry["resume"] = r;
                    }
                    entry
                })
                .collect();
            bookmarks.insert(stream.clone(), json!({"partitions": partitions}));
        }
        json!({"bookmarks": bookmarks})
    }
}
