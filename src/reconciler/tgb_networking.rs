//! TargetGroupBinding networking (lbc-reconciler.md §5): which ENI and which security group each
//! endpoint uses (§5.1–5.2), the permissions a TGB wants per group (§5.3), and the cluster-wide
//! networking manager that aggregates every TGB's permissions per group, reconciles each group
//! (authorize-only until every TGB has been computed) and garbage-collects groups nothing uses
//! any more (§5.4).

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration as ChronoDuration;
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::aws::{aws_err, ec2_filter};
use super::ctx::Ctx;
use super::memory::EniInfo;
use super::networking::{self, Permission, SHARED_LABEL, Source};
use super::sg_rules::{self, Selector};
use crate::cluster::TargetGroupBinding;
use crate::cluster::tgb::TgbNetworking;

type Key = (String, String);

/// Node → primary-ENI facts through DescribeInstances, cached per (name, uid) for 10 minutes.
pub async fn node_enis(ctx: &Ctx, nodes: &[Node]) -> Result<BTreeMap<String, EniInfo>, String> {
    let now = ctx.now();
    let mut out = BTreeMap::new();
    let mut missing: Vec<(String, String, String)> = Vec::new(); // name, uid, instance
    for n in nodes {
        let name = n.metadata.name.clone().unwrap_or_default();
        let uid = n.metadata.uid.clone().unwrap_or_default();
        match ctx.eni_cache.lock().get(&(name.clone(), uid.clone())).filter(|(t, _)| now - *t < ChronoDuration::minutes(10)) {
            Some((_, info)) => {
                out.insert(name, info.clone());
            }
            None => missing.push((
                name,
                uid,
                instance_id(n)
                    .ok_or_else(|| format!("cannot determine instance ID for node {}", n.metadata.name.clone().unwrap_or_default()))?,
            )),
        }
    }
    if missing.is_empty() {
        return Ok(out);
    }
    let ids: Vec<String> = missing.iter().map(|m| m.2.clone()).collect();
    let r = ctx.aws.ec2.describe_instances().set_instance_ids(Some(ids)).send().await.map_err(|e| aws_err(e).to_string())?;
    for inst in r.reservations().iter().flat_map(|r| r.instances()) {
        let id = inst.instance_id().unwrap_or("");
        let Some((name, uid, _)) = missing.iter().find(|m| m.2 == id) else { continue };
        let enis = inst.network_interfaces();
        let primary = enis.iter().find(|e| e.attachment().and_then(|a| a.device_index()) == Some(0));
        let groups = |e: &aws_sdk_ec2::types::InstanceNetworkInterface| {
            e.groups().iter().filter_map(|g| g.group_id().map(String::from)).collect::<Vec<_>>()
        };
        let info = EniInfo {
            eni_id: primary.and_then(|e| e.network_interface_id()).unwrap_or("").to_string(),
            groups: primary.map(groups).unwrap_or_default(),
            addresses: enis
                .iter()
                .map(|e| {
                    let ips = e.private_ip_addresses().iter().filter_map(|a| a.private_ip_address().map(String::from)).collect();
                    (e.network_interface_id().unwrap_or("").to_string(), groups(e).join(","), ips)
                })
                .collect(),
        };
        ctx.eni_cache.lock().insert((name.clone(), uid.clone()), (now, info.clone()));
        out.insert(name.clone(), info);
    }
    Ok(out)
}

/// Instance id from `spec.providerID` (`aws:///<az>/<id>`): the last segment, if it is one.
pub fn instance_id(n: &Node) -> Option<String> {
    let p = n.spec.as_ref()?.provider_id.as_deref()?;
    let id = p.rsplit('/').next()?;
    id.starts_with("i-").then(|| id.to_string())
}

/// The one group of an ENI that receives rules (§5.2).
pub async fn pick_group(ctx: &Ctx, eni: &str, groups: &[String]) -> Result<String, String> {
    if groups.len() == 1 {
        return Ok(groups[0].clone());
    }
    let key = format!("kubernetes.io/cluster/{}", ctx.cfg.cluster_name);
    let mut tagged = Vec::new();
    for g in groups {
        let info = sg_rules::fetch(ctx, g, false).await.map_err(|e| e.to_string())?;
        if info.tags.contains_key(&key) {
            tagged.push(g.clone());
        }
    }
    if tagged.len() != 1 {
        return Err(format!(
            "expect exactly one securityGroup tagged with {key} for eni {eni}, got: {tagged:?} (clusterName: {})",
            ctx.cfg.cluster_name
        ));
    }
    Ok(tagged.remove(0))
}

/// §5.3: the cross product peer × port of the TGB's rules, for each endpoint group.
/// `named` resolves a named port to the endpoints' numbers.
pub fn permissions(
    net: &TgbNetworking,
    groups: &BTreeSet<String>,
    named: &BTreeMap<String, BTreeSet<i32>>,
) -> BTreeMap<String, Vec<Permission>> {
    let mut perms: Vec<Permission> = Vec::new();
    for rule in &net.ingress {
        for peer in &rule.from {
            let source = match (&peer.security_group, &peer.ip_block) {
                (Some(g), _) => Source::Group(g.group_id.clone()),
                (None, Some(b)) => Source::Cidr(b.cidr.clone()),
                (None, None) => continue,
            };
            for port in &rule.ports {
                let proto = port.protocol.to_ascii_lowercase();
                let ranges: Vec<(i32, i32)> = match &port.port {
                    None => vec![(0, 65535)],
                    Some(IntOrString::Int(p)) => vec![(*p, *p)],
                    Some(IntOrString::String(n)) => named.get(n).into_iter().flatten().map(|p| (*p, *p)).collect(),
                };
                for (from, to) in ranges {
                    let p = Permission { protocol: proto.clone(), from, to, source: source.clone() };
                    if !perms.contains(&p) {
                        perms.push(p);
                    }
                }
            }
        }
    }
    groups.iter().map(|g| (g.clone(), perms.clone())).collect()
}

/// One networking reconcile for `tgb` (its fresh permissions, or `None` on cleanup / no
/// networking), across every group in the cluster-wide aggregate.
pub async fn reconcile(ctx: &Ctx, tgb: &Key, perms: Option<BTreeMap<String, Vec<Permission>>>) -> Result<(), String> {
    let _serial = ctx.net_serial.lock().await;
    // A set: `retain` below asks it once per tracked binding (a Vec made each reconcile
    // quadratic in bindings, and a replay cubic).
    let live: BTreeSet<Key> = ctx
        .cluster
        .lock()
        .iter::<TargetGroupBinding>()
        .filter(|t| t.spec.networking.is_some() && t.metadata.deletion_timestamp.is_none())
        .map(|t| (t.metadata.namespace.clone().unwrap_or_default(), t.metadata.name.clone().unwrap_or_default()))
        .collect();
    let (agg, computed_for_all, tracked) = {
        let mut m = ctx.net.lock();
        match perms {
            Some(p) => {
                m.tracked.extend(p.keys().cloned());
                m.per_tgb.insert(tgb.clone(), p);
            }
            None => {
                m.per_tgb.remove(tgb);
            }
        }
        m.per_tgb.retain(|k, _| live.contains(k));
        let computed = live.iter().all(|k| m.per_tgb.contains_key(k));
        let mut by_sg: BTreeMap<String, Vec<Permission>> = BTreeMap::new();
        for sgs in m.per_tgb.values() {
            for (sg, ps) in sgs {
                by_sg.entry(sg.clone()).or_default().extend(ps.iter().cloned());
            }
        }
        let restricted = !ctx.cfg.disable_restricted_sg_rules;
        let agg: BTreeMap<String, Vec<Permission>> =
            by_sg.into_iter().map(|(sg, ps)| (sg, networking::aggregate(&ps, restricted))).collect();
        (agg, computed, m.tracked.clone())
    };
    let mut errors: Vec<String> = Vec::new();
    for (sg, perms) in &agg {
        if let Err(e) = sg_rules::reconcile(ctx, sg, perms, Some(SHARED_LABEL), Selector::Shared, !computed_for_all).await {
            if !ctx.cfg.joins_node_sg_errors() {
                return Err(e.to_string());
            }
            errors.push(e.to_string());
        }
    }
    if computed_for_all {
        let mut candidates: BTreeSet<String> = tracked;
        let sweep = !ctx.net.lock().vpc_swept;
        if sweep {
            let tag = format!("tag:kubernetes.io/cluster/{}", ctx.cfg.cluster_name);
            let r = ctx
                .aws
                .ec2
                .describe_security_groups()
                .filters(ec2_filter("vpc-id", &[&ctx.cfg.vpc_id]))
                .filters(ec2_filter(&tag, &["owned", "shared"]))
                .send()
                .await
                .map_err(|e| aws_err(e).to_string())?;
            for g in r.security_groups() {
                ctx.sg_cache.lock().put(ctx.now(), sg_rules::expand(g));
                candidates.insert(g.group_id().unwrap_or("").to_string());
            }
            ctx.net.lock().vpc_swept = true;
        }
        for sg in candidates.iter().filter(|g| !agg.contains_key(*g)) {
            match sg_rules::reconcile(ctx, sg, &[], Some(SHARED_LABEL), Selector::Shared, false).await {
                Ok(()) => {}
                Err(e) if e.code == "InvalidGroup.NotFound" => {
                    ctx.net.lock().tracked.remove(sg);
                }
                Err(e) if ctx.cfg.joins_node_sg_errors() => errors.push(e.to_string()),
                Err(e) => return Err(e.to_string()),
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
}
