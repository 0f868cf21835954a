//! The in-memory API server: objects by (namespace, name) per kind, with what the real one keeps
//! for them — uid, resourceVersion (one counter for the whole store), generation (bumped when
//! the spec changes), finalizers (a delete of an object with finalizers only sets
//! deletionTimestamp; removing the last finalizer then deletes it), status writes that do not
//! bump generation, NodePort allocation for Services, and a watch feed the controllers drain.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Endpoints, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::Serialize;

use super::events::Event;
use super::icp::IngressClassParams;
use super::tgb::TargetGroupBinding;
use crate::clock::Clock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Kind {
    Service,
    Node,
    Pod,
    Endpoints,
    EndpointSlice,
    TargetGroupBinding,
    Ingress,
    IngressClass,
    IngressClassParams,
}

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

/// What the store needs to know about an object type.
pub trait Object: Clone + Serialize {
    const KIND: Kind;
    fn meta(&self) -> &ObjectMeta;
    fn meta_mut(&mut self) -> &mut ObjectMeta;
    /// Whether the spec (what bumps `generation`) differs.
    fn spec_differs(&self, other: &Self) -> bool;
    fn map(s: &ClusterStore) -> &BTreeMap<(String, String), Self>;
    fn map_mut(s: &mut ClusterStore) -> &mut BTreeMap<(String, String), Self>;
    /// The object as a Service, for the API server's Service-only defaulting.
    fn as_service_mut(&mut self) -> Option<&mut Service> {
        None
    }
}

macro_rules! object {
    ($t:ty, $kind:ident, $field:ident, |$a:ident, $b:ident| $differs:expr $(, $extra:item)*) => {
        impl Object for $t {
            const KIND: Kind = Kind::$kind;
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
            fn spec_differs(&self, other: &Self) -> bool {
                let ($a, $b) = (self, other);
                $differs
            }
            fn map(s: &ClusterStore) -> &BTreeMap<(String, String), Self> {
                &s.$field
            }
            fn map_mut(s: &mut ClusterStore) -> &mut BTreeMap<(String, String), Self> {
                &mut s.$field
            }
            $($extra)*
        }
    };
}

object!(
    Service,
    Service,
    services,
    |a, b| a.spec != b.spec,
    fn as_service_mut(&mut self) -> Option<&mut Service> {
        Some(self)
    }
);
object!(Node, Node, nodes, |a, b| a.spec != b.spec);
object!(Pod, Pod, pods, |a, b| a.spec != b.spec);
object!(Endpoints, Endpoints, endpoints, |a, b| a.subsets != b.subsets);
object!(EndpointSlice, EndpointSlice, slices, |a, b| a.endpoints != b.endpoints || a.ports != b.ports);
object!(TargetGroupBinding, TargetGroupBinding, tgbs, |a, b| a.spec != b.spec);
object!(Ingress, Ingress, ingresses, |a, b| a.spec != b.spec);
object!(IngressClass, IngressClass, ingress_classes, |a, b| a.spec != b.spec);
object!(IngressClassParams, IngressClassParams, ingress_class_params, |a, b| a.spec != b.spec);

pub struct ClusterStore {
    pub cluster_name: String,
    /// Nodes live under namespace "".
    pub services: BTreeMap<(String, String), Service>,
    pub nodes: BTreeMap<(String, String), Node>,
    pub pods: BTreeMap<(String, String), Pod>,
    pub endpoints: BTreeMap<(String, String), Endpoints>,
    pub slices: BTreeMap<(String, String), EndpointSlice>,
    pub tgbs: BTreeMap<(String, String), TargetGroupBinding>,
    pub ingresses: BTreeMap<(String, String), Ingress>,
    /// Cluster-scoped, like IngressClassParams: namespace "".
    pub ingress_classes: BTreeMap<(String, String), IngressClass>,
    pub ingress_class_params: BTreeMap<(String, String), IngressClassParams>,
    pub events: Vec<Event>,
    /// The mutating webhook's class (§1.1): set on create of a LoadBalancer Service without a
    /// class when `Some` (Helm `enableServiceMutatorWebhook`, default on).
    pub webhook_class: Option<String>,
    rv: u64,
    uids: u64,
    feed: Vec<Watch>,
    clock: Clock,
}

pub fn key(namespace: &str, name: &str) -> (String, String) {
    (namespace.to_string(), name.to_string())
}

fn meta_key(m: &ObjectMeta) -> (String, String) {
    key(m.namespace.as_deref().unwrap_or(""), m.name.as_deref().unwrap_or(""))
}

pub fn time(t: chrono::DateTime<chrono::Utc>) -> Time {
    Time(k8s_openapi::jiff::Timestamp::from_millisecond(t.timestamp_millis()).unwrap_or_default())
}

impl ClusterStore {
    pub fn new(cluster_name: &str, clock: Clock) -> ClusterStore {
        ClusterStore {
            cluster_name: cluster_name.to_string(),
            services: BTreeMap::new(),
            nodes: BTreeMap::new(),
            pods: BTreeMap::new(),
            endpoints: BTreeMap::new(),
            slices: BTreeMap::new(),
            tgbs: BTreeMap::new(),
            ingresses: BTreeMap::new(),
            ingress_classes: BTreeMap::new(),
            ingress_class_params: BTreeMap::new(),
            events: Vec::new(),
            webhook_class: Some("service.k8s.aws/nlb".to_string()),
            rv: 0,
            uids: 0,
            feed: Vec::new(),
            clock,
        }
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    fn next_rv(&mut self) -> String {
        self.rv += 1;
        self.rv.to_string()
    }

    /// Deterministic uids, so a replay gives the same LBC name hashes.
    fn next_uid(&mut self) -> String {
        self.uids += 1;
        format!("00000000-0000-4000-8000-{:012x}", self.uids)
    }

    pub fn get<T: Object>(&self, namespace: &str, name: &str) -> Option<T> {
        T::map(self).get(&key(namespace, name)).cloned()
    }

    pub fn list<T: Object>(&self) -> Vec<T> {
        T::map(self).values().cloned().collect()
    }

    /// Creates the object, or updates it as `kubectl apply` would (metadata bookkeeping kept,
    /// status kept when the new object has none). Returns the stored object.
    pub fn apply<T: Object>(&mut self, mut obj: T) -> T {
        let k = meta_key(obj.meta());
        let old = T::map(self).get(&k).cloned();
        self.pre_store(&mut obj, old.as_ref());
        let now = time(self.now());
        match &old {
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
                m.deletion_timestamp = om.deletion_timestamp;
                if m.finalizers.is_none() {
                    m.finalizers = om.finalizers;
                }
            }
        }
        obj.meta_mut().resource_version = Some(self.next_rv());
        let relevant = match &old {
            None => true,
            Some(o) => relevant_change(o, &obj),
        };
        T::map_mut(self).insert(k.clone(), obj.clone());
        self.feed.push(Watch { kind: T::KIND, namespace: k.0, name: k.1, deleted: false, relevant });
        self.after_change(T::KIND);
        obj
    }

    /// Replaces the stored object by `f(obj)` without touching generation unless the spec
    /// changed (status and metadata patches). `None` if the object does not exist.
    pub fn patch<T: Object>(&mut self, namespace: &str, name: &str, f: impl FnOnce(&mut T)) -> Option<T> {
        let k = key(namespace, name);
        let old = T::map(self).get(&k)?.clone();
        let mut obj = old.clone();
        f(&mut obj);
        if obj.spec_differs(&old) {
            obj.meta_mut().generation = Some(old.meta().generation.unwrap_or(1) + 1);
        }
        obj.meta_mut().resource_version = Some(self.next_rv());
        let relevant = relevant_change(&old, &obj);
        // Removing the last finalizer of an object being deleted completes the delete.
        let gone = obj.meta().deletion_timestamp.is_some() && obj.meta().finalizers.as_ref().is_none_or(|f| f.is_empty());
        if gone {
            T::map_mut(self).remove(&k);
        } else {
            T::map_mut(self).insert(k.clone(), obj.clone());
        }
        self.feed.push(Watch { kind: T::KIND, namespace: k.0, name: k.1, deleted: gone, relevant });
        self.after_change(T::KIND);
        Some(obj)
    }

    /// Deletes: with finalizers only marks `deletionTimestamp`; without, removes. Returns
    /// whether the object existed.
    pub fn delete<T: Object>(&mut self, namespace: &str, name: &str) -> bool {
        let k = key(namespace, name);
        let Some(obj) = T::map(self).get(&k).cloned() else { return false };
        if obj.meta().finalizers.as_ref().is_some_and(|f| !f.is_empty()) {
            if obj.meta().deletion_timestamp.is_none() {
                let now = time(self.now());
                self.patch::<T>(namespace, name, |o| o.meta_mut().deletion_timestamp = Some(now));
            }
        } else {
            T::map_mut(self).remove(&k);
            self.next_rv();
            self.feed.push(Watch { kind: T::KIND, namespace: k.0, name: k.1, deleted: true, relevant: true });
            self.after_change(T::KIND);
        }
        true
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

    /// Records an Event on an object, folding repeats into `count` (§7.3 event reasons).
    pub fn record<T: Object>(&mut self, obj: &T, type_: &str, reason: &str, message: &str) {
        let m = obj.meta();
        let (ns, name, uid) =
            (m.namespace.clone().unwrap_or_default(), m.name.clone().unwrap_or_default(), m.uid.clone().unwrap_or_default());
        let kind = format!("{:?}", T::KIND);
        let now = self.now();
        if let Some(e) = self.events.iter_mut().find(|e| {
            e.kind == kind
                && e.namespace == ns
                && e.name == name
                && e.uid == uid
                && e.type_ == type_
                && e.reason == reason
                && e.message == message
        }) {
            e.count += 1;
            e.last = now;
            return;
        }
        self.events.push(Event {
            kind,
            namespace: ns,
            name,
            uid,
            type_: type_.to_string(),
            reason: reason.to_string(),
            message: message.to_string(),
            count: 1,
            first: now,
            last: now,
        });
    }

    /// Events of one object, oldest first.
    pub fn events_for(&self, kind: Kind, namespace: &str, name: &str) -> Vec<Event> {
        let kind = format!("{kind:?}");
        self.events.iter().filter(|e| e.kind == kind && e.namespace == namespace && e.name == name).cloned().collect()
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

    fn after_change(&mut self, kind: Kind) {
        if matches!(kind, Kind::Service | Kind::Pod) {
            super::endpoints::sync(self);
        }
    }
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
