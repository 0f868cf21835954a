//! Manifests into a cluster through the API's own checks, all or nothing: every document of a
//! (multi-document) YAML is placed, field-checked (strict), validated and diffed first; only
//! when all pass are they written, in order, under one hold of the store's lock. An existing
//! object gets what `kubectl apply` sends: the three-way patch of its last applied
//! configuration (the annotation kubectl keeps) and the new one, strategically merged, so
//! server-set fields survive and dropped fields go. What `lbsim apply` and
//! `POST /_lbsim/k8s/apply` use.

use serde::Deserialize;
use serde_json::Value;

use super::objects::{self, FieldValidation};
use super::patch;
use super::resources::{RESOURCES, Resource};
use super::status::Status;
use crate::cluster::{ClusterStore, Kind};

pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// One document's outcome: `service/webserver created` (kubectl's words).
#[derive(Debug, Clone)]
pub struct Applied {
    pub resource: &'static Resource,
    pub namespace: Option<String>,
    pub name: String,
    /// `created`, `configured` or `unchanged`.
    pub outcome: &'static str,
}

impl Applied {
    /// `deployment.apps/sample-app created`.
    pub fn line(&self) -> String {
        let kind = self.resource.kind.name().to_lowercase();
        let kind = if self.resource.group.is_empty() { kind } else { format!("{kind}.{}", self.resource.group) };
        format!("{kind}/{} {}", self.name, self.outcome)
    }
}

/// A refusal: which document (0-based) and the API's Status.
#[derive(Debug, Clone)]
pub struct Refused {
    pub document: usize,
    pub status: Status,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "document {}: {}", self.document + 1, self.status.message)
    }
}

/// The documents of a YAML text as JSON (`kind: List` expanded, empty documents skipped).
pub fn documents(text: &str) -> Result<Vec<Value>, Refused> {
    let mut out = Vec::new();
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let v = Value::deserialize(doc)
            .map_err(|e| Refused { document: i, status: Status::bad_request(format!("error parsing YAML: {e}")) })?;
        match v {
            Value::Null => {}
            Value::Object(ref m) if m.get("kind").and_then(Value::as_str) == Some("List") => {
                out.extend(m.get("items").and_then(Value::as_array).cloned().unwrap_or_default());
            }
            v => out.push(v),
        }
    }
    Ok(out)
}

/// The resource a manifest's apiVersion and kind name.
pub fn resource_of(v: &Value) -> Result<&'static Resource, Status> {
    let api = v["apiVersion"].as_str().unwrap_or("");
    let kind = v["kind"].as_str().unwrap_or("");
    if kind.is_empty() {
        return Err(Status::bad_request("Object 'Kind' is missing in the manifest"));
    }
    let (g, ver) = match api.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api),
    };
    RESOURCES
        .iter()
        .find(|r| !r.events_view && r.group == g && r.version == ver && r.kind.name() == kind)
        .ok_or_else(|| Status::bad_request(format!("no matches for kind {kind:?} in version {api:?}")))
}

/// What writing one document will be.
enum Plan {
    Create(Value),
    Patch(Value),
    Unchanged,
}

/// Applies every document of `text` to `s` (namespaced objects without a namespace go to
/// `namespace`), or none of them.
pub fn apply(s: &mut ClusterStore, text: &str, namespace: &str) -> Result<Vec<Applied>, Refused> {
    let docs = documents(text)?;
    let mut plans: Vec<(Applied, Plan)> = Vec::new();
    // Namespaces the batch itself creates count as existing for the documents after them.
    let mut new_namespaces: Vec<String> = Vec::new();
    for (i, mut v) in docs.into_iter().enumerate() {
        let refuse = |status| Refused { document: i, status };
        let r = resource_of(&v).map_err(refuse)?;
        let ns = r.namespaced().then(|| v["metadata"]["namespace"].as_str().filter(|n| !n.is_empty()).unwrap_or(namespace).to_string());
        let name = v["metadata"]["name"].as_str().unwrap_or("").to_string();
        // kubectl records the configuration as given, in the object itself.
        let config = serde_json::to_string(&v).unwrap_or_default() + "\n";
        if let Some(m) = v.as_object_mut() {
            let meta = m.entry("metadata").or_insert_with(|| serde_json::json!({}));
            if let Some(meta) = meta.as_object_mut() {
                let ann = meta.entry("annotations").or_insert_with(|| serde_json::json!({}));
                if let Some(a) = ann.as_object_mut() {
                    a.insert(LAST_APPLIED.into(), Value::from(config));
                }
            }
        }
        let current = s.get_value(r.kind, ns.as_deref().unwrap_or(""), &name);
        let applied = |outcome| Applied { resource: r, namespace: ns.clone(), name: name.clone(), outcome };
        match current {
            None => {
                if let Some(n) = &ns
                    && !new_namespaces.contains(n)
                {
                    objects::create(s, r, Some(n), v.clone(), FieldValidation::Strict, true).map_err(refuse)?;
                } else {
                    // Into a namespace the batch creates: check all but the namespace.
                    check_alone(r, ns.as_deref(), &v).map_err(refuse)?;
                }
                if r.kind == Kind::Namespace {
                    new_namespaces.push(name.clone());
                }
                plans.push((applied("created"), Plan::Create(v)));
            }
            Some(cur) => {
                let last: Value = cur["metadata"]["annotations"][LAST_APPLIED]
                    .as_str()
                    .and_then(|t| serde_json::from_str(t).ok())
                    .unwrap_or(Value::Object(Default::default()));
                let mut p = patch::three_way(&last, &v);
                // The annotation itself is part of the patch (as kubectl sends it).
                p["metadata"]["annotations"][LAST_APPLIED] = v["metadata"]["annotations"][LAST_APPLIED].clone();
                let body = serde_json::to_vec(&p).unwrap_or_default();
                let ct = if matches!(r.kind, Kind::TargetGroupBinding | Kind::IngressClassParams) {
                    "application/merge-patch+json"
                } else {
                    "application/strategic-merge-patch+json"
                };
                let w =
                    objects::patch_object(s, r, ns.as_deref(), &name, ct, &body, false, FieldValidation::Strict, true).map_err(refuse)?;
                let next = ClusterStore::normalize(r.kind, &w.object).unwrap_or(w.object.clone());
                let now = ClusterStore::normalize(r.kind, &cur).unwrap_or(cur.clone());
                if same_but_status(&next, &now) {
                    plans.push((applied("unchanged"), Plan::Unchanged));
                } else {
                    plans.push((applied("configured"), Plan::Patch(p)));
                }
            }
        }
    }
    let mut out = Vec::new();
    for (i, (a, plan)) in plans.into_iter().enumerate() {
        let refuse = |status| Refused { document: i, status };
        match plan {
            Plan::Create(v) => {
                objects::create(s, a.resource, a.namespace.as_deref(), v, FieldValidation::Strict, false).map_err(refuse)?;
            }
            Plan::Patch(p) => {
                let ct = if matches!(a.resource.kind, Kind::TargetGroupBinding | Kind::IngressClassParams) {
                    "application/merge-patch+json"
                } else {
                    "application/strategic-merge-patch+json"
                };
                let body = serde_json::to_vec(&p).unwrap_or_default();
                objects::patch_object(s, a.resource, a.namespace.as_deref(), &a.name, ct, &body, false, FieldValidation::Strict, false)
                    .map_err(refuse)?;
            }
            Plan::Unchanged => {}
        }
        out.push(a);
    }
    Ok(out)
}

fn same_but_status(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.as_object_mut() {
            m.remove("status");
        }
        if let Some(m) = v["metadata"].as_object_mut() {
            m.remove("resourceVersion");
            m.remove("generation");
        }
        v
    };
    strip(a) == strip(b)
}

/// The checks of a create that do not need the namespace to exist yet.
fn check_alone(r: &'static Resource, ns: Option<&str>, v: &Value) -> Result<(), Status> {
    let mut scratch = ClusterStore::new("check", crate::clock::Clock::Wall);
    if let Some(n) = ns {
        let ns_res = super::resources::of_kind(Kind::Namespace);
        objects::create(&mut scratch, ns_res, None, serde_json::json!({"metadata": {"name": n}}), FieldValidation::Strict, false)?;
    }
    objects::create(&mut scratch, r, ns, v.clone(), FieldValidation::Strict, true).map(|_| ())
}
