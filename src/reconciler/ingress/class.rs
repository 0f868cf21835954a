//! Which Ingresses the controller handles (lbc-ingress.md §1.1, `classifyIngress`,
//! `class_loader.go`): the legacy `kubernetes.io/ingress.class` annotation decides alone when
//! present; otherwise `spec.ingressClassName` (or the one default IngressClass) names an
//! IngressClass whose controller must be `ingress.k8s.aws/alb`, with optional
//! IngressClassParams (`elbv2.k8s.aws`, `IngressClassParams`) whose `namespaceSelector` must
//! match the Ingress's namespace. No class at all: handled only when `--ingress-class` is empty.
//! Reads the cluster store only.

use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::annotations::INGRESS_CLASS;
use crate::cluster::ClusterStore;
use crate::cluster::icp::{IcpSpec, IngressClassParams};

pub const CONTROLLER: &str = "ingress.k8s.aws/alb";
const DEFAULT_CLASS: &str = "ingressclass.kubernetes.io/is-default-class";

/// An Ingress as classified: handled or not, and the IngressClassParams that apply.
#[derive(Debug, Clone, Default)]
pub struct Class {
    pub managed: bool,
    pub params: Option<(String, IcpSpec)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassError {
    /// `ErrInvalidIngressClass`: tolerated unless the Ingress already carries the finalizer.
    Invalid(String),
    /// Anything else breaks every group load (two default classes).
    Fatal(String),
}

fn invalid(msg: String) -> ClassError {
    ClassError::Invalid(format!("invalid ingress class: {msg}"))
}

/// The default IngressClass's name, if exactly one is marked default.
fn default_class(store: &ClusterStore) -> Result<Option<String>, ClassError> {
    let defaults: Vec<String> = store
        .list::<IngressClass>()
        .into_iter()
        .filter(|c| c.metadata.annotations.as_ref().and_then(|a| a.get(DEFAULT_CLASS)).map(String::as_str) == Some("true"))
        .filter_map(|c| c.metadata.name)
        .collect();
    if defaults.len() > 1 {
        return Err(ClassError::Fatal("multiple default IngressClasses found".into()));
    }
    Ok(defaults.into_iter().next())
}

/// Labels of a namespace. Namespaces are not objects of this store yet, so a namespace has
/// the one label Kubernetes always gives it (`kubernetes.io/metadata.name`).
fn namespace_labels(ns: &str) -> std::collections::BTreeMap<String, String> {
    [("kubernetes.io/metadata.name".to_string(), ns.to_string())].into()
}

/// `metav1.LabelSelectorAsSelector` + `Matches`.
pub fn selector_matches(sel: &LabelSelector, labels: &std::collections::BTreeMap<String, String>) -> bool {
    let by_labels = sel.match_labels.as_ref().is_none_or(|m| m.iter().all(|(k, v)| labels.get(k) == Some(v)));
    let by_expr = sel.match_expressions.iter().flatten().all(|e| {
        let vals = e.values.clone().unwrap_or_default();
        match e.operator.as_str() {
            "In" => labels.get(&e.key).is_some_and(|v| vals.contains(v)),
            "NotIn" => labels.get(&e.key).is_none_or(|v| !vals.contains(v)),
            "Exists" => labels.contains_key(&e.key),
            "DoesNotExist" => !labels.contains_key(&e.key),
            _ => false,
        }
    });
    by_labels && by_expr
}

pub fn classify(store: &ClusterStore, ing: &Ingress, ingress_class_flag: &str) -> Result<Class, ClassError> {
    if let Some(v) = ing.metadata.annotations.as_ref().and_then(|a| a.get(INGRESS_CLASS)) {
        let managed = if ingress_class_flag.is_empty() { v == "alb" } else { v == ingress_class_flag };
        return Ok(Class { managed, params: None });
    }
    let name = match ing.spec.as_ref().and_then(|s| s.ingress_class_name.clone()) {
        Some(n) => n,
        None => match default_class(store)? {
            Some(n) => n,
            None => return Ok(Class { managed: ingress_class_flag.is_empty(), params: None }),
        },
    };
    let Some(class) = store.get::<IngressClass>("", &name) else {
        return Err(invalid(format!("ingressclasses.networking.k8s.io \"{name}\" not found")));
    };
    let spec = class.spec.clone().unwrap_or_default();
    let controller = spec.controller.clone().unwrap_or_default();
    let Some(p) = spec.parameters.filter(|_| controller == CONTROLLER) else {
        return Ok(Class { managed: controller == CONTROLLER, params: None });
    };
    if p.api_group.as_deref() != Some("elbv2.k8s.aws") || p.kind != "IngressClassParams" {
        return Err(invalid(format!("IngressClass {name} references unknown parameters")));
    }
    let Some(params) = store.get::<IngressClassParams>("", &p.name) else {
        return Err(invalid(format!("ingressclassparams.elbv2.k8s.aws \"{}\" not found", p.name)));
    };
    let ns = ing.metadata.namespace.clone().unwrap_or_default();
    if let Some(sel) = &params.spec.namespace_selector
        && !selector_matches(sel, &namespace_labels(&ns))
    {
        return Err(invalid(format!("namespaceSelector of IngressClassParams {} mismatch", p.name)));
    }
    Ok(Class { managed: true, params: Some((p.name.clone(), params.spec)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::apply_manifests;

    fn store(manifests: &str) -> ClusterStore {
        let mut s = ClusterStore::new("c", crate::clock::Clock::Wall);
        apply_manifests(&mut s, manifests).unwrap();
        s
    }

    fn ing(yaml: &str) -> Ingress {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    #[test]
    fn annotation_class_default_class_and_params() {
        let s = store(
            "kind: IngressClass\nmetadata: {name: alb, annotations: {ingressclass.kubernetes.io/is-default-class: 'true'}}\nspec: {controller: ingress.k8s.aws/alb}\n---\nkind: IngressClass\nmetadata: {name: nginx}\nspec: {controller: k8s.io/ingress-nginx}\n---\nkind: IngressClass\nmetadata: {name: team}\nspec: {controller: ingress.k8s.aws/alb, parameters: {apiGroup: elbv2.k8s.aws, kind: IngressClassParams, name: team}}\n---\nkind: IngressClassParams\nmetadata: {name: team}\nspec: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: team-a}}, scheme: internal}\n",
        );
        let legacy =
            ing("metadata: {name: a, namespace: x, annotations: {kubernetes.io/ingress.class: alb}}\nspec: {ingressClassName: nginx}");
        assert!(classify(&s, &legacy, "alb").unwrap().managed, "the annotation wins over ingressClassName");
        assert!(classify(&s, &ing("metadata: {name: a, namespace: x}"), "alb").unwrap().managed, "the default class");
        assert!(!classify(&s, &ing("metadata: {name: a, namespace: x}\nspec: {ingressClassName: nginx}"), "alb").unwrap().managed);
        let c = classify(&s, &ing("metadata: {name: a, namespace: team-a}\nspec: {ingressClassName: team}"), "alb").unwrap();
        assert_eq!(c.params.unwrap().1.scheme.as_deref(), Some("internal"));
        assert_eq!(
            classify(&s, &ing("metadata: {name: a, namespace: other}\nspec: {ingressClassName: team}"), "alb").unwrap_err(),
            ClassError::Invalid("invalid ingress class: namespaceSelector of IngressClassParams team mismatch".into())
        );
        assert!(matches!(
            classify(&s, &ing("metadata: {name: a, namespace: x}\nspec: {ingressClassName: gone}"), "alb"),
            Err(ClassError::Invalid(_))
        ));
    }

    #[test]
    fn no_class_is_handled_only_with_an_empty_flag_and_two_defaults_are_fatal() {
        let empty = store("");
        let bare = ing("metadata: {name: a, namespace: x}");
        assert!(!classify(&empty, &bare, "alb").unwrap().managed);
        assert!(classify(&empty, &bare, "").unwrap().managed);
        let two = store(
            "kind: IngressClass\nmetadata: {name: a, annotations: {ingressclass.kubernetes.io/is-default-class: 'true'}}\n---\nkind: IngressClass\nmetadata: {name: b, annotations: {ingressclass.kubernetes.io/is-default-class: 'true'}}\n",
        );
        assert_eq!(classify(&two, &bare, "alb").unwrap_err(), ClassError::Fatal("multiple default IngressClasses found".into()));
    }
}
