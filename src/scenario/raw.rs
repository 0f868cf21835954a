//! The `aws` step: one raw Query-protocol call (EC2 or ELBv2) with the parameters as written —
//! into lbsim's Router in process, or signed (SigV4) over HTTP to another endpoint.

use std::net::ToSocketAddrs;

use axum::body::Body;
use axum::body::Bytes;
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::env::Env;
use crate::bench::loadgen::Reply;
use crate::bench::sigv4::{self, Credentials};

/// (signing name, API version) of a service name as scenarios spell it.
fn service(s: &str) -> Result<(&'static str, &'static str), String> {
    match s {
        "ec2" => Ok(("ec2", "2016-11-15")),
        "elbv2" | "elasticloadbalancing" => Ok(("elasticloadbalancing", "2015-12-01")),
        _ => Err(format!("aws: service '{s}' is not one of ec2, elbv2")),
    }
}

/// A parameter as form fields: scalars as they are, lists as `Name.1`, `Name.2`, …, mappings as
/// `Name.Key` (so `TagSpecification.1: {ResourceType: …, Tag: [{Key: …, Value: …}]}` works).
pub fn flatten(key: &str, v: &serde_yaml_ng::Value) -> Result<Vec<(String, String)>, String> {
    use serde_yaml_ng::Value as V;
    Ok(match v {
        V::String(s) => vec![(key.to_string(), s.clone())],
        V::Number(n) => vec![(key.to_string(), n.to_string())],
        V::Bool(b) => vec![(key.to_string(), b.to_string())],
        V::Sequence(items) => {
            let mut out = Vec::new();
            for (i, x) in items.iter().enumerate() {
                out.extend(flatten(&format!("{key}.{}", i + 1), x)?);
            }
            out
        }
        V::Mapping(m) => {
            let mut out = Vec::new();
            for (k, x) in m {
                let k = k.as_str().ok_or_else(|| format!("aws: parameter {key} has a non-string key"))?;
                out.extend(flatten(&format!("{key}.{k}"), x)?);
            }
            out
        }
        V::Null => vec![(key.to_string(), String::new())],
        V::Tagged(_) => return Err(format!("aws: parameter {key}: YAML tags are not supported")),
    })
}

pub async fn call(env: &Env, svc: &str, action: &str, params: &[(String, String)]) -> Result<Reply, String> {
    let (signing, version) = service(svc)?;
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", action).append_pair("Version", version);
    for (k, v) in params {
        form.append_pair(k, v);
    }
    let body = form.finish();
    let (account, region) = (&env.loaded.account, &env.loaded.region);
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    match (&env.app, &env.endpoint) {
        (Some(app), _) => {
            // lbsim routes on the credential scope and checks no signature.
            let auth =
                format!("AWS4-HMAC-SHA256 Credential={account}/20250101/{region}/{signing}/aws4_request, SignedHeaders=host, Signature=0");
            let req = axum::http::Request::post("/")
                .header("content-type", content_type)
                .header("authorization", auth)
                .body(Body::from(body))
                .map_err(|e| e.to_string())?;
            let resp = crate::server::router(app.clone()).oneshot(req).await.map_err(|e| format!("aws: {e}"))?;
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await.map_err(|e| format!("aws: {e}"))?.to_bytes();
            Ok(Reply { status, body })
        }
        (None, Some(url)) => http_call(url, account, region, signing, &body).await,
        (None, None) => Err("aws: no endpoint".into()),
    }
}

/// One signed POST over HTTP/1.1 to `url` (`http://host:port`).
async fn http_call(url: &str, account: &str, region: &str, signing: &str, body: &str) -> Result<Reply, String> {
    let hostport = url.trim_start_matches("http://").trim_end_matches('/').to_string();
    if url.starts_with("https://") {
        return Err("aws: only http:// endpoints are supported for raw calls".into());
    }
    let addr = hostport.to_socket_addrs().map_err(|e| format!("aws: {hostport}: {e}"))?.next().ok_or("aws: no address")?;
    let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("aws: connect {addr}: {e}"))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.map_err(|e| format!("aws: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let amz_date = sigv4::amz_date_now();
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let headers = [("content-type", content_type), ("host", hostport.as_str()), ("x-amz-date", amz_date.as_str())];
    let req = sigv4::Request { method: "POST", path: "/", query: "", headers: &headers, body: body.as_bytes() };
    let creds = Credentials { access_key: account.to_string(), secret_key: "lbsim".into() };
    let auth = sigv4::authorization(&creds, region, signing, &amz_date, &req);
    let request = axum::http::Request::post("/")
        .header("host", &hostport)
        .header("content-type", content_type)
        .header("x-amz-date", &amz_date)
        .header("authorization", auth)
        .body(http_body_util::Full::new(Bytes::from(body.to_string())))
        .map_err(|e| e.to_string())?;
    let resp = sender.send_request(request).await.map_err(|e| format!("aws: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.map_err(|e| format!("aws: {e}"))?.to_bytes();
    Ok(Reply { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_flatten_to_query_fields() {
        let v: serde_yaml_ng::Value =
            serde_yaml_ng::from_str("- {ResourceType: security-group, Tag: [{Key: Name, Value: web}]}\n").unwrap();
        assert_eq!(
            flatten("TagSpecification", &v).unwrap(),
            [
                ("TagSpecification.1.ResourceType".to_string(), "security-group".to_string()),
                ("TagSpecification.1.Tag.1.Key".to_string(), "Name".to_string()),
                ("TagSpecification.1.Tag.1.Value".to_string(), "web".to_string()),
            ]
        );
        assert_eq!(flatten("MaxResults", &serde_yaml_ng::Value::from(5)).unwrap(), [("MaxResults".to_string(), "5".to_string())]);
    }
}
