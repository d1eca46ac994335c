//! The mock's Rest.li parser never panics, and what the connector's encoding rules produce
//! round-trips through it.

use linkedin_mock::restli::{parse_value, percent_decode, Query, RValue};
use proptest::prelude::*;

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics(s in "[A-Za-z0-9:(),%.~_ List-]{0,64}") {
        let _ = parse_value(&s);
        let _ = percent_decode(&s);
        if let Ok(q) = Query::parse(Some(&s), true) {
            let _ = q.time_intervals();
            let _ = q.list("ids");
        }
    }

    #[test]
    fn encoded_lists_round_trip(items in prop::collection::vec("\\PC{1,20}", 1..8)) {
        let raw = format!("List({})", items.iter().map(|i| encode(i)).collect::<Vec<_>>().join(","));
        let parsed = parse_value(&raw).unwrap();
        prop_assert_eq!(parsed, RValue::List(items.into_iter().map(RValue::Scalar).collect()));
    }
}
