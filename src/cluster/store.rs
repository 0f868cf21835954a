//! The in-memory API server's storage: objects by (namespace, name) per kind, with what the real
//! one keeps for them — uid, resourceVersion (one counter for the whole store, like etcd's
//! revision), generation (bumped when the spec changes), finalizers (a delete of an object with
//! finalizers only sets deletionTimestamp; removing the last finalizer then deletes it), status
//! writes that do not bump generation, NodePort allocation for Services — and two ways to follow
//! changes: the controllers' watch feed (drained) and, when enabled, a bounded history of
//! changes with the object as it was, which API watches read (many readers, resumable by
//! resourceVersion).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Endpoints, Event as CoreEvent, Namespace, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::icp::IngressClassParams;
pub use super::kinds::{Kind, Object};
use super::tgb::TargetGroupBinding;
use crate::clock::Clock;

/// One change, as a watch would deliver it. `relevant` is false for Service and Ingress updates
/// that left annotations, spec and the "being deleted" flag alone (the LBC's update filters,
/// lbc-reconciler.md §1.1, lbc-ingress.md §1.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    pub deleted: bool,
    pub relevant: bool,
}

/// What a watch event says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

impl ChangeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Added => "ADDED",
            ChangeType::Modified => "MODIFIED",
            ChangeType::Deleted => "DELETED",
        }
    }
}

/// One entry of the change history: the object as it was after the change (the last state, with
/// the deletion's resourceVersion, for a delete).
#[derive(Debug, Clone)]
pub struct Change {
    pub rv: u64,
    pub kind: Kind,
    pub change: ChangeType,
    pub namespace: String,
    pub name: String,
    pub object: Arc<Value>,
}

/// How many changes the history keeps; a watch from an older resourceVersion gets 410 Gone
/// (client-go relists), as etcd's compaction makes the real API server answer.
pub const HISTORY: usize = 10_000;

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    NotFound,
    AlreadyExists,
    /// The given resourceVersion is not the stored one.
    Conflict,
    /// The object does not decode as its kind (the message says why).
    Invalid(String),
}

/// What a write is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// A new object; a taken name is `AlreadyExists`.
    Create,
    /// A replacement of the stored object's spec and metadata (status kept); `NotFound` if
    /// absent, `Conflict` on a stale resourceVersion.
    Update,
    /// A `/status` write: only the status changes.
    Status,
}

pub struct ClusterStore {
    pub cluster_name: String,
    /// Cluster-scoped objects live under namespace "".
    pub services: BTreeMap<(String, String), Service>,
    pub nodes: BTreeMap<(String, String), Node>,
    pub pods: BTreeMap<(String, String), Pod>,
    pub endpoints: BTreeMap<(String, String), Endpoints>,
    pub slices: BTreeMap<(String, String), EndpointSlice>,
    pub tgbs: BTreeMap<(String, String), TargetGroupBinding>,
    pub namespaces: BTreeMap<(String, String), Namespace>,
    /// core/v1 Events (what `kubectl get events` and `describe` read); `events()` gives them as
    /// [`super::Event`] records, oldest first.
    pub events: BTreeMap<(String, String), CoreEvent>,
    pub deployments: BTreeMap<(String, String), Deployment>,
    pub replicasets: BTreeMap<(String, String), ReplicaSet>,
    pub ingresses: BTreeMap<(String, String), Ingress>,
    pub ingress_classes: BTreeMap<(String, String), IngressClass>,
    pub ingress_class_params: BTreeMap<(String, String), IngressClassParams>,
    /// The mutating webhook's class (§1.1): set on create of a LoadBalancer Service without a
    /// class when `Some` (Helm `enableServiceMutatorWebhook`, default on).
    pub webhook_class: Option<String>,
    rv: u64,
    uids: u64,
    /// Events count apart, so recording one never shifts the uids (and so the LBC's name
    /// hashes) of the objects created after it.
    pub(super) event_uids: u64,
    feed: Vec<Watch>,
    history: Option<VecDeque<Change>>,
    changed: tokio::sync::watch::Sender<u64>,
    clock: Clock,
}

/// The namespaces every cluster starts with.
pub const DEFAULT_NAMESPACES: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];

pub fn key(namespace: &str, name: &str) -> (String, String) {
    (namespace.to_string(), name.to_string())
}

fn meta_key(m: &ObjectMeta) -> (String, String) {
    key(m.namespace.as_deref().unwrap_or(""), m.name.as_deref().unwrap_or(""))
}

pub fn time(t: chrono::DateTime<chrono::Utc>) -> Time {
    Time(k8s_openapi::jiff::Timestamp::from_millisecond(t.timestamp_millis()).unwrap_or_default())
}

/// Everything the store holds, for snapshots: objects per kind as JSON, and the counters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoreSnapshot {
    pub rv: u64,
    pub uids: u64,
    pub event_uids: u64,
    pub webhook_class: Option<String>,
    pub objects: BTreeMap<Kind, Vec<Value>>,
}

impl ClusterStore {
    pub fn new(cluster_name: &str, clock: Clock) -> ClusterStore {
        let mut s = ClusterStore {
            cluster_name: cluster_name.to_string(),
            services: BTreeMap::new(),
            nodes: BTreeMap::new(),
            pods: BTreeMap::new(),
            endpoints: BTreeMap::new(),
            slices: BTreeMap::new(),
            tgbs: BTreeMap::new(),
            namespaces: BTreeMap::new(),
            events: BTreeMap::new(),
            deployments: BTreeMap::new(),
            replicasets: BTreeMap::new(),
            ingresses: BTreeMap::new(),
            ingress_classes: BTreeMap::new(),
            ingress_class_params: BTreeMap::new(),
            webhook_class: Some("service.k8s.aws/nlb".to_string()),
            rv: 0,
            uids: 0,
            event_uids: 0,
            feed: Vec::new(),
            history: None,
            changed: tokio::sync::watch::Sender::new(0),
            clock,
        };
        for (i, ns) in DEFAULT_NAMESPACES.iter().enumerate() {
            // Their own uids: the counter's uids stay those of the objects a scenario creates.
            let n = Namespace {
                metadata: ObjectMeta {
                    name: Some(ns.to_string()),
                    uid: Some(format!("00000000-0000-4000-a000-{:012x}", i + 1)),
                    labels: Some([("kubernetes.io/metadata.name".to_string(), ns.to_string())].into()),
                    ..Default::default()
                },
                spec: Some(k8s_openapi::api::core::v1::NamespaceSpec { finalizers: Some(vec!["kubernetes".into()]) }),
                status: Some(k8s_openapi::api::core::v1::NamespaceStatus { phase: Some("Active".into()), ..Default::default() }),
            };
            s.apply(n);
        }
        s.feed.clear();
        s
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// The latest resourceVersion (what a list answers with).
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    /// Deterministic uids, so a replay gives the same LBC name hashes.
    fn next_uid(&mut self) -> String {
        self.uids += 1;
        format!("00000000-0000-4000-8000-{:012x}", self.uids)
    }

    pub(super) fn uid_counter(&self) -> u64 {
        self.uids
    }

    pub(super) fn set_counters(&mut self, rv: u64, uids: u64, event_uids: u64) {
        self.rv = rv;
        self.uids = uids;
        self.event_uids = event_uids;
        self.changed.send_replace(rv);
    }

    /// Empties every map (an import fills them again).
    pub(super) fn clear_all(&mut self) {
        for kind in Kind::ALL {
            crate::with_kind!(kind, T => T::map_mut(self).clear());
        }
        self.feed.clear();
    }

    /// Starts keeping the change history that API watches read (live mode; scenarios and the
    /// benchmark need none).
    pub fn enable_history(&mut self) {
        self.history.get_or_insert_with(VecDeque::new);
    }

    /// A receiver that sees the latest resourceVersion after every change (wakes watches and
    /// controllers; it holds no lock).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Ends every subscription (open watches finish): the cluster is going away.
    pub fn close(&mut self) {
        self.changed = tokio::sync::watch::Sender::new(self.rv);
    }

    /// Changes with a resourceVersion above `rv`, oldest first; `Err(oldest kept)` when `rv` is
    /// older than the history reaches (or no history is kept).
    pub fn changes_since(&self, rv: u64) -> Result<Vec<Change>, u64> {
        let Some(h) = &self.history else { return Err(self.rv) };
        if rv >= self.rv {
            return Ok(Vec::new());
        }
        let oldest = h.front().map(|c| c.rv).unwrap_or(self.rv + 1);
        if rv + 1 < oldest {
            return Err(oldest);
        }
        let start = h.partition_point(|c| c.rv <= rv);
        Ok(h.iter().skip(start).cloned().collect())
    }

    pub fn get<T: Object>(&self, namespace: &str, name: &str) -> Option<T> {
        T::map(self).get(&key(namespace, name)).cloned()
    }

    pub fn list<T: Object>(&self) -> Vec<T> {
        T::map(self).values().cloned().collect()
    }

    /// Every object of a kind, borrowed, in key order: for reads that keep a few fields or a
    /// few objects (a controller's per-reconcile scans of every binding or slice), which
    /// `list` would pay a deep copy of each object for.
    pub fn iter<'a, T: Object + 'a>(&'a self) -> impl Iterator<Item = &'a T> {
        T::map(self).values()
    }

    /// Creates the object, or updates it as `kubectl apply` would (metadata bookkeeping kept;
    /// finalizers kept when the new object names none). Returns the stored object.
    pub fn apply<T: Object>(&mut self, mut obj: T) -> T {
        let k = meta_key(obj.meta());
        let old = T::map(self).get(&k).cloned();
        if let Some(o) = &old {
            if obj.meta().finalizers.is_none() {
                obj.meta_mut().finalizers = o.meta().finalizers.clone();
            }
            obj.meta_mut().deletion_timestamp = o.meta().deletion_timestamp.clone();
        }
        self.commit(k, obj, old.as_ref())
    }

    /// A write as the API server's verbs make it (see [`Write`]). Validation of the content is
    /// the caller's; this checks existence and the resourceVersion precondition.
    pub fn write<T: Object>(&mut self, obj: T, mode: Write) -> Result<T, StoreError> {
        let k = meta_key(obj.meta());
        let old = T::map(self).get(&k).cloned();
        match (mode, &old) {
            (Write::Create, Some(_)) => return Err(StoreError::AlreadyExists),
            (Write::Update | Write::Status, None) => return Err(StoreError::NotFound),
            _ => {}
        }
        if let (Some(o), Some(rv)) = (&old, obj.meta().resource_version.as_deref().filter(|r| !r.is_empty()))
            && o.meta().resource_version.as_deref() != Some(rv)
        {
            return Err(StoreError::Conflict);
        }
        let obj = match (mode, &old) {
            (Write::Status, Some(o)) => {
                let mut n = o.clone();
                n.copy_status(&obj);
                n
            }
            (Write::Update, Some(o)) => {
                let mut n = obj;
                n.copy_status(o);
                // Only a delete sets it.
                n.meta_mut().deletion_timestamp = o.meta().deletion_timestamp.clone();
                n
            }
            _ => obj,
        };
        Ok(self.commit(k, obj, old.as_ref()))
    }

    /// Stores `obj` over `old` with the bookkeeping every write shares.
    fn commit<T: Object>(&mut self, k: (String, String), mut obj: T, old: Option<&T>) -> T {
        self.pre_store(&mut obj, old);
        let now = time(self.now());
        match old {
            None => {
                let uid = obj.meta().uid.clone().filter(|u| !u.is_empty()).unwrap_or_else(|| self.next_uid());
                let m = obj.meta_mut();
                m.uid = Some(uid);
                m.generation = Some(1);
                m.creation_timestamp.get_or_insert(now);
                m.deletion_timestamp = None;
            }
            Some(o) => {
                let om = o.meta().clone();
                let generation = om.generation.unwrap_or(1) + i64::from(obj.spec_differs(o));
                let m = obj.meta_mut();
                m.uid = om.uid;
                m.generation = Some(generation);
                m.creation_timestamp = om.creation_timestamp;
            }
        }
        let rv = self.next_rv();
        obj.meta_mut().resource_version = Some(rv.to_string());
        let relevant = old.is_none_or(|o| relevant_change(o, &obj));
        // Removing the last finalizer of an object being deleted completes the delete.
        let gone = obj.meta().deletion_timestamp.is_some() && obj.meta().finalizers.as_ref().is_none_or(|f| f.is_empty()) && !obj.held();
        if gone {
            T::map_mut(self).remove(&k);
        } else {
            T::map_mut(self).insert(k.clone(), obj.clone());
        }
        let change = match (old, gone) {
            (_, true) => ChangeType::Deleted,
            (None, _) => ChangeType::Added,
            (Some(_), _) => ChangeType::Modified,
        };
        self.changed(T::KIND, k, gone, relevant, change, rv, &obj);
        obj
    }

    /// Feeds the controllers, the history and the subscribers.
    #[allow(clippy::too_many_arguments)]
    fn changed<T: Object>(&mut self, kind: Kind, k: (String, String), deleted: bool, relevant: bool, change: ChangeType, rv: u64, obj: &T) {
        if let Some(h) = self.history.as_mut() {
            let mut v = serde_json::to_value(obj).unwrap_or(Value::Null);
            super::values::set_type_meta(kind, &mut v);
            h.push_back(Change { rv, kind, change, namespace: k.0.clone(), name: k.1.clone(), object: Arc::new(v) });
            while h.len() > HISTORY {
                h.pop_front();
            }
        }
        self.feed.push(Watch { kind, namespace: k.0.clone(), name: k.1.clone(), deleted, relevant });
        self.changed.send_replace(rv);
        self.after_change(kind, &k);
    }

    /// Replaces the stored object by `f(obj)` without touching generation unless the spec
    /// changed (status and metadata patches). `None` if the object does not exist.
    pub fn patch<T: Object>(&mut self, namespace: &str, name: &str, f: impl FnOnce(&mut T)) -> Option<T> {
        let k = key(namespace, name);
        let old = T::map(self).get(&k)?.clone();
        let mut obj = old.clone();
        f(&mut obj);
        Some(self.commit(k, obj, Some(&old)))
    }

    /// Deletes: with finalizers only marks `deletionTimestamp`; without, removes. Returns
    /// whether the object existed.
    pub fn delete<T: Object>(&mut self, namespace: &str, name: &str) -> bool {
        self.remove::<T>(namespace, name).is_some()
    }

    /// [`Self::delete`] returning the object's last state and whether it is gone (`false`: held
    /// by finalizers, with `deletionTimestamp` set).
    pub fn remove<T: Object>(&mut self, namespace: &str, name: &str) -> Option<(T, bool)> {
        let k = key(namespace, name);
        let obj = T::map(self).get(&k).cloned()?;
        if obj.meta().finalizers.as_ref().is_some_and(|f| !f.is_empty()) || obj.held() {
            if obj.meta().deletion_timestamp.is_none() {
                let now = time(self.now());
                return self.patch::<T>(namespace, name, |o| o.meta_mut().deletion_timestamp = Some(now)).map(|o| (o, false));
            }
            return Some((obj, false));
        }
        let mut last = T::map_mut(self).remove(&k)?;
        let rv = self.next_rv();
        last.meta_mut().resource_version = Some(rv.to_string());
        self.changed(T::KIND, k, true, true, ChangeType::Deleted, rv, &last);
        Some((last, true))
    }

    pub fn add_finalizer<T: Object>(&mut self, namespace: &str, name: &str, finalizer: &str) -> Option<T> {
        let has = self.get::<T>(namespace, name)?.meta().finalizers.as_ref().is_some_and(|f| f.iter().any(|x| x == finalizer));
        if has {
            return self.get(namespace, name);
        }
        self.patch::<T>(namespace, name, |o| o.meta_mut().finalizers.get_or_insert_with(Vec::new).push(finalizer.to_string()))
    }

    pub fn remove_finalizer<T: Object>(&mut self, namespace: &str, name: &str, finalizer: &str) -> Option<T> {
        self.patch::<T>(namespace, name, |o| {
            if let Some(f) = o.meta_mut().finalizers.as_mut() {
                f.retain(|x| x != finalizer);
            }
        })
    }

    /// Takes the changes since the last call, in order.
    pub fn drain_watch(&mut self) -> Vec<Watch> {
        std::mem::take(&mut self.feed)
    }

    /// Queues every object of `kinds` for the controllers, as an informer's first list does
    /// (a restarted controller).
    pub fn requeue_all(&mut self, kinds: &[Kind]) {
        for &kind in kinds {
            let keys: Vec<(String, String)> = crate::with_kind!(kind, T => T::map(self).keys().cloned().collect());
            for (namespace, name) in keys {
                self.feed.push(Watch { kind, namespace, name, deleted: false, relevant: true });
            }
        }
    }

    /// What the API server does before storing: Service defaults, NodePort allocation, the
    /// LBC's mutating webhook.
    fn pre_store<T: Object>(&mut self, obj: &mut T, old: Option<&T>) {
        let old = old.cloned().and_then(|mut o| o.as_service_mut().cloned());
        if let Some(svc) = obj.as_service_mut() {
            self.service_defaults(svc, old.as_ref());
        }
    }

    fn service_defaults(&mut self, svc: &mut Service, old: Option<&Service>) {
        let mut used: BTreeSet<i32> = self
            .services
            .values()
            .filter(|s| s.metadata.uid != svc.metadata.uid)
            .flat_map(|s| {
                let spec = s.spec.as_ref();
                let ports = spec.and_then(|sp| sp.ports.as_ref()).into_iter().flatten().filter_map(|p| p.node_port);
                ports.chain(spec.and_then(|sp| sp.health_check_node_port)).collect::<Vec<_>>()
            })
            .collect();
        let webhook = self.webhook_class.clone();
        let svc_uid = svc.metadata.uid.clone();
        let spec = svc.spec.get_or_insert_with(Default::default);
        let ty = spec.type_.get_or_insert_with(|| "ClusterIP".to_string()).clone();
        if spec.load_balancer_class.as_deref().unwrap_or("").is_empty() {
            // The class is immutable once set: an apply that omits it keeps the stored one.
            spec.load_balancer_class = match old {
                Some(o) => o.spec.as_ref().and_then(|s| s.load_balancer_class.clone()),
                None if ty == "LoadBalancer" => webhook,
                None => None,
            };
        }
        // The API server's defaults (`kubectl describe` shows them).
        if ty != "ExternalName" {
            let kept = old.and_then(|o| o.spec.as_ref()?.cluster_ip.clone());
            if spec.cluster_ip.as_deref().unwrap_or("").is_empty() {
                spec.cluster_ip = Some(kept.unwrap_or_else(|| next_cluster_ip(&self.services, svc_uid.as_deref())));
            }
            if spec.cluster_ips.as_ref().is_none_or(|v| v.is_empty()) {
                spec.cluster_ips = spec.cluster_ip.clone().map(|ip| vec![ip]);
            }
            spec.ip_families.get_or_insert_with(|| vec!["IPv4".into()]);
            spec.ip_family_policy.get_or_insert_with(|| "SingleStack".into());
            spec.internal_traffic_policy.get_or_insert_with(|| "Cluster".into());
        }
        spec.session_affinity.get_or_insert_with(|| "None".into());
        if ty == "LoadBalancer" {
            spec.allocate_load_balancer_node_ports.get_or_insert(true);
        }
        if ty == "LoadBalancer" || ty == "NodePort" {
            spec.external_traffic_policy.get_or_insert_with(|| "Cluster".into());
        }
        if svc.status.is_none() {
            svc.status = Some(Default::default());
        }
        let spec = svc.spec.get_or_insert_with(Default::default);
        if ty != "LoadBalancer" && ty != "NodePort" {
            return;
        }
        let alloc = |used: &mut BTreeSet<i32>| {
            // Sequential from the bottom of the range: deterministic replays (the apiserver
            // picks randomly).
            let p = (30000..=32767).find(|p| !used.contains(p)).unwrap_or(0);
            used.insert(p);
            p
        };
        let old_ports: Vec<(i32, String, i32)> = old
            .and_then(|o| o.spec.as_ref()?.ports.clone())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| Some((p.port, p.protocol.clone().unwrap_or_else(|| "TCP".into()), p.node_port?)))
            .collect();
        let allocate = spec.allocate_load_balancer_node_ports != Some(false) || ty == "NodePort";
        for p in spec.ports.iter_mut().flatten() {
            p.protocol.get_or_insert_with(|| "TCP".to_string());
            if p.target_port.is_none() {
                p.target_port = Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(p.port));
            }
            if p.node_port.is_none() && allocate {
                let kept = old_ports.iter().find(|(port, proto, _)| *port == p.port && Some(proto) == p.protocol.as_ref());
                p.node_port = Some(match kept {
                    Some((_, _, np)) => *np,
                    None => alloc(&mut used),
                });
            }
            if let Some(np) = p.node_port {
                used.insert(np);
            }
        }
        if ty == "LoadBalancer" && spec.external_traffic_policy.as_deref() == Some("Local") && spec.health_check_node_port.is_none() {
            let kept = old.and_then(|o| o.spec.as_ref()?.health_check_node_port);
            spec.health_check_node_port = Some(kept.unwrap_or_else(|| alloc(&mut used)));
        }
    }

    fn after_change(&mut self, kind: Kind, k: &(String, String)) {
        if matches!(kind, Kind::Service | Kind::Pod) {
            super::endpoints::sync_after(self, kind == Kind::Service, &k.0, &k.1);
        }
    }
}

/// The first free address of the service CIDR lbsim's DescribeCluster reports (172.20.0.0/16),
/// from .10 up (.1 is the `kubernetes` Service, .10 conventionally DNS): deterministic, where the
/// API server picks at random.
fn next_cluster_ip(services: &BTreeMap<(String, String), Service>, uid: Option<&str>) -> String {
    let used: BTreeSet<&str> = services
        .values()
        .filter(|s| uid.is_none() || s.metadata.uid.as_deref() != uid)
        .filter_map(|s| s.spec.as_ref()?.cluster_ip.as_deref())
        .collect();
    (11u32..65534)
        .map(|n| format!("172.20.{}.{}", n / 256, n % 256))
        .find(|ip| !used.contains(ip.as_str()))
        .unwrap_or_else(|| "None".to_string())
}

/// The LBC's Service and Ingress update filters: annotations, spec, or the deletion flag
/// changed (lbc-reconciler.md §1.1, lbc-ingress.md §1.5). Other kinds: any change counts.
fn relevant_change<T: Object>(old: &T, new: &T) -> bool {
    if T::KIND != Kind::Service && T::KIND != Kind::Ingress {
        return true;
    }
    let (o, n) = (old.meta(), new.meta());
    o.annotations != n.annotations || old.spec_differs(new) || o.deletion_timestamp.is_some() != n.deletion_timestamp.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(name: &str, ports: &[i32]) -> Service {
        serde_yaml_ng::from_str(&format!(
            "metadata: {{name: {name}, namespace: default}}\nspec:\n  type: LoadBalancer\n  ports: [{}]\n",
            ports.iter().map(|p| format!("{{port: {p}}}")).collect::<Vec<_>>().join(", ")
        ))
        .unwrap()
    }

    #[test]
    fn generation_resource_version_and_node_ports() {
        let mut s = ClusterStore::new("c", Clock::Wall);
        let a = s.apply(svc("a", &[80, 443]));
        let spec = a.spec.clone().unwrap();
        assert_eq!(a.metadata.generation, Some(1));
        assert_eq!(spec.load_balancer_class.as_deref(), Some("service.k8s.aws/nlb"), "webhook");
        let nps: Vec<i32> = spec.ports.unwrap().iter().map(|p| p.node_port.unwrap()).collect();
        assert_eq!(nps, [30000, 30001]);
        let b = s.apply(svc("b", &[80]));
        assert_eq!(b.spec.unwrap().ports.unwrap()[0].node_port, Some(30002));
        // Re-applying the same manifest keeps node ports and generation; a new port bumps it.
        let a2 = s.apply(svc("a", &[80, 443]));
        assert_eq!(a2.metadata.generation, Some(1));
        assert_eq!(a2.spec.as_ref().unwrap().ports.as_ref().unwrap()[1].node_port, Some(30001));
        assert!(a2.metadata.resource_version.unwrap().parse::<u64>().unwrap() > 2);
        let a3 = s.apply(svc("a", &[80, 443, 8080]));
        assert_eq!(a3.metadata.generation, Some(2));
        assert_eq!(a3.spec.unwrap().ports.unwrap()[2].node_port, Some(30003));
    }

    #[test]
    fn finalizers_hold_deletion_and_status_patches_do_not_bump_generation() {
        let mut s = ClusterStore::new("c", Clock::Wall);
        s.apply(svc("a", &[80]));
        s.drain_watch();
        s.add_finalizer::<Service>("default", "a", "service.k8s.aws/resources");
        s.patch::<Service>("default", "a", |o| o.status = Some(Default::default()));
        let w = s.drain_watch();
        assert!(w.iter().all(|w| !w.relevant), "finalizer/status updates are filtered: {w:?}");
        assert_eq!(s.get::<Service>("default", "a").unwrap().metadata.generation, Some(1));
        assert!(s.delete::<Service>("default", "a"));
        let held = s.get::<Service>("default", "a").unwrap();
        assert!(held.metadata.deletion_timestamp.is_some());
        assert!(s.drain_watch().last().unwrap().relevant);
        s.remove_finalizer::<Service>("default", "a", "service.k8s.aws/resources");
        assert!(s.get::<Service>("default", "a").is_none());
    }

    #[test]
    fn events_fold_repeats() {
        let mut s = ClusterStore::new("c", Clock::Wall);
        let a = s.apply(svc("a", &[80]));
        s.record(&a, "Warning", "FailedDeployModel", "boom");
        s.record(&a, "Warning", "FailedDeployModel", "boom");
        s.record(&a, "Normal", "SuccessfullyReconciled", "Successfully reconciled");
        let ev = s.events_for(Kind::Service, "default", "a");
        assert_eq!(
            ev.iter().map(|e| (e.reason.as_str(), e.count)).collect::<Vec<_>>(),
            [("FailedDeployModel", 2), ("SuccessfullyReconciled", 1)]
        );
    }
}
