//! Unit tests of `auth`.
use super::callback::parse_request;
use super::*;
use crate::config::Secret;

#[test]
fn the_authorization_url_encodes_every_value() {
    let scopes = parse_scopes("r_organization_social, r_social_engagement").unwrap();
    let url = authorization_url(
        "https://www.linkedin.com/oauth/v2/",
        "abc 123",
        "http://127.0.0.1:8765/callback",
        "s&t",
        &scopes,
    );
    assert_eq!(
        url,
        "https://www.linkedin.com/oauth/v2/authorization?response_type=code&client_id=abc%20123\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback&state=s%26t\
         &scope=r_organization_social%20r_social_engagement"
    );
}

#[test]
fn scopes_split_on_spaces_and_commas_and_reject_junk() {
    assert_eq!(
        parse_scopes(" a_b,c  a_b\td ").unwrap(),
        vec!["a_b", "c", "d"]
    );
    assert!(parse_scopes(" , ").is_err());
    let e = parse_scopes("r_organization_social&evil=1").unwrap_err();
    assert!(e.to_string().contains("not a LinkedIn scope"), "{e}");
    assert_eq!(parse_scopes(DEFAULT_SCOPES).unwrap().len(), 3);
}

#[test]
fn callbacks_parse_from_the_request_line() {
    let (m, p, cb) =
        parse_request("GET /callback?code=AQ%2Bx-1&state=abc HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .unwrap();
    assert_eq!((m.as_str(), p.as_str()), ("GET", "/callback"));
    assert_eq!(cb.code.as_deref(), Some("AQ+x-1"));
    assert_eq!(cb.state.as_deref(), Some("abc"));
    let (_, _, cb) = parse_request(
        "GET /callback?error=user_cancelled_authorize&error_description=The+member+refused&state=s HTTP/1.1\r\n\r\n",
    )
    .unwrap();
    assert_eq!(cb.error.as_deref(), Some("user_cancelled_authorize"));
    assert_eq!(cb.error_description.as_deref(), Some("The member refused"));
    let (_, p, cb) = parse_request("GET /favicon.ico HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!((p.as_str(), cb), ("/favicon.ico", Callback::default()));
    assert!(parse_request("garbage").is_none());
    assert!(parse_request("GET /callback SMTP/1.0\r\n").is_none());
    // A malformed escape drops the value rather than guessing at it.
    let (_, _, cb) = parse_request("GET /callback?code=%zz&state=a HTTP/1.1\r\n").unwrap();
    assert_eq!(cb.code, None);
}

#[test]
fn the_state_is_checked_before_anything_else() {
    let cb = |code: Option<&str>, state: Option<&str>, error: Option<&str>| Callback {
        code: code.map(Into::into),
        state: state.map(Into::into),
        error: error.map(Into::into),
        error_description: Some("The member refused <b>".into()),
    };
    assert_eq!(
        check_callback(&cb(Some("c"), Some("s1"), None), "s1").unwrap(),
        "c"
    );
    let e = check_callback(&cb(Some("c"), Some("s2"), None), "s1").unwrap_err();
    assert!(e.to_string().contains("state does not match"), "{e}");
    let e = check_callback(&cb(Some("c"), None, None), "s1").unwrap_err();
    assert!(e.to_string().contains("no state"), "{e}");
    // A denial with a forged state is reported as the forgery.
    let e =
        check_callback(&cb(None, Some("x"), Some("user_cancelled_authorize")), "s1").unwrap_err();
    assert!(e.to_string().contains("state does not match"), "{e}");
    let e = check_callback(
        &cb(None, Some("s1"), Some("user_cancelled_authorize")),
        "s1",
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("declined") && e.to_string().contains("user_cancelled_authorize"),
        "{e}"
    );
    assert!(check_callback(&cb(None, Some("s1"), None), "s1").is_err());
}

#[test]
fn states_are_random_and_long() {
    let (a, b) = (new_state().unwrap(), new_state().unwrap());
    assert_eq!(a.len(), 64);
    assert_ne!(a, b);
}

#[test]
fn pages_escape_what_they_show() {
    let p = page("t", "<script>alert(1)</script> & \"x\"");
    assert!(p.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
    assert!(!p.contains("<script>"));
}

fn opts() -> AuthOptions {
    AuthOptions {
        client_id: "cid".into(),
        client_secret: Secret::new("csecret"),
        scopes: DEFAULT_SCOPES.into(),
        oauth_base_url: config::DEFAULT_OAUTH_BASE_URL.into(),
        api_base_url: config::DEFAULT_API_BASE_URL.into(),
        port: 0,
        no_browser: true,
        write_config: None,
        timeout_secs: 1,
    }
}

#[test]
fn the_config_loads_and_uses_the_refresh_token_when_there_is_one() {
    let tokens = TokenResponse {
        access_token: Some("at".into()),
        refresh_token: Some("rt".into()),
        ..TokenResponse::default()
    };
    let cfg = build_config(&opts(), &tokens).unwrap();
    assert_eq!(
        cfg,
        json!({"credentials": {"auth_method": "oauth2.0", "client_id": "cid",
               "client_secret": "csecret", "refresh_token": "rt"}})
    );
    let mut o = opts();
    o.api_base_url = "http://127.0.0.1:9/rest/".into();
    let tokens = TokenResponse {
        access_token: Some("at".into()),
        ..TokenResponse::default()
    };
    let cfg = build_config(&o, &tokens).unwrap();
    assert_eq!(cfg["credentials"]["auth_method"], "access_token");
    assert_eq!(cfg["credentials"]["access_token"], "at");
    assert_eq!(cfg["api_base_url"], "http://127.0.0.1:9/rest");
    assert!(cfg.get("oauth_base_url").is_none());
}

#[test]
fn the_summary_names_what_the_scopes_unlock() {
    let t = TokenResponse {
        refresh_token: Some("rt".into()),
        refresh_token_expires_in: Some(365 * 86_400),
        ..TokenResponse::default()
    };
    let granted = split_scopes("r_organization_social");
    let lines = summary(Some(&granted), &[], &t).join("\n");
    assert!(
        lines.contains("Granted scopes: r_organization_social"),
        "{lines}"
    );
    assert!(
        lines.contains("Streams these scopes unlock: follower_count, posts,"),
        "networkSizes needs no scope upfront, posts need r_organization_social: {lines}"
    );
    assert!(
        lines.contains(
            "Not unlocked: follower_statistics (needs rw_organization_admin or r_organization_admin)"
        ),
        "{lines}"
    );
    assert!(
        lines.contains("Not unlocked: post_reactions (needs r_organization_social_feed)"),
        "only the missing row is named: {lines}"
    );
    assert!(lines.contains("365 days"), "{lines}");
    assert!(!lines.contains("rt"), "{lines}");
}

#[test]
fn the_command_line_maps_to_options() {
    use clap::Parser;
    let cli = crate::cli::Cli::try_parse_from([
        "x",
        "auth",
        "--client-id",
        "id",
        "--client-secret",
        "sec",
        "--no-browser",
    ])
    .unwrap();
    let Ok(crate::cli::Command::Auth(o)) = cli.command() else {
        panic!("not the auth command")
    };
    assert_eq!(
        (o.client_id.as_str(), o.port),
        ("id", crate::cli::DEFAULT_PORT)
    );
    assert_eq!(o.client_secret.expose(), "sec");
    assert!(o.no_browser && o.write_config.is_none());
    assert_eq!(o.scopes, DEFAULT_SCOPES);
    assert_eq!(o.oauth_base_url, config::DEFAULT_OAUTH_BASE_URL);
    assert!(
        !format!("{o:?}").contains("sec\""),
        "the secret prints redacted"
    );
}

#[cfg(unix)]
#[test]
fn configs_are_written_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("auth-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.json");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    write_private(&path, "{}\n").unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temp file left"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
