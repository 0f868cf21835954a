//! Controller flags, feature gates and the version profile (lbc-reconciler.md §1.4, §1.5, §8.1;
//! lbc-since-2.6.md §2, §6). Defaults are the controller's; the profile is the release to behave
//! like, and each behaviour that changed since v2.6.0 is one method here, on from its release.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

/// Which controller release to behave like (§8.1; lbc-since-2.6.md §2): a release from v2.6.0 to
/// v3.7.0, or `latest` (v3.7.0). Each behaviour switches on in the release that introduced it
/// (the methods of `ControllerConfig` below name them), so `v2.12.0` authorizes before revoking but
/// has no `disable-nlb-sg`, and `v2.6.0` is the baseline of lbc-reconciler.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Profile(pub u8, pub u8, pub u8);

impl Profile {
    pub const V2_6_0: Profile = Profile(2, 6, 0);
    pub const V3_7_0: Profile = Profile(3, 7, 0);
    /// The newest release the emulation knows.
    pub const LATEST: Profile = Profile::V3_7_0;

    /// The controller's release tags from v2.6.0 on (its repository's tags up to v3.5.0, and the
    /// v3.6.0 and v3.7.0 releases); scenarios/schema.json lists the same.
    pub const RELEASES: &[&str] = &[
        "v2.6.0", "v2.6.1", "v2.6.2", "v2.7.0", "v2.7.1", "v2.7.2", "v2.8.0", "v2.8.1", "v2.8.2", "v2.8.3", "v2.9.0", "v2.9.1", "v2.9.2",
        "v2.10.0", "v2.10.1", "v2.11.0", "v2.12.0", "v2.13.0", "v2.13.1", "v2.13.2", "v2.13.3", "v2.13.4", "v2.14.0", "v2.14.1", "v2.15.0",
        "v2.16.0", "v2.17.0", "v2.17.1", "v3.0.0", "v3.1.0", "v3.2.0", "v3.2.1", "v3.2.2", "v3.3.0", "v3.4.0", "v3.4.1", "v3.4.2",
        "v3.4.3", "v3.5.0", "v3.6.0", "v3.7.0",
    ];

    /// A release tag (`v2.12.0`) or `latest`.
    pub fn parse(s: &str) -> Result<Profile, String> {
        if s == "latest" {
            return Ok(Profile::LATEST);
        }
        let bad = || {
            format!("unknown controller profile '{s}': a release from v2.6.0 to v3.7.0 or 'latest' (known: {})", Self::RELEASES.join(", "))
        };
        if !Self::RELEASES.contains(&s) {
            return Err(bad());
        }
        let parts: Vec<u8> = s[1..].split('.').map(|x| x.parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
        let [a, b, c] = parts[..] else { return Err(bad()) };
        Ok(Profile(a, b, c))
    }

    pub fn since(self, major: u8, minor: u8, patch: u8) -> bool {
        self >= Profile(major, minor, patch)
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}.{}.{}", self.0, self.1, self.2)
    }
}

impl<'de> Deserialize<'de> for Profile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Profile, D::Error> {
        let s = String::deserialize(d)?;
        Profile::parse(&s).map_err(serde::de::Error::custom)
    }
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
    /// v2.13.0+ (on by default); the profile decides whether the gate exists.
    #[serde(rename = "SubnetDiscoveryByReachability")]
    pub subnet_discovery_by_reachability: bool,
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
            subnet_discovery_by_reachability: true,
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
    /// `--aws-api-throttle` (`Elastic Load Balancing v2:RegisterTargets|DeregisterTargets=4:20,…`);
    /// unset: the profile's defaults. Each service it names replaces that service's defaults.
    pub aws_api_throttle: Option<String>,
    /// `--ingress-class` (lbc-ingress.md §1.1): the legacy annotation's value that is ours; empty
    /// also takes Ingresses with no class at all.
    pub ingress_class: String,
    /// `--tolerate-non-existent-backend-service` / `-action`: a 503 instead of an error.
    pub tolerate_non_existent_backend_service: bool,
    pub tolerate_non_existent_backend_action: bool,
    /// HEAD `--lb-stabilization-monitor-interval`, seconds.
    pub lb_stabilization_monitor_interval_seconds: u64,
    /// `--service-max-concurrent-reconciles`: Service reconciles running at once. The controller's
    /// default is 3; lbsim's is 1, a serial run whose AWS calls come in the same order every
    /// time (what scenario checks and call-log tests compare). Above 1 the order varies run to
    /// run, as with the real controller (`runtime`).
    pub service_max_concurrent_reconciles: usize,
    /// `--targetgroupbinding-max-concurrent-reconciles` (controller default 3, lbsim 1, as above).
    pub targetgroupbinding_max_concurrent_reconciles: usize,
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
            aws_api_throttle: None,
            ingress_class: "alb".into(),
            tolerate_non_existent_backend_service: true,
            tolerate_non_existent_backend_action: true,
            lb_stabilization_monitor_interval_seconds: 120,
            service_max_concurrent_reconciles: 1,
            targetgroupbinding_max_concurrent_reconciles: 1,
            feature_gates: Gates::default(),
        }
    }
}

impl ControllerConfig {
    fn since(&self, major: u8, minor: u8, patch: u8) -> bool {
        self.profile.since(major, minor, patch)
    }
    /// v2.6.2: node-SG errors joined across groups; IP TGBs register targets despite them.
    pub fn joins_node_sg_errors(&self) -> bool {
        self.since(2, 6, 2)
    }
    /// v2.6.2: a named Service port as the health-check port.
    pub fn named_health_check_port(&self) -> bool {
        self.since(2, 6, 2)
    }
    /// v2.8.0: `aws-load-balancer-security-group-prefix-lists`.
    /// v2.7.1: ELBv2 tag reads cached 20 minutes per ARN (`resourceTagsCache`, lbc-since-2.6.md §6.3).
    pub fn elb_tags_cache_ttl(&self) -> Option<chrono::Duration> {
        self.since(2, 7, 1).then(|| chrono::Duration::minutes(20))
    }

    pub fn prefix_lists(&self) -> bool {
        self.since(2, 8, 0)
    }
    /// v2.8.0: `aws-load-balancer-inbound-sg-rules-on-private-link-traffic`.
    pub fn private_link_inbound(&self) -> bool {
        self.since(2, 8, 0)
    }
    /// v2.9.0: AWS SDK for Go v2, whose `MaxAttempts` is `--aws-max-retries` itself (SDK v1
    /// retried that many times after the first attempt).
    pub fn sdk_attempts(&self, max_retries: u32) -> u32 {
        if self.since(2, 9, 0) { max_retries.max(1) } else { max_retries + 1 }
    }
    /// v2.11.0: `--default-load-balancer-scheme` (before: always `internal`).
    pub fn default_scheme_flag(&self) -> bool {
        self.since(2, 11, 0)
    }
    /// v2.12.0+: authorize before revoke, and one revoke-first retry on the rule limit (§4.4).
    pub fn authorize_first(&self) -> bool {
        self.since(2, 12, 0)
    }
    /// v2.12.0: `aws-load-balancer-enable-icmp-for-path-mtu-discovery`.
    pub fn icmp_path_mtu(&self) -> bool {
        self.since(2, 12, 0)
    }
    /// v2.13.0: `--enable-manage-backend-security-group-rules`.
    pub fn manage_backend_rules_flag(&self) -> bool {
        self.since(2, 13, 0)
    }
    /// v2.13.0, gate `SubnetDiscoveryByReachability` (on): with no role-tagged subnet, classify
    /// the VPC's subnets by a route to an internet gateway.
    pub fn subnet_discovery_by_reachability(&self) -> bool {
        self.since(2, 13, 0) && self.feature_gates.subnet_discovery_by_reachability
    }
    /// v2.14.0: `aws-load-balancer-disable-nlb-sg`.
    pub fn disable_nlb_sg(&self) -> bool {
        self.since(2, 14, 0)
    }
    /// `--enable-endpoint-slices`; default on from v2.14.0.
    pub fn endpoint_slices(&self) -> bool {
        self.enable_endpoint_slices.unwrap_or(self.since(2, 14, 0))
    }
    /// The Ingress half models two states of the controller: v2.6.0's and today's
    /// (lbc-ingress.md). Every release after v2.6.x gets today's Ingress behaviour: an
    /// approximation for the releases in between, which have no per-release Ingress table yet
    /// (docs/reconciler.md says so).
    pub fn latest(&self) -> bool {
        self.since(2, 7, 0)
    }
    /// Frontend SG delete retry window on DependencyViolation: 2 min, 10 s from v2.13.3 (§4.3).
    pub fn frontend_sg_delete_window(&self) -> Duration {
        if self.since(2, 13, 3) { Duration::from_secs(10) } else { Duration::from_secs(120) }
    }
    /// v2.17.0: the Service status lists its ports.
    pub fn status_ports(&self) -> bool {
        self.since(2, 17, 0)
    }
    /// v3.2.0: the status hostname is lower-cased.
    pub fn lowercase_dns(&self) -> bool {
        self.since(3, 2, 0)
    }
    /// The client-side limiter's rules: `--aws-api-throttle` when given, else the release's
    /// defaults (lbc-since-2.6.md §6.1; the ELB ones changed in v3.2.0).
    pub fn api_throttle(&self) -> Result<Vec<crate::client::throttle::Rule>, String> {
        let defaults = crate::client::throttle::defaults(self.since(3, 2, 0));
        match &self.aws_api_throttle {
            Some(flag) => crate::client::throttle::parse_flag(flag, defaults),
            None => Ok(defaults),
        }
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
        assert_eq!(c.profile, Profile::LATEST);
        assert_eq!(c.sdk_attempts(10), 10);
    }

    #[test]
    fn each_behaviour_switches_on_in_its_release() {
        let at = |p: &str| ControllerConfig { profile: Profile::parse(p).unwrap_or_else(|e| panic!("{e}")), ..ControllerConfig::default() };
        assert!(!at("v2.6.0").joins_node_sg_errors() && at("v2.6.2").joins_node_sg_errors());
        assert_eq!(at("v2.6.0").sdk_attempts(10), 11);
        assert!(at("v2.8.0").prefix_lists() && !at("v2.8.0").authorize_first());
        assert!(at("v2.12.0").authorize_first() && !at("v2.12.0").disable_nlb_sg());
        assert_eq!(at("v2.13.2").frontend_sg_delete_window(), Duration::from_secs(120));
        assert_eq!(at("v2.13.3").frontend_sg_delete_window(), Duration::from_secs(10));
        assert!(!at("v2.13.3").endpoint_slices() && at("v2.14.0").endpoint_slices());
        assert!(!at("v3.1.0").lowercase_dns() && at("v3.2.0").lowercase_dns());
        assert_eq!(Profile::parse("latest").unwrap().to_string(), "v3.7.0");
        assert!(Profile::parse("v2.5.0").unwrap_err().contains("v2.6.0 to v3.7.0"));
        assert!(Profile::parse("v4.0.0").is_err() && Profile::parse("v3.x").is_err() && Profile::parse("v2.13.5").is_err());
        let bad: Result<ControllerConfig, _> = serde_yaml_ng::from_str("profile: v1.0.0\n");
        assert!(bad.unwrap_err().to_string().contains("unknown controller profile"));
    }
}
