//! The one HTTP client for lbsim's own requests that are not SDK calls: the live-mode commands'
//! admin JSON, raw Query calls of scenario `aws` steps against another endpoint, differential
//! mode's reset, the benchmark's load. hyper-util's pooled client (the one the SDK itself is built
//! on) with keep-alive and `TCP_NODELAY`, and SigV4 signing by `aws-sigv4` — the SDK's own signer,
//! so what lbsim signs is what an SDK would sign.

use std::time::SystemTime;

use aws_sdk_ec2::config::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A whole HTTP answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("")
    }
    /// The text of the first `<tag>…</tag>` element (enough to read ids and error codes).
    pub fn first(&self, tag: &str) -> Option<String> {
        let t = self.text();
        let open = format!("<{tag}>");
        let start = t.find(&open)? + open.len();
        let end = t[start..].find('<')? + start;
        Some(t[start..end].to_string())
    }
    /// The AWS error code of an XML error reply (`<Code>` in both error envelopes).
    pub fn code(&self) -> Option<String> {
        self.first("Code")
    }
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_slice(&self.body).map_err(|_| format!("HTTP {}: not a JSON answer", self.status))
    }
}

/// Who signs, and for which Region.
#[derive(Debug, Clone)]
pub struct Signer {
    identity: Identity,
    pub access_key: String,
    pub region: String,
}

impl Signer {
    pub fn new(access_key: &str, secret_key: &str, region: &str) -> Signer {
        let creds = Credentials::new(access_key, secret_key, None, None, "lbsim");
        Signer { identity: creds.into(), access_key: access_key.to_string(), region: region.to_string() }
    }

    /// Adds `x-amz-date` and `Authorization` to `req` for `service` (the signing name: `ec2`,
    /// `elasticloadbalancing`, …) at `time`. The request must carry its `host` header.
    pub fn sign(&self, req: &mut Request<Full<Bytes>>, body: &[u8], service: &str, time: SystemTime) -> Result<(), String> {
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name(service)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| format!("signing: {e}"))?
            .into();
        let headers: Vec<(&str, &str)> = req.headers().iter().filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))).collect();
        let uri = req.uri().to_string();
        let signable = SignableRequest::new(req.method().as_str(), uri.as_str(), headers.into_iter(), SignableBody::Bytes(body))
            .map_err(|e| format!("signing: {e}"))?;
        let (instructions, _) = sign(signable, &params).map_err(|e| format!("signing: {e}"))?.into_parts();
        instructions.apply_to_request_http1x(req);
        Ok(())
    }
}

/// A pooled HTTP/1.1 client. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for Http {
    fn default() -> Self {
        Http::new()
    }
}

impl Http {
    pub fn new() -> Http {
        let mut connector = HttpConnector::new();
        // Requests are small and answered at once: Nagle's delay would dominate every call.
        connector.set_nodelay(true);
        Http { client: Client::builder(TokioExecutor::new()).pool_max_idle_per_host(usize::MAX).build(connector) }
    }

    /// Sends `req` and reads the whole answer. `endpoint` only names the server in errors.
    pub async fn send(&self, req: Request<Full<Bytes>>) -> Result<Reply, String> {
        let target = format!("{}://{}", req.uri().scheme_str().unwrap_or("http"), req.uri().authority().map(|a| a.as_str()).unwrap_or(""));
        let resp = self.client.request(req).await.map_err(|e| format!("cannot reach {target}: {}", error_chain(&e)))?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.map_err(|e| format!("{target}: the answer broke off: {e}"))?.to_bytes();
        Ok(Reply { status: parts.status.as_u16(), headers: parts.headers, body })
    }

    /// `method url` with an optional body of `content_type`, and extra headers.
    pub async fn request(&self, method: &str, url: &str, body: Option<(&str, Vec<u8>)>, headers: &[(&str, &str)]) -> Result<Reply, String> {
        let req = build(method, url, body, headers)?;
        self.send(req).await
    }

    /// A Query-protocol call (`Action=…&Version=…` form) signed for `service` as an SDK signs it.
    pub async fn aws(&self, url: &str, signer: &Signer, service: &str, form: String) -> Result<Reply, String> {
        let body = form.into_bytes();
        let mut req = build("POST", url, Some(("application/x-www-form-urlencoded; charset=utf-8", body.clone())), &[])?;
        signer.sign(&mut req, &body, service, SystemTime::now())?;
        self.send(req).await
    }
}

/// A request for `url` (`http://host:port/path?query`) with its `host` header set, as signing
/// needs it.
pub fn build(method: &str, url: &str, body: Option<(&str, Vec<u8>)>, headers: &[(&str, &str)]) -> Result<Request<Full<Bytes>>, String> {
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| format!("bad HTTP method '{method}'"))?;
    let uri: axum::http::Uri = url.parse().map_err(|_| format!("'{url}' is not a URL"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("'{url}': only http:// endpoints are supported"));
    }
    let host = uri.authority().map(|a| a.as_str().to_string()).ok_or_else(|| format!("'{url}' names no host"))?;
    let mut b = Request::builder().method(method).uri(uri).header(header::HOST, host);
    for (k, v) in headers {
        b = b.header(*k, HeaderValue::from_str(v).map_err(|_| format!("bad value for header {k}"))?);
    }
    let bytes = match body {
        Some((content_type, bytes)) => {
            b = b.header(header::CONTENT_TYPE, content_type);
            bytes
        }
        None => Vec::new(),
    };
    b.body(Full::new(Bytes::from(bytes))).map_err(|e| e.to_string())
}

/// "connection refused" rather than hyper's outermost "client error (Connect)".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out = format!("{out}: {s}");
        cur = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    // The AWS SigV4 test suite's credentials, time (2015-08-30T12:36:00Z) and scope.
    fn suite() -> Signer {
        Signer::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1")
    }
    fn time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }
    fn auth(req: &Request<Full<Bytes>>) -> &str {
        req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    #[test]
    fn get_vanilla() {
        let mut req = build("GET", "http://example.amazonaws.com/", None, &[]).unwrap();
        suite().sign(&mut req, b"", "service", time()).unwrap();
        assert_eq!(req.headers()["x-amz-date"], "20150830T123600Z");
        assert_eq!(
            auth(&req),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn post_x_www_form_urlencoded() {
        let body = b"Param1=value1".to_vec();
        let mut req =
            build("POST", "http://example.amazonaws.com/", Some(("application/x-www-form-urlencoded", body.clone())), &[]).unwrap();
        suite().sign(&mut req, &body, "service", time()).unwrap();
        assert_eq!(
            auth(&req),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        );
    }

    #[test]
    fn only_http_urls() {
        assert!(build("GET", "https://example.com/", None, &[]).unwrap_err().contains("only http://"));
        assert!(build("GET", "not a url", None, &[]).is_err());
    }
}
