//! `/_lbsim/k8s/…`: the live clusters' Kubernetes side for `lbsim apply`, `lbsim delete`,
//! `lbsim get` (live mode, `world::live`). JSON like the rest of the admin API; the same access
//! rule (these routes sit behind `admin::routes::guard`). `?cluster=NAME` picks a cluster; the first
//! loaded one by default.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use serde_json::{Value, json};

use super::live::{LiveCluster, Registry};
use crate::app::App;
use crate::cluster::Kind;

macro_rules! routes {
    ($($method:ident $path:literal => $handler:ident;)*) => {
        /// The live-mode endpoints as (method, path); openapi.json documents them too.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        fn endpoints() -> Router<Arc<Registry>> {
            Router::new()$(.route($path, on(MethodFilter::$method, $handler)))*
        }
    };
}

routes! {
    GET "/_lbsim/k8s/clusters" => clusters;
    POST "/_lbsim/k8s/apply" => apply;
    GET "/_lbsim/k8s/services" => services;
    DELETE "/_lbsim/k8s/services/{namespace}/{name}" => delete_service;
    GET "/_lbsim/k8s/ingresses" => ingresses;
    DELETE "/_lbsim/k8s/ingresses/{namespace}/{name}" => delete_ingress;
    GET "/_lbsim/k8s/events" => events;
}

/// The live-mode routes over `live`, behind the admin API's access rule. Merge into
/// `admin::router`.
pub fn router(app: Arc<App>, live: Arc<Registry>) -> Router {
    endpoints().route_layer(axum::middleware::from_fn_with_state(app, crate::admin::routes::guard)).with_state(live)
}

fn reply(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

/// A refusal, answered as `{"error": {"code", "message"}}` like the rest of the admin API.
pub struct Refusal(StatusCode, &'static str, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        reply(self.0, json!({ "error": { "code": self.1, "message": self.2 } }))
    }
}

type Reply = Result<Response, Refusal>;

fn err(status: StatusCode, code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal(status, code, message.into())
}

fn params(uri: &Uri, allowed: &[&str]) -> Result<HashMap<String, String>, Refusal> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if !allowed.contains(&k.as_ref()) {
            return Err(err(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("unknown query parameter '{k}'; this endpoint takes: {}", allowed.join(", ")),
            ));
        }
        out.insert(k.into_owned(), v.into_owned());
    }
    Ok(out)
}

fn cluster(live: &Registry, q: &HashMap<String, String>) -> Result<Arc<LiveCluster>, Refusal> {
    live.get(q.get("cluster").map(String::as_str)).ok_or_else(|| {
        let known: Vec<String> = live.list().iter().map(|c| c.loaded.name.clone()).collect();
        let msg = match q.get("cluster") {
            Some(n) => format!("no live cluster '{n}' (live: {})", if known.is_empty() { "none".into() } else { known.join(", ") }),
            None => "no live cluster: start lbsim serve with a cluster (--cluster FIXTURE, or the default)".into(),
        };
        err(StatusCode::NOT_FOUND, "NoCluster", msg)
    })
}

async fn clusters(State(live): State<Arc<Registry>>) -> Response {
    let v: Vec<Value> = live
        .list()
        .iter()
        .map(|c| {
            let l = &c.loaded;
            json!({"name": l.name, "account": l.account, "region": l.region, "vpc_id": l.vpc_id,
                   "cluster_security_group_id": l.cluster_sg_id, "nodes": l.nodes.len()})
        })
        .collect();
    reply(StatusCode::OK, json!({ "clusters": v }))
}

/// Body: multi-document YAML of any kinds the Kubernetes API serves, as `kubectl apply -f`:
/// every document goes through the API's checks first, and only when all pass are they all
/// written (all or nothing). `namespace` is where documents without one go (default
/// `default`).
async fn apply(State(live): State<Arc<Registry>>, uri: Uri, body: Bytes) -> Reply {
    let q = params(&uri, &["cluster", "namespace"])?;
    let c = cluster(&live, &q)?;
    let Ok(text) = std::str::from_utf8(&body) else {
        return Err(err(StatusCode::BAD_REQUEST, "BadRequest", "the body must be UTF-8 YAML"));
    };
    let ns = q.get("namespace").map(String::as_str).unwrap_or("default");
    let result = crate::k8s::apply::apply(&mut c.store.lock(), text, ns);
    let applied = result.map_err(|r| {
        let status = StatusCode::from_u16(r.status.code).unwrap_or(StatusCode::BAD_REQUEST);
        err(status, r.status.reason, r.to_string())
    })?;
    c.wake.notify_one();
    let rows: Vec<Value> = applied
        .iter()
        .map(
            |a| json!({ "kind": a.resource.kind.name(), "namespace": a.namespace, "name": a.name, "outcome": a.outcome, "line": a.line() }),
        )
        .collect();
    Ok(reply(StatusCode::OK, json!({ "cluster": c.loaded.name, "applied": rows })))
}

/// One Service as `lbsim get services` shows it.
pub fn service_row(s: &Service) -> Value {
    let spec = s.spec.clone().unwrap_or_default();
    let host = s.status.as_ref().and_then(|st| st.load_balancer.as_ref()?.ingress.as_ref()?.first()?.hostname.clone());
    let ports: Vec<String> = spec
        .ports
        .unwrap_or_default()
        .iter()
        .map(|p| match p.node_port {
            Some(np) => format!("{}:{np}/{}", p.port, p.protocol.as_deref().unwrap_or("TCP")),
            None => format!("{}/{}", p.port, p.protocol.as_deref().unwrap_or("TCP")),
        })
        .collect();
    json!({
        "namespace": s.metadata.namespace,
        "name": s.metadata.name,
        "type": spec.type_,
        "load_balancer_class": spec.load_balancer_class,
        "hostname": host,
        "ports": ports,
        "finalizers": s.metadata.finalizers.clone().unwrap_or_default(),
        "deleting": s.metadata.deletion_timestamp.is_some(),
    })
}

async fn services(State(live): State<Arc<Registry>>, uri: Uri) -> Reply {
    let q = params(&uri, &["cluster", "namespace"])?;
    let c = cluster(&live, &q)?;
    let rows: Vec<Value> = c
        .store
        .lock()
        .list::<Service>()
        .iter()
        .filter(|s| q.get("namespace").is_none_or(|ns| s.metadata.namespace.as_deref() == Some(ns.as_str())))
        .map(service_row)
        .collect();
    Ok(reply(StatusCode::OK, json!({ "cluster": c.loaded.name, "services": rows })))
}

async fn delete_service(State(live): State<Arc<Registry>>, uri: Uri, Path((namespace, name)): Path<(String, String)>) -> Reply {
    let q = params(&uri, &["cluster"])?;
    let c = cluster(&live, &q)?;
    let r = crate::k8s::resources::of_kind(Kind::Service);
    if let Err(s) = crate::k8s::objects::delete(&mut c.store.lock(), r, Some(&namespace), &name, false, false) {
        return Err(err(StatusCode::from_u16(s.code).unwrap_or(StatusCode::NOT_FOUND), s.reason, s.message));
    }
    c.wake.notify_one();
    // With the controller's finalizer the Service lingers until its resources are gone.
    let pending = c.store.lock().get::<Service>(&namespace, &name).is_some();
    Ok(reply(StatusCode::OK, json!({ "deleted": format!("{namespace}/{name}"), "finalizing": pending })))
}

/// One Ingress as `lbsim get ingresses` shows it: its class (`ingressClassName`, else the legacy
/// annotation), its explicit group, the hosts of its rules, and its status.
pub fn ingress_row(i: &Ingress) -> Value {
    let spec = i.spec.clone().unwrap_or_default();
    let ann = i.metadata.annotations.clone().unwrap_or_default();
    let class = spec.ingress_class_name.clone().or_else(|| ann.get("kubernetes.io/ingress.class").cloned());
    let hosts: Vec<String> = spec.rules.iter().flatten().filter_map(|r| r.host.clone()).collect();
    let lb = i.status.as_ref().and_then(|s| s.load_balancer.as_ref()?.ingress.as_ref()?.first().cloned());
    let ports: Vec<i32> = lb.as_ref().and_then(|l| l.ports.as_ref()).into_iter().flatten().map(|p| p.port).collect();
    json!({
        "namespace": i.metadata.namespace,
        "name": i.metadata.name,
        "class": class,
        "group": ann.get("alb.ingress.kubernetes.io/group.name"),
        "hosts": hosts,
        "hostname": lb.and_then(|l| l.hostname),
        "ports": ports,
        "finalizers": i.metadata.finalizers.clone().unwrap_or_default(),
        "deleting": i.metadata.deletion_timestamp.is_some(),
    })
}

async fn ingresses(State(live): State<Arc<Registry>>, uri: Uri) -> Reply {
    let q = params(&uri, &["cluster", "namespace"])?;
    let c = cluster(&live, &q)?;
    let rows: Vec<Value> = c
        .store
        .lock()
        .list::<Ingress>()
        .iter()
        .filter(|i| q.get("namespace").is_none_or(|ns| i.metadata.namespace.as_deref() == Some(ns.as_str())))
        .map(ingress_row)
        .collect();
    Ok(reply(StatusCode::OK, json!({ "cluster": c.loaded.name, "ingresses": rows })))
}

async fn delete_ingress(State(live): State<Arc<Registry>>, uri: Uri, Path((namespace, name)): Path<(String, String)>) -> Reply {
    let q = params(&uri, &["cluster"])?;
    let c = cluster(&live, &q)?;
    if !c.store.lock().delete::<Ingress>(&namespace, &name) {
        return Err(err(StatusCode::NOT_FOUND, "NotFound", format!("ingress {namespace}/{name} not found")));
    }
    c.wake.notify_one();
    // With its group's finalizer the Ingress lingers until the group's ALB no longer serves it.
    let pending = c.store.lock().get::<Ingress>(&namespace, &name).is_some();
    Ok(reply(StatusCode::OK, json!({ "deleted": format!("{namespace}/{name}"), "finalizing": pending })))
}

/// Events, oldest first; `name` (and `kind`, default Service) narrow them to one object.
async fn events(State(live): State<Arc<Registry>>, uri: Uri) -> Reply {
    let q = params(&uri, &["cluster", "namespace", "name", "kind"])?;
    let c = cluster(&live, &q)?;
    let kind = match q.get("kind").map(String::as_str) {
        None => None,
        Some("Service") => Some(Kind::Service),
        Some("TargetGroupBinding") => Some(Kind::TargetGroupBinding),
        Some("Ingress") => Some(Kind::Ingress),
        Some(k) => {
            return Err(err(StatusCode::BAD_REQUEST, "BadRequest", format!("kind '{k}' is not Service, TargetGroupBinding or Ingress")));
        }
    };
    let store = c.store.lock();
    let list: Vec<crate::cluster::Event> = store
        .event_records()
        .into_iter()
        .filter(|e| kind.is_none_or(|k| e.kind == k.name()))
        .filter(|e| q.get("namespace").is_none_or(|ns| &e.namespace == ns))
        .filter(|e| q.get("name").is_none_or(|n| &e.name == n))
        .collect();
    Ok(reply(StatusCode::OK, json!({ "cluster": c.loaded.name, "events": list })))
}
