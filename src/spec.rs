//! The connector specification (Airbyte `ConnectorSpecification`), generated from the
//! [`Config`](crate::config::Config) type so the spec and the parser cannot disagree.

use schemars::generate::SchemaSettings;
use serde_json::{json, Value};

use crate::config::Config;

/// The `connectionSpecification` JSON Schema (draft-07).
pub(crate) fn connection_specification() -> Value {
    let mut settings = SchemaSettings::draft07();
    settings.inline_subschemas = true;
    let mut v = settings
        .into_generator()
        .into_root_schema_for::<Config>()
        .to_value();
    if let Some(o) = v.as_object_mut() {
        o.insert("additionalProperties".into(), json!(true));
        o.insert("required".into(), json!(["credentials"]));
    }
    v
}

/// Where the spec sends people for help: the README on the project's repository (the
/// `repository` of Cargo.toml), on the default branch, which links every other guide.
pub(crate) const DOCUMENTATION_URL: &str =
    concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/README.md");

/// The full SPEC payload.
pub(crate) fn spec() -> Value {
    json!({
        "documentationUrl": DOCUMENTATION_URL,
        "connectionSpecification": connection_specification(),
        "supported_destination_sync_modes": ["overwrite", "append", "append_dedup"],
        "advanced_auth": {
            "auth_flow_type": "oauth2.0",
            "predicate_key": ["credentials", "auth_method"],
            "predicate_value": "oauth2.0",
            "oauth_config_specification": {
                "complete_oauth_output_specification": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {"refresh_token": {"type": "string", "path_in_connector_config": ["credentials", "refresh_token"]}}
                },
                "complete_oauth_server_input_specification": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {"client_id": {"type": "string"}, "client_secret": {"type": "string"}}
                },
                "complete_oauth_server_output_specification": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "client_id": {"type": "string", "path_in_connector_config": ["credentials", "client_id"]},
                        "client_secret": {"type": "string", "path_in_connector_config": ["credentials", "client_secret"]}
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_airbyte_metadata_points_at_the_same_docs() {
        let metadata = include_str!("../docs/airbyte/metadata.yaml");
        let line = format!("documentationUrl: {}", super::DOCUMENTATION_URL);
        assert!(
            metadata.contains(&line),
            "docs/airbyte/metadata.yaml lacks {line}"
        );
    }
}
