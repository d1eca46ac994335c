//! Unit tests of the state: round trips through both protocols' forms, every accepted
//! input form, corrupt states named, the packed per-post counts and resume points.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::packed::{pack, unpack};
use super::*;
use crate::config::Granularity;
use crate::error::Result;

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
