//! The Kubernetes API that kubectl and client-go talk to, per live cluster, over the cluster's
//! store: discovery, OpenAPI, create / get / list / watch / update / patch / delete with
//! the status and scale subresources, Table output, Status errors, strict field validation;
//! and the controllers a cluster needs for its workloads (Deployments → ReplicaSets → Pods,
//! a scheduler that gives Pods a node and an address of the node's subnet, the garbage
//! collector, the namespace controller).
//!
//! Served under `/k8s/<cluster>` on lbsim's own listener (plain http, where kubectl sends no
//! credentials) and on an https listener whose CA lbsim makes at start (what EKS's
//! DescribeCluster reports, for `aws eks update-kubeconfig`). A path prefix rather than a port
//! per cluster: one listener serves every cluster, nothing more to allocate or report, and
//! kubectl and client-go take a server URL with a path as EKS-style proxies (Rancher) use it.
//!
//! Owns: `resources` (the table), `discovery`, `status` (errors), `selectors`, `patch`,
//! `validate`, `table`, `objects` (the verbs), `watch`, `controllers`, `tls`, `kubeconfig`,
//! `apply` (manifests through the same validation, all or nothing).
//! May call: `cluster` (the store), `client` (the scheduler's EC2 calls for pod addresses),
//! `app` and `admin` (the access rule), `clock`. Must never: hold the store's lock across an
//! `.await`; answer anything but JSON.

pub mod apply;
pub mod controllers;
pub mod discovery;
pub mod kubeconfig;
pub mod objects;
pub mod patch;
pub mod resources;
pub mod selectors;
pub mod status;
pub mod table;
pub mod tls;
pub mod validate;
pub mod watch;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use parking_lot::Mutex;
use serde_json::Value;
use tokio::sync::Notify;

use crate::app::App;
use crate::cluster::ClusterStore;
use status::Status;

/// The path prefix of a cluster's API: `/k8s/<cluster>`.
pub const PREFIX: &str = "/k8s";

/// Largest request body (the API server's 3 MiB).
pub const MAX_BODY: usize = 3 << 20;

/// One cluster as the API serves it.
#[derive(Clone)]
pub struct ApiCluster {
    pub name: String,
    /// Kubernetes version (`1.31`), for `/version`.
    pub version: String,
    pub store: Arc<Mutex<ClusterStore>>,
    /// Wakes the cluster's controllers after a write.
    pub wake: Arc<Notify>,
}

/// Where the API finds its clusters (the live registry of `lbsim serve`).
pub trait Clusters: Send + Sync + 'static {
    fn cluster(&self, name: &str) -> Option<ApiCluster>;
    fn names(&self) -> Vec<String>;
}

#[derive(Clone)]
struct Ctx {
    app: Arc<App>,
    clusters: Arc<dyn Clusters>,
}

/// The API's routes, for merging into the server's router (before the AWS fallback).
pub fn router(app: Arc<App>, clusters: Arc<dyn Clusters>) -> Router {
    Router::new()
        .route("/k8s/{cluster}", any(handle))
        .route("/k8s/{cluster}/{*rest}", any(handle))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(Ctx { app, clusters })
}

/// A JSON answer with a status.
pub fn json(status: StatusCode, v: &Value) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// Who may use the API: loopback peers, `--admin-allow` networks (and in-process callers) always — kubectl over http
/// sends no credentials; other peers only with the admin token as a bearer token when one is
/// configured (over https, a kubeconfig `token:`), else not at all.
fn allowed(app: &App, peer: Option<SocketAddr>, headers: &HeaderMap) -> Result<(), Status> {
    // Loopback and the `--admin-allow` networks (a container's published port) need no token:
    // the admin check without a token decides exactly that.
    if crate::admin::routes::check_access(None, &app.admin_allow, peer, headers).is_ok() {
        return Ok(());
    }
    match app.admin_token.as_deref() {
        Some(t) if crate::admin::routes::check_access(Some(t), &app.admin_allow, peer, headers).is_ok() => Ok(()),
        Some(_) => Err(Status::forbidden(
            "lbsim's Kubernetes API needs the admin token from non-loopback clients: a kubeconfig user `token: <admin token>` over https",
        )),
        None => Err(Status::forbidden(
            "lbsim's Kubernetes API answers loopback clients only; start lbsim with --admin-token to allow others (over https, with the token in the kubeconfig)",
        )),
    }
}

async fn handle(State(cx): State<Ctx>, req: Request) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let (parts, body) = req.into_parts();
    if let Err(s) = allowed(&cx.app, peer, &parts.headers) {
        return s.into_response();
    }
    let path = parts.uri.path().to_string();
    let rest = path.strip_prefix(PREFIX).unwrap_or("").trim_start_matches('/');
    let (name, sub) = rest.split_once('/').unwrap_or((rest, ""));
    let name = percent_decode(name);
    let Some(cluster) = cx.clusters.cluster(&name) else {
        let known = cx.clusters.names();
        let msg =
            format!("lbsim has no cluster {name:?} (clusters: {})", if known.is_empty() { "none".to_string() } else { known.join(", ") });
        let mut s = Status::path_not_found();
        s.message = msg;
        return s.into_response();
    };
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return Status::bad_request(format!("the request body is larger than {MAX_BODY} bytes")).into_response(),
    };
    let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1").to_string();
    // Which credentials came (none over http; `aws eks get-token`'s over https), for the log.
    let auth = match parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        None => "none",
        Some(v) if v.starts_with("Bearer k8s-aws-v1.") => "eks-token",
        Some(v) if v.starts_with("Bearer ") => "bearer",
        Some(_) => "other",
    };
    let (method, logged_path) = (parts.method.clone(), path.clone());
    let r = objects::Request {
        method: parts.method.clone(),
        path: format!("/{sub}"),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body,
        host,
    };
    let resp = route(&cluster, r).await;
    tracing::debug!(cluster = %name, %method, path = %logged_path, status = resp.status().as_u16(), auth, "kubernetes request");
    resp
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// Answers one request to a cluster's API (`r.path` below the cluster's prefix).
pub async fn route(c: &ApiCluster, r: objects::Request) -> Response {
    let segs: Vec<String> = r.path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let accept = r.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    // OpenAPI is asked for as protobuf too; only the object paths insist on JSON.
    let openapi = segs.first().is_some_and(|s| s.starts_with("openapi") || s.starts_with("swagger"));
    if !openapi
        && !accept.is_empty()
        && !accept.split(',').any(|a| {
            let a = a.trim();
            a.starts_with("application/json") || a.starts_with("*/*") || a.starts_with("application/*") || a.starts_with("application/yaml")
        })
    {
        return Status::not_acceptable().into_response();
    }
    let get = r.method == Method::GET;
    match segs.as_slice() {
        ["version"] if get => json(StatusCode::OK, &discovery::version(&c.version)),
        ["healthz"] | ["livez"] | ["readyz"] if get => (StatusCode::OK, "ok").into_response(),
        ["openapi", "v2"] if get => openapi_v2(),
        ["swagger-2.0.0.pb-v1"] if get => openapi_v2(),
        ["api"] if get => match discovery::aggregated(&accept) {
            Some(v) => discovery_json(&discovery::aggregated_list(true, v), Some(v)),
            None => json(StatusCode::OK, &discovery::api_versions(&r.host)),
        },
        ["apis"] if get => match discovery::aggregated(&accept) {
            Some(v) => discovery_json(&discovery::aggregated_list(false, v), Some(v)),
            None => json(StatusCode::OK, &discovery::api_group_list()),
        },
        ["api", "v1"] if get => json(StatusCode::OK, &discovery::resource_list("", "v1").unwrap_or_default()),
        ["apis", g] if get => match discovery::api_group(g) {
            Some(v) => json(StatusCode::OK, &v),
            None => Status::path_not_found().into_response(),
        },
        ["apis", g, v] if get => match discovery::resource_list(g, v) {
            Some(v) => json(StatusCode::OK, &v),
            None => Status::path_not_found().into_response(),
        },
        ["api", "v1", rest @ ..] => objects::serve(c, "", "v1", rest, r).await,
        ["apis", g, v, rest @ ..] => {
            let (g, v) = (g.to_string(), v.to_string());
            objects::serve(c, &g, &v, rest, r).await
        }
        _ => Status::path_not_found().into_response(),
    }
}

fn discovery_json(v: &Value, aggregated: Option<&str>) -> Response {
    let ct = aggregated.map(discovery::aggregated_content_type).unwrap_or_else(|| "application/json".into());
    let body = serde_json::to_vec(v).unwrap_or_default();
    let mut resp = (StatusCode::OK, body).into_response();
    if let Ok(h) = HeaderValue::from_str(&ct) {
        resp.headers_mut().insert(header::CONTENT_TYPE, h);
    }
    resp
}

/// An empty OpenAPI v2 document: kubectl (1.27–1.33) then validates nothing client-side, sends
/// `fieldValidation=Strict`, and computes strategic merge patches from its compiled-in types.
fn openapi_v2() -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream")),
            (header::ETAG, HeaderValue::from_static("\"lbsim-empty-v2\"")),
        ],
        Bytes::new(),
    )
        .into_response()
}
