//! Kubernetes Events as controllers record them: stored as core/v1 Event objects (what
//! `kubectl get events` and `describe` read), one per (object, type, reason, message), whose
//! `count` and `lastTimestamp` move when the same event repeats (the client-go event
//! correlator's aggregation of identical events). [`Event`] is the flat record the scenario
//! checks and the admin API read.

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{Event as CoreEvent, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::store::{ClusterStore, Kind, Object, time};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Involved object: kind, namespace, name, uid.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub type_: String,
    pub reason: String,
    pub message: String,
    pub count: u32,
    #[serde(serialize_with = "rfc3339")]
    pub first: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub last: DateTime<Utc>,
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

pub const NORMAL: &str = "Normal";
pub const WARNING: &str = "Warning";

/// The recorder's component per kind (the LBC's `GetEventRecorderFor` names; the
/// kube-controller-manager's and scheduler's for the kinds they own).
fn component(kind: Kind) -> &'static str {
    match kind {
        Kind::Service => "service",
        Kind::TargetGroupBinding => "targetGroupBinding",
        Kind::Ingress => "ingress",
        Kind::Deployment => "deployment-controller",
        Kind::ReplicaSet => "replicaset-controller",
        Kind::Pod => "default-scheduler",
        _ => "lbsim",
    }
}

fn chrono_of(t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>) -> DateTime<Utc> {
    t.and_then(|t| DateTime::from_timestamp_millis(t.0.as_millisecond())).unwrap_or_default()
}

fn view(e: &CoreEvent) -> Event {
    let o = &e.involved_object;
    Event {
        kind: o.kind.clone().unwrap_or_default(),
        namespace: o.namespace.clone().unwrap_or_default(),
        name: o.name.clone().unwrap_or_default(),
        uid: o.uid.clone().unwrap_or_default(),
        type_: e.type_.clone().unwrap_or_default(),
        reason: e.reason.clone().unwrap_or_default(),
        message: e.message.clone().unwrap_or_default(),
        count: e.count.unwrap_or(1).max(0) as u32,
        first: chrono_of(e.first_timestamp.as_ref()),
        last: chrono_of(e.last_timestamp.as_ref()),
    }
}

impl ClusterStore {
    /// Records an Event on an object, folding repeats into `count` (§7.3 event reasons).
    pub fn record<T: Object>(&mut self, obj: &T, type_: &str, reason: &str, message: &str) {
        let m = obj.meta();
        let (ns, name, uid) =
            (m.namespace.clone().unwrap_or_default(), m.name.clone().unwrap_or_default(), m.uid.clone().unwrap_or_default());
        let kind = T::KIND.name();
        let now = self.now();
        let same = self.events.iter().find(|(_, e)| {
            let o = &e.involved_object;
            o.kind.as_deref() == Some(kind)
                && o.namespace.as_deref().unwrap_or("") == ns
                && o.name.as_deref() == Some(&name)
                && o.uid.as_deref().unwrap_or("") == uid
                && e.type_.as_deref() == Some(type_)
                && e.reason.as_deref() == Some(reason)
                && e.message.as_deref() == Some(message)
        });
        if let Some(((ens, en), _)) = same.map(|(k, e)| (k.clone(), e)) {
            let t = time(now);
            self.patch::<CoreEvent>(&ens, &en, |e| {
                e.count = Some(e.count.unwrap_or(1) + 1);
                e.last_timestamp = Some(t);
            });
            return;
        }
        // client-go's recorder names an Event `<object>.<UnixNano in hex>`.
        let nanos = now.timestamp_nanos_opt().unwrap_or_default() as u64;
        let event_ns = if ns.is_empty() { "default".to_string() } else { ns.clone() };
        let mut ev_name = format!("{name}.{nanos:x}");
        while self.events.contains_key(&(event_ns.clone(), ev_name.clone())) {
            ev_name.push('0');
        }
        self.event_uids += 1;
        let component = component(T::KIND);
        let e = CoreEvent {
            metadata: ObjectMeta {
                name: Some(ev_name),
                namespace: Some(event_ns),
                uid: Some(format!("00000000-0000-4000-c000-{:012x}", self.event_uids)),
                ..Default::default()
            },
            involved_object: ObjectReference {
                api_version: Some(T::KIND.api_version().to_string()),
                kind: Some(kind.to_string()),
                name: Some(name),
                namespace: Some(ns).filter(|n| !n.is_empty()),
                uid: Some(uid).filter(|u| !u.is_empty()),
                resource_version: m.resource_version.clone(),
                ..Default::default()
            },
            type_: Some(type_.to_string()),
            reason: Some(reason.to_string()),
            message: Some(message.to_string()),
            count: Some(1),
            first_timestamp: Some(time(now)),
            last_timestamp: Some(time(now)),
            source: Some(EventSource { component: Some(component.to_string()), host: None }),
            reporting_component: Some(component.to_string()),
            reporting_instance: Some(String::new()),
            ..Default::default()
        };
        self.apply(e);
    }

    /// Every Event, oldest first.
    pub fn event_records(&self) -> Vec<Event> {
        let mut all: Vec<&CoreEvent> = self.events.values().collect();
        // Event uids count up in recording order.
        all.sort_by(|a, b| a.metadata.uid.cmp(&b.metadata.uid));
        all.into_iter().map(view).collect()
    }

    /// Events of one object, oldest first.
    pub fn events_for(&self, kind: Kind, namespace: &str, name: &str) -> Vec<Event> {
        self.event_records().into_iter().filter(|e| e.kind == kind.name() && e.namespace == namespace && e.name == name).collect()
    }
}
