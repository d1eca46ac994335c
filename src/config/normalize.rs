//! Turning what users hand us into our config: the Python connector's field names,
//! a missing `auth_method` inferred from the fields given, paste mistakes cleaned from
//! tokens, and the secrets of a config collected so errors never show them.

use serde_json::Value;

use super::{Config, Credentials, Secret};

/// What `clean_token` changed, so `check` can tell the user.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TokenFixes {
    pub removed_bearer: bool,
    pub removed_quotes: bool,
    pub removed_whitespace: bool,
}

impl TokenFixes {
    /// A sentence describing the fixes, or `None` when the token was clean.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.removed_bearer {
            parts.push("a leading 'Bearer '");
        }
        if self.removed_quotes {
            parts.push("surrounding quotes");
        }
        if self.removed_whitespace {
            parts.push("whitespace or line breaks");
        }
        (!parts.is_empty()).then(|| {
            format!(
                "The pasted token contained {}; it was used without them (paste only the token itself).",
                parts.join(", ")
            )
        })
    }
}

/// Cleans the paste mistakes people make: a leading `Bearer `, quotes, whitespace and
/// line breaks anywhere (LinkedIn tokens contain none of these).
pub fn clean_token(raw: &str) -> (String, TokenFixes) {
    let mut fixes = TokenFixes::default();
    let mut s = raw.trim();
    if s.len() != raw.len() {
        fixes.removed_whitespace = true;
    }
    loop {
        let before = s;
        for q in ['"', '\''] {
            if let Some(inner) = s.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
                s = inner.trim();
                fixes.removed_quotes = true;
            }
        }
        // `get` and not slicing: byte 7 of a pasted token may fall inside a character.
        if let (Some(head), Some(tail)) = (s.get(..7), s.get(7..)) {
            if head.eq_ignore_ascii_case("bearer ") && !tail.trim().is_empty() {
                s = tail.trim();
                fixes.removed_bearer = true;
            }
        }
        if s == before {
            break;
        }
    }
    let cleaned: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if cleaned.len() != s.len() {
        fixes.removed_whitespace = true;
    }
    (cleaned, fixes)
}

/// Rewrites the Airbyte Python connector's field names into ours, in place.
pub(super) fn normalise_legacy(v: &mut Value) {
    let Some(obj) = v.as_object_mut() else { return };
    if !obj.contains_key("organization_ids") {
        if let Some(org) = obj.remove("org_id") {
            obj.insert("organization_ids".into(), Value::Array(vec![org]));
        }
    }
    if !obj.contains_key("time_granularity") {
        if let Some(g) = obj.remove("time_granularity_type") {
            obj.insert("time_granularity".into(), g);
        }
    }
}

/// Every string under `credentials` (and any key that looks secret), to scrub from errors.
pub fn secret_strings(v: &Value) -> Vec<String> {
    fn walk(v: &Value, secret: bool, out: &mut Vec<String>) {
        match v {
            Value::String(s) if secret && s.len() >= 4 => out.push(s.clone()),
            Value::Object(m) => {
                for (k, child) in m {
                    let k = k.to_ascii_lowercase();
                    let is_secret = secret
                        || k == "credentials"
                        || k.contains("token")
                        || k.contains("secret")
                        || k.contains("password");
                    walk(child, is_secret, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, secret, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, false, &mut out);
    out.retain(|s| !matches!(s.as_str(), "access_token" | "oauth2.0" | "oAuth2.0"));
    out
}

/// Fills in `credentials.auth_method` when it is missing but the fields say which form is
/// meant: Meltano's `--custom` prompts and hand-written configs often set only the secrets.
/// `access_token` alone means the token form; `client_id`, `client_secret` and
/// `refresh_token` mean OAuth 2.0. Anything else is left for the parser to reject with
/// its own message.
pub(super) fn infer_auth_method(value: &mut Value) {
    let Some(creds) = value.get_mut("credentials").and_then(Value::as_object_mut) else {
        return;
    };
    if creds.contains_key("auth_method") {
        return;
    }
    // Meltano may pass settings it has no value for as empty strings.
    let has = |k: &str| {
        creds
            .get(k)
            .is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
    };
    let oauth = has("client_id") && has("client_secret") && has("refresh_token");
    let method = if oauth {
        "oauth2.0"
    } else if has("access_token") {
        "access_token"
    } else {
        return;
    };
    creds.insert("auth_method".into(), Value::String(method.into()));
}

/// Removes the given secrets (and every registered one) from `text`, in all the forms
/// [`crate::scrub`] knows.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    crate::scrub::scrub_with(text, secrets)
}

impl Config {
    pub(super) fn clean_secrets(&mut self) {
        let fix = |s: &mut Secret| *s = Secret::new(clean_token(s.expose()).0);
        match &mut self.credentials {
            Credentials::AccessToken { access_token } => {
                let (cleaned, fixes) = clean_token(access_token.expose());
                *access_token = Secret::new(cleaned);
                self.token_fixes = fixes;
            }
            Credentials::OAuth2 {
                client_id,
                client_secret,
                refresh_token,
            } => {
                fix(client_id);
                fix(client_secret);
                fix(refresh_token);
            }
        }
    }
}
