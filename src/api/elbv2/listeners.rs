//! CreateListener, DescribeListeners, ModifyListener, DeleteListener, DescribeRules (aws-api.md
//! §1.7.8, §2.5): NLB listeners (TCP, TLS, UDP, TCP_UDP) with one `forward` default action
//! (plain or ForwardConfig with one target group), TLS certificates and policies, idempotent
//! creates per port, the listener quota, one load balancer per target group, the target quotas
//! when a group is attached, and each listener's default rule.

use std::collections::BTreeSet;

use super::attributes::listener_defaults;
use super::common::{Paging, arn_is, check_len, check_tag_quota, enum_member, find_lb, find_listener, int_in, parse_tags, required};
use super::targets::check_lb_targets;
use crate::api::{Action as ApiAction, Ctx, Empty, Rendered};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::elbv2::{Action, Listener, LoadBalancer, Tags};
use crate::wire::{P, Xml};

const PROTOCOLS: &[&str] = &["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC"];
const ACTION_TYPES: &[&str] = &["forward", "authenticate-oidc", "authenticate-cognito", "redirect", "fixed-response", "jwt-validation"];
const ALPN: &[&str] = &["HTTP1Only", "HTTP2Only", "HTTP2Optional", "HTTP2Preferred", "None"];
/// Default policy for a TLS listener created without one [unverified: the console now picks a
/// TLS 1.3 policy, the API is believed to keep this one].
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-2016-08";
/// Security policies an NLB TLS listener accepts (AWS's published list, abridged).
pub const SSL_POLICIES: &[&str] = &[
    "ELBSecurityPolicy-2016-08",
    "ELBSecurityPolicy-2015-05",
    "ELBSecurityPolicy-TLS-1-0-2015-04",
    "ELBSecurityPolicy-TLS-1-1-2017-01",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-2018-06",
    "ELBSecurityPolicy-FS-1-1-2019-08",
    "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    "ELBSecurityPolicy-TLS13-1-0-2021-06",
    "ELBSecurityPolicy-TLS13-1-1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04",
];

/// Which target-group protocols a listener protocol can forward to (NLB guide).
fn compatible(listener: &str, tg: &str) -> bool {
    match listener {
        "TCP" => matches!(tg, "TCP" | "TCP_UDP"),
        "TLS" => matches!(tg, "TCP" | "TLS"),
        "UDP" => matches!(tg, "UDP" | "TCP_UDP"),
        "TCP_UDP" => tg == "TCP_UDP",
        _ => false,
    }
}

/// An ACM certificate (`arn:…:acm:<region>:<account>:certificate/<id>`) or an IAM server
/// certificate ARN; lbsim has no certificate store, so any such ARN is accepted as given.
pub fn certificate_arn_ok(arn: &str) -> bool {
    let p: Vec<&str> = arn.splitn(6, ':').collect();
    p.len() == 6
        && p[0] == "arn"
        && ((p[2] == "acm" && p[5].starts_with("certificate/") && p[5].len() > 12)
            || (p[2] == "iam" && p[5].starts_with("server-certificate/") && p[5].len() > 19))
}

/// Reads `Certificates.member.N.CertificateArn`; unknown shapes are CertificateNotFound
/// [unverified text].
pub fn parse_certificates(p: &P) -> ApiResult<Vec<String>> {
    let mut out = Vec::new();
    for c in p.list("Certificates")? {
        let arn = required(&c, "CertificateArn")?;
        if !certificate_arn_ok(arn) {
            return Err(ApiError::new(ErrorCode::CertificateNotFound, format!("Certificate '{arn}' not found")));
        }
        out.push(arn.to_string());
    }
    Ok(out)
}

fn parse_actions(p: &P) -> ApiResult<Vec<Action>> {
    let mut out = Vec::new();
    for a in p.list("DefaultActions")? {
        required(&a, "Type")?;
        let kind = enum_member(&a, "Type", ACTION_TYPES)?.unwrap_or("forward");
        if kind != "forward" {
            // [unverified] text, shaped like AWS's listener-protocol message.
            return Err(ApiError::new(ErrorCode::InvalidLoadBalancerAction, format!("Action type '{kind}' must be one of 'forward'")));
        }
        let fc = a.child("ForwardConfig");
        let forward = if a.has_child("ForwardConfig") {
            let mut tgs = Vec::new();
            for t in fc.list("TargetGroups")? {
                tgs.push((required(&t, "TargetGroupArn")?.to_string(), int_in(&t, "Weight", 0, 999)?));
            }
            Some(tgs)
        } else {
            None
        };
        let stick = fc.child("TargetGroupStickinessConfig");
        let stickiness = if fc.has_child("TargetGroupStickinessConfig") {
            let enabled =
                stick.bool("Enabled").map_err(|_| ApiError::validation("TargetGroupStickinessConfig.Enabled must be 'true' or 'false'"))?;
            Some((enabled.unwrap_or(false), int_in(&stick, "DurationSeconds", 1, 604_800)?))
        } else {
            None
        };
        let action = Action {
            kind: kind.to_string(),
            target_group_arn: a.str("TargetGroupArn").filter(|s| !s.is_empty()).map(String::from),
            forward,
            stickiness,
            order: int_in(&a, "Order", 1, 50_000)?,
        };
        // [unverified] texts for the three shapes a network forward action must have.
        let tgs = action.target_groups();
        if tgs.is_empty() {
            return Err(ApiError::validation("A target group ARN must be specified for a forward action"));
        }
        if tgs.len() > 1 {
            return Err(ApiError::validation(
                "You cannot specify multiple target groups in a forward action for a load balancer of type 'network'",
            ));
        }
        if action.stickiness.is_some_and(|s| s.0) {
            return Err(ApiError::validation("Target group stickiness is not supported for load balancers of type 'network'"));
        }
        out.push(action);
    }
    if out.len() > 1 {
        // NLB listeners take one default action [unverified code].
        return Err(ApiError::new(ErrorCode::TooManyActions, "You've reached the limit on the number of actions per rule."));
    }
    Ok(out)
}

/// The listener protocol, refusing those of other load balancer types.
fn check_protocol(protocol: &str) -> ApiResult<()> {
    match protocol {
        "TCP" | "TLS" | "UDP" | "TCP_UDP" => Ok(()),
        "QUIC" | "TCP_QUIC" => Err(ApiError::elb_type_not_emulated(&format!("Listener protocol '{protocol}'"))),
        // Shaped like the OBS ALB text ("Listener protocol 'TCP' must be one of 'HTTPS, HTTP'").
        _ => Err(ApiError::validation(format!("Listener protocol '{protocol}' must be one of 'TCP_QUIC, QUIC, TCP_UDP, UDP, TLS, TCP'"))),
    }
}

/// Everything a listener is, before it is committed.
struct Spec {
    port: u16,
    protocol: String,
    ssl_policy: Option<String>,
    certificate: Option<String>,
    alpn: Vec<String>,
    actions: Vec<Action>,
}

/// Checks a listener against state: TLS needs a certificate, TLS-only settings stay on TLS,
/// target groups exist, share the VPC, speak a compatible protocol, belong to no other load
/// balancer, and attaching them keeps the load balancer within its target quotas.
fn check_spec(r: &Region, lb: &LoadBalancer, s: &Spec, listener: Option<&str>) -> ApiResult<()> {
    if s.protocol == "TLS" {
        if s.certificate.is_none() {
            // Shaped like AWS's HTTPS text [unverified].
            return Err(ApiError::validation("A certificate must be specified for TLS listeners"));
        }
    } else if s.certificate.is_some() || s.ssl_policy.is_some() || !s.alpn.is_empty() {
        return Err(ApiError::validation(format!(
            "Certificates, SSL policies and ALPN policies can only be specified for TLS listeners, not '{}'",
            s.protocol
        )));
    }
    if let Some(p) = &s.ssl_policy
        && !SSL_POLICIES.contains(&p.as_str())
    {
        return Err(ApiError::new(ErrorCode::SslPolicyNotFound, format!("SSL policy '{p}' not found")));
    }
    let mut new_tgs: Vec<&str> = Vec::new();
    for a in &s.actions {
        for tg_arn in a.target_groups() {
            if !arn_is(tg_arn, "targetgroup/") {
                return Err(ApiError::bad_elb_arn(tg_arn, "target group"));
            }
            let tg = r.elb.tgs.get(tg_arn).ok_or_else(ApiError::tg_not_found)?;
            if tg.vpc_id != lb.vpc_id {
                // [unverified] text.
                return Err(ApiError::new(
                    ErrorCode::InvalidConfigurationRequest,
                    format!("Target group '{tg_arn}' is in VPC '{}', not in the load balancer's VPC '{}'", tg.vpc_id, lb.vpc_id),
                ));
            }
            if !compatible(&s.protocol, &tg.protocol) {
                return Err(ApiError::incompatible_protocols(tg_arn));
            }
            if let Some(other) = r.elb.tg_lb(tg_arn)
                && other != lb.arn
            {
                return Err(ApiError::tg_association_limit(tg_arn));
            }
            new_tgs.push(tg_arn);
        }
    }
    // The groups the load balancer would forward to afterwards.
    let mut after: BTreeSet<&str> = BTreeSet::new();
    for l in r.elb.lb_listeners(&lb.arn).filter(|l| Some(l.arn.as_str()) != listener) {
        after.extend(l.target_groups());
    }
    after.extend(new_tgs);
    let after: Vec<&str> = after.into_iter().collect();
    check_lb_targets(r, &lb.arn, &after, &[])
}

fn write_action(w: &mut Xml, a: &Action) {
    w.leaf("Type", &a.kind).opt("TargetGroupArn", a.target_groups().first());
    w.opt("Order", a.order.map(|o| o.to_string()));
    w.open("ForwardConfig");
    let tgs: Vec<(String, Option<i64>)> = match &a.forward {
        Some(f) => f.clone(),
        None => a.target_group_arn.iter().map(|t| (t.clone(), None)).collect(),
    };
    w.list("TargetGroups", tgs, |w, (t, weight)| {
        w.leaf("TargetGroupArn", t).opt("Weight", weight.map(|x| x.to_string()));
    });
    if let Some((enabled, duration)) = a.stickiness {
        w.open("TargetGroupStickinessConfig").bool("Enabled", enabled).opt("DurationSeconds", duration.map(|d| d.to_string()));
        w.close("TargetGroupStickinessConfig");
    }
    w.close("ForwardConfig");
}

pub fn write_actions(w: &mut Xml, name: &str, actions: &[Action]) {
    w.list(name, actions, write_action);
}

pub fn write_listener(w: &mut Xml, l: &Listener) {
    w.leaf("ListenerArn", &l.arn).leaf("LoadBalancerArn", &l.lb_arn).num("Port", l.port).leaf("Protocol", &l.protocol);
    if let Some(c) = &l.certificate {
        // IsDefault is not reported when describing a listener (BC-ELB Certificate doc).
        w.list("Certificates", [c], |w, c| {
            w.leaf("CertificateArn", c);
        });
    }
    w.opt("SslPolicy", l.ssl_policy.as_ref());
    write_actions(w, "DefaultActions", &l.actions);
    if !l.alpn.is_empty() {
        w.strings("AlpnPolicy", &l.alpn);
    }
}

/// Whether a repeated CreateListener asks for what exists (then AWS returns it).
fn same(l: &Listener, s: &Spec) -> bool {
    let tgs = |a: &[Action]| a.iter().flat_map(|x| x.target_groups()).map(String::from).collect::<BTreeSet<String>>();
    l.protocol == s.protocol
        && l.certificate == s.certificate
        && l.ssl_policy == s.ssl_policy
        && l.alpn == s.alpn
        && tgs(&l.actions) == tgs(&s.actions)
}

fn parse_alpn(p: &P) -> ApiResult<Option<Vec<String>>> {
    let items = p.strings("AlpnPolicy")?;
    if items.is_empty() {
        return Ok(None);
    }
    check_len(&items, "AlpnPolicy", 1)?;
    for a in &items {
        if !ALPN.contains(a) {
            return Err(ApiError::new(ErrorCode::AlpnPolicyNotFound, format!("ALPN policy '{a}' not found")));
        }
    }
    Ok(Some(items.into_iter().map(String::from).collect()))
}

fn one_certificate(certs: Vec<String>) -> ApiResult<Option<String>> {
    if certs.len() > 1 {
        // BC-ELB: "You must provide exactly one certificate" [unverified text].
        return Err(ApiError::validation("You must provide exactly one certificate for the listener"));
    }
    Ok(certs.into_iter().next())
}

pub struct CreateListener {
    lb: String,
    spec: Spec,
    tags: Tags,
}

impl ApiAction for CreateListener {
    type Output = Rendered;
    fn from_params(p: &P) -> ApiResult<Self> {
        let lb = required(p, "LoadBalancerArn")?.to_string();
        // [unverified] texts for the two members an NLB listener needs.
        let protocol =
            enum_member(p, "Protocol", PROTOCOLS)?.ok_or_else(|| ApiError::validation("A listener protocol must be specified"))?;
        check_protocol(protocol)?;
        let port = int_in(p, "Port", 1, 65535)?.ok_or_else(|| ApiError::validation("A listener port must be specified"))?;
        let actions = parse_actions(p)?;
        if actions.is_empty() {
            required(p, "DefaultActions")?;
        }
        let certificate = one_certificate(parse_certificates(p)?)?;
        let mut ssl_policy = p.str("SslPolicy").filter(|s| !s.is_empty()).map(String::from);
        if protocol == "TLS" && ssl_policy.is_none() {
            ssl_policy = Some(DEFAULT_SSL_POLICY.to_string());
        }
        let spec = Spec {
            port: port as u16,
            protocol: protocol.to_string(),
            ssl_policy,
            certificate,
            alpn: parse_alpn(p)?.unwrap_or_default(),
            actions,
        };
        Ok(CreateListener { lb, spec, tags: parse_tags(p, "Tags")? })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rendered> {
        let lb = find_lb(r, &self.lb)?;
        check_tag_quota(&Vec::new(), &self.tags, r.quotas.elb_tags_per_resource)?;
        if let Some(l) = r.elb.lb_listeners(&lb.arn).find(|l| l.port == self.spec.port) {
            if same(l, &self.spec) {
                return Ok(Rendered::with(cx, |w| {
                    w.list("Listeners", [l], write_listener);
                }));
            }
            return Err(ApiError::duplicate_listener(&lb.arn));
        }
        check_spec(r, lb, &self.spec, None)?;
        if r.elb.lb_listeners(&lb.arn).count() as u64 >= r.quotas.listeners_per_network_load_balancer {
            return Err(ApiError::too_many_listeners());
        }
        let (lb_arn, lb_name, lb_id) = (lb.arn.clone(), lb.name.clone(), lb.id.clone());
        let id = r.ids.hex16();
        let arn = r.arn("elasticloadbalancing", &format!("listener/net/{lb_name}/{lb_id}/{id}"));
        let rule_id = r.ids.hex16();
        let rule_arn = r.arn("elasticloadbalancing", &format!("listener-rule/net/{lb_name}/{lb_id}/{id}/{rule_id}"));
        let s = self.spec;
        let l = Listener {
            arn: arn.clone(),
            lb_arn,
            port: s.port,
            protocol: s.protocol,
            ssl_policy: s.ssl_policy,
            certificate: s.certificate,
            extra_certificates: Vec::new(),
            alpn: s.alpn,
            actions: s.actions,
            attributes: listener_defaults(),
            tags: self.tags,
            rule_arn,
            rule_tags: Vec::new(),
        };
        r.elb.insert_listener(l, cx.now);
        let l = &r.elb.listeners[&arn];
        Ok(Rendered::with(cx, |w| {
            w.list("Listeners", [l], write_listener);
        }))
    }
}

pub struct DescribeListeners {
    lb: Option<String>,
    arns: Vec<String>,
    paging: Paging,
}

impl ApiAction for DescribeListeners {
    type Output = Rendered;
    fn from_params(p: &P) -> ApiResult<Self> {
        let lb = p.str("LoadBalancerArn").filter(|s| !s.is_empty()).map(String::from);
        let arns: Vec<String> = p.strings("ListenerArns")?.into_iter().map(String::from).collect();
        // [unverified] texts.
        if lb.is_some() && !arns.is_empty() {
            return Err(ApiError::validation("Listener ARNs and a load balancer ARN cannot be specified at the same time"));
        }
        if lb.is_none() && arns.is_empty() {
            return Err(ApiError::validation("You must specify either listener ARNs or a load balancer ARN"));
        }
        Ok(DescribeListeners { lb, arns, paging: Paging::parse(p)? })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rendered> {
        let items: Vec<&Listener> = match &self.lb {
            Some(lb) => r.elb.lb_listeners(&find_lb(r, lb)?.arn).collect(),
            None => {
                let mut v: Vec<&Listener> = Vec::new();
                for a in &self.arns {
                    let l = find_listener(r, a)?;
                    if !v.iter().any(|x| x.arn == l.arn) {
                        v.push(l);
                    }
                }
                v
            }
        };
        let (items, next) = self.paging.page(items, |l| &l.arn)?;
        Ok(Rendered::with(cx, |w| {
            w.list("Listeners", items, write_listener);
            w.opt("NextMarker", next);
        }))
    }
}

pub struct ModifyListener {
    arn: String,
    port: Option<u16>,
    protocol: Option<String>,
    ssl_policy: Option<String>,
    certificates: Vec<String>,
    actions: Vec<Action>,
    alpn: Option<Vec<String>>,
}

impl ApiAction for ModifyListener {
    type Output = Rendered;
    fn from_params(p: &P) -> ApiResult<Self> {
        let protocol = enum_member(p, "Protocol", PROTOCOLS)?.map(String::from);
        if let Some(pr) = &protocol {
            check_protocol(pr)?;
        }
        Ok(ModifyListener {
            arn: required(p, "ListenerArn")?.to_string(),
            port: int_in(p, "Port", 1, 65535)?.map(|v| v as u16),
            protocol,
            ssl_policy: p.str("SslPolicy").filter(|s| !s.is_empty()).map(String::from),
            certificates: parse_certificates(p)?,
            actions: parse_actions(p)?,
            alpn: parse_alpn(p)?,
        })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rendered> {
        let old = find_listener(r, &self.arn)?;
        let lb = find_lb(r, &old.lb_arn)?;
        let protocol = self.protocol.clone().unwrap_or_else(|| old.protocol.clone());
        let tls = protocol == "TLS";
        let given_cert = one_certificate(self.certificates.clone())?;
        let spec = Spec {
            port: self.port.unwrap_or(old.port),
            // Leaving TLS drops the TLS settings, as AWS does; staying keeps them.
            certificate: given_cert.or_else(|| if tls { old.certificate.clone() } else { None }),
            ssl_policy: self
                .ssl_policy
                .clone()
                .or_else(|| if tls { old.ssl_policy.clone().or(Some(DEFAULT_SSL_POLICY.into())) } else { None }),
            alpn: self.alpn.clone().unwrap_or_else(|| if tls { old.alpn.clone() } else { Vec::new() }),
            actions: if self.actions.is_empty() { old.actions.clone() } else { self.actions.clone() },
            protocol,
        };
        if r.elb.lb_listeners(&lb.arn).any(|l| l.port == spec.port && l.arn != self.arn) {
            return Err(ApiError::duplicate_listener(&lb.arn));
        }
        check_spec(r, lb, &spec, Some(&self.arn))?;
        let mut l = old.clone();
        l.extra_certificates = if spec.protocol == "TLS" { l.extra_certificates } else { Vec::new() };
        l.port = spec.port;
        l.protocol = spec.protocol;
        l.certificate = spec.certificate;
        l.ssl_policy = spec.ssl_policy;
        l.alpn = spec.alpn;
        l.actions = spec.actions;
        r.elb.replace_listener(l, cx.now);
        let l = &r.elb.listeners[&self.arn];
        Ok(Rendered::with(cx, |w| {
            w.list("Listeners", [l], write_listener);
        }))
    }
}

pub struct DeleteListener {
    arn: String,
}

impl ApiAction for DeleteListener {
    type Output = Empty;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DeleteListener { arn: required(p, "ListenerArn")?.to_string() })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Empty> {
        find_listener(r, &self.arn)?;
        r.elb.remove_listener(&self.arn);
        Ok(Empty)
    }
}

pub struct DescribeRules {
    listener: Option<String>,
    rules: Vec<String>,
    paging: Paging,
}

impl ApiAction for DescribeRules {
    type Output = Rendered;
    fn from_params(p: &P) -> ApiResult<Self> {
        let listener = p.str("ListenerArn").filter(|s| !s.is_empty()).map(String::from);
        let rules: Vec<String> = p.strings("RuleArns")?.into_iter().map(String::from).collect();
        if listener.is_none() == rules.is_empty() {
            // BC-ELB: "You must specify either a listener or rules" [unverified text].
            return Err(ApiError::validation("You must specify either a listener ARN or rule ARNs, but not both"));
        }
        Ok(DescribeRules { listener, rules, paging: Paging::parse(p)? })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rendered> {
        let listeners: Vec<&Listener> = match &self.listener {
            Some(l) => vec![find_listener(r, l)?],
            None => {
                let mut v: Vec<&Listener> = Vec::new();
                for a in &self.rules {
                    if !arn_is(a, "listener-rule/") {
                        return Err(ApiError::bad_elb_arn(a, "rule"));
                    }
                    let l = r.elb.rule_listener.get(a).and_then(|l| r.elb.listeners.get(l)).ok_or_else(ApiError::elb_rule_not_found)?;
                    if !v.iter().any(|x| x.arn == l.arn) {
                        v.push(l);
                    }
                }
                v
            }
        };
        let (items, next) = self.paging.page(listeners, |l| &l.rule_arn)?;
        Ok(Rendered::with(cx, |w| {
            // An NLB listener has only its default rule.
            w.list("Rules", items, |w, l| {
                w.leaf("RuleArn", &l.rule_arn).leaf("Priority", "default");
                w.list("Conditions", std::iter::empty::<()>(), |_, _| {});
                write_actions(w, "Actions", &l.actions);
                w.bool("IsDefault", true);
            });
            w.opt("NextMarker", next);
        }))
    }
}
