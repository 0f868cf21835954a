//! CreateTargetGroup, DescribeTargetGroups, ModifyTargetGroup, DeleteTargetGroup (aws-api.md
//! §1.7.6, §2.5, lbc-ingress.md §8.6): network target groups (TCP, TLS, UDP, TCP_UDP) and
//! application ones (HTTP, HTTPS with a protocol version), `instance` and `ip` targets, with
//! health-check fields validated and defaulted as AWS does for each kind, idempotent creates,
//! the target-group quota, and ResourceInUse while a listener or rule forwards to the group.
//! Lambda, ALB and GENEVE targets are refused clearly.

use super::attributes::{alb_tg_defaults, tg_defaults};
use super::common::{NameOf, Paging, arn_is, check_name, check_tag_quota, enum_member, find_lb, find_tg, int_in, parse_tags, required};
use crate::api::{Action, Ctx, Empty, Page, Render};
use crate::error::{ApiError, ApiResult};
use crate::state::Region;
use crate::state::elbv2::{HealthCheck, Tags, TargetGroup};
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

const PROTOCOLS: &[&str] = &["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC"];
const SERVED_PROTOCOLS: &[&str] = &["TCP", "TLS", "UDP", "TCP_UDP", "HTTP", "HTTPS"];
const VERSIONS: &[&str] = &["HTTP1", "HTTP2", "GRPC"];
const TARGET_TYPES: &[&str] = &["instance", "ip", "lambda", "alb"];

pub fn write_tg(w: &mut Xml, r: &Region, tg: &TargetGroup) {
    let h = &tg.health;
    w.leaf("TargetGroupArn", &tg.arn)
        .leaf("TargetGroupName", &tg.name)
        .leaf("Protocol", &tg.protocol)
        .int("Port", tg.port)
        .leaf("VpcId", &tg.vpc_id)
        .leaf("HealthCheckProtocol", &h.protocol)
        .leaf("HealthCheckPort", &h.port)
        .bool("HealthCheckEnabled", h.enabled)
        .int("HealthCheckIntervalSeconds", h.interval)
        .int("HealthCheckTimeoutSeconds", h.timeout)
        .int("HealthyThresholdCount", h.healthy)
        .int("UnhealthyThresholdCount", h.unhealthy)
        .opt("HealthCheckPath", h.path.as_ref());
    if h.matcher_http.is_some() || h.matcher_grpc.is_some() {
        w.open("Matcher").opt("HttpCode", h.matcher_http.as_ref()).opt("GrpcCode", h.matcher_grpc.as_ref()).close("Matcher");
    }
    w.strings("LoadBalancerArns", r.elb().tg_lb(&tg.arn));
    w.leaf("TargetType", &tg.target_type).opt("ProtocolVersion", tg.protocol_version.as_ref()).leaf("IpAddressType", &tg.ip_address_type);
}

/// The `TargetGroups` of Create, Describe and ModifyTargetGroup; `new` is the ARN a create made.
pub struct Tgs {
    page: Page,
    new: Option<String>,
}

impl Tgs {
    fn one(r: &Region, arn: &str, new: bool) -> Tgs {
        Tgs { page: Page::keyed(r.elb().tgs(), [arn], None), new: new.then(|| arn.to_string()) }
    }
}

impl Render for Tgs {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        w.list("TargetGroups", self.page.of(r.elb().tgs()), |w, tg| write_tg(w, r, tg));
        w.opt("NextMarker", self.page.next.as_ref());
    }
    fn created(&self) -> Vec<&str> {
        self.new.iter().map(String::as_str).collect()
    }
}

/// Health-check members as sent; `None` keeps the default (create) or current value (modify).
#[derive(Debug, Clone, Default)]
pub struct HealthInput {
    protocol: Option<String>,
    port: Option<String>,
    enabled: Option<bool>,
    path: Option<String>,
    interval: Option<i64>,
    timeout: Option<i64>,
    healthy: Option<i64>,
    unhealthy: Option<i64>,
    matcher_http: Option<String>,
    matcher_grpc: Option<String>,
}

impl HealthInput {
    fn parse(p: &P) -> ApiResult<HealthInput> {
        let matcher = p.child("Matcher");
        // Stored strings are bounded (issue 16); AWS's model limits the path to 1024.
        crate::api::elb_max_len("healthCheckPath", p.str("HealthCheckPath").unwrap_or(""), 1024)?;
        crate::api::elb_max_len("matcher.httpCode", matcher.str("HttpCode").unwrap_or(""), 64)?;
        crate::api::elb_max_len("matcher.grpcCode", matcher.str("GrpcCode").unwrap_or(""), 64)?;
        crate::api::elb_max_len("healthCheckPort", p.str("HealthCheckPort").unwrap_or(""), 16)?;
        Ok(HealthInput {
            protocol: enum_member(p, "HealthCheckProtocol", PROTOCOLS)?.map(String::from),
            port: p.str("HealthCheckPort").map(String::from),
            enabled: p.bool("HealthCheckEnabled").map_err(|_| ApiError::validation("HealthCheckEnabled must be 'true' or 'false'"))?,
            path: p.str("HealthCheckPath").map(String::from),
            interval: int_in(p, "HealthCheckIntervalSeconds", 5, 300)?,
            timeout: int_in(p, "HealthCheckTimeoutSeconds", 2, 120)?,
            healthy: int_in(p, "HealthyThresholdCount", 2, 10)?,
            unhealthy: int_in(p, "UnhealthyThresholdCount", 2, 10)?,
            matcher_http: matcher.str("HttpCode").map(String::from),
            matcher_grpc: matcher.str("GrpcCode").map(String::from),
        })
    }
}

fn http_check(protocol: &str) -> bool {
    protocol == "HTTP" || protocol == "HTTPS"
}

/// Matcher codes: 200–599 for NLB target groups, 200–499 for ALB ones, as `200`, `200-299` or
/// `200,202` (BC-ELB doc).
fn valid_http_codes(s: &str, max: u16) -> bool {
    let code = |c: &str| c.parse::<u16>().is_ok_and(|v| (200..=max).contains(&v));
    if let Some((a, b)) = s.split_once('-') {
        return code(a) && code(b) && a.parse::<u16>().ok() <= b.parse::<u16>().ok();
    }
    !s.is_empty() && s.split(',').all(code)
}

/// gRPC codes: 0–99, as `12`, `0-99` or `0,12` (BC-ELB doc).
fn valid_grpc_codes(s: &str) -> bool {
    let code = |c: &str| c.parse::<u16>().is_ok_and(|v| v <= 99);
    if let Some((a, b)) = s.split_once('-') {
        return code(a) && code(b) && a.parse::<u16>().ok() <= b.parse::<u16>().ok();
    }
    !s.is_empty() && s.split(',').all(code)
}

/// The effective health check after applying `input` over `base` (the current settings on
/// ModifyTargetGroup, AWS's defaults for the group's kind on create). `version` is the
/// protocol version of an HTTP/HTTPS group. Texts are [unverified] unless noted.
pub fn build_health(
    tg_protocol: &str,
    version: Option<&str>,
    target_type: &str,
    input: &HealthInput,
    base: Option<&HealthCheck>,
) -> ApiResult<HealthCheck> {
    let alb = matches!(tg_protocol, "HTTP" | "HTTPS");
    let grpc = version == Some("GRPC");
    let default_protocol = if alb { "HTTP" } else { "TCP" };
    let protocol = input.protocol.clone().or_else(|| base.map(|b| b.protocol.clone())).unwrap_or_else(|| default_protocol.into());
    if !matches!(protocol.as_str(), "TCP" | "HTTP" | "HTTPS") || (alb && protocol == "TCP") {
        let what = if alb { "Application" } else { "Network" };
        return Err(ApiError::validation(format!(
            "Health check protocol '{protocol}' is not supported for target groups of {what} Load Balancers"
        )));
    }
    let http = http_check(&protocol);
    let changed_kind = base.is_some_and(|b| http_check(&b.protocol) != http);
    let port = input.port.clone().or_else(|| base.map(|b| b.port.clone())).unwrap_or_else(|| "traffic-port".into());
    if port != "traffic-port" && !port.parse::<u16>().is_ok_and(|p| p >= 1) {
        return Err(ApiError::validation(format!("Health check port '{port}' must be 'traffic-port' or an integer from 1 to 65535")));
    }
    if input.enabled == Some(false) {
        return Err(ApiError::validation(format!("Health checks cannot be disabled for target groups with target type '{target_type}'")));
    }
    if !http && (input.path.is_some() || input.matcher_http.is_some()) {
        return Err(ApiError::validation(format!(
            "A health check path and matcher can only be specified for HTTP and HTTPS health checks, not '{protocol}'"
        )));
    }
    if input.matcher_grpc.is_some() && !grpc {
        return Err(ApiError::validation("gRPC matcher codes can only be specified for target groups with the 'GRPC' protocol version"));
    }
    if input.matcher_http.is_some() && grpc {
        return Err(ApiError::validation("HTTP matcher codes cannot be specified for target groups with the 'GRPC' protocol version"));
    }
    let keep = |b: Option<&HealthCheck>, f: fn(&HealthCheck) -> Option<String>| if changed_kind { None } else { b.and_then(f) };
    let path = if http {
        let default_path = if grpc { "/AWS.ALB/healthcheck" } else { "/" };
        let p = input.path.clone().or_else(|| keep(base, |b| b.path.clone())).unwrap_or_else(|| default_path.into());
        if !p.starts_with('/') || p.len() > 1024 {
            return Err(ApiError::validation(format!("Health check path '{p}' must begin with '/' and be at most 1024 characters")));
        }
        Some(p)
    } else {
        None
    };
    let (matcher_http, matcher_grpc) = if grpc {
        let m = input.matcher_grpc.clone().or_else(|| base.and_then(|b| b.matcher_grpc.clone())).unwrap_or_else(|| "12".into());
        if !valid_grpc_codes(&m) {
            return Err(ApiError::validation(format!("Health check matcher gRPC code '{m}' must be in the range 0-99")));
        }
        (None, Some(m))
    } else if http {
        let (default, max) = if alb { ("200", 499) } else { ("200-399", 599) };
        let m = input.matcher_http.clone().or_else(|| keep(base, |b| b.matcher_http.clone())).unwrap_or_else(|| default.into());
        if !valid_http_codes(&m, max) {
            return Err(ApiError::validation(format!("Health check matcher HTTP code '{m}' must be in the range 200-{max}")));
        }
        (Some(m), None)
    } else {
        (None, None)
    };
    let interval = input.interval.or(base.map(|b| b.interval)).unwrap_or(30);
    // BC-ELB doc: 10 s for TCP, TLS and HTTPS checks of NLB groups, 6 s for their HTTP checks.
    // ALB groups default to 5 s (the console's and moto's value; BC-ELB's text reads as the
    // NLB one [unverified]).
    let default_timeout = if alb {
        5
    } else if protocol == "HTTP" {
        6
    } else {
        10
    };
    let timeout = input.timeout.or(if changed_kind { None } else { base.map(|b| b.timeout) }).unwrap_or(default_timeout);
    // moto's texts, which read like AWS's [unverified]: HTTP/HTTPS groups need a strictly
    // shorter timeout.
    if alb && timeout >= interval {
        return Err(ApiError::validation(format!("Health check timeout '{timeout}' must be smaller than the interval '{interval}'")));
    }
    if timeout > interval {
        return Err(ApiError::validation(format!(
            "Health check timeout '{timeout}' must be smaller than or equal to the interval '{interval}'"
        )));
    }
    Ok(HealthCheck {
        enabled: true,
        protocol,
        port,
        path,
        interval,
        timeout,
        healthy: input.healthy.or(base.map(|b| b.healthy)).unwrap_or(5),
        unhealthy: input.unhealthy.or(base.map(|b| b.unhealthy)).unwrap_or(2),
        matcher_http,
        matcher_grpc,
    })
}

pub struct CreateTargetGroup {
    name: String,
    protocol: String,
    port: u16,
    vpc: String,
    target_type: String,
    ip_type: String,
    version: Option<String>,
    health: HealthInput,
    tags: Tags,
}

impl Action for CreateTargetGroup {
    type Output = Tgs;
    fn from_params(p: &P) -> ApiResult<Self> {
        let name = required(p, "Name")?.to_string();
        check_name(&name, NameOf::TargetGroup)?;
        let target_type = enum_member(p, "TargetType", TARGET_TYPES)?.unwrap_or("instance");
        if matches!(target_type, "lambda" | "alb") {
            return Err(ApiError::elb_type_not_emulated(&format!("Target type '{target_type}'")));
        }
        // OBS texts for the three members AWS requires unless the target is a Lambda function.
        let protocol = enum_member(p, "Protocol", PROTOCOLS)?.ok_or_else(|| ApiError::validation("A protocol must be specified"))?;
        if !SERVED_PROTOCOLS.contains(&protocol) {
            return Err(ApiError::elb_type_not_emulated(&format!("Target group protocol '{protocol}'")));
        }
        let port = int_in(p, "Port", 1, 65535)?.ok_or_else(|| ApiError::validation("A port must be specified"))?;
        let vpc = p.str("VpcId").filter(|v| !v.is_empty()).ok_or_else(|| ApiError::validation("A VPC ID must be specified"))?;
        let alb = matches!(protocol, "HTTP" | "HTTPS");
        let version = enum_member(p, "ProtocolVersion", VERSIONS)?;
        if version.is_some() && !alb {
            return Err(ApiError::validation("A protocol version can only be specified for HTTP and HTTPS target groups"));
        }
        let version = alb.then(|| version.unwrap_or("HTTP1").to_string());
        if p.str("TargetControlPort").is_some() {
            return Err(ApiError::elb_type_not_emulated("TargetControlPort (target optimizer of Application Load Balancers)"));
        }
        Ok(CreateTargetGroup {
            name,
            protocol: protocol.to_string(),
            port: port as u16,
            vpc: vpc.to_string(),
            target_type: target_type.to_string(),
            ip_type: enum_member(p, "IpAddressType", &["ipv4", "ipv6"])?.unwrap_or("ipv4").to_string(),
            version,
            health: HealthInput::parse(p)?,
            tags: parse_tags(p, "Tags")?,
        })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Tgs> {
        let vpc = if well_formed(&self.vpc, "vpc") { r.vpcs().get(&self.vpc) } else { None };
        // OBS text ("The VPC ID 'vpc-…' is not found").
        let vpc = vpc.ok_or_else(|| ApiError::validation(format!("The VPC ID '{}' is not found", self.vpc)))?;
        if self.ip_type == "ipv6" && vpc.ipv6_cidr.is_none() {
            return Err(ApiError::validation(format!("VPC '{}' has no IPv6 CIDR block for an 'ipv6' target group", self.vpc)));
        }
        let health = build_health(&self.protocol, self.version.as_deref(), &self.target_type, &self.health, None)?;
        check_tag_quota(&Vec::new(), &self.tags, r.quotas.elb_tags_per_resource)?;
        if let Some(tg) = r.elb().tg_by_name(&self.name) {
            let same = tg.protocol == self.protocol
                && tg.port == self.port
                && tg.vpc_id == self.vpc
                && tg.target_type == self.target_type
                && tg.ip_address_type == self.ip_type
                && tg.protocol_version == self.version
                && tg.health == health;
            if !same {
                return Err(ApiError::duplicate_tg(&self.name));
            }
            return Ok(Tgs::one(r, &tg.arn, false));
        }
        if r.elb().tgs().len() as u64 >= r.quotas.target_groups {
            return Err(ApiError::too_many_tgs());
        }
        let id = r.ids.hex16();
        let arn = r.arn("elasticloadbalancing", &format!("targetgroup/{}/{id}", self.name));
        let tg = TargetGroup {
            arn: arn.clone(),
            name: self.name,
            attributes: if self.version.is_some() { alb_tg_defaults() } else { tg_defaults(&self.protocol, &self.target_type) },
            protocol: self.protocol,
            port: self.port,
            vpc_id: self.vpc,
            target_type: self.target_type,
            ip_address_type: self.ip_type,
            protocol_version: self.version,
            health,
            created: cx.now,
            tags: self.tags,
            targets: Default::default(),
            attached_at: None,
        };
        r.elb_mut().insert_tg(tg);
        Ok(Tgs::one(r, &arn, true))
    }
}

pub struct DescribeTargetGroups {
    lb: Option<String>,
    arns: Vec<String>,
    names: Vec<String>,
    paging: Paging,
}

impl Action for DescribeTargetGroups {
    type Output = Tgs;
    fn from_params(p: &P) -> ApiResult<Self> {
        let lb = p.str("LoadBalancerArn").filter(|s| !s.is_empty()).map(String::from);
        let arns: Vec<String> = p.strings("TargetGroupArns")?.into_iter().map(String::from).collect();
        let names: Vec<String> = p.strings("Names")?.into_iter().map(String::from).collect();
        if [lb.is_some(), !arns.is_empty(), !names.is_empty()].iter().filter(|x| **x).count() > 1 {
            // [unverified] text.
            return Err(ApiError::validation("You can specify only one of load balancer ARN, target group ARNs or target group names"));
        }
        Ok(DescribeTargetGroups { lb, arns, names, paging: Paging::parse(p)? })
    }

    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Tgs> {
        let mut tgs: Vec<&TargetGroup> = Vec::new();
        if let Some(lb) = &self.lb {
            let lb = find_lb(r, lb)?;
            let used = r.elb().lb_tgs(&lb.arn);
            tgs = r.elb().tgs().values().filter(|t| used.contains(t.arn.as_str())).collect();
        } else if !self.arns.is_empty() {
            for a in &self.arns {
                let tg = find_tg(r, a)?;
                if !tgs.iter().any(|t| t.arn == tg.arn) {
                    tgs.push(tg);
                }
            }
        } else if !self.names.is_empty() {
            let missing: Vec<&str> = self.names.iter().filter(|n| r.elb().tg_by_name(n).is_none()).map(String::as_str).collect();
            if !missing.is_empty() {
                return Err(ApiError::tg_names_not_found(&missing));
            }
            for tg in self.names.iter().filter_map(|n| r.elb().tg_by_name(n)) {
                if !tgs.iter().any(|t| t.arn == tg.arn) {
                    tgs.push(tg);
                }
            }
        } else {
            tgs = r.elb().tgs().values().collect();
        }
        let (items, next) = self.paging.page(tgs, |t| &t.arn)?;
        Ok(Tgs { page: Page::keyed(r.elb().tgs(), items.iter().map(|t| t.arn.as_str()), next), new: None })
    }
}

pub struct ModifyTargetGroup {
    arn: String,
    health: HealthInput,
}

impl Action for ModifyTargetGroup {
    type Output = Tgs;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(ModifyTargetGroup { arn: required(p, "TargetGroupArn")?.to_string(), health: HealthInput::parse(p)? })
    }

    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Tgs> {
        let tg = find_tg(r, &self.arn)?;
        let health = build_health(&tg.protocol, tg.protocol_version.as_deref(), &tg.target_type, &self.health, Some(&tg.health))?;
        r.elb_mut().set_tg_health(&self.arn, health);
        Ok(Tgs::one(r, &self.arn, false))
    }
}

pub struct DeleteTargetGroup {
    arn: String,
}

impl Action for DeleteTargetGroup {
    type Output = Empty;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arn = required(p, "TargetGroupArn")?.to_string();
        if !arn_is(&arn, "targetgroup/") {
            return Err(ApiError::bad_elb_arn(&arn, "target group"));
        }
        Ok(DeleteTargetGroup { arn })
    }

    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Empty> {
        // Deleting an unknown target group is believed to succeed [unverified].
        if !r.elb().tgs().contains_key(&self.arn) {
            return Ok(Empty);
        }
        if r.elb().tg_in_use(&self.arn) {
            return Err(ApiError::tg_in_use(&self.arn));
        }
        r.elb_mut().remove_tg(&self.arn);
        Ok(Empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nlb_health_defaults_and_rules() {
        let h = build_health("TCP", None, "instance", &HealthInput::default(), None).unwrap();
        assert_eq!((h.protocol.as_str(), h.interval, h.timeout, h.healthy, h.unhealthy), ("TCP", 30, 10, 5, 2));
        assert!(h.path.is_none() && h.matcher_http.is_none());
        let http = HealthInput { protocol: Some("HTTP".into()), ..Default::default() };
        let h2 = build_health("TCP", None, "ip", &http, Some(&h)).unwrap();
        assert_eq!((h2.path.as_deref(), h2.matcher_http.as_deref(), h2.timeout), (Some("/"), Some("200-399"), 6));
        let back = HealthInput { protocol: Some("TCP".into()), ..Default::default() };
        let h3 = build_health("TCP", None, "ip", &back, Some(&h2)).unwrap();
        assert!(h3.path.is_none(), "switching to TCP drops the HTTP-only fields");
        let bad = HealthInput { protocol: Some("UDP".into()), ..Default::default() };
        assert!(build_health("TCP", None, "ip", &bad, None).is_err());
        let off = HealthInput { enabled: Some(false), ..Default::default() };
        assert!(build_health("TCP", None, "ip", &off, None).is_err());
        assert!(valid_http_codes("200-399", 599) && valid_http_codes("200,202", 599) && !valid_http_codes("100", 599));
        assert!(!valid_http_codes("300-200", 599) && !valid_http_codes("500", 499));
    }

    #[test]
    fn alb_health_defaults() {
        let h = build_health("HTTP", Some("HTTP1"), "instance", &HealthInput::default(), None).unwrap();
        assert_eq!((h.protocol.as_str(), h.path.as_deref(), h.matcher_http.as_deref()), ("HTTP", Some("/"), Some("200")));
        assert_eq!((h.interval, h.timeout, h.healthy, h.unhealthy), (30, 5, 5, 2));
        let g = build_health("HTTPS", Some("GRPC"), "ip", &HealthInput::default(), None).unwrap();
        assert_eq!((g.path.as_deref(), g.matcher_grpc.as_deref(), g.matcher_http), (Some("/AWS.ALB/healthcheck"), Some("12"), None));
        let tcp = HealthInput { protocol: Some("TCP".into()), ..Default::default() };
        assert!(build_health("HTTP", Some("HTTP1"), "ip", &tcp, None).is_err(), "no TCP checks for HTTP groups");
    }
}
