//! `App`: everything one lbsim process serves from — the Store of Regions, the configuration, the
//! EKS records, and the two tables the AWS front consults on every call: the fault table and the
//! request log. Built once by whoever runs lbsim (the `serve` command, a scenario, a test) and
//! shared as `Arc<App>` by the HTTP front, the admin API and the in-process SDK connector.
//!
//! Owns: `App`, `faults` (injected errors, latency and eventual consistency), `request_log`
//! (recent API calls), and `reset`. May call: `state`, `config`, `error`, `wire` (service names;
//! injected errors are `ApiError`s), `clock`. Must never: import the server, the admin API or
//! anything above them — they import this.

pub mod faults;
pub mod request_log;

use std::sync::Arc;
use std::time::Instant;

use crate::clock::Clock;
use crate::config::Config;
use crate::state::Store;
use crate::state::eks::EksClusters;

pub struct App {
    pub store: Store,
    pub config: Config,
    pub started: Instant,
    /// EKS clusters loaded from fixtures (DescribeCluster / ListClusters).
    pub eks: EksClusters,
    /// Injected faults, consulted before every call.
    pub faults: faults::Faults,
    /// Recent API calls, for `GET /_lbsim/requests`.
    pub log: request_log::RequestLog,
    /// When set, protected admin endpoints require it (see `admin::routes::check_access`).
    pub admin_token: Option<String>,
}

impl App {
    /// An App on the wall clock.
    pub fn new(config: Config) -> Result<Arc<App>, String> {
        Self::with_clock(config, Clock::Wall)
    }

    pub fn with_clock(config: Config, clock: Clock) -> Result<Arc<App>, String> {
        let seed = config.seed.unwrap_or_else(rand_seed);
        let store = Store::new(config.base_quotas()?, seed, clock);
        for account in config.accounts.keys() {
            store.set_quotas(account, config.account_quotas(account)?);
        }
        for (region, s) in &config.regions {
            crate::state::throttle::validate(&s.throttle_rates).map_err(|e| format!("regions.{region}: {e}"))?;
            store.set_region_settings(region, s.clone());
        }
        Ok(Arc::new(App {
            store,
            faults: faults::Faults::default(),
            log: request_log::RequestLog::new(config.request_log_size),
            admin_token: config.admin_token.clone().filter(|t| !t.is_empty()),
            config,
            started: Instant::now(),
            eks: Default::default(),
        }))
    }

    /// A fresh start for everything (or one account): its Regions, the quotas set at runtime (back
    /// to the config's), its faults and the ids they hide; a full reset also empties the request
    /// log (whose sequence numbers keep counting). Returns what was dropped.
    pub fn reset(&self, account: Option<&str>) -> serde_json::Value {
        let regions = self.store.keys().iter().filter(|(a, _)| account.is_none_or(|x| x == a)).count();
        self.store.reset(account);
        for a in self.store.quota_accounts() {
            if account.is_none_or(|x| x == a) {
                // Config quotas were validated at start; base quotas are the fallback all the same.
                let q = self.config.account_quotas(&a).unwrap_or_default();
                self.store.set_quotas(&a, q);
            }
        }
        let faults = self.faults.clear(account);
        if account.is_none() {
            self.log.clear();
        }
        serde_json::json!({ "status": "ok", "account": account, "regions": regions, "faults": faults })
    }
}

fn rand_seed() -> u64 {
    let u = uuid::Uuid::new_v4();
    let b = u.as_bytes();
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}
