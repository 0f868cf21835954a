//! Discovery: `/version`, `/api`, `/apis` (legacy, and aggregated v2 / v2beta1 when the
//! Accept header offers them — the reply's Content-Type tells the client which), the
//! per-group resource lists, and the OpenAPI answers kubectl needs for `apply` (an empty v2
//! document: client-side validation then skips every kind and leaves field validation to the
//! server; v3 404).

use serde_json::{Value, json};

use super::resources::{RESOURCES, Resource, groups};

/// `GET /version` (the kubectl dispatcher picks `kubectl.1.<minor>` from it).
pub fn version(k8s_version: &str) -> Value {
    let mut parts = k8s_version.trim_start_matches('v').split('.');
    let major = parts.next().unwrap_or("1").to_string();
    let minor = parts.next().unwrap_or("31").to_string();
    json!({
        "major": major,
        "minor": minor,
        "gitVersion": format!("v{major}.{minor}.0-eks-lbsim"),
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.22.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// Which aggregated discovery version the Accept header asks for, if any.
pub fn aggregated(accept: &str) -> Option<&'static str> {
    let offers: Vec<&str> = accept.split(',').map(str::trim).collect();
    let wants = |v: &str| {
        offers.iter().any(|o| {
            o.contains("g=apidiscovery.k8s.io") && o.contains(&format!("v={v};"))
                || o.ends_with(&format!("v={v}")) && o.contains("g=apidiscovery.k8s.io")
        })
    };
    if wants("v2") {
        Some("v2")
    } else if wants("v2beta1") {
        Some("v2beta1")
    } else {
        None
    }
}

pub fn aggregated_content_type(v: &str) -> String {
    format!("application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList")
}

fn response_kind(r: &Resource) -> Value {
    json!({ "group": r.group, "version": r.version, "kind": r.kind.name() })
}

fn aggregated_resource(r: &Resource) -> Value {
    let mut subs = Vec::new();
    if r.status {
        subs.push(json!({ "subresource": "status", "responseKind": response_kind(r), "verbs": ["get", "patch", "update"] }));
    }
    if r.scale {
        subs.push(json!({ "subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"}, "verbs": ["get", "patch", "update"] }));
    }
    let mut v = json!({
        "resource": r.plural,
        "singularResource": r.singular,
        "scope": if r.namespaced() { "Namespaced" } else { "Cluster" },
        "responseKind": response_kind(r),
        "verbs": r.verbs(),
    });
    if !r.short_names.is_empty() {
        v["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        v["categories"] = json!(r.categories);
    }
    if !subs.is_empty() {
        v["subresources"] = Value::Array(subs);
    }
    v
}

fn aggregated_group(name: &str, version: &str, of: impl Fn(&Resource) -> bool) -> Value {
    let resources: Vec<Value> = RESOURCES.iter().filter(|r| of(r)).map(aggregated_resource).collect();
    let mut meta = json!({});
    if !name.is_empty() {
        meta["name"] = Value::from(name);
    }
    json!({ "metadata": meta, "versions": [{ "version": version, "freshness": "Current", "resources": resources }] })
}

/// `/api` (`core`) or `/apis` as an APIGroupDiscoveryList of version `v`.
pub fn aggregated_list(core: bool, v: &str) -> Value {
    let items: Vec<Value> = if core {
        vec![aggregated_group("", "v1", |r| r.group.is_empty())]
    } else {
        groups().into_iter().map(|(g, ver)| aggregated_group(g, ver, |r| r.group == g)).collect()
    };
    json!({ "kind": "APIGroupDiscoveryList", "apiVersion": format!("apidiscovery.k8s.io/{v}"), "metadata": {}, "items": items })
}

/// Legacy `/api`.
pub fn api_versions(server: &str) -> Value {
    json!({ "kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": server }] })
}

/// Legacy `/apis`.
pub fn api_group_list() -> Value {
    let gs: Vec<Value> = groups()
        .into_iter()
        .map(|(g, v)| {
            let gv = json!({ "groupVersion": format!("{g}/{v}"), "version": v });
            json!({ "name": g, "versions": [gv.clone()], "preferredVersion": gv })
        })
        .collect();
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": gs })
}

/// `/apis/<group>` (legacy).
pub fn api_group(group: &str) -> Option<Value> {
    let (g, v) = groups().into_iter().find(|(g, _)| *g == group)?;
    let gv = json!({ "groupVersion": format!("{g}/{v}"), "version": v });
    Some(json!({ "kind": "APIGroup", "apiVersion": "v1", "name": g, "versions": [gv.clone()], "preferredVersion": gv }))
}

/// `/api/v1` or `/apis/<group>/<version>`: an APIResourceList.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let rs: Vec<&Resource> = RESOURCES.iter().filter(|r| r.group == group && r.version == version).collect();
    if rs.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for r in &rs {
        let mut v = json!({
            "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced(), "kind": r.kind.name(), "verbs": r.verbs(),
        });
        if !r.short_names.is_empty() {
            v["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            v["categories"] = json!(r.categories);
        }
        out.push(v);
        if r.status {
            out.push(json!({ "name": format!("{}/status", r.plural), "singularName": "", "namespaced": r.namespaced(), "kind": r.kind.name(), "verbs": ["get", "patch", "update"] }));
        }
        if r.scale {
            out.push(json!({ "name": format!("{}/scale", r.plural), "singularName": "", "namespaced": r.namespaced(), "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"] }));
        }
    }
    let gv = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    Some(json!({ "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_the_discovery_format() {
        let v127 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        let v133 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(aggregated(v127), Some("v2beta1"));
        assert_eq!(aggregated(v133), Some("v2"));
        assert_eq!(aggregated("application/json, */*"), None);
    }
}
