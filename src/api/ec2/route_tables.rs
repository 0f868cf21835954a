//! CreateRouteTable, DescribeRouteTables, DeleteRouteTable, CreateRoute, DeleteRoute,
//! AssociateRouteTable, DisassociateRouteTable: enough routing for subnet discovery by
//! reachability (the AWS Load Balancer Controller since v2.13.0 reads `DescribeRouteTables` with
//! a `vpc-id` filter and calls a subnet public when its table, explicit or main, has a route to an
//! `igw-`) and for the ELB service's internet-facing check. Every VPC has a main table with its
//! local route; the default VPC's also routes 0.0.0.0/0 to its internet gateway.
//!
//! Route targets: `local` and internet gateways. lbsim holds no NAT gateways, instances as
//! routers, peering connections or transit gateways, so routes to them are refused with a clear
//! message rather than stored half-understood. Texts marked OBS are AWS's as seen in tool logs.

use ipnet::Ipv4Net;

use super::vpcs::find_vpc;
use crate::api::filters::{Filters, indexed_in_order};
use crate::api::paging::page;
use crate::api::tags::{TagList, check_new, tag_specs, write_tag_set};
use crate::api::{Action, Ctx, Render, ReturnTrue};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::{Route, RouteTable, RouteTarget};
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

pub fn find_route_table<'r>(r: &'r Region, id: &str) -> ApiResult<&'r RouteTable> {
    if !well_formed(id, "rtb") {
        return Err(ApiError::malformed_id(ErrorCode::InvalidRouteTableIdMalformed, id, "rtb"));
    }
    r.route_tables().get(id).ok_or_else(|| ApiError::id_not_found(ErrorCode::InvalidRouteTableIdNotFound, "routeTable", id))
}

fn gateway_id(t: &RouteTarget) -> &str {
    match t {
        RouteTarget::Local => "local",
        RouteTarget::Gateway(g) => g,
    }
}

pub fn write_route_table(w: &mut Xml, r: &Region, rt: &RouteTable) {
    w.leaf("routeTableId", &rt.id).leaf("vpcId", &rt.vpc_id).leaf("ownerId", &rt.owner_id);
    w.list("routeSet", &rt.routes, |w, route| {
        w.leaf("destinationCidrBlock", route.destination.to_string())
            .leaf("gatewayId", gateway_id(&route.target))
            .leaf("state", if r.route_active(rt, route) { "active" } else { "blackhole" })
            .leaf("origin", &route.origin);
    });
    w.list("associationSet", &rt.associations, |w, a| {
        w.bool("main", a.subnet_id.is_none()).leaf("routeTableAssociationId", &a.id).leaf("routeTableId", &rt.id);
        w.opt("subnetId", a.subnet_id.as_ref());
        w.open("associationState").leaf("state", "associated").close("associationState");
    });
    w.list("propagatingVgwSet", std::iter::empty::<()>(), |_, _| {});
    write_tag_set(w, r.tags().get(&rt.id));
}

/// A decision about route tables, rendered from the Region afterwards.
pub struct Tables {
    wrapper: Option<&'static str>,
    ids: Vec<String>,
    next: Option<String>,
    client_token: Option<String>,
}

impl Render for Tables {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        let tables = self.ids.iter().filter_map(|id| r.route_tables().get(id));
        match self.wrapper {
            Some(el) => {
                for rt in tables {
                    w.open(el);
                    write_route_table(w, r, rt);
                    w.close(el);
                }
                w.opt("clientToken", self.client_token.as_ref());
            }
            None => {
                w.list("routeTableSet", tables, |w, rt| write_route_table(w, r, rt));
                w.opt("nextToken", self.next.as_ref());
            }
        }
    }
    fn created(&self) -> Vec<&str> {
        if self.wrapper.is_some() { self.ids.iter().map(String::as_str).collect() } else { Vec::new() }
    }
}

pub struct CreateRouteTable {
    vpc: String,
    tags: TagList,
    client_token: Option<String>,
    dry_run: bool,
}

impl Action for CreateRouteTable {
    type Output = Tables;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(CreateRouteTable {
            vpc: p.required("VpcId")?.to_string(),
            tags: tag_specs(p, "route-table")?,
            client_token: p.str("ClientToken").map(String::from),
            dry_run: p.dry_run()?,
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Tables> {
        find_vpc(r, &self.vpc)?;
        check_new(r, &self.tags)?;
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let id = r.create_route_table(&self.vpc, false);
        r.set_tags(&id, &self.tags);
        Ok(Tables { wrapper: Some("routeTable"), ids: vec![id], next: None, client_token: self.client_token })
    }
}

pub const RT_FILTERS: &[&str] = &[
    "association.gateway-id",
    "association.route-table-association-id",
    "association.route-table-id",
    "association.subnet-id",
    "association.main",
    "owner-id",
    "route-table-id",
    "route.destination-cidr-block",
    "route.destination-ipv6-cidr-block",
    "route.destination-prefix-list-id",
    "route.egress-only-internet-gateway-id",
    "route.gateway-id",
    "route.instance-id",
    "route.nat-gateway-id",
    "route.transit-gateway-id",
    "route.origin",
    "route.state",
    "route.vpc-peering-connection-id",
    "vpc-id",
];

pub struct DescribeRouteTables {
    ids: Vec<String>,
    filters: Filters,
    max: Option<i64>,
    token: Option<String>,
}

impl Action for DescribeRouteTables {
    type Output = Tables;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeRouteTables {
            ids: p.strings("RouteTableId")?.into_iter().map(String::from).collect(),
            filters: Filters::parse(p, "DescribeRouteTables", RT_FILTERS)?,
            max: p.int("MaxResults")?,
            token: p.str("NextToken").map(String::from),
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Tables> {
        for id in &self.ids {
            find_route_table(r, id)?;
        }
        let hits = if self.ids.is_empty() { self.filters.tag_candidates(r.tags()) } else { Some(self.ids.iter().cloned().collect()) };
        let matched: Vec<&RouteTable> = indexed_in_order(r.route_tables(), hits)
            .into_iter()
            .map(|(_, rt)| rt)
            .filter(|rt| {
                self.filters.matches(r.tags().get(&rt.id), |name| match name {
                    "association.route-table-association-id" => rt.associations.iter().map(|a| a.id.clone()).collect(),
                    "association.route-table-id" => rt.associations.iter().map(|_| rt.id.clone()).collect(),
                    "association.subnet-id" => rt.associations.iter().filter_map(|a| a.subnet_id.clone()).collect(),
                    // Tables without associations are not returned for either value (model doc).
                    "association.main" => rt.associations.iter().map(|a| a.subnet_id.is_none().to_string()).collect(),
                    "owner-id" => vec![rt.owner_id.clone()],
                    "route-table-id" => vec![rt.id.clone()],
                    "route.destination-cidr-block" => rt.routes.iter().map(|x| x.destination.to_string()).collect(),
                    "route.gateway-id" => rt.routes.iter().map(|x| gateway_id(&x.target).to_string()).collect(),
                    "route.origin" => rt.routes.iter().map(|x| x.origin.clone()).collect(),
                    "route.state" => {
                        rt.routes.iter().map(|x| if r.route_active(rt, x) { "active" } else { "blackhole" }.to_string()).collect()
                    }
                    "vpc-id" => vec![rt.vpc_id.clone()],
                    // Gateway associations, IPv6 and prefix-list destinations and the other
                    // targets do not exist in lbsim: nothing matches them.
                    _ => vec![],
                })
            })
            .collect();
        let (items, next) = page(matched, |t| &t.id, self.max, self.token.as_deref(), "MaxResults", (5, 100))?;
        Ok(Tables { wrapper: None, ids: items.into_iter().map(|t| t.id.clone()).collect(), next, client_token: None })
    }
}

pub struct DeleteRouteTable {
    id: String,
    dry_run: bool,
}

impl Action for DeleteRouteTable {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DeleteRouteTable { id: p.required("RouteTableId")?.to_string(), dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        let rt = find_route_table(r, &self.id)?;
        // The main table and tables with subnets keep living (OBS wording of VPC dependencies).
        if !rt.associations.is_empty() {
            return Err(ApiError::new(
                ErrorCode::DependencyViolation,
                format!("The routeTable '{}' has dependencies and cannot be deleted.", self.id),
            ));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        r.remove_route_table(&self.id);
        Ok(ReturnTrue)
    }
}

fn parse_destination(p: &P) -> ApiResult<Ipv4Net> {
    if p.str("DestinationIpv6CidrBlock").is_some() || p.str("DestinationPrefixListId").is_some() {
        // lbsim's VPCs have no IPv6 blocks, and prefix-list routes are not emulated.
        return Err(ApiError::invalid(
            "lbsim routes IPv4 destinations only: DestinationIpv6CidrBlock and DestinationPrefixListId are not emulated",
        ));
    }
    let raw = p.required("DestinationCidrBlock")?;
    let net: Ipv4Net = raw.parse().map_err(|_| {
        ApiError::invalid(format!("Value ({raw}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block."))
    })?;
    Ok(net.trunc())
}

/// Route targets lbsim does not hold, by their parameter name.
const OTHER_TARGETS: &[&str] = &[
    "NatGatewayId",
    "InstanceId",
    "NetworkInterfaceId",
    "VpcPeeringConnectionId",
    "TransitGatewayId",
    "LocalGatewayId",
    "CarrierGatewayId",
    "EgressOnlyInternetGatewayId",
    "VpcEndpointId",
    "CoreNetworkArn",
    "OdbNetworkArn",
];

pub struct CreateRoute {
    table: String,
    destination: Ipv4Net,
    gateway: String,
    dry_run: bool,
}

impl Action for CreateRoute {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        let table = p.required("RouteTableId")?.to_string();
        let destination = parse_destination(p)?;
        if let Some(other) = OTHER_TARGETS.iter().find(|t| p.str(t).is_some()) {
            return Err(ApiError::invalid(format!("lbsim routes to internet gateways only: {other} targets are not emulated")));
        }
        // [unverified] code and text for a route without a target.
        let gateway = p.str("GatewayId").ok_or_else(|| ApiError::missing("GatewayId"))?.to_string();
        Ok(CreateRoute { table, destination, gateway, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        let rt = find_route_table(r, &self.table)?;
        let vpc = find_vpc(r, &rt.vpc_id)?;
        if rt.routes.iter().any(|x| x.destination == self.destination) {
            // OBS (terraform logs).
            return Err(ApiError::new(
                ErrorCode::RouteAlreadyExists,
                format!("The route identified by {} already exists.", self.destination),
            ));
        }
        if vpc.cidr.contains(&self.destination) {
            return Err(ApiError::invalid(format!(
                "The destination CIDR block {} is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance.",
                self.destination
            )));
        }
        if !well_formed(&self.gateway, "igw") || !r.igws().contains_key(&self.gateway) {
            return Err(ApiError::id_not_found(ErrorCode::InvalidGatewayIdNotFound, "gateway", &self.gateway));
        }
        if r.igws()[&self.gateway].vpc_id.as_deref() != Some(rt.vpc_id.as_str()) {
            // OBS (terraform logs).
            return Err(ApiError::invalid(format!(
                "route table {} and network gateway {} belong to different networks",
                rt.id, self.gateway
            )));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        r.add_route(
            &self.table,
            Route { destination: self.destination, target: RouteTarget::Gateway(self.gateway), origin: "CreateRoute".into() },
        );
        Ok(ReturnTrue)
    }
}

pub struct DeleteRoute {
    table: String,
    destination: Ipv4Net,
    dry_run: bool,
}

impl Action for DeleteRoute {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DeleteRoute { table: p.required("RouteTableId")?.to_string(), destination: parse_destination(p)?, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        let rt = find_route_table(r, &self.table)?;
        let Some(route) = rt.routes.iter().find(|x| x.destination == self.destination) else {
            // OBS (terraform logs).
            return Err(ApiError::new(
                ErrorCode::InvalidRouteNotFound,
                format!("no route with destination-cidr-block {} in route table {}", self.destination, rt.id),
            ));
        };
        if route.target == RouteTarget::Local {
            return Err(ApiError::invalid(format!("cannot remove local route {} in route table {}", self.destination, rt.id)));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        r.remove_route(&self.table, self.destination);
        Ok(ReturnTrue)
    }
}

/// AssociateRouteTable's answer.
pub struct Associated(String);

impl Render for Associated {
    fn write_xml(&self, _: &Region, w: &mut Xml) {
        w.leaf("associationId", &self.0);
        w.open("associationState").leaf("state", "associated").close("associationState");
    }
}

pub struct AssociateRouteTable {
    table: String,
    subnet: String,
    dry_run: bool,
}

impl Action for AssociateRouteTable {
    type Output = Associated;
    fn from_params(p: &P) -> ApiResult<Self> {
        let table = p.required("RouteTableId")?.to_string();
        if p.str("GatewayId").is_some() {
            return Err(ApiError::invalid("lbsim associates route tables with subnets only: gateway (edge) associations are not emulated"));
        }
        Ok(AssociateRouteTable { table, subnet: p.required("SubnetId")?.to_string(), dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Associated> {
        let rt = find_route_table(r, &self.table)?;
        let subnet = super::subnets::find_subnet(r, &self.subnet)?;
        if subnet.vpc_id != rt.vpc_id {
            // [unverified] text, shaped like CreateRoute's.
            return Err(ApiError::invalid(format!("Route table {} and subnet {} belong to different networks", rt.id, subnet.id)));
        }
        if r.explicit_route_table(&self.subnet).is_some() {
            // OBS (terraform logs).
            return Err(ApiError::new(
                ErrorCode::ResourceAlreadyAssociated,
                format!("the specified association for route table {} conflicts with an existing association", rt.id),
            ));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        Ok(Associated(r.associate_route_table(&self.table, &self.subnet)))
    }
}

pub struct DisassociateRouteTable {
    association: String,
    dry_run: bool,
}

impl Action for DisassociateRouteTable {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DisassociateRouteTable { association: p.required("AssociationId")?.to_string(), dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        let not_found = || ApiError::id_not_found(ErrorCode::InvalidAssociationIdNotFound, "association", &self.association);
        let rt = r.assoc_route_table(&self.association).ok_or_else(not_found)?;
        if rt.associations.iter().any(|a| a.id == self.association && a.subnet_id.is_none()) {
            return Err(ApiError::invalid(format!("cannot disassociate the main route table association {}", self.association)));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        r.disassociate_route_table(&self.association);
        Ok(ReturnTrue)
    }
}
