//! Frontend security group synthesizer (§4.3 row 1, §3.4): find the stack's groups by tags,
//! create the managed group if missing, reconcile its tags and (select-everything) rules;
//! delete unmatched groups in the reverse pass, retrying on `DependencyViolation`.

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

use crate::reconciler::aws::{AwsError, Tags, aws_err, ec2_filter, ec2_tags, tag_diff};
use crate::reconciler::backend_sg::delete_with_retry;
use crate::reconciler::ctx::Ctx;
use crate::reconciler::model::{FRONTEND_DESCRIPTION, FRONTEND_RESOURCE, LEGACY_TAG_CLUSTER, Stack, TAG_CLUSTER};
use crate::reconciler::sg_rules::{self, Selector, SgInfo, expand};

pub struct SgSynth {
    pub frontend_id: Option<String>,
    pub unmatched: Vec<String>,
}

pub async fn synthesize(ctx: &Ctx, stack: &Stack) -> Result<SgSynth, String> {
    let e = |e: AwsError| e.to_string();
    let mut found: Vec<SgInfo> = Vec::new();
    for cluster_tag in [TAG_CLUSTER, LEGACY_TAG_CLUSTER] {
        let r = ctx
            .aws
            .ec2
            .describe_security_groups()
            .filters(ec2_filter("vpc-id", &[&ctx.cfg.vpc_id]))
            .filters(ec2_filter(&format!("tag:{cluster_tag}"), &[&ctx.cfg.cluster_name]))
            .filters(ec2_filter(&format!("tag:{}", stack.keys.stack), &[&stack.id]))
            .send()
            .await
            .map_err(|x| e(aws_err(x)))?;
        for g in r.security_groups() {
            let info = expand(g);
            ctx.sg_cache.lock().put(ctx.now(), info.clone());
            if !found.iter().any(|f| f.id == info.id) {
                found.push(info);
            }
        }
    }
    let mut out = SgSynth { frontend_id: None, unmatched: Vec::new() };
    for g in &found {
        match g.tags.get(stack.keys.resource).map(String::as_str) {
            None => return Err(format!("unexpected securityGroup with no resourceID: {}", g.id)),
            Some(FRONTEND_RESOURCE) if stack.frontend_sg.is_some() && out.frontend_id.is_none() => out.frontend_id = Some(g.id.clone()),
            Some(_) => out.unmatched.push(g.id.clone()),
        }
    }
    let Some(want) = &stack.frontend_sg else { return Ok(out) };
    let id = match &out.frontend_id {
        Some(id) => {
            let current = found.iter().find(|g| &g.id == id).map(|g| g.tags.clone()).unwrap_or_default();
            reconcile_tags(ctx, id, &want.tags, &current).await.map_err(e)?;
            id.clone()
        }
        None => {
            let mut spec = TagSpecification::builder().resource_type(ResourceType::SecurityGroup);
            for (k, v) in &want.tags {
                spec = spec.tags(Tag::builder().key(k).value(v).build());
            }
            let r = ctx
                .aws
                .ec2
                .create_security_group()
                .vpc_id(&ctx.cfg.vpc_id)
                .group_name(&want.name)
                .description(FRONTEND_DESCRIPTION)
                .tag_specifications(spec.build())
                .send()
                .await
                .map_err(|x| e(aws_err(x)))?;
            r.group_id().unwrap_or_default().to_string()
        }
    };
    sg_rules::reconcile(ctx, &id, &want.ingress, None, Selector::All, false).await.map_err(e)?;
    out.frontend_id = Some(id);
    Ok(out)
}

async fn reconcile_tags(ctx: &Ctx, id: &str, desired: &Tags, current: &Tags) -> Result<(), AwsError> {
    let (add, remove) = tag_diff(ctx, desired, current);
    if !add.is_empty() {
        let tags: Vec<Tag> = add.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        ctx.aws.ec2.create_tags().resources(id).set_tags(Some(tags)).send().await.map_err(aws_err)?;
        ctx.sg_cache.lock().invalidate(id);
    }
    if !remove.is_empty() {
        let tags: Vec<Tag> = remove.iter().map(|k| Tag::builder().key(k).build()).collect();
        ctx.aws.ec2.delete_tags().resources(id).set_tags(Some(tags)).send().await.map_err(aws_err)?;
        ctx.sg_cache.lock().invalidate(id);
    }
    Ok(())
}

/// Reverse pass: delete groups no longer in the model (the NLB's interfaces may hold them a while).
pub async fn delete(ctx: &Ctx, ids: &[String]) -> Result<(), AwsError> {
    for id in ids {
        delete_with_retry(ctx, id, ctx.cfg.frontend_sg_delete_window())
            .await
            .map_err(|e| AwsError { message: format!("failed to delete securityGroup: {}", e.message), ..e })?;
    }
    Ok(())
}

/// Tags of a group from a Describe answer (used by tests).
pub fn tags_of(g: &aws_sdk_ec2::types::SecurityGroup) -> Tags {
    ec2_tags(g.tags())
}
