//! The only module that knows the EC2 and Query wire formats (aws-api.md §1), and the small
//! rest-json part EKS needs (`restjson`).
//!
//! Owns: which service a request is for (SigV4 credential scope, then `Version`), the account and
//! region, the request id, request decoding (`params`), the success and error envelopes with
//! their HTTP statuses, the Regions that exist (`regions`) and SigV4 verification (`sigv4`).
//! May call: `error`. Never touches state.

pub mod params;
pub mod regions;
pub mod restjson;
pub mod sigv4;
pub mod xml;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorCode, Fault};
pub use params::{ListStyle, P, Params};
pub use xml::Xml;

/// A service lbsim answers, with its protocol facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Ec2,
    Elbv2,
    Sts,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::Ec2, Service::Elbv2, Service::Sts];

    /// The name a service goes by in the admin API and the request log: `elbv2`, as botocore and
    /// LocalStack call it, rather than the shared signing name `elasticloadbalancing`.
    pub fn label(self) -> &'static str {
        match self {
            Service::Ec2 => "ec2",
            Service::Elbv2 => "elbv2",
            Service::Sts => "sts",
        }
    }

    /// A service as users spell it (label, signing name or botocore name), any case.
    pub fn from_label(s: &str) -> Option<Service> {
        match s.to_ascii_lowercase().as_str() {
            "ec2" => Some(Service::Ec2),
            "elbv2" | "elasticloadbalancing" | "elasticloadbalancingv2" => Some(Service::Elbv2),
            "sts" => Some(Service::Sts),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Service::Ec2 => "ec2",
            Service::Elbv2 => "elasticloadbalancing",
            Service::Sts => "sts",
        }
    }
    pub fn version(self) -> &'static str {
        match self {
            Service::Ec2 => "2016-11-15",
            Service::Elbv2 => "2015-12-01",
            Service::Sts => "2011-06-15",
        }
    }
    pub fn namespace(self) -> &'static str {
        match self {
            Service::Ec2 => "http://ec2.amazonaws.com/doc/2016-11-15/",
            Service::Elbv2 => "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
            Service::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }
    pub fn list_style(self) -> ListStyle {
        match self {
            Service::Ec2 => ListStyle::Flat,
            Service::Elbv2 | Service::Sts => ListStyle::Member,
        }
    }
    fn from_version(v: &str) -> Option<Service> {
        [Service::Ec2, Service::Elbv2, Service::Sts].into_iter().find(|s| s.version() == v)
    }
}

/// What the SigV4 `Authorization` header's credential scope says:
/// `Credential=<AKID>/<date>/<region>/<service>/aws4_request`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub access_key: Option<String>,
    pub region: Option<String>,
    pub service: Option<String>,
}

impl Scope {
    pub fn from_headers(headers: &HeaderMap) -> Scope {
        let Some(auth) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
            return Scope::default();
        };
        let Some(cred) = auth.split("Credential=").nth(1) else { return Scope::default() };
        let cred = cred.split([',', ' ']).next().unwrap_or("");
        let parts: Vec<&str> = cred.split('/').collect();
        if parts.len() < 5 {
            return Scope { access_key: parts.first().map(|s| s.to_string()), ..Scope::default() };
        }
        Scope { access_key: Some(parts[0].to_string()), region: Some(parts[2].to_string()), service: Some(parts[3].to_string()) }
    }
}

/// Decides the service: the signing name first (aws-api.md §1.1), then `Version`, which also
/// separates ELBv2 from Classic ELB on the shared `elasticloadbalancing` signing name.
pub fn resolve_service(scope: &Scope, version: Option<&str>) -> Result<Service, ApiError> {
    match scope.service.as_deref() {
        Some("ec2") => Ok(Service::Ec2),
        Some("sts") => Ok(Service::Sts),
        Some("elasticloadbalancing") => match version {
            Some("2012-06-01") => Err(ApiError::new(
                ErrorCode::UnknownService,
                "Classic Load Balancing (API version 2012-06-01) is not served by lbsim; use ELBv2 (2015-12-01)",
            )),
            _ => Ok(Service::Elbv2),
        },
        Some(other) => Err(ApiError::new(
            ErrorCode::UnknownService,
            format!("The service '{other}' is not served by lbsim (it serves ec2, elasticloadbalancing, sts and eks)"),
        )),
        None => match version {
            Some(v) => Service::from_version(v)
                .ok_or_else(|| ApiError::new(ErrorCode::UnknownService, format!("No service served by lbsim has API version '{v}'"))),
            None => Err(ApiError::new(
                ErrorCode::UnknownService,
                "Could not tell which service this request is for: no SigV4 credential scope and no Version parameter",
            )),
        },
    }
}

/// A valid region name: lowercase letters, digits and hyphens (`us-east-1`, `eu-central-2`).
pub fn valid_region(r: &str) -> bool {
    !r.is_empty() && r.len() <= 32 && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// An AWS account id: 12 digits.
pub fn valid_account(a: &str) -> bool {
    a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())
}

pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

const XML_DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

fn xml_response(status: u16, request_id: &str, body: String) -> Response {
    let mut resp = (StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml;charset=UTF-8"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-RequestId", v);
    }
    resp
}

/// The success envelope: EC2 puts members under the root with `requestId`; Query wraps them in
/// `<OpResult>` and adds `ResponseMetadata/RequestId` (aws-api.md §1.4). Written in two halves
/// around the members, so an answer is rendered straight into its final buffer: a 100-group
/// describe is ~110 KB, and wrapping finished members copied them once more (perf of the
/// security-group mix: ~2 % of the time in that memcpy).
pub fn envelope_head(service: Service, action: &str, request_id: &str, body: &mut String) {
    let ns = service.namespace();
    // Plain pushes, never fmt: this runs for every answer.
    let parts: &[&str] = match service.list_style() {
        ListStyle::Flat => &[XML_DECL, "\n<", action, "Response xmlns=\"", ns, "\"><requestId>", request_id, "</requestId>"],
        ListStyle::Member => &["<", action, "Response xmlns=\"", ns, "\"><", action, "Result>"],
    };
    parts.iter().for_each(|p| body.push_str(p));
}

/// The half of the success envelope after the members (see [`envelope_head`]).
pub fn envelope_tail(service: Service, action: &str, request_id: &str, body: &mut String) {
    let parts: &[&str] = match service.list_style() {
        ListStyle::Flat => &["</", action, "Response>"],
        ListStyle::Member => {
            &["</", action, "Result><ResponseMetadata><RequestId>", request_id, "</RequestId></ResponseMetadata></", action, "Response>"]
        }
    };
    parts.iter().for_each(|p| body.push_str(p));
}

/// A success answer: `body` is the whole document, members inside the envelope.
pub fn respond(request_id: &str, body: String) -> Response {
    xml_response(200, request_id, body)
}

/// The error envelope of the service's protocol (aws-api.md §1.5). With no known service the
/// Query shape is used, which every SDK parses.
pub fn fail(service: Option<Service>, err: &ApiError, request_id: &str) -> Response {
    let code = err.code_str();
    let msg = xml::text(err.message.as_ref());
    let body = match service {
        Some(Service::Ec2) => format!(
            "{XML_DECL}\n<Response><Errors><Error><Code>{code}</Code><Message>{msg}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ),
        other => {
            let ns = other.unwrap_or(Service::Elbv2).namespace();
            let fault = match err.fault() {
                Fault::Sender => "Sender",
                Fault::Receiver => "Receiver",
            };
            format!(
                "<ErrorResponse xmlns=\"{ns}\"><Error><Type>{fault}</Type><Code>{code}</Code><Message>{msg}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        }
    };
    xml_response(err.http_status(), request_id, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_from_sigv4_header() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/eu-west-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=ab"
                .parse()
                .unwrap(),
        );
        let s = Scope::from_headers(&h);
        assert_eq!(s.access_key.as_deref(), Some("AKIDEXAMPLE"));
        assert_eq!(s.region.as_deref(), Some("eu-west-1"));
        assert_eq!(resolve_service(&s, Some("2015-12-01")).unwrap(), Service::Elbv2);
        assert!(resolve_service(&s, Some("2012-06-01")).is_err());
    }

    #[test]
    fn unsigned_requests_dispatch_by_version() {
        let s = Scope::default();
        assert_eq!(resolve_service(&s, Some("2016-11-15")).unwrap(), Service::Ec2);
        assert_eq!(resolve_service(&s, Some("2011-06-15")).unwrap(), Service::Sts);
        assert_eq!(resolve_service(&s, Some("1999-01-01")).unwrap_err().code, ErrorCode::UnknownService);
    }

    #[test]
    fn envelopes_wrap_members() {
        let wrap = |service, action| {
            let mut b = String::new();
            envelope_head(service, action, "r-1", &mut b);
            b.push_str("<m/>");
            envelope_tail(service, action, "r-1", &mut b);
            b
        };
        assert_eq!(
            wrap(Service::Ec2, "DescribeVpcs"),
            format!(
                "{XML_DECL}\n<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r-1</requestId><m/></DescribeVpcsResponse>"
            )
        );
        assert_eq!(
            wrap(Service::Elbv2, "DescribeTags"),
            "<DescribeTagsResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><DescribeTagsResult><m/></DescribeTagsResult>\
             <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DescribeTagsResponse>"
        );
    }
}
