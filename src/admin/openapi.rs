//! `GET /_lbsim/openapi.json`: the OpenAPI 3 document of the admin API, written by hand in
//! openapi.json beside this file. The test keeps it and the router's `ROUTES` identical.

pub const DOCUMENT: &str = include_str!("openapi.json");

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::admin::routes::ROUTES;

    #[test]
    fn document_lists_exactly_the_routes() {
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).expect("openapi.json is JSON");
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&method.as_str()) {
                    documented.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        let served: BTreeSet<(String, String)> =
            ROUTES.iter().chain(crate::admin::k8s::ROUTES).map(|(m, p)| (m.to_string(), p.to_string())).collect();
        assert_eq!(documented, served, "openapi.json and routes::ROUTES differ");
        // Every $ref resolves.
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for r in DOCUMENT.match_indices("#/components/schemas/").map(|(i, _)| &DOCUMENT[i + 21..]) {
            let name: String = r.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            assert!(schemas.contains_key(&name), "dangling $ref {name}");
        }
    }
}
