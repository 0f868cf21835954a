//! The controller's model (lbc-reconciler.md §3): Service + controller config + facts already
//! read from AWS → the desired stack. Pure: every AWS read happened before (discovery.rs);
//! nothing here calls anything.
//!
//! Owns: the stack's types and the controller's tag names (here; the ALB listener and rule
//! types in `alb`, shared with the Ingress model), `build` (the stack, with the §3.3
//! security-group decision from sg_decision and the rule sets from networking), `health_check`
//! (§2.6 defaults and annotations), `tags` (tracking and user tags). A stack says which
//! tracking-tag keys and TargetGroupBinding labels it uses, so the deploy steps serve both
//! controllers (lbc-ingress.md §3.2).

pub mod alb;
mod build;
mod health_check;
mod tags;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Service;

pub use build::{build, scheme, sg_inputs};
pub use tags::{tracking_tags, tracking_tags_with};

use super::annotations::{self as a, Annotations};
use super::config::ControllerConfig;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::networking::{Permission, Source};

pub const FINALIZER: &str = "service.k8s.aws/resources";
pub const TAG_CLUSTER: &str = "elbv2.k8s.aws/cluster";
pub const TAG_STACK: &str = "service.k8s.aws/stack";
pub const TAG_RESOURCE: &str = "service.k8s.aws/resource";
pub const LEGACY_TAG_CLUSTER: &str = "ingress.k8s.aws/cluster";
pub const LB_RESOURCE: &str = "LoadBalancer";
pub const FRONTEND_RESOURCE: &str = "ManagedLBSecurityGroup";
pub const FRONTEND_DESCRIPTION: &str = "[k8s] Managed SecurityGroup for LoadBalancer";
pub const LABEL_STACK_NS: &str = "service.k8s.aws/stack-namespace";
pub const LABEL_STACK_NAME: &str = "service.k8s.aws/stack-name";
/// The Ingress reconciler's tracking keys (prefix `ingress.k8s.aws`, lbc-ingress.md §3.2).
pub const INGRESS_TAG_STACK: &str = "ingress.k8s.aws/stack";
pub const INGRESS_TAG_RESOURCE: &str = "ingress.k8s.aws/resource";
pub const INGRESS_LABEL_STACK_NS: &str = "ingress.k8s.aws/stack-namespace";
pub const INGRESS_LABEL_STACK_NAME: &str = "ingress.k8s.aws/stack-name";
/// The Ingress finalizers: an implicit group's, and the prefix of an explicit group's.
pub const INGRESS_IMPLICIT_FINALIZER: &str = "ingress.k8s.aws/resources";
pub const INGRESS_GROUP_FINALIZER_PREFIX: &str = "group.ingress.k8s.aws/";

/// Which tracking-tag keys a stack's resources carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagKeys {
    pub stack: &'static str,
    pub resource: &'static str,
}

pub const SERVICE_KEYS: TagKeys = TagKeys { stack: TAG_STACK, resource: TAG_RESOURCE };
pub const INGRESS_KEYS: TagKeys = TagKeys { stack: INGRESS_TAG_STACK, resource: INGRESS_TAG_RESOURCE };

impl Default for TagKeys {
    fn default() -> Self {
        SERVICE_KEYS
    }
}
/// Token for the frontend group's id inside TGB networking, replaced once the group exists.
pub const FRONTEND_TOKEN: &str = "$frontend-sg";
/// Placeholder port for a named target port in rule computations (resolved per pod).
const NAMED_PORT: i32 = -1;

/// The existing LB found by stack tags (§1.7).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExistingLb {
    pub arn: String,
    pub name: String,
    pub scheme: String,
    pub security_groups: Vec<String>,
    pub subnets: Vec<String>,
    pub dns_name: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubnetFact {
    pub id: String,
    pub az: String,
    pub cidr: String,
    pub ipv6_cidrs: Vec<String>,
}

/// What discovery read from AWS for this build.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub existing_lb: Option<ExistingLb>,
    /// Resolved LB subnets (§3.8), sorted by id.
    pub subnets: Vec<SubnetFact>,
    /// Resolved `aws-load-balancer-security-groups`, in annotation order.
    pub user_sgs: Option<Vec<String>>,
    pub backend_sg: Option<String>,
    /// The VPC's IPv4 CIDRs (default legacy source of internal LBs).
    pub vpc_cidrs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadBalancer {
    /// `network` or `application`.
    pub lb_type: String,
    pub name: String,
    pub scheme: String,
    pub ip_address_type: String,
    pub subnets: Vec<SubnetMapping>,
    /// Concrete ids, or `FRONTEND_TOKEN`.
    pub security_groups: Vec<String>,
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    /// HEAD: `EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic`.
    pub private_link_inbound: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubnetMapping {
    pub subnet_id: String,
    pub allocation_id: Option<String>,
    pub private_ipv4: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FrontendSg {
    pub name: String,
    pub tags: BTreeMap<String, String>,
    pub ingress: Vec<Permission>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    pub protocol: String,
    /// `traffic-port` or a number.
    pub port: String,
    pub path: Option<String>,
    pub matcher: Option<String>,
    /// The matcher is a gRPC code (`GrpcCode`), not an HTTP code (protocol version GRPC).
    pub matcher_grpc: bool,
    pub interval: i32,
    pub timeout: i32,
    pub healthy: i32,
    pub unhealthy: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetGroup {
    /// `<ns>/<name>:<service port>`.
    pub resource_id: String,
    pub name: String,
    pub target_type: String,
    pub port: i32,
    pub protocol: String,
    /// ALB target groups: `HTTP1`, `HTTP2` or `GRPC` (part of the identity: a change replaces).
    pub protocol_version: Option<String>,
    pub ip_address_type: String,
    pub health_check: HealthCheck,
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Listener {
    pub port: i32,
    pub protocol: String,
    pub tg_resource_id: String,
    pub certificates: Vec<String>,
    pub ssl_policy: Option<String>,
    pub alpn: Option<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetRule {
    /// Group ids (or `FRONTEND_TOKEN`) and CIDRs.
    pub from: Vec<Source>,
    pub ports: Vec<NetPort>,
}

/// (`TCP`/`UDP`, port; `None` = all ports).
pub type NetPort = (String, Option<IntOrString>);

#[derive(Debug, Clone, PartialEq)]
pub struct Tgb {
    pub name: String,
    /// The Service's namespace (where the binding lives) and name.
    pub namespace: String,
    pub service_name: String,
    pub tg_resource_id: String,
    pub target_type: String,
    /// As the Service reconciler (the number) or the Ingress (number or name) writes it.
    pub service_port: IntOrString,
    pub networking: Option<Vec<NetRule>>,
    pub node_selector: Option<BTreeMap<String, String>>,
    pub ip_address_type: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stack {
    /// `<ns>/<name>` (a Service, an implicit IngressGroup) or `<group>` (an explicit group).
    pub id: String,
    pub namespace: String,
    pub name: String,
    /// The tracking-tag keys of the stack's resources.
    pub keys: TagKeys,
    /// The labels its TargetGroupBindings carry and are found by (any namespace).
    pub tgb_labels: BTreeMap<String, String>,
    /// `None`: the Service is not (or no longer) handled — delete everything (§4.7).
    pub lb: Option<LoadBalancer>,
    pub frontend_sg: Option<FrontendSg>,
    pub target_groups: Vec<TargetGroup>,
    pub listeners: Vec<Listener>,
    /// ALB listeners with their default actions and rules (empty for an NLB).
    pub alb_listeners: Vec<alb::AlbListener>,
    pub tgbs: Vec<Tgb>,
    pub backend_sg_allocated: bool,
    /// The §3.3 row that applied (for tests and events).
    pub sg_row: Option<char>,
}

pub(super) fn meta(svc: &Service) -> (String, String, String) {
    let m = &svc.metadata;
    (m.namespace.clone().unwrap_or_default(), m.name.clone().unwrap_or_default(), m.uid.clone().unwrap_or_default())
}

pub(super) fn annotations(svc: &Service) -> BTreeMap<String, String> {
    svc.metadata.annotations.clone().unwrap_or_default()
}

/// §1.1: whether the controller handles this Service.
pub fn supported(svc: &Service, cfg: &ControllerConfig) -> bool {
    if svc.metadata.deletion_timestamp.is_some() {
        return false;
    }
    let spec = svc.spec.clone().unwrap_or_default();
    if cfg.feature_gates.service_type_lb_only && spec.type_.as_deref() != Some("LoadBalancer") {
        return false;
    }
    if let Some(class) = spec.load_balancer_class.as_deref().filter(|c| !c.is_empty()) {
        return class == cfg.load_balancer_class;
    }
    let ann = annotations(svc);
    let ann = Annotations(&ann);
    match ann.str(a::TYPE) {
        Some("nlb-ip") => true,
        Some("external") => matches!(ann.str(a::TARGET_TYPE), Some("ip") | Some("instance")),
        _ => false,
    }
}
