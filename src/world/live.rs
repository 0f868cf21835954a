//! Live mode: `lbsim serve` loads each cluster fixture and keeps its Kubernetes side, served by
//! the Kubernetes API (`k8s`, kubectl's endpoint), with the Kubernetes controllers
//! (Deployments, ReplicaSets, the scheduler, the garbage collector) and the AWS Load Balancer
//! Controller emulation running against the live server (in-process connector, wall clock).
//!
//! Owns: the registry of a server's live clusters, each cluster's controller loops, and the
//! clusters' part in resets and snapshots (the App's [`ClusterHooks`]): a reset removes the
//! clusters of the reset account(s) and loads their fixtures anew (a fresh VPC, nodes and
//! store, as at start); a snapshot carries each cluster's store and what its fixture created,
//! and a restore brings them back and restarts the controllers. The admin endpoints over it are
//! `world::k8s_endpoints`.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::{DEFAULT_MAX_RETRIES, Fixture, Loaded, World};
use crate::app::ClusterHooks;
use crate::cluster::store::StoreSnapshot;
use crate::cluster::{ClusterStore, Kind};
use crate::k8s::{ApiCluster, Clusters};
use crate::reconciler::{Controller, ControllerConfig};

/// How often an idle controller looks for work that fell due (back-offs, requeues).
const TICK: Duration = Duration::from_millis(250);

pub struct LiveCluster {
    pub loaded: Loaded,
    pub store: Arc<Mutex<ClusterStore>>,
    /// Wakes the controller loop after a change.
    pub wake: Arc<Notify>,
    /// When the EKS record was made (kept across snapshots).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Stops the controllers (the cluster was reset away).
    stop: tokio::sync::watch::Sender<bool>,
}

impl LiveCluster {
    pub fn api(&self) -> ApiCluster {
        ApiCluster {
            name: self.loaded.name.clone(),
            version: self.loaded.version.clone(),
            store: self.store.clone(),
            wake: self.wake.clone(),
        }
    }

    fn stop(&self) {
        self.stop.send_replace(true);
        self.store.lock().close();
    }
}

/// Where the clusters' Kubernetes API is reachable over https (its CA is the App's EKS
/// registry's, for DescribeCluster).
#[derive(Debug, Clone)]
pub struct HttpsApi {
    /// `https://127.0.0.1:PORT`
    pub base: String,
}

/// The live clusters of a server, in load order, and what is needed to make them anew.
#[derive(Default)]
pub struct Registry {
    clusters: RwLock<Vec<Arc<LiveCluster>>>,
    /// The world, fixtures and controller settings the clusters were started from (reset
    /// loads them again).
    origin: RwLock<Option<(World, Vec<Fixture>, ControllerConfig)>>,
    https: RwLock<Option<HttpsApi>>,
}

/// One cluster in a snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Saved {
    loaded: Loaded,
    created_at: chrono::DateTime<chrono::Utc>,
    store: StoreSnapshot,
}

impl Registry {
    pub fn list(&self) -> Vec<Arc<LiveCluster>> {
        self.clusters.read().clone()
    }
    /// By name; `None` names the first cluster.
    pub fn get(&self, name: Option<&str>) -> Option<Arc<LiveCluster>> {
        let all = self.clusters.read();
        match name {
            Some(n) => all.iter().find(|c| c.loaded.name == n).cloned(),
            None => all.first().cloned(),
        }
    }

    /// Sets where the https API listens (before clusters start, so their EKS records say it).
    pub fn set_https(&self, api: HttpsApi) {
        *self.https.write() = Some(api);
    }

    /// Remembers what the clusters are made from, for resets.
    pub fn set_origin(&self, world: &World, fixtures: &[Fixture], cfg: &ControllerConfig) {
        *self.origin.write() = Some((world.clone(), fixtures.to_vec(), cfg.clone()));
    }

    /// Loads `f` into `world` (AWS side through the SDK, registered with the EKS API), keeps
    /// its Kubernetes side here, and starts its controllers. The LBC emulation runs on a thread
    /// of its own (the reconciler's futures are driven by one current-thread runtime, as the
    /// controller's workers are serial here); its SDK retries as the real one's
    /// (--aws-max-retries 10).
    pub async fn start(&self, world: &World, f: &Fixture, cfg: ControllerConfig) -> Result<Arc<LiveCluster>, String> {
        let sim = world.cluster(f, cfg, DEFAULT_MAX_RETRIES).await?;
        let created_at = world.now();
        let live = self.launch(world, sim.loaded.clone(), sim.cluster.clone(), sim.controller, created_at).await?;
        self.clusters.write().push(live.clone());
        Ok(live)
    }

    /// Registers the EKS record and starts both controller loops for a cluster whose store
    /// exists.
    async fn launch(
        &self,
        world: &World,
        loaded: Loaded,
        store: Arc<Mutex<ClusterStore>>,
        controller: Controller,
        created_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Arc<LiveCluster>, String> {
        store.lock().enable_history();
        if let Some(app) = &world.app {
            let mut eks = loaded.eks_cluster(created_at);
            if let Some(h) = self.https.read().as_ref() {
                eks.api_endpoint = Some(crate::k8s::kubeconfig::server_url(&h.base, &loaded.name));
            }
            app.eks.register(eks);
        }
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let live = Arc::new(LiveCluster { loaded: loaded.clone(), store: store.clone(), wake: Arc::new(Notify::new()), created_at, stop });
        // The cluster's own controllers (Deployments, the scheduler) are not the LBC: no
        // client-side limiter of a controller release, the default retry policy.
        let aws = world.controller_clients(&loaded.account, &loaded.region, DEFAULT_MAX_RETRIES, &ControllerConfig::default()).await?;
        let k8s = crate::k8s::controllers::Controllers::new(store.clone(), aws, live.wake.clone());
        let mut stop_k8s = stopped.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = k8s.run() => {}
                _ = stop_k8s.wait_for(|s| *s) => {}
            }
        });
        run_controller(&loaded.name, controller, live.wake.clone(), stopped)?;
        Ok(live)
    }

    /// Removes the clusters in `account` (all when `None`): controllers stopped, EKS records
    /// dropped. Returns their names.
    fn remove(&self, world: Option<&World>, account: Option<&str>) -> Vec<String> {
        let mut all = self.clusters.write();
        let (gone, kept): (Vec<_>, Vec<_>) = all.drain(..).partition(|c| account.is_none_or(|a| a == c.loaded.account));
        *all = kept;
        for c in &gone {
            c.stop();
            if let Some(app) = world.and_then(|w| w.app.as_ref()) {
                app.eks.remove(&c.loaded.account, &c.loaded.region, &c.loaded.name);
            }
        }
        gone.iter().map(|c| c.loaded.name.clone()).collect()
    }

    /// Brings back the clusters of a snapshot's `clusters` section over a restored App:
    /// stores as saved, EKS records, controllers restarted with every Service and binding
    /// queued (an informer's first list).
    pub async fn restore(&self, world: &World, section: &Value, cfg: &ControllerConfig) -> Result<Vec<String>, String> {
        if section.is_null() {
            return Ok(Vec::new());
        }
        let saved: Vec<Saved> = serde_json::from_value(section.clone()).map_err(|e| format!("the snapshot's clusters section: {e}"))?;
        // Decode every store first: a bad one starts none.
        let mut stores = Vec::new();
        for s in &saved {
            stores.push(ClusterStore::import(&s.loaded.name, world.clock.clone(), s.store.clone())?);
        }
        let mut names = Vec::new();
        for (s, mut store) in saved.into_iter().zip(stores) {
            store.requeue_all(&[Kind::Service, Kind::TargetGroupBinding]);
            let store = Arc::new(Mutex::new(store));
            let mut c = cfg.clone();
            if c.cluster_name.is_empty() {
                c.cluster_name = s.loaded.name.clone();
            }
            let controller = world.controller(&store, &s.loaded, c, DEFAULT_MAX_RETRIES).await?;
            let live = self.launch(world, s.loaded.clone(), store, controller, s.created_at).await?;
            names.push(s.loaded.name.clone());
            self.clusters.write().push(live);
        }
        Ok(names)
    }
}

impl Clusters for Registry {
    fn cluster(&self, name: &str) -> Option<ApiCluster> {
        self.get(Some(name)).map(|c| c.api())
    }
    fn names(&self) -> Vec<String> {
        self.list().iter().map(|c| c.loaded.name.clone()).collect()
    }
}

impl ClusterHooks for Registry {
    fn reset(&self, account: Option<&str>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Value> + Send + '_>> {
        let account = account.map(String::from);
        Box::pin(async move {
            let origin = self.origin.read().clone();
            let removed = self.remove(origin.as_ref().map(|o| &o.0), account.as_deref());
            let mut loaded = Vec::new();
            let mut failed = Vec::new();
            if let Some((world, fixtures, cfg)) = origin {
                for f in fixtures.iter().filter(|f| account.as_deref().is_none_or(|a| a == f.account)) {
                    match self.start(&world, f, cfg.clone()).await {
                        Ok(c) => loaded.push(c.loaded.name.clone()),
                        Err(e) => {
                            tracing::error!(cluster = %f.name, error = %e, "cluster fixture could not be loaded again after the reset");
                            failed.push(json!({ "name": f.name, "error": e }));
                        }
                    }
                }
            }
            json!({ "removed": removed, "loaded": loaded, "failed": failed })
        })
    }

    fn export(&self) -> Value {
        let saved: Vec<Saved> = self
            .list()
            .iter()
            .map(|c| Saved { loaded: c.loaded.clone(), created_at: c.created_at, store: c.store.lock().export() })
            .collect();
        if saved.is_empty() { Value::Null } else { serde_json::to_value(saved).unwrap_or(Value::Null) }
    }
}

/// The LBC emulation's loop on a thread of its own, until `stopped` turns true.
fn run_controller(
    name: &str,
    controller: Controller,
    wake: Arc<Notify>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> Result<(), String> {
    let name = name.to_string();
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
                    if *stopped.borrow() {
                        return;
                    }
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
                        r = stopped.changed() => if r.is_err() { return },
                    }
                }
            });
        })
        .map_err(|e| format!("cannot start the controller thread: {e}"))?;
    Ok(())
}
