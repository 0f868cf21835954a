//! Tags the controller puts on what it creates (§2.3): tracking tags, and user tags from
//! `--default-tags` and the additional-tags annotation.

use std::collections::BTreeMap;

use super::{SERVICE_KEYS, TAG_CLUSTER, TagKeys};
use crate::reconciler::annotations::{self as a, Annotations};
use crate::reconciler::config::ControllerConfig;

/// Tracking tags of a Service's resources (§2.3).
pub fn tracking_tags(cfg: &ControllerConfig, stack: &str, resource: &str) -> BTreeMap<String, String> {
    tracking_tags_with(cfg, SERVICE_KEYS, stack, resource)
}

/// Tracking tags under the given keys (the Ingress reconciler's are `ingress.k8s.aws/*`).
pub fn tracking_tags_with(cfg: &ControllerConfig, keys: TagKeys, stack: &str, resource: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (TAG_CLUSTER.to_string(), cfg.cluster_name.clone()),
        (keys.stack.to_string(), stack.to_string()),
        (keys.resource.to_string(), resource.to_string()),
    ])
}

/// User tags: `--default-tags` win over the annotation (§2.3); annotation keys may not be
/// external-managed.
pub(super) fn user_tags(ann: &Annotations, cfg: &ControllerConfig) -> Result<BTreeMap<String, String>, String> {
    let extra = ann.map(a::ADDITIONAL_TAGS)?.unwrap_or_default();
    for k in extra.keys() {
        if cfg.external_managed_tags.contains(k) {
            return Err(format!("external managed tag key {k} cannot be specified on Service"));
        }
    }
    let mut out = extra;
    out.extend(cfg.default_tags.clone());
    Ok(out)
}

pub(super) fn with_tracking(user: &BTreeMap<String, String>, tracking: BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut t = user.clone();
    t.extend(tracking);
    t
}
