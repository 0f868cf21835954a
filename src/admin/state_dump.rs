//! `GET /_lbsim/state` and `GET /_lbsim/usage`: every Region's resources as JSON, and quota usage
//! rows (rules per group per direction/family bucket, groups per Region, groups per interface
//! and the rules × groups product, VPCs, subnets, interfaces, plus ELBv2's own rows).
//!
//! Both run inside `Store::with_region`'s synchronous closure: one Region locked at a time, and
//! only while it is read. Rules keep their ids and creation order; tags are shown per resource.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::state::Region;
use crate::state::ec2::{Peer, Rule};

fn tags(r: &Region, id: &str) -> Value {
    Value::Object(r.tags().get(id).iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<Map<_, _>>())
}

fn rule(r: &Region, x: &Rule) -> Value {
    let mut v = json!({
        "id": x.id,
        "direction": if x.egress { "egress" } else { "ingress" },
        "protocol": x.protocol,
        "from_port": x.from_port,
        "to_port": x.to_port,
        "description": x.description,
        "weight": r.rule_weight(x),
        "tags": tags(r, &x.id),
    });
    let peer = match &x.peer {
        Peer::Cidr4(n) => json!({ "cidr_ipv4": n.to_string() }),
        Peer::Cidr6(n) => json!({ "cidr_ipv6": n.to_string() }),
        Peer::PrefixList(p) => json!({ "prefix_list_id": p }),
        Peer::Group { group_id, user_id } => json!({ "group_id": group_id, "user_id": user_id }),
    };
    v["peer"] = peer;
    v
}

const BUCKETS: [&str; 4] = ["ingress/ipv4", "ingress/ipv6", "egress/ipv4", "egress/ipv6"];

/// One Region's resources, in creation order.
pub fn region_json(r: &Region) -> Value {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339());
    json!({
        "availability_zones": r.azs().iter().map(|a| json!({ "name": a.name, "id": a.id })).collect::<Vec<_>>(),
        "vpcs": r.vpcs().values().map(|v| json!({
            "id": v.id,
            "cidr_block": v.cidr.to_string(),
            "cidr_block_association_id": v.cidr_association_id,
            "ipv6_cidr_block": v.ipv6_cidr.as_ref().map(|(n, _)| n.to_string()),
            "is_default": v.is_default,
            "instance_tenancy": v.instance_tenancy,
            "dhcp_options_id": v.dhcp_options_id,
            "default_security_group": v.default_sg,
            "tags": tags(r, &v.id),
        })).collect::<Vec<_>>(),
        "subnets": r.subnets().values().map(|s| json!({
            "id": s.id,
            "vpc_id": s.vpc_id,
            "availability_zone": s.az,
            "availability_zone_id": s.az_id,
            "cidr_block": s.cidr.to_string(),
            "default_for_az": s.default_for_az,
            "map_public_ip_on_launch": s.map_public_ip_on_launch,
            "available_ip_address_count": s.available(),
            "tags": tags(r, &s.id),
        })).collect::<Vec<_>>(),
        "security_groups": r.sgs().values().map(|g| {
            let usage = r.bucket_usage(&g.rules);
            json!({
                "id": g.id,
                "name": g.name,
                "description": g.description,
                "vpc_id": g.vpc_id,
                "owner_id": g.owner_id,
                "rules": g.rules.iter().map(|x| rule(r, x)).collect::<Vec<_>>(),
                "rule_usage": BUCKETS.iter().zip(usage).map(|(b, n)| (b.to_string(), Value::from(n))).collect::<Map<_, _>>(),
                "network_interfaces": r.enis_with_sg(&g.id).iter().collect::<Vec<_>>(),
                "tags": tags(r, &g.id),
            })
        }).collect::<Vec<_>>(),
        "instances": r.instances().values().map(|i| json!({
            "id": i.id,
            "reservation_id": i.reservation_id,
            "image_id": i.image_id,
            "instance_type": i.instance_type,
            "key_name": i.key_name,
            "state": i.state.name(),
            "subnet_id": i.subnet_id,
            "vpc_id": i.vpc_id,
            "availability_zone": i.az,
            "private_ip_address": i.private_ip,
            "launch_time": i.launch_time.to_rfc3339(),
            "primary_network_interface": i.primary_eni,
            "security_groups": r.enis().get(&i.primary_eni).map(|e| e.groups.clone()).unwrap_or_default(),
            "terminated_at": time(i.terminated_at),
            "tags": tags(r, &i.id),
        })).collect::<Vec<_>>(),
        "network_interfaces": r.enis().values().map(|e| json!({
            "id": e.id,
            "subnet_id": e.subnet_id,
            "vpc_id": e.vpc_id,
            "availability_zone": e.az,
            "description": e.description,
            "private_ip_address": e.private_ip,
            "mac_address": e.mac_address,
            "security_groups": e.groups,
            "interface_type": e.interface_type,
            "requester_managed": e.requester_managed,
            "requester_id": e.requester_id,
            "source_dest_check": e.source_dest_check,
            "status": e.status,
            "attachment": e.attachment.as_ref().map(|a| json!({
                "attachment_id": a.attachment_id,
                "instance_id": a.instance_id,
                "instance_owner_id": a.instance_owner_id,
                "device_index": a.device_index,
                "delete_on_termination": a.delete_on_termination,
                "attach_time": a.attach_time.to_rfc3339(),
            })),
            "release_at": time(e.release_at),
            "tags": tags(r, &e.id),
        })).collect::<Vec<_>>(),
        "prefix_lists": r.prefix_lists().values().map(|p| json!({
            "id": p.id,
            "name": p.name,
            "address_family": p.address_family,
            "max_entries": p.max_entries,
            "entries": p.entries.iter().map(|(c, d)| json!({ "cidr": c, "description": d })).collect::<Vec<_>>(),
            "aws_managed": p.aws_managed,
            "owner_id": p.owner_id,
            "version": p.version,
            "tags": tags(r, &p.id),
        })).collect::<Vec<_>>(),
        "elbv2": r.elb().dump(),
    })
}

/// One quota-usage row.
#[derive(Debug, Clone, Serialize)]
pub struct UsageRow {
    pub account: String,
    pub region: String,
    pub quota: String,
    /// What the quota is counted over: `region`, a group id and bucket, an interface id, a VPC id…
    pub scope: String,
    pub used: u64,
    pub limit: u64,
    /// used / limit × 100, rounded to 0.1.
    pub percent: f64,
}

impl UsageRow {
    fn new(r: &Region, quota: &str, scope: impl Into<String>, used: u64, limit: u64) -> UsageRow {
        let percent =
            if limit == 0 { if used == 0 { 0.0 } else { f64::INFINITY } } else { (used as f64 * 1000.0 / limit as f64).round() / 10.0 };
        UsageRow { account: r.account.clone(), region: r.name.clone(), quota: quota.into(), scope: scope.into(), used, limit, percent }
    }
}

/// Every usage row of one Region (unordered; `sort` orders them).
pub fn region_usage(r: &Region) -> Vec<UsageRow> {
    let q = &r.quotas;
    let mut rows = vec![
        UsageRow::new(r, "security-groups-per-region", "region", r.sgs().len() as u64, q.security_groups_per_region),
        UsageRow::new(r, "vpcs-per-region", "region", r.vpcs().len() as u64, q.vpcs_per_region),
        UsageRow::new(r, "network-interfaces-per-region", "region", r.enis().len() as u64, q.network_interfaces_per_region),
    ];
    let mut largest = std::collections::HashMap::new();
    for g in r.sgs().values() {
        let usage = r.bucket_usage(&g.rules);
        largest.insert(g.id.as_str(), usage.iter().copied().max().unwrap_or(0));
        for (b, n) in BUCKETS.iter().zip(usage) {
            if n > 0 {
                rows.push(UsageRow::new(r, "rules-per-security-group", format!("{} {b}", g.id), n, q.rules_per_security_group));
            }
        }
    }
    for v in r.vpcs().values() {
        let n = r.subnets().values().filter(|s| s.vpc_id == v.id).count() as u64;
        rows.push(UsageRow::new(r, "subnets-per-vpc", v.id.clone(), n, q.subnets_per_vpc));
    }
    for e in r.enis().values().filter(|e| !e.groups.is_empty()) {
        let n = e.groups.len() as u64;
        let max = e.groups.iter().filter_map(|g| largest.get(g.as_str())).copied().max().unwrap_or(0);
        rows.push(UsageRow::new(r, "security-groups-per-network-interface", e.id.clone(), n, q.security_groups_per_interface));
        rows.push(UsageRow::new(r, "rules-times-groups-per-interface", e.id.clone(), n * max, q.rules_times_groups_per_interface));
    }
    for (quota, scope, used, limit) in r.elb().usage(q) {
        rows.push(UsageRow::new(r, &quota, scope, used, limit));
    }
    rows
}

/// Largest first: by share of the limit, then by absolute use, then by name for a stable order.
pub fn sort(rows: &mut [UsageRow]) {
    rows.sort_by(|a, b| {
        b.percent
            .total_cmp(&a.percent)
            .then(b.used.cmp(&a.used))
            .then_with(|| (&a.account, &a.region, &a.quota, &a.scope).cmp(&(&b.account, &b.region, &b.quota, &b.scope)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Quotas, RegionSettings};

    #[test]
    fn usage_rows_cover_rules_groups_and_regions_largest_first() {
        let q = Quotas { rules_per_security_group: 4, ..Quotas::default() };
        let mut r = Region::new("000000000000", "us-east-1", q, RegionSettings::default(), 1, chrono::Utc::now());
        let sg = r.default_vpc().unwrap().default_sg.clone();
        let extra = r.new_rule(false, "tcp", Some(80), Some(80), Peer::Cidr4("10.0.0.0/8".parse().unwrap()), None);
        r.add_rules(&sg, vec![extra]);
        let mut rows = region_usage(&r);
        sort(&mut rows);
        // Ingress v4: the self-reference (both buckets) and the CIDR rule: 2 of 4.
        assert_eq!(
            (rows[0].quota.as_str(), rows[0].scope.clone(), rows[0].used, rows[0].percent),
            ("rules-per-security-group", format!("{sg} ingress/ipv4"), 2, 50.0)
        );
        assert!(rows.iter().any(|x| x.quota == "vpcs-per-region" && x.used == 1 && x.limit == 5));
        assert!(rows.iter().any(|x| x.quota == "subnets-per-vpc" && x.used == 6));
        let dump = region_json(&r);
        let rules = dump["security_groups"][0]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[2]["peer"]["cidr_ipv4"], "10.0.0.0/8");
        assert_eq!(rules[0]["peer"]["group_id"], sg.as_str());
    }
}
