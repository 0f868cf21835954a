//! Describes of resources lbsim never holds — Elastic IPs (DescribeAddresses), customer-owned IP
//! pools of Outposts (DescribeCoipPools, GetCoipPoolUsage), IPAM pools (DescribeIpamPools) and
//! VPC peering connections (DescribeVpcPeeringConnections). The ELB service reads them on the
//! caller's behalf (they are in the AWS Load Balancer Controller's IAM policy), and AWS answers an
//! account that has none exactly so: an empty list in the action's shape. Input is still checked
//! as AWS checks it — filter names, page sizes and tokens, and any id named is malformed or
//! not found, since none can exist.

use crate::api::filters::Filters;
use crate::api::paging::page;
use crate::api::{Action, Ctx, Render};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

pub const ADDRESS_FILTERS: &[&str] = &[
    "allocation-id",
    "association-id",
    "instance-id",
    "network-border-group",
    "network-interface-id",
    "network-interface-owner-id",
    "private-ip-address",
    "public-ip",
];
pub const COIP_FILTERS: &[&str] = &["coip-pool.local-gateway-route-table-id", "coip-pool.pool-id"];
pub const COIP_USAGE_FILTERS: &[&str] = &[
    "coip-address-usage.allocation-id",
    "coip-address-usage.aws-account-id",
    "coip-address-usage.aws-service",
    "coip-address-usage.co-ip",
];
/// The model documents no names for DescribeIpamPools' filters, so none is refused.
pub const IPAM_FILTERS: &[&str] = &[];
pub const PEERING_FILTERS: &[&str] = &[
    "accepter-vpc-info.cidr-block",
    "accepter-vpc-info.owner-id",
    "accepter-vpc-info.vpc-id",
    "expiration-time",
    "requester-vpc-info.cidr-block",
    "requester-vpc-info.owner-id",
    "requester-vpc-info.vpc-id",
    "status-code",
    "status-message",
    "vpc-peering-connection-id",
];

/// An empty answer: the list element only (an empty list has no `nextToken`).
pub struct Nothing(&'static str);

impl Render for Nothing {
    fn write_xml(&self, _: &Region, w: &mut Xml) {
        w.list(self.0, std::iter::empty::<()>(), |_, _| {});
    }
}

/// `MaxResults` and `NextToken` checked over the empty list: a bad size or any token is refused.
fn check_paging(p: &P, bounds: (i64, i64)) -> ApiResult<()> {
    let none: Vec<String> = Vec::new();
    page(none, |s| s, p.int("MaxResults")?, p.str("NextToken"), "MaxResults", bounds).map(|_| ())
}

/// Any id is malformed (wrong prefix) or does not exist.
fn no_such(id: &str, prefix: &str, malformed: ErrorCode, missing: ErrorCode, kind: &str) -> ApiError {
    if well_formed(id, prefix) { ApiError::id_not_found(missing, kind, id) } else { ApiError::malformed_id(malformed, id, prefix) }
}

pub struct DescribeAddresses {
    public_ips: Vec<String>,
    allocation_ids: Vec<String>,
}

impl Action for DescribeAddresses {
    type Output = Nothing;
    fn from_params(p: &P) -> ApiResult<Self> {
        Filters::parse(p, "DescribeAddresses", ADDRESS_FILTERS)?;
        p.dry_run()?;
        Ok(DescribeAddresses {
            public_ips: p.strings("PublicIp")?.into_iter().map(String::from).collect(),
            allocation_ids: p.strings("AllocationId")?.into_iter().map(String::from).collect(),
        })
    }
    fn apply(self, _: &mut Region, _: &Ctx) -> ApiResult<Nothing> {
        if let Some(ip) = self.public_ips.first() {
            return Err(ApiError::address_not_found(ip));
        }
        if let Some(id) = self.allocation_ids.first() {
            return Err(no_such(
                id,
                "eipalloc",
                ErrorCode::InvalidAllocationIdMalformed,
                ErrorCode::InvalidAllocationIdNotFound,
                "allocation",
            ));
        }
        Ok(Nothing("addressesSet"))
    }
}

fn coip_not_found(id: &str) -> ApiError {
    // [unverified] codes and text for customer-owned IP pools.
    no_such(id, "ipv4pool-coip", ErrorCode::InvalidCoipPoolIdMalformed, ErrorCode::InvalidCoipPoolIdNotFound, "coip pool")
}

pub struct DescribeCoipPools {
    ids: Vec<String>,
}

impl Action for DescribeCoipPools {
    type Output = Nothing;
    fn from_params(p: &P) -> ApiResult<Self> {
        Filters::parse(p, "DescribeCoipPools", COIP_FILTERS)?;
        check_paging(p, (5, 1000))?;
        p.dry_run()?;
        Ok(DescribeCoipPools { ids: p.strings("PoolId")?.into_iter().map(String::from).collect() })
    }
    fn apply(self, _: &mut Region, _: &Ctx) -> ApiResult<Nothing> {
        match self.ids.first() {
            Some(id) => Err(coip_not_found(id)),
            None => Ok(Nothing("coipPoolSet")),
        }
    }
}

pub struct GetCoipPoolUsage {
    id: String,
}

impl Action for GetCoipPoolUsage {
    type Output = Nothing;
    fn from_params(p: &P) -> ApiResult<Self> {
        let id = p.required("PoolId")?.to_string();
        Filters::parse(p, "GetCoipPoolUsage", COIP_USAGE_FILTERS)?;
        check_paging(p, (5, 1000))?;
        p.dry_run()?;
        Ok(GetCoipPoolUsage { id })
    }
    fn apply(self, _: &mut Region, _: &Ctx) -> ApiResult<Nothing> {
        Err(coip_not_found(&self.id))
    }
}

pub struct DescribeIpamPools {
    ids: Vec<String>,
}

impl Action for DescribeIpamPools {
    type Output = Nothing;
    fn from_params(p: &P) -> ApiResult<Self> {
        // Names are not checked (IPAM_FILTERS is empty because the model lists none), only read.
        for f in p.list("Filter")? {
            f.required("Name")?;
        }
        check_paging(p, (5, 1000))?;
        p.dry_run()?;
        Ok(DescribeIpamPools { ids: p.strings("IpamPoolId")?.into_iter().map(String::from).collect() })
    }
    fn apply(self, _: &mut Region, _: &Ctx) -> ApiResult<Nothing> {
        match self.ids.first() {
            Some(id) => {
                Err(no_such(id, "ipam-pool", ErrorCode::InvalidIpamPoolIdMalformed, ErrorCode::InvalidIpamPoolIdNotFound, "ipam pool"))
            }
            None => Ok(Nothing("ipamPoolSet")),
        }
    }
}

pub struct DescribeVpcPeeringConnections {
    ids: Vec<String>,
}

impl Action for DescribeVpcPeeringConnections {
    type Output = Nothing;
    fn from_params(p: &P) -> ApiResult<Self> {
        Filters::parse(p, "DescribeVpcPeeringConnections", PEERING_FILTERS)?;
        check_paging(p, (5, 1000))?;
        p.dry_run()?;
        Ok(DescribeVpcPeeringConnections { ids: p.strings("VpcPeeringConnectionId")?.into_iter().map(String::from).collect() })
    }
    fn apply(self, _: &mut Region, _: &Ctx) -> ApiResult<Nothing> {
        match self.ids.first() {
            Some(id) => Err(no_such(
                id,
                "pcx",
                ErrorCode::InvalidVpcPeeringConnectionIdMalformed,
                ErrorCode::InvalidVpcPeeringConnectionIdNotFound,
                "vpcPeeringConnection",
            )),
            None => Ok(Nothing("vpcPeeringConnectionSet")),
        }
    }
}
