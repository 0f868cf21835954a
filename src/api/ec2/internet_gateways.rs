//! CreateInternetGateway, AttachInternetGateway, DetachInternetGateway, DeleteInternetGateway,
//! DescribeInternetGateways. The ELB service reads a VPC's gateway before it creates an
//! internet-facing load balancer (`DescribeInternetGateways` is in the controller's IAM policy for
//! that reason); the default VPC has one attached. AWS reports an attached gateway's attachment
//! state as `available`, not `attached` (the model's enum notwithstanding).

use super::vpcs::find_vpc;
use crate::api::filters::{Filters, indexed_in_order};
use crate::api::paging::page;
use crate::api::tags::{TagList, check_new, tag_specs, write_tag_set};
use crate::api::{Action, Ctx, Render, ReturnTrue};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::InternetGateway;
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

pub fn find_igw<'r>(r: &'r Region, id: &str) -> ApiResult<&'r InternetGateway> {
    if !well_formed(id, "igw") {
        return Err(ApiError::malformed_id(ErrorCode::InvalidInternetGatewayIdMalformed, id, "igw"));
    }
    r.igws().get(id).ok_or_else(|| ApiError::id_not_found(ErrorCode::InvalidInternetGatewayIdNotFound, "internetGateway", id))
}

pub fn write_igw(w: &mut Xml, r: &Region, g: &InternetGateway) {
    w.list("attachmentSet", g.vpc_id.iter(), |w, v| {
        w.leaf("vpcId", v).leaf("state", "available");
    });
    w.leaf("internetGatewayId", &g.id).leaf("ownerId", &g.owner_id);
    write_tag_set(w, r.tags().get(&g.id));
}

/// Gateways chosen by an action, rendered from the Region afterwards.
pub struct Gateways {
    single: bool,
    ids: Vec<String>,
    next: Option<String>,
}

impl Render for Gateways {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        let gws = self.ids.iter().filter_map(|id| r.igws().get(id));
        if self.single {
            for g in gws {
                w.open("internetGateway");
                write_igw(w, r, g);
                w.close("internetGateway");
            }
        } else {
            w.list("internetGatewaySet", gws, |w, g| write_igw(w, r, g));
            w.opt("nextToken", self.next.as_ref());
        }
    }
    fn created(&self) -> Vec<&str> {
        if self.single { self.ids.iter().map(String::as_str).collect() } else { Vec::new() }
    }
}

pub struct CreateInternetGateway {
    tags: TagList,
    dry_run: bool,
}

impl Action for CreateInternetGateway {
    type Output = Gateways;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(CreateInternetGateway { tags: tag_specs(p, "internet-gateway")?, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Gateways> {
        check_new(r, &self.tags)?;
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let id = r.create_igw();
        r.set_tags(&id, &self.tags);
        Ok(Gateways { single: true, ids: vec![id], next: None })
    }
}

fn gateway_and_vpc(p: &P) -> ApiResult<(String, String, bool)> {
    Ok((p.required("InternetGatewayId")?.to_string(), p.required("VpcId")?.to_string(), p.dry_run()?))
}

pub struct AttachInternetGateway {
    igw: String,
    vpc: String,
    dry_run: bool,
}

impl Action for AttachInternetGateway {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        let (igw, vpc, dry_run) = gateway_and_vpc(p)?;
        Ok(AttachInternetGateway { igw, vpc, dry_run })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        let g = find_igw(r, &self.igw)?;
        find_vpc(r, &self.vpc)?;
        if let Some(v) = &g.vpc_id {
            // OBS (terraform logs).
            return Err(ApiError::new(
                ErrorCode::ResourceAlreadyAssociated,
                format!("resource {} is already attached to network {v}", self.igw),
            ));
        }
        if let Some(other) = r.vpc_igw(&self.vpc) {
            // A VPC has at most one internet gateway [unverified text].
            return Err(ApiError::new(
                ErrorCode::ResourceAlreadyAssociated,
                format!("Network {} already has an internet gateway attached: {other}", self.vpc),
            ));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        r.attach_igw(&self.igw, &self.vpc);
        Ok(ReturnTrue)
    }
}

pub struct DetachInternetGateway {
    igw: String,
    vpc: String,
    dry_run: bool,
}

impl Action for DetachInternetGateway {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        let (igw, vpc, dry_run) = gateway_and_vpc(p)?;
        Ok(DetachInternetGateway { igw, vpc, dry_run })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        let g = find_igw(r, &self.igw)?;
        find_vpc(r, &self.vpc)?;
        if g.vpc_id.as_deref() != Some(self.vpc.as_str()) {
            // OBS (terraform logs).
            return Err(ApiError::new(
                ErrorCode::GatewayNotAttached,
                format!("resource {} is not attached to network {}", self.igw, self.vpc),
            ));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        // Routes to it stay, as blackholes (AWS keeps them too).
        r.detach_igw(&self.igw);
        Ok(ReturnTrue)
    }
}

pub struct DeleteInternetGateway {
    igw: String,
    dry_run: bool,
}

impl Action for DeleteInternetGateway {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DeleteInternetGateway { igw: p.required("InternetGatewayId")?.to_string(), dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        let g = find_igw(r, &self.igw)?;
        if g.vpc_id.is_some() {
            return Err(ApiError::new(
                ErrorCode::DependencyViolation,
                format!("The internetGateway '{}' has dependencies and cannot be deleted.", self.igw),
            ));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        r.remove_igw(&self.igw);
        Ok(ReturnTrue)
    }
}

pub const IGW_FILTERS: &[&str] = &["attachment.state", "attachment.vpc-id", "internet-gateway-id", "owner-id"];

pub struct DescribeInternetGateways {
    ids: Vec<String>,
    filters: Filters,
    max: Option<i64>,
    token: Option<String>,
}

impl Action for DescribeInternetGateways {
    type Output = Gateways;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeInternetGateways {
            ids: p.strings("InternetGatewayId")?.into_iter().map(String::from).collect(),
            filters: Filters::parse(p, "DescribeInternetGateways", IGW_FILTERS)?,
            max: p.int("MaxResults")?,
            token: p.str("NextToken").map(String::from),
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Gateways> {
        for id in &self.ids {
            find_igw(r, id)?;
        }
        let hits = if self.ids.is_empty() { self.filters.tag_candidates(r.tags()) } else { Some(self.ids.iter().cloned().collect()) };
        let matched: Vec<&InternetGateway> = indexed_in_order(r.igws(), hits)
            .into_iter()
            .map(|(_, g)| g)
            .filter(|g| {
                self.filters.matches(r.tags().get(&g.id), |name| match name {
                    "attachment.state" => g.vpc_id.iter().map(|_| "available".to_string()).collect(),
                    "attachment.vpc-id" => g.vpc_id.iter().cloned().collect(),
                    "internet-gateway-id" => vec![g.id.clone()],
                    "owner-id" => vec![g.owner_id.clone()],
                    _ => vec![],
                })
            })
            .collect();
        let (items, next) = page(matched, |g| &g.id, self.max, self.token.as_deref(), "MaxResults", (5, 1000))?;
        Ok(Gateways { single: false, ids: items.into_iter().map(|g| g.id.clone()).collect(), next })
    }
}
