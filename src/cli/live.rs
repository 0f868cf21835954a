//! `lbsim apply`, `lbsim delete`, `lbsim get`: live mode's commands, one admin API request each to
//! a running `lbsim serve` (`/_lbsim/k8s/…`), printed for a person as kubectl prints.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::Value;

use crate::client::http::Http;

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
    Apply(Vec<PathBuf>),
    /// kind, namespace, name
    Delete(String, String, String),
    /// what, name, namespace, as JSON
    Get(String, Option<String>, Option<String>, bool),
}

/// Sends `method path` (with a YAML body) to the server's admin API; the status and JSON answer.
async fn request(live: &LiveArgs, method: &str, path: &str, body: Option<String>) -> Result<(u16, Value), String> {
    let url = format!("{}{path}", live.endpoint.trim_end_matches('/'));
    let token = live.admin_token.as_deref().filter(|t| !t.is_empty());
    let headers: Vec<(&str, &str)> = token.map(|t| ("x-lbsim-admin-token", t)).into_iter().collect();
    let reply = Http::new()
        .request(method, &url, body.map(|b| ("application/yaml", b.into_bytes())), &headers)
        .await
        .map_err(|e| format!("cannot reach lbsim: {e}"))?;
    let v = reply.json().map_err(|e| format!("{e} from {url}"))?;
    Ok((reply.status, v))
}

/// The error text of an admin API error answer.
fn error_text(v: &Value) -> String {
    v["error"]["message"].as_str().map(String::from).unwrap_or_else(|| v.to_string())
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
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lbsim: {e}");
            ExitCode::from(1)
        }
    }
}

/// One request to the server's `/_lbsim/k8s/…`; the text to print.
async fn command(live: &LiveArgs, cmd: LiveCmd) -> Result<String, String> {
    let mut query = Vec::new();
    if let Some(c) = &live.cluster {
        query.push(format!("cluster={c}"));
    }
    let q = |extra: &[String]| {
        let all: Vec<String> = query.iter().chain(extra).cloned().collect();
        if all.is_empty() { String::new() } else { format!("?{}", all.join("&")) }
    };
    match cmd {
        LiveCmd::Apply(files) => {
            let mut out = Vec::new();
            for f in files {
                let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
                let (status, v) = request(live, "POST", &format!("/_lbsim/k8s/apply{}", q(&[])), Some(text)).await?;
                if status != 200 {
                    return Err(format!("{}: {}", f.display(), error_text(&v)));
                }
                for a in v["applied"].as_array().into_iter().flatten() {
                    out.push(format!("{} applied", a.as_str().unwrap_or("?").to_lowercase()));
                }
            }
            Ok(out.join("\n"))
        }
        LiveCmd::Delete(kind, ns, name) => {
            let (what, fin) = match kind.to_lowercase().as_str() {
                "service" | "services" | "svc" => ("service", " (the controller is removing its load balancer)"),
                "ingress" | "ingresses" | "ing" => ("ingress", " (the controller is removing it from its group's ALB)"),
                _ => return Err(format!("cannot delete '{kind}': only services and ingresses")),
            };
            let (status, v) = request(live, "DELETE", &format!("/_lbsim/k8s/{what}s/{ns}/{name}{}", q(&[])), None).await?;
            if status != 200 {
                return Err(error_text(&v));
            }
            let fin = if v["finalizing"].as_bool() == Some(true) { fin } else { "" };
            Ok(format!("{what} \"{name}\" deleted{fin}"))
        }
        LiveCmd::Get(what, name, ns, json) => {
            let mut extra = Vec::new();
            if let Some(n) = &ns {
                extra.push(format!("namespace={n}"));
            }
            let path = match what.to_lowercase().as_str() {
                "services" | "service" | "svc" => "/_lbsim/k8s/services",
                "ingresses" | "ingress" | "ing" => "/_lbsim/k8s/ingresses",
                "events" | "event" | "ev" => {
                    if let Some(n) = &name {
                        extra.push(format!("name={n}"));
                    }
                    "/_lbsim/k8s/events"
                }
                other => return Err(format!("cannot get '{other}': use services, ingresses or events")),
            };
            let (status, v) = request(live, "GET", &format!("{path}{}", q(&extra)), None).await?;
            if status != 200 {
                return Err(error_text(&v));
            }
            if json {
                return Ok(serde_json::to_string_pretty(&v).unwrap_or_default());
            }
            Ok(if path.ends_with("services") {
                services_table(&v)
            } else if path.ends_with("ingresses") {
                ingresses_table(&v)
            } else {
                events_table(&v)
            })
        }
    }
}

/// Columns padded to the widest cell, as kubectl prints.
fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect::<Vec<_>>().join("   ").trim_end().to_string()
    };
    let mut out = vec![line(header.iter().map(|h| h.to_string()).collect())];
    out.extend(rows.into_iter().map(line));
    out.join("\n")
}

fn services_table(v: &serde_json::Value) -> String {
    let s = |x: &serde_json::Value| x.as_str().unwrap_or("<none>").to_string();
    let rows = v["services"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let ports: Vec<String> = r["ports"].as_array().into_iter().flatten().map(&s).collect();
            let host = if r["deleting"].as_bool() == Some(true) { format!("{} (deleting)", s(&r["hostname"])) } else { s(&r["hostname"]) };
            vec![s(&r["namespace"]), s(&r["name"]), s(&r["type"]), host, ports.join(",")]
        })
        .collect();
    table(&["NAMESPACE", "NAME", "TYPE", "EXTERNAL-HOSTNAME", "PORT(S)"], rows)
}

/// kubectl's Ingress columns, with the IngressGroup.
fn ingresses_table(v: &serde_json::Value) -> String {
    let s = |x: &serde_json::Value| x.as_str().unwrap_or("<none>").to_string();
    let rows = v["ingresses"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let hosts: Vec<String> = r["hosts"].as_array().into_iter().flatten().map(&s).collect();
            let ports: Vec<String> = r["ports"].as_array().into_iter().flatten().map(|p| p.to_string()).collect();
            let host = if r["deleting"].as_bool() == Some(true) { format!("{} (deleting)", s(&r["hostname"])) } else { s(&r["hostname"]) };
            vec![
                s(&r["namespace"]),
                s(&r["name"]),
                s(&r["class"]),
                s(&r["group"]),
                if hosts.is_empty() { "*".into() } else { hosts.join(",") },
                host,
                if ports.is_empty() { "80".into() } else { ports.join(",") },
            ]
        })
        .collect();
    table(&["NAMESPACE", "NAME", "CLASS", "GROUP", "HOSTS", "ADDRESS", "PORTS"], rows)
}

fn events_table(v: &serde_json::Value) -> String {
    let s = |x: &serde_json::Value| x.as_str().unwrap_or("").to_string();
    let rows = v["events"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            vec![
                s(&e["last"]),
                s(&e["type"]),
                s(&e["reason"]),
                format!("{}/{}", s(&e["kind"]).to_lowercase(), s(&e["name"])),
                e["count"].to_string(),
                s(&e["message"]),
            ]
        })
        .collect();
    table(&["LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"], rows)
}
