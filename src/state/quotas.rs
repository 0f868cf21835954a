//! Quota values of one account (aws-api.md §3): data, never hard-coded in action logic.
//!
//! Every quota has a stable kebab-case name, used by the config file, `DescribeAccountLimits`
//! (for the ELBv2 ones, which AWS names this way) and the admin API. Values may be set below
//! AWS's defaults so tests reach limits cheaply.

use serde::{Deserialize, Serialize};

macro_rules! quotas {
    ($($field:ident: $name:literal = $default:expr, $doc:literal;)*) => {
        /// The quota table of one account, seeded with AWS's defaults.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct Quotas {
            $(#[doc = $doc] pub $field: u64,)*
            /// Which address-family bucket a group-reference rule uses (aws-api.md §3.1: undocumented).
            pub group_reference_bucket: RefBucket,
        }
        impl Default for Quotas {
            fn default() -> Self { Quotas { $($field: $default,)* group_reference_bucket: RefBucket::Both } }
        }
        impl Quotas {
            /// Every numeric quota as (name, value), in table order.
            pub fn entries(&self) -> Vec<(&'static str, u64)> { vec![$(($name, self.$field),)*] }
            /// Sets one quota by name; unknown names are an error naming the known ones.
            pub fn set(&mut self, name: &str, value: u64) -> Result<(), String> {
                match name {
                    $($name => { self.$field = value; Ok(()) })*
                    _ => Err(format!("unknown quota '{name}'; known quotas: {}", [$($name),*].join(", "))),
                }
            }
            pub fn get(&self, name: &str) -> Option<u64> {
                match name { $($name => Some(self.$field),)* _ => None }
            }
        }
    };
}

quotas! {
    security_groups_per_region: "security-groups-per-region" = 2500, "VPC security groups per Region (SecurityGroupLimitExceeded).";
    rules_per_security_group: "rules-per-security-group" = 60, "Inbound or outbound rules per group, per address family (RulesPerSecurityGroupLimitExceeded).";
    security_groups_per_interface: "security-groups-per-network-interface" = 5, "Security groups per network interface (at most 16 on AWS).";
    rules_times_groups_per_interface: "rules-times-groups-per-interface" = 1000, "Groups on an interface × rules in its largest group.";
    tags_per_resource: "tags-per-resource" = 50, "User tags per EC2 resource (TagLimitExceeded).";
    vpcs_per_region: "vpcs-per-region" = 5, "VPCs per Region (VpcLimitExceeded); the default VPC counts.";
    subnets_per_vpc: "subnets-per-vpc" = 200, "Subnets per VPC (SubnetLimitExceeded).";
    network_interfaces_per_region: "network-interfaces-per-region" = 5000, "Network interfaces per Region (NetworkInterfaceLimitExceeded).";
    network_load_balancers: "network-load-balancers" = 50, "Network Load Balancers per Region (TooManyLoadBalancers).";
    application_load_balancers: "application-load-balancers" = 50, "Application Load Balancers per Region (TooManyLoadBalancers).";
    target_groups: "target-groups" = 3000, "Target groups per Region (TooManyTargetGroups).";
    listeners_per_network_load_balancer: "listeners-per-network-load-balancer" = 50, "Listeners per NLB (TooManyListeners).";
    listeners_per_application_load_balancer: "listeners-per-application-load-balancer" = 50, "Listeners per ALB (TooManyListeners).";
    targets_per_availability_zone_per_network_load_balancer: "targets-per-availability-zone-per-network-load-balancer" = 500, "Targets per AZ per NLB (TooManyTargets).";
    targets_per_network_load_balancer: "targets-per-network-load-balancer" = 3000, "Targets per NLB (TooManyTargets).";
    targets_per_target_group: "targets-per-target-group" = 1000, "Targets per target group (TooManyTargets).";
    target_id_registrations_per_network_load_balancer: "target-id-registrations-per-network-load-balancer" = 100, "Registrations of one target id across an NLB's target groups (TooManyRegistrationsForTargetId) [unverified value].";
    security_groups_per_load_balancer: "security-groups-per-load-balancer" = 5, "Security groups per load balancer.";
    elb_tags_per_resource: "elbv2-tags-per-resource" = 50, "User tags per ELBv2 resource (TooManyTags).";
    certificates_per_network_load_balancer: "certificates-per-network-load-balancer" = 25, "Certificates per NLB (TooManyCertificates).";
    certificates_per_application_load_balancer: "certificates-per-application-load-balancer" = 25, "Certificates per ALB besides the default ones (TooManyCertificates).";
    rules_per_application_load_balancer: "rules-per-application-load-balancer" = 100, "Non-default rules per ALB over all its listeners (TooManyRules).";
    condition_values_per_alb_rule: "condition-values-per-alb-rule" = 5, "Condition values per ALB rule (TooManyConditionValues) [code unverified].";
    condition_wildcards_per_alb_rule: "condition-wildcards-per-alb-rule" = 5, "Wildcards (* and ?) per ALB rule's conditions [code unverified].";
    target_groups_per_action_on_application_load_balancer: "target-groups-per-action-on-application-load-balancer" = 5, "Target groups per forward action on an ALB (TooManyTargetGroups) [code unverified].";
    target_groups_per_application_load_balancer: "target-groups-per-application-load-balancer" = 100, "Unique target groups per ALB (TooManyUniqueTargetGroupsPerLoadBalancer).";
    targets_per_application_load_balancer: "targets-per-application-load-balancer" = 1000, "Targets per ALB, a target counted once per group (TooManyTargets).";
    target_id_registrations_per_application_load_balancer: "target-id-registrations-per-application-load-balancer" = 1000, "Registrations of one target id across an ALB's target groups (TooManyRegistrationsForTargetId).";
}

impl Quotas {
    /// The listener quota of a load balancer type.
    pub fn listeners_per_lb(&self, alb: bool) -> u64 {
        if alb { self.listeners_per_application_load_balancer } else { self.listeners_per_network_load_balancer }
    }
    pub fn certificates_per_lb(&self, alb: bool) -> u64 {
        if alb { self.certificates_per_application_load_balancer } else { self.certificates_per_network_load_balancer }
    }
    pub fn target_id_registrations_per_lb(&self, alb: bool) -> u64 {
        if alb {
            self.target_id_registrations_per_application_load_balancer
        } else {
            self.target_id_registrations_per_network_load_balancer
        }
    }
    pub fn load_balancers(&self, alb: bool) -> u64 {
        if alb { self.application_load_balancers } else { self.network_load_balancers }
    }
}

/// Address-family bucket(s) a rule that references a security group is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RefBucket {
    /// fakecloud's reading (aws-api.md §3.1), our default.
    #[default]
    Both,
    Ipv4,
    Ipv6,
}
