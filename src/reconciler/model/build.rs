//! `build`: one Service → its desired stack (§3), and the resolutions the deploy steps share
//! (scheme, the inputs of the security-group decision).

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::reconciler::annotations::{self as a, Annotations};
use crate::reconciler::config::ControllerConfig;
use crate::reconciler::naming;
use crate::reconciler::networking::{self as net, HcPort, LegacyInputs, Permission, Proto, Source};
use crate::reconciler::sg_decision::{self, NodeRules, SgDecision, SgInputs, SgRef};

use super::health_check::health_check;
use super::tags::{tracking_tags, user_tags, with_tracking};
use super::*;

/// Scheme resolution order (§1.3): annotation, legacy `-internal`, existing LB, default.
pub fn scheme(svc: &Service, cfg: &ControllerConfig, existing: Option<&ExistingLb>) -> Result<String, String> {
    let ann = annotations(svc);
    let ann = Annotations(&ann);
    if let Some(s) = ann.str(a::SCHEME) {
        return match s {
            "internal" | "internet-facing" => Ok(s.to_string()),
            other => Err(format!("unknown scheme: {other}")),
        };
    }
    if let Some(internal) = ann.bool(a::INTERNAL)? {
        return Ok(if internal { "internal" } else { "internet-facing" }.to_string());
    }
    if let Some(e) = existing {
        return Ok(e.scheme.clone());
    }
    Ok(if cfg.default_scheme_flag() { cfg.default_load_balancer_scheme.clone() } else { "internal".to_string() })
}

/// The inputs of the §3.3 decision, minus the resolved user groups.
pub fn sg_inputs(
    svc: &Service,
    cfg: &ControllerConfig,
    existing: Option<&ExistingLb>,
    user_sgs: Option<Vec<String>>,
) -> Result<SgInputs, String> {
    let ann = annotations(svc);
    let ann = Annotations(&ann);
    Ok(SgInputs {
        existing_lb_groups: existing.map(|e| e.security_groups.clone()),
        gate_nlb_security_group: cfg.feature_gates.nlb_security_group,
        disable_nlb_sg: cfg.disable_nlb_sg() && ann.bool(a::DISABLE_NLB_SG)?.unwrap_or(false),
        user_groups: user_sgs,
        manage_rules_annotation: ann.bool(a::MANAGE_BACKEND_RULES)?,
        manage_rules_flag_default: cfg.manage_backend_rules_flag() && cfg.enable_manage_backend_security_group_rules,
        backend_sg_enabled: cfg.enable_backend_security_group,
    })
}

fn target_type(ann: &Annotations, cfg: &ControllerConfig) -> Result<String, String> {
    let t = if ann.str(a::TYPE) == Some("nlb-ip") {
        "ip".to_string()
    } else {
        ann.str(a::TARGET_TYPE).map(String::from).unwrap_or_else(|| cfg.default_target_type.clone())
    };
    match t.as_str() {
        "ip" if !cfg.feature_gates.enable_ip_target_type => Err("unsupported targetType: ip when EnableIPTargetType is false".into()),
        "ip" | "instance" => Ok(t),
        other => Err(format!("unsupported target type \"{other}\", valid values are \"ip\" and \"instance\"")),
    }
}

/// The empty stack: delete everything (§4.7), unless deletion protection is asked for (§1.1).
fn empty(svc: &Service) -> Result<Stack, String> {
    let (ns, name, _) = meta(svc);
    let ann = annotations(svc);
    let attrs = Annotations(&ann).map(a::LB_ATTRIBUTES).ok().flatten().unwrap_or_default();
    if attrs.get("deletion_protection.enabled").map(String::as_str) == Some("true") {
        return Err(format!("deletion_protection is enabled, cannot delete the service: {name}"));
    }
    Ok(Stack { id: format!("{ns}/{name}"), tgb_labels: service_tgb_labels(&ns, &name), namespace: ns, name, ..Stack::default() })
}

pub fn build(svc: &Service, cfg: &ControllerConfig, facts: &Facts) -> Result<Stack, String> {
    if !supported(svc, cfg) {
        return empty(svc);
    }
    let (ns, name, uid) = meta(svc);
    let stack_id = format!("{ns}/{name}");
    let spec = svc.spec.clone().unwrap_or_default();
    let ann_map = annotations(svc);
    let ann = Annotations(&ann_map);
    let target_type = target_type(&ann, cfg)?;
    let scheme = scheme(svc, cfg, facts.existing_lb.as_ref())?;
    let ip_address_type = match ann.str(a::IP_ADDRESS_TYPE).unwrap_or("ipv4") {
        t @ ("ipv4" | "dualstack") => t.to_string(),
        other => return Err(format!("unknown IPAddressType: {other}")),
    };
    let dualstack = ip_address_type == "dualstack";
    if facts.subnets.is_empty() {
        return Err("unable to resolve at least one subnet".into());
    }
    let decision: SgDecision = sg_decision::decide(&sg_inputs(svc, cfg, facts.existing_lb.as_ref(), facts.user_sgs.clone())?)?;
    let user_tags = user_tags(&ann, cfg)?;
    let resolve_ref = |r: &SgRef| -> String {
        match r {
            SgRef::Frontend => FRONTEND_TOKEN.to_string(),
            SgRef::Backend => facts.backend_sg.clone().unwrap_or_default(),
            SgRef::Id(id) => id.clone(),
        }
    };

    // Client CIDRs (§3.4): spec first, then the annotation.
    let spec_ranges = spec.load_balancer_source_ranges.clone().unwrap_or_default();
    let client_cidrs = if spec_ranges.is_empty() { ann.list(a::SOURCE_RANGES).unwrap_or_default() } else { spec_ranges };
    for c in &client_cidrs {
        if net::is_ipv6(c) && !dualstack {
            return Err(format!("unsupported v6 cidr {c} when lb is not dualstack"));
        }
    }
    let prefix_lists = if cfg.prefix_lists() { ann.list(a::PREFIX_LISTS).unwrap_or_default() } else { Vec::new() };
    let frontend_cidrs =
        if client_cidrs.is_empty() { net::default_source_ranges(dualstack, !prefix_lists.is_empty()) } else { client_cidrs.clone() };

    // Ports: one TG per Service port number, first one wins (§3.2).
    let mut ports = Vec::new();
    for p in spec.ports.clone().unwrap_or_default() {
        if !ports.iter().any(|q: &k8s_openapi::api::core::v1::ServicePort| q.port == p.port) {
            ports.push(p);
        }
    }
    let proto_of = |p: &k8s_openapi::api::core::v1::ServicePort| -> Result<Proto, String> {
        match p.protocol.as_deref().unwrap_or("TCP") {
            "TCP" => Ok(Proto::Tcp),
            "UDP" => Ok(Proto::Udp),
            other => Err(format!("unsupported listener protocol: {other}")),
        }
    };

    let frontend_sg = if decision.frontend_in_model {
        let fports: Vec<(Proto, i32)> = ports.iter().map(|p| Ok((proto_of(p)?, p.port))).collect::<Result<_, String>>()?;
        let icmp = cfg.icmp_path_mtu() && ann.str(a::ICMP_MTU) == Some("on");
        Some(FrontendSg {
            name: naming::frontend_sg(&cfg.cluster_name, &ns, &name, &uid),
            tags: with_tracking(&user_tags, tracking_tags(cfg, &stack_id, FRONTEND_RESOURCE)),
            ingress: net::frontend_rules(&fports, &frontend_cidrs, &prefix_lists, icmp),
        })
    } else {
        None
    };

    // Load balancer (§3.1).
    let lb_name = match ann.str(a::NAME) {
        Some(n) if n.len() > 32 => return Err("load balancer name cannot be longer than 32 characters".into()),
        Some(n) => n.to_string(),
        None => naming::load_balancer(&cfg.cluster_name, &ns, &name, &uid, &scheme),
    };
    let eips = ann.list(a::EIP_ALLOCATIONS);
    let private_ips = ann.list(a::PRIVATE_IPV4);
    if let Some(e) = &eips {
        if scheme != "internet-facing" {
            return Err("EIP allocations can only be set for internet facing load balancers".into());
        }
        if e.len() != facts.subnets.len() {
            return Err("count of EIP allocations and subnets must match".into());
        }
    }
    if let Some(p) = &private_ips {
        if scheme != "internal" {
            return Err("private IPv4 addresses can only be set for internal load balancers".into());
        }
        if p.len() != facts.subnets.len() {
            return Err("count of private IPv4 addresses and subnets must match".into());
        }
    }
    let subnets: Vec<SubnetMapping> = facts
        .subnets
        .iter()
        .enumerate()
        .map(|(i, s)| SubnetMapping {
            subnet_id: s.id.clone(),
            allocation_id: eips.as_ref().and_then(|e| e.get(i).cloned()),
            private_ipv4: private_ips.as_ref().and_then(|p| p.get(i).cloned()),
        })
        .collect();
    let mut lb_attrs = ann.map(a::LB_ATTRIBUTES)?.unwrap_or_default();
    for (suffix, key) in [
        ("aws-load-balancer-access-log-enabled", "access_logs.s3.enabled"),
        ("aws-load-balancer-access-log-s3-bucket-name", "access_logs.s3.bucket"),
        ("aws-load-balancer-access-log-s3-bucket-prefix", "access_logs.s3.prefix"),
        ("aws-load-balancer-cross-zone-load-balancing-enabled", "load_balancing.cross_zone.enabled"),
    ] {
        if let Some(v) = ann.str(suffix) {
            lb_attrs.insert(key.to_string(), v.to_string());
        }
    }
    let lb = LoadBalancer {
        lb_type: "network".into(),
        name: lb_name,
        scheme: scheme.clone(),
        ip_address_type: ip_address_type.clone(),
        subnets,
        security_groups: decision.lb_groups.iter().map(resolve_ref).collect(),
        attributes: lb_attrs,
        tags: with_tracking(&user_tags, tracking_tags(cfg, &stack_id, LB_RESOURCE)),
        private_link_inbound: if cfg.private_link_inbound() { ann.str(a::PRIVATE_LINK_INBOUND).map(String::from) } else { None },
    };

    // Listeners, target groups and bindings (§3.2, §3.7).
    let certs = ann.list(a::SSL_CERT).unwrap_or_default();
    let ssl_ports = ann.list(a::SSL_PORTS).unwrap_or_default();
    for sp in &ssl_ports {
        if !ports.iter().any(|p| p.name.as_deref() == Some(sp.as_str()) || p.port.to_string() == *sp) {
            return Err(format!("Unused port in ssl-ports annotation [{sp}]"));
        }
    }
    let mut tg_attrs = ann.map(a::TG_ATTRIBUTES)?.unwrap_or_default();
    match ann.str(a::PROXY_PROTOCOL) {
        None => {
            tg_attrs.entry("proxy_protocol_v2.enabled".into()).or_insert_with(|| "false".into());
        }
        Some("*") => {
            tg_attrs.insert("proxy_protocol_v2.enabled".into(), "true".into());
        }
        Some(v) => {
            return Err(format!("invalid value {v} for Load Balancer proxy protocol v2 annotation, only value currently supported is *"));
        }
    }
    let preserve_client_ip = match tg_attrs.get("preserve_client_ip.enabled") {
        Some(v) => a::parse_bool(v).ok_or_else(|| format!("failed to parse attribute preserve_client_ip.enabled={v}"))?,
        None => target_type == "instance",
    };
    let ipv6_family = spec.ip_families.clone().unwrap_or_default().iter().any(|f| f == "IPv6");
    if ipv6_family && !dualstack {
        return Err("unsupported IPv6 configuration, lb not dual-stack".into());
    }
    let tg_ip_type = if ipv6_family { "ipv6" } else { "ipv4" }.to_string();
    let node_selector = if target_type == "instance" { ann.map(a::TARGET_NODE_LABELS)? } else { None };

    let mut stack = Stack {
        id: stack_id.clone(),
        namespace: ns.clone(),
        name: name.clone(),
        keys: SERVICE_KEYS,
        tgb_labels: service_tgb_labels(&ns, &name),
        lb: None,
        frontend_sg,
        target_groups: Vec::new(),
        listeners: Vec::new(),
        alb_listeners: Vec::new(),
        tgbs: Vec::new(),
        backend_sg_allocated: decision.backend_allocated,
        sg_row: Some(decision.row),
    };
    for p in &ports {
        let proto = proto_of(p)?;
        let tls = !certs.is_empty()
            && proto != Proto::Udp
            && (ssl_ports.is_empty() || ssl_ports.iter().any(|s| p.name.as_deref() == Some(s.as_str()) || p.port.to_string() == *s));
        let listener_proto = if tls { "TLS".to_string() } else { proto.lower().to_uppercase() };
        let tg_proto = if tls && ann.str(a::BACKEND_PROTOCOL) == Some("ssl") { "TLS".to_string() } else { proto.lower().to_uppercase() };
        let (tg_port, named) = if target_type == "instance" {
            if spec.type_.as_deref() == Some("ClusterIP") || spec.type_.is_none() {
                return Err("unsupported service type \"ClusterIP\" for load balancer target type \"instance\"".into());
            }
            match p.node_port.filter(|n| *n != 0) {
                Some(n) => (n, None),
                None => return Err(format!("unable to find NodePort for service port {}", p.port)),
            }
        } else {
            match &p.target_port {
                Some(IntOrString::Int(n)) => (*n, None),
                Some(IntOrString::String(s)) => (1, Some(s.clone())),
                None => (p.port, None),
            }
        };
        let hc = health_check(&ann, cfg, svc, &target_type)?;
        let tg_name = naming::target_group(
            &cfg.cluster_name,
            &ns,
            &name,
            &uid,
            &naming::TargetGroupKey {
                tg_port,
                service_port: p.port,
                target_type: &target_type,
                protocol: &tg_proto,
                health_check_protocol: &hc.protocol,
                health_check_interval: hc.interval,
            },
        );
        let resource_id = format!("{stack_id}:{}", p.port);
        let hc_port = match hc.port.as_str() {
            "traffic-port" => HcPort::TrafficPort,
            n => HcPort::Port(n.parse().unwrap_or(tg_port)),
        };
        let rule_port = if named.is_some() { NAMED_PORT } else { tg_port };
        let perms: Option<Vec<Permission>> = match &decision.node_rules {
            NodeRules::None => None,
            NodeRules::FromGroup(r) => {
                Some(net::sg_mode_rules(&resolve_ref(r), proto, rule_port, hc_port, !cfg.disable_restricted_sg_rules))
            }
            NodeRules::LegacyCidr => {
                let subnet_cidrs: Vec<String> = if ipv6_family {
                    facts.subnets.iter().flat_map(|s| s.ipv6_cidrs.clone()).collect()
                } else {
                    facts.subnets.iter().map(|s| s.cidr.clone()).collect()
                };
                Some(net::legacy_rules(&LegacyInputs {
                    proto,
                    tg_port: rule_port,
                    hc: hc_port,
                    preserve_client_ip,
                    client_cidrs: client_cidrs.clone(),
                    subnet_cidrs,
                    internal: scheme == "internal",
                    vpc_cidrs: facts.vpc_cidrs.clone(),
                    ipv6: ipv6_family,
                }))
            }
        };
        stack.target_groups.push(TargetGroup {
            resource_id: resource_id.clone(),
            name: tg_name.clone(),
            target_type: target_type.clone(),
            port: tg_port,
            protocol: tg_proto,
            protocol_version: None,
            ip_address_type: tg_ip_type.clone(),
            health_check: hc,
            attributes: tg_attrs.clone(),
            tags: with_tracking(&user_tags, tracking_tags(cfg, &stack_id, &resource_id)),
        });
        stack.listeners.push(Listener {
            port: p.port,
            protocol: listener_proto,
            tg_resource_id: resource_id.clone(),
            certificates: if tls { certs.clone() } else { Vec::new() },
            ssl_policy: if tls {
                Some(ann.str(a::SSL_POLICY).map(String::from).unwrap_or_else(|| cfg.default_ssl_policy.clone()))
            } else {
                None
            },
            alpn: if tls { ann.str(a::ALPN).map(String::from) } else { None },
            tags: with_tracking(&user_tags, tracking_tags(cfg, &stack_id, &p.port.to_string())),
        });
        stack.tgbs.push(Tgb {
            name: tg_name,
            namespace: ns.clone(),
            service_name: name.clone(),
            tg_resource_id: resource_id,
            target_type: target_type.clone(),
            service_port: IntOrString::Int(p.port),
            networking: perms.map(|v| net_rules(&v, named.as_deref())),
            node_selector: node_selector.clone(),
            ip_address_type: tg_ip_type.clone(),
        });
    }
    stack.lb = Some(lb);
    Ok(stack)
}

/// The labels of a Service's TargetGroupBindings (§2.2).
fn service_tgb_labels(ns: &str, name: &str) -> std::collections::BTreeMap<String, String> {
    std::collections::BTreeMap::from([(LABEL_STACK_NS.to_string(), ns.to_string()), (LABEL_STACK_NAME.to_string(), name.to_string())])
}

/// Groups single-source permissions into TGB ingress rules: one rule per port set.
fn net_rules(perms: &[Permission], named: Option<&str>) -> Vec<NetRule> {
    let mut by_port: Vec<(NetPort, Vec<Source>)> = Vec::new();
    for p in perms {
        let port = if p.from == 0 && p.to == 65535 {
            None
        } else if p.from == NAMED_PORT {
            Some(IntOrString::String(named.unwrap_or_default().to_string()))
        } else {
            Some(IntOrString::Int(p.from))
        };
        let k = (p.protocol.to_uppercase(), port);
        match by_port.iter_mut().find(|(key, _)| *key == k) {
            Some((_, v)) => {
                if !v.contains(&p.source) {
                    v.push(p.source.clone());
                }
            }
            None => by_port.push((k, vec![p.source.clone()])),
        }
    }
    // Rules with the same peers share one rule with several ports (as the controller writes them).
    let mut out: Vec<NetRule> = Vec::new();
    for (port, from) in by_port {
        match out.iter_mut().find(|r| r.from == from) {
            Some(r) => r.ports.push(port),
            None => out.push(NetRule { from, ports: vec![port] }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ControllerConfig {
        ControllerConfig { cluster_name: "demo-cluster".into(), ..ControllerConfig::default() }
    }

    fn svc(extra_ann: &str, ports: &str) -> Service {
        serde_yaml_ng::from_str(&format!(
            "metadata:\n  name: echo-server\n  namespace: team-a\n  uid: 8f0c5b8e-1111-4a2b-9c3d-abcdef012345\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing\n{extra_ann}spec:\n  type: LoadBalancer\n  ports: {ports}\n"
        ))
        .unwrap()
    }

    fn facts() -> Facts {
        Facts {
            subnets: (0..3)
                .map(|i| SubnetFact {
                    id: format!("subnet-{i}"),
                    az: format!("us-east-1{i}"),
                    cidr: format!("10.0.{i}.0/24"),
                    ipv6_cidrs: vec![],
                })
                .collect(),
            backend_sg: Some("sg-backend".into()),
            vpc_cidrs: vec!["10.0.0.0/16".into()],
            ..Facts::default()
        }
    }

    #[test]
    fn default_service_is_row_d_with_reference_names() {
        let s = build(&svc("", "[{port: 80, nodePort: 31080}]"), &cfg(), &facts()).unwrap();
        assert_eq!(s.sg_row, Some('D'));
        let lb = s.lb.as_ref().unwrap();
        assert_eq!(lb.name, "k8s-teama-echoserv-5da7befbf2");
        assert_eq!(lb.security_groups, [FRONTEND_TOKEN, "sg-backend"]);
        assert_eq!(s.frontend_sg.as_ref().unwrap().name, "k8s-teama-echoserv-1d0767bf55");
        assert_eq!(s.target_groups[0].name, "k8s-teama-echoserv-83fea54d61");
        assert_eq!(s.target_groups[0].resource_id, "team-a/echo-server:80");
        assert_eq!(s.target_groups[0].attributes["proxy_protocol_v2.enabled"], "false");
        let net = s.tgbs[0].networking.as_ref().unwrap();
        assert_eq!(net[0].from, vec![Source::Group("sg-backend".into())]);
        assert_eq!(net[0].ports, vec![("TCP".to_string(), Some(IntOrString::Int(31080)))]);
        assert!(s.backend_sg_allocated);
        assert_eq!(lb.tags[TAG_RESOURCE], "LoadBalancer");
        assert_eq!(lb.tags[TAG_STACK], "team-a/echo-server");
    }

    #[test]
    fn legacy_rows_and_errors() {
        let f = Facts { existing_lb: Some(ExistingLb { scheme: "internet-facing".into(), ..ExistingLb::default() }), ..facts() };
        let s = build(&svc("", "[{port: 80, nodePort: 31080}]"), &cfg(), &f).unwrap();
        assert_eq!(s.sg_row, Some('A'));
        assert!(s.frontend_sg.is_none() && s.lb.as_ref().unwrap().security_groups.is_empty());
        let net = s.tgbs[0].networking.as_ref().unwrap();
        assert_eq!(net[0].from, vec![Source::Cidr("0.0.0.0/0".into())], "L1: one 0.0.0.0/0 rule per port");
        let mut off = cfg();
        off.feature_gates.nlb_security_group = false;
        let with_groups =
            Facts { existing_lb: Some(ExistingLb { security_groups: vec!["sg-1".into()], ..ExistingLb::default() }), ..facts() };
        assert_eq!(build(&svc("", "[{port: 80, nodePort: 1}]"), &off, &with_groups).unwrap_err(), sg_decision::CONFLICT);
        assert_eq!(build(&svc("", "[{port: 80, nodePort: 1}]"), &off, &facts()).unwrap().sg_row, Some('C'));
        let bad = svc(
            "    service.beta.kubernetes.io/aws-load-balancer-scheme-x: y\n    service.beta.kubernetes.io/aws-load-balancer-ip-address-type: ipv5\n",
            "[{port: 80, nodePort: 1}]",
        );
        assert_eq!(build(&bad, &cfg(), &facts()).unwrap_err(), "unknown IPAddressType: ipv5");
    }

    #[test]
    fn unsupported_or_deleted_services_build_the_empty_stack() {
        let mut s = svc("", "[{port: 80, nodePort: 1}]");
        s.metadata.annotations.as_mut().unwrap().insert(format!("{}{}", a::PREFIX, a::TYPE), "nlb".into());
        let st = build(&s, &cfg(), &facts()).unwrap();
        assert!(st.lb.is_none() && st.tgbs.is_empty());
        s.metadata
            .annotations
            .as_mut()
            .unwrap()
            .insert(format!("{}{}", a::PREFIX, a::LB_ATTRIBUTES), "deletion_protection.enabled=true".into());
        assert_eq!(build(&s, &cfg(), &facts()).unwrap_err(), "deletion_protection is enabled, cannot delete the service: echo-server");
    }

    #[test]
    fn local_traffic_policy_health_check_and_ssl() {
        let mut s = svc(
            "    service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn:aws:acm:us-east-1:1:certificate/a\n    service.beta.kubernetes.io/aws-load-balancer-ssl-ports: https\n",
            "[{name: https, port: 443, nodePort: 30443}, {name: http, port: 80, nodePort: 30080}]",
        );
        let sp = s.spec.as_mut().unwrap();
        sp.external_traffic_policy = Some("Local".into());
        sp.health_check_node_port = Some(32000);
        let st = build(&s, &cfg(), &facts()).unwrap();
        let hc = &st.target_groups[0].health_check;
        assert_eq!(
            (hc.protocol.as_str(), hc.port.as_str(), hc.path.as_deref(), hc.timeout, hc.healthy),
            ("HTTP", "32000", Some("/healthz"), 6, 2)
        );
        assert_eq!(st.listeners.iter().map(|l| l.protocol.as_str()).collect::<Vec<_>>(), ["TLS", "TCP"]);
        assert_eq!(st.listeners[0].ssl_policy.as_deref(), Some("ELBSecurityPolicy-2016-08"));
        // SG mode: traffic port plus the distinct health-check port.
        let ports = &st.tgbs[0].networking.as_ref().unwrap()[0].ports;
        assert_eq!(ports.len(), 2);
    }
}
