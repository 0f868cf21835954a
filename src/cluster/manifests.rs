//! Kubernetes manifests into the store: multi-document YAML of Services, Pods, Nodes, Ingresses,
//! IngressClasses and IngressClassParams, read with k8s-openapi's own types (and the CRD's type)
//! so field names and shapes are Kubernetes's. Every document is parsed before any is stored.

use k8s_openapi::api::core::v1::{Node, Pod, Service};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use serde::Deserialize;

use super::icp::IngressClassParams;
use super::store::ClusterStore;

/// The kinds a manifest may hold.
pub const KINDS: &str = "Service, Pod, Node, Ingress, IngressClass, IngressClassParams";

/// Cluster-scoped kinds: stored under namespace "", never defaulted to `default`.
fn cluster_scoped(kind: &str) -> bool {
    matches!(kind, "Node" | "IngressClass" | "IngressClassParams")
}

enum Doc {
    Service(Box<Service>),
    Pod(Box<Pod>),
    Node(Box<Node>),
    Ingress(Box<Ingress>),
    IngressClass(Box<IngressClass>),
    IngressClassParams(Box<IngressClassParams>),
}

fn parse<T: serde::de::DeserializeOwned>(kind: &str, v: serde_yaml_ng::Value) -> Result<Box<T>, String> {
    serde_yaml_ng::from_value::<T>(v).map(Box::new).map_err(|e| format!("{kind} manifest: {e}"))
}

/// Applies a multi-document YAML of the kinds in [`KINDS`] (others are refused, and then
/// nothing is applied).
pub fn apply_manifests(store: &mut ClusterStore, text: &str) -> Result<(), String> {
    let mut docs = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        let v = serde_yaml_ng::Value::deserialize(doc).map_err(|e| format!("manifest: {e}"))?;
        if v.is_null() {
            continue;
        }
        let kind = v.get("kind").and_then(|k| k.as_str()).unwrap_or("").to_string();
        let mut v = v;
        // Namespaced objects default to `default`, as kubectl does.
        if !cluster_scoped(&kind)
            && let Some(m) = v.get_mut("metadata").and_then(|m| m.as_mapping_mut())
            && !m.contains_key("namespace")
        {
            m.insert("namespace".into(), "default".into());
        }
        docs.push(match kind.as_str() {
            "Service" => Doc::Service(parse(&kind, v)?),
            "Pod" => Doc::Pod(parse(&kind, v)?),
            "Node" => Doc::Node(parse(&kind, v)?),
            "Ingress" => Doc::Ingress(parse(&kind, v)?),
            "IngressClass" => Doc::IngressClass(parse(&kind, v)?),
            "IngressClassParams" => Doc::IngressClassParams(parse(&kind, v)?),
            other => return Err(format!("manifest: kind {other:?} is not supported ({KINDS})")),
        });
    }
    for d in docs {
        match d {
            Doc::Service(o) => {
                store.apply(*o);
            }
            Doc::Pod(o) => {
                store.apply(*o);
            }
            Doc::Node(o) => {
                store.apply(*o);
            }
            Doc::Ingress(o) => {
                store.apply(*o);
            }
            Doc::IngressClass(o) => {
                store.apply(*o);
            }
            Doc::IngressClassParams(o) => {
                store.apply(*o);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_parse_with_k8s_types() {
        let mut s = ClusterStore::new("demo", crate::clock::Clock::Wall);
        apply_manifests(
            &mut s,
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: echo\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\nspec:\n  type: LoadBalancer\n  selector: {app: echo}\n  ports:\n  - port: 80\n    targetPort: http\n---\n",
        )
        .unwrap();
        let svc: Service = s.get("default", "echo").unwrap();
        assert_eq!(svc.spec.unwrap().ports.unwrap()[0].node_port, Some(30000));
        assert!(apply_manifests(&mut s, "kind: Deployment\nmetadata: {name: x}\n").is_err());
    }

    #[test]
    fn ingress_kinds_and_all_or_nothing() {
        let mut s = ClusterStore::new("demo", crate::clock::Clock::Wall);
        apply_manifests(
            &mut s,
            "kind: IngressClass\nmetadata: {name: alb}\nspec: {controller: ingress.k8s.aws/alb, parameters: {apiGroup: elbv2.k8s.aws, kind: IngressClassParams, name: p}}\n---\nkind: IngressClassParams\nmetadata: {name: p}\nspec: {scheme: internal, group: {name: g}, inboundCIDRs: [10.0.0.0/8]}\n---\nkind: Ingress\nmetadata: {name: web}\nspec: {ingressClassName: alb, rules: [{http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]}\n",
        )
        .unwrap();
        assert!(s.get::<IngressClass>("", "alb").is_some());
        let p: IngressClassParams = s.get("", "p").unwrap();
        assert_eq!((p.spec.scheme.as_deref(), p.spec.inbound_cidrs().len()), (Some("internal"), 1));
        assert!(s.get::<Ingress>("default", "web").is_some());
        // A bad document anywhere stores none of them.
        let e =
            apply_manifests(&mut s, "kind: Ingress\nmetadata: {name: two}\n---\nkind: Ingress\nmetadata: {name: 3}\nspec: {rules: 7}\n");
        assert!(e.is_err());
        assert!(s.get::<Ingress>("default", "two").is_none());
    }
}
