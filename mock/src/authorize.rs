//! The member-facing half of LinkedIn's authorization code flow
//! (<https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow>):
//! the consent page at `GET /oauth/v2/authorization`, its form's answer, and the
//! `grant_type=authorization_code` exchange at `POST /oauth/v2/accessToken`.
//!
//! The page has one form whose submit buttons carry the values `Allow` and `Deny`. Allow
//! redirects (302) to `redirect_uri` with `code` and the same `state`; Deny with
//! `error=user_cancelled_authorize`, `error_description` and `state`, as LinkedIn does when
//! the member refuses. Codes are single-use, tied to the redirect URI they were issued
//! for, and expire after 30 minutes of mock clock. There is no sign-in step: the mock's
//! member is already signed in.

use axum::body::Body;
use axum::http::{HeaderValue, Method};
use axum::response::Response;
use serde_json::{json, Value};

use crate::restli::percent_decode;
use crate::{ApiError, AppState};

/// The one client the mock knows (its secret is checked by the token endpoint).
const CLIENT_ID: &str = "mock-client";
/// How long a code stays valid, ms of mock clock.
const CODE_TTL_MS: i64 = 30 * 60 * 1000;

/// An issued, not yet exchanged code.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    redirect_uri: String,
    scopes: Vec<String>,
    issued_ms: i64,
}

/// Query or form pairs, decoded.
fn pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .filter(|(k, _)| !k.is_empty())
        .filter_map(|(k, v)| Some((percent_decode(k)?, percent_decode(v)?)))
        .collect()
}

fn get<'a>(p: &'a [(String, String)], key: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Percent-encodes for a query value (RFC 3986 unreserved kept).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn html(status: u16, title: &str, body: &str) -> Response {
    let text = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\n<body style=\"font-family:sans-serif;max-width:36em;margin:3em auto;line-height:1.4\">\n<p style=\"color:#0a66c2;font-weight:bold;font-size:1.4em\">LinkedIn (mock)</p>\n<h1>{t}</h1>\n{body}\n</body></html>\n",
        t = escape(title)
    );
    let mut r = crate::plain(status, Body::from(text));
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

fn error_page(message: &str) -> Response {
    html(
        400,
        "Authorization request rejected",
        &format!("<p id=\"error\">{}</p>", escape(message)),
    )
}

/// The request's parameters when they are acceptable; else the page LinkedIn shows
/// instead of redirecting (an unknown client or a missing redirect URI cannot be
/// redirected to safely).
fn validate(p: &[(String, String)]) -> Result<(String, String, Vec<String>), String> {
    if get(p, "response_type") != Some("code") {
        return Err("response_type must be \"code\" (the authorization code flow).".into());
    }
    match get(p, "client_id") {
        Some(CLIENT_ID) => {}
        None | Some("") => return Err("The request has no client_id.".into()),
        Some(other) => {
            return Err(format!(
                "The client_id \"{other}\" is not a known application."
            ))
        }
    }
    let redirect_uri = match get(p, "redirect_uri") {
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => u.to_string(),
        Some(u) if !u.is_empty() => {
            return Err(format!(
                "The redirect_uri \"{u}\" is not an absolute http(s) URL."
            ))
        }
        _ => return Err("The request has no redirect_uri.".into()),
    };
    if redirect_uri.contains('#') {
        return Err("A redirect_uri cannot include a #.".into());
    }
    let scopes: Vec<String> = get(p, "scope")
        .unwrap_or_default()
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Ok((
        redirect_uri,
        get(p, "state").unwrap_or_default().to_string(),
        scopes,
    ))
}

fn redirect(to: &str, params: &[(&str, &str)]) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    let location = format!("{to}{sep}{}", query.join("&"));
    let mut r = crate::plain(302, Body::empty());
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert("location", v);
    }
    r
}

/// `GET /oauth/v2/authorization` (the consent page) and `POST` of its form.
pub(crate) fn authorization(
    state: &AppState,
    method: &Method,
    query: Option<&str>,
    body: &[u8],
) -> Response {
    if *method == Method::GET {
        let p = pairs(query.unwrap_or_default());
        let (redirect_uri, st, scopes) = match validate(&p) {
            Ok(v) => v,
            Err(why) => return error_page(&why),
        };
        let hidden = |name: &str, value: &str| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            )
        };
        let unknown: Vec<&String> = scopes
            .iter()
            .filter(|s| !crate::ALL_SCOPES.contains(&s.as_str()))
            .collect();
        let list: String = scopes
            .iter()
            .map(|s| format!("<li><code>{}</code></li>", escape(s)))
            .collect();
        let body = format!(
            "<p><b>{CLIENT_ID}</b> would like to access your LinkedIn pages with these permissions:</p>\n<ul id=\"scopes\">{list}</ul>\n{note}<p>You will be returned to <code>{ru}</code>.</p>\n<form method=\"post\" action=\"/oauth/v2/authorization\">\n{h1}{h2}{h3}{h4}{h5}\n<input type=\"submit\" name=\"decision\" value=\"Allow\" id=\"allow\" style=\"font-size:1.1em;padding:.4em 1.6em;background:#0a66c2;color:#fff;border:0;border-radius:1em\">\n<input type=\"submit\" name=\"decision\" value=\"Deny\" id=\"deny\" style=\"font-size:1.1em;padding:.4em 1.6em;margin-left:1em\">\n</form>",
            note = if unknown.is_empty() {
                String::new()
            } else {
                "<p>Some of these permissions are not available to this application; allowing will return an error to it.</p>\n".to_string()
            },
            ru = escape(&redirect_uri),
            h1 = hidden("response_type", "code"),
            h2 = hidden("client_id", CLIENT_ID),
            h3 = hidden("redirect_uri", &redirect_uri),
            h4 = hidden("state", &st),
            h5 = hidden("scope", &scopes.join(" ")),
        );
        return html(200, &format!("Allow {CLIENT_ID} access?"), &body);
    }
    if *method != Method::POST {
        return error_page("Use GET for the consent page.");
    }
    let p = pairs(&String::from_utf8_lossy(body));
    let (redirect_uri, st, scopes) = match validate(&p) {
        Ok(v) => v,
        Err(why) => return error_page(&why),
    };
    match get(&p, "decision") {
        Some("Allow") => {
            if let Some(bad) = scopes
                .iter()
                .find(|s| !crate::ALL_SCOPES.contains(&s.as_str()))
            {
                return redirect(
                    &redirect_uri,
                    &[
                        ("error", "unauthorized_scope_error"),
                        (
                            "error_description",
                            &format!("Scope \"{bad}\" is not authorized for your application"),
                        ),
                        ("state", &st),
                    ],
                );
            }
            let now = state.now();
            let code = {
                let mut m = state.lock();
                m.rng ^= m.rng << 13;
                m.rng ^= m.rng >> 7;
                m.rng ^= m.rng << 17;
                let code = format!("mock-code-{:016x}", m.rng);
                m.auth_codes.insert(
                    code.clone(),
                    Grant {
                        redirect_uri: redirect_uri.clone(),
                        scopes,
                        issued_ms: now,
                    },
                );
                code
            };
            redirect(&redirect_uri, &[("code", &code), ("state", &st)])
        }
        Some("Deny") => redirect(
            &redirect_uri,
            &[
                ("error", "user_cancelled_authorize"),
                ("error_description", "The user cancelled the authorization"),
                ("state", &st),
            ],
        ),
        _ => error_page("The form must be answered with Allow or Deny."),
    }
}

fn oauth_error(status: u16, error: &str, description: &str) -> ApiError {
    ApiError {
        status,
        body: json!({"error": error, "error_description": description}),
        retry_after: false,
    }
}

/// `POST /oauth/v2/accessToken` with `grant_type=authorization_code` (the client's
/// credentials are already checked): one use per code, same redirect URI, unexpired.
pub(crate) fn exchange(state: &AppState, form: &[(String, String)]) -> Result<Value, ApiError> {
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let code = get("code").ok_or_else(|| {
        oauth_error(
            400,
            "invalid_request",
            "A required parameter \"code\" is missing",
        )
    })?;
    let redirect_uri = get("redirect_uri").ok_or_else(|| {
        oauth_error(
            400,
            "invalid_request",
            "A required parameter \"redirect_uri\" is missing",
        )
    })?;
    let now = state.now();
    // Removed whatever the outcome: a code is good for one attempt.
    let grant = state.lock().auth_codes.remove(code);
    let invalid = || {
        oauth_error(
            400,
            "invalid_grant",
            "The provided authorization grant or refresh token is invalid, expired or revoked",
        )
    };
    let grant = grant.ok_or_else(invalid)?;
    if now - grant.issued_ms > CODE_TTL_MS {
        return Err(invalid());
    }
    if grant.redirect_uri != redirect_uri {
        return Err(oauth_error(
            400,
            "invalid_redirect_uri",
            "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists",
        ));
    }
    Ok(json!({
        "access_token": "mock-token",
        "expires_in": 5_184_000,
        "refresh_token": "mock-refresh",
        "refresh_token_expires_in": 31_536_000,
        "scope": grant.scopes.join(","),
    }))
}
