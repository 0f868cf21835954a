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
    assert_eq!(v["applied"][0]["line"], "service/web created");
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
    let (status, v) = call(&app, "POST", "/_lbsim/k8s/apply", "apiVersion: v1\nkind: Foo\nmetadata: {name: x}\n").await;
    assert_eq!((status, v["error"]["code"].as_str()), (400, Some("BadRequest")), "{v}");
    assert_eq!(v["error"]["message"], "document 1: no matches for kind \"Foo\" in version \"v1\"");
    assert_eq!(call(&app, "DELETE", "/_lbsim/k8s/services/default/nope", "").await.0, 404);
    // All or nothing: the second document's invalid name refuses the first, valid one too.
    let two = "apiVersion: v1\nkind: Service\nmetadata: {name: first}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: T_6}\nspec: {ports: [{port: 80}]}\n";
    let (status, v) = call(&app, "POST", "/_lbsim/k8s/apply", two).await;
    assert_eq!((status, v["error"]["code"].as_str()), (422, Some("Invalid")), "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("document 2: Service \"T_6\" is invalid: metadata.name: Invalid value")),
        "{v}"
    );
    let (_, v) = call(&app, "GET", "/_lbsim/k8s/services", "").await;
    assert_eq!(v["services"], serde_json::json!([]), "the first document was not applied: {v}");
    // The ALB's kinds go through the same API.
    let ing = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: alb}\nspec: {controller: ingress.k8s.aws/alb}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\nspec:\n  ingressClassName: alb\n  defaultBackend: {service: {name: web, port: {number: 80}}}\n";
    let (status, v) = call(&app, "POST", "/_lbsim/k8s/apply", ing).await;
    assert_eq!(status, 200, "{v}");
    let lines: Vec<&str> = v["applied"].as_array().unwrap().iter().filter_map(|a| a["line"].as_str()).collect();
    assert_eq!(lines, ["ingressclass.networking.k8s.io/alb created", "ingress.networking.k8s.io/web created"], "{v}");
    assert_eq!(call(&app, "GET", "/_lbsim/k8s/events?bogus=1", "").await.0, 400);
}

// ---- reset and restore with the real binary ---------------------------------------------------

struct Served {
    child: std::process::Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(state: &std::path::Path) -> Served {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lbsim"))
        .args(["serve", "--listen", "127.0.0.1:0", "--state-file"])
        .arg(state)
        .env("LBSIM_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("lbsim listening on ").unwrap_or_else(|| panic!("unexpected first line {line:?}")).to_string();
    Served { child, url }
}

/// `lbsim <args> --endpoint URL`: exit code and stdout.
fn lbsim(url: &str, args: &[&str], stdin: Option<&str>) -> (i32, String) {
    use std::io::Write;
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_lbsim"));
    c.args(args).args(["--endpoint", url]).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    c.stdin(if stdin.is_some() { std::process::Stdio::piped() } else { std::process::Stdio::null() });
    let mut child = c.spawn().unwrap();
    if let Some(t) = stdin {
        child.stdin.take().unwrap().write_all(t.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

const BLOG: &str = include_str!("../../fixtures/manifests/sample-app.yaml");

async fn describe_cluster_vpc(url: &str) -> (String, bool) {
    let s = crate::common::attach(url).await;
    let (status, _, body) = s
        .get(
            "/clusters/demo",
            &[(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=000000000000/20250101/us-east-1/eks/aws4_request, SignedHeaders=host, Signature=00",
            )],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let vpc = v["cluster"]["resourcesVpcConfig"]["vpcId"].as_str().unwrap().to_string();
    let found = s.ec2().await.describe_vpcs().vpc_ids(&vpc).send().await.is_ok();
    (vpc, found)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_brings_back_the_kubernetes_side_and_restarts_the_controllers_and_reset_keeps_clusters_whole() {
    let dir = std::env::temp_dir().join(format!("lbsim-live-restore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    let _ = std::fs::remove_file(&state);

    let p = serve(&state);
    let (rc, out) = lbsim(&p.url, &["apply", "-f", "-"], Some(BLOG));
    assert_eq!((rc, out.as_str()), (0, "deployment.apps/sample-app created\nservice/webserver created\n"));
    let host = |url: &str| lbsim(url, &["get", "svc", "webserver", "-o", "json"], None).1;
    wait_for("the NLB hostname", || host(&p.url).contains(".elb.us-east-1.amazonaws.com"));
    wait_for("4 ready pods", || lbsim(&p.url, &["get", "deploy", "sample-app"], None).1.contains("4/4"));
    let before: Value = serde_json::from_str(&host(&p.url)).unwrap();
    let (status, _) = crate::common::attach(&p.url).await.admin("POST", "/_lbsim/snapshot", None).await;
    assert_eq!(status, 200);
    drop(p);

    // Restart from the state file: the Kubernetes side and the EKS record are back, and the
    // controllers run (a delete is finalized: the NLB goes).
    let p = serve(&state);
    let after: Value = serde_json::from_str(&host(&p.url)).unwrap();
    assert_eq!(after["status"], before["status"], "the Service as it was");
    assert_eq!(after["metadata"]["uid"], before["metadata"]["uid"]);
    assert!(lbsim(&p.url, &["get", "deploy", "sample-app"], None).1.contains("4/4"));
    let (vpc, found) = describe_cluster_vpc(&p.url).await;
    assert!(found, "DescribeCluster's VPC {vpc} exists");
    let (rc, out) = lbsim(&p.url, &["delete", "svc", "webserver"], None);
    assert_eq!(rc, 0, "{out}");
    wait_for("the controller to finalize the delete", || lbsim(&p.url, &["get", "svc", "webserver"], None).0 == 1);
    let lbs = crate::common::attach(&p.url).await.elbv2().await.describe_load_balancers().send().await.unwrap();
    assert!(lbs.load_balancers().is_empty(), "the restarted controller deleted the NLB");

    // Reset: the cluster is made anew from its fixture, never left without its VPC.
    let (status, v) = crate::common::attach(&p.url).await.admin("POST", "/_lbsim/reset", None).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["clusters"]["removed"], serde_json::json!(["demo"]), "{v}");
    assert_eq!(v["clusters"]["loaded"], serde_json::json!(["demo"]), "{v}");
    let (vpc2, found) = describe_cluster_vpc(&p.url).await;
    assert!(found, "after the reset DescribeCluster's VPC {vpc2} exists (the ids start over: {vpc})");
    let (_, out) = lbsim(&p.url, &["get", "deploy"], None);
    assert_eq!(out.trim(), "No resources found in default namespace.", "a fresh Kubernetes side");
    assert_eq!(lbsim(&p.url, &["get", "nodes"], None).1.lines().count(), 4);
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
}

const ING: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: NodePort\n  ports: [{port: 80}]\n---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: alb}\nspec: {controller: ingress.k8s.aws/alb}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: shop\n  annotations: {alb.ingress.kubernetes.io/group.name: store}\nspec:\n  ingressClassName: alb\n  rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingresses_apply_get_delete() {
    let aws = App::new(Config::default()).unwrap();
    let live = std::sync::Arc::new(Registry::default());
    let app = lbsim::admin::router(aws.clone()).merge(lbsim::world::k8s_endpoints::router(aws.clone(), live.clone()));
    live.start(&World::in_process(aws.clone()), &Fixture::default_cluster(), ControllerConfig::default()).await.unwrap();
    let (status, v) = call(&app, "POST", "/_lbsim/k8s/apply", ING).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["applied"][2]["line"], "ingress.networking.k8s.io/shop created", "{v}");
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
