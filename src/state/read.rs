//! Reading a state file: every form [`State::parse_with`] accepts (Airbyte's STREAM,
//! GLOBAL and LEGACY messages, STATE lines, bare objects; Singer bookmarks and Meltano's
//! stored forms; the Python connector's `timeRangeEnd`) into the one internal shape, with
//! a config error naming the problem for anything else.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::packed::unpack;
use super::{PostCounts, Resume, State};
use crate::config::Granularity;
use crate::domain::Cursor;
use crate::error::{Error, Result};
use crate::streams;

/// Streams of the Python connector and the stream that continues them here.
const LEGACY_STREAMS: &[(&str, &str)] = &[
    (
        "follower_statistics_time_bound",
        "follower_statistics_daily",
    ),
    ("share_statistics_time_bound", "share_statistics_daily"),
];

impl State {
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
        } else if let Some(packed) = v.get("posts_done_packed") {
            let posts = super::packed::unpack(packed)
                .map_err(|e| bad(format!("{at}: resume.posts_done_packed {e}")))?;
            Resume::Posts(posts.into_keys().collect())
        } else {
            return Err(bad(format!(
                "{at}: resume must be {{\"done\": true}}, {{\"posts_done_packed\": {{...}}}} or {{\"posts_done\": [...]}}"
            )));
        };
        self.set_resume(name, org, Some(r));
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
    /// `post_counts_packed`: see [`pack`](super::packed::pack).
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
