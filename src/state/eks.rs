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
    /// Where the cluster's Kubernetes API is served (lbsim's https listener, whose CA
    /// `EksClusters::ca` holds). `None` when no Kubernetes API is served: the EKS-shaped host and
    /// a placeholder CA are reported.
    pub api_endpoint: Option<String>,
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

/// The https listener's CA, as EKS reports `certificateAuthority.data` (base64 of the PEM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ca {
    /// No Kubernetes API over https (or its keys could not be made).
    Absent,
    /// Being made on a thread of its own (`lbsim serve` does not wait for it to start).
    Pending,
    Ready(String),
}

/// Clusters by (account, region, name), and the CA of the listener their APIs are served on.
pub struct EksClusters {
    clusters: RwLock<BTreeMap<(String, String, String), EksCluster>>,
    ca: tokio::sync::watch::Sender<Ca>,
}

impl Default for EksClusters {
    fn default() -> Self {
        EksClusters { clusters: RwLock::default(), ca: tokio::sync::watch::Sender::new(Ca::Absent) }
    }
}

/// How long an EKS call waits for a CA still being made before answering without it.
const CA_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl EksClusters {
    pub fn register(&self, c: EksCluster) {
        self.clusters.write().insert((c.account.clone(), c.region.clone(), c.name.clone()), c);
    }
    pub fn remove(&self, account: &str, region: &str, name: &str) -> Option<EksCluster> {
        self.clusters.write().remove(&(account.to_string(), region.to_string(), name.to_string()))
    }
    pub fn get(&self, account: &str, region: &str, name: &str) -> Option<EksCluster> {
        self.clusters.read().get(&(account.to_string(), region.to_string(), name.to_string())).cloned()
    }
    /// Names in one account and region, sorted.
    pub fn names(&self, account: &str, region: &str) -> Vec<String> {
        self.clusters.read().keys().filter(|(a, r, _)| a == account && r == region).map(|(_, _, n)| n.clone()).collect()
    }
    pub fn set_ca(&self, ca: Ca) {
        self.ca.send_replace(ca);
    }
    /// The CA as it is now (`Pending` while it is being made).
    pub fn ca(&self) -> Ca {
        self.ca.borrow().clone()
    }
    /// Waits while the CA is being made (at most `CA_WAIT`), so no answer reports a cluster
    /// without the CA its API is served with.
    pub async fn ca_settled(&self) {
        let mut rx = self.ca.subscribe();
        let _ = tokio::time::timeout(CA_WAIT, rx.wait_for(|c| *c != Ca::Pending)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// An EKS call that arrives while the CA is being made waits for it, then sees it.
    #[tokio::test]
    async fn calls_wait_for_a_pending_ca() {
        let reg = Arc::new(EksClusters::default());
        assert_eq!(reg.ca(), Ca::Absent);
        reg.set_ca(Ca::Pending);
        let r = reg.clone();
        let waiter = tokio::spawn(async move {
            r.ca_settled().await;
            r.ca()
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "answered before the CA was made");
        reg.set_ca(Ca::Ready("Q0E=".into()));
        assert_eq!(waiter.await.unwrap(), Ca::Ready("Q0E=".into()));
    }
}
