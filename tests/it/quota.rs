//! Syncs larger than a day's quota or a run's request budget: every run advances the
//! sync from its checkpoints, and the runs together deliver exactly what one unlimited
//! run does.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use linkedin_mock::Scenario;
use serde_json::{json, Value};

use crate::harness::*;
use crate::reliability::pk_set;

/// Large enough that the per-post streams dominate the sync, as they do for real pages.
fn sized() -> Scenario {
    Scenario {
        orgs: 2,
        posts_per_org: 150,
        comments_per_post: 4,
        reactions_per_post: 6,
        ..scenario()
    }
}

/// One clean, unlimited sync: its records (by primary key) and its requests.
fn clean_run(dir: &Path, cat: &Path, catalog: &Value) -> (BTreeSet<String>, u64) {
    let mock = start_mock(sized());
    let cfg = write_json(dir, "clean.json", &mock.config("mock-token"));
    let out = read_ok(&cfg, cat);
    (pk_set(&lines(&out), catalog), mock.stats_total())
}

struct Runs {
    /// The runs it took, the last one exiting 0 (`None`: never within `max_runs`).
    runs: Option<usize>,
    records: BTreeSet<String>,
}

/// Runs `read` again and again, each time with the last STATE of every stream seen so
/// far, until a run succeeds. `before_run` (given the run's number, from 1) prepares the
/// run and returns its environment; `check_stop` inspects each run that stopped early.
fn until_done(
    cfg: &Path,
    cat: &Path,
    catalog: &Value,
    dir: &Path,
    max_runs: usize,
    mut before_run: impl FnMut(usize) -> Vec<(String, String)>,
    check_stop: impl Fn(&[Value]),
) -> Runs {
    let mut all: Vec<Value> = Vec::new();
    let mut records = BTreeSet::new();
    for run_no in 1..=max_runs {
        let env = before_run(run_no);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut args = vec![
            "read".to_string(),
            "--config".into(),
            cfg.to_str().unwrap().into(),
            "--catalog".into(),
            cat.to_str().unwrap().into(),
        ];
        if run_no > 1 {
            let state = write_json(dir, &format!("state{run_no}.json"), &last_states(&all));
            args.extend(["--state".into(), state.to_str().unwrap().into()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args, &env);
        let msgs = lines(&out);
        let summary = of_type(&msgs, "LOG")
            .iter()
            .filter_map(|l| l["log"]["message"].as_str())
            .find(|m| m.starts_with("Read "))
            .unwrap_or("")
            .to_string();
        let incomplete: Vec<&str> = of_type(&msgs, "TRACE")
            .iter()
            .filter(|t| t["trace"]["stream_status"]["status"] == "INCOMPLETE")
            .filter_map(|t| t["trace"]["stream_status"]["stream_descriptor"]["name"].as_str())
            .collect();
        eprintln!(
            "  run {run_no}: exit {:?}; {summary}; incomplete: {incomplete:?}",
            out.status.code()
        );
        records.extend(pk_set(&msgs, catalog));
        all.extend(msgs.iter().cloned());
        if out.status.success() {
            return Runs {
                runs: Some(run_no),
                records,
            };
        }
        check_stop(&msgs);
    }
    Runs {
        runs: None,
        records,
    }
}

fn connector_day(day: usize) -> String {
    let start: DateTime<Utc> = CONNECTOR_NOW.parse().unwrap();
    (start + Duration::days(day as i64)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A daily quota of a third and of a sixth of the sync: each quota day (both clocks a day
/// on, the last STATE fed back) continues the sync, which ends within ceil(N/Q) + 2 days
/// having delivered every record of an unlimited sync.
#[test]
fn a_sync_larger_than_the_daily_quota_finishes_within_ceil_n_over_q_plus_two_days() {
    let dir = tmp_dir();
    let catalog = catalog_all(true);
    let cat = write_json(&dir, "catalog.json", &catalog);
    let (want, n) = clean_run(&dir, &cat, &catalog);
    for divisor in [3, 6] {
        let q = n.div_ceil(divisor);
        let mock = start_mock(Scenario {
            quota: Some(q),
            ..sized()
        });
        let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
        let limit = n.div_ceil(q) as usize + 2;
        let got = until_done(
            &cfg,
            &cat,
            &catalog,
            &dir,
            limit,
            |day| {
                if day > 1 {
                    mock.control("POST", "clock", &json!({"advance_days": 1}));
                }
                vec![(
                    "SOURCE_LINKEDIN_PAGES_NOW".to_string(),
                    connector_day(day - 1),
                )]
            },
            |msgs| {
                assert!(
                    of_type(msgs, "TRACE")
                        .iter()
                        .any(|t| t["trace"]["type"] == "ERROR"
                            && t["trace"]["error"]["failure_type"] == "transient_error"),
                    "a stopped run must report a transient error"
                );
            },
        );
        let requests = mock.stats_total();
        let lost: Vec<&String> = want.difference(&got.records).collect();
        eprintln!(
            "quota N/{divisor}: N = {n} requests, Q = {q}/day: {:?} quota days (limit {limit}), {requests} requests, {} records lost",
            got.runs,
            lost.len()
        );
        assert!(
            got.runs.is_some(),
            "quota {q} (N/{divisor}): not finished within {limit} quota days"
        );
        assert!(
            lost.is_empty(),
            "quota {q}: {} records lost, e.g. {:?}",
            lost.len(),
            lost.first()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `max_requests_per_run`: each run stops at a checkpoint before sending more than the
/// budget, says so in a transient error naming the setting, and leaves the unfinished
/// streams INCOMPLETE; the next run continues, and the runs together deliver exactly the
/// record set of one unbudgeted run.
#[test]
fn a_request_budget_stops_cleanly_and_the_runs_resume_to_the_same_records() {
    let dir = tmp_dir();
    let catalog = catalog_all(true);
    let cat = write_json(&dir, "catalog.json", &catalog);
    let (want, n) = clean_run(&dir, &cat, &catalog);
    let budget = n.div_ceil(4);
    let mock = start_mock(sized());
    let mut cfg = mock.config("mock-token");
    cfg["max_requests_per_run"] = json!(budget);
    let cfg = write_json(&dir, "budget.json", &cfg);
    let limit = n.div_ceil(budget) as usize + 2;
    let sent_before = std::cell::Cell::new(0u64);
    let got = until_done(
        &cfg,
        &cat,
        &catalog,
        &dir,
        limit,
        |_| {
            let total = mock.stats_total();
            assert!(
                total - sent_before.get() <= budget,
                "a run sent {} requests with a budget of {budget}",
                total - sent_before.get()
            );
            sent_before.set(total);
            Vec::new()
        },
        |msgs| {
            let errors: Vec<&Value> = of_type(msgs, "TRACE")
                .into_iter()
                .filter(|t| t["trace"]["type"] == "ERROR")
                .collect();
            assert!(
                errors
                    .iter()
                    .any(|e| e["trace"]["error"]["failure_type"] == "transient_error"
                        && e["trace"]["error"]["message"]
                            .as_str()
                            .unwrap()
                            .contains("max_requests_per_run")),
                "{errors:?}"
            );
            assert!(of_type(msgs, "TRACE")
                .iter()
                .any(|t| t["trace"]["stream_status"]["status"] == "INCOMPLETE"));
        },
    );
    eprintln!(
        "budget N/4: N = {n}, budget {budget}: {:?} runs (limit {limit})",
        got.runs
    );
    assert!(got.runs.is_some(), "not finished within {limit} runs");
    assert!(mock.stats_total() - sent_before.get() <= budget);
    assert_eq!(got.records, want);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One 404 on a post's comments (or reactions) skips that post, but it keeps its old count
/// (here none), so the next incremental sync reads it again: nothing is lost.
#[test]
fn a_post_skipped_on_a_404_is_read_again_next_sync() {
    let small = Scenario {
        orgs: 1,
        posts_per_org: 8,
        comments_per_post: 3,
        reactions_per_post: 3,
        ..scenario()
    };
    let dir = tmp_dir();
    let catalog = catalog_all(true);
    let cat = write_json(&dir, "catalog.json", &catalog);
    let clean_mock = start_mock(small.clone());
    let clean_cfg = write_json(&dir, "clean.json", &clean_mock.config("mock-token"));
    let want = pk_set(&lines(&read_ok(&clean_cfg, &cat)), &catalog);
    for (stream, path) in [
        ("post_comments", "/comments"),
        ("post_reactions", "/rest/reactions/"),
    ] {
        let mock = start_mock(small.clone());
        let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
        let not_found = json!({"status": 404, "serviceErrorCode": 0, "message": "Not Found"});
        mock.control(
            "POST",
            "faults",
            &json!({"fault": "body", "status": 404, "body": not_found, "count": 1, "path": path}),
        );
        let first = lines(&read_ok(&cfg, &cat));
        let first_set = pk_set(&first, &catalog);
        let missed = want.difference(&first_set).count();
        assert!(missed > 0, "{stream}: the 404 skipped nothing");
        let state = write_json(&dir, "state.json", &last_states(&first));
        let second = run(
            &[
                "read",
                "--config",
                cfg.to_str().unwrap(),
                "--catalog",
                cat.to_str().unwrap(),
                "--state",
                state.to_str().unwrap(),
            ],
            &[],
        );
        assert!(second.status.success());
        let got: BTreeSet<String> = first_set
            .union(&pk_set(&lines(&second), &catalog))
            .cloned()
            .collect();
        let lost: Vec<&String> = want.difference(&got).collect();
        assert!(
            lost.is_empty(),
            "{stream}: {} records lost: {lost:?}",
            lost.len()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
