//! The one secret scrubber. Every text that may quote a request or a response (error
//! bodies, transport errors, OAuth answers, log lines, panic messages) passes through
//! [`scrub`] before it reaches stdout or stderr.
//!
//! Secrets are registered when they are created ([`crate::config::Secret::new`] and its
//! deserialiser call [`register`]), so a token minted mid-sync is covered too. Each is
//! removed in every form an echoing server or proxy may show it: raw, JSON-escaped,
//! URL-encoded (upper and lower hex, `+` or `%20` for spaces) and base64 (standard and
//! URL-safe alphabets, at every byte alignment, so a secret inside a longer base64 value
//! such as `Basic base64(id:secret)` is found too). Independently of what is registered,
//! the value of any `Authorization` header and any `Bearer` credential is removed.

use std::sync::RwLock;

/// What replaces a secret.
pub const REDACTED: &str = "**REDACTED**";

/// Secrets shorter than this are not scrubbed: replacing every "ab" would destroy the
/// message and protect nothing (no LinkedIn credential is that short).
const MIN_SECRET_CHARS: usize = 4;

/// Every registered form of every secret, longest first (so a longer form is replaced
/// before a shorter one it contains).
static NEEDLES: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers a secret value: from now on [`scrub`] removes it in every form.
pub fn register(secret: &str) {
    if secret.chars().count() < MIN_SECRET_CHARS {
        return;
    }
    let forms = forms_of(secret);
    let mut needles = NEEDLES.write().unwrap_or_else(|p| p.into_inner());
    let mut changed = false;
    for f in forms {
        if !needles.contains(&f) {
            needles.push(f);
            changed = true;
        }
    }
    if changed {
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    }
}

/// Removes every registered secret and any `Authorization`/`Bearer` value from `text`.
pub fn scrub(text: &str) -> String {
    let needles = NEEDLES.read().unwrap_or_else(|p| p.into_inner());
    scrub_needles(text, &needles)
}

/// Like [`scrub`], with extra secret values not (yet) registered, e.g. strings of a config
/// that failed to load.
pub fn scrub_with(text: &str, extra: &[String]) -> String {
    let mut needles: Vec<String> = extra
        .iter()
        .filter(|s| s.chars().count() >= MIN_SECRET_CHARS)
        .flat_map(|s| forms_of(s))
        .collect();
    needles.extend(
        NEEDLES
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned(),
    );
    needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    scrub_needles(text, &needles)
}

/// The text a panic prints: the payload and where, scrubbed. (A panic payload has held a
/// pasted token: the old paste clean-up panicked on byte-slicing and printed it.)
pub fn panic_text(payload: &dyn std::any::Any, place: Option<(&str, u32)>) -> String {
    let payload = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    let place = place
        .map(|(file, line)| format!(" at {file}:{line}"))
        .unwrap_or_default();
    scrub(&format!(
        "internal error (a bug in source-linkedin-pages){place}: {payload}\n"
    ))
}

fn scrub_needles(text: &str, needles: &[String]) -> String {
    let mut out = text.to_string();
    for n in needles {
        if !n.is_empty() && out.contains(n.as_str()) {
            out = out.replace(n.as_str(), REDACTED);
        }
    }
    redact_after(&redact_after(&out, "authorization"), "bearer")
}

/// Replaces the value following each case-insensitive occurrence of `key`. After
/// `authorization` the value is the rest of the header or field (it holds a scheme and a
/// credential); after `bearer` and whitespace it is the one word that follows.
fn redact_after(text: &str, key: &str) -> String {
    let header = key == "authorization";
    // ASCII lowercasing keeps every byte offset, so offsets found in `lower` are valid
    // char boundaries in `text` (the key and separators are ASCII).
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some(found) = lower.get(pos..).and_then(|rest| rest.find(key)) {
        let key_end = pos + found + key.len();
        out.push_str(text.get(pos..key_end).unwrap_or_default());
        let rest = text.get(key_end..).unwrap_or_default();
        let after_sep = if header {
            rest.trim_start_matches(['"', '\'', ':', '=', ' ', '\t'])
        } else {
            rest.trim_start_matches([' ', '\t', '+'])
        };
        let sep_len = rest.len() - after_sep.len();
        let value_len = if header {
            after_sep.find(['\r', '\n', '"', '\'', ',', ';', '&', '}', '<'])
        } else {
            after_sep.find(|c: char| c.is_whitespace() || "\"',;&}<)".contains(c))
        }
        .unwrap_or(after_sep.len());
        out.push_str(rest.get(..sep_len).unwrap_or_default());
        let value = after_sep.get(..value_len).unwrap_or_default();
        let is_value =
            sep_len > 0 && !value.trim().is_empty() && !value.trim().starts_with(REDACTED);
        out.push_str(if is_value { REDACTED } else { value });
        pos = key_end + sep_len + value_len;
    }
    out.push_str(text.get(pos..).unwrap_or_default());
    out
}

/// The forms of one secret that may appear in a quoted request or response.
fn forms_of(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    // JSON-escaped: as serde writes it, and with non-ASCII as \uXXXX (Python's default).
    if let Ok(json) = serde_json::to_string(secret) {
        forms.push(json.trim_matches('"').to_string());
    }
    let mut ascii_json = String::new();
    for c in secret.chars() {
        if c.is_ascii() && !matches!(c, '"' | '\\') && !c.is_ascii_control() {
            ascii_json.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                ascii_json.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    forms.push(ascii_json.clone());
    forms.push(ascii_json.to_uppercase().replace("\\U", "\\u"));
    // URL-encoded, as form bodies and query strings carry it.
    let upper = percent(secret, false, false);
    forms.push(upper.clone());
    forms.push(upper.to_ascii_lowercase_hex());
    forms.push(percent(secret, true, false));
    forms.push(percent(secret, false, true));
    // base64 at each alignment inside a longer encoded value, both alphabets.
    for alphabet in [B64_STD, B64_URL] {
        for offset in 0..3 {
            let mut bytes = vec![0u8; offset];
            bytes.extend_from_slice(secret.as_bytes());
            let encoded = base64(&bytes, alphabet);
            // Characters that mix bits of the unknown neighbours are dropped.
            let skip = match offset {
                0 => 0,
                1 => 2,
                _ => 3,
            };
            let full = bytes.len() * 8 / 6;
            if let Some(core) = encoded.get(skip..full) {
                if core.len() >= MIN_SECRET_CHARS {
                    forms.push(core.to_string());
                }
            }
        }
        forms.push(base64(secret.as_bytes(), alphabet));
    }
    forms.retain(|f| f.chars().count() >= MIN_SECRET_CHARS);
    forms.sort();
    forms.dedup();
    forms
}

/// Percent-encodes every byte but RFC 3986's unreserved ones; `plus` writes a space as
/// `+` (HTML forms); `keep_slash` leaves `/` as is (Python's `quote`).
fn percent(value: &str, plus: bool, keep_slash: bool) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else if plus && b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

trait LowerHex {
    fn to_ascii_lowercase_hex(&self) -> String;
}

impl LowerHex for String {
    /// `%2F` → `%2f`, leaving the unencoded characters as they are.
    fn to_ascii_lowercase_hex(&self) -> String {
        let mut out = String::with_capacity(self.len());
        let mut hex_left = 0;
        for c in self.chars() {
            if c == '%' {
                hex_left = 2;
                out.push(c);
            } else if hex_left > 0 {
                hex_left -= 1;
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }
}

const B64_STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64 without padding (padding depends on what follows the secret).
fn base64(bytes: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = ((n >> (18 - 6 * i)) & 63) as usize;
            out.push(char::from(alphabet.get(idx).copied().unwrap_or(b'A')));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std_b64(s: &str) -> String {
        base64(s.as_bytes(), B64_STD)
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        // RFC 4648 §10, without padding.
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(std_b64(plain), enc);
        }
    }

    #[test]
    fn every_form_of_a_registered_secret_is_removed() {
        let secret = "cAn+ary/9=&%é€x";
        register(secret);
        let texts = [
            secret.to_string(),
            percent(secret, false, false),
            percent(secret, false, false).to_ascii_lowercase_hex(),
            percent(secret, true, true),
            serde_json::to_string(secret).unwrap(),
            std_b64(secret),
            base64(secret.as_bytes(), B64_URL),
            // Inside a longer base64 value, at each alignment: Basic auth of id:secret.
            std_b64(&format!("id:{secret}")),
            std_b64(&format!("i:{secret}")),
            std_b64(&format!("idx:{secret}")),
            "{\"token\":\"cAn+ary/9=&%\\u00e9\\u20acx\"}".to_string(),
        ];
        for t in texts {
            let s = scrub(&format!("echo: {t} end"));
            assert!(!s.contains(&t), "not scrubbed: {t} -> {s}");
            assert!(s.contains(REDACTED), "{s}");
        }
    }

    #[test]
    fn authorization_and_bearer_values_are_removed_whatever_they_are() {
        let cases = [
            "GET / HTTP/1.1\r\nAuthorization: Bearer unregistered-1\r\nHost: x",
            "{\"headers\":{\"authorization\":\"Bearer unregistered-1\"}}",
            "AUTHORIZATION=Basic dW5yZWdpc3RlcmVkLTE=&x=1",
            "token was bearer unregistered-1, rejected",
        ];
        for c in cases {
            let s = scrub(c);
            assert!(!s.contains("unregistered-1"), "{s}");
            assert!(!s.contains("dW5yZWdpc3RlcmVkLTE"), "{s}");
        }
        // Text without a credential is left alone, including non-ASCII around the key
        // and advice that names the scheme.
        let advice = "paste the token without a 'Bearer ' prefix, then retry";
        assert_eq!(scrub(advice), advice);
        let plain = "é Authorization: ñ";
        assert!(scrub(plain).starts_with("é Authorization: "));
        assert_eq!(scrub("no secrets here ✓"), "no secrets here ✓");
    }

    #[test]
    fn panic_text_never_holds_a_secret() {
        register("pänic-sécret+/=");
        let payload: Box<dyn std::any::Any + Send> = Box::new(String::from(
            "byte index 7 is not a char boundary in `Bearer pänic-sécret+/=`",
        ));
        let t = panic_text(payload.as_ref(), Some(("src/config.rs", 1)));
        assert!(
            !t.contains("pänic-sécret") && t.contains("src/config.rs:1"),
            "{t}"
        );
        let caught = std::panic::catch_unwind(|| {
            std::panic::panic_any("Authorization: Bearer unregistered-xyz")
        })
        .unwrap_err();
        let t = panic_text(caught.as_ref(), None);
        assert!(!t.contains("unregistered-xyz"), "{t}");
    }

    #[test]
    fn short_values_are_not_scrubbed() {
        register("ab");
        assert_eq!(scrub("abc"), "abc");
    }

    #[test]
    fn scrub_with_covers_unregistered_values() {
        let s = scrub_with("x=ünreg+istered%", &["ünreg+istered%".to_string()]);
        assert_eq!(s, format!("x={REDACTED}"));
    }
}
