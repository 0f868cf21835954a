//! `Sim`: one cluster fixture loaded into a [`World`] — its Kubernetes objects, what the fixture
//! made on the AWS side, and the controller emulation aimed at the world's AWS. Tests and
//! scenarios drive it step by step (`apply`, `settle`, `run`); live mode hands it to a thread.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::{Fixture, Loaded, World};
use crate::app::App;
use crate::client::AwsClients;
use crate::cluster::{ClusterStore, Event, Kind};
use crate::config::Config;
use crate::reconciler::runtime::RunStats;
use crate::reconciler::{Controller, ControllerConfig, Ctx};

pub struct Sim {
    pub world: World,
    pub cluster: Arc<Mutex<ClusterStore>>,
    pub loaded: Loaded,
    pub controller: Controller,
    /// SDK retries of the controller's clients (restarts keep them).
    pub max_retries: u32,
}

impl Sim {
    /// lbsim in process on a virtual clock ([`World::simulated`]), `fixture` loaded, the
    /// controller per `cfg` with no SDK retries, so tests see every first answer.
    pub async fn start(config: Config, fixture: &Fixture, cfg: ControllerConfig) -> Result<Sim, String> {
        World::simulated(config)?.cluster(fixture, cfg, 0).await
    }

    /// The in-process lbsim. Tests build their Sims in process; against another endpoint there
    /// is none.
    pub fn app(&self) -> &Arc<App> {
        self.world.app.as_ref().expect("a Sim built by Sim::start is in process")
    }

    /// Replaces the controller by a fresh one with `cfg` (a restart or an upgrade: its
    /// in-memory state — backend-SG bookkeeping, caches, the networking aggregate — is lost, and
    /// every Service and binding is queued anew, as an informer's initial list). Returns the old
    /// controller, whose call log the caller may keep.
    pub async fn restart(&mut self, cfg: ControllerConfig) -> Result<Controller, String> {
        let c = self.world.controller(&self.cluster, &self.loaded, cfg, self.max_retries).await?;
        let now = c.ctx.now();
        let services: Vec<(String, String)> = self.cluster.lock().services.keys().cloned().collect();
        let tgbs: Vec<(String, String)> = self.cluster.lock().tgbs.keys().cloned().collect();
        {
            let mut q = c.ctx.queues.lock();
            for k in services {
                q.add_service(k, now);
            }
            for k in tgbs {
                q.add_tgb(k, now);
            }
        }
        Ok(std::mem::replace(&mut self.controller, c))
    }

    pub fn ctx(&self) -> &Ctx {
        &self.controller.ctx
    }

    /// The controller's clients.
    pub fn aws(&self) -> &AwsClients {
        &self.controller.ctx.aws
    }

    /// Applies Kubernetes manifests (multi-document YAML).
    pub fn apply(&self, yaml: &str) -> Result<(), String> {
        crate::cluster::apply_manifests(&mut self.cluster.lock(), yaml)
    }

    pub fn delete_service(&self, ns: &str, name: &str) -> bool {
        self.cluster.lock().delete::<k8s_openapi::api::core::v1::Service>(ns, name)
    }

    /// Runs the controllers until idle or `horizon` of virtual time passes.
    pub async fn run(&self, horizon: Duration) -> RunStats {
        self.controller.run(horizon).await
    }

    /// Runs until idle (failing items retry with back-off for up to 10 virtual minutes).
    pub async fn settle(&self) -> RunStats {
        self.run(Duration::from_secs(600)).await
    }

    pub fn events(&self, kind: Kind, ns: &str, name: &str) -> Vec<Event> {
        self.cluster.lock().events_for(kind, ns, name)
    }
}
