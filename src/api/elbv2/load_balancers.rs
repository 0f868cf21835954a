//! CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer, SetSubnets, SetIpAddressType
//! (aws-api.md §1.7.5, §2.5, §2.7): Network Load Balancers with ARNs `loadbalancer/net/…`, DNS
//! names and hosted zones as AWS forms them, `provisioning` → `active` on the server clock, one
//! requester-managed interface per subnet, idempotent creates and the load-balancer quota.
//! Other types (`application`, `gateway`) are refused, never half-served.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};

use super::attributes::lb_defaults;
use super::common::{NameOf, Paging, arn_is, check_name, check_tag_quota, enum_member, find_lb, parse_tags, required};
use super::security_groups::resolve_groups;
use super::service_checks;
use crate::api::{Action, Ctx, Empty, Rendered};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::{Eni, EniAttachment};
use crate::state::elbv2::{LbSubnet, LoadBalancer, Tags};
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

const SCHEMES: &[&str] = &["internet-facing", "internal"];
const TYPES: &[&str] = &["application", "network", "gateway"];
const IP_TYPES: &[&str] = &["ipv4", "dualstack", "dualstack-without-public-ipv4"];

/// The NLB canonical hosted zone of a Region (ELB-EP). us-east-1/2 and us-west-1 are in the
/// reference; the rest are from AWS's published table [unverified here].
pub fn nlb_hosted_zone(region: &str) -> &'static str {
    match region {
        "us-east-1" => "Z26RNL4JYFTOTI",
        "us-east-2" => "ZLMOA37VPKANP",
        "us-west-1" => "Z24FKFUX50B4VW",
        "us-west-2" => "Z18D5FSROUN65G",
        "af-south-1" => "Z203XCE67M25HM",
        "ap-east-1" => "Z12Y7K3UBGUAD1",
        "ap-south-1" => "ZVDDRBQ08TROA",
        "ap-northeast-1" => "Z31USIVHYNEOWT",
        "ap-northeast-2" => "ZIBE1TIR4HY56",
        "ap-northeast-3" => "Z1GWIQ4HH19I5X",
        "ap-southeast-1" => "ZKVM4W9LS7TM",
        "ap-southeast-2" => "ZCT6FZBF4DROD",
        "ca-central-1" => "Z2EPGBW3API2WT",
        "eu-central-1" => "Z3F0SRJ5LGBH90",
        "eu-west-1" => "Z2IFOLAFXWLO4F",
        "eu-west-2" => "ZD4D7Y8KGAS4G",
        "eu-west-3" => "Z1CMS0P5QUZ6D5",
        "eu-north-1" => "Z1UDT6IFJ4EJM",
        "eu-south-1" => "Z23146JA1KNAFP",
        "me-south-1" => "Z3QSRYVP46NYYV",
        "sa-east-1" => "ZTK26PT1VY4CU",
        "cn-north-1" => "Z3QFB96KMJ7ED6",
        "cn-northwest-1" => "ZQEIKTCZ8352D",
        "us-gov-west-1" => "ZMG1MZ2THAWF1",
        "us-gov-east-1" => "Z1ZSMQQ6Q24QQ8",
        // A Region outside the table gets us-east-1's zone rather than an invented one.
        _ => "Z26RNL4JYFTOTI",
    }
}

/// `<name>-<id>.elb.<region>.amazonaws.com` (CLI-NLB). The issue asks for AWS's `internal-`
/// prefix on internal load balancers; whether NLBs get it is [unverified] (aws-api.md §2.7).
pub fn nlb_dns_name(r: &Region, name: &str, id: &str, scheme: &str) -> String {
    let prefix = if scheme == "internal" { "internal-" } else { "" };
    let suffix = if r.partition == "aws-cn" { ".cn" } else { "" };
    format!("{prefix}{name}-{id}.elb.{}.amazonaws.com{suffix}", r.name)
}

pub fn write_azs(w: &mut Xml, lb: &LoadBalancer) {
    w.list("AvailabilityZones", &lb.subnets, |w, s| {
        w.leaf("ZoneName", &s.az).leaf("SubnetId", &s.subnet_id);
        // An address chosen through SubnetMappings is reported; AWS-picked ones are not
        // (aws-api.md §1.7.5 shows an empty list) [unverified for the chosen case].
        let chosen = s.requested_ip.then_some(&s.private_ip);
        w.list("LoadBalancerAddresses", chosen, |w, ip| {
            w.leaf("PrivateIPv4Address", ip);
        });
    });
}

pub fn write_lb(w: &mut Xml, r: &Region, lb: &LoadBalancer, now: DateTime<Utc>) {
    w.leaf("LoadBalancerArn", &lb.arn)
        .leaf("DNSName", &lb.dns_name)
        .leaf("CanonicalHostedZoneId", &lb.hosted_zone)
        .time("CreatedTime", lb.created)
        .leaf("LoadBalancerName", &lb.name)
        .leaf("Scheme", &lb.scheme)
        .leaf("VpcId", &lb.vpc_id);
    w.open("State").leaf("Code", r.lb_state(lb, now)).close("State");
    w.leaf("Type", "network");
    write_azs(w, lb);
    if !lb.security_groups.is_empty() {
        w.strings("SecurityGroups", &lb.security_groups);
    }
    w.leaf("IpAddressType", &lb.ip_address_type);
    w.opt("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic", lb.enforce_private_link.as_ref());
}

/// One requested subnet: from `Subnets.member.N` or `SubnetMappings.member.N`.
#[derive(Debug, Clone)]
pub struct SubnetRequest {
    subnet_id: String,
    allocation_id: Option<String>,
    private_ip: Option<String>,
    ipv6: Option<String>,
}

/// Reads `Subnets` or `SubnetMappings` (not both, aws-api.md §2.5). `None` when neither came.
pub fn parse_subnets(p: &P) -> ApiResult<Option<Vec<SubnetRequest>>> {
    let plain = p.strings("Subnets")?;
    let mappings = p.list("SubnetMappings")?;
    if !plain.is_empty() && !mappings.is_empty() {
        // [unverified] text.
        return Err(ApiError::validation("You can specify subnets or subnet mappings, not both"));
    }
    if !plain.is_empty() {
        return Ok(Some(
            plain
                .into_iter()
                .map(|s| SubnetRequest { subnet_id: s.to_string(), allocation_id: None, private_ip: None, ipv6: None })
                .collect(),
        ));
    }
    if mappings.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for m in mappings {
        out.push(SubnetRequest {
            subnet_id: required(&m, "SubnetId")?.to_string(),
            allocation_id: m.str("AllocationId").filter(|s| !s.is_empty()).map(String::from),
            private_ip: m.str("PrivateIPv4Address").filter(|s| !s.is_empty()).map(String::from),
            ipv6: m.str("IPv6Address").filter(|s| !s.is_empty()).map(String::from),
        });
    }
    Ok(Some(out))
}

/// A subnet checked against state, before anything is committed.
pub struct ResolvedSubnet {
    pub subnet_id: String,
    pub az: String,
    pub vpc_id: String,
    pub ip: Option<Ipv4Addr>,
}

/// Checks requested subnets: they exist (SubnetNotFound), share one VPC, one per zone
/// (InvalidConfigurationRequest), and mapped addresses are usable. Subnets the load balancer
/// already has (`kept`) keep their interface, so their addresses are not checked again.
pub fn resolve_subnets(
    r: &Region,
    req: &[SubnetRequest],
    scheme: &str,
    vpc: Option<&str>,
    kept: &[LbSubnet],
) -> ApiResult<Vec<ResolvedSubnet>> {
    let mut out: Vec<ResolvedSubnet> = Vec::new();
    for s in req {
        let subnet = if well_formed(&s.subnet_id, "subnet") { r.subnets.get(&s.subnet_id) } else { None };
        let subnet = subnet.ok_or_else(|| ApiError::elb_subnet_not_found(&s.subnet_id))?;
        let vpc_id = vpc.or(out.first().map(|o| o.vpc_id.as_str())).unwrap_or(&subnet.vpc_id);
        if subnet.vpc_id != vpc_id {
            // [unverified] text.
            return Err(ApiError::new(
                ErrorCode::InvalidConfigurationRequest,
                format!("Subnet '{}' is not in VPC '{vpc_id}': a load balancer's subnets must all be in one VPC", s.subnet_id),
            ));
        }
        if out.iter().any(|o| o.az == subnet.az) {
            return Err(ApiError::new(
                ErrorCode::InvalidConfigurationRequest,
                "A load balancer cannot be attached to multiple subnets in the same Availability Zone",
            ));
        }
        if let Some(a) = &s.allocation_id {
            // lbsim has no Elastic IPs, so no allocation id can exist [unverified text].
            return Err(ApiError::new(ErrorCode::AllocationIdNotFound, format!("The allocation ID '{a}' does not exist")));
        }
        if s.ipv6.is_some() {
            return Err(no_ipv6(&s.subnet_id));
        }
        let ip = match &s.private_ip {
            _ if kept.iter().any(|k| k.subnet_id == subnet.id) => None,
            None => None,
            Some(raw) => {
                if scheme != "internal" {
                    // [unverified] text.
                    return Err(ApiError::new(
                        ErrorCode::InvalidConfigurationRequest,
                        "Private IPv4 addresses can only be specified for internal load balancers",
                    ));
                }
                let ip: Ipv4Addr =
                    raw.parse().map_err(|_| ApiError::validation(format!("The private IPv4 address '{raw}' is not valid")))?;
                r.free_ip(&subnet.id, Some(ip)).map_err(|e| ApiError::new(ErrorCode::InvalidConfigurationRequest, e.message))?;
                Some(ip)
            }
        };
        out.push(ResolvedSubnet { subnet_id: subnet.id.clone(), az: subnet.az.clone(), vpc_id: subnet.vpc_id.clone(), ip });
    }
    Ok(out)
}

/// lbsim's subnets have no IPv6 blocks, so dual-stack cannot be satisfied [unverified text].
fn no_ipv6(subnet: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidConfigurationRequest, format!("Subnet '{subnet}' does not have an IPv6 CIDR block"))
}

fn check_ip_type(ip_type: &str, subnets: &[ResolvedSubnet]) -> ApiResult<()> {
    match ip_type {
        "ipv4" => Ok(()),
        "dualstack" => Err(no_ipv6(subnets.first().map(|s| s.subnet_id.as_str()).unwrap_or(""))),
        // [unverified] text: this type is for Application Load Balancers.
        other => Err(ApiError::validation(format!("IP address type '{other}' is not supported for load balancers of type 'network'"))),
    }
}

/// Builds the interfaces for new subnets (ids and addresses are taken only here, after every
/// check has passed); the caller commits them with the load balancer. Each subnet is in its own
/// zone, so the addresses picked cannot collide. AWS wants 8 free addresses per subnet
/// [unverified for NLB], which also guarantees `free_ip` succeeds.
fn plan_enis(
    r: &mut Region,
    lb_name: &str,
    lb_id: &str,
    subnets: &[ResolvedSubnet],
    groups: &[String],
    now: DateTime<Utc>,
) -> ApiResult<Vec<(LbSubnet, Eni)>> {
    for s in subnets {
        let free = r.subnets.get(&s.subnet_id).map(|x| x.available()).unwrap_or(0);
        if free < 8 {
            return Err(ApiError::new(
                ErrorCode::InvalidSubnet,
                format!("Not enough IP space available in {}. ELB requires at least 8 free IP addresses in each subnet.", s.subnet_id),
            ));
        }
    }
    let mut out = Vec::new();
    for s in subnets {
        let ip = r.free_ip(&s.subnet_id, s.ip)?;
        let eni_id = r.ids.ec2("eni");
        let attachment_id = r.ids.ec2("ela-attach");
        let eni = Eni {
            id: eni_id.clone(),
            subnet_id: s.subnet_id.clone(),
            vpc_id: s.vpc_id.clone(),
            az: s.az.clone(),
            description: format!("ELB net/{lb_name}/{lb_id}"),
            private_ip: ip.to_string(),
            mac_address: r.new_mac(),
            groups: groups.to_vec(),
            // AWS shows the NLB's interfaces attached by `amazon-elb` [unverified details].
            attachment: Some(EniAttachment {
                attachment_id,
                instance_id: None,
                instance_owner_id: "amazon-elb".into(),
                device_index: 1,
                delete_on_termination: false,
                attach_time: now,
            }),
            interface_type: "network_load_balancer".into(),
            requester_managed: true,
            requester_id: Some("amazon-elb".into()),
            source_dest_check: false,
            status: "in-use".into(),
            release_at: None,
        };
        let sub =
            LbSubnet { subnet_id: s.subnet_id.clone(), az: s.az.clone(), eni_id, private_ip: ip.to_string(), requested_ip: s.ip.is_some() };
        out.push((sub, eni));
    }
    Ok(out)
}

pub struct CreateLoadBalancer {
    name: String,
    scheme: String,
    ip_type: String,
    subnets: Option<Vec<SubnetRequest>>,
    groups: Vec<String>,
    tags: Tags,
}

impl Action for CreateLoadBalancer {
    type Output = Rendered;
    fn from_params(p: &P) -> ApiResult<Self> {
        let name = required(p, "Name")?.to_string();
        check_name(&name, NameOf::LoadBalancer)?;
        match enum_member(p, "Type", TYPES)?.unwrap_or("application") {
            "network" => {}
            other => return Err(ApiError::elb_type_not_emulated(&format!("Load balancer type '{other}'"))),
        }
        Ok(CreateLoadBalancer {
            name,
            scheme: enum_member(p, "Scheme", SCHEMES)?.unwrap_or("internet-facing").to_string(),
            ip_type: enum_member(p, "IpAddressType", IP_TYPES)?.unwrap_or("ipv4").to_string(),
            subnets: parse_subnets(p)?,
            groups: p.strings("SecurityGroups")?.into_iter().map(String::from).collect(),
            tags: parse_tags(p, "Tags")?,
        })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rendered> {
        let Some(req) = &self.subnets else {
            // [unverified] text.
            return Err(ApiError::validation("At least one subnet must be specified"));
        };
        let subnets = resolve_subnets(r, req, &self.scheme, None, &[])?;
        let vpc = subnets.first().map(|s| s.vpc_id.clone()).unwrap_or_default();
        check_ip_type(&self.ip_type, &subnets)?;
        let groups = if self.groups.is_empty() { Vec::new() } else { resolve_groups(r, &self.groups, &vpc)? };
        check_tag_quota(&Vec::new(), &self.tags, r.quotas.elb_tags_per_resource)?;
        let subnet_ids: Vec<&str> = subnets.iter().map(|s| s.subnet_id.as_str()).collect();
        service_checks::check_internet_facing(r, &self.scheme, &vpc, &subnet_ids)?;
        service_checks::check_sg_quotas(r, &groups)?;
        // Same name: same settings return the existing load balancer, others are refused.
        if let Some(arn) = r.elb.lb_by_name.get(&self.name) {
            let lb = &r.elb.lbs[arn];
            let have: BTreeSet<&str> = lb.subnets.iter().map(|s| s.subnet_id.as_str()).collect();
            let want: BTreeSet<&str> = subnets.iter().map(|s| s.subnet_id.as_str()).collect();
            let same_groups = lb.security_groups.iter().collect::<BTreeSet<_>>() == groups.iter().collect::<BTreeSet<_>>();
            if lb.scheme == self.scheme && lb.ip_address_type == self.ip_type && have == want && same_groups {
                return Ok(Rendered::with(cx, |w| {
                    w.list("LoadBalancers", [lb], |w, lb| write_lb(w, r, lb, cx.now));
                }));
            }
            return Err(ApiError::duplicate_lb(&self.name));
        }
        if r.elb.lbs.len() as u64 >= r.quotas.network_load_balancers {
            return Err(ApiError::too_many_lbs(&r.account));
        }
        let id = r.ids.hex16();
        let planned = plan_enis(r, &self.name, &id, &subnets, &groups, cx.now)?;
        let arn = r.arn("elasticloadbalancing", &format!("loadbalancer/net/{}/{id}", self.name));
        let (lb_subnets, enis): (Vec<LbSubnet>, Vec<Eni>) = planned.into_iter().unzip();
        let lb = LoadBalancer {
            arn: arn.clone(),
            dns_name: nlb_dns_name(r, &self.name, &id, &self.scheme),
            hosted_zone: nlb_hosted_zone(&r.name).to_string(),
            name: self.name,
            id,
            attributes: lb_defaults(&self.scheme),
            scheme: self.scheme,
            vpc_id: vpc,
            ip_address_type: self.ip_type,
            created: cx.now,
            subnets: lb_subnets,
            // AWS turns the PrivateLink enforcement on for an NLB created with groups.
            enforce_private_link: (!groups.is_empty()).then(|| "on".to_string()),
            security_groups: groups,
            tags: self.tags,
        };
        r.insert_lb(lb, enis);
        let lb = &r.elb.lbs[&arn];
        Ok(Rendered::with(cx, |w| {
            w.list("LoadBalancers", [lb], |w, lb| write_lb(w, r, lb, cx.now));
        }))
    }
}

pub struct DescribeLoadBalancers {
    arns: Vec<String>,
    names: Vec<String>,
    paging: Paging,
}

impl Action for DescribeLoadBalancers {
    type Output = Rendered;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arns: Vec<String> = p.strings("LoadBalancerArns")?.into_iter().map(String::from).collect();
        let names: Vec<String> = p.strings("Names")?.into_iter().map(String::from).collect();
        if !arns.is_empty() && !names.is_empty() {
            // [unverified] text.
            return Err(ApiError::validation("Load balancer names and load balancer ARNs cannot be specified at the same time"));
        }
        Ok(DescribeLoadBalancers { arns, names, paging: Paging::parse(p)? })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rendered> {
        let lbs: Vec<&LoadBalancer> = if !self.arns.is_empty() {
            let mut v = Vec::new();
            for a in &self.arns {
                let lb = find_lb(r, a)?;
                if !v.iter().any(|x: &&LoadBalancer| x.arn == lb.arn) {
                    v.push(lb);
                }
            }
            v
        } else if !self.names.is_empty() {
            let missing: Vec<&str> = self.names.iter().filter(|n| !r.elb.lb_by_name.contains_key(*n)).map(String::as_str).collect();
            if !missing.is_empty() {
                return Err(ApiError::lb_names_not_found(&missing));
            }
            let mut v: Vec<&LoadBalancer> = Vec::new();
            for n in &self.names {
                let lb = &r.elb.lbs[&r.elb.lb_by_name[n]];
                if !v.iter().any(|x| x.arn == lb.arn) {
                    v.push(lb);
                }
            }
            v
        } else {
            r.elb.lbs.values().collect()
        };
        let (items, next) = self.paging.page(lbs, |l| &l.arn)?;
        Ok(Rendered::with(cx, |w| {
            w.list("LoadBalancers", items, |w, lb| write_lb(w, r, lb, cx.now));
            w.opt("NextMarker", next);
        }))
    }
}

pub struct DeleteLoadBalancer {
    arn: String,
}

impl Action for DeleteLoadBalancer {
    type Output = Empty;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arn = required(p, "LoadBalancerArn")?.to_string();
        if !arn_is(&arn, "loadbalancer/") {
            return Err(ApiError::bad_elb_arn(&arn, "load balancer"));
        }
        Ok(DeleteLoadBalancer { arn })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Empty> {
        // An unknown or already deleted load balancer is a success (BC-ELB doc).
        let Some(lb) = r.elb.lbs.get(&self.arn) else { return Ok(Empty) };
        if lb.attr("deletion_protection.enabled") == "true" {
            // [unverified] text; the AWS Load Balancer Controller looks for "deletion protection".
            return Err(ApiError::new(
                ErrorCode::OperationNotPermitted,
                format!("Load balancer '{}' cannot be deleted because deletion protection is enabled", self.arn),
            ));
        }
        r.delete_lb(&self.arn, cx.now);
        Ok(Empty)
    }
}

pub struct SetSubnets {
    arn: String,
    subnets: Option<Vec<SubnetRequest>>,
    ip_type: Option<String>,
}

impl Action for SetSubnets {
    type Output = Rendered;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(SetSubnets {
            arn: required(p, "LoadBalancerArn")?.to_string(),
            subnets: parse_subnets(p)?,
            ip_type: enum_member(p, "IpAddressType", IP_TYPES)?.map(String::from),
        })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rendered> {
        let lb = find_lb(r, &self.arn)?.clone();
        let Some(req) = &self.subnets else {
            return Err(ApiError::validation("At least one subnet must be specified"));
        };
        let wanted = resolve_subnets(r, req, &lb.scheme, Some(&lb.vpc_id), &lb.subnets)?;
        check_ip_type(self.ip_type.as_deref().unwrap_or(&lb.ip_address_type), &wanted)?;
        // NLB subnets can be added but not removed or swapped [unverified text].
        for s in &lb.subnets {
            if !wanted.iter().any(|w| w.subnet_id == s.subnet_id) {
                return Err(ApiError::new(
                    ErrorCode::InvalidConfigurationRequest,
                    format!("Subnet '{}' cannot be removed from a load balancer of type 'network'", s.subnet_id),
                ));
            }
        }
        let new: Vec<ResolvedSubnet> = wanted.into_iter().filter(|w| !lb.subnets.iter().any(|s| s.subnet_id == w.subnet_id)).collect();
        let new_ids: Vec<&str> = new.iter().map(|s| s.subnet_id.as_str()).collect();
        service_checks::check_internet_facing(r, &lb.scheme, &lb.vpc_id, &new_ids)?;
        let planned = plan_enis(r, &lb.name, &lb.id, &new, &lb.security_groups, cx.now)?;
        let mut subnets = lb.subnets.clone();
        let mut enis = Vec::new();
        for (s, e) in planned {
            subnets.push(s);
            enis.push(e);
        }
        r.set_lb_subnets(&self.arn, subnets, enis);
        let lb = &r.elb.lbs[&self.arn];
        Ok(Rendered::with(cx, |w| {
            write_azs(w, lb);
            w.leaf("IpAddressType", &lb.ip_address_type);
        }))
    }
}

pub struct SetIpAddressType {
    arn: String,
    ip_type: String,
}

impl Action for SetIpAddressType {
    type Output = Rendered;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arn = required(p, "LoadBalancerArn")?.to_string();
        required(p, "IpAddressType")?;
        Ok(SetIpAddressType { arn, ip_type: enum_member(p, "IpAddressType", IP_TYPES)?.unwrap_or("ipv4").to_string() })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rendered> {
        let lb = find_lb(r, &self.arn)?;
        let subnets: Vec<ResolvedSubnet> = lb
            .subnets
            .iter()
            .map(|s| ResolvedSubnet { subnet_id: s.subnet_id.clone(), az: s.az.clone(), vpc_id: lb.vpc_id.clone(), ip: None })
            .collect();
        check_ip_type(&self.ip_type, &subnets)?;
        if let Some(lb) = r.elb.lbs.get_mut(&self.arn) {
            lb.ip_address_type.clone_from(&self.ip_type);
        }
        Ok(Rendered::with(cx, |w| {
            w.leaf("IpAddressType", &self.ip_type);
        }))
    }
}
