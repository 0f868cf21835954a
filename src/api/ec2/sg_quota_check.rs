//! ValidateSecurityGroupQuotasForInterface (lbc-since-2.6.md §5; aws-sdk-ec2 1.274.0): would one
//! network interface carrying exactly these groups stay within the quotas? "Only authorized AWS
//! services can call this operation": a customer's call is refused with `UnauthorizedOperation`
//! (403) before anything else, as AWS's authorization runs first [unverified text]; callers the
//! config lists in `service_access_keys` get the evaluation, the same one the ELB service runs
//! inside CreateLoadBalancer and SetSecurityGroups (elbv2/sg_quota_check.rs).
//!
//! Failures answer with the quota's own EC2 code (`SecurityGroupsPerInterfaceLimitExceeded`,
//! `RulesPerSecurityGroupLimitExceeded`) [unverified: AWS documents only that "the operation
//! returns an error"]; success is `<valid>true</valid>`.

use crate::api::{Action, Ctx, Render};
use crate::error::{ApiError, ApiResult};
use crate::state::Region;
use crate::wire::{P, Xml};

pub struct ValidateSecurityGroupQuotasForInterface {
    groups: Vec<String>,
    dry_run: bool,
}

/// The answer: the groups passed (a failure is an error, never `false`).
pub struct Valid;

impl Render for Valid {
    fn write_xml(&self, _: &Region, w: &mut Xml) {
        w.bool("valid", true);
    }
}

impl Action for ValidateSecurityGroupQuotasForInterface {
    type Output = Valid;
    fn from_params(p: &P) -> ApiResult<Self> {
        let groups: Vec<String> = p.strings("SecurityGroupId")?.into_iter().map(String::from).collect();
        Ok(ValidateSecurityGroupQuotasForInterface { groups, dry_run: p.dry_run()? })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Valid> {
        if !cx.aws_service {
            return Err(ApiError::unauthorized());
        }
        if self.groups.is_empty() {
            return Err(ApiError::missing("SecurityGroupId"));
        }
        let mut vpc: Option<&str> = None;
        for (i, id) in self.groups.iter().enumerate() {
            let sg = r.sg(id)?;
            if self.groups[..i].contains(id) {
                // The model: "each ID must be unique" [unverified text].
                return Err(ApiError::invalid(format!("The security group '{id}' is specified more than once.")));
            }
            match vpc {
                Some(v) if v != sg.vpc_id => return Err(ApiError::sg_other_network()),
                _ => vpc = Some(&sg.vpc_id),
            }
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        r.validate_interface_groups(&self.groups)?;
        Ok(Valid)
    }
}
