//! The shared backend security group's lifetime (lbc-reconciler.md §3.5, §4.8; lbc-ingress.md
//! §5.1, §5.7): `get` marks a Service or Ingress as needing it and finds (by tags, never by name)
//! or creates it; `release` marks resources unneeded and deletes the group once nothing tracked
//! needs it and every Service and Ingress carrying an LBC finalizer is tracked — then forgets the
//! released ones (the controller's `CompareAndDelete`), so a released resource that keeps its
//! finalizer counts as untracked to the next release. `--backend-security-group` groups are
//! never created or deleted.

use std::time::Duration;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;

use super::aws::{AwsError, aws_err, ec2_filter};
use super::ctx::Ctx;
use super::model::{FINALIZER, INGRESS_GROUP_FINALIZER_PREFIX, INGRESS_IMPLICIT_FINALIZER, TAG_CLUSTER};
use super::naming;

pub const DESCRIPTION: &str = "[k8s] Shared Backend SecurityGroup for LoadBalancer";
pub const TAG_RESOURCE: &str = "elbv2.k8s.aws/resource";

pub fn key(ns: &str, name: &str) -> String {
    format!("service/{ns}/{name}")
}

pub fn ingress_key(ns: &str, name: &str) -> String {
    format!("ingress/{ns}/{name}")
}

pub async fn get(ctx: &Ctx, resource: &str) -> Result<String, AwsError> {
    ctx.backend.lock().needs.insert(resource.to_string(), true);
    if let Some(id) = &ctx.cfg.backend_security_group {
        return Ok(id.clone());
    }
    if let Some(id) = ctx.backend.lock().sg_id.clone() {
        return Ok(id);
    }
    let _serial = ctx.backend_serial.lock().await;
    // Another reconcile may have found or made the group while this one waited.
    if let Some(id) = ctx.backend.lock().sg_id.clone() {
        return Ok(id);
    }
    let cluster = ctx.cfg.cluster_name.as_str();
    let r = ctx
        .aws
        .ec2
        .describe_security_groups()
        .filters(ec2_filter("vpc-id", &[&ctx.cfg.vpc_id]))
        .filters(ec2_filter(&format!("tag:{TAG_CLUSTER}"), &[cluster]))
        .filters(ec2_filter(&format!("tag:{TAG_RESOURCE}"), &["backend-sg"]))
        .send()
        .await
        .map_err(aws_err)?;
    let id = match r.security_groups().first().and_then(|g| g.group_id()) {
        Some(id) => id.to_string(),
        None => {
            let mut spec = TagSpecification::builder().resource_type(ResourceType::SecurityGroup);
            for (k, v) in &ctx.cfg.default_tags {
                spec = spec.tags(Tag::builder().key(k).value(v).build());
            }
            spec = spec
                .tags(Tag::builder().key(TAG_CLUSTER).value(cluster).build())
                .tags(Tag::builder().key(TAG_RESOURCE).value("backend-sg").build());
            ctx.aws
                .ec2
                .create_security_group()
                .vpc_id(&ctx.cfg.vpc_id)
                .group_name(naming::backend_sg(cluster))
                .description(DESCRIPTION)
                .tag_specifications(spec.build())
                .send()
                .await
                .map_err(aws_err)?
                .group_id()
                .unwrap_or_default()
                .to_string()
        }
    };
    ctx.backend.lock().sg_id = Some(id.clone());
    Ok(id)
}

pub async fn release(ctx: &Ctx, resource: &str) -> Result<(), AwsError> {
    release_all(ctx, &[resource.to_string()]).await
}

/// Releases several resources at once (an IngressGroup's inactive members, or all of them).
pub async fn release_all(ctx: &Ctx, resources: &[String]) -> Result<(), AwsError> {
    let _serial = ctx.backend_serial.lock().await;
    let r = release_inner(ctx, resources).await;
    let mut st = ctx.backend.lock();
    for k in resources {
        if st.needs.get(k) == Some(&false) {
            st.needs.remove(k);
        }
    }
    r
}

async fn release_inner(ctx: &Ctx, resources: &[String]) -> Result<(), AwsError> {
    let sg = {
        let mut st = ctx.backend.lock();
        for k in resources {
            st.needs.insert(k.clone(), false);
        }
        if ctx.cfg.backend_security_group.is_some() || st.needs.values().any(|n| *n) {
            return Ok(());
        }
        let Some(sg) = st.sg_id.clone() else { return Ok(()) };
        // An untracked Service or Ingress with the finalizer may still need the group (after a
        // restart, or released earlier while it kept its finalizer).
        let cluster = ctx.cluster.lock();
        let untracked_service = cluster.iter::<Service>().any(|s| {
            let has = s.metadata.finalizers.as_ref().is_some_and(|f| f.iter().any(|x| x == FINALIZER));
            let k = key(s.metadata.namespace.as_deref().unwrap_or(""), s.metadata.name.as_deref().unwrap_or(""));
            has && !st.needs.contains_key(&k)
        });
        let untracked_ingress = cluster.iter::<Ingress>().any(|i| {
            let has = i
                .metadata
                .finalizers
                .iter()
                .flatten()
                .any(|x| x == INGRESS_IMPLICIT_FINALIZER || x.starts_with(INGRESS_GROUP_FINALIZER_PREFIX));
            let k = ingress_key(i.metadata.namespace.as_deref().unwrap_or(""), i.metadata.name.as_deref().unwrap_or(""));
            has && !st.needs.contains_key(&k)
        });
        if untracked_service || untracked_ingress {
            return Ok(());
        }
        sg
    };
    delete_with_retry(ctx, &sg, Duration::from_secs(120)).await?;
    ctx.backend.lock().sg_id = None;
    Ok(())
}

/// DeleteSecurityGroup, retried every 2 s while `DependencyViolation`, for up to `window`.
/// A group that is already gone counts as deleted.
pub async fn delete_with_retry(ctx: &Ctx, sg: &str, window: Duration) -> Result<(), AwsError> {
    let deadline = ctx.now() + chrono::Duration::from_std(window).unwrap_or_default();
    loop {
        match ctx.aws.ec2.delete_security_group().group_id(sg).send().await.map_err(aws_err) {
            Ok(_) => {
                ctx.sg_cache.lock().invalidate(sg);
                return Ok(());
            }
            Err(e) if e.code == "InvalidGroup.NotFound" => return Ok(()),
            Err(e) if e.code == "DependencyViolation" && ctx.now() < deadline => ctx.clock.sleep(Duration::from_secs(2)).await,
            Err(e) => return Err(e),
        }
    }
}
