//! The `IngressClassParams` custom resource (`elbv2.k8s.aws/v1beta1`, cluster-scoped,
//! lbc-ingress.md §1.2): the fields the Ingress reconciler reads, named as the CRD names them.
//! Fields lbsim does not act on (IPAM, listeners, mTLS, WAF, capacity) are kept as JSON so a
//! manifest carrying them still loads and round-trips.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressClassParams {
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: IcpSpec,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IcpSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<IcpGroup>,
    /// `internal` or `internet-facing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address_type: Option<String>,
    #[serde(default, rename = "inboundCIDRs", skip_serializing_if = "Option::is_none")]
    pub inbound_cidrs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnets: Option<IcpSubnets>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<IcpTag>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_attributes: Option<Vec<IcpTag>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<Vec<String>>,
    /// A port number as a string (the CRD's type); not numeric means no redirect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_redirect_port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    #[serde(default, rename = "prefixListsIDs", skip_serializing_if = "Option::is_none")]
    pub prefix_lists_ids: Option<Vec<String>>,
    /// The CRD's legacy spelling, still read.
    #[serde(default, rename = "PrefixListsIDs", skip_serializing_if = "Option::is_none")]
    pub prefix_lists_ids_legacy: Option<Vec<String>>,
    /// Everything else the CRD allows, kept as written.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// Absent and empty read alike (the Go controller's zero values); the fields stay `Option` so an
/// object keeps what its writer gave (`tags: []` stays, and is no unknown field to strict field
/// validation, which compares a decoded-and-encoded object with the input).
impl IcpSpec {
    pub fn tags(&self) -> &[IcpTag] {
        self.tags.as_deref().unwrap_or_default()
    }
    pub fn load_balancer_attributes(&self) -> &[IcpTag] {
        self.load_balancer_attributes.as_deref().unwrap_or_default()
    }
    pub fn inbound_cidrs(&self) -> &[String] {
        self.inbound_cidrs.as_deref().unwrap_or_default()
    }
    pub fn certificate_arn(&self) -> &[String] {
        self.certificate_arn.as_deref().unwrap_or_default()
    }
    /// `prefixListsIDs`, else the legacy `PrefixListsIDs`.
    pub fn prefix_lists(&self) -> &[String] {
        match self.prefix_lists_ids.as_deref() {
            Some(v) if !v.is_empty() => v,
            _ => self.prefix_lists_ids_legacy.as_deref().unwrap_or_default(),
        }
    }
    pub fn ssl_policy(&self) -> &str {
        self.ssl_policy.as_deref().unwrap_or_default()
    }
    pub fn load_balancer_name(&self) -> &str {
        self.load_balancer_name.as_deref().unwrap_or_default()
    }
    pub fn ssl_redirect_port(&self) -> &str {
        self.ssl_redirect_port.as_deref().unwrap_or_default()
    }
    pub fn target_type(&self) -> &str {
        self.target_type.as_deref().unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IcpGroup {
    pub name: String,
}

/// A subnet selector: ids, or tags (key → any of the values).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IcpSubnets {
    #[serde(default, rename = "ids", skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IcpTag {
    pub key: String,
    pub value: String,
}
