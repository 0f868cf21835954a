//! Ingress-side names (lbc-ingress.md §3.1): the ALB of an implicit group
//! `k8s-<ns8>-<name8>-<hash10(cluster, ns/name, scheme)>`, of an explicit group
//! `k8s-<group17>-<hash10(cluster, group, scheme)>`, the managed security group (the same shapes,
//! hashed without the scheme) and the target group of one (Ingress, Service, port) —
//! so two Ingresses using the same Service port get two target groups.

use super::group::GroupId;
use crate::reconciler::naming::{hash10, sanitize};

fn cut(s: &str, n: usize) -> String {
    sanitize(s).chars().take(n).collect()
}

fn stack(id: &GroupId, hash: &str) -> String {
    match id {
        GroupId::Implicit { namespace, name } => format!("k8s-{}-{}-{hash}", cut(namespace, 8), cut(name, 8)),
        GroupId::Explicit(group) => format!("k8s-{}-{hash}", cut(group, 17)),
    }
}

/// The ALB's name; a scheme change gives a new name (the ALB is replaced).
pub fn load_balancer(cluster: &str, id: &GroupId, scheme: &str) -> String {
    stack(id, &hash10(&[cluster, &id.to_string(), scheme]))
}

/// The managed (frontend) security group's name.
pub fn managed_sg(cluster: &str, id: &GroupId) -> String {
    stack(id, &hash10(&[cluster, &id.to_string()]))
}

/// What a target group's name depends on: changing any of these gives a new target group.
pub struct TargetGroupKey<'a> {
    pub ingress_namespace: &'a str,
    pub ingress_name: &'a str,
    pub service_name: &'a str,
    pub service_uid: &'a str,
    /// The Service port as the Ingress writes it (`80` or `http`).
    pub service_port: &'a str,
    pub tg_port: i32,
    pub target_type: &'a str,
    pub protocol: &'a str,
    pub protocol_version: &'a str,
}

pub fn target_group(cluster: &str, id: &GroupId, k: &TargetGroupKey) -> String {
    let port = k.tg_port.to_string();
    let group = id.to_string();
    let hash = hash10(&[
        cluster,
        &group,
        k.ingress_namespace,
        k.ingress_name,
        k.service_uid,
        k.service_port,
        &port,
        k.target_type,
        k.protocol,
        k.protocol_version,
    ]);
    format!("k8s-{}-{}-{hash}", cut(k.ingress_namespace, 8), cut(k.service_name, 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: &str = "8f0c5b8e-1111-4a2b-9c3d-abcdef012345";

    fn implicit() -> GroupId {
        GroupId::Implicit { namespace: "team-a".into(), name: "echo-ingress".into() }
    }

    // The test vectors of lbc-ingress.md §3.1 (cluster `demo-cluster`).
    #[test]
    fn names_match_the_reference_vectors() {
        assert_eq!(load_balancer("demo-cluster", &implicit(), "internet-facing"), "k8s-teama-echoingr-1973d9a70b");
        assert_eq!(load_balancer("demo-cluster", &implicit(), "internal"), "k8s-teama-echoingr-b9832a3e11");
        assert_eq!(managed_sg("demo-cluster", &implicit()), "k8s-teama-echoingr-4a4af7d1b2");
        let shared = GroupId::Explicit("shared-alb".into());
        assert_eq!(load_balancer("demo-cluster", &shared, "internet-facing"), "k8s-sharedalb-5c15958aec");
        assert_eq!(load_balancer("demo-cluster", &shared, "internal"), "k8s-sharedalb-dde01f172d");
        assert_eq!(managed_sg("demo-cluster", &shared), "k8s-sharedalb-682939f593");
        let key = TargetGroupKey {
            ingress_namespace: "team-a",
            ingress_name: "echo-ingress",
            service_name: "echo-server",
            service_uid: UID,
            service_port: "80",
            tg_port: 31080,
            target_type: "instance",
            protocol: "HTTP",
            protocol_version: "HTTP1",
        };
        assert_eq!(target_group("demo-cluster", &implicit(), &key), "k8s-teama-echoserv-4ecffb792b");
        assert_eq!(target_group("demo-cluster", &shared, &key), "k8s-teama-echoserv-4708b2823b");
    }
}
