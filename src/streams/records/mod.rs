//! One typed record per stream. Each struct deserialises LinkedIn's element (camelCase)
//! and serialises the record (snake_case), and its JSON Schema is generated from the same
//! struct, so data and schema cannot drift.
//!
//! Nothing LinkedIn sends is dropped: every typed struct, at every depth, carries an
//! [`Extra`] that collects the fields this version does not know and writes them under one
//! declared object column, `additional_fields`, with the same key mapping as typed fields
//! (`likesSummary.selectedLikes` → `likes_summary.additional_fields.selected_likes`, `$URN` →
//! `urn`). Because every emitted field is declared, the schemas close each typed object
//! (`additionalProperties: false`), which strict targets rely on; the Airbyte catalog opens
//! them again, as Airbyte requires (`catalog::open_schema`).
//!
//! The records are split by family: organizations, statistics (followers, shares, pages),
//! posts, social (comments, reactions, video) and lookups (standardized data, geo).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, SecondsFormat};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Value};

use crate::config::Granularity;
use crate::domain::Cursor;

/// A typed record struct whose unknown fields go to an `extra: Extra` member. Nested
/// structs are declared with this so no level can forget its extras.
macro_rules! typed {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all(deserialize = "camelCase"))]
        pub struct $name {
            $($body)*
            /// Fields LinkedIn sent that this version does not know.
            #[serde(flatten)]
            pub extra: Extra,
        }
    };
}

/// A breakdown entry: one facet key (a URN or band) and its counts.
macro_rules! facet {
    ($(#[$doc:meta])* $name:ident, $key:ident, $counts:ident : $cty:ty) => {
        typed! {
            $(#[$doc])*
            pub struct $name {
                pub $key: Option<String>,
                pub $counts: Option<$cty>,
            }
        }
    };
}

/// A time-bound statistics record (one row per organization, granularity and day).
macro_rules! time_bound {
    ($(#[$doc:meta])* $name:ident, $org_key:literal, $field:ident : $ty:ty) => {
        typed! {
            $(#[$doc])*
            pub struct $name {
                #[serde(rename(deserialize = $org_key), default)]
                pub organization: String,
                #[serde(skip_deserializing)]
                pub organization_id: Option<i64>,
                /// DAY or MONTH.
                #[serde(skip_deserializing)]
                pub time_granularity: String,
                /// UTC date the bucket starts (the cursor).
                #[serde(skip_deserializing)]
                pub date: NaiveDate,
                pub time_range: TimeRange,
                pub $field: Option<$ty>,
            }
        }

        impl Record for $name {
            fn enrich(&mut self, ctx: &RecordCtx) {
                self.organization = ctx.organization.to_string();
                self.organization_id = org_id(ctx.organization);
                self.time_granularity = ctx.granularity.as_str().to_string();
                self.date = self.time_range.start.unwrap_or_default().date();
            }
            fn cursor(&self) -> Option<$crate::domain::Cursor> {
                $crate::domain::Cursor::of_day(self.date)
            }
        }
    };
}

pub mod json;
mod lookups;
mod organizations;
mod page;
mod pages;
mod posts;
mod social;
mod statistics;

pub use lookups::*;
pub use organizations::*;
pub use page::{decode_page, DecodedPage};
pub use pages::*;
pub use posts::*;
pub use social::*;
pub use statistics::*;

/// A free-form JSON object LinkedIn sends (content, distribution, ...): typed as an object
/// in the schema, so warehouses make it a JSON column.
pub type JsonObject = serde_json::Map<String, Value>;

/// The column, at every level of a record, that holds fields this version does not know.
pub const EXTRA_COLUMN: &str = "additional_fields";

/// What the engine knows about the partition a record came from.
pub struct RecordCtx<'a> {
    /// Organization (or brand) URN.
    pub organization: &'a str,
    pub granularity: Granularity,
    /// The UTC date of the sync (for snapshot streams).
    pub snapshot_date: NaiveDate,
    /// The post a child record belongs to.
    pub post: Option<&'a str>,
    /// A request variant, e.g. the video metric type.
    pub variant: Option<&'a str>,
}

/// A stream's record type.
pub trait Record: Serialize + for<'de> Deserialize<'de> + JsonSchema {
    /// Fills the fields the engine knows (organization, post, dates).
    fn enrich(&mut self, ctx: &RecordCtx);
    /// The record's cursor value, for incremental streams.
    fn cursor(&self) -> Option<Cursor> {
        None
    }
    /// After `enrich`: whether the record is complete (e.g. has its primary key); the
    /// message names the missing field.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Decodes one element into a record written to `out`; returns its cursor. The error names
/// the element (its id or URN when it has one) and the path of the field that failed, so
/// the engine can report and skip exactly that element.
///
/// The happy path is one plain serde_json pass (path tracking cost ~20 % of a record's
/// instructions in the comments benchmark); only a failing element is decoded again with
/// `serde_path_to_error` to name the field. The record is written by [`json::write`].
pub fn decode<T: Record>(
    ctx: &RecordCtx,
    raw: &str,
    out: &mut Vec<u8>,
) -> Result<Option<Cursor>, String> {
    // from_str also rejects trailing text after the element.
    let rec: T = serde_json::from_str(raw).map_err(|_| decode_error::<T>(raw))?;
    write_record(rec, ctx, out).map_err(|e| format!("element {}: {e}", element_id(raw)))
}

/// What follows decoding on both paths (an element on its own, a page in one pass): the
/// engine's fields filled, the record checked ([`Record::check`]'s message names the
/// missing field) and written to `out`; its cursor.
pub(crate) fn write_record<T: Record>(
    mut rec: T,
    ctx: &RecordCtx,
    out: &mut Vec<u8>,
) -> Result<Option<Cursor>, String> {
    rec.enrich(ctx);
    rec.check()?;
    json::write(out, &rec).map_err(|e| e.to_string())?;
    Ok(rec.cursor())
}

/// Why `raw` does not decode as `T`: the element and the path of the failing field.
#[cold]
fn decode_error<T: Record>(raw: &str) -> String {
    let mut de = serde_json::Deserializer::from_str(raw);
    let decoded: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match decoded {
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let field = if path == "." || path.is_empty() {
                String::new()
            } else {
                format!(" at field `{path}`")
            };
            format!("element {}{field}: {inner}", element_id(raw))
        }
        Ok(_) => match de.end() {
            Err(e) => format!("element {}: {e}", element_id(raw)),
            Ok(()) => format!("element {}: not a valid record", element_id(raw)),
        },
    }
}

/// The element's identity for error messages: the first id-like field it has.
fn element_id(raw: &str) -> String {
    let Ok(Value::Object(o)) = serde_json::from_str::<Value>(raw) else {
        return "(not a JSON object)".to_string();
    };
    for key in [
        "commentUrn",
        "$URN",
        "id",
        "share",
        "ugcPost",
        "entity",
        "organizationalEntity",
        "organization",
    ] {
        match o.get(key) {
            Some(Value::String(s)) => return format!("{key}={s}"),
            Some(Value::Number(n)) => return format!("{key}={n}"),
            _ => {}
        }
    }
    "(no id)".to_string()
}

/// "00" to "99", two bytes each.
static DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Epoch milliseconds from LinkedIn, written as an RFC 3339 UTC timestamp with millis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// RFC 3339 text, fixed width so it sorts lexically.
    pub fn to_rfc3339(self) -> String {
        let mut buf = [0u8; 24];
        match self.fast_rfc3339(&mut buf) {
            Some(s) => s.to_string(),
            None => self.chrono_rfc3339(),
        }
    }

    /// The instant as a cursor (`None` where a state could not carry it back).
    pub fn cursor(self) -> Option<Cursor> {
        DateTime::from_timestamp_millis(self.0).and_then(Cursor::of_instant)
    }

    /// chrono's text: the reference, and the form for years outside 0000..=9999.
    fn chrono_rfc3339(self) -> String {
        DateTime::from_timestamp_millis(self.0)
            .unwrap_or_default()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` without chrono's formatting machinery (which cost ~5 %
    /// of a comment's instructions: a record has four timestamps and a cursor); `None`
    /// for years outside 0000..=9999, which chrono writes with a sign.
    fn fast_rfc3339(self, buf: &mut [u8; 24]) -> Option<&str> {
        let days = self.0.div_euclid(86_400_000);
        let ms = self.0.rem_euclid(86_400_000);
        // Howard Hinnant's civil_from_days (proleptic Gregorian, as chrono).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        if !(0..=9999).contains(&year) {
            return None;
        }
        // Two digits at a time from a table (every field is below 100 but the year and
        // millis), in unsigned arithmetic: all fields are non-negative here.
        let two = |buf: &mut [u8; 24], at: usize, v: u64| {
            let d = &DIGIT_PAIRS[(v % 100) as usize * 2..][..2];
            buf[at..at + 2].copy_from_slice(d);
        };
        let (year, month, day, ms) = (year as u64, month as u64, day as u64, ms as u64);
        let secs = ms / 1000;
        *buf = *b"0000-00-00T00:00:00.000Z";
        two(buf, 0, year / 100);
        two(buf, 2, year);
        two(buf, 5, month);
        two(buf, 8, day);
        two(buf, 11, secs / 3600);
        two(buf, 14, secs / 60 % 60);
        two(buf, 17, secs % 60);
        buf[20] = b'0' + (ms % 1000 / 100) as u8;
        two(buf, 21, ms % 100);
        std::str::from_utf8(buf).ok()
    }

    /// The UTC date.
    pub fn date(self) -> NaiveDate {
        DateTime::from_timestamp_millis(self.0)
            .unwrap_or_default()
            .date_naive()
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 24];
        match self.fast_rfc3339(&mut buf) {
            Some(text) => s.serialize_str(text),
            None => s.serialize_str(&self.chrono_rfc3339()),
        }
    }
}

/// Epoch milliseconds (an integer), or RFC 3339 text; read without an intermediate
/// `Value`. The messages are those of the `Value`-based reader this replaced.
struct TimestampVisitor;

impl<'de> serde::de::Visitor<'de> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("epoch milliseconds")
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Timestamp, E> {
        Ok(Timestamp(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Timestamp, E> {
        i64::try_from(v)
            .map(Timestamp)
            .map_err(|_| E::custom("timestamp out of range"))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Timestamp, E> {
        Err(E::custom("timestamp out of range"))
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Timestamp, E> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| Timestamp(t.timestamp_millis()))
            .map_err(|_| E::custom(format!("'{s}' is not a timestamp")))
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Timestamp, E> {
        Err(not_millis(&Value::Bool(v)))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Timestamp, E> {
        Err(not_millis(&Value::Null))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Timestamp, A::Error> {
        let v = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Err(not_millis(&v))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Timestamp, A::Error> {
        let v = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Err(not_millis(&v))
    }
}

fn not_millis<E: serde::de::Error>(v: &Value) -> E {
    E::custom(format!("expected epoch milliseconds, got {v}"))
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TimestampVisitor)
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "date-time", "airbyte_type": "timestamp_with_timezone"})
    }
    fn inline_schema() -> bool {
        true
    }
}

/// Fields LinkedIn sent that this version does not know, kept as sent (values untouched)
/// and written as one `additional_fields` object whose keys are mapped like typed fields.
/// Always used with `#[serde(flatten)]`: empty, it writes nothing.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Extra(pub BTreeMap<String, Value>);

/// LinkedIn's field name as a record column: `$` prefixes dropped (`$URN` → `urn`), then
/// camelCase to snake_case with acronyms kept whole (`logoV2` → `logo_v2`, `URN` → `urn`).
pub fn column_name(key: &str) -> String {
    let chars: Vec<char> = key.trim_start_matches('$').chars().collect();
    let mut out = String::with_capacity(chars.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let boundary = prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
            });
            if boundary {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The output key of every unknown field. Mapping is made injective so no value can
/// overwrite another: keys already in column form keep their name first; a mapped key that
/// collides with one taken keeps its original spelling (which has an uppercase letter or a
/// `$`, so it cannot collide with any column-form name).
pub fn extra_keys(map: &BTreeMap<String, Value>) -> Vec<(String, &Value)> {
    let mut taken: BTreeSet<String> = map
        .keys()
        .filter(|k| column_name(k) == **k)
        .cloned()
        .collect();
    map.iter()
        .map(|(k, v)| {
            let mapped = column_name(k);
            if mapped == *k || taken.insert(mapped.clone()) {
                (mapped, v)
            } else {
                (k.clone(), v)
            }
        })
        .collect()
}

struct MappedKeys<'a>(&'a BTreeMap<String, Value>);

impl Serialize for MappedKeys<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(extra_keys(self.0))
    }
}

impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if self.0.is_empty() {
            return s.serialize_map(Some(0))?.end();
        }
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(EXTRA_COLUMN, &MappedKeys(&self.0))?;
        m.end()
    }
}

impl JsonSchema for Extra {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Extra".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "properties": {
                EXTRA_COLUMN: {
                    "description": "Fields LinkedIn sent that this version of the connector does not know, kept as sent; keys in snake_case.",
                    "type": "object",
                    "additionalProperties": true
                }
            }
        })
    }
    fn inline_schema() -> bool {
        true
    }
}

typed! {
    /// LinkedIn's `{actor, time}` audit stamp.
    pub struct AuditStamp {
        pub actor: Option<String>,
        pub impersonator: Option<String>,
        pub time: Option<Timestamp>,
    }
}

typed! {
    /// A time range `[start, end)`.
    pub struct TimeRange {
        pub start: Option<Timestamp>,
        pub end: Option<Timestamp>,
    }
}

/// The numeric id at the end of an organization URN.
pub fn org_id(urn: &str) -> Option<i64> {
    urn.rsplit(':').next().and_then(|n| n.parse().ok())
}

/// Makes a generated schema say what the records do: every typed object is closed
/// (`additionalProperties: false`, since unknown fields live in the declared
/// `additional_fields`), and a field that may be null is not `required` (Airbyte's tooling
/// drops null values, so a required nullable field fails validation after a round trip).
pub fn finish_schema(v: &mut Value) {
    let Value::Object(o) = v else {
        if let Value::Array(items) = v {
            items.iter_mut().for_each(finish_schema);
        }
        return;
    };
    if let Some(Value::Object(props)) = o.get("properties") {
        let nullable: BTreeSet<String> = props
            .iter()
            .filter(|(_, p)| is_nullable(p))
            .map(|(k, _)| k.clone())
            .collect();
        if let Some(Value::Array(req)) = o.get_mut("required") {
            req.retain(|k| k.as_str().is_some_and(|k| !nullable.contains(k)));
            if req.is_empty() {
                o.remove("required");
            }
        }
        o.entry("additionalProperties").or_insert(json!(false));
    }
    for child in o.values_mut() {
        finish_schema(child);
    }
}

/// Whether a schema admits `null`.
fn is_nullable(schema: &Value) -> bool {
    match schema {
        Value::Bool(b) => *b,
        Value::Object(o) => {
            if o.is_empty() {
                return true;
            }
            let in_type = match o.get("type") {
                Some(Value::String(t)) => t == "null",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
                _ => false,
            };
            in_type
                || ["anyOf", "oneOf"].iter().any(|k| {
                    o.get(*k)
                        .and_then(Value::as_array)
                        .is_some_and(|alts| alts.iter().any(is_nullable))
                })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
