//! `plan` against the read that follows it: on the benchmark's mock datasets (tests/bench
//! bench.py: 5 comments and 10 reactions per post, a year of history), the plan's total is
//! within 5 % of the requests the read then makes, as the mock counts them; also for an
//! incremental read from the state of a previous one. The plan's own requests are counted
//! by the mock too and must be what the plan says.

use std::collections::BTreeMap;
use std::path::Path;

use linkedin_mock::Scenario;
use serde_json::{json, Value};

use crate::harness::*;

/// The mock's config with a generous timeout: a request that times out on a loaded
/// machine is retried, and the retry is one more request than either side planned.
fn config_of(mock: &Mock, token: &str) -> Value {
    let mut c = mock.config(token);
    c["request_timeout_secs"] = json!(120);
    c
}

/// A bench-shaped dataset (see `rust_run` in tests/bench/bench.py).
fn bench_scenario(orgs: u32, posts_per_org: u32) -> Scenario {
    Scenario {
        orgs,
        posts_per_org,
        days: 365,
        comments_per_post: 5,
        reactions_per_post: 10,
        ..scenario()
    }
}

fn plan_json(cfg: &Path, cat: &Path, state: Option<&Path>, extra: &[&str], now: &str) -> Value {
    let mut args = vec![
        "plan",
        "--config",
        cfg.to_str().unwrap(),
        "--catalog",
        cat.to_str().unwrap(),
        "--format",
        "json",
    ];
    if let Some(s) = state {
        args.extend(["--state", s.to_str().unwrap()]);
    }
    args.extend(extra);
    let out = run(&args, &[("SOURCE_LINKEDIN_PAGES_NOW", now)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn read_with(cfg: &Path, cat: &Path, state: Option<&Path>, now: &str) -> Vec<Value> {
    let out = run(
        &read_args(cfg, cat, state),
        &[("SOURCE_LINKEDIN_PAGES_NOW", now)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    lines(&out)
}

/// The mock's request counts per resource (`socialActions/comments` counts as
/// `socialActions`, the resource the connector names).
fn mock_by_resource(mock: &Mock) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let stats = mock.control("GET", "stats", &json!({}));
    for (endpoint, statuses) in stats["endpoints"].as_object().unwrap() {
        let n: u64 = statuses
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        let resource = endpoint.split('/').next().unwrap().to_string();
        *out.entry(resource).or_default() += n;
    }
    out
}

/// Runs `plan` then `read` on the mock; returns (plan total, requests of the read, the
/// read's messages). Asserts the mock saw exactly the plan's own requests.
fn plan_then_read(
    mock: &Mock,
    cfg: &Path,
    cat: &Path,
    state: Option<&Path>,
    now: &str,
) -> (u64, u64, Vec<Value>, Value) {
    mock.control("DELETE", "stats", &json!({}));
    let plan = plan_json(cfg, cat, state, &["--daily-quota", "1000"], now);
    let planned = mock.stats_total();
    assert_eq!(
        plan["plan_requests"].as_u64().unwrap(),
        planned,
        "the plan's own requests as it reports them and as the mock counted them"
    );
    let before = mock_by_resource(mock);
    let msgs = read_with(cfg, cat, state, now);
    let read = mock.stats_total() - planned;
    let mut by_resource = mock_by_resource(mock);
    for (r, n) in before {
        *by_resource.entry(r).or_default() -= n;
    }
    by_resource.retain(|_, n| *n > 0);
    let planned_by: BTreeMap<String, u64> =
        serde_json::from_value(plan["requests_by_resource"].clone()).unwrap();
    if plan["estimated"] == false {
        assert_eq!(planned_by, by_resource, "requests per resource");
    }
    // Per resource, an estimate is off by at most a page or 5 %.
    for r in planned_by.keys().chain(by_resource.keys()) {
        let (p, d) = (
            planned_by.get(r).copied().unwrap_or(0),
            by_resource.get(r).copied().unwrap_or(0),
        );
        assert!(p.abs_diff(d) <= (d / 20).max(1), "{r}: plan {p}, read {d}");
    }
    eprintln!("per resource: plan {planned_by:?}, read {by_resource:?}");
    let total = plan["total_requests"].as_u64().unwrap();
    eprintln!("plan {total} requests, read {read} (plan made {planned})");
    if total != read {
        eprintln!(
            "plan: {plan}\nmock (plan and read): {}",
            mock.control("GET", "stats", &json!({}))
        );
    }
    (total, read, msgs, plan)
}

fn assert_within_5_percent(what: &str, plan: u64, read: u64) {
    let off = (plan as f64 - read as f64).abs() / (read.max(1) as f64);
    assert!(
        off <= 0.05,
        "{what}: plan said {plan} requests, the read made {read} ({:.1} % off)",
        off * 100.0
    );
}

fn check_dataset(orgs: u32, posts_per_org: u32, explicit_orgs: bool) {
    let mock = start_mock(bench_scenario(orgs, posts_per_org));
    let dir = tmp_dir();
    let mut config = config_of(&mock, "mock-token");
    if explicit_orgs {
        let info = mock.control("GET", "info", &json!({}));
        config["organization_ids"] = json!(info["organizations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>());
    }
    config["max_concurrency"] = json!(8);
    let cfg = write_json(&dir, "config.json", &config);
    let cat = write_json(&dir, "catalog.json", &catalog_all(true));

    // First sync: nothing known but what the plan reads.
    let (plan, read, msgs, report) = plan_then_read(&mock, &cfg, &cat, None, CONNECTOR_NOW);
    assert_within_5_percent(&format!("{orgs} org(s), first sync"), plan, read);
    let streams = report["streams"].as_array().unwrap();
    assert_eq!(
        streams.len(),
        catalog_all(true)["streams"].as_array().unwrap().len()
    );
    let per_org = streams
        .iter()
        .find(|s| s["stream"] == "post_comments")
        .unwrap()["organizations"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(per_org, orgs as usize, "one line per organization");
    let sum: u64 = streams
        .iter()
        .map(|s| s["requests"].as_u64().unwrap())
        .sum::<u64>()
        + report["organization_discovery_requests"].as_u64().unwrap()
        + report["token_requests"].as_u64().unwrap();
    assert_eq!(sum, plan, "the total is the sum of its parts");
    assert_eq!(
        report["fits_daily_quota"],
        json!(plan <= 1000),
        "fits the --daily-quota given"
    );
    assert_eq!(report["quota_days"], json!(plan.div_ceil(1000)));

    // Three days later, from the first sync's state: new days, posts and activity.
    let state = write_json(&dir, "state.json", &last_states(&msgs));
    mock.control("POST", "clock", &json!({"advance_days": 3}));
    let later = "2026-11-23T10:00:00Z";
    let (plan, read, _, _) = plan_then_read(&mock, &cfg, &cat, Some(&state), later);
    assert_within_5_percent(&format!("{orgs} org(s), incremental"), plan, read);
    assert!(read < 2 * plan.max(1) && plan > 0);
}

#[test]
fn plan_matches_the_read_one_organization() {
    // The benchmark's 1-organization dataset: 200 posts.
    check_dataset(1, 200, true);
}

#[test]
fn plan_matches_the_read_ten_organizations_discovered() {
    // The quick benchmark's 10-organization dataset (50 posts each), organizations found
    // through organizationAcls as a read with empty organization_ids does.
    check_dataset(10, 50, false);
}

#[test]
fn plan_text_says_whether_it_fits_and_what_it_cost() {
    let mock = start_mock(bench_scenario(1, 20));
    let dir = tmp_dir();
    let cfg = write_json(&dir, "config.json", &config_of(&mock, "mock-token"));
    let cat = write_json(&dir, "catalog.json", &catalog_all(false));
    let out = run(
        &[
            "plan",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
            "--daily-quota",
            "10",
        ],
        &[],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("does NOT fit"), "{text}");
    assert!(text.contains("max_requests_per_run"), "{text}");
    assert!(
        text.contains(&format!("This plan made {} request(s)", mock.stats_total())),
        "{text}"
    );
    // A quota of 0 is refused by the command line.
    let bad = run(
        &[
            "plan",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
            "--daily-quota",
            "0",
        ],
        &[],
    );
    assert!(!bad.status.success());
}

#[test]
fn plan_finds_where_an_incremental_post_list_reaches_its_bookmark() {
    // The posts stream alone reads newest first only until its bookmark: the plan finds
    // that page by bisection, and the read makes exactly that many requests.
    let mock = start_mock(bench_scenario(1, 2000));
    let dir = tmp_dir();
    let cfg = write_json(&dir, "config.json", &config_of(&mock, "mock-token"));
    let mut cat = catalog_all(true);
    cat["streams"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["stream"]["name"] == "posts");
    let cat = write_json(&dir, "catalog.json", &cat);
    let msgs = read_with(&cfg, &cat, None, CONNECTOR_NOW);
    let state = write_json(&dir, "state.json", &last_states(&msgs));
    mock.control("POST", "clock", &json!({"advance_days": 30}));
    let (plan, read, _, report) =
        plan_then_read(&mock, &cfg, &cat, Some(&state), "2026-12-20T10:00:00Z");
    assert_eq!(plan, read);
    assert_eq!(report["estimated"], false);
    let pages = report["streams"][0]["requests"].as_u64().unwrap();
    assert!(pages > 1 && pages < 20, "{report}");
}

#[test]
fn plan_counts_the_token_an_oauth_read_mints() {
    let mock = start_mock(bench_scenario(2, 30));
    let dir = tmp_dir();
    let mut config = config_of(&mock, "x");
    config["credentials"] = json!({"auth_method": "oauth2.0", "client_id": "mock-client",
        "client_secret": "mock-secret", "refresh_token": "mock-refresh"});
    let cfg = write_json(&dir, "config.json", &config);
    let cat = write_json(&dir, "catalog.json", &catalog_all(false));
    let (plan, read, _, report) = plan_then_read(&mock, &cfg, &cat, None, CONNECTOR_NOW);
    assert_eq!(report["token_requests"], 1);
    assert_within_5_percent("OAuth, full refresh", plan, read);
}
