//! The code-for-token exchange of `auth`: `POST {oauth_base}/accessToken` with
//! `grant_type=authorization_code`, as LinkedIn's authorization code flow documents.

use std::time::Duration;

use serde::Deserialize;

use crate::config::{self, Secret};
use crate::error::{Error, Result};
use crate::linkedin::restli::encode;

/// The token endpoint's answer (fields as documented; all optional so a partial answer
/// produces a clear error rather than a decode failure).
#[derive(Debug, Default, Deserialize)]
pub(super) struct TokenResponse {
    pub(super) access_token: Option<String>,
    pub(super) expires_in: Option<i64>,
    pub(super) refresh_token: Option<String>,
    pub(super) refresh_token_expires_in: Option<i64>,
    pub(super) scope: Option<String>,
    pub(super) error: Option<String>,
    pub(super) error_description: Option<String>,
}

/// `POST {oauth_base}/accessToken` with the code.
pub(super) async fn exchange(
    oauth_base: &str,
    client_id: &str,
    client_secret: &Secret,
    code: &str,
    redirect_uri: &str,
    timeout: Duration,
) -> Result<TokenResponse> {
    let url = format!("{oauth_base}/accessToken");
    let form = format!(
        "grant_type=authorization_code&code={}&client_id={}&client_secret={}&redirect_uri={}",
        encode(code),
        encode(client_id),
        encode(client_secret.expose()),
        encode(redirect_uri)
    );
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("source-linkedin-pages/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))?;
    let resp = http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .map_err(|e| {
            Error::Transient(format!(
                "cannot reach LinkedIn's token endpoint {url}: {}",
                e.without_url()
            ))
        })?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap_or_default();
    let parsed: TokenResponse = serde_json::from_slice(&body).unwrap_or_default();
    let secrets = [client_secret.expose().to_string(), code.to_string()];
    match (status, &parsed.access_token) {
        (200, Some(t)) if !t.is_empty() => Ok(parsed),
        (200, _) => Err(Error::Api {
            status,
            endpoint: "oauth/v2/accessToken".into(),
            code: None,
            message:
                "LinkedIn's token endpoint answered without an access_token; run the command again"
                    .into(),
            failure: crate::error::FailureType::System,
        }),
        _ => {
            let code_name = parsed
                .error
                .clone()
                .unwrap_or_else(|| format!("HTTP {status}"));
            let why = config::scrub(
                parsed.error_description.as_deref().unwrap_or_default(),
                &secrets,
            );
            let advice = match code_name.as_str() {
                "invalid_client" => "LinkedIn rejected the client ID or client secret: copy both again from the app's Auth tab",
                "invalid_grant" => "the code was refused (codes are single-use and expire within minutes, and the redirect URL must match): run the command again",
                "invalid_redirect_uri" => "the redirect URL is not registered for the app: add the one printed above on the app's Auth tab",
                _ if status >= 500 => "LinkedIn's OAuth service failed; try again later",
                _ => "check the client ID, client secret and registered redirect URL",
            };
            Err(Error::Api {
                status,
                endpoint: "oauth/v2/accessToken".into(),
                code: Some(code_name.clone()),
                message: format!(
                    "exchanging the code for a token failed ({code_name}{}): {advice}.",
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!(": {why}")
                    }
                ),
                failure: if status >= 500 {
                    crate::error::FailureType::Transient
                } else {
                    crate::error::FailureType::Config
                },
            })
        }
    }
}
