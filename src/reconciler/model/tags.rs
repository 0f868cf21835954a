//! Tags the controller puts on what it creates (§2.3): tracking tags, and user tags from
//! `--default-tags` and the additional-tags annotation.

use std::collections::BTreeMap;

use super::{TAG_CLUSTER, TAG_RESOURCE, TAG_STACK};
use crate::reconciler::annotations::{self as a, Annotations};
use crate::reconciler::config::ControllerConfig;

/// Tracking tags (§2.3).
pub fn tracking_tags(cfg: &ControllerConfig, stack: &str, resource: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (TAG_CLUSTER.to_string(), cfg.cluster_name.clone()),
        (TAG_STACK.to_string(), stack.to_string()),
        (TAG_RESOURCE.to_string(), resource.to_string()),
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
