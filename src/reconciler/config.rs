//! Controller flags, feature gates and the version profile (lbc-reconciler.md §1.4, §1.5, §8.1).
//! Defaults are the controller's; the profile picks between v2.6.0 behaviour and HEAD's.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

/// Which controller release to behave like (§8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Profile {
    /// v2.6.0: revoke then authorize; no rule-limit retry; a node-SG error stops at the first
    /// failing group and aborts every TGB before target registration; no TGB error events.
    #[serde(rename = "v2.6.0")]
    V2_6_0,
    /// HEAD: authorize then revoke with a revoke-first retry on the rule limit (v2.12.0), errors
    /// joined across groups and IP TGBs registering despite them (v2.6.2), `disable-nlb-sg`,
    /// prefix lists and ICMP rules, endpoint slices on, 10 s frontend-SG delete window.
    #[serde(rename = "latest")]
    Latest,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Gates {
    #[serde(rename = "NLBSecurityGroup")]
    pub nlb_security_group: bool,
    #[serde(rename = "EnableIPTargetType")]
    pub enable_ip_target_type: bool,
    #[serde(rename = "ServiceTypeLoadBalancerOnly")]
    pub service_type_lb_only: bool,
    #[serde(rename = "NLBHealthCheckAdvancedConfig")]
    pub nlb_hc_advanced: bool,
    #[serde(rename = "SubnetsClusterTagCheck")]
    pub subnets_cluster_tag_check: bool,
    #[serde(rename = "ListenerRulesTagging")]
    pub listener_rules_tagging: bool,
    #[serde(rename = "WeightedTargetGroups")]
    pub weighted_target_groups: bool,
    #[serde(rename = "EndpointsFailOpen")]
    pub endpoints_fail_open: bool,
    /// HEAD (v2.11.0): the load balancer's post-synthesize read-back (provisioning requeue).
    #[serde(rename = "LBCapacityReservation")]
    pub lb_capacity_reservation: bool,
}

impl Default for Gates {
    fn default() -> Self {
        Gates {
            nlb_security_group: true,
            enable_ip_target_type: true,
            service_type_lb_only: false,
            nlb_hc_advanced: true,
            subnets_cluster_tag_check: true,
            listener_rules_tagging: true,
            weighted_target_groups: true,
            endpoints_fail_open: true,
            lb_capacity_reservation: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ControllerConfig {
    pub profile: Profile,
    pub cluster_name: String,
    /// `--aws-vpc-id`; empty: taken from the cluster.
    pub vpc_id: String,
    pub default_tags: BTreeMap<String, String>,
    pub external_managed_tags: Vec<String>,
    pub default_target_type: String,
    pub default_ssl_policy: String,
    pub load_balancer_class: String,
    pub enable_backend_security_group: bool,
    /// `--backend-security-group`: use this group, never create or delete one.
    pub backend_security_group: Option<String>,
    pub disable_restricted_sg_rules: bool,
    /// `--enable-endpoint-slices`; `None`: the profile's default (off in 2.6.0, on in HEAD).
    pub enable_endpoint_slices: Option<bool>,
    /// HEAD `--enable-manage-backend-security-group-rules`.
    pub enable_manage_backend_security_group_rules: bool,
    /// HEAD `--default-load-balancer-scheme`.
    pub default_load_balancer_scheme: String,
    /// `--targetgroupbinding-max-exponential-backoff-delay`, seconds.
    pub tgb_max_backoff_seconds: u64,
    /// `--ingress-class` (lbc-ingress.md §1.1): the legacy annotation's value that is ours; empty
    /// also takes Ingresses with no class at all.
    pub ingress_class: String,
    /// `--tolerate-non-existent-backend-service` / `-action`: a 503 instead of an error.
    pub tolerate_non_existent_backend_service: bool,
    pub tolerate_non_existent_backend_action: bool,
    /// HEAD `--lb-stabilization-monitor-interval`, seconds.
    pub lb_stabilization_monitor_interval_seconds: u64,
    pub feature_gates: Gates,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            profile: Profile::V2_6_0,
            cluster_name: String::new(),
            vpc_id: String::new(),
            default_tags: BTreeMap::new(),
            external_managed_tags: Vec::new(),
            default_target_type: "instance".into(),
            default_ssl_policy: "ELBSecurityPolicy-2016-08".into(),
            load_balancer_class: "service.k8s.aws/nlb".into(),
            enable_backend_security_group: true,
            backend_security_group: None,
            disable_restricted_sg_rules: false,
            enable_endpoint_slices: None,
            enable_manage_backend_security_group_rules: false,
            default_load_balancer_scheme: "internal".into(),
            tgb_max_backoff_seconds: 1000,
            ingress_class: "alb".into(),
            tolerate_non_existent_backend_service: true,
            tolerate_non_existent_backend_action: true,
            lb_stabilization_monitor_interval_seconds: 120,
            feature_gates: Gates::default(),
        }
    }
}

impl ControllerConfig {
    pub fn latest(&self) -> bool {
        self.profile == Profile::Latest
    }
    /// v2.12.0+: authorize before revoke (§4.4).
    pub fn authorize_first(&self) -> bool {
        self.latest()
    }
    pub fn endpoint_slices(&self) -> bool {
        self.enable_endpoint_slices.unwrap_or(self.latest())
    }
    /// Frontend SG delete retry window on DependencyViolation: 2 min, 10 s from v2.13.3 (§4.3).
    pub fn frontend_sg_delete_window(&self) -> Duration {
        if self.latest() { Duration::from_secs(10) } else { Duration::from_secs(120) }
    }
    /// HEAD: how long a reconcile waits for a provisioning LB; `None`: no read-back (2.6.0, or
    /// gate `LBCapacityReservation` off).
    pub fn lb_provisioning_check(&self) -> Option<Duration> {
        (self.latest() && self.feature_gates.lb_capacity_reservation)
            .then(|| Duration::from_secs(self.lb_stabilization_monitor_interval_seconds))
    }
    /// v2.12.0+: rules keep their settings and move with one SetRulePriorities; v2.14.1+ a
    /// TooManyRules alternates deletes and creates (lbc-ingress.md §5.4). 2.6.0: by priority.
    pub fn rules_by_settings(&self) -> bool {
        self.latest()
    }
    pub fn service_backoff(&self, failures: u32) -> Duration {
        backoff(failures, Duration::from_secs(1000))
    }
    pub fn tgb_backoff(&self, failures: u32) -> Duration {
        backoff(failures, Duration::from_secs(self.tgb_max_backoff_seconds))
    }
}

/// controller-runtime's per-item exponential back-off: 5 ms · 2^(n−1), capped (§7.1).
pub fn backoff(failures: u32, cap: Duration) -> Duration {
    let exp = failures.saturating_sub(1).min(40);
    let ms = 5u128 << exp;
    Duration::from_millis(ms.min(cap.as_millis()) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_ms_to_the_cap() {
        let cap = Duration::from_secs(1000);
        assert_eq!(backoff(1, cap), Duration::from_millis(5));
        assert_eq!(backoff(2, cap), Duration::from_millis(10));
        assert_eq!(backoff(17, cap), Duration::from_millis(5 << 16));
        assert_eq!(backoff(19, cap), cap);
        assert_eq!(backoff(30, cap), cap);
    }

    #[test]
    fn profiles_from_yaml() {
        let c: ControllerConfig =
            serde_yaml_ng::from_str("profile: latest\ncluster_name: x\nfeature_gates: {NLBSecurityGroup: false}\n").unwrap();
        assert!(c.authorize_first() && c.endpoint_slices());
        assert!(!c.feature_gates.nlb_security_group && c.feature_gates.enable_ip_target_type);
    }
}
