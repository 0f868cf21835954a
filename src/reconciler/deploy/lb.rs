//! Load balancer synthesizer (§4.3 row 3): delete unmatched or replacement-needing LBs first
//! (type or scheme changed), then create, or update a matched one — tags, SetSecurityGroups
//! only when the group *set* differs (so an NLB created without groups is never sent one, §6.3),
//! SetSubnets when the subnet set differs, SetIpAddressType, attributes. The post-synthesize
//! half (HEAD, gate `LBCapacityReservation`, v2.11.0) reads every *matched* LB back and asks for a
//! requeue while it is still `provisioning` (lbc-ingress.md §5.2).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_elasticloadbalancingv2::types::{
    EnforceSecurityGroupInboundRulesOnPrivateLinkTrafficEnum, IpAddressType, LoadBalancerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerTypeEnum, SubnetMapping,
};

use crate::reconciler::aws::{AwsError, aws_err, elb_tag_list, lbs_by_tags, reconcile_elb_tags, stack_filters};
use crate::reconciler::ctx::Ctx;
use crate::reconciler::model::{FRONTEND_TOKEN, LB_RESOURCE, LoadBalancer, Stack};

pub struct LbState {
    pub arn: String,
    pub dns_name: String,
    /// Matched an existing LB (not created in this pass): the post-synthesize check reads it.
    pub matched: bool,
}

pub async fn synthesize(ctx: &Ctx, stack: &Stack, frontend: Option<&str>) -> Result<Option<LbState>, String> {
    let e = |e: AwsError| e.to_string();
    let existing = lbs_by_tags(ctx, &stack_filters(ctx, stack.keys, &stack.id, true)).await.map_err(e)?;
    let want = stack.lb.as_ref().map(|lb| resolve(lb, frontend));
    let mut keep = None;
    for (lb, tags) in &existing {
        let Some(res) = tags.get(stack.keys.resource) else {
            return Err(format!("unexpected loadBalancer with no resourceID: {}", lb.load_balancer_arn().unwrap_or("")));
        };
        let matched = keep.is_none()
            && res == LB_RESOURCE
            && want.as_ref().is_some_and(|w| {
                lb.r#type().map(|t| t.as_str()) == Some(w.lb_type.as_str()) && lb.scheme().map(|s| s.as_str()) == Some(w.scheme.as_str())
            });
        if matched {
            keep = Some((lb.clone(), tags.clone()));
        } else {
            delete(ctx, lb.load_balancer_arn().unwrap_or("")).await.map_err(e)?;
        }
    }
    let Some(want) = want else { return Ok(None) };
    match keep {
        Some((have, tags)) => {
            let arn = have.load_balancer_arn().unwrap_or("").to_string();
            reconcile_elb_tags(ctx, &arn, &want.tags, &tags).await.map_err(e)?;
            let have_sgs: BTreeSet<&str> = have.security_groups().iter().map(String::as_str).collect();
            let want_sgs: BTreeSet<&str> = want.security_groups.iter().map(String::as_str).collect();
            if have_sgs != want_sgs {
                let mut req =
                    ctx.aws.elbv2.set_security_groups().load_balancer_arn(&arn).set_security_groups(Some(want.security_groups.clone()));
                if let Some(v) = &want.private_link_inbound {
                    req = req.enforce_security_group_inbound_rules_on_private_link_traffic(
                        EnforceSecurityGroupInboundRulesOnPrivateLinkTrafficEnum::from(v.as_str()),
                    );
                }
                req.send().await.map_err(|x| e(aws_err(x)))?;
            }
            let have_subnets: BTreeSet<&str> = have.availability_zones().iter().filter_map(|z| z.subnet_id()).collect();
            let want_subnets: BTreeSet<&str> = want.subnets.iter().map(|s| s.subnet_id.as_str()).collect();
            if have_subnets != want_subnets {
                ctx.aws
                    .elbv2
                    .set_subnets()
                    .load_balancer_arn(&arn)
                    .set_subnet_mappings(Some(mappings(&want)))
                    .send()
                    .await
                    .map_err(|x| e(aws_err(x)))?;
            }
            if have.ip_address_type().map(|t| t.as_str()) != Some(want.ip_address_type.as_str()) {
                ctx.aws
                    .elbv2
                    .set_ip_address_type()
                    .load_balancer_arn(&arn)
                    .ip_address_type(IpAddressType::from(want.ip_address_type.as_str()))
                    .send()
                    .await
                    .map_err(|x| e(aws_err(x)))?;
            }
            reconcile_attributes(ctx, &arn, &want.attributes).await.map_err(e)?;
            Ok(Some(LbState { arn, dns_name: have.dns_name().unwrap_or("").to_string(), matched: true }))
        }
        None => {
            let mut req = ctx
                .aws
                .elbv2
                .create_load_balancer()
                .name(&want.name)
                .r#type(LoadBalancerTypeEnum::from(want.lb_type.as_str()))
                .scheme(LoadBalancerSchemeEnum::from(want.scheme.as_str()))
                .ip_address_type(IpAddressType::from(want.ip_address_type.as_str()))
                .set_subnet_mappings(Some(mappings(&want)))
                .set_tags(Some(elb_tag_list(&want.tags)));
            if !want.security_groups.is_empty() {
                req = req.set_security_groups(Some(want.security_groups.clone()));
            }
            let r = req.send().await.map_err(|x| e(aws_err(x)))?;
            let lb = r
                .load_balancers()
                .first()
                .cloned()
                .unwrap_or_else(|| aws_sdk_elasticloadbalancingv2::types::LoadBalancer::builder().build());
            let arn = lb.load_balancer_arn().unwrap_or("").to_string();
            reconcile_attributes(ctx, &arn, &want.attributes).await.map_err(e)?;
            Ok(Some(LbState { arn, dns_name: lb.dns_name().unwrap_or("").to_string(), matched: false }))
        }
    }
}

/// Post-synthesize: whether a matched LB is still `provisioning` (then the deploy stops and
/// the reconcile is requeued; HEAD only).
pub async fn still_provisioning(ctx: &Ctx, lb: &LbState) -> Result<bool, AwsError> {
    if ctx.cfg.lb_provisioning_check().is_none() || !lb.matched {
        return Ok(false);
    }
    let r = ctx.aws.elbv2.describe_load_balancers().load_balancer_arns(&lb.arn).send().await.map_err(aws_err)?;
    Ok(r.load_balancers().first().and_then(|l| l.state()).and_then(|s| s.code()).map(|c| c.as_str()) == Some("provisioning"))
}

fn resolve(lb: &LoadBalancer, frontend: Option<&str>) -> LoadBalancer {
    let mut lb = lb.clone();
    for g in lb.security_groups.iter_mut() {
        if g == FRONTEND_TOKEN {
            *g = frontend.unwrap_or_default().to_string();
        }
    }
    lb
}

fn mappings(lb: &LoadBalancer) -> Vec<SubnetMapping> {
    lb.subnets
        .iter()
        .map(|s| {
            SubnetMapping::builder()
                .subnet_id(&s.subnet_id)
                .set_allocation_id(s.allocation_id.clone())
                .set_private_ipv4_address(s.private_ipv4.clone())
                .build()
        })
        .collect()
}

async fn reconcile_attributes(ctx: &Ctx, arn: &str, want: &BTreeMap<String, String>) -> Result<(), AwsError> {
    let r = ctx.aws.elbv2.describe_load_balancer_attributes().load_balancer_arn(arn).send().await.map_err(aws_err)?;
    let have: BTreeMap<String, String> =
        r.attributes().iter().map(|a| (a.key().unwrap_or("").to_string(), a.value().unwrap_or("").to_string())).collect();
    let changed: Vec<LoadBalancerAttribute> = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(v))
        .map(|(k, v)| LoadBalancerAttribute::builder().key(k).value(v).build())
        .collect();
    if !changed.is_empty() {
        ctx.aws
            .elbv2
            .modify_load_balancer_attributes()
            .load_balancer_arn(arn)
            .set_attributes(Some(changed))
            .send()
            .await
            .map_err(aws_err)?;
    }
    Ok(())
}

/// DeleteLoadBalancer; with deletion protection on, turn it off and delete again.
pub async fn delete(ctx: &Ctx, arn: &str) -> Result<(), AwsError> {
    match ctx.aws.elbv2.delete_load_balancer().load_balancer_arn(arn).send().await.map_err(aws_err) {
        Ok(_) => Ok(()),
        Err(e) if e.code == "OperationNotPermitted" && e.message.contains("deletion protection") => {
            ctx.aws
                .elbv2
                .modify_load_balancer_attributes()
                .load_balancer_arn(arn)
                .attributes(LoadBalancerAttribute::builder().key("deletion_protection.enabled").value("false").build())
                .send()
                .await
                .map_err(aws_err)?;
            ctx.aws.elbv2.delete_load_balancer().load_balancer_arn(arn).send().await.map_err(aws_err)?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}
