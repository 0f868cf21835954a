//! ModifyIpPools: a load balancer's IPAM pools. lbsim holds no IPAM pools (DescribeIpamPools
//! answers none), so naming one is refused and removing the IPv4 pool — the only member of
//! `RemoveIpamPools` — succeeds with nothing left. The AWS Load Balancer Controller calls it for
//! the `ipam-ipv4-pool-id` annotation (v2.12.0+).

use super::common::{find_lb, required};
use crate::api::{Action, Ctx, Render};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::wire::{P, Xml};

pub struct ModifyIpPools {
    arn: String,
    pool: Option<String>,
}

/// The pools left: none, since lbsim holds none to keep.
pub struct Pools;

impl Render for Pools {
    fn write_xml(&self, _: &Region, _: &mut Xml) {}
}

impl Action for ModifyIpPools {
    type Output = Pools;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arn = required(p, "LoadBalancerArn")?.to_string();
        for (i, v) in p.strings("RemoveIpamPools")?.iter().enumerate() {
            if *v != "ipv4" {
                let member = format!("removeIpamPools.{}.member", i + 1);
                return Err(ApiError::constraint(v, &member, "Member must satisfy enum value set: [ipv4]"));
            }
        }
        let pool = p.child("IpamPools").str("Ipv4IpamPoolId").filter(|s| !s.is_empty()).map(String::from);
        Ok(ModifyIpPools { arn, pool })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Pools> {
        find_lb(r, &self.arn)?;
        if let Some(pool) = self.pool {
            // [unverified] code and text; EC2 would say InvalidIpamPoolId.NotFound.
            return Err(ApiError::new(ErrorCode::InvalidConfigurationRequest, format!("The IPAM pool '{pool}' does not exist")));
        }
        Ok(Pools)
    }
}
