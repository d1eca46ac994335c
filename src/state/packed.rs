//! The compact form of per-post counts written in a state (see [`pack`]) and reading it
//! back.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::PostCounts;

/// The compact form of per-post counts, so a state stays small at tens of thousands of
/// posts: URNs are grouped by prefix (`urn:li:share:`, `urn:li:ugcPost:`); within a
/// prefix the numeric ids are sorted and written as base64 (URL-safe, unpadded) varints,
/// each the difference to the previous id followed by the count. Posts with no activity
/// are left out (the engine treats a post missing from the counts as having had none).
/// URNs that do not end in a number are kept as they are under `"other"`.
pub(super) fn pack(counts: &PostCounts) -> Value {
    pack_pairs(counts.iter().map(|(urn, &n)| (urn.as_str(), n)))
}

/// [`pack`] over any `(post URN, count)` pairs, so a set of posts packs without first
/// being copied into a map.
pub(super) fn pack_pairs<'a>(counts: impl IntoIterator<Item = (&'a str, u64)>) -> Value {
    let mut groups: BTreeMap<&str, Vec<(u64, u64)>> = BTreeMap::new();
    let mut other = Map::new();
    for (urn, n) in counts {
        if n == 0 {
            continue;
        }
        match split_urn(urn) {
            Some((prefix, id)) => groups.entry(prefix).or_default().push((id, n)),
            None => {
                other.insert(urn.to_string(), json!(n));
            }
        }
    }
    let mut out = Map::new();
    for (prefix, mut ids) in groups {
        ids.sort_unstable();
        let mut bytes = Vec::with_capacity(ids.len() * 9);
        let mut prev = 0u64;
        for (id, n) in ids {
            put_varint(&mut bytes, id - prev);
            put_varint(&mut bytes, n);
            prev = id;
        }
        out.insert(prefix.to_string(), json!(URL_SAFE_NO_PAD.encode(bytes)));
    }
    if !other.is_empty() {
        out.insert("other".into(), Value::Object(other));
    }
    Value::Object(out)
}

/// Reads [`pack`]'s form back; `None` names what is wrong.
pub(super) fn unpack(v: &Value) -> std::result::Result<PostCounts, String> {
    let obj = v.as_object().ok_or("must be an object")?;
    let mut counts = PostCounts::new();
    for (key, val) in obj {
        if key == "other" {
            let o = val.as_object().ok_or("'other' must be an object")?;
            for (urn, n) in o {
                let n = n.as_u64().ok_or(format!("other.{urn} must be a count"))?;
                counts.insert(urn.clone(), n);
            }
            continue;
        }
        let text = val
            .as_str()
            .ok_or(format!("'{key}' must be a base64 string"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|e| format!("'{key}' is not base64 ({e})"))?;
        let mut at = 0;
        let mut id = 0u64;
        while at < bytes.len() {
            let delta = get_varint(&bytes, &mut at).ok_or(format!("'{key}' is truncated"))?;
            let n = get_varint(&bytes, &mut at).ok_or(format!("'{key}' is truncated"))?;
            id = id
                .checked_add(delta)
                .ok_or(format!("'{key}' holds an id out of range"))?;
            counts.insert(format!("{key}{id}"), n);
        }
    }
    Ok(counts)
}

/// `urn:li:share:123` → (`urn:li:share:`, 123), when the id is a canonical number.
fn split_urn(urn: &str) -> Option<(&str, u64)> {
    let cut = urn.rfind(':')? + 1;
    let (prefix, digits) = urn.split_at(cut);
    let id: u64 = digits.parse().ok()?;
    (id.to_string() == digits && prefix != "other").then_some((prefix, id))
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}
