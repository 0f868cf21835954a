//! An in-process simulated EKS cluster: an lbsim `App` on a virtual clock, a cluster fixture
//! loaded into it through the SDK (and registered with its EKS API), and the controller
//! emulation wired to both. What `lbsim serve` starts with, and what tests and scenarios drive.
//!
//! May call: `server` (to build the App), `sdk`, `cluster`, `reconciler`. Owns no behaviour of
//! its own beyond wiring.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::cluster::fixture::{self, Fixture, Loaded};
use crate::cluster::{ClusterStore, Event, Kind};
use crate::config::Config;
use crate::reconciler::runtime::RunStats;
use crate::reconciler::{Controller, ControllerConfig, Ctx, VClock};
use crate::sdk::{AwsClients, Target};
use crate::server::App;
use crate::state::ManualClock;

pub struct Sim {
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub cluster: Arc<Mutex<ClusterStore>>,
    pub loaded: Loaded,
    pub controller: Controller,
}

/// A fixed start time, so replays give the same timestamps.
pub fn epoch() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").map(|t| t.with_timezone(&chrono::Utc)).unwrap_or_default()
}

impl Sim {
    /// Starts lbsim with `config`, loads `fixture`, and builds the controller with `cfg`
    /// (`cluster_name` and `vpc_id` are filled from the fixture when empty).
    pub async fn start(config: Config, fixture: &Fixture, mut cfg: ControllerConfig) -> Result<Sim, String> {
        let clock = Arc::new(ManualClock::new(epoch()));
        let app = App::with_clock(Config { seed: config.seed.or(Some(1)), ..config }, clock.clone())?;
        let target = Target::InProcess(app.clone());
        let setup = AwsClients::new(&target, &fixture.account, &fixture.region).await;
        let cluster = Arc::new(Mutex::new(ClusterStore::new(&fixture.name, clock.clone())));
        let loaded = {
            let mut store = ClusterStore::new(&fixture.name, clock.clone());
            let l = fixture::load(fixture, &setup, &mut store).await?;
            *cluster.lock() = store;
            l
        };
        app.eks.register(loaded.eks_cluster(clock_now(&clock)));
        if cfg.cluster_name.is_empty() {
            cfg.cluster_name = fixture.name.clone();
        }
        if cfg.vpc_id.is_empty() {
            cfg.vpc_id = loaded.vpc_id.clone();
        }
        // The controller gets its own clients, so its call log holds only its calls.
        let aws = AwsClients::new(&target, &fixture.account, &fixture.region).await;
        let ctx = Ctx::new(cfg, aws, cluster.clone(), VClock::Virtual(clock.clone()));
        Ok(Sim { app, clock, cluster, loaded, controller: Controller::new(ctx) })
    }

    /// Replaces the controller by a fresh one with `cfg` (a restart or an upgrade: its
    /// in-memory state — backend-SG bookkeeping, caches, the networking aggregate — is lost).
    pub async fn restart(&mut self, mut cfg: ControllerConfig) {
        if cfg.cluster_name.is_empty() {
            cfg.cluster_name = self.loaded.name.clone();
        }
        if cfg.vpc_id.is_empty() {
            cfg.vpc_id = self.loaded.vpc_id.clone();
        }
        let aws = AwsClients::new(&Target::InProcess(self.app.clone()), &self.loaded.account, &self.loaded.region).await;
        // Everything in the cluster is seen anew, as an informer's initial list.
        let keys: Vec<(String, String)> = self.cluster.lock().services.keys().cloned().collect();
        let ctx = Ctx::new(cfg, aws, self.cluster.clone(), VClock::Virtual(self.clock.clone()));
        for k in keys {
            ctx.queues.lock().add_service(k, ctx.now());
        }
        let tgbs: Vec<(String, String)> = self.cluster.lock().tgbs.keys().cloned().collect();
        for k in tgbs {
            ctx.queues.lock().add_tgb(k, ctx.now());
        }
        self.controller = Controller::new(ctx);
    }

    pub fn ctx(&self) -> &Ctx {
        &self.controller.ctx
    }

    pub fn aws(&self) -> &AwsClients {
        &self.controller.ctx.aws
    }

    /// Applies Kubernetes manifests (multi-document YAML).
    pub fn apply(&self, yaml: &str) -> Result<(), String> {
        fixture::apply_manifests(&mut self.cluster.lock(), yaml)
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

/// Loads a fixture's AWS side into `app` through in-process SDK clients and registers the
/// cluster with its EKS API (what `lbsim serve` does at start; the Kubernetes side is dropped).
pub async fn load_cluster(app: &Arc<App>, f: &Fixture) -> Result<Loaded, String> {
    let clients = AwsClients::new(&Target::InProcess(app.clone()), &f.account, &f.region).await;
    let mut store = ClusterStore::new(&f.name, app.store.clock());
    let loaded = fixture::load(f, &clients, &mut store).await?;
    app.eks.register(loaded.eks_cluster(app.store.now()));
    Ok(loaded)
}

fn clock_now(c: &ManualClock) -> chrono::DateTime<chrono::Utc> {
    crate::state::Clock::now(c)
}
