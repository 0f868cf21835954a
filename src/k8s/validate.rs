//! What the API server checks before it stores: strict field decoding (unknown and duplicate
//! fields), object names (DNS-1035 labels for Services, DNS-1123 labels for Namespaces,
//! DNS-1123 subdomains for the rest), label keys and values, and the few per-kind rules a
//! manifest most often breaks (Service ports and types, Deployment selectors). Messages are
//! upstream's (apimachinery `util/validation`, kubernetes `pkg/apis/*/validation`), so kubectl
//! prints what it prints against EKS.

use std::collections::BTreeSet;

use serde_json::Value;

use super::status::Cause;
use crate::cluster::{ClusterStore, Kind};

const DNS1035_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QUALIFIED_NAME_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-') && b[0] != b'-' && b[b.len() - 1] != b'-'
}

fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.as_bytes()[0].is_ascii_lowercase()
}

fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_dns1123_label)
}

/// `name` as upstream checks it for `kind`, as field errors of `metadata.name`.
pub fn name(kind: Kind, name: &str) -> Vec<Cause> {
    let f = "metadata.name";
    let mut out = Vec::new();
    match kind {
        Kind::Service => {
            if name.len() > 63 {
                out.push(Cause::invalid(f, name, "must be no more than 63 characters"));
            }
            if !is_dns1035_label(name) {
                out.push(Cause::invalid(f, name, DNS1035_MSG));
            }
        }
        Kind::Namespace => {
            if name.len() > 63 {
                out.push(Cause::invalid(f, name, "must be no more than 63 characters"));
            }
            if !is_dns1123_label(name) {
                out.push(Cause::invalid(f, name, DNS1123_LABEL_MSG));
            }
        }
        _ => {
            if name.len() > 253 {
                out.push(Cause::invalid(f, name, "must be no more than 253 characters"));
            }
            if !is_dns1123_subdomain(name) {
                out.push(Cause::invalid(f, name, DNS1123_SUBDOMAIN_MSG));
            }
        }
    }
    out
}

fn qualified_name_ok(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

fn label_key(field: &str, k: &str) -> Option<Cause> {
    let (prefix, n) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    if let Some(p) = prefix
        && (!is_dns1123_subdomain(p) || p.len() > 253)
    {
        return Some(Cause::invalid(field, k, format!("prefix part {DNS1123_SUBDOMAIN_MSG}")));
    }
    if !qualified_name_ok(n) {
        return Some(Cause::invalid(field, k, QUALIFIED_NAME_MSG));
    }
    None
}

fn labels(field: &str, v: &Value, out: &mut Vec<Cause>) {
    for (k, val) in v.as_object().into_iter().flatten() {
        if let Some(c) = label_key(field, k) {
            out.push(c);
        }
        let s = val.as_str().unwrap_or("");
        let b = s.as_bytes();
        let ok = b.is_empty()
            || (b.len() <= 63
                && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric());
        if !ok {
            out.push(Cause::invalid(field, s, LABEL_VALUE_MSG));
        }
    }
}

/// Keys of `input` that decoding as `kind` would drop, as `unknown field "spec.tpye"` lines
/// (what strict field validation refuses). The kind's type is the schema: decode, encode,
/// compare.
pub fn unknown_fields(kind: Kind, input: &Value) -> Result<Vec<String>, String> {
    let mut stripped = input.clone();
    if let Some(m) = stripped.as_object_mut() {
        m.remove("apiVersion");
        m.remove("kind");
    }
    let normal = ClusterStore::normalize(kind, &stripped).map_err(|e| match e {
        crate::cluster::StoreError::Invalid(m) => m,
        other => format!("{other:?}"),
    })?;
    let mut out = Vec::new();
    diff_keys(&stripped, &normal, "", &mut out);
    Ok(out.into_iter().map(|p| format!("unknown field {p:?}")).collect())
}

fn diff_keys(input: &Value, kept: &Value, path: &str, out: &mut Vec<String>) {
    match (input, kept) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match b.get(k) {
                    None if !v.is_null() => out.push(p),
                    Some(w) => diff_keys(v, w, &p, out),
                    None => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                diff_keys(v, w, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The kind's own rules (a subset of upstream's, the ones a hand-written manifest breaks).
pub fn object(kind: Kind, v: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let name = v["metadata"]["name"].as_str().unwrap_or("");
    if name.is_empty() && v["metadata"]["generateName"].as_str().unwrap_or("").is_empty() {
        out.push(Cause::required("metadata.name", "name or generateName is required"));
    } else if !name.is_empty() {
        out.extend(self::name(kind, name));
    }
    labels("metadata.labels", &v["metadata"]["labels"], &mut out);
    match kind {
        Kind::Service => service(v, &mut out),
        Kind::Deployment | Kind::ReplicaSet => workload(v, &mut out),
        Kind::Pod => pod_spec(&v["spec"], "spec", &mut out),
        _ => {}
    }
    out
}

fn service(v: &Value, out: &mut Vec<Cause>) {
    let spec = &v["spec"];
    let ty = spec["type"].as_str().unwrap_or("ClusterIP");
    const TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    if !TYPES.contains(&ty) {
        out.push(Cause::not_supported("spec.type", ty, TYPES));
    }
    let ports = spec["ports"].as_array().cloned().unwrap_or_default();
    if ports.is_empty() && ty != "ExternalName" && spec["clusterIP"].as_str() != Some("None") {
        out.push(Cause::required("spec.ports", ""));
    }
    let mut seen = BTreeSet::new();
    let mut names = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let f = |x: &str| format!("spec.ports[{i}].{x}");
        let port = p["port"].as_i64().unwrap_or(0);
        if !(1..=65535).contains(&port) {
            out.push(Cause::invalid_raw(f("port"), port, "must be between 1 and 65535, inclusive"));
        }
        let proto = p["protocol"].as_str().unwrap_or("TCP");
        if !["TCP", "UDP", "SCTP"].contains(&proto) {
            out.push(Cause::not_supported(f("protocol"), proto, &["SCTP", "TCP", "UDP"]));
        }
        if !seen.insert((port, proto.to_string())) {
            out.push(Cause::duplicate(
                format!("spec.ports[{i}]"),
                format!("core.ServicePort{{Name:\"{}\", Protocol:\"{proto}\", Port:{port}}}", p["name"].as_str().unwrap_or("")),
            ));
        }
        let pname = p["name"].as_str().unwrap_or("");
        if ports.len() > 1 && pname.is_empty() {
            out.push(Cause::required(f("name"), ""));
        }
        if !pname.is_empty() && !names.insert(pname.to_string()) {
            out.push(Cause::duplicate(f("name"), format!("{pname:?}")));
        }
        if let Some(np) = p["nodePort"].as_i64()
            && ty != "NodePort"
            && ty != "LoadBalancer"
            && np != 0
        {
            out.push(Cause::forbidden(f("nodePort"), "may not be used when `type` is 'ClusterIP'"));
        }
        if let Some(np) = p["nodePort"].as_i64()
            && !(30000..=32767).contains(&np)
            && np != 0
        {
            out.push(Cause::invalid_raw(
                f("nodePort"),
                np,
                "provided port is not in the valid range. The range of valid ports is 30000-32767",
            ));
        }
    }
}

fn workload(v: &Value, out: &mut Vec<Cause>) {
    let spec = &v["spec"];
    let sel = &spec["selector"];
    let match_labels = sel["matchLabels"].as_object();
    let has_exprs = sel["matchExpressions"].as_array().is_some_and(|a| !a.is_empty());
    if match_labels.is_none_or(|m| m.is_empty()) && !has_exprs {
        out.push(Cause::required("spec.selector", ""));
    } else if let Some(ml) = match_labels {
        let tl = spec["template"]["metadata"]["labels"].as_object();
        let ok = ml.iter().all(|(k, v)| tl.and_then(|t| t.get(k)) == Some(v));
        if !ok {
            let labels: Vec<String> = tl.into_iter().flatten().map(|(k, v)| format!("{k}:{}", v.as_str().unwrap_or(""))).collect();
            out.push(Cause::invalid_raw(
                "spec.template.metadata.labels",
                format!("map[string]string{{{}}}", labels.join(", ")),
                "`selector` does not match template `labels`",
            ));
        }
    }
    if let Some(r) = spec["replicas"].as_i64()
        && r < 0
    {
        out.push(Cause::invalid_raw("spec.replicas", r, "must be greater than or equal to 0"));
    }
    labels("spec.template.metadata.labels", &spec["template"]["metadata"]["labels"], out);
    pod_spec(&spec["template"]["spec"], "spec.template.spec", out);
}

fn pod_spec(spec: &Value, path: &str, out: &mut Vec<Cause>) {
    let containers = spec["containers"].as_array().cloned().unwrap_or_default();
    if containers.is_empty() {
        out.push(Cause::required(format!("{path}.containers"), ""));
    }
    let mut names = BTreeSet::new();
    for (i, c) in containers.iter().enumerate() {
        let n = c["name"].as_str().unwrap_or("");
        let f = format!("{path}.containers[{i}].name");
        if n.is_empty() {
            out.push(Cause::required(f, ""));
        } else if !is_dns1123_label(n) || n.len() > 63 {
            out.push(Cause::invalid(f, n, DNS1123_LABEL_MSG));
        } else if !names.insert(n.to_string()) {
            out.push(Cause::duplicate(f, format!("{n:?}")));
        }
        if c["image"].as_str().unwrap_or("").is_empty() {
            out.push(Cause::required(format!("{path}.containers[{i}].image"), ""));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_as_upstream() {
        let c = name(Kind::Service, "T_6");
        assert_eq!(c.len(), 1);
        assert!(c[0].message.starts_with("Invalid value: \"T_6\": a DNS-1035 label must consist"), "{}", c[0].message);
        assert!(name(Kind::Service, "web-1").is_empty());
        assert!(!name(Kind::Service, "1web").is_empty(), "DNS-1035 starts with a letter");
        assert!(name(Kind::Deployment, "1web.x").is_empty(), "subdomains may");
    }

    #[test]
    fn unknown_fields_are_found_by_path() {
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {"tpye": "LoadBalancer", "ports": [{"port": 80, "nmae": "x"}]}});
        assert_eq!(unknown_fields(Kind::Service, &svc).unwrap(), ["unknown field \"spec.ports[0].nmae\"", "unknown field \"spec.tpye\""]);
    }

    #[test]
    fn ingress_class_params_keep_empty_values_and_refuse_bad_shapes() {
        // Empty lists and strings are what the writer gave, not unknown fields, and stay stored.
        let icp = json!({"apiVersion": "elbv2.k8s.aws/v1beta1", "kind": "IngressClassParams", "metadata": {"name": "p"},
            "spec": {"scheme": "internal", "tags": [], "sslPolicy": "", "inboundCIDRs": [], "group": {"name": "g"}}});
        assert_eq!(unknown_fields(Kind::IngressClassParams, &icp).unwrap(), Vec::<String>::new());
        let kept = ClusterStore::normalize(Kind::IngressClassParams, &icp).unwrap();
        assert_eq!(kept["spec"]["tags"], json!([]), "{kept}");
        assert!(kept["spec"].get("certificateArn").is_none(), "nothing added: {kept}");
        // The CRD's schema: a group is an object with a name.
        let bad = json!({"metadata": {"name": "p"}, "spec": {"group": "g"}});
        assert!(unknown_fields(Kind::IngressClassParams, &bad).is_err());
    }
}
