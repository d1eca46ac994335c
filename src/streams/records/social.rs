//! Records of what members do with the page's posts: comments, reactions, and the video
//! metrics of video posts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{AuditStamp, Cursor, Extra, JsonObject, Record, RecordCtx, TimeRange, Timestamp};

typed! {
    /// A comment's text and its mentions (`attributes`).
    pub struct CommentMessage {
        pub text: Option<String>,
        #[serde(default)]
        pub attributes: Vec<JsonObject>,
    }
}

typed! {
    /// Likes of a comment.
    pub struct LikesSummary {
        pub total_likes: Option<i64>,
        pub aggregated_total_likes: Option<i64>,
        pub liked_by_current_user: Option<bool>,
        /// A sample of the likes (like URNs).
        pub selected_likes: Option<Vec<Value>>,
    }
}

typed! {
    /// Replies to a comment.
    pub struct CommentsSummary {
        pub aggregated_total_comments: Option<i64>,
        pub total_first_level_comments: Option<i64>,
        /// A sample of the replies (comment URNs).
        pub selected_comments: Option<Vec<Value>>,
    }
}

typed! {
    /// A comment on one of the page's posts.
    pub struct Comment {
        /// urn:li:comment:(urn:li:activity:…,…): LinkedIn's `commentUrn`, else its `$URN`,
        /// else built from `object` and `id`.
        #[serde(skip_deserializing)]
        pub comment_urn: String,
        /// LinkedIn's `commentUrn` as sent (written as `comment_urn`).
        #[serde(rename(deserialize = "commentUrn"), skip_serializing)]
        pub comment_urn_sent: Option<String>,
        /// LinkedIn's `$URN` of the comment, when sent (older API versions).
        #[serde(rename(deserialize = "$URN"))]
        pub urn: Option<String>,
        pub id: Option<String>,
        /// The post commented on.
        #[serde(skip_deserializing)]
        pub post: String,
        #[serde(skip_deserializing)]
        pub organization: String,
        pub actor: Option<String>,
        pub agent: Option<String>,
        pub object: Option<String>,
        pub parent_comment: Option<String>,
        pub message: Option<CommentMessage>,
        #[serde(default)]
        pub content: Vec<JsonObject>,
        pub created: Option<AuditStamp>,
        pub last_modified: Option<AuditStamp>,
        #[serde(skip_deserializing)]
        pub created_at: Option<Timestamp>,
        /// The cursor.
        #[serde(skip_deserializing)]
        pub last_modified_at: Option<Timestamp>,
        pub likes_summary: Option<LikesSummary>,
        pub comments_summary: Option<CommentsSummary>,
    }
}

/// The comment URN from what the element carries: `commentUrn`, else `$URN`, else
/// `urn:li:comment:({object},{id})`, the form LinkedIn documents for comment URNs
/// (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api:
/// `urn:li:comment:(urn:li:activity:…,…)`, where the first part is the `object` commented
/// on and the second the comment `id`).
pub fn comment_urn(
    comment_urn: Option<&str>,
    urn: Option<&str>,
    object: Option<&str>,
    id: Option<&str>,
) -> Option<String> {
    let given = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
    given(comment_urn)
        .or_else(|| given(urn))
        .or_else(|| match (given(object), given(id)) {
            (Some(object), Some(id)) => Some(format!("urn:li:comment:({object},{id})")),
            _ => None,
        })
}

impl Record for Comment {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.comment_urn = comment_urn(
            self.comment_urn_sent.as_deref(),
            self.urn.as_deref(),
            self.object.as_deref(),
            self.id.as_deref(),
        )
        .unwrap_or_default();
        self.post = ctx.post.unwrap_or_default().to_string();
        self.organization = ctx.organization.to_string();
        self.created_at = self.created.as_ref().and_then(|c| c.time);
        self.last_modified_at = self
            .last_modified
            .as_ref()
            .and_then(|c| c.time)
            .or(self.created_at);
    }
    fn cursor(&self) -> Option<Cursor> {
        self.last_modified_at.and_then(Timestamp::cursor)
    }
    fn check(&self) -> Result<(), String> {
        if self.comment_urn.is_empty() {
            return Err(
                "field `commentUrn`: missing, and neither `$URN` nor `object` with `id` is there to build it from"
                    .to_string(),
            );
        }
        Ok(())
    }
}

typed! {
    /// A reaction (like, celebrate, …) on one of the page's posts.
    pub struct Reaction {
        /// urn:li:reaction:(actor,entity)
        pub id: String,
        #[serde(skip_deserializing)]
        pub post: String,
        #[serde(skip_deserializing)]
        pub organization: String,
        /// LIKE, PRAISE, EMPATHY, INTEREST, APPRECIATION or ENTERTAINMENT.
        pub reaction_type: Option<String>,
        pub root: Option<String>,
        pub created: Option<AuditStamp>,
        pub last_modified: Option<AuditStamp>,
        /// The cursor.
        #[serde(skip_deserializing)]
        pub created_at: Option<Timestamp>,
    }
}

impl Record for Reaction {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.post = ctx.post.unwrap_or_default().to_string();
        self.organization = ctx.organization.to_string();
        self.created_at = self.created.as_ref().and_then(|c| c.time);
    }
    fn cursor(&self) -> Option<Cursor> {
        self.created_at.and_then(Timestamp::cursor)
    }
}

typed! {
    /// A lifetime metric of one video post.
    pub struct VideoStatistic {
        /// The video post (urn:li:ugcPost:…).
        #[serde(rename(deserialize = "entity"), default)]
        pub post: String,
        #[serde(skip_deserializing)]
        pub organization: String,
        /// VIDEO_VIEW, VIEWER, TIME_WATCHED or TIME_WATCHED_FOR_VIDEO_VIEWS (milliseconds).
        #[serde(rename(deserialize = "type"), default)]
        pub metric: String,
        pub value: Option<i64>,
        pub time_range: Option<TimeRange>,
    }
}

impl Record for VideoStatistic {
    fn enrich(&mut self, ctx: &RecordCtx) {
        if self.post.is_empty() {
            self.post = ctx.post.unwrap_or_default().to_string();
        }
        if self.metric.is_empty() {
            self.metric = ctx.variant.unwrap_or_default().to_string();
        }
        self.organization = ctx.organization.to_string();
    }
}
