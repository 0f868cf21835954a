//! The model of one IngressGroup (lbc-ingress.md §4, `defaultModelBuildTask.run`), pure: the
//! group's members (in order) + what discovery read → the desired stack. Listen ports per member,
//! merged per port (protocol, inbound CIDRs, prefix lists, SSL policy, certificates); the ALB
//! (scheme, IP address type, subnets, security groups by the decision table of §6.1, attributes,
//! tags, name); the managed frontend group (listen ports × inbound sources); ssl-redirect; one
//! listener per port with its default actions and its rules (paths in group order, optimised,
//! priorities 1, 2, 3 …); target groups and bindings on demand.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Service;

use super::annotations::{self as a, Alb};
use super::backend::{Backends, frontend_peer, go_list, rule_conditions};
use super::group::{Group, GroupId, Member};
use super::naming;
use super::optimizer::{self, Draft};
use super::paths;
use crate::reconciler::config::ControllerConfig;
use crate::reconciler::model::alb::{AlbListener, AlbRule, RuleAction};
use crate::reconciler::model::{
    self, FRONTEND_RESOURCE, FrontendSg, INGRESS_KEYS, INGRESS_LABEL_STACK_NAME, INGRESS_LABEL_STACK_NS, INGRESS_TAG_STACK, LB_RESOURCE,
    LoadBalancer, Stack, SubnetFact, SubnetMapping,
};
use crate::reconciler::networking::{Permission, Source};
use crate::reconciler::sg_decision::{self, NodeRules, SgInputs, SgRef};

/// What discovery read for this build.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Resolved ALB subnets, sorted by id.
    pub subnets: Vec<SubnetFact>,
    /// Resolved `security-groups`, in annotation order.
    pub user_sgs: Option<Vec<String>>,
    pub backend_sg: Option<String>,
    /// The Services the members' backends name, by (namespace, name).
    pub services: BTreeMap<(String, String), Service>,
    /// `targetGroupName`s of `actions.*` annotations, resolved.
    pub tg_arns_by_name: BTreeMap<String, String>,
}

/// The built stack and what the reconcile loop needs besides.
#[derive(Debug, Clone)]
pub struct Built {
    pub stack: Stack,
    /// Every listener port of the group, ascending (the status `ports`).
    pub ports: Vec<i32>,
}

fn ann(m: &Member) -> BTreeMap<String, String> {
    m.ing.metadata.annotations.clone().unwrap_or_default()
}

fn key(m: &Member) -> String {
    format!("{}/{}", m.ing.metadata.namespace.as_deref().unwrap_or(""), m.ing.metadata.name.as_deref().unwrap_or(""))
}

/// The labels the group's TargetGroupBindings carry (`StackLabels`).
pub fn tgb_labels(id: &GroupId) -> BTreeMap<String, String> {
    match id {
        GroupId::Explicit(g) => [(INGRESS_TAG_STACK.to_string(), g.clone())].into(),
        GroupId::Implicit { namespace, name } => {
            [(INGRESS_LABEL_STACK_NS.to_string(), namespace.clone()), (INGRESS_LABEL_STACK_NAME.to_string(), name.clone())].into()
        }
    }
}

fn empty_stack(id: &GroupId) -> Stack {
    let (namespace, name) = id.key();
    Stack { id: id.to_string(), namespace, name, keys: INGRESS_KEYS, tgb_labels: tgb_labels(id), ..Stack::default() }
}

/// Go's `%v` of a `sets.String`: `map[a:{} b:{}]`.
fn go_set(s: &BTreeSet<String>) -> String {
    format!("map[{}]", s.iter().map(|x| format!("{x}:{{}}")).collect::<Vec<_>>().join(" "))
}

/// One value per member (IngressClassParams first, then the annotation), which must agree.
fn exclusive<'m>(members: &'m [Member], from_params: impl Fn(&'m Member) -> Option<String>, suffix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for m in members {
        if let Some(v) = from_params(m) {
            out.insert(v);
        } else if let Some(v) = m.ing.metadata.annotations.as_ref().and_then(|x| x.get(&format!("{}{suffix}", a::PREFIX))) {
            out.insert(v.clone());
        }
    }
    out
}

/// The scheme (§4.3): params or annotation, which must agree; else the default.
pub fn scheme(members: &[Member], cfg: &ControllerConfig) -> Result<String, String> {
    let set = exclusive(members, |m| m.params.as_ref().and_then(|p| p.scheme.clone()), a::SCHEME);
    if set.len() > 1 {
        return Err(format!("conflicting scheme: {}", go_set(&set)));
    }
    match set.into_iter().next() {
        None if cfg.latest() => Ok(cfg.default_load_balancer_scheme.clone()),
        None => Ok("internal".into()),
        Some(s) if s == "internal" || s == "internet-facing" => Ok(s),
        Some(s) => Err(format!("unknown scheme: {s}")),
    }
}

pub fn ip_address_type(members: &[Member], cfg: &ControllerConfig) -> Result<String, String> {
    let set = exclusive(members, |m| m.params.as_ref().and_then(|p| p.ip_address_type.clone()), a::IP_ADDRESS_TYPE);
    if set.len() > 1 {
        return Err(format!("conflicting IPAddressType: {}", go_list(&set.into_iter().collect::<Vec<_>>())));
    }
    match set.into_iter().next() {
        None => Ok("ipv4".into()),
        Some(t) if t == "ipv4" || t == "dualstack" || (t == "dualstack-without-public-ipv4" && cfg.latest()) => Ok(t),
        Some(t) => Err(format!("unknown IPAddressType: {t}")),
    }
}

/// Explicit subnets: (IngressClassParams ids, annotation entries); conflicts are errors.
pub fn explicit_subnets(members: &[Member]) -> Result<Option<Vec<String>>, String> {
    let mut from_params: Vec<Vec<String>> = Vec::new();
    let mut from_ann: Vec<Vec<String>> = Vec::new();
    for m in members {
        if let Some(s) = m.params.as_ref().and_then(|p| p.subnets.as_ref()) {
            from_params.push(s.ids.clone().unwrap_or_default());
        } else if let Some(l) = Alb(&ann(m)).list(a::SUBNETS) {
            from_ann.push(l);
        }
    }
    if !from_params.is_empty() {
        if !from_ann.is_empty() {
            return Err("conflicting subnet specifications: IngressClassParams versus annotation".into());
        }
        if from_params.iter().any(|p| p != &from_params[0]) {
            return Err("conflicting IngressClassParams subnet specifications".into());
        }
        return Ok(Some(from_params.remove(0)));
    }
    let Some(first) = from_ann.first() else { return Ok(None) };
    let sorted = |v: &Vec<String>| {
        let mut s = v.clone();
        s.sort();
        s
    };
    for other in &from_ann[1..] {
        if sorted(other) != sorted(first) {
            return Err(format!("conflicting subnets: {} | {}", go_list(first), go_list(other)));
        }
    }
    Ok(Some(first.clone()))
}

/// `security-groups` of the members (order-sensitive agreement).
pub fn explicit_sgs(members: &[Member]) -> Result<Option<Vec<String>>, String> {
    let lists: Vec<Vec<String>> = members.iter().filter_map(|m| Alb(&ann(m)).list(a::SECURITY_GROUPS)).collect();
    let Some(first) = lists.first() else { return Ok(None) };
    for other in &lists[1..] {
        if other != first {
            return Err(format!("conflicting securityGroups: {} | {}", go_list(first), go_list(other)));
        }
    }
    Ok(Some(first.clone()))
}

/// `manage-backend-security-group-rules` (default: HEAD's flag).
pub fn manage_rules(members: &[Member], cfg: &ControllerConfig) -> Result<bool, String> {
    let mut seen = BTreeSet::new();
    for m in members {
        if let Some(v) = Alb(&ann(m)).bool(a::MANAGE_BACKEND_RULES)? {
            seen.insert(v);
        }
    }
    if seen.len() > 1 {
        return Err("conflicting manage backend security group rules settings".into());
    }
    Ok(seen.into_iter().next().unwrap_or(cfg.latest() && cfg.enable_manage_backend_security_group_rules))
}

/// The §6.1 decision (rows A–E), through the Service table it shares rows with (its D–H).
pub fn sg_decision(members: &[Member], cfg: &ControllerConfig, user_sgs: Option<Vec<String>>) -> Result<sg_decision::SgDecision, String> {
    let explicit = explicit_sgs(members)?;
    let manage = if explicit.is_some() { Some(manage_rules(members, cfg)?) } else { None };
    let mut d = sg_decision::decide(&SgInputs {
        existing_lb_groups: None,
        gate_nlb_security_group: true,
        disable_nlb_sg: false,
        user_groups: explicit.map(|_| user_sgs.unwrap_or_default()),
        manage_rules_annotation: manage,
        manage_rules_flag_default: false,
        backend_sg_enabled: cfg.enable_backend_security_group,
    })
    .map_err(|e| if e == sg_decision::BACKEND_REQUIRED { e.replace("frontendSG is manually", "frontendSG manually") } else { e })?;
    d.row = match d.row {
        'D' => 'A',
        'E' => 'B',
        'F' => 'C',
        'G' => 'D',
        other => other,
    };
    Ok(d)
}

/// One member's settings for one listen port.
#[derive(Debug, Clone, Default)]
struct PortCfg {
    protocol: String,
    v4: Vec<String>,
    v6: Vec<String>,
    prefix_lists: Vec<String>,
    ssl_policy: Option<String>,
    certs: Vec<String>,
}

fn member_ports(m: &Member, cfg: &ControllerConfig) -> Result<BTreeMap<i32, PortCfg>, String> {
    let map = ann(m);
    let alb = Alb(&map);
    let params = m.params.as_ref();
    let certs: Vec<String> = match params.filter(|p| !p.certificate_arn().is_empty() && cfg.latest()) {
        Some(p) => p.certificate_arn().to_vec(),
        None => alb.list(a::CERTIFICATE_ARN).unwrap_or_default(),
    };
    let ssl_policy = params
        .filter(|p| !p.ssl_policy().is_empty())
        .map(|p| p.ssl_policy().to_string())
        .or_else(|| alb.str(a::SSL_POLICY).map(String::from));
    let prefix_lists: Vec<String> = if !cfg.latest() {
        Vec::new()
    } else if let Some(p) = params.filter(|p| !p.prefix_lists().is_empty()) {
        p.prefix_lists().to_vec()
    } else {
        alb.list(a::PREFIX_LISTS).unwrap_or_default()
    };
    let (raw, from_params) = match params.filter(|p| !p.inbound_cidrs().is_empty()) {
        Some(p) => (p.inbound_cidrs().to_vec(), true),
        None => (alb.list(a::INBOUND_CIDRS).unwrap_or_default(), false),
    };
    let (mut v4, mut v6) = (Vec::new(), Vec::new());
    for c in raw {
        if c.parse::<ipnet::IpNet>().is_err() {
            return Err(if from_params {
                format!("invalid CIDR in IngressClassParams InboundCIDR {c}: invalid CIDR address: {c}")
            } else {
                format!("invalid {} settings on Ingress: {}: invalid CIDR address: {c}", a::INBOUND_CIDRS, key(m))
            });
        }
        if c.contains(':') { v6.push(c) } else { v4.push(c) }
    }
    let ports: BTreeMap<i32, String> = match alb.str(a::LISTEN_PORTS) {
        None if !certs.is_empty() => [(443, "HTTPS".to_string())].into(),
        None => [(80, "HTTP".to_string())].into(),
        Some(raw) => {
            let entries: Vec<BTreeMap<String, i64>> =
                serde_json::from_str(raw).map_err(|e| format!("failed to parse listen-ports configuration: `{raw}`: {e}"))?;
            if entries.is_empty() {
                return Err(format!("empty listen-ports configuration: `{raw}`"));
            }
            let mut out = BTreeMap::new();
            for e in entries {
                for (proto, port) in e {
                    if !(1..=65535).contains(&port) {
                        return Err(format!("listen port must be within [1, 65535]: {port}"));
                    }
                    if proto != "HTTP" && proto != "HTTPS" {
                        return Err(format!("listen protocol must be within [HTTP, HTTPS]: {proto}"));
                    }
                    out.insert(port as i32, proto);
                }
            }
            out
        }
    };
    let https = ports.values().any(|p| p == "HTTPS");
    let certs = if https && certs.is_empty() {
        // Certificate discovery asks ACM by the Ingress's hosts; lbsim serves no ACM, so no
        // host ever has one.
        let spec = m.ing.spec.clone().unwrap_or_default();
        let mut hosts: BTreeSet<String> = spec.rules.iter().flatten().filter_map(|r| r.host.clone()).filter(|h| !h.is_empty()).collect();
        hosts.extend(spec.tls.iter().flatten().flat_map(|t| t.hosts.clone().unwrap_or_default()));
        if let Some(h) = hosts.into_iter().next() {
            return Err(format!("no certificate found for host: {h}"));
        }
        Vec::new()
    } else {
        certs
    };
    Ok(ports
        .into_iter()
        .map(|(port, protocol)| {
            let tls = protocol == "HTTPS";
            let c = PortCfg {
                protocol,
                v4: v4.clone(),
                v6: v6.clone(),
                prefix_lists: prefix_lists.clone(),
                ssl_policy: if tls { ssl_policy.clone() } else { None },
                certs: if tls { certs.clone() } else { Vec::new() },
            };
            (port, c)
        })
        .collect())
}

fn sorted_set(v: &[String]) -> BTreeSet<String> {
    v.iter().cloned().collect()
}

/// `mergeListenPortConfigs`: (member key, its config) in group order.
fn merge(cfgs: &[(String, PortCfg)], cfg: &ControllerConfig) -> Result<PortCfg, String> {
    let mut out = PortCfg::default();
    let mut proto_by: Option<&str> = None;
    let mut cidrs_by: Option<&str> = None;
    let mut pl_by: Option<&str> = None;
    let mut policy_by: Option<&str> = None;
    let default_idx = cfgs.iter().position(|(_, c)| !c.certs.is_empty());
    if let Some(i) = default_idx {
        out.certs.push(cfgs[i].1.certs[0].clone());
    }
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (i, (k, c)) in cfgs.iter().enumerate() {
        match proto_by {
            None => {
                proto_by = Some(k);
                out.protocol = c.protocol.clone();
            }
            Some(p) if out.protocol != c.protocol => {
                return Err(format!("conflicting protocol, {p}: {} | {k}: {}", out.protocol, c.protocol));
            }
            Some(_) => {}
        }
        if !c.v4.is_empty() || !c.v6.is_empty() {
            match cidrs_by {
                None => {
                    cidrs_by = Some(k);
                    out.v4 = sorted_set(&c.v4).into_iter().collect();
                    out.v6 = sorted_set(&c.v6).into_iter().collect();
                }
                Some(p) if sorted_set(&out.v4) != sorted_set(&c.v4) || sorted_set(&out.v6) != sorted_set(&c.v6) => {
                    let l = |v: &[String]| go_list(&sorted_set(v).into_iter().collect::<Vec<_>>());
                    return Err(format!(
                        "conflicting inbound-cidrs, {p}: {}, {} | {k}: {}, {}",
                        l(&out.v4),
                        l(&out.v6),
                        l(&c.v4),
                        l(&c.v6)
                    ));
                }
                Some(_) => {}
            }
        }
        if !c.prefix_lists.is_empty() {
            match pl_by {
                None => {
                    pl_by = Some(k);
                    out.prefix_lists = sorted_set(&c.prefix_lists).into_iter().collect();
                }
                Some(p) if sorted_set(&out.prefix_lists) != sorted_set(&c.prefix_lists) => {
                    return Err(format!(
                        "conflicting inbound-prefix-lists, {p}: {} | {k}: {}",
                        go_list(&out.prefix_lists),
                        go_list(&sorted_set(&c.prefix_lists).into_iter().collect::<Vec<_>>())
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(pol) = &c.ssl_policy {
            match policy_by {
                None => {
                    policy_by = Some(k);
                    out.ssl_policy = Some(pol.clone());
                }
                Some(p) if out.ssl_policy.as_ref() != Some(pol) => {
                    return Err(format!("conflicting sslPolicy, {p}: {} | {k}: {pol}", out.ssl_policy.clone().unwrap_or_default()));
                }
                Some(_) => {}
            }
        }
        for (j, cert) in c.certs.iter().enumerate() {
            if Some(i) == default_idx && j == 0 {
                continue;
            }
            if seen.insert(cert.clone()) {
                out.certs.push(cert.clone());
            }
        }
    }
    if out.v4.is_empty() && out.v6.is_empty() && out.prefix_lists.is_empty() {
        out.v4.push("0.0.0.0/0".into());
        out.v6.push("::/0".into());
    }
    if out.protocol == "HTTPS" && out.ssl_policy.is_none() {
        out.ssl_policy = Some(cfg.default_ssl_policy.clone());
    }
    Ok(out)
}

/// The tags of one member: IngressClassParams tags over its `tags` annotation.
fn member_tags(m: &Member, cfg: &ControllerConfig) -> Result<BTreeMap<String, String>, String> {
    let mut t = Alb(&ann(m)).map(a::TAGS)?.unwrap_or_default();
    for k in t.keys() {
        if cfg.external_managed_tags.contains(k) {
            return Err(format!("failed build tags for Ingress {}: external managed tag key {k} cannot be specified", key(m)));
        }
    }
    if let Some(p) = &m.params {
        t.extend(p.tags().iter().map(|x| (x.key.clone(), x.value.clone())));
    }
    Ok(t)
}

/// `--default-tags` over the union of the members' tags (a key with two values is a conflict).
fn group_tags(members: &[&Member], cfg: &ControllerConfig) -> Result<BTreeMap<String, String>, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for m in members {
        for (k, v) in member_tags(m, cfg)? {
            if let Some(old) = out.get(&k)
                && *old != v
            {
                return Err(format!("conflicting tag {k}: {old} | {v}"));
            }
            out.insert(k, v);
        }
    }
    out.extend(cfg.default_tags.clone());
    Ok(out)
}

fn with(mut tags: BTreeMap<String, String>, tracking: BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.extend(tracking);
    tags
}

fn lb_attributes(members: &[Member]) -> Result<BTreeMap<String, String>, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for m in members {
        for (k, v) in Alb(&ann(m)).map(a::LB_ATTRIBUTES)?.unwrap_or_default() {
            if let Some(old) = out.get(&k)
                && *old != v
            {
                return Err(format!("conflicting load balancer attributes {k}: {old} | {v}"));
            }
            out.insert(k, v);
        }
    }
    // IngressClassParams values settle any disagreement.
    for m in members {
        for x in m.params.iter().flat_map(|p| p.load_balancer_attributes().iter()) {
            out.insert(x.key.clone(), x.value.clone());
        }
    }
    Ok(out)
}

fn lb_name(members: &[Member], cfg: &ControllerConfig, id: &GroupId, scheme: &str) -> Result<String, String> {
    let set = exclusive(
        members,
        |m| m.params.as_ref().filter(|p| !p.load_balancer_name().is_empty() && cfg.latest()).map(|p| p.load_balancer_name().to_string()),
        a::LOAD_BALANCER_NAME,
    );
    match set.len() {
        0 => Ok(naming::load_balancer(&cfg.cluster_name, id, scheme)),
        1 => {
            let n = set.into_iter().next().unwrap_or_default();
            if n.len() > 32 {
                return Err("load balancer name cannot be longer than 32 characters".into());
            }
            Ok(n)
        }
        _ => Err(format!("conflicting load balancer name: {}", go_set(&set))),
    }
}

/// `buildSSLRedirectConfig`: the group's one HTTPS port to redirect to, if any.
fn ssl_redirect(members: &[Member], ports: &BTreeMap<i32, PortCfg>) -> Result<Option<i32>, String> {
    let mut set: BTreeSet<i32> = BTreeSet::new();
    for m in members {
        if let Some(p) = m.params.as_ref().filter(|p| !p.ssl_redirect_port().is_empty()) {
            match p.ssl_redirect_port().parse::<i32>() {
                Ok(n) => set.insert(n),
                // Not a number: no redirect for the whole group, and no error.
                Err(_) => return Ok(None),
            };
            continue;
        }
        if let Some(n) = Alb(&ann(m)).int32(a::SSL_REDIRECT).map_err(|e| format!("ingress: {}: {e}", key(m)))? {
            set.insert(n);
        }
    }
    if set.len() > 1 {
        return Err(format!("conflicting sslRedirect port: {}", go_list(&set.iter().map(|p| p.to_string()).collect::<Vec<_>>())));
    }
    let Some(port) = set.into_iter().next() else { return Ok(None) };
    match ports.get(&port) {
        None => Err(format!("listener does not exist for SSLRedirect port: {port}")),
        Some(c) if c.protocol != "HTTPS" => Err(format!("listener protocol non-SSL for SSLRedirect port: {port}")),
        Some(_) => Ok(Some(port)),
    }
}

/// The group's stack.
pub fn build(group: &Group, cfg: &ControllerConfig, facts: &Facts) -> Result<Built, String> {
    for ing in group.inactive.iter().filter(|i| i.metadata.deletion_timestamp.is_some()) {
        let map = ing.metadata.annotations.clone().unwrap_or_default();
        let attrs = Alb(&map).map(a::LB_ATTRIBUTES)?.unwrap_or_default();
        if let Some(v) = attrs.get("deletion_protection.enabled") {
            let on =
                crate::reconciler::annotations::parse_bool(v).ok_or_else(|| format!("strconv.ParseBool: parsing {v:?}: invalid syntax"))?;
            if on {
                return Err(format!(
                    "deletion_protection is enabled, cannot delete the ingress: {}",
                    ing.metadata.name.as_deref().unwrap_or("")
                ));
            }
        }
    }
    let id = &group.id;
    let mut stack = empty_stack(id);
    let members = &group.members;
    if members.is_empty() {
        return Ok(Built { stack, ports: Vec::new() });
    }
    let stack_id = id.to_string();
    let tracking = |res: &str| model::tracking_tags_with(cfg, INGRESS_KEYS, &stack_id, res);

    // Listen ports, per member then merged per port.
    let mut by_port: BTreeMap<i32, Vec<(String, PortCfg)>> = BTreeMap::new();
    let mut members_on: BTreeMap<i32, Vec<&Member>> = BTreeMap::new();
    for m in members {
        for (port, c) in member_ports(m, cfg).map_err(|e| format!("ingress: {}: {e}", key(m)))? {
            by_port.entry(port).or_default().push((key(m), c));
            members_on.entry(port).or_default().push(m);
        }
    }
    let mut ports: BTreeMap<i32, PortCfg> = BTreeMap::new();
    for (port, cfgs) in &by_port {
        ports.insert(*port, merge(cfgs, cfg).map_err(|e| format!("failed to merge listenPort config for port: {port}: {e}"))?);
    }

    // The load balancer.
    let scheme = scheme(members, cfg)?;
    let ip_type = ip_address_type(members, cfg)?;
    if facts.subnets.is_empty() {
        return Err("unable to resolve at least one subnet".into());
    }
    let decision = sg_decision(members, cfg, facts.user_sgs.clone())?;
    let all: Vec<&Member> = members.iter().collect();
    let tags = group_tags(&all, cfg)?;
    let resolve = |r: &SgRef| match r {
        SgRef::Frontend => model::FRONTEND_TOKEN.to_string(),
        SgRef::Backend => facts.backend_sg.clone().unwrap_or_default(),
        SgRef::Id(x) => x.clone(),
    };
    if decision.frontend_in_model {
        let dual = ip_type.starts_with("dualstack");
        let mut ingress: Vec<Permission> = Vec::new();
        for (port, c) in &ports {
            let mut sources: Vec<Source> = c.v4.iter().cloned().map(Source::Cidr).collect();
            if dual {
                sources.extend(c.v6.iter().cloned().map(Source::Cidr));
            }
            sources.extend(c.prefix_lists.iter().cloned().map(Source::PrefixList));
            for s in sources {
                ingress.push(Permission { protocol: "tcp".into(), from: *port, to: *port, source: s });
            }
        }
        stack.frontend_sg = Some(FrontendSg {
            name: naming::managed_sg(&cfg.cluster_name, id),
            tags: with(tags.clone(), tracking(FRONTEND_RESOURCE)),
            ingress,
        });
    }
    let lb = LoadBalancer {
        lb_type: "application".into(),
        name: lb_name(members, cfg, id, &scheme)?,
        scheme: scheme.clone(),
        ip_address_type: ip_type.clone(),
        subnets: facts.subnets.iter().map(|s| SubnetMapping { subnet_id: s.id.clone(), allocation_id: None, private_ipv4: None }).collect(),
        security_groups: decision.lb_groups.iter().map(resolve).collect(),
        attributes: lb_attributes(members)?,
        tags: with(tags, tracking(LB_RESOURCE)),
        private_link_inbound: None,
    };
    let redirect_port = ssl_redirect(members, &ports)?;

    // Listeners and rules, building target groups on demand.
    let peer = match &decision.node_rules {
        NodeRules::FromGroup(SgRef::Frontend) => Some(frontend_peer()),
        NodeRules::FromGroup(r) => Some(resolve(r)),
        _ => None,
    };
    let mut backends = Backends {
        cfg,
        group: id,
        services: &facts.services,
        tg_arns_by_name: &facts.tg_arns_by_name,
        peer,
        lb_ip_type: ip_type,
        tgs: Vec::new(),
        tgbs: Vec::new(),
    };
    for (port, c) in &ports {
        let on = &members_on[port];
        let https = c.protocol == "HTTPS";
        let redirecting = redirect_port.is_some() && !https;
        let default_actions = if let Some(p) = redirect_port.filter(|_| redirecting) {
            vec![RuleAction::Redirect {
                protocol: Some("HTTPS".into()),
                port: Some(p.to_string()),
                host: None,
                path: None,
                query: None,
                status_code: "HTTP_301".into(),
            }]
        } else {
            let with_default: Vec<&&Member> =
                on.iter().filter(|m| m.ing.spec.as_ref().and_then(|s| s.default_backend.as_ref()).is_some()).collect();
            match with_default.as_slice() {
                [] => vec![RuleAction::not_found()],
                [m] => {
                    let b = m.ing.spec.as_ref().and_then(|s| s.default_backend.clone()).unwrap_or_default();
                    vec![backends.build(m, &b, https).map_err(|e| format!("ingress: {}: {e}", key(m)))?.action]
                }
                many => {
                    return Err(format!(
                        "multiple ingress defined default backend: {}",
                        go_list(&many.iter().map(|m| key(m)).collect::<Vec<_>>())
                    ));
                }
            }
        };
        let mut drafts: Vec<Draft> = Vec::new();
        if !redirecting {
            for m in on {
                let map = ann(m);
                let regex = Alb(&map).bool(a::USE_REGEX_PATH_MATCH).map_err(|e| format!("ingress: {}: {e}", key(m)))?.unwrap_or(false)
                    && cfg.latest();
                let rule_tags = if cfg.feature_gates.listener_rules_tagging { group_tags(&[m], cfg)? } else { BTreeMap::new() };
                for r in m.ing.spec.iter().flat_map(|s| s.rules.iter().flatten()) {
                    let Some(http) = &r.http else { continue };
                    for p in paths::sort_paths(&http.paths).map_err(|e| format!("ingress: {}: {e}", key(m)))? {
                        let wrap = |e: String| format!("ingress: {}: {e}", key(m));
                        let enhanced = backends.build(m, &p.backend, https).map_err(wrap)?;
                        let values = paths::path_values(p, regex).map_err(wrap)?;
                        let conditions = rule_conditions(r.host.as_deref(), values, &enhanced.conditions).map_err(wrap)?;
                        drafts.push((conditions, vec![enhanced.action], rule_tags.clone()));
                    }
                }
            }
        }
        let rules: Vec<AlbRule> = optimizer::optimize(*port, &c.protocol, drafts)
            .into_iter()
            .enumerate()
            .map(|(i, (conditions, actions, tags))| {
                let priority = i as i32 + 1;
                let tags = if cfg.feature_gates.listener_rules_tagging {
                    with(tags, tracking(&format!("{port}:{priority}")))
                } else {
                    BTreeMap::new()
                };
                AlbRule { priority, conditions, actions, tags }
            })
            .collect();
        stack.alb_listeners.push(AlbListener {
            port: *port,
            protocol: c.protocol.clone(),
            default_actions,
            certificates: c.certs.clone(),
            ssl_policy: c.ssl_policy.clone(),
            tags: with(group_tags(on, cfg)?, tracking(&port.to_string())),
            rules,
        });
    }
    stack.target_groups = backends.tgs;
    stack.tgbs = backends.tgbs;
    stack.lb = Some(lb);
    stack.backend_sg_allocated = decision.backend_allocated;
    stack.sg_row = Some(decision.row);
    Ok(Built { stack, ports: ports.keys().copied().collect() })
}
