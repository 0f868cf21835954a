//! CreateSubnet, DescribeSubnets, DeleteSubnet (aws-api.md §2.4).

use ipnet::Ipv4Net;

use super::vpcs::find_vpc;
use crate::api::filters::{Filters, indexed_in_order};
use crate::api::paging::page;
use crate::api::tags::{TagList, check_new, tag_specs, write_tag_set};
use crate::api::{Action, Ctx, Page, Render, ReturnTrue};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::Subnet;
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

pub fn find_subnet<'r>(r: &'r Region, id: &str) -> ApiResult<&'r Subnet> {
    if !well_formed(id, "subnet") {
        return Err(ApiError::new(ErrorCode::InvalidSubnetIdMalformed, format!("Invalid id: \"{id}\" (expecting \"subnet-...\")")));
    }
    r.subnets().get(id).ok_or_else(|| ApiError::subnet_not_found(id))
}

pub fn write_subnet(w: &mut Xml, r: &Region, s: &Subnet) {
    w.leaf("subnetId", &s.id)
        .leaf("subnetArn", r.arn("ec2", &format!("subnet/{}", s.id)))
        .leaf("state", "available")
        .leaf("ownerId", &r.account)
        .leaf("vpcId", &s.vpc_id)
        .leaf("cidrBlock", s.cidr.to_string())
        .list("ipv6CidrBlockAssociationSet", std::iter::empty::<()>(), |_, _| {})
        .int("availableIpAddressCount", s.available())
        .leaf("availabilityZone", &s.az)
        .leaf("availabilityZoneId", &s.az_id)
        .bool("defaultForAz", s.default_for_az)
        .bool("mapPublicIpOnLaunch", s.map_public_ip_on_launch)
        .bool("assignIpv6AddressOnCreation", false)
        .bool("mapCustomerOwnedIpOnLaunch", false)
        .bool("enableDns64", false)
        .bool("ipv6Native", false);
    w.open("privateDnsNameOptionsOnLaunch")
        .leaf("hostnameType", "ip-name")
        .bool("enableResourceNameDnsARecord", false)
        .bool("enableResourceNameDnsAAAARecord", false)
        .close("privateDnsNameOptionsOnLaunch");
    write_tag_set(w, r.tags().get(&s.id));
}

/// CreateSubnet's answer: the new subnet.
pub struct SubnetCreated(String);

impl Render for SubnetCreated {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        if let Some(s) = r.subnets().get(&self.0) {
            w.open("subnet");
            write_subnet(w, r, s);
            w.close("subnet");
        }
    }
    fn created(&self) -> Vec<&str> {
        vec![&self.0]
    }
}

/// DescribeSubnets' answer.
pub struct Subnets(Page);

impl Render for Subnets {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        w.list("subnetSet", self.0.of(r.subnets()), |w, s| write_subnet(w, r, s));
        w.opt("nextToken", self.0.next.as_ref());
    }
}

pub struct CreateSubnet {
    vpc: String,
    cidr: Ipv4Net,
    raw_cidr: String,
    az: Option<String>,
    az_id: Option<String>,
    tags: TagList,
    dry_run: bool,
}

impl Action for CreateSubnet {
    type Output = SubnetCreated;
    fn from_params(p: &P) -> ApiResult<Self> {
        let vpc = p.required("VpcId")?.to_string();
        let raw = p.required("CidrBlock")?;
        let cidr: Ipv4Net = raw
            .parse()
            .map_err(|_| ApiError::invalid(format!("Value ({raw}) for parameter cidrBlock is invalid. This is not a valid CIDR block.")))?;
        Ok(CreateSubnet {
            vpc,
            cidr,
            raw_cidr: raw.to_string(),
            az: p.str("AvailabilityZone").map(String::from),
            az_id: p.str("AvailabilityZoneId").map(String::from),
            tags: tag_specs(p, "subnet")?,
            dry_run: p.dry_run()?,
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<SubnetCreated> {
        let vpc = find_vpc(r, &self.vpc)?;
        if self.cidr != self.cidr.trunc() || !vpc.cidr.contains(&self.cidr) || !(16..=28).contains(&self.cidr.prefix_len()) {
            return Err(ApiError::new(ErrorCode::InvalidSubnetRange, format!("The CIDR '{}' is invalid.", self.raw_cidr)));
        }
        if r.subnets().values().any(|s| s.vpc_id == vpc.id && (s.cidr.contains(&self.cidr) || self.cidr.contains(&s.cidr))) {
            return Err(ApiError::new(
                ErrorCode::InvalidSubnetConflict,
                format!("The CIDR '{}' conflicts with another subnet", self.raw_cidr),
            ));
        }
        let az = match (&self.az, &self.az_id) {
            (Some(name), _) => r.az(name).cloned().ok_or_else(|| {
                ApiError::new(ErrorCode::InvalidParameterValue, format!("Value ({name}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: {}.", r.azs().iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")))
            })?,
            (None, Some(id)) => r.azs().iter().find(|a| &a.id == id).cloned().ok_or_else(|| ApiError::invalid(format!("Value ({id}) for parameter availabilityZoneId is invalid.")))?,
            // AWS picks a zone; we take the one with the fewest subnets of this VPC.
            (None, None) => r.azs().iter().min_by_key(|a| r.subnets().values().filter(|s| s.vpc_id == vpc.id && s.az == a.name).count()).cloned().ok_or_else(ApiError::internal)?,
        };
        check_new(r, &self.tags)?;
        if r.subnets().values().filter(|s| s.vpc_id == vpc.id).count() as u64 >= r.quotas.subnets_per_vpc {
            return Err(ApiError::new(ErrorCode::SubnetLimitExceeded, "The maximum number of subnets has been reached."));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let vpc = vpc.id.clone();
        let id = r.create_subnet(&vpc, self.cidr, &az.name, &az.id, false);
        r.set_tags(&id, &self.tags);
        Ok(SubnetCreated(id))
    }
}

pub const SUBNET_FILTERS: &[&str] = &[
    "availability-zone",
    "availability-zone-id",
    "available-ip-address-count",
    "cidr-block",
    "default-for-az",
    "map-public-ip-on-launch",
    "owner-id",
    "state",
    "subnet-arn",
    "subnet-id",
    "vpc-id",
];

pub struct DescribeSubnets {
    ids: Vec<String>,
    filters: Filters,
    max: Option<i64>,
    token: Option<String>,
}

impl Action for DescribeSubnets {
    type Output = Subnets;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeSubnets {
            ids: p.strings("SubnetId")?.into_iter().map(String::from).collect(),
            filters: Filters::parse(p, "DescribeSubnets", SUBNET_FILTERS)?,
            max: p.int("MaxResults")?,
            token: p.str("NextToken").map(String::from),
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Subnets> {
        for id in &self.ids {
            find_subnet(r, id)?;
        }
        // Candidates through the tag index when a tag filter names exact values.
        let hits = if self.ids.is_empty() { self.filters.tag_candidates(r.tags()) } else { Some(self.ids.iter().cloned().collect()) };
        let candidates: Vec<(usize, &Subnet)> = indexed_in_order(r.subnets(), hits);
        let matched: Vec<(usize, &Subnet)> = candidates
            .into_iter()
            .filter(|(_, s)| {
                self.filters.matches(r.tags().get(&s.id), |name| match name {
                    "availability-zone" => vec![s.az.clone()],
                    "availability-zone-id" => vec![s.az_id.clone()],
                    "available-ip-address-count" => vec![s.available().to_string()],
                    "cidr-block" => vec![s.cidr.to_string()],
                    "default-for-az" => vec![s.default_for_az.to_string()],
                    "map-public-ip-on-launch" => vec![s.map_public_ip_on_launch.to_string()],
                    "owner-id" => vec![r.account.clone()],
                    "state" => vec!["available".into()],
                    "subnet-arn" => vec![r.arn("ec2", &format!("subnet/{}", s.id))],
                    "subnet-id" => vec![s.id.clone()],
                    "vpc-id" => vec![s.vpc_id.clone()],
                    _ => vec![],
                })
            })
            .collect();
        let (items, next) = page(matched, |(_, s)| &s.id, self.max, self.token.as_deref(), "MaxResults", (5, 1000))?;
        Ok(Subnets(Page::new(items, next)))
    }
}

pub struct DeleteSubnet {
    id: String,
    dry_run: bool,
}

impl Action for DeleteSubnet {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DeleteSubnet { id: p.required("SubnetId")?.to_string(), dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        find_subnet(r, &self.id)?;
        // Interfaces (an instance's or an NLB's) keep a subnet alive.
        if r.enis().values().any(|e| e.subnet_id == self.id) {
            return Err(ApiError::new(
                ErrorCode::DependencyViolation,
                format!("The subnet '{}' has dependencies and cannot be deleted.", self.id),
            ));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        r.remove_subnet(&self.id);
        Ok(ReturnTrue)
    }
}
