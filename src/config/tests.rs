//! Unit tests of config loading: secrets never printed, the Python connector's config,
//! organization IDs, inferred auth methods, errors naming fields, typo warnings and
//! paste clean-up.

use super::*;
use serde_json::json;

fn load(v: Value) -> Result<Config> {
    Config::from_value("config.json", &mut v.clone())
}

#[test]
fn secret_never_prints() {
    let c = load(
        json!({"credentials": {"auth_method": "access_token", "access_token": "canary-123456"}}),
    )
    .unwrap();
    assert!(!format!("{c:?}").contains("canary"));
    let Credentials::AccessToken { access_token } = &c.credentials else {
        panic!()
    };
    assert_eq!(access_token.expose(), "canary-123456");
    assert_eq!(access_token.to_string(), "**REDACTED**");
}

#[test]
fn accepts_the_python_connectors_config() {
    let c = load(json!({
        "org_id": "2414183",
        "credentials": {"auth_method": "oAuth2.0", "client_id": "a", "client_secret": "b", "refresh_token": "c"},
        "start_date": "2025-01-01T00:00:00Z",
        "time_granularity_type": "MONTH"
    }))
    .unwrap();
    assert_eq!(c.organization_ids, vec!["urn:li:organization:2414183"]);
    assert_eq!(c.time_granularity, Granularity::MONTH);
    assert_eq!(c.start_date, NaiveDate::from_ymd_opt(2025, 1, 1));
    assert!(matches!(c.credentials, Credentials::OAuth2 { .. }));
}

#[test]
fn duplicate_organization_ids_are_read_once() {
    let c = load(
        json!({"credentials": {"auth_method": "access_token", "access_token": "t"},
        "organization_ids": ["2414183", 2414183, "urn:li:organization:2414183", " 02414183", 5, "urn:li:organizationBrand:2414183"]}),
    )
    .unwrap();
    assert_eq!(
        c.organization_ids,
        vec![
            "urn:li:organization:2414183",
            "urn:li:organization:5",
            "urn:li:organizationBrand:2414183"
        ]
    );
}

#[test]
fn infers_auth_method_from_the_fields_given() {
    let c = load(json!({"credentials": {"access_token": "t"}})).unwrap();
    assert!(matches!(c.credentials, Credentials::AccessToken { .. }));
    let c = load(json!({"credentials": {"client_id": "a", "client_secret": "b", "refresh_token": "c", "access_token": ""}})).unwrap();
    assert!(matches!(c.credentials, Credentials::OAuth2 { .. }));
    // Only part of the OAuth form: not guessed, and the error names what is missing.
    let e = load(json!({"credentials": {"client_id": "a", "refresh_token": "c"}})).unwrap_err();
    assert!(e.to_string().contains("auth_method"), "{e}");
    // An explicit method is never overridden.
    let e =
        load(json!({"credentials": {"auth_method": "oauth2.0", "access_token": "t"}})).unwrap_err();
    assert!(e.to_string().contains("client_id"), "{e}");
}

#[test]
fn organization_ids_take_numbers_strings_and_urns() {
    let c = load(
        json!({"credentials": {"auth_method": "access_token", "access_token": "t"},
        "organization_ids": [2414183, " 89758488 ", "urn:li:organizationBrand:5"]}),
    )
    .unwrap();
    assert_eq!(
        c.organization_ids,
        vec![
            "urn:li:organization:2414183",
            "urn:li:organization:89758488",
            "urn:li:organizationBrand:5"
        ]
    );
    let e = load(
        json!({"credentials": {"auth_method": "access_token", "access_token": "t"},
        "organization_ids": ["acme"]}),
    )
    .unwrap_err();
    assert!(e.to_string().contains("organization_ids"), "{e}");
}

#[test]
fn errors_name_the_field_and_never_the_secret() {
    let e = load(json!({})).unwrap_err();
    assert!(e.to_string().contains("credentials"), "{e}");
    let e = load(json!({"credentials": {"auth_method": "magic", "access_token": "canary-abcdef"}}))
        .unwrap_err();
    assert!(
        e.to_string().contains("auth_method") || e.to_string().contains("magic"),
        "{e}"
    );
    assert!(!e.to_string().contains("canary"));
    let e = load(json!({"credentials": {"auth_method": "access_token", "access_token": 12345678}}))
        .unwrap_err();
    assert!(!e.to_string().contains("12345678"), "{e}");
    let e = load(json!({"credentials": {"auth_method": "access_token", "access_token": "t"}, "start_date": "2026-02-30"})).unwrap_err();
    assert!(e.to_string().contains("start_date"), "{e}");
    let e = load(json!({"credentials": {"auth_method": "access_token", "access_token": "t"}, "api_version": "2024-01"})).unwrap_err();
    assert!(e.to_string().contains("api_version"), "{e}");
    let e = Config::from_json("c.json", "{not json").unwrap_err();
    assert!(e.to_string().starts_with("c.json: not valid JSON"), "{e}");
}

#[test]
fn typos_are_warned_with_the_closest_key_and_legacy_keys_are_not() {
    let c = load(
        json!({"credentials": {"auth_method": "access_token", "access_token": "tok1"},
        "organisation_ids": ["1"], "strat_date": "2026-01-01", "zzz": 1}),
    )
    .unwrap();
    assert!(c.organization_ids.is_empty());
    let w = c.warnings.join("\n");
    assert!(
        w.contains("'organisation_ids' is ignored; did you mean 'organization_ids'?"),
        "{w}"
    );
    assert!(
        w.contains("'strat_date' is ignored; did you mean 'start_date'?"),
        "{w}"
    );
    assert!(w.contains("'zzz' is ignored (known keys:"), "{w}");
    let legacy = load(json!({"credentials": {"auth_method": "oAuth2.0", "client_id": "a", "client_secret": "b", "refresh_token": "c"},
        "org_id": 1, "time_granularity_type": "DAY"})).unwrap();
    assert!(legacy.warnings.is_empty(), "{:?}", legacy.warnings);
    let e = load(json!({"credentials": {"auth_method": "access_token", "acess_token": "tok1"}}))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("did you mean 'credentials.access_token'"),
        "{e}"
    );
}

#[test]
fn credentials_in_the_base_url_are_rejected_without_echoing_them() {
    for url in [
        "https://user:pa55word@proxy.example/rest",
        "https://user@proxy.example",
    ] {
        let e = load(
            json!({"credentials": {"auth_method": "access_token", "access_token": "tok1"},
            "api_base_url": url}),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("api_base_url") && e.to_string().contains("user:pass@"),
            "{e}"
        );
        assert!(!e.to_string().contains("pa55word"), "{e}");
    }
}

#[test]
fn cleans_paste_mistakes() {
    let (t, f) = clean_token("  \"Bearer AQX123\n456\"  ");
    assert_eq!(t, "AQX123456");
    assert!(f.removed_bearer && f.removed_quotes && f.removed_whitespace);
    assert_eq!(clean_token("AQX1").1, TokenFixes::default());
    // Non-ASCII where byte 7 falls inside a character used to panic (and print the token).
    for raw in [
        "Beareré xyz",
        "éééééé",
        "\"Bearer ñandú€\"",
        "bearer\u{a0}tok",
        "'ü'",
    ] {
        let _ = clean_token(raw);
    }
    assert_eq!(clean_token("\"Bearer ñandú€\"").0, "ñandú€");
    assert!(clean_token("bearer  abc")
        .1
        .describe()
        .unwrap()
        .contains("Bearer"));
}
