//! `IpPermission` in and out, shared by every security-group rule action (aws-api.md §2.2,
//! §1.7.2–§1.7.4): protocol and port normalisation, CIDR canonicalisation, rule descriptions,
//! the legacy flat ingress form, resolving peers against the Region, AWS's duplicate-rule text,
//! and the writers for `SecurityGroupRule`, revoked rules and regrouped `IpPermission` lists.

use ipnet::{Ipv4Net, Ipv6Net};

use crate::api::tags::write_tag_set;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::{Peer, Rule, SecurityGroup};
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

/// A peer as the request names it (a group may be named rather than given by id).
#[derive(Debug, Clone)]
pub enum PeerIn {
    Cidr4(Ipv4Net),
    Cidr6(Ipv6Net),
    PrefixList(String),
    GroupId(String),
    GroupName(String),
}

#[derive(Debug, Clone)]
pub struct PermIn {
    pub protocol: String,
    pub from: Option<i32>,
    pub to: Option<i32>,
    pub peers: Vec<(PeerIn, Option<String>)>,
}

/// One rule's content, resolved against the Region but not yet committed (no `sgr-` id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub protocol: String,
    pub from: Option<i32>,
    pub to: Option<i32>,
    pub peer: Peer,
    pub description: Option<String>,
}

impl Body {
    /// Same rule as `r` in direction `egress`, descriptions aside (aws-api.md §2.2).
    pub fn matches(&self, egress: bool, r: &Rule) -> bool {
        r.egress == egress && r.protocol == self.protocol && r.from_port == self.from && r.to_port == self.to && r.peer == self.peer
    }

    /// What makes two rules of one direction the same rule.
    pub fn key(&self) -> (String, Option<i32>, Option<i32>, Peer) {
        (self.protocol.clone(), self.from, self.to, self.peer.clone())
    }

    /// A rule with this content and a placeholder id, for quota arithmetic before commit.
    pub fn draft(&self, egress: bool, id: &str) -> Rule {
        Rule {
            id: id.into(),
            egress,
            protocol: self.protocol.as_str().into(),
            from_port: self.from,
            to_port: self.to,
            peer: self.peer.clone(),
            description: self.description.clone(),
        }
    }

    pub fn of(r: &Rule) -> Body {
        Body {
            protocol: r.protocol.to_string(),
            from: r.from_port,
            to: r.to_port,
            peer: r.peer.clone(),
            description: r.description.clone(),
        }
    }
}

/// `tcp`/`6` → `tcp` and so on; names are case-insensitive; other numbers 0–255 stay numbers.
pub fn parse_protocol(raw: Option<&str>) -> ApiResult<String> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(ApiError::invalid("Invalid value 'null' for protocol. VPC security group rules must specify protocols explicitly."));
    };
    let unknown = || ApiError::invalid(format!("Invalid value '{raw}' for IP protocol. Unknown protocol."));
    let lower = raw.to_ascii_lowercase();
    if let Ok(n) = lower.parse::<i64>() {
        // Numeric 6/17/1/58 are reported back by name [unverified for AWS; moto does the same].
        return Ok(match n {
            -1 => "-1".into(),
            6 => "tcp".into(),
            17 => "udp".into(),
            1 => "icmp".into(),
            58 => "icmpv6".into(),
            0..=255 => n.to_string(),
            _ => return Err(unknown()),
        });
    }
    match lower.as_str() {
        "tcp" | "udp" | "icmp" | "icmpv6" => Ok(lower),
        _ => Err(unknown()),
    }
}

fn port_range_error(what: &str) -> ApiError {
    ApiError::invalid(format!("Invalid value 'Must specify both from and to ports with {what}.' for portRange."))
}

/// Ports as stored: tcp/udp keep their range, ICMP keeps type/code (−1 = all), `-1` and other
/// protocol numbers carry none whatever was sent (BC-EC2 `IpPermission.IpProtocol`).
pub fn ports(protocol: &str, from: Option<i64>, to: Option<i64>) -> ApiResult<(Option<i32>, Option<i32>)> {
    match protocol {
        "tcp" | "udp" => {
            let (Some(f), Some(t)) = (from, to) else { return Err(port_range_error("TCP/UDP")) };
            for p in [f, t] {
                if !(0..=65535).contains(&p) {
                    // InvalidPermission.Malformed as observed (boto3#336).
                    return Err(ApiError::new(ErrorCode::InvalidPermissionMalformed, format!("TCP/UDP port ({p}) out of range")));
                }
            }
            if f > t {
                // [unverified] text.
                return Err(ApiError::invalid(format!(
                    "Invalid value 'from port ({f}) must not be greater than to port ({t})' for portRange."
                )));
            }
            Ok((Some(f as i32), Some(t as i32)))
        }
        "icmp" | "icmpv6" => {
            let (f, t) = match (from, to) {
                (Some(f), Some(t)) => (f, t),
                // For icmpv6 the range is optional and means all types and codes.
                (None, None) if protocol == "icmpv6" => (-1, -1),
                _ if protocol == "icmpv6" => (from.unwrap_or(-1), to.unwrap_or(-1)),
                _ => return Err(port_range_error("ICMP")),
            };
            if !(-1..=255).contains(&f) {
                return Err(ApiError::invalid(format!("ICMP type ({f}) out of range")));
            }
            if !(-1..=255).contains(&t) || (f == -1 && t != -1) {
                // "If the start port is -1 (all ICMP types), then the end port must be -1".
                return Err(ApiError::invalid(format!("ICMP code ({t}) out of range")));
            }
            Ok((Some(f as i32), Some(t as i32)))
        }
        _ => Ok((None, None)),
    }
}

pub fn cidr_malformed(raw: &str) -> ApiError {
    ApiError::invalid(format!("CIDR block {raw} is malformed"))
}

/// An IPv4 CIDR, canonicalised (host bits cleared) as AWS does.
pub fn parse_cidr4(raw: &str) -> ApiResult<Ipv4Net> {
    raw.trim().parse::<Ipv4Net>().map(|n| n.trunc()).map_err(|_| cidr_malformed(raw))
}

pub fn parse_cidr6(raw: &str) -> ApiResult<Ipv6Net> {
    raw.trim().parse::<Ipv6Net>().map(|n| n.trunc()).map_err(|_| cidr_malformed(raw))
}

/// AWS's character set for group names, group descriptions and rule descriptions.
pub fn allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c)
}

/// A rule description: ≤255 characters from AWS's set; an empty one is no description.
pub fn description(raw: Option<&str>) -> ApiResult<Option<String>> {
    match raw {
        None | Some("") => Ok(None),
        Some(d) if d.chars().count() <= 255 && d.chars().all(allowed_char) => Ok(Some(d.to_string())),
        Some(_) => Err(ApiError::invalid(
            "Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*",
        )),
    }
}

fn prefix_list_id(raw: &str) -> ApiResult<String> {
    if !well_formed(raw, "pl") {
        return Err(ApiError::malformed_id(ErrorCode::InvalidPrefixListIdMalformed, raw, "pl"));
    }
    Ok(raw.to_string())
}

fn group_id(raw: &str) -> ApiResult<String> {
    if !well_formed(raw, "sg") {
        return Err(ApiError::malformed_id(ErrorCode::InvalidGroupIdMalformed, raw, "sg"));
    }
    Ok(raw.to_string())
}

/// One `IpPermissions.N` item; its sources become rules in the order of aws-api.md §1.7.2.
fn parse_one(item: &P) -> ApiResult<PermIn> {
    let protocol = parse_protocol(item.str("IpProtocol"))?;
    let (from, to) = ports(&protocol, item.int("FromPort")?, item.int("ToPort")?)?;
    let mut peers = Vec::new();
    for x in item.list("IpRanges")? {
        peers.push((PeerIn::Cidr4(parse_cidr4(x.required("CidrIp")?)?), description(x.str("Description"))?));
    }
    for x in item.list("Ipv6Ranges")? {
        peers.push((PeerIn::Cidr6(parse_cidr6(x.required("CidrIpv6")?)?), description(x.str("Description"))?));
    }
    for x in item.list("Groups")? {
        let peer = match (x.str("GroupId").filter(|s| !s.is_empty()), x.str("GroupName").filter(|s| !s.is_empty())) {
            (Some(id), _) => PeerIn::GroupId(group_id(id)?),
            (None, Some(name)) => PeerIn::GroupName(name.to_string()),
            (None, None) => return Err(ApiError::missing(&x.path("GroupId"))),
        };
        peers.push((peer, description(x.str("Description"))?));
    }
    for x in item.list("PrefixListIds")? {
        peers.push((PeerIn::PrefixList(prefix_list_id(x.required("PrefixListId")?)?), description(x.str("Description"))?));
    }
    Ok(PermIn { protocol, from, to, peers })
}

const FLAT: &[&str] = &["IpProtocol", "FromPort", "ToPort", "CidrIp", "SourceSecurityGroupName"];

/// `IpPermissions.N`, plus for ingress the legacy flat members (BC-EC2; "Not supported" for
/// egress, where they are ignored). A flat `SourceSecurityGroupName` without a protocol grants
/// full ICMP, UDP and TCP access, as the model documents.
pub fn parse_permissions(p: &P, flat: bool) -> ApiResult<Vec<PermIn>> {
    let mut out = Vec::new();
    for item in p.list("IpPermissions")? {
        out.push(parse_one(&item)?);
    }
    if flat && FLAT.iter().any(|k| p.str(k).is_some()) {
        let source = p.str("SourceSecurityGroupName").filter(|s| !s.is_empty()).map(|n| (PeerIn::GroupName(n.to_string()), None));
        if let (Some(src), None) = (&source, p.str("IpProtocol")) {
            for (proto, f, t) in [("icmp", -1, -1), ("tcp", 0, 65535), ("udp", 0, 65535)] {
                out.push(PermIn { protocol: proto.into(), from: Some(f), to: Some(t), peers: vec![src.clone()] });
            }
        } else {
            let protocol = parse_protocol(p.str("IpProtocol"))?;
            let (from, to) = ports(&protocol, p.int("FromPort")?, p.int("ToPort")?)?;
            let mut peers = Vec::new();
            if let Some(c) = p.str("CidrIp") {
                peers.push((PeerIn::Cidr4(parse_cidr4(c)?), None));
            }
            peers.extend(source);
            out.push(PermIn { protocol, from, to, peers });
        }
    }
    Ok(out)
}

/// Whether `strict` resolution must find every referenced group and prefix list (Authorize,
/// Modify) or may leave unknown ones to simply match nothing (Revoke, UpdateDescriptions).
pub fn resolve(r: &Region, sg: &SecurityGroup, perms: &[PermIn], strict: bool) -> ApiResult<Vec<Body>> {
    let mut out = Vec::new();
    for p in perms {
        for (peer, description) in &p.peers {
            let peer = resolve_peer(r, sg, peer, strict)?;
            out.push(Body { protocol: p.protocol.clone(), from: p.from, to: p.to, peer, description: description.clone() });
        }
    }
    Ok(out)
}

pub fn resolve_peer(r: &Region, sg: &SecurityGroup, peer: &PeerIn, strict: bool) -> ApiResult<Peer> {
    Ok(match peer {
        PeerIn::Cidr4(n) => Peer::Cidr4(*n),
        PeerIn::Cidr6(n) => Peer::Cidr6(*n),
        PeerIn::PrefixList(id) => {
            if strict && !r.prefix_lists().contains_key(id) {
                return Err(ApiError::prefix_list_not_found(id));
            }
            Peer::PrefixList(id.clone())
        }
        PeerIn::GroupId(id) => match r.sgs().get(id.as_str()) {
            Some(g) => {
                if strict && g.vpc_id != sg.vpc_id {
                    return Err(ApiError::new(
                        ErrorCode::InvalidGroupNotFound,
                        "You have specified two resources that belong to different networks.",
                    ));
                }
                Peer::group(g.id.clone(), g.owner_id.clone())
            }
            None if strict => return Err(ApiError::sg_not_found(id)),
            None => Peer::group(id.clone(), r.account.clone()),
        },
        PeerIn::GroupName(name) => {
            // Names resolve only for groups of a default VPC (BC-EC2 `UserIdGroupPair.GroupName`).
            let in_default = r.vpcs().get(&sg.vpc_id).is_some_and(|v| v.is_default);
            if !in_default {
                return Err(ApiError::invalid(format!(
                    "Invalid value '{name}' for groupName. You may not reference Amazon VPC security groups by name. Please use the corresponding id for this operation."
                )));
            }
            let id = r.sg_id_by_name(&sg.vpc_id, name).ok_or_else(|| ApiError::sg_name_not_found(name, &sg.vpc_id, true))?;
            Peer::group(id.clone(), r.sgs().get(id.as_str()).map(|g| g.owner_id.clone()).unwrap_or_else(|| r.account.clone()))
        }
    })
}

/// The quoted part of AWS's `InvalidPermission.Duplicate` message (aws-api.md §2.0), e.g.
/// `peer: 0.0.0.0/0, TCP, from port: 443, to port: 443, ALLOW`.
pub fn rule_text(protocol: &str, from: Option<i32>, to: Option<i32>, peer: &Peer) -> String {
    let all = |v: Option<i32>| match v {
        None | Some(-1) => "ALL".to_string(),
        Some(n) => n.to_string(),
    };
    let what = match protocol {
        "-1" => "ALL".to_string(),
        "tcp" | "udp" => format!("{}, from port: {}, to port: {}", protocol.to_uppercase(), from.unwrap_or(0), to.unwrap_or(0)),
        // ICMPV6 spelling [unverified]; ICMP is observed.
        "icmp" | "icmpv6" => format!("{}, type: {}, code: {}", protocol.to_uppercase(), all(from), all(to)),
        n => format!("protocol: {n}"),
    };
    format!("peer: {}, {what}, ALLOW", peer.text())
}

pub fn duplicate(b: &Body) -> ApiError {
    ApiError::rule_duplicate(&rule_text(&b.protocol, b.from, b.to, &b.peer))
}

/// Two identical permissions in one request (observed: terraform-provider-aws#2587).
pub fn same_in_request() -> ApiError {
    ApiError::invalid("The same permission must not appear multiple times")
}

/// The members of one `SecurityGroupRule` (Authorize output, DescribeSecurityGroupRules).
/// Rules without ports report −1/−1 here, unlike DescribeSecurityGroups (aws-api.md §1.7.3).
pub fn write_rule(w: &mut Xml, r: &Region, sg: &SecurityGroup, rule: &Rule) {
    w.leaf("securityGroupRuleId", &rule.id)
        .leaf("groupId", &sg.id)
        .leaf("groupOwnerId", &sg.owner_id)
        .bool("isEgress", rule.egress)
        .leaf("ipProtocol", &rule.protocol)
        .int("fromPort", rule.from_port.unwrap_or(-1))
        .int("toPort", rule.to_port.unwrap_or(-1));
    match &rule.peer {
        Peer::Cidr4(n) => {
            w.cidr4("cidrIpv4", n);
        }
        Peer::Cidr6(n) => {
            w.num("cidrIpv6", n);
        }
        Peer::PrefixList(id) => {
            w.leaf("prefixListId", id);
        }
        Peer::Group(g) => {
            w.open("referencedGroupInfo").leaf("groupId", &g.group_id).leaf("userId", &g.user_id).close("referencedGroupInfo");
        }
    }
    w.opt("description", rule.description.as_ref());
    write_tag_set(w, r.tags().get(&rule.id));
    // The rule's ARN, written in place (a describe writes one per rule).
    w.leaf_parts("securityGroupRuleArn", &["arn:", r.partition, ":ec2:", &r.name, ":", &r.account, ":security-group-rule/", &rule.id]);
}

/// The members of one `RevokedSecurityGroupRule`.
pub fn write_revoked(w: &mut Xml, group_id: &str, rule: &Rule) {
    w.leaf("securityGroupRuleId", &rule.id)
        .leaf("groupId", group_id)
        .bool("isEgress", rule.egress)
        .leaf("ipProtocol", &rule.protocol)
        .int("fromPort", rule.from_port.unwrap_or(-1))
        .int("toPort", rule.to_port.unwrap_or(-1));
    match &rule.peer {
        Peer::Cidr4(n) => w.cidr4("cidrIpv4", n),
        Peer::Cidr6(n) => w.num("cidrIpv6", n),
        Peer::PrefixList(id) => w.leaf("prefixListId", id),
        Peer::Group(g) => w.leaf("referencedGroupId", &g.group_id),
    };
    w.opt("description", rule.description.as_ref());
}

/// One rule's content, borrowed, as the `IpPermission` writer reads it (from a stored `Rule`
/// or a request's `Body`): rendering a group clones nothing.
#[derive(Debug, Clone, Copy)]
pub struct Perm<'a> {
    pub protocol: &'a str,
    pub from: Option<i32>,
    pub to: Option<i32>,
    pub peer: &'a Peer,
    pub description: Option<&'a str>,
}

impl<'a> From<&'a Rule> for Perm<'a> {
    fn from(r: &'a Rule) -> Perm<'a> {
        Perm { protocol: &r.protocol, from: r.from_port, to: r.to_port, peer: &r.peer, description: r.description.as_deref() }
    }
}

impl<'a> From<&'a Body> for Perm<'a> {
    fn from(b: &'a Body) -> Perm<'a> {
        Perm { protocol: &b.protocol, from: b.from, to: b.to, peer: &b.peer, description: b.description.as_deref() }
    }
}

/// A list of `IpPermission`s: rules regrouped by (protocol, from, to) in first-seen order, each
/// with all four source lists (empty ones as empty elements, as AWS sends them).
pub fn write_permissions<'a, T: Into<Perm<'a>>>(w: &mut Xml, name: &str, rules: impl IntoIterator<Item = T>) {
    let all: Vec<Perm<'a>> = rules.into_iter().map(Into::into).collect();
    // Ports first: they tell most keys apart without comparing protocol strings, and protocols
    // are a few bytes, compared inline rather than through memcmp.
    let same = |a: &Perm<'a>, b: &Perm<'a>| {
        a.from == b.from
            && a.to == b.to
            && a.protocol.len() == b.protocol.len()
            && a.protocol.bytes().zip(b.protocol.bytes()).all(|(x, y)| x == y)
    };
    // Each rule's permission (the first rule with its key), in first-seen order; a linear scan,
    // as a group has few distinct keys.
    let mut firsts: Vec<usize> = Vec::new();
    let mut of: Vec<usize> = Vec::with_capacity(all.len());
    for (i, p) in all.iter().enumerate() {
        match firsts.iter().position(|&f| same(&all[f], p)) {
            Some(k) => of.push(k),
            None => {
                of.push(firsts.len());
                firsts.push(i);
            }
        }
    }
    w.list(name, firsts.iter().enumerate(), |w, (k, &first)| {
        let (proto, from, to) = (all[first].protocol, all[first].from, all[first].to);
        let (all, of) = (&all, &of);
        let items = move || all.iter().zip(of.iter()).filter(move |(_, o)| **o == k).map(|(p, _)| p);
        w.leaf("ipProtocol", proto);
        if let Some(f) = from {
            w.int("fromPort", f);
        }
        if let Some(t) = to {
            w.int("toPort", t);
        }
        w.list("groups", items().filter(|p| matches!(p.peer, Peer::Group(_))), |w, p| {
            if let Peer::Group(g) = p.peer {
                w.leaf("userId", &g.user_id).leaf("groupId", &g.group_id);
            }
            w.opt("description", p.description);
        });
        w.list("ipRanges", items().filter(|p| matches!(p.peer, Peer::Cidr4(_))), |w, p| {
            if let Peer::Cidr4(n) = p.peer {
                w.cidr4("cidrIp", n);
            }
            w.opt("description", p.description);
        });
        w.list("ipv6Ranges", items().filter(|p| matches!(p.peer, Peer::Cidr6(_))), |w, p| {
            if let Peer::Cidr6(n) = p.peer {
                w.num("cidrIpv6", n);
            }
            w.opt("description", p.description);
        });
        w.list("prefixListIds", items().filter(|p| matches!(p.peer, Peer::PrefixList(_))), |w, p| {
            if let Peer::PrefixList(id) = p.peer {
                w.leaf("prefixListId", id);
            }
            w.opt("description", p.description);
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_normalise() {
        assert_eq!(parse_protocol(Some("TCP")).unwrap(), "tcp");
        assert_eq!(parse_protocol(Some("6")).unwrap(), "tcp");
        assert_eq!(parse_protocol(Some("58")).unwrap(), "icmpv6");
        assert_eq!(parse_protocol(Some("50")).unwrap(), "50");
        assert_eq!(parse_protocol(Some("-1")).unwrap(), "-1");
        assert!(parse_protocol(Some("all")).unwrap_err().message.contains("Unknown protocol"));
        assert!(parse_protocol(Some("256")).is_err());
        assert!(parse_protocol(None).unwrap_err().message.contains("'null'"));
    }

    #[test]
    fn ports_by_protocol() {
        assert_eq!(ports("tcp", Some(443), Some(443)).unwrap(), (Some(443), Some(443)));
        assert!(ports("tcp", None, Some(443)).unwrap_err().message.contains("TCP/UDP"));
        assert_eq!(ports("tcp", Some(0), Some(70000)).unwrap_err().code, ErrorCode::InvalidPermissionMalformed);
        assert!(ports("udp", Some(90), Some(80)).is_err());
        assert_eq!(ports("-1", Some(80), Some(90)).unwrap(), (None, None));
        assert_eq!(ports("50", Some(1), Some(2)).unwrap(), (None, None));
        assert_eq!(ports("icmp", Some(-1), Some(-1)).unwrap(), (Some(-1), Some(-1)));
        assert!(ports("icmp", None, None).is_err());
        assert!(ports("icmp", Some(-1), Some(3)).is_err());
        assert_eq!(ports("icmpv6", None, None).unwrap(), (Some(-1), Some(-1)));
    }

    #[test]
    fn cidrs_and_texts() {
        assert_eq!(parse_cidr4("100.68.0.18/18").unwrap().to_string(), "100.68.0.0/18");
        assert_eq!(parse_cidr4("10.0.0.1").unwrap_err().message, "CIDR block 10.0.0.1 is malformed");
        assert!(parse_cidr6("10.0.0.0/8").is_err());
        let p = Peer::Cidr4("0.0.0.0/0".parse().unwrap());
        assert_eq!(rule_text("tcp", Some(5439), Some(5439), &p), "peer: 0.0.0.0/0, TCP, from port: 5439, to port: 5439, ALLOW");
        assert_eq!(rule_text("-1", None, None, &p), "peer: 0.0.0.0/0, ALL, ALLOW");
        assert_eq!(rule_text("icmp", Some(-1), Some(-1), &p), "peer: 0.0.0.0/0, ICMP, type: ALL, code: ALL, ALLOW");
        assert_eq!(rule_text("50", None, None, &p), "peer: 0.0.0.0/0, protocol: 50, ALLOW");
        assert!(description(Some("café")).is_err());
        assert_eq!(description(Some("")).unwrap(), None);
    }
}
