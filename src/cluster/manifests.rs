//! Kubernetes manifests into the store: multi-document YAML of Services, Pods and Nodes, read
//! with k8s-openapi's own types so field names and shapes are Kubernetes's.

use k8s_openapi::api::core::v1::{Node, Pod, Service};
use serde::Deserialize;

use super::store::ClusterStore;

/// Applies a multi-document YAML of Services, Pods and Nodes (other kinds are refused).
pub fn apply_manifests(store: &mut ClusterStore, text: &str) -> Result<(), String> {
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        let v = serde_yaml_ng::Value::deserialize(doc).map_err(|e| format!("manifest: {e}"))?;
        if v.is_null() {
            continue;
        }
        let kind = v.get("kind").and_then(|k| k.as_str()).unwrap_or("").to_string();
        let mut v = v;
        // Namespaced objects default to `default`, as kubectl does.
        if kind != "Node"
            && let Some(m) = v.get_mut("metadata").and_then(|m| m.as_mapping_mut())
            && !m.contains_key("namespace")
        {
            m.insert("namespace".into(), "default".into());
        }
        match kind.as_str() {
            "Service" => {
                store.apply(serde_yaml_ng::from_value::<Service>(v).map_err(|e| format!("Service manifest: {e}"))?);
            }
            "Pod" => {
                store.apply(serde_yaml_ng::from_value::<Pod>(v).map_err(|e| format!("Pod manifest: {e}"))?);
            }
            "Node" => {
                store.apply(serde_yaml_ng::from_value::<Node>(v).map_err(|e| format!("Node manifest: {e}"))?);
            }
            other => return Err(format!("manifest: kind {other:?} is not supported (Service, Pod, Node)")),
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
}
