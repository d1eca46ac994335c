//! The `posts` record: a post (share or ugcPost) authored by the page, from the Posts API.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{org_id, Cursor, Extra, JsonObject, Record, RecordCtx, Timestamp};

typed! {
    /// Whether the author edited the post.
    pub struct LifecycleStateInfo {
        pub is_edited_by_author: Option<bool>,
    }
}

typed! {
    /// A post (share or ugcPost) authored by the page.
    pub struct Post {
        /// The post URN (urn:li:share:… or urn:li:ugcPost:…).
        pub id: String,
        #[serde(skip_deserializing)]
        pub organization: String,
        #[serde(skip_deserializing)]
        pub organization_id: Option<i64>,
        pub author: Option<String>,
        /// Text in LinkedIn's little-text format (mentions and hashtags inline).
        pub commentary: Option<String>,
        pub visibility: Option<String>,
        pub lifecycle_state: Option<String>,
        pub lifecycle_state_info: Option<LifecycleStateInfo>,
        pub is_reshare_disabled_by_author: Option<bool>,
        pub distribution: Option<JsonObject>,
        /// One of media, article, multiImage, poll, celebration, reference, carousel.
        pub content: Option<JsonObject>,
        /// "video", "image", "article", "multi_image", "poll", "document", "text" or "other".
        #[serde(skip_deserializing)]
        pub content_type: String,
        pub content_landing_page: Option<String>,
        pub content_call_to_action_label: Option<String>,
        pub reshare_context: Option<JsonObject>,
        pub ad_context: Option<JsonObject>,
        pub created_at: Option<Timestamp>,
        pub published_at: Option<Timestamp>,
        /// The cursor.
        pub last_modified_at: Option<Timestamp>,
    }
}

/// The kind of content a post carries, from its `content` object.
pub fn content_type(content: Option<&JsonObject>) -> &'static str {
    let Some(c) = content else {
        return "text";
    };
    if let Some(id) = c
        .get("media")
        .and_then(|m| m.get("id"))
        .and_then(Value::as_str)
    {
        return if id.starts_with("urn:li:video:") {
            "video"
        } else if id.starts_with("urn:li:document:") {
            "document"
        } else {
            "image"
        };
    }
    for (key, kind) in [
        ("article", "article"),
        ("multiImage", "multi_image"),
        ("poll", "poll"),
        ("carousel", "carousel"),
    ] {
        if c.contains_key(key) {
            return kind;
        }
    }
    "other"
}

impl Record for Post {
    fn enrich(&mut self, ctx: &RecordCtx) {
        self.organization = ctx.organization.to_string();
        self.organization_id = org_id(ctx.organization);
        self.content_type = content_type(self.content.as_ref()).to_string();
    }
    fn cursor(&self) -> Option<Cursor> {
        self.last_modified_at.and_then(Timestamp::cursor)
    }
}
