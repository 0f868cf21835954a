//! The finalizer state machine every object reconciler goes through (kube-rs `finalizer`, as the
//! AWS Load Balancer Controller uses its finalizer: lbc-reconciler.md §4.1, §4.7).
//!
//! # Flow
//! 1. [`phase`] looks at the object as it is now: is it wanted (handled by this controller, not
//!    being deleted, with something to deploy), and does it carry the finalizer?
//! 2. `Apply`: the reconciler builds and deploys. It calls [`add`] right before the first AWS
//!    change (not on a pass of its own, as kube-rs does: the controller adds the finalizer and
//!    deploys in the same reconcile), so an object is never left with AWS resources and no
//!    finalizer.
//! 3. `Cleanup`: the object is deleted (or no longer handled) and still carries the finalizer:
//!    the reconciler deletes what it made, then calls [`remove`]; only then can Kubernetes drop
//!    the object.
//! 4. `Done`: no finalizer and nothing wanted: nothing to do.
//!
//! # Guarantees
//! The finalizer is present whenever AWS resources may exist for the object; it is removed only
//! after a cleanup that succeeded.
//!
//! # Assumptions
//! Apply and Cleanup are idempotent, and Cleanup copes with an Apply that never ran or ran
//! halfway (it finds resources by tags, not by memory).
//!
//! # Errors
//! A failed Apply or Cleanup leaves the finalizer as it was; the reconcile fails and is retried
//! with back-off (`error_policy`). [`add`] fails when the object is gone.

use k8s_openapi::Resource;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::cluster::ClusterStore;
use crate::cluster::store::Object;

/// Where an object stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Apply,
    Cleanup,
    Done,
}

pub fn has(meta: &ObjectMeta, finalizer: &str) -> bool {
    meta.finalizers.as_ref().is_some_and(|f| f.iter().any(|x| x == finalizer))
}

/// The phase of an object that is `wanted` (handled, live, with something to deploy).
pub fn phase(meta: &ObjectMeta, finalizer: &str, wanted: bool) -> Phase {
    match (wanted && meta.deletion_timestamp.is_none(), has(meta, finalizer)) {
        (true, _) => Phase::Apply,
        (false, true) => Phase::Cleanup,
        (false, false) => Phase::Done,
    }
}

/// Adds the finalizer; an error when the object is gone (the controller's message).
pub fn add<K: Object + Resource>(store: &mut ClusterStore, ns: &str, name: &str, finalizer: &str) -> Result<(), String> {
    match store.add_finalizer::<K>(ns, name, finalizer) {
        Some(_) => Ok(()),
        None => Err(format!("{} \"{name}\" not found", K::URL_PATH_SEGMENT)),
    }
}

/// Removes the finalizer after a successful cleanup.
pub fn remove<K: Object + Resource>(store: &mut ClusterStore, ns: &str, name: &str, finalizer: &str) {
    store.remove_finalizer::<K>(ns, name, finalizer);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases() {
        let f = "service.k8s.aws/resources";
        let mut m = ObjectMeta::default();
        assert_eq!(phase(&m, f, true), Phase::Apply);
        assert_eq!(phase(&m, f, false), Phase::Done);
        m.finalizers = Some(vec![f.into()]);
        assert_eq!(phase(&m, f, false), Phase::Cleanup);
        m.deletion_timestamp = Some(crate::cluster::store::time(chrono::Utc::now()));
        assert_eq!(phase(&m, f, true), Phase::Cleanup, "deleting wins over wanted");
    }
}
