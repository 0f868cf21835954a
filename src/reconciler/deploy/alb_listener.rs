//! ALB listener synthesizer (lbc-ingress.md §4.7, §5.3): per LB, delete listeners on ports the
//! model no longer has (their rules go with them), create new ones (default actions, default
//! certificate, SSL policy, tags) and add their SNI certificates one per call, or modify drifted
//! ones (protocol, default actions by the controller's equality, default certificate, SSL
//! policy) and diff SNI certificates through DescribeListenerCertificates; HEAD reads the
//! listener attributes. Returns the listener ARNs in the model's order.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_elasticloadbalancingv2::types::{Certificate, Listener as SdkListener, ProtocolEnum};

use super::alb_sdk::{from_sdk_actions, resolve, sdk_actions};
use crate::reconciler::aws::{AwsError, aws_err, elb_tag_list, elb_tags, reconcile_elb_tags};
use crate::reconciler::ctx::Ctx;
use crate::reconciler::model::Stack;
use crate::reconciler::model::alb::AlbListener;
use crate::reconciler::rule_diff::actions_equal;

fn local(message: String) -> AwsError {
    AwsError { code: String::new(), message, status: 0 }
}

fn drifted(have: &SdkListener, want: &AlbListener, actions: &[crate::reconciler::model::alb::RuleAction]) -> bool {
    have.protocol().map(|p| p.as_str()) != Some(want.protocol.as_str())
        || !actions_equal(actions, &from_sdk_actions(have.default_actions()))
        || have.certificates().first().and_then(|c| c.certificate_arn()) != want.certificates.first().map(String::as_str)
        || have.ssl_policy() != want.ssl_policy.as_deref()
}

pub async fn synthesize(ctx: &Ctx, stack: &Stack, lb_arn: &str, tgs: &BTreeMap<String, String>) -> Result<Vec<String>, AwsError> {
    let r = ctx.aws.elbv2.describe_listeners().load_balancer_arn(lb_arn).send().await.map_err(aws_err)?;
    let existing: Vec<SdkListener> = r.listeners().to_vec();
    let tagging = ctx.cfg.feature_gates.listener_rules_tagging;
    let tags = if tagging && !existing.is_empty() {
        let arns: Vec<String> = existing.iter().filter_map(|l| l.listener_arn().map(String::from)).collect();
        elb_tags(ctx, &arns).await?
    } else {
        BTreeMap::new()
    };
    for l in &existing {
        if !stack.alb_listeners.iter().any(|w| Some(w.port) == l.port()) {
            ctx.aws.elbv2.delete_listener().listener_arn(l.listener_arn().unwrap_or("")).send().await.map_err(aws_err)?;
        }
    }
    let weighted = ctx.cfg.feature_gates.weighted_target_groups;
    let mut arns = Vec::new();
    for want in &stack.alb_listeners {
        let actions = resolve(&want.default_actions, tgs);
        let sdk = sdk_actions(&actions, weighted).map_err(local)?;
        let default_cert: Option<Vec<Certificate>> =
            want.certificates.first().map(|c| vec![Certificate::builder().certificate_arn(c).build()]);
        let arn = match existing.iter().find(|l| l.port() == Some(want.port)) {
            Some(have) => {
                let arn = have.listener_arn().unwrap_or("").to_string();
                if drifted(have, want, &actions) {
                    ctx.aws
                        .elbv2
                        .modify_listener()
                        .listener_arn(&arn)
                        .port(want.port)
                        .protocol(ProtocolEnum::from(want.protocol.as_str()))
                        .set_default_actions(Some(sdk))
                        .set_certificates(default_cert)
                        .set_ssl_policy(want.ssl_policy.clone())
                        .send()
                        .await
                        .map_err(aws_err)?;
                }
                sni(ctx, &arn, want, have.ssl_policy().is_some(), false).await?;
                if tagging {
                    reconcile_elb_tags(ctx, &arn, &want.tags, &tags.get(&arn).cloned().unwrap_or_default()).await?;
                }
                arn
            }
            None => {
                let mut req = ctx
                    .aws
                    .elbv2
                    .create_listener()
                    .load_balancer_arn(lb_arn)
                    .port(want.port)
                    .protocol(ProtocolEnum::from(want.protocol.as_str()))
                    .set_default_actions(Some(sdk))
                    .set_certificates(default_cert)
                    .set_ssl_policy(want.ssl_policy.clone());
                if tagging {
                    req = req.set_tags(Some(elb_tag_list(&want.tags)));
                }
                let r = req.send().await.map_err(aws_err)?;
                let arn = r.listeners().first().and_then(|l| l.listener_arn()).unwrap_or("").to_string();
                sni(ctx, &arn, want, false, true).await?;
                arn
            }
        };
        if ctx.cfg.latest() {
            // v2.9.0+: listener attributes are read on every reconcile (none are asserted here).
            ctx.aws.elbv2.describe_listener_attributes().listener_arn(&arn).send().await.map_err(aws_err)?;
        }
        arns.push(arn);
    }
    Ok(arns)
}

/// SNI certificates: every certificate after the first, one Remove / Add call per ARN.
async fn sni(ctx: &Ctx, arn: &str, want: &AlbListener, had_policy: bool, new: bool) -> Result<(), AwsError> {
    if want.ssl_policy.is_none() && !had_policy {
        return Ok(());
    }
    let desired: BTreeSet<&str> = want.certificates.iter().skip(1).map(String::as_str).collect();
    let mut current: BTreeSet<String> = BTreeSet::new();
    if !new {
        let r = ctx.aws.elbv2.describe_listener_certificates().listener_arn(arn).send().await.map_err(aws_err)?;
        current = r
            .certificates()
            .iter()
            .filter(|c| c.is_default() != Some(true))
            .filter_map(|c| c.certificate_arn().map(String::from))
            .collect();
    }
    for c in current.iter().filter(|c| !desired.contains(c.as_str())) {
        let cert = Certificate::builder().certificate_arn(c).build();
        ctx.aws.elbv2.remove_listener_certificates().listener_arn(arn).certificates(cert).send().await.map_err(aws_err)?;
    }
    for c in desired.iter().filter(|c| !current.contains(**c)) {
        let cert = Certificate::builder().certificate_arn(*c).build();
        ctx.aws.elbv2.add_listener_certificates().listener_arn(arn).certificates(cert).send().await.map_err(aws_err)?;
    }
    Ok(())
}
