//! `expect` checks: Events, Service status and existence, AWS state read through the runner's
//! own SDK clients (rules of a group chosen by id, name, tag or role; one rule present or
//! absent; resource counts; an NLB's groups), quota usage (lbsim's usage table) and the
//! controller's AWS calls (its call log). Each check yields expected and actual as text.

use aws_sdk_ec2::types::{Filter, IpPermission, SecurityGroup};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use wildmatch::WildMatch;

use super::format::{
    AlbRuleCheck, CallsCheck, Check, ConvergedCheck, EventsCheck, ExistsCheck, GroupSel, HostnameCheck, LbCheck, QuotaCheck,
    ResourcesCheck, RuleCheck, RulesCheck, SavedCheck,
};
use super::report::CheckResult;
use super::runner::Runner;
use crate::cluster::{Kind, TargetGroupBinding};
use crate::reconciler::ingress::group::is_ingress_finalizer;
use crate::reconciler::model::FINALIZER;

/// `Code: message` of an SDK error.
pub fn sdk_error<E: aws_sdk_ec2::error::ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    e: &aws_sdk_ec2::error::SdkError<E, R>,
) -> String {
    match e.as_service_error() {
        Some(s) => format!("{}: {}", s.code().unwrap_or("?"), s.message().unwrap_or("")),
        None => format!("{e:?}"),
    }
}

fn result(check: String, expected: impl Into<String>, actual: impl Into<String>, ok: bool) -> CheckResult {
    CheckResult { check, expected: expected.into(), actual: actual.into(), ok, skipped: false }
}

fn skipped(check: String, why: &str) -> CheckResult {
    CheckResult { check, expected: String::new(), actual: format!("skipped: {why}"), ok: true, skipped: true }
}

pub async fn check(r: &Runner<'_>, c: &Check) -> CheckResult {
    let name = describe(c);
    let out = match c {
        Check::Events(e) => events(r, e),
        Check::Hostname(h) => hostname(r, h),
        Check::Exists(e) => exists(r, e),
        Check::Rules(x) => rules(r, x).await,
        Check::Rule(x) => rule(r, x).await,
        Check::Resources(x) => resources(r, x).await,
        Check::LoadBalancer(x) => load_balancer(r, x).await,
        Check::ConvergedWithin(x) => converged(r, x),
        Check::AlbRule(x) => alb_rule(r, x).await,
        Check::Saved(x) => saved(r, x),
        Check::Quota(q) => {
            if r.env.sim.world.app.is_none() {
                return skipped(name, "quota usage is lbsim only");
            }
            quota(r, q).await
        }
        Check::Calls(x) => {
            if r.env.sim.world.app.is_none() {
                return skipped(name, "the request log is lbsim only");
            }
            calls(r, x)
        }
    };
    match out {
        Ok((expected, actual, ok)) => result(name, expected, actual, ok),
        Err(e) => result(name, "the check can be evaluated", format!("error: {e}"), false),
    }
}

type Outcome = Result<(String, String, bool), String>;

fn describe(c: &Check) -> String {
    match c {
        Check::Events(e) => {
            let mut s = format!("events of {} {}/{}", e.kind, e.namespace, e.name);
            if let Some(x) = &e.reason {
                s += &format!(" reason={x}");
            }
            if let Some(x) = &e.type_ {
                s += &format!(" type={x}");
            }
            if let Some(x) = &e.message {
                s += &format!(" message~{x:?}");
            }
            s
        }
        Check::Hostname(h) => match (&h.service, &h.ingress) {
            (Some(s), _) => format!("hostname of Service {}/{s}", h.namespace),
            (_, i) => format!("hostname of Ingress {}/{}", h.namespace, i.as_deref().unwrap_or("?")),
        },
        Check::Exists(e) => format!("{} {}/{} exists", e.kind, e.namespace, e.name),
        Check::Rules(x) => format!("{} rules in group {}", x.direction.as_deref().unwrap_or("ingress"), sel_text(&x.group)),
        Check::Rule(x) => format!(
            "rule {} {} from {} in group {}",
            x.protocol,
            ports_text(x),
            x.cidr.clone().or_else(|| x.source_group.as_ref().map(sel_text)).unwrap_or_else(|| "?".into()),
            sel_text(&x.group)
        ),
        Check::Resources(_) => "AWS resource counts".into(),
        Check::Saved(x) => format!("saved value {}", x.name),
        Check::AlbRule(x) => format!("ALB rule at priority {}{}", x.priority, x.port.map(|p| format!(" on port {p}")).unwrap_or_default()),
        Check::LoadBalancer(x) => match (&x.service, &x.ingress_group) {
            (Some(s), _) => format!("load balancer of Service {}/{s}", x.namespace),
            (_, g) => format!("load balancer of IngressGroup {}", g.as_deref().unwrap_or("?")),
        },
        Check::ConvergedWithin(x) => format!(
            "Services {} converged within {:?}{}",
            x.services.as_deref().unwrap_or("*"),
            x.within.0,
            x.since.as_ref().map(|m| format!(" of '{m}'")).unwrap_or_default()
        ),
        Check::Quota(q) => {
            format!("quota {}{}", q.name, q.group.as_ref().map(|g| format!(" of group {}", sel_text(g))).unwrap_or_default())
        }
        Check::Calls(x) => format!(
            "controller calls {}{}{}",
            x.action,
            x.error.as_ref().map(|e| format!(" error={e}")).unwrap_or_default(),
            x.since.as_ref().map(|m| format!(" since '{m}'")).unwrap_or_default()
        ),
    }
}

fn sel_text(g: &GroupSel) -> String {
    if let Some(x) = &g.id {
        return format!("id={x}");
    }
    if let Some(x) = &g.name {
        return format!("name={x}");
    }
    if let Some(x) = &g.tag {
        return format!("tag {x}");
    }
    match (&g.role, &g.service) {
        (Some(role), Some(s)) => format!("{role} of {}/{s}", g.namespace),
        (Some(role), None) => role.clone(),
        _ => "?".into(),
    }
}

fn ports_text(x: &RuleCheck) -> String {
    match (x.port, x.from, x.to) {
        (Some(p), _, _) => p.to_string(),
        (None, Some(f), Some(t)) => format!("{f}-{t}"),
        _ => "any port".into(),
    }
}

/// Whether a count matches `count` (exact) or `min_count` (at least; default at least 1).
fn count_ok(n: u64, count: Option<u64>, min: Option<u64>) -> (String, bool) {
    match (count, min) {
        (Some(c), _) => (format!("count {c}"), n == c),
        (None, Some(m)) => (format!("count >= {m}"), n >= m),
        (None, None) => ("count >= 1".into(), n >= 1),
    }
}

fn events(r: &Runner<'_>, e: &EventsCheck) -> Outcome {
    let name = r.vars.expand(&e.name)?;
    let store = r.env.sim.cluster.lock();
    let objects: Vec<(Kind, String)> = match e.kind.as_str() {
        "Service" => vec![(Kind::Service, name.clone())],
        "TargetGroupBinding" => {
            // A binding by its name, or every binding of the Service of that name.
            let by_service: Vec<(Kind, String)> = store
                .list::<TargetGroupBinding>()
                .into_iter()
                .filter(|t| t.metadata.namespace.as_deref() == Some(e.namespace.as_str()) && t.spec.service_ref.name == name)
                .filter_map(|t| t.metadata.name.map(|n| (Kind::TargetGroupBinding, n)))
                .collect();
            if by_service.is_empty() { vec![(Kind::TargetGroupBinding, name.clone())] } else { by_service }
        }
        "Node" => vec![(Kind::Node, name.clone())],
        "Ingress" => vec![(Kind::Ingress, name.clone())],
        k => return Err(format!("events: kind {k} is not supported (Service, TargetGroupBinding, Node, Ingress)")),
    };
    // Nodes are cluster-scoped: their Events carry no namespace.
    let ns = if e.kind == "Node" { "" } else { e.namespace.as_str() };
    let all: Vec<crate::cluster::Event> = objects.iter().flat_map(|(k, n)| store.events_for(*k, ns, n)).collect();
    let pattern = e.message.as_ref().map(|m| r.vars.expand(m)).transpose()?;
    let matching: Vec<&crate::cluster::Event> = all
        .iter()
        .filter(|ev| e.reason.as_ref().is_none_or(|x| &ev.reason == x))
        .filter(|ev| e.type_.as_ref().is_none_or(|x| &ev.type_ == x))
        .filter(|ev| pattern.as_ref().is_none_or(|p| WildMatch::new(p).matches(&ev.message)))
        .collect();
    let n: u64 = matching.iter().map(|ev| u64::from(ev.count)).sum();
    let (expected, ok) = count_ok(n, e.count.map(u64::from), e.min_count.map(u64::from));
    let shown: Vec<String> = all.iter().map(|ev| format!("{} {} x{}: {}", ev.type_, ev.reason, ev.count, ev.message)).collect();
    let actual = if shown.is_empty() { "count 0 (no events)".to_string() } else { format!("count {n} of [{}]", shown.join("; ")) };
    Ok((expected, actual, ok))
}

fn hostname(r: &Runner<'_>, h: &HostnameCheck) -> Outcome {
    let host = match (&h.service, &h.ingress) {
        (Some(s), None) => {
            let svc: Option<Service> = r.env.sim.cluster.lock().get(&h.namespace, &r.vars.expand(s)?);
            svc.and_then(|s| s.status?.load_balancer?.ingress).and_then(|i| i.into_iter().next()).and_then(|i| i.hostname)
        }
        (None, Some(i)) => {
            let ing: Option<Ingress> = r.env.sim.cluster.lock().get(&h.namespace, &r.vars.expand(i)?);
            ing.and_then(|s| s.status?.load_balancer?.ingress).and_then(|i| i.into_iter().next()).and_then(|i| i.hostname)
        }
        _ => return Err("hostname: set exactly one of 'service' and 'ingress'".into()),
    }
    .filter(|h| !h.is_empty());
    let actual = host.clone().unwrap_or_else(|| "no hostname".into());
    if h.absent {
        return Ok(("no hostname".into(), actual, host.is_none()));
    }
    let pattern = h.pattern.as_ref().map(|p| r.vars.expand(p)).transpose()?.unwrap_or_else(|| "*".into());
    let ok = host.as_ref().is_some_and(|x| WildMatch::new(&pattern).matches(x));
    Ok((format!("hostname matching {pattern:?}"), actual, ok))
}

fn exists(r: &Runner<'_>, e: &ExistsCheck) -> Outcome {
    let name = r.vars.expand(&e.name)?;
    let store = r.env.sim.cluster.lock();
    let meta = match e.kind.as_str() {
        "Service" => store.get::<Service>(&e.namespace, &name).map(|s| s.metadata),
        "TargetGroupBinding" => store.get::<TargetGroupBinding>(&e.namespace, &name).map(|s| s.metadata),
        "Node" => store.get::<k8s_openapi::api::core::v1::Node>("", &name).map(|s| s.metadata),
        "Ingress" => store.get::<Ingress>(&e.namespace, &name).map(|s| s.metadata),
        k => return Err(format!("exists: kind {k} is not supported (Service, TargetGroupBinding, Node, Ingress)")),
    };
    // An Ingress carries its group's finalizer (implicit or `group.ingress.k8s.aws/<name>`).
    let ours = |x: &String| if e.kind == "Ingress" { is_ingress_finalizer(x) } else { x == FINALIZER };
    let has_fin = meta.as_ref().map(|m| m.finalizers.as_ref().is_some_and(|f| f.iter().any(ours)));
    let actual = match (&meta, has_fin) {
        (None, _) => "absent".to_string(),
        (Some(m), Some(f)) => {
            format!(
                "present{}{}",
                if f { " with finalizer" } else { " without finalizer" },
                if m.deletion_timestamp.is_some() { ", being deleted" } else { "" }
            )
        }
        (Some(_), None) => "present".to_string(),
    };
    if !e.present {
        return Ok(("absent".into(), actual, meta.is_none()));
    }
    let expected = match e.finalizer {
        Some(true) => "present with finalizer",
        Some(false) => "present without finalizer",
        None => "present",
    };
    let ok = meta.is_some() && e.finalizer.is_none_or(|f| has_fin == Some(f));
    Ok((expected.into(), actual, ok))
}

// ---- AWS state -------------------------------------------------------------------------------

/// The groups a selector names (in the fixture's VPC).
async fn groups(r: &Runner<'_>, g: &GroupSel) -> Result<Vec<SecurityGroup>, String> {
    let ec2 = &r.env.inspect.ec2;
    let vpc = Filter::builder().name("vpc-id").values(&r.env.sim.loaded.vpc_id).build();
    let filt = |n: &str, v: &str| Filter::builder().name(n).values(v).build();
    let req = ec2.describe_security_groups();
    let req = if let Some(id) = &g.id {
        req.group_ids(r.vars.expand(id)?)
    } else if let Some(name) = &g.name {
        req.filters(vpc).filters(filt("group-name", &r.vars.expand(name)?))
    } else if let Some(tag) = &g.tag {
        let tag = r.vars.expand(tag)?;
        match tag.split_once('=') {
            Some((k, v)) => req.filters(vpc).filters(filt(&format!("tag:{k}"), v)),
            None => req.filters(vpc).filters(filt("tag-key", &tag)),
        }
    } else {
        match g.role.as_deref() {
            Some("node") => req.group_ids(&r.env.sim.loaded.cluster_sg_id),
            Some("backend") => req
                .filters(vpc)
                .filters(filt("tag:elbv2.k8s.aws/cluster", &r.env.ctx().cfg.cluster_name))
                .filters(filt("tag:elbv2.k8s.aws/resource", "backend-sg")),
            Some("frontend") => {
                let svc = g.service.as_ref().ok_or("role frontend needs 'service'")?;
                req.filters(vpc)
                    .filters(filt("tag:service.k8s.aws/stack", &format!("{}/{}", g.namespace, r.vars.expand(svc)?)))
                    .filters(filt("tag:service.k8s.aws/resource", "ManagedLBSecurityGroup"))
            }
            Some(other) => return Err(format!("unknown group role '{other}' (node, backend, frontend)")),
            None => return Err("a group selector needs id, name, tag or role".into()),
        }
    };
    match req.send().await {
        Ok(o) => Ok(o.security_groups.unwrap_or_default()),
        Err(e) if sdk_error(&e).starts_with("InvalidGroup.NotFound") => Ok(Vec::new()),
        Err(e) => Err(format!("DescribeSecurityGroups: {}", sdk_error(&e))),
    }
}

async fn one_group(r: &Runner<'_>, g: &GroupSel) -> Result<Option<SecurityGroup>, String> {
    let mut v = groups(r, g).await?;
    match v.len() {
        0 => Ok(None),
        1 => Ok(v.pop()),
        n => Err(format!("group {} matches {n} groups; narrow the selector", sel_text(g))),
    }
}

fn perms<'a>(g: &'a SecurityGroup, direction: Option<&str>) -> Result<&'a [IpPermission], String> {
    match direction.unwrap_or("ingress") {
        "ingress" => Ok(g.ip_permissions()),
        "egress" => Ok(g.ip_permissions_egress()),
        d => Err(format!("direction '{d}' is not ingress or egress")),
    }
}

/// Rules as AWS counts them: one per single source.
fn rule_count(ps: &[IpPermission]) -> u64 {
    ps.iter()
        .map(|p| (p.ip_ranges().len() + p.ipv6_ranges().len() + p.user_id_group_pairs().len() + p.prefix_list_ids().len()) as u64)
        .sum()
}

async fn rules(r: &Runner<'_>, x: &RulesCheck) -> Outcome {
    let Some(g) = one_group(r, &x.group).await? else {
        return Ok((format!("{} rules", x.count), "no such group".into(), false));
    };
    let n = rule_count(perms(&g, x.direction.as_deref())?);
    Ok((format!("{} rules", x.count), format!("{n} rules in {}", g.group_id().unwrap_or("?")), n == x.count))
}

async fn rule(r: &Runner<'_>, x: &RuleCheck) -> Outcome {
    let Some(g) = one_group(r, &x.group).await? else {
        return Ok(("the group exists".into(), "no such group".into(), false));
    };
    let (from, to) = match (x.port, x.from, x.to) {
        (Some(p), _, _) => (Some(p), Some(p)),
        (None, f, t) => (f, t),
    };
    let source_id = match &x.source_group {
        Some(s) => Some(one_group(r, s).await?.and_then(|g| g.group_id).ok_or_else(|| format!("source group {} not found", sel_text(s)))?),
        None => None,
    };
    let cidr = x.cidr.as_ref().map(|c| r.vars.expand(c)).transpose()?;
    let found = perms(&g, x.direction.as_deref())?.iter().any(|p| {
        p.ip_protocol() == Some(x.protocol.as_str())
            && from.is_none_or(|f| p.from_port() == Some(f))
            && to.is_none_or(|t| p.to_port() == Some(t))
            && (cidr.as_ref().is_none_or(|c| {
                p.ip_ranges().iter().any(|r| r.cidr_ip() == Some(c.as_str()))
                    || p.ipv6_ranges().iter().any(|r| r.cidr_ipv6() == Some(c.as_str()))
            }))
            && source_id.as_ref().is_none_or(|s| p.user_id_group_pairs().iter().any(|u| u.group_id() == Some(s.as_str())))
    });
    let expected = if x.present { "present" } else { "absent" };
    let actual = format!(
        "{} in {} ({} rules)",
        if found { "present" } else { "absent" },
        g.group_id().unwrap_or("?"),
        rule_count(g.ip_permissions())
    );
    Ok((expected.into(), actual, found == x.present))
}

async fn resources(r: &Runner<'_>, x: &ResourcesCheck) -> Outcome {
    let elb = &r.env.inspect.elbv2;
    let mut expected = Vec::new();
    let mut actual = Vec::new();
    let mut ok = true;
    let mut cmp = |what: &str, want: Option<usize>, got: usize| {
        if let Some(w) = want {
            expected.push(format!("{what}={w}"));
            actual.push(format!("{what}={got}"));
            ok &= w == got;
        }
    };
    let lbs = elb.describe_load_balancers().send().await.map_err(|e| format!("DescribeLoadBalancers: {}", sdk_error(&e)))?;
    let lbs = lbs.load_balancers.unwrap_or_default();
    cmp("load_balancers", x.load_balancers, lbs.len());
    let tgs = elb.describe_target_groups().send().await.map_err(|e| format!("DescribeTargetGroups: {}", sdk_error(&e)))?;
    let tgs = tgs.target_groups.unwrap_or_default();
    cmp("target_groups", x.target_groups, tgs.len());
    if x.listeners.is_some() || x.listener_rules.is_some() {
        let (mut n, mut rules) = (0, 0);
        for lb in &lbs {
            let l = elb
                .describe_listeners()
                .load_balancer_arn(lb.load_balancer_arn().unwrap_or_default())
                .send()
                .await
                .map_err(|e| format!("DescribeListeners: {}", sdk_error(&e)))?;
            n += l.listeners().len();
            for li in l.listeners() {
                if li.protocol().is_some_and(|p| matches!(p.as_str(), "TCP" | "UDP" | "TCP_UDP" | "TLS")) {
                    continue;
                }
                rules += listener_rules(elb, li.listener_arn().unwrap_or_default()).await?;
            }
        }
        cmp("listeners", x.listeners, n);
        cmp("listener_rules", x.listener_rules, rules);
    }
    if x.targets.is_some() {
        let mut n = 0;
        for tg in &tgs {
            let h = elb
                .describe_target_health()
                .target_group_arn(tg.target_group_arn().unwrap_or_default())
                .send()
                .await
                .map_err(|e| format!("DescribeTargetHealth: {}", sdk_error(&e)))?;
            n += h.target_health_descriptions().len();
        }
        cmp("targets", x.targets, n);
    }
    if x.security_groups.is_some() {
        let sel = GroupSel {
            id: None,
            name: None,
            tag: Some(format!("elbv2.k8s.aws/cluster={}", r.env.ctx().cfg.cluster_name)),
            role: None,
            service: None,
            namespace: String::new(),
        };
        cmp("security_groups", x.security_groups, groups(r, &sel).await?.len());
    }
    cmp("target_group_bindings", x.target_group_bindings, r.env.sim.cluster.lock().tgbs.len());
    Ok((expected.join(", "), actual.join(", "), ok))
}

/// Rules of an HTTP(S) listener other than its default rule (every page).
async fn listener_rules(elb: &aws_sdk_elasticloadbalancingv2::Client, arn: &str) -> Result<usize, String> {
    let (mut n, mut marker) = (0, None::<String>);
    loop {
        let o = elb
            .describe_rules()
            .listener_arn(arn)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| format!("DescribeRules: {}", sdk_error(&e)))?;
        n += o.rules().iter().filter(|r| r.is_default() != Some(true)).count();
        match o.next_marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => return Ok(n),
        }
    }
}

fn saved(r: &Runner<'_>, x: &SavedCheck) -> Outcome {
    let got = r.vars.expand(&format!("{{{{{}}}}}", x.name))?;
    let want = r.vars.expand(&x.value)?;
    Ok((format!("{want:?}"), format!("{got:?}"), WildMatch::new(&want).matches(&got)))
}

async fn alb_rule(r: &Runner<'_>, x: &AlbRuleCheck) -> Outcome {
    let elb = &r.env.inspect.elbv2;
    let lbs = elb.describe_load_balancers().send().await.map_err(|e| format!("DescribeLoadBalancers: {}", sdk_error(&e)))?;
    let mut found: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for lb in lbs.load_balancers() {
        let l = elb
            .describe_listeners()
            .load_balancer_arn(lb.load_balancer_arn().unwrap_or_default())
            .send()
            .await
            .map_err(|e| format!("DescribeListeners: {}", sdk_error(&e)))?;
        for li in l.listeners() {
            if x.port.is_some_and(|p| li.port() != Some(p)) || !li.protocol().is_some_and(|p| matches!(p.as_str(), "HTTP" | "HTTPS")) {
                continue;
            }
            let (mut marker, want) = (None::<String>, x.priority.to_string());
            loop {
                let o = elb
                    .describe_rules()
                    .listener_arn(li.listener_arn().unwrap_or_default())
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(|e| format!("DescribeRules: {}", sdk_error(&e)))?;
                for rule in o.rules().iter().filter(|r| r.priority() == Some(want.as_str())) {
                    let values = |field: &str| -> Vec<String> {
                        rule.conditions()
                            .iter()
                            .filter(|c| c.field() == Some(field))
                            .flat_map(|c| {
                                let cfg = match field {
                                    "path-pattern" => c.path_pattern_config().map(|p| p.values().to_vec()),
                                    _ => c.host_header_config().map(|h| h.values().to_vec()),
                                };
                                cfg.filter(|v| !v.is_empty()).unwrap_or_else(|| c.values().to_vec())
                            })
                            .collect()
                    };
                    found.push((values("path-pattern"), values("host-header")));
                }
                match o.next_marker() {
                    Some(m) if !m.is_empty() => marker = Some(m.to_string()),
                    _ => break,
                }
            }
        }
    }
    let actual = match found.as_slice() {
        [] => "no rule".to_string(),
        [(p, h)] => format!("paths={p:?} hosts={h:?}"),
        _ => return Err(format!("{} rules at priority {}; narrow with 'port'", found.len(), x.priority)),
    };
    if !x.present {
        return Ok(("no rule".into(), actual, found.is_empty()));
    }
    let mut expected = Vec::new();
    let mut ok = found.len() == 1;
    if let Some(p) = &x.paths {
        expected.push(format!("paths={p:?}"));
        ok &= found.first().is_some_and(|f| &f.0 == p);
    }
    if let Some(h) = &x.hosts {
        expected.push(format!("hosts={h:?}"));
        ok &= found.first().is_some_and(|f| &f.1 == h);
    }
    Ok((if expected.is_empty() { "a rule".into() } else { expected.join(" ") }, actual, ok))
}

async fn load_balancer(r: &Runner<'_>, x: &LbCheck) -> Outcome {
    let (tag_key, stack) = match (&x.service, &x.ingress_group) {
        (Some(s), None) => ("service.k8s.aws/stack", format!("{}/{}", x.namespace, r.vars.expand(s)?)),
        (None, Some(g)) => ("ingress.k8s.aws/stack", r.vars.expand(g)?),
        _ => return Err("load_balancer: set exactly one of 'service' and 'ingress_group'".into()),
    };
    let elb = &r.env.inspect.elbv2;
    let lbs = elb.describe_load_balancers().send().await.map_err(|e| format!("DescribeLoadBalancers: {}", sdk_error(&e)))?;
    let mut found = None;
    for lb in lbs.load_balancers() {
        let arn = lb.load_balancer_arn().unwrap_or_default();
        let t = elb.describe_tags().resource_arns(arn).send().await.map_err(|e| format!("DescribeTags: {}", sdk_error(&e)))?;
        let tagged =
            t.tag_descriptions().iter().flat_map(|d| d.tags()).any(|t| t.key() == Some(tag_key) && t.value() == Some(stack.as_str()));
        if tagged {
            found = Some(lb.clone());
            break;
        }
    }
    let Some(lb) = found else {
        return Ok((if x.present { "an NLB tagged for the Service" } else { "no NLB" }.into(), "no NLB".into(), !x.present));
    };
    if !x.present {
        return Ok(("no NLB".into(), format!("NLB {}", lb.load_balancer_name().unwrap_or("?")), false));
    }
    let mut expected = vec!["an NLB".to_string()];
    let sgs = lb.security_groups().to_vec();
    let scheme = lb.scheme().map(|s| s.as_str().to_string()).unwrap_or_default();
    let mut actual = vec![format!("NLB {} scheme={scheme} groups=[{}]", lb.load_balancer_name().unwrap_or("?"), sgs.join(","))];
    let mut ok = true;
    if let Some(s) = &x.scheme {
        expected.push(format!("scheme={s}"));
        ok &= *s == scheme;
    }
    if let Some(n) = x.security_groups {
        expected.push(format!("{n} groups"));
        ok &= n == sgs.len();
    }
    for g in &x.has_groups {
        expected.push(format!("has group {}", sel_text(g)));
        match one_group(r, g).await?.and_then(|g| g.group_id) {
            Some(id) => ok &= sgs.contains(&id),
            None => {
                actual.push(format!("group {} not found", sel_text(g)));
                ok = false;
            }
        }
    }
    Ok((expected.join(", "), actual.join("; "), ok))
}

async fn quota(r: &Runner<'_>, q: &QuotaCheck) -> Outcome {
    let app = r.env.sim.world.app.as_ref().ok_or("lbsim only")?;
    let scope = match &q.group {
        Some(g) => Some(one_group(r, g).await?.and_then(|g| g.group_id).ok_or_else(|| format!("group {} not found", sel_text(g)))?),
        None => None,
    };
    let rows = app.store.with_region(&r.env.sim.loaded.account, &r.env.sim.loaded.region, |g| crate::admin::state_dump::region_usage(g));
    let used = rows
        .iter()
        .filter(|row| row.quota == q.name)
        .filter(|row| scope.as_ref().is_none_or(|s| row.scope.starts_with(s.as_str())))
        .map(|row| (row.used, row.limit))
        .max();
    let (u, limit) = used.unwrap_or((0, 0));
    let actual = format!("used {u} of {limit}");
    match (q.used, q.max) {
        (Some(w), _) => Ok((format!("used {w}"), actual, u == w)),
        (None, Some(m)) => Ok((format!("used <= {m}"), actual, u <= m)),
        (None, None) => Err("quota: give 'used' or 'max'".into()),
    }
}

fn converged(r: &Runner<'_>, x: &ConvergedCheck) -> Outcome {
    let from = match &x.since {
        Some(m) => *r.mark_times.get(m).ok_or_else(|| format!("no mark named '{m}'"))?,
        None => r.started,
    };
    let took = (r.env.sim.world.now() - from).to_std().unwrap_or_default();
    let glob = WildMatch::new(x.services.as_deref().unwrap_or("*"));
    let store = r.env.sim.cluster.lock();
    let services: Vec<Service> = store
        .list::<Service>()
        .into_iter()
        .filter(|s| s.metadata.namespace.as_deref().unwrap_or("default") == x.namespace)
        .filter(|s| glob.matches(s.metadata.name.as_deref().unwrap_or("")))
        .collect();
    drop(store);
    let done = services
        .iter()
        .filter(|s| {
            let ingress = s.status.as_ref().and_then(|st| st.load_balancer.as_ref()).and_then(|l| l.ingress.as_ref());
            ingress.is_some_and(|i| i.iter().any(|x| x.hostname.is_some()))
        })
        .count();
    let expected = format!("{n} of {n} with a hostname in <= {:.1} s", x.within.0.as_secs_f64(), n = services.len());
    let actual = format!("{done} of {} with a hostname after {:.1} s (virtual)", services.len(), took.as_secs_f64());
    Ok((expected, actual, !services.is_empty() && done == services.len() && took <= x.within.0))
}

fn calls(r: &Runner<'_>, x: &CallsCheck) -> Outcome {
    let from = match &x.since {
        Some(m) => *r.marks.get(m).ok_or_else(|| format!("no mark named '{m}'"))?,
        None => 0,
    };
    let glob = WildMatch::new(&x.action);
    let all = r.env.controller_calls();
    let n = all
        .iter()
        .skip(from)
        .filter(|c| glob.matches(&c.action))
        .filter(|c| match x.error.as_deref() {
            None => true,
            Some("none") => c.error.is_none(),
            Some("any") => c.error.is_some(),
            Some(code) => c.error.as_deref() == Some(code),
        })
        .count();
    let (expected, ok) = count_ok(n as u64, x.count.map(|c| c as u64), x.min_count.map(|c| c as u64));
    Ok((expected, format!("count {n}"), ok))
}
