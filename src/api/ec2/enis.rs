//! CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface,
//! ModifyNetworkInterfaceAttribute (aws-api.md §2.4, quotas §3.1), and what the instance actions
//! share with them: interface lookup, group resolution and the `groupSet` / interface rendering.

use std::net::Ipv4Addr;

use super::subnets::find_subnet;
use crate::api::filters::{Filters, indexed_in_order};
use crate::api::paging::page;
use crate::api::tags::{TagList, check_new, tag_specs, write_tag_set};
use crate::api::{Action, Ctx, Page, Render, ReturnTrue};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::Eni;
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

/// Checks an interface id's shape and existence.
pub fn find_eni<'r>(r: &'r Region, id: &str) -> ApiResult<&'r Eni> {
    if !well_formed(id, "eni") {
        return Err(ApiError::malformed_id(ErrorCode::InvalidNetworkInterfaceIdMalformed, id, "eni"));
    }
    r.enis().get(id).ok_or_else(|| ApiError::eni_not_found(id))
}

/// `ip-172-31-0-4.ec2.internal` in us-east-1, `ip-….<region>.compute.internal` elsewhere.
pub fn private_dns(r: &Region, ip: &str) -> String {
    let host = format!("ip-{}", ip.replace('.', "-"));
    if r.name == "us-east-1" { format!("{host}.ec2.internal") } else { format!("{host}.{}.compute.internal", r.name) }
}

/// `<groupSet><item><groupId/><groupName/></item></groupSet>` for a list of group ids.
pub fn write_group_set(w: &mut Xml, r: &Region, groups: &[String]) {
    w.list("groupSet", groups, |w, g| {
        w.leaf("groupId", g);
        w.opt("groupName", r.sgs().get(g.as_str()).map(|s| s.name.as_str()));
    });
}

/// Resolves group ids for an interface in `vpc`: each must exist (`InvalidGroupId.Malformed`,
/// `InvalidGroup.NotFound`) and live in that VPC (`wrong_vpc(group)` otherwise). Repeats are
/// dropped, first occurrence kept; an empty list means the VPC's `default` group.
pub fn resolve_groups(r: &Region, ids: &[String], vpc: &str, wrong_vpc: impl Fn(&str) -> ApiError) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let sg = r.sg(id)?;
        if sg.vpc_id != vpc {
            return Err(wrong_vpc(id));
        }
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    if out.is_empty() {
        out.push(r.vpcs().get(vpc).ok_or_else(|| ApiError::vpc_not_found(vpc))?.default_sg.clone());
    }
    Ok(out)
}

/// Parses an optional IPv4 address parameter.
pub fn parse_ip(p: &P, name: &str) -> ApiResult<Option<Ipv4Addr>> {
    match p.str(name) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| ApiError::invalid_value(&p.path(name), v)),
    }
}

/// `NetworkInterfaceLimitExceeded` if `n` more interfaces would pass the Region quota.
pub fn check_eni_quota(r: &Region, n: u64) -> ApiResult<()> {
    if r.enis().len() as u64 + n > r.quotas.network_interfaces_per_region {
        return Err(ApiError::eni_limit());
    }
    Ok(())
}

/// The `NetworkInterface` shape (CreateNetworkInterface, DescribeNetworkInterfaces). `pending`
/// renders the status a create response carries before the interface becomes `available`.
pub fn write_eni(w: &mut Xml, r: &Region, e: &Eni, pending: bool) {
    if let Some(a) = &e.attachment {
        w.open("attachment")
            .time("attachTime", a.attach_time)
            .leaf("attachmentId", &a.attachment_id)
            .bool("deleteOnTermination", a.delete_on_termination)
            .int("deviceIndex", a.device_index)
            .int("networkCardIndex", 0)
            .opt("instanceId", a.instance_id.as_deref())
            .leaf("instanceOwnerId", &a.instance_owner_id)
            .leaf("status", "attached")
            .close("attachment");
    }
    let dns = private_dns(r, &e.private_ip);
    w.leaf("availabilityZone", &e.az);
    w.opt("availabilityZoneId", r.az(&e.az).map(|a| a.id.as_str()));
    w.leaf("description", &e.description);
    write_group_set(w, r, &e.groups);
    w.leaf("interfaceType", &e.interface_type)
        .list("ipv6AddressesSet", std::iter::empty::<()>(), |_, _| {})
        .leaf("macAddress", &e.mac_address)
        .leaf("networkInterfaceId", &e.id)
        .leaf("ownerId", &r.account)
        .leaf("privateDnsName", &dns)
        .leaf("privateIpAddress", &e.private_ip)
        .list("privateIpAddressesSet", [()], |w, _| {
            w.leaf("privateDnsName", &dns).leaf("privateIpAddress", &e.private_ip).bool("primary", true);
        })
        .opt("requesterId", e.requester_id.as_deref())
        .bool("requesterManaged", e.requester_managed)
        .bool("sourceDestCheck", e.source_dest_check)
        .leaf("status", if pending { "pending" } else { &e.status })
        .leaf("subnetId", &e.subnet_id);
    write_tag_set(w, r.tags().get(&e.id));
    w.leaf("vpcId", &e.vpc_id).bool("ipv6Native", false);
}

/// CreateNetworkInterface's answer: the new interface, shown `pending`.
pub struct EniCreated(String);

impl Render for EniCreated {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        if let Some(e) = r.enis().get(&self.0) {
            w.open("networkInterface");
            write_eni(w, r, e, true);
            w.close("networkInterface");
        }
    }
    fn created(&self) -> Vec<&str> {
        vec![&self.0]
    }
}

/// DescribeNetworkInterfaces' answer.
pub struct Enis(Page);

impl Render for Enis {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        w.list("networkInterfaceSet", self.0.of(r.enis()), |w, e| write_eni(w, r, e, false));
        w.opt("nextToken", self.0.next.as_ref());
    }
}

/// The interface types CreateNetworkInterface accepts besides the default `interface`.
const CREATE_TYPES: &[&str] = &["efa", "efa-only", "branch", "trunk"];

pub struct CreateNetworkInterface {
    subnet: String,
    description: String,
    ip: Option<Ipv4Addr>,
    groups: Vec<String>,
    interface_type: String,
    tags: TagList,
    dry_run: bool,
}

impl Action for CreateNetworkInterface {
    type Output = EniCreated;
    fn from_params(p: &P) -> ApiResult<Self> {
        let subnet = p.required("SubnetId")?.to_string();
        // The primary address may come alone or as the `Primary` entry of PrivateIpAddresses.
        let mut ip = parse_ip(p, "PrivateIpAddress")?;
        for a in p.list("PrivateIpAddresses")? {
            if a.bool("Primary")?.unwrap_or(false) && ip.is_none() {
                ip = parse_ip(&a, "PrivateIpAddress")?;
            }
        }
        let interface_type = match p.str("InterfaceType") {
            None => "interface".to_string(),
            Some(t) if CREATE_TYPES.contains(&t) => t.to_string(),
            Some(t) => return Err(ApiError::invalid_value("InterfaceType", t)),
        };
        // AWS: "up to 255 characters" (BC-EC2 Description docs).
        crate::api::ec2_max_len("Description", p.str("Description").unwrap_or(""), 255)?;
        Ok(CreateNetworkInterface {
            subnet,
            description: p.str("Description").unwrap_or("").to_string(),
            ip,
            groups: p.strings("SecurityGroupId")?.into_iter().map(String::from).collect(),
            interface_type,
            tags: tag_specs(p, "network-interface")?,
            dry_run: p.dry_run()?,
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<EniCreated> {
        let subnet = find_subnet(r, &self.subnet)?;
        // [unverified] for this action: the RunInstances wording (OBS) is assumed.
        let groups = resolve_groups(r, &self.groups, &subnet.vpc_id, |g| ApiError::sg_subnet_mismatch(g, &subnet.id))?;
        r.check_groups_for_interface(&groups, false)?;
        let ip = r.free_ip(&subnet.id, self.ip)?;
        let (subnet_id, vpc_id, az) = (subnet.id.clone(), subnet.vpc_id.clone(), subnet.az.clone());
        check_new(r, &self.tags)?;
        check_eni_quota(r, 1)?;
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let id = r.ids.ec2("eni");
        let mac = r.new_mac();
        r.insert_eni(Eni {
            id: id.clone(),
            subnet_id,
            vpc_id,
            az,
            description: self.description,
            private_ip: ip.to_string(),
            mac_address: mac,
            groups,
            attachment: None,
            interface_type: self.interface_type,
            requester_managed: false,
            requester_id: None,
            source_dest_check: true,
            status: "available".into(),
            release_at: None,
        });
        r.set_tags(&id, &self.tags);
        Ok(EniCreated(id))
    }
}

pub const ENI_FILTERS: &[&str] = &[
    "addresses.private-ip-address",
    "addresses.primary",
    "addresses.association.public-ip",
    "addresses.association.owner-id",
    "association.association-id",
    "association.allocation-id",
    "association.ip-owner-id",
    "association.public-ip",
    "association.public-dns-name",
    "attachment.attachment-id",
    "attachment.attach-time",
    "attachment.delete-on-termination",
    "attachment.device-index",
    "attachment.instance-id",
    "attachment.instance-owner-id",
    "attachment.status",
    "availability-zone",
    "description",
    "group-id",
    "group-name",
    "ipv6-addresses.ipv6-address",
    "interface-type",
    "mac-address",
    "network-interface-id",
    "owner-id",
    "private-dns-name",
    "private-ip-address",
    "requester-id",
    "requester-managed",
    "source-dest-check",
    "status",
    "subnet-id",
    "vpc-id",
];

/// A filterable field of an interface, by filter name (names already validated).
fn eni_field(r: &Region, e: &Eni, name: &str) -> Vec<String> {
    let att = e.attachment.as_ref();
    let one = |s: &str| vec![s.to_string()];
    match name {
        "addresses.private-ip-address" | "private-ip-address" => one(&e.private_ip),
        "addresses.primary" => one("true"),
        "attachment.attachment-id" => att.map(|a| a.attachment_id.clone()).into_iter().collect(),
        "attachment.attach-time" => att.map(|a| a.attach_time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()).into_iter().collect(),
        "attachment.delete-on-termination" => att.map(|a| a.delete_on_termination.to_string()).into_iter().collect(),
        "attachment.device-index" => att.map(|a| a.device_index.to_string()).into_iter().collect(),
        "attachment.instance-id" => att.and_then(|a| a.instance_id.clone()).into_iter().collect(),
        "attachment.instance-owner-id" => att.map(|a| a.instance_owner_id.clone()).into_iter().collect(),
        "attachment.status" => att.map(|_| "attached".to_string()).into_iter().collect(),
        "availability-zone" => one(&e.az),
        "description" => one(&e.description),
        "group-id" => e.groups.clone(),
        "group-name" => e.groups.iter().filter_map(|g| r.sgs().get(g.as_str())).map(|g| g.name.clone()).collect(),
        "interface-type" => one(&e.interface_type),
        "mac-address" => one(&e.mac_address),
        "network-interface-id" => one(&e.id),
        "owner-id" => one(&r.account),
        "private-dns-name" => vec![private_dns(r, &e.private_ip)],
        "requester-id" => e.requester_id.clone().into_iter().collect(),
        "requester-managed" => vec![e.requester_managed.to_string()],
        "source-dest-check" => vec![e.source_dest_check.to_string()],
        "status" => one(&e.status),
        "subnet-id" => one(&e.subnet_id),
        "vpc-id" => one(&e.vpc_id),
        // No public addresses or IPv6 are modelled: these never match.
        _ => vec![],
    }
}

pub struct DescribeNetworkInterfaces {
    ids: Vec<String>,
    filters: Filters,
    max: Option<i64>,
    token: Option<String>,
    dry_run: bool,
}

impl Action for DescribeNetworkInterfaces {
    type Output = Enis;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeNetworkInterfaces {
            ids: p.strings("NetworkInterfaceId")?.into_iter().map(String::from).collect(),
            filters: Filters::parse(p, "DescribeNetworkInterfaces", ENI_FILTERS)?,
            max: p.int("MaxResults")?,
            token: p.str("NextToken").map(String::from),
            dry_run: p.dry_run()?,
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Enis> {
        for id in &self.ids {
            find_eni(r, id)?;
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        // Narrow the population with an index when one applies: ids, then groups, then tags.
        // Borrowed ids, never cloned; every filter is checked again below.
        let indexed: Option<Vec<&str>> = if !self.ids.is_empty() {
            Some(self.ids.iter().map(String::as_str).collect())
        } else if let Some(groups) = self.filters.exact("group-id") {
            Some(groups.iter().flat_map(|g| r.enis_with_sg(g)).map(String::as_str).collect())
        } else {
            self.filters.tagged(r.tags())
        };
        let candidates: Vec<(usize, &Eni)> = indexed_in_order(r.enis(), indexed);
        let matched: Vec<(usize, &Eni)> =
            candidates.into_iter().filter(|(_, e)| self.filters.matches(r.tags().get(&e.id), |name| eni_field(r, e, name))).collect();
        let (items, next) = page(matched, |(_, e)| &e.id, self.max, self.token.as_deref(), "MaxResults", (5, 1000))?;
        Ok(Enis(Page::new(items, next)))
    }
}

pub struct DeleteNetworkInterface {
    id: String,
    dry_run: bool,
}

impl Action for DeleteNetworkInterface {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DeleteNetworkInterface { id: p.required("NetworkInterfaceId")?.to_string(), dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        let e = find_eni(r, &self.id)?;
        // An NLB's interfaces are in use for as long as they exist (they go with the NLB).
        if e.attachment.is_some() || e.requester_managed {
            return Err(ApiError::eni_in_use(&self.id));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        r.remove_eni(&self.id);
        Ok(ReturnTrue)
    }
}

/// Refusal for changes to an interface another service manages (an NLB's). [unverified] code
/// and text: AWS answers `OperationNotPermitted` for ELB attachments (OBS
/// "You are not allowed to manage 'ela-attach' attachments."); the same code is assumed here.
pub fn requester_managed_refusal(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::OperationNotPermitted,
        format!("You are not allowed to modify the network interface '{id}' because it is managed by another service."),
    )
}

/// `InvalidParameterCombination` when a Modify*Attribute call names zero or several attributes
/// (the API takes exactly one; OBS "No attributes specified."; the several-attribute text is
/// [unverified]).
pub fn one_attribute(present: &[&str]) -> ApiResult<()> {
    match present.len() {
        0 => Err(ApiError::new(ErrorCode::InvalidParameterCombination, "No attributes specified.")),
        1 => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::InvalidParameterCombination,
            format!("Fields for multiple attribute types specified: {}", present.join(", ")),
        )),
    }
}

pub struct ModifyNetworkInterfaceAttribute {
    id: String,
    groups: Option<Vec<String>>,
    description: Option<String>,
    source_dest_check: Option<bool>,
    /// (attachment id, delete on termination)
    attachment: Option<(String, Option<bool>)>,
    dry_run: bool,
}

impl Action for ModifyNetworkInterfaceAttribute {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        let id = p.required("NetworkInterfaceId")?.to_string();
        let groups: Vec<String> = p.strings("SecurityGroupId")?.into_iter().map(String::from).collect();
        let description = p.child("Description").str("Value").map(String::from);
        crate::api::ec2_max_len("Description", description.as_deref().unwrap_or(""), 255)?;
        let source_dest_check = p.child("SourceDestCheck").bool("Value")?;
        let attachment = if p.has_child("Attachment") {
            let a = p.child("Attachment");
            Some((a.required("AttachmentId")?.to_string(), a.bool("DeleteOnTermination")?))
        } else {
            None
        };
        let mut present = Vec::new();
        if !groups.is_empty() {
            present.push("groupSet");
        }
        if description.is_some() {
            present.push("description");
        }
        if source_dest_check.is_some() {
            present.push("sourceDestCheck");
        }
        if attachment.is_some() {
            present.push("attachment");
        }
        one_attribute(&present)?;
        Ok(ModifyNetworkInterfaceAttribute {
            id,
            groups: if groups.is_empty() { None } else { Some(groups) },
            description,
            source_dest_check,
            attachment,
            dry_run: p.dry_run()?,
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        let e = find_eni(r, &self.id)?;
        if e.requester_managed {
            return Err(requester_managed_refusal(&self.id));
        }
        let groups = match &self.groups {
            Some(ids) => {
                let g = resolve_groups(r, ids, &e.vpc_id, |_| ApiError::sg_other_network())?;
                r.check_groups_for_interface(&g, false)?;
                Some(g)
            }
            None => None,
        };
        if let Some((att, _)) = &self.attachment
            && e.attachment.as_ref().is_none_or(|a| &a.attachment_id != att)
        {
            // [unverified] text.
            return Err(ApiError::new(ErrorCode::InvalidAttachmentIdNotFound, format!("The attachment ID '{att}' does not exist")));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        if let Some(g) = groups {
            r.set_eni_groups(&self.id, g);
        }
        if let Some(d) = self.description {
            r.set_eni_description(&self.id, d);
        }
        if let Some(v) = self.source_dest_check {
            r.set_eni_source_dest_check(&self.id, v);
        }
        if let Some((_, Some(del))) = self.attachment {
            r.set_eni_delete_on_termination(&self.id, del);
        }
        Ok(ReturnTrue)
    }
}
