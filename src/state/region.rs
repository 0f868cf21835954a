//! `Region`: everything one lock protects for one (account, region): EC2 and ELBv2 resources,
//! the quota table, the id generator, tags and every index.
//!
//! Invariant: the collections and indexes are private to `state`; outside it they are read
//! through the accessors (`vpcs()`, `sgs()`, `sg(id)`, `enis_with_sg(g)`, `elb()`, …) and changed
//! only through the methods here (and the ELBv2 ones at the end of elbv2.rs), each of which
//! updates every index it touches: `sg_by_name`, `sgs_by_vpc`, `rule_owner`, `sg_refs`,
//! `enis_by_sg`, tags, subnets' used addresses, `due`, and ELBv2's own. Action code validates
//! first and calls the mutators only to commit; nothing here checks a request.

use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};
use compact_str::CompactString;
use indexmap::IndexMap;
use ipnet::Ipv4Net;

use super::ec2::*;
use super::elbv2::Elbv2;
use super::ids::IdGen;
use super::quotas::{Quotas, RefBucket};
use super::render_cache::RenderCache;
use super::tags::TagStore;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// Region-level switches that are not quotas. Unknown keys are refused (a typo must not leave a
/// switch at its default).
// Not Eq: the throttling rates are floats.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegionSettings {
    /// NLBs accept security groups (false models a Region without that feature).
    pub nlb_security_groups: bool,
    /// Seconds an NLB stays `provisioning` before it is `active`.
    pub lb_provisioning_seconds: u64,
    /// Seconds an NLB's interfaces linger after DeleteLoadBalancer.
    pub lb_eni_release_seconds: u64,
    /// Seconds a newly registered target stays `initial` before health checks pass; unset
    /// means the target group's interval × healthy threshold (0: healthy at once).
    pub target_healthy_seconds: Option<u64>,
    /// A load balancer's security groups must be in its VPC, as AWS enforces; false accepts
    /// any group of the account (moto's leniency, for running suites written against moto).
    pub elb_security_group_vpc_check: bool,
    /// The ELB service validates the security groups of CreateLoadBalancer and SetSecurityGroups
    /// against the interface quotas before anything is created (it calls
    /// ValidateSecurityGroupQuotasForInterface on the caller's behalf, since September 2026).
    /// false replays the time before: the load balancer's interfaces may then break the quotas.
    pub elb_validates_sg_quotas: bool,
    /// The ELBv2 error code that check answers with [unverified: AWS's code is not documented].
    pub elb_sg_quota_error: String,
    /// What an internet-facing load balancer needs of its subnets: `vpc-gateway` (AWS's observed
    /// check: the VPC has an attached internet gateway), `subnet-route` (also each subnet's route
    /// table routes to it [unverified: the console only warns]) or `none`.
    pub internet_facing_requires: InternetFacingCheck,
    /// AWS's API rate limits (throttle.rs): `off` (default) or `aws`.
    pub throttling: super::throttle::Throttling,
    /// Per-category overrides of the rates `throttling: aws` uses (`ec2-mutating: {capacity: 50, refill: 5}`).
    pub throttle_rates: std::collections::BTreeMap<String, super::throttle::Rate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InternetFacingCheck {
    #[default]
    VpcGateway,
    SubnetRoute,
    None,
}

impl Default for RegionSettings {
    fn default() -> Self {
        RegionSettings {
            nlb_security_groups: true,
            lb_provisioning_seconds: 0,
            lb_eni_release_seconds: 0,
            target_healthy_seconds: None,
            elb_validates_sg_quotas: true,
            elb_sg_quota_error: "InvalidConfigurationRequest".into(),
            internet_facing_requires: InternetFacingCheck::VpcGateway,
            throttling: super::throttle::Throttling::Off,
            throttle_rates: std::collections::BTreeMap::new(),
            elb_security_group_vpc_check: true,
        }
    }
}

/// One (account, Region). Plain settings (`account`, `name`, `partition`, `quotas`, `settings`)
/// and the id generator are open; the collections and indexes are visible to `state` only (the
/// snapshot restore and the ELBv2 half of `Region` live in sibling files) and are read through
/// the accessors below and changed only through the methods that keep every index true.
pub struct Region {
    pub account: String,
    pub name: String,
    pub partition: &'static str,
    pub quotas: Quotas,
    pub settings: RegionSettings,
    pub ids: IdGen,
    pub(super) azs: Vec<Az>,
    pub(super) vpcs: IndexMap<String, Vpc>,
    pub(super) subnets: IndexMap<String, Subnet>,
    pub(super) sgs: IndexMap<CompactString, SecurityGroup, super::IdHasher>,
    pub(super) instances: IndexMap<String, Instance>,
    pub(super) enis: IndexMap<String, Eni>,
    pub(super) prefix_lists: IndexMap<String, PrefixList>,
    pub(super) route_tables: IndexMap<String, RouteTable>,
    pub(super) igws: IndexMap<String, InternetGateway>,
    /// Indexes of routing.rs: association id → table, subnet → its explicitly associated table,
    /// VPC → main table, VPC → attached internet gateway.
    pub(super) rt_by_assoc: HashMap<String, String>,
    pub(super) rt_by_subnet: HashMap<String, String>,
    pub(super) main_rt: HashMap<String, String>,
    pub(super) igw_by_vpc: HashMap<String, String>,
    pub(super) tags: TagStore,
    pub(super) elb: Elbv2,
    /// (vpc id, lower-cased name) → group id; names are unique per VPC, case-insensitively.
    pub(super) sg_by_name: HashMap<(String, String), String>,
    pub(super) sgs_by_vpc: HashMap<String, BTreeSet<String>>,
    /// Rule id → group id, both inline (`CompactString`: an EC2 id fits its 24 bytes), so the
    /// index costs no allocation per rule.
    pub(super) rule_owner: HashMap<CompactString, CompactString>,
    /// Referenced group → referencing group → number of rules (for DependencyViolation).
    pub(super) sg_refs: HashMap<String, HashMap<String, u32>>,
    /// Group → interfaces carrying it.
    pub(super) enis_by_sg: HashMap<String, BTreeSet<String>>,
    /// Timed removals (an NLB's released interfaces, terminated instances), soonest first, so
    /// `expire` costs nothing when nothing is due.
    pub(super) due: BTreeSet<(DateTime<Utc>, String)>,
    /// Rendered describe fragments; every mutator of a group, its rules or its tags forgets
    /// the group's (render_cache.rs).
    pub(super) rendered: RenderCache,
}

/// What an index lookup answers when nothing is indexed under the key.
static NONE: BTreeSet<String> = BTreeSet::new();

/// `us-east-1` → `use1`, `ap-southeast-2` → `apse2`: AWS's zone-id prefix.
fn region_code(region: &str) -> String {
    let parts: Vec<&str> = region.split('-').collect();
    if parts.len() < 3 {
        return region.replace('-', "");
    }
    let dir = match parts[1] {
        "east" => "e",
        "west" => "w",
        "north" => "n",
        "south" => "s",
        "central" => "c",
        "southeast" => "se",
        "northeast" => "ne",
        "northwest" => "nw",
        "southwest" => "sw",
        other => other,
    };
    format!("{}{}{}", parts[0], dir, parts[2])
}

pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

impl Region {
    /// A Region as AWS hands it to a new account: the AZ list, a default VPC (172.31.0.0/16)
    /// with one /20 default subnet per AZ and its default security group (aws-api.md §2.7),
    /// and the AWS-managed prefix lists.
    pub fn new(account: &str, name: &str, quotas: Quotas, settings: RegionSettings, seed: u64, now: DateTime<Utc>) -> Region {
        let n_azs = match name {
            "us-east-1" => 6,
            "us-west-2" => 4,
            _ => 3,
        };
        let code = region_code(name);
        let azs =
            (0..n_azs).map(|i| Az { name: format!("{name}{}", (b'a' + i as u8) as char), id: format!("{code}-az{}", i + 1) }).collect();
        let mut r = Region::empty(account, name, quotas, settings, IdGen::new(seed, account, name), azs);
        let vpc = r.create_vpc("172.31.0.0/16".parse().expect("static cidr"), true, "default");
        for i in 0..r.azs.len() {
            let cidr = Ipv4Net::new(Ipv4Addr::new(172, 31, (i as u8) * 16, 0), 20).expect("static cidr");
            let (az, az_id) = (r.azs[i].name.clone(), r.azs[i].id.clone());
            r.create_subnet(&vpc, cidr, &az, &az_id, true);
        }
        for (svc, weight) in [("s3", 1u32), ("dynamodb", 1)] {
            let id = r.ids.ec2("pl");
            let pl = PrefixList {
                id: id.clone(),
                name: format!("com.amazonaws.{name}.{svc}"),
                address_family: "IPv4".into(),
                max_entries: weight,
                entries: Vec::new(),
                aws_managed: true,
                owner_id: "AWS".into(),
                version: 1,
            };
            r.prefix_lists.insert(id, pl);
        }
        // The default VPC is public: an attached internet gateway and a default route to it in
        // the main table, which the default subnets use (aws-api.md §2.7).
        let igw = r.create_igw();
        r.attach_igw(&igw, &vpc);
        if let Some(main) = r.main_rt.get(&vpc).cloned() {
            r.add_route(
                &main,
                Route {
                    destination: "0.0.0.0/0".parse().expect("static"),
                    target: RouteTarget::Gateway(igw),
                    origin: "CreateRoute".into(),
                },
            );
        }
        let _ = now;
        r
    }

    /// A Region with nothing in it (snapshots restore into this; `new` seeds the default world).
    pub fn empty(account: &str, name: &str, quotas: Quotas, settings: RegionSettings, ids: IdGen, azs: Vec<Az>) -> Region {
        Region {
            account: account.to_string(),
            name: name.to_string(),
            partition: partition_of(name),
            quotas,
            settings,
            ids,
            azs,
            vpcs: IndexMap::new(),
            subnets: IndexMap::new(),
            sgs: IndexMap::default(),
            instances: IndexMap::new(),
            enis: IndexMap::new(),
            prefix_lists: IndexMap::new(),
            route_tables: IndexMap::new(),
            igws: IndexMap::new(),
            rt_by_assoc: HashMap::new(),
            rt_by_subnet: HashMap::new(),
            main_rt: HashMap::new(),
            igw_by_vpc: HashMap::new(),
            tags: TagStore::default(),
            elb: Elbv2::default(),
            sg_by_name: HashMap::new(),
            sgs_by_vpc: HashMap::new(),
            rule_owner: HashMap::new(),
            sg_refs: HashMap::new(),
            enis_by_sg: HashMap::new(),
            due: BTreeSet::new(),
            rendered: RenderCache::default(),
        }
    }

    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:{}:{service}:{}:{}:{resource}", self.partition, self.name, self.account)
    }

    pub fn az(&self, name: &str) -> Option<&Az> {
        self.azs.iter().find(|a| a.name == name)
    }

    // ---- read access ---------------------------------------------------------------------------
    // Collections are read through these (in creation order; positions are stable while the
    // lock is held) and changed only through the methods below, which keep every index true.

    pub fn azs(&self) -> &[Az] {
        &self.azs
    }

    pub fn vpcs(&self) -> &IndexMap<String, Vpc> {
        &self.vpcs
    }

    pub fn subnets(&self) -> &IndexMap<String, Subnet> {
        &self.subnets
    }

    pub fn sgs(&self) -> &IndexMap<CompactString, SecurityGroup, super::IdHasher> {
        &self.sgs
    }

    pub fn instances(&self) -> &IndexMap<String, Instance> {
        &self.instances
    }

    pub fn enis(&self) -> &IndexMap<String, Eni> {
        &self.enis
    }

    pub fn prefix_lists(&self) -> &IndexMap<String, PrefixList> {
        &self.prefix_lists
    }

    /// EC2 tags of every resource, with the (key, value) index filters use.
    pub fn tags(&self) -> &TagStore {
        &self.tags
    }

    /// Rendered fragments of describe answers, kept fresh by the mutators below.
    pub fn rendered(&self) -> &RenderCache {
        &self.rendered
    }

    /// Drops a group's rendered fragment (its body, rules or tags change). Only groups are
    /// rendered; other ids cost a prefix check.
    fn forget_rendered(&mut self, id: &str) {
        if id.starts_with("sg-")
            && let Some(pos) = self.sgs.get_index_of(id)
        {
            self.rendered.forget(pos);
        }
    }

    pub fn elb(&self) -> &Elbv2 {
        &self.elb
    }

    /// ELBv2 changes that touch only ELBv2 state (target groups, listeners, targets, attributes,
    /// tags); `Elbv2`'s methods keep its own indexes. Load balancers, whose interfaces are EC2
    /// state, are added, changed and deleted through `Region` (`insert_lb`, `delete_lb`, …).
    pub fn elb_mut(&mut self) -> &mut Elbv2 {
        &mut self.elb
    }

    /// Groups of a VPC (the index DeleteVpc and `vpc-id` filters use).
    pub fn sgs_in_vpc(&self, vpc: &str) -> &BTreeSet<String> {
        self.sgs_by_vpc.get(vpc).unwrap_or(&NONE)
    }

    /// Interfaces carrying a group (DeleteSecurityGroup's dependency, `group-id` filters).
    pub fn enis_with_sg(&self, sg: &str) -> &BTreeSet<String> {
        self.enis_by_sg.get(sg).unwrap_or(&NONE)
    }

    /// The group a rule belongs to.
    pub fn rule_group(&self, rule_id: &str) -> Option<&str> {
        self.rule_owner.get(rule_id).map(CompactString::as_str)
    }

    // ---- tags ----------------------------------------------------------------------------------

    /// Adds or overwrites EC2 tags on a resource the caller has found.
    pub fn set_tags(&mut self, id: &str, tags: &[(String, String)]) {
        self.forget_rendered(id);
        self.tags.set(id, tags);
    }

    /// Removes one tag key (only when it has `value`, if one is given).
    pub fn remove_tag(&mut self, id: &str, key: &str, value: Option<&str>) {
        self.forget_rendered(id);
        self.tags.remove(id, key, value);
    }

    // ---- VPCs and subnets ----------------------------------------------------------------------

    /// Commits a VPC and its `default` group (ingress from itself, egress to 0.0.0.0/0).
    pub fn create_vpc(&mut self, cidr: Ipv4Net, is_default: bool, tenancy: &str) -> String {
        let id = self.ids.ec2("vpc");
        let sg_id = self.ids.ec2("sg");
        let vpc = Vpc {
            id: id.clone(),
            cidr: cidr.trunc(),
            cidr_association_id: self.ids.ec2("vpc-cidr-assoc"),
            ipv6_cidr: None,
            is_default,
            instance_tenancy: tenancy.to_string(),
            dhcp_options_id: self.ids.ec2("dopt"),
            default_sg: sg_id.clone(),
            enable_dns_support: true,
            // AWS turns DNS hostnames on for the default VPC only.
            enable_dns_hostnames: is_default,
            enable_network_address_usage_metrics: false,
        };
        self.vpcs.insert(id.clone(), vpc);
        let owner = self.account.clone();
        self.insert_sg(SecurityGroup {
            id: sg_id.clone(),
            name: "default".into(),
            description: "default VPC security group".into(),
            vpc_id: id.clone(),
            owner_id: owner.clone(),
            rules: Vec::new(),
        });
        let ingress = self.new_rule(false, "-1", None, None, Peer::group(sg_id.clone(), owner), None);
        let egress = self.new_rule(true, "-1", None, None, Peer::Cidr4("0.0.0.0/0".parse().expect("static")), None);
        self.add_rules(&sg_id, vec![ingress, egress]);
        // Every VPC gets a main route table with the local route (AWS does the same).
        self.create_route_table(&id, true);
        id
    }

    pub fn default_vpc(&self) -> Option<&Vpc> {
        self.vpcs.values().find(|v| v.is_default)
    }

    /// Removes a VPC with its `default` group, its main route table and its tags. Callers have checked that nothing
    /// else (subnets, other groups, load balancers) is left in it.
    pub fn remove_vpc(&mut self, id: &str) -> Option<Vpc> {
        let default_sg = self.vpcs.get(id)?.default_sg.clone();
        self.remove_sg(&default_sg);
        if let Some(main) = self.main_rt.get(id).cloned() {
            self.remove_route_table(&main);
        }
        let vpc = self.vpcs.shift_remove(id)?;
        self.sgs_by_vpc.remove(id);
        self.tags.clear(id);
        Some(vpc)
    }

    /// Sets one of ModifyVpcAttribute's flags (`enableDnsSupport`, `enableDnsHostnames`,
    /// `enableNetworkAddressUsageMetrics`); the caller has checked the VPC and the name.
    pub fn set_vpc_attribute(&mut self, id: &str, attribute: &str, value: bool) {
        if let Some(v) = self.vpcs.get_mut(id) {
            match attribute {
                "enableDnsSupport" => v.enable_dns_support = value,
                "enableDnsHostnames" => v.enable_dns_hostnames = value,
                _ => v.enable_network_address_usage_metrics = value,
            }
        }
    }

    /// Makes `id` the account's default VPC, or leaves it without one (`None`), as an account
    /// whose default VPC was deleted: names of groups stop resolving, RunInstances needs a subnet.
    pub fn set_default_vpc(&mut self, id: Option<&str>) {
        for v in self.vpcs.values_mut() {
            v.is_default = Some(v.id.as_str()) == id;
        }
    }

    pub fn create_subnet(&mut self, vpc: &str, cidr: Ipv4Net, az: &str, az_id: &str, default_for_az: bool) -> String {
        let id = self.ids.ec2("subnet");
        self.subnets.insert(
            id.clone(),
            Subnet {
                id: id.clone(),
                vpc_id: vpc.to_string(),
                az: az.to_string(),
                az_id: az_id.to_string(),
                cidr: cidr.trunc(),
                default_for_az,
                map_public_ip_on_launch: default_for_az,
                used: BTreeSet::new(),
            },
        );
        id
    }

    /// Picks a free private address in a subnet (or checks a requested one) without taking it.
    pub fn free_ip(&self, subnet_id: &str, wanted: Option<Ipv4Addr>) -> ApiResult<Ipv4Addr> {
        let s = self.subnets.get(subnet_id).ok_or_else(|| ApiError::subnet_not_found(subnet_id))?;
        let base = u32::from(s.cidr.network());
        let size = 1u64 << (32 - s.cidr.prefix_len() as u64);
        if let Some(ip) = wanted {
            let off = u32::from(ip).wrapping_sub(base);
            if !s.cidr.contains(&ip) || off < 4 || off as u64 >= size - 1 {
                return Err(ApiError::invalid(format!("Address {ip} does not fall within the subnet's address range")));
            }
            if s.used.contains(&off) {
                return Err(ApiError::new(ErrorCode::InvalidIpAddressInUse, format!("Address {ip} is in use.")));
            }
            return Ok(ip);
        }
        // Offsets 0–3 and the last address are reserved by AWS.
        let mut off = 4u32;
        for &u in s.used.range(4..) {
            if u != off {
                break;
            }
            off += 1;
        }
        if off as u64 >= size - 1 {
            return Err(ApiError::new(
                ErrorCode::InsufficientFreeAddressesInSubnet,
                format!("There are not enough free addresses in subnet '{subnet_id}' to satisfy the requested number of instances."),
            ));
        }
        Ok(Ipv4Addr::from(base + off))
    }

    fn take_ip(&mut self, subnet_id: &str, ip: &str) {
        if let (Some(s), Ok(addr)) = (self.subnets.get_mut(subnet_id), ip.parse::<Ipv4Addr>()) {
            s.used.insert(u32::from(addr).wrapping_sub(u32::from(s.cidr.network())));
        }
    }

    fn release_ip(&mut self, subnet_id: &str, ip: &str) {
        if let (Some(s), Ok(addr)) = (self.subnets.get_mut(subnet_id), ip.parse::<Ipv4Addr>()) {
            s.used.remove(&u32::from(addr).wrapping_sub(u32::from(s.cidr.network())));
        }
    }

    // ---- security groups -----------------------------------------------------------------------

    pub fn insert_sg(&mut self, sg: SecurityGroup) {
        self.forget_rendered(&sg.id);
        self.sg_by_name.insert((sg.vpc_id.clone(), sg.name.to_lowercase()), sg.id.clone());
        self.sgs_by_vpc.entry(sg.vpc_id.clone()).or_default().insert(sg.id.clone());
        let (id, rules) = (sg.id.clone(), sg.rules.clone());
        self.sgs.insert(id.as_str().into(), SecurityGroup { rules: Vec::new(), ..sg });
        self.add_rules(&id, rules);
    }

    /// Removes a group, its rules and its tags. Callers have checked dependencies.
    pub fn remove_sg(&mut self, id: &str) -> Option<SecurityGroup> {
        let ids: Vec<String> = self.sgs.get(id)?.rules.iter().map(|r| r.id.to_string()).collect();
        self.remove_rules(id, &ids);
        // shift_remove keeps creation order (describes list in it); the groups after it move up.
        let (pos, _, sg) = self.sgs.shift_remove_full(id)?;
        self.rendered.removed(pos);
        self.sg_by_name.remove(&(sg.vpc_id.clone(), sg.name.to_lowercase()));
        if let Some(set) = self.sgs_by_vpc.get_mut(&sg.vpc_id) {
            set.remove(id);
        }
        self.sg_refs.remove(id);
        self.tags.clear(id);
        Some(sg)
    }

    /// Looks a group up by id, answering `InvalidGroupId.Malformed` / `InvalidGroup.NotFound`.
    pub fn sg(&self, id: &str) -> ApiResult<&SecurityGroup> {
        if !super::ids::well_formed(id, "sg") {
            return Err(ApiError::malformed_id(ErrorCode::InvalidGroupIdMalformed, id, "sg"));
        }
        self.sgs.get(id).ok_or_else(|| ApiError::sg_not_found(id))
    }

    pub fn sg_id_by_name(&self, vpc: &str, name: &str) -> Option<&String> {
        self.sg_by_name.get(&(vpc.to_string(), name.to_lowercase()))
    }

    /// Builds a rule with a fresh id (not yet committed).
    pub fn new_rule(
        &mut self,
        egress: bool,
        protocol: &str,
        from: Option<i32>,
        to: Option<i32>,
        peer: Peer,
        description: Option<String>,
    ) -> Rule {
        Rule { id: self.ids.ec2("sgr").into(), egress, protocol: protocol.into(), from_port: from, to_port: to, peer, description }
    }

    /// Appends validated rules to a group and indexes them.
    pub fn add_rules(&mut self, sg_id: &str, rules: Vec<Rule>) {
        self.forget_rendered(sg_id);
        for r in &rules {
            self.rule_owner.insert(r.id.as_str().into(), sg_id.into());
            if let Some(group_id) = r.peer.referenced_group() {
                *self.sg_refs.entry(group_id.clone()).or_default().entry(sg_id.to_string()).or_default() += 1;
            }
        }
        if let Some(sg) = self.sgs.get_mut(sg_id) {
            sg.rules.extend(rules);
        }
    }

    /// Removes rules by id from a group, with their tags and index entries.
    pub fn remove_rules(&mut self, sg_id: &str, rule_ids: &[String]) -> Vec<Rule> {
        self.forget_rendered(sg_id);
        let Some(sg) = self.sgs.get_mut(sg_id) else { return Vec::new() };
        let wanted: BTreeSet<&str> = rule_ids.iter().map(String::as_str).collect();
        let (gone, kept): (Vec<Rule>, Vec<Rule>) = std::mem::take(&mut sg.rules).into_iter().partition(|r| wanted.contains(r.id.as_str()));
        sg.rules = kept;
        for r in &gone {
            self.rule_owner.remove(r.id.as_str());
            self.tags.clear(&r.id);
            if let Some(group_id) = r.peer.referenced_group()
                && let Some(m) = self.sg_refs.get_mut(group_id)
            {
                if let Some(c) = m.get_mut(sg_id) {
                    *c -= 1;
                    if *c == 0 {
                        m.remove(sg_id);
                    }
                }
                if m.is_empty() {
                    self.sg_refs.remove(group_id);
                }
            }
        }
        gone
    }

    /// Replaces a rule's body in place (same id, position and tags), keeping `sg_refs` right
    /// when the peer changes. Used by ModifySecurityGroupRules and the description updates.
    pub fn replace_rule(&mut self, sg_id: &str, new: Rule) {
        self.forget_rendered(sg_id);
        let Some(sg) = self.sgs.get_mut(sg_id) else { return };
        let Some(slot) = sg.rules.iter_mut().find(|r| r.id == new.id) else { return };
        let old = std::mem::replace(slot, new.clone());
        if old.peer == new.peer {
            return;
        }
        if let Some(group_id) = old.peer.referenced_group()
            && let Some(m) = self.sg_refs.get_mut(group_id)
        {
            if let Some(c) = m.get_mut(sg_id) {
                *c -= 1;
                if *c == 0 {
                    m.remove(sg_id);
                }
            }
            if m.is_empty() {
                self.sg_refs.remove(group_id);
            }
        }
        if let Some(group_id) = new.peer.referenced_group() {
            *self.sg_refs.entry(group_id.clone()).or_default().entry(sg_id.to_string()).or_default() += 1;
        }
    }

    // ---- prefix lists --------------------------------------------------------------------------

    /// Looks a prefix list up by id (`InvalidPrefixListId.Malformed` / `InvalidPrefixListID.NotFound`).
    pub fn prefix_list(&self, id: &str) -> ApiResult<&PrefixList> {
        if !super::ids::well_formed(id, "pl") {
            return Err(ApiError::malformed_id(ErrorCode::InvalidPrefixListIdMalformed, id, "pl"));
        }
        self.prefix_lists.get(id).ok_or_else(|| ApiError::prefix_list_not_found(id))
    }

    pub fn insert_prefix_list(&mut self, pl: PrefixList) {
        self.prefix_lists.insert(pl.id.clone(), pl);
    }

    /// Removes a prefix list and its tags. Callers have checked that no rule references it.
    pub fn remove_prefix_list(&mut self, id: &str) -> Option<PrefixList> {
        let pl = self.prefix_lists.shift_remove(id)?;
        self.tags.clear(id);
        Some(pl)
    }

    /// Whether any security-group rule references the list (a scan: deletes are rare).
    pub fn prefix_list_in_use(&self, id: &str) -> bool {
        self.sgs.values().flat_map(|g| &g.rules).any(|r| matches!(&r.peer, Peer::PrefixList(p) if p == id))
    }

    /// Groups other than `id` itself whose rules reference `id`.
    pub fn referencing_groups(&self, id: &str) -> Vec<&String> {
        self.sg_refs.get(id).map(|m| m.keys().filter(|g| g.as_str() != id).collect()).unwrap_or_default()
    }

    /// Weight of a rule against the quota: 1, or a prefix list's MaxEntries (aws-api.md §3.1).
    pub fn rule_weight(&self, r: &Rule) -> u64 {
        match &r.peer {
            Peer::PrefixList(id) => self.prefix_lists.get(id).map(|p| p.max_entries as u64).unwrap_or(1),
            _ => 1,
        }
    }

    /// Per-bucket usage of a rule set: [ingress v4, ingress v6, egress v4, egress v6].
    pub fn bucket_usage<'a>(&self, rules: impl IntoIterator<Item = &'a Rule>) -> [u64; 4] {
        let mut u = [0u64; 4];
        for r in rules {
            let w = self.rule_weight(r);
            let dir = if r.egress { 2 } else { 0 };
            let (v4, v6) = match &r.peer {
                Peer::Cidr4(_) => (true, false),
                Peer::Cidr6(_) => (false, true),
                Peer::PrefixList(id) => {
                    let v6 = self.prefix_lists.get(id).is_some_and(|p| p.address_family == "IPv6");
                    (!v6, v6)
                }
                Peer::Group(_) => match self.quotas.group_reference_bucket {
                    RefBucket::Both => (true, true),
                    RefBucket::Ipv4 => (true, false),
                    RefBucket::Ipv6 => (false, true),
                },
            };
            if v4 {
                u[dir] += w;
            }
            if v6 {
                u[dir + 1] += w;
            }
        }
        u
    }

    /// The quota checks for a group whose rule set would become `after`: rules per group per
    /// bucket, and for every interface carrying the group, groups × largest bucket ≤ the product
    /// quota. Called before committing any rule change.
    pub fn check_rule_quota(&self, sg_id: &str, after: &[&Rule]) -> ApiResult<()> {
        let usage = self.bucket_usage(after.iter().copied());
        let max_bucket = usage.iter().copied().max().unwrap_or(0);
        let before = self.sgs.get(sg_id).map(|sg| self.bucket_usage(&sg.rules)).unwrap_or([0; 4]);
        // A change that does not grow any bucket is never refused (lowered quotas keep what exists).
        let grows = usage.iter().zip(before.iter()).any(|(a, b)| a > b);
        if !grows {
            return Ok(());
        }
        if usage.iter().zip(before.iter()).any(|(a, b)| a > b && *a > self.quotas.rules_per_security_group) {
            return Err(ApiError::rule_limit());
        }
        if let Some(enis) = self.enis_by_sg.get(sg_id) {
            // A group on many interfaces (a node group: every node's and pod's) shares its
            // neighbours with most of them: size each neighbour once, not once per interface.
            let mut largest_of: HashMap<&str, u64> = HashMap::new();
            for eni in enis {
                let Some(e) = self.enis.get(eni) else { continue };
                let mut largest = max_bucket;
                for g in e.groups.iter().filter(|g| g.as_str() != sg_id) {
                    let size = *largest_of.entry(g.as_str()).or_insert_with(|| {
                        self.sgs.get(g.as_str()).map(|sg| self.bucket_usage(&sg.rules).into_iter().max().unwrap_or(0)).unwrap_or(0)
                    });
                    largest = largest.max(size);
                }
                if largest * e.groups.len() as u64 > self.quotas.rules_times_groups_per_interface {
                    return Err(ApiError::rule_limit());
                }
            }
        }
        Ok(())
    }

    /// Checks a new group set for an interface: count and the rules × groups product.
    /// `instance` selects the instance flavour of the error code.
    pub fn check_groups_for_interface(&self, groups: &[String], instance: bool) -> ApiResult<()> {
        let max = self.quotas.security_groups_per_interface;
        let too_many = || if instance { ApiError::sgs_per_instance(max as u32) } else { ApiError::sgs_per_interface(max as u32) };
        if groups.len() as u64 > max {
            return Err(too_many());
        }
        let largest = groups
            .iter()
            .filter_map(|g| self.sgs.get(g.as_str()))
            .map(|g| self.bucket_usage(&g.rules).into_iter().max().unwrap_or(0))
            .max()
            .unwrap_or(0);
        if largest * groups.len() as u64 > self.quotas.rules_times_groups_per_interface {
            return Err(too_many());
        }
        Ok(())
    }

    /// ValidateSecurityGroupQuotasForInterface: the quotas one interface carrying exactly these
    /// (existing, de-duplicated) groups would meet, as lbsim counts them everywhere else — groups
    /// per interface, rules per group in each direction and address family (prefix lists weigh
    /// their MaxEntries), and groups × the largest bucket. Unlike `check_rule_quota` this judges
    /// the state as it is: a group already over a lowered quota fails.
    pub fn validate_interface_groups(&self, groups: &[String]) -> ApiResult<()> {
        let max = self.quotas.security_groups_per_interface;
        if groups.len() as u64 > max {
            return Err(ApiError::sgs_per_interface(max as u32));
        }
        let mut largest = 0;
        for g in groups {
            let usage = self.sgs.get(g.as_str()).map(|sg| self.bucket_usage(&sg.rules)).unwrap_or([0; 4]);
            let top = usage.into_iter().max().unwrap_or(0);
            if top > self.quotas.rules_per_security_group {
                return Err(ApiError::rule_limit());
            }
            largest = largest.max(top);
        }
        if largest * groups.len() as u64 > self.quotas.rules_times_groups_per_interface {
            return Err(ApiError::sgs_per_interface(max as u32));
        }
        Ok(())
    }

    // ---- network interfaces --------------------------------------------------------------------

    /// Commits an interface (its address must come from `free_ip`) and indexes its groups.
    pub fn insert_eni(&mut self, eni: Eni) {
        self.take_ip(&eni.subnet_id.clone(), &eni.private_ip.clone());
        for g in &eni.groups {
            self.enis_by_sg.entry(g.clone()).or_default().insert(eni.id.clone());
        }
        self.enis.insert(eni.id.clone(), eni);
    }

    pub fn remove_eni(&mut self, id: &str) -> Option<Eni> {
        let eni = self.enis.shift_remove(id)?;
        self.release_ip(&eni.subnet_id, &eni.private_ip);
        for g in &eni.groups {
            if let Some(s) = self.enis_by_sg.get_mut(g) {
                s.remove(id);
                if s.is_empty() {
                    self.enis_by_sg.remove(g);
                }
            }
        }
        self.tags.clear(id);
        Some(eni)
    }

    /// Replaces an interface's groups (validated by the caller).
    pub fn set_eni_groups(&mut self, id: &str, groups: Vec<String>) {
        let Some(eni) = self.enis.get_mut(id) else { return };
        let old = std::mem::replace(&mut eni.groups, groups.clone());
        for g in &old {
            if let Some(s) = self.enis_by_sg.get_mut(g) {
                s.remove(id);
                if s.is_empty() {
                    self.enis_by_sg.remove(g);
                }
            }
        }
        for g in groups {
            self.enis_by_sg.entry(g).or_default().insert(id.to_string());
        }
    }

    pub fn set_eni_description(&mut self, id: &str, description: String) {
        if let Some(e) = self.enis.get_mut(id) {
            e.description = description;
        }
    }

    pub fn set_eni_source_dest_check(&mut self, id: &str, on: bool) {
        if let Some(e) = self.enis.get_mut(id) {
            e.source_dest_check = on;
        }
    }

    /// Changes DeleteOnTermination of an interface's attachment (none: nothing to change).
    pub fn set_eni_delete_on_termination(&mut self, id: &str, on: bool) {
        if let Some(a) = self.enis.get_mut(id).and_then(|e| e.attachment.as_mut()) {
            a.delete_on_termination = on;
        }
    }

    /// Sets or clears an interface's attachment; `status` follows it (`in-use` / `available`).
    pub fn set_eni_attachment(&mut self, id: &str, attachment: Option<EniAttachment>) {
        if let Some(e) = self.enis.get_mut(id) {
            e.status = if attachment.is_some() { "in-use" } else { "available" }.to_string();
            e.attachment = attachment;
        }
    }

    // ---- instances -----------------------------------------------------------------------------

    /// Commits a launched instance. Its primary interface is committed first (`insert_eni`, or
    /// `set_eni_attachment` for an existing one) and names the instance in its attachment.
    pub fn insert_instance(&mut self, inst: Instance) {
        self.instances.insert(inst.id.clone(), inst);
    }

    /// Moves an instance between the states that keep it and its interface (running, stopped,
    /// …); false for an unknown instance or for `Terminated`, which only `terminate_instance`
    /// reaches (it also releases the interface and schedules the removal).
    pub fn set_instance_state(&mut self, id: &str, state: InstanceState) -> bool {
        match self.instances.get_mut(id) {
            Some(i) if state != InstanceState::Terminated && i.state != InstanceState::Terminated => {
                i.state = state;
                true
            }
            _ => false,
        }
    }

    /// Terminates an instance and returns its previous state. Its primary interface is deleted
    /// (address released, groups unindexed) when `delete_on_termination` is set, else detached;
    /// the instance itself stays visible until `expire` drops it an hour later, as on AWS.
    pub fn terminate_instance(&mut self, id: &str, now: DateTime<Utc>) -> Option<InstanceState> {
        let inst = self.instances.get_mut(id)?;
        let previous = inst.state;
        if previous == InstanceState::Terminated {
            return Some(previous);
        }
        inst.state = InstanceState::Terminated;
        inst.terminated_at = Some(now);
        self.due.insert((now + chrono::Duration::hours(1), id.to_string()));
        let eni = inst.primary_eni.clone();
        let delete = self.enis.get(&eni).and_then(|e| e.attachment.as_ref()).map(|a| a.delete_on_termination);
        match delete {
            Some(true) => {
                self.remove_eni(&eni);
            }
            Some(false) => self.set_eni_attachment(&eni, None),
            None => {}
        }
        Some(previous)
    }

    /// A fresh MAC address for an interface.
    pub fn new_mac(&mut self) -> String {
        let v = self.ids.next_u64();
        let b = v.to_be_bytes();
        format!("0a:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4])
    }

    /// Marks an interface (an NLB's, after DeleteLoadBalancer) to disappear at `at`; it keeps
    /// its groups until then, so DeleteSecurityGroup still sees the dependency (aws-api.md §2.5).
    pub fn release_eni_at(&mut self, id: &str, at: DateTime<Utc>) {
        if let Some(e) = self.enis.get_mut(id) {
            e.release_at = Some(at);
            self.due.insert((at, id.to_string()));
        }
    }

    /// Drops what is due: released interfaces, and terminated instances an hour old (AWS stops
    /// showing them). Called before every request; O(1) when nothing is due.
    pub fn expire(&mut self, now: DateTime<Utc>) {
        self.elb.expire(now);
        while let Some((at, id)) = self.due.first().cloned() {
            if at > now {
                break;
            }
            self.due.pop_first();
            if self.enis.get(&id).is_some_and(|e| e.release_at.is_some_and(|t| t <= now)) {
                self.remove_eni(&id);
            } else if self.instances.get(&id).is_some_and(|i| i.terminated_at.is_some_and(|t| now - t >= chrono::Duration::hours(1))) {
                self.instances.shift_remove(&id);
                self.tags.clear(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region() -> Region {
        Region::new("123456789012", "us-east-1", Quotas::default(), RegionSettings::default(), 1, Utc::now())
    }

    #[test]
    fn default_world() {
        let r = region();
        assert_eq!(r.azs.len(), 6);
        assert_eq!(r.azs[0].id, "use1-az1");
        let vpc = r.default_vpc().unwrap();
        assert_eq!(vpc.cidr.to_string(), "172.31.0.0/16");
        assert_eq!(r.subnets.len(), 6);
        let sg = &r.sgs[vpc.default_sg.as_str()];
        assert_eq!(sg.name, "default");
        assert_eq!(sg.rules.len(), 2);
        // The self-reference does not make the group its own dependent.
        assert!(r.referencing_groups(&sg.id).is_empty());
        assert_eq!(region_code("ap-southeast-2"), "apse2");
    }

    #[test]
    fn terminate_releases_the_interface_and_expiry_drops_the_instance() {
        let mut r = region();
        let t0 = Utc::now();
        let s = r.subnets.values().next().unwrap().clone();
        let sg = r.default_vpc().unwrap().default_sg.clone();
        let ip = r.free_ip(&s.id, None).unwrap().to_string();
        let attachment = EniAttachment {
            attachment_id: "eni-attach-1".into(),
            instance_id: Some("i-1".into()),
            instance_owner_id: r.account.clone(),
            device_index: 0,
            delete_on_termination: true,
            attach_time: t0,
        };
        let mac = r.new_mac();
        r.insert_eni(Eni {
            id: "eni-1".into(),
            subnet_id: s.id.clone(),
            vpc_id: s.vpc_id.clone(),
            az: s.az.clone(),
            description: String::new(),
            private_ip: ip.clone(),
            mac_address: mac,
            groups: vec![sg.clone()],
            attachment: Some(attachment),
            interface_type: "interface".into(),
            requester_managed: false,
            requester_id: None,
            source_dest_check: true,
            status: "in-use".into(),
            release_at: None,
        });
        r.insert_instance(Instance {
            id: "i-1".into(),
            reservation_id: "r-1".into(),
            image_id: "ami-1".into(),
            instance_type: "m1.small".into(),
            key_name: None,
            subnet_id: s.id.clone(),
            vpc_id: s.vpc_id.clone(),
            az: s.az.clone(),
            private_ip: ip.clone(),
            state: InstanceState::Running,
            launch_time: t0,
            primary_eni: "eni-1".into(),
            terminated_at: None,
        });
        r.tags.set("i-1", &[("k".into(), "v".into())]);
        assert_eq!(r.free_ip(&s.id, None).unwrap().to_string(), "172.31.0.5");
        assert_eq!(r.terminate_instance("i-1", t0), Some(InstanceState::Running));
        assert!(!r.enis.contains_key("eni-1"));
        assert!(!r.enis_by_sg.get(&sg).is_some_and(|e| e.contains("eni-1")));
        assert_eq!(r.free_ip(&s.id, None).unwrap().to_string(), ip);
        assert_eq!(r.terminate_instance("i-1", t0), Some(InstanceState::Terminated));
        r.expire(t0 + chrono::Duration::minutes(59));
        assert!(r.instances.contains_key("i-1"));
        r.expire(t0 + chrono::Duration::minutes(61));
        assert!(!r.instances.contains_key("i-1"));
        assert!(r.tags.get("i-1").is_empty());
    }

    #[test]
    fn ip_allocation_skips_reserved_and_used() {
        let mut r = region();
        let s = r.subnets.keys().next().unwrap().clone();
        let ip = r.free_ip(&s, None).unwrap();
        assert_eq!(ip.to_string(), "172.31.0.4");
        r.take_ip(&s, "172.31.0.4");
        assert_eq!(r.free_ip(&s, None).unwrap().to_string(), "172.31.0.5");
        assert!(r.free_ip(&s, Some("172.31.0.4".parse().unwrap())).is_err());
    }
}
