//! Property tests over every parser that takes outside input: config, catalog, state and
//! API elements (each stream's decoder). The property: no panic, and every failure is an
//! error that names its input. `make fuzz` runs many more cases (PROPTEST_CASES).

use proptest::prelude::*;
use serde_json::{json, Value};
use source_linkedin_pages::catalog::parse_configured;
use source_linkedin_pages::config::{Config, Granularity};
use source_linkedin_pages::state::State;
use source_linkedin_pages::streams::records::RecordCtx;
use source_linkedin_pages::streams::STREAMS;

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-zA-Z0-9:_ .\\-]{0,24}".prop_map(Value::String),
        prop_oneof![
            Just("2026-01-01"),
            Just("urn:li:organization:1"),
            Just("2026-02-30"),
            Just("9999-12-31T23:59:59Z"),
            Just("")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-z_]{1,12}",
                    Just("credentials".to_string()),
                    Just("auth_method".to_string()),
                    Just("access_token".to_string()),
                    Just("organization_ids".to_string()),
                    Just("start_date".to_string()),
                    Just("streams".to_string()),
                    Just("stream".to_string()),
                    Just("name".to_string()),
                    Just("sync_mode".to_string()),
                    Just("type".to_string()),
                    Just("stream_state".to_string()),
                    Just("states".to_string()),
                    Just("bookmarks".to_string()),
                    Just("timeRange".to_string()),
                    Just("start".to_string()),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid config with one field replaced by arbitrary JSON.
fn mutated_config() -> impl Strategy<Value = Value> {
    let fields = prop_oneof![
        Just("credentials"),
        Just("organization_ids"),
        Just("start_date"),
        Just("lookback_window_days"),
        Just("time_granularity"),
        Just("api_version"),
        Just("max_concurrency"),
        Just("api_base_url"),
        Just("org_id"),
    ];
    (fields, any_json()).prop_map(|(f, v)| {
        let mut c = json!({"credentials": {"auth_method": "access_token", "access_token": "fuzz-secret-token"}});
        c[f] = v;
        c
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn config_never_panics_or_leaks(v in prop_oneof![any_json(), mutated_config()]) {
        if let Err(e) = Config::from_value("config.json", &mut v.clone()) {
            let m = e.to_string();
            prop_assert!(m.starts_with("config.json: "), "{}", m);
            prop_assert!(!m.contains("fuzz-secret-token"), "{}", m);
        }
    }

    /// Pasted tokens in any script (a non-ASCII character once panicked the clean-up,
    /// and the panic message printed the token): no panic, and no error shows the token.
    #[test]
    fn any_pasted_token_is_cleaned_without_panic_or_leak(
        pre in prop_oneof![Just(""), Just("Bearer "), Just("\""), Just("bearer\u{a0}"), Just(" 'Bearer ")],
        tok in "[^\\x00-\\x1f]{1,24}",
        post in prop_oneof![Just(""), Just("\""), Just("'"), Just("\n")],
    ) {
        let raw = format!("{pre}{tok}{post}");
        let _ = source_linkedin_pages::config::clean_token(&raw);
        let v = json!({"credentials": {"auth_method": "access_token", "access_token": raw}, "api_version": "bad"});
        if let Err(e) = Config::from_value("config.json", &mut v.clone()) {
            if tok.trim().chars().count() >= 4 {
                prop_assert!(!e.to_string().contains(tok.trim()), "{}", e);
            }
        }
    }

    /// The scrubber over arbitrary text (any script) with an arbitrary secret in it.
    #[test]
    fn scrub_removes_any_secret_from_any_text(
        secret in "[^\\x00-\\x1f]{4,20}",
        before in "\\PC{0,20}",
        after in "\\PC{0,20}",
    ) {
        source_linkedin_pages::scrub::register(&secret);
        let out = source_linkedin_pages::scrub::scrub(&format!("{before}{secret}{after}"));
        prop_assert!(!out.contains(&secret), "{}", out);
    }

    #[test]
    fn config_text_never_panics(s in "\\PC{0,64}") {
        let _ = Config::from_json("config.json", &s);
    }

    #[test]
    fn catalog_never_panics(v in any_json()) {
        if let Err(e) = parse_configured("catalog.json", &v.to_string()) {
            prop_assert!(e.to_string().starts_with("catalog.json: "));
        }
    }

    #[test]
    fn state_never_panics(v in any_json(), raw in "\\PC{0,48}") {
        let now = chrono::Utc::now();
        for text in [v.to_string(), raw] {
            if let Err(e) = State::parse("state.json", &text, &["urn:li:organization:1".to_string()], now) {
                prop_assert!(e.to_string().starts_with("state.json: "));
            }
        }
    }

    #[test]
    fn every_decoder_survives_any_element(v in any_json(), stream in 0..STREAMS.len()) {
        let def = &STREAMS[stream];
        let ctx = RecordCtx { organization: "urn:li:organization:1", granularity: Granularity::DAY,
            snapshot_date: chrono::NaiveDate::default(), post: Some("urn:li:share:1"), variant: Some("VIEWER") };
        let mut out = Vec::new();
        if (def.decode)(&ctx, &v.to_string(), &mut out).is_ok() {
            // Whatever decoded must be valid JSON.
            prop_assert!(serde_json::from_slice::<Value>(&out).is_ok());
        }
    }
}
