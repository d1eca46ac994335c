//! Decoding what LinkedIn really sends. Two checks over every stream's decoder:
//!
//! - `recorded_responses_decode_losslessly` replays the response bodies in `tests/recorded/`
//!   (real LinkedIn responses found in public sources; provenance in each `.provenance.json`)
//!   and asserts every element decodes into a record that validates against the stream's
//!   schema and keeps every value it was sent, under its mapped name.
//! - property tests add unknown fields (`$`-prefixed and camelCase keys, float edge cases,
//!   nested objects) at every depth of a valid element and assert the same.
//!
//! "Kept under its mapped name": a key `k` of the element is found in the record as the
//! stream's rename of `k` (e.g. `organizationalEntity` → `organization`), as
//! `column_name(k)`, or, for fields the connector does not know, in that level's
//! `additional_fields` (as `column_name(k)`, or `k` itself after a collision) with the value
//! exactly as sent. Epoch-millisecond timestamps may come out as RFC 3339 text of the same
//! instant; every other leaf must be equal (floats to the bit).

// The corpus summary goes to the test's stderr, which is where test output belongs.
#![allow(clippy::disallowed_macros)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate};
use proptest::prelude::*;
use serde_json::{json, Value};
use source_linkedin_pages::config::Granularity;
use source_linkedin_pages::streams::records::{column_name, RecordCtx, EXTRA_COLUMN};
use source_linkedin_pages::streams::{find, StreamDef};

/// The stream-specific renames of top-level element keys (the rest follow `column_name`).
fn renamed(stream: &str, key: &str) -> Option<&'static str> {
    Some(match (stream, key) {
        (_, "organizationalEntity") => "organization",
        ("post_comments", "commentUrn") => "comment_urn",
        ("post_statistics", "share" | "ugcPost") => "post",
        ("video_statistics", "entity") => "post",
        ("video_statistics", "type") => "metric",
        _ => return None,
    })
}

/// Whether `output` is `input` carried through: equal, or the same instant as text.
fn same_leaf(input: &Value, output: &Value) -> bool {
    if input == output {
        return true;
    }
    match (input.as_i64(), output.as_str()) {
        (Some(ms), Some(text)) => {
            DateTime::parse_from_rfc3339(text).is_ok_and(|t| t.timestamp_millis() == ms)
        }
        _ => false,
    }
}

/// Every leaf of `input` found in `output` (see the module comment); the first one missing.
fn kept(stream: &str, top: bool, input: &Value, output: &Value, at: &str) -> Result<(), String> {
    match input {
        Value::Object(fields) => {
            let Some(out) = output.as_object() else {
                return Err(format!("{at}: object became {output}"));
            };
            for (k, v) in fields {
                let here = format!("{at}.{k}");
                let mut names: Vec<String> = Vec::new();
                if top {
                    names.extend(renamed(stream, k).map(str::to_string));
                }
                names.push(column_name(k));
                names.push(k.clone());
                let typed = names
                    .iter()
                    .filter_map(|n| out.get(n))
                    .any(|o| kept(stream, false, v, o, &here).is_ok());
                let extra = out
                    .get(EXTRA_COLUMN)
                    .and_then(Value::as_object)
                    .is_some_and(|e| {
                        [column_name(k), k.clone()]
                            .iter()
                            .any(|n| e.get(n) == Some(v))
                    });
                if !typed && !extra {
                    return Err(format!("{here} = {v} is not in the record"));
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            let Some(out) = output.as_array().filter(|o| o.len() == items.len()) else {
                return Err(format!("{at}: array became {output}"));
            };
            items
                .iter()
                .zip(out)
                .enumerate()
                .try_for_each(|(i, (a, b))| kept(stream, false, a, b, &format!("{at}[{i}]")))
        }
        leaf if same_leaf(leaf, output) => Ok(()),
        leaf => Err(format!("{at}: {leaf} became {output}")),
    }
}

/// Decodes one element as `def` does and checks it against the stream's schema and the
/// element; the record, or what is wrong.
fn replay(def: &StreamDef, ctx: &RecordCtx, element: &Value) -> Result<Value, String> {
    let mut out = Vec::new();
    (def.decode)(ctx, &element.to_string(), &mut out).map_err(|e| format!("decode: {e}"))?;
    let record: Value = serde_json::from_slice(&out).map_err(|e| e.to_string())?;
    let schema = (def.schema)();
    let validator = jsonschema::draft7::new(&schema).map_err(|e| e.to_string())?;
    let errors: Vec<String> = validator
        .iter_errors(&record)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "record does not match its schema: {errors:?}\n{record}"
        ));
    }
    kept(def.name, true, element, &record, "element")?;
    Ok(record)
}

fn ctx<'a>(
    organization: &'a str,
    post: Option<&'a str>,
    variant: Option<&'a str>,
) -> RecordCtx<'a> {
    RecordCtx {
        organization,
        granularity: Granularity::DAY,
        snapshot_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
        post,
        variant,
    }
}

fn recorded_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recorded")
}

#[test]
fn recorded_responses_decode_losslessly() {
    let mut streams = std::collections::BTreeSet::new();
    let mut files = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(recorded_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".provenance.json"))
        .collect();
    entries.sort();
    for side_path in entries {
        let side: Value =
            serde_json::from_str(&std::fs::read_to_string(&side_path).unwrap()).unwrap();
        for key in ["repository", "path", "commit", "scrubbed", "found"] {
            assert!(side[key].is_string(), "{}: no {key}", side_path.display());
        }
        let body_path = side_path
            .to_string_lossy()
            .replace(".provenance.json", ".json");
        let body: Value =
            serde_json::from_str(&std::fs::read_to_string(&body_path).unwrap()).unwrap();
        let stream = side["stream"].as_str().unwrap();
        let def = find(stream).unwrap_or_else(|| panic!("{body_path}: no stream {stream}"));
        let elements: Vec<&Value> = match side["elements_at"].as_str().unwrap() {
            "." => vec![&body],
            "results" => body["results"].as_object().unwrap().values().collect(),
            key => body[key].as_array().unwrap().iter().collect(),
        };
        assert!(!elements.is_empty(), "{body_path}: no elements");
        let c = &side["context"];
        let cx = ctx(
            c["organization"].as_str().unwrap_or(""),
            c["post"].as_str(),
            c["variant"].as_str(),
        );
        for (i, element) in elements.iter().enumerate() {
            if let Err(e) = replay(def, &cx, element) {
                panic!("{body_path} element {i}: {e}");
            }
        }
        streams.insert(stream.to_string());
        files += 1;
    }
    eprintln!(
        "recorded: {files} responses over {} streams: {streams:?}",
        streams.len()
    );
    assert!(
        streams.len() >= 7,
        "recorded corpus covers only {streams:?}"
    );
}

/// One valid element per stream (shapes from LinkedIn's documentation), the base the
/// property tests add unknown fields to.
fn base_elements() -> Vec<(&'static str, Value)> {
    let stamp = json!({"actor": "urn:li:organization:5", "time": 1700000000000_i64});
    let range = json!({"start": 1700006400000_i64, "end": 1700092800000_i64});
    let share = json!({"impressionCount": 10, "uniqueImpressionsCount": 9, "clickCount": 1,
        "likeCount": 1, "commentCount": 0, "shareCount": 0, "engagement": 0.2,
        "shareMentionsCount": 0, "commentMentionsCount": 0});
    let views = json!({"views": {"allPageViews": {"pageViews": 3, "uniquePageViews": 2}},
        "clicks": {"careersPageClicks": {"careersPageJobsClicks": 1}}});
    let counts = json!({"organicFollowerCount": 4, "paidFollowerCount": 1});
    vec![
        (
            "organizations",
            json!({"id": 5, "localizedName": "Org", "name": {"localized": {"en_US": "Org"},
            "preferredLocale": {"country": "US", "language": "en"}}, "locations": [{"locationType": "HEADQUARTERS",
            "address": {"country": "US", "city": "X"}}], "foundedOn": {"year": 2000}}),
        ),
        ("follower_count", json!({"firstDegreeSize": 12})),
        (
            "follower_statistics",
            json!({"organizationalEntity": "urn:li:organization:5",
            "followerCountsBySeniority": [{"seniority": "urn:li:seniority:3", "followerCounts": counts}],
            "followerCountsByGeo": [{"geo": "urn:li:geo:1", "followerCounts": counts}]}),
        ),
        (
            "follower_statistics_daily",
            json!({"organizationalEntity": "urn:li:organization:5", "timeRange": range,
            "followerGains": {"organicFollowerGain": -1, "paidFollowerGain": 2}}),
        ),
        (
            "share_statistics",
            json!({"organizationalEntity": "urn:li:organization:5", "totalShareStatistics": share}),
        ),
        (
            "share_statistics_daily",
            json!({"organizationalEntity": "urn:li:organization:5", "timeRange": range,
            "totalShareStatistics": share}),
        ),
        (
            "page_statistics",
            json!({"organization": "urn:li:organization:5", "totalPageStatistics": views,
            "pageStatisticsByFunction": [{"function": "urn:li:function:1", "pageStatistics": views}]}),
        ),
        (
            "page_statistics_daily",
            json!({"organization": "urn:li:organization:5", "timeRange": range,
            "totalPageStatistics": views}),
        ),
        (
            "posts",
            json!({"id": "urn:li:share:1", "author": "urn:li:organization:5", "commentary": "hi",
            "distribution": {"feedDistribution": "MAIN_FEED"}, "content": {"media": {"id": "urn:li:image:1"}},
            "lifecycleStateInfo": {"isEditedByAuthor": false}, "createdAt": 1700000000000_i64,
            "lastModifiedAt": 1700000000001_i64}),
        ),
        (
            "post_statistics",
            json!({"organizationalEntity": "urn:li:organization:5", "share": "urn:li:share:1",
            "totalShareStatistics": share}),
        ),
        (
            "post_comments",
            json!({"commentUrn": "urn:li:comment:(urn:li:activity:1,2)", "id": "2",
            "object": "urn:li:activity:1", "actor": "urn:li:organization:5", "created": stamp,
            "lastModified": stamp, "message": {"text": "t", "attributes": []},
            "likesSummary": {"totalLikes": 1, "selectedLikes": []},
            "commentsSummary": {"aggregatedTotalComments": 0, "selectedComments": []}}),
        ),
        (
            "post_reactions",
            json!({"id": "urn:li:reaction:(urn:li:organization:5,urn:li:share:1)",
            "reactionType": "LIKE", "root": "urn:li:share:1", "created": stamp, "lastModified": stamp}),
        ),
        (
            "video_statistics",
            json!({"entity": "urn:li:ugcPost:1", "type": "VIEWER", "value": 7,
            "timeRange": range}),
        ),
        (
            "seniorities",
            json!({"id": 3, "$URN": "urn:li:seniority:3", "name": {"localized": {"en_US": "Senior"}}}),
        ),
        (
            "geo",
            json!({"id": 1, "defaultLocalizedName": {"locale": {"country": "US", "language": "en"},
            "value": "Somewhere"}}),
        ),
    ]
}

/// Float values that change when parsed or printed carelessly.
fn edge_float() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.09090909090909091),
        Just(0.1),
        Just(0.30000000000000004),
        Just(5e-324),
        Just(2.2250738585072014e-308),
        Just(1.7976931348623157e308),
        Just(-0.0),
        Just(9007199254740993.0),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
    ]
}

/// A value LinkedIn might add: any JSON, with edge floats, `$` keys and camelCase keys.
fn new_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        edge_float().prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(new_key(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A field name no LinkedIn element uses yet: camelCase, acronyms, or `$`-prefixed.
fn new_key() -> impl Strategy<Value = String> {
    "\\$?zz[a-z]{0,3}(V2|URN|[A-Z][a-z]{1,4}){0,2}"
}

/// Inserts `key: value` into the `n`-th object of `v` (pre-order, wrapping), skipping
/// data-keyed maps (`localized`: locale → text), where a new key is a new locale, not a
/// new field. Returns whether it inserted.
fn insert_nth(v: &mut Value, n: &mut usize, parent: &str, key: &str, value: &Value) -> bool {
    match v {
        Value::Object(o) => {
            if parent != "localized" {
                if *n == 0 {
                    o.insert(key.to_string(), value.clone());
                    return true;
                }
                *n -= 1;
            }
            o.iter_mut().any(|(k, c)| insert_nth(c, n, k, key, value))
        }
        Value::Array(items) => items
            .iter_mut()
            .any(|c| insert_nth(c, n, parent, key, value)),
        _ => false,
    }
}

fn count_objects(v: &Value, parent: &str) -> usize {
    match v {
        Value::Object(o) => {
            usize::from(parent != "localized")
                + o.iter().map(|(k, c)| count_objects(c, k)).sum::<usize>()
        }
        Value::Array(items) => items.iter().map(|c| count_objects(c, parent)).sum(),
        _ => 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Unknown fields at any depth, with any key and value, are kept exactly.
    #[test]
    fn unknown_fields_at_every_depth_are_kept(
        which in 0..15usize,
        additions in prop::collection::vec((any::<prop::sample::Index>(), new_key(), new_value()), 1..6),
    ) {
        let bases = base_elements();
        let (stream, mut element) = bases[which % bases.len()].clone();
        for (at, key, value) in &additions {
            let total = count_objects(&element, "");
            let mut n = at.index(total);
            prop_assert!(insert_nth(&mut element, &mut n, "", key, value));
        }
        let def = find(stream).unwrap();
        let cx = ctx("urn:li:organization:5", Some("urn:li:share:1"), Some("seniority"));
        if let Err(e) = replay(def, &cx, &element) {
            return Err(TestCaseError::fail(format!("{stream}: {e}\n{element}")));
        }
    }

    /// A known float field keeps every bit.
    #[test]
    fn known_floats_round_trip(x in edge_float()) {
        let element = json!({"organizationalEntity": "urn:li:organization:5",
            "totalShareStatistics": {"engagement": x}});
        let def = find("share_statistics").unwrap();
        let record = replay(def, &ctx("urn:li:organization:5", None, None), &element)
            .map_err(TestCaseError::fail)?;
        let got = record["total_share_statistics"]["engagement"].as_f64().unwrap();
        prop_assert_eq!(got.to_bits(), x.to_bits());
    }
}

#[test]
fn every_base_element_decodes_losslessly() {
    let cx = ctx(
        "urn:li:organization:5",
        Some("urn:li:share:1"),
        Some("seniority"),
    );
    for (stream, element) in base_elements() {
        if let Err(e) = replay(find(stream).unwrap(), &cx, &element) {
            panic!("{stream}: {e}");
        }
    }
    let covered: std::collections::BTreeSet<&str> =
        base_elements().iter().map(|(s, _)| *s).collect();
    for s in source_linkedin_pages::streams::STREAMS {
        let kind = match s.name {
            "functions" | "industries" => "seniorities",
            other => other,
        };
        assert!(covered.contains(kind), "no base element for {}", s.name);
    }
}
