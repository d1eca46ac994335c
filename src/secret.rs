//! The secret string type. It lives below every other module so that both the config
//! (which parses secrets) and the LinkedIn client (which sends them) use it without
//! depending on each other. Its scrubber, [`crate::scrub`], lives beside it at the bottom
//! for the same reason.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A secret string: `Debug` and `Display` print `**REDACTED**`; only [`Secret::expose`]
/// gives the value, and the spec marks it `airbyte_secret`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value and registers it with [`crate::scrub`], so from now on no message,
    /// log line or panic text can carry it in any form. Every secret is made here,
    /// including the tokens the OAuth refresh mints.
    pub fn new(value: impl Into<String>) -> Secret {
        let value = value.into();
        crate::scrub::register(&value);
        Secret(value)
    }
    /// The value, for the one place that must send it (an HTTP header or form).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("**REDACTED**")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("**REDACTED**")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The value never reaches an error message: a wrong type says only "a string".
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Secret::new(s)),
            _ => Err(serde::de::Error::custom("expected a string")),
        }
    }
}

impl JsonSchema for Secret {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Secret".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "airbyte_secret": true})
    }
    fn inline_schema() -> bool {
        true
    }
}
