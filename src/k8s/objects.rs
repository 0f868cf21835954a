//! The verbs on objects: get, list (selectors, limit/continue, Table), create, update (PUT,
//! 409 on a stale resourceVersion), patch (merge, JSON, strategic, server-side apply), delete
//! (finalizers, propagation), deletecollection, and the status and scale subresources. Every
//! write decodes, checks fields (strict / warn / ignore), validates, then commits under one
//! hold of the store's lock, so nothing is half-written; `dryRun=All` stops before the commit.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::resources::{self, Resource};
use super::selectors::{FieldSelector, LabelSelector, labels_of};
use super::status::{Cause, Status};
use super::table::{self, Include};
use super::{ApiCluster, json as json_response, patch, validate};
use crate::cluster::{ClusterStore, Kind, StoreError, Write};

/// One request below a cluster's prefix.
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The Host header (legacy discovery reports it).
    pub host: String,
}

pub type Query = HashMap<String, String>;

pub fn query(q: &str) -> Query {
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// How unknown fields are treated (`fieldValidation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    Strict,
    Warn,
    Ignore,
}

impl FieldValidation {
    fn from_query(q: &Query) -> Result<FieldValidation, Status> {
        match q.get("fieldValidation").map(String::as_str) {
            None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some(v) => Err(Status::bad_request(format!("fieldValidation parameter unsupported: {v}"))),
        }
    }
}

/// What a write answers: the object, its status code, and warnings for the `Warning` header.
pub struct Written {
    pub object: Value,
    pub created: bool,
    pub warnings: Vec<String>,
}

fn store_err(r: &Resource, name: &str, e: StoreError) -> Status {
    match e {
        StoreError::NotFound => Status::not_found(r, name),
        StoreError::AlreadyExists => Status::already_exists(r, name),
        StoreError::Conflict => Status::conflict(r, name),
        StoreError::Invalid(m) => Status::undecodable(r, &m),
    }
}

fn is_crd(kind: Kind) -> bool {
    matches!(kind, Kind::TargetGroupBinding | Kind::IngressClassParams)
}

fn content_type(h: &HeaderMap) -> String {
    h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The body as JSON (JSON or YAML bodies; protobuf and CBOR are refused with 415).
pub fn body_value(ct: &str, body: &[u8]) -> Result<Value, Status> {
    match ct {
        "application/json"
        | "application/merge-patch+json"
        | "application/strategic-merge-patch+json"
        | "application/json-patch+json"
        | "" => serde_json::from_slice(body).map_err(|e| Status::bad_request(format!("the body of the request is not valid JSON: {e}"))),
        "application/yaml" | "application/apply-patch+yaml" | "application/x-yaml" | "text/yaml" => {
            serde_yaml_ng::from_slice::<Value>(body).map_err(|e| Status::bad_request(format!("error converting YAML to JSON: {e}")))
        }
        other => Err(Status::unsupported_media_type(other)),
    }
}

fn meta_str<'a>(v: &'a Value, k: &str) -> &'a str {
    v["metadata"][k].as_str().unwrap_or("")
}

/// Type and scope checks shared by every write: apiVersion/kind as the URL's, the namespace
/// filled from the URL (or refused when they differ).
fn place(r: &Resource, v: &mut Value, ns: Option<&str>) -> Result<(), Status> {
    let Some(m) = v.as_object_mut() else { return Err(Status::bad_request("the body must be a JSON object")) };
    let gv = r.group_version();
    if let Some(a) = m.get("apiVersion").and_then(Value::as_str)
        && !a.is_empty()
        && a != gv
    {
        return Err(Status::bad_request(format!("the API version in the data ({a}) does not match the expected API version ({gv})")));
    }
    if let Some(k) = m.get("kind").and_then(Value::as_str)
        && !k.is_empty()
        && k != r.kind.name()
    {
        return Err(Status::bad_request(format!("the kind in the data ({k}) does not match the expected kind ({})", r.kind.name())));
    }
    m.insert("apiVersion".into(), Value::from(gv));
    m.insert("kind".into(), Value::from(r.kind.name()));
    let meta = m.entry("metadata").or_insert_with(|| json!({}));
    if !meta.is_object() {
        return Err(Status::bad_request("metadata must be an object"));
    }
    let meta = meta.as_object_mut().expect("an object");
    match ns {
        Some(ns) => {
            match meta.get("namespace").and_then(Value::as_str) {
                Some(b) if !b.is_empty() && b != ns => {
                    return Err(Status::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => {}
            }
            meta.insert("namespace".into(), Value::from(ns));
        }
        None => {
            meta.remove("namespace");
        }
    }
    Ok(())
}

/// Unknown fields per the mode: refused (Strict), warned about (Warn), or dropped (Ignore;
/// decoding drops them). CRDs have no schema here: nothing is checked.
fn fields(r: &Resource, v: &Value, mode: FieldValidation) -> Result<Vec<String>, Status> {
    if is_crd(r.kind) || mode == FieldValidation::Ignore {
        return Ok(Vec::new());
    }
    let unknown = validate::unknown_fields(r.kind, v).map_err(|e| Status::undecodable(r, &e))?;
    if unknown.is_empty() {
        return Ok(Vec::new());
    }
    match mode {
        FieldValidation::Strict => Err(Status::strict_decoding(r, &unknown)),
        _ => Ok(unknown),
    }
}

fn check(r: &Resource, v: &Value) -> Result<(), Status> {
    ClusterStore::check_value(r.kind, v).map_err(|e| store_err(r, meta_str(v, "name"), e))?;
    let causes = validate::object(r.kind, v);
    if causes.is_empty() { Ok(()) } else { Err(Status::invalid(r, meta_str(v, "name"), causes)) }
}

fn namespace_usable(s: &ClusterStore, ns: &str) -> Result<(), Status> {
    match s.get::<k8s_openapi::api::core::v1::Namespace>("", ns) {
        None => Err(Status::namespace_not_found(ns)),
        Some(n) if n.metadata.deletion_timestamp.is_some() => {
            Err(Status::forbidden(format!("unable to create new content in namespace {ns} because it is being terminated")))
        }
        Some(_) => Ok(()),
    }
}

/// What a create resets: bookkeeping the client may not set, and status for kinds whose
/// controllers own it.
fn reset_for_create(kind: Kind, v: &mut Value) {
    if let Some(m) = v["metadata"].as_object_mut() {
        for k in [
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "selfLink",
            "managedFields",
        ] {
            m.remove(k);
        }
    }
    let Some(o) = v.as_object_mut() else { return };
    match kind {
        Kind::Service => {
            o.insert("status".into(), json!({ "loadBalancer": {} }));
        }
        Kind::Pod => {
            o.insert("status".into(), json!({ "phase": "Pending", "qosClass": "BestEffort" }));
        }
        Kind::Namespace => {
            o.insert("status".into(), json!({ "phase": "Active" }));
            let spec = o.entry("spec").or_insert_with(|| json!({}));
            if spec.get("finalizers").is_none() {
                spec["finalizers"] = json!(["kubernetes"]);
            }
        }
        Kind::Deployment | Kind::ReplicaSet | Kind::Ingress | Kind::TargetGroupBinding => {
            o.remove("status");
        }
        _ => {}
    }
}

fn generate_name(prefix: &str) -> String {
    // apiserver `names.SimpleNameGenerator`: 5 of these, no vowels or look-alikes.
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let u = uuid::Uuid::new_v4();
    let suffix: String = u.as_bytes().iter().take(5).map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    format!("{prefix}{suffix}")
}

/// Creates `v` (already decoded from the body) as `r` in `ns`.
pub fn create(
    s: &mut ClusterStore,
    r: &Resource,
    ns: Option<&str>,
    mut v: Value,
    mode: FieldValidation,
    dry_run: bool,
) -> Result<Written, Status> {
    place(r, &mut v, ns)?;
    if meta_str(&v, "name").is_empty() && !meta_str(&v, "generateName").is_empty() {
        let mut name = generate_name(meta_str(&v, "generateName"));
        while s.get_value(r.kind, ns.unwrap_or(""), &name).is_some() {
            name = generate_name(meta_str(&v, "generateName"));
        }
        v["metadata"]["name"] = Value::from(name);
    }
    let warnings = fields(r, &v, mode)?;
    reset_for_create(r.kind, &mut v);
    check(r, &v)?;
    if let Some(ns) = ns {
        namespace_usable(s, ns)?;
    }
    let name = meta_str(&v, "name").to_string();
    if s.get_value(r.kind, ns.unwrap_or(""), &name).is_some() {
        return Err(Status::already_exists(r, &name));
    }
    let object = if dry_run {
        let mut o = ClusterStore::normalize(r.kind, &v).map_err(|e| store_err(r, &name, e))?;
        o["metadata"]["uid"] = Value::from(uuid::Uuid::new_v4().to_string());
        o["metadata"]["creationTimestamp"] = Value::from(s.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        o
    } else {
        s.write_value(r.kind, v, Write::Create).map_err(|e| store_err(r, &name, e))?
    };
    Ok(Written { object, created: true, warnings })
}

/// Replaces the object `name` (PUT); `status` writes only its status.
// The last three are the PUT's own flags (subresource, fieldValidation, dryRun), as upstream's
// handler takes them; a struct for them would be built at its one caller only.
#[allow(clippy::too_many_arguments)]
pub fn update(
    s: &mut ClusterStore,
    r: &Resource,
    ns: Option<&str>,
    name: &str,
    mut v: Value,
    status: bool,
    mode: FieldValidation,
    dry_run: bool,
) -> Result<Written, Status> {
    place(r, &mut v, ns)?;
    let body_name = meta_str(&v, "name").to_string();
    if body_name.is_empty() {
        v["metadata"]["name"] = Value::from(name);
    } else if body_name != name {
        return Err(Status::bad_request(format!("the name of the object ({body_name}) does not match the name on the URL ({name})")));
    }
    let warnings = fields(r, &v, mode)?;
    let Some(current) = s.get_value(r.kind, ns.unwrap_or(""), name) else {
        // Upstream's Service registry creates on update (AllowCreateOnUpdate).
        if r.kind == Kind::Service && !status {
            return create(s, r, ns, v, mode, dry_run);
        }
        return Err(Status::not_found(r, name));
    };
    commit_update(s, r, name, &current, v, status, dry_run).map(|mut w| {
        w.warnings = warnings;
        w
    })
}

/// Validates `v` as the next state of `current` and writes it.
fn commit_update(
    s: &mut ClusterStore,
    r: &Resource,
    name: &str,
    current: &Value,
    mut v: Value,
    status: bool,
    dry_run: bool,
) -> Result<Written, Status> {
    let merged_for_check = if status {
        let mut c = current.clone();
        c["status"] = v["status"].clone();
        c
    } else {
        // Validation sees the object as it would be stored: the old status kept.
        let mut c = v.clone();
        if !current["status"].is_null() {
            c["status"] = current["status"].clone();
        }
        c
    };
    check(r, &merged_for_check)?;
    if let Some(rv) = v["metadata"]["resourceVersion"].as_str()
        && !rv.is_empty()
        && current["metadata"]["resourceVersion"].as_str() != Some(rv)
    {
        return Err(Status::conflict(r, name));
    }
    if dry_run {
        return Ok(Written { object: merged_for_check, created: false, warnings: Vec::new() });
    }
    // A write that names no uid keeps the stored one (it is the same object).
    if v["metadata"]["uid"].is_null() {
        v["metadata"]["uid"] = current["metadata"]["uid"].clone();
    }
    let mode = if status { Write::Status } else { Write::Update };
    let object = s.write_value(r.kind, v, mode).map_err(|e| store_err(r, name, e))?;
    Ok(Written { object, created: false, warnings: Vec::new() })
}

/// Applies a patch of content type `ct` to the object `name`; server-side apply creates a
/// missing object.
#[allow(clippy::too_many_arguments)]
pub fn patch_object(
    s: &mut ClusterStore,
    r: &Resource,
    ns: Option<&str>,
    name: &str,
    ct: &str,
    body: &[u8],
    status: bool,
    mode: FieldValidation,
    dry_run: bool,
) -> Result<Written, Status> {
    let p = body_value(ct, body)?;
    let current = s.get_value(r.kind, ns.unwrap_or(""), name);
    let Some(current) = current else {
        if ct == "application/apply-patch+yaml" && !status {
            let mut v = p;
            if v["metadata"]["name"].is_null() {
                v["metadata"]["name"] = Value::from(name);
            }
            return create(s, r, ns, v, mode, dry_run);
        }
        return Err(Status::not_found(r, name));
    };
    let mut next = current.clone();
    match ct {
        "application/merge-patch+json" => patch::merge(&mut next, &p),
        "application/json-patch+json" => next = patch::json_patch(&current, &p).map_err(Status::bad_request)?,
        "application/strategic-merge-patch+json" => {
            if is_crd(r.kind) {
                return Err(Status::unsupported_media_type(ct));
            }
            patch::strategic(&mut next, &p, "").map_err(Status::bad_request)?;
        }
        "application/apply-patch+yaml" => {
            if is_crd(r.kind) {
                patch::merge(&mut next, &p);
            } else {
                patch::strategic(&mut next, &p, "").map_err(Status::bad_request)?;
            }
        }
        other => return Err(Status::unsupported_media_type(other)),
    }
    if next["metadata"]["name"].as_str() != Some(name) {
        return Err(Status::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            meta_str(&next, "name")
        )));
    }
    place(r, &mut next, ns)?;
    let warnings = fields(r, &next, mode)?;
    commit_update(s, r, name, &current, next, status, dry_run).map(|mut w| {
        w.warnings = warnings;
        w
    })
}

/// The namespaces that may never be deleted.
const PROTECTED: [&str; 3] = ["default", "kube-system", "kube-public"];

/// Deletes `name`: the last state, with `deletionTimestamp` when finalizers hold it.
pub fn delete(s: &mut ClusterStore, r: &Resource, ns: Option<&str>, name: &str, orphan: bool, dry_run: bool) -> Result<Value, Status> {
    let nsk = ns.unwrap_or("");
    let Some(current) = s.get_value(r.kind, nsk, name) else { return Err(Status::not_found(r, name)) };
    if r.kind == Kind::Namespace && PROTECTED.contains(&name) {
        return Err(Status::forbidden(format!("namespaces {name:?} is forbidden: this namespace may not be deleted")));
    }
    if dry_run {
        return Ok(current);
    }
    if orphan && let Some(uid) = current["metadata"]["uid"].as_str() {
        super::controllers::orphan_dependents(s, uid);
    }
    if r.kind == Kind::Namespace {
        // The namespace controller empties it, then drops its `kubernetes` finalizer.
        let now = crate::cluster::store::time(s.now());
        let o = s.patch::<k8s_openapi::api::core::v1::Namespace>("", name, |n| {
            n.metadata.deletion_timestamp.get_or_insert(now);
            n.status.get_or_insert_with(Default::default).phase = Some("Terminating".into());
        });
        return Ok(o.and_then(|o| serde_json::to_value(o).ok()).unwrap_or(current));
    }
    let (last, _gone) = s.delete_value(r.kind, nsk, name).ok_or_else(|| Status::not_found(r, name))?;
    Ok(last)
}

/// Objects of `r` in `ns` (all when `None`) that pass the selectors, in name order.
pub fn select(s: &ClusterStore, r: &Resource, ns: Option<&str>, labels: &LabelSelector, fields: &FieldSelector) -> Vec<Value> {
    let source = if r.events_view { Kind::Event } else { r.kind };
    let mut items: Vec<Value> = match fields.name() {
        Some(n) if ns.is_some() || !r.namespaced() => s.get_value(source, ns.unwrap_or(""), n).into_iter().collect(),
        _ => s.list_values(source, ns),
    };
    if r.events_view {
        items = items.iter().map(events_view).collect();
    }
    items.retain(|v| labels.matches(&labels_of(v)) && fields.matches(v));
    items
}

/// A core Event as events.k8s.io/v1 shows it (apiserver's conversion).
pub fn events_view(e: &Value) -> Value {
    json!({
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": e["metadata"],
        "eventTime": e["eventTime"],
        "reason": e["reason"],
        "regarding": e["involvedObject"],
        "note": e["message"],
        "type": e["type"],
        "reportingController": e["reportingComponent"],
        "reportingInstance": e["reportingInstance"],
        "deprecatedSource": e["source"],
        "deprecatedFirstTimestamp": e["firstTimestamp"],
        "deprecatedLastTimestamp": e["lastTimestamp"],
        "deprecatedCount": e["count"],
    })
}

pub fn selectors(r: &Resource, q: &Query) -> Result<(LabelSelector, FieldSelector), Status> {
    let labels = LabelSelector::parse(q.get("labelSelector").map(String::as_str).unwrap_or("")).map_err(Status::bad_request)?;
    let kind = if r.events_view { Kind::Event } else { r.kind };
    let mut fq = q.get("fieldSelector").cloned().unwrap_or_default();
    if r.events_view {
        // events.k8s.io selects on `regarding.*`; the core fields are `involvedObject.*`.
        fq = fq.replace("regarding.", "involvedObject.");
    }
    let fields = FieldSelector::parse(kind, &fq).map_err(Status::bad_request)?;
    Ok((labels, fields))
}

/// Whether the client asked for a Table.
pub fn wants_table(h: &HeaderMap) -> bool {
    h.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.split(',').next().is_some_and(|first| first.contains("as=Table")))
}

fn list(c: &ApiCluster, r: &Resource, ns: Option<&str>, q: &Query, headers: &HeaderMap) -> Result<Response, Status> {
    let (labels, fields) = selectors(r, q)?;
    let s = c.store.lock();
    let rv = s.resource_version();
    if q.get("resourceVersionMatch").map(String::as_str) == Some("Exact")
        && let Some(want) = q.get("resourceVersion").and_then(|v| v.parse::<u64>().ok())
        && want != rv
    {
        return Err(Status::expired(want, rv));
    }
    let mut items = select(&s, r, ns, &labels, &fields);
    let now = s.now();
    drop(s);
    // limit/continue: the token is the offset into this ordering (names are stable).
    let start: usize = match q.get("continue").filter(|t| !t.is_empty()) {
        Some(t) => t.split_once(':').and_then(|(_, o)| o.parse().ok()).ok_or_else(|| Status::bad_request("continue key is not valid"))?,
        None => 0,
    };
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).filter(|l| *l > 0).unwrap_or(usize::MAX);
    let total = items.len();
    let end = start.saturating_add(limit).min(total);
    items = items.into_iter().skip(start).take(end.saturating_sub(start)).collect();
    let mut meta = json!({ "resourceVersion": rv.to_string() });
    if end < total {
        meta["continue"] = Value::from(format!("{rv}:{end}"));
        meta["remainingItemCount"] = Value::from(total - end);
    }
    if wants_table(headers) {
        let mut t = table::table(r.kind, &items, &rv.to_string(), now, Include::parse(q.get("includeObject").map(String::as_str)), true);
        t["metadata"] = meta;
        return Ok(json_response(StatusCode::OK, &t));
    }
    let v = json!({ "kind": format!("{}List", r.kind.name()), "apiVersion": r.group_version(), "metadata": meta, "items": items });
    Ok(json_response(StatusCode::OK, &v))
}

fn one(c: &ApiCluster, r: &Resource, ns: Option<&str>, name: &str, q: &Query, headers: &HeaderMap) -> Result<Response, Status> {
    let s = c.store.lock();
    let source = if r.events_view { Kind::Event } else { r.kind };
    let v = s.get_value(source, ns.unwrap_or(""), name).ok_or_else(|| Status::not_found(r, name))?;
    let v = if r.events_view { events_view(&v) } else { v };
    if wants_table(headers) {
        let rv = v["metadata"]["resourceVersion"].as_str().unwrap_or("").to_string();
        let t = table::table(r.kind, &[v], &rv, s.now(), Include::parse(q.get("includeObject").map(String::as_str)), true);
        return Ok(json_response(StatusCode::OK, &t));
    }
    Ok(json_response(StatusCode::OK, &v))
}

fn written(w: Written) -> Response {
    let code = if w.created { StatusCode::CREATED } else { StatusCode::OK };
    let mut resp = json_response(code, &w.object);
    for m in w.warnings {
        if let Ok(h) = HeaderValue::from_str(&format!("299 - {:?}", m)) {
            resp.headers_mut().append(header::WARNING, h);
        }
    }
    resp
}

/// The Scale of a Deployment or ReplicaSet (`autoscaling/v1`).
fn scale_of(v: &Value) -> Value {
    let m = &v["metadata"];
    let sel = &v["spec"]["selector"];
    let mut parts: Vec<String> =
        sel["matchLabels"].as_object().into_iter().flatten().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect();
    parts.sort();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": { "name": m["name"], "namespace": m["namespace"], "uid": m["uid"], "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"] },
        "spec": { "replicas": v["spec"]["replicas"].as_i64().unwrap_or(1) },
        "status": { "replicas": v["status"]["replicas"].as_i64().unwrap_or(0), "selector": parts.join(",") },
    })
}

fn scale(c: &ApiCluster, r: &Resource, ns: Option<&str>, name: &str, req: &Request, dry_run: bool) -> Result<Response, Status> {
    let mut s = c.store.lock();
    let current = s.get_value(r.kind, ns.unwrap_or(""), name).ok_or_else(|| Status::not_found(r, name))?;
    let sc = scale_of(&current);
    let next = match req.method {
        Method::GET => return Ok(json_response(StatusCode::OK, &sc)),
        Method::PUT => body_value(&content_type(&req.headers), &req.body)?,
        Method::PATCH => {
            let ct = content_type(&req.headers);
            let p = body_value(&ct, &req.body)?;
            let mut n = sc.clone();
            match ct.as_str() {
                "application/json-patch+json" => n = patch::json_patch(&sc, &p).map_err(Status::bad_request)?,
                "application/strategic-merge-patch+json" | "application/merge-patch+json" | "application/apply-patch+yaml" => {
                    patch::merge(&mut n, &p)
                }
                other => return Err(Status::unsupported_media_type(other)),
            }
            n
        }
        _ => return Err(Status::method_not_allowed("the server does not allow this method on the requested resource")),
    };
    let Some(replicas) = next["spec"]["replicas"].as_i64() else {
        return Err(Status::invalid(r, name, vec![Cause::required("spec.replicas", "")]));
    };
    if replicas < 0 {
        return Err(Status::invalid(r, name, vec![Cause::invalid_raw("spec.replicas", replicas, "must be greater than or equal to 0")]));
    }
    if let Some(rv) = next["metadata"]["resourceVersion"].as_str()
        && !rv.is_empty()
        && current["metadata"]["resourceVersion"].as_str() != Some(rv)
    {
        return Err(Status::conflict(r, name));
    }
    let mut obj = current.clone();
    obj["spec"]["replicas"] = Value::from(replicas);
    if dry_run {
        return Ok(json_response(StatusCode::OK, &scale_of(&obj)));
    }
    let stored = s.write_value(r.kind, obj, Write::Update).map_err(|e| store_err(r, name, e))?;
    Ok(json_response(StatusCode::OK, &scale_of(&stored)))
}

/// Serves `rest` (the segments after `/api/v1` or `/apis/<group>/<version>`).
pub async fn serve(c: &ApiCluster, group: &str, version: &str, rest: &[&str], req: Request) -> Response {
    match serve_inner(c, group, version, rest, req).await {
        Ok(r) => r,
        Err(s) => s.into_response(),
    }
}

async fn serve_inner(c: &ApiCluster, group: &str, version: &str, rest: &[&str], req: Request) -> Result<Response, Status> {
    let (ns, plural, tail): (Option<&str>, &str, &[&str]) = match rest {
        ["namespaces", ns, plural, tail @ ..] if resources::find(group, version, plural).is_some_and(|r| r.namespaced()) => {
            (Some(*ns), *plural, tail)
        }
        [plural, tail @ ..] => (None, *plural, tail),
        [] => return Err(Status::path_not_found()),
    };
    let r = resources::find(group, version, plural).ok_or_else(Status::path_not_found)?;
    let name = tail.first().copied();
    let sub = tail.get(1).copied();
    if tail.len() > 2 || (!r.namespaced() && ns.is_some()) || (r.namespaced() && ns.is_none() && name.is_some()) {
        return Err(Status::path_not_found());
    }
    let q = query(&req.query);
    let dry_run = q.get("dryRun").is_some_and(|d| d == "All");
    let mode = FieldValidation::from_query(&q)?;
    let read_only = r.events_view;
    if read_only && req.method != Method::GET {
        return Err(Status::method_not_allowed(format!("lbsim serves {} read-only: write core/v1 Events", r.qualified())));
    }
    let is_watch = q.get("watch").is_some_and(|w| w == "true" || w == "1");
    let ct = content_type(&req.headers);
    let result = match (&req.method, name, sub) {
        (&Method::GET, None, None) if is_watch => return super::watch::serve(c, r, ns, &q, &req.headers),
        (&Method::GET, None, None) => return list(c, r, ns, &q, &req.headers),
        (&Method::GET, Some(n), None) => return one(c, r, ns, n, &q, &req.headers),
        (&Method::GET, Some(n), Some("status")) if r.status => return one(c, r, ns, n, &q, &req.headers),
        (_, Some(n), Some("scale")) if r.scale => {
            let resp = scale(c, r, ns, n, &req, dry_run);
            c.wake.notify_one();
            return resp;
        }
        (&Method::POST, None, None) => {
            let v = body_value(&ct, &req.body)?;
            create(&mut c.store.lock(), r, ns, v, mode, dry_run)
        }
        (&Method::PUT, Some(n), sub @ (None | Some("status"))) if sub.is_none() || r.status => {
            let v = body_value(&ct, &req.body)?;
            update(&mut c.store.lock(), r, ns, n, v, sub.is_some(), mode, dry_run)
        }
        (&Method::PATCH, Some(n), sub @ (None | Some("status"))) if sub.is_none() || r.status => {
            patch_object(&mut c.store.lock(), r, ns, n, &ct, &req.body, sub.is_some(), mode, dry_run)
        }
        (&Method::DELETE, Some(n), None) => {
            let opts: Value = if req.body.is_empty() { json!({}) } else { serde_json::from_slice(&req.body).unwrap_or(json!({})) };
            let policy = q.get("propagationPolicy").cloned().or_else(|| opts["propagationPolicy"].as_str().map(String::from));
            let orphan = policy.as_deref() == Some("Orphan")
                || opts["orphanDependents"].as_bool() == Some(true)
                || q.get("orphanDependents").is_some_and(|o| o == "true");
            let dry = dry_run || opts["dryRun"].as_array().is_some_and(|a| a.iter().any(|x| x == "All"));
            let v = delete(&mut c.store.lock(), r, ns, n, orphan, dry)?;
            c.wake.notify_one();
            return Ok(json_response(StatusCode::OK, &v));
        }
        (&Method::DELETE, None, None) => {
            let (labels, fields) = selectors(r, &q)?;
            let mut s = c.store.lock();
            let victims = select(&s, r, ns, &labels, &fields);
            let mut items = Vec::new();
            for v in victims {
                let (vns, vn) = (meta_str(&v, "namespace").to_string(), meta_str(&v, "name").to_string());
                let vns = if r.namespaced() { Some(vns.as_str()) } else { None };
                if let Ok(last) = delete(&mut s, r, vns, &vn, false, dry_run) {
                    items.push(last);
                }
            }
            let rv = s.resource_version();
            drop(s);
            c.wake.notify_one();
            let list = json!({ "kind": format!("{}List", r.kind.name()), "apiVersion": r.group_version(), "metadata": { "resourceVersion": rv.to_string() }, "items": items });
            return Ok(json_response(StatusCode::OK, &list));
        }
        _ => return Err(Status::method_not_allowed("the server does not allow this method on the requested resource")),
    };
    let w = result?;
    c.wake.notify_one();
    Ok(written(w))
}
