//! SetSecurityGroups (aws-api.md §1.7.9, §2.5, NLB-SG, lbc-ingress.md §8.4) and the group
//! checks CreateLoadBalancer shares: every group must exist (InvalidSecurityGroup) and be in the
//! load balancer's VPC (InvalidConfigurationRequest), at most
//! `security-groups-per-load-balancer`; an NLB created without groups can never get any, and
//! one created with groups can never lose them all; a Region without NLB security groups
//! refuses them. An ALB's set can be replaced at any time but never emptied. The interfaces
//! follow the new set, so DeleteSecurityGroup sees the dependency.

use super::common::{enum_member, find_lb, required};
use crate::api::{Action, Ctx, Render};
use crate::error::{ApiError, ApiResult};
use crate::state::Region;
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

/// Checks a requested group list for a load balancer in `vpc`; returns it without repeats, in
/// request order.
pub fn resolve_groups(r: &Region, ids: &[String], vpc: &str, alb: bool) -> ApiResult<Vec<String>> {
    if !alb && !r.settings.nlb_security_groups {
        return Err(ApiError::nlb_sgs_unsupported());
    }
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let sg = if well_formed(id, "sg") { r.sgs().get(id.as_str()) } else { None };
        let sg = sg.ok_or_else(|| ApiError::elb_sg_not_found(id))?;
        if sg.vpc_id != vpc && r.settings.elb_security_group_vpc_check {
            return Err(ApiError::sg_not_in_vpc(id, vpc));
        }
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    if out.len() as u64 > r.quotas.security_groups_per_load_balancer {
        return Err(ApiError::too_many_lb_sgs(r.quotas.security_groups_per_load_balancer));
    }
    Ok(out)
}

/// SetSecurityGroups' answer: the load balancer's groups and PrivateLink enforcement.
pub struct LbGroups(String);

impl Render for LbGroups {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        if let Some(lb) = r.elb().lbs().get(&self.0) {
            w.strings("SecurityGroupIds", &lb.security_groups);
            w.opt("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic", lb.enforce_private_link.as_ref());
        }
    }
}

pub struct SetSecurityGroups {
    arn: String,
    groups: Vec<String>,
    enforce: Option<String>,
}

impl Action for SetSecurityGroups {
    type Output = LbGroups;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arn = required(p, "LoadBalancerArn")?.to_string();
        // Removing every group travels as `SecurityGroups=` (aws-api.md §1.7.9): present, empty.
        let groups = p.strings_present("SecurityGroups")?.ok_or_else(|| {
            ApiError::validation(
                "1 validation error detected: Value null at 'securityGroups' failed to satisfy constraint: Member must not be null",
            )
        })?;
        Ok(SetSecurityGroups {
            arn,
            groups: groups.into_iter().map(String::from).collect(),
            enforce: enum_member(p, "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic", &["on", "off"])?.map(String::from),
        })
    }

    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<LbGroups> {
        let lb = find_lb(r, &self.arn)?;
        if lb.is_alb() {
            // [unverified] texts: the enforcement setting is the NLB's, an ALB keeps a group.
            if self.enforce.is_some() {
                return Err(ApiError::validation(
                    "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic is supported only for load balancers of type 'network'",
                ));
            }
            if self.groups.is_empty() {
                return Err(ApiError::validation("A load balancer of type 'application' must have at least one security group"));
            }
        } else {
            if !r.settings.nlb_security_groups {
                return Err(ApiError::nlb_sgs_unsupported());
            }
            if lb.security_groups.is_empty() {
                return Err(ApiError::nlb_created_without_sgs());
            }
            if self.groups.is_empty() {
                return Err(ApiError::cannot_remove_all_sgs());
            }
        }
        let groups = resolve_groups(r, &self.groups, &lb.vpc_id, lb.is_alb())?;
        super::service_checks::check_sg_quotas(r, &groups)?;
        r.set_lb_groups(&self.arn, groups, self.enforce);
        Ok(LbGroups(self.arn))
    }
}
