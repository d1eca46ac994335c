//! The mock's own Rest.li query parser, strict like LinkedIn's.
//!
//! It shares nothing with the connector's encoder on purpose: if both sides used one
//! implementation they could agree on the same mistake. Protocol 2.0 values are parsed
//! structurally (`List(..)`, `(key:value)`), and scalars must be percent-encoded so that
//! `:`, `(`, `)` and `,` inside a URN cannot be confused with the syntax. Protocol 1.0
//! (no `X-Restli-Protocol-Version` header) uses dotted and repeated parameters instead.

use std::collections::BTreeMap;

/// A parsed Rest.li 2.0 value.
#[derive(Debug, Clone, PartialEq)]
pub enum RValue {
    Scalar(String),
    List(Vec<RValue>),
    Object(BTreeMap<String, RValue>),
}

impl RValue {
    pub fn as_scalar(&self) -> Option<&str> {
        match self {
            RValue::Scalar(s) => Some(s),
            _ => None,
        }
    }
    pub fn get(&self, key: &str) -> Option<&RValue> {
        match self {
            RValue::Object(m) => m.get(key),
            _ => None,
        }
    }
}

/// Percent-decodes `s`; `None` when an escape is malformed or the result is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Parses one Rest.li 2.0 value from its raw (still percent-encoded) query text.
pub fn parse_value(raw: &str) -> Result<RValue, String> {
    let mut p = Parser {
        s: raw.as_bytes(),
        pos: 0,
        raw,
    };
    let v = p.value()?;
    if p.pos != p.s.len() {
        return Err(format!(
            "unexpected '{}' at offset {}",
            &raw[p.pos..],
            p.pos
        ));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    raw: &'a str,
}

impl Parser<'_> {
    fn value(&mut self) -> Result<RValue, String> {
        if self.raw[self.pos..].starts_with("List(") {
            self.pos += 5;
            let mut items = Vec::new();
            if self.peek() == Some(b')') {
                self.pos += 1;
                return Ok(RValue::List(items));
            }
            loop {
                items.push(self.value()?);
                match self.next() {
                    Some(b',') => continue,
                    Some(b')') => return Ok(RValue::List(items)),
                    _ => return Err("unterminated List(".into()),
                }
            }
        }
        if self.peek() == Some(b'(') {
            self.pos += 1;
            let mut map = BTreeMap::new();
            if self.peek() == Some(b')') {
                self.pos += 1;
                return Ok(RValue::Object(map));
            }
            loop {
                let key = self.scalar()?;
                if self.next() != Some(b':') {
                    return Err(format!("expected ':' after key '{key}'"));
                }
                let v = self.value()?;
                map.insert(key, v);
                match self.next() {
                    Some(b',') => continue,
                    Some(b')') => return Ok(RValue::Object(map)),
                    _ => return Err("unterminated object".into()),
                }
            }
        }
        Ok(RValue::Scalar(self.scalar()?))
    }

    fn scalar(&mut self) -> Result<String, String> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if matches!(c, b'(' | b')' | b',' | b':') {
                break;
            }
            self.pos += 1;
        }
        let text = &self.raw[start..self.pos];
        percent_decode(text).ok_or_else(|| format!("bad percent-encoding in '{text}'"))
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let c = self.peek();
        self.pos += 1;
        c
    }
}

/// A request's query string, split but not yet interpreted.
#[derive(Debug, Default)]
pub struct Query {
    /// (decoded key, raw value) in order.
    pairs: Vec<(String, String)>,
    /// Whether the request declared Rest.li protocol 2.0.
    pub v2: bool,
}

impl Query {
    pub fn parse(raw: Option<&str>, v2: bool) -> Result<Query, String> {
        let mut pairs = Vec::new();
        for part in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let key = percent_decode(k).ok_or_else(|| format!("bad query key '{k}'"))?;
            pairs.push((key, v.to_string()));
        }
        Ok(Query { pairs, v2 })
    }

    /// The raw (undecoded) value of a parameter.
    pub fn raw(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    /// A scalar parameter. Under 2.0 it must parse as a Rest.li scalar (so an URN with
    /// raw `:` is rejected); under 1.0 it is plain percent-decoded text.
    pub fn scalar(&self, key: &str) -> Result<Option<String>, String> {
        let Some(raw) = self.raw(key) else {
            return Ok(None);
        };
        if self.v2 {
            match parse_value(raw).map_err(|e| format!("parameter '{key}': {e}"))? {
                RValue::Scalar(s) => Ok(Some(s)),
                _ => Err(format!("parameter '{key}' must be a scalar")),
            }
        } else {
            percent_decode(raw)
                .map(Some)
                .ok_or_else(|| format!("parameter '{key}': bad encoding"))
        }
    }

    /// A list parameter: 2.0 `key=List(a,b)`; 1.0 repeated `key=a&key=b` or `key[0]=a`.
    pub fn list(&self, key: &str) -> Result<Option<Vec<String>>, String> {
        if self.v2 {
            let Some(raw) = self.raw(key) else {
                return Ok(None);
            };
            match parse_value(raw).map_err(|e| format!("parameter '{key}': {e}"))? {
                RValue::List(items) => items
                    .into_iter()
                    .map(|i| match i {
                        RValue::Scalar(s) => Ok(s),
                        _ => Err(format!("parameter '{key}': list items must be scalars")),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                _ => Err(format!("parameter '{key}' must be List(...)")),
            }
        } else {
            let prefix = format!("{key}[");
            let items: Vec<String> = self
                .pairs
                .iter()
                .filter(|(k, _)| k == key || k.starts_with(&prefix))
                .filter_map(|(_, v)| percent_decode(v))
                .collect();
            Ok(if items.is_empty() { None } else { Some(items) })
        }
    }

    /// `timeIntervals` as (start ms, end ms, granularity). 2.0 syntax
    /// `(timeRange:(start:..,end:..),timeGranularityType:DAY)`; the dotted 1.0 form
    /// `timeIntervals.timeRange.start=..` is accepted under both protocols, as LinkedIn's
    /// own Postman collection relies on.
    pub fn time_intervals(&self) -> Result<Option<(i64, i64, String)>, String> {
        let bad = |what: &str| format!("Invalid timeIntervals parameter: {what}");
        if let Some(raw) = self.raw("timeIntervals") {
            if !self.v2 {
                return Err(bad(
                    "Rest.li 2.0 syntax sent without X-Restli-Protocol-Version: 2.0.0",
                ));
            }
            let v = parse_value(raw).map_err(|e| bad(&e))?;
            let range = v.get("timeRange").ok_or_else(|| bad("missing timeRange"))?;
            let num = |k: &str| -> Result<i64, String> {
                range
                    .get(k)
                    .and_then(RValue::as_scalar)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad(&format!("timeRange.{k} must be epoch milliseconds")))
            };
            let gran = v
                .get("timeGranularityType")
                .and_then(RValue::as_scalar)
                .ok_or_else(|| bad("missing timeGranularityType"))?;
            return Ok(Some((num("start")?, num("end")?, gran.to_string())));
        }
        let dotted = |k: &str| {
            self.raw(&format!("timeIntervals.{k}"))
                .and_then(percent_decode)
        };
        let (start, end, gran) = (
            dotted("timeRange.start"),
            dotted("timeRange.end"),
            dotted("timeGranularityType"),
        );
        if start.is_none() && end.is_none() && gran.is_none() {
            return Ok(None);
        }
        let start = start
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("timeRange.start"))?;
        let end = end
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("timeRange.end"))?;
        Ok(Some((start, end, gran.unwrap_or_else(|| "DAY".into()))))
    }

    /// An unsigned integer parameter such as `start` or `count`.
    pub fn uint(&self, key: &str) -> Result<Option<u64>, String> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("parameter '{key}' must be a non-negative integer")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_objects_and_encoded_scalars() {
        let v = parse_value("List(urn%3Ali%3Ashare%3A1,urn%3Ali%3Ashare%3A2)").unwrap();
        assert_eq!(
            v,
            RValue::List(vec![
                RValue::Scalar("urn:li:share:1".into()),
                RValue::Scalar("urn:li:share:2".into())
            ])
        );
        let t = parse_value("(timeRange:(start:1,end:2),timeGranularityType:DAY)").unwrap();
        assert_eq!(
            t.get("timeGranularityType").unwrap().as_scalar(),
            Some("DAY")
        );
    }

    #[test]
    fn rejects_raw_urn_inside_list_and_unbalanced() {
        assert!(parse_value("List(urn:li:share:1)").is_err());
        assert!(parse_value("List(a,b").is_err());
        assert!(parse_value("(a:1").is_err());
        let q = Query::parse(Some("author=urn:li:organization:1"), true).unwrap();
        assert!(q.scalar("author").is_err());
    }

    #[test]
    fn protocol_one_uses_dotted_and_repeated_params() {
        let q = Query::parse(
            Some("ids=1&ids=2&timeIntervals.timeRange.start=5&timeIntervals.timeRange.end=9&timeIntervals.timeGranularityType=DAY"),
            false,
        )
        .unwrap();
        assert_eq!(q.list("ids").unwrap().unwrap(), vec!["1", "2"]);
        assert_eq!(q.time_intervals().unwrap(), Some((5, 9, "DAY".into())));
        let q2 = Query::parse(
            Some("timeIntervals=(timeRange:(start:1,end:2),timeGranularityType:DAY)"),
            false,
        )
        .unwrap();
        assert!(q2.time_intervals().is_err());
    }
}
