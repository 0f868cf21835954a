//! What a state file must satisfy beyond parsing and its checksum, checked before anything is
//! restored: valid account ids and Regions (allowed by the config), each (account, Region) once,
//! ids unique within their kind, and every reference resolving — a subnet's VPC, a group's VPC,
//! an interface's subnet and groups, an instance's interface, a rule's referenced group or prefix
//! list, a load balancer's subnets, interfaces and groups, a listener's load balancer and target
//! groups, every tagged resource. A file written by lbsim always passes; one edited by hand or by
//! a bug is refused with the first problem, naming the Region and the ids.
//!
//! May call: `state` (the snapshot's plain data), `config` (the Region allow-list), `wire` (the
//! account and Region syntax).

use std::collections::{HashMap, HashSet};

use crate::config::Config;
use crate::state::ec2::Peer;
use crate::state::snapshot::{RegionSnapshot, Snapshot};
use crate::wire;

/// The first problem of a snapshot, as `state file: <where>: <what>`.
pub fn check(s: &Snapshot, config: &Config) -> Result<(), String> {
    let mut seen = HashSet::new();
    for a in s.account_quotas.keys() {
        if !wire::valid_account(a) {
            return Err(format!("invalid snapshot: quotas for '{a}', which is not a 12-digit account id"));
        }
    }
    for r in s.region_settings.keys() {
        if !config.region_allowed(r) {
            return Err(format!("invalid snapshot: Region settings for {}", config.unknown_region(r)));
        }
    }
    for r in &s.regions {
        let at = format!("{}/{}", r.account, r.region);
        if !wire::valid_account(&r.account) {
            return Err(format!("invalid snapshot: '{}' is not a 12-digit account id", r.account));
        }
        if !wire::valid_region(&r.region) || !config.region_allowed(&r.region) {
            return Err(format!("invalid snapshot: {at}: {}", config.unknown_region(&r.region)));
        }
        if !seen.insert((r.account.as_str(), r.region.as_str())) {
            return Err(format!("invalid snapshot: {at} appears twice"));
        }
        region(r).map_err(|e| format!("invalid snapshot: {at}: {e}"))?;
    }
    Ok(())
}

/// Ids of one kind, refusing duplicates.
fn ids<'a>(kind: &str, it: impl Iterator<Item = &'a str>) -> Result<HashSet<&'a str>, String> {
    let mut set = HashSet::new();
    for id in it {
        if !set.insert(id) {
            return Err(format!("{kind} {id} appears twice"));
        }
    }
    Ok(set)
}

fn must(set: &HashSet<&str>, id: &str, what: impl FnOnce() -> String) -> Result<(), String> {
    if set.contains(id) { Ok(()) } else { Err(what()) }
}

fn region(r: &RegionSnapshot) -> Result<(), String> {
    let vpcs = ids("VPC", r.vpcs.iter().map(|v| v.id.as_str()))?;
    let subnets = ids("subnet", r.subnets.iter().map(|v| v.id.as_str()))?;
    let sgs = ids("security group", r.security_groups.iter().map(|v| v.id.as_str()))?;
    let enis = ids("network interface", r.network_interfaces.iter().map(|v| v.id.as_str()))?;
    let instances = ids("instance", r.instances.iter().map(|v| v.id.as_str()))?;
    let pls = ids("prefix list", r.prefix_lists.iter().map(|v| v.id.as_str()))?;
    let rules = ids("security group rule", r.security_groups.iter().flat_map(|g| g.rules.iter().map(|x| x.id.as_str())))?;
    let rtbs = ids("route table", r.route_tables.iter().map(|v| v.id.as_str()))?;
    let igws = ids("internet gateway", r.internet_gateways.iter().map(|v| v.id.as_str()))?;
    for t in &r.route_tables {
        must(&vpcs, &t.vpc_id, || format!("route table {} names VPC {}, which does not exist", t.id, t.vpc_id))?;
    }
    for g in &r.internet_gateways {
        if let Some(v) = &g.vpc_id {
            must(&vpcs, v, || format!("internet gateway {} is attached to VPC {v}, which does not exist", g.id))?;
        }
    }
    let lbs = ids("load balancer", r.elb.load_balancers.iter().map(|v| v.arn.as_str()))?;
    let tgs = ids("target group", r.elb.target_groups.iter().map(|v| v.arn.as_str()))?;
    ids("listener", r.elb.listeners.iter().map(|v| v.arn.as_str()))?;
    ids("load balancer name", r.elb.load_balancers.iter().map(|v| v.name.as_str()))?;
    ids("target group name", r.elb.target_groups.iter().map(|v| v.name.as_str()))?;
    let zones: HashSet<&str> = r.availability_zones.iter().map(|z| z.name.as_str()).collect();
    for z in &zones {
        if !z.starts_with(r.region.as_str()) {
            return Err(format!("Availability Zone {z} is not in {}", r.region));
        }
    }
    let vpc_of: HashMap<&str, &str> = r.subnets.iter().map(|s| (s.id.as_str(), s.vpc_id.as_str())).collect();
    let sg_vpc: HashMap<&str, &str> = r.security_groups.iter().map(|g| (g.id.as_str(), g.vpc_id.as_str())).collect();
    for v in &r.vpcs {
        must(&sgs, &v.default_sg, || format!("VPC {} names default security group {}, which does not exist", v.id, v.default_sg))?;
        if sg_vpc.get(v.default_sg.as_str()) != Some(&v.id.as_str()) {
            return Err(format!("VPC {}'s default security group {} belongs to another VPC", v.id, v.default_sg));
        }
    }
    for s in &r.subnets {
        must(&vpcs, &s.vpc_id, || format!("subnet {} names VPC {}, which does not exist", s.id, s.vpc_id))?;
        must(&zones, &s.az, || format!("subnet {} is in zone {}, which this Region does not have", s.id, s.az))?;
        if !r.vpcs.iter().any(|v| v.id == s.vpc_id && v.cidr.contains(&s.cidr)) {
            return Err(format!("subnet {} ({}) is outside its VPC {}", s.id, s.cidr, s.vpc_id));
        }
    }
    for g in &r.security_groups {
        must(&vpcs, &g.vpc_id, || format!("security group {} names VPC {}, which does not exist", g.id, g.vpc_id))?;
        for rule in &g.rules {
            match &rule.peer {
                Peer::Group(p) if p.user_id == r.account => must(&sgs, &p.group_id, || {
                    format!("rule {} of {} references group {}, which does not exist", rule.id, g.id, p.group_id)
                })?,
                Peer::PrefixList(pl) => {
                    must(&pls, pl, || format!("rule {} of {} references prefix list {pl}, which does not exist", rule.id, g.id))?
                }
                _ => {}
            }
        }
    }
    for e in &r.network_interfaces {
        must(&subnets, &e.subnet_id, || format!("network interface {} names subnet {}, which does not exist", e.id, e.subnet_id))?;
        if vpc_of.get(e.subnet_id.as_str()) != Some(&e.vpc_id.as_str()) {
            return Err(format!("network interface {} is in VPC {} but its subnet {} is not", e.id, e.vpc_id, e.subnet_id));
        }
        for g in &e.groups {
            must(&sgs, g, || format!("network interface {} carries security group {g}, which does not exist", e.id))?;
        }
        if let Some(i) = e.attachment.as_ref().and_then(|a| a.instance_id.as_deref()) {
            must(&instances, i, || format!("network interface {} is attached to instance {i}, which does not exist", e.id))?;
        }
    }
    for i in &r.instances {
        must(&subnets, &i.subnet_id, || format!("instance {} names subnet {}, which does not exist", i.id, i.subnet_id))?;
        must(&vpcs, &i.vpc_id, || format!("instance {} names VPC {}, which does not exist", i.id, i.vpc_id))?;
        // A terminated instance keeps its record for a while after its interface is gone.
        if i.terminated_at.is_none() {
            must(&enis, &i.primary_eni, || format!("instance {} names interface {}, which does not exist", i.id, i.primary_eni))?;
        }
    }
    for lb in &r.elb.load_balancers {
        must(&vpcs, &lb.vpc_id, || format!("load balancer {} names VPC {}, which does not exist", lb.name, lb.vpc_id))?;
        for s in &lb.subnets {
            must(&subnets, &s.subnet_id, || format!("load balancer {} names subnet {}, which does not exist", lb.name, s.subnet_id))?;
            must(&enis, &s.eni_id, || format!("load balancer {} names interface {}, which does not exist", lb.name, s.eni_id))?;
        }
        for g in &lb.security_groups {
            must(&sgs, g, || format!("load balancer {} names security group {g}, which does not exist", lb.name))?;
        }
    }
    for tg in &r.elb.target_groups {
        if !tg.vpc_id.is_empty() {
            must(&vpcs, &tg.vpc_id, || format!("target group {} names VPC {}, which does not exist", tg.name, tg.vpc_id))?;
        }
    }
    for l in &r.elb.listeners {
        must(&lbs, &l.lb_arn, || format!("listener {} names load balancer {}, which does not exist", l.arn, l.lb_arn))?;
        for tg in l.target_groups() {
            must(&tgs, tg, || format!("listener {} forwards to target group {tg}, which does not exist", l.arn))?;
        }
    }
    for id in r.tags.keys() {
        let known = [&vpcs, &subnets, &sgs, &enis, &instances, &pls, &rules, &rtbs, &igws].iter().any(|set| set.contains(id.as_str()));
        if !known {
            return Err(format!("tags of {id}, which does not exist"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;

    fn snap() -> (Snapshot, Config) {
        let config = Config { seed: Some(3), ..Config::default() };
        let app = App::new(config.clone()).unwrap();
        app.store.with_region("000000000000", "us-east-1", |_| ());
        (crate::persist::snapshot(&app), config)
    }

    #[test]
    fn a_fresh_world_passes() {
        let (s, c) = snap();
        check(&s, &c).unwrap();
    }

    #[test]
    fn broken_references_duplicates_and_bad_names_are_refused() {
        let (s, c) = snap();
        let gone = s.regions[0].subnets[0].id.clone();
        let mut dup = s.clone();
        let again = dup.regions[0].subnets[0].clone();
        dup.regions[0].subnets.push(again);
        assert!(check(&dup, &c).unwrap_err().contains("appears twice"));
        let mut bad_vpc = s.clone();
        bad_vpc.regions[0].subnets[0].vpc_id = "vpc-0000000000000dead".into();
        assert!(check(&bad_vpc, &c).unwrap_err().contains("names VPC vpc-0000000000000dead, which does not exist"));
        let mut bad_region = s.clone();
        bad_region.regions[0].region = "us-east1".into();
        assert!(check(&bad_region, &c).unwrap_err().contains("'us-east1' is not an AWS Region"));
        let mut bad_account = s.clone();
        bad_account.regions[0].account = "12345".into();
        assert!(check(&bad_account, &c).unwrap_err().contains("12-digit"));
        let mut twice = s.clone();
        let r = twice.regions[0].clone();
        twice.regions.push(r);
        assert!(check(&twice, &c).unwrap_err().contains("appears twice"));
        let mut outside = s.clone();
        outside.regions[0].subnets[0].cidr = "10.9.0.0/20".parse().unwrap();
        assert!(check(&outside, &c).unwrap_err().contains("is outside its VPC"));
        let mut tags = s;
        tags.regions[0].tags.insert(gone.clone(), vec![("k".into(), "v".into())]);
        tags.regions[0].subnets.retain(|x| x.id != gone);
        assert!(check(&tags, &c).unwrap_err().contains(&format!("tags of {gone}")));
    }
}
