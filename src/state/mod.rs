//! In-memory state: plain data, invariants and quotas. Knows nothing of HTTP or XML.
//!
//! Owns: the `Store` (a directory of one `Mutex<Region>` per (account, region)), the
//! per-account quota tables and Region settings; `Region` (region.rs, with its ELBv2 half in
//! elbv2.rs), whose collections and indexes are private to this module: callers read them
//! through accessors and change them only through methods that keep every index true; the
//! resources as plain data (ec2.rs, elbv2.rs, eks.rs), the tag store, seeded ids, snapshots, and
//! the cache of rendered describe fragments the mutators keep fresh (render_cache.rs).
//! May call: `error` (for `ApiError`s returned by checks), `clock`. Must never: import `wire`,
//! `api` or `axum`, or hold a region lock across an `.await` — `with_region` takes a synchronous
//! closure so the compiler enforces it.

pub mod ec2;
pub mod eks;
pub mod elbv2;
pub mod ids;
pub mod netser;
pub mod quotas;
pub mod region;
pub mod render_cache;
pub mod routing;
pub mod snapshot;
pub mod tags;
pub mod throttle;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use dashmap::DashMap;
use parking_lot::{Mutex, RwLock};

pub use quotas::Quotas;
pub use region::{InternetFacingCheck, Region, RegionSettings};

use crate::clock::Clock;

type Key = (String, String);

/// The hasher of maps keyed by ids lbsim generates itself (`sg-…`), never by text a caller
/// chooses: foldhash, several times cheaper than SipHash on a 20-byte id, and a describe hashes
/// one per candidate. Seeded at random per process. Maps keyed by callers' text (tag keys and
/// values, names) keep the standard library's SipHash.
pub type IdHasher = foldhash::fast::RandomState;

pub struct Store {
    regions: DashMap<Key, Arc<Mutex<Region>>>,
    /// Quotas per account; accounts not listed use `default_quotas`.
    quotas: RwLock<HashMap<String, Quotas>>,
    default_quotas: RwLock<Quotas>,
    region_settings: RwLock<HashMap<String, RegionSettings>>,
    clock: Clock,
    /// Seed of new Regions' id generators (a lock only because restore replaces it).
    seed: RwLock<u64>,
    /// AWS's rate limits per (account, region), for Regions with `throttling: aws`.
    throttles: DashMap<Key, Mutex<throttle::Buckets>>,
}

impl Store {
    pub fn new(default_quotas: Quotas, seed: u64, clock: Clock) -> Store {
        Store {
            regions: DashMap::new(),
            quotas: RwLock::new(HashMap::new()),
            default_quotas: RwLock::new(default_quotas),
            region_settings: RwLock::new(HashMap::new()),
            clock,
            seed: RwLock::new(seed),
            throttles: DashMap::new(),
        }
    }

    /// AWS's rate limits for one call (throttle.rs): `Err` with the service's throttling error
    /// when a bucket is empty. Costs one map lookup when the Region does not throttle.
    /// `params` are the call's parameter names and values (filters, ids, paging, MaxCount).
    pub fn throttle<'a>(
        &self,
        service: &str,
        action: &str,
        account: &str,
        region: &str,
        params: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), crate::error::ApiError> {
        let settings = self.region_settings.read();
        let Some(s) = settings.get(region).filter(|s| s.throttling == throttle::Throttling::Aws) else { return Ok(()) };
        let mut specific = false;
        let mut instances = 1.0;
        for (k, v) in params {
            match k {
                "Action" | "Version" | "DryRun" => {}
                "MaxCount" => {
                    specific = true;
                    instances = v.parse().unwrap_or(1.0);
                }
                _ => specific = true,
            }
        }
        let wanted = throttle::classify(service, action, specific, instances);
        if wanted.is_empty() {
            return Ok(());
        }
        let key = (account.to_string(), region.to_string());
        let entry = self.throttles.entry(key).or_default();
        let mut b = entry.lock();
        b.take(service, &wanted, &s.throttle_rates, self.now())
    }

    /// The buckets of one (account, region), as they stand now (empty until a call used them).
    pub fn throttle_view(&self, account: &str, region: &str) -> Vec<throttle::BucketView> {
        let key = (account.to_string(), region.to_string());
        self.throttles.get(&key).map(|b| b.lock().view(self.now())).unwrap_or_default()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    pub fn quotas(&self, account: &str) -> Quotas {
        self.quotas.read().get(account).cloned().unwrap_or_else(|| self.default_quotas.read().clone())
    }

    /// Sets an account's quotas, in the config and in every Region it already has. Lowering a
    /// quota below usage keeps what exists; checks refuse only what would add more.
    pub fn set_quotas(&self, account: &str, q: Quotas) {
        self.quotas.write().insert(account.to_string(), q.clone());
        for entry in self.regions.iter() {
            if entry.key().0 == account {
                entry.value().lock().quotas = q.clone();
            }
        }
    }

    /// Accounts with a quota table of their own (configured or set at runtime), sorted.
    pub fn quota_accounts(&self) -> Vec<String> {
        let mut a: Vec<String> = self.quotas.read().keys().cloned().collect();
        a.sort();
        a
    }

    pub fn set_region_settings(&self, region: &str, s: RegionSettings) {
        self.region_settings.write().insert(region.to_string(), s.clone());
        // New rates start from full buckets.
        self.throttles.retain(|k, _| k.1 != region);
        for entry in self.regions.iter() {
            if entry.key().1 == region {
                entry.value().lock().settings = s.clone();
            }
        }
    }

    /// The Region, created with its default world on first use.
    pub fn region(&self, account: &str, region: &str) -> Arc<Mutex<Region>> {
        let key = (account.to_string(), region.to_string());
        if let Some(r) = self.regions.get(&key) {
            return r.clone();
        }
        let settings = self.region_settings.read().get(region).cloned().unwrap_or_default();
        self.regions
            .entry(key)
            .or_insert_with(|| Arc::new(Mutex::new(Region::new(account, region, self.quotas(account), settings, self.seed(), self.now()))))
            .clone()
    }

    /// Runs `f` under the Region's lock. Synchronous on purpose: no `.await` can happen inside.
    pub fn with_region<T>(&self, account: &str, region: &str, f: impl FnOnce(&mut Region) -> T) -> T {
        let r = self.region(account, region);
        let mut g = r.lock();
        g.expire(self.now());
        f(&mut g)
    }

    /// Every (account, region) that exists, sorted.
    pub fn keys(&self) -> Vec<(String, String)> {
        let mut k: Vec<Key> = self.regions.iter().map(|e| e.key().clone()).collect();
        k.sort();
        k
    }

    pub fn seed(&self) -> u64 {
        *self.seed.read()
    }

    /// Quota and Region-setting tables, for snapshots.
    pub fn config_parts(&self) -> (Quotas, std::collections::BTreeMap<String, Quotas>, std::collections::BTreeMap<String, RegionSettings>) {
        (
            self.default_quotas.read().clone(),
            self.quotas.read().iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            self.region_settings.read().iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        )
    }

    /// Swaps in restored content (snapshot restore).
    pub fn replace_all(
        &self,
        seed: u64,
        default_quotas: Quotas,
        quotas: std::collections::BTreeMap<String, Quotas>,
        settings: std::collections::BTreeMap<String, RegionSettings>,
        regions: Vec<Region>,
    ) {
        *self.seed.write() = seed;
        *self.default_quotas.write() = default_quotas;
        *self.quotas.write() = quotas.into_iter().collect();
        *self.region_settings.write() = settings.into_iter().collect();
        self.regions.clear();
        for r in regions {
            self.regions.insert((r.account.clone(), r.name.clone()), Arc::new(Mutex::new(r)));
        }
    }

    /// Drops all state (or one account's), as a fresh start.
    pub fn reset(&self, account: Option<&str>) {
        match account {
            None => {
                self.regions.clear();
                self.throttles.clear();
            }
            Some(a) => {
                self.regions.retain(|k, _| k.0 != a);
                self.throttles.retain(|k, _| k.0 != a);
            }
        }
    }
}
