//! The mock's authorization code flow, by hand: the consent page, its Allow and Deny
//! answers, and the code exchange's rules (one use, same redirect URI, expiry, client).

use std::time::Duration;

use linkedin_mock::{serve, Scenario};
use serde_json::Value;

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const REDIRECT_ENC: &str = "http%3A%2F%2F127.0.0.1%3A9%2Fcallback";

struct Mock {
    base: String,
    http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start() -> Mock {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let scenario = Scenario {
        now_ms: Some(1_795_132_800_000),
        ..Scenario::default()
    };
    tokio::spawn(serve(listener, scenario, async {
        let _ = rx.await;
    }));
    Mock {
        base: format!("http://{addr}"),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _stop: tx,
    }
}

impl Mock {
    async fn page(&self, query: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}/oauth/v2/authorization?{query}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
    /// Posts the consent form; returns the status and the Location header.
    async fn decide(&self, form: &str) -> (u16, String) {
        let r = self
            .http
            .post(format!("{}/oauth/v2/authorization", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .send()
            .await
            .unwrap();
        let loc = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (r.status().as_u16(), loc)
    }
    async fn token(&self, form: &str) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/oauth/v2/accessToken", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
    async fn code(&self, state: &str) -> String {
        let (status, loc) = self
            .decide(&format!("response_type=code&client_id=mock-client&redirect_uri={REDIRECT_ENC}&state={state}&scope=r_organization_social+r_social_engagement&decision=Allow"))
            .await;
        assert_eq!(status, 302);
        let query = loc.strip_prefix(&format!("{REDIRECT}?")).unwrap();
        assert!(query.ends_with(&format!("&state={state}")), "{loc}");
        query
            .strip_prefix("code=")
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_string()
    }
}

fn exchange_form(code: &str, redirect: &str) -> String {
    format!("grant_type=authorization_code&code={code}&client_id=mock-client&client_secret=mock-secret&redirect_uri={redirect}")
}

#[tokio::test]
async fn the_consent_page_has_one_form_with_allow_and_deny() {
    let m = start().await;
    let (status, html) = m
        .page(&format!("response_type=code&client_id=mock-client&redirect_uri={REDIRECT_ENC}&state=s%3C1&scope=r_organization_social%20r_organization_followers"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<form").count(), 1);
    assert!(html.contains("value=\"Allow\"") && html.contains("value=\"Deny\""));
    assert!(html.contains("<code>r_organization_social</code>"));
    assert!(html.contains("<code>r_organization_followers</code>"));
    // The state travels in the form, escaped.
    assert!(html.contains("name=\"state\" value=\"s&lt;1\""), "{html}");
}

#[tokio::test]
async fn bad_requests_get_an_error_page_not_a_redirect() {
    let m = start().await;
    for (query, says) in [
        (
            format!("response_type=code&client_id=someone&redirect_uri={REDIRECT_ENC}&state=s"),
            "not a known application",
        ),
        (
            "response_type=code&client_id=mock-client&state=s".to_string(),
            "no redirect_uri",
        ),
        (
            format!("response_type=token&client_id=mock-client&redirect_uri={REDIRECT_ENC}"),
            "response_type",
        ),
    ] {
        let (status, html) = m.page(&query).await;
        assert_eq!(status, 400, "{query}");
        assert!(html.contains(says), "{query}: {html}");
        assert!(!html.contains("<form"), "{query}");
    }
}

#[tokio::test]
async fn deny_redirects_with_the_documented_error_and_the_state() {
    let m = start().await;
    let (status, loc) = m
        .decide(&format!("response_type=code&client_id=mock-client&redirect_uri={REDIRECT_ENC}&state=xyz&scope=r_organization_social&decision=Deny"))
        .await;
    assert_eq!(status, 302);
    assert!(
        loc.starts_with(&format!(
            "{REDIRECT}?error=user_cancelled_authorize&error_description="
        )) && loc.ends_with("&state=xyz"),
        "{loc}"
    );
    let (status, loc) = m
        .decide(&format!("response_type=code&client_id=mock-client&redirect_uri={REDIRECT_ENC}&state=xyz&scope=w_everything&decision=Allow"))
        .await;
    assert_eq!(status, 302);
    assert!(loc.contains("error=unauthorized_scope_error"), "{loc}");
}

#[tokio::test]
async fn a_code_is_exchanged_once_for_the_documented_fields() {
    let m = start().await;
    let code = m.code("st1").await;
    let (status, body) = m.token(&exchange_form(&code, REDIRECT_ENC)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["access_token"], "mock-token");
    assert_eq!(body["refresh_token"], "mock-refresh");
    assert_eq!(body["expires_in"], 5_184_000);
    assert_eq!(body["refresh_token_expires_in"], 31_536_000);
    assert_eq!(body["scope"], "r_organization_social,r_social_engagement");
    let (status, body) = m.token(&exchange_form(&code, REDIRECT_ENC)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn the_exchange_checks_redirect_uri_client_and_expiry() {
    let m = start().await;
    let code = m.code("a").await;
    let (status, body) = m
        .token(&exchange_form(
            &code,
            "http%3A%2F%2F127.0.0.1%3A10%2Fcallback",
        ))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_redirect_uri"))
    );
    let code = m.code("b").await;
    let (status, body) = m
        .token(&format!("grant_type=authorization_code&code={code}&client_id=mock-client&client_secret=wrong&redirect_uri={REDIRECT_ENC}"))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = m
        .token("grant_type=authorization_code&client_id=mock-client&client_secret=mock-secret")
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let code = m.code("c").await;
    m.http
        .post(format!("{}/__mock/clock", m.base))
        .body(r#"{"advance_ms": 1900000}"#)
        .send()
        .await
        .unwrap();
    let (status, body) = m.token(&exchange_form(&code, REDIRECT_ENC)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // The refresh grant still works next to the code grant.
    let (status, body) = m
        .token("grant_type=refresh_token&refresh_token=mock-refresh&client_id=mock-client&client_secret=mock-secret")
        .await;
    assert_eq!(
        (status, body["access_token"].as_str()),
        (200, Some("mock-token"))
    );
}
