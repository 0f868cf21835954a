//! The garbage collector and the namespace controller, minimal: an object whose controlling
//! owner (a Deployment or ReplicaSet, by uid) is gone is deleted (background propagation); a
//! namespace being deleted has its objects deleted, and once none is left its `kubernetes`
//! finalizer is dropped, which completes the delete.

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Namespace, Pod};

use crate::cluster::{ClusterStore, Kind, Object};

/// Removes the ownerReferences to `uid` (delete with `propagationPolicy: Orphan`).
pub fn orphan_dependents(s: &mut ClusterStore, uid: &str) {
    fn strip<T: Object>(s: &mut ClusterStore, uid: &str) {
        let owned: Vec<(String, String)> = s
            .list::<T>()
            .iter()
            .filter(|o| o.meta().owner_references.as_ref().is_some_and(|r| r.iter().any(|r| r.uid == uid)))
            .map(|o| (o.meta().namespace.clone().unwrap_or_default(), o.meta().name.clone().unwrap_or_default()))
            .collect();
        for (ns, n) in owned {
            s.patch::<T>(&ns, &n, |o| {
                if let Some(r) = o.meta_mut().owner_references.as_mut() {
                    r.retain(|r| r.uid != uid);
                }
            });
        }
    }
    strip::<ReplicaSet>(s, uid);
    strip::<Pod>(s, uid);
}

fn collect<T: Object>(s: &mut ClusterStore, owners: &BTreeSet<String>) {
    let orphans: Vec<(String, String)> = s
        .list::<T>()
        .iter()
        .filter(|o| o.meta().deletion_timestamp.is_none())
        .filter(|o| {
            let refs: Vec<_> =
                o.meta().owner_references.iter().flatten().filter(|r| r.kind == "Deployment" || r.kind == "ReplicaSet").collect();
            !refs.is_empty() && refs.iter().all(|r| !owners.contains(&r.uid))
        })
        .map(|o| (o.meta().namespace.clone().unwrap_or_default(), o.meta().name.clone().unwrap_or_default()))
        .collect();
    for (ns, n) in orphans {
        s.delete::<T>(&ns, &n);
    }
}

/// One pass: dependents of deleted owners, then terminating namespaces.
pub fn run(s: &mut ClusterStore) {
    let live = |s: &ClusterStore| -> BTreeSet<String> {
        let d = s.deployments.values().filter_map(|d| d.metadata.uid.clone());
        let r = s.replicasets.values().filter_map(|r| r.metadata.uid.clone());
        d.chain(r).collect()
    };
    let owners = live(s);
    collect::<ReplicaSet>(s, &owners);
    let owners = live(s);
    collect::<Pod>(s, &owners);
    let terminating: Vec<String> =
        s.list::<Namespace>().iter().filter(|n| n.metadata.deletion_timestamp.is_some()).filter_map(|n| n.metadata.name.clone()).collect();
    for ns in terminating {
        let mut left = 0;
        for kind in Kind::ALL.into_iter().filter(|k| k.namespaced()) {
            for v in s.list_values(kind, Some(&ns)) {
                left += 1;
                if v["metadata"]["deletionTimestamp"].is_null() {
                    let name = v["metadata"]["name"].as_str().unwrap_or("").to_string();
                    if s.delete_value(kind, &ns, &name).is_some_and(|(_, gone)| gone) {
                        left -= 1;
                    }
                }
            }
        }
        if left == 0 {
            s.patch::<Namespace>("", &ns, |n| {
                if let Some(spec) = n.spec.as_mut() {
                    spec.finalizers = None;
                }
            });
        }
    }
}
