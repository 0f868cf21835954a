//! Security-group permissions the controller wants: frontend rules (lbc-reconciler.md §3.4), the
//! per-TargetGroupBinding node rules in SG mode (§3.7.1) and legacy CIDR mode (§3.7.2), and the
//! cluster-wide aggregation per node group (§5.4). Pure functions over plain values.

use std::collections::{BTreeMap, BTreeSet};

/// The description (and label) the controller puts on node rules it owns (§4.4, §5.3).
pub const SHARED_LABEL: &str = "elbv2.k8s.aws/targetGroupBinding=shared";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Cidr(String),
    PrefixList(String),
    /// A security group id (or a model token before deployment).
    Group(String),
}

/// One single-source permission: identity is protocol + ports + source (descriptions excluded).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission {
    pub protocol: String,
    pub from: i32,
    pub to: i32,
    pub source: Source,
}

impl Permission {
    fn new(protocol: &str, from: i32, to: i32, source: Source) -> Permission {
        Permission { protocol: protocol.to_string(), from, to, source }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn lower(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// A target group's health-check port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HcPort {
    TrafficPort,
    Port(i32),
}

impl HcPort {
    fn same_as(self, tg_port: i32) -> bool {
        match self {
            HcPort::TrafficPort => true,
            HcPort::Port(p) => p == tg_port,
        }
    }
}

pub fn is_ipv6(cidr: &str) -> bool {
    cidr.contains(':')
}

/// Frontend group ingress (§3.4): each Service port × each source CIDR, then each port × each
/// prefix list (v2.8.0+), then the path-MTU ICMP rules when enabled (v2.12.0+; duplicates collapse).
pub fn frontend_rules(ports: &[(Proto, i32)], cidrs: &[String], prefix_lists: &[String], icmp_mtu: bool) -> Vec<Permission> {
    let mut out: Vec<Permission> = Vec::new();
    let mut push = |p: Permission| {
        if !out.contains(&p) {
            out.push(p);
        }
    };
    for &(proto, port) in ports {
        for c in cidrs {
            push(Permission::new(proto.lower(), port, port, Source::Cidr(c.clone())));
        }
        for pl in prefix_lists {
            push(Permission::new(proto.lower(), port, port, Source::PrefixList(pl.clone())));
        }
        if icmp_mtu {
            for c in cidrs {
                let (proto, t, code) = if is_ipv6(c) { ("icmpv6", 2, 0) } else { ("icmp", 3, 4) };
                push(Permission::new(proto, t, code, Source::Cidr(c.clone())));
            }
        }
    }
    out
}

/// The default client CIDRs of §3.4 when the Service names none.
pub fn default_source_ranges(dualstack: bool, have_prefix_lists: bool) -> Vec<String> {
    if have_prefix_lists {
        return Vec::new();
    }
    let mut v = vec!["0.0.0.0/0".to_string()];
    if dualstack {
        v.push("::/0".to_string());
    }
    v
}

/// Node rules of one TGB in SG mode (§3.7.1), all from `peer`.
pub fn sg_mode_rules(peer: &str, proto: Proto, tg_port: i32, hc: HcPort, restricted: bool) -> Vec<Permission> {
    let src = || Source::Group(peer.to_string());
    if !restricted {
        let mut v = vec![Permission::new("tcp", 0, 65535, src())];
        if proto == Proto::Udp {
            v.push(Permission::new("udp", 0, 65535, src()));
        }
        return v;
    }
    let mut v = match proto {
        Proto::Tcp => vec![Permission::new("tcp", tg_port, tg_port, src())],
        Proto::Udp => {
            let mut v = vec![Permission::new("udp", tg_port, tg_port, src())];
            if hc.same_as(tg_port) {
                v.push(Permission::new("tcp", tg_port, tg_port, src()));
            }
            v
        }
    };
    if let HcPort::Port(p) = hc
        && p != tg_port
    {
        v.push(Permission::new("tcp", p, p, src()));
    }
    v
}

/// What legacy networking (§3.7.2) reads for one TGB.
#[derive(Debug, Clone)]
pub struct LegacyInputs {
    pub proto: Proto,
    pub tg_port: i32,
    pub hc: HcPort,
    pub preserve_client_ip: bool,
    /// Source ranges from the spec or the annotation (possibly empty).
    pub client_cidrs: Vec<String>,
    /// IPv4 CIDRs of the LB's subnets (IPv6 ones for an IPv6 target group).
    pub subnet_cidrs: Vec<String>,
    pub internal: bool,
    /// The VPC's CIDRs (used as the default source of internal LBs).
    pub vpc_cidrs: Vec<String>,
    pub ipv6: bool,
}

/// Node rules of one TGB in legacy mode (the caller has checked that rules are managed).
pub fn legacy_rules(i: &LegacyInputs) -> Vec<Permission> {
    let mut default_used = false;
    let traffic: Vec<String> = if i.proto == Proto::Udp || i.preserve_client_ip {
        if i.client_cidrs.is_empty() {
            default_used = true;
            if i.internal {
                i.vpc_cidrs.clone()
            } else if i.ipv6 {
                vec!["::/0".into()]
            } else {
                vec!["0.0.0.0/0".into()]
            }
        } else {
            i.client_cidrs.clone()
        }
    } else {
        i.subnet_cidrs.clone()
    };
    let mut out: Vec<Permission> =
        traffic.iter().map(|c| Permission::new(i.proto.lower(), i.tg_port, i.tg_port, Source::Cidr(c.clone()))).collect();
    let open_world = traffic.iter().any(|c| c == "0.0.0.0/0" || c == "::/0");
    let skip_hc = i.proto != Proto::Udp && i.hc.same_as(i.tg_port) && (!i.preserve_client_ip || default_used || open_world);
    if !skip_hc {
        let port = match i.hc {
            HcPort::TrafficPort => i.tg_port,
            HcPort::Port(p) => p,
        };
        for c in &i.subnet_cidrs {
            let p = Permission::new("tcp", port, port, Source::Cidr(c.clone()));
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// Aggregates the permissions every TGB wants on one node group (§5.4). Restricted: group-sourced
/// permissions fold into one range per (protocol, source group); CIDR and prefix-list ones stay
/// individual. Unrestricted: the union. Output is sorted for stable diffs.
pub fn aggregate<'a>(perms: impl IntoIterator<Item = &'a Permission>, restricted: bool) -> Vec<Permission> {
    let mut singles: BTreeSet<Permission> = BTreeSet::new();
    let mut ranges: BTreeMap<(String, String), (i32, i32)> = BTreeMap::new();
    for p in perms {
        match (&p.source, restricted) {
            (Source::Group(g), true) => {
                let e = ranges.entry((p.protocol.clone(), g.clone())).or_insert((p.from, p.to));
                e.0 = e.0.min(p.from);
                e.1 = e.1.max(p.to);
            }
            _ => {
                singles.insert(p.clone());
            }
        }
    }
    let mut out: Vec<Permission> =
        ranges.into_iter().map(|((proto, g), (from, to))| Permission::new(&proto, from, to, Source::Group(g))).collect();
    out.extend(singles);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBNETS: [&str; 3] = ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"];

    fn legacy(tg_port: i32) -> LegacyInputs {
        LegacyInputs {
            proto: Proto::Tcp,
            tg_port,
            hc: HcPort::TrafficPort,
            preserve_client_ip: true,
            client_cidrs: vec![],
            subnet_cidrs: SUBNETS.iter().map(|s| s.to_string()).collect(),
            internal: false,
            vpc_cidrs: vec!["10.0.0.0/16".into()],
            ipv6: false,
        }
    }

    /// Node-SG rule counts for N Services × P ports, the first Service whose rules pass `quota`.
    fn count(n: i32, p: i32, quota: usize, rules_of: impl Fn(i32, i32) -> Vec<Permission>, restricted: bool) -> (usize, Option<i32>) {
        let mut all = Vec::new();
        let mut first_fail = None;
        for svc in 0..n {
            for port in 0..p {
                all.extend(rules_of(svc, 30000 + svc * p + port));
            }
            if first_fail.is_none() && aggregate(&all, restricted).len() > quota {
                first_fail = Some(svc + 1);
            }
        }
        (aggregate(&all, restricted).len(), first_fail)
    }

    // The worked example of §5.6: N = 25 Services with P = 3 TCP ports, K = 3 subnets, C = 1.
    #[test]
    fn worked_example_legacy_rows() {
        assert_eq!(count(25, 3, 60, |_, port| legacy_rules(&legacy(port)), true), (75, Some(21)), "L1");
        let l2 = |_, port| legacy_rules(&LegacyInputs { client_cidrs: vec!["1.1.1.0/24".into(), "2.2.2.0/24".into()], ..legacy(port) });
        assert_eq!(count(25, 3, 60, l2, true), (375, Some(5)), "L2");
        let l3 = |_, port| legacy_rules(&LegacyInputs { internal: true, ..legacy(port) });
        assert_eq!(count(25, 3, 60, l3, true), (75, Some(21)), "L3");
        let l4 = |svc, port| legacy_rules(&LegacyInputs { hc: HcPort::Port(32000 + svc), ..legacy(port) });
        assert_eq!(count(25, 3, 60, l4, true), (150, Some(11)), "L4");
        let l5 = |_, _| legacy_rules(&LegacyInputs { preserve_client_ip: false, ..legacy(8080) });
        assert_eq!(count(25, 3, 60, l5, true), (3, None), "L5");
    }

    #[test]
    fn worked_example_sg_rows() {
        let s1 = |_, port| sg_mode_rules("sg-backend", Proto::Tcp, port, HcPort::TrafficPort, true);
        assert_eq!(count(25, 3, 60, s1, true), (1, None), "S1");
        let s2 = |_, port| sg_mode_rules("sg-backend", Proto::Tcp, port, HcPort::TrafficPort, false);
        assert_eq!(count(25, 3, 60, s2, false), (1, None), "S2");
        let s3 = |svc: i32, port| sg_mode_rules(&format!("sg-frontend-{svc}"), Proto::Tcp, port, HcPort::TrafficPort, true);
        assert_eq!(count(25, 3, 60, s3, true), (25, None), "S3");
        assert_eq!(count(61, 3, 60, s3, true).1, Some(61), "S3 fails at #61");
        let agg = aggregate(
            &(0..3).flat_map(|i| sg_mode_rules("sg-b", Proto::Tcp, 30000 + i, HcPort::TrafficPort, true)).collect::<Vec<_>>(),
            true,
        );
        assert_eq!(agg, vec![Permission::new("tcp", 30000, 30002, Source::Group("sg-b".into()))]);
    }

    #[test]
    fn sg_mode_udp_and_health_check_ports() {
        let v = sg_mode_rules("sg-b", Proto::Udp, 31000, HcPort::TrafficPort, true);
        assert_eq!(v.iter().map(|p| p.protocol.as_str()).collect::<Vec<_>>(), ["udp", "tcp"]);
        let v = sg_mode_rules("sg-b", Proto::Udp, 31000, HcPort::Port(32000), true);
        assert_eq!(v.len(), 2);
        assert_eq!((v[1].protocol.as_str(), v[1].from), ("tcp", 32000));
        assert_eq!(sg_mode_rules("sg-b", Proto::Udp, 1, HcPort::TrafficPort, false).len(), 2);
    }

    #[test]
    fn frontend_rules_ports_by_cidrs_and_icmp() {
        let cidrs = vec!["0.0.0.0/0".to_string(), "::/0".to_string()];
        let r = frontend_rules(&[(Proto::Tcp, 80), (Proto::Tcp, 443)], &cidrs, &[], true);
        // 2 ports × 2 CIDRs + one ICMP rule per CIDR (collapsed across ports).
        assert_eq!(r.len(), 6);
        assert!(r.contains(&Permission::new("icmpv6", 2, 0, Source::Cidr("::/0".into()))));
        let nine: Vec<String> = (0..9).map(|i| format!("10.{i}.0.0/16")).collect();
        let ports: Vec<(Proto, i32)> = (0..7).map(|i| (Proto::Tcp, 8000 + i)).collect();
        assert_eq!(frontend_rules(&ports, &nine, &[], false).len(), 63, "7 ports × 9 CIDRs passes a 60 quota");
        assert!(default_source_ranges(false, true).is_empty());
    }
}
