//! Table output (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): kubectl has no
//! client-side columns, so the server renders them, as upstream's printers do
//! (`pkg/printers/internalversion`; CRD printer columns from the LBC's CRDs). Wide columns are
//! always rendered (priority 1); kubectl hides them unless `-o wide`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::cluster::Kind;

/// apimachinery `duration.HumanDuration`.
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    if s < 120 {
        return format!("{s}s");
    }
    let m = s / 60;
    if m < 10 {
        let r = s % 60;
        return if r == 0 { format!("{m}m") } else { format!("{m}m{r}s") };
    }
    if m < 180 {
        return format!("{m}m");
    }
    let h = s / 3600;
    if h < 8 {
        let r = (s % 3600) / 60;
        return if r == 0 { format!("{h}h") } else { format!("{h}h{r}m") };
    }
    if h < 48 {
        return format!("{h}h");
    }
    if h < 192 {
        let r = h % 24;
        return if r == 0 { format!("{}d", h / 24) } else { format!("{}d{r}h", h / 24) };
    }
    if h < 24 * 365 * 2 {
        return format!("{}d", h / 24);
    }
    if h < 24 * 365 * 8 {
        let dy = (h / 24) % 365;
        return if dy == 0 { format!("{}y", h / 24 / 365) } else { format!("{}y{dy}d", h / 24 / 365) };
    }
    format!("{}y", h / 24 / 365)
}

fn age(v: &Value, now: DateTime<Utc>) -> String {
    match v.as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok()) {
        Some(t) => human_duration((now - t.with_timezone(&Utc)).num_seconds()),
        None => "<unknown>".into(),
    }
}

fn s(v: &Value) -> String {
    v.as_str().map(String::from).unwrap_or_default()
}

fn or_none(x: String) -> String {
    if x.is_empty() { "<none>".into() } else { x }
}

fn col(name: &str, ty: &str, priority: u8, description: &str) -> Value {
    let format = if name == "Name" { "name" } else { "" };
    json!({ "name": name, "type": ty, "format": format, "description": description, "priority": priority })
}

/// The column definitions of `kind`.
pub fn columns(kind: Kind) -> Vec<Value> {
    let name = col("Name", "string", 0, "Name must be unique within a namespace.");
    let age = col("Age", "string", 0, "CreationTimestamp is a timestamp representing the server time when this object was created.");
    let c = |n: &str, p: u8| col(n, "string", p, "");
    let mut v = vec![name];
    match kind {
        Kind::Service => v.extend([c("Type", 0), c("Cluster-IP", 0), c("External-IP", 0), c("Port(s)", 0), age, c("Selector", 1)]),
        Kind::Pod => v.extend([
            c("Ready", 0),
            c("Status", 0),
            col("Restarts", "string", 0, ""),
            age,
            c("IP", 1),
            c("Node", 1),
            c("Nominated Node", 1),
            c("Readiness Gates", 1),
        ]),
        Kind::Node => v.extend([
            c("Status", 0),
            c("Roles", 0),
            age,
            c("Version", 0),
            c("Internal-IP", 1),
            c("External-IP", 1),
            c("OS-Image", 1),
            c("Kernel-Version", 1),
            c("Container-Runtime", 1),
        ]),
        Kind::Namespace => v.extend([c("Status", 0), age]),
        Kind::Deployment => v.extend([
            c("Ready", 0),
            col("Up-to-date", "integer", 0, ""),
            col("Available", "integer", 0, ""),
            age,
            c("Containers", 1),
            c("Images", 1),
            c("Selector", 1),
        ]),
        Kind::ReplicaSet => v.extend([
            col("Desired", "integer", 0, ""),
            col("Current", "integer", 0, ""),
            col("Ready", "integer", 0, ""),
            age,
            c("Containers", 1),
            c("Images", 1),
            c("Selector", 1),
        ]),
        Kind::Endpoints => v.extend([c("Endpoints", 0), age]),
        Kind::EndpointSlice => v.extend([c("AddressType", 0), c("Ports", 0), c("Endpoints", 0), age]),
        Kind::Event => {
            v = vec![
                c("Last Seen", 0),
                c("Type", 0),
                c("Reason", 0),
                c("Object", 0),
                c("Subobject", 1),
                c("Source", 1),
                c("Message", 0),
                c("First Seen", 1),
                col("Count", "integer", 1, ""),
                col("Name", "string", 1, ""),
            ]
        }
        Kind::Ingress => v.extend([c("Class", 0), c("Hosts", 0), c("Address", 0), c("Ports", 0), age]),
        Kind::IngressClass => v.extend([c("Controller", 0), c("Parameters", 0), age]),
        Kind::TargetGroupBinding => v.extend([
            c("SERVICE-NAME", 0),
            col("SERVICE-PORT", "string", 0, ""),
            c("TARGET-TYPE", 0),
            c("ARN", 1),
            col("AGE", "date", 0, ""),
        ]),
        Kind::IngressClassParams => v.extend([c("GROUP-NAME", 0), c("SCHEME", 0), c("IP-ADDRESS-TYPE", 0), col("AGE", "date", 0, "")]),
    }
    v
}

fn ports(v: &Value) -> String {
    let p: Vec<String> = v["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let proto = p["protocol"].as_str().unwrap_or("TCP");
            match p["nodePort"].as_i64() {
                Some(np) if np != 0 => format!("{}:{np}/{proto}", p["port"]),
                _ => format!("{}/{proto}", p["port"]),
            }
        })
        .collect();
    or_none(p.join(","))
}

fn selector_map(v: &Value) -> String {
    let m: Vec<String> = v.as_object().into_iter().flatten().map(|(k, v)| format!("{k}={}", s(v))).collect();
    or_none(m.join(","))
}

fn label_selector(v: &Value) -> String {
    let mut parts: Vec<String> = v["matchLabels"].as_object().into_iter().flatten().map(|(k, v)| format!("{k}={}", s(v))).collect();
    for e in v["matchExpressions"].as_array().into_iter().flatten() {
        let vals: Vec<String> = e["values"].as_array().into_iter().flatten().map(s).collect();
        parts.push(match s(&e["operator"]).as_str() {
            "In" => format!("{} in ({})", s(&e["key"]), vals.join(",")),
            "NotIn" => format!("{} notin ({})", s(&e["key"]), vals.join(",")),
            "Exists" => s(&e["key"]),
            _ => format!("!{}", s(&e["key"])),
        });
    }
    or_none(parts.join(","))
}

fn containers(spec: &Value) -> (String, String) {
    let cs = spec["containers"].as_array().cloned().unwrap_or_default();
    (cs.iter().map(|c| s(&c["name"])).collect::<Vec<_>>().join(","), cs.iter().map(|c| s(&c["image"])).collect::<Vec<_>>().join(","))
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// The cells of one object's row.
pub fn cells(kind: Kind, v: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let name = Value::from(s(&v["metadata"]["name"]));
    let created = age(&v["metadata"]["creationTimestamp"], now);
    let st = &v["status"];
    let spec = &v["spec"];
    let mut out = vec![name];
    match kind {
        Kind::Service => {
            let ty = spec["type"].as_str().unwrap_or("ClusterIP").to_string();
            let cluster_ip = spec["clusterIPs"][0].as_str().or(spec["clusterIP"].as_str()).map(String::from).unwrap_or_default();
            let ext = match ty.as_str() {
                "LoadBalancer" => {
                    let mut ing: Vec<String> = st["loadBalancer"]["ingress"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|i| i["ip"].as_str().filter(|x| !x.is_empty()).or(i["hostname"].as_str()).unwrap_or("").to_string())
                        .filter(|x| !x.is_empty())
                        .collect();
                    ing.sort();
                    if ing.is_empty() { "<pending>".to_string() } else { ing.join(",") }
                }
                "ExternalName" => s(&spec["externalName"]),
                _ => or_none(spec["externalIPs"].as_array().into_iter().flatten().map(s).collect::<Vec<_>>().join(",")),
            };
            out.extend([
                ty.into(),
                or_none(cluster_ip).into(),
                ext.into(),
                ports(v).into(),
                created.into(),
                selector_map(&spec["selector"]).into(),
            ]);
        }
        Kind::Pod => {
            let total = spec["containers"].as_array().map_or(0, |a| a.len());
            let statuses = st["containerStatuses"].as_array().cloned().unwrap_or_default();
            let ready = statuses.iter().filter(|c| c["ready"].as_bool() == Some(true) && c["state"]["running"].is_object()).count();
            let restarts: i64 = statuses.iter().map(|c| int(&c["restartCount"])).sum();
            let mut phase = st["reason"].as_str().or(st["phase"].as_str()).unwrap_or("").to_string();
            for c in &statuses {
                if let Some(r) = c["state"]["waiting"]["reason"].as_str().or(c["state"]["terminated"]["reason"].as_str()) {
                    phase = r.to_string();
                }
            }
            if v["metadata"]["deletionTimestamp"].is_string() {
                phase = "Terminating".into();
            }
            let ip = st["podIPs"][0]["ip"].as_str().or(st["podIP"].as_str()).unwrap_or("").to_string();
            out.extend([
                format!("{ready}/{total}").into(),
                phase.into(),
                restarts.to_string().into(),
                created.into(),
                or_none(ip).into(),
                or_none(s(&spec["nodeName"])).into(),
                or_none(s(&st["nominatedNodeName"])).into(),
                "<none>".into(),
            ]);
        }
        Kind::Node => {
            let ready = st["conditions"].as_array().into_iter().flatten().find(|c| c["type"] == "Ready").map(|c| s(&c["status"]));
            let mut status = match ready.as_deref() {
                Some("True") => "Ready".to_string(),
                Some("False") => "NotReady".to_string(),
                _ => "Unknown".to_string(),
            };
            if spec["unschedulable"].as_bool() == Some(true) {
                status.push_str(",SchedulingDisabled");
            }
            let mut roles: Vec<String> = v["metadata"]["labels"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/").map(String::from))
                .collect();
            roles.sort();
            let addr = |t: &str| {
                or_none(
                    st["addresses"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|a| a["type"] == t)
                        .map(|a| s(&a["address"]))
                        .collect::<Vec<_>>()
                        .join(","),
                )
            };
            let info = &st["nodeInfo"];
            out.extend([
                status.into(),
                or_none(roles.join(",")).into(),
                created.into(),
                s(&info["kubeletVersion"]).into(),
                addr("InternalIP").into(),
                addr("ExternalIP").into(),
                or_none(s(&info["osImage"])).into(),
                or_none(s(&info["kernelVersion"])).into(),
                or_none(s(&info["containerRuntimeVersion"])).into(),
            ]);
        }
        Kind::Namespace => out.extend([s(&st["phase"]).into(), created.into()]),
        Kind::Deployment => {
            let (cn, im) = containers(&spec["template"]["spec"]);
            out.extend([
                format!("{}/{}", int(&st["readyReplicas"]), spec["replicas"].as_i64().unwrap_or(1)).into(),
                int(&st["updatedReplicas"]).into(),
                int(&st["availableReplicas"]).into(),
                created.into(),
                cn.into(),
                im.into(),
                label_selector(&spec["selector"]).into(),
            ]);
        }
        Kind::ReplicaSet => {
            let (cn, im) = containers(&spec["template"]["spec"]);
            out.extend([
                spec["replicas"].as_i64().unwrap_or(1).into(),
                int(&st["replicas"]).into(),
                int(&st["readyReplicas"]).into(),
                created.into(),
                cn.into(),
                im.into(),
                label_selector(&spec["selector"]).into(),
            ]);
        }
        Kind::Endpoints => {
            let mut eps = Vec::new();
            for sub in v["subsets"].as_array().into_iter().flatten() {
                for a in sub["addresses"].as_array().into_iter().flatten() {
                    for p in sub["ports"].as_array().into_iter().flatten() {
                        eps.push(format!("{}:{}", s(&a["ip"]), p["port"]));
                    }
                }
            }
            let shown = if eps.len() > 3 { format!("{} + {} more...", eps[..3].join(","), eps.len() - 3) } else { eps.join(",") };
            out.extend([or_none(shown).into(), created.into()]);
        }
        Kind::EndpointSlice => {
            let ports: Vec<String> = v["ports"].as_array().into_iter().flatten().map(|p| p["port"].to_string()).collect();
            let addrs: Vec<String> = v["endpoints"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|e| e["addresses"].as_array().cloned().unwrap_or_default())
                .map(|a| s(&a))
                .collect();
            let shown = if addrs.len() > 3 { format!("{} + {} more...", addrs[..3].join(","), addrs.len() - 3) } else { addrs.join(",") };
            out.extend([s(&v["addressType"]).into(), or_none(ports.join(",")).into(), or_none(shown).into(), created.into()]);
        }
        Kind::Event => {
            let io = &v["involvedObject"];
            let last = v["lastTimestamp"]
                .as_str()
                .or(v["eventTime"].as_str())
                .map(|t| age(&Value::from(t), now))
                .unwrap_or_else(|| "<unknown>".into());
            let first = age(&v["firstTimestamp"], now);
            out = vec![
                last.into(),
                s(&v["type"]).into(),
                s(&v["reason"]).into(),
                format!("{}/{}", s(&io["kind"]).to_lowercase(), s(&io["name"])).into(),
                s(&io["fieldPath"]).into(),
                s(&v["source"]["component"]).into(),
                s(&v["message"]).trim().to_string().into(),
                first.into(),
                v["count"].as_i64().unwrap_or(1).into(),
                s(&v["metadata"]["name"]).into(),
            ];
        }
        Kind::Ingress => {
            let class = spec["ingressClassName"].as_str().map(String::from).unwrap_or_else(|| "<none>".into());
            let hosts: Vec<String> =
                spec["rules"].as_array().into_iter().flatten().filter_map(|r| r["host"].as_str().map(String::from)).collect();
            let addrs: Vec<String> = st["loadBalancer"]["ingress"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| i["ip"].as_str().filter(|x| !x.is_empty()).or(i["hostname"].as_str()).unwrap_or("").to_string())
                .collect();
            let tls = spec["tls"].as_array().is_some_and(|t| !t.is_empty());
            out.extend([
                class.into(),
                (if hosts.is_empty() { "*".to_string() } else { hosts.join(",") }).into(),
                addrs.join(",").into(),
                (if tls { "80, 443" } else { "80" }).into(),
                created.into(),
            ]);
        }
        Kind::IngressClass => {
            let p = &spec["parameters"];
            let params = if p.is_object() {
                let g = p["apiGroup"].as_str().map(|g| format!(".{g}")).unwrap_or_default();
                format!("{}{g}/{}", s(&p["kind"]), s(&p["name"]))
            } else {
                "<none>".into()
            };
            out.extend([s(&spec["controller"]).into(), params.into(), created.into()]);
        }
        Kind::TargetGroupBinding => {
            let port = match &spec["serviceRef"]["port"] {
                Value::Number(n) => n.to_string(),
                other => s(other),
            };
            out.extend([
                s(&spec["serviceRef"]["name"]).into(),
                port.into(),
                s(&spec["targetType"]).into(),
                s(&spec["targetGroupARN"]).into(),
                created.into(),
            ]);
        }
        Kind::IngressClassParams => {
            let g = s(&spec["group"]["name"]);
            out.extend([g.into(), s(&spec["scheme"]).into(), s(&spec["ipAddressType"]).into(), created.into()]);
        }
    }
    out
}

/// What a row's `object` holds (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    None,
    Metadata,
    Object,
}

impl Include {
    pub fn parse(s: Option<&str>) -> Include {
        match s {
            Some("None") => Include::None,
            Some("Object") => Include::Object,
            _ => Include::Metadata,
        }
    }
}

pub fn row(kind: Kind, v: &Value, now: DateTime<Utc>, include: Include) -> Value {
    let mut r = json!({ "cells": cells(kind, v, now) });
    match include {
        Include::None => {}
        Include::Metadata => {
            r["object"] = json!({ "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": v["metadata"] });
        }
        Include::Object => r["object"] = v.clone(),
    }
    r
}

/// A Table of `objects`; `columns` only when asked (watch events after the first carry none).
pub fn table(kind: Kind, objects: &[Value], rv: &str, now: DateTime<Utc>, include: Include, with_columns: bool) -> Value {
    let mut t = json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": { "resourceVersion": rv },
        "rows": objects.iter().map(|o| row(kind, o, now, include)).collect::<Vec<_>>(),
    });
    t["columnDefinitions"] = if with_columns { Value::Array(columns(kind)) } else { Value::Array(Vec::new()) };
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        for (s, want) in [
            (5, "5s"),
            (119, "119s"),
            (125, "2m5s"),
            (600, "10m"),
            (3 * 3600 + 60, "3h1m"),
            (9 * 3600, "9h"),
            (50 * 3600, "2d2h"),
            (10 * 86400, "10d"),
        ] {
            assert_eq!(human_duration(s), want);
        }
    }

    #[test]
    fn every_kind_has_as_many_cells_as_columns() {
        for k in Kind::ALL {
            let v = json!({"metadata": {"name": "x", "creationTimestamp": "2026-01-01T00:00:00Z"}, "spec": {}, "status": {}});
            assert_eq!(cells(k, &v, Utc::now()).len(), columns(k).len(), "{k:?}");
        }
    }
}
