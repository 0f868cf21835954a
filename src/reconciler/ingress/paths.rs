//! Ingress paths into path-pattern values (lbc-ingress.md §4.8): per `spec.rules[]` entry (order
//! kept) the paths sort Exact (as written) → Prefix (longer path first, stable) →
//! ImplementationSpecific or no type (as written); Exact: the path; Prefix `/`: `/*`; Prefix
//! `/foo` or `/foo/`: `/foo`, `/foo/*`; ImplementationSpecific: the path as a glob (or a regex
//! with `use-regex-path-match`). The rules themselves are built in `build`.

use k8s_openapi::api::networking::v1::HTTPIngressPath;

fn rank(p: &HTTPIngressPath) -> Result<u8, String> {
    match p.path_type.as_str() {
        "Exact" => Ok(0),
        "Prefix" => Ok(1),
        "ImplementationSpecific" | "" => Ok(2),
        _ => Err(format!("unknown pathType for path {}", p.path.as_deref().unwrap_or(""))),
    }
}

/// The paths of one `spec.rules[]` entry in rule order: Exact as written, Prefix longest
/// first (stable), then ImplementationSpecific as written.
pub fn sort_paths(paths: &[HTTPIngressPath]) -> Result<Vec<&HTTPIngressPath>, String> {
    let mut ranked: Vec<(u8, usize, &HTTPIngressPath)> = Vec::with_capacity(paths.len());
    for p in paths {
        ranked.push((rank(p)?, p.path.as_deref().unwrap_or("").len(), p));
    }
    // A stable sort keeps the written order within each kind.
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| if a.0 == 1 { b.1.cmp(&a.1) } else { std::cmp::Ordering::Equal }));
    Ok(ranked.into_iter().map(|(_, _, p)| p).collect())
}

/// The path-pattern values of one path: (values, regex values). `regex`: the Ingress has
/// `use-regex-path-match: "true"` (ImplementationSpecific paths become regexes without their
/// leading `/`). Errors are the controller's texts.
pub fn path_values(p: &HTTPIngressPath, regex: bool) -> Result<(Vec<String>, Vec<String>), String> {
    let path = p.path.clone().unwrap_or_default();
    if path.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let wild = path.contains('*') || path.contains('?');
    match p.path_type.as_str() {
        "Exact" if wild => Err(format!("exact path shouldn't contain wildcards: {path}")),
        "Exact" => Ok((vec![path], Vec::new())),
        "Prefix" if path == "/" => Ok((vec!["/*".into()], Vec::new())),
        "Prefix" if wild => Err(format!("prefix path shouldn't contain wildcards: {path}")),
        "Prefix" => {
            let trimmed = path.strip_suffix('/').unwrap_or(&path).to_string();
            Ok((vec![trimmed.clone(), format!("{trimmed}/*")], Vec::new()))
        }
        _ if regex => Ok((Vec::new(), vec![path.chars().skip(1).collect()])),
        _ => Ok((vec![path], Vec::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::networking::v1::{IngressBackend, IngressServiceBackend, ServiceBackendPort};

    fn path(p: &str, t: &str) -> HTTPIngressPath {
        HTTPIngressPath {
            path: Some(p.into()),
            path_type: t.into(),
            backend: IngressBackend {
                service: Some(IngressServiceBackend { name: "s".into(), port: Some(ServiceBackendPort { number: Some(80), name: None }) }),
                resource: None,
            },
        }
    }

    #[test]
    fn paths_sort_and_become_patterns() {
        let ps = [path("/", "Prefix"), path("/img/*.png", "ImplementationSpecific"), path("/api/", "Prefix"), path("/healthz", "Exact")];
        let sorted: Vec<(Vec<String>, Vec<String>)> =
            sort_paths(&ps).unwrap().into_iter().map(|p| path_values(p, false).unwrap()).collect();
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            sorted,
            [(v(&["/healthz"]), vec![]), (v(&["/api", "/api/*"]), vec![]), (v(&["/*"]), vec![]), (v(&["/img/*.png"]), vec![])]
        );
        assert_eq!(path_values(&path("/x*", "Exact"), false).unwrap_err(), "exact path shouldn't contain wildcards: /x*");
        assert_eq!(path_values(&path("/v[0-9]+", "ImplementationSpecific"), true).unwrap(), (vec![], v(&["v[0-9]+"])));
        assert!(sort_paths(&[path("/", "Bogus")]).unwrap_err().starts_with("unknown pathType"));
    }
}
