//! Live mode: `lbsim serve` loads each cluster fixture and keeps its Kubernetes side, with the
//! controller emulation running against the live server (in-process connector, wall clock), so a
//! person can apply Services (`lbsim apply -f`, or `POST /_lbsim/k8s/apply`) and watch what the
//! controller does (`lbsim get services`, `lbsim get events`, the request log).
//!
//! Owns: the registry of a server's live clusters and each cluster's controller loop. The admin
//! endpoints over it are `world::k8s_endpoints`.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

use super::{DEFAULT_MAX_RETRIES, Fixture, Loaded, World};
use crate::cluster::ClusterStore;
use crate::reconciler::ControllerConfig;

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

    /// Loads `f` into `world` (AWS side through the SDK, registered with the EKS API), keeps
    /// its Kubernetes side here, and starts its controller on a thread of its own (the
    /// reconciler's futures are driven by one current-thread runtime, as the controller's
    /// workers are serial here). The controller's SDK retries as the real one's
    /// (--aws-max-retries 10).
    pub async fn start(&self, world: &World, f: &Fixture, cfg: ControllerConfig) -> Result<Arc<LiveCluster>, String> {
        let live = start(world, f, cfg).await?;
        self.0.write().push(live.clone());
        Ok(live)
    }
}

async fn start(world: &World, f: &Fixture, cfg: ControllerConfig) -> Result<Arc<LiveCluster>, String> {
    let sim = world.cluster(f, cfg, DEFAULT_MAX_RETRIES).await?;
    let live = Arc::new(LiveCluster { loaded: sim.loaded.clone(), store: sim.cluster.clone(), wake: Arc::new(Notify::new()) });
    let controller = sim.controller;
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
    Ok(live)
}
