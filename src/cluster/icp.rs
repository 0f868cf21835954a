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
    #[serde(default, rename = "inboundCIDRs", skip_serializing_if = "Vec::is_empty")]
    pub inbound_cidrs: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ssl_policy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnets: Option<IcpSubnets>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<IcpTag>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_balancer_attributes: Vec<IcpTag>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub load_balancer_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificate_arn: Vec<String>,
    /// A port number as a string (the CRD's type); not numeric means no redirect.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ssl_redirect_port: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_type: String,
    #[serde(default, rename = "prefixListsIDs", skip_serializing_if = "Vec::is_empty")]
    pub prefix_lists_ids: Vec<String>,
    /// The CRD's legacy spelling, still read.
    #[serde(default, rename = "PrefixListsIDs", skip_serializing_if = "Vec::is_empty")]
    pub prefix_lists_ids_legacy: Vec<String>,
    /// Everything else the CRD allows, kept as written.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IcpGroup {
    pub name: String,
}

/// A subnet selector: ids, or tags (key → any of the values).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IcpSubnets {
    #[serde(default, rename = "ids", skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tags: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IcpTag {
    pub key: String,
    pub value: String,
}
