//! What the HTML report charts: after every step, a `Sample` of the world — the node group's
//! inbound rules, the controller's frontend and backend groups, the load balancers, and the
//! controller's API calls (and throttled calls) during the step — plus the series the scenario's
//! `chart:` names. Read from lbsim's store in process (the state dump the admin API serves), so
//! sampling makes no API call: it cannot use up an injected fault or show in a `calls` check.
//! Against another endpoint only the call counts are sampled.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use wildmatch::WildMatch;

use super::env::Env;
use super::format::{ChartSeries, GroupSel};
use super::runner::Vars;

/// Error codes that mean "slow down".
pub const THROTTLE_CODES: &[&str] = &["Throttling", "RequestLimitExceeded", "ThrottlingException", "TooManyRequestsException"];

#[derive(Debug, Clone, Default, Serialize)]
pub struct Sample {
    /// Inbound rules of the node (cluster) group, as AWS counts them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_rules: Option<u64>,
    /// The account's rules-per-group quota (the chart's limit line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_quota: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frontend_groups: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_groups: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancers: Option<u64>,
    /// The controller's AWS calls during the step, and how many of them were throttled.
    pub calls: u64,
    pub throttled: u64,
    /// The scenario's own series (`chart:`), by label.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub series: BTreeMap<String, f64>,
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn tag<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get("tags").and_then(|t| t.get(k)).and_then(Value::as_str)
}

fn groups(dump: &Value) -> &[Value] {
    dump.get("security_groups").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// The groups of the fixture's VPC a selector names (as `checks` resolves them through the SDK).
pub fn select<'a>(dump: &'a Value, env: &Env, vars: &Vars, g: &GroupSel) -> Result<Vec<&'a Value>, String> {
    let vpc = env.sim.loaded.vpc_id.as_str();
    let cluster = env.ctx().cfg.cluster_name.clone();
    let all = groups(dump).iter().filter(|x| s(x, "vpc_id") == vpc || g.id.is_some());
    let out: Vec<&Value> = if let Some(id) = &g.id {
        let id = vars.expand(id)?;
        all.filter(|x| s(x, "id") == id).collect()
    } else if let Some(name) = &g.name {
        let name = vars.expand(name)?;
        all.filter(|x| s(x, "name") == name).collect()
    } else if let Some(t) = &g.tag {
        let t = vars.expand(t)?;
        match t.split_once('=') {
            Some((k, v)) => all.filter(|x| tag(x, k) == Some(v)).collect(),
            None => all.filter(|x| tag(x, &t).is_some()).collect(),
        }
    } else {
        match g.role.as_deref() {
            Some("node") => all.filter(|x| s(x, "id") == env.sim.loaded.cluster_sg_id).collect(),
            Some("backend") => all
                .filter(|x| {
                    tag(x, "elbv2.k8s.aws/cluster") == Some(cluster.as_str()) && tag(x, "elbv2.k8s.aws/resource") == Some("backend-sg")
                })
                .collect(),
            Some("frontend") => {
                let stack = match &g.service {
                    Some(svc) => Some(format!("{}/{}", g.namespace, vars.expand(svc)?)),
                    None => None,
                };
                all.filter(|x| {
                    tag(x, "service.k8s.aws/resource") == Some("ManagedLBSecurityGroup")
                        && tag(x, "elbv2.k8s.aws/cluster") == Some(cluster.as_str())
                        && stack.as_deref().is_none_or(|st| tag(x, "service.k8s.aws/stack") == Some(st))
                })
                .collect()
            }
            Some(other) => return Err(format!("unknown group role '{other}' (node, backend, frontend)")),
            None => return Err("a group selector needs id, name, tag or role".into()),
        }
    };
    Ok(out)
}

/// Rules of `direction` in a dumped group, one per single source as AWS counts them.
fn rule_count(g: &Value, direction: &str) -> u64 {
    g.get("rules").and_then(Value::as_array).map_or(0, |r| r.iter().filter(|x| s(x, "direction") == direction).count() as u64)
}

/// The default label of a `chart:` series.
pub fn label(c: &ChartSeries) -> String {
    if let Some(l) = &c.label {
        return l.clone();
    }
    let sel = |g: &GroupSel| {
        g.id.clone().or(g.name.clone()).or(g.tag.clone()).unwrap_or_else(|| match (&g.role, &g.service) {
            (Some(r), Some(svc)) => format!("{r} {svc}"),
            (Some(r), None) => r.clone(),
            _ => "?".into(),
        })
    };
    match (&c.rules, &c.quota, &c.calls) {
        (Some(r), _, _) => format!("{} rules in {}", r.direction.as_deref().unwrap_or("ingress"), sel(&r.group)),
        (_, Some(q), _) => format!("{}{}", q.name, q.group.as_ref().map(|g| format!(" of {}", sel(g))).unwrap_or_default()),
        (_, _, Some(x)) => format!("calls {}{}", x.action, x.error.as_ref().map(|e| format!(" error={e}")).unwrap_or_default()),
        _ => "?".into(),
    }
}

/// The world after a step; `from_call` is the controller's call count before it.
pub fn take(env: &Env, vars: &Vars, chart: &[ChartSeries], from_call: usize) -> Result<Sample, String> {
    let calls = env.controller_calls();
    let during = calls.get(from_call..).unwrap_or(&[]);
    let mut out = Sample {
        calls: during.len() as u64,
        throttled: during.iter().filter(|c| c.error.as_deref().is_some_and(|e| THROTTLE_CODES.contains(&e))).count() as u64,
        ..Sample::default()
    };
    let loaded = &env.sim.loaded;
    let app = env.sim.world.app.as_ref();
    let dumped = app.map(|a| {
        a.store.with_region(&loaded.account, &loaded.region, |r| {
            (crate::admin::state_dump::region_json(r), crate::admin::state_dump::region_usage(r))
        })
    });
    if let Some((dump, rows)) = &dumped {
        let count = |sel: GroupSel| select(dump, env, vars, &sel).map(|v| v.len() as u64);
        let role = |r: &str| GroupSel { id: None, name: None, tag: None, role: Some(r.into()), service: None, namespace: "default".into() };
        out.node_rules = select(dump, env, vars, &role("node"))?.first().map(|g| rule_count(g, "ingress"));
        out.rule_quota = rows.iter().find(|r| r.quota == "rules-per-security-group").map(|r| r.limit);
        out.frontend_groups = Some(count(role("frontend"))?);
        out.backend_groups = Some(count(role("backend"))?);
        let lbs = dump["elbv2"]["load_balancers"].as_array().map_or(0, |l| l.iter().filter(|lb| s(lb, "vpc_id") == loaded.vpc_id).count());
        out.load_balancers = Some(lbs as u64);
    }
    for c in chart {
        let v = match (&c.rules, &c.quota, &c.calls, &dumped) {
            (Some(r), _, _, Some((dump, _))) => {
                let dir = r.direction.as_deref().unwrap_or("ingress");
                select(dump, env, vars, &r.group)?.iter().map(|g| rule_count(g, dir)).sum::<u64>() as f64
            }
            (_, Some(q), _, Some((dump, rows))) => {
                let ids: Option<Vec<String>> = match &q.group {
                    Some(g) => Some(select(dump, env, vars, g)?.iter().map(|x| s(x, "id").to_string()).collect()),
                    None => None,
                };
                rows.iter()
                    .filter(|row| row.quota == q.name)
                    .filter(|row| ids.as_ref().is_none_or(|ids| ids.iter().any(|id| row.scope.starts_with(id.as_str()))))
                    .map(|row| row.used)
                    .max()
                    .unwrap_or(0) as f64
            }
            (_, _, Some(x), _) => {
                let glob = WildMatch::new(&x.action);
                during
                    .iter()
                    .filter(|c| glob.matches(&c.action))
                    .filter(|c| match x.error.as_deref() {
                        None => true,
                        Some("none") => c.error.is_none(),
                        Some("any") => c.error.is_some(),
                        Some(code) => c.error.as_deref() == Some(code),
                    })
                    .count() as f64
            }
            // State series against another endpoint: not sampled.
            _ => continue,
        };
        out.series.insert(label(c), v);
    }
    Ok(out)
}
