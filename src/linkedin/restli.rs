//! Rest.li protocol 2.0 encoding for query strings and path keys.
//!
//! Values (URNs) are percent-encoded with the strict set so their `:` `(` `)` `,` cannot be
//! read as syntax, while the structure LinkedIn parses (`List(..)`, `(key:value)`) stays
//! literal. Query strings are built here by hand so no HTTP library re-encodes them.

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `List(a,b,...)` of encoded values.
pub(crate) fn list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|i| encode(i.as_ref())).collect();
    format!("List({})", inner.join(","))
}

/// The `timeIntervals` value for `[start_ms, end_ms)` at a granularity.
pub(crate) fn time_intervals(start_ms: i64, end_ms: i64, granularity: &str) -> String {
    format!("(timeRange:(start:{start_ms},end:{end_ms}),timeGranularityType:{granularity})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_values_but_not_structure() {
        assert_eq!(
            encode("urn:li:organization:1"),
            "urn%3Ali%3Aorganization%3A1"
        );
        assert_eq!(
            encode("urn:li:comment:(urn:li:activity:1,2)"),
            "urn%3Ali%3Acomment%3A%28urn%3Ali%3Aactivity%3A1%2C2%29"
        );
        assert_eq!(
            list(&["urn:li:share:1", "urn:li:share:2"]),
            "List(urn%3Ali%3Ashare%3A1,urn%3Ali%3Ashare%3A2)"
        );
        assert_eq!(
            time_intervals(1, 2, "DAY"),
            "(timeRange:(start:1,end:2),timeGranularityType:DAY)"
        );
    }
}
