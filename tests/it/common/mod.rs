//! Shared harness for integration tests: an lbsim server on a free loopback port in this test's
//! runtime, and AWS SDK clients pointed at it with dummy credentials (as users configure them).
#![allow(dead_code)]

pub mod elbv2;
pub mod http;

use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_ec2::config::Credentials;
use lbsim::app::App;
use lbsim::config::Config;
use lbsim::server;
use tokio::sync::oneshot;

pub struct Server {
    pub url: String,
    pub app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Talks to an lbsim that runs elsewhere (a spawned binary). Its `app` is a detached, empty one:
/// tests that attach must go through `url` (SDK clients, `admin`, `post`), never through `app`.
pub async fn attach(url: &str) -> Server {
    Server { url: url.to_string(), app: App::new(Config::default()).expect("config"), stop: None }
}

/// A server with the default config and a fixed id seed.
pub async fn start() -> Server {
    start_with(Config { seed: Some(42), ..Config::default() }).await
}

pub async fn start_with(config: Config) -> Server {
    start_app(App::new(config).expect("config")).await
}

/// A server for an App the test built itself (for example on a manual clock).
pub async fn start_app(app: Arc<App>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    let a = app.clone();
    tokio::spawn(async move {
        let _ = server::serve(listener, lbsim::admin::router(a), async {
            let _ = rx.await;
        })
        .await;
    });
    Server { url, app, stop: Some(tx) }
}

impl Server {
    /// SDK config for an access key and region; retries off so error tests see the first answer.
    pub async fn sdk(&self, access_key: &str, region: &str) -> aws_config::SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new(access_key, "secret", None, None, "lbsim-test"))
            .retry_config(RetryConfig::disabled())
            .load()
            .await
    }

    pub async fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk("test", "us-east-1").await)
    }

    pub async fn elbv2(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        aws_sdk_elasticloadbalancingv2::Client::new(&self.sdk("test", "us-east-1").await)
    }

    pub async fn sts(&self) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.sdk("test", "us-east-1").await)
    }

    /// A raw form POST (for wire-level tests), returning status and body.
    pub async fn post(&self, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> (u16, String) {
        let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
        h.extend_from_slice(headers);
        self.request("POST", "/", &h, &body.into()).await
    }

    /// One raw HTTP/1.1 request over a fresh loopback connection, returning status and body.
    pub async fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.url.trim_start_matches("http://");
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        s.write_all(body).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        let text = String::from_utf8_lossy(&out).to_string();
        let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        let body = text.split_once("\r\n\r\n").map(|x| x.1.to_string()).unwrap_or_default();
        (status, body)
    }

    /// An admin API call with an optional JSON body and extra headers; the answer parsed as JSON
    /// (`Null` when the body is empty).
    pub async fn admin_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut h = headers.to_vec();
        if body.is_some() {
            h.push(("Content-Type", "application/json"));
        }
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let (status, text) = self.request(method, path, &h, &bytes).await;
        let v = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        (status, v)
    }

    pub async fn admin(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
        self.admin_with(method, path, &[], body).await
    }
}

impl Server {
    /// A raw GET (for rest-json wire tests), returning status, headers and body.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.url.trim_start_matches("http://");
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        let text = String::from_utf8_lossy(&out).to_string();
        let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        let (head, body) = text.split_once("\r\n\r\n").map(|(h, b)| (h.to_string(), b.to_string())).unwrap_or_default();
        (status, head, body)
    }
}

/// The AWS error code of an SDK error, for assertions.
pub fn code<E: aws_sdk_ec2::error::ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    e: &aws_sdk_ec2::error::SdkError<E, R>,
) -> String {
    e.as_service_error().and_then(|s| s.code()).map(String::from).unwrap_or_else(|| format!("not a service error: {e:?}"))
}

/// The AWS error message of an SDK error.
pub fn message<E: aws_sdk_ec2::error::ProvideErrorMetadata, R: std::fmt::Debug>(e: &aws_sdk_ec2::error::SdkError<E, R>) -> String {
    e.as_service_error().and_then(|s| s.message()).map(String::from).unwrap_or_default()
}

/// A security group put straight into the default account's us-east-1 through Region methods,
/// for tests whose subject is another action's use of groups.
pub fn add_sg(s: &Server, vpc: &str, name: &str) -> String {
    s.app.store.with_region("000000000000", "us-east-1", |r| {
        let id = r.ids.ec2("sg");
        let owner = r.account.clone();
        r.insert_sg(lbsim::state::ec2::SecurityGroup {
            id: id.clone(),
            name: name.into(),
            description: "test".into(),
            vpc_id: vpc.into(),
            owner_id: owner,
            rules: vec![],
        });
        id
    })
}

/// Adds `n` distinct IPv4 ingress rules (tcp/443) to a group, through Region methods.
pub fn add_rules(s: &Server, sg: &str, n: u8) {
    s.app.store.with_region("000000000000", "us-east-1", |r| {
        let rules = (0..n)
            .map(|i| {
                let peer = lbsim::state::ec2::Peer::Cidr4(format!("10.{i}.0.0/16").parse().unwrap());
                r.new_rule(false, "tcp", Some(443), Some(443), peer, None)
            })
            .collect();
        r.add_rules(sg, rules);
    })
}

/// Puts an interface carrying `groups` into the first subnet of `vpc` (default account,
/// us-east-1), as CreateNetworkInterface would but without its checks; returns its id.
pub fn attach_eni(s: &Server, vpc: &str, groups: &[&str]) -> String {
    s.app.store.with_region("000000000000", "us-east-1", |r| {
        let subnet = r.subnets().values().find(|sn| sn.vpc_id == vpc).unwrap().clone();
        let ip = r.free_ip(&subnet.id, None).unwrap();
        let id = r.ids.ec2("eni");
        let mac = r.new_mac();
        r.insert_eni(lbsim::state::ec2::Eni {
            id: id.clone(),
            subnet_id: subnet.id.clone(),
            vpc_id: vpc.to_string(),
            az: subnet.az.clone(),
            description: String::new(),
            private_ip: ip.to_string(),
            mac_address: mac,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            attachment: None,
            interface_type: "interface".into(),
            requester_managed: false,
            requester_id: None,
            source_dest_check: true,
            status: "available".into(),
            release_at: None,
        });
        id
    })
}
