//! DescribeAccountLimits (aws-api.md §3.2, ELB-LIM): the account's configured ELBv2 quotas under
//! AWS's limit names, with AWS's defaults for the limits lbsim does not enforce. `Max` is a
//! string on the wire.

use super::common::Paging;
use crate::api::{Action, Ctx, Render};
use crate::error::ApiResult;
use crate::state::{Quotas, Region};
use crate::wire::{P, Xml};

/// (name, value) in the order of AWS's own answer (ELB-LIM). Configured quotas come from the
/// account's table; the rest are AWS's defaults.
pub fn limits(q: &Quotas) -> Vec<(&'static str, u64)> {
    vec![
        ("application-load-balancers", q.application_load_balancers),
        ("target-groups", q.target_groups),
        ("targets-per-application-load-balancer", q.targets_per_application_load_balancer),
        ("listeners-per-application-load-balancer", q.listeners_per_application_load_balancer),
        ("rules-per-application-load-balancer", q.rules_per_application_load_balancer),
        ("network-load-balancers", q.network_load_balancers),
        ("targets-per-network-load-balancer", q.targets_per_network_load_balancer),
        ("targets-per-availability-zone-per-network-load-balancer", q.targets_per_availability_zone_per_network_load_balancer),
        ("listeners-per-network-load-balancer", q.listeners_per_network_load_balancer),
        ("condition-values-per-alb-rule", q.condition_values_per_alb_rule),
        ("condition-wildcards-per-alb-rule", q.condition_wildcards_per_alb_rule),
        ("target-groups-per-application-load-balancer", q.target_groups_per_application_load_balancer),
        ("target-groups-per-action-on-application-load-balancer", q.target_groups_per_action_on_application_load_balancer),
        ("target-groups-per-action-on-network-load-balancer", 1),
        ("certificates-per-application-load-balancer", q.certificates_per_application_load_balancer),
        ("certificates-per-network-load-balancer", q.certificates_per_network_load_balancer),
        ("targets-per-target-group", q.targets_per_target_group),
        ("target-id-registrations-per-application-load-balancer", q.target_id_registrations_per_application_load_balancer),
        // Not in AWS's list; lbsim enforces it and shows the configured value [unverified name].
        ("target-id-registrations-per-network-load-balancer", q.target_id_registrations_per_network_load_balancer),
        ("network-load-balancer-enis-per-vpc", 1200),
        ("gateway-load-balancers", 100),
        ("gateway-load-balancers-per-vpc", 100),
        ("geneve-target-groups", 100),
        ("targets-per-availability-zone-per-gateway-load-balancer", 300),
    ]
}

/// DescribeAccountLimits' answer: one page of (limit name, value).
pub struct Limits {
    items: Vec<(&'static str, u64)>,
    next: Option<String>,
}

impl Render for Limits {
    fn write_xml(&self, _: &Region, w: &mut Xml) {
        w.list("Limits", &self.items, |w, (n, v)| {
            w.leaf("Name", n).leaf("Max", v.to_string());
        });
        w.opt("NextMarker", self.next.as_ref());
    }
}

pub struct DescribeAccountLimits {
    paging: Paging,
}

impl Action for DescribeAccountLimits {
    type Output = Limits;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeAccountLimits { paging: Paging::parse(p)? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Limits> {
        let (items, next) = self.paging.page(limits(&r.quotas), |(n, _)| n)?;
        Ok(Limits { items, next })
    }
}
