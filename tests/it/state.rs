//! State end to end (issue 13): every sync ends with the state it needs, the state can be
//! handed back in every documented form, bookmarks come from LinkedIn's clock, and
//! duplicate organizations are read once.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use linkedin_mock::data::Dataset;
use linkedin_mock::Scenario;
use serde_json::{json, Value};

use crate::harness::*;

fn small() -> Scenario {
    Scenario {
        orgs: 2,
        posts_per_org: 6,
        days: 30,
        comments_per_post: 3,
        reactions_per_post: 3,
        ..scenario()
    }
}

fn read_with_state(
    cfg: &std::path::Path,
    cat: &std::path::Path,
    state: &std::path::Path,
) -> Vec<Value> {
    lines(&read_state_ok(cfg, cat, state))
}

fn singer_catalog(cfg: &std::path::Path, dir: &std::path::Path) -> std::path::PathBuf {
    let out = run(&["--config", cfg.to_str().unwrap(), "--discover"], &[]);
    assert!(out.status.success());
    let mut catalog: Value = serde_json::from_slice(&out.stdout).unwrap();
    for s in catalog["streams"].as_array_mut().unwrap() {
        s["metadata"][0]["metadata"]["selected"] = json!(true);
    }
    write_json(dir, "singer_catalog.json", &catalog)
}

/// Item 1: a Singer sync ends with one STATE carrying every bookmark (targets that keep
/// only the trailing state, like target-jsonl 0.1.4, then resume), and in Airbyte every
/// stream that ran, full refresh included, has a STATE after its last record.
#[test]
fn every_sync_ends_with_the_state_it_needs() {
    let mock = start_mock(small());
    let dir = tmp_dir();
    let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
    // Singer, every stream selected (full-refresh per-post streams run last).
    let cat = singer_catalog(&cfg, &dir);
    let out = run(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let msgs = lines(&out);
    let last = msgs.last().unwrap();
    assert_eq!(last["type"], "STATE", "the Singer sync ends with {last}");
    // Every incremental stream and organization that emitted records has its bookmark.
    let incremental: BTreeSet<&str> = [
        "posts",
        "post_comments",
        "post_reactions",
        "follower_statistics_daily",
        "share_statistics_daily",
        "page_statistics_daily",
    ]
    .into();
    let mut read = BTreeSet::new();
    for m in of_type(&msgs, "RECORD") {
        let s = m["stream"].as_str().unwrap();
        if incremental.contains(s) {
            read.insert((
                s.to_string(),
                m["record"]["organization"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ));
        }
    }
    assert!(read.len() >= 8, "too little read to test: {read:?}");
    let mut kept = BTreeSet::new();
    for (stream, b) in last["value"]["bookmarks"].as_object().unwrap() {
        for p in b["partitions"].as_array().unwrap() {
            if p["replication_key_value"].is_string() {
                kept.insert((
                    stream.clone(),
                    p["context"]["organization"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    assert!(
        read.is_subset(&kept),
        "bookmarks missing from the last STATE: {:?}",
        read.difference(&kept).collect::<Vec<_>>()
    );
    // Handing that last STATE back (as target-jsonl does) reads nothing incremental again.
    let st = write_json(&dir, "singer_state.json", &last["value"]);
    let again = run(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
            "--state",
            st.to_str().unwrap(),
        ],
        &[],
    );
    assert!(again.status.success());
    let again = lines(&again);
    let repeated: Vec<&Value> = of_type(&again, "RECORD")
        .into_iter()
        .filter(|m| {
            ["posts", "post_comments", "post_reactions"].contains(&m["stream"].as_str().unwrap())
        })
        .collect();
    assert!(
        repeated.is_empty(),
        "re-read after the trailing state: {}",
        repeated.len()
    );

    // Airbyte: per stream, the last STATE comes after the last RECORD.
    let cat = write_json(&dir, "catalog.json", &catalog_all(true));
    let msgs = lines(&read_ok(&cfg, &cat));
    let mut last_record = std::collections::BTreeMap::new();
    let mut last_state = std::collections::BTreeMap::new();
    for (i, m) in msgs.iter().enumerate() {
        match m["type"].as_str().unwrap() {
            "RECORD" => {
                last_record.insert(m["record"]["stream"].as_str().unwrap().to_string(), i);
            }
            "STATE" => {
                last_state.insert(
                    m["state"]["stream"]["stream_descriptor"]["name"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    i,
                );
            }
            _ => {}
        }
    }
    assert!(last_record.len() >= 15, "{last_record:?}");
    for (stream, r) in &last_record {
        let s = last_state
            .get(stream)
            .unwrap_or_else(|| panic!("{stream} has no STATE"));
        assert!(s > r, "{stream}: a RECORD after its last STATE");
    }
}

/// Item 6: what docs/running.md says works as `--state` does: one STATE line copied from
/// stdout, several, and what Meltano hands back.
#[test]
fn a_state_copied_from_stdout_or_meltano_resumes() {
    let mock = start_mock(small());
    let dir = tmp_dir();
    let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
    let cat = write_json(&dir, "catalog.json", &catalog_of(&["posts"], true));
    let first = read_ok(&cfg, &cat);
    let text = String::from_utf8_lossy(&first.stdout).to_string();
    let records = of_type(&lines(&first), "RECORD").len();
    assert!(records > 5);
    let state_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("\"type\":\"STATE\""))
        .collect();
    let forms = [
        ("one STATE line", state_lines.last().unwrap().to_string()),
        ("all STATE lines", state_lines.join("\n")),
        ("the whole stdout", text.clone()),
    ];
    for (what, form) in forms {
        let p = dir.join("state.json");
        std::fs::write(&p, form).unwrap();
        let again = read_with_state(&cfg, &cat, &p);
        assert_eq!(
            of_type(&again, "RECORD").len(),
            0,
            "{what}: read everything again"
        );
    }
    // Meltano: `meltano state get` output and its stored completed/partial form.
    let singer_cat = singer_catalog(&cfg, &dir);
    let singer = run(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            singer_cat.to_str().unwrap(),
        ],
        &[],
    );
    let last = lines(&singer).last().unwrap()["value"].clone();
    for form in [
        json!({"singer_state": last}),
        json!({"completed": {"singer_state": last}, "partial": {}}),
    ] {
        let p = write_json(&dir, "meltano_state.json", &form);
        let again = run(
            &[
                "--config",
                cfg.to_str().unwrap(),
                "--catalog",
                singer_cat.to_str().unwrap(),
                "--state",
                p.to_str().unwrap(),
            ],
            &[],
        );
        assert!(again.status.success());
        let posts = of_type(&lines(&again), "RECORD")
            .into_iter()
            .filter(|m| m["stream"] == "posts")
            .count();
        assert_eq!(posts, 0, "{form}: posts read again");
    }
    // Something that is no state is a config error, never a fresh start.
    let p = write_json(&dir, "bogus.json", &json!({"foo": {"bar": 1}}));
    let out = run(
        &[
            "read",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
            "--state",
            p.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    let trace = of_type(&lines(&out), "TRACE")
        .into_iter()
        .find(|t| t["trace"]["type"] == "ERROR")
        .cloned()
        .unwrap();
    assert_eq!(trace["trace"]["error"]["failure_type"], "config_error");
    assert!(of_type(&lines(&out), "RECORD").is_empty());
}

/// Item 7: one page written three ways is read once.
#[test]
fn duplicate_organization_ids_are_read_once() {
    let mock = start_mock(small());
    let dir = tmp_dir();
    let mut cfg = mock.config("mock-token");
    cfg["organization_ids"] = json!(["2414183", 2414183, "urn:li:organization:2414183"]);
    let cfg = write_json(&dir, "config.json", &cfg);
    let cat = write_json(
        &dir,
        "catalog.json",
        &catalog_of(&["organizations", "posts"], true),
    );
    let msgs = lines(&read_ok(&cfg, &cat));
    let recs = records(&msgs);
    assert_eq!(recs["organizations"].len(), 1);
    let urns: Vec<&str> = recs["posts"]
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let unique: BTreeSet<&&str> = urns.iter().collect();
    assert_eq!(urns.len(), unique.len(), "posts read more than once");
}

/// Item 5: the same instant written with an offset or without milliseconds reads the
/// same records.
#[test]
fn a_cursor_in_any_form_reads_the_same_records() {
    let mock = start_mock(small());
    let dir = tmp_dir();
    let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
    let cat = write_json(&dir, "catalog.json", &catalog_of(&["posts"], true));
    let all = records(&lines(&read_ok(&cfg, &cat)))
        .remove("posts")
        .unwrap();
    // A bookmark halfway through the posts, on a whole second.
    let mut times: Vec<String> = all
        .iter()
        .map(|p| p["last_modified_at"].as_str().unwrap().to_string())
        .collect();
    times.sort();
    let mid = chrono::DateTime::parse_from_rfc3339(&times[times.len() / 2])
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mid = mid - chrono::Duration::milliseconds(i64::from(mid.timestamp_subsec_millis()));
    let forms = [
        mid.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        mid.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        mid.with_timezone(&chrono::FixedOffset::west_opt(5 * 3600).unwrap())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
    ];
    assert!(forms[2].ends_with("-05:00"), "{}", forms[2]);
    let mut seen = Vec::new();
    for f in &forms {
        let states: Vec<Value> = ["urn:li:organization:2414183", "urn:li:organization:2415192"]
            .iter()
            .map(|o| json!({"partition": {"organization": o}, "cursor": {"last_modified_at": f}}))
            .collect();
        let st = write_json(
            &dir,
            "state.json",
            &json!([{"type": "STREAM", "stream": {"stream_descriptor": {"name": "posts"}, "stream_state": {"states": states}}}]),
        );
        let got = records(&read_with_state(&cfg, &cat, &st))
            .remove("posts")
            .unwrap_or_default();
        assert!(
            !got.is_empty() && got.len() < all.len(),
            "{f}: {} of {}",
            got.len(),
            all.len()
        );
        seen.push(got);
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], seen[2]);
}

/// Item 9: organizationAcls goes through the guarded pager: a server answering every
/// offset with the same page stops the read with an error instead of paging forever.
#[test]
fn organization_discovery_pages_through_the_guarded_pager() {
    let mock = start_mock(small());
    let page = json!({"elements": [{"organization": "urn:li:organization:2414183", "role": "ADMINISTRATOR", "state": "APPROVED", "roleAssignee": "urn:li:person:mockAdmin1"}], "paging": {"start": 0, "count": 100}});
    mock.control("POST", "faults", &json!({"fault": "body", "status": 200, "body": page.to_string(), "path": "organizationAcls", "count": 1000}));
    let dir = tmp_dir();
    let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
    let cat = write_json(&dir, "catalog.json", &catalog_of(&["organizations"], false));
    let out = run(
        &[
            "read",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("same page again"), "{text}");
    let stats = mock.control("GET", "stats", &json!({}));
    let acls: u64 = stats["endpoints"]["organizationAcls"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(acls, 2, "organizationAcls requests: {acls}");
}

/// Item 4: bookmarks come from the data capped by LinkedIn's clock. The connector's clock
/// runs a month ahead of LinkedIn's; while its read is under way, LinkedIn's clock moves on
/// and comments appear on a post it has already read, older than comments it reads later
/// on another post. The next sync must still deliver them.
#[test]
fn comments_made_during_a_sync_are_not_lost_when_the_local_clock_runs_ahead() {
    let scenario = Scenario {
        orgs: 1,
        posts_per_org: 6,
        days: 30,
        comments_per_post: 4,
        reactions_per_post: 0,
        slow_ms: 2_000,
        ..scenario()
    };
    let t0 = MOCK_NOW_MS;
    let advance_days = 12;
    let t1 = t0 + advance_days * 86_400_000;
    let ds = Dataset {
        seed: scenario.seed,
        orgs: 1,
        posts_per_org: scenario.posts_per_org,
        days: scenario.days,
        comments_per_post: scenario.comments_per_post,
        reactions_per_post: 0,
        replies_per_comment: 0,
        history_start: t0 - i64::from(scenario.days) * 86_400_000,
        anchor: t0,
    };
    // The connector reads posts with comments in list order, one at a time.
    let order: Vec<_> = ds
        .posts(0, t0, false)
        .into_iter()
        .filter(|p| !ds.comments(p, t0).is_empty())
        .collect();
    assert!(order.len() >= 3, "{}", order.len());
    let last = order.last().unwrap();
    let newest_last = ds
        .comments(&ds.post(0, last.k, t1).unwrap(), t1)
        .iter()
        .map(|c| c.2)
        .max()
        .unwrap();
    // The test means something only if an earlier post gains a comment older than that.
    let hidden: Vec<u64> = order[..order.len() - 1]
        .iter()
        .flat_map(|p| {
            let before: BTreeSet<u64> = ds.comments(p, t0).iter().map(|c| c.0).collect();
            ds.comments(&ds.post(0, p.k, t1).unwrap(), t1)
                .into_iter()
                .filter(move |c| !before.contains(&c.0) && c.2 < newest_last)
                .map(|c| c.0)
        })
        .collect();
    assert!(
        !hidden.is_empty(),
        "the scenario hides no comment; change advance_days"
    );

    let mock = start_mock(scenario);
    // The last post's comments answer only after 2 s: the clock moves meanwhile.
    mock.control(
        "POST",
        "faults",
        &json!({"fault": "slow", "path": format!("{}/comments", last.num), "count": 1}),
    );
    let dir = tmp_dir();
    let mut cfg = mock.config("mock-token");
    cfg["max_concurrency"] = json!(1);
    let cfg = write_json(&dir, "config.json", &cfg);
    let cat = write_json(&dir, "catalog.json", &catalog_of(&["post_comments"], true));
    let ahead = chrono::DateTime::from_timestamp_millis(t1 + 30 * 86_400_000)
        .unwrap()
        .to_rfc3339();
    let child = Command::new(BIN)
        .args(read_args(&cfg, &cat, None))
        .env("SOURCE_LINKEDIN_PAGES_NOW", &ahead)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once every other post's comments are served, move LinkedIn's clock on.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let stats = mock.control("GET", "stats", &json!({}));
        let served = stats["endpoints"]["socialActions/comments"]["200"]
            .as_u64()
            .unwrap_or(0);
        if served as usize >= order.len() - 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the read stalled: {stats}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    mock.control("POST", "clock", &json!({"advance_days": advance_days}));
    let first = child.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let first = lines(&first);
    let st = write_json(&dir, "state.json", &last_states(&first));
    let second = Command::new(BIN)
        .args([
            "read",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
            "--state",
            st.to_str().unwrap(),
        ])
        .env("SOURCE_LINKEDIN_PAGES_NOW", &ahead)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let delivered: BTreeSet<String> = first
        .iter()
        .chain(lines(&second).iter())
        .filter(|m| m["type"] == "RECORD")
        .map(|m| {
            m["record"]["data"]["comment_urn"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for id in hidden {
        assert!(
            delivered.iter().any(|u| u.contains(&format!(",{id})"))),
            "comment {id} was never delivered"
        );
    }
}
