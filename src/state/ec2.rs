//! EC2 resources as plain data. `Region` (region.rs) holds them privately and its methods are the
//! only code that inserts, changes or removes them, so every index stays in step.

use chrono::{DateTime, Utc};
use compact_str::CompactString;
use ipnet::{Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

use super::netser;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Az {
    pub name: String,
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vpc {
    pub id: String,
    #[serde(with = "netser::v4")]
    pub cidr: Ipv4Net,
    pub cidr_association_id: String,
    #[serde(with = "netser::opt_v6_assoc")]
    pub ipv6_cidr: Option<(Ipv6Net, String)>,
    pub is_default: bool,
    pub instance_tenancy: String,
    pub dhcp_options_id: String,
    /// The group named `default`, created with the VPC and deleted only with it.
    pub default_sg: String,
    /// DescribeVpcAttribute / ModifyVpcAttribute (snapshots before these existed read AWS's
    /// defaults for a non-default VPC).
    #[serde(default = "yes")]
    pub enable_dns_support: bool,
    #[serde(default)]
    pub enable_dns_hostnames: bool,
    #[serde(default)]
    pub enable_network_address_usage_metrics: bool,
}

fn yes() -> bool {
    true
}

/// An internet gateway, attached to at most one VPC.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InternetGateway {
    pub id: String,
    pub owner_id: String,
    pub vpc_id: Option<String>,
}

/// Where a route sends traffic: the VPC itself (`local`) or a gateway (`igw-…`). lbsim holds no
/// NAT gateways, peering connections or endpoints, so those targets are refused at CreateRoute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RouteTarget {
    Local,
    Gateway(String),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Route {
    #[serde(with = "netser::v4")]
    pub destination: Ipv4Net,
    pub target: RouteTarget,
    /// `CreateRouteTable` for the local route, `CreateRoute` for the rest.
    pub origin: String,
}

/// A route table's association: with a subnet, or the VPC's main association (`subnet_id` None).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RouteTableAssociation {
    pub id: String,
    pub subnet_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    pub owner_id: String,
    pub routes: Vec<Route>,
    pub associations: Vec<RouteTableAssociation>,
}

impl RouteTable {
    /// The VPC's main table: subnets without an explicit association use it.
    pub fn is_main(&self) -> bool {
        self.associations.iter().any(|a| a.subnet_id.is_none())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub az: String,
    pub az_id: String,
    #[serde(with = "netser::v4")]
    pub cidr: Ipv4Net,
    pub default_for_az: bool,
    pub map_public_ip_on_launch: bool,
    /// Host offsets in use (AWS reserves the first four and the last address of a subnet).
    pub used: std::collections::BTreeSet<u32>,
}

impl Subnet {
    /// Free addresses as AWS reports them: size − 5 reserved − used.
    pub fn available(&self) -> u64 {
        let size = 1u64 << (32 - self.cidr.prefix_len() as u64);
        size.saturating_sub(5).saturating_sub(self.used.len() as u64)
    }
}

/// The source (ingress) or destination (egress) of one rule: exactly one of these.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Peer {
    Cidr4(#[serde(with = "netser::v4")] Ipv4Net),
    Cidr6(#[serde(with = "netser::v6")] Ipv6Net),
    PrefixList(String),
    /// Boxed: most rules name a CIDR, and two inline strings would make every rule 24 bytes
    /// larger (a rule is held for each ~50 bytes of XML it renders).
    Group(Box<GroupPeer>),
}

/// A referenced group and its owner.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GroupPeer {
    pub group_id: String,
    pub user_id: String,
}

impl Peer {
    pub fn group(group_id: String, user_id: String) -> Peer {
        Peer::Group(Box::new(GroupPeer { group_id, user_id }))
    }

    /// The referenced group's id, for a group peer.
    pub fn referenced_group(&self) -> Option<&String> {
        match self {
            Peer::Group(g) => Some(&g.group_id),
            _ => None,
        }
    }

    /// How AWS names the peer in `InvalidPermission.Duplicate` messages.
    pub fn text(&self) -> String {
        match self {
            Peer::Cidr4(n) => n.to_string(),
            Peer::Cidr6(n) => n.to_string(),
            Peer::PrefixList(p) => p.clone(),
            Peer::Group(g) => g.group_id.clone(),
        }
    }
}

/// One security-group rule (one `sgr-` id). Ports are `None` for protocols without ports
/// (`-1` and numbers other than tcp/udp/icmp/icmpv6); ICMP keeps type/code in from/to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    /// Inline (an `sgr-` id fits `CompactString`'s 24 bytes): a rule is held once per 50-odd
    /// bytes of XML it renders, so its own heap allocations were most of a rule's memory.
    pub id: CompactString,
    pub egress: bool,
    /// As given (`tcp`, `-1`, `6` …), inline.
    pub protocol: CompactString,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub peer: Peer,
    pub description: Option<String>,
}

impl Rule {
    /// Everything that makes two rules the same rule; descriptions do not count (aws-api.md §2.2).
    pub fn key(&self) -> (bool, &str, Option<i32>, Option<i32>, &Peer) {
        (self.egress, &self.protocol, self.from_port, self.to_port, &self.peer)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub description: String,
    pub vpc_id: String,
    pub owner_id: String,
    /// Rules in creation order, ingress and egress together.
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstanceState {
    Pending,
    Running,
    ShuttingDown,
    Terminated,
    Stopping,
    Stopped,
}

impl InstanceState {
    pub fn name(self) -> &'static str {
        match self {
            InstanceState::Pending => "pending",
            InstanceState::Running => "running",
            InstanceState::ShuttingDown => "shutting-down",
            InstanceState::Terminated => "terminated",
            InstanceState::Stopping => "stopping",
            InstanceState::Stopped => "stopped",
        }
    }
    pub fn code(self) -> u8 {
        match self {
            InstanceState::Pending => 0,
            InstanceState::Running => 16,
            InstanceState::ShuttingDown => 32,
            InstanceState::Terminated => 48,
            InstanceState::Stopping => 64,
            InstanceState::Stopped => 80,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub reservation_id: String,
    pub image_id: String,
    pub instance_type: String,
    pub key_name: Option<String>,
    pub subnet_id: String,
    pub vpc_id: String,
    pub az: String,
    pub private_ip: String,
    pub state: InstanceState,
    pub launch_time: DateTime<Utc>,
    /// The primary interface (device index 0); its groups are the instance's groups.
    pub primary_eni: String,
    /// When it was terminated; terminated instances stay visible for a while, as on AWS.
    pub terminated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EniAttachment {
    pub attachment_id: String,
    pub instance_id: Option<String>,
    pub instance_owner_id: String,
    pub device_index: u32,
    pub delete_on_termination: bool,
    pub attach_time: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Eni {
    pub id: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub az: String,
    pub description: String,
    pub private_ip: String,
    pub mac_address: String,
    /// Security group ids in the order they were set.
    pub groups: Vec<String>,
    pub attachment: Option<EniAttachment>,
    /// `interface`, or `network_load_balancer` for the ENIs an NLB owns.
    pub interface_type: String,
    pub requester_managed: bool,
    pub requester_id: Option<String>,
    pub source_dest_check: bool,
    /// `available` or `in-use`.
    pub status: String,
    /// An NLB's interface lingers after DeleteLoadBalancer until this time (aws-api.md §2.5).
    pub release_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrefixList {
    pub id: String,
    pub name: String,
    pub address_family: String,
    pub max_entries: u32,
    pub entries: Vec<(String, Option<String>)>,
    /// AWS-managed lists (`com.amazonaws.<region>.s3`) have owner `AWS` and a published weight.
    pub aws_managed: bool,
    pub owner_id: String,
    pub version: u64,
}
