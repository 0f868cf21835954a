//! The Kubernetes controllers a live cluster runs beside the AWS Load Balancer Controller
//! emulation: Deployments and ReplicaSets (`workloads`), the garbage collector and the
//! namespace controller (`gc`), the scheduler and the kubelet's part (`scheduler`). Each pass
//! looks at the whole store (level-triggered, like a resync): cheap at the sizes a person
//! applies by hand, and never behind. Passes run after every change and on a short tick.

pub mod gc;
pub mod scheduler;
pub mod workloads;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;

pub use gc::orphan_dependents;

use crate::client::AwsClients;
use crate::client::pod_ip::{self, Lease};
use crate::cluster::ClusterStore;

/// One synchronous pass of every controller but the address assignment.
pub fn pass(s: &mut ClusterStore) {
    gc::run(s);
    workloads::deployments(s);
    workloads::replicasets(s);
    scheduler::schedule(s);
}

/// The controllers of one cluster: the store, EC2 for pod addresses, and what they assigned.
pub struct Controllers {
    pub store: Arc<Mutex<ClusterStore>>,
    pub aws: AwsClients,
    /// Wakes the LBC's loop after these controllers changed something.
    pub wake: Arc<Notify>,
    /// Pod uid → the address assigned here.
    assigned: BTreeMap<String, Lease>,
    /// Instance → primary interface.
    enis: BTreeMap<String, String>,
    /// Pod uid → (failures, next attempt) of address assignments that failed.
    backoff: BTreeMap<String, (u32, tokio::time::Instant)>,
}

const TICK: Duration = Duration::from_millis(500);

impl Controllers {
    pub fn new(store: Arc<Mutex<ClusterStore>>, aws: AwsClients, wake: Arc<Notify>) -> Controllers {
        Controllers { store, aws, wake, assigned: BTreeMap::new(), enis: BTreeMap::new(), backoff: BTreeMap::new() }
    }

    /// Runs until the store's change channel closes (the cluster is gone).
    pub async fn run(mut self) {
        let mut changed = self.store.lock().subscribe();
        loop {
            self.step().await;
            tokio::select! {
                r = changed.changed() => if r.is_err() { return },
                () = tokio::time::sleep(TICK) => {}
            }
        }
    }

    /// One pass, with the EC2 calls it needs.
    pub async fn step(&mut self) {
        let (work, gone) = {
            let mut s = self.store.lock();
            let before = s.resource_version();
            pass(&mut s);
            let work = scheduler::needing_ip(&s);
            let gone = scheduler::released(&s, &mut self.assigned);
            if s.resource_version() != before {
                self.wake.notify_one();
            }
            (work, gone)
        };
        for lease in gone {
            if let Err(e) = pod_ip::release(&self.aws.ec2, &lease).await {
                tracing::warn!(ip = lease.ip(), error = %e, "could not release a pod address");
            }
        }
        let now = tokio::time::Instant::now();
        for w in work {
            if self.backoff.get(&w.uid).is_some_and(|(_, at)| *at > now) {
                continue;
            }
            let lease = if w.host_network {
                None
            } else {
                match self.assign(&w.instance).await {
                    Ok(l) => {
                        self.backoff.remove(&w.uid);
                        Some(l)
                    }
                    Err(e) => {
                        // Retried with back-off (1 s doubling to 1 min), one Event per failure.
                        let n = self.backoff.get(&w.uid).map_or(1, |(n, _)| n + 1);
                        let delay = Duration::from_secs(1u64 << (n - 1).min(6)).min(Duration::from_secs(60));
                        self.backoff.insert(w.uid.clone(), (n, now + delay));
                        let p: Option<k8s_openapi::api::core::v1::Pod> = self.store.lock().get(&w.namespace, &w.name);
                        if let Some(p) = p {
                            self.store.lock().record(
                                &p,
                                crate::cluster::events::WARNING,
                                "FailedCreatePodSandBox",
                                &format!("Failed to create pod sandbox: failed to assign an IP address to container: {e}"),
                            );
                        }
                        continue;
                    }
                }
            };
            let ip = match &lease {
                Some(l) => l.ip().to_string(),
                None => w.host_ip.clone().unwrap_or_default(),
            };
            if let Some(l) = lease {
                // Recorded before the Pod is updated: a Pod deleted meanwhile gives it back next pass.
                self.assigned.insert(w.uid.clone(), l);
            }
            scheduler::start(&mut self.store.lock(), &w, &ip);
            self.wake.notify_one();
        }
        self.backoff.retain(|_, (_, at)| *at + Duration::from_secs(600) > now);
    }

    async fn eni(&mut self, instance: &str) -> Option<String> {
        if let Some(e) = self.enis.get(instance) {
            return Some(e.clone());
        }
        let r = self.aws.ec2.describe_instances().instance_ids(instance).send().await.ok()?;
        let inst = r.reservations?.into_iter().flat_map(|r| r.instances.unwrap_or_default()).next()?;
        let eni = inst
            .network_interfaces
            .unwrap_or_default()
            .into_iter()
            .find(|n| n.attachment.as_ref().and_then(|a| a.device_index) == Some(0))
            .and_then(|n| n.network_interface_id)?;
        self.enis.insert(instance.to_string(), eni.clone());
        Some(eni)
    }

    async fn assign(&mut self, instance: &str) -> Result<Lease, String> {
        let eni = self.eni(instance).await.ok_or_else(|| format!("no primary network interface found for instance {instance}"))?;
        pod_ip::assign(&self.aws.ec2, &eni).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
    use k8s_openapi::api::core::v1::Pod;

    fn deploy(replicas: i32) -> Deployment {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}
        }))
        .unwrap()
    }

    #[test]
    fn deployment_to_pods_and_back() {
        let mut s = ClusterStore::new("c", Clock::Wall);
        s.apply(deploy(3));
        for _ in 0..3 {
            pass(&mut s);
        }
        let rs: Vec<ReplicaSet> = s.list();
        assert_eq!(rs.len(), 1);
        assert!(rs[0].metadata.name.as_deref().unwrap().starts_with("web-"));
        let pods: Vec<Pod> = s.list();
        assert_eq!(pods.len(), 3);
        assert!(pods.iter().all(|p| workloads::controlled_by(&p.metadata, rs[0].metadata.uid.as_deref().unwrap())));
        let d: Deployment = s.get("default", "web").unwrap();
        assert_eq!(d.status.as_ref().unwrap().replicas, Some(3));
        assert_eq!(d.status.as_ref().unwrap().ready_replicas, Some(0), "no node, no address: not ready");
        // A pass over a settled store writes nothing.
        let rv = s.resource_version();
        pass(&mut s);
        assert_eq!(s.resource_version(), rv);
        // Deleting the Deployment collects its ReplicaSet and Pods.
        s.delete::<Deployment>("default", "web");
        pass(&mut s);
        assert!(s.list::<ReplicaSet>().is_empty());
        assert!(s.list::<Pod>().is_empty());
    }
}
