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

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use parking_lot::RwLock;

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
    /// Peers that may use the admin API without a token besides loopback (`admin_allow`).
    pub admin_allow: Vec<ipnet::IpNet>,
    /// Accounts that hold (or may create) state, bounded by `config.max_accounts`.
    accounts: RwLock<HashSet<String>>,
    /// Requests refused by the account limit, so the log says so without a line per request.
    refused_accounts: std::sync::atomic::AtomicU64,
}

impl App {
    /// An App on the wall clock.
    pub fn new(config: Config) -> Result<Arc<App>, String> {
        Self::with_clock(config, Clock::Wall)
    }

    pub fn with_clock(config: Config, clock: Clock) -> Result<Arc<App>, String> {
        config.check()?;
        let seed = config.seed.unwrap_or_else(rand_seed);
        let store = Store::new(config.base_quotas()?, seed, clock);
        for account in config.accounts.keys() {
            store.set_quotas(account, config.account_quotas(account)?);
        }
        for (region, s) in &config.regions {
            store.set_region_settings(region, s.clone());
        }
        Ok(Arc::new(App {
            store,
            faults: faults::Faults::default(),
            log: request_log::RequestLog::new(config.request_log_size),
            admin_token: config.admin_token.clone().filter(|t| !t.is_empty()),
            admin_allow: config.admin_allow_nets()?,
            accounts: RwLock::default(),
            refused_accounts: Default::default(),
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
        match account {
            None => self.accounts.write().clear(),
            Some(a) => {
                self.accounts.write().remove(a);
            }
        }
        let faults = self.faults.clear(account);
        if account.is_none() {
            self.log.clear();
        }
        serde_json::json!({ "status": "ok", "account": account, "regions": regions, "faults": faults })
    }
}

impl App {
    /// Whether `account` may hold state: one the config names, one already admitted, or a new one
    /// while fewer than `max_accounts` are. Keys must not create worlds without bound (each
    /// account's Regions cost memory even when empty).
    pub fn admit(&self, account: &str) -> bool {
        if self.accounts.read().contains(account) || self.config.names_account(account) {
            return true;
        }
        let mut w = self.accounts.write();
        if w.contains(account) {
            return true;
        }
        if w.len() >= self.config.max_accounts {
            let n = self.refused_accounts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if n.is_power_of_two() || n == 0 {
                tracing::warn!(
                    max_accounts = self.config.max_accounts,
                    refused = n + 1,
                    "account limit reached: requests for new accounts are refused as unknown access keys"
                );
            }
            return false;
        }
        w.insert(account.to_string());
        true
    }

    /// After a restore: the admitted accounts are those the restored Store holds.
    pub fn readmit(&self) {
        let mut w = self.accounts.write();
        w.clear();
        w.extend(self.store.keys().into_iter().map(|(a, _)| a).filter(|a| !self.config.names_account(a)));
    }
}

fn rand_seed() -> u64 {
    let u = uuid::Uuid::new_v4();
    let b = u.as_bytes();
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}
