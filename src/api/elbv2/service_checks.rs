//! The checks the ELB service makes on the caller's behalf before it changes anything, through
//! EC2 calls the caller's IAM policy must allow (lbc-since-2.6.md §4, §5):
//!
//! - security-group quotas (`ec2:ValidateSecurityGroupQuotasForInterface`, since September 2026):
//!   CreateLoadBalancer and SetSecurityGroups refuse a group set that one of the load balancer's
//!   interfaces could not carry — the same evaluation as the EC2 action (state/region.rs
//!   `validate_interface_groups`). The Region setting `elb_validates_sg_quotas: false` replays
//!   the time before, when the interfaces were created regardless and broke the quotas later.
//!   AWS's ELBv2 code for the refusal is not documented: `elb_sg_quota_error` picks it
//!   (default `InvalidConfigurationRequest`) [unverified], the message carries EC2's.
//! - internet-facing load balancers (`ec2:DescribeInternetGateways`, `DescribeRouteTables`):
//!   the VPC needs an attached internet gateway (`InvalidSubnet` "VPC … has no internet
//!   gateway", OBS); with `internet_facing_requires: subnet-route` every subnet must also route to
//!   it [unverified: AWS's console only warns about such subnets].

use crate::error::{ApiError, ApiResult};
use crate::state::{InternetFacingCheck, Region};

/// The security-group quota check for the groups a load balancer's interfaces would carry.
pub fn check_sg_quotas(r: &Region, groups: &[String]) -> ApiResult<()> {
    if !r.settings.elb_validates_sg_quotas || groups.is_empty() {
        return Ok(());
    }
    r.validate_interface_groups(groups).map_err(|e| ApiError::elb_sg_quota(&r.settings.elb_sg_quota_error, &e))
}

/// The internet-gateway check for an internet-facing load balancer in `vpc` on `subnets`
/// (SetSubnets passes only the subnets it adds).
pub fn check_internet_facing(r: &Region, scheme: &str, vpc: &str, subnets: &[&str]) -> ApiResult<()> {
    if scheme != "internet-facing" {
        return Ok(());
    }
    match r.settings.internet_facing_requires {
        InternetFacingCheck::None => Ok(()),
        InternetFacingCheck::VpcGateway | InternetFacingCheck::SubnetRoute if r.vpc_igw(vpc).is_none() => {
            Err(ApiError::vpc_without_igw(vpc))
        }
        InternetFacingCheck::VpcGateway => Ok(()),
        InternetFacingCheck::SubnetRoute => match subnets.iter().find(|s| !r.subnet_routes_to_igw(s)) {
            Some(s) => Err(ApiError::subnet_without_igw_route(s)),
            None => Ok(()),
        },
    }
}
