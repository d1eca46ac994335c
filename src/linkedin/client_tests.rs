//! Tests of the client against the in-process mock: the token store and OAuth retries.
use super::*;

/// A mock LinkedIn on a local port, serving until the test ends.
async fn mock() -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let scenario = linkedin_mock::Scenario {
        now_ms: Some(chrono::Utc::now().timestamp_millis()),
        ..Default::default()
    };
    tokio::spawn(linkedin_mock::serve(listener, scenario, async {
        let _ = stopped.await;
    }));
    (url, stop)
}

async fn control(url: &str, method: reqwest::Method, path: &str, body: &str) -> serde_json::Value {
    let http = reqwest::Client::new();
    let resp = http
        .request(method, format!("{url}/__mock/{path}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap_or_default()
}

fn settings(url: &str) -> ClientSettings {
    ClientSettings {
        api_base_url: format!("{url}/rest"),
        api_version: "202609".into(),
        auth: Auth::OAuth(OAuth {
            client_id: Secret::new("mock-client"),
            client_secret: Secret::new("mock-secret"),
            refresh_token: Secret::new("mock-refresh"),
            base_url: format!("{url}/oauth/v2"),
        }),
        request_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            ..RetryPolicy::new(2)
        },
        max_concurrency: 8,
        max_requests: None,
        secrets: vec![],
    }
}

const ACLS: &str =
    "organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start=0&count=10";

async fn minted(url: &str) -> serde_json::Value {
    let stats = control(url, reqwest::Method::GET, "stats", "{}").await;
    stats["endpoints"]["oauth/v2/accessToken"]["200"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_mints_once_and_concurrent_401s_refresh_once() {
    let (url, _stop) = mock().await;
    let client = Client::new(settings(&url)).unwrap();
    // Eight requests start together: one mint serves them all.
    let starts = (0..8).map(|_| client.ensure_token());
    futures_util::future::try_join_all(starts).await.unwrap();
    assert_eq!(minted(&url).await, 1);
    assert_eq!(client.tokens.current().1, 1);
    // Eight requests refused with token version 1 ask for a renewal together: one
    // refresh, and all of them then hold version 2.
    let renewals = (0..8).map(|_| client.renew(1));
    futures_util::future::try_join_all(renewals).await.unwrap();
    assert_eq!(minted(&url).await, 2);
    assert_eq!(client.tokens.current().1, 2);
    // A request refused mid-sync renews the token and is retried.
    let fault = r#"{"fault": "expired", "count": 1, "path": "/rest/organizationAcls"}"#;
    control(&url, reqwest::Method::POST, "faults", fault).await;
    client
        .get::<serde_json::Value>("organizationAcls", ACLS, true)
        .await
        .unwrap();
    assert_eq!(minted(&url).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oauth_endpoint_is_retried_on_5xx() {
    let (url, _stop) = mock().await;
    let fault = r#"{"fault": "500", "count": 1, "path": "/oauth/v2/accessToken"}"#;
    control(&url, reqwest::Method::POST, "faults", fault).await;
    let client = Client::new(settings(&url)).unwrap();
    client
        .get::<serde_json::Value>("organizationAcls", ACLS, true)
        .await
        .unwrap();
}
