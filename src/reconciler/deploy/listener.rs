//! Listener and listener-rule synthesizers (§4.3 rows 4–5): per LB, delete listeners on ports
//! the model no longer has, create new ones (forward to the port's TG, as a one-tuple
//! ForwardConfig with `WeightedTargetGroups`), modify drifted ones, reconcile tags; then describe
//! each listener's rules (NLB listeners have only the default rule, so nothing changes).

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, ForwardActionConfig, Listener as SdkListener, ProtocolEnum, TargetGroupTuple,
};

use crate::reconciler::aws::{AwsError, aws_err, elb_tag_list, elb_tags, reconcile_elb_tags};
use crate::reconciler::ctx::Ctx;
use crate::reconciler::model::{Listener, Stack};

fn forward(ctx: &Ctx, tg_arn: &str) -> Action {
    let b = Action::builder().r#type(ActionTypeEnum::Forward);
    if ctx.cfg.feature_gates.weighted_target_groups {
        b.forward_config(ForwardActionConfig::builder().target_groups(TargetGroupTuple::builder().target_group_arn(tg_arn).build()).build())
            .build()
    } else {
        b.target_group_arn(tg_arn).build()
    }
}

fn forward_target(l: &SdkListener) -> Option<String> {
    let a = l.default_actions().first()?;
    a.target_group_arn().map(String::from).or_else(|| a.forward_config()?.target_groups().first()?.target_group_arn().map(String::from))
}

fn drifted(have: &SdkListener, want: &Listener, tg_arn: &str) -> bool {
    have.protocol().map(|p| p.as_str()) != Some(want.protocol.as_str())
        || forward_target(have).as_deref() != Some(tg_arn)
        || have.certificates().first().and_then(|c| c.certificate_arn()) != want.certificates.first().map(String::as_str)
        || have.ssl_policy() != want.ssl_policy.as_deref()
        || (want.alpn.is_some() && have.alpn_policy().first().map(String::as_str) != want.alpn.as_deref())
}

/// Returns the LB's listener ARNs after the pass.
pub async fn synthesize(ctx: &Ctx, stack: &Stack, lb_arn: &str, tgs: &BTreeMap<String, String>) -> Result<Vec<String>, AwsError> {
    let r = ctx.aws.elbv2.describe_listeners().load_balancer_arn(lb_arn).send().await.map_err(aws_err)?;
    let existing: Vec<SdkListener> = r.listeners().to_vec();
    let tags = if ctx.cfg.feature_gates.listener_rules_tagging && !existing.is_empty() {
        let arns: Vec<String> = existing.iter().filter_map(|l| l.listener_arn().map(String::from)).collect();
        elb_tags(ctx, &arns).await?
    } else {
        BTreeMap::new()
    };
    for l in &existing {
        if !stack.listeners.iter().any(|w| Some(w.port) == l.port()) {
            ctx.aws.elbv2.delete_listener().listener_arn(l.listener_arn().unwrap_or("")).send().await.map_err(aws_err)?;
        }
    }
    let mut arns = Vec::new();
    for want in &stack.listeners {
        let tg_arn = tgs.get(&want.tg_resource_id).cloned().unwrap_or_default();
        match existing.iter().find(|l| l.port() == Some(want.port)) {
            Some(have) => {
                let arn = have.listener_arn().unwrap_or("").to_string();
                if ctx.cfg.feature_gates.listener_rules_tagging {
                    reconcile_elb_tags(ctx, &arn, &want.tags, &tags.get(&arn).cloned().unwrap_or_default()).await?;
                }
                if drifted(have, want, &tg_arn) {
                    let mut req = ctx
                        .aws
                        .elbv2
                        .modify_listener()
                        .listener_arn(&arn)
                        .port(want.port)
                        .protocol(ProtocolEnum::from(want.protocol.as_str()))
                        .default_actions(forward(ctx, &tg_arn))
                        .set_ssl_policy(want.ssl_policy.clone());
                    if let Some(c) = want.certificates.first() {
                        req = req.certificates(Certificate::builder().certificate_arn(c).build());
                    }
                    if let Some(a) = &want.alpn {
                        req = req.alpn_policy(a);
                    }
                    req.send().await.map_err(aws_err)?;
                }
                arns.push(arn);
            }
            None => {
                let mut req = ctx
                    .aws
                    .elbv2
                    .create_listener()
                    .load_balancer_arn(lb_arn)
                    .port(want.port)
                    .protocol(ProtocolEnum::from(want.protocol.as_str()))
                    .default_actions(forward(ctx, &tg_arn))
                    .set_ssl_policy(want.ssl_policy.clone());
                if let Some(c) = want.certificates.first() {
                    req = req.certificates(Certificate::builder().certificate_arn(c).build());
                }
                if let Some(a) = &want.alpn {
                    req = req.alpn_policy(a);
                }
                if ctx.cfg.feature_gates.listener_rules_tagging {
                    req = req.set_tags(Some(elb_tag_list(&want.tags)));
                }
                let r = req.send().await.map_err(aws_err)?;
                let arn = r.listeners().first().and_then(|l| l.listener_arn()).unwrap_or("").to_string();
                if want.certificates.len() > 1 {
                    let extra: Vec<Certificate> =
                        want.certificates[1..].iter().map(|c| Certificate::builder().certificate_arn(c).build()).collect();
                    ctx.aws
                        .elbv2
                        .add_listener_certificates()
                        .listener_arn(&arn)
                        .set_certificates(Some(extra))
                        .send()
                        .await
                        .map_err(aws_err)?;
                }
                arns.push(arn);
            }
        }
    }
    Ok(arns)
}

/// DescribeRules per listener (+ DescribeTags of non-default rules); NLBs have none to change.
pub async fn synthesize_rules(ctx: &Ctx, listeners: &[String]) -> Result<(), AwsError> {
    for arn in listeners {
        let r = ctx.aws.elbv2.describe_rules().listener_arn(arn).send().await.map_err(aws_err)?;
        let custom: Vec<String> =
            r.rules().iter().filter(|r| r.is_default() != Some(true)).filter_map(|r| r.rule_arn().map(String::from)).collect();
        if !custom.is_empty() && ctx.cfg.feature_gates.listener_rules_tagging {
            elb_tags(ctx, &custom).await?;
        }
    }
    Ok(())
}
