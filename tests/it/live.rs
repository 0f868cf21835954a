//! Live mode: a cluster loaded with the controller running on the wall clock, driven through the
//! `/_lbsim/k8s/…` admin endpoints as `lbsim apply/get/delete` drive them.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use lbsim::app::App;
use lbsim::config::Config;
use lbsim::reconciler::ControllerConfig;
use lbsim::world::Fixture;
use lbsim::world::World;
use lbsim::world::live::Registry;
use serde_json::Value;
use tower::ServiceExt;

async fn call(router: &axum::Router, method: &str, path: &str, body: &str) -> (u16, Value) {
    let req = Request::builder().method(method).uri(path).body(Body::from(body.to_string())).unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Polls `GET path` until `f` holds (the controller runs on its own thread, in real time).
async fn until(app: &axum::Router, path: &str, f: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let (_, v) = call(app, "GET", path, "").await;
        if f(&v) || start.elapsed() > Duration::from_secs(10) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const SVC: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_get_events_delete() {
    let aws = App::new(Config::default()).unwrap();
    let live = std::sync::Arc::new(Registry::default());
    let app = lbsim::admin::router(aws.clone()).merge(lbsim::world::k8s_endpoints::router(aws.clone(), live.clone()));
    let (status, v) = call(&app, "GET", "/_lbsim/k8s/services", "").await;
    assert_eq!((status, v["error"]["code"].as_str()), (404, Some("NoCluster")));
    live.start(&World::in_process(aws.clone()), &Fixture::default_cluster(), ControllerConfig::default()).await.unwrap();
    let (status, v) = call(&app, "GET", "/_lbsim/k8s/clusters", "").await;
    assert_eq!(status, 200);
    assert_eq!(v["clusters"][0]["name"], "demo");

    let (status, v) = call(&app, "POST", "/_lbsim/k8s/apply", SVC).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["applied"][0], "Service/default/web");
    let v = until(&app, "/_lbsim/k8s/services", |v| v["services"][0]["hostname"].is_string()).await;
    let host = v["services"][0]["hostname"].as_str().unwrap_or_default();
    assert!(host.starts_with("k8s-default-web-") && host.ends_with(".elb.us-east-1.amazonaws.com"), "{v}");
    assert_eq!(v["services"][0]["ports"][0], "80:30000/TCP");
    assert_eq!(v["services"][0]["finalizers"][0], "service.k8s.aws/resources");
    let (_, ev) = call(&app, "GET", "/_lbsim/k8s/events?kind=Service&name=web", "").await;
    assert_eq!(ev["events"][0]["reason"], "SuccessfullyReconciled", "{ev}");

    let (status, v) = call(&app, "DELETE", "/_lbsim/k8s/services/default/web", "").await;
    assert_eq!((status, v["finalizing"].as_bool()), (200, Some(true)), "{v}");
    let v = until(&app, "/_lbsim/k8s/services", |v| v["services"].as_array().is_some_and(|a| a.is_empty())).await;
    assert_eq!(v["services"], serde_json::json!([]), "the finalizer was removed after cleanup");
    let state = aws.store.with_region("000000000000", "us-east-1", |r| r.elb().dump());
    assert!(!state.to_string().contains("k8s-default-web"), "the NLB and target group are gone: {state}");

    // Refusals: unknown cluster, bad manifest, unknown Service, unknown parameter.
    assert_eq!(call(&app, "GET", "/_lbsim/k8s/services?cluster=nope", "").await.0, 404);
    let (status, v) = call(&app, "POST", "/_lbsim/k8s/apply", "kind: Deployment\nmetadata: {name: x}\n").await;
    assert_eq!((status, v["error"]["code"].as_str()), (400, Some("InvalidManifest")));
    assert_eq!(call(&app, "DELETE", "/_lbsim/k8s/services/default/nope", "").await.0, 404);
    assert_eq!(call(&app, "GET", "/_lbsim/k8s/events?bogus=1", "").await.0, 400);
}

const ING: &str = "kind: Service\nmetadata: {name: web}\nspec:\n  type: NodePort\n  ports: [{port: 80}]\n---\nkind: IngressClass\nmetadata: {name: alb}\nspec: {controller: ingress.k8s.aws/alb}\n---\nkind: Ingress\nmetadata:\n  name: shop\n  annotations: {alb.ingress.kubernetes.io/group.name: store}\nspec:\n  ingressClassName: alb\n  rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingresses_apply_get_delete() {
    let aws = App::new(Config::default()).unwrap();
    let live = std::sync::Arc::new(Registry::default());
    let app = lbsim::admin::router(aws.clone()).merge(lbsim::world::k8s_endpoints::router(aws.clone(), live.clone()));
    live.start(&World::in_process(aws.clone()), &Fixture::default_cluster(), ControllerConfig::default()).await.unwrap();
    let (status, v) = call(&app, "POST", "/_lbsim/k8s/apply", ING).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["applied"][2], "Ingress/default/shop");
    let v = until(&app, "/_lbsim/k8s/ingresses", |v| v["ingresses"][0]["hostname"].is_string()).await;
    let row = &v["ingresses"][0];
    let host = row["hostname"].as_str().unwrap_or_default();
    assert!(host.starts_with("internal-k8s-store-") && host.ends_with(".us-east-1.elb.amazonaws.com"), "{v}");
    assert_eq!((row["class"].as_str(), row["group"].as_str()), (Some("alb"), Some("store")), "{v}");
    assert_eq!(row["hosts"][0], "shop.example.com");
    assert_eq!(row["finalizers"][0], "group.ingress.k8s.aws/store");
    let (_, ev) = call(&app, "GET", "/_lbsim/k8s/events?kind=Ingress&name=shop", "").await;
    assert_eq!(ev["events"][0]["reason"], "SuccessfullyReconciled", "{ev}");

    let (status, v) = call(&app, "DELETE", "/_lbsim/k8s/ingresses/default/shop", "").await;
    assert_eq!((status, v["finalizing"].as_bool()), (200, Some(true)), "{v}");
    let v = until(&app, "/_lbsim/k8s/ingresses", |v| v["ingresses"].as_array().is_some_and(|a| a.is_empty())).await;
    assert_eq!(v["ingresses"], serde_json::json!([]), "the finalizer was removed after cleanup");
    let state = aws.store.with_region("000000000000", "us-east-1", |r| r.elb().dump());
    assert!(!state.to_string().contains("k8s-store-"), "the ALB and its target group are gone: {state}");
    assert_eq!(call(&app, "DELETE", "/_lbsim/k8s/ingresses/default/nope", "").await.0, 404);
}
