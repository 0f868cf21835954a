//! EKS clusters this process answers DescribeCluster / ListClusters for: registered when a
//! cluster fixture is loaded (the AWS side of a fixture is created through the EC2 API; EKS
//! itself has no create path in lbsim).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use parking_lot::RwLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EksCluster {
    pub name: String,
    pub account: String,
    pub region: String,
    pub version: String,
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    /// Additional control-plane groups (none by default).
    pub security_group_ids: Vec<String>,
    pub cluster_security_group_id: String,
    pub created_at: DateTime<Utc>,
    /// The 32-hex-digit id in the API server endpoint host.
    pub endpoint_id: String,
    /// Where the cluster's Kubernetes API is served (lbsim's https listener), and its CA
    /// (base64 of the PEM, as EKS reports `certificateAuthority.data`). `None` when no
    /// Kubernetes API is served: the EKS-shaped host and a placeholder CA are reported.
    pub api_endpoint: Option<String>,
    pub certificate_authority: Option<String>,
}

impl EksCluster {
    pub fn arn(&self) -> String {
        format!("arn:{}:eks:{}:{}:cluster/{}", crate::state::region::partition_of(&self.region), self.region, self.account, self.name)
    }
    pub fn endpoint(&self) -> String {
        match &self.api_endpoint {
            Some(e) => e.clone(),
            None => format!("https://{}.gr7.{}.eks.amazonaws.com", self.endpoint_id, self.region),
        }
    }
}

/// Clusters by (account, region, name).
#[derive(Default)]
pub struct EksClusters(RwLock<BTreeMap<(String, String, String), EksCluster>>);

impl EksClusters {
    pub fn register(&self, c: EksCluster) {
        self.0.write().insert((c.account.clone(), c.region.clone(), c.name.clone()), c);
    }
    pub fn remove(&self, account: &str, region: &str, name: &str) -> Option<EksCluster> {
        self.0.write().remove(&(account.to_string(), region.to_string(), name.to_string()))
    }
    pub fn get(&self, account: &str, region: &str, name: &str) -> Option<EksCluster> {
        self.0.read().get(&(account.to_string(), region.to_string(), name.to_string())).cloned()
    }
    /// Names in one account and region, sorted.
    pub fn names(&self, account: &str, region: &str) -> Vec<String> {
        self.0.read().keys().filter(|(a, r, _)| a == account && r == region).map(|(_, _, n)| n.clone()).collect()
    }
}
