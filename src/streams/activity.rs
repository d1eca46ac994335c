//! The socialMetadata gate of the comment and reaction streams: one batched request per
//! 100 posts says how many comments and reactions each post has, so posts with none are
//! skipped and an incremental sync re-reads only the posts whose count changed.
//! <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/social-metadata-api>

use std::collections::HashMap;

use serde::Deserialize;

use crate::domain::urn::PostUrn;
use crate::linkedin::restli::list;

/// The resource the gate reads.
pub(crate) const RESOURCE: &str = "socialMetadata";
/// Posts per socialMetadata BATCH_GET.
pub(crate) const MAX_IDS: usize = 100;

/// The per-post count (from batched socialMetadata) that changes when a child stream of
/// that post has something new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Top-level comments.
    Comments,
    /// Comments and their replies (when replies are read too).
    CommentsWithReplies,
    /// Reactions of every type.
    Reactions,
}

/// (top-level comments, reactions, comments with replies) of one post. Kept for every
/// post of every organization through a read, so 32-bit (a count past 4 billion would
/// saturate; no post has that many comments).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub comments: u32,
    pub reactions: u32,
    pub all_comments: u32,
}

impl Activity {
    /// This activity's count.
    pub(crate) fn of(self, c: Counts) -> u64 {
        u64::from(match self {
            Activity::Comments => c.comments,
            Activity::CommentsWithReplies => c.all_comments,
            Activity::Reactions => c.reactions,
        })
    }

    /// The count to watch when replies are read too: a new reply changes
    /// `commentSummary.count` but not `topLevelCount`.
    pub(crate) fn with_replies(self) -> Activity {
        match self {
            Activity::Comments => Activity::CommentsWithReplies,
            other => other,
        }
    }
}

/// The request for one chunk of at most [`MAX_IDS`] posts.
pub(crate) fn path(posts: &[&PostUrn]) -> String {
    let urns: Vec<&str> = posts.iter().map(|p| p.as_str()).collect();
    format!("{RESOURCE}?ids={}", list(&urns))
}

/// A socialMetadata BATCH_GET response.
#[derive(Deserialize)]
pub(crate) struct MetaBatch {
    #[serde(default)]
    results: HashMap<String, Meta>,
}

#[derive(Deserialize)]
struct Meta {
    /// The post the counts are of. Results are keyed by it, not by the map key: the key
    /// is the request's id string, which LinkedIn may echo in another encoding.
    entity: Option<String>,
    #[serde(rename = "commentSummary")]
    comment_summary: Option<CommentSummary>,
    #[serde(rename = "reactionSummaries", default)]
    reaction_summaries: HashMap<String, ReactionSummary>,
}

#[derive(Deserialize)]
struct CommentSummary {
    #[serde(rename = "topLevelCount")]
    top_level_count: Option<u64>,
    count: Option<u64>,
}

#[derive(Deserialize)]
struct ReactionSummary {
    count: Option<u64>,
}

impl MetaBatch {
    /// The counts per post URN (each result's `entity`, else its key).
    pub(crate) fn counts(self) -> impl Iterator<Item = (String, Counts)> {
        self.results.into_iter().map(|(key, m)| {
            let urn = m.entity.clone().unwrap_or(key);
            let (comments, all_comments) = m
                .comment_summary
                .map(|c| {
                    let all = c.count.or(c.top_level_count).unwrap_or(0);
                    (c.top_level_count.unwrap_or(all), all)
                })
                .unwrap_or_default();
            let reactions: u64 = m.reaction_summaries.values().filter_map(|r| r.count).sum();
            let small = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
            (
                urn,
                Counts {
                    comments: small(comments),
                    reactions: small(reactions),
                    all_comments: small(all_comments),
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_keyed_by_each_results_entity() {
        // The map key is the id as sent (here percent-encoded); `entity` is the post.
        let body = r#"{"results": {
            "urn%3Ali%3Ashare%3A1": {"entity": "urn:li:share:1",
                "commentSummary": {"count": 5, "topLevelCount": 3},
                "reactionSummaries": {"LIKE": {"reactionType": "LIKE", "count": 2},
                                      "PRAISE": {"reactionType": "PRAISE", "count": 4}}},
            "urn:li:ugcPost:2": {"commentSummary": {"count": 1}}
        }, "statuses": {}, "errors": {}}"#;
        let batch: MetaBatch = serde_json::from_str(body).unwrap();
        let counts: HashMap<String, Counts> = batch.counts().collect();
        assert_eq!(
            counts["urn:li:share:1"],
            Counts {
                comments: 3,
                reactions: 6,
                all_comments: 5
            }
        );
        // Without `entity`, the key is all there is.
        assert_eq!(counts["urn:li:ugcPost:2"].comments, 1);
        assert!(!counts.contains_key("urn%3Ali%3Ashare%3A1"));
    }
}
