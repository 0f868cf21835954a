//! CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer, SetSubnets, SetIpAddressType
//! (aws-api.md §1.7.5, §2.5, §2.7, lbc-ingress.md §8.4): Network Load Balancers
//! (`loadbalancer/net/…`) and Application Load Balancers (`loadbalancer/app/…`, the default
//! type: subnets in at least two zones, always security groups — the VPC's default group when
//! none is given — subnets that can be added and removed) with DNS names and hosted zones as AWS
//! forms them, `provisioning` → `active` on the server clock, one requester-managed interface
//! per subnet carrying the groups, idempotent creates and each type's quota. Gateway Load
//! Balancers are refused, never half-served.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};

use super::attributes::{alb_defaults, lb_defaults};
use super::common::{NameOf, Paging, arn_is, check_name, check_tag_quota, enum_member, find_lb, parse_tags, required};
use super::security_groups::resolve_groups;
use crate::api::{Action, Ctx, Empty, Page, Render};
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

/// The ALB (and Classic) canonical hosted zone of a Region (ELB-EP). us-east-1/2 and us-west-1
/// are in aws-api.md §2.7; the rest are from AWS's published table [unverified here].
pub fn alb_hosted_zone(region: &str) -> &'static str {
    match region {
        "us-east-1" => "Z35SXDOTRQ7X7K",
        "us-east-2" => "Z3AADJGX6KTTL2",
        "us-west-1" => "Z368ELLRRE2KJ0",
        "us-west-2" => "Z1H1FL5HABSF5",
        "af-south-1" => "Z268VQBMOI5EKX",
        "ap-east-1" => "Z3DQVH9N71FHZ0",
        "ap-south-1" => "ZP97RAFLXTNZK",
        "ap-northeast-1" => "Z14GRHDCWA56QT",
        "ap-northeast-2" => "ZWKZPGTI48KDX",
        "ap-northeast-3" => "Z5LXEXXYW11ES",
        "ap-southeast-1" => "Z1LMS91P8CMLE5",
        "ap-southeast-2" => "Z1GM3OXH4ZPM65",
        "ca-central-1" => "ZQSVJUPU6J1EY",
        "eu-central-1" => "Z215JYRZR1TBD5",
        "eu-west-1" => "Z32O12XQLNTSW2",
        "eu-west-2" => "ZHURV8PSTC4K8",
        "eu-west-3" => "Z3Q77PNBQS71R4",
        "eu-north-1" => "Z23TAZ7KIV4FN",
        "eu-south-1" => "Z3ULH7SSC9OV64",
        "me-south-1" => "ZS929ML54UICD",
        "sa-east-1" => "Z2P70J7HTTTPLU",
        "cn-north-1" => "Z1GDH35T77C1KE",
        "cn-northwest-1" => "ZM7IZAIOVVDZF",
        "us-gov-west-1" => "Z33AYJ8TM3BH4J",
        "us-gov-east-1" => "Z166TLBEWOO7G0",
        _ => "Z35SXDOTRQ7X7K",
    }
}

/// `<name>-<digits>.<region>.elb.amazonaws.com`, `internal-` first for internal ones (BC-EXM).
/// The digits are the first 32 bits of the ARN's id, in decimal, so the name is stable.
pub fn alb_dns_name(r: &Region, name: &str, id: &str, scheme: &str) -> String {
    let prefix = if scheme == "internal" { "internal-" } else { "" };
    let suffix = if r.partition == "aws-cn" { ".cn" } else { "" };
    let digits = u32::from_str_radix(id.get(..8).unwrap_or("0"), 16).unwrap_or(0);
    format!("{prefix}{name}-{digits}.{}.elb.amazonaws.com{suffix}", r.name)
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
    w.leaf("Type", &lb.kind);
    write_azs(w, lb);
    if !lb.security_groups.is_empty() || lb.is_alb() {
        w.strings("SecurityGroups", &lb.security_groups);
    }
    w.leaf("IpAddressType", &lb.ip_address_type);
    w.opt("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic", lb.enforce_private_link.as_ref());
}

/// The `LoadBalancers` of CreateLoadBalancer and DescribeLoadBalancers: a page of load
/// balancers with their state at `now`; `new` is the ARN a create just made.
pub struct Lbs {
    page: Page,
    now: DateTime<Utc>,
    new: Option<String>,
}

impl Render for Lbs {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        w.list("LoadBalancers", self.page.of(r.elb().lbs()), |w, lb| write_lb(w, r, lb, self.now));
        w.opt("NextMarker", self.page.next.as_ref());
    }
    fn created(&self) -> Vec<&str> {
        self.new.iter().map(String::as_str).collect()
    }
}

/// SetSubnets' answer: the load balancer's zones and address type.
pub struct LbSubnets(String);

impl Render for LbSubnets {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        if let Some(lb) = r.elb().lbs().get(&self.0) {
            write_azs(w, lb);
            w.leaf("IpAddressType", &lb.ip_address_type);
        }
    }
}

/// SetIpAddressType's answer.
pub struct IpType(String);

impl Render for IpType {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        w.opt("IpAddressType", r.elb().lbs().get(&self.0).map(|lb| &lb.ip_address_type));
    }
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
#[derive(Clone)]
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
        let subnet = if well_formed(&s.subnet_id, "subnet") { r.subnets().get(&s.subnet_id) } else { None };
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

fn check_ip_type(ip_type: &str, subnets: &[ResolvedSubnet], alb: bool) -> ApiResult<()> {
    match ip_type {
        "ipv4" => Ok(()),
        "dualstack" => Err(no_ipv6(subnets.first().map(|s| s.subnet_id.as_str()).unwrap_or(""))),
        // Both dual-stack types need IPv6 blocks on every subnet.
        "dualstack-without-public-ipv4" if alb => Err(no_ipv6(subnets.first().map(|s| s.subnet_id.as_str()).unwrap_or(""))),
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
    (lb_name, lb_id, alb): (&str, &str, bool),
    subnets: &[ResolvedSubnet],
    groups: &[String],
    now: DateTime<Utc>,
) -> ApiResult<Vec<(LbSubnet, Eni)>> {
    let kind = if alb { "app" } else { "net" };
    for s in subnets {
        let free = r.subnets().get(&s.subnet_id).map(|x| x.available()).unwrap_or(0);
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
            description: format!("ELB {kind}/{lb_name}/{lb_id}"),
            private_ip: ip.to_string(),
            mac_address: r.new_mac(),
            groups: groups.to_vec(),
            // AWS shows the load balancer's interfaces attached by `amazon-elb` [unverified details].
            attachment: Some(EniAttachment {
                attachment_id,
                instance_id: None,
                instance_owner_id: "amazon-elb".into(),
                device_index: 1,
                delete_on_termination: false,
                attach_time: now,
            }),
            // ALB interfaces are plain `interface`s (believed); NLB ones have their own type.
            interface_type: if alb { "interface" } else { "network_load_balancer" }.into(),
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

/// At least two zones for an ALB (BC-ELB doc; the text is the one Terraform users report).
fn check_alb_zones(subnets: &[ResolvedSubnet]) -> ApiResult<()> {
    let zones: BTreeSet<&str> = subnets.iter().map(|s| s.az.as_str()).collect();
    if zones.len() < 2 {
        return Err(ApiError::validation("At least two subnets in two different Availability Zones must be specified"));
    }
    Ok(())
}

/// ALB subnet mappings take a subnet only [unverified text].
fn check_alb_mappings(req: &[SubnetRequest]) -> ApiResult<()> {
    if req.iter().any(|s| s.allocation_id.is_some() || s.private_ip.is_some()) {
        return Err(ApiError::validation(
            "Elastic IP addresses and private IPv4 addresses cannot be specified for load balancers of type 'application'",
        ));
    }
    Ok(())
}

/// The VPC's default security group, which an ALB created without groups gets (lbc-ingress.md
/// §8.4, OBS).
fn vpc_default_group(r: &Region, vpc: &str) -> ApiResult<Vec<String>> {
    match r.sg_id_by_name(vpc, "default") {
        Some(id) => Ok(vec![id.clone()]),
        // [unverified] text: a VPC always has its default group on AWS.
        None => Err(ApiError::new(ErrorCode::InvalidConfigurationRequest, format!("VPC '{vpc}' has no default security group"))),
    }
}

pub struct CreateLoadBalancer {
    alb: bool,
    name: String,
    scheme: String,
    ip_type: String,
    subnets: Option<Vec<SubnetRequest>>,
    groups: Vec<String>,
    tags: Tags,
}

impl Action for CreateLoadBalancer {
    type Output = Lbs;
    fn from_params(p: &P) -> ApiResult<Self> {
        let name = required(p, "Name")?.to_string();
        check_name(&name, NameOf::LoadBalancer)?;
        let alb = match enum_member(p, "Type", TYPES)?.unwrap_or("application") {
            "network" => false,
            "application" => true,
            other => return Err(ApiError::elb_type_not_emulated(&format!("Load balancer type '{other}'"))),
        };
        Ok(CreateLoadBalancer {
            alb,
            name,
            scheme: enum_member(p, "Scheme", SCHEMES)?.unwrap_or("internet-facing").to_string(),
            ip_type: enum_member(p, "IpAddressType", IP_TYPES)?.unwrap_or("ipv4").to_string(),
            subnets: parse_subnets(p)?,
            groups: p.strings("SecurityGroups")?.into_iter().map(String::from).collect(),
            tags: parse_tags(p, "Tags")?,
        })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Lbs> {
        let Some(req) = &self.subnets else {
            // [unverified] text.
            return Err(ApiError::validation("At least one subnet must be specified"));
        };
        if self.alb {
            check_alb_mappings(req)?;
        }
        let subnets = resolve_subnets(r, req, &self.scheme, None, &[])?;
        if self.alb {
            check_alb_zones(&subnets)?;
        }
        let vpc = subnets.first().map(|s| s.vpc_id.clone()).unwrap_or_default();
        check_ip_type(&self.ip_type, &subnets, self.alb)?;
        let groups = match (self.groups.is_empty(), self.alb) {
            (false, _) => resolve_groups(r, &self.groups, &vpc, self.alb)?,
            (true, true) => vpc_default_group(r, &vpc)?,
            (true, false) => Vec::new(),
        };
        let kind = if self.alb { "application" } else { "network" };
        check_tag_quota(&Vec::new(), &self.tags, r.quotas.elb_tags_per_resource)?;
        // Same name: same settings return the existing load balancer, others are refused.
        if let Some(lb) = r.elb().lb_by_name(&self.name) {
            let have: BTreeSet<&str> = lb.subnets.iter().map(|s| s.subnet_id.as_str()).collect();
            let want: BTreeSet<&str> = subnets.iter().map(|s| s.subnet_id.as_str()).collect();
            let same_groups = lb.security_groups.iter().collect::<BTreeSet<_>>() == groups.iter().collect::<BTreeSet<_>>();
            if lb.kind == kind && lb.scheme == self.scheme && lb.ip_address_type == self.ip_type && have == want && same_groups {
                return Ok(Lbs { page: Page::keyed(r.elb().lbs(), [lb.arn.as_str()], None), now: cx.now, new: None });
            }
            return Err(ApiError::duplicate_lb(&self.name));
        }
        if r.elb().lbs().values().filter(|l| l.is_alb() == self.alb).count() as u64 >= r.quotas.load_balancers(self.alb) {
            return Err(ApiError::too_many_lbs(&r.account));
        }
        let id = r.ids.hex16();
        let planned = plan_enis(r, (&self.name, &id, self.alb), &subnets, &groups, cx.now)?;
        let short = if self.alb { "app" } else { "net" };
        let arn = r.arn("elasticloadbalancing", &format!("loadbalancer/{short}/{}/{id}", self.name));
        let (lb_subnets, enis): (Vec<LbSubnet>, Vec<Eni>) = planned.into_iter().unzip();
        let (dns_name, hosted_zone) = if self.alb {
            (alb_dns_name(r, &self.name, &id, &self.scheme), alb_hosted_zone(&r.name))
        } else {
            (nlb_dns_name(r, &self.name, &id, &self.scheme), nlb_hosted_zone(&r.name))
        };
        let lb = LoadBalancer {
            arn: arn.clone(),
            dns_name,
            hosted_zone: hosted_zone.to_string(),
            name: self.name,
            id,
            attributes: if self.alb { alb_defaults(&self.scheme) } else { lb_defaults(&self.scheme) },
            kind: kind.to_string(),
            scheme: self.scheme,
            vpc_id: vpc,
            ip_address_type: self.ip_type,
            created: cx.now,
            subnets: lb_subnets,
            // AWS turns the PrivateLink enforcement on for an NLB created with groups.
            enforce_private_link: (!self.alb && !groups.is_empty()).then(|| "on".to_string()),
            security_groups: groups,
            tags: self.tags,
        };
        r.insert_lb(lb, enis);
        Ok(Lbs { page: Page::keyed(r.elb().lbs(), [arn.as_str()], None), now: cx.now, new: Some(arn) })
    }
}

pub struct DescribeLoadBalancers {
    arns: Vec<String>,
    names: Vec<String>,
    paging: Paging,
}

impl Action for DescribeLoadBalancers {
    type Output = Lbs;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arns: Vec<String> = p.strings("LoadBalancerArns")?.into_iter().map(String::from).collect();
        let names: Vec<String> = p.strings("Names")?.into_iter().map(String::from).collect();
        if !arns.is_empty() && !names.is_empty() {
            // [unverified] text.
            return Err(ApiError::validation("Load balancer names and load balancer ARNs cannot be specified at the same time"));
        }
        Ok(DescribeLoadBalancers { arns, names, paging: Paging::parse(p)? })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Lbs> {
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
            let missing: Vec<&str> = self.names.iter().filter(|n| r.elb().lb_by_name(n).is_none()).map(String::as_str).collect();
            if !missing.is_empty() {
                return Err(ApiError::lb_names_not_found(&missing));
            }
            let mut v: Vec<&LoadBalancer> = Vec::new();
            for lb in self.names.iter().filter_map(|n| r.elb().lb_by_name(n)) {
                if !v.iter().any(|x| x.arn == lb.arn) {
                    v.push(lb);
                }
            }
            v
        } else {
            r.elb().lbs().values().collect()
        };
        let (items, next) = self.paging.page(lbs, |l| &l.arn)?;
        Ok(Lbs { page: Page::keyed(r.elb().lbs(), items.iter().map(|l| l.arn.as_str()), next), now: cx.now, new: None })
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
        let Some(lb) = r.elb().lbs().get(&self.arn) else { return Ok(Empty) };
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
    type Output = LbSubnets;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(SetSubnets {
            arn: required(p, "LoadBalancerArn")?.to_string(),
            subnets: parse_subnets(p)?,
            ip_type: enum_member(p, "IpAddressType", IP_TYPES)?.map(String::from),
        })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<LbSubnets> {
        // Owned: planning the new interfaces takes ids from the Region.
        let lb = find_lb(r, &self.arn)?.clone();
        let Some(req) = &self.subnets else {
            return Err(ApiError::validation("At least one subnet must be specified"));
        };
        if lb.is_alb() {
            check_alb_mappings(req)?;
        }
        let wanted = resolve_subnets(r, req, &lb.scheme, Some(&lb.vpc_id), &lb.subnets)?;
        check_ip_type(self.ip_type.as_deref().unwrap_or(&lb.ip_address_type), &wanted, lb.is_alb())?;
        if lb.is_alb() {
            // ALB subnets are replaced as a set, keeping two zones.
            check_alb_zones(&wanted)?;
        } else {
            // NLB subnets can be added but not removed or swapped [unverified text].
            for s in &lb.subnets {
                if !wanted.iter().any(|w| w.subnet_id == s.subnet_id) {
                    return Err(ApiError::new(
                        ErrorCode::InvalidConfigurationRequest,
                        format!("Subnet '{}' cannot be removed from a load balancer of type 'network'", s.subnet_id),
                    ));
                }
            }
        }
        let new: Vec<ResolvedSubnet> = wanted.iter().filter(|w| !lb.subnets.iter().any(|s| s.subnet_id == w.subnet_id)).cloned().collect();
        let planned = plan_enis(r, (&lb.name, &lb.id, lb.is_alb()), &new, &lb.security_groups, cx.now)?;
        let (kept, removed): (Vec<LbSubnet>, Vec<LbSubnet>) =
            lb.subnets.iter().cloned().partition(|s| wanted.iter().any(|w| w.subnet_id == s.subnet_id));
        let mut subnets = kept;
        let mut enis = Vec::new();
        for (s, e) in planned {
            subnets.push(s);
            enis.push(e);
        }
        // Request order, as AWS lists the zones it was given.
        subnets.sort_by_key(|s| wanted.iter().position(|w| w.subnet_id == s.subnet_id));
        let removed: Vec<String> = removed.into_iter().map(|s| s.eni_id).collect();
        r.set_lb_subnets(&self.arn, subnets, enis, &removed, cx.now);
        Ok(LbSubnets(self.arn))
    }
}

pub struct SetIpAddressType {
    arn: String,
    ip_type: String,
}

impl Action for SetIpAddressType {
    type Output = IpType;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arn = required(p, "LoadBalancerArn")?.to_string();
        required(p, "IpAddressType")?;
        Ok(SetIpAddressType { arn, ip_type: enum_member(p, "IpAddressType", IP_TYPES)?.unwrap_or("ipv4").to_string() })
    }

    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<IpType> {
        let lb = find_lb(r, &self.arn)?;
        let subnets: Vec<ResolvedSubnet> = lb
            .subnets
            .iter()
            .map(|s| ResolvedSubnet { subnet_id: s.subnet_id.clone(), az: s.az.clone(), vpc_id: lb.vpc_id.clone(), ip: None })
            .collect();
        check_ip_type(&self.ip_type, &subnets, lb.is_alb())?;
        r.elb_mut().set_lb_ip_type(&self.arn, &self.ip_type);
        Ok(IpType(self.arn))
    }
}
