//! The admin endpoints and their access rule. The router and `ROUTES` (which the OpenAPI test
//! compares with openapi.json) come from one list, so they cannot drift apart.
//!
//! Access (`guard`, in front of every admin route, the Kubernetes ones of upper layers too):
//! - Health and the OpenAPI document are open to anyone (container health checks come from
//!   non-loopback peers).
//! - Who: loopback peers and peers in `admin_allow` (`--admin-allow CIDR`); when an admin token
//!   is configured, every request must present it instead (`Authorization: Bearer <token>` or
//!   `x-lbsim-admin-token: <token>`), from any peer. A request that reaches the router without a
//!   socket (in-process callers) counts as local.
//! - Not from a web page: a page the user visits can make the browser send requests to
//!   127.0.0.1 (a "simple" cross-site request needs no permission) or, by DNS rebinding, under
//!   its own host name. So, unless the request carries the admin token (which a page cannot add
//!   without a CORS preflight lbsim never grants): the `Host` must be an IP address, `localhost`
//!   or a name in `admin_hosts` (`--admin-host`); an `Origin`, when sent, must be lbsim's own
//!   (same host and port); and a write with a body must say it is JSON (or YAML, which the
//!   Kubernetes endpoints take) — the three content types a page may send without a preflight
//!   are refused.
//!
//! Refusals are 403 JSON (415 for the content type, 413 for a body over 1 MiB).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, any, on};
use serde_json::{Value, json};

use super::state_dump;
use crate::app::App;
use crate::app::faults::FaultSpec;
use crate::app::request_log::Query;
use crate::state::Quotas;
use crate::wire::{Service, valid_account};

const VERSION: &str = env!("CARGO_PKG_VERSION");

macro_rules! routes {
    ($($method:ident $path:literal => $handler:ident;)*) => {
        /// Every admin endpoint as (method, path), exactly as the router serves them.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        fn endpoints() -> Router<Arc<App>> {
            Router::new()$(.route($path, on(MethodFilter::$method, $handler)))*
        }
    };
}

routes! {
    GET "/_lbsim/health" => health;
    GET "/_localstack/health" => localstack_health;
    GET "/_lbsim/openapi.json" => openapi;
    POST "/_lbsim/reset" => reset;
    POST "/moto-api/reset" => moto_reset;
    GET "/moto-api/reset" => moto_reset_get;
    GET "/_lbsim/state" => state;
    GET "/_lbsim/quotas" => get_quotas;
    PUT "/_lbsim/quotas" => put_quotas;
    GET "/_lbsim/usage" => usage;
    GET "/_lbsim/requests" => requests;
    POST "/_lbsim/faults" => add_fault;
    GET "/_lbsim/faults" => list_faults;
    DELETE "/_lbsim/faults" => clear_faults;
    GET "/_lbsim/faults/{id}" => get_fault;
    DELETE "/_lbsim/faults/{id}" => delete_fault;
    POST "/_lbsim/snapshot" => snapshot;
}

/// Largest admin request body (manifests and fault specs are a few kB).
const MAX_ADMIN_BODY: usize = 1 << 20;

/// Paths anyone may read: they reveal only that lbsim runs, and its version.
const OPEN: &[&str] = &["/_lbsim/health", "/_localstack/health", "/_lbsim/openapi.json"];

/// The admin routes, guarded; the server adds the AWS fallback after them.
pub fn router(app: Arc<App>) -> Router<Arc<App>> {
    endpoints()
        // Unknown admin paths get a JSON 404, never the AWS fallback.
        .route("/_lbsim/{*rest}", any(unknown))
        .route_layer(middleware::from_fn_with_state(app, guard))
}

/// The access rule as middleware; upper layers put their admin routes behind it too.
pub async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if OPEN.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    // Also finds axum's MockConnectInfo, which tests use to play a remote peer.
    let peer = ConnectInfo::<SocketAddr>::from_request_parts(&mut parts, &app).await.ok().map(|c| c.0);
    let token = match check_access(app.admin_token.as_deref(), &app.admin_allow, peer, &parts.headers) {
        Ok(t) => t,
        Err(msg) => return error(StatusCode::FORBIDDEN, "Forbidden", msg).into_response(),
    };
    if !token && let Err(e) = check_browser(&app.config.admin_hosts, &parts.method, &parts.headers) {
        return e.into_response();
    }
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_ADMIN_BODY as u64) {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge", format!("admin API bodies are at most {MAX_ADMIN_BODY} bytes"))
            .into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(v6.is_loopback(), |v4| v4.is_loopback()),
    }
}

/// IPv4-mapped IPv6 peers (`::ffff:a.b.c.d`) as the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Equal lengths and bytes, compared without an early exit.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Who may call (see the module header). `Ok(true)` when the request presented the token.
pub fn check_access(
    token: Option<&str>,
    allow: &[ipnet::IpNet],
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
) -> Result<bool, &'static str> {
    match token {
        Some(t) => {
            let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
            let direct = headers.get("x-lbsim-admin-token").and_then(|v| v.to_str().ok());
            if [bearer, direct].into_iter().flatten().any(|given| same_secret(given.trim(), t)) {
                Ok(true)
            } else {
                Err("this admin API requires the admin token: send 'Authorization: Bearer <token>' or 'x-lbsim-admin-token: <token>'")
            }
        }
        None if peer.is_none_or(|p| is_loopback(p.ip()) || allow.iter().any(|n| n.contains(&canonical(p.ip())))) => Ok(false),
        None => Err(
            "the admin API answers loopback peers only; start lbsim with --admin-allow CIDR (LBSIM_ADMIN_ALLOW) for peers such as a container's gateway, or --admin-token (LBSIM_ADMIN_TOKEN)",
        ),
    }
}

/// The host part of a `Host` or `Origin` authority (`[::1]:4566` → `::1`, `a:1` → `a`).
fn host_part(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    authority.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(authority, |(h, _)| h)
}

/// A `Host` no DNS-rebinding page can produce: an IP literal, `localhost` (RFC 6761 keeps it
/// local), or a configured name.
fn trusted_host(host: &str, names: &[String]) -> bool {
    let h = host_part(host).trim_end_matches('.').to_ascii_lowercase();
    h.parse::<IpAddr>().is_ok() || h == "localhost" || h.ends_with(".localhost") || names.iter().any(|n| n.eq_ignore_ascii_case(&h))
}

/// The media types an admin write may carry: JSON, and YAML for the Kubernetes endpoints. The
/// CORS-safelisted ones (form, multipart, text/plain) are what a page can send unasked.
fn admin_media_type(content_type: &str) -> bool {
    let t = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    t == "application/json" || t == "application/yaml" || t == "application/x-yaml" || t.ends_with("+json") || t.ends_with("+yaml")
}

/// The rules against web pages (see the module header).
pub fn check_browser(names: &[String], method: &Method, headers: &HeaderMap) -> Result<(), AdminError> {
    let text = |h: header::HeaderName| headers.get(h).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    let host = text(header::HOST);
    if let Some(h) = host
        && !trusted_host(h, names)
    {
        return Err(error(
            StatusCode::FORBIDDEN,
            "ForbiddenHost",
            format!(
                "the admin API does not answer to Host '{}': use an IP address or localhost, or start lbsim with --admin-host NAME",
                h.chars().take(100).collect::<String>()
            ),
        ));
    }
    if let Some(origin) = text(header::ORIGIN) {
        let own = host.is_some_and(|h| {
            origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")).is_some_and(|o| o.eq_ignore_ascii_case(h))
        });
        if !own {
            return Err(error(
                StatusCode::FORBIDDEN,
                "ForbiddenOrigin",
                "the admin API refuses requests from web pages of other origins; call it from a program, or send the admin token",
            ));
        }
    }
    let writes = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let has_body =
        headers.get(header::CONTENT_LENGTH).is_some_and(|v| v.as_bytes() != b"0") || headers.contains_key(header::TRANSFER_ENCODING);
    let content_type = text(header::CONTENT_TYPE);
    if writes && (has_body || content_type.is_some()) && !content_type.is_some_and(admin_media_type) {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "admin API writes take 'Content-Type: application/json' (the Kubernetes endpoints also application/yaml)",
        ));
    }
    Ok(())
}

// ---- helpers ---------------------------------------------------------------------------------

fn json_response(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

fn ok(v: Value) -> Response {
    json_response(StatusCode::OK, v)
}

/// An admin API refusal: `{"error": {"code", "message"}}` with its status.
#[derive(Debug)]
pub struct AdminError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        json_response(self.status, json!({ "error": { "code": self.code, "message": self.message } }))
    }
}

type Reply = Result<Response, AdminError>;

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> AdminError {
    AdminError { status, code, message: message.into() }
}

fn bad(message: impl Into<String>) -> AdminError {
    error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// The query string, refusing parameters an endpoint does not know (typos would otherwise
/// silently widen a reset or a filter).
fn query(uri: &Uri, allowed: &[&str]) -> Result<HashMap<String, String>, AdminError> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if !allowed.contains(&k.as_ref()) {
            let known = if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") };
            return Err(bad(format!("unknown query parameter '{k}'; this endpoint takes: {known}")));
        }
        out.insert(k.into_owned(), v.into_owned());
    }
    Ok(out)
}

fn account_param(q: &HashMap<String, String>) -> Result<Option<String>, AdminError> {
    if let Some(r) = q.get("region")
        && !crate::wire::valid_region(r)
    {
        return Err(bad(format!("region '{}' is not a Region name", r.chars().take(64).collect::<String>())));
    }
    match q.get("account") {
        Some(a) if !valid_account(a) => {
            Err(bad(format!("account '{}' is not a 12-digit account id", a.chars().take(64).collect::<String>())))
        }
        other => Ok(other.cloned()),
    }
}

fn number<T: std::str::FromStr>(q: &HashMap<String, String>, name: &str) -> Result<Option<T>, AdminError> {
    q.get(name).map(|v| v.parse::<T>().map_err(|_| bad(format!("'{name}' must be a non-negative integer, not '{v}'")))).transpose()
}

/// A JSON object body; an empty body is `{}`.
fn json_body(body: &Bytes) -> Result<serde_json::Map<String, Value>, AdminError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("the body must be a JSON object")),
        Err(e) => Err(bad(format!("the body is not valid JSON: {e}"))),
    }
}

fn services_running() -> Value {
    Value::Object(Service::ALL.iter().map(|s| (s.label().to_string(), Value::from("running"))).collect())
}

// ---- health and reset ------------------------------------------------------------------------

async fn health(State(app): State<Arc<App>>) -> Response {
    ok(json!({
        "status": "ok",
        "name": "lbsim",
        "version": VERSION,
        "uptime_seconds": app.started.elapsed().as_secs_f64(),
        "services": services_running(),
    }))
}

/// LocalStack's shape (`localstack/services/internal.py` `HealthResource.on_get`): service name →
/// state, the edition and the version.
async fn localstack_health() -> Response {
    ok(json!({ "services": services_running(), "edition": "community", "version": VERSION }))
}

async fn reset(State(app): State<Arc<App>>, uri: Uri, body: Bytes) -> Reply {
    let mut account = account_param(&query(&uri, &["account"])?)?;
    for (k, v) in json_body(&body)? {
        match (k.as_str(), v) {
            ("account", Value::String(a)) if valid_account(&a) => {
                if account.as_ref().is_some_and(|q| *q != a) {
                    return Err(bad("the query and the body name different accounts"));
                }
                account = Some(a);
            }
            ("account", v) => return Err(bad(format!("account {v} is not a 12-digit account id"))),
            (k, _) => return Err(bad(format!("unknown field '{k}'; reset takes 'account'"))),
        }
    }
    Ok(ok(app.reset(account.as_deref())))
}

/// moto's server-mode reset (`moto_api/_internal/responses.py`): POST → 200 `{"status": "ok"}`.
async fn moto_reset(State(app): State<Arc<App>>) -> Response {
    app.reset(None);
    ok(json!({ "status": "ok" }))
}

/// moto answers other methods with 400 and this body.
async fn moto_reset_get() -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({ "Error": "Need to POST to reset Moto" }))
}

// ---- state, quotas, usage --------------------------------------------------------------------

/// The (account, Region) pairs that exist and pass the `account`/`region` filters.
fn selected(app: &App, q: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut keys = app.store.keys();
    keys.retain(|(a, r)| q.get("account").is_none_or(|x| x == a) && q.get("region").is_none_or(|x| x == r));
    keys
}

async fn state(State(app): State<Arc<App>>, uri: Uri) -> Reply {
    let q = query(&uri, &["account", "region"])?;
    account_param(&q)?;
    let mut accounts: BTreeMap<String, serde_json::Map<String, Value>> = BTreeMap::new();
    for (a, r) in selected(&app, &q) {
        let dump = app.store.with_region(&a, &r, |g| state_dump::region_json(g));
        accounts.entry(a).or_default().insert(r, dump);
    }
    let accounts: serde_json::Map<String, Value> = accounts.into_iter().map(|(a, regions)| (a, json!({ "regions": regions }))).collect();
    Ok(ok(json!({ "time": app.store.now().to_rfc3339(), "accounts": accounts })))
}

fn quotas_json(account: &str, q: &Quotas) -> Value {
    let values: serde_json::Map<String, Value> = q.entries().into_iter().map(|(k, v)| (k.to_string(), Value::from(v))).collect();
    json!({ "account": account, "quotas": values, "group_reference_bucket": q.group_reference_bucket })
}

async fn get_quotas(State(app): State<Arc<App>>, uri: Uri) -> Reply {
    if let Some(a) = account_param(&query(&uri, &["account"])?)? {
        return Ok(ok(quotas_json(&a, &app.store.quotas(&a))));
    }
    let mut names: Vec<String> = app.store.quota_accounts();
    names.extend(app.store.keys().into_iter().map(|(a, _)| a));
    names.push(app.config.default_account.clone());
    names.sort();
    names.dedup();
    let all: Vec<Value> = names.iter().map(|a| quotas_json(a, &app.store.quotas(a))).collect();
    Ok(ok(json!({ "default_account": app.config.default_account, "accounts": all })))
}

/// Sets some quotas of one account, all or none: every name and value is checked first.
async fn put_quotas(State(app): State<Arc<App>>, uri: Uri, body: Bytes) -> Reply {
    query(&uri, &[])?;
    let mut account = app.config.default_account.clone();
    let mut changes: Option<serde_json::Map<String, Value>> = None;
    for (k, v) in json_body(&body)? {
        match (k.as_str(), v) {
            ("account", Value::String(a)) if valid_account(&a) => account = a,
            ("account", v) => return Err(bad(format!("account {v} is not a 12-digit account id"))),
            ("quotas", Value::Object(m)) => changes = Some(m),
            ("quotas", _) => return Err(bad("'quotas' must be an object of quota name → non-negative integer")),
            (k, _) => return Err(bad(format!("unknown field '{k}'; this endpoint takes 'account' and 'quotas'"))),
        }
    }
    let changes = changes.ok_or_else(|| bad("missing 'quotas': an object of quota name → non-negative integer"))?;
    let mut q = app.store.quotas(&account);
    for (name, v) in &changes {
        let n = v.as_u64().ok_or_else(|| bad(format!("quota '{name}' must be a non-negative integer, not {v}")))?;
        q.set(name, n).map_err(|e| error(StatusCode::BAD_REQUEST, "UnknownQuota", e))?;
    }
    app.store.set_quotas(&account, q.clone());
    Ok(ok(quotas_json(&account, &q)))
}

async fn usage(State(app): State<Arc<App>>, uri: Uri) -> Reply {
    let q = query(&uri, &["account", "region", "quota", "limit"])?;
    account_param(&q)?;
    let limit = number::<usize>(&q, "limit")?;
    let quota = q.get("quota").map(|g| wildmatch::WildMatch::new(g));
    let mut rows = Vec::new();
    for (a, r) in selected(&app, &q) {
        rows.extend(app.store.with_region(&a, &r, |g| state_dump::region_usage(g)));
    }
    rows.retain(|r| quota.as_ref().is_none_or(|m| m.matches(&r.quota)));
    state_dump::sort(&mut rows);
    if let Some(n) = limit {
        rows.truncate(n);
    }
    Ok(ok(json!({ "usage": rows })))
}

// ---- request log -----------------------------------------------------------------------------

async fn requests(State(app): State<Arc<App>>, uri: Uri) -> Reply {
    let q = query(&uri, &["since", "action", "service", "account", "region", "errors", "limit"])?;
    account_param(&q)?;
    let service = match q.get("service") {
        None => None,
        Some(s) => Some(Service::from_label(s).ok_or_else(|| bad(format!("unknown service '{s}'; use ec2, elbv2 or sts")))?.label()),
    };
    let errors_only = match q.get("errors").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => return Err(bad(format!("'errors' must be true or false, not '{v}'"))),
    };
    let lq = Query {
        since: number::<u64>(&q, "since")?,
        action: q.get("action").cloned(),
        service,
        account: q.get("account").cloned(),
        region: q.get("region").cloned(),
        errors_only,
        limit: number::<usize>(&q, "limit")?,
    };
    let (entries, last_seq, dropped) = app.log.query(&lq);
    Ok(ok(json!({ "capacity": app.log.capacity(), "last_seq": last_seq, "dropped": dropped, "requests": entries })))
}

// ---- faults ----------------------------------------------------------------------------------

async fn add_fault(State(app): State<Arc<App>>, body: Bytes) -> Reply {
    // `null` is not "absent": a field given as null is refused, as the document says.
    if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&body)
        && let Some((k, _)) = m.iter().find(|(_, v)| v.is_null())
    {
        return Err(bad(format!("not a fault: '{k}' must not be null (leave it out instead)")));
    }
    let spec: FaultSpec = serde_json::from_slice(&body).map_err(|e| bad(format!("not a fault: {e}")))?;
    let f = app.faults.add(spec).map_err(bad)?;
    Ok(json_response(StatusCode::CREATED, f))
}

async fn list_faults(State(app): State<Arc<App>>) -> Response {
    ok(json!({ "faults": app.faults.list() }))
}

async fn clear_faults(State(app): State<Arc<App>>) -> Response {
    ok(json!({ "deleted": app.faults.clear(None) }))
}

fn no_fault(id: &str) -> AdminError {
    error(StatusCode::NOT_FOUND, "NotFound", format!("no fault '{id}'"))
}

async fn get_fault(State(app): State<Arc<App>>, Path(id): Path<String>) -> Reply {
    app.faults.get(&id).map(ok).ok_or_else(|| no_fault(&id))
}

async fn delete_fault(State(app): State<Arc<App>>, Path(id): Path<String>) -> Reply {
    if app.faults.remove(&id) { Ok(ok(json!({ "deleted": 1 }))) } else { Err(no_fault(&id)) }
}

// ---- the rest --------------------------------------------------------------------------------

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], super::openapi::DOCUMENT).into_response()
}

async fn unknown(uri: Uri) -> AdminError {
    let known: Vec<String> = ROUTES.iter().map(|(m, p)| format!("{m} {p}")).collect();
    error(StatusCode::NOT_FOUND, "NotFound", format!("no admin endpoint {}; known: {}", uri.path(), known.join(", ")))
}

/// Writes a snapshot to the state file now (the blocking write runs off the async workers).
async fn snapshot(State(app): State<Arc<App>>) -> Reply {
    if app.config.state_file.is_none() {
        return Err(error(
            StatusCode::CONFLICT,
            "NoStateFile",
            "lbsim was started without --state-file; there is nowhere to write a snapshot",
        ));
    }
    let a = app.clone();
    let saved = tokio::task::spawn_blocking(move || crate::persist::save_app(&a))
        .await
        .map_err(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "SnapshotFailed", "the snapshot task did not finish"))?
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, "SnapshotFailed", e))?;
    Ok(ok(json!({"path": saved.map(|p| p.display().to_string()), "regions": app.store.keys().len()})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_rule() {
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:5000".parse().unwrap();
        let remote: SocketAddr = "192.0.2.7:5000".parse().unwrap();
        let gateway: SocketAddr = "[::ffff:172.17.0.1]:5000".parse().unwrap();
        let none = HeaderMap::new();
        assert_eq!(check_access(None, &[], Some(local), &none), Ok(false));
        assert!(check_access(None, &[], Some(mapped), &none).is_ok());
        assert!(check_access(None, &[], None, &none).is_ok());
        assert!(check_access(None, &[], Some(remote), &none).is_err());
        let docker: Vec<ipnet::IpNet> = vec!["172.16.0.0/12".parse().unwrap()];
        assert!(check_access(None, &docker, Some(gateway), &none).is_ok());
        assert!(check_access(None, &docker, Some(remote), &none).is_err());
        let mut bearer = HeaderMap::new();
        bearer.insert(header::AUTHORIZATION, "Bearer s3cret".parse().unwrap());
        let mut direct = HeaderMap::new();
        direct.insert("x-lbsim-admin-token", "s3cret".parse().unwrap());
        let mut wrong = HeaderMap::new();
        wrong.insert("x-lbsim-admin-token", "s3cre".parse().unwrap());
        assert_eq!(check_access(Some("s3cret"), &[], Some(remote), &bearer), Ok(true));
        assert!(check_access(Some("s3cret"), &[], Some(remote), &direct).is_ok());
        assert!(check_access(Some("s3cret"), &[], Some(remote), &wrong).is_err());
        assert!(check_access(Some("s3cret"), &[], Some(local), &none).is_err());
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn browser_rules() {
        let names = vec!["lbsim".to_string()];
        let ok = |m: Method, h: &[(&'static str, &str)]| check_browser(&names, &m, &headers(h)).map_err(|e| e.code);
        assert_eq!(ok(Method::GET, &[("host", "127.0.0.1:4566")]), Ok(()));
        assert_eq!(ok(Method::GET, &[("host", "[::1]:4566")]), Ok(()));
        assert_eq!(ok(Method::GET, &[("host", "localhost:4566")]), Ok(()));
        assert_eq!(ok(Method::GET, &[("host", "LBSIM:4566")]), Ok(()));
        assert_eq!(ok(Method::GET, &[]), Ok(()));
        assert_eq!(ok(Method::GET, &[("host", "attacker.example:4566")]), Err("ForbiddenHost"));
        assert_eq!(ok(Method::GET, &[("host", "127.0.0.1.attacker.example")]), Err("ForbiddenHost"));
        assert_eq!(ok(Method::GET, &[("host", "127.0.0.1:4566"), ("origin", "http://127.0.0.1:4566")]), Ok(()));
        assert_eq!(ok(Method::GET, &[("host", "127.0.0.1:4566"), ("origin", "http://attacker.example")]), Err("ForbiddenOrigin"));
        assert_eq!(ok(Method::GET, &[("host", "127.0.0.1:4566"), ("origin", "null")]), Err("ForbiddenOrigin"));
        assert_eq!(ok(Method::GET, &[("host", "127.0.0.1:4566"), ("origin", "http://127.0.0.1:8080")]), Err("ForbiddenOrigin"));
        let json = [("host", "127.0.0.1:4566"), ("content-type", "application/json"), ("content-length", "2")];
        assert_eq!(ok(Method::POST, &json), Ok(()));
        let text = [("host", "127.0.0.1:4566"), ("content-type", "text/plain"), ("content-length", "2")];
        assert_eq!(ok(Method::POST, &text), Err("UnsupportedMediaType"));
        let untyped = [("host", "127.0.0.1:4566"), ("content-length", "2")];
        assert_eq!(ok(Method::POST, &untyped), Err("UnsupportedMediaType"));
        // moto's reset and the snapshot are bodiless POSTs; YAML goes to the Kubernetes routes.
        assert_eq!(ok(Method::POST, &[("host", "127.0.0.1:4566"), ("content-length", "0")]), Ok(()));
        let yaml = [("host", "127.0.0.1:4566"), ("content-type", "application/yaml"), ("content-length", "9")];
        assert_eq!(ok(Method::POST, &yaml), Ok(()));
        assert_eq!(ok(Method::PUT, &[("host", "127.0.0.1:4566"), ("content-type", "application/merge-patch+json")]), Ok(()));
    }
}
