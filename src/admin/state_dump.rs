//! `GET /_lbsim/state` and `GET /_lbsim/usage`: every Region's resources as JSON, and quota usage
//! rows (rules per group per direction/family bucket, groups per Region, groups per interface
//! and the rules × groups product, VPCs, subnets, interfaces, plus ELBv2's own rows).
//!
//! Both run inside `Store::with_region`'s synchronous closure: one Region locked at a time, and
//! only while it is read. Rules keep their ids and creation order; tags are shown per resource.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::state::Region;
use crate::state::ec2::{Eni, Instance, Peer, PrefixList, Rule, SecurityGroup, Subnet, Vpc};

// The view structs below borrow from the Region (the dump is built under its lock and serialized
// at once) and list their fields in alphabetical order: that is the order the `json!` maps they
// replaced were written in, so the document stays byte for byte what clients already parse.

type TagView<'a> = BTreeMap<&'a str, &'a str>;

fn tags<'a>(r: &'a Region, id: &str) -> TagView<'a> {
    r.tags().get(id).iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339())
}

/// One Region's resources, in creation order.
#[derive(Serialize)]
pub struct RegionView<'a> {
    availability_zones: Vec<AzView<'a>>,
    elbv2: Value,
    instances: Vec<InstanceView<'a>>,
    network_interfaces: Vec<EniView<'a>>,
    prefix_lists: Vec<PrefixListView<'a>>,
    security_groups: Vec<GroupView<'a>>,
    subnets: Vec<SubnetView<'a>>,
    vpcs: Vec<VpcView<'a>>,
}

#[derive(Serialize)]
struct AzView<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct VpcView<'a> {
    cidr_block: String,
    cidr_block_association_id: &'a str,
    default_security_group: &'a str,
    dhcp_options_id: &'a str,
    id: &'a str,
    instance_tenancy: &'a str,
    ipv6_cidr_block: Option<String>,
    is_default: bool,
    tags: TagView<'a>,
}

impl<'a> VpcView<'a> {
    fn new(r: &'a Region, v: &'a Vpc) -> Self {
        VpcView {
            cidr_block: v.cidr.to_string(),
            cidr_block_association_id: &v.cidr_association_id,
            default_security_group: &v.default_sg,
            dhcp_options_id: &v.dhcp_options_id,
            id: &v.id,
            instance_tenancy: &v.instance_tenancy,
            ipv6_cidr_block: v.ipv6_cidr.as_ref().map(|(n, _)| n.to_string()),
            is_default: v.is_default,
            tags: tags(r, &v.id),
        }
    }
}

#[derive(Serialize)]
struct SubnetView<'a> {
    availability_zone: &'a str,
    availability_zone_id: &'a str,
    available_ip_address_count: u64,
    cidr_block: String,
    default_for_az: bool,
    id: &'a str,
    map_public_ip_on_launch: bool,
    tags: TagView<'a>,
    vpc_id: &'a str,
}

impl<'a> SubnetView<'a> {
    fn new(r: &'a Region, s: &'a Subnet) -> Self {
        SubnetView {
            availability_zone: &s.az,
            availability_zone_id: &s.az_id,
            available_ip_address_count: s.available(),
            cidr_block: s.cidr.to_string(),
            default_for_az: s.default_for_az,
            id: &s.id,
            map_public_ip_on_launch: s.map_public_ip_on_launch,
            tags: tags(r, &s.id),
            vpc_id: &s.vpc_id,
        }
    }
}

const BUCKETS: [&str; 4] = ["ingress/ipv4", "ingress/ipv6", "egress/ipv4", "egress/ipv6"];

#[derive(Serialize)]
struct GroupView<'a> {
    description: &'a str,
    id: &'a str,
    name: &'a str,
    network_interfaces: &'a std::collections::BTreeSet<String>,
    owner_id: &'a str,
    rule_usage: BTreeMap<&'static str, u64>,
    rules: Vec<RuleView<'a>>,
    tags: TagView<'a>,
    vpc_id: &'a str,
}

impl<'a> GroupView<'a> {
    fn new(r: &'a Region, g: &'a SecurityGroup) -> Self {
        GroupView {
            description: &g.description,
            id: &g.id,
            name: &g.name,
            network_interfaces: r.enis_with_sg(&g.id),
            owner_id: &g.owner_id,
            rule_usage: BUCKETS.into_iter().zip(r.bucket_usage(&g.rules)).collect(),
            rules: g.rules.iter().map(|x| RuleView::new(r, x)).collect(),
            tags: tags(r, &g.id),
            vpc_id: &g.vpc_id,
        }
    }
}

#[derive(Serialize)]
struct RuleView<'a> {
    description: Option<&'a str>,
    direction: &'static str,
    from_port: Option<i32>,
    id: &'a str,
    peer: PeerView<'a>,
    protocol: &'a str,
    tags: TagView<'a>,
    to_port: Option<i32>,
    weight: u64,
}

/// Exactly one key, named after the kind of peer.
#[derive(Serialize)]
#[serde(untagged)]
enum PeerView<'a> {
    Cidr4 { cidr_ipv4: String },
    Cidr6 { cidr_ipv6: String },
    PrefixList { prefix_list_id: &'a str },
    Group { group_id: &'a str, user_id: &'a str },
}

impl<'a> RuleView<'a> {
    fn new(r: &'a Region, x: &'a Rule) -> Self {
        let peer = match &x.peer {
            Peer::Cidr4(n) => PeerView::Cidr4 { cidr_ipv4: n.to_string() },
            Peer::Cidr6(n) => PeerView::Cidr6 { cidr_ipv6: n.to_string() },
            Peer::PrefixList(p) => PeerView::PrefixList { prefix_list_id: p },
            Peer::Group(g) => PeerView::Group { group_id: &g.group_id, user_id: &g.user_id },
        };
        RuleView {
            description: x.description.as_deref(),
            direction: if x.egress { "egress" } else { "ingress" },
            from_port: x.from_port,
            id: &x.id,
            peer,
            protocol: &x.protocol,
            tags: tags(r, &x.id),
            to_port: x.to_port,
            weight: r.rule_weight(x),
        }
    }
}

#[derive(Serialize)]
struct InstanceView<'a> {
    availability_zone: &'a str,
    id: &'a str,
    image_id: &'a str,
    instance_type: &'a str,
    key_name: Option<&'a str>,
    launch_time: String,
    primary_network_interface: &'a str,
    private_ip_address: &'a str,
    reservation_id: &'a str,
    security_groups: &'a [String],
    state: &'static str,
    subnet_id: &'a str,
    tags: TagView<'a>,
    terminated_at: Option<String>,
    vpc_id: &'a str,
}

impl<'a> InstanceView<'a> {
    fn new(r: &'a Region, i: &'a Instance) -> Self {
        InstanceView {
            availability_zone: &i.az,
            id: &i.id,
            image_id: &i.image_id,
            instance_type: &i.instance_type,
            key_name: i.key_name.as_deref(),
            launch_time: i.launch_time.to_rfc3339(),
            primary_network_interface: &i.primary_eni,
            private_ip_address: &i.private_ip,
            reservation_id: &i.reservation_id,
            security_groups: r.enis().get(&i.primary_eni).map_or(&[], |e| e.groups.as_slice()),
            state: i.state.name(),
            subnet_id: &i.subnet_id,
            tags: tags(r, &i.id),
            terminated_at: time(i.terminated_at),
            vpc_id: &i.vpc_id,
        }
    }
}

#[derive(Serialize)]
struct EniView<'a> {
    attachment: Option<AttachmentView<'a>>,
    availability_zone: &'a str,
    description: &'a str,
    id: &'a str,
    interface_type: &'a str,
    mac_address: &'a str,
    private_ip_address: &'a str,
    release_at: Option<String>,
    requester_id: Option<&'a str>,
    requester_managed: bool,
    security_groups: &'a [String],
    source_dest_check: bool,
    status: &'a str,
    subnet_id: &'a str,
    tags: TagView<'a>,
    vpc_id: &'a str,
}

#[derive(Serialize)]
struct AttachmentView<'a> {
    attach_time: String,
    attachment_id: &'a str,
    delete_on_termination: bool,
    device_index: u32,
    instance_id: Option<&'a str>,
    instance_owner_id: &'a str,
}

impl<'a> EniView<'a> {
    fn new(r: &'a Region, e: &'a Eni) -> Self {
        EniView {
            attachment: e.attachment.as_ref().map(|a| AttachmentView {
                attach_time: a.attach_time.to_rfc3339(),
                attachment_id: &a.attachment_id,
                delete_on_termination: a.delete_on_termination,
                device_index: a.device_index,
                instance_id: a.instance_id.as_deref(),
                instance_owner_id: &a.instance_owner_id,
            }),
            availability_zone: &e.az,
            description: &e.description,
            id: &e.id,
            interface_type: &e.interface_type,
            mac_address: &e.mac_address,
            private_ip_address: &e.private_ip,
            release_at: time(e.release_at),
            requester_id: e.requester_id.as_deref(),
            requester_managed: e.requester_managed,
            security_groups: &e.groups,
            source_dest_check: e.source_dest_check,
            status: &e.status,
            subnet_id: &e.subnet_id,
            tags: tags(r, &e.id),
            vpc_id: &e.vpc_id,
        }
    }
}

#[derive(Serialize)]
struct PrefixListView<'a> {
    address_family: &'a str,
    aws_managed: bool,
    entries: Vec<EntryView<'a>>,
    id: &'a str,
    max_entries: u32,
    name: &'a str,
    owner_id: &'a str,
    tags: TagView<'a>,
    version: u64,
}

#[derive(Serialize)]
struct EntryView<'a> {
    cidr: &'a str,
    description: Option<&'a str>,
}

impl<'a> PrefixListView<'a> {
    fn new(r: &'a Region, p: &'a PrefixList) -> Self {
        PrefixListView {
            address_family: &p.address_family,
            aws_managed: p.aws_managed,
            entries: p.entries.iter().map(|(c, d)| EntryView { cidr: c, description: d.as_deref() }).collect(),
            id: &p.id,
            max_entries: p.max_entries,
            name: &p.name,
            owner_id: &p.owner_id,
            tags: tags(r, &p.id),
            version: p.version,
        }
    }
}

/// One Region's resources as a view to serialize (under the Region's lock).
pub fn region_view(r: &Region) -> RegionView<'_> {
    RegionView {
        availability_zones: r.azs().iter().map(|a| AzView { id: &a.id, name: &a.name }).collect(),
        elbv2: r.elb().dump(),
        instances: r.instances().values().map(|i| InstanceView::new(r, i)).collect(),
        network_interfaces: r.enis().values().map(|e| EniView::new(r, e)).collect(),
        prefix_lists: r.prefix_lists().values().map(|p| PrefixListView::new(r, p)).collect(),
        security_groups: r.sgs().values().map(|g| GroupView::new(r, g)).collect(),
        subnets: r.subnets().values().map(|s| SubnetView::new(r, s)).collect(),
        vpcs: r.vpcs().values().map(|v| VpcView::new(r, v)).collect(),
    }
}

/// One Region's resources as a JSON value (for callers that merge it into a larger document).
pub fn region_json(r: &Region) -> Value {
    serde_json::to_value(region_view(r)).unwrap_or(Value::Null)
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
