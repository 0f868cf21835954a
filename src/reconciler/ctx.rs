//! What every reconcile shares: flags, AWS clients, the cluster store, the virtual clock, and the
//! controller's in-memory state (backend-SG bookkeeping, SG, ELBv2-tag and ENI caches, the networking
//! manager, the work queues). Locks are never held across an `.await`.

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
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
