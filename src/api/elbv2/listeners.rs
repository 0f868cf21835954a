//! CreateListener, DescribeListeners, ModifyListener, DeleteListener (aws-api.md §1.7.8, §2.5,
//! lbc-ingress.md §8.5): NLB listeners (TCP, TLS, UDP, TCP_UDP) with one `forward` default
//! action, ALB listeners (HTTP, HTTPS) with a forward, redirect or fixed-response default
//! action (actions.rs), TLS/HTTPS certificates and policies, idempotent creates per port, the
//! listener quota of each type, one load balancer per target group, the unique-target-group and
//! target quotas when a group is attached, and each listener's default rule (rules.rs serves it).

use std::collections::BTreeSet;

use super::actions::{check_actions, parse_actions, write_actions};
use super::attributes::listener_defaults;
use super::common::{Paging, check_len, check_tag_quota, enum_member, find_lb, find_listener, int_in, parse_tags, required};
use super::targets::check_lb_targets;
use crate::api::{Action as ApiAction, Ctx, Empty, Page, Render};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::elbv2::{Action, Listener, LoadBalancer, Tags};
use crate::wire::{P, Xml};

const PROTOCOLS: &[&str] = &["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC"];
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
        if arn.len() > 2048 || !certificate_arn_ok(arn) {
            return Err(ApiError::new(ErrorCode::CertificateNotFound, format!("Certificate '{arn}' not found")));
        }
        out.push(arn.to_string());
    }
    Ok(out)
}

/// The listener protocol of a load balancer type, refusing those of the other types.
fn check_protocol(protocol: &str, alb: bool) -> ApiResult<()> {
    match (protocol, alb) {
        ("TCP" | "TLS" | "UDP" | "TCP_UDP", false) | ("HTTP" | "HTTPS", true) => Ok(()),
        ("QUIC" | "TCP_QUIC", false) => Err(ApiError::elb_type_not_emulated(&format!("Listener protocol '{protocol}'"))),
        (_, false) => {
            Err(ApiError::validation(format!("Listener protocol '{protocol}' must be one of 'TCP_QUIC, QUIC, TCP_UDP, UDP, TLS, TCP'")))
        }
        // OBS text (an ALB refusing TCP).
        (_, true) => Err(ApiError::validation(format!("Listener protocol '{protocol}' must be one of 'HTTPS, HTTP'"))),
    }
}

/// Whether the protocol carries certificates and a security policy.
fn secure(protocol: &str) -> bool {
    protocol == "TLS" || protocol == "HTTPS"
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

/// Checks a listener against state: the protocol fits the load balancer type, TLS and HTTPS
/// need a certificate, TLS-only settings stay on TLS, the actions' target groups exist, share
/// the VPC, speak a compatible protocol, belong to no other load balancer, and attaching them
/// keeps the load balancer within its unique-target-group and target quotas. Normalises the
/// actions for the load balancer's type.
fn check_spec(r: &Region, lb: &LoadBalancer, s: &mut Spec, listener: Option<&str>) -> ApiResult<()> {
    check_protocol(&s.protocol, lb.is_alb())?;
    if secure(&s.protocol) {
        if s.certificate.is_none() {
            // Shaped like AWS's HTTPS text [unverified].
            return Err(ApiError::validation(format!("A certificate must be specified for {} listeners", s.protocol)));
        }
    } else if s.certificate.is_some() || s.ssl_policy.is_some() {
        return Err(ApiError::validation(format!(
            "Certificates and SSL policies can only be specified for secure listeners, not '{}'",
            s.protocol
        )));
    }
    if !s.alpn.is_empty() && s.protocol != "TLS" {
        return Err(ApiError::validation(format!("ALPN policies can only be specified for TLS listeners, not '{}'", s.protocol)));
    }
    if let Some(p) = &s.ssl_policy
        && !SSL_POLICIES.contains(&p.as_str())
    {
        return Err(ApiError::new(ErrorCode::SslPolicyNotFound, format!("SSL policy '{p}' not found")));
    }
    let new_tgs = check_actions(r, lb, &s.protocol, &mut s.actions)?;
    // The groups the load balancer would forward to afterwards.
    let mut after: BTreeSet<&str> = BTreeSet::new();
    for l in r.elb().lb_listeners(&lb.arn) {
        if Some(l.arn.as_str()) != listener {
            after.extend(l.target_groups());
        }
        for rule in r.elb().listener_rules(&l.arn) {
            after.extend(rule.target_groups());
        }
    }
    let before = r.elb().lb_tgs(&lb.arn).len();
    after.extend(new_tgs.iter().map(String::as_str));
    if lb.is_alb() && after.len() > before && after.len() as u64 > r.quotas.target_groups_per_application_load_balancer {
        return Err(ApiError::too_many_unique_tgs(&lb.arn));
    }
    let after: Vec<&str> = after.into_iter().collect();
    check_lb_targets(r, &lb.arn, &after, &[])
}

pub fn write_listener(w: &mut Xml, l: &Listener) {
    w.leaf("ListenerArn", &l.arn).leaf("LoadBalancerArn", &l.lb_arn).int("Port", l.port).leaf("Protocol", &l.protocol);
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

/// The `Listeners` of Create, Describe and ModifyListener; `new` is the ARN a create made.
pub struct Listeners {
    page: Page,
    new: Option<String>,
}

impl Listeners {
    fn one(r: &Region, arn: &str, new: bool) -> Listeners {
        Listeners { page: Page::keyed(r.elb().listeners(), [arn], None), new: new.then(|| arn.to_string()) }
    }
}

impl Render for Listeners {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        w.list("Listeners", self.page.of(r.elb().listeners()), write_listener);
        w.opt("NextMarker", self.page.next.as_ref());
    }
    fn created(&self) -> Vec<&str> {
        self.new.iter().map(String::as_str).collect()
    }
}

/// Whether a repeated CreateListener asks for what exists (then AWS returns it): the same
/// target groups for an NLB, the same (normalised) actions for an ALB.
fn same(r: &Region, lb: &LoadBalancer, l: &Listener, s: &Spec) -> bool {
    let tgs = |a: &[Action]| a.iter().flat_map(|x| x.target_groups()).map(String::from).collect::<BTreeSet<String>>();
    let actions = if lb.is_alb() {
        let mut want = s.actions.clone();
        check_actions(r, lb, &s.protocol, &mut want).is_ok() && want == l.actions
    } else {
        tgs(&l.actions) == tgs(&s.actions)
    };
    l.protocol == s.protocol && l.certificate == s.certificate && l.ssl_policy == s.ssl_policy && l.alpn == s.alpn && actions
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
    type Output = Listeners;
    fn from_params(p: &P) -> ApiResult<Self> {
        let lb = required(p, "LoadBalancerArn")?.to_string();
        // [unverified] texts for the two members an NLB listener needs.
        let protocol =
            enum_member(p, "Protocol", PROTOCOLS)?.ok_or_else(|| ApiError::validation("A listener protocol must be specified"))?;
        let port = int_in(p, "Port", 1, 65535)?.ok_or_else(|| ApiError::validation("A listener port must be specified"))?;
        let actions = parse_actions(p, "DefaultActions")?;
        if actions.is_empty() {
            required(p, "DefaultActions")?;
        }
        let certificate = one_certificate(parse_certificates(p)?)?;
        let mut ssl_policy = p.str("SslPolicy").filter(|s| !s.is_empty()).map(String::from);
        if secure(protocol) && ssl_policy.is_none() {
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

    fn apply(mut self, r: &mut Region, cx: &Ctx) -> ApiResult<Listeners> {
        let lb = find_lb(r, &self.lb)?;
        check_protocol(&self.spec.protocol, lb.is_alb())?;
        check_tag_quota(&Vec::new(), &self.tags, r.quotas.elb_tags_per_resource)?;
        if let Some(l) = r.elb().lb_listeners(&lb.arn).find(|l| l.port == self.spec.port) {
            if same(r, lb, l, &self.spec) {
                return Ok(Listeners::one(r, &l.arn, false));
            }
            return Err(ApiError::duplicate_listener(&lb.arn));
        }
        check_spec(r, lb, &mut self.spec, None)?;
        if r.elb().lb_listeners(&lb.arn).count() as u64 >= r.quotas.listeners_per_lb(lb.is_alb()) {
            return Err(ApiError::too_many_listeners());
        }
        let (lb_arn, lb_name, lb_id, kind) = (lb.arn.clone(), lb.name.clone(), lb.id.clone(), lb.arn_kind());
        let id = r.ids.hex16();
        let arn = r.arn("elasticloadbalancing", &format!("listener/{kind}/{lb_name}/{lb_id}/{id}"));
        let rule_id = r.ids.hex16();
        let rule_arn = r.arn("elasticloadbalancing", &format!("listener-rule/{kind}/{lb_name}/{lb_id}/{id}/{rule_id}"));
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
            attributes: listener_defaults(kind == "app"),
            tags: self.tags,
            rule_arn,
            rule_tags: Vec::new(),
        };
        r.elb_mut().insert_listener(l, cx.now);
        Ok(Listeners::one(r, &arn, true))
    }
}

pub struct DescribeListeners {
    lb: Option<String>,
    arns: Vec<String>,
    paging: Paging,
}

impl ApiAction for DescribeListeners {
    type Output = Listeners;
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

    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Listeners> {
        let items: Vec<&Listener> = match &self.lb {
            Some(lb) => r.elb().lb_listeners(&find_lb(r, lb)?.arn).collect(),
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
        Ok(Listeners { page: Page::keyed(r.elb().listeners(), items.iter().map(|l| l.arn.as_str()), next), new: None })
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
    type Output = Listeners;
    fn from_params(p: &P) -> ApiResult<Self> {
        let protocol = enum_member(p, "Protocol", PROTOCOLS)?.map(String::from);
        Ok(ModifyListener {
            arn: required(p, "ListenerArn")?.to_string(),
            port: int_in(p, "Port", 1, 65535)?.map(|v| v as u16),
            protocol,
            ssl_policy: p.str("SslPolicy").filter(|s| !s.is_empty()).map(String::from),
            certificates: parse_certificates(p)?,
            actions: parse_actions(p, "DefaultActions")?,
            alpn: parse_alpn(p)?,
        })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Listeners> {
        let old = find_listener(r, &self.arn)?;
        let lb = find_lb(r, &old.lb_arn)?;
        let protocol = self.protocol.clone().unwrap_or_else(|| old.protocol.clone());
        let tls = secure(&protocol);
        let given_cert = one_certificate(self.certificates.clone())?;
        let mut spec = Spec {
            port: self.port.unwrap_or(old.port),
            // Leaving TLS drops the TLS settings, as AWS does; staying keeps them.
            certificate: given_cert.or_else(|| if tls { old.certificate.clone() } else { None }),
            ssl_policy: self
                .ssl_policy
                .clone()
                .or_else(|| if tls { old.ssl_policy.clone().or(Some(DEFAULT_SSL_POLICY.into())) } else { None }),
            alpn: self.alpn.clone().unwrap_or_else(|| if protocol == "TLS" { old.alpn.clone() } else { Vec::new() }),
            actions: if self.actions.is_empty() { old.actions.clone() } else { self.actions.clone() },
            protocol,
        };
        if r.elb().lb_listeners(&lb.arn).any(|l| l.port == spec.port && l.arn != self.arn) {
            return Err(ApiError::duplicate_listener(&lb.arn));
        }
        check_spec(r, lb, &mut spec, Some(&self.arn))?;
        let mut l = old.clone();
        l.extra_certificates = if secure(&spec.protocol) { l.extra_certificates } else { Vec::new() };
        l.port = spec.port;
        l.protocol = spec.protocol;
        l.certificate = spec.certificate;
        l.ssl_policy = spec.ssl_policy;
        l.alpn = spec.alpn;
        l.actions = spec.actions;
        r.elb_mut().replace_listener(l, cx.now);
        Ok(Listeners::one(r, &self.arn, false))
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
        r.elb_mut().remove_listener(&self.arn);
        Ok(Empty)
    }
}
