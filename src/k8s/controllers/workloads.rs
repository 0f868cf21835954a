//! The Deployment and ReplicaSet controllers, minimal: a Deployment owns one ReplicaSet per pod
//! template (`<deployment>-<pod-template-hash>`, revision annotations), scales the current one
//! to `spec.replicas` and old ones to 0 at once; a ReplicaSet creates or deletes Pods
//! (`<replicaset>-<5 characters>`, owned through `ownerReferences`) to match its replicas.
//! Both report status as upstream's do (replicas, ready, available, updated,
//! observedGeneration, the Available and Progressing conditions), which `kubectl rollout
//! status` waits on. They write only what changed, so a quiet cluster stays quiet.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::cluster::endpoints::pod_ready;
use crate::cluster::events::NORMAL;
use crate::cluster::store::time;
use crate::cluster::{ClusterStore, Object};

pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const HASH_LABEL: &str = "pod-template-hash";

/// apimachinery `rand.SafeEncodeString`'s alphabet (no vowels, no look-alikes).
const SAFE: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// FNV-32a of the template, encoded as upstream encodes `ComputeHash`'s result.
pub fn template_hash(template: &serde_json::Value) -> String {
    let bytes = serde_json::to_vec(template).unwrap_or_default();
    let mut h: u32 = 0x811c9dc5;
    for b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x01000193);
    }
    h.to_string().bytes().map(|d| SAFE[d as usize % SAFE.len()] as char).collect()
}

pub fn random_suffix() -> String {
    let u = uuid::Uuid::new_v4();
    u.as_bytes().iter().take(5).map(|b| SAFE[*b as usize % SAFE.len()] as char).collect()
}

pub fn owner_ref<T: Object>(o: &T) -> OwnerReference {
    OwnerReference {
        api_version: T::KIND.api_version().to_string(),
        kind: T::KIND.name().to_string(),
        name: o.meta().name.clone().unwrap_or_default(),
        uid: o.meta().uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

pub fn controlled_by(m: &ObjectMeta, uid: &str) -> bool {
    m.owner_references.as_ref().is_some_and(|o| o.iter().any(|r| r.controller == Some(true) && r.uid == uid))
}

fn key(m: &ObjectMeta) -> (String, String) {
    (m.namespace.clone().unwrap_or_default(), m.name.clone().unwrap_or_default())
}

/// One pass of the Deployment controller.
pub fn deployments(s: &mut ClusterStore) {
    for d in s.list::<Deployment>() {
        if d.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let (ns, name) = key(&d.metadata);
        let uid = d.metadata.uid.clone().unwrap_or_default();
        let spec = d.spec.clone();
        let desired = spec.replicas.unwrap_or(1);
        let template = serde_json::to_value(&spec.template).unwrap_or_default();
        let hash = template_hash(&template);
        let rs_name = format!("{name}-{hash}");
        let owned: Vec<ReplicaSet> = s
            .list::<ReplicaSet>()
            .into_iter()
            .filter(|r| r.metadata.namespace.as_deref() == Some(&ns) && controlled_by(&r.metadata, &uid))
            .collect();
        let revision =
            |r: &ReplicaSet| r.metadata.annotations.as_ref().and_then(|a| a.get(REVISION)).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        let max_rev = owned.iter().map(revision).max().unwrap_or(0);
        let current = owned.iter().find(|r| r.metadata.name.as_deref() == Some(&rs_name)).cloned();
        let rev = match &current {
            Some(rs) => {
                let r = revision(rs);
                if rs.spec.replicas != Some(desired) {
                    let from = rs.spec.replicas.unwrap_or(0);
                    if let Some(rs) = s.patch::<ReplicaSet>(&ns, &rs_name, |r| r.spec.replicas = Some(desired)) {
                        let verb = if desired > from { "up" } else { "down" };
                        s.record(&d, NORMAL, "ScalingReplicaSet", &format!("Scaled {verb} replica set {rs_name} from {from} to {desired}"));
                        let _ = rs;
                    }
                }
                // An older template again (a rollback) becomes the newest revision.
                if r < max_rev { max_rev + 1 } else { r }
            }
            None => {
                let rev = max_rev + 1;
                let mut tpl = spec.template.clone();
                let tm = tpl.metadata.get_or_insert_with(Default::default);
                tm.labels.get_or_insert_with(Default::default).insert(HASH_LABEL.into(), hash.clone());
                let mut selector = spec.selector.clone();
                selector.match_labels.get_or_insert_with(Default::default).insert(HASH_LABEL.into(), hash.clone());
                let labels = tm.labels.clone();
                let rs = ReplicaSet {
                    metadata: ObjectMeta {
                        name: Some(rs_name.clone()),
                        namespace: Some(ns.clone()),
                        labels,
                        annotations: Some(
                            [
                                (REVISION.to_string(), rev.to_string()),
                                ("deployment.kubernetes.io/desired-replicas".to_string(), desired.to_string()),
                                (
                                    "deployment.kubernetes.io/max-replicas".to_string(),
                                    (desired + (desired as f64 * 0.25).ceil() as i32).to_string(),
                                ),
                            ]
                            .into(),
                        ),
                        owner_references: Some(vec![owner_ref(&d)]),
                        ..Default::default()
                    },
                    spec: k8s_openapi::api::apps::v1::ReplicaSetSpec {
                        replicas: Some(desired),
                        selector,
                        template: Some(tpl),
                        min_ready_seconds: spec.min_ready_seconds,
                    },
                    status: None,
                };
                if s.write(rs, crate::cluster::Write::Create).is_ok() {
                    s.record(&d, NORMAL, "ScalingReplicaSet", &format!("Scaled up replica set {rs_name} from 0 to {desired}"));
                }
                rev
            }
        };
        if current.as_ref().is_some_and(|rs| revision(rs) != rev) {
            s.patch::<ReplicaSet>(&ns, &rs_name, |r| {
                r.metadata.annotations.get_or_insert_with(Default::default).insert(REVISION.into(), rev.to_string());
            });
        }
        for old in owned.iter().filter(|r| r.metadata.name.as_deref() != Some(&rs_name)) {
            let n = old.metadata.name.clone().unwrap_or_default();
            let from = old.spec.replicas.unwrap_or(0);
            if from != 0 {
                s.patch::<ReplicaSet>(&ns, &n, |r| r.spec.replicas = Some(0));
                s.record(&d, NORMAL, "ScalingReplicaSet", &format!("Scaled down replica set {n} from {from} to 0"));
            }
        }
        deployment_status(s, &d, &rs_name, desired, rev);
    }
}

fn deployment_status(s: &mut ClusterStore, d: &Deployment, rs_name: &str, desired: i32, rev: i64) {
    let (ns, name) = key(&d.metadata);
    let uid = d.metadata.uid.clone().unwrap_or_default();
    let owned: Vec<ReplicaSet> = s
        .list::<ReplicaSet>()
        .into_iter()
        .filter(|r| r.metadata.namespace.as_deref() == Some(&ns) && controlled_by(&r.metadata, &uid))
        .collect();
    let st = |r: &ReplicaSet| r.status.clone().unwrap_or_default();
    let replicas: i32 = owned.iter().map(|r| st(r).replicas).sum();
    let ready: i32 = owned.iter().map(|r| st(r).ready_replicas.unwrap_or(0)).sum();
    let available: i32 = owned.iter().map(|r| st(r).available_replicas.unwrap_or(0)).sum();
    let updated: i32 = owned.iter().filter(|r| r.metadata.name.as_deref() == Some(rs_name)).map(|r| st(r).replicas).sum();
    // RollingUpdate's default maxUnavailable is 25%, rounded down.
    let max_unavailable = (desired as f64 * 0.25).floor() as i32;
    let old = d.status.clone().unwrap_or_default();
    let cond = |type_: &str, status: &str, reason: &str, message: String| {
        let prev = old.conditions.iter().flatten().find(|c| c.type_.as_deref() == Some(type_));
        let same = prev.is_some_and(|p| p.status.as_deref() == Some(status) && p.reason.as_deref() == Some(reason));
        let now = time(s.now());
        DeploymentCondition {
            type_: Some(type_.into()),
            status: Some(status.into()),
            reason: Some(reason.into()),
            message: Some(message),
            last_update_time: if same { prev.and_then(|p| p.last_update_time.clone()) } else { Some(now.clone()) },
            last_transition_time: if prev.is_some_and(|p| p.status.as_deref() == Some(status)) {
                prev.and_then(|p| p.last_transition_time.clone())
            } else {
                Some(now)
            },
        }
    };
    let available_cond = if available >= desired - max_unavailable {
        cond("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.".into())
    } else {
        cond("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.".into())
    };
    let progressing = if updated == desired && available >= desired && replicas == desired {
        cond("Progressing", "True", "NewReplicaSetAvailable", format!("ReplicaSet {rs_name:?} has successfully progressed."))
    } else {
        cond("Progressing", "True", "ReplicaSetUpdated", format!("ReplicaSet {rs_name:?} is progressing."))
    };
    let status = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: Some(replicas),
        updated_replicas: Some(updated),
        ready_replicas: Some(ready),
        available_replicas: Some(available),
        unavailable_replicas: Some((desired - available).max(0)).filter(|u| *u > 0),
        conditions: Some(vec![available_cond, progressing]),
        collision_count: None,
        terminating_replicas: None,
    };
    let has_rev = d.metadata.annotations.as_ref().and_then(|a| a.get(REVISION)) == Some(&rev.to_string());
    let same = |a: &DeploymentStatus, b: &DeploymentStatus| {
        let strip = |x: &DeploymentStatus| {
            let mut x = x.clone();
            for c in x.conditions.iter_mut().flatten() {
                c.last_update_time = None;
                c.last_transition_time = None;
            }
            x
        };
        strip(a) == strip(b)
    };
    if !same(&old, &status) || !has_rev {
        s.patch::<Deployment>(&ns, &name, |o| {
            o.status = Some(status);
            o.metadata.annotations.get_or_insert_with(Default::default).insert(REVISION.into(), rev.to_string());
        });
    }
}

/// One pass of the ReplicaSet controller.
pub fn replicasets(s: &mut ClusterStore) {
    for rs in s.list::<ReplicaSet>() {
        if rs.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let (ns, name) = key(&rs.metadata);
        let uid = rs.metadata.uid.clone().unwrap_or_default();
        let spec = rs.spec.clone();
        let desired = spec.replicas.unwrap_or(1).max(0) as usize;
        let mut pods: Vec<Pod> = s
            .list::<Pod>()
            .into_iter()
            .filter(|p| {
                p.metadata.namespace.as_deref() == Some(&ns) && controlled_by(&p.metadata, &uid) && p.metadata.deletion_timestamp.is_none()
            })
            .collect();
        if pods.len() < desired {
            let tpl = spec.template.clone().unwrap_or_default();
            for _ in pods.len()..desired {
                let mut pname = format!("{name}-{}", random_suffix());
                while s.pods.contains_key(&(ns.clone(), pname.clone())) {
                    pname = format!("{name}-{}", random_suffix());
                }
                let tm = tpl.metadata.clone().unwrap_or_default();
                let pod = Pod {
                    metadata: ObjectMeta {
                        name: Some(pname.clone()),
                        generate_name: Some(format!("{name}-")),
                        namespace: Some(ns.clone()),
                        labels: tm.labels,
                        annotations: tm.annotations,
                        owner_references: Some(vec![owner_ref(&rs)]),
                        ..Default::default()
                    },
                    spec: tpl.spec.clone(),
                    status: Some(k8s_openapi::api::core::v1::PodStatus {
                        phase: Some("Pending".into()),
                        qos_class: Some("BestEffort".into()),
                        ..Default::default()
                    }),
                };
                if let Ok(p) = s.write(pod, crate::cluster::Write::Create) {
                    s.record(&rs, NORMAL, "SuccessfulCreate", &format!("Created pod: {pname}"));
                    pods.push(p);
                }
            }
        } else if pods.len() > desired {
            // Unscheduled and not-ready pods go first, then the newest.
            pods.sort_by_key(|p| {
                (
                    p.spec.as_ref().and_then(|s| s.node_name.clone()).is_some(),
                    pod_ready(p),
                    std::cmp::Reverse(p.metadata.creation_timestamp.clone()),
                )
            });
            let extra: Vec<Pod> = pods.drain(..pods.len() - desired).collect();
            for p in extra {
                let pname = p.metadata.name.clone().unwrap_or_default();
                if s.delete::<Pod>(&ns, &pname) {
                    s.record(&rs, NORMAL, "SuccessfulDelete", &format!("Deleted pod: {pname}"));
                }
            }
        }
        let ready = pods.iter().filter(|p| pod_ready(p)).count() as i32;
        let status = ReplicaSetStatus {
            replicas: pods.len() as i32,
            fully_labeled_replicas: Some(pods.len() as i32),
            ready_replicas: Some(ready),
            available_replicas: Some(ready),
            observed_generation: rs.metadata.generation,
            conditions: None,
            terminating_replicas: None,
        };
        if rs.status.as_ref() != Some(&status) {
            s.patch::<ReplicaSet>(&ns, &name, |o| o.status = Some(status));
        }
    }
}
