//! `lbsim kubeconfig`: a kubeconfig for a cluster's API over plain http on loopback (kubectl
//! sends no credentials over http, so it names none).

/// The kubeconfig text for the API at `server` (`http://127.0.0.1:4566/k8s/demo`).
pub fn text(cluster: &str, server: &str, namespace: &str) -> String {
    let name = format!("lbsim-{cluster}");
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: {server}\ncontexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n    namespace: {namespace}\ncurrent-context: {name}\nusers:\n- name: {name}\n  user: {{}}\npreferences: {{}}\n"
    )
}

/// The API's URL for `cluster` behind lbsim's `endpoint`.
pub fn server_url(endpoint: &str, cluster: &str) -> String {
    format!("{}{}/{cluster}", endpoint.trim_end_matches('/'), super::PREFIX)
}
