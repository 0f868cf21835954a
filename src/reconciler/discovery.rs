//! The AWS reads made while building the model (lbc-reconciler.md §1.7, §3.8): the existing LB
//! by stack tags, subnet resolution, the user security groups of the annotation, the backend
//! group (created on first use), and the VPC CIDRs for internal legacy rules.

use k8s_openapi::api::core::v1::Service;

use super::annotations::{self as a, Annotations};
use super::aws::{aws_err, ec2_filter, lbs_by_tags, stack_filters};
use super::backend_sg;
use super::ctx::Ctx;
use super::model::{self, ExistingLb, Facts, SubnetFact};
use super::sg_decision::{self, NodeRules, SgRef};

pub async fn gather(ctx: &Ctx, svc: &Service) -> Result<Facts, String> {
    let mut facts = Facts::default();
    if !model::supported(svc, &ctx.cfg) {
        return Ok(facts);
    }
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let name = svc.metadata.name.clone().unwrap_or_default();
    let stack = format!("{ns}/{name}");
    let lbs = lbs_by_tags(ctx, &stack_filters(ctx, model::SERVICE_KEYS, &stack, false)).await.map_err(|e| e.to_string())?;
    facts.existing_lb = lbs.first().map(|(lb, _)| ExistingLb {
        arn: lb.load_balancer_arn().unwrap_or("").to_string(),
        name: lb.load_balancer_name().unwrap_or("").to_string(),
        scheme: lb.scheme().map(|s| s.as_str().to_string()).unwrap_or_default(),
        security_groups: lb.security_groups().to_vec(),
        subnets: lb.availability_zones().iter().filter_map(|z| z.subnet_id().map(String::from)).collect(),
        dns_name: lb.dns_name().unwrap_or("").to_string(),
    });
    let scheme = model::scheme(svc, &ctx.cfg, facts.existing_lb.as_ref())?;
    let ann_map = svc.metadata.annotations.clone().unwrap_or_default();
    let ann = Annotations(&ann_map);
    facts.subnets = subnets(ctx, ann.list(a::SUBNETS), &scheme, facts.existing_lb.as_ref(), "network").await?;
    // The annotation is resolved only past rows A–C of §3.3 (an SG-less LB, or groups off).
    let existing_without_groups = facts.existing_lb.as_ref().is_some_and(|l| l.security_groups.is_empty());
    let groups_off =
        !ctx.cfg.feature_gates.nlb_security_group || (ctx.cfg.disable_nlb_sg() && ann.bool(a::DISABLE_NLB_SG).ok().flatten() == Some(true));
    if let Some(entries) = ann.list(a::SECURITY_GROUPS).filter(|_| !existing_without_groups && !groups_off) {
        facts.user_sgs = Some(user_groups(ctx, &entries).await?);
    }
    // The decision tells whether the backend group and the VPC CIDRs are needed; its errors are
    // reported by model::build.
    if let Ok(d) = model::sg_inputs(svc, &ctx.cfg, facts.existing_lb.as_ref(), facts.user_sgs.clone()).and_then(|i| sg_decision::decide(&i))
    {
        if d.node_rules == NodeRules::FromGroup(SgRef::Backend) || d.lb_groups.contains(&SgRef::Backend) {
            facts.backend_sg = Some(backend_sg::get(ctx, &backend_sg::key(&ns, &name)).await.map_err(|e| e.to_string())?);
        }
        if d.node_rules == NodeRules::LegacyCidr && scheme == "internal" {
            let r = ctx.aws.ec2.describe_vpcs().vpc_ids(&ctx.cfg.vpc_id).send().await.map_err(|e| aws_err(e).to_string())?;
            facts.vpc_cidrs = r
                .vpcs()
                .iter()
                .flat_map(|v| v.cidr_block_association_set().iter().filter_map(|c| c.cidr_block().map(String::from)).collect::<Vec<_>>())
                .collect();
            if facts.vpc_cidrs.is_empty() {
                facts.vpc_cidrs = r.vpcs().iter().filter_map(|v| v.cidr_block().map(String::from)).collect();
            }
        }
    }
    Ok(facts)
}

fn fact(s: &aws_sdk_ec2::types::Subnet) -> SubnetFact {
    SubnetFact {
        id: s.subnet_id().unwrap_or("").to_string(),
        az: s.availability_zone().unwrap_or("").to_string(),
        cidr: s.cidr_block().unwrap_or("").to_string(),
        ipv6_cidrs: s.ipv6_cidr_block_association_set().iter().filter_map(|c| c.ipv6_cidr_block().map(String::from)).collect(),
    }
}

/// §3.8: the explicit list (annotation), else the existing LB's subnets (same scheme), else tag
/// discovery. An ALB (`lb_type` `application`) needs subnets in two zones (lbc-ingress.md §4.4).
pub async fn subnets(
    ctx: &Ctx,
    explicit: Option<Vec<String>>,
    scheme: &str,
    existing: Option<&ExistingLb>,
    lb_type: &str,
) -> Result<Vec<SubnetFact>, String> {
    let ec2 = &ctx.aws.ec2;
    let mut out: Vec<SubnetFact>;
    let mut check_count = true;
    if let Some(entries) = explicit {
        let (ids, names): (Vec<String>, Vec<String>) = entries.iter().cloned().partition(|e| e.starts_with("subnet-"));
        out = Vec::new();
        if !ids.is_empty() {
            let r = ec2.describe_subnets().set_subnet_ids(Some(ids)).send().await.map_err(|e| aws_err(e).to_string())?;
            out.extend(r.subnets().iter().map(fact));
        }
        if !names.is_empty() {
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let r = ec2
                .describe_subnets()
                .filters(ec2_filter("tag:Name", &refs))
                .filters(ec2_filter("vpc-id", &[&ctx.cfg.vpc_id]))
                .send()
                .await
                .map_err(|e| aws_err(e).to_string())?;
            out.extend(r.subnets().iter().map(fact));
        }
        if out.len() != entries.len() {
            return Err(format!(
                "couldn't find all subnets, want: {entries:?}, found: {:?}",
                out.iter().map(|s| s.id.clone()).collect::<Vec<_>>()
            ));
        }
        let mut azs: Vec<&str> = out.iter().map(|s| s.az.as_str()).collect();
        azs.sort();
        azs.dedup();
        if azs.len() != out.len() {
            return Err("multiple subnets in same Availability Zone".into());
        }
    } else if let Some(e) = existing.filter(|e| e.scheme == scheme && !e.subnets.is_empty()) {
        let r = ec2.describe_subnets().set_subnet_ids(Some(e.subnets.clone())).send().await.map_err(|e| aws_err(e).to_string())?;
        out = r.subnets().iter().map(fact).collect();
        check_count = false;
    } else {
        let role = if scheme == "internet-facing" { "kubernetes.io/role/elb" } else { "kubernetes.io/role/internal-elb" };
        let r = ec2
            .describe_subnets()
            .filters(ec2_filter("vpc-id", &[&ctx.cfg.vpc_id]))
            .filters(ec2_filter(&format!("tag:{role}"), &["", "1"]))
            .send()
            .await
            .map_err(|e| aws_err(e).to_string())?;
        let mut listed: Vec<aws_sdk_ec2::types::Subnet> = r.subnets().to_vec();
        // v2.13.0 (gate SubnetDiscoveryByReachability): no subnet has the role tag, so the VPC's
        // subnets are classified by a route to an internet gateway (subnet_resolver.go).
        if listed.is_empty() && ctx.cfg.subnet_discovery_by_reachability() {
            listed = by_reachability(ctx, scheme == "internet-facing").await?;
        }
        let this = format!("kubernetes.io/cluster/{}", ctx.cfg.cluster_name);
        let tagged = |s: &aws_sdk_ec2::types::Subnet| s.tags().iter().any(|t| t.key() == Some(this.as_str()));
        let mut candidates: Vec<&aws_sdk_ec2::types::Subnet> = listed
            .iter()
            .filter(|s| {
                !ctx.cfg.feature_gates.subnets_cluster_tag_check
                    || tagged(s)
                    || !s.tags().iter().any(|t| t.key().is_some_and(|k| k.starts_with("kubernetes.io/cluster/")))
            })
            .filter(|s| s.available_ip_address_count().unwrap_or(0) >= 8)
            .collect();
        // One per AZ: the cluster-tagged one first, then the lowest id.
        candidates
            .sort_by(|x, y| (x.availability_zone(), !tagged(x), x.subnet_id()).cmp(&(y.availability_zone(), !tagged(y), y.subnet_id())));
        candidates.dedup_by(|x, y| x.availability_zone() == y.availability_zone());
        out = candidates.into_iter().map(fact).collect();
        if out.is_empty() {
            let e = format!("unable to resolve at least one subnet (0 match VPC and tags: [{role}])");
            return Err(if lb_type == "application" { format!("couldn't auto-discover subnets: {e}") } else { e });
        }
    }
    if check_count && lb_type == "application" && out.len() < 2 {
        return Err(format!("subnets count less than minimal required count: {} < 2", out.len()));
    }
    out.sort_by(|x, y| x.id.cmp(&y.id));
    Ok(out)
}

/// The VPC's subnets whose route table — their explicit one, else the main one — has (public)
/// or lacks (private) a route whose gateway is an `igw-`, as `isSubnetContainsRouteToIGW` decides.
async fn by_reachability(ctx: &Ctx, public: bool) -> Result<Vec<aws_sdk_ec2::types::Subnet>, String> {
    let vpc = [ctx.cfg.vpc_id.as_str()];
    let subnets = ctx.aws.ec2.describe_subnets().filters(ec2_filter("vpc-id", &vpc)).send().await.map_err(|e| aws_err(e).to_string())?;
    let tables =
        ctx.aws.ec2.describe_route_tables().filters(ec2_filter("vpc-id", &vpc)).send().await.map_err(|e| aws_err(e).to_string())?;
    let tables = tables.route_tables();
    let main = tables.iter().find(|t| t.associations().iter().any(|a| a.main() == Some(true)));
    let mut out = Vec::new();
    for s in subnets.subnets() {
        let id = s.subnet_id().unwrap_or("");
        let explicit = tables.iter().find(|t| t.associations().iter().any(|a| a.subnet_id() == Some(id)));
        let Some(table) = explicit.or(main) else {
            return Err(format!("[this shall never happen] could not identify main route table for vpc: {}", ctx.cfg.vpc_id));
        };
        let has_igw = table.routes().iter().any(|r| r.gateway_id().is_some_and(|g| g.starts_with("igw")));
        if has_igw == public {
            out.push(s.clone());
        }
    }
    Ok(out)
}

/// `aws-load-balancer-security-groups` (and the Ingress `security-groups`): `sg-` entries by
/// id, others by `tag:Name` in the VPC.
pub async fn user_groups(ctx: &Ctx, entries: &[String]) -> Result<Vec<String>, String> {
    let (ids, names): (Vec<String>, Vec<String>) = entries.iter().cloned().partition(|e| e.starts_with("sg-"));
    let mut found: Vec<(String, Option<String>)> = Vec::new();
    if !ids.is_empty() {
        let r = ctx.aws.ec2.describe_security_groups().set_group_ids(Some(ids)).send().await.map_err(|e| aws_err(e).to_string())?;
        found.extend(r.security_groups().iter().map(|g| (g.group_id().unwrap_or("").to_string(), None)));
    }
    if !names.is_empty() {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let r = ctx
            .aws
            .ec2
            .describe_security_groups()
            .filters(ec2_filter("tag:Name", &refs))
            .filters(ec2_filter("vpc-id", &[&ctx.cfg.vpc_id]))
            .send()
            .await
            .map_err(|e| aws_err(e).to_string())?;
        found.extend(r.security_groups().iter().map(|g| {
            let n = g.tags().iter().find(|t| t.key() == Some("Name")).and_then(|t| t.value()).map(String::from);
            (g.group_id().unwrap_or("").to_string(), n)
        }));
    }
    if found.len() != entries.len() {
        return Err("couldn't find all securityGroups".into());
    }
    // Annotation order.
    Ok(entries
        .iter()
        .filter_map(|e| found.iter().find(|(id, n)| id == e || n.as_deref() == Some(e.as_str())).map(|(id, _)| id.clone()))
        .collect())
}
