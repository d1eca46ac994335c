//! Issue 15: short pages and refused items. Reads against the mock with short pages or
//! a refused post produce exactly the clean run's records (minus the refused post's own).

use std::collections::BTreeMap;

use linkedin_mock::Scenario;
use serde_json::{json, Value};

use crate::harness::*;

/// Small, except that the post list and the busiest posts' comments and reactions take
/// more than one page of 100 (the connector's page size), so short pages are served.
fn paged() -> Scenario {
    Scenario {
        orgs: 1,
        posts_per_org: 104,
        comments_per_post: 102,
        reactions_per_post: 102,
        ..scenario()
    }
}

/// The full-refresh catalog of `streams` (every stream when empty).
fn catalog_of(streams: &[&str]) -> Value {
    if streams.is_empty() {
        catalog_all(false)
    } else {
        crate::harness::catalog_of(streams, false)
    }
}

/// A full-refresh read of `streams` (every stream when empty), sequential.
fn read_all(mock: &Mock, dir_name: &str, streams: &[&str]) -> std::process::Output {
    let dir = tmp_dir().join(dir_name);
    std::fs::create_dir_all(&dir).unwrap();
    let cat = write_json(&dir, "catalog.json", &catalog_of(streams));
    let mut cfg = mock.config("mock-token");
    cfg["max_concurrency"] = json!(1);
    let cfg = write_json(&dir, "config.json", &cfg);
    run(
        &[
            "read",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
        ],
        &[],
    )
}

/// Records per stream keyed by primary key, each with its whole content.
fn by_key(msgs: &[Value]) -> BTreeMap<String, BTreeMap<String, Value>> {
    let catalog = catalog_all(false);
    let mut m: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for (stream, rows) in records(msgs) {
        let keyed = m.entry(stream.clone()).or_default();
        for r in rows {
            let pk = pk_of(&stream, &r, &catalog);
            assert!(
                keyed.insert(pk.clone(), r).is_none(),
                "{stream}: primary key {pk} emitted twice"
            );
        }
    }
    m
}

/// The streams read through the pager (organizations come from organizationAcls, paged too).
const PAGED: &[&str] = &[
    "posts",
    "post_comments",
    "post_reactions",
    "functions",
    "industries",
];

#[test]
fn short_pages_yield_exactly_the_clean_records() {
    let clean_mock = start_mock(paged());
    let short_mock = start_mock(Scenario {
        short_pages: true,
        ..paged()
    });
    let (clean, short) = std::thread::scope(|s| {
        let clean = s.spawn(|| read_all(&clean_mock, "clean", PAGED));
        let short = read_all(&short_mock, "short", PAGED);
        (clean.join().unwrap(), short)
    });
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    assert!(
        short.status.success(),
        "{}",
        String::from_utf8_lossy(&short.stderr)
    );
    let (clean, short) = (by_key(&lines(&clean)), by_key(&lines(&short)));
    // The paged streams have more than one page here, so short pages were served.
    for stream in ["posts", "post_comments", "post_reactions"] {
        assert!(!clean[stream].is_empty(), "{stream} read nothing");
    }
    assert_eq!(
        clean.keys().collect::<Vec<_>>(),
        short.keys().collect::<Vec<_>>()
    );
    for (stream, rows) in &clean {
        assert_eq!(
            rows.keys().collect::<Vec<_>>(),
            short[stream].keys().collect::<Vec<_>>(),
            "{stream}: primary keys differ"
        );
        assert_eq!(rows, &short[stream], "{stream}: contents differ");
    }
}

/// The streams whose records belong to one post (their `post` field).
const PER_POST: &[&str] = &[
    "post_statistics",
    "post_comments",
    "post_reactions",
    "video_statistics",
];

fn warnings(msgs: &[Value]) -> Vec<String> {
    of_type(msgs, "LOG")
        .into_iter()
        .filter(|m| m["log"]["level"] == "WARN")
        .map(|m| m["log"]["message"].as_str().unwrap().to_string())
        .collect()
}

/// One post LinkedIn refuses (every request naming it answers 403, batches included):
/// the read keeps every other record and names the post in a warning.
fn refused_post_costs_only_its_own_records(pick: fn(&Value) -> bool, what: &str) {
    let mock = start_mock(Scenario {
        orgs: 2,
        posts_per_org: 12,
        comments_per_post: 5,
        reactions_per_post: 6,
        ..scenario()
    });
    let clean_out = read_all(&mock, "clean", &[]);
    assert!(
        clean_out.status.success(),
        "{}",
        String::from_utf8_lossy(&clean_out.stderr)
    );
    let clean = lines(&clean_out);
    let urn = records(&clean)["posts"]
        .iter()
        .find(|p| pick(p))
        .unwrap_or_else(|| panic!("no {what} post in the mock data"))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut expected = by_key(&clean);
    let mut own = 0;
    for stream in PER_POST {
        let rows = expected.get_mut(*stream).unwrap();
        let before = rows.len();
        rows.retain(|_, r| r["post"] != urn.as_str());
        own += before - rows.len();
    }
    assert!(own > 0, "the {what} post {urn} has no records of its own");
    mock.control(
        "POST",
        "faults",
        &json!({"fault": "forbid-entity", "entity": urn}),
    );
    let out = read_all(&mock, "refused", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let msgs = lines(&out);
    let got = by_key(&msgs);
    for (stream, rows) in &expected {
        assert_eq!(
            rows.keys().collect::<Vec<_>>(),
            got.get(stream)
                .map(|r| r.keys().collect::<Vec<_>>())
                .unwrap_or_default(),
            "{stream}: primary keys differ from the clean run minus post {urn}"
        );
        assert_eq!(Some(rows), got.get(stream), "{stream}: contents differ");
    }
    let warned = warnings(&msgs);
    for stream in ["post_statistics", "post_comments", "post_reactions"] {
        assert!(
            warned
                .iter()
                .any(|w| w.starts_with(stream) && w.contains(&urn)),
            "no warning of {stream} names {urn}: {warned:?}"
        );
    }
    // Nothing failed: every stream is COMPLETE.
    for t in of_type(&msgs, "TRACE") {
        assert_ne!(t["trace"]["type"], "ERROR", "{t}");
        assert_ne!(t["trace"]["stream_status"]["status"], "INCOMPLETE", "{t}");
    }
}

#[test]
fn a_refused_video_post_costs_only_its_own_records() {
    refused_post_costs_only_its_own_records(
        |p| p["content_type"] == "video" && p["id"].as_str().unwrap().contains(":ugcPost:"),
        "video",
    );
}

#[test]
fn a_refused_share_costs_only_its_own_records() {
    refused_post_costs_only_its_own_records(
        |p| p["id"].as_str().unwrap().contains(":share:"),
        "share",
    );
}

/// Issue 18 item 2: one undecodable element is skipped with a warning naming the stream,
/// the element and the field; the others are kept and the stream completes.
fn one_bad_element(stream: &str, path: &str, body: Value, bad_id: &str, field: &str) -> Vec<Value> {
    let mock = start_mock(Scenario {
        orgs: 1,
        ..scenario()
    });
    mock.control(
        "POST",
        "faults",
        &json!({"fault": "body", "path": path, "status": 200, "body": body, "count": 1000}),
    );
    let out = read_all(&mock, stream, &[stream]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let msgs = lines(&out);
    let warned = warnings(&msgs);
    assert!(
        warned
            .iter()
            .any(|w| w.starts_with(stream) && w.contains(bad_id) && w.contains(field)),
        "no warning names {stream}, {bad_id} and {field}: {warned:?}"
    );
    let infos: Vec<&str> = of_type(&msgs, "LOG")
        .into_iter()
        .filter_map(|m| m["log"]["message"].as_str())
        .collect();
    assert!(
        infos
            .iter()
            .any(|l| l.starts_with(&format!("Stream {stream}: "))
                && l.contains("complete, 1 undecodable element(s) skipped")),
        "final line lacks the count: {infos:?}"
    );
    let traces = of_type(&msgs, "TRACE");
    assert!(
        traces.iter().any(|t| t["trace"]["type"] == "ANALYTICS"
            && t["trace"]["analytics"]["value"] == format!("{stream}:1")),
        "no ANALYTICS trace counts the skipped element"
    );
    for t in traces {
        assert_ne!(t["trace"]["type"], "ERROR", "{t}");
        assert_ne!(t["trace"]["stream_status"]["status"], "INCOMPLETE", "{t}");
    }
    records(&msgs).remove(stream).unwrap_or_default()
}

#[test]
fn an_undecodable_post_is_skipped_and_the_others_kept() {
    let body = json!({"paging": {"start": 0, "count": 100, "total": 3}, "elements": [
        {"id": "urn:li:share:1", "author": "urn:li:organization:1000", "lastModifiedAt": 1795000000000_i64},
        {"id": "urn:li:share:2", "author": "urn:li:organization:1000", "lastModifiedAt": "yesterday"},
        {"id": "urn:li:share:3", "author": "urn:li:organization:1000", "lastModifiedAt": 1795000000001_i64},
    ]});
    let rows = one_bad_element(
        "posts",
        "/rest/posts",
        body,
        "urn:li:share:2",
        "lastModifiedAt",
    );
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["urn:li:share:1", "urn:li:share:3"]);
}

#[test]
fn an_undecodable_statistics_element_is_skipped_and_the_others_kept() {
    let day = 86_400_000_i64;
    let start = 1_794_700_800_000_i64;
    let body = json!({"elements": [
        {"organizationalEntity": "urn:li:organization:1000", "timeRange": {"start": start, "end": start + day},
         "followerGains": {"organicFollowerGain": 3, "paidFollowerGain": 1}},
        {"organizationalEntity": "urn:li:organization:1000", "timeRange": {"start": start + day, "end": start + 2 * day},
         "followerGains": {"organicFollowerGain": "many", "paidFollowerGain": 0}},
    ]});
    let rows = one_bad_element(
        "follower_statistics_daily",
        "organizationalEntityFollowerStatistics",
        body,
        "urn:li:organization:1000",
        "organicFollowerGain",
    );
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["follower_gains"]["organic_follower_gain"] == 3),
        "{rows:?}"
    );
}

/// A showcase page's page statistics come from brandPageStatistics (q=brand): the mock
/// answers the same numbers for the brand as for its organization, keyed by the brand.
#[test]
fn showcase_pages_read_brand_page_statistics() {
    let mock = start_mock(Scenario {
        orgs: 1,
        ..scenario()
    });
    let org = "urn:li:organization:2414183";
    let brand = "urn:li:organizationBrand:2414183";
    let streams = &["page_statistics", "page_statistics_daily"];
    let read_for = |page: &str| {
        let dir = tmp_dir();
        let cat = write_json(&dir, "catalog.json", &catalog_of(streams));
        let mut cfg = mock.config("mock-token");
        cfg["organization_ids"] = json!([page]);
        let cfg = write_json(&dir, "config.json", &cfg);
        mock.control("DELETE", "stats", &json!({}));
        let out = read_ok(&cfg, &cat);
        let stats = mock.control("GET", "stats", &json!({}));
        (records(&lines(&out)), stats["endpoints"].clone())
    };
    let (as_org, _) = read_for(org);
    let (as_brand, endpoints) = read_for(brand);
    let hit = |name: &str| {
        endpoints
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.contains(name))
    };
    assert!(hit("brandPageStatistics"), "{endpoints}");
    assert!(!hit("organizationPageStatistics"), "{endpoints}");
    for s in streams {
        let (o, b) = (&as_org[*s], &as_brand[*s]);
        assert!(!b.is_empty(), "{s}: nothing read for the showcase page");
        assert_eq!(o.len(), b.len(), "{s}");
        for (o, b) in o.iter().zip(b) {
            assert_eq!(b["organization"], brand, "{s}: {b}");
            assert_eq!(
                o["total_page_statistics"], b["total_page_statistics"],
                "{s}"
            );
        }
    }
}

/// Comment replies are opt-in: with `include_comment_replies` the replies of every comment
/// that counts some are read into post_comments, each naming its parent; without, none.
#[test]
fn comment_replies_are_read_when_asked_for() {
    let mock = start_mock(Scenario {
        orgs: 1,
        posts_per_org: 6,
        comments_per_post: 4,
        replies_per_comment: 2,
        ..scenario()
    });
    let read_with = |replies: bool| {
        let dir = tmp_dir();
        let cat = write_json(&dir, "catalog.json", &catalog_of(&["post_comments"]));
        let mut cfg = mock.config("mock-token");
        cfg["include_comment_replies"] = json!(replies);
        let cfg = write_json(&dir, "config.json", &cfg);
        records(&lines(&read_ok(&cfg, &cat)))
            .remove("post_comments")
            .unwrap_or_default()
    };
    let plain = read_with(false);
    let with = read_with(true);
    assert!(plain.iter().all(|c| c["parent_comment"].is_null()));
    let top: Vec<&Value> = with
        .iter()
        .filter(|c| c["parent_comment"].is_null())
        .collect();
    assert_eq!(top.len(), plain.len(), "top-level comments differ");
    let expected: i64 = plain
        .iter()
        .map(|c| {
            c["comments_summary"]["total_first_level_comments"]
                .as_i64()
                .unwrap()
        })
        .sum();
    assert!(expected > 0, "the mock gave no comment replies");
    let replies: Vec<&Value> = with
        .iter()
        .filter(|c| !c["parent_comment"].is_null())
        .collect();
    assert_eq!(replies.len() as i64, expected);
    for r in &replies {
        let parent = plain
            .iter()
            .find(|c| c["comment_urn"] == r["parent_comment"])
            .unwrap_or_else(|| panic!("reply to an unknown comment: {r}"));
        assert_eq!(parent["post"], r["post"], "{r}");
        assert_ne!(r["comment_urn"], parent["comment_urn"]);
    }
}
