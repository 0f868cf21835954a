//! GetSecurityGroupsForVpc: the groups a caller may put on interfaces in a VPC — lbsim has no
//! security-group VPC associations, so these are the VPC's own groups (through `sgs_by_vpc`).
//! The ELB service calls it on the caller's behalf during CreateLoadBalancer (the controller's
//! IAM policy has carried it since v2.10.0: without it AWS answers 403, controller issue #3917).

use super::vpcs::find_vpc;
use crate::api::filters::{Filters, indexed_in_order};
use crate::api::paging::page;
use crate::api::tags::write_tag_set;
use crate::api::{Action, Ctx, Render};
use crate::error::{ApiError, ApiResult};
use crate::state::Region;
use crate::state::ec2::SecurityGroup;
use crate::wire::{P, Xml};

pub const FILTERS: &[&str] = &["group-id", "description", "group-name", "owner-id", "primary-vpc-id"];

pub struct GetSecurityGroupsForVpc {
    vpc: String,
    filters: Filters,
    max: Option<i64>,
    token: Option<String>,
    dry_run: bool,
}

/// The groups chosen, rendered from the Region afterwards.
pub struct GroupsForVpc {
    ids: Vec<String>,
    next: Option<String>,
}

impl Render for GroupsForVpc {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        w.list("securityGroupForVpcSet", self.ids.iter().filter_map(|id| r.sgs().get(id.as_str())), |w, g| {
            w.leaf("description", &g.description).leaf("groupName", &g.name).leaf("ownerId", &g.owner_id).leaf("groupId", &g.id);
            write_tag_set(w, r.tags().get(&g.id));
            w.leaf("primaryVpcId", &g.vpc_id);
        });
        w.opt("nextToken", self.next.as_ref());
    }
}

impl Action for GetSecurityGroupsForVpc {
    type Output = GroupsForVpc;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(GetSecurityGroupsForVpc {
            vpc: p.required("VpcId")?.to_string(),
            filters: Filters::parse(p, "GetSecurityGroupsForVpc", FILTERS)?,
            max: p.int("MaxResults")?,
            token: p.str("NextToken").map(String::from),
            dry_run: p.dry_run()?,
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<GroupsForVpc> {
        find_vpc(r, &self.vpc)?;
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let in_vpc = r.sgs_in_vpc(&self.vpc).clone();
        let hits = match self.filters.tag_candidates(r.tags()) {
            Some(tagged) => in_vpc.intersection(&tagged).cloned().collect(),
            None => in_vpc,
        };
        let matched: Vec<&SecurityGroup> = indexed_in_order(r.sgs(), Some(hits))
            .into_iter()
            .map(|(_, g)| g)
            .filter(|g| {
                self.filters.matches(r.tags().get(&g.id), |name| match name {
                    "group-id" => vec![g.id.clone()],
                    "description" => vec![g.description.clone()],
                    "group-name" => vec![g.name.clone()],
                    "owner-id" => vec![g.owner_id.clone()],
                    "primary-vpc-id" => vec![g.vpc_id.clone()],
                    _ => vec![],
                })
            })
            .collect();
        let (items, next) = page(matched, |g| &g.id, self.max, self.token.as_deref(), "MaxResults", (5, 1000))?;
        Ok(GroupsForVpc { ids: items.into_iter().map(|g| g.id.clone()).collect(), next })
    }
}
