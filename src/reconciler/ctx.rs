//! What every reconcile shares: flags, AWS clients, the cluster store, the virtual clock, and the
//! controller's in-memory state (backend-SG bookkeeping, SG, ELBv2-tag and ENI caches, the networking
//! manager, the work queues). Those locks are never held across an `.await`; the two async
//! mutexes are, on purpose: they serialize what the controller serializes with a Go mutex held
//! over AWS calls, which matters once reconciles run concurrently.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;

use super::config::ControllerConfig;
use super::memory::{BackendSg, ElbTagsCache, EniCache, NetManager, Queues, SgCache};
use crate::client::AwsClients;
use crate::clock::Clock;
use crate::cluster::ClusterStore;

pub struct Ctx {
    pub cfg: ControllerConfig,
    pub aws: AwsClients,
    pub cluster: Arc<Mutex<ClusterStore>>,
    pub clock: Clock,
    pub backend: Mutex<BackendSg>,
    pub sg_cache: Mutex<SgCache>,
    pub elb_tags: Mutex<ElbTagsCache>,
    pub eni_cache: Mutex<EniCache>,
    pub net: Mutex<NetManager>,
    pub queues: Mutex<Queues>,
    /// The networking manager's `mutex` ("will serialize our TargetGroup's networking reconcile
    /// requests", pkg/networking/networking_manager.go): one TGB networking reconcile at a
    /// time, its SG rule calls included.
    pub net_serial: tokio::sync::Mutex<()>,
    /// The backend SG provider's `mutex` (pkg/networking/backend_sg_provider.go, held by
    /// `allocateBackendSG` and `releaseSG` over their EC2 calls): one find-or-create or delete of the
    /// shared group at a time, so concurrent reconciles do not both create it.
    pub backend_serial: tokio::sync::Mutex<()>,
    /// Told whenever a TGB reconcile ends: a Service reconcile waiting on a binding another
    /// worker holds waits for this, not for the clock (see `queue::wait_until`).
    pub tgb_done: tokio::sync::Notify,
}

impl Ctx {
    pub fn new(cfg: ControllerConfig, aws: AwsClients, cluster: Arc<Mutex<ClusterStore>>, clock: Clock) -> Ctx {
        Ctx {
            cfg,
            aws,
            cluster,
            clock,
            backend: Mutex::new(BackendSg::default()),
            sg_cache: Mutex::new(SgCache::default()),
            elb_tags: Mutex::new(ElbTagsCache::default()),
            eni_cache: Mutex::new(BTreeMap::new()),
            net: Mutex::new(NetManager::default()),
            queues: Mutex::new(Queues::default()),
            net_serial: tokio::sync::Mutex::new(()),
            backend_serial: tokio::sync::Mutex::new(()),
            tgb_done: tokio::sync::Notify::new(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
