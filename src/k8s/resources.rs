//! The resources the API serves: names, group/version, scope, short names, categories,
//! subresources and verbs, as upstream lists them (reference k8s-api.md §1.2). Discovery, the
//! URL router and `lbsim get` all read this one table.

use crate::cluster::Kind;

pub const VERBS: &[&str] = &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
pub const READ_VERBS: &[&str] = &["get", "list", "watch"];

#[derive(Debug, Clone, Copy)]
pub struct Resource {
    /// `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    /// Plural, as in URLs.
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: Kind,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub status: bool,
    pub scale: bool,
    /// events.k8s.io's Event is a converted, read-only view of the core Events.
    pub events_view: bool,
}

const fn r(group: &'static str, version: &'static str, plural: &'static str, singular: &'static str, kind: Kind) -> Resource {
    Resource { group, version, plural, singular, kind, short_names: &[], categories: &[], status: false, scale: false, events_view: false }
}

impl Resource {
    const fn short(mut self, s: &'static [&'static str]) -> Self {
        self.short_names = s;
        self
    }
    const fn all(mut self) -> Self {
        self.categories = &["all"];
        self
    }
    const fn status(mut self) -> Self {
        self.status = true;
        self
    }
    const fn scale(mut self) -> Self {
        self.scale = true;
        self
    }

    pub fn namespaced(&self) -> bool {
        self.kind.namespaced()
    }

    pub fn group_version(&self) -> String {
        if self.group.is_empty() { self.version.to_string() } else { format!("{}/{}", self.group, self.version) }
    }

    pub fn verbs(&self) -> &'static [&'static str] {
        if self.events_view { READ_VERBS } else { VERBS }
    }

    /// `services` or `deployments.apps` (kubectl's names in messages).
    pub fn qualified(&self) -> String {
        if self.group.is_empty() { self.plural.to_string() } else { format!("{}.{}", self.plural, self.group) }
    }
}

pub const RESOURCES: &[Resource] = &[
    r("", "v1", "namespaces", "namespace", Kind::Namespace).short(&["ns"]).status(),
    r("", "v1", "nodes", "node", Kind::Node).short(&["no"]).status(),
    r("", "v1", "services", "service", Kind::Service).short(&["svc"]).all().status(),
    r("", "v1", "pods", "pod", Kind::Pod).short(&["po"]).all().status(),
    r("", "v1", "endpoints", "endpoints", Kind::Endpoints).short(&["ep"]),
    r("", "v1", "events", "event", Kind::Event).short(&["ev"]),
    r("apps", "v1", "deployments", "deployment", Kind::Deployment).short(&["deploy"]).all().status().scale(),
    r("apps", "v1", "replicasets", "replicaset", Kind::ReplicaSet).short(&["rs"]).all().status().scale(),
    r("discovery.k8s.io", "v1", "endpointslices", "endpointslice", Kind::EndpointSlice),
    Resource { events_view: true, ..r("events.k8s.io", "v1", "events", "event", Kind::Event).short(&["ev"]) },
    r("networking.k8s.io", "v1", "ingresses", "ingress", Kind::Ingress).short(&["ing"]).status(),
    r("networking.k8s.io", "v1", "ingressclasses", "ingressclass", Kind::IngressClass),
    // The LBC's CRDs have no short names and no categories (`kubectl get tgb` fails on EKS too).
    r("elbv2.k8s.aws", "v1beta1", "targetgroupbindings", "targetgroupbinding", Kind::TargetGroupBinding).status(),
    r("elbv2.k8s.aws", "v1beta1", "ingressclassparams", "ingressclassparams", Kind::IngressClassParams),
];

/// The groups in discovery order, each with its one version.
pub fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !out.iter().any(|(g, _)| *g == r.group) {
            out.push((r.group, r.version));
        }
    }
    out
}

/// The resource at `/api/v1/<plural>` or `/apis/<group>/<version>/<plural>`.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The resource stored as `kind` (its main, writable one).
pub fn of_kind(kind: Kind) -> &'static Resource {
    RESOURCES.iter().find(|r| r.kind == kind && !r.events_view).expect("every kind has a resource")
}

/// What a person may type for a resource (`svc`, `services`, `service`, `deployments.apps`,
/// `Deployment`), kubectl's way; the core group wins a tie.
pub fn resolve(name: &str) -> Option<&'static Resource> {
    let n = name.to_ascii_lowercase();
    let (base, group) = match n.split_once('.') {
        Some((b, g)) => (b.to_string(), Some(g.to_string())),
        None => (n.clone(), None),
    };
    RESOURCES.iter().filter(|r| !r.events_view || group.as_deref() == Some(r.group)).find(|r| {
        group.as_deref().is_none_or(|g| g == r.group)
            && (r.plural == base
                || r.singular == base
                || r.short_names.contains(&base.as_str())
                || r.kind.name().eq_ignore_ascii_case(&base))
    })
}
