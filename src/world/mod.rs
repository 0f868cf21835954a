//! The one way to build "lbsim + a cluster + the controller": a `World` is where the AWS side
//! lives (lbsim in this process, or another endpoint) and which clock everything shares; a
//! [`Sim`] is one cluster fixture loaded into it, with its Kubernetes objects and the controller
//! emulation aimed at the world's AWS. Scenarios, live mode (`lbsim serve`), the benchmark and the
//! tests all build their clusters here.
//!
//! Owns: `fixture` (cluster fixture files, loaded through the SDK), `sim` (one cluster and its
//! controller), `live` (clusters whose controllers run on their own threads, for `lbsim serve`),
//! `k8s_endpoints` (the admin API's `/_lbsim/k8s/…` over live clusters).
//! May call: everything below — `app`, `admin`, `client`, `cluster`, `reconciler`, `config`,
//! `clock`. Must never: reach into `state` or `api` (the AWS side is made through the SDK).

pub mod fixture;
pub mod k8s_endpoints;
pub mod live;
pub mod sim;

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use parking_lot::Mutex;

pub use fixture::{Fixture, Loaded};
pub use sim::Sim;

use crate::app::App;
use crate::client::clients::Controls;
use crate::client::throttle::VirtualSleep;
use crate::client::{AwsClients, Target};
use crate::clock::Clock;
use crate::cluster::ClusterStore;
use crate::config::Config;
use crate::reconciler::{Controller, ControllerConfig, Ctx};

/// The controller's `--aws-max-retries` default (lbc-reconciler.md §7.2).
pub const DEFAULT_MAX_RETRIES: u32 = 10;

/// Where a world's AWS side lives, and the clock its clusters and controllers share.
#[derive(Clone)]
pub struct World {
    /// lbsim in this process; `None` when the AWS side is another endpoint.
    pub app: Option<Arc<App>>,
    pub target: Target,
    pub clock: Clock,
}

impl World {
    /// lbsim in process on a virtual clock from [`crate::clock::epoch`], ids from `config.seed`
    /// (1 when unset), so the same inputs give the same world.
    pub fn simulated(config: Config) -> Result<World, String> {
        let (clock, _) = Clock::virtual_at_epoch();
        let app = App::with_clock(Config { seed: config.seed.or(Some(1)), ..config }, clock)?;
        Ok(World::in_process(app))
    }

    /// An App that exists already (`lbsim serve`), on its own clock.
    pub fn in_process(app: Arc<App>) -> World {
        World { target: Target::InProcess(app.clone()), clock: app.store.clock(), app: Some(app) }
    }

    /// Another AWS endpoint (differential mode); the controllers' own waits run on `clock`,
    /// the endpoint keeps its own time.
    pub fn remote(url: &str, clock: Clock) -> World {
        World { app: None, target: Target::Endpoint(url.to_string()), clock }
    }

    /// The world's clock as a fixed time for records (EKS creation times): a virtual clock's
    /// now, which is reproducible; the wall clock's now otherwise.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// SDK clients for the controller, with its SDK retries and its client-side limiter
    /// (`--aws-api-throttle`, the profile's defaults). Against lbsim without AWS's rate limits the
    /// retryer backs off for milliseconds, so retried injected faults cost no real time (every
    /// attempt goes through the connector, so each one is in the call log). In a Region with
    /// `throttling: aws` it is the controller's: the SDK's standard mode with
    /// `--aws-max-retries` attempts (v2.9.0+; one more before), back-offs of 1, 2, 4 … 20 s — the
    /// mean of Go SDK v2's jittered ones, without the jitter so replays stay deterministic — on
    /// the world's clock, and no retry quota. Real AWS keeps the SDK's back-offs. `max_retries` 0
    /// turns retries off, so tests see every first answer.
    pub async fn controller_clients(
        &self,
        account: &str,
        region: &str,
        max_retries: u32,
        cfg: &ControllerConfig,
    ) -> Result<AwsClients, String> {
        let throttled = self
            .app
            .as_ref()
            .is_some_and(|a| a.config.regions.get(region).is_some_and(|s| s.throttling == crate::state::throttle::Throttling::Aws));
        let retry = if max_retries == 0 {
            RetryConfig::disabled()
        } else if throttled {
            RetryConfig::standard()
                .with_max_attempts(cfg.sdk_attempts(max_retries))
                .with_initial_backoff(Duration::from_secs(1))
                .with_max_backoff(Duration::from_secs(20))
                .with_use_static_exponential_base(true)
        } else {
            RetryConfig::standard()
                .with_max_attempts(max_retries + 1)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(4))
        };
        let limiter = Arc::new(crate::client::throttle::Limiter::new(cfg.api_throttle()?, self.clock.clone()));
        let controls = Controls {
            limiter: Some(limiter),
            sleep: (throttled && self.clock.is_virtual()).then(|| VirtualSleep(self.clock.clone())),
            no_retry_quota: throttled,
        };
        Ok(match self.target {
            Target::RealAws => AwsClients::with_controls(&self.target, account, region, None, controls).await,
            _ => AwsClients::with_controls(&self.target, account, region, Some(retry), controls).await,
        })
    }

    /// Loads `fixture` (its AWS side through the SDK, registered with an in-process lbsim's EKS
    /// API; its Kubernetes side into a new store) and builds the controller per `cfg`
    /// (`cluster_name` and `vpc_id` filled from the fixture when empty) with `max_retries` SDK
    /// retries. The controller gets clients of its own, so its call log holds only its calls.
    pub async fn cluster(&self, fixture: &Fixture, cfg: ControllerConfig, max_retries: u32) -> Result<Sim, String> {
        let setup = AwsClients::new(&self.target, &fixture.account, &fixture.region).await;
        let mut store = ClusterStore::new(&fixture.name, self.clock.clone());
        let loaded = fixture::load(fixture, &setup, &mut store).await?;
        if let Some(app) = &self.app {
            app.eks.register(loaded.eks_cluster(self.now()));
        }
        let cluster = Arc::new(Mutex::new(store));
        let controller = self.controller(&cluster, &loaded, cfg, max_retries).await?;
        Ok(Sim { world: self.clone(), cluster, loaded, controller, max_retries })
    }

    /// A controller for a loaded cluster per `cfg`, with fresh in-memory state.
    async fn controller(
        &self,
        cluster: &Arc<Mutex<ClusterStore>>,
        loaded: &Loaded,
        mut cfg: ControllerConfig,
        max_retries: u32,
    ) -> Result<Controller, String> {
        if cfg.cluster_name.is_empty() {
            cfg.cluster_name = loaded.name.clone();
        }
        if cfg.vpc_id.is_empty() {
            cfg.vpc_id = loaded.vpc_id.clone();
        }
        let aws = self.controller_clients(&loaded.account, &loaded.region, max_retries, &cfg).await?;
        Ok(Controller::new(Ctx::new(cfg, aws, cluster.clone(), self.clock.clone())))
    }
}
