//! The conformance corpus (tests/conformance/): LinkedIn's documented response shapes,
//! written independently of the mock. Every element of every corpus response is decoded with
//! the connector's own decoder for its stream and must give a schema-valid record; the corpus
//! and the permission table must cite LinkedIn's pages and cover every endpoint the stream
//! table calls.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::Value;
use source_linkedin_pages::config::Granularity;
use source_linkedin_pages::streams::records::RecordCtx;
use source_linkedin_pages::streams::{find, STREAMS};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every corpus response file, sorted by name.
fn corpus() -> Vec<(String, Value)> {
    let dir = repo("tests/conformance/responses");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                read_json(p),
            )
        })
        .collect()
}

/// The elements a stream decodes from one response, as LinkedIn nests them.
fn elements(name: &str, file: &Value) -> Vec<Value> {
    let resp = &file["response"];
    match file["elements_at"].as_str().unwrap_or("") {
        "elements" => resp["elements"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: response.elements is not an array"))
            .clone(),
        "results" => resp["results"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: response.results is not an object"))
            .values()
            .cloned()
            .collect(),
        "" => vec![resp.clone()],
        other => panic!("{name}: unknown elements_at {other:?}"),
    }
}

/// The partition the engine would pass: the organization (or brand) and post the request
/// names, and the variant (video metric or taxonomy kind).
fn ctx_parts(file: &Value, element: &Value) -> (String, Option<String>, Option<String>) {
    let request = file["request"].as_str().unwrap_or_default();
    let decoded = request.replace("%3A", ":");
    let org = if decoded.contains("urn:li:organizationBrand:") {
        "urn:li:organizationBrand:8810022".to_string()
    } else {
        "urn:li:organization:5509810".to_string()
    };
    let post = ["share", "ugcPost", "entity", "root"]
        .iter()
        .find_map(|k| element[*k].as_str())
        .map(str::to_string)
        .or_else(|| Some("urn:li:share:7390012233445566778".to_string()));
    let variant = match file["stream"].as_str().unwrap_or_default() {
        "functions" => Some("function".to_string()),
        "seniorities" => Some("seniority".to_string()),
        "industries" => Some("industry".to_string()),
        _ => element["type"].as_str().map(str::to_string),
    };
    (org, post, variant)
}

#[test]
fn every_corpus_file_cites_a_learn_page_and_has_a_request_and_response() {
    let files = corpus();
    assert!(
        files.len() >= 14,
        "the corpus needs one file per endpoint called (at least 14), found {}",
        files.len()
    );
    for (name, f) in &files {
        let source = f["source"].as_str().unwrap_or_default();
        assert!(
            source.starts_with("https://learn.microsoft.com/en-us/linkedin/"),
            "{name}: source must be a Microsoft Learn LinkedIn page, got {source:?}"
        );
        for key in ["endpoint", "request"] {
            assert!(
                f[key].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: missing {key}"
            );
        }
        assert!(
            f["response"].is_object(),
            "{name}: response is not an object"
        );
        if let Some(stream) = f["stream"].as_str() {
            assert!(find(stream).is_some(), "{name}: no stream named {stream}");
        }
    }
}

#[test]
fn every_documented_element_decodes_into_a_schema_valid_record() {
    let mut decoded = 0;
    for (name, f) in corpus() {
        let Some(stream) = f["stream"].as_str() else {
            continue;
        };
        let def = find(stream).unwrap_or_else(|| panic!("{name}: no stream {stream}"));
        let schema = read_json(&repo(&format!("schemas/{stream}.json")));
        let validator = jsonschema::draft7::new(&schema)
            .unwrap_or_else(|e| panic!("schemas/{stream}.json: {e}"));
        let els = elements(&name, &f);
        assert!(!els.is_empty(), "{name}: no elements to decode");
        for (i, el) in els.iter().enumerate() {
            let (org, post, variant) = ctx_parts(&f, el);
            let ctx = RecordCtx {
                organization: &org,
                granularity: Granularity::DAY,
                snapshot_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                post: post.as_deref(),
                variant: variant.as_deref(),
            };
            let mut out = Vec::new();
            (def.decode)(&ctx, &el.to_string(), &mut out)
                .unwrap_or_else(|e| panic!("{name}[{i}] ({stream}): decode failed: {e}"));
            let record: Value = serde_json::from_slice(&out)
                .unwrap_or_else(|e| panic!("{name}[{i}]: decoder wrote invalid JSON: {e}"));
            let errors: Vec<String> = validator
                .iter_errors(&record)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{name}[{i}] ({stream}): record does not match schemas/{stream}.json: {errors:?}\nrecord: {record}"
            );
            for k in def.primary_key {
                assert!(
                    !record[*k].is_null() && record[*k] != Value::String(String::new()),
                    "{name}[{i}] ({stream}): primary key {k} is empty in {record}"
                );
            }
            decoded += 1;
        }
    }
    assert!(decoded > 0, "no corpus element was decoded");
}

#[test]
fn every_stream_has_a_corpus_file_and_a_permission_row_for_its_resource() {
    let files = corpus();
    let perms = read_json(&repo("tests/conformance/permissions.json"));
    let rows = perms.as_array().expect("permissions.json is an array");
    for row in rows {
        let source = row["source"].as_str().unwrap_or_default();
        assert!(
            source.starts_with("https://learn.microsoft.com/"),
            "permission row {} does not cite a Learn page: {source:?}",
            row["endpoint"]
        );
        assert!(
            row["scopes_any"].is_array(),
            "{}: scopes_any",
            row["endpoint"]
        );
    }
    let covered: BTreeSet<&str> = files
        .iter()
        .filter_map(|(_, f)| f["stream"].as_str())
        .collect();
    for s in STREAMS {
        assert!(
            covered.contains(s.name),
            "stream {} has no documented response in tests/conformance/responses",
            s.name
        );
        let resource = s.endpoint.resource();
        let needle = format!("/rest/{resource}");
        assert!(
            rows.iter()
                .any(|r| r["path"].as_str().is_some_and(|p| p.contains(&needle))),
            "stream {} calls {resource}, which has no row in permissions.json",
            s.name
        );
    }
}

// ------------------------------------------------------------------ the mock against it

const MOCK_NOW: i64 = 1_795_132_800_000; // 2026-11-20T00:00:00Z
const MOCK_DAY: i64 = 86_400_000;

/// Key paths of a JSON value: `a.b[].c`; keys of id-keyed maps (batch results, localized
/// strings, reaction summaries) become `*` so that different ids compare equal.
fn key_paths(v: &Value, prefix: &str, map_keys: bool, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(o) => {
            if o.is_empty() {
                out.insert(format!("{prefix}{{}}"));
            }
            for (k, child) in o {
                let seg = if map_keys { "*" } else { k.as_str() };
                let p = if prefix.is_empty() {
                    seg.to_string()
                } else {
                    format!("{prefix}.{seg}")
                };
                let child_is_map = matches!(
                    k.as_str(),
                    "results" | "statuses" | "errors" | "reactionSummaries" | "localized"
                ) && !map_keys;
                key_paths(child, &p, child_is_map, out);
            }
        }
        Value::Array(items) => {
            let p = format!("{prefix}[]");
            if items.is_empty() {
                out.insert(p.clone());
            }
            for i in items {
                key_paths(i, &p, false, out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

/// Drops the leaves whose parent path is also present as an empty container or a null, so
/// that `[]` in one answer and `[{...}]` in the other do not count as a shape difference.
fn comparable(paths: &BTreeSet<String>) -> BTreeSet<String> {
    paths
        .iter()
        .filter(|p| !p.ends_with("[]") && !p.ends_with("{}"))
        .cloned()
        .collect()
}

async fn mock_get(http: &reqwest::Client, base: &str, path: &str) -> (u16, Value) {
    let r = http
        .get(format!("{base}/rest/{path}"))
        .header("Authorization", "Bearer mock-token")
        .header("LinkedIn-Version", "202611")
        .header("X-Restli-Protocol-Version", "2.0.0")
        .header("X-RestLi-Method", "FINDER")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn enc(urn: &str) -> String {
    urn.replace(':', "%3A")
        .replace('(', "%28")
        .replace(')', "%29")
        .replace(',', "%2C")
}

#[tokio::test]
async fn the_mock_answers_with_the_documented_field_names() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(linkedin_mock::serve(
        listener,
        linkedin_mock::Scenario {
            now_ms: Some(MOCK_NOW),
            replies_per_comment: 2,
            ..linkedin_mock::Scenario::default()
        },
        async {
            let _ = stopped.await;
        },
    ));
    let http = reqwest::Client::new();

    // Find real ids in the mock: a page, a share, a ugcPost and a video.
    let (_, acls) = mock_get(
        &http,
        &base,
        "organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start=0&count=100",
    )
    .await;
    let org = acls["elements"][0]["organization"]
        .as_str()
        .expect("the mock lists an administered page")
        .to_string();
    let org_id = org.rsplit(':').next().unwrap().to_string();
    let (_, posts) = mock_get(
        &http,
        &base,
        &format!(
            "posts?q=author&author={}&sortBy=LAST_MODIFIED&start=0&count=100",
            enc(&org)
        ),
    )
    .await;
    let posts = posts["elements"].as_array().cloned().unwrap_or_default();
    let id_of = |pred: &dyn Fn(&Value) -> bool| -> String {
        posts
            .iter()
            .find(|p| pred(p))
            .and_then(|p| p["id"].as_str())
            .expect("the mock has a post of each kind")
            .to_string()
    };
    let share = id_of(&|p| {
        p["id"]
            .as_str()
            .is_some_and(|i| i.starts_with("urn:li:share:"))
    });
    let ugc = id_of(&|p| {
        p["id"]
            .as_str()
            .is_some_and(|i| i.starts_with("urn:li:ugcPost:"))
    });
    let video = id_of(&|p| {
        p["content"]["media"]["id"]
            .as_str()
            .is_some_and(|m| m.starts_with("urn:li:video:"))
    });
    let window = format!(
        "timeIntervals=(timeRange:(start:{},end:{}),timeGranularityType:DAY)",
        MOCK_NOW - 10 * MOCK_DAY,
        MOCK_NOW - 3 * MOCK_DAY
    );

    let o = enc(&org);
    let mut requests: Vec<(&str, String)> = vec![
        ("organization_acls_role_assignee", "organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start=0&count=100".into()),
        ("organizations_batch_get", format!("organizations?ids=List({org_id})")),
        ("network_sizes", format!("networkSizes/{o}?edgeType=COMPANY_FOLLOWED_BY_MEMBER")),
        ("follower_statistics_lifetime", format!("organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity={o}")),
        ("follower_statistics_time_bound", format!("organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity={o}&{window}")),
        ("share_statistics_lifetime", format!("organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={o}")),
        ("share_statistics_time_bound", format!("organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={o}&{window}")),
        ("share_statistics_per_share", format!("organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={o}&shares=List({})", enc(&share))),
        ("share_statistics_per_ugcpost", format!("organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={o}&ugcPosts=List({})", enc(&ugc))),
        ("page_statistics_lifetime", format!("organizationPageStatistics?q=organization&organization={o}")),
        ("page_statistics_time_bound", format!("organizationPageStatistics?q=organization&organization={o}&{window}")),
        ("posts_by_author", format!("posts?q=author&author={o}&sortBy=LAST_MODIFIED&start=0&count=2")),
        ("social_metadata_batch", format!("socialMetadata?ids=List({},{})", enc(&share), enc(&ugc))),
        ("comments_on_post", format!("socialActions/{}/comments?start=0&count=100", enc(&share))),
        ("reactions_on_entity", format!("reactions/(entity:{})?q=entity&sort=(value:REVERSE_CHRONOLOGICAL)&start=0&count=100", enc(&share))),
        ("video_analytics", format!("videoAnalytics?q=entity&entity={}&type=VIDEO_VIEW&aggregation=ALL", enc(&video))),
        ("functions_get_all", "functions?start=0&count=100".into()),
        ("seniorities_get_all", "seniorities?start=0&count=100".into()),
        ("industries_get_all", "industries?start=0&count=100".into()),
    ];
    // Replies ("Get Comments on Comments"): those of the first comment that has some.
    let mut parent = None;
    for post in posts.iter().filter_map(|p| p["id"].as_str()) {
        let path = format!("socialActions/{}/comments?start=0&count=100", enc(post));
        let (_, comments) = mock_get(&http, &base, &path).await;
        parent = comments["elements"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["commentsSummary"]["totalFirstLevelComments"].as_i64() > Some(0))
            .and_then(|c| c["commentUrn"].as_str())
            .map(str::to_string);
        if parent.is_some() {
            break;
        }
    }
    let parent = parent.expect("the mock has a comment with replies");
    requests.push((
        "comments_on_comment",
        format!("socialActions/{}/comments?start=0&count=100", enc(&parent)),
    ));
    let (_, fstats) = mock_get(&http, &base, &requests[3].1).await;
    if let Some(geo) = fstats["elements"][0]["followerCountsByGeoCountry"][0]["geo"].as_str() {
        let id = geo.rsplit(':').next().unwrap();
        requests.push(("geo_batch_get", format!("geo?ids=List({id})")));
    }

    let corpus: std::collections::BTreeMap<String, Value> = corpus()
        .into_iter()
        .map(|(n, v)| (n.trim_end_matches(".json").to_string(), v))
        .collect();
    let mut report = Vec::new();
    for (name, path) in &requests {
        let doc = &corpus
            .get(*name)
            .unwrap_or_else(|| panic!("no corpus file {name}.json"))["response"];
        let (status, body) = mock_get(&http, &base, path).await;
        if status != 200 {
            report.push(format!(
                "{name}: the mock answered {status} to GET /rest/{path}: {body}"
            ));
            continue;
        }
        let (mut d, mut m) = (BTreeSet::new(), BTreeSet::new());
        key_paths(doc, "", false, &mut d);
        key_paths(&body, "", false, &mut m);
        let (d, m) = (comparable(&d), comparable(&m));
        // Only one direction is checked: every field the mock sends must be a documented
        // one, under the documented parent. The other direction (documented fields the mock
        // leaves out) depends on the data: optional fields (an impersonator, a video's media,
        // a refused id in `errors`) appear in one answer and not another.
        let invented: Vec<&String> = m.difference(&d).collect();
        if !invented.is_empty() {
            report.push(format!(
                "{name}: the mock sends fields that LinkedIn's documented answer does not have: {invented:?}"
            ));
        }
    }
    let _ = stop.send(());
    assert!(report.is_empty(), "mock vs corpus:\n{}", report.join("\n"));
}
