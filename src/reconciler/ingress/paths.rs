//! Rules from Ingress paths (lbc-ingress.md §4.8): per `spec.rules[]` entry (order kept) the paths
//! sort Exact (as written) → Prefix (longer path first, stable) → ImplementationSpecific or no
//! type (as written); each path is one rule with a host-header condition (the rule's host) and a
//! path-pattern condition (Exact: the path; Prefix `/`: `/*`; Prefix `/foo`: `/foo`, `/foo/*`;
//! ImplementationSpecific: the path as a glob). A rule without conditions gets `/*`. Members are
//! taken in group order and the rules of one listener numbered 1, 2, 3 …

use k8s_openapi::api::networking::v1::{HTTPIngressPath, Ingress};

/// One rule before actions are attached: where it came from and what it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRule {
    pub priority: u32,
    pub ingress: String,
    pub host: Option<String>,
    pub paths: Vec<String>,
    /// The backend Service name (or the `actions.<name>` name) and its port as written.
    pub backend: Option<(String, String)>,
}

fn rank(p: &HTTPIngressPath) -> u8 {
    match p.path_type.as_str() {
        "Exact" => 0,
        "Prefix" => 1,
        _ => 2,
    }
}

/// The path-pattern values of one path; errors are the controller's texts.
pub fn path_values(p: &HTTPIngressPath) -> Result<Vec<String>, String> {
    let path = p.path.clone().unwrap_or_default();
    let wild = path.contains('*') || path.contains('?');
    match p.path_type.as_str() {
        "Exact" if wild => Err(format!("exact path shouldn't contain wildcards: {path}")),
        "Prefix" if wild => Err(format!("prefix path shouldn't contain wildcards: {path}")),
        _ if path.is_empty() => Ok(Vec::new()),
        "Exact" => Ok(vec![path]),
        "Prefix" if path == "/" => Ok(vec!["/*".into()]),
        "Prefix" => {
            let trimmed = path.trim_end_matches('/');
            Ok(vec![trimmed.to_string(), format!("{trimmed}/*")])
        }
        _ => Ok(vec![path]),
    }
}

fn backend(p: &HTTPIngressPath) -> Option<(String, String)> {
    let svc = p.backend.service.as_ref()?;
    let port = svc.port.as_ref().map(|port| match (&port.name, port.number) {
        (Some(n), _) => n.clone(),
        (None, Some(n)) => n.to_string(),
        (None, None) => String::new(),
    });
    Some((svc.name.clone(), port.unwrap_or_default()))
}

/// The rules of the members (already in group order) on one listener, numbered from 1.
pub fn build(members: &[Ingress]) -> Result<Vec<PathRule>, String> {
    let mut out: Vec<PathRule> = Vec::new();
    for ing in members {
        let id = format!("{}/{}", ing.metadata.namespace.as_deref().unwrap_or("default"), ing.metadata.name.as_deref().unwrap_or(""));
        for rule in ing.spec.as_ref().and_then(|s| s.rules.as_ref()).into_iter().flatten() {
            let Some(http) = &rule.http else { continue };
            let mut paths: Vec<&HTTPIngressPath> = http.paths.iter().collect();
            // A stable sort keeps the written order within Exact and ImplementationSpecific.
            paths.sort_by(|a, b| {
                rank(a).cmp(&rank(b)).then_with(|| {
                    if rank(a) == 1 {
                        b.path.as_deref().unwrap_or("").len().cmp(&a.path.as_deref().unwrap_or("").len())
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
            });
            for p in paths {
                let mut values = path_values(p)?;
                let host = rule.host.clone().filter(|h| !h.is_empty());
                if host.is_none() && values.is_empty() {
                    values.push("/*".into());
                }
                out.push(PathRule { priority: out.len() as u32 + 1, ingress: id.clone(), host, paths: values, backend: backend(p) });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::networking::v1::{
        HTTPIngressRuleValue, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec, ServiceBackendPort,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn path(p: &str, t: &str, svc: &str) -> HTTPIngressPath {
        HTTPIngressPath {
            path: Some(p.into()),
            path_type: t.into(),
            backend: IngressBackend {
                service: Some(IngressServiceBackend { name: svc.into(), port: Some(ServiceBackendPort { number: Some(80), name: None }) }),
                resource: None,
            },
        }
    }

    fn ingress(name: &str, host: Option<&str>, paths: Vec<HTTPIngressPath>) -> Ingress {
        Ingress {
            metadata: ObjectMeta { namespace: Some("team-a".into()), name: Some(name.into()), ..Default::default() },
            spec: Some(IngressSpec {
                rules: Some(vec![IngressRule { host: host.map(String::from), http: Some(HTTPIngressRuleValue { paths }) }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn paths_sort_and_become_patterns() {
        let ing = ingress(
            "echo",
            Some("echo.example.com"),
            vec![
                path("/", "Prefix", "root"),
                path("/img/*.png", "ImplementationSpecific", "img"),
                path("/api/", "Prefix", "api"),
                path("/healthz", "Exact", "health"),
            ],
        );
        let rules = build(&[ing]).unwrap();
        let got: Vec<(u32, Vec<String>, String)> =
            rules.iter().map(|r| (r.priority, r.paths.clone(), r.backend.clone().unwrap().0)).collect();
        assert_eq!(
            got,
            [
                (1, vec!["/healthz".to_string()], "health".to_string()),
                (2, vec!["/api".to_string(), "/api/*".to_string()], "api".to_string()),
                (3, vec!["/*".to_string()], "root".to_string()),
                (4, vec!["/img/*.png".to_string()], "img".to_string()),
            ]
        );
        assert!(rules.iter().all(|r| r.host.as_deref() == Some("echo.example.com")));
    }

    #[test]
    fn priorities_run_across_members_and_wildcards_are_refused() {
        let a = ingress("a", None, vec![path("/a", "Prefix", "a")]);
        let b = ingress("b", None, vec![path("", "ImplementationSpecific", "b")]);
        let rules = build(&[a, b]).unwrap();
        assert_eq!(rules.iter().map(|r| (r.priority, r.ingress.as_str())).collect::<Vec<_>>(), [(1, "team-a/a"), (2, "team-a/b")]);
        assert_eq!(rules[1].paths, ["/*"], "no condition at all becomes /*");
        let bad = ingress("c", None, vec![path("/x*", "Exact", "c")]);
        assert_eq!(build(&[bad]).unwrap_err(), "exact path shouldn't contain wildcards: /x*");
    }
}
