//! The scheduler and the kubelet, minimal: a Pod without a node gets one (Ready and
//! schedulable nodes that match its nodeSelector and whose NoSchedule/NoExecute taints it
//! tolerates, the least loaded first); a Pod on a node gets an address of the node's subnet —
//! a secondary private address of the node's primary interface through EC2
//! (AssignPrivateIpAddresses), as the VPC CNI does — then runs and is Ready. A deleted Pod's
//! address goes back (UnassignPrivateIpAddresses). The EC2 calls run outside the store's lock.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::json;

use crate::cluster::ClusterStore;
use crate::cluster::endpoints::pod_ready;
use crate::cluster::events::{NORMAL, WARNING};
use crate::cluster::store::time;

fn node_ready(n: &Node) -> bool {
    n.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        && !n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false)
}

fn fits(p: &Pod, n: &Node) -> bool {
    let spec = p.spec.clone().unwrap_or_default();
    let labels = n.metadata.labels.clone().unwrap_or_default();
    if !spec.node_selector.unwrap_or_default().iter().all(|(k, v)| labels.get(k) == Some(v)) {
        return false;
    }
    let tolerations = spec.tolerations.unwrap_or_default();
    n.spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default()
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .all(|t| {
            tolerations.iter().any(|tol| {
                let key_ok = tol.key.as_deref().is_none_or(|k| k.is_empty() || k == t.key);
                let op = tol.operator.as_deref().unwrap_or("Equal");
                let value_ok = op == "Exists" || tol.value.as_deref().unwrap_or("") == t.value.as_deref().unwrap_or("");
                let effect_ok = tol.effect.as_deref().is_none_or(|e| e.is_empty() || e == t.effect);
                key_ok && value_ok && effect_ok
            })
        })
}

/// Binds unscheduled Pods to nodes (in the store). Returns nothing to do outside.
pub fn schedule(s: &mut ClusterStore) {
    let pending: Vec<Pod> = s
        .list::<Pod>()
        .into_iter()
        .filter(|p| {
            p.metadata.deletion_timestamp.is_none() && p.spec.as_ref().is_some_and(|sp| sp.node_name.as_deref().unwrap_or("").is_empty())
        })
        .collect();
    if pending.is_empty() {
        return;
    }
    let nodes: Vec<Node> = s.list::<Node>();
    let mut load: BTreeMap<String, usize> = BTreeMap::new();
    for p in s.pods.values() {
        if let Some(n) = p.spec.as_ref().and_then(|sp| sp.node_name.clone()) {
            *load.entry(n).or_default() += 1;
        }
    }
    for p in pending {
        let ns = p.metadata.namespace.clone().unwrap_or_default();
        let name = p.metadata.name.clone().unwrap_or_default();
        let candidates: Vec<&Node> = nodes.iter().filter(|n| node_ready(n) && fits(&p, n)).collect();
        let Some(node) = candidates
            .iter()
            .min_by_key(|n| (load.get(n.metadata.name.as_deref().unwrap_or("")).copied().unwrap_or(0), n.metadata.name.clone()))
        else {
            let already = p
                .status
                .as_ref()
                .and_then(|st| st.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "PodScheduled" && c.status == "False"));
            if !already {
                let msg = format!(
                    "0/{} nodes are available: {} node(s) didn't match Pod's node affinity/selector or had untolerated taints or were not ready.",
                    nodes.len(),
                    nodes.len()
                );
                let now = time(s.now());
                if let Some(p) = s.patch::<Pod>(&ns, &name, |p| {
                    let st = p.status.get_or_insert_with(Default::default);
                    st.phase = Some("Pending".into());
                    st.conditions = Some(vec![
                        serde_json::from_value(
                            json!({"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": msg.clone()}),
                        )
                        .unwrap_or_default(),
                    ]);
                    if let Some(c) = st.conditions.as_mut().and_then(|c| c.first_mut()) {
                        c.last_transition_time = Some(now.clone());
                    }
                }) {
                    s.record(&p, WARNING, "FailedScheduling", &msg);
                }
            }
            continue;
        };
        let node_name = node.metadata.name.clone().unwrap_or_default();
        *load.entry(node_name.clone()).or_default() += 1;
        let now = time(s.now());
        if let Some(p) = s.patch::<Pod>(&ns, &name, |p| {
            p.spec.get_or_insert_with(Default::default).node_name = Some(node_name.clone());
            let st = p.status.get_or_insert_with(Default::default);
            st.conditions = Some(vec![serde_json::from_value(json!({"type": "PodScheduled", "status": "True"})).unwrap_or_default()]);
            if let Some(c) = st.conditions.as_mut().and_then(|c| c.first_mut()) {
                c.last_transition_time = Some(now.clone());
            }
        }) {
            s.record(&p, NORMAL, "Scheduled", &format!("Successfully assigned {ns}/{name} to {node_name}"));
        }
    }
}

/// A Pod on a node that still needs its address: (namespace, name, uid, node, instance id).
#[derive(Debug, Clone)]
pub struct NeedsIp {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub node: String,
    pub instance: String,
    /// hostNetwork Pods take the node's address; no EC2 call.
    pub host_ip: Option<String>,
    pub host_network: bool,
}

fn node_ip(n: &Node) -> Option<String> {
    n.status.as_ref()?.addresses.as_ref()?.iter().find(|a| a.type_ == "InternalIP").map(|a| a.address.clone())
}

/// `aws:///us-east-1a/i-0123…` → `i-0123…`.
pub fn instance_of(n: &Node) -> Option<String> {
    n.spec.as_ref()?.provider_id.as_ref()?.rsplit('/').next().filter(|i| i.starts_with("i-")).map(String::from)
}

pub fn needing_ip(s: &ClusterStore) -> Vec<NeedsIp> {
    s.pods
        .values()
        .filter(|p| p.metadata.deletion_timestamp.is_none() && p.status.as_ref().and_then(|st| st.pod_ip.as_ref()).is_none())
        .filter_map(|p| {
            let node = p.spec.as_ref()?.node_name.clone().filter(|n| !n.is_empty())?;
            let n: Node = s.get("", &node)?;
            Some(NeedsIp {
                namespace: p.metadata.namespace.clone().unwrap_or_default(),
                name: p.metadata.name.clone().unwrap_or_default(),
                uid: p.metadata.uid.clone().unwrap_or_default(),
                instance: instance_of(&n).unwrap_or_default(),
                host_ip: node_ip(&n),
                host_network: p.spec.as_ref().and_then(|s| s.host_network).unwrap_or(false),
                node,
            })
        })
        .collect()
}

/// The Pod runs: its address, Running, every condition True, a running status per container.
pub fn start(s: &mut ClusterStore, w: &NeedsIp, ip: &str) {
    let now = time(s.now());
    s.patch::<Pod>(&w.namespace, &w.name, |p| {
        if p.metadata.uid.as_deref() != Some(&w.uid) {
            return;
        }
        let containers = p.spec.as_ref().map(|s| s.containers.clone()).unwrap_or_default();
        let started = now.0.to_string();
        let statuses: Vec<serde_json::Value> = containers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                json!({
                    "name": c.name, "image": c.image.clone().unwrap_or_default(),
                    "imageID": format!("{}@sha256:{:064x}", c.image.clone().unwrap_or_default(), i + 1),
                    "containerID": format!("containerd://{:064x}", (w.uid.len() as u64) << 8 | i as u64),
                    "ready": true, "started": true, "restartCount": 0,
                    "state": {"running": {"startedAt": started}},
                })
            })
            .collect();
        let cond = |t: &str| json!({"type": t, "status": "True", "lastTransitionTime": started});
        let st = json!({
            "phase": "Running",
            "podIP": ip, "podIPs": [{"ip": ip}],
            "hostIP": w.host_ip, "hostIPs": w.host_ip.as_ref().map(|h| vec![json!({"ip": h})]),
            "startTime": started,
            "qosClass": "BestEffort",
            "conditions": [cond("PodReadyToStartContainers"), cond("Initialized"), cond("Ready"), cond("ContainersReady"), cond("PodScheduled")],
            "containerStatuses": statuses,
        });
        if let Ok(st) = serde_json::from_value(st) {
            p.status = Some(st);
        }
    });
}

/// The addresses of Pods that no longer exist, taken out of `assigned` (pod uid → lease).
pub fn released<L>(s: &ClusterStore, assigned: &mut BTreeMap<String, L>) -> Vec<L> {
    let live: BTreeSet<String> = s.pods.values().filter_map(|p| p.metadata.uid.clone()).collect();
    let gone: Vec<String> = assigned.keys().filter(|u| !live.contains(*u)).cloned().collect();
    gone.into_iter().filter_map(|u| assigned.remove(&u)).collect()
}

/// Whether any Pod is not yet ready (the controllers keep polling meanwhile).
pub fn settling(s: &ClusterStore) -> bool {
    s.pods
        .values()
        .any(|p| p.metadata.deletion_timestamp.is_none() && !pod_ready(p) && p.spec.as_ref().and_then(|sp| sp.node_name.as_ref()).is_some())
}
