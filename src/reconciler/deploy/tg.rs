//! Target group synthesizer (§4.3 row 2): match by the resource tag, replace on target type or
//! protocol change (and HC changes when `NLBHealthCheckAdvancedConfig` is off), create with the
//! full health check, modify drifted health checks, reconcile tags and attributes; delete
//! unmatched groups in the reverse pass, retrying `ResourceInUse` every 2 s for 20 s.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_elasticloadbalancingv2::types::{Matcher, ProtocolEnum, TargetGroupAttribute, TargetGroupIpAddressTypeEnum, TargetTypeEnum};

use crate::reconciler::aws::{AwsError, Tg, aws_err, elb_tag_list, reconcile_elb_tags, stack_filters, tgs_by_tags};
use crate::reconciler::ctx::Ctx;
use crate::reconciler::model::{HealthCheck, Stack, TargetGroup};

pub struct TgSynth {
    /// Resource id → ARN.
    pub arns: BTreeMap<String, String>,
    pub unmatched: Vec<String>,
}

fn needs_replacement(ctx: &Ctx, have: &Tg, want: &TargetGroup) -> bool {
    let tt = have.target_type().map(|t| t.as_str()).unwrap_or("");
    let proto = have.protocol().map(|p| p.as_str()).unwrap_or("");
    if tt != want.target_type || proto != want.protocol {
        return true;
    }
    // ALB target groups: the protocol version is part of the identity (lbc-ingress.md §4.10).
    if let Some(v) = &want.protocol_version {
        return have.protocol_version() != Some(v.as_str());
    }
    if !ctx.cfg.feature_gates.nlb_hc_advanced {
        let hc = &want.health_check;
        let hp = have.health_check_protocol().map(|p| p.as_str()).unwrap_or("");
        let matcher = have.matcher().and_then(|m| m.http_code()).map(String::from);
        return hp != hc.protocol
            || (hc.matcher.is_some() && matcher != hc.matcher)
            || have.health_check_interval_seconds() != Some(hc.interval)
            || have.health_check_timeout_seconds() != Some(hc.timeout);
    }
    false
}

fn hc_drift(have: &Tg, want: &TargetGroup) -> bool {
    let hc = &want.health_check;
    have.health_check_protocol().map(|p| p.as_str()) != Some(hc.protocol.as_str())
        || have.health_check_port() != Some(hc.port.as_str())
        || (hc.path.is_some() && have.health_check_path() != hc.path.as_deref())
        || (hc.matcher.is_some() && matcher_of(have, hc) != hc.matcher.as_deref())
        || have.health_check_interval_seconds() != Some(hc.interval)
        || have.health_check_timeout_seconds() != Some(hc.timeout)
        || have.healthy_threshold_count() != Some(hc.healthy)
        || have.unhealthy_threshold_count() != Some(hc.unhealthy)
}

fn matcher_of<'a>(have: &'a Tg, hc: &HealthCheck) -> Option<&'a str> {
    let m = have.matcher()?;
    if hc.matcher_grpc { m.grpc_code() } else { m.http_code() }
}

fn matcher(hc: &HealthCheck) -> Option<Matcher> {
    hc.matcher
        .as_ref()
        .map(|m| if hc.matcher_grpc { Matcher::builder().grpc_code(m).build() } else { Matcher::builder().http_code(m).build() })
}

pub async fn synthesize(ctx: &Ctx, stack: &Stack) -> Result<TgSynth, AwsError> {
    let existing = tgs_by_tags(ctx, &stack_filters(ctx, stack.keys, &stack.id, true)).await?;
    let mut out = TgSynth { arns: BTreeMap::new(), unmatched: Vec::new() };
    let mut used: Vec<String> = Vec::new();
    for want in &stack.target_groups {
        let found = existing.iter().find(|(tg, tags)| {
            tags.get(stack.keys.resource) == Some(&want.resource_id) && !used.iter().any(|u| Some(u.as_str()) == tg.target_group_arn())
        });
        let arn = match found {
            Some((have, tags)) if !needs_replacement(ctx, have, want) => {
                let arn = have.target_group_arn().unwrap_or("").to_string();
                reconcile_elb_tags(ctx, &arn, &want.tags, tags).await?;
                if hc_drift(have, want) {
                    modify_health_check(ctx, &arn, want).await?;
                }
                reconcile_attributes(ctx, &arn, &want.attributes).await?;
                arn
            }
            _ => create(ctx, want).await?,
        };
        used.push(arn.clone());
        out.arns.insert(want.resource_id.clone(), arn);
    }
    for (tg, _) in &existing {
        let arn = tg.target_group_arn().unwrap_or("").to_string();
        if !used.contains(&arn) {
            out.unmatched.push(arn);
        }
    }
    Ok(out)
}

async fn create(ctx: &Ctx, want: &TargetGroup) -> Result<String, AwsError> {
    let hc = &want.health_check;
    let mut req = ctx
        .aws
        .elbv2
        .create_target_group()
        .name(&want.name)
        .target_type(TargetTypeEnum::from(want.target_type.as_str()))
        .port(want.port)
        .protocol(ProtocolEnum::from(want.protocol.as_str()))
        .vpc_id(&ctx.cfg.vpc_id)
        .health_check_enabled(true)
        .health_check_protocol(ProtocolEnum::from(hc.protocol.as_str()))
        .health_check_port(&hc.port)
        .set_health_check_path(hc.path.clone())
        .health_check_interval_seconds(hc.interval)
        .health_check_timeout_seconds(hc.timeout)
        .healthy_threshold_count(hc.healthy)
        .unhealthy_threshold_count(hc.unhealthy)
        .set_protocol_version(want.protocol_version.clone())
        .set_matcher(matcher(hc))
        .set_tags(Some(elb_tag_list(&want.tags)));
    if want.ip_address_type != "ipv4" {
        req = req.ip_address_type(TargetGroupIpAddressTypeEnum::from(want.ip_address_type.as_str()));
    }
    let r = req.send().await.map_err(aws_err)?;
    let arn = r.target_groups().first().and_then(|t| t.target_group_arn()).unwrap_or("").to_string();
    reconcile_attributes(ctx, &arn, &want.attributes).await?;
    Ok(arn)
}

async fn modify_health_check(ctx: &Ctx, arn: &str, want: &TargetGroup) -> Result<(), AwsError> {
    let hc = &want.health_check;
    let req = ctx
        .aws
        .elbv2
        .modify_target_group()
        .target_group_arn(arn)
        .health_check_enabled(true)
        .health_check_protocol(ProtocolEnum::from(hc.protocol.as_str()))
        .health_check_port(&hc.port)
        .set_health_check_path(hc.path.clone())
        .health_check_interval_seconds(hc.interval)
        .health_check_timeout_seconds(hc.timeout)
        .healthy_threshold_count(hc.healthy)
        .unhealthy_threshold_count(hc.unhealthy)
        .set_matcher(matcher(hc));
    req.send().await.map_err(aws_err)?;
    Ok(())
}

/// Only keys whose value differs are modified; extra AWS keys are never reset.
async fn reconcile_attributes(ctx: &Ctx, arn: &str, want: &BTreeMap<String, String>) -> Result<(), AwsError> {
    let r = ctx.aws.elbv2.describe_target_group_attributes().target_group_arn(arn).send().await.map_err(aws_err)?;
    let have: BTreeMap<String, String> =
        r.attributes().iter().map(|a| (a.key().unwrap_or("").to_string(), a.value().unwrap_or("").to_string())).collect();
    let changed: Vec<TargetGroupAttribute> = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(v))
        .map(|(k, v)| TargetGroupAttribute::builder().key(k).value(v).build())
        .collect();
    if !changed.is_empty() {
        ctx.aws.elbv2.modify_target_group_attributes().target_group_arn(arn).set_attributes(Some(changed)).send().await.map_err(aws_err)?;
    }
    Ok(())
}

pub async fn delete(ctx: &Ctx, arns: &[String]) -> Result<(), AwsError> {
    for arn in arns {
        let deadline = ctx.now() + chrono::Duration::seconds(20);
        loop {
            match ctx.aws.elbv2.delete_target_group().target_group_arn(arn).send().await.map_err(aws_err) {
                Ok(_) => break,
                Err(e) if e.code == "ResourceInUse" && ctx.now() < deadline => ctx.clock.sleep(Duration::from_secs(2)).await,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}
