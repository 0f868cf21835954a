//! Generated names (lbc-reconciler.md §2.1): `k8s-<ns8>-<name8>-<hash10>` where the parts are the
//! sanitised (ASCII alphanumerics only) namespace and name truncated to 8 characters, and the hash
//! is the first 10 hex digits of SHA-256 over the plain concatenation of the listed inputs.

use sha2::{Digest, Sha256};

/// Drops every character that is not an ASCII letter or digit (`team-a` → `teama`).
pub fn sanitize(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

fn prefix(s: &str, n: usize) -> &str {
    // Sanitised strings are ASCII, so byte indexing is character indexing.
    &s[..s.len().min(n)]
}

/// First 10 lowercase hex digits of SHA-256 over the concatenated parts (no separators).
pub fn hash10(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())[..10].to_string()
}

fn stack_name(namespace: &str, name: &str, hash: &str) -> String {
    format!("k8s-{}-{}-{hash}", prefix(&sanitize(namespace), 8), prefix(&sanitize(name), 8))
}

/// NLB name: hash of cluster, Service UID and scheme (`internal` / `internet-facing`).
pub fn load_balancer(cluster: &str, namespace: &str, name: &str, uid: &str, scheme: &str) -> String {
    stack_name(namespace, name, &hash10(&[cluster, uid, scheme]))
}

/// What a target group's name depends on (§2.1): changing any of these changes the name.
pub struct TargetGroupKey<'a> {
    pub tg_port: i32,
    pub service_port: i32,
    pub target_type: &'a str,
    pub protocol: &'a str,
    pub health_check_protocol: &'a str,
    pub health_check_interval: i32,
}

pub fn target_group(cluster: &str, namespace: &str, name: &str, uid: &str, k: &TargetGroupKey) -> String {
    let (tg, svc, hc) = (k.tg_port.to_string(), k.service_port.to_string(), k.health_check_interval.to_string());
    stack_name(namespace, name, &hash10(&[cluster, uid, &tg, &svc, k.target_type, k.protocol, k.health_check_protocol, &hc]))
}

/// Frontend ("managed") security group: hash of cluster, Service name, namespace, UID — in that order.
pub fn frontend_sg(cluster: &str, namespace: &str, name: &str, uid: &str) -> String {
    stack_name(namespace, name, &hash10(&[cluster, name, namespace, uid]))
}

/// The cluster's shared backend security group: `k8s-traffic-<cluster, 232 chars>-<hash10(cluster)>`.
pub fn backend_sg(cluster: &str) -> String {
    format!("k8s-traffic-{}-{}", prefix(&sanitize(cluster), 232), hash10(&[cluster]))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Test vectors of lbc-reconciler.md §2.1.
    const CLUSTER: &str = "demo-cluster";
    const NS: &str = "team-a";
    const NAME: &str = "echo-server";
    const UID: &str = "8f0c5b8e-1111-4a2b-9c3d-abcdef012345";

    #[test]
    fn reference_vectors() {
        assert_eq!(load_balancer(CLUSTER, NS, NAME, UID, "internet-facing"), "k8s-teama-echoserv-5da7befbf2");
        assert_eq!(frontend_sg(CLUSTER, NS, NAME, UID), "k8s-teama-echoserv-1d0767bf55");
        let k = TargetGroupKey {
            tg_port: 31080,
            service_port: 80,
            target_type: "instance",
            protocol: "TCP",
            health_check_protocol: "TCP",
            health_check_interval: 10,
        };
        assert_eq!(target_group(CLUSTER, NS, NAME, UID, &k), "k8s-teama-echoserv-83fea54d61");
        assert_eq!(backend_sg(CLUSTER), "k8s-traffic-democluster-36d0873f31");
    }

    #[test]
    fn names_fit_the_elb_limit_and_follow_the_scheme() {
        let long = "a-very-long-namespace-name-indeed";
        let n = load_balancer(CLUSTER, long, long, UID, "internal");
        assert!(n.len() <= 32, "{n}");
        assert_ne!(n, load_balancer(CLUSTER, long, long, UID, "internet-facing"));
        assert_eq!(sanitize("a.b_c-d9"), "abcd9");
    }
}
