//! RunInstances, DescribeInstances, TerminateInstances (aws-api.md §2.4, quotas §3.1): instances
//! as attach points for security groups. Each instance has one primary interface (device 0)
//! whose groups are the instance's groups.
//!
//! State rule: AWS answers RunInstances with `pending`; lbsim reports `pending` only in that
//! response and `running` from the next call on (the `InstanceRunning` waiter passes at once).
//! TerminateInstances answers `shutting-down`; Describe shows `terminated` afterwards, and the
//! instance disappears an hour later (`Region::expire`).

use std::net::Ipv4Addr;

use super::enis::{check_eni_quota, find_eni, parse_ip, private_dns, resolve_groups, write_group_set};
use super::subnets::find_subnet;
use crate::api::filters::{Filters, indexed_in_order};
use crate::api::paging::page;
use crate::api::tags::{TagList, check_new, tag_specs_for, write_tag_set};
use crate::api::{Action, Ctx, Page, Render};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::{Eni, EniAttachment, Instance, InstanceState, Subnet};
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

/// Checks one instance id's shape and existence.
pub fn find_instance<'r>(r: &'r Region, id: &str) -> ApiResult<&'r Instance> {
    if !well_formed(id, "i") {
        return Err(ApiError::malformed_id(ErrorCode::InvalidInstanceIdMalformed, id, "i"));
    }
    r.instances().get(id).ok_or_else(|| ApiError::instance_not_found(id))
}

/// Checks a list of instance ids: the first malformed one is reported alone; missing ones are
/// reported together, as AWS does ("The instance IDs 'i-1, i-2' do not exist").
pub fn check_instance_ids(r: &Region, ids: &[String]) -> ApiResult<()> {
    if let Some(bad) = ids.iter().find(|i| !well_formed(i, "i")) {
        return Err(ApiError::malformed_id(ErrorCode::InvalidInstanceIdMalformed, bad, "i"));
    }
    let missing: Vec<&str> = ids.iter().filter(|i| !r.instances().contains_key(*i)).map(String::as_str).collect();
    match missing.len() {
        0 => Ok(()),
        1 => Err(ApiError::instance_not_found(missing[0])),
        _ => Err(ApiError::instances_not_found(&missing)),
    }
}

/// Graviton families (`a1`, and those whose generation digit is followed by `g`: m6g, c7gn,
/// t4g, g5g) run arm64; everything else x86_64.
fn architecture(instance_type: &str) -> &'static str {
    let family = instance_type.split('.').next().unwrap_or("");
    let rest = family.trim_start_matches(|c: char| c.is_ascii_alphabetic()).trim_start_matches(|c: char| c.is_ascii_digit());
    if family == "a1" || rest.starts_with('g') { "arm64" } else { "x86_64" }
}

/// The instance's primary interface while it is still attached to it.
pub fn primary_eni<'r>(r: &'r Region, i: &Instance) -> Option<&'r Eni> {
    r.enis().get(&i.primary_eni).filter(|e| e.attachment.as_ref().and_then(|a| a.instance_id.as_deref()) == Some(i.id.as_str()))
}

/// The groups of an instance: its primary interface's (none once terminated).
pub fn instance_groups<'r>(r: &'r Region, i: &Instance) -> &'r [String] {
    primary_eni(r, i).map(|e| e.groups.as_slice()).unwrap_or(&[])
}

fn write_state(w: &mut Xml, name: &str, s: InstanceState) {
    w.open(name).int("code", s.code()).leaf("name", s.name()).close(name);
}

/// One `instancesSet` item. `pending` renders the RunInstances view (state `pending`,
/// attachment `attaching`).
pub fn write_instance(w: &mut Xml, r: &Region, i: &Instance, launch_index: usize, pending: bool) {
    let live = i.state != InstanceState::Terminated;
    let eni = primary_eni(r, i);
    let state = if pending { InstanceState::Pending } else { i.state };
    let dns = if live { private_dns(r, &i.private_ip) } else { String::new() };
    let tenancy = r.vpcs().get(&i.vpc_id).map(|v| v.instance_tenancy.as_str()).unwrap_or("default");
    w.leaf("instanceId", &i.id).leaf("imageId", &i.image_id);
    write_state(w, "instanceState", state);
    w.leaf("privateDnsName", &dns).leaf("dnsName", "");
    match i.terminated_at {
        Some(t) => w.leaf("reason", format!("User initiated ({} GMT)", t.format("%Y-%m-%d %H:%M:%S"))),
        None => w.leaf("reason", ""),
    };
    w.opt("keyName", i.key_name.as_deref())
        .int("amiLaunchIndex", launch_index)
        .list("productCodes", std::iter::empty::<()>(), |_, _| {})
        .leaf("instanceType", &i.instance_type)
        .time("launchTime", i.launch_time);
    w.open("placement").leaf("availabilityZone", &i.az);
    w.opt("availabilityZoneId", r.az(&i.az).map(|a| a.id.as_str()));
    w.leaf("groupName", "").leaf("tenancy", tenancy).close("placement");
    w.open("monitoring").leaf("state", "disabled").close("monitoring");
    // Terminated instances lose their network placement in AWS's answers.
    if live {
        w.leaf("subnetId", &i.subnet_id).leaf("vpcId", &i.vpc_id).leaf("privateIpAddress", &i.private_ip);
    }
    if let Some(e) = eni {
        w.bool("sourceDestCheck", e.source_dest_check);
    }
    write_group_set(w, r, eni.map(|e| e.groups.as_slice()).unwrap_or(&[]));
    if pending {
        w.open("stateReason").leaf("code", "pending").leaf("message", "pending").close("stateReason");
    } else if !live {
        w.open("stateReason")
            .leaf("code", "Client.UserInitiatedShutdown")
            .leaf("message", "Client.UserInitiatedShutdown: User initiated shutdown")
            .close("stateReason");
    }
    w.leaf("architecture", architecture(&i.instance_type))
        .leaf("rootDeviceType", "ebs")
        .leaf("rootDeviceName", "/dev/xvda")
        .list("blockDeviceMapping", std::iter::empty::<()>(), |_, _| {})
        .leaf("virtualizationType", "hvm")
        .leaf("hypervisor", "xen");
    write_tag_set(w, r.tags().get(&i.id));
    w.list("networkInterfaceSet", eni, |w, e| write_instance_eni(w, r, e, pending));
    w.bool("ebsOptimized", false).bool("enaSupport", true);
    w.open("cpuOptions").int("coreCount", 1).int("threadsPerCore", 2).close("cpuOptions");
    w.open("capacityReservationSpecification").leaf("capacityReservationPreference", "open").close("capacityReservationSpecification");
    w.open("hibernationOptions").bool("configured", false).close("hibernationOptions");
    w.open("metadataOptions")
        .leaf("state", if pending { "pending" } else { "applied" })
        .leaf("httpTokens", "optional")
        .int("httpPutResponseHopLimit", 1)
        .leaf("httpEndpoint", "enabled")
        .leaf("httpProtocolIpv6", "disabled")
        .leaf("instanceMetadataTags", "disabled")
        .close("metadataOptions");
    w.open("enclaveOptions").bool("enabled", false).close("enclaveOptions");
    w.leaf("platformDetails", "Linux/UNIX").leaf("usageOperation", "RunInstances").time("usageOperationUpdateTime", i.launch_time);
    w.open("privateDnsNameOptions")
        .leaf("hostnameType", "ip-name")
        .bool("enableResourceNameDnsARecord", false)
        .bool("enableResourceNameDnsAAAARecord", false)
        .close("privateDnsNameOptions");
    w.open("maintenanceOptions").leaf("autoRecovery", "default").close("maintenanceOptions");
    w.leaf("currentInstanceBootMode", "legacy-bios");
}

/// An `InstanceNetworkInterface` item.
fn write_instance_eni(w: &mut Xml, r: &Region, e: &Eni, pending: bool) {
    if let Some(a) = &e.attachment {
        w.open("attachment")
            .time("attachTime", a.attach_time)
            .leaf("attachmentId", &a.attachment_id)
            .bool("deleteOnTermination", a.delete_on_termination)
            .int("deviceIndex", a.device_index)
            .leaf("status", if pending { "attaching" } else { "attached" })
            .int("networkCardIndex", 0)
            .close("attachment");
    }
    let dns = private_dns(r, &e.private_ip);
    w.leaf("description", &e.description);
    write_group_set(w, r, &e.groups);
    w.list("ipv6AddressesSet", std::iter::empty::<()>(), |_, _| {})
        .leaf("macAddress", &e.mac_address)
        .leaf("networkInterfaceId", &e.id)
        .leaf("ownerId", &r.account)
        .leaf("privateDnsName", &dns)
        .leaf("privateIpAddress", &e.private_ip)
        .list("privateIpAddressesSet", [()], |w, _| {
            w.bool("primary", true).leaf("privateDnsName", &dns).leaf("privateIpAddress", &e.private_ip);
        })
        .bool("sourceDestCheck", e.source_dest_check)
        .leaf("status", &e.status)
        .leaf("subnetId", &e.subnet_id)
        .leaf("vpcId", &e.vpc_id)
        .leaf("interfaceType", &e.interface_type);
}

/// Writes instances grouped into reservations. Instances of one launch are stored next to each
/// other, so consecutive grouping rebuilds the reservations; `pending` as in `write_instance`.
fn write_reservations(w: &mut Xml, r: &Region, name: &str, items: &[&Instance], pending: bool) {
    let mut groups: Vec<&[&Instance]> = Vec::new();
    let mut start = 0;
    for k in 1..=items.len() {
        if k == items.len() || items[k].reservation_id != items[start].reservation_id {
            groups.push(&items[start..k]);
            start = k;
        }
    }
    w.list(name, groups, |w, g| write_reservation(w, r, g, pending));
}

fn write_reservation(w: &mut Xml, r: &Region, g: &[&Instance], pending: bool) {
    let Some(first) = g.first() else { return };
    w.leaf("reservationId", &first.reservation_id).leaf("ownerId", &r.account);
    // VPC instances carry their groups per instance; the reservation-level set stays empty.
    w.list("groupSet", std::iter::empty::<()>(), |_, _| {});
    w.list("instancesSet", g.iter().enumerate(), |w, (n, i)| write_instance(w, r, i, n, pending));
}

/// RunInstances' answer: the instances launched (one reservation) and the interfaces made for them.
pub struct Launched {
    instances: Vec<String>,
    enis: Vec<String>,
}

impl Render for Launched {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        let items: Vec<&Instance> = self.instances.iter().filter_map(|id| r.instances().get(id)).collect();
        write_reservation(w, r, &items, true);
    }
    fn created(&self) -> Vec<&str> {
        self.instances.iter().chain(&self.enis).map(String::as_str).collect()
    }
}

/// DescribeInstances' answer.
pub struct Reservations(Page);

impl Render for Reservations {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        let items: Vec<&Instance> = self.0.of(r.instances()).collect();
        write_reservations(w, r, "reservationSet", &items, false);
        w.opt("nextToken", self.0.next.as_ref());
    }
}

/// TerminateInstances' answer: (id, current state, previous state) per instance.
pub struct Terminated(Vec<(String, InstanceState, InstanceState)>);

impl Render for Terminated {
    fn write_xml(&self, _: &Region, w: &mut Xml) {
        w.list("instancesSet", &self.0, |w, (id, current, previous)| {
            w.leaf("instanceId", id);
            write_state(w, "currentState", *current);
            write_state(w, "previousState", *previous);
        });
    }
}

/// Where a launch goes: the subnet's id, VPC and zone, and its free addresses (taken from the
/// subnet before committing, so the subnet itself is not cloned).
struct Placement {
    id: String,
    vpc_id: String,
    az: String,
    available: u64,
}

impl Placement {
    fn of(s: &Subnet) -> Placement {
        Placement { id: s.id.clone(), vpc_id: s.vpc_id.clone(), az: s.az.clone(), available: s.available() }
    }
}

/// `NetworkInterface.N` of RunInstances, in the basic form lbsim supports: one primary
/// interface (device index 0), new or existing.
struct NicSpec {
    eni_id: Option<String>,
    subnet: Option<String>,
    groups: Vec<String>,
    ip: Option<Ipv4Addr>,
    description: String,
    delete_on_termination: Option<bool>,
}

pub struct RunInstances {
    image: String,
    min: i64,
    max: i64,
    instance_type: String,
    key_name: Option<String>,
    subnet: Option<String>,
    az: Option<String>,
    ip: Option<Ipv4Addr>,
    group_ids: Vec<String>,
    group_names: Vec<String>,
    nic: Option<NicSpec>,
    instance_tags: TagList,
    eni_tags: TagList,
    dry_run: bool,
}

fn combination(msg: &'static str) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameterCombination, msg)
}

impl Action for RunInstances {
    type Output = Launched;
    fn from_params(p: &P) -> ApiResult<Self> {
        let image = p.required("ImageId")?.to_string();
        // Stored strings are bounded (issue 16): KeyName as AWS (255), instance types are short.
        crate::api::ec2_max_len("KeyName", p.str("KeyName").unwrap_or(""), 255)?;
        crate::api::ec2_max_len("InstanceType", p.str("InstanceType").unwrap_or(""), 64)?;
        if !well_formed(&image, "ami") {
            return Err(ApiError::malformed_id(ErrorCode::InvalidAmiIdMalformed, &image, "ami"));
        }
        let min = p.int("MinCount")?.ok_or_else(|| ApiError::missing("MinCount"))?;
        let max = p.int("MaxCount")?.ok_or_else(|| ApiError::missing("MaxCount"))?;
        // [unverified] texts for the count checks.
        if min < 1 {
            return Err(ApiError::invalid(format!("Value ({min}) for parameter minCount is invalid. Expected a positive integer.")));
        }
        if max < 1 {
            return Err(ApiError::invalid(format!("Value ({max}) for parameter maxCount is invalid. Expected a positive integer.")));
        }
        if min > max {
            return Err(ApiError::invalid(format!(
                "Value ({min}) for parameter minCount is invalid. Expected a value less than or equal to maxCount ({max})."
            )));
        }
        let nics = p.list("NetworkInterface")?;
        let nic = match nics.as_slice() {
            [] => None,
            [n] => {
                crate::api::ec2_max_len("NetworkInterface.1.Description", n.str("Description").unwrap_or(""), 255)?;
                if n.int("DeviceIndex")?.unwrap_or(0) != 0 {
                    return Err(ApiError::invalid("lbsim models only the primary network interface (DeviceIndex 0) in RunInstances"));
                }
                Some(NicSpec {
                    eni_id: n.str("NetworkInterfaceId").map(String::from),
                    subnet: n.str("SubnetId").map(String::from),
                    groups: n.strings("SecurityGroupId")?.into_iter().map(String::from).collect(),
                    ip: parse_ip(n, "PrivateIpAddress")?,
                    description: n.str("Description").unwrap_or("").to_string(),
                    delete_on_termination: n.bool("DeleteOnTermination")?,
                })
            }
            _ => return Err(ApiError::invalid("lbsim models only the primary network interface (DeviceIndex 0) in RunInstances")),
        };
        let subnet = p.str("SubnetId").map(String::from);
        let ip = parse_ip(p, "PrivateIpAddress")?;
        let group_ids: Vec<String> = p.strings("SecurityGroupId")?.into_iter().map(String::from).collect();
        let group_names: Vec<String> = p.strings("SecurityGroup")?.into_iter().map(String::from).collect();
        if nic.is_some() {
            // AWS's texts for mixing an interface specification with instance-level settings.
            if !group_ids.is_empty() || !group_names.is_empty() {
                return Err(combination(
                    "Network interfaces and an instance-level security groups may not be specified on the same request",
                ));
            }
            if subnet.is_some() {
                return Err(combination("Network interfaces and an instance-level subnet ID may not be specified on the same request"));
            }
            if ip.is_some() {
                return Err(combination(
                    "Network interfaces and an instance-level private IP address should not be specified on the same request",
                ));
            }
        }
        let fixed_address = ip.is_some() || nic.as_ref().is_some_and(|n| n.ip.is_some() || n.eni_id.is_some());
        if fixed_address && max > 1 {
            // [unverified] text.
            return Err(ApiError::invalid(
                "A specific private IP address or network interface can only be used when launching a single instance.",
            ));
        }
        let mut tags = tag_specs_for(p, &["instance", "network-interface", "volume"])?;
        Ok(RunInstances {
            image,
            min,
            max,
            instance_type: p.str("InstanceType").filter(|t| !t.is_empty()).unwrap_or("m1.small").to_string(),
            key_name: p.str("KeyName").map(String::from),
            subnet,
            az: p.child("Placement").str("AvailabilityZone").map(String::from),
            ip,
            group_ids,
            group_names,
            nic,
            eni_tags: std::mem::take(&mut tags[1]),
            instance_tags: std::mem::take(&mut tags[0]),
            dry_run: p.dry_run()?,
        })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Launched> {
        let nic = self.nic.as_ref();
        // The existing interface to attach, when the launch names one.
        let existing: Option<Eni> = match nic.and_then(|n| n.eni_id.as_deref()) {
            Some(id) => {
                let e = find_eni(r, id)?;
                if e.attachment.is_some() || e.requester_managed {
                    // OBS (pulumi/pulumi-aws#2394).
                    return Err(ApiError::new(ErrorCode::InvalidNetworkInterfaceInUse, format!("Interface: [{id}] in use.")));
                }
                Some(e.clone())
            }
            None => None,
        };
        let explicit_subnet = nic.and_then(|n| n.subnet.clone()).or_else(|| self.subnet.clone());
        let subnet: Placement = match (&existing, &explicit_subnet) {
            (Some(e), _) => Placement::of(r.subnets().get(&e.subnet_id).ok_or_else(|| ApiError::subnet_not_found(&e.subnet_id))?),
            (None, Some(id)) => Placement::of(find_subnet(r, id)?),
            (None, None) => Placement::of(self.default_subnet(r)?),
        };
        if let Some(az) = &self.az
            && *az != subnet.az
        {
            // [unverified] text.
            return Err(ApiError::invalid(format!(
                "The specified Availability Zone ({az}) does not match the Availability Zone of subnet '{}' ({}).",
                subnet.id, subnet.az
            )));
        }
        let vpc_is_default = r.vpcs().get(&subnet.vpc_id).is_some_and(|v| v.is_default);
        let groups = match &existing {
            Some(e) => e.groups.clone(),
            None => {
                let mut ids: Vec<String> = nic.map(|n| n.groups.clone()).unwrap_or_else(|| self.group_ids.clone());
                if !self.group_names.is_empty() {
                    // Names are a default-VPC feature (OBS: InvalidParameterCombination with subnets elsewhere).
                    if explicit_subnet.is_some() && !vpc_is_default {
                        return Err(combination("The parameter groupName cannot be used with the parameter subnet"));
                    }
                    for name in &self.group_names {
                        let id = r
                            .sg_id_by_name(&subnet.vpc_id, name)
                            .ok_or_else(|| ApiError::sg_name_not_found(name, &subnet.vpc_id, false))?;
                        ids.push(id.clone());
                    }
                }
                resolve_groups(r, &ids, &subnet.vpc_id, |g| ApiError::sg_subnet_mismatch(g, &subnet.id))?
            }
        };
        r.check_groups_for_interface(&groups, true)?;
        // Launch as many as fit between MinCount and MaxCount, as AWS does.
        let wanted_ip = nic.and_then(|n| n.ip).or(self.ip);
        let count: u64 = if existing.is_some() {
            1
        } else {
            if wanted_ip.is_some() {
                r.free_ip(&subnet.id, wanted_ip)?;
            }
            let room = r.quotas.network_interfaces_per_region.saturating_sub(r.enis().len() as u64);
            let n = (self.max as u64).min(subnet.available);
            if n < self.min as u64 {
                return Err(ApiError::new(
                    ErrorCode::InsufficientFreeAddressesInSubnet,
                    format!("There are not enough free addresses in subnet '{}' to satisfy the requested number of instances.", subnet.id),
                ));
            }
            check_eni_quota(r, self.min as u64)?;
            n.min(room)
        };
        check_new(r, &self.instance_tags)?;
        check_new(r, &self.eni_tags)?;
        if self.dry_run {
            return Err(ApiError::dry_run());
        }

        let reservation = r.ids.ec2("r");
        let mut launched = Vec::with_capacity(count as usize);
        let mut new_enis = Vec::new();
        for _ in 0..count {
            let id = r.ids.ec2("i");
            let attachment = EniAttachment {
                attachment_id: r.ids.ec2("eni-attach"),
                instance_id: Some(id.clone()),
                instance_owner_id: r.account.clone(),
                device_index: 0,
                // New interfaces go with the instance; an attached existing one stays by default.
                delete_on_termination: nic.and_then(|n| n.delete_on_termination).unwrap_or(existing.is_none()),
                attach_time: cx.now,
            };
            let (eni_id, ip) = match &existing {
                Some(e) => {
                    r.set_eni_attachment(&e.id, Some(attachment));
                    (e.id.clone(), e.private_ip.clone())
                }
                None => {
                    let ip = r.free_ip(&subnet.id, wanted_ip)?.to_string();
                    let eni_id = r.ids.ec2("eni");
                    let mac = r.new_mac();
                    r.insert_eni(Eni {
                        id: eni_id.clone(),
                        subnet_id: subnet.id.clone(),
                        vpc_id: subnet.vpc_id.clone(),
                        az: subnet.az.clone(),
                        description: nic.map(|n| n.description.clone()).unwrap_or_default(),
                        private_ip: ip.clone(),
                        mac_address: mac,
                        groups: groups.clone(),
                        attachment: Some(attachment),
                        interface_type: "interface".into(),
                        requester_managed: false,
                        requester_id: None,
                        source_dest_check: true,
                        status: "in-use".into(),
                        release_at: None,
                    });
                    r.set_tags(&eni_id, &self.eni_tags);
                    new_enis.push(eni_id.clone());
                    (eni_id, ip)
                }
            };
            r.insert_instance(Instance {
                id: id.clone(),
                reservation_id: reservation.clone(),
                image_id: self.image.clone(),
                instance_type: self.instance_type.clone(),
                key_name: self.key_name.clone(),
                subnet_id: subnet.id.clone(),
                vpc_id: subnet.vpc_id.clone(),
                az: subnet.az.clone(),
                private_ip: ip,
                state: InstanceState::Running,
                launch_time: cx.now,
                primary_eni: eni_id,
                terminated_at: None,
            });
            r.set_tags(&id, &self.instance_tags);
            launched.push(id);
        }
        Ok(Launched { instances: launched, enis: new_enis })
    }
}

impl RunInstances {
    /// No subnet given: the default subnet of the requested zone, or of the first zone, in the
    /// default VPC.
    fn default_subnet<'r>(&self, r: &'r Region) -> ApiResult<&'r Subnet> {
        let Some(vpc) = r.default_vpc() else {
            let msg = if self.group_names.is_empty() {
                "No default VPC for this user" // [unverified] without group names
            } else {
                "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC."
            };
            return Err(ApiError::new(ErrorCode::VpcIdNotSpecified, msg));
        };
        if let Some(az) = &self.az
            && r.az(az).is_none()
        {
            return Err(ApiError::invalid(format!("Invalid availability zone: [{az}]")));
        }
        let defaults = |az: &str| r.subnets().values().find(|s| s.vpc_id == vpc.id && s.default_for_az && s.az == az);
        let found = match &self.az {
            Some(az) => defaults(az),
            None => r.azs().iter().find_map(|a| defaults(&a.name)),
        };
        found.ok_or_else(|| {
            ApiError::new(ErrorCode::MissingInput, format!("No subnets found for the default VPC '{}'. Please specify a subnet.", vpc.id))
        })
    }
}

pub const INSTANCE_FILTERS: &[&str] = &[
    "architecture",
    "availability-zone",
    "group-id",
    "group-name",
    "hypervisor",
    "image-id",
    "instance-id",
    "instance-state-code",
    "instance-state-name",
    "instance-type",
    "instance.group-id",
    "instance.group-name",
    "key-name",
    "launch-time",
    "network-interface.addresses.private-ip-address",
    "network-interface.attachment.attachment-id",
    "network-interface.attachment.status",
    "network-interface.description",
    "network-interface.group-id",
    "network-interface.group-name",
    "network-interface.mac-address",
    "network-interface.network-interface-id",
    "network-interface.private-dns-name",
    "network-interface.source-dest-check",
    "network-interface.status",
    "network-interface.subnet-id",
    "network-interface.vpc-id",
    "owner-id",
    "placement-group-name",
    "platform-details",
    "private-dns-name",
    "private-ip-address",
    "reason",
    "reservation-id",
    "root-device-name",
    "root-device-type",
    "source-dest-check",
    "subnet-id",
    "tenancy",
    "virtualization-type",
    "vpc-id",
];

/// A filterable field of an instance, by filter name (names already validated).
fn instance_field(r: &Region, i: &Instance, name: &str) -> Vec<String> {
    let live = i.state != InstanceState::Terminated;
    let eni = primary_eni(r, i);
    let one = |s: &str| vec![s.to_string()];
    let net = |s: &str| if live { vec![s.to_string()] } else { vec![] };
    let group_names = || instance_groups(r, i).iter().filter_map(|g| r.sgs().get(g.as_str())).map(|g| g.name.clone()).collect();
    match name {
        "architecture" => one(architecture(&i.instance_type)),
        "availability-zone" => one(&i.az),
        "group-id" | "instance.group-id" | "network-interface.group-id" => instance_groups(r, i).to_vec(),
        "group-name" | "instance.group-name" | "network-interface.group-name" => group_names(),
        "hypervisor" => one("xen"),
        "image-id" => one(&i.image_id),
        "instance-id" => one(&i.id),
        "instance-state-code" => vec![i.state.code().to_string()],
        "instance-state-name" => one(i.state.name()),
        "instance-type" => one(&i.instance_type),
        "key-name" => i.key_name.clone().into_iter().collect(),
        "launch-time" => vec![i.launch_time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()],
        "network-interface.addresses.private-ip-address" => eni.map(|e| e.private_ip.clone()).into_iter().collect(),
        "network-interface.attachment.attachment-id" => {
            eni.and_then(|e| e.attachment.as_ref()).map(|a| a.attachment_id.clone()).into_iter().collect()
        }
        "network-interface.attachment.status" => eni.map(|_| "attached".to_string()).into_iter().collect(),
        "network-interface.description" => eni.map(|e| e.description.clone()).into_iter().collect(),
        "network-interface.mac-address" => eni.map(|e| e.mac_address.clone()).into_iter().collect(),
        "network-interface.network-interface-id" => eni.map(|e| e.id.clone()).into_iter().collect(),
        "network-interface.private-dns-name" => eni.map(|e| private_dns(r, &e.private_ip)).into_iter().collect(),
        "network-interface.source-dest-check" | "source-dest-check" => eni.map(|e| e.source_dest_check.to_string()).into_iter().collect(),
        "network-interface.status" => eni.map(|e| e.status.clone()).into_iter().collect(),
        "network-interface.subnet-id" => eni.map(|e| e.subnet_id.clone()).into_iter().collect(),
        "network-interface.vpc-id" => eni.map(|e| e.vpc_id.clone()).into_iter().collect(),
        "owner-id" => one(&r.account),
        "placement-group-name" => vec![],
        "platform-details" => one("Linux/UNIX"),
        "private-dns-name" => net(&private_dns(r, &i.private_ip)),
        "private-ip-address" => net(&i.private_ip),
        "reason" => i.terminated_at.map(|t| format!("User initiated ({} GMT)", t.format("%Y-%m-%d %H:%M:%S"))).into_iter().collect(),
        "reservation-id" => one(&i.reservation_id),
        "root-device-name" => one("/dev/xvda"),
        "root-device-type" => one("ebs"),
        "subnet-id" => net(&i.subnet_id),
        "tenancy" => one(r.vpcs().get(&i.vpc_id).map(|v| v.instance_tenancy.as_str()).unwrap_or("default")),
        "virtualization-type" => one("hvm"),
        "vpc-id" => net(&i.vpc_id),
        _ => vec![],
    }
}

pub struct DescribeInstances {
    ids: Vec<String>,
    filters: Filters,
    max: Option<i64>,
    token: Option<String>,
    dry_run: bool,
}

impl Action for DescribeInstances {
    type Output = Reservations;
    fn from_params(p: &P) -> ApiResult<Self> {
        let ids: Vec<String> = p.strings("InstanceId")?.into_iter().map(String::from).collect();
        let max = p.int("MaxResults")?;
        if !ids.is_empty() && max.is_some() {
            // OBS (aws-api.md §2.0).
            return Err(combination("The parameter instancesSet cannot be used with the parameter maxResults"));
        }
        Ok(DescribeInstances {
            ids,
            filters: Filters::parse(p, "DescribeInstances", INSTANCE_FILTERS)?,
            max,
            token: p.str("NextToken").map(String::from),
            dry_run: p.dry_run()?,
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Reservations> {
        check_instance_ids(r, &self.ids)?;
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        // Narrow with an index when one applies: ids, then group ids (through the interfaces
        // carrying them), then tags.
        let group_filter = ["instance.group-id", "group-id", "network-interface.group-id"].iter().find_map(|n| self.filters.exact(n));
        // Borrowed ids, never cloned; every filter is checked again below.
        let indexed: Option<Vec<&str>> = if !self.ids.is_empty() {
            Some(self.ids.iter().map(String::as_str).collect())
        } else if let Some(groups) = group_filter {
            Some(
                groups
                    .iter()
                    .flat_map(|g| r.enis_with_sg(g))
                    .filter_map(|e| r.enis().get(e)?.attachment.as_ref()?.instance_id.as_deref())
                    .collect(),
            )
        } else {
            self.filters.tagged(r.tags())
        };
        let candidates: Vec<(usize, &Instance)> = indexed_in_order(r.instances(), indexed);
        let matched: Vec<(usize, &Instance)> =
            candidates.into_iter().filter(|(_, i)| self.filters.matches(r.tags().get(&i.id), |name| instance_field(r, i, name))).collect();
        let (items, next) = page(matched, |(_, i)| &i.id, self.max, self.token.as_deref(), "MaxResults", (5, 1000))?;
        Ok(Reservations(Page::new(items, next)))
    }
}

pub struct TerminateInstances {
    ids: Vec<String>,
    dry_run: bool,
}

impl Action for TerminateInstances {
    type Output = Terminated;
    fn from_params(p: &P) -> ApiResult<Self> {
        let mut ids: Vec<String> = Vec::new();
        for id in p.strings("InstanceId")? {
            if !ids.iter().any(|x| x == id) {
                ids.push(id.to_string());
            }
        }
        if ids.is_empty() {
            return Err(ApiError::missing("InstanceId"));
        }
        Ok(TerminateInstances { ids, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Terminated> {
        check_instance_ids(r, &self.ids)?;
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let mut changes = Vec::with_capacity(self.ids.len());
        for id in self.ids {
            let previous = r.terminate_instance(&id, cx.now).ok_or_else(ApiError::internal)?;
            let current = if previous == InstanceState::Terminated { previous } else { InstanceState::ShuttingDown };
            changes.push((id, current, previous));
        }
        Ok(Terminated(changes))
    }
}

#[cfg(test)]
mod tests {
    use super::architecture;

    #[test]
    fn graviton_families_are_arm() {
        for t in ["t4g.micro", "m6gd.large", "c7gn.xlarge", "a1.medium", "g5g.xlarge"] {
            assert_eq!(architecture(t), "arm64", "{t}");
        }
        for t in ["m1.small", "t3.micro", "g5.xlarge", "p4d.24xlarge", "m7i-flex.large", ""] {
            assert_eq!(architecture(t), "x86_64", "{t}");
        }
    }
}
