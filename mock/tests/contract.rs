//! The mock's contract: each rule it enforces, each fault it injects, paging, quota
//! rollover and the clock. Requests are written by hand here (no connector code).

use std::time::Duration;

use linkedin_mock::{active_versions, serve, Scenario};
use serde_json::{json, Value};

const NOW: i64 = 1_795_132_800_000; // 2026-11-20T00:00:00Z
const DAY: i64 = 86_400_000;
const ORG: &str = "urn%3Ali%3Aorganization%3A2414183";

struct Api {
    base: String,
    http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(s: Scenario) -> Api {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, s, async {
        let _ = rx.await;
    }));
    Api {
        base: format!("http://{addr}"),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
        _stop: tx,
    }
}

fn scenario() -> Scenario {
    Scenario {
        now_ms: Some(NOW),
        ..Scenario::default()
    }
}

struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Api {
    /// GET with the standard headers; `extra` adds or overrides (an empty value removes).
    async fn get(&self, path: &str, extra: &[(&str, &str)]) -> Resp {
        let mut headers = vec![
            ("Authorization", "Bearer mock-token"),
            ("LinkedIn-Version", "202611"),
            ("X-Restli-Protocol-Version", "2.0.0"),
        ];
        for (k, v) in extra {
            headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
            if !v.is_empty() {
                headers.push((k, v));
            }
        }
        let mut req = self.http.get(format!("{}/rest/{path}", self.base));
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        Resp {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }
    async fn control(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        self.http
            .request(method, format!("{}/__mock/{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
    async fn form(&self, path: &str, form: &str) -> Resp {
        let r = self
            .http
            .post(format!("{}/oauth/v2/{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        Resp {
            status,
            headers,
            body: r.json().await.unwrap_or(Value::Null),
        }
    }
}

fn interval(start: i64, end: i64, g: &str) -> String {
    format!("timeIntervals=(timeRange:(start:{start},end:{end}),timeGranularityType:{g})")
}

fn follower_stats(extra: &str) -> String {
    format!("organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity={ORG}&{extra}")
}

#[tokio::test]
async fn authentication_rules() {
    let api = start(scenario()).await;
    let p = "organizationAcls?q=roleAssignee";
    let r = api.get(p, &[("Authorization", "")]).await;
    assert_eq!(
        (r.status, r.body["serviceErrorCode"].as_i64()),
        (401, Some(65600))
    );
    for (token, code, service) in [
        ("mock-expired", "EXPIRED_ACCESS_TOKEN", 65602),
        ("mock-revoked", "REVOKED_ACCESS_TOKEN", 65601),
        ("nope", "INVALID_ACCESS_TOKEN", 65600),
    ] {
        let r = api
            .get(p, &[("Authorization", &format!("Bearer {token}"))])
            .await;
        assert_eq!(r.status, 401, "{token}");
        assert_eq!(r.body["code"], code);
        assert_eq!(r.body["serviceErrorCode"], service);
    }
    let r = api
        .get(
            &format!("{p}&oauth2_access_token=mock-token"),
            &[("Authorization", "")],
        )
        .await;
    assert_eq!(r.status, 200, "the query-parameter token is accepted");
}

#[tokio::test]
async fn version_rules() {
    let api = start(Scenario {
        versions: Some(vec!["202609".into()]),
        ..scenario()
    })
    .await;
    let p = "organizationAcls?q=roleAssignee";
    assert_eq!(
        api.get(p, &[("LinkedIn-Version", "202609")]).await.status,
        200
    );
    assert_eq!(
        api.get(p, &[("linkedin-version", "202609.01")])
            .await
            .status,
        200,
        "header name is case-insensitive; revisions accepted"
    );
    let r = api.get(p, &[("LinkedIn-Version", "")]).await;
    assert_eq!(r.status, 400);
    let r = api.get(p, &[("LinkedIn-Version", "202001")]).await;
    assert_eq!(r.status, 426);
    assert_eq!(
        r.body,
        json!({"status": 426, "code": "NONEXISTENT_VERSION", "message": "Requested version 20200101 is not active"})
    );
    assert_eq!(
        api.get(p, &[("LinkedIn-Version", "latest")]).await.status,
        426
    );
    assert_eq!(active_versions(NOW).len(), 12);
    assert_eq!(active_versions(NOW)[0], "202611");
}

#[tokio::test]
async fn restli_syntax_rules() {
    let api = start(scenario()).await;
    let end = NOW - 2 * DAY;
    let start = end - 5 * DAY;
    // 2.0: encoded URNs and tuple syntax.
    assert_eq!(
        api.get(&follower_stats(&interval(start, end, "DAY")), &[])
            .await
            .status,
        200
    );
    // An unencoded URN under 2.0 is rejected.
    let raw = "organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=urn:li:organization:2414183";
    assert_eq!(api.get(raw, &[]).await.status, 400);
    // Malformed tuples.
    assert_eq!(
        api.get(
            &follower_stats(&format!(
                "timeIntervals=(timeRange:(start:{start},end:{end}),timeGranularityType:DAY"
            )),
            &[]
        )
        .await
        .status,
        400
    );
    assert_eq!(
        api.get(
            &follower_stats("timeIntervals=(timeRange:(start:x,end:y),timeGranularityType:DAY)"),
            &[]
        )
        .await
        .status,
        400
    );
    // 1.0 (no protocol header): dotted parameters and raw URNs, as the Python connector sends.
    let v1 = format!("organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=urn:li:organization:2414183&timeIntervals.timeGranularityType=DAY&timeIntervals.timeRange.start={start}&timeIntervals.timeRange.end={end}");
    let r = api.get(&v1, &[("X-Restli-Protocol-Version", "")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["x-restli-protocol-version"], "1.0.0");
    assert_eq!(r.body["elements"].as_array().unwrap().len(), 5);
    // 2.0 tuple syntax without the header is not understood.
    assert_eq!(
        api.get(
            &follower_stats(&interval(start, end, "DAY")),
            &[("X-Restli-Protocol-Version", "")]
        )
        .await
        .status,
        400
    );
    // Path keys must be encoded under 2.0.
    let c = api
        .get(
            "socialActions/urn:li:share:7100000000000000000/comments",
            &[],
        )
        .await;
    assert_eq!(c.status, 400);
    let c = api
        .get(
            "socialActions/urn%3Ali%3Ashare%3A7100000000000000000/comments",
            &[],
        )
        .await;
    assert_eq!(c.status, 200);
    // Finder names.
    assert_eq!(
        api.get(
            &format!(
                "organizationalEntityFollowerStatistics?q=organization&organizationalEntity={ORG}"
            ),
            &[]
        )
        .await
        .status,
        400
    );
    assert_eq!(api.get("organizationAcls", &[]).await.status, 400);
    assert_eq!(api.get("noSuchResource", &[]).await.status, 404);
}

#[tokio::test]
async fn time_range_rules() {
    let api = start(scenario()).await;
    let today = NOW;
    for (start, end, g, ok, why) in [
        (
            today - 30 * DAY,
            today - 2 * DAY,
            "DAY",
            true,
            "a normal window",
        ),
        (
            today - 365 * DAY,
            today - 2 * DAY,
            "DAY",
            true,
            "exactly 12 months",
        ),
        (
            today - 366 * DAY,
            today - 2 * DAY,
            "DAY",
            false,
            "older than 12 months",
        ),
        (today - DAY, today, "DAY", false, "followers lag two days"),
        (
            today - 10 * DAY,
            today - 10 * DAY,
            "DAY",
            false,
            "end equals start",
        ),
        (
            today - 10 * DAY,
            today - 10 * DAY + 3_600_000,
            "DAY",
            false,
            "a DAY window under a day",
        ),
        (today - 60 * DAY, today - 2 * DAY, "MONTH", true, "MONTH"),
        (
            today - 60 * DAY,
            today - 2 * DAY,
            "WEEKLY",
            false,
            "unknown granularity",
        ),
    ] {
        let r = api
            .get(&follower_stats(&interval(start, end, g)), &[])
            .await;
        assert_eq!(r.status == 200, ok, "{why}: {:?}", r.body);
        if !ok {
            assert!(
                r.body["message"]
                    .as_str()
                    .unwrap()
                    .contains("Invalid timeIntervals parameter"),
                "{why}"
            );
        }
    }
    // Buckets are whole UTC days (the start is floored), end exclusive, and stop at the
    // last final day (two days before today for followers).
    let r = api
        .get(
            &follower_stats(&interval(today - 5 * DAY + 12_345, today + 3 * DAY, "DAY")),
            &[],
        )
        .await;
    let starts: Vec<i64> = r.body["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["timeRange"]["start"].as_i64().unwrap())
        .collect();
    assert_eq!(
        starts,
        vec![
            today - 5 * DAY,
            today - 4 * DAY,
            today - 3 * DAY,
            today - 2 * DAY
        ]
    );
}

#[tokio::test]
async fn scope_and_role_rules() {
    let api = start(scenario()).await;
    let no_followers = [("Authorization", "Bearer mock-no-followers-scope")];
    let r = api.get(&follower_stats(""), &no_followers).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["serviceErrorCode"], 100);
    assert_eq!(r.body["message"], "Not enough permissions to access: organizationalEntityFollowerStatistics.FINDER-organizationalEntity.20261101");
    // networkSizes documents no permission: any valid token reads any page's count.
    assert_eq!(
        api.get(
            &format!("networkSizes/{ORG}?edgeType=COMPANY_FOLLOWED_BY_MEMBER"),
            &no_followers
        )
        .await
        .status,
        200
    );
    assert_eq!(
        api.get(
            &format!("posts?q=author&author={ORG}&count=1"),
            &[
                ("Authorization", "Bearer mock-no-followers-scope"),
                ("X-RestLi-Method", "FINDER")
            ]
        )
        .await
        .status,
        200
    );
    let not_admin = [("Authorization", "Bearer mock-not-admin")];
    assert_eq!(api.get(&follower_stats(""), &not_admin).await.status, 403);
    let acls = api
        .get(
            "organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED",
            &not_admin,
        )
        .await;
    assert_eq!(acls.body["elements"].as_array().unwrap().len(), 0);
    let acls = api.get("organizationAcls?q=roleAssignee", &not_admin).await;
    assert_eq!(acls.body["elements"][0]["role"], "ANALYST");
    // An organization that is not ours: denied, like a page one does not administer.
    assert_eq!(
        api.get(&follower_stats("").replace("2414183", "999"), &[])
            .await
            .status,
        403
    );
    // Batch get reports per-id failures.
    let b = api.get("organizations?ids=List(2414183,999)", &[]).await;
    assert_eq!(b.body["statuses"]["2414183"], 200);
    assert_eq!(b.body["statuses"]["999"], 404);
    let b = api.get("organizations?ids=List(2414183)", &not_admin).await;
    assert_eq!(b.body["statuses"]["2414183"], 403);
}

#[tokio::test]
async fn per_post_statistics_rules() {
    let api = start(scenario()).await;
    let posts = api
        .get(
            &format!("posts?q=author&author={ORG}&count=100"),
            &[("X-RestLi-Method", "FINDER")],
        )
        .await;
    let ids: Vec<String> = posts.body["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let share = ids.iter().find(|i| i.starts_with("urn:li:share:")).unwrap();
    let ugc = ids
        .iter()
        .find(|i| i.starts_with("urn:li:ugcPost:"))
        .unwrap();
    let enc = |s: &str| s.replace(':', "%3A");
    let base = format!(
        "organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={ORG}"
    );
    let ok = api
        .get(&format!("{base}&shares=List({})", enc(share)), &[])
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["elements"][0]["share"], share.as_str());
    let wrong = api
        .get(&format!("{base}&shares=List({})", enc(ugc)), &[])
        .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(wrong.body["message"], "Unpermitted fields present in PARAMETER: Data Processing Exception while processing fields [/shares[0]]");
    assert_eq!(
        api.get(
            &format!(
                "{base}&shares=List({})&ugcPosts=List({})",
                enc(share),
                enc(ugc)
            ),
            &[]
        )
        .await
        .status,
        400
    );
    let too_many = vec![enc(share); 101].join(",");
    assert_eq!(
        api.get(&format!("{base}&shares=List({too_many})"), &[])
            .await
            .status,
        400
    );
    // Another page's post.
    let other = api
        .get(
            "posts?q=author&author=urn%3Ali%3Aorganization%3A2415192&count=1",
            &[("X-RestLi-Method", "FINDER")],
        )
        .await;
    let other_id = other.body["elements"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let field = if other_id.contains("share") {
        "shares"
    } else {
        "ugcPosts"
    };
    assert_eq!(
        api.get(&format!("{base}&{field}=List({})", enc(&other_id)), &[])
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn paging_covers_every_post_once_newest_first() {
    let api = start(Scenario {
        posts_per_org: 250,
        ..scenario()
    })
    .await;
    let finder = [("X-RestLi-Method", "FINDER")];
    assert_eq!(
        api.get(&format!("posts?q=author&author={ORG}&count=101"), &finder)
            .await
            .status,
        400,
        "count above 100"
    );
    assert_eq!(
        api.get(&format!("posts?q=author&author={ORG}&count=10"), &[])
            .await
            .status,
        400,
        "FINDER header required"
    );
    let mut seen = Vec::new();
    let mut start = 0;
    loop {
        let r = api
            .get(
                &format!("posts?q=author&author={ORG}&start={start}&count=100"),
                &finder,
            )
            .await;
        assert_eq!(r.body["paging"]["total"], 250);
        let els = r.body["elements"].as_array().unwrap().clone();
        let has_next = r.body["paging"]["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "next");
        assert_eq!(has_next, start + els.len() < 250);
        seen.extend(els.into_iter().map(|e| {
            (
                e["id"].as_str().unwrap().to_string(),
                e["lastModifiedAt"].as_i64().unwrap(),
            )
        }));
        if !has_next {
            break;
        }
        start += 100;
    }
    assert_eq!(seen.len(), 250);
    let unique: std::collections::BTreeSet<_> = seen.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(unique.len(), 250);
    assert!(
        seen.windows(2).all(|w| w[0].1 >= w[1].1),
        "newest lastModifiedAt first"
    );
}

#[tokio::test]
async fn quota_resets_at_midnight_utc() {
    let api = start(Scenario {
        quota: Some(3),
        ..scenario()
    })
    .await;
    let p = "organizationAcls?q=roleAssignee";
    for left in [2, 1, 0] {
        let r = api.get(p, &[]).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.headers["x-restli-quota-remaining"],
            left.to_string().as_str()
        );
    }
    let r = api.get(p, &[]).await;
    assert_eq!(r.status, 429);
    assert!(r.body["message"].as_str().unwrap().contains("for the day"));
    // Still exhausted later the same day...
    api.control(
        reqwest::Method::POST,
        "clock",
        json!({"advance_ms": 3_600_000}),
    )
    .await;
    assert_eq!(api.get(p, &[]).await.status, 429);
    // ...and fresh after midnight.
    api.control(reqwest::Method::POST, "clock", json!({"advance_days": 1}))
        .await;
    assert_eq!(api.get(p, &[]).await.status, 200);
}

#[tokio::test]
async fn the_clock_brings_new_data_and_edits() {
    let api = start(Scenario {
        posts_per_org: 60,
        ..scenario()
    })
    .await;
    let finder = [("X-RestLi-Method", "FINDER")];
    let before = api
        .get(&format!("posts?q=author&author={ORG}&count=100"), &finder)
        .await;
    let day = |r: &Resp| r.body["elements"].as_array().unwrap().len();
    let stats_before = api
        .get(
            &follower_stats(&interval(NOW - 10 * DAY, NOW + 10 * DAY, "DAY")),
            &[],
        )
        .await;
    api.control(reqwest::Method::POST, "clock", json!({"advance_days": 3}))
        .await;
    let after = api
        .get(&format!("posts?q=author&author={ORG}&count=100"), &finder)
        .await;
    assert!(
        after.body["paging"]["total"].as_u64() > before.body["paging"]["total"].as_u64(),
        "new posts appear"
    );
    let modified = |r: &Resp| -> std::collections::BTreeMap<String, i64> {
        r.body["elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["id"].as_str().unwrap().to_string(),
                    e["lastModifiedAt"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let (b, a) = (modified(&before), modified(&after));
    assert!(
        b.iter().any(|(id, t)| a.get(id).is_some_and(|n| n > t)),
        "some old posts were edited"
    );
    let stats_after = api
        .get(
            &follower_stats(&interval(NOW - 10 * DAY, NOW + 10 * DAY, "DAY")),
            &[],
        )
        .await;
    assert_eq!(
        day(&stats_after),
        day(&stats_before) + 3,
        "three more final days"
    );
    let info = api.control(reqwest::Method::GET, "info", json!({})).await;
    assert_eq!(info["now"], NOW + 3 * DAY);
}

#[tokio::test]
async fn every_fault_kind() {
    let api = start(Scenario {
        slow_ms: 1_500,
        ..scenario()
    })
    .await;
    let p = "organizationAcls?q=roleAssignee";
    let script = |fault: &str| json!({"fault": fault, "count": 1, "path": "organizationAcls"});
    for (fault, status) in [
        ("429", 429),
        ("429-no-retry-after", 429),
        ("daily-quota", 429),
        ("500", 500),
        ("502", 502),
        ("503", 503),
        ("504", 504),
        ("expired", 401),
    ] {
        api.control(reqwest::Method::POST, "faults", script(fault))
            .await;
        let r = api.get(p, &[]).await;
        assert_eq!(r.status, status, "{fault}");
        assert_eq!(
            r.headers.contains_key("retry-after"),
            fault == "429",
            "{fault}"
        );
        assert_eq!(api.get(p, &[]).await.status, 200, "{fault} applies once");
    }
    api.control(reqwest::Method::POST, "faults", script("truncated"))
        .await;
    let r = api.get(p, &[]).await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_string(), "a truncated body is not JSON");
    api.control(reqwest::Method::POST, "faults", script("not-json"))
        .await;
    let r = api.get(p, &[]).await;
    assert!(r.body.as_str().unwrap().starts_with("<html>"));
    api.control(reqwest::Method::POST, "faults", script("reset"))
        .await;
    let resp = api
        .http
        .get(format!("{}/rest/{p}", api.base))
        .header("Authorization", "Bearer mock-token")
        .header("LinkedIn-Version", "202611")
        .header("X-Restli-Protocol-Version", "2.0.0")
        .send()
        .await;
    let broke = match resp {
        Err(_) => true, // hyper may notice while reading the head of a short response
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(broke, "the response breaks off");
    api.control(reqwest::Method::POST, "faults", script("slow"))
        .await;
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let err = quick
        .get(format!("{}/rest/{p}", api.base))
        .header("Authorization", "Bearer mock-token")
        .header("LinkedIn-Version", "202611")
        .send()
        .await;
    assert!(
        err.is_err_and(|e| e.is_timeout()),
        "slow answers outlast a short client timeout"
    );
    // Unknown fault names are refused.
    let bad = api
        .http
        .post(format!("{}/__mock/faults", api.base))
        .json(&json!({"fault": "gremlins"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let stats = api.control(reqwest::Method::GET, "stats", json!({})).await;
    // 8 scripted statuses answered twice each, truncated, not-json and reset: 19 (the slow
    // request may be abandoned by the client before it is counted).
    assert!(stats["total"].as_u64().unwrap() >= 19, "{stats}");
    assert_eq!(stats["endpoints"]["organizationAcls"]["503"], 1);
}

#[tokio::test]
async fn random_faults_follow_the_rate() {
    let api = start(Scenario {
        fault_rate: 0.3,
        slow_ms: 10,
        ..scenario()
    })
    .await;
    let mut errors = 0;
    for _ in 0..300 {
        let r = api
            .http
            .get(format!("{}/rest/seniorities?start=0&count=10", api.base))
            .header("Authorization", "Bearer mock-token")
            .header("LinkedIn-Version", "202611")
            .send()
            .await;
        let ok = match r {
            Ok(r) if r.status() == 200 => r
                .bytes()
                .await
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .is_some(),
            _ => false,
        };
        if !ok {
            errors += 1;
        }
    }
    // 0.3 × 300 = 90 faults, of which "slow" (1 in 10) still answers correctly.
    assert!(
        (50..=130).contains(&errors),
        "{errors} failures for a 30% fault rate"
    );
}

#[tokio::test]
async fn oauth_endpoints() {
    let api = start(scenario()).await;
    let ok = api.form("accessToken", "grant_type=refresh_token&refresh_token=mock-refresh&client_id=mock-client&client_secret=mock-secret").await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["access_token"], "mock-token");
    assert_eq!(ok.body["expires_in"], 5_184_000);
    let bad = api.form("accessToken", "grant_type=refresh_token&refresh_token=old&client_id=mock-client&client_secret=mock-secret").await;
    assert_eq!(
        (bad.status, bad.body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let bad = api.form("accessToken", "grant_type=refresh_token&refresh_token=mock-refresh&client_id=mock-client&client_secret=nope").await;
    assert_eq!(
        (bad.status, bad.body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let bad = api
        .form(
            "accessToken",
            "grant_type=refresh_token&refresh_token=mock-refresh&client_id=mock-client",
        )
        .await;
    assert_eq!(
        (bad.status, bad.body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let i = api
        .form(
            "introspectToken",
            "client_id=mock-client&client_secret=mock-secret&token=mock-no-followers-scope",
        )
        .await;
    assert_eq!(i.body["active"], true);
    assert!(!i.body["scope"]
        .as_str()
        .unwrap()
        .contains("r_organization_followers"));
    let i = api
        .form(
            "introspectToken",
            "client_id=mock-client&client_secret=mock-secret&token=mock-revoked",
        )
        .await;
    assert_eq!(
        (i.body["active"].as_bool(), i.body["status"].as_str()),
        (Some(false), Some("revoked"))
    );
}

#[tokio::test]
async fn data_is_deterministic_from_the_seed() {
    let a = start(scenario()).await;
    let b = start(scenario()).await;
    let c = start(Scenario {
        seed: 7,
        ..scenario()
    })
    .await;
    let p = follower_stats("");
    let (ra, rb, rc) = (
        a.get(&p, &[]).await.body,
        b.get(&p, &[]).await.body,
        c.get(&p, &[]).await.body,
    );
    assert_eq!(ra, rb);
    assert_ne!(ra, rc);
}

#[tokio::test]
async fn large_datasets_are_generated_on_the_fly() {
    // 10,000 posts × 100 comments = a million comments, served without storing them.
    let api = start(Scenario {
        posts_per_org: 10_000,
        comments_per_post: 100,
        days: 365,
        ..scenario()
    })
    .await;
    let r = api
        .get(
            &format!("posts?q=author&author={ORG}&start=9900&count=100"),
            &[("X-RestLi-Method", "FINDER")],
        )
        .await;
    assert_eq!(r.body["paging"]["total"], 10_000);
    let oldest = r.body["elements"].as_array().unwrap().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .replace(':', "%3A");
    let c = api
        .get(&format!("socialActions/{oldest}/comments?count=100"), &[])
        .await;
    assert_eq!(c.body["paging"]["total"], 100);
}

/// Percent-encodes a URN for a path key or a `List(...)` value.
fn enc(urn: &str) -> String {
    urn.replace(':', "%3A")
        .replace('(', "%28")
        .replace(')', "%29")
        .replace(',', "%2C")
}

/// The first page's posts (as `mock-token` sees them): a share, a video ugcPost and another.
async fn sample_posts(api: &Api) -> (String, String, String) {
    let posts = api
        .get(
            &format!("posts?q=author&author={ORG}&count=100"),
            &[("X-RestLi-Method", "FINDER")],
        )
        .await;
    let ids: Vec<(String, bool)> = posts.body["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["content"]["media"]["id"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("urn:li:video:")),
            )
        })
        .collect();
    let share = ids.iter().find(|(i, _)| i.starts_with("urn:li:share:"));
    let video = ids.iter().find(|(_, v)| *v);
    let share = share.unwrap().0.clone();
    let other = ids.iter().find(|(i, _)| *i != share).unwrap().0.clone();
    (share, video.unwrap().0.clone(), other)
}

/// Each token against one request per endpoint, as mock/src/permissions.rs and the README
/// say. A batch answers 200 with per-key statuses; the key's status is what counts.
#[tokio::test]
async fn every_token_against_every_endpoint_follows_the_permission_table() {
    let api = start(scenario()).await;
    let (share, video, _) = sample_posts(&api).await;
    let geo = linkedin_mock::data::GEOS[0].0;
    let endpoints: Vec<(&str, String, Option<String>)> = vec![
        ("acls", "organizationAcls?q=roleAssignee".into(), None),
        ("lookup", "organizations/2414183".into(), None),
        (
            "lookup-batch",
            "organizations?ids=List(2414183)".into(),
            Some("2414183".into()),
        ),
        (
            "networkSizes",
            format!("networkSizes/{ORG}?edgeType=COMPANY_FOLLOWED_BY_MEMBER"),
            None,
        ),
        ("followers", follower_stats(""), None),
        (
            "shares",
            format!("organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={ORG}"),
            None,
        ),
        (
            "pages",
            format!("organizationPageStatistics?q=organization&organization={ORG}"),
            None,
        ),
        (
            "per-post",
            format!("organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={ORG}&shares=List({})", enc(&share)),
            None,
        ),
        ("posts", format!("posts?q=author&author={ORG}&count=5"), None),
        (
            "comments",
            format!("socialActions/{}/comments", enc(&share)),
            None,
        ),
        (
            "reactions",
            format!("reactions/(entity:{})?q=entity", enc(&share)),
            None,
        ),
        (
            "socialMetadata",
            format!("socialMetadata?ids=List({})", enc(&share)),
            Some(share.clone()),
        ),
        (
            "videoAnalytics",
            format!("videoAnalytics?q=entity&entity={}&type=VIDEO_VIEW", enc(&video)),
            None,
        ),
        ("geo", format!("geo?ids=List({geo})"), Some(geo.to_string())),
        ("functions", "functions?count=5".into(), None),
        ("seniorities", "seniorities?count=5".into(), None),
        ("industries", "industries?count=5".into(), None),
    ];
    // Expected statuses in the order of `endpoints`.
    const ALL_OK: [u16; 17] = [200; 17];
    const SOCIAL: [u16; 17] = [
        403, 403, 403, 200, 403, 403, 403, 403, 200, 200, 200, 200, 200, 200, 200, 200, 200,
    ];
    const ADMIN: [u16; 17] = [
        200, 200, 200, 200, 200, 200, 200, 200, 403, 403, 403, 403, 403, 200, 200, 200, 200,
    ];
    // ANALYST of the page: scopes are all there, the role is not.
    const ANALYST: [u16; 17] = [
        200, 403, 403, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200, 200, 200,
    ];
    let tokens: [(&str, [u16; 17]); 6] = [
        ("mock-token", ALL_OK),
        ("mock-guide-scopes", SOCIAL),
        ("mock-social-only", SOCIAL),
        ("mock-no-followers-scope", SOCIAL),
        ("mock-admin-only", ADMIN),
        ("mock-not-admin", ANALYST),
    ];
    for (token, expected) in tokens {
        let auth = format!("Bearer {token}");
        for ((name, path, key), want) in endpoints.iter().zip(expected) {
            let r = api
                .get(
                    path,
                    &[
                        ("Authorization", auth.as_str()),
                        ("X-RestLi-Method", "FINDER"),
                    ],
                )
                .await;
            let got = match key {
                Some(k) if r.status == 200 => r.body["statuses"][k].as_u64().unwrap() as u16,
                _ => r.status,
            };
            assert_eq!(got, want, "{token} on {name}: {}", r.body);
            if r.status == 403 {
                assert_eq!(r.body["code"], "ACCESS_DENIED", "{token} on {name}");
                assert_eq!(r.body["serviceErrorCode"], 100);
                assert!(r.body["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("Not enough permissions to access: "));
            }
        }
    }
    let r = api
        .get(
            &format!("posts?q=author&author={ORG}"),
            &[
                ("Authorization", "Bearer mock-admin-only"),
                ("X-RestLi-Method", "FINDER"),
            ],
        )
        .await;
    assert_eq!(
        r.body,
        json!({"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
               "message": "Not enough permissions to access: posts.FINDER-author.20261101"})
    );
}

#[tokio::test]
async fn introspection_reports_each_tokens_exact_scopes() {
    let api = start(scenario()).await;
    for (token, scopes) in [
        (
            "mock-guide-scopes",
            "r_organization_social,r_organization_followers,r_social_engagement",
        ),
        ("mock-admin-only", "rw_organization_admin"),
        ("mock-social-only", "r_organization_social"),
    ] {
        let i = api
            .form(
                "introspectToken",
                &format!("client_id=mock-client&client_secret=mock-secret&token={token}"),
            )
            .await;
        assert_eq!(i.body["active"], true, "{token}");
        assert_eq!(i.body["scope"], scopes, "{token}");
    }
    let i = api
        .form(
            "introspectToken",
            "client_id=mock-client&client_secret=mock-secret&token=mock-token",
        )
        .await;
    let all = i.body["scope"].as_str().unwrap();
    for s in [
        "rw_organization_admin",
        "r_organization_admin",
        "r_organization_social",
        "r_organization_social_feed",
    ] {
        assert!(all.split(',').any(|x| x == s), "mock-token lacks {s}");
    }
}

/// Pages `path` (which ends in `?` or `&`) by `count`; returns the ids in order and whether
/// any non-final page was short. `stop_on_short` models the client that stops there.
async fn page_ids(
    api: &Api,
    path: &str,
    count: usize,
    id: &str,
    stop_on_short: bool,
) -> (Vec<String>, bool) {
    let mut ids = Vec::new();
    let mut start = 0;
    let mut saw_short = false;
    loop {
        let r = api
            .get(
                &format!("{path}start={start}&count={count}"),
                &[("X-RestLi-Method", "FINDER")],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let total = r.body["paging"]["total"].as_u64().unwrap() as usize;
        assert_eq!(r.body["paging"]["count"], count as u64);
        let has_next = r.body["paging"]["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "next");
        assert_eq!(
            has_next,
            start + count < total,
            "next link at start={start}"
        );
        let els = r.body["elements"].as_array().unwrap();
        let short = els.len() < count && start + count < total;
        saw_short |= short;
        ids.extend(els.iter().map(|e| e[id].as_str().unwrap().to_string()));
        start += count;
        if start >= total || (stop_on_short && els.len() < count) {
            break;
        }
    }
    (ids, saw_short)
}

#[tokio::test]
async fn short_pages_hold_elements_back_but_lose_none() {
    let shape = Scenario {
        posts_per_org: 25,
        comments_per_post: 23,
        ..scenario()
    };
    let clean = start(shape.clone()).await;
    let short = start(Scenario {
        short_pages: true,
        ..shape
    })
    .await;
    let posts = format!("posts?q=author&author={ORG}&");
    let (want, clean_short) = page_ids(&clean, &posts, 10, "id", false).await;
    assert_eq!(want.len(), 25);
    assert!(!clean_short);
    let (got, saw_short) = page_ids(&short, &posts, 10, "id", false).await;
    assert!(saw_short, "non-final pages are short");
    assert_eq!(got, want, "paging to total: every post once, in order");
    let (stopped, _) = page_ids(&short, &posts, 10, "id", true).await;
    assert!(
        stopped.len() < want.len(),
        "stopping on a short page loses posts"
    );
    // The same for comments (a collection with a `total`), on the oldest post (all its
    // comments have arrived).
    let comments = format!("socialActions/{}/comments?", enc(want.last().unwrap()));
    let (want_c, _) = page_ids(&clean, &comments, 5, "id", false).await;
    let (got_c, saw_short) = page_ids(&short, &comments, 5, "id", false).await;
    assert_eq!(want_c.len(), 23);
    assert!(saw_short);
    assert_eq!(got_c, want_c);
    // The last page carries what the two short pages held back (2 + 2) after its own 5.
    let last = short
        .get(
            &format!("{posts}start=20&count=10"),
            &[("X-RestLi-Method", "FINDER")],
        )
        .await;
    assert_eq!(last.body["elements"].as_array().unwrap().len(), 9);
    let info = short
        .control(reqwest::Method::GET, "info", Value::Null)
        .await;
    assert_eq!(info["short_pages"], true);
}

#[tokio::test]
async fn forbid_entity_refuses_every_request_naming_the_post() {
    let api = start(scenario()).await;
    let (share, video, other) = sample_posts(&api).await;
    let set = api
        .control(
            reqwest::Method::POST,
            "faults",
            json!([{"fault": "forbid-entity", "entity": share}, {"fault": "forbid-entity", "entity": video}]),
        )
        .await;
    assert_eq!(set["forbidden"], json!([share, video]));
    let stats = format!(
        "organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={ORG}"
    );
    let denied = |r: &Resp| {
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.body["code"], "ACCESS_DENIED");
        assert_eq!(r.body["serviceErrorCode"], 100);
    };
    // In a path.
    let r = api
        .get(&format!("socialActions/{}/comments", enc(&share)), &[])
        .await;
    denied(&r);
    assert_eq!(
        r.body["message"],
        format!("Not enough permissions to access {share}")
    );
    denied(
        &api.get(&format!("reactions/(entity:{})?q=entity", enc(&share)), &[])
            .await,
    );
    // In a parameter.
    denied(
        &api.get(
            &format!(
                "videoAnalytics?q=entity&entity={}&type=VIDEO_VIEW",
                enc(&video)
            ),
            &[],
        )
        .await,
    );
    // In a List: the whole batch fails, naming the index.
    let r = api
        .get(
            &format!("{stats}&shares=List({},{})", enc(&other), enc(&share)),
            &[],
        )
        .await;
    denied(&r);
    assert_eq!(
        r.body["message"],
        "Unpermitted fields present in PARAMETER: Data Processing Exception while processing fields [/shares[1]]"
    );
    denied(
        &api.get(
            &format!("socialMetadata?ids=List({},{})", enc(&other), enc(&share)),
            &[],
        )
        .await,
    );
    // Requests that do not name it still work, and the post list still lists it.
    assert_eq!(
        api.get(&format!("socialActions/{}/comments", enc(&other)), &[])
            .await
            .status,
        200
    );
    assert_eq!(
        api.get(&format!("socialMetadata?ids=List({})", enc(&other)), &[])
            .await
            .status,
        200
    );
    let posts = api
        .get(
            &format!("posts?q=author&author={ORG}&count=100"),
            &[("X-RestLi-Method", "FINDER")],
        )
        .await;
    assert!(posts.body["elements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == share.as_str()));
    // A longer URN that merely starts with the forbidden one is not named by it.
    let longer = format!("{share}0");
    let r = api
        .get(&format!("socialActions/{}/comments", enc(&longer)), &[])
        .await;
    assert_ne!(r.status, 403, "{}", r.body);
    // Clearing the faults lifts it.
    api.control(reqwest::Method::DELETE, "faults", json!({}))
        .await;
    assert_eq!(
        api.get(&format!("socialActions/{}/comments", enc(&share)), &[])
            .await
            .status,
        200
    );
    let bad = api
        .http
        .post(format!("{}/__mock/faults", api.base))
        .json(&json!({"fault": "forbid-entity"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
}

#[tokio::test]
async fn showcase_pages_read_brand_page_statistics() {
    let api = start(scenario()).await;
    let brand = "urn%3Ali%3AorganizationBrand%3A2414183";
    let path = format!("brandPageStatistics?q=brand&brand={brand}");
    let r = api.get(&path, &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["elements"][0]["brand"],
        "urn:li:organizationBrand:2414183"
    );
    assert!(r.body["elements"][0]["totalPageStatistics"].is_object());
    let r = api
        .get(&path, &[("Authorization", "Bearer mock-guide-scopes")])
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body["message"],
        "Not enough permissions to access: brandPageStatistics.FINDER-brand.20261101"
    );
    // The finder takes a brand URN, not an organization URN, and vice versa.
    let r = api
        .get(&format!("brandPageStatistics?q=brand&brand={ORG}"), &[])
        .await;
    assert_eq!(r.status, 400);
    let r = api
        .get(
            &format!("organizationPageStatistics?q=organization&organization={brand}"),
            &[],
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn stats_report_the_most_requests_answered_at_once() {
    let api = start(Scenario {
        latency_ms: 200,
        ..scenario()
    })
    .await;
    let path = "networkSizes/urn%3Ali%3Aorganization%3A2414183?edgeType=COMPANY_FOLLOWED_BY_MEMBER";
    // Three at once, then one alone: the peak is three, not four.
    let (a, b, c) = tokio::join!(api.get(path, &[]), api.get(path, &[]), api.get(path, &[]));
    assert_eq!((a.status, b.status, c.status), (200, 200, 200));
    assert_eq!(api.get(path, &[]).await.status, 200);
    let stats = api
        .control(reqwest::Method::GET, "stats", Value::Null)
        .await;
    assert_eq!(stats["total"], 4);
    assert_eq!(stats["max_in_flight"], 3);
    api.control(reqwest::Method::DELETE, "stats", Value::Null)
        .await;
    api.get(path, &[]).await;
    let stats = api
        .control(reqwest::Method::GET, "stats", Value::Null)
        .await;
    assert_eq!(stats["max_in_flight"], 1);
}
