//! The `Status` objects the API answers errors with (kind Status, `reason`, `code`, `details`),
//! and their message texts as the real API server writes them (apimachinery
//! `api/errors`), since kubectl prints them as they come (`Error from server (NotFound): …`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::resources::Resource;

/// One field error of an `Invalid` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// `FieldValueInvalid`, `FieldValueRequired`, `FieldValueNotSupported`, `FieldValueForbidden`, …
    pub reason: &'static str,
    pub field: String,
    /// As upstream's `field.Error.ErrorBody`: `Invalid value: "T_6": …`.
    pub message: String,
}

impl Cause {
    pub fn invalid(field: impl Into<String>, value: &str, detail: impl std::fmt::Display) -> Cause {
        Cause { reason: "FieldValueInvalid", field: field.into(), message: format!("Invalid value: {value:?}: {detail}") }
    }
    pub fn invalid_raw(field: impl Into<String>, value: impl std::fmt::Display, detail: impl std::fmt::Display) -> Cause {
        Cause { reason: "FieldValueInvalid", field: field.into(), message: format!("Invalid value: {value}: {detail}") }
    }
    pub fn required(field: impl Into<String>, detail: &str) -> Cause {
        let message = if detail.is_empty() { "Required value".to_string() } else { format!("Required value: {detail}") };
        Cause { reason: "FieldValueRequired", field: field.into(), message }
    }
    pub fn not_supported(field: impl Into<String>, value: &str, supported: &[&str]) -> Cause {
        let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
        Cause {
            reason: "FieldValueNotSupported",
            field: field.into(),
            message: format!("Unsupported value: {value:?}: supported values: {}", list.join(", ")),
        }
    }
    pub fn forbidden(field: impl Into<String>, detail: &str) -> Cause {
        Cause { reason: "FieldValueForbidden", field: field.into(), message: format!("Forbidden: {detail}") }
    }
    pub fn duplicate(field: impl Into<String>, value: impl std::fmt::Display) -> Cause {
        Cause { reason: "FieldValueDuplicate", field: field.into(), message: format!("Duplicate value: {value}") }
    }
}

/// An error answer of the Kubernetes API.
#[derive(Debug, Clone)]
pub struct Status {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Value,
}

impl Status {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Status {
        Status { code, reason, message: message.into(), details: Value::Null }
    }

    fn with_details(mut self, name: &str, r: &Resource, kind_in_details: bool) -> Status {
        let mut d = json!({ "name": name, "kind": if kind_in_details { r.kind.name().to_string() } else { r.plural.to_string() } });
        if !r.group.is_empty() {
            d["group"] = Value::from(r.group);
        }
        self.details = d;
        self
    }

    pub fn not_found(r: &Resource, name: &str) -> Status {
        Status::new(404, "NotFound", format!("{} {name:?} not found", r.qualified())).with_details(name, r, false)
    }

    pub fn namespace_not_found(ns: &str) -> Status {
        let mut s = Status::new(404, "NotFound", format!("namespaces {ns:?} not found"));
        s.details = json!({ "name": ns, "kind": "namespaces" });
        s
    }

    pub fn already_exists(r: &Resource, name: &str) -> Status {
        Status::new(409, "AlreadyExists", format!("{} {name:?} already exists", r.qualified())).with_details(name, r, false)
    }

    pub fn conflict(r: &Resource, name: &str) -> Status {
        Status::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} {name:?}: the object has been modified; please apply your changes to the latest version and try again",
                r.qualified()
            ),
        )
        .with_details(name, r, false)
    }

    /// 422 with one cause per field error; the message lists them as upstream's
    /// `NewInvalid` does.
    pub fn invalid(r: &Resource, name: &str, causes: Vec<Cause>) -> Status {
        let kind = r.kind.name();
        let qualified = if r.group.is_empty() { kind.to_string() } else { format!("{kind}.{}", r.group) };
        let parts: Vec<String> = causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect();
        let message = match parts.len() {
            1 => format!("{qualified} {name:?} is invalid: {}", parts[0]),
            _ => format!("{qualified} {name:?} is invalid: [{}]", parts.join(", ")),
        };
        let mut s = Status::new(422, "Invalid", message).with_details(name, r, true);
        s.details["causes"] = causes.iter().map(|c| json!({ "reason": c.reason, "message": c.message, "field": c.field })).collect();
        s
    }

    pub fn bad_request(message: impl Into<String>) -> Status {
        Status::new(400, "BadRequest", message)
    }

    /// Strict decoding's refusal (apiserver `transformDecodeError`).
    pub fn strict_decoding(r: &Resource, errors: &[String]) -> Status {
        let kind = r.kind.name();
        Status::bad_request(format!(
            "{kind} in version {:?} cannot be handled as a {kind}: strict decoding error: {}",
            r.version,
            errors.join(", ")
        ))
    }

    /// A body that does not decode as the kind at all.
    pub fn undecodable(r: &Resource, err: &str) -> Status {
        let kind = r.kind.name();
        Status::bad_request(format!("{kind} in version {:?} cannot be handled as a {kind}: {err}", r.version))
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Status {
        Status::new(405, "MethodNotAllowed", message)
    }

    pub fn unsupported_media_type(ct: &str) -> Status {
        Status::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json, application/apply-patch+yaml (got {ct:?})"
            ),
        )
    }

    pub fn not_acceptable() -> Status {
        Status::new(406, "NotAcceptable", "only the following media types are accepted: application/json, application/yaml")
    }

    pub fn path_not_found() -> Status {
        Status::new(404, "NotFound", "the server could not find the requested resource")
    }

    pub fn expired(rv: u64, oldest: u64) -> Status {
        Status::new(410, "Expired", format!("too old resource version: {rv} ({oldest})"))
    }

    pub fn internal(message: impl std::fmt::Display) -> Status {
        Status::new(500, "InternalError", format!("Internal error occurred: {message}"))
    }

    pub fn forbidden(message: impl Into<String>) -> Status {
        Status::new(403, "Forbidden", message)
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.message, "reason": self.reason, "code": self.code,
        });
        if !self.details.is_null() {
            v["details"] = self.details.clone();
        }
        v
    }
}

impl IntoResponse for Status {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.to_json()).unwrap_or_default();
        (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

/// `Status` for a successful delete of an object without a body to return (deletecollection).
pub fn success() -> Value {
    json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success" })
}
