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
    /// Reactions of every type.
    Reactions,
}

/// (top-level comments, reactions) of one post.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub comments: u64,
    pub reactions: u64,
}

impl Activity {
    /// This activity's count.
    pub(crate) fn of(self, c: Counts) -> u64 {
        match self {
            Activity::Comments => c.comments,
            Activity::Reactions => c.reactions,
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
    /// The counts per post URN.
    pub(crate) fn counts(self) -> impl Iterator<Item = (String, Counts)> {
        self.results.into_iter().map(|(urn, m)| {
            let comments = m
                .comment_summary
                .and_then(|c| c.top_level_count.or(c.count))
                .unwrap_or(0);
            let reactions = m.reaction_summaries.values().filter_map(|r| r.count).sum();
            (
                urn,
                Counts {
                    comments,
                    reactions,
                },
            )
        })
    }
}
