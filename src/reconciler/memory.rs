//! The controller's in-memory state, lost when it restarts (lbc-reconciler.md §5): the backend
//! group's bookkeeping, the security-group, ELBv2-tag and ENI caches, the TargetGroupBinding networking
//! aggregate, and the work queues. Plain data with the few methods that keep it consistent; the
//! steps that use it (`backend_sg`, `sg_rules`, `tgb_networking`, `runtime`) hold it through
//! `Ctx`, so this file imports none of them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::networking::Permission;

type Key = (String, String);

/// The shared backend group (`backend_sg`).
#[derive(Default)]
pub struct BackendSg {
    /// The group's id once looked up or created in this process.
    pub sg_id: Option<String>,
    /// `service/<ns>/<name>` → needs the group.
    pub needs: BTreeMap<String, bool>,
}

// ---- security groups as the controller last read them (`sg_rules`) ---------------------------

const TTL_SECONDS: i64 = 600;

/// One group as the controller sees it.
#[derive(Debug, Clone, Default)]
pub struct SgInfo {
    pub id: String,
    pub tags: BTreeMap<String, String>,
    /// Expanded ingress permissions with their descriptions.
    pub ingress: Vec<(Permission, Option<String>)>,
}

#[derive(Default)]
pub struct SgCache {
    entries: BTreeMap<String, (DateTime<Utc>, SgInfo)>,
}

impl SgCache {
    pub fn put(&mut self, now: DateTime<Utc>, info: SgInfo) {
        self.entries.insert(info.id.clone(), (now, info));
    }
    pub fn invalidate(&mut self, id: &str) {
        self.entries.remove(id);
    }
    pub(super) fn get(&self, id: &str, now: DateTime<Utc>) -> Option<SgInfo> {
        self.entries.get(id).filter(|(t, _)| (now - *t).num_seconds() < TTL_SECONDS).map(|(_, i)| i.clone())
    }
}

// ---- ELBv2 tags as the controller last read them (`aws::elb_tags`) ---------------------------

/// v2.7.1+: tags per ELBv2 ARN (load balancers, target groups, listeners, rules) for 20 minutes
/// (the controller's `resourceTagsCache`), dropped only when the controller itself adds or
/// removes tags on that ARN, so a tag changed by someone else stays unseen until the entry
/// expires. One cache for every reconciler, as the controller shares one tagging manager.
#[derive(Default)]
pub struct ElbTagsCache {
    entries: std::collections::HashMap<String, (DateTime<Utc>, BTreeMap<String, String>)>,
}

impl ElbTagsCache {
    pub fn put(&mut self, now: DateTime<Utc>, arn: String, tags: BTreeMap<String, String>) {
        self.entries.insert(arn, (now, tags));
    }
    pub fn invalidate(&mut self, arn: &str) {
        self.entries.remove(arn);
    }
    /// The entry if younger than `ttl`; an expired one is dropped.
    pub fn get(&mut self, arn: &str, now: DateTime<Utc>, ttl: chrono::Duration) -> Option<BTreeMap<String, String>> {
        match self.entries.get(arn) {
            Some((at, tags)) if now - *at < ttl => Some(tags.clone()),
            Some(_) => {
                self.entries.remove(arn);
                None
            }
            None => None,
        }
    }
}

// ---- node interfaces (`tgb_networking`) ------------------------------------------------------

/// Primary-ENI facts of a node (cached per node name + uid for 10 minutes, §5.1).
#[derive(Debug, Clone)]
pub struct EniInfo {
    pub eni_id: String,
    pub groups: Vec<String>,
    /// Every private address of the instance's interfaces (for pod IP lookups).
    pub addresses: Vec<(String, String, Vec<String>)>,
}

/// (node name, node uid) → (fetched at, facts).
pub type EniCache = BTreeMap<(String, String), (DateTime<Utc>, EniInfo)>;

// ---- the TargetGroupBinding networking aggregate (`tgb_networking`) ---------------------------

#[derive(Default)]
pub struct NetManager {
    /// TGB → group → permissions it wants there.
    pub(super) per_tgb: BTreeMap<Key, BTreeMap<String, Vec<Permission>>>,
    pub(super) tracked: BTreeSet<String>,
    /// The once-per-process GC sweep of the VPC's cluster-tagged groups.
    pub(super) vpc_swept: bool,
}

// ---- work queues (`runtime`) -----------------------------------------------------------------

#[derive(Default)]
pub struct Queue {
    pub(super) due: BTreeMap<Key, (DateTime<Utc>, u64)>,
    pub(super) failures: BTreeMap<Key, u32>,
    /// Items a worker is reconciling now: a workqueue hands a key to one worker at a time, and
    /// one re-added meanwhile waits in `due` until that worker is done.
    pub(super) running: BTreeSet<Key>,
}

impl Queue {
    /// Adds (or moves earlier) an item, as a workqueue dedups keys.
    pub(super) fn add(&mut self, key: Key, at: DateTime<Utc>, seq: u64) {
        let e = self.due.entry(key).or_insert((at, seq));
        if at < e.0 {
            *e = (at, seq);
        }
    }
    /// The earliest item no worker holds.
    pub(super) fn next(&self) -> Option<(Key, DateTime<Utc>, u64)> {
        self.due.iter().filter(|(k, _)| !self.running.contains(*k)).map(|(k, (t, s))| (k.clone(), *t, *s)).min_by_key(|(_, t, s)| (*t, *s))
    }
    pub fn len(&self) -> usize {
        self.due.len()
    }
    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }
    pub fn failures(&self, ns: &str, name: &str) -> u32 {
        self.failures.get(&(ns.to_string(), name.to_string())).copied().unwrap_or(0)
    }
}

#[derive(Default)]
pub struct Queues {
    pub services: Queue,
    pub tgbs: Queue,
    /// IngressGroups by their key: (namespace, name) of an implicit group, ("", name) of an
    /// explicit one.
    pub ingresses: Queue,
    seq: u64,
}

impl Queues {
    fn seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
    pub fn add_service(&mut self, key: Key, at: DateTime<Utc>) {
        let s = self.seq();
        self.services.add(key, at, s);
    }
    pub fn add_tgb(&mut self, key: Key, at: DateTime<Utc>) {
        let s = self.seq();
        self.tgbs.add(key, at, s);
    }
    pub fn add_ingress(&mut self, key: Key, at: DateTime<Utc>) {
        let s = self.seq();
        self.ingresses.add(key, at, s);
    }
}
