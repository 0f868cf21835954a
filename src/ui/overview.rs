//! The dashboard's view model, `GET /_lbsim/ui/overview`: per (account, Region) and VPC the
//! topology — load balancers → their security groups → the groups they reach → node groups →
//! instances and interfaces, with the rules between them as edges — the quota rows largest
//! first, the live clusters' Events and the recent API calls.
//!
//! Built from `admin::state_dump` (the same JSON `GET /_lbsim/state` serves), so the picture and
//! the admin API cannot disagree, and a new kind of load balancer (an ALB) shows up by its
//! `type` without code here. Each Region is locked only while it is dumped.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::admin::state_dump;
use crate::app::App;
use crate::app::request_log::Query;
use crate::reconciler::networking::SHARED_LABEL;
use crate::world::live::Registry;

/// Recent API calls and Events the page shows.
pub const RECENT: usize = 100;

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn tag<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get("tags").and_then(|t| t.get(k)).and_then(Value::as_str)
}

fn list<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// `ns/name` of the Service or Ingress a resource's controller tags name.
fn owner(v: &Value) -> Option<String> {
    if let Some(st) = tag(v, "service.k8s.aws/stack") {
        return Some(format!("Service {st}"));
    }
    tag(v, "ingress.k8s.aws/stack").map(|st| format!("Ingress {st}"))
}

fn ports(p: &Value) -> String {
    let proto = s(p, "protocol");
    let (from, to) = (p.get("from_port").and_then(Value::as_i64), p.get("to_port").and_then(Value::as_i64));
    let proto = if proto == "-1" { "all" } else { proto };
    match (from, to) {
        _ if proto == "all" => "all traffic".into(),
        (Some(-1), _) | (None, _) => proto.to_string(),
        (Some(f), Some(t)) if f == t => format!("{proto} {f}"),
        (Some(f), Some(t)) if f == 0 && t == 65535 => format!("{proto} all ports"),
        (Some(f), Some(t)) => format!("{proto} {f}–{t}"),
        (Some(f), None) => format!("{proto} {f}"),
    }
}

/// (kind, id, label) of a rule's peer.
fn peer(rule: &Value, names: &BTreeMap<String, String>) -> (&'static str, String, String) {
    let p = &rule["peer"];
    if let Some(c) = p.get("cidr_ipv4").and_then(Value::as_str) {
        return ("cidr", c.to_string(), c.to_string());
    }
    if let Some(c) = p.get("cidr_ipv6").and_then(Value::as_str) {
        return ("cidr", c.to_string(), c.to_string());
    }
    if let Some(pl) = p.get("prefix_list_id").and_then(Value::as_str) {
        return ("prefix_list", pl.to_string(), pl.to_string());
    }
    let g = s(p, "group_id").to_string();
    let label = match names.get(&g) {
        Some(n) => format!("{g} ({n})"),
        None => g.clone(),
    };
    ("group", g, label)
}

fn family(rule: &Value) -> &'static str {
    let p = &rule["peer"];
    if p.get("cidr_ipv6").is_some() {
        "ipv6"
    } else if p.get("cidr_ipv4").is_some() {
        "ipv4"
    } else if p.get("group_id").is_some() {
        // AWS counts a group reference against both the IPv4 and the IPv6 bucket.
        "ipv4+ipv6"
    } else {
        "prefix list"
    }
}

/// A target group as the rule-owner lookup needs it.
struct Tg {
    name: String,
    port: i64,
    stack: Option<String>,
}

/// Which controller resource owns a rule: the Service of a managed frontend group, or the
/// TargetGroupBindings whose target port the shared node rule covers.
fn rule_owner(group_role: &str, group: &Value, rule: &Value, tgs: &[Tg]) -> String {
    let desc = s(rule, "description");
    if group_role == "frontend" {
        return owner(group).map(|o| format!("{o} (frontend rules)")).unwrap_or_default();
    }
    if !desc.split(',').any(|d| d.trim() == SHARED_LABEL) {
        return if desc.is_empty() { "not the controller's".into() } else { format!("not the controller's ({desc})") };
    }
    let (from, to) = (rule["from_port"].as_i64().unwrap_or(0), rule["to_port"].as_i64().unwrap_or(65535));
    let (from, to) = if from == -1 { (0, 65535) } else { (from, to) };
    let covered: Vec<&Tg> = tgs.iter().filter(|t| t.port >= from && t.port <= to).collect();
    match covered.as_slice() {
        [] => "TargetGroupBinding networking (shared)".into(),
        [t] => format!("TargetGroupBinding {} ({})", t.name, t.stack.clone().unwrap_or_else(|| "no Service".into())),
        many => {
            let stacks: BTreeSet<&str> = many.iter().filter_map(|t| t.stack.as_deref()).collect();
            format!("{} TargetGroupBindings of {} Service(s) (shared networking)", many.len(), stacks.len())
        }
    }
}

/// A quota row for a bar: a readable quota name and scope.
fn quota_label(q: &str) -> &str {
    match q {
        "rules-per-security-group" => "Rules per security group",
        "security-groups-per-network-interface" => "Security groups per interface",
        "rules-times-groups-per-interface" => "Rules × groups per interface",
        "network-load-balancers" => "Network Load Balancers",
        "application-load-balancers" => "Application Load Balancers",
        "target-groups" => "Target groups",
        "listeners-per-network-load-balancer" => "Listeners per NLB",
        "listeners-per-application-load-balancer" => "Listeners per ALB",
        "targets-per-network-load-balancer" => "Targets per NLB",
        "targets-per-target-group" => "Targets per target group",
        "security-groups-per-region" => "Security groups per Region",
        "network-interfaces-per-region" => "Network interfaces per Region",
        "subnets-per-vpc" => "Subnets per VPC",
        "vpcs-per-region" => "VPCs per Region",
        other => other,
    }
}

/// The scope of a usage row with names put to its ids: `sg-… ingress/ipv4` → the group's name.
fn scope_label(scope: &str, names: &BTreeMap<String, String>) -> String {
    let (id, rest) = scope.split_once(' ').unwrap_or((scope, ""));
    // ELBv2 scopes are ARNs: the name is the segment before the id.
    let name = if id.starts_with("arn:") { id.split('/').rev().nth(1).map(String::from) } else { names.get(id).cloned() };
    match (name, rest) {
        (Some(n), "") => format!("{n} ({id})"),
        (Some(n), r) => format!("{n} ({id}) {r}"),
        (None, _) => scope.to_string(),
    }
}

/// One Region's topology, VPC by VPC, and its quota rows.
fn region(dump: &Value, account: &str, region: &str, rows: Vec<state_dump::UsageRow>, cluster_sgs: &BTreeMap<String, String>) -> Value {
    let groups = list(dump, "security_groups");
    let rule_limit = rows.iter().find(|r| r.quota == "rules-per-security-group").map_or(0, |r| r.limit);
    let mut names: BTreeMap<String, String> = groups.iter().map(|g| (s(g, "id").to_string(), s(g, "name").to_string())).collect();
    // Interfaces by what they belong to, for the quota rows counted per interface.
    for e in list(dump, "network_interfaces") {
        let owner = match e["attachment"]["instance_id"].as_str() {
            Some(i) => format!("interface of {i}"),
            None => s(e, "description").to_string(),
        };
        if !owner.is_empty() {
            names.insert(s(e, "id").to_string(), owner);
        }
    }
    let elb = &dump["elbv2"];
    let lbs = list(elb, "load_balancers");
    let tgs_json = list(elb, "target_groups");
    let listeners = list(elb, "listeners");
    let tgs: Vec<Tg> = tgs_json
        .iter()
        .map(|t| Tg {
            name: s(t, "name").into(),
            port: t["port"].as_i64().unwrap_or(-1),
            stack: tag(t, "service.k8s.aws/stack").or(tag(t, "ingress.k8s.aws/stack")).map(String::from),
        })
        .collect();
    // Groups on instances' interfaces are node groups; groups on load balancers are theirs.
    let instances = list(dump, "instances");
    let enis = list(dump, "network_interfaces");
    let mut node_groups: BTreeSet<String> = BTreeSet::new();
    for e in enis.iter().filter(|e| e["attachment"]["instance_id"].is_string()) {
        node_groups.extend(list(e, "security_groups").iter().filter_map(Value::as_str).map(String::from));
    }
    node_groups.extend(cluster_sgs.keys().cloned());
    let lb_groups: BTreeSet<String> =
        lbs.iter().flat_map(|l| list(l, "security_groups")).filter_map(Value::as_str).map(String::from).collect();
    let role = |g: &Value| -> &'static str {
        let id = s(g, "id");
        match (tag(g, "service.k8s.aws/resource").or(tag(g, "ingress.k8s.aws/resource")), tag(g, "elbv2.k8s.aws/resource")) {
            (Some("ManagedLBSecurityGroup"), _) => "frontend",
            (_, Some("backend-sg")) => "backend",
            _ if node_groups.contains(id) => "node",
            _ if lb_groups.contains(id) => "lb",
            _ => "other",
        }
    };
    let mut vpcs = Vec::new();
    for vpc in list(dump, "vpcs") {
        let vpc_id = s(vpc, "id");
        let in_vpc = |v: &&Value| s(v, "vpc_id") == vpc_id;
        let mut edges: BTreeMap<(String, String, &'static str), (usize, Vec<String>)> = BTreeMap::new();
        let mut sources: BTreeMap<String, String> = BTreeMap::new();
        let mut group_cards = Vec::new();
        for g in groups.iter().filter(in_vpc) {
            let r = role(g);
            let id = s(g, "id");
            // Default groups nobody uses would only clutter the picture.
            let used = r != "other" || !list(g, "network_interfaces").is_empty();
            if !used {
                continue;
            }
            let mut rules = Vec::new();
            for rule in list(g, "rules") {
                let (kind, pid, plabel) = peer(rule, &names);
                let direction = s(rule, "direction");
                rules.push(json!({
                    "id": s(rule, "id"),
                    "direction": direction,
                    "family": family(rule),
                    "protocol": s(rule, "protocol"),
                    "ports": ports(rule),
                    "peer": plabel,
                    "peer_kind": kind,
                    "description": s(rule, "description"),
                    "owner": rule_owner(r, g, rule, &tgs),
                }));
                if direction != "ingress" || (kind == "group" && pid == id) {
                    continue;
                }
                let from = match kind {
                    "group" => pid.clone(),
                    _ => {
                        let key = format!("{kind}:{pid}");
                        sources.insert(
                            key.clone(),
                            if pid == "0.0.0.0/0" || pid == "::/0" { format!("{pid} (anywhere)") } else { pid.clone() },
                        );
                        key
                    }
                };
                let e = edges.entry((from, id.to_string(), "rule")).or_default();
                e.0 += 1;
                e.1.push(ports(rule));
            }
            let usage = &g["rule_usage"];
            group_cards.push(json!({
                "id": id,
                "name": s(g, "name"),
                "description": s(g, "description"),
                "role": r,
                "owner": match r {
                    "frontend" => owner(g).map(|o| format!("managed frontend group of {o}")).unwrap_or_default(),
                    "backend" => format!("shared backend group of cluster {}", tag(g, "elbv2.k8s.aws/cluster").unwrap_or("?")),
                    "node" => cluster_sgs.get(id).map(|c| format!("EKS cluster group of {c} (on the nodes)")).unwrap_or_else(|| "on the nodes' interfaces".into()),
                    "lb" => "on a load balancer (user group)".into(),
                    _ => String::new(),
                },
                "rules": rules,
                "ingress_rules": usage["ingress/ipv4"].as_u64().unwrap_or(0).max(usage["ingress/ipv6"].as_u64().unwrap_or(0)),
                "rule_usage": usage,
                "rule_limit": rule_limit,
                "interfaces": list(g, "network_interfaces").len(),
            }));
        }
        let mut lb_cards = Vec::new();
        for lb in lbs.iter().filter(in_vpc) {
            let arn = s(lb, "arn");
            for g in list(lb, "security_groups").iter().filter_map(Value::as_str) {
                edges.entry((arn.to_string(), g.to_string(), "attached")).or_default().0 += 1;
            }
            let my_tgs: Vec<Value> = tgs_json
                .iter()
                .filter(|t| t.get("load_balancer").and_then(Value::as_str) == Some(arn))
                .map(|t| json!({"name": s(t, "name"), "port": t["port"], "protocol": s(t, "protocol"), "target_type": s(t, "target_type"), "targets": list(t, "targets").len()}))
                .collect();
            let kind = s(lb, "type");
            lb_cards.push(json!({
                "id": arn,
                "name": s(lb, "name"),
                "type": kind,
                "label": match kind { "network" => "NLB", "application" => "ALB", "gateway" => "GWLB", other => other },
                "scheme": s(lb, "scheme"),
                "dns_name": s(lb, "dns_name"),
                "security_groups": lb["security_groups"],
                "owner": owner(lb),
                "listeners": listeners.iter().filter(|l| s(l, "load_balancer") == arn).map(|l| format!("{} {}", s(l, "protocol"), l["port"])).collect::<Vec<_>>(),
                "target_groups": my_tgs,
            }));
        }
        let mut inst_cards = Vec::new();
        for i in instances.iter().filter(in_vpc).filter(|i| s(i, "state") != "terminated") {
            let iid = s(i, "id");
            let mine: Vec<Value> = enis
                .iter()
                .filter(|e| e["attachment"]["instance_id"].as_str() == Some(iid))
                .map(|e| json!({"id": s(e, "id"), "private_ip": s(e, "private_ip_address"), "security_groups": e["security_groups"], "primary": e["attachment"]["device_index"] == 0}))
                .collect();
            for e in &mine {
                for g in list(e, "security_groups").iter().filter_map(Value::as_str) {
                    edges.entry((g.to_string(), iid.to_string(), "interface")).or_default().0 += 1;
                }
            }
            inst_cards.push(json!({
                "id": iid,
                "name": tag(i, "Name").unwrap_or(""),
                "state": s(i, "state"),
                "instance_type": s(i, "instance_type"),
                "private_ip": s(i, "private_ip_address"),
                "availability_zone": s(i, "availability_zone"),
                "interfaces": mine,
            }));
        }
        if lb_cards.is_empty() && inst_cards.is_empty() && group_cards.iter().all(|g| g["role"] == "other") {
            continue;
        }
        let edges: Vec<Value> = edges
            .into_iter()
            .map(|((from, to, kind), (n, ports))| {
                let label = match (kind, ports.as_slice()) {
                    ("rule", [one]) => one.clone(),
                    ("rule", many) => format!("{} rules · {}", many.len(), span(many)),
                    ("interface", _) if n > 1 => format!("{n} interfaces"),
                    _ => String::new(),
                };
                json!({"from": from, "to": to, "kind": kind, "rules": if kind == "rule" { n } else { 0 }, "label": label})
            })
            .collect();
        vpcs.push(json!({
            "id": vpc_id,
            "cidr": s(vpc, "cidr_block"),
            "name": tag(vpc, "Name").unwrap_or(""),
            "sources": sources.into_iter().map(|(id, label)| json!({"id": id, "label": label})).collect::<Vec<_>>(),
            "load_balancers": lb_cards,
            "groups": group_cards,
            "instances": inst_cards,
            "edges": edges,
        }));
    }
    let quotas: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({"quota": r.quota, "label": quota_label(&r.quota), "scope": scope_label(&r.scope, &names),
                   "used": r.used, "limit": r.limit, "percent": if r.percent.is_finite() { r.percent } else { 100.0 }})
        })
        .collect();
    json!({"account": account, "region": region, "vpcs": vpcs, "quotas": quotas})
}

/// `tcp 30000–30059` from `tcp 30000`, `tcp 30001`, …: the port span of one protocol, or the
/// distinct port texts when protocols mix.
fn span(ports: &[String]) -> String {
    let mut protos = BTreeSet::new();
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for p in ports {
        let (proto, rest) = p.split_once(' ').unwrap_or((p, ""));
        protos.insert(proto.to_string());
        for n in rest.split('–').filter_map(|x| x.parse::<i64>().ok()) {
            lo = lo.min(n);
            hi = hi.max(n);
        }
    }
    match (protos.len(), lo <= hi) {
        (1, true) if lo == hi => format!("{} {lo}", protos.first().map(String::as_str).unwrap_or("")),
        (1, true) => format!("{} {lo}–{hi}", protos.first().map(String::as_str).unwrap_or("")),
        _ => {
            let d: BTreeSet<&String> = ports.iter().collect();
            d.into_iter().cloned().collect::<Vec<_>>().join(", ")
        }
    }
}

/// The whole view model.
pub fn build(app: &App, live: &Registry) -> Value {
    let clusters = live.list();
    let mut regions = Vec::new();
    for (a, r) in app.store.keys() {
        let cluster_sgs: BTreeMap<String, String> = clusters
            .iter()
            .filter(|c| c.loaded.account == a && c.loaded.region == r)
            .map(|c| (c.loaded.cluster_sg_id.clone(), c.loaded.name.clone()))
            .collect();
        let (dump, mut rows) = app.store.with_region(&a, &r, |g| (state_dump::region_json(g), state_dump::region_usage(g)));
        state_dump::sort(&mut rows);
        regions.push(region(&dump, &a, &r, rows, &cluster_sgs));
    }
    let clusters: Vec<Value> = clusters
        .iter()
        .map(|c| {
            let store = c.store.lock();
            let l = &c.loaded;
            let events: Vec<Value> =
                store.events.iter().rev().take(RECENT).map(|e| serde_json::to_value(e).unwrap_or(Value::Null)).collect();
            let services: Vec<Value> = store.services.values().map(crate::world::k8s_endpoints::service_row).collect();
            json!({"name": l.name, "account": l.account, "region": l.region, "vpc_id": l.vpc_id,
                   "cluster_security_group_id": l.cluster_sg_id, "nodes": l.nodes.len(), "services": services, "events": events})
        })
        .collect();
    let (requests, last_seq, _) = app.log.query(&Query { limit: Some(RECENT), ..Query::default() });
    let requests: Vec<Value> = requests.into_iter().rev().map(|e| serde_json::to_value(e).unwrap_or(Value::Null)).collect();
    let mut out = Map::new();
    out.insert("time".into(), app.store.now().to_rfc3339().into());
    out.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    out.insert("clusters".into(), clusters.into());
    out.insert("regions".into(), regions.into());
    out.insert("requests".into(), requests.into());
    out.insert("last_seq".into(), last_seq.into());
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_spans_read_as_one_range() {
        let p: Vec<String> = (30000..30060).map(|n| format!("tcp {n}")).collect();
        assert_eq!(span(&p), "tcp 30000–30059");
        assert_eq!(span(&["tcp 80".into(), "udp 53".into()]), "tcp 80, udp 53");
        assert_eq!(ports(&json!({"protocol": "tcp", "from_port": 30000, "to_port": 30002})), "tcp 30000–30002");
        assert_eq!(ports(&json!({"protocol": "-1", "from_port": -1, "to_port": -1})), "all traffic");
    }

    #[test]
    fn scopes_get_names() {
        let names = BTreeMap::from([("sg-1".to_string(), "nodes".to_string())]);
        assert_eq!(scope_label("sg-1 ingress/ipv4", &names), "nodes (sg-1) ingress/ipv4");
        assert_eq!(
            scope_label("arn:aws:elasticloadbalancing:us-east-1:0:loadbalancer/net/web/abc", &names),
            "web (arn:aws:elasticloadbalancing:us-east-1:0:loadbalancer/net/web/abc)"
        );
        assert_eq!(scope_label("region", &names), "region");
    }
}
