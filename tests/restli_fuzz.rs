//! The connector's real request builders against the mock's Rest.li parser: whatever
//! URNs LinkedIn hands us (any Unicode, Rest.li syntax characters included), the requests
//! the connector builds parse back to exactly those values. And the mock's parser never
//! panics on arbitrary input. `make fuzz` runs many more cases (PROPTEST_CASES).

use linkedin_mock::restli::{parse_value, percent_decode, Query};
use proptest::prelude::*;
use source_linkedin_pages::domain::urn::{PostKind, PostUrn};
use source_linkedin_pages::streams::{find, Endpoint};

fn endpoint(name: &str) -> Endpoint {
    find(name).unwrap().endpoint
}

/// The query string of a path built by the connector.
fn query(path: &str) -> Query {
    let q = path.split_once('?').map(|(_, q)| q);
    Query::parse(q, true).unwrap_or_else(|e| panic!("{path}: {e}"))
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

    /// `shares=List(..)` and the organization finder parameter round-trip.
    #[test]
    fn post_batches_round_trip(org in "\\PC{1,30}", items in prop::collection::vec("\\PC{1,20}", 1..8)) {
        let Endpoint::PostBatch(stats) = endpoint("post_statistics") else { panic!() };
        let posts: Vec<PostUrn> = items.iter().map(PostUrn::new).collect();
        let refs: Vec<&PostUrn> = posts.iter().collect();
        let q = query(&stats.path(&org, PostKind::Share, &refs));
        prop_assert_eq!(q.list("shares").unwrap(), Some(items));
        prop_assert_eq!(q.scalar("organizationalEntity").unwrap(), Some(org));
    }

    /// A post URN as a path key (comments) and inside `(entity:..)` (reactions).
    #[test]
    fn post_keys_round_trip(urn in "\\PC{1,40}", start in 0usize..100_000) {
        let post = PostUrn::new(urn.clone());
        let Endpoint::PostPaged(comments) = endpoint("post_comments") else { panic!() };
        let path = comments.path(&post, start);
        let key = path.split('/').nth(1).unwrap();
        prop_assert_eq!(percent_decode(key), Some(urn.clone()));
        prop_assert_eq!(query(&path).uint("start").unwrap(), Some(start as u64));
        let Endpoint::PostPaged(reactions) = endpoint("post_reactions") else { panic!() };
        let path = reactions.path(&post, start);
        let key = path.split('?').next().unwrap().strip_prefix("reactions/").unwrap();
        let parsed = parse_value(key).unwrap();
        prop_assert_eq!(parsed.get("entity").and_then(|v| v.as_scalar()), Some(urn.as_str()));
    }
}
