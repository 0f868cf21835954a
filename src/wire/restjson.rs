//! The rest-json protocol (EKS): JSON bodies, the operation in method + path, errors as
//! `{"message": …}` with the code in the `x-amzn-ErrorType` header and the status of the code.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

fn with_headers(mut resp: Response, request_id: &str) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-RequestId", v);
    }
    resp
}

pub fn respond(body: &serde_json::Value, request_id: &str) -> Response {
    with_headers((StatusCode::OK, body.to_string()).into_response(), request_id)
}

pub fn fail(err: &ApiError, request_id: &str) -> Response {
    let status = StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let body = serde_json::json!({ "message": err.message.as_ref() }).to_string();
    let mut resp = with_headers((status, body).into_response(), request_id);
    if let Ok(v) = HeaderValue::from_str(err.code_str()) {
        resp.headers_mut().insert("x-amzn-ErrorType", v);
    }
    resp
}

/// An authentication error as the rest-json services spell it (their codes end in `Exception`;
/// statuses 403, [unverified] for EKS beyond the common-errors page).
pub fn auth_error(e: &ApiError) -> ApiError {
    use crate::error::ErrorCode as C;
    let code = match e.code {
        C::SignatureDoesNotMatch | C::RequestExpired => "InvalidSignatureException",
        C::InvalidClientTokenId | C::AuthFailure => "UnrecognizedClientException",
        C::IncompleteSignature => "IncompleteSignatureException",
        C::MissingAuthenticationToken => "MissingAuthenticationTokenException",
        _ => return e.clone(),
    };
    let message =
        if e.code == C::AuthFailure { "The security token included in the request is invalid.".into() } else { e.message.clone() };
    ApiError::injected(code, message, Some(403))
}
