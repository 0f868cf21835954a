//! Live mode: `lbsim serve` loads each cluster fixture and keeps its Kubernetes side, with the
//! controller emulation running against the live server (in-process connector, wall clock), so a
//! person can apply Services (`lbsim apply -f`, or `POST /_lbsim/k8s/apply`) and watch what the
//! controller does (`lbsim get services`, `lbsim get events`, the request log).
//!
//! Owns: the registry of live clusters on the `App` and each cluster's controller loop.
//! May call: `cluster` (fixture loading, the store), `reconciler`, `sdk`. The admin endpoints
//! over it are in `admin::k8s`.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

use crate::cluster::ClusterStore;
use crate::cluster::fixture::{self, Fixture, Loaded};
use crate::reconciler::{Controller, ControllerConfig, Ctx, VClock};
use crate::sdk::{AwsClients, Target};
use crate::server::App;

/// How often an idle controller looks for work that fell due (back-offs, requeues).
const TICK: Duration = Duration::from_millis(250);

pub struct LiveCluster {
    pub loaded: Loaded,
    pub store: Arc<Mutex<ClusterStore>>,
    /// Wakes the controller loop after a change.
    pub wake: Arc<Notify>,
}

/// The live clusters of a server, in load order.
#[derive(Default)]
pub struct Registry(RwLock<Vec<Arc<LiveCluster>>>);

impl Registry {
    pub fn list(&self) -> Vec<Arc<LiveCluster>> {
        self.0.read().clone()
    }
    /// By name; `None` names the first cluster.
    pub fn get(&self, name: Option<&str>) -> Option<Arc<LiveCluster>> {
        let all = self.0.read();
        match name {
            Some(n) => all.iter().find(|c| c.loaded.name == n).cloned(),
            None => all.first().cloned(),
        }
    }
    fn push(&self, c: Arc<LiveCluster>) {
        self.0.write().push(c);
    }
}

/// Loads `f` into `app` (AWS side through the SDK, registered with the EKS API), keeps its
/// Kubernetes side, and starts its controller on a thread of its own (the reconciler's futures
/// are driven by one current-thread runtime, as the controller's workers are serial here).
pub async fn start(app: &Arc<App>, f: &Fixture, mut cfg: ControllerConfig) -> Result<Arc<LiveCluster>, String> {
    let target = Target::InProcess(app.clone());
    let setup = AwsClients::new(&target, &f.account, &f.region).await;
    let mut store = ClusterStore::new(&f.name, app.store.clock());
    let loaded = fixture::load(f, &setup, &mut store).await?;
    app.eks.register(loaded.eks_cluster(app.store.now()));
    if cfg.cluster_name.is_empty() {
        cfg.cluster_name = loaded.name.clone();
    }
    if cfg.vpc_id.is_empty() {
        cfg.vpc_id = loaded.vpc_id.clone();
    }
    let store = Arc::new(Mutex::new(store));
    let live = Arc::new(LiveCluster { loaded, store: store.clone(), wake: Arc::new(Notify::new()) });
    // The controller's SDK retries as the real one's (--aws-max-retries 10), quick back-offs.
    let aws = crate::scenario::env::controller_clients(&target, &f.account, &f.region, crate::scenario::env::DEFAULT_MAX_RETRIES).await;
    let controller = Controller::new(Ctx::new(cfg, aws, store, VClock::Wall));
    let wake = live.wake.clone();
    let name = f.name.clone();
    std::thread::Builder::new()
        .name(format!("controller-{name}"))
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(cluster = %name, error = %e, "controller runtime failed to start");
                    return;
                }
            };
            rt.block_on(async move {
                loop {
                    let st = controller.run(Duration::ZERO).await;
                    if st.service_reconciles + st.tgb_reconciles > 0 {
                        tracing::info!(
                            cluster = %name,
                            services = st.service_reconciles,
                            bindings = st.tgb_reconciles,
                            queued = st.pending,
                            "controller reconciled"
                        );
                    }
                    tokio::select! {
                        () = wake.notified() => {}
                        () = tokio::time::sleep(TICK) => {}
                    }
                }
            });
        })
        .map_err(|e| format!("cannot start the controller thread: {e}"))?;
    app.live.push(live.clone());
    Ok(live)
}

/// The client side of live mode (`lbsim apply/delete/get`): one JSON request to a running
/// server's `/_lbsim/k8s/…` endpoints.
pub mod client {
    use std::net::ToSocketAddrs;

    use axum::body::Bytes;
    use http_body_util::{BodyExt, Full};
    use serde_json::Value;

    /// Sends `method path` with `body` to `endpoint` (`http://host:port`); returns the status
    /// and the JSON answer. `token` is sent as the admin token when given.
    pub async fn request(
        endpoint: &str,
        method: &str,
        path: &str,
        body: Option<String>,
        token: Option<&str>,
    ) -> Result<(u16, Value), String> {
        let hostport = endpoint.trim_start_matches("http://").trim_end_matches('/').to_string();
        if endpoint.starts_with("https://") {
            return Err("only http:// endpoints are supported".into());
        }
        let addr =
            hostport.to_socket_addrs().map_err(|e| format!("{hostport}: {e}"))?.next().ok_or_else(|| format!("{hostport}: no address"))?;
        let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("cannot reach lbsim at {endpoint}: {e}"))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut req = axum::http::Request::builder().method(method).uri(path).header("host", &hostport);
        if body.is_some() {
            req = req.header("content-type", "application/yaml");
        }
        if let Some(t) = token {
            req = req.header("x-lbsim-admin-token", t);
        }
        let req = req.body(Full::new(Bytes::from(body.unwrap_or_default()))).map_err(|e| e.to_string())?;
        let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        let v = serde_json::from_slice(&bytes).map_err(|_| format!("HTTP {status}: not a JSON answer from {endpoint}{path}"))?;
        Ok((status, v))
    }

    /// The error text of an admin API error answer.
    pub fn error_text(v: &Value) -> String {
        v["error"]["message"].as_str().map(String::from).unwrap_or_else(|| v.to_string())
    }
}
