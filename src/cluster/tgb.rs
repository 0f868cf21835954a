//! The `TargetGroupBinding` custom resource (`elbv2.k8s.aws/v1beta1`, lbc-reconciler.md §2.2),
//! as the Service reconciler writes it and the TargetGroupBinding controller reads it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupBinding {
    pub metadata: ObjectMeta,
    pub spec: TgbSpec,
    #[serde(default)]
    pub status: TgbStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TgbSpec {
    #[serde(rename = "targetGroupARN")]
    pub target_group_arn: String,
    /// `instance` or `ip`.
    pub target_type: String,
    pub service_ref: ServiceRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networking: Option<TgbNetworking>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<std::collections::BTreeMap<String, String>>,
    /// `ipv4` or `ipv6`.
    pub ip_address_type: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRef {
    pub name: String,
    /// The Service port: its number, or its name (the Service reconciler writes the number,
    /// the Ingress reconciler the port as the Ingress writes it).
    pub port: k8s_openapi::apimachinery::pkg::util::intstr::IntOrString,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TgbNetworking {
    pub ingress: Vec<NetworkingIngressRule>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkingIngressRule {
    pub from: Vec<NetworkingPeer>,
    pub ports: Vec<NetworkingPort>,
}

/// Exactly one of the two.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkingPeer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<IpBlock>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group: Option<SecurityGroupPeer>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IpBlock {
    pub cidr: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupPeer {
    #[serde(rename = "groupID")]
    pub group_id: String,
}

/// `protocol` is `TCP` or `UDP`; `port` (a number or a named pod port) absent means all ports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkingPort {
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TgbStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}
