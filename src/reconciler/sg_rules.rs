//! Security-group ingress reconcile (lbc-reconciler.md §4.4): read through a 10-minute cache
//! (invalidated only for groups this controller writes), expand every IpPermission into
//! single-source permissions labelled from their descriptions, diff by identity (protocol, ports,
//! source), write one Revoke and one Authorize per group in the profile's order, and retry once
//! with a fresh read on `InvalidPermission.Duplicate/NotFound` (HEAD: also the rule limit, then
//! revoke-first).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};

use super::aws::{AwsError, aws_err, ec2_tags};
use super::ctx::Ctx;
pub use super::memory::SgInfo;
use super::networking::{Permission, SHARED_LABEL, Source, is_ipv6};

pub fn expand(sg: &aws_sdk_ec2::types::SecurityGroup) -> SgInfo {
    let mut ingress = Vec::new();
    for p in sg.ip_permissions() {
        let proto = p.ip_protocol().unwrap_or("-1").to_string();
        let (from, to) = (p.from_port().unwrap_or(-1), p.to_port().unwrap_or(-1));
        let mut push = |source: Source, desc: Option<&str>| {
            ingress.push((Permission { protocol: proto.clone(), from, to, source }, desc.map(String::from)));
        };
        for r in p.ip_ranges() {
            push(Source::Cidr(r.cidr_ip().unwrap_or("").to_string()), r.description());
        }
        for r in p.ipv6_ranges() {
            push(Source::Cidr(r.cidr_ipv6().unwrap_or("").to_string()), r.description());
        }
        for r in p.prefix_list_ids() {
            push(Source::PrefixList(r.prefix_list_id().unwrap_or("").to_string()), r.description());
        }
        for r in p.user_id_group_pairs() {
            push(Source::Group(r.group_id().unwrap_or("").to_string()), r.description());
        }
    }
    SgInfo { id: sg.group_id().unwrap_or("").to_string(), tags: ec2_tags(sg.tags()), ingress }
}

/// DescribeSecurityGroups(GroupIds=[id]) through the cache.
pub async fn fetch(ctx: &Ctx, id: &str, bypass_cache: bool) -> Result<SgInfo, AwsError> {
    if !bypass_cache && let Some(i) = ctx.sg_cache.lock().get(id, ctx.now()) {
        return Ok(i);
    }
    let r = ctx.aws.ec2.describe_security_groups().group_ids(id).send().await.map_err(aws_err)?;
    let sg = r.security_groups().first().ok_or_else(|| AwsError {
        code: "InvalidGroup.NotFound".into(),
        message: format!("The security group '{id}' does not exist"),
        status: 400,
    })?;
    let info = expand(sg);
    ctx.sg_cache.lock().put(ctx.now(), info.clone());
    Ok(info)
}

/// Which existing rules a reconcile may revoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    /// Frontend groups: everything.
    All,
    /// Node groups: only rules labelled `elbv2.k8s.aws/targetGroupBinding=shared`.
    Shared,
}

/// Labels parsed from a rule description: every `key=value` pair in it.
fn labels(desc: Option<&str>) -> BTreeMap<String, String> {
    desc.unwrap_or("")
        .split([',', ' '])
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn selected(sel: Selector, desc: Option<&str>) -> bool {
    match sel {
        Selector::All => true,
        Selector::Shared => {
            let (k, v) = SHARED_LABEL.split_once('=').unwrap_or((SHARED_LABEL, ""));
            labels(desc).get(k).map(String::as_str) == Some(v)
        }
    }
}

pub fn to_ip_permission(p: &Permission, desc: Option<&str>) -> IpPermission {
    let b = IpPermission::builder().ip_protocol(&p.protocol).from_port(p.from).to_port(p.to);
    let b = match &p.source {
        Source::Cidr(c) if is_ipv6(c) => b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(desc.map(String::from)).build()),
        Source::Cidr(c) => b.ip_ranges(IpRange::builder().cidr_ip(c).set_description(desc.map(String::from)).build()),
        Source::PrefixList(id) => {
            b.prefix_list_ids(PrefixListId::builder().prefix_list_id(id).set_description(desc.map(String::from)).build())
        }
        Source::Group(g) => b.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).set_description(desc.map(String::from)).build()),
    };
    b.build()
}

/// Reconciles the ingress of `sg` to `desired` (every permission carries `description`).
pub async fn reconcile(
    ctx: &Ctx,
    sg: &str,
    desired: &[Permission],
    description: Option<&str>,
    sel: Selector,
    authorize_only: bool,
) -> Result<(), AwsError> {
    let info = fetch(ctx, sg, false).await?;
    let revoke_first = !ctx.cfg.authorize_first();
    match attempt(ctx, &info, desired, description, sel, authorize_only, revoke_first).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let retry = matches!(e.code.as_str(), "InvalidPermission.Duplicate" | "InvalidPermission.NotFound")
                || (ctx.cfg.authorize_first() && e.code == "RulesPerSecurityGroupLimitExceeded");
            if !retry {
                return Err(e);
            }
            let info = fetch(ctx, sg, true).await?;
            let revoke_first =
                if ctx.cfg.authorize_first() && e.code == "RulesPerSecurityGroupLimitExceeded" { true } else { revoke_first };
            attempt(ctx, &info, desired, description, sel, authorize_only, revoke_first).await
        }
    }
}

async fn attempt(
    ctx: &Ctx,
    info: &SgInfo,
    desired: &[Permission],
    description: Option<&str>,
    sel: Selector,
    authorize_only: bool,
    revoke_first: bool,
) -> Result<(), AwsError> {
    let grant: Vec<&Permission> = desired.iter().filter(|d| !info.ingress.iter().any(|(e, _)| e == *d)).collect();
    let revoke: Vec<&(Permission, Option<String>)> = if authorize_only {
        Vec::new()
    } else {
        info.ingress.iter().filter(|(e, desc)| selected(sel, desc.as_deref()) && !desired.contains(e)).collect()
    };
    let do_revoke = async {
        if revoke.is_empty() {
            return Ok(());
        }
        ctx.sg_cache.lock().invalidate(&info.id);
        let perms: Vec<IpPermission> = revoke.iter().map(|(p, d)| to_ip_permission(p, d.as_deref())).collect();
        ctx.aws
            .ec2
            .revoke_security_group_ingress()
            .group_id(&info.id)
            .set_ip_permissions(Some(perms))
            .send()
            .await
            .map_err(aws_err)
            .map(|_| ())
    };
    let do_grant = async {
        if grant.is_empty() {
            return Ok(());
        }
        ctx.sg_cache.lock().invalidate(&info.id);
        let perms: Vec<IpPermission> = grant.iter().map(|p| to_ip_permission(p, description)).collect();
        ctx.aws
            .ec2
            .authorize_security_group_ingress()
            .group_id(&info.id)
            .set_ip_permissions(Some(perms))
            .send()
            .await
            .map_err(aws_err)
            .map(|_| ())
    };
    if revoke_first {
        do_revoke.await?;
        do_grant.await
    } else {
        do_grant.await?;
        do_revoke.await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_shared_labelled_rules_are_selected_for_node_groups() {
        assert!(selected(Selector::Shared, Some("elbv2.k8s.aws/targetGroupBinding=shared")));
        assert!(selected(Selector::Shared, Some("x=y, elbv2.k8s.aws/targetGroupBinding=shared")));
        assert!(!selected(Selector::Shared, Some("my rule")));
        assert!(!selected(Selector::Shared, None));
        assert!(selected(Selector::All, None));
    }
}
