//! The in-process connector: an `HttpClient` for the AWS SDK that hands each signed request to
//! lbsim's axum `Router` with `tower::ServiceExt::oneshot` and returns its response (the pattern
//! of the s3s-aws connector). Every call is appended to a `CallLog` — service, action, status and
//! error code — which tests read to assert the controller's ordered AWS calls.

use std::fmt;
use std::sync::Arc;

use aws_smithy_runtime_api::client::http::{HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Response as SdkResponse;
use aws_smithy_types::body::SdkBody;
use axum::Router;
use axum::body::Body;
use parking_lot::Mutex;
use tower::ServiceExt;

use super::http::Reply;
use crate::app::App;
use crate::server::MAX_BODY;

/// One AWS call as the wire saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// SigV4 signing name: `ec2`, `elasticloadbalancing`, `eks`, `sts`.
    pub service: String,
    /// Query `Action`, or `METHOD /path` for rest-json.
    pub action: String,
    /// The decoded form parameters (empty for rest-json).
    pub params: Vec<(String, String)>,
    pub status: u16,
    /// The AWS error code of a failed call.
    pub error: Option<String>,
}

impl Call {
    /// The first value of a form parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// The shared, ordered record of calls made through one set of clients.
#[derive(Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<Call>>>);

impl fmt::Debug for CallLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallLog({} calls)", self.0.lock().len())
    }
}

impl CallLog {
    pub fn push(&self, c: Call) {
        self.0.lock().push(c);
    }
    pub fn calls(&self) -> Vec<Call> {
        self.0.lock().clone()
    }
    pub fn len(&self) -> usize {
        self.0.lock().len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.lock().is_empty()
    }
    /// Calls from index `from` on, as action names (what tests compare).
    pub fn actions_since(&self, from: usize) -> Vec<String> {
        self.0.lock().iter().skip(from).map(|c| c.action.clone()).collect()
    }
    pub fn clear(&self) {
        self.0.lock().clear();
    }
}

/// Sends SDK requests into a `Router` in this process.
#[derive(Clone)]
pub struct InProcess {
    router: Router,
    log: CallLog,
}

impl fmt::Debug for InProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InProcess")
    }
}

impl InProcess {
    pub fn new(router: Router, log: CallLog) -> InProcess {
        InProcess { router, log }
    }
}

impl HttpClient for InProcess {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for InProcess {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let router = self.router.clone();
        let log = self.log.clone();
        HttpConnectorFuture::new(async move {
            let req = request.try_into_http1x().map_err(|e| ConnectorError::other(e.into(), None))?;
            let (parts, body) = req.into_parts();
            // SDK request bodies for these protocols are always in memory.
            let bytes = body.bytes().map(|b| b.to_vec()).unwrap_or_default();
            let mut call = describe(&parts, &bytes);
            let resp = router
                .oneshot(axum::http::Request::from_parts(parts, Body::from(bytes)))
                .await
                .map_err(|e| ConnectorError::other(Box::new(e), None))?;
            let (parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, MAX_BODY * 64).await.map_err(|e| ConnectorError::io(Box::new(e)))?;
            call.status = parts.status.as_u16();
            if call.status >= 300 {
                call.error = error_code(&parts.headers, &bytes);
            }
            log.push(call);
            let resp = axum::http::Response::from_parts(parts, SdkBody::from(bytes));
            SdkResponse::try_from(resp).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// Sends one request into `app`'s AWS router, no socket (raw calls of scenario `aws` steps).
pub async fn send(app: &Arc<App>, req: axum::http::Request<http_body_util::Full<axum::body::Bytes>>) -> Result<Reply, String> {
    let resp = crate::server::aws_router(app.clone()).oneshot(req.map(Body::new)).await.map_err(|e| e.to_string())?;
    let (parts, body) = resp.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY * 64).await.map_err(|e| e.to_string())?;
    Ok(Reply { status: parts.status.as_u16(), headers: parts.headers, body })
}

/// Service, action and parameters of a request, from the signature scope and the body.
fn describe(parts: &axum::http::request::Parts, body: &[u8]) -> Call {
    let scope = crate::wire::Scope::from_headers(&parts.headers);
    let params: Vec<(String, String)> = form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let action = params
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| format!("{} {}", parts.method, parts.uri.path()));
    let is_form = params.iter().any(|(k, _)| k == "Action");
    Call { service: scope.service.unwrap_or_default(), action, params: if is_form { params } else { Vec::new() }, status: 0, error: None }
}

/// The error code of an error response: rest-json's `x-amzn-ErrorType` header, else the first
/// `<Code>` element of an XML error envelope.
fn error_code(headers: &axum::http::HeaderMap, body: &[u8]) -> Option<String> {
    if let Some(t) = headers.get("x-amzn-ErrorType").and_then(|v| v.to_str().ok()) {
        return Some(t.split(':').next().unwrap_or(t).to_string());
    }
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = text[start..].find("</Code>")? + start;
    Some(text[start..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_from_both_envelopes() {
        let mut h = axum::http::HeaderMap::new();
        assert_eq!(
            error_code(&h, b"<Response><Errors><Error><Code>InvalidGroup.NotFound</Code></Error></Errors></Response>").as_deref(),
            Some("InvalidGroup.NotFound")
        );
        h.insert("x-amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/".parse().unwrap());
        assert_eq!(error_code(&h, b"{}").as_deref(), Some("ResourceNotFoundException"));
    }
}
