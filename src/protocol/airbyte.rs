//! Airbyte protocol message shapes (airbyte-protocol-models 0.18), as JSON values.

use serde_json::{json, Value};

use super::StreamStatus;
use crate::error::Error;
// Every message that may quote a request or response is scrubbed at this last step too.
use crate::scrub::scrub;

pub(crate) fn spec(spec: &Value) -> Value {
    json!({"type": "SPEC", "spec": spec})
}

pub(crate) fn connection_status(ok: bool, message: &str) -> Value {
    json!({"type": "CONNECTION_STATUS",
           "connectionStatus": {"status": if ok { "SUCCEEDED" } else { "FAILED" }, "message": scrub(message)}})
}

pub(crate) fn catalog(catalog: &Value) -> Value {
    json!({"type": "CATALOG", "catalog": catalog})
}

/// Per-stream STATE; `sourceStats.recordCount` is a float, as the protocol documents.
pub(crate) fn stream_state(stream: &str, state: &Value, record_count: u64) -> Value {
    json!({"type": "STATE", "state": {
        "type": "STREAM",
        "stream": {"stream_descriptor": {"name": stream}, "stream_state": state},
        "sourceStats": {"recordCount": record_count as f64}
    }})
}

pub(crate) fn log(level: &str, message: &str) -> Value {
    json!({"type": "LOG", "log": {"level": level, "message": scrub(message)}})
}

pub(crate) fn trace_error(err: &Error, stream: Option<&str>, now_ms: i64) -> Value {
    let mut error = json!({
        "message": scrub(&err.to_string()),
        "internal_message": scrub(&format!("{err:?}")),
        "failure_type": err.failure_type().as_str(),
    });
    if let Some(s) = stream {
        error["stream_descriptor"] = json!({"name": s});
    }
    json!({"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": now_ms as f64, "error": error}})
}

pub(crate) fn stream_status(
    stream: &str,
    status: StreamStatus,
    quota_reset_ms: Option<i64>,
    now_ms: i64,
) -> Value {
    let name = match status {
        StreamStatus::Started => "STARTED",
        StreamStatus::Running => "RUNNING",
        StreamStatus::Complete => "COMPLETE",
        StreamStatus::Incomplete => "INCOMPLETE",
    };
    let mut s = json!({"stream_descriptor": {"name": stream}, "status": name});
    if let Some(reset) = quota_reset_ms {
        s["reasons"] = json!([{"type": "RATE_LIMITED", "rate_limited": {"quota_reset": reset}}]);
    }
    json!({"type": "TRACE", "trace": {"type": "STREAM_STATUS", "emitted_at": now_ms as f64, "stream_status": s}})
}

/// A non-fatal notice for the platform: TRACE of type ANALYTICS (`{type, value}`, both
/// strings; `type` a static event name). Airbyte's protocol has no warning trace, and a
/// TRACE of type ERROR makes the platform fail the sync, so skipped elements are reported
/// as LOG WARN lines plus this event (airbyte_protocol.yaml, AirbyteAnalyticsTraceMessage:
/// "a message to communicate usage information about the connector which is not captured
/// by regular sync analytics").
pub(crate) fn analytics(event: &str, value: &str, now_ms: i64) -> Value {
    json!({"type": "TRACE", "trace": {"type": "ANALYTICS", "emitted_at": now_ms as f64,
           "analytics": {"type": event, "value": value}}})
}

pub(crate) fn estimate(stream: &str, rows: u64, now_ms: i64) -> Value {
    json!({"type": "TRACE", "trace": {"type": "ESTIMATE", "emitted_at": now_ms as f64,
           "estimate": {"name": stream, "type": "STREAM", "row_estimate": rows}}})
}
