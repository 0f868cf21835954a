//! `lbsim apply`, `lbsim get`, `lbsim delete`: conveniences over a running `lbsim serve` for
//! people without kubectl. `get` and `delete` speak the cluster's Kubernetes API (`/k8s/…`,
//! what kubectl uses; `get` prints the server's Table as kubectl does); `apply` sends the
//! manifests to `POST /_lbsim/k8s/apply`, which checks them with the same validation and
//! applies all documents or none. `lbsim kubeconfig` prints a kubeconfig for kubectl.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

use crate::client::http::Http;
use crate::k8s::resources;

/// Where a live-mode command finds the server.
#[derive(clap::Args, Debug)]
pub struct LiveArgs {
    /// The running lbsim.
    #[arg(long, env = "LBSIM_ENDPOINT", default_value = "http://127.0.0.1:4566")]
    pub endpoint: String,
    /// Live cluster name (default: the first the server loaded).
    #[arg(long)]
    pub cluster: Option<String>,
    #[arg(long, env = "LBSIM_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
}

pub enum LiveCmd {
    /// Files, directories or `-` (standard input); the namespace for objects without one.
    Apply(Vec<PathBuf>, String),
    /// resource, name, namespace
    Delete(String, String, String),
    /// resource, name, namespace (`None`: all namespaces), output (`json`, `yaml`, `wide`)
    Get(String, Option<String>, Option<String>, Option<String>),
    /// namespace of the context
    Kubeconfig(String),
}

struct Reply {
    status: u16,
    body: Value,
}

async fn request(
    live: &LiveArgs,
    method: &str,
    path: &str,
    body: Option<(&str, String)>,
    headers: &[(&str, &str)],
) -> Result<Reply, String> {
    let url = format!("{}{path}", live.endpoint.trim_end_matches('/'));
    let token = live.admin_token.as_deref().filter(|t| !t.is_empty());
    let mut h: Vec<(&str, &str)> = token.map(|t| ("x-lbsim-admin-token", t)).into_iter().collect();
    h.extend_from_slice(headers);
    let reply = Http::new()
        .request(method, &url, body.map(|(ct, b)| (ct, b.into_bytes())), &h)
        .await
        .map_err(|e| format!("cannot reach lbsim at {}: {e}", live.endpoint))?;
    let body = reply.json().map_err(|e| format!("{e} from {url}"))?;
    Ok(Reply { status: reply.status, body })
}

/// The error text of an admin API answer or a Kubernetes Status.
fn error_text(v: &Value) -> String {
    v["error"]["message"].as_str().or(v["message"].as_str()).map(String::from).unwrap_or_else(|| v.to_string())
}

pub fn run(live: LiveArgs, cmd: LiveCmd) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lbsim: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(command(&live, cmd)) {
        Ok(text) => {
            if !text.is_empty() {
                println!("{text}");
            }
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(e)) => super::usage(e),
        Err(Failure::Server(e)) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    /// A bad argument or an unreadable file (exit 2).
    Usage(String),
    /// The server refused or could not be reached (exit 1).
    Server(String),
}

/// The cluster to use: `--cluster`, else the first the server runs.
async fn cluster_name(live: &LiveArgs) -> Result<String, Failure> {
    let r = request(live, "GET", "/_lbsim/k8s/clusters", None, &[]).await.map_err(Failure::Server)?;
    if r.status != 200 {
        return Err(Failure::Server(format!("lbsim: {}", error_text(&r.body))));
    }
    let names: Vec<String> =
        r.body["clusters"].as_array().into_iter().flatten().filter_map(|c| c["name"].as_str().map(String::from)).collect();
    match &live.cluster {
        Some(c) if names.contains(c) => Ok(c.clone()),
        Some(c) => Err(Failure::Server(format!(
            "lbsim: no live cluster '{c}' (live: {})",
            if names.is_empty() { "none".into() } else { names.join(", ") }
        ))),
        None => names
            .into_iter()
            .next()
            .ok_or_else(|| Failure::Server("lbsim: the server runs no cluster (it was started with --no-cluster)".into())),
    }
}

/// The manifests of `paths`: files, the YAML/JSON files of directories (sorted), `-` for stdin.
fn read_manifests(paths: &[PathBuf]) -> Result<String, String> {
    let mut docs = Vec::new();
    let read = |p: &Path, docs: &mut Vec<String>| -> Result<(), String> {
        docs.push(std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?);
        Ok(())
    };
    for p in paths {
        if p.as_os_str() == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| format!("standard input: {e}"))?;
            docs.push(text);
        } else if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json"))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(format!("error: no objects passed to apply (no .yaml, .yml or .json file in {})", p.display()));
            }
            for f in files {
                read(&f, &mut docs)?;
            }
        } else {
            read(p, &mut docs)?;
        }
    }
    Ok(docs.join("\n---\n"))
}

async fn command(live: &LiveArgs, cmd: LiveCmd) -> Result<String, Failure> {
    match cmd {
        LiveCmd::Apply(paths, namespace) => {
            let text = read_manifests(&paths).map_err(Failure::Usage)?;
            let cluster = cluster_name(live).await?;
            let q: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("cluster", &cluster)
                .append_pair("namespace", &namespace)
                .finish();
            let r = request(live, "POST", &format!("/_lbsim/k8s/apply?{q}"), Some(("application/yaml", text)), &[])
                .await
                .map_err(Failure::Server)?;
            if r.status != 200 {
                return Err(Failure::Server(format!(
                    "Error from server ({}): {}",
                    r.body["error"]["code"].as_str().unwrap_or("Error"),
                    error_text(&r.body)
                )));
            }
            Ok(r.body["applied"].as_array().into_iter().flatten().filter_map(|a| a["line"].as_str()).collect::<Vec<_>>().join("\n"))
        }
        LiveCmd::Delete(what, name, ns) => {
            let res = resources::resolve(&what)
                .ok_or_else(|| Failure::Usage(format!("error: the server doesn't have a resource type {what:?}")))?;
            let cluster = cluster_name(live).await?;
            let path = object_path(&cluster, res, Some(&ns), Some(&name));
            let r = request(live, "DELETE", &path, Some(("application/json", r#"{"propagationPolicy":"Background"}"#.into())), &[])
                .await
                .map_err(Failure::Server)?;
            if r.status != 200 {
                return Err(Failure::Server(format!(
                    "Error from server ({}): {}",
                    r.body["reason"].as_str().unwrap_or("Error"),
                    error_text(&r.body)
                )));
            }
            let kind = if res.group.is_empty() { res.singular.to_string() } else { format!("{}.{}", res.singular, res.group) };
            let held = r.body["metadata"]["deletionTimestamp"].is_string();
            Ok(format!("{kind} {name:?} deleted{}", if held { " (finalizers are still holding it)" } else { "" }))
        }
        LiveCmd::Get(what, name, ns, output) => {
            let res = resources::resolve(&what)
                .ok_or_else(|| Failure::Usage(format!("error: the server doesn't have a resource type {what:?}")))?;
            let cluster = cluster_name(live).await?;
            let ns_for_path = if res.namespaced() { Some(ns.clone()).flatten() } else { None };
            let path = object_path(&cluster, res, ns_for_path.as_deref(), name.as_deref());
            let table = !matches!(output.as_deref(), Some("json" | "yaml"));
            let accept = if table { "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" } else { "application/json" };
            let r = request(live, "GET", &path, None, &[("accept", accept)]).await.map_err(Failure::Server)?;
            if r.status != 200 {
                return Err(Failure::Server(format!(
                    "Error from server ({}): {}",
                    r.body["reason"].as_str().unwrap_or("Error"),
                    error_text(&r.body)
                )));
            }
            match output.as_deref() {
                Some("json") => Ok(serde_json::to_string_pretty(&r.body).unwrap_or_default()),
                Some("yaml") => Ok(serde_yaml_ng::to_string(&r.body).unwrap_or_default().trim_end().to_string()),
                _ => Ok(print_table(
                    &r.body,
                    output.as_deref() == Some("wide"),
                    res.namespaced() && ns.is_none(),
                    ns.as_deref().unwrap_or("default"),
                )),
            }
        }
        LiveCmd::Kubeconfig(namespace) => {
            let cluster = cluster_name(live).await?;
            Ok(crate::k8s::kubeconfig::text(&cluster, &crate::k8s::kubeconfig::server_url(&live.endpoint, &cluster), &namespace)
                .trim_end()
                .to_string())
        }
    }
}

fn object_path(cluster: &str, r: &resources::Resource, ns: Option<&str>, name: Option<&str>) -> String {
    let base = if r.group.is_empty() { "/api/v1".to_string() } else { format!("/apis/{}/{}", r.group, r.version) };
    let ns = if r.namespaced() { ns.map(|n| format!("/namespaces/{n}")).unwrap_or_default() } else { String::new() };
    let name = name.map(|n| format!("/{n}")).unwrap_or_default();
    format!("{}/{cluster}{base}{ns}/{}{name}", crate::k8s::PREFIX, r.plural)
}

/// A Table as kubectl prints it: upper-case headers, priority-0 columns (all with `wide`),
/// cells padded to the widest, three spaces apart; NAMESPACE first across namespaces.
fn print_table(t: &Value, wide: bool, all_namespaces: bool, ns: &str) -> String {
    let cols: Vec<&Value> = t["columnDefinitions"].as_array().into_iter().flatten().collect();
    let shown: Vec<usize> =
        cols.iter().enumerate().filter(|(_, c)| wide || c["priority"].as_i64().unwrap_or(0) == 0).map(|(i, _)| i).collect();
    let rows: Vec<&Value> = t["rows"].as_array().into_iter().flatten().collect();
    if rows.is_empty() {
        return if all_namespaces { "No resources found".to_string() } else { format!("No resources found in {ns} namespace.") };
    }
    let mut header: Vec<String> = shown.iter().map(|&i| cols[i]["name"].as_str().unwrap_or("").to_uppercase()).collect();
    if all_namespaces {
        header.insert(0, "NAMESPACE".into());
    }
    let cell = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut lines: Vec<Vec<String>> = vec![header];
    for r in rows {
        let cells: Vec<Value> = r["cells"].as_array().cloned().unwrap_or_default();
        let mut line: Vec<String> = shown.iter().map(|&i| cells.get(i).map(cell).unwrap_or_default()).collect();
        if all_namespaces {
            line.insert(0, r["object"]["metadata"]["namespace"].as_str().unwrap_or("").to_string());
        }
        lines.push(line);
    }
    let widths: Vec<usize> = (0..lines[0].len()).map(|i| lines.iter().map(|l| l[i].chars().count()).max().unwrap_or(0)).collect();
    lines
        .iter()
        .map(|l| {
            l.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect::<Vec<_>>().join("   ").trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
