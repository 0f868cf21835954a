//! Describe/ModifyLoadBalancerAttributes, Describe/ModifyTargetGroupAttributes and
//! Describe/ModifyListenerAttributes (aws-api.md §2.5, lbc-ingress.md §8.7): the NLB and the ALB
//! keys with their defaults, value checks, and the rules that tie keys to protocols. Modify
//! changes only the keys given (the controller relies on that) and answers with the whole set,
//! which `Attributes` renders from the Region. Keys AWS has only for other load balancer types
//! are refused like unknown keys.

use indexmap::IndexMap;

use super::common::{check_len, find_lb, find_listener, find_tg, required, write_attributes};
use crate::api::{Action, Ctx, Render};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::wire::{P, Xml};

/// What values a key takes.
#[derive(Clone, Copy)]
enum Kind {
    Bool,
    Int(i64, i64),
    /// An integer in range, or `off`.
    IntOrOff(i64, i64),
    Enum(&'static [&'static str]),
    Text,
}

const LB_KEYS: &[(&str, Kind)] = &[
    ("access_logs.s3.enabled", Kind::Bool),
    ("access_logs.s3.bucket", Kind::Text),
    ("access_logs.s3.prefix", Kind::Text),
    ("deletion_protection.enabled", Kind::Bool),
    ("ipv6.deny_all_igw_traffic", Kind::Bool),
    ("load_balancing.cross_zone.enabled", Kind::Bool),
    (
        "dns_record.client_routing_policy",
        Kind::Enum(&["availability_zone_affinity", "partial_availability_zone_affinity", "any_availability_zone"]),
    ),
    ("zonal_shift.config.enabled", Kind::Bool),
    ("secondary_ips.auto_assigned.per_subnet", Kind::Int(0, 7)),
];

const TG_KEYS: &[(&str, Kind)] = &[
    ("deregistration_delay.timeout_seconds", Kind::Int(0, 3600)),
    ("deregistration_delay.connection_termination.enabled", Kind::Bool),
    ("stickiness.enabled", Kind::Bool),
    ("stickiness.type", Kind::Text),
    ("proxy_protocol_v2.enabled", Kind::Bool),
    ("preserve_client_ip.enabled", Kind::Bool),
    ("load_balancing.cross_zone.enabled", Kind::Enum(&["true", "false", "use_load_balancer_configuration"])),
    ("target_health_state.unhealthy.connection_termination.enabled", Kind::Bool),
    ("target_health_state.unhealthy.draining_interval_seconds", Kind::Int(0, 360_000)),
    ("target_group_health.dns_failover.minimum_healthy_targets.count", Kind::IntOrOff(1, i64::MAX)),
    ("target_group_health.dns_failover.minimum_healthy_targets.percentage", Kind::IntOrOff(1, 100)),
    ("target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", Kind::Int(1, i64::MAX)),
    ("target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage", Kind::IntOrOff(1, 100)),
];

const LISTENER_KEYS: &[(&str, Kind)] = &[("tcp.idle_timeout.seconds", Kind::Int(60, 6000))];

const BOOL_TEXT: Kind = Kind::Enum(&["true", "false"]);

/// ALB keys (BC-ELB `LoadBalancerAttribute.Key` doc, lbc-ingress.md §8.7).
const ALB_KEYS: &[(&str, Kind)] = &[
    ("access_logs.s3.enabled", Kind::Bool),
    ("access_logs.s3.bucket", Kind::Text),
    ("access_logs.s3.prefix", Kind::Text),
    ("connection_logs.s3.enabled", Kind::Bool),
    ("connection_logs.s3.bucket", Kind::Text),
    ("connection_logs.s3.prefix", Kind::Text),
    ("health_check_logs.s3.enabled", Kind::Bool),
    ("health_check_logs.s3.bucket", Kind::Text),
    ("health_check_logs.s3.prefix", Kind::Text),
    ("deletion_protection.enabled", Kind::Bool),
    ("idle_timeout.timeout_seconds", Kind::Int(1, 4000)),
    ("client_keep_alive.seconds", Kind::Int(60, 604_800)),
    ("ipv6.deny_all_igw_traffic", Kind::Bool),
    ("load_balancing.cross_zone.enabled", BOOL_TEXT),
    ("routing.http.desync_mitigation_mode", Kind::Enum(&["monitor", "defensive", "strictest"])),
    ("routing.http.drop_invalid_header_fields.enabled", Kind::Bool),
    ("routing.http.preserve_host_header.enabled", Kind::Bool),
    ("routing.http.x_amzn_tls_version_and_cipher_suite.enabled", Kind::Bool),
    ("routing.http.xff_client_port.enabled", Kind::Bool),
    ("routing.http.xff_header_processing.mode", Kind::Enum(&["append", "preserve", "remove"])),
    ("routing.http2.enabled", Kind::Bool),
    ("waf.fail_open.enabled", Kind::Bool),
    ("zonal_shift.config.enabled", Kind::Bool),
];

/// HTTP/HTTPS target group keys (BC-ELB `TargetGroupAttribute.Key` doc).
const ALB_TG_KEYS: &[(&str, Kind)] = &[
    ("deregistration_delay.timeout_seconds", Kind::Int(0, 3600)),
    ("stickiness.enabled", Kind::Bool),
    ("stickiness.type", Kind::Text),
    ("stickiness.lb_cookie.duration_seconds", Kind::Int(1, 604_800)),
    ("stickiness.app_cookie.cookie_name", Kind::Text),
    ("stickiness.app_cookie.duration_seconds", Kind::Int(1, 604_800)),
    ("load_balancing.algorithm.type", Kind::Enum(&["round_robin", "least_outstanding_requests", "weighted_random"])),
    ("load_balancing.algorithm.anomaly_mitigation", Kind::Enum(&["on", "off"])),
    ("slow_start.duration_seconds", Kind::Int(0, 900)),
    ("load_balancing.cross_zone.enabled", Kind::Enum(&["true", "false", "use_load_balancer_configuration"])),
    ("target_group_health.dns_failover.minimum_healthy_targets.count", Kind::IntOrOff(1, i64::MAX)),
    ("target_group_health.dns_failover.minimum_healthy_targets.percentage", Kind::IntOrOff(1, 100)),
    ("target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", Kind::Int(1, i64::MAX)),
    ("target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage", Kind::IntOrOff(1, 100)),
];

/// HTTP/HTTPS listener keys (lbc-ingress.md §8.7; the header-name keys take any text).
const ALB_LISTENER_KEYS: &[(&str, Kind)] = &[
    ("routing.http.response.server.enabled", Kind::Bool),
    ("routing.http.request.x_amzn_mtls_clientcert_serial_number.header_name", Kind::Text),
    ("routing.http.request.x_amzn_mtls_clientcert_issuer.header_name", Kind::Text),
    ("routing.http.request.x_amzn_mtls_clientcert_subject.header_name", Kind::Text),
    ("routing.http.request.x_amzn_mtls_clientcert_validity.header_name", Kind::Text),
    ("routing.http.request.x_amzn_mtls_clientcert_leaf.header_name", Kind::Text),
    ("routing.http.request.x_amzn_mtls_clientcert.header_name", Kind::Text),
    ("routing.http.request.x_amzn_tls_version.header_name", Kind::Text),
    ("routing.http.request.x_amzn_tls_cipher_suite.header_name", Kind::Text),
    ("routing.http.response.strict_transport_security.header_value", Kind::Text),
    ("routing.http.response.access_control_allow_origin.header_value", Kind::Text),
    ("routing.http.response.access_control_allow_methods.header_value", Kind::Text),
    ("routing.http.response.access_control_allow_headers.header_value", Kind::Text),
    ("routing.http.response.access_control_allow_credentials.header_value", Kind::Text),
    ("routing.http.response.access_control_expose_headers.header_value", Kind::Text),
    ("routing.http.response.access_control_max_age.header_value", Kind::Text),
    ("routing.http.response.content_security_policy.header_value", Kind::Text),
    ("routing.http.response.x_content_type_options.header_value", Kind::Text),
    ("routing.http.response.x_frame_options.header_value", Kind::Text),
];

fn map(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// An NLB's attributes as AWS creates them (BC-ELB `LoadBalancerAttribute.Key` doc); the
/// client routing policy default is [unverified].
pub fn lb_defaults(scheme: &str) -> IndexMap<String, String> {
    map(&[
        ("access_logs.s3.enabled", "false"),
        ("access_logs.s3.bucket", ""),
        ("access_logs.s3.prefix", ""),
        ("deletion_protection.enabled", "false"),
        ("ipv6.deny_all_igw_traffic", if scheme == "internal" { "true" } else { "false" }),
        ("load_balancing.cross_zone.enabled", "false"),
        ("dns_record.client_routing_policy", "any_availability_zone"),
        ("zonal_shift.config.enabled", "false"),
        ("secondary_ips.auto_assigned.per_subnet", "0"),
    ])
}

fn udp(protocol: &str) -> bool {
    matches!(protocol, "UDP" | "TCP_UDP")
}

/// A network target group's attributes (BC-ELB `TargetGroupAttribute.Key` doc): UDP groups
/// terminate connections on deregistration and cannot disable client-IP preservation; `ip`
/// targets over TCP/TLS do not preserve client IPs by default.
pub fn tg_defaults(protocol: &str, target_type: &str) -> IndexMap<String, String> {
    let preserve = !(target_type == "ip" && matches!(protocol, "TCP" | "TLS"));
    map(&[
        ("deregistration_delay.timeout_seconds", "300"),
        ("deregistration_delay.connection_termination.enabled", if udp(protocol) { "true" } else { "false" }),
        ("stickiness.enabled", "false"),
        ("stickiness.type", "source_ip"),
        ("proxy_protocol_v2.enabled", "false"),
        ("preserve_client_ip.enabled", if preserve { "true" } else { "false" }),
        ("load_balancing.cross_zone.enabled", "use_load_balancer_configuration"),
        ("target_health_state.unhealthy.connection_termination.enabled", if udp(protocol) { "false" } else { "true" }),
        ("target_health_state.unhealthy.draining_interval_seconds", "0"),
        ("target_group_health.dns_failover.minimum_healthy_targets.count", "1"),
        ("target_group_health.dns_failover.minimum_healthy_targets.percentage", "off"),
        ("target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", "1"),
        ("target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage", "off"),
    ])
}

/// An ALB's attributes as AWS creates them (lbc-ingress.md §8.7); cross-zone load balancing is
/// always on for ALBs.
pub fn alb_defaults(scheme: &str) -> IndexMap<String, String> {
    map(&[
        ("access_logs.s3.enabled", "false"),
        ("access_logs.s3.bucket", ""),
        ("access_logs.s3.prefix", ""),
        ("connection_logs.s3.enabled", "false"),
        ("connection_logs.s3.bucket", ""),
        ("connection_logs.s3.prefix", ""),
        ("health_check_logs.s3.enabled", "false"),
        ("health_check_logs.s3.bucket", ""),
        ("health_check_logs.s3.prefix", ""),
        ("deletion_protection.enabled", "false"),
        ("idle_timeout.timeout_seconds", "60"),
        ("client_keep_alive.seconds", "3600"),
        ("ipv6.deny_all_igw_traffic", if scheme == "internal" { "true" } else { "false" }),
        ("load_balancing.cross_zone.enabled", "true"),
        ("routing.http.desync_mitigation_mode", "defensive"),
        ("routing.http.drop_invalid_header_fields.enabled", "false"),
        ("routing.http.preserve_host_header.enabled", "false"),
        ("routing.http.x_amzn_tls_version_and_cipher_suite.enabled", "false"),
        ("routing.http.xff_client_port.enabled", "false"),
        ("routing.http.xff_header_processing.mode", "append"),
        ("routing.http2.enabled", "true"),
        ("waf.fail_open.enabled", "false"),
        ("zonal_shift.config.enabled", "false"),
    ])
}

/// An HTTP/HTTPS target group's attributes (BC-ELB doc; the stickiness type default is
/// [unverified]).
pub fn alb_tg_defaults() -> IndexMap<String, String> {
    map(&[
        ("deregistration_delay.timeout_seconds", "300"),
        ("stickiness.enabled", "false"),
        ("stickiness.type", "lb_cookie"),
        ("stickiness.lb_cookie.duration_seconds", "86400"),
        ("stickiness.app_cookie.cookie_name", ""),
        ("stickiness.app_cookie.duration_seconds", "86400"),
        ("load_balancing.algorithm.type", "round_robin"),
        ("load_balancing.algorithm.anomaly_mitigation", "off"),
        ("slow_start.duration_seconds", "0"),
        ("load_balancing.cross_zone.enabled", "use_load_balancer_configuration"),
        ("target_group_health.dns_failover.minimum_healthy_targets.count", "1"),
        ("target_group_health.dns_failover.minimum_healthy_targets.percentage", "off"),
        ("target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", "1"),
        ("target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage", "off"),
    ])
}

/// A listener's attributes: the TCP idle timeout for NLBs, the server header for ALBs (the
/// header-name keys are unset until modified [unverified]).
pub fn listener_defaults(alb: bool) -> IndexMap<String, String> {
    if alb { map(&[("routing.http.response.server.enabled", "true")]) } else { map(&[("tcp.idle_timeout.seconds", "350")]) }
}

/// Reads `Attributes.member.N.{Key,Value}` as given; `validate` checks them once the resource
/// (and so its key table) is known.
fn parse(p: &P, max: usize) -> ApiResult<Vec<(String, String)>> {
    let items = p.list("Attributes")?;
    if items.is_empty() {
        required(p, "Attributes")?;
    }
    check_len(&items, "Attributes", max)?;
    Ok(items.iter().map(|a| (a.str("Key").unwrap_or("").to_string(), a.str("Value").unwrap_or("").to_string())).collect())
}

/// Checks each attribute against the key table, the last value of a repeated key winning.
/// Unknown keys and bad values are ValidationErrors [unverified code and texts].
fn validate(items: &[(String, String)], table: &[(&str, Kind)], what: &str) -> ApiResult<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (key, value) in items {
        let (key, value) = (key.as_str(), value.as_str());
        let Some((_, kind)) = table.iter().find(|(k, _)| *k == key) else {
            return Err(ApiError::validation(format!("{what} attribute key '{key}' is not recognized")));
        };
        let ok = match *kind {
            Kind::Bool => value == "true" || value == "false",
            Kind::Int(lo, hi) => value.parse::<i64>().is_ok_and(|v| (lo..=hi).contains(&v)),
            Kind::IntOrOff(lo, hi) => value == "off" || value.parse::<i64>().is_ok_and(|v| (lo..=hi).contains(&v)),
            Kind::Enum(vals) => vals.contains(&value),
            Kind::Text => value.len() <= 1024,
        };
        if !ok {
            let expected = match *kind {
                Kind::Bool => "'true' or 'false'".to_string(),
                Kind::Int(lo, hi) => format!("an integer from {lo} to {hi}"),
                Kind::IntOrOff(lo, hi) if hi == i64::MAX => format!("'off' or an integer from {lo}"),
                Kind::IntOrOff(lo, hi) => format!("'off' or an integer from {lo} to {hi}"),
                Kind::Enum(vals) => format!("one of '{}'", vals.join("', '")),
                Kind::Text => "at most 1024 characters".to_string(),
            };
            return Err(ApiError::validation(format!("{what} attribute '{key}' value '{value}' is not valid: it must be {expected}")));
        }
        match out.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.to_string(),
            None => out.push((key.to_string(), value.to_string())),
        }
    }
    Ok(out)
}

/// Stickiness types by target-group protocol (BC-ELB doc; moto's texts, which read like AWS's
/// [unverified]).
fn check_stickiness(protocol: &str, kind: &str, enabled: bool) -> ApiResult<()> {
    const KNOWN: &[&str] = &["app_cookie", "lb_cookie", "source_ip"];
    if !KNOWN.contains(&kind) {
        return Err(ApiError::validation("'Stickiness type' must be one of [app_cookie, lb_cookie, source_ip]"));
    }
    let fits = if matches!(protocol, "HTTP" | "HTTPS") { kind != "source_ip" } else { kind == "source_ip" };
    if !fits {
        return Err(ApiError::validation(format!(
            "Stickiness type '{kind}' is not supported for target groups with the {protocol} protocol"
        )));
    }
    if protocol == "TLS" && enabled {
        return Err(ApiError::validation("You cannot enable stickiness on target groups with the TLS protocol"));
    }
    Ok(())
}

fn config_error(msg: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidConfigurationRequest, msg)
}

/// The value a key will have after the change.
fn after<'a>(current: &'a IndexMap<String, String>, changes: &'a [(String, String)], key: &str) -> &'a str {
    changes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).or(current.get(key).map(String::as_str)).unwrap_or("")
}

/// The whole attribute set of a load balancer, target group or listener (every Describe and
/// Modify answers with it), by ARN.
pub struct Attributes(String);

impl Render for Attributes {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        if let Some(a) = r.elb().attributes(&self.0) {
            write_attributes(w, a);
        }
    }
}

pub struct DescribeLoadBalancerAttributes {
    arn: String,
}

impl Action for DescribeLoadBalancerAttributes {
    type Output = Attributes;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeLoadBalancerAttributes { arn: required(p, "LoadBalancerArn")?.to_string() })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Attributes> {
        find_lb(r, &self.arn)?;
        Ok(Attributes(self.arn))
    }
}

pub struct ModifyLoadBalancerAttributes {
    arn: String,
    changes: Vec<(String, String)>,
}

impl Action for ModifyLoadBalancerAttributes {
    type Output = Attributes;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arn = required(p, "LoadBalancerArn")?.to_string();
        Ok(ModifyLoadBalancerAttributes { arn, changes: parse(p, 20)? })
    }
    fn apply(mut self, r: &mut Region, _: &Ctx) -> ApiResult<Attributes> {
        let lb = find_lb(r, &self.arn)?;
        self.changes = validate(&self.changes, if lb.is_alb() { ALB_KEYS } else { LB_KEYS }, "Load balancer")?;
        if lb.is_alb() && after(&lb.attributes, &self.changes, "load_balancing.cross_zone.enabled") != "true" {
            // [unverified] text: cross-zone load balancing is always on for ALBs.
            return Err(config_error(
                "'load_balancing.cross_zone.enabled' cannot be changed for load balancers of type 'application'".into(),
            ));
        }
        // [unverified] texts for the two cross-key rules below.
        if after(&lb.attributes, &self.changes, "access_logs.s3.enabled") == "true"
            && after(&lb.attributes, &self.changes, "access_logs.s3.bucket").is_empty()
        {
            return Err(config_error("The value of 'access_logs.s3.bucket' cannot be empty when access logs are enabled".into()));
        }
        let old: i64 = lb.attr("secondary_ips.auto_assigned.per_subnet").parse().unwrap_or(0);
        let new: i64 = after(&lb.attributes, &self.changes, "secondary_ips.auto_assigned.per_subnet").parse().unwrap_or(0);
        if new < old {
            return Err(config_error(format!(
                "The value of 'secondary_ips.auto_assigned.per_subnet' cannot be decreased from '{old}' to '{new}'"
            )));
        }
        r.elb_mut().set_attributes(&self.arn, self.changes);
        Ok(Attributes(self.arn))
    }
}

pub struct DescribeTargetGroupAttributes {
    arn: String,
}

impl Action for DescribeTargetGroupAttributes {
    type Output = Attributes;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeTargetGroupAttributes { arn: required(p, "TargetGroupArn")?.to_string() })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Attributes> {
        find_tg(r, &self.arn)?;
        Ok(Attributes(self.arn))
    }
}

pub struct ModifyTargetGroupAttributes {
    arn: String,
    changes: Vec<(String, String)>,
}

impl Action for ModifyTargetGroupAttributes {
    type Output = Attributes;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arn = required(p, "TargetGroupArn")?.to_string();
        Ok(ModifyTargetGroupAttributes { arn, changes: parse(p, usize::MAX)? })
    }
    fn apply(mut self, r: &mut Region, _: &Ctx) -> ApiResult<Attributes> {
        let tg = find_tg(r, &self.arn)?;
        self.changes = validate(&self.changes, if tg.for_alb() { ALB_TG_KEYS } else { TG_KEYS }, "Target group")?;
        let a = |k| after(&tg.attributes, &self.changes, k);
        check_stickiness(&tg.protocol, a("stickiness.type"), a("stickiness.enabled") == "true")?;
        // Rules from the BC-ELB key documentation [unverified texts].
        if udp(&tg.protocol) && a("preserve_client_ip.enabled") == "false" {
            return Err(config_error(format!(
                "Client IP preservation can't be disabled for target groups with the '{}' protocol",
                tg.protocol
            )));
        }
        if udp(&tg.protocol) && a("target_health_state.unhealthy.connection_termination.enabled") == "true" {
            return Err(config_error(format!(
                "'target_health_state.unhealthy.connection_termination.enabled' can't be enabled for target groups with the '{}' protocol",
                tg.protocol
            )));
        }
        let changes_draining = self.changes.iter().any(|(k, _)| k == "target_health_state.unhealthy.draining_interval_seconds");
        if changes_draining && a("target_health_state.unhealthy.connection_termination.enabled") == "true" {
            return Err(config_error(
                "'target_health_state.unhealthy.draining_interval_seconds' can only be set when 'target_health_state.unhealthy.connection_termination.enabled' is false".into(),
            ));
        }
        r.elb_mut().set_attributes(&self.arn, self.changes);
        Ok(Attributes(self.arn))
    }
}

pub struct DescribeListenerAttributes {
    arn: String,
}

impl Action for DescribeListenerAttributes {
    type Output = Attributes;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeListenerAttributes { arn: required(p, "ListenerArn")?.to_string() })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Attributes> {
        find_listener(r, &self.arn)?;
        Ok(Attributes(self.arn))
    }
}

pub struct ModifyListenerAttributes {
    arn: String,
    changes: Vec<(String, String)>,
}

impl Action for ModifyListenerAttributes {
    type Output = Attributes;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arn = required(p, "ListenerArn")?.to_string();
        Ok(ModifyListenerAttributes { arn, changes: parse(p, usize::MAX)? })
    }
    fn apply(mut self, r: &mut Region, _: &Ctx) -> ApiResult<Attributes> {
        let l = find_listener(r, &self.arn)?;
        let alb = matches!(l.protocol.as_str(), "HTTP" | "HTTPS");
        self.changes = validate(&self.changes, if alb { ALB_LISTENER_KEYS } else { LISTENER_KEYS }, "Listener")?;
        if l.protocol == "UDP" {
            // The TCP idle timeout has no meaning on a UDP listener [unverified text].
            return Err(config_error("'tcp.idle_timeout.seconds' is not supported for listeners with the 'UDP' protocol".into()));
        }
        r.elb_mut().set_attributes(&self.arn, self.changes);
        Ok(Attributes(self.arn))
    }
}
