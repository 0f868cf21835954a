//! EC2 actions (Version 2016-11-15), one file per resource family. The table below is the only
//! place an EC2 action name is matched.

pub mod account;
pub mod sg_perms;
pub mod subnets;
pub mod vpcs;

use crate::api::{Ctx, run};
use crate::error::ApiResult;
use crate::wire::Params;

pub fn dispatch(cx: &Ctx, action: &str, p: &Params) -> Option<ApiResult<String>> {
    Some(match action {
        "CreateVpc" => run::<vpcs::CreateVpc>(cx, p),
        "DescribeVpcs" => run::<vpcs::DescribeVpcs>(cx, p),
        "DeleteVpc" => run::<vpcs::DeleteVpc>(cx, p),
        "CreateSubnet" => run::<subnets::CreateSubnet>(cx, p),
        "DescribeSubnets" => run::<subnets::DescribeSubnets>(cx, p),
        "DeleteSubnet" => run::<subnets::DeleteSubnet>(cx, p),
        "DescribeAvailabilityZones" => run::<account::DescribeAvailabilityZones>(cx, p),
        "DescribeAccountAttributes" => run::<account::DescribeAccountAttributes>(cx, p),
        _ => return None,
    })
}
