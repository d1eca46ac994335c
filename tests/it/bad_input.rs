//! Secrets and bad input: no secret in any output, the bad-input corpus, huge
//! responses, a closed stdout.

use std::io::Read;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::harness::*;

#[test]
fn secrets_never_appear_in_any_output() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let canary = "canary-9f8e7d6c5b4a";
    let mut cfgs = vec![mock.config(canary)];
    let mut oauth = mock.config("x");
    oauth["credentials"] = json!({"auth_method": "oauth2.0", "client_id": "mock-client", "client_secret": canary, "refresh_token": canary});
    cfgs.push(oauth);
    let mut ok_oauth = mock.config("x");
    ok_oauth["credentials"] = json!({"auth_method": "oauth2.0", "client_id": "mock-client", "client_secret": "mock-secret", "refresh_token": "mock-refresh"});
    cfgs.push(ok_oauth);
    let mut bad_type = mock.config("x");
    bad_type["credentials"]["access_token"] = json!({"nested": canary});
    cfgs.push(bad_type);
    let cat = write_json(
        &dir,
        "catalog.json",
        &json!({"streams": [{"stream": {"name": "posts"}, "sync_mode": "incremental", "destination_sync_mode": "append"}]}),
    );
    for (i, c) in cfgs.iter().enumerate() {
        let p = write_json(&dir, &format!("c{i}.json"), c);
        for args in [
            vec!["check", "--config"],
            vec!["discover", "--config"],
            vec!["read", "--catalog", cat.to_str().unwrap(), "--config"],
        ] {
            let mut a = args.clone();
            a.push(p.to_str().unwrap());
            let out = run(&a, &[("RUST_LOG", "trace")]);
            for (what, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                let text = String::from_utf8_lossy(text);
                assert!(!text.contains(canary), "{a:?} leaked the secret on {what}");
                assert!(
                    !text.contains("mock-secret") && !text.contains("mock-refresh"),
                    "{a:?} leaked an OAuth secret on {what}"
                );
            }
        }
    }
}

/// The corpus in tests/bad_inputs/cases.json: malformed configs, catalogs, states and API
/// responses, each with the failure type and message it must produce.
#[test]
fn bad_input_corpus() {
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(repo("tests/bad_inputs/cases.json")).unwrap(),
    )
    .unwrap();
    assert!(cases.len() >= 40, "the corpus shrank to {}", cases.len());
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let mut good = mock.config("mock-token");
    good["max_retries"] = json!(1);
    let posts_catalog = json!({"streams": [{"stream": {"name": "posts"}, "sync_mode": "incremental", "destination_sync_mode": "append"}]});
    for (i, c) in cases.iter().enumerate() {
        let name = c["name"].as_str().unwrap();
        mock.control("DELETE", "faults", &json!({}));
        let file = |kind: &str,
                    text_key: &str,
                    json_key: &str,
                    default: Option<Value>|
         -> Option<PathBuf> {
            let path = dir.join(format!("{i}-{kind}.json"));
            if let Some(t) = c[text_key].as_str() {
                std::fs::write(&path, t).unwrap();
            } else if !c[json_key].is_null() {
                std::fs::write(&path, c[json_key].to_string()).unwrap();
            } else {
                std::fs::write(&path, default?.to_string()).unwrap();
            }
            Some(path)
        };
        let mut config = good.clone();
        for (k, v) in c["config_patch"].as_object().into_iter().flatten() {
            config[k] = v.clone();
        }
        let cfg = file("config", "config_text", "__none", Some(config)).unwrap();
        let cat = file(
            "catalog",
            "catalog_text",
            "catalog",
            Some(posts_catalog.clone()),
        )
        .unwrap();
        let state = file("state", "state_text", "state", None);
        if let Some(r) = c.get("response") {
            let body = match r.get("repeat_element") {
                Some(el) => {
                    json!({"paging": {"start": 0, "count": 100}, "elements": vec![el.clone(); r["times"].as_u64().unwrap() as usize]})
                }
                None => r["body"].clone(),
            };
            mock.control("POST", "faults", &json!({"fault": "body", "path": r["path"], "status": r.get("status").cloned().unwrap_or(json!(200)), "body": body, "count": 1000}));
        }
        let out = run(&read_args(&cfg, &cat, state.as_deref()), &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: exit 0");
        assert!(!stderr.contains("panicked"), "{name}: panic: {stderr}");
        let msgs = lines(&out);
        let errs: Vec<&Value> = of_type(&msgs, "TRACE")
            .into_iter()
            .filter(|t| t["trace"]["type"] == "ERROR")
            .collect();
        assert!(!errs.is_empty(), "{name}: no TRACE error");
        let e = &errs[0]["trace"]["error"];
        assert_eq!(
            e["failure_type"], c["expect"]["failure_type"],
            "{name}: {e}"
        );
        let needle = c["expect"]["contains"].as_str().unwrap();
        assert!(
            e["message"].as_str().unwrap().contains(needle),
            "{name}: '{}' lacks '{needle}'",
            e["message"]
        );
        // A failed stream writes no STATE, so nothing is skipped next time.
        let failed: Vec<&str> = errs
            .iter()
            .filter_map(|t| t["trace"]["error"]["stream_descriptor"]["name"].as_str())
            .collect();
        for st in of_type(&msgs, "STATE") {
            let s = st["state"]["stream"]["stream_descriptor"]["name"]
                .as_str()
                .unwrap();
            assert!(
                !failed.contains(&s),
                "{name}: STATE written for the failed stream {s}"
            );
        }
    }
    eprintln!("bad-input corpus: {} cases", cases.len());
}

#[test]
fn a_huge_valid_response_is_read() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let big = "x".repeat(8 * 1024 * 1024);
    mock.control("POST", "faults", &json!({"fault": "body", "path": "/rest/posts", "count": 100,
        "body": {"paging": {"start": 0, "count": 100, "total": 1}, "elements": [{"id": "urn:li:share:1", "commentary": big, "lastModifiedAt": 1795000000000_i64}]}}));
    let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
    let cat = write_json(
        &dir,
        "catalog.json",
        &json!({"streams": [{"stream": {"name": "posts"}, "sync_mode": "incremental", "destination_sync_mode": "append"}]}),
    );
    let out = read_ok(&cfg, &cat);
    let recs = records(&lines(&out));
    assert_eq!(recs["posts"].len(), 2, "one 8 MB post per organization");
    assert_eq!(
        recs["posts"][0]["commentary"].as_str().unwrap().len(),
        big.len()
    );
}

#[test]
fn a_closed_stdout_is_a_clean_exit() {
    let mock = start_mock(scenario());
    let dir = tmp_dir();
    let cfg = write_json(&dir, "config.json", &mock.config("mock-token"));
    let cat = write_json(&dir, "catalog.json", &catalog_all(true));
    let mut child = spawn_read(&cfg, &cat);
    let mut first = [0u8; 64];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "exit {status:?} after the reader went away"
    );
}
