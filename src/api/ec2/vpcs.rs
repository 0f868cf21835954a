//! CreateVpc, DescribeVpcs, DeleteVpc (aws-api.md §2.4).

use ipnet::Ipv4Net;

use crate::api::filters::{Filters, indexed_in_order};
use crate::api::paging::page;
use crate::api::tags::{TagList, check_new, tag_specs, write_tag_set};
use crate::api::{Action, Ctx, Page, Render, ReturnTrue};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::Vpc;
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

/// Checks a VPC id's shape and existence.
pub fn find_vpc<'r>(r: &'r Region, id: &str) -> ApiResult<&'r Vpc> {
    if !well_formed(id, "vpc") {
        return Err(ApiError::new(ErrorCode::InvalidVpcIdMalformed, format!("The vpc ID '{id}' is malformed")));
    }
    r.vpcs().get(id).ok_or_else(|| ApiError::vpc_not_found(id))
}

pub fn write_vpc(w: &mut Xml, r: &Region, v: &Vpc) {
    w.leaf("vpcId", &v.id)
        .leaf("ownerId", &r.account)
        .leaf("state", "available")
        .leaf("cidrBlock", v.cidr.to_string())
        .list("cidrBlockAssociationSet", [v], |w, v| {
            w.leaf("associationId", &v.cidr_association_id).leaf("cidrBlock", v.cidr.to_string());
            w.open("cidrBlockState").leaf("state", "associated").close("cidrBlockState");
        })
        .list("ipv6CidrBlockAssociationSet", v.ipv6_cidr.iter(), |w, (net, assoc)| {
            w.leaf("associationId", assoc).leaf("ipv6CidrBlock", net.to_string());
            w.open("ipv6CidrBlockState").leaf("state", "associated").close("ipv6CidrBlockState");
        })
        .leaf("dhcpOptionsId", &v.dhcp_options_id)
        .leaf("instanceTenancy", &v.instance_tenancy)
        .bool("isDefault", v.is_default);
    write_tag_set(w, r.tags().get(&v.id));
}

/// CreateVpc's answer: the new VPC.
pub struct VpcCreated(String);

impl Render for VpcCreated {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        if let Some(v) = r.vpcs().get(&self.0) {
            w.open("vpc");
            write_vpc(w, r, v);
            w.close("vpc");
        }
    }
    fn created(&self) -> Vec<&str> {
        vec![&self.0]
    }
}

/// DescribeVpcs' answer.
pub struct Vpcs(Page);

impl Render for Vpcs {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        w.list("vpcSet", self.0.of(r.vpcs()), |w, v| write_vpc(w, r, v));
        w.opt("nextToken", self.0.next.as_ref());
    }
}

pub struct CreateVpc {
    cidr: Ipv4Net,
    tenancy: String,
    tags: TagList,
    dry_run: bool,
}

impl Action for CreateVpc {
    type Output = VpcCreated;
    fn from_params(p: &P) -> ApiResult<Self> {
        let raw = p.required("CidrBlock")?;
        let cidr: Ipv4Net = raw
            .parse()
            .map_err(|_| ApiError::invalid(format!("Value ({raw}) for parameter cidrBlock is invalid. This is not a valid CIDR block.")))?;
        if !(16..=28).contains(&cidr.prefix_len()) {
            return Err(ApiError::new(ErrorCode::InvalidVpcRange, format!("The CIDR '{raw}' is invalid.")));
        }
        Ok(CreateVpc {
            cidr: cidr.trunc(),
            tenancy: p.str("InstanceTenancy").unwrap_or("default").to_string(),
            tags: tag_specs(p, "vpc")?,
            dry_run: p.dry_run()?,
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<VpcCreated> {
        check_new(r, &self.tags)?;
        if r.vpcs().len() as u64 >= r.quotas.vpcs_per_region {
            return Err(ApiError::new(ErrorCode::VpcLimitExceeded, "The maximum number of VPCs has been reached."));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let id = r.create_vpc(self.cidr, false, &self.tenancy);
        r.set_tags(&id, &self.tags);
        Ok(VpcCreated(id))
    }
}

const VPC_FILTERS: &[&str] = &[
    "vpc-id",
    "cidr",
    "cidr-block-association.cidr-block",
    "cidr-block-association.association-id",
    "cidr-block-association.state",
    "dhcp-options-id",
    "is-default",
    "owner-id",
    "state",
    "instance-tenancy",
];

pub struct DescribeVpcs {
    ids: Vec<String>,
    filters: Filters,
    max: Option<i64>,
    token: Option<String>,
}

impl Action for DescribeVpcs {
    type Output = Vpcs;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeVpcs {
            ids: p.strings("VpcId")?.into_iter().map(String::from).collect(),
            filters: Filters::parse(p, VPC_FILTERS)?,
            max: p.int("MaxResults")?,
            token: p.str("NextToken").map(String::from),
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Vpcs> {
        for id in &self.ids {
            find_vpc(r, id)?;
        }
        // Candidates through the tag index when a tag filter names exact values.
        let hits = if self.ids.is_empty() { self.filters.tag_candidates(r.tags()) } else { Some(self.ids.iter().cloned().collect()) };
        let candidates: Vec<(usize, &Vpc)> = indexed_in_order(r.vpcs(), hits);
        let matched: Vec<(usize, &Vpc)> = candidates
            .into_iter()
            .filter(|(_, v)| {
                self.filters.matches(r.tags().get(&v.id), |name| match name {
                    "vpc-id" => vec![v.id.clone()],
                    "cidr" | "cidr-block-association.cidr-block" => vec![v.cidr.to_string()],
                    "cidr-block-association.association-id" => vec![v.cidr_association_id.clone()],
                    "cidr-block-association.state" => vec!["associated".into()],
                    "dhcp-options-id" => vec![v.dhcp_options_id.clone()],
                    "is-default" => vec![v.is_default.to_string()],
                    "owner-id" => vec![r.account.clone()],
                    "state" => vec!["available".into()],
                    "instance-tenancy" => vec![v.instance_tenancy.clone()],
                    _ => vec![],
                })
            })
            .collect();
        let (items, next) = page(matched, |(_, v)| &v.id, self.max, self.token.as_deref(), "MaxResults", (5, 1000))?;
        Ok(Vpcs(Page::new(items, next)))
    }
}

pub struct DeleteVpc {
    id: String,
    dry_run: bool,
}

impl Action for DeleteVpc {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DeleteVpc { id: p.required("VpcId")?.to_string(), dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        let vpc = find_vpc(r, &self.id)?;
        let has_subnets = r.subnets().values().any(|s| s.vpc_id == self.id);
        let has_groups = r.sgs_in_vpc(&self.id).iter().any(|g| *g != vpc.default_sg);
        let has_lbs = r.elb_uses_vpc(&self.id);
        if has_subnets || has_groups || has_lbs {
            return Err(ApiError::new(
                ErrorCode::DependencyViolation,
                format!("The vpc '{}' has dependencies and cannot be deleted.", self.id),
            ));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        r.remove_vpc(&self.id);
        Ok(ReturnTrue)
    }
}
