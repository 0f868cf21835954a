//! What one Ingress backend becomes (lbc-ingress.md §2.4–2.5, §4.9–4.11): its action — a
//! forward to the target groups of (Ingress, Service, port as written), an `actions.*`
//! annotation, or the 503 the controller answers for a missing Service or action —, its
//! `conditions.*`, and the target groups and TargetGroupBindings it needs, built once per
//! resource id (`<ingNs>/<ingName>-<svc>:<port>`) and reused across paths and listeners.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::api::networking::v1::IngressBackend;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::annotations::{self as a, Alb};
use super::config_types::{self, Condition as CondCfg};
use super::group::{GroupId, Member};
use super::naming::{self, TargetGroupKey};
use crate::reconciler::config::ControllerConfig;
use crate::reconciler::model::alb::{RuleAction, RuleCondition, TgRef};
use crate::reconciler::model::{self, FRONTEND_TOKEN, HealthCheck, INGRESS_KEYS, NetRule, TargetGroup, Tgb};
use crate::reconciler::networking::Source;

pub const USE_ANNOTATION: &str = "use-annotation";
const NO_SERVICE: &str = "Backend service does not exist";
const NO_ACTION: &str = "Backend action does not exist";

fn port_text(p: &IntOrString) -> String {
    match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

fn ns_name(m: &Member) -> (String, String) {
    (m.ing.metadata.namespace.clone().unwrap_or_default(), m.ing.metadata.name.clone().unwrap_or_default())
}

/// What the builder shares across backends of one group.
pub struct Backends<'a> {
    pub cfg: &'a ControllerConfig,
    pub group: &'a GroupId,
    pub services: &'a BTreeMap<(String, String), Service>,
    pub tg_arns_by_name: &'a BTreeMap<String, String>,
    /// The source of node rules (backend group id or the frontend token); `None`: no rules.
    pub peer: Option<String>,
    /// The load balancer's IP address type (an IPv6 Service needs a dual-stack ALB).
    pub lb_ip_type: String,
    pub tgs: Vec<TargetGroup>,
    pub tgbs: Vec<Tgb>,
}

/// A path's backend, enhanced: its conditions and its routing action.
pub struct Enhanced {
    pub conditions: Vec<CondCfg>,
    pub action: RuleAction,
}

impl Backends<'_> {
    /// `EnhancedBackendBuilder.Build` followed by `buildActions` (routing action only: auth
    /// and JWT validation are not emulated).
    pub fn build(&mut self, m: &Member, backend: &IngressBackend, https: bool) -> Result<Enhanced, String> {
        let ann_map = m.ing.metadata.annotations.clone().unwrap_or_default();
        let ann = Alb(&ann_map);
        let Some(svc) = &backend.service else { return Err("missing required \"service\" field".into()) };
        let conditions: Vec<CondCfg> = ann.json(&format!("conditions.{}", svc.name))?.unwrap_or_default();
        for c in &conditions {
            c.validate()?;
        }
        if ann.str(&format!("transforms.{}", svc.name)).is_some() {
            return Err(format!("{}transforms.{}: URL and host rewrites are not emulated by lbsim", a::PREFIX, svc.name));
        }
        if https && matches!(ann.str(a::AUTH_TYPE), Some("cognito") | Some("oidc")) {
            return Err(format!("{}{}: authenticate actions are not emulated by lbsim", a::PREFIX, a::AUTH_TYPE));
        }
        let port = svc.port.as_ref();
        let cfg_action = match port.and_then(|p| p.name.as_deref()) {
            Some(USE_ANNOTATION) => {
                let key = format!("actions.{}", svc.name);
                match ann.json::<config_types::Action>(&key)? {
                    Some(act) => {
                        act.validate()?;
                        act.normalize()
                    }
                    None if self.cfg.tolerate_non_existent_backend_action => {
                        return Ok(Enhanced { conditions, action: RuleAction::unavailable(NO_ACTION) });
                    }
                    None => return Err(format!("missing {key} configuration")),
                }
            }
            other => {
                let p = match other {
                    Some(n) if !n.is_empty() => IntOrString::String(n.to_string()),
                    _ => IntOrString::Int(port.and_then(|p| p.number).unwrap_or(0)),
                };
                config_types::Action {
                    type_: "forward".into(),
                    forward_config: Some(config_types::Forward {
                        target_groups: vec![config_types::Tuple {
                            service_name: Some(svc.name.clone()),
                            service_port: Some(p),
                            ..config_types::Tuple::default()
                        }],
                        target_group_stickiness_config: None,
                    }),
                    ..config_types::Action::default()
                }
            }
        };
        let action = self.action(m, cfg_action)?;
        Ok(Enhanced { conditions, action })
    }

    fn action(&mut self, m: &Member, act: config_types::Action) -> Result<RuleAction, String> {
        let (ns, _) = ns_name(m);
        match act.type_.as_str() {
            "fixed-response" => {
                let f = act.fixed_response_config.unwrap_or_default();
                Ok(RuleAction::FixedResponse { status_code: f.status_code, content_type: f.content_type, message_body: f.message_body })
            }
            "redirect" => {
                let r = act.redirect_config.unwrap_or_default();
                Ok(RuleAction::Redirect {
                    protocol: r.protocol,
                    port: r.port,
                    host: r.host,
                    path: r.path,
                    query: r.query,
                    status_code: r.status_code,
                })
            }
            _ => {
                let fwd = act.forward_config.unwrap_or_default();
                // loadBackendServices: a missing Service is a 503 only for a single-Service forward.
                let names: std::collections::BTreeSet<&String> = fwd.target_groups.iter().filter_map(|t| t.service_name.as_ref()).collect();
                let single = fwd.target_groups.len() == 1 && names.len() == 1;
                for n in &names {
                    if !self.services.contains_key(&(ns.clone(), (*n).clone())) {
                        if self.cfg.tolerate_non_existent_backend_service && single {
                            return Ok(RuleAction::unavailable(NO_SERVICE));
                        }
                        return Err(format!("services \"{n}\" not found"));
                    }
                }
                let mut tuples = Vec::new();
                for t in &fwd.target_groups {
                    let r = if let Some(arn) = &t.target_group_arn {
                        TgRef::Arn(arn.clone())
                    } else if let Some(name) = &t.target_group_name {
                        let arn = self
                            .tg_arns_by_name
                            .get(name)
                            .ok_or_else(|| format!("searching TargetGroup with name {name}: target group {name} not found"))?;
                        TgRef::Arn(arn.clone())
                    } else {
                        let svc_name = t.service_name.clone().unwrap_or_default();
                        let svc = self.services[&(ns.clone(), svc_name)].clone();
                        TgRef::Resource(self.target_group(m, &svc, t.service_port.clone().unwrap_or(IntOrString::Int(0)))?)
                    };
                    tuples.push((r, t.weight));
                }
                let stickiness = fwd.target_group_stickiness_config.map(|s| (s.enabled.unwrap_or(false), s.duration_seconds));
                Ok(RuleAction::Forward { target_groups: tuples, stickiness })
            }
        }
    }

    /// `buildTargetGroup`: the TG of (Ingress, Service, port as written) and its binding;
    /// returns its resource id.
    fn target_group(&mut self, m: &Member, svc: &Service, port: IntOrString) -> Result<String, String> {
        let (ing_ns, ing_name) = ns_name(m);
        let (svc_ns, svc_name) = (svc.metadata.namespace.clone().unwrap_or_default(), svc.metadata.name.clone().unwrap_or_default());
        let res_id = format!("{ing_ns}/{ing_name}-{svc_name}:{}", port_text(&port));
        if self.tgs.iter().any(|t| t.resource_id == res_id) {
            return Ok(res_id);
        }
        let sp: ServicePort = svc
            .spec
            .as_ref()
            .and_then(|s| s.ports.as_ref())
            .and_then(|ps| {
                ps.iter()
                    .find(|p| match &port {
                        IntOrString::Int(n) => p.port == *n,
                        IntOrString::String(s) => p.name.as_deref() == Some(s.as_str()),
                    })
                    .cloned()
            })
            .ok_or_else(|| format!("unable to find port {} on service {svc_ns}/{svc_name}", port_text(&port)))?;
        let merged =
            a::merged(&svc.metadata.annotations.clone().unwrap_or_default(), &m.ing.metadata.annotations.clone().unwrap_or_default());
        let ann = Alb(&merged);
        let mut target_type = ann.str(a::TARGET_TYPE).map(String::from).unwrap_or_else(|| self.cfg.default_target_type.clone());
        if let Some(p) = m.params.as_ref().filter(|p| !p.target_type().is_empty() && self.cfg.latest()) {
            target_type = p.target_type().to_string();
        }
        match target_type.as_str() {
            "instance" => {}
            "ip" if self.cfg.feature_gates.enable_ip_target_type => {}
            "ip" => return Err("unsupported targetType: ip when EnableIPTargetType is false".into()),
            other => return Err(format!("unknown targetType: {other}")),
        }
        let protocol = ann.str(a::BACKEND_PROTOCOL).unwrap_or("HTTP").to_string();
        if protocol != "HTTP" && protocol != "HTTPS" {
            return Err(format!("backend protocol must be within [HTTP, HTTPS]: {protocol}"));
        }
        let version = ann.str(a::BACKEND_PROTOCOL_VERSION).unwrap_or("HTTP1").to_string();
        if !matches!(version.as_str(), "HTTP1" | "HTTP2" | "GRPC") {
            return Err(format!("backend protocol version must be within [HTTP1, HTTP2, GRPC]: {version}"));
        }
        let hc = health_check(&ann, svc, &sp, &target_type, &protocol, &version)?;
        let attributes = ann.map(a::TG_ATTRIBUTES)?.unwrap_or_default();
        let ipv6 = svc.spec.as_ref().and_then(|s| s.ip_families.as_ref()).is_some_and(|f| f.iter().any(|x| x == "IPv6"));
        if ipv6 && !self.lb_ip_type.starts_with("dualstack") {
            return Err("unsupported IPv6 configuration, lb not dual-stack".into());
        }
        let ip_type = if ipv6 { "ipv6" } else { "ipv4" }.to_string();
        let (tg_port, target_port) = if target_type == "instance" {
            let np = sp.node_port.unwrap_or(0);
            (np, IntOrString::Int(np))
        } else {
            match sp.target_port.clone().unwrap_or(IntOrString::Int(sp.port)) {
                IntOrString::Int(n) => (n, IntOrString::Int(n)),
                named => (1, named),
            }
        };
        let uid = svc.metadata.uid.clone().unwrap_or_default();
        let port_s = port_text(&port);
        let name = naming::target_group(
            &self.cfg.cluster_name,
            self.group,
            &TargetGroupKey {
                ingress_namespace: &ing_ns,
                ingress_name: &ing_name,
                service_name: &svc_name,
                service_uid: &uid,
                service_port: &port_s,
                tg_port,
                target_type: &target_type,
                protocol: &protocol,
                protocol_version: &version,
            },
        );
        if tg_port == 0 {
            return Err(if target_type == "ip" {
                "TargetGroup port is empty. Are you using the correct service type?".into()
            } else {
                "TargetGroup port is empty. When using Instance targets, your service be must of type 'NodePort' or 'LoadBalancer'".into()
            });
        }
        let tags = self.tg_tags(m, svc)?;
        let networking = self.peer.clone().map(|peer| {
            let from = vec![Source::Group(peer)];
            if self.cfg.disable_restricted_sg_rules {
                return vec![NetRule { from, ports: vec![("TCP".into(), None)] }];
            }
            let mut rules = vec![NetRule { from: from.clone(), ports: vec![("TCP".into(), Some(target_port.clone()))] }];
            if hc.port != "traffic-port" {
                let p = hc.port.parse::<i32>().map(IntOrString::Int).unwrap_or_else(|_| IntOrString::String(hc.port.clone()));
                rules.push(NetRule { from, ports: vec![("TCP".into(), Some(p))] });
            }
            rules
        });
        let node_selector = if target_type == "instance" { ann.map(a::TARGET_NODE_LABELS)?.filter(|m| !m.is_empty()) } else { None };
        self.tgs.push(TargetGroup {
            resource_id: res_id.clone(),
            name: name.clone(),
            target_type: target_type.clone(),
            port: tg_port,
            protocol,
            protocol_version: Some(version),
            ip_address_type: ip_type.clone(),
            health_check: hc,
            attributes,
            tags: model::tracking_tags_with(self.cfg, INGRESS_KEYS, &self.group.to_string(), &res_id).into_iter().fold(
                tags,
                |mut t, (k, v)| {
                    t.insert(k, v);
                    t
                },
            ),
        });
        self.tgbs.push(Tgb {
            name,
            namespace: svc_ns,
            service_name: svc_name,
            tg_resource_id: res_id.clone(),
            target_type,
            service_port: port,
            networking,
            node_selector,
            ip_address_type: ip_type,
        });
        Ok(res_id)
    }

    /// Target-group tags: `--default-tags` over IngressClassParams tags over the Service's `tags`
    /// over the Ingress's (lbc-ingress.md §3.3).
    fn tg_tags(&self, m: &Member, svc: &Service) -> Result<BTreeMap<String, String>, String> {
        let ing = Alb(m.ing.metadata.annotations.as_ref().unwrap_or(&BTreeMap::new())).map(a::TAGS)?.unwrap_or_default();
        let svc_ann = svc.metadata.annotations.clone().unwrap_or_default();
        let svc_tags = Alb(&svc_ann).map(a::TAGS)?.unwrap_or_default();
        let mut t = ing;
        t.extend(svc_tags);
        if let Some(p) = &m.params {
            t.extend(p.tags().iter().map(|x| (x.key.clone(), x.value.clone())));
        }
        for k in t.keys() {
            if self.cfg.external_managed_tags.contains(k) {
                return Err(format!("external managed tag key {k} cannot be specified"));
            }
        }
        t.extend(self.cfg.default_tags.clone());
        Ok(t)
    }
}

/// The ALB health check (§4.10): the controller's defaults (15/5/2/2, path `/`, matcher `200`;
/// gRPC `/AWS.ALB/healthcheck`, code `12`), every field sent, then the annotations.
fn health_check(
    ann: &Alb,
    svc: &Service,
    sp: &ServicePort,
    target_type: &str,
    protocol: &str,
    version: &str,
) -> Result<HealthCheck, String> {
    let grpc = version == "GRPC";
    let port = match ann.str(a::HC_PORT) {
        None | Some("traffic-port") => "traffic-port".to_string(),
        Some(p) if p.parse::<i32>().is_ok() => p.to_string(),
        Some(name) => {
            let named = svc
                .spec
                .as_ref()
                .and_then(|s| s.ports.as_ref())
                .and_then(|ps| ps.iter().find(|x| x.name.as_deref() == Some(name)))
                .ok_or_else(|| {
                    format!(
                        "failed to resolve healthCheckPort: unable to find port {name} on service {}/{}",
                        svc.metadata.namespace.as_deref().unwrap_or(""),
                        svc.metadata.name.as_deref().unwrap_or("")
                    )
                })?;
            if target_type == "instance" {
                named.node_port.unwrap_or(0).to_string()
            } else {
                match &named.target_port {
                    Some(IntOrString::Int(n)) => n.to_string(),
                    _ => return Err("cannot use named healthCheckPort for IP TargetType when service's targetPort is a named port".into()),
                }
            }
        }
    };
    let _ = sp;
    let hc_protocol = ann.str(a::HC_PROTOCOL).unwrap_or(protocol).to_string();
    if hc_protocol != "HTTP" && hc_protocol != "HTTPS" {
        return Err("healthCheckProtocol must be within [HTTP, HTTPS]".into());
    }
    let path = ann.str(a::HC_PATH).map(String::from).unwrap_or_else(|| if grpc { "/AWS.ALB/healthcheck" } else { "/" }.to_string());
    let matcher = ann.str(a::SUCCESS_CODES).map(String::from).unwrap_or_else(|| if grpc { "12" } else { "200" }.to_string());
    Ok(HealthCheck {
        protocol: hc_protocol,
        port,
        path: Some(path),
        matcher: Some(matcher),
        matcher_grpc: grpc,
        interval: ann.int32(a::HC_INTERVAL)?.unwrap_or(15),
        timeout: ann.int32(a::HC_TIMEOUT)?.unwrap_or(5),
        healthy: ann.int32(a::HC_HEALTHY)?.unwrap_or(2),
        unhealthy: ann.int32(a::HC_UNHEALTHY)?.unwrap_or(2),
    })
}

/// `buildRuleConditions`: annotation conditions other than host and path first (in their
/// order), then one host-header condition (the rule's host + annotation hosts), then one
/// path-pattern condition; none at all is `path-pattern /*`.
pub fn rule_conditions(host: Option<&str>, path: (Vec<String>, Vec<String>), extra: &[CondCfg]) -> Result<Vec<RuleCondition>, String> {
    let mut hosts: Vec<String> = host.filter(|h| !h.is_empty()).map(|h| vec![h.to_string()]).unwrap_or_default();
    let mut host_re: Vec<String> = Vec::new();
    let (mut paths, mut path_re) = path;
    let mut out = Vec::new();
    for c in extra {
        match c.field.as_str() {
            "host-header" => {
                let v = c.host_header_config.clone().unwrap_or_default();
                hosts.extend(v.values);
                host_re.extend(v.regex_values);
            }
            "path-pattern" => {
                let v = c.path_pattern_config.clone().unwrap_or_default();
                paths.extend(v.values);
                path_re.extend(v.regex_values);
            }
            "http-header" => {
                let h = c.http_header_config.clone().unwrap_or_default();
                out.push(RuleCondition {
                    field: c.field.clone(),
                    values: h.values,
                    regex_values: h.regex_values,
                    header_name: Some(h.http_header_name),
                    query: Vec::new(),
                });
            }
            "http-request-method" => {
                out.push(RuleCondition::values(&c.field, c.http_request_method_config.clone().unwrap_or_default().values));
            }
            "query-string" => out.push(RuleCondition {
                field: c.field.clone(),
                query: c.query_string_config.clone().unwrap_or_default().values.into_iter().map(|kv| (kv.key, kv.value)).collect(),
                ..RuleCondition::default()
            }),
            "source-ip" => out.push(RuleCondition::values(&c.field, c.source_ip_config.clone().unwrap_or_default().values)),
            _ => {}
        }
    }
    if !hosts.is_empty() && !host_re.is_empty() {
        return Err(format!(
            "host condition must specify exactly one of Values and RegexValues, got both Values {} and RegexValues {}",
            go_list(&hosts),
            go_list(&host_re)
        ));
    }
    if !paths.is_empty() && !path_re.is_empty() {
        return Err(format!(
            "path condition must specify exactly one of Values and RegexValues, got both Values {} and RegexValues {}",
            go_list(&paths),
            go_list(&path_re)
        ));
    }
    if !hosts.is_empty() {
        out.push(RuleCondition::values("host-header", hosts));
    }
    if !host_re.is_empty() {
        out.push(RuleCondition { field: "host-header".into(), regex_values: host_re, ..RuleCondition::default() });
    }
    if !paths.is_empty() {
        out.push(RuleCondition::values("path-pattern", paths));
    }
    if !path_re.is_empty() {
        out.push(RuleCondition { field: "path-pattern".into(), regex_values: path_re, ..RuleCondition::default() });
    }
    if out.is_empty() {
        out.push(RuleCondition::values("path-pattern", vec!["/*".into()]));
    }
    Ok(out)
}

/// Go's `%v` of a string slice: `[a b]`.
pub fn go_list(v: &[String]) -> String {
    format!("[{}]", v.join(" "))
}

/// The frontend token TGB networking names before the managed group exists.
pub fn frontend_peer() -> String {
    FRONTEND_TOKEN.to_string()
}
