//! Bookmarks per stream and per partition (organization), in one internal shape, read
//! from every form a user may hand us and written in the form each protocol expects:
//!
//! - in: Airbyte per-stream STATE (array), GLOBAL, LEGACY and bare-object forms; Singer
//!   `bookmarks`; the Airbyte Python connector's `{"timeRangeEnd": ms}`;
//! - out: Airbyte per-stream `{"states": [{"partition": {..}, "cursor": {..}}]}` and Singer
//!   `{"bookmarks": {stream: {"partitions": [..]}}}`.
//!
//! A corrupt state is a config error that names the problem, never a silent full resync.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use crate::config::Granularity;
use crate::domain::Cursor;
use crate::error::{Error, Result};
use crate::streams::{self, StreamDef};

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

/// Streams of the Python connector and the stream that continues them here.
const LEGACY_STREAMS: &[(&str, &str)] = &[
    (
        "follower_statistics_time_bound",
        "follower_statistics_daily",
    ),
    ("share_statistics_time_bound", "share_statistics_daily"),
];

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
    /// written: per-post counts take about 11 bytes a post once packed.
    pub(crate) fn approx_size(&self, stream: Option<&str>) -> usize {
        let wanted = |name: &String| stream.is_none_or(|s| s == name);
        let cursors: usize = self
            .streams
            .iter()
            .filter(|(n, _)| wanted(n))
            .map(|(_, p)| p.len() * 120)
            .sum();
        let counts: usize = self
            .counts
            .iter()
            .filter(|(n, _)| wanted(n))
            .flat_map(|(_, p)| p.values())
            .map(|c| c.len() * 11)
            .sum();
        cursors + counts
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
            Resume::Posts(set) => json!({"posts_done": set}),
        })
    }

    /// Reads a partition's `resume` entry.
    fn read_resume(
        &mut self,
        name: &str,
        org: &str,
        v: Option<&Value>,
        at: &str,
        bad: &dyn Fn(String) -> Error,
    ) -> Result<()> {
        let Some(v) = v else { return Ok(()) };
        let r = if v.get("done").and_then(Value::as_bool) == Some(true) {
            Resume::Done
        } else if let Some(list) = v.get("posts_done").and_then(Value::as_array) {
            let mut set = std::collections::BTreeSet::new();
            for p in list {
                let p = p.as_str().ok_or_else(|| {
                    bad(format!(
                        "{at}: resume.posts_done must be a list of post URNs"
                    ))
                })?;
                set.insert(p.to_string());
            }
            Resume::Posts(set)
        } else {
            return Err(bad(format!(
                "{at}: resume must be {{\"done\": true}} or {{\"posts_done\": [...]}}"
            )));
        };
        self.set_resume(name, org, Some(r));
        Ok(())
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

    /// Parses a state file with DAY granularity (see [`State::parse_with`]).
    pub fn parse(file: &str, text: &str, orgs: &[String], now: DateTime<Utc>) -> Result<State> {
        State::parse_with(file, text, orgs, Granularity::DAY, now)
    }

    /// Parses a state file in any of the forms a user may hand us:
    ///
    /// - Airbyte: a JSON array of state messages (STREAM, GLOBAL or LEGACY), one such
    ///   message, a whole STATE message or several STATE lines copied from stdout (other
    ///   message lines are skipped), or a bare object of stream name → stream state;
    /// - Singer: `{"bookmarks": ..}`, a `{"type": "STATE", "value": ..}` line (the last of
    ///   several wins), what `meltano state get` prints (`{"singer_state": ..}`) and
    ///   Meltano's stored `{"completed": .., "partial": ..}` (partial merged over completed,
    ///   as Meltano does);
    /// - the Python connector's `{"timeRangeEnd": ms}`, mapped for `granularity`.
    ///
    /// `orgs` are the configured organizations (the Python connector's state and
    /// unpartitioned Singer bookmarks name none); `now` rejects cursors in the future.
    /// Anything else is a config error: a state is never silently ignored.
    pub fn parse_with(
        file: &str,
        text: &str,
        orgs: &[String],
        granularity: Granularity,
        now: DateTime<Utc>,
    ) -> Result<State> {
        if text.trim().is_empty() {
            return Ok(State::default());
        }
        let bad = |what: String| {
            Error::config(file, format!("{what}. Fix the state or remove it to start the affected streams from start_date."))
        };
        let values: Vec<Value> = match serde_json::from_str::<Value>(text) {
            Ok(v) => vec![v],
            Err(whole) => {
                // Several messages, one per line (STATE lines copied from stdout).
                let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
                if lines.len() < 2 {
                    return Err(Error::bad_json(file, &whole));
                }
                let mut values = Vec::with_capacity(lines.len());
                for (i, line) in lines.iter().enumerate() {
                    match serde_json::from_str(line) {
                        Ok(v) => values.push(v),
                        // A broken document spread over lines: report it as one.
                        Err(_) if i == 0 => return Err(Error::bad_json(file, &whole)),
                        Err(e) => {
                            return Err(Error::config(
                                file,
                                format!("line {} is not valid JSON ({e})", i + 1),
                            ))
                        }
                    }
                }
                values
            }
        };
        let mut state = State::default();
        let mut reader = Reader {
            orgs,
            granularity,
            bad: &bad,
            found: false,
        };
        let many = values.len() > 1;
        for v in &values {
            reader.value(&mut state, v, many)?;
        }
        if many && !reader.found {
            return Err(bad("none of its lines is a STATE message or a state".into()));
        }
        state.validate(now, &bad)?;
        Ok(state)
    }

    /// One partition entry: a cursor (string) and/or per-post counts (object of integers).
    #[allow(clippy::too_many_arguments)]
    fn read_partition(
        &mut self,
        name: &str,
        org: &str,
        cursor: Option<&Value>,
        counts: Counts<'_>,
        cursor_key: &str,
        at: &str,
        bad: &dyn Fn(String) -> Error,
    ) -> Result<()> {
        let has_counts = !matches!(counts, Counts::None);
        match counts {
            Counts::None => {}
            Counts::Plain(c) => {
                let obj = c.as_object().ok_or_else(|| {
                    bad(format!(
                        "{at}: post_counts must be an object of post URN to count"
                    ))
                })?;
                let mut parsed = PostCounts::new();
                for (urn, n) in obj {
                    let n = n.as_u64().ok_or_else(|| {
                        bad(format!(
                            "{at}: post_counts.{urn} must be a non-negative integer"
                        ))
                    })?;
                    parsed.insert(urn.clone(), n);
                }
                self.set_post_counts(name, org, parsed);
            }
            Counts::Packed(p) => {
                let parsed = unpack(p).map_err(|e| bad(format!("{at}: post_counts_packed {e}")))?;
                self.set_post_counts(name, org, parsed);
            }
        }
        match cursor {
            Some(Value::String(c)) => {
                let cursor = Cursor::parse(c).ok_or_else(|| bad(format!("stream '{name}', {org}: cursor '{c}' is not a date (YYYY-MM-DD) or RFC 3339 time")))?;
                self.advance(name, org, cursor);
            }
            None if has_counts => {}
            None | Some(Value::Null) => return Err(bad(format!("{at}: missing {cursor_key}"))),
            Some(other) => {
                return Err(bad(format!(
                    "{at}: {cursor_key} must be a string (a date YYYY-MM-DD or an RFC 3339 time), not {other}"
                )))
            }
        }
        Ok(())
    }

    /// No cursor may lie in the future (not even by less than a day): that would
    /// silently skip whatever is created until then.
    fn validate(&self, now: DateTime<Utc>, bad: &dyn Fn(String) -> Error) -> Result<()> {
        for (stream, parts) in &self.streams {
            for (org, cursor) in parts {
                if cursor.is_after(now) {
                    return Err(bad(format!("stream '{stream}', {org}: cursor {cursor} is in the future, so this sync would skip data")));
                }
            }
        }
        Ok(())
    }
}

/// Keys Airbyte's CDK writes in the state of a stream that has no cursor.
fn is_marker_only(ss: &Value) -> bool {
    ss.as_object()
        .is_some_and(|o| o.keys().all(|k| k.starts_with("__ab_")))
}

/// Meltano's merge: objects key by key, anything else replaced by the newer value.
fn merge_json(older: &Value, newer: &Value) -> Value {
    match (older, newer) {
        (Value::Object(a), Value::Object(b)) => {
            let mut out = a.clone();
            for (k, v) in b {
                let merged = match a.get(k) {
                    Some(old) => merge_json(old, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, newer) => newer.clone(),
    }
}

/// The start of the last complete bucket that ends at or before `end` (the Python
/// connector's `timeRangeEnd`, which kept the time of day of its run): a partial day or
/// month is read again rather than skipped.
fn legacy_cursor(end: DateTime<Utc>, g: Granularity) -> NaiveDate {
    let day = end.date_naive();
    match g {
        Granularity::DAY => day - chrono::Duration::days(1),
        Granularity::MONTH => {
            let month_start = day.with_day(1).unwrap_or(day);
            let prev = month_start - chrono::Duration::days(1);
            prev.with_day(1).unwrap_or(prev)
        }
    }
}

/// What the state reader needs besides the text.
struct Reader<'a> {
    orgs: &'a [String],
    granularity: Granularity,
    bad: &'a dyn Fn(String) -> Error,
    /// Whether any value read was a state (for files of several lines).
    found: bool,
}

impl Reader<'_> {
    /// One JSON value of the file. `in_lines`: one line of several, where lines that are
    /// other protocol messages (RECORD, LOG, ...) are skipped.
    fn value(&mut self, state: &mut State, v: &Value, in_lines: bool) -> Result<()> {
        let bad = self.bad;
        match v {
            Value::Null => Ok(()),
            Value::Array(items) => {
                self.found = true;
                for (i, item) in items.iter().enumerate() {
                    self.message(state, item, i)?;
                }
                Ok(())
            }
            Value::Object(o) => {
                let kind = o.get("type").and_then(Value::as_str);
                if let Some(s) = o.get("singer_state") {
                    // `meltano state get <id>` prints {"singer_state": {...}}.
                    return self.value(state, s, false);
                }
                if kind.is_none()
                    && (o.contains_key("completed") || o.contains_key("partial"))
                    && o.keys().all(|k| k == "completed" || k == "partial")
                {
                    // Meltano's stored form: partial (newer, incomplete runs) over completed.
                    let empty = Value::Object(Map::new());
                    let merged = merge_json(
                        o.get("completed").unwrap_or(&empty),
                        o.get("partial").unwrap_or(&empty),
                    );
                    self.found = true;
                    return match merged.get("singer_state") {
                        Some(s) => self.value(state, s, false),
                        None if merged.as_object().is_some_and(Map::is_empty) => Ok(()),
                        None => Err(bad("a Meltano state without 'singer_state'".into())),
                    };
                }
                if let Some(b) = o.get("bookmarks") {
                    self.found = true;
                    return self.singer(state, b);
                }
                match kind {
                    Some("STATE") => {
                        self.found = true;
                        if let Some(value) = o.get("value") {
                            // A Singer STATE line: its value is the whole state.
                            return match value.get("bookmarks") {
                                Some(b) => self.singer(state, b),
                                None if value.as_object().is_some_and(Map::is_empty) => Ok(()),
                                None => Err(bad(
                                    "a Singer STATE message whose value has no bookmarks".into(),
                                )),
                            };
                        }
                        let inner = o.get("state").ok_or_else(|| {
                            bad("a STATE message with neither 'state' (Airbyte) nor 'value' (Singer)".into())
                        })?;
                        self.message(state, inner, 0)
                    }
                    Some("STREAM" | "GLOBAL" | "LEGACY") => {
                        self.found = true;
                        self.message(state, v, 0)
                    }
                    Some(_) if in_lines => Ok(()), // RECORD, LOG, TRACE, SCHEMA ... lines
                    Some(other) => Err(bad(format!(
                        "a '{other}' message is not a state; pass the STATE message(s) or their 'state' payloads"
                    ))),
                    None => {
                        self.found = true;
                        self.legacy_map(state, v)
                    }
                }
            }
            _ if in_lines => Err(bad("a line that is not a JSON object".into())),
            _ => Err(bad(
                "the state must be a JSON array of Airbyte state messages or a JSON object".into(),
            )),
        }
    }

    /// One Airbyte state message (the `state` payload of a STATE message).
    fn message(&mut self, state: &mut State, item: &Value, i: usize) -> Result<()> {
        let bad = self.bad;
        // Accept both state payloads and whole STATE messages copied from stdout.
        let msg = if item.get("type").and_then(Value::as_str) == Some("STATE") {
            item.get("state").unwrap_or(item)
        } else {
            item
        };
        match msg.get("type").and_then(Value::as_str).unwrap_or("LEGACY") {
            "STREAM" => {
                let s = msg
                    .get("stream")
                    .ok_or_else(|| bad(format!("item {i} has type STREAM but no 'stream'")))?;
                self.stream_entry(state, s, i)
            }
            "GLOBAL" => {
                let list = msg
                    .pointer("/global/stream_states")
                    .and_then(Value::as_array)
                    .ok_or_else(|| {
                        bad(format!(
                            "item {i} has type GLOBAL but no global.stream_states list"
                        ))
                    })?;
                for s in list {
                    self.stream_entry(state, s, i)?;
                }
                Ok(())
            }
            "LEGACY" => self.legacy_map(state, msg.get("data").unwrap_or(msg)),
            other => Err(bad(format!("item {i} has unknown state type '{other}'"))),
        }
    }

    fn stream_entry(&mut self, state: &mut State, s: &Value, i: usize) -> Result<()> {
        let name = s
            .pointer("/stream_descriptor/name")
            .and_then(Value::as_str)
            .ok_or_else(|| (self.bad)(format!("item {i} has no stream_descriptor.name")))?;
        match s.get("stream_state") {
            None | Some(Value::Null) => Ok(()),
            Some(ss) => self.stream_state(state, name, ss),
        }
    }

    /// An object of stream name → stream state. One that names no stream of this
    /// connector is not ours: an error, not a silent fresh start.
    fn legacy_map(&mut self, state: &mut State, data: &Value) -> Result<()> {
        let bad = self.bad;
        let obj = data.as_object().ok_or_else(|| {
            bad("legacy state must be an object of stream name to stream state".into())
        })?;
        let known = |name: &str| {
            streams::find(name).is_some() || LEGACY_STREAMS.iter().any(|(old, _)| *old == name)
        };
        if !obj.is_empty() && !obj.keys().any(|k| known(k)) {
            let keys: Vec<&str> = obj.keys().map(String::as_str).take(5).collect();
            return Err(bad(format!(
                "the state names no stream of this connector (keys: {}); expected an Airbyte state (array of STATE payloads), a Singer state (bookmarks) or what `meltano state get` prints",
                keys.join(", ")
            )));
        }
        for (name, ss) in obj {
            self.stream_state(state, name, ss)?;
        }
        Ok(())
    }

    fn stream_state(&mut self, state: &mut State, name: &str, ss: &Value) -> Result<()> {
        let bad = self.bad;
        if let Some((_, ours)) = LEGACY_STREAMS.iter().find(|(old, _)| *old == name) {
            let ms = ss
                .get("timeRangeEnd")
                .and_then(Value::as_i64)
                .ok_or_else(|| {
                    bad(format!(
                        "stream '{name}': expected {{\"timeRangeEnd\": <epoch ms>}}"
                    ))
                })?;
            let end = DateTime::from_timestamp_millis(ms)
                .ok_or_else(|| bad(format!("stream '{name}': timeRangeEnd {ms} is not a time")))?;
            let cursor = Cursor::Date(legacy_cursor(end, self.granularity));
            for org in self.orgs {
                state.advance(ours, org, cursor);
            }
            return Ok(());
        }
        let Some(def) = streams::find(name) else {
            tracing::warn!(
                stream = name,
                "Ignoring state for a stream this connector does not have"
            );
            return Ok(());
        };
        let Some(field) = def.cursor else {
            // Full-refresh streams keep no bookmark, only where an unfinished sync got.
            for (j, entry) in ss
                .get("states")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(org) = entry
                    .pointer("/partition/organization")
                    .and_then(Value::as_str)
                {
                    let at = format!("stream '{name}', states[{j}]");
                    state.read_resume(name, org, entry.get("resume"), &at, bad)?;
                }
            }
            return Ok(());
        };
        if is_marker_only(ss) {
            return Ok(()); // the stream last ran as a full refresh: no bookmark
        }
        let states = ss.get("states").and_then(Value::as_array)
            .ok_or_else(|| bad(format!("stream '{name}': expected {{\"states\": [{{\"partition\": {{\"organization\": ...}}, \"cursor\": {{\"{field}\": ...}}}}]}}")))?;
        for (j, entry) in states.iter().enumerate() {
            let org = entry
                .pointer("/partition/organization")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    bad(format!(
                        "stream '{name}', states[{j}]: missing partition.organization"
                    ))
                })?;
            let cursor = entry.get("cursor").and_then(|c| c.get(field));
            let at = format!("stream '{name}', states[{j}]");
            state.read_resume(name, org, entry.get("resume"), &at, bad)?;
            if cursor.is_none()
                && matches!(Counts::of(entry), Counts::None)
                && entry.get("resume").is_some()
            {
                continue;
            }
            state.read_partition(
                name,
                org,
                cursor,
                Counts::of(entry),
                &format!("cursor.{field}"),
                &at,
                bad,
            )?;
        }
        Ok(())
    }

    fn singer(&mut self, state: &mut State, bookmarks: &Value) -> Result<()> {
        let bad = self.bad;
        let obj = bookmarks
            .as_object()
            .ok_or_else(|| bad("'bookmarks' must be an object".into()))?;
        for (name, b) in obj {
            let Some(def) = streams::find(name) else {
                tracing::warn!(
                    stream = name.as_str(),
                    "Ignoring state for a stream this connector does not have"
                );
                continue;
            };
            let Some(parts) = b.get("partitions") else {
                if def.cursor.is_none() {
                    continue; // a full-refresh stream keeps nothing else
                }
                // singer-sdk's unpartitioned form: one value for every organization.
                match b.get("replication_key_value") {
                    Some(v) if !self.orgs.is_empty() => {
                        for org in self.orgs {
                            let at = format!("bookmarks.{name}");
                            state.read_partition(
                                name,
                                org,
                                Some(v),
                                Counts::None,
                                "replication_key_value",
                                &at,
                                bad,
                            )?;
                        }
                    }
                    Some(_) => return Err(bad(format!("bookmarks.{name} has one replication_key_value for every organization, but the config lists none (organization_ids): list them, or give 'partitions' per organization"))),
                    None if b.as_object().is_some_and(|o| !o.contains_key("replication_key")) => {}
                    None => return Err(bad(format!("bookmarks.{name}: expected a 'partitions' list"))),
                }
                continue;
            };
            let parts = parts
                .as_array()
                .ok_or_else(|| bad(format!("bookmarks.{name}: expected a 'partitions' list")))?;
            for (j, p) in parts.iter().enumerate() {
                let org = p
                    .pointer("/context/organization")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        bad(format!(
                            "bookmarks.{name}.partitions[{j}]: missing context.organization"
                        ))
                    })?;
                let at = format!("bookmarks.{name}.partitions[{j}]");
                state.read_resume(name, org, p.get("resume"), &at, bad)?;
                if def.cursor.is_none()
                    || (p.get("replication_key_value").is_none()
                        && matches!(Counts::of(p), Counts::None)
                        && p.get("resume").is_some())
                {
                    continue;
                }
                state.read_partition(
                    name,
                    org,
                    p.get("replication_key_value"),
                    Counts::of(p),
                    "replication_key_value",
                    &at,
                    bad,
                )?;
            }
        }
        Ok(())
    }
}

/// Per-post counts as a state entry holds them.
enum Counts<'a> {
    None,
    /// `post_counts`: `{post URN: count}` (written before the packed form; still read).
    Plain(&'a Value),
    /// `post_counts_packed`: see [`pack`].
    Packed(&'a Value),
}

impl Counts<'_> {
    fn of(entry: &Value) -> Counts<'_> {
        match (entry.get("post_counts_packed"), entry.get("post_counts")) {
            (Some(p), _) => Counts::Packed(p),
            (None, Some(c)) => Counts::Plain(c),
            (None, None) => Counts::None,
        }
    }
}

/// The compact form of per-post counts, so a state stays small at tens of thousands of
/// posts: URNs are grouped by prefix (`urn:li:share:`, `urn:li:ugcPost:`); within a
/// prefix the numeric ids are sorted and written as base64 (URL-safe, unpadded) varints,
/// each the difference to the previous id followed by the count. Posts with no activity
/// are left out (the engine treats a post missing from the counts as having had none).
/// URNs that do not end in a number are kept as they are under `"other"`.
fn pack(counts: &PostCounts) -> Value {
    let mut groups: BTreeMap<&str, Vec<(u64, u64)>> = BTreeMap::new();
    let mut other = Map::new();
    for (urn, &n) in counts {
        if n == 0 {
            continue;
        }
        match split_urn(urn) {
            Some((prefix, id)) => groups.entry(prefix).or_default().push((id, n)),
            None => {
                other.insert(urn.clone(), json!(n));
            }
        }
    }
    let mut out = Map::new();
    for (prefix, mut ids) in groups {
        ids.sort_unstable();
        let mut bytes = Vec::with_capacity(ids.len() * 9);
        let mut prev = 0u64;
        for (id, n) in ids {
            put_varint(&mut bytes, id - prev);
            put_varint(&mut bytes, n);
            prev = id;
        }
        out.insert(prefix.to_string(), json!(URL_SAFE_NO_PAD.encode(bytes)));
    }
    if !other.is_empty() {
        out.insert("other".into(), Value::Object(other));
    }
    Value::Object(out)
}

/// Reads [`pack`]'s form back; `None` names what is wrong.
fn unpack(v: &Value) -> std::result::Result<PostCounts, String> {
    let obj = v.as_object().ok_or("must be an object")?;
    let mut counts = PostCounts::new();
    for (key, val) in obj {
        if key == "other" {
            let o = val.as_object().ok_or("'other' must be an object")?;
            for (urn, n) in o {
                let n = n.as_u64().ok_or(format!("other.{urn} must be a count"))?;
                counts.insert(urn.clone(), n);
            }
            continue;
        }
        let text = val
            .as_str()
            .ok_or(format!("'{key}' must be a base64 string"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|e| format!("'{key}' is not base64 ({e})"))?;
        let mut at = 0;
        let mut id = 0u64;
        while at < bytes.len() {
            let delta = get_varint(&bytes, &mut at).ok_or(format!("'{key}' is truncated"))?;
            let n = get_varint(&bytes, &mut at).ok_or(format!("'{key}' is truncated"))?;
            id = id
                .checked_add(delta)
                .ok_or(format!("'{key}' holds an id out of range"))?;
            counts.insert(format!("{key}{id}"), n);
        }
    }
    Ok(counts)
}

/// `urn:li:share:123` → (`urn:li:share:`, 123), when the id is a canonical number.
fn split_urn(urn: &str) -> Option<(&str, u64)> {
    let cut = urn.rfind(':')? + 1;
    let (prefix, digits) = urn.split_at(cut);
    let id: u64 = digits.parse().ok()?;
    (id.to_string() == digits && prefix != "other").then_some((prefix, id))
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }
    const ORG: &str = "urn:li:organization:1";

    fn c(s: &str) -> Cursor {
        Cursor::parse(s).unwrap()
    }

    #[test]
    fn round_trips_airbyte_and_singer() {
        let mut s = State::default();
        s.advance("posts", ORG, c("2026-11-01T00:00:00.000Z"));
        s.advance("follower_statistics_daily", ORG, c("2026-11-17"));
        s.advance("follower_statistics_daily", ORG, c("2026-11-10")); // never backwards
        let posts = streams::find("posts").unwrap();
        let daily = streams::find("follower_statistics_daily").unwrap();
        let airbyte = json!([
            {"type": "STREAM", "stream": {"stream_descriptor": {"name": "posts"}, "stream_state": s.airbyte_stream_state(posts)}},
            {"type": "STREAM", "stream": {"stream_descriptor": {"name": daily.name}, "stream_state": s.airbyte_stream_state(daily)}},
        ]);
        assert_eq!(
            State::parse("s", &airbyte.to_string(), &[], now()).unwrap(),
            s
        );
        assert_eq!(
            State::parse("s", &s.singer_state().to_string(), &[], now()).unwrap(),
            s
        );
        assert_eq!(
            s.get("follower_statistics_daily", ORG),
            Some(c("2026-11-17"))
        );
    }

    #[test]
    fn accepts_python_connector_state() {
        let legacy = json!({"follower_statistics_time_bound": {"timeRangeEnd": 1763510400000_i64}});
        let s = State::parse("s", &legacy.to_string(), &[ORG.to_string()], now()).unwrap();
        assert_eq!(
            s.get("follower_statistics_daily", ORG),
            Some(c("2025-11-18"))
        );
        let global = json!([{"type": "GLOBAL", "global": {"stream_states": [
            {"stream_descriptor": {"name": "share_statistics_time_bound"}, "stream_state": {"timeRangeEnd": 1763510400000_i64}}]}}]);
        assert!(
            State::parse("s", &global.to_string(), &[ORG.to_string()], now())
                .unwrap()
                .get("share_statistics_daily", ORG)
                .is_some()
        );
    }

    #[test]
    fn rejects_corrupt_state_naming_the_problem() {
        for (text, needle) in [
            ("{not json", "not valid JSON"),
            ("42", "must be a JSON array"),
            (r#"[{"type":"STREAM"}]"#, "no 'stream'"),
            (
                r#"[{"type":"STREAM","stream":{"stream_descriptor":{"name":"posts"},"stream_state":{"cursor":1}}}]"#,
                "expected {\"states\"",
            ),
            (
                r#"{"posts":{"states":[{"partition":{"organization":"o"},"cursor":{"last_modified_at":"yesterday"}}]}}"#,
                "not a date",
            ),
            (
                r#"{"posts":{"states":[{"partition":{"organization":"o"},"cursor":{"last_modified_at":"2031-01-01T00:00:00Z"}}]}}"#,
                "in the future",
            ),
            // Less than a day ahead is still the future (now is 2026-11-20T00:00Z).
            (
                r#"{"posts":{"states":[{"partition":{"organization":"o"},"cursor":{"last_modified_at":"2026-11-20T06:00:00Z"}}]}}"#,
                "in the future",
            ),
            (r#"[{"type":"WEIRD"}]"#, "unknown state type"),
        ] {
            let e = State::parse("state.json", text, &[], now()).unwrap_err();
            assert!(e.to_string().contains(needle), "{text}: {e}");
            assert!(e.to_string().starts_with("state.json"), "{e}");
        }
        // A state for streams this connector does not have is not ours: never a silent
        // fresh start.
        assert!(State::parse("s", r#"{"no_such_stream": {"x": 1}}"#, &[], now()).is_err());
        // Alongside streams of ours, an unknown one is ignored (with a warning).
        assert!(State::parse(
            "s",
            r#"{"no_such_stream": {"x": 1}, "posts": {"states": []}}"#,
            &[],
            now()
        )
        .is_ok());
    }
}

#[cfg(test)]
mod cursor_forms {
    use super::*;

    #[test]
    fn an_instant_in_any_form_loads_as_one_cursor_written_canonically() {
        let now = DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let forms = [
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00.000Z",
            "2025-12-31T19:00:00-05:00",
        ];
        let states: Vec<State> = forms
            .iter()
            .map(|f| {
                let text = format!(r#"{{"posts":{{"states":[{{"partition":{{"organization":"o"}},"cursor":{{"last_modified_at":"{f}"}}}}]}}}}"#);
                State::parse("s", &text, &[], now).unwrap()
            })
            .collect();
        assert!(states.windows(2).all(|w| w[0] == w[1]));
        let out = states[0].singer_state().to_string();
        assert!(
            out.contains(r#""replication_key_value":"2026-01-01T00:00:00.000Z""#),
            "{out}"
        );
    }
}

#[cfg(test)]
mod forms {
    use super::*;

    const ORG: &str = "urn:li:organization:1";

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn sample() -> State {
        let mut s = State::default();
        s.advance(
            "posts",
            ORG,
            Cursor::parse("2026-11-01T00:00:00.000Z").unwrap(),
        );
        s.advance(
            "follower_statistics_daily",
            ORG,
            Cursor::parse("2026-11-17").unwrap(),
        );
        s
    }

    fn airbyte_payloads(s: &State) -> Vec<Value> {
        ["posts", "follower_statistics_daily"]
            .iter()
            .map(|n| {
                let def = streams::find(n).unwrap();
                json!({"type": "STREAM", "stream": {"stream_descriptor": {"name": n}, "stream_state": s.airbyte_stream_state(def)}})
            })
            .collect()
    }

    fn parse(text: &str) -> Result<State> {
        State::parse("state.json", text, &[ORG.to_string()], now())
    }

    #[test]
    fn every_documented_form_loads_the_same_bookmarks() {
        let s = sample();
        let payloads = airbyte_payloads(&s);
        let lines: Vec<String> = payloads
            .iter()
            .map(|p| json!({"type": "STATE", "state": p}).to_string())
            .collect();
        let singer = s.singer_state();
        let forms = [
            // What Airbyte stores: the array of payloads.
            Value::Array(payloads.clone()).to_string(),
            // STATE lines copied from stdout, with other messages between them.
            format!(
                "{}\n{{\"type\":\"LOG\",\"log\":{{\"level\":\"INFO\",\"message\":\"x\"}}}}\n{}\n",
                lines[0], lines[1]
            ),
            // GLOBAL.
            json!([{"type": "GLOBAL", "global": {"shared_state": {}, "stream_states": payloads.iter().map(|p| p["stream"].clone()).collect::<Vec<_>>()}}]).to_string(),
            // LEGACY and a bare object of stream -> state.
            json!([{"type": "LEGACY", "data": {"posts": payloads[0]["stream"]["stream_state"], "follower_statistics_daily": payloads[1]["stream"]["stream_state"]}}]).to_string(),
            json!({"posts": payloads[0]["stream"]["stream_state"], "follower_statistics_daily": payloads[1]["stream"]["stream_state"]}).to_string(),
            // Singer: bookmarks, a STATE line, `meltano state get`, Meltano's stored form.
            singer.to_string(),
            json!({"type": "STATE", "value": singer}).to_string(),
            json!({"singer_state": singer}).to_string(),
            json!({"completed": {"singer_state": singer}, "partial": {}}).to_string(),
        ];
        for f in &forms {
            assert_eq!(parse(f).unwrap(), s, "{f}");
        }
        // A single STATE line: this is what docs/running.md tells people to copy. With
        // only one stream in it, only that stream's bookmark is there.
        let one = parse(&lines[0]).unwrap();
        assert_eq!(one.get("posts", ORG), s.get("posts", ORG));
    }

    #[test]
    fn meltano_partial_state_is_merged_over_completed() {
        let old = sample().singer_state();
        let mut newer = State::default();
        newer.advance(
            "posts",
            ORG,
            Cursor::parse("2026-11-10T00:00:00.000Z").unwrap(),
        );
        let text = json!({"completed": {"singer_state": old}, "partial": {"singer_state": newer.singer_state()}}).to_string();
        let s = parse(&text).unwrap();
        assert_eq!(s.get("posts", ORG), Cursor::parse("2026-11-10T00:00:00Z"));
        assert_eq!(
            s.get("follower_statistics_daily", ORG),
            Cursor::parse("2026-11-17")
        );
    }

    #[test]
    fn a_state_that_is_not_ours_is_an_error_not_a_fresh_start() {
        for (text, needle) in [
            (
                r#"{"foo": {"bar": 1}}"#,
                "names no stream of this connector",
            ),
            (
                r#"{"type":"RECORD","record":{"stream":"posts","data":{}}}"#,
                "is not a state",
            ),
            (
                "{\"type\":\"RECORD\"}\n{\"type\":\"LOG\"}\n",
                "none of its lines is a STATE",
            ),
            ("{\"type\":\"STATE\"}\n{oops\n", "line 2 is not valid JSON"),
            ("{\n  \"posts\": \n", "not valid JSON"),
            (r#"{"completed": {"foo": 1}}"#, "without 'singer_state'"),
            (r#"{"type":"STATE","value":{"x":1}}"#, "has no bookmarks"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.to_string().contains(needle), "{text}: {e}");
            assert!(e.to_string().starts_with("state.json"), "{e}");
        }
        // Empty forms are empty states, not errors.
        for text in [
            "{}",
            "[]",
            r#"{"singer_state": {}}"#,
            r#"{"bookmarks": {}}"#,
        ] {
            assert_eq!(parse(text).unwrap(), State::default(), "{text}");
        }
    }

    #[test]
    fn a_full_refresh_marker_is_no_bookmark() {
        let text = r#"[{"type":"STREAM","stream":{"stream_descriptor":{"name":"posts"},"stream_state":{"__ab_no_cursor_state_message":true}}}]"#;
        assert_eq!(parse(text).unwrap(), State::default());
    }

    #[test]
    fn unpartitioned_singer_bookmarks_apply_to_every_configured_organization() {
        let text = r#"{"bookmarks":{"posts":{"replication_key":"last_modified_at","replication_key_value":"2026-11-01T00:00:00Z"}}}"#;
        let s = parse(text).unwrap();
        assert_eq!(s.get("posts", ORG), Cursor::parse("2026-11-01T00:00:00Z"));
        let e = State::parse("state.json", text, &[], now()).unwrap_err();
        assert!(e.to_string().contains("organization_ids"), "{e}");
    }

    #[test]
    fn python_month_state_reads_the_partial_month_again() {
        // The Python connector ran on 2025-11-21 and read up to 2025-11-19T13:45 (now - 2
        // days, keeping the time of day): November was partial.
        let end = DateTime::parse_from_rfc3339("2025-11-19T13:45:00Z").unwrap();
        let text =
            json!({"follower_statistics_time_bound": {"timeRangeEnd": end.timestamp_millis()}})
                .to_string();
        let orgs = [ORG.to_string()];
        let month = State::parse_with("s", &text, &orgs, Granularity::MONTH, now()).unwrap();
        // The cursor is the last complete month (October), so the next window starts on
        // November 1st, not December 1st.
        assert_eq!(
            month.get("follower_statistics_daily", ORG),
            Cursor::parse("2025-10-01")
        );
        let day = State::parse_with("s", &text, &orgs, Granularity::DAY, now()).unwrap();
        // DAY: the 19th was partial too; the 18th is the last complete day.
        assert_eq!(
            day.get("follower_statistics_daily", ORG),
            Cursor::parse("2025-11-18")
        );
    }
}

#[cfg(test)]
mod packed_counts {
    use super::*;

    /// LinkedIn-like post ids: the top 41 bits are the creation time in ms (the low 22
    /// are a sequence), so ids of one page's posts over a year are ~2^46 apart.
    fn linkedin_like(org: u64, k: u64) -> String {
        let ms = 1_700_000_000_000u64 + org * 7_919 + k * 15_768_000; // ~4.4 h apart
        let id = (ms << 22) | ((org * 31 + k * 17) & 0x3f_ffff);
        if k % 3 == 0 {
            format!("urn:li:ugcPost:{id}")
        } else {
            format!("urn:li:share:{id}")
        }
    }

    #[test]
    fn round_trips_and_keeps_odd_urns() {
        let mut c = PostCounts::new();
        c.insert("urn:li:share:7012345678901234567".into(), 3);
        c.insert("urn:li:share:7012345678901234999".into(), 300);
        c.insert("urn:li:ugcPost:5".into(), 1);
        c.insert("urn:li:share:0042".into(), 2); // not canonical: kept verbatim
        c.insert("urn:li:other:abc".into(), 4);
        c.insert("urn:li:share:9".into(), 0); // no activity: left out
        let packed = pack(&c);
        let back = unpack(&packed).unwrap();
        c.remove("urn:li:share:9");
        assert_eq!(back, c);
        assert!(unpack(&json!({"urn:li:share:": "gA"})).is_err()); // truncated varint
        assert!(unpack(&json!({"urn:li:share:": 3})).is_err());
    }

    #[test]
    #[allow(clippy::disallowed_macros)] // the sizes, for docs/incremental.md
    fn the_whole_singer_state_stays_under_1_mb_at_40000_posts() {
        // 20 pages x 2,000 posts, every post with comments and reactions, both streams in
        // one Singer STATE (the largest message the connector writes).
        let mut s = State::default();
        for org in 0..20u64 {
            let o = format!("urn:li:organization:{}", 1000 + org);
            let counts: PostCounts = (0..2000)
                .map(|k| (linkedin_like(org, k), 1 + k % 150))
                .collect();
            for stream in ["post_comments", "post_reactions"] {
                s.set_post_counts(stream, &o, counts.clone());
                s.advance(stream, &o, Cursor::parse("2026-11-01T00:00:00Z").unwrap());
            }
        }
        let singer = s.singer_state().to_string().len();
        let airbyte = s
            .airbyte_stream_state(streams::find("post_comments").unwrap())
            .to_string()
            .len();
        let plain_entry = r#""urn:li:share:7123456789012345678":150,"#.len();
        eprintln!("singer state {singer} bytes, airbyte post_comments state {airbyte} bytes; the plain map would be about {} bytes per stream", plain_entry * 40_000);
        assert!(singer < 1_000_000, "{singer}");
        assert!(airbyte < 500_000, "{airbyte}");
        // And it reads back to the same state.
        assert_eq!(
            State::parse(
                "s",
                &s.singer_state().to_string(),
                &[],
                DateTime::<Utc>::MAX_UTC
            )
            .unwrap(),
            s
        );
    }
}

#[cfg(test)]
mod resume_forms {
    use super::*;

    /// Resume points survive both protocols' forms, for incremental and full-refresh
    /// streams alike, and a bad one is a config error naming it.
    #[test]
    fn resume_points_round_trip_and_bad_ones_are_named() {
        let now = DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let org = "urn:li:organization:1";
        let mut s = State::default();
        s.add_resume_posts("post_comments", org, ["urn:li:share:1".to_string()]);
        s.merge_post_counts(
            "post_comments",
            org,
            [("urn:li:share:1".to_string(), 3)].into(),
        );
        s.add_resume_posts("video_statistics", org, ["urn:li:ugcPost:2".to_string()]);
        s.set_resume("organizations", "", Some(Resume::Done));
        let airbyte: Vec<Value> = ["post_comments", "video_statistics", "organizations"]
            .iter()
            .map(|n| {
                let def = streams::find(n).unwrap();
                json!({"type": "STREAM", "stream": {"stream_descriptor": {"name": n}, "stream_state": s.airbyte_stream_state(def)}})
            })
            .collect();
        let text = Value::Array(airbyte).to_string();
        assert_eq!(State::parse("s", &text, &[], now).unwrap(), s);
        assert_eq!(
            State::parse("s", &s.singer_state().to_string(), &[], now).unwrap(),
            s
        );
        let mut cleared = s.clone();
        assert_eq!(
            cleared.clear_resume_done(),
            vec!["organizations".to_string()]
        );
        assert!(cleared.resume("video_statistics", org).is_some());
        assert_eq!(cleared.clear_resume().len(), 2);
        assert_eq!(cleared.resume("post_comments", org), None);
        let bad = r#"{"video_statistics":{"states":[{"partition":{"organization":"o"},"resume":{"posts_done":[1]}}]}}"#;
        let e = State::parse("state.json", bad, &[], now).unwrap_err();
        assert!(e.to_string().contains("posts_done"), "{e}");
    }
}
