//! Listener-rule synthesizer for ALB listeners (lbc-ingress.md §5.4): DescribeRules (all pages,
//! default rule left out) and the rules' tags, the plan of `rule_diff`, then in the profile's
//! order — HEAD: one SetRulePriorities, ModifyRule per priority pair, creates before deletes
//! with the TooManyRules alternation (v2.14.1), tag reconcile of matched rules; 2.6.0: deletes,
//! creates, then ModifyRule. CreateRule failures read "failed to create listener rule: …".

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{Rule as SdkRule, RulePriorityPair};

use super::alb_sdk::{from_sdk_actions, from_sdk_conditions, resolve, sdk_actions, sdk_conditions};
use crate::reconciler::aws::{AwsError, Tags, aws_err, elb_tag_list, elb_tags, reconcile_elb_tags};
use crate::reconciler::ctx::Ctx;
use crate::reconciler::model::alb::AlbRule;
use crate::reconciler::rule_diff::{self, Existing, RuleView};

pub const TOO_MANY: &str = "Unable to synthesize listener rules, there's too many attached.";

fn local(message: String) -> AwsError {
    AwsError { code: String::new(), message, status: 0 }
}

/// The listener's rules, default rule excluded, every page.
async fn existing(ctx: &Ctx, listener: &str) -> Result<Vec<SdkRule>, AwsError> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let r = ctx.aws.elbv2.describe_rules().listener_arn(listener).set_marker(marker).send().await.map_err(aws_err)?;
        out.extend(r.rules().iter().filter(|r| r.is_default() != Some(true)).cloned());
        marker = r.next_marker().map(String::from);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

fn view(r: &SdkRule) -> Existing {
    Existing {
        arn: r.rule_arn().unwrap_or("").to_string(),
        rule: RuleView {
            priority: r.priority().and_then(|p| p.parse().ok()).unwrap_or(0),
            conditions: from_sdk_conditions(r.conditions()),
            actions: from_sdk_actions(r.actions()),
        },
    }
}

pub async fn synthesize(ctx: &Ctx, listener: &str, want: &[AlbRule], tgs: &BTreeMap<String, String>) -> Result<(), AwsError> {
    let have = existing(ctx, listener).await?;
    let tagging = ctx.cfg.feature_gates.listener_rules_tagging;
    let tags: BTreeMap<String, Tags> = if tagging && !have.is_empty() {
        let arns: Vec<String> = have.iter().filter_map(|r| r.rule_arn().map(String::from)).collect();
        elb_tags(ctx, &arns).await?
    } else {
        BTreeMap::new()
    };
    let desired: Vec<RuleView> = want
        .iter()
        .map(|r| RuleView { priority: r.priority, conditions: r.conditions.clone(), actions: resolve(&r.actions, tgs) })
        .collect();
    let existing: Vec<Existing> = have.iter().map(view).collect();
    let plan = rule_diff::plan(&desired, &existing, ctx.cfg.rules_by_settings());
    let weighted = ctx.cfg.feature_gates.weighted_target_groups;
    let modify = |arn: String, i: usize| {
        let d = desired[i].clone();
        async move {
            let actions = sdk_actions(&d.actions, weighted).map_err(local)?;
            ctx.aws
                .elbv2
                .modify_rule()
                .rule_arn(arn)
                .set_conditions(Some(sdk_conditions(&d.conditions)))
                .set_actions(Some(actions))
                .send()
                .await
                .map_err(aws_err)?;
            Ok::<(), AwsError>(())
        }
    };
    let create = |i: usize| {
        let d = desired[i].clone();
        let t = want[i].tags.clone();
        async move {
            let actions = sdk_actions(&d.actions, weighted).map_err(local)?;
            let mut req = ctx
                .aws
                .elbv2
                .create_rule()
                .listener_arn(listener)
                .priority(d.priority)
                .set_conditions(Some(sdk_conditions(&d.conditions)))
                .set_actions(Some(actions));
            if tagging {
                req = req.set_tags(Some(elb_tag_list(&t)));
            }
            req.send().await.map_err(aws_err)?;
            Ok::<(), AwsError>(())
        }
    };
    let delete = |arn: String| async move {
        ctx.aws.elbv2.delete_rule().rule_arn(arn).send().await.map_err(aws_err)?;
        Ok::<(), AwsError>(())
    };
    if !ctx.cfg.rules_by_settings() {
        for arn in &plan.delete {
            delete(arn.clone()).await?;
        }
        for &i in &plan.create {
            create(i).await.map_err(create_failed)?;
        }
        for (arn, i) in &plan.modify {
            modify(arn.clone(), *i).await?;
        }
        return Ok(());
    }
    if !plan.set_priorities.is_empty() {
        let pairs: Vec<RulePriorityPair> =
            plan.set_priorities.iter().map(|(arn, p)| RulePriorityPair::builder().rule_arn(arn).priority(*p).build()).collect();
        ctx.aws.elbv2.set_rule_priorities().set_rule_priorities(Some(pairs)).send().await.map_err(aws_err)?;
    }
    for (arn, i) in &plan.modify {
        modify(arn.clone(), *i).await?;
    }
    // Creates first; the first TooManyRules fixes the limit and switches to delete / create.
    let (mut ci, mut di) = (0, 0);
    let mut count = existing.len();
    let mut limit: Option<usize> = None;
    while ci < plan.create.len() || di < plan.delete.len() {
        if ci < plan.create.len() && limit != Some(count) {
            match create(plan.create[ci]).await {
                Ok(()) => {
                    count += 1;
                    ci += 1;
                }
                Err(e) if e.code == "TooManyRules" && limit.is_none() => limit = Some(count),
                Err(e) => return Err(create_failed(e)),
            }
        } else if di < plan.delete.len() {
            delete(plan.delete[di].clone()).await?;
            count -= 1;
            di += 1;
        } else {
            return Err(local(TOO_MANY.to_string()));
        }
    }
    if tagging {
        for (arn, i) in &plan.matched {
            reconcile_elb_tags(ctx, arn, &want[*i].tags, &tags.get(arn).cloned().unwrap_or_default()).await?;
        }
    }
    Ok(())
}

fn create_failed(e: AwsError) -> AwsError {
    if e.code.is_empty() {
        return e;
    }
    AwsError { message: e.message, code: format!("failed to create listener rule: {}", e.code), status: e.status }
}
