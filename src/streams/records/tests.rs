//! Decoding tests over every record family: nothing LinkedIn sends is lost or changed,
//! `$` keys get clear names, and the schemas declare exactly what the records carry.

use serde_json::{json, Value};

use super::*;
use crate::streams::{find, STREAMS};

fn ctx<'a>(post: Option<&'a str>, variant: Option<&'a str>) -> RecordCtx<'a> {
    RecordCtx {
        organization: "urn:li:organization:5",
        granularity: Granularity::DAY,
        snapshot_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
        post,
        variant,
    }
}

/// Decodes `element` as the named stream does; the record, or the decoder's error.
fn run(stream: &str, element: &Value) -> Result<Value, String> {
    let def = find(stream).unwrap_or_else(|| panic!("no stream {stream}"));
    let mut out = Vec::new();
    let c = ctx(Some("urn:li:share:1"), Some("seniority"));
    (def.decode)(&c, &element.to_string(), &mut out)?;
    Ok(serde_json::from_slice(&out).unwrap())
}

/// The record must validate against the stream's own schema.
fn assert_valid(stream: &str, record: &Value) {
    let schema = (find(stream).unwrap().schema)();
    let v = jsonschema::draft7::new(&schema).unwrap();
    let errors: Vec<String> = v
        .iter_errors(record)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{stream}: {errors:?}\n{record:#}");
}

#[test]
fn comment_urn_comes_from_comment_urn_then_urn_then_object_and_id() {
    let base = json!({"id": "7", "object": "urn:li:activity:9",
        "created": {"time": 1700000000000_i64}, "message": {"text": "hi"}});
    let r = run("post_comments", &base).unwrap();
    assert_eq!(r["comment_urn"], "urn:li:comment:(urn:li:activity:9,7)");
    assert_valid("post_comments", &r);

    let mut with_urn = base.clone();
    with_urn["$URN"] = json!("urn:li:comment:(urn:li:activity:9,8)");
    let r = run("post_comments", &with_urn).unwrap();
    assert_eq!(r["comment_urn"], "urn:li:comment:(urn:li:activity:9,8)");
    assert_eq!(r["urn"], "urn:li:comment:(urn:li:activity:9,8)");

    let mut both = with_urn.clone();
    both["commentUrn"] = json!("urn:li:comment:(urn:li:ugcPost:3,8)");
    let r = run("post_comments", &both).unwrap();
    assert_eq!(r["comment_urn"], "urn:li:comment:(urn:li:ugcPost:3,8)");
    assert_eq!(
        r["urn"], "urn:li:comment:(urn:li:activity:9,8)",
        "$URN kept too"
    );
    assert_valid("post_comments", &r);

    let err = run(
        "post_comments",
        &json!({"id": "7", "message": {"text": "x"}}),
    )
    .unwrap_err();
    assert!(err.contains("id=7") && err.contains("commentUrn"), "{err}");
}

#[test]
fn dollar_keys_get_clear_names() {
    assert_eq!(column_name("$URN"), "urn");
    assert_eq!(column_name("$recipeType"), "recipe_type");
    assert_eq!(column_name("logoV2"), "logo_v2");
    assert_eq!(
        column_name("pageStatisticsByIndustryV2"),
        "page_statistics_by_industry_v2"
    );
    assert_eq!(column_name("HTMLBody"), "html_body");
    assert_eq!(column_name("already_snake"), "already_snake");
    let r = run(
        "seniorities",
        &json!({"id": 3, "$URN": "urn:li:seniority:3", "$recipeType": "x",
            "name": {"localized": {"en_US": "Senior"}}}),
    )
    .unwrap();
    assert_eq!(r["urn"], "urn:li:seniority:3");
    assert_eq!(r["additional_fields"]["recipe_type"], "x");
    let r = run(
        "organizations",
        &json!({"id": 5, "$URN": "urn:li:organization:5"}),
    )
    .unwrap();
    assert_eq!(r["urn"], "urn:li:organization:5");
    assert_valid("organizations", &r);
    // No schema anywhere names a column the old way (`_u_r_n`) or keeps a `$`.
    fn walk(v: &Value, at: &str) {
        if let Value::Object(o) = v {
            if let Some(Value::Object(props)) = o.get("properties") {
                for k in props.keys() {
                    assert_eq!(&column_name(k), k, "{at}: column {k} is not in column form");
                }
            }
            for (k, c) in o {
                walk(c, &format!("{at}/{k}"));
            }
        }
    }
    for s in STREAMS {
        walk(&(s.schema)(), s.name);
    }
}

#[test]
fn colliding_unknown_keys_keep_both_values() {
    let r = run(
        "geo",
        &json!({"id": 1, "fooBar": 1, "foo_bar": 2, "$fooBar": 3}),
    )
    .unwrap();
    let extra = r["additional_fields"].as_object().unwrap();
    let mut values: Vec<i64> = extra.values().map(|v| v.as_i64().unwrap()).collect();
    values.sort_unstable();
    assert_eq!(values, [1, 2, 3], "{extra:?}");
    assert_eq!(
        extra["foo_bar"], 2,
        "the key already in column form keeps its name"
    );
}

#[test]
fn unknown_fields_are_kept_at_every_depth_and_declared() {
    let element = json!({
        "commentUrn": "urn:li:comment:(urn:li:activity:9,7)", "id": "7",
        "object": "urn:li:activity:9",
        "created": {"time": 1700000000000_i64, "actorType": "MEMBER"},
        "likesSummary": {"totalLikes": 2, "selectedLikes": ["urn:li:like:(a,b)"],
            "aggregatedTotalLikes": 3, "likedByCurrentUser": false, "newCount": {"deepValue": 1}},
        "commentsSummary": {"selectedComments": ["urn:li:comment:(urn:li:activity:9,8)"],
            "aggregatedTotalComments": 1, "totalFirstLevelComments": 1},
        "message": {"text": "t", "attributes": [], "format": "PLAIN"},
        "topLevelNew": {"someKey": [1, 2]}
    });
    let r = run("post_comments", &element).unwrap();
    assert_eq!(
        r["likes_summary"]["selected_likes"],
        json!(["urn:li:like:(a,b)"])
    );
    assert_eq!(r["likes_summary"]["aggregated_total_likes"], 3);
    assert_eq!(
        r["likes_summary"]["additional_fields"]["new_count"],
        json!({"deepValue": 1}),
        "unknown values are kept as sent"
    );
    assert_eq!(
        r["comments_summary"]["selected_comments"][0],
        "urn:li:comment:(urn:li:activity:9,8)"
    );
    assert_eq!(r["created"]["additional_fields"]["actor_type"], "MEMBER");
    assert_eq!(r["message"]["additional_fields"]["format"], "PLAIN");
    assert_eq!(
        r["additional_fields"]["top_level_new"],
        json!({"someKey": [1, 2]})
    );
    assert!(
        r.get("top_level_new").is_none(),
        "no undeclared top-level column"
    );
    assert_valid("post_comments", &r);

    // Organizations: the fields that used to leak as undeclared columns are declared.
    let r = run(
        "organizations",
        &json!({"id": 5, "autoCreated": false, "defaultLocale": {"country": "US", "language": "en"},
            "groups": [], "specialties": ["x"], "created": {"actor": "urn:li:person:a", "time": 1}}),
    )
    .unwrap();
    assert_eq!(r["auto_created"], false);
    assert_eq!(r["default_locale"]["country"], "US");
    assert_eq!(r["additional_fields"]["specialties"], json!(["x"]));
    assert_valid("organizations", &r);
}

#[test]
fn floats_round_trip_exactly() {
    let edges: [f64; 11] = [
        0.09090909090909091,
        0.1,
        0.30000000000000004,
        1.0 / 3.0,
        2.0 / 3.0,
        5e-324,
        2.2250738585072014e-308,
        1.7976931348623157e308,
        -0.0,
        123456789.12345679,
        9007199254740993.0,
    ];
    for x in edges {
        let text = format!(
            r#"{{"organizationalEntity":"urn:li:organization:5","totalShareStatistics":{{"engagement":{x:e},"futureRate":{x:e}}},"ratio":{x:e}}}"#
        );
        let mut out = Vec::new();
        (find("share_statistics").unwrap().decode)(&ctx(None, None), &text, &mut out).unwrap();
        let r: Value = serde_json::from_slice(&out).unwrap();
        let stats = &r["total_share_statistics"];
        for got in [
            &stats["engagement"],
            &stats["additional_fields"]["future_rate"],
            &r["additional_fields"]["ratio"],
        ] {
            let g = got.as_f64().unwrap();
            assert_eq!(g.to_bits(), x.to_bits(), "{x:e} came out as {got}");
        }
    }
}

#[test]
fn old_page_statistics_facets_are_typed_columns() {
    let views = json!({"views": {"allPageViews": {"pageViews": 4}}});
    let element = json!({
        "organization": "urn:li:organization:5",
        "pageStatisticsByCountry": [{"country": "urn:li:country:us", "pageStatistics": views}],
        "pageStatisticsByRegion": [{"region": "urn:li:region:7", "pageStatistics": views}],
        "pageStatisticsByIndustry": [{"industry": "urn:li:industry:4", "pageStatistics": views}],
        "totalPageStatistics": views,
    });
    let r = run("page_statistics", &element).unwrap();
    for (col, key, urn) in [
        ("page_statistics_by_country", "country", "urn:li:country:us"),
        ("page_statistics_by_region", "region", "urn:li:region:7"),
        (
            "page_statistics_by_industry",
            "industry",
            "urn:li:industry:4",
        ),
    ] {
        assert_eq!(r[col][0][key], urn, "{col}");
        assert_eq!(
            r[col][0]["page_statistics"]["views"]["all_page_views"]["page_views"],
            4
        );
    }
    assert!(r.get("additional_fields").is_none(), "{r:#}");
    assert_valid("page_statistics", &r);
    // Absent, the old facets are not written at all.
    let r = run(
        "page_statistics",
        &json!({"organization": "urn:li:organization:5"}),
    )
    .unwrap();
    assert!(r.get("page_statistics_by_country").is_none());

    let r = run(
        "follower_statistics",
        &json!({"organizationalEntity": "urn:li:organization:5",
            "followerCountsByCountry": [{"country": "urn:li:country:fr",
                "followerCounts": {"organicFollowerCount": 2, "paidFollowerCount": 0}}],
            "followerCountsByRegion": [{"region": "urn:li:region:1",
                "followerCounts": {"organicFollowerCount": 1, "paidFollowerCount": 0}}]}),
    )
    .unwrap();
    assert_eq!(
        r["follower_counts_by_country"][0]["follower_counts"]["organic_follower_count"],
        2
    );
    assert_eq!(
        r["follower_counts_by_region"][0]["region"],
        "urn:li:region:1"
    );
    assert_valid("follower_statistics", &r);
}

#[test]
fn nullable_fields_are_not_required_and_typed_objects_are_closed() {
    fn walk(v: &Value, at: &str) {
        let Value::Object(o) = v else { return };
        if let Some(Value::Object(props)) = o.get("properties") {
            assert_eq!(
                o.get("additionalProperties"),
                Some(&json!(false)),
                "{at} is open"
            );
            for name in o
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let p = &props[name.as_str().unwrap()];
                assert!(!is_nullable(p), "{at}: nullable {name} is required");
            }
        }
        for (k, c) in o {
            walk(c, &format!("{at}/{k}"));
        }
    }
    for s in STREAMS {
        walk(&(s.schema)(), s.name);
    }
}

#[test]
fn decode_errors_name_the_element_and_the_field_path() {
    let err = run(
        "post_comments",
        &json!({"commentUrn": "urn:li:comment:(urn:li:activity:9,7)",
            "likesSummary": {"totalLikes": "many"}}),
    )
    .unwrap_err();
    assert!(
        err.contains("commentUrn=urn:li:comment:(urn:li:activity:9,7)"),
        "{err}"
    );
    assert!(err.contains("likesSummary.totalLikes"), "{err}");
    let err = run(
        "posts",
        &json!({"id": "urn:li:share:1", "createdAt": "yesterday"}),
    )
    .unwrap_err();
    assert!(
        err.contains("id=urn:li:share:1") && err.contains("createdAt"),
        "{err}"
    );
}

#[test]
fn known_fields_are_renamed_and_engine_fields_filled() {
    let raw = json!({"timeRange": {"start": 1704067200000_i64, "end": 1704153600000_i64},
        "followerGains": {"organicFollowerGain": -3, "paidFollowerGain": 1},
        "organizationalEntity": "urn:li:organization:5", "newMetricCount": {"deepValue": 7}});
    let r = run("follower_statistics_daily", &raw).unwrap();
    assert_eq!(r["date"], "2024-01-01");
    assert_eq!(r["organization_id"], 5);
    assert_eq!(r["follower_gains"]["organic_follower_gain"], -3);
    assert_eq!(r["time_range"]["start"], "2024-01-01T00:00:00.000Z");
    assert_eq!(r["additional_fields"]["new_metric_count"]["deepValue"], 7);
    assert!(r.get("organizationalEntity").is_none());
    assert_valid("follower_statistics_daily", &r);
}

/// A statistics day's cursor is the day, but only a day a state can carry back: a year
/// before 0000 (written with a sign) is no cursor, as for time cursors.
#[test]
fn a_day_outside_years_0000_to_9999_is_no_cursor() {
    let def = find("follower_statistics_daily").unwrap();
    let cursor = |start: i64| {
        let raw = json!({"timeRange": {"start": start, "end": start + 86_400_000},
            "organizationalEntity": "urn:li:organization:5"});
        (def.decode)(&ctx(None, None), &raw.to_string(), &mut Vec::new()).unwrap()
    };
    assert_eq!(cursor(1_704_067_200_000), Cursor::parse("2024-01-01"));
    assert_eq!(cursor(-62_167_219_200_000), Cursor::parse("0000-01-01"));
    assert_eq!(cursor(-62_200_000_000_000), None);
}

#[test]
fn content_types() {
    let obj = |v: Value| v.as_object().unwrap().clone();
    assert_eq!(
        content_type(Some(&obj(json!({"media": {"id": "urn:li:video:1"}})))),
        "video"
    );
    assert_eq!(content_type(Some(&obj(json!({"article": {}})))), "article");
    assert_eq!(content_type(None), "text");
}

proptest::proptest! {
    /// The fast timestamp text is chrono's, for any millisecond (years 0000..=9999 take the
    /// fast path, the rest chrono's).
    #[test]
    fn timestamps_write_as_chrono_does(ms in -70_000_000_000_000i64..260_000_000_000_000i64) {
        let t = Timestamp(ms);
        proptest::prop_assert_eq!(t.to_rfc3339(), t.chrono_rfc3339());
        proptest::prop_assert_eq!(
            serde_json::to_string(&t).unwrap(),
            format!("\"{}\"", t.chrono_rfc3339())
        );
    }
}

#[test]
fn timestamp_edges_write_as_chrono_does() {
    for ms in [
        0,
        -1,
        1,
        86_399_999,
        -62_167_219_200_000, // 0000-01-01
        -62_167_219_200_001,
        253_402_300_799_999, // 9999-12-31T23:59:59.999
        253_402_300_800_000,
        951_782_400_000, // 2000-02-29
        i64::MAX,
        i64::MIN,
    ] {
        assert_eq!(
            Timestamp(ms).to_rfc3339(),
            Timestamp(ms).chrono_rfc3339(),
            "{ms}"
        );
        // The typed cursor is the one its text (as a state file carries it) parses to;
        // outside years 0000..=9999 there is none (the text has a sign no state reads
        // back, or chrono has no such time at all).
        let in_range = (-62_167_219_200_000..=253_402_300_799_999).contains(&ms);
        let expected = Cursor::parse(&Timestamp(ms).to_rfc3339()).filter(|_| in_range);
        assert_eq!(Timestamp(ms).cursor(), expected, "{ms}");
        assert_eq!(expected.is_some(), in_range, "{ms}");
    }
}

#[test]
fn timestamps_read_as_before() {
    let read = |s: &str| serde_json::from_str::<Timestamp>(s).map_err(|e| e.to_string());
    assert_eq!(read("1789757068494"), Ok(Timestamp(1_789_757_068_494)));
    assert_eq!(read("-5"), Ok(Timestamp(-5)));
    assert_eq!(
        read("\"2026-03-30T09:34:30.664Z\""),
        Ok(Timestamp(1_774_863_270_664))
    );
    assert!(read("1.5").unwrap_err().contains("timestamp out of range"));
    assert!(read("18446744073709551615")
        .unwrap_err()
        .contains("timestamp out of range"));
    assert!(read("\"soon\"")
        .unwrap_err()
        .contains("'soon' is not a timestamp"));
    assert!(read("true")
        .unwrap_err()
        .contains("expected epoch milliseconds, got true"));
    assert!(read("[1,{\"a\":2}]")
        .unwrap_err()
        .contains("expected epoch milliseconds, got [1,{\"a\":2}]"));
    assert!(read("{\"t\":1}")
        .unwrap_err()
        .contains("expected epoch milliseconds, got {\"t\":1}"));
}

/// Decodes `page` element by element, as the careful path does: the records' bytes and
/// cursors.
fn element_by_element(stream: &str, c: &RecordCtx, page: &Value) -> (Vec<u8>, Vec<Option<Cursor>>) {
    let def = find(stream).unwrap();
    let (mut out, mut cursors) = (Vec::new(), Vec::new());
    for e in page["elements"].as_array().unwrap() {
        cursors.push((def.decode)(c, &e.to_string(), &mut out).unwrap());
        out.push(b'\n');
    }
    (out, cursors)
}

/// Issue 17: the one-pass page decoder writes exactly what decoding each element on its
/// own writes, for LinkedIn's recorded pages and for elements full of edge cases.
#[test]
fn a_page_decodes_in_one_pass_as_element_by_element() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recorded");
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.to_string_lossy().to_string();
        let Some(body_path) = name.strip_suffix(".provenance.json") else {
            continue;
        };
        let prov: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        // Collection pages of a stream (discovery's organizationAcls pages have none).
        let stream = prov["stream"].as_str().unwrap_or_default();
        if prov["elements_at"] == "elements" && find(stream).is_some() {
            let body = std::fs::read_to_string(format!("{body_path}.json")).unwrap();
            pages.push((stream.to_string(), body));
        }
    }
    assert!(
        pages.len() >= 5,
        "recorded collection pages: {}",
        pages.len()
    );
    let comment = |i: i64| {
        json!({"$URN": format!("urn:li:comment:(urn:li:activity:9,{i})"), "id": i.to_string(),
            "object": "urn:li:activity:9", "actor": "urn:li:organization:5",
            "message": {"text": "quote \" backslash \\ tab \t é 🎉 \u{1}", "attributes": [{"x": 0.1}]},
            "created": {"time": 1_700_000_000_000_i64 + i}, "lastModified": {"time": 1_800_000_000_000_i64 - i},
            "likesSummary": {"totalLikes": i, "newCount": {"deep": [1.5e300, -0.0, 0.09090909090909091]}},
            "unknownTop": {"$key": null}})
    };
    let synthetic = json!({"paging": {"start": 0, "count": 3, "links": [], "total": 3},
        "elements": [comment(1), comment(2), comment(3)], "other": [1, {"a": "b"}]});
    pages.push(("post_comments".into(), synthetic.to_string()));
    let reactions = json!({"elements": [
        {"id": "urn:li:reaction:(urn:li:person:a,urn:li:activity:9)", "reactionType": "LIKE",
         "created": {"time": 5, "actor": "urn:li:person:a"}, "root": "urn:li:activity:9"},
        {"id": "urn:li:reaction:(urn:li:person:b,urn:li:activity:9)", "reactionType": "PRAISE"}]});
    pages.push(("post_reactions".into(), reactions.to_string()));

    let c = ctx(Some("urn:li:share:1"), Some("VIDEO_VIEW"));
    for (stream, body) in &pages {
        let def = find(stream).unwrap();
        let page = (def.decode_page)(&c, body.as_bytes())
            .unwrap_or_else(|e| panic!("{stream}: one pass failed: {e}"));
        let value: Value = serde_json::from_str(body).unwrap();
        let (out, cursors) = element_by_element(stream, &c, &value);
        assert_eq!(
            String::from_utf8_lossy(&page.out),
            String::from_utf8_lossy(&out),
            "{stream}: the one pass wrote other bytes"
        );
        let got: Vec<Option<Cursor>> = page.records.iter().map(|(_, c)| *c).collect();
        assert_eq!(got, cursors, "{stream}: cursors");
        assert_eq!(
            page.records.len(),
            value["elements"].as_array().unwrap().len()
        );
        let last = page.records.len() - 1;
        assert_eq!(
            page.record(last),
            out[..out.len() - 1].rsplit(|&b| b == b'\n').next().unwrap(),
            "{stream}: the last record's line"
        );
        match (&page.paging, value.get("paging")) {
            (Some(raw), Some(p)) => {
                assert_eq!(&serde_json::from_str::<Value>(raw.get()).unwrap(), p)
            }
            (None, None) => {}
            (got, sent) => panic!("{stream}: paging {got:?} for {sent:?}"),
        }
    }
}

/// Anything the careful path would treat differently makes the one pass fail (the engine
/// then decodes the page element by element): an element that does not decode, a record
/// without its key, and an envelope that is not one collection.
#[test]
fn the_one_pass_fails_on_what_it_cannot_decode_exactly() {
    let c = ctx(Some("urn:li:share:1"), None);
    let def = find("post_comments").unwrap();
    let good = json!({"commentUrn": "urn:li:comment:(urn:li:activity:9,1)", "id": "1"});
    for (why, body) in [
        ("a field of the wrong type", json!({"elements": [good, {"commentUrn": "urn:li:comment:(a,2)", "created": {"time": "soon"}}]}).to_string()),
        ("no key to build the comment URN from", json!({"elements": [good, {"actor": "urn:li:person:a"}]}).to_string()),
        ("not an object", json!({"elements": [good, 7]}).to_string()),
        ("no elements", json!({"paging": {"total": 0}}).to_string()),
        ("elements twice", r#"{"elements":[],"elements":[]}"#.to_string()),
        ("text after the page", format!("{} x", json!({"elements": [good]}))),
        ("a truncated page", json!({"elements": [good, good]}).to_string().chars().take(40).collect()),
    ] {
        assert!(
            (def.decode_page)(&c, body.as_bytes()).is_err(),
            "{why}: the one pass accepted {body}"
        );
    }
    let page = (def.decode_page)(&c, json!({"elements": []}).to_string().as_bytes()).unwrap();
    assert!(page.records.is_empty() && page.out.is_empty() && page.paging.is_none());
}
