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

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

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
                    entry["post_counts"] = json!(counts);
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
                        entry["post_counts"] = json!(counts);
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

    /// Parses a state file. `orgs` are the configured organizations (the Python
    /// connector's state has none of its own); `now` rejects cursors in the future.
    pub fn parse(file: &str, text: &str, orgs: &[String], now: DateTime<Utc>) -> Result<State> {
        if text.trim().is_empty() {
            return Ok(State::default());
        }
        let v: Value = serde_json::from_str(text).map_err(|e| Error::bad_json(file, &e))?;
        let mut state = State::default();
        let bad = |what: String| {
            Error::config(file, format!("{what}. Fix the state or remove it to start the affected streams from start_date."))
        };
        match &v {
            Value::Null => {}
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    // Accept both state payloads and whole STATE messages copied from stdout.
                    let msg = if item.get("type").and_then(Value::as_str) == Some("STATE") {
                        item.get("state").unwrap_or(item)
                    } else {
                        item
                    };
                    match msg.get("type").and_then(Value::as_str).unwrap_or("LEGACY") {
                        "STREAM" => {
                            let s = msg.get("stream").ok_or_else(|| {
                                bad(format!("item {i} has type STREAM but no 'stream'"))
                            })?;
                            state.read_stream_entry(s, orgs, &bad, i)?;
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
                                state.read_stream_entry(s, orgs, &bad, i)?;
                            }
                        }
                        "LEGACY" => {
                            let data = msg.get("data").unwrap_or(msg);
                            state.read_legacy_map(data, orgs, &bad)?;
                        }
                        other => {
                            return Err(bad(format!("item {i} has unknown state type '{other}'")))
                        }
                    }
                }
            }
            Value::Object(o) => {
                if let Some(b) = o.get("bookmarks") {
                    state.read_singer(b, &bad)?;
                } else if let Some(value) = o
                    .get("value")
                    .filter(|_| o.get("type").and_then(Value::as_str) == Some("STATE"))
                {
                    let b = value
                        .get("bookmarks")
                        .ok_or_else(|| bad("a Singer STATE message without bookmarks".into()))?;
                    state.read_singer(b, &bad)?;
                } else {
                    state.read_legacy_map(o.get("data").unwrap_or(&v), orgs, &bad)?;
                }
            }
            _ => {
                return Err(bad(
                    "the state must be a JSON array of Airbyte state messages or a JSON object"
                        .into(),
                ))
            }
        }
        state.validate(now, &bad)?;
        Ok(state)
    }

    fn read_stream_entry(
        &mut self,
        s: &Value,
        orgs: &[String],
        bad: &dyn Fn(String) -> Error,
        i: usize,
    ) -> Result<()> {
        let name = s
            .pointer("/stream_descriptor/name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("item {i} has no stream_descriptor.name")))?;
        match s.get("stream_state") {
            None | Some(Value::Null) => Ok(()),
            Some(ss) => self.read_stream_state(name, ss, orgs, bad),
        }
    }

    fn read_legacy_map(
        &mut self,
        data: &Value,
        orgs: &[String],
        bad: &dyn Fn(String) -> Error,
    ) -> Result<()> {
        let obj = data.as_object().ok_or_else(|| {
            bad("legacy state must be an object of stream name to stream state".into())
        })?;
        for (name, ss) in obj {
            self.read_stream_state(name, ss, orgs, bad)?;
        }
        Ok(())
    }

    fn read_stream_state(
        &mut self,
        name: &str,
        ss: &Value,
        orgs: &[String],
        bad: &dyn Fn(String) -> Error,
    ) -> Result<()> {
        if let Some((_, ours)) = LEGACY_STREAMS.iter().find(|(old, _)| *old == name) {
            let ms = ss
                .get("timeRangeEnd")
                .and_then(Value::as_i64)
                .ok_or_else(|| {
                    bad(format!(
                        "stream '{name}': expected {{\"timeRangeEnd\": <epoch ms>}}"
                    ))
                })?;
            // timeRangeEnd is the exclusive end of the last bucket read: its day is the cursor.
            let date = DateTime::from_timestamp_millis(ms - 1)
                .ok_or_else(|| bad(format!("stream '{name}': timeRangeEnd {ms} is not a time")))?
                .date_naive();
            for org in orgs {
                self.advance(ours, org, Cursor::Date(date));
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
                    self.read_resume(name, org, entry.get("resume"), &at, bad)?;
                }
            }
            return Ok(());
        };
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
            self.read_resume(name, org, entry.get("resume"), &at, bad)?;
            if cursor.is_none()
                && entry.get("post_counts").is_none()
                && entry.get("resume").is_some()
            {
                continue;
            }
            self.read_partition(
                name,
                org,
                cursor,
                entry.get("post_counts"),
                &format!("cursor.{field}"),
                &at,
                bad,
            )?;
        }
        Ok(())
    }

    fn read_singer(&mut self, bookmarks: &Value, bad: &dyn Fn(String) -> Error) -> Result<()> {
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
            let Some(parts) = b.get("partitions").and_then(Value::as_array) else {
                if def.cursor.is_none() {
                    continue; // a full-refresh stream keeps nothing else
                }
                return Err(bad(format!(
                    "bookmarks.{name}: expected a 'partitions' list"
                )));
            };
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
                self.read_resume(name, org, p.get("resume"), &at, bad)?;
                if def.cursor.is_none()
                    || (p.get("replication_key_value").is_none()
                        && p.get("post_counts").is_none()
                        && p.get("resume").is_some())
                {
                    continue;
                }
                self.read_partition(
                    name,
                    org,
                    p.get("replication_key_value"),
                    p.get("post_counts"),
                    "replication_key_value",
                    &at,
                    bad,
                )?;
            }
        }
        Ok(())
    }

    /// One partition entry: a cursor (string) and/or per-post counts (object of integers).
    #[allow(clippy::too_many_arguments)]
    fn read_partition(
        &mut self,
        name: &str,
        org: &str,
        cursor: Option<&Value>,
        counts: Option<&Value>,
        cursor_key: &str,
        at: &str,
        bad: &dyn Fn(String) -> Error,
    ) -> Result<()> {
        if let Some(c) = counts {
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
        match cursor {
            Some(Value::String(c)) => {
                let cursor = Cursor::parse(c).ok_or_else(|| bad(format!("stream '{name}', {org}: cursor '{c}' is not a date (YYYY-MM-DD) or RFC 3339 time")))?;
                self.advance(name, org, cursor);
            }
            None if counts.is_some() => {}
            _ => return Err(bad(format!("{at}: missing {cursor_key}"))),
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
        assert_eq!(
            State::parse("s", r#"{"no_such_stream": {"x": 1}}"#, &[], now()).unwrap(),
            State::default()
        );
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
