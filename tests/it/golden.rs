//! The golden runs: a frozen read per protocol, compared byte for byte.

use linkedin_mock::Scenario;
use serde_json::json;

use crate::harness::*;

/// Golden runs per protocol: a small dataset, a frozen clock, a sequential read. Any change
/// to what users receive shows up as a diff of these files (UPDATE_SNAPSHOTS=1 rewrites them).
#[test]
fn golden_runs_per_protocol() {
    let mock = start_mock(Scenario {
        orgs: 1,
        posts_per_org: 4,
        days: 5,
        comments_per_post: 2,
        reactions_per_post: 2,
        ..scenario()
    });
    let dir = tmp_dir();
    let mut cfg = mock.config("mock-token");
    cfg["max_concurrency"] = json!(1);
    let cfg = write_json(&dir, "config.json", &cfg);
    let airbyte = run(
        &[
            "read",
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            repo("catalog/all_streams.json").to_str().unwrap(),
        ],
        &[],
    );
    assert!(airbyte.status.success());
    let singer_catalog = run(&["--config", cfg.to_str().unwrap(), "--discover"], &[]);
    let cat = dir.join("singer_catalog.json");
    std::fs::write(&cat, &singer_catalog.stdout).unwrap();
    let singer = run(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--catalog",
            cat.to_str().unwrap(),
        ],
        &[],
    );
    assert!(singer.status.success());
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok();
    for (name, out) in [
        ("airbyte_read.jsonl", &airbyte.stdout),
        ("singer_read.jsonl", &singer.stdout),
    ] {
        let path = repo(&format!("tests/golden/{name}"));
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, out).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        let got = String::from_utf8_lossy(out);
        if want != got {
            let diff = want
                .lines()
                .zip(got.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| {
                    format!(
                        "first difference at line {}:\n  golden: {a}\n  now:    {b}",
                        i + 1
                    )
                })
                .unwrap_or_else(|| {
                    format!(
                        "golden has {} lines, now {}",
                        want.lines().count(),
                        got.lines().count()
                    )
                });
            panic!("{name} changed (run `make spec` if intended): {diff}");
        }
    }
}
