//! What the Ingress model build reads before it runs (lbc-ingress.md §4.3–4.4, §6.1): the
//! members' backend Services from the cluster, the ALB's subnets (explicit, else the existing ALB's
//! when the scheme is unchanged, else discovery, at least two), the `security-groups` entries,
//! the shared backend group (claimed for every member when the decision needs it) and the
//! `targetGroupName`s of `actions.*` annotations.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Service;

use super::annotations::Alb;
use super::backend::USE_ANNOTATION;
use super::build::{self, Facts};
use super::config_types;
use super::group::{Group, Member};
use crate::reconciler::aws::{aws_err, lbs_by_tags, stack_filters};
use crate::reconciler::backend_sg;
use crate::reconciler::ctx::Ctx;
use crate::reconciler::discovery;
use crate::reconciler::model::{ExistingLb, INGRESS_KEYS};
use crate::reconciler::sg_decision::{NodeRules, SgRef};

/// The backend-group bookkeeping key of an Ingress.
pub fn backend_key(m: &Member) -> String {
    backend_sg::ingress_key(m.ing.metadata.namespace.as_deref().unwrap_or(""), m.ing.metadata.name.as_deref().unwrap_or(""))
}

/// Service names an Ingress references: paths, the default backend, `actions.*` forwards.
pub fn service_refs(m: &Member) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let spec = m.ing.spec.clone().unwrap_or_default();
    let backends = spec
        .default_backend
        .iter()
        .cloned()
        .chain(spec.rules.iter().flatten().flat_map(|r| r.http.iter().flat_map(|h| h.paths.iter().map(|p| p.backend.clone()))));
    let ann = m.ing.metadata.annotations.clone().unwrap_or_default();
    for b in backends {
        let Some(s) = b.service else { continue };
        if s.port.as_ref().and_then(|p| p.name.as_deref()) == Some(USE_ANNOTATION) {
            if let Ok(Some(a)) = Alb(&ann).json::<config_types::Action>(&format!("actions.{}", s.name)) {
                out.extend(a.forward_config.iter().flat_map(|f| f.target_groups.iter().filter_map(|t| t.service_name.clone())));
            }
        } else {
            out.insert(s.name);
        }
    }
    out
}

fn tg_names(m: &Member) -> BTreeSet<String> {
    let ann = m.ing.metadata.annotations.clone().unwrap_or_default();
    ann.keys()
        .filter_map(|k| k.strip_prefix(super::annotations::PREFIX)?.strip_prefix("actions."))
        .filter_map(|name| Alb(&ann).json::<config_types::Action>(&format!("actions.{name}")).ok().flatten())
        .flat_map(|a| {
            let a = a.normalize();
            a.forward_config.into_iter().flat_map(|f| f.target_groups.into_iter().filter_map(|t| t.target_group_name))
        })
        .collect()
}

pub async fn gather(ctx: &Ctx, group: &Group) -> Result<Facts, String> {
    let mut facts = Facts::default();
    let members = &group.members;
    if members.is_empty() {
        return Ok(facts);
    }
    {
        let store = ctx.cluster.lock();
        for m in members {
            let ns = m.ing.metadata.namespace.clone().unwrap_or_default();
            for name in service_refs(m) {
                if let Some(s) = store.get::<Service>(&ns, &name) {
                    facts.services.insert((ns.clone(), name), s);
                }
            }
        }
    }
    let scheme = build::scheme(members, &ctx.cfg)?;
    build::ip_address_type(members, &ctx.cfg)?;
    let explicit = build::explicit_subnets(members)?;
    let existing = if explicit.is_none() {
        let lbs = lbs_by_tags(ctx, &stack_filters(ctx, INGRESS_KEYS, &group.id.to_string(), false)).await.map_err(|e| e.to_string())?;
        lbs.first().map(|(lb, _)| ExistingLb {
            scheme: lb.scheme().map(|s| s.as_str().to_string()).unwrap_or_default(),
            subnets: lb.availability_zones().iter().filter_map(|z| z.subnet_id().map(String::from)).collect(),
            ..ExistingLb::default()
        })
    } else {
        None
    };
    facts.subnets = discovery::subnets(ctx, explicit, &scheme, existing.as_ref(), "application").await?;
    if let Some(entries) = build::explicit_sgs(members)? {
        facts.user_sgs = Some(discovery::user_groups(ctx, &entries).await?);
    }
    // The decision's errors are the model's to report.
    if let Ok(d) = build::sg_decision(members, &ctx.cfg, facts.user_sgs.clone())
        && (d.node_rules == NodeRules::FromGroup(SgRef::Backend) || d.lb_groups.contains(&SgRef::Backend))
    {
        let mut id = None;
        for m in members {
            id = Some(backend_sg::get(ctx, &backend_key(m)).await.map_err(|e| e.to_string())?);
        }
        facts.backend_sg = id;
    }
    let names: BTreeSet<String> = members.iter().flat_map(tg_names).collect();
    if !names.is_empty() {
        let r =
            ctx.aws.elbv2.describe_target_groups().set_names(Some(names.iter().cloned().collect())).send().await.map_err(|e| {
                format!("searching TargetGroup with name {}: {}", names.iter().next().cloned().unwrap_or_default(), aws_err(e))
            })?;
        facts.tg_arns_by_name = r
            .target_groups()
            .iter()
            .filter_map(|t| Some((t.target_group_name()?.to_string(), t.target_group_arn()?.to_string())))
            .collect::<BTreeMap<_, _>>();
    }
    Ok(facts)
}
