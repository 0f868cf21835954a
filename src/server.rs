//! The HTTP front: one axum `Router` answering AWS API calls on any path (SDKs send `POST /`),
//! the body limit, per-request tracing, and graceful shutdown.
//!
//! May call: `wire` (decode, envelopes), `api::dispatch`, `state::Store`. Holds no lock itself.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;

use crate::api::{self, Ctx};
use crate::config::Config;
use crate::error::{ApiError, ErrorCode};
use crate::state::{Clock, Store, SystemClock};
use crate::wire::{self, ListStyle, Params, Scope, Service};

/// Largest request body accepted; larger ones get `RequestEntityTooLarge` (413).
pub const MAX_BODY: usize = 1 << 20;

pub struct App {
    pub store: Store,
    pub config: Config,
    pub started: Instant,
    /// EKS clusters loaded from fixtures (DescribeCluster / ListClusters).
    pub eks: crate::state::eks::EksClusters,
}

impl App {
    pub fn new(config: Config) -> Result<Arc<App>, String> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    pub fn with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<Arc<App>, String> {
        let seed = config.seed.unwrap_or_else(rand_seed);
        let store = Store::new(config.base_quotas()?, seed, clock);
        for account in config.accounts.keys() {
            store.set_quotas(account, config.account_quotas(account)?);
        }
        for (region, s) in &config.regions {
            store.set_region_settings(region, s.clone());
        }
        Ok(Arc::new(App { store, config, started: Instant::now(), eks: Default::default() }))
    }
}

fn rand_seed() -> u64 {
    let u = uuid::Uuid::new_v4();
    let b = u.as_bytes();
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

pub fn router(app: Arc<App>) -> Router {
    Router::new().fallback(aws).with_state(app)
}

/// Answers one AWS API call. Every failure is an AWS-shaped error response, never a panic.
async fn aws(State(app): State<Arc<App>>, method: Method, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let request_id = wire::new_request_id();
    let scope = Scope::from_headers(&headers);
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let e =
                ApiError::new(ErrorCode::RequestEntityTooLarge, format!("Request body is larger than the {MAX_BODY} bytes lbsim accepts"));
            return wire::fail(None, &e, &request_id);
        }
    };
    if scope.service.as_deref() == Some("eks") {
        return eks(&app, &method, &uri, &scope, &request_id);
    }
    let (resp, service, action, account, region) = handle(&app, &method, &uri, &scope, body, &request_id);
    tracing::debug!(
        service = service.map(|s| s.name()).unwrap_or("-"),
        action = action.as_deref().unwrap_or("-"),
        account = account.as_deref().unwrap_or("-"),
        region = region.as_deref().unwrap_or("-"),
        status = resp.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    resp
}

type Handled = (Response, Option<Service>, Option<String>, Option<String>, Option<String>);

fn handle(app: &App, method: &Method, uri: &Uri, scope: &Scope, body: Bytes, request_id: &str) -> Handled {
    // Query APIs also accept GET with the parameters in the query string.
    let raw: &[u8] = if body.is_empty() && *method == Method::GET { uri.query().unwrap_or("").as_bytes() } else { &body };
    let mut params = match Params::parse(raw, ListStyle::Flat) {
        Ok(p) => p,
        Err(e) => return (wire::fail(None, &e, request_id), None, None, None, None),
    };
    let version = params.root().str("Version").map(String::from);
    let service = match wire::resolve_service(scope, version.as_deref()) {
        Ok(s) => s,
        Err(e) => return (wire::fail(None, &e, request_id), None, None, None, None),
    };
    params.set_style(service.list_style());
    let Some(action) = params.root().str("Action").map(String::from) else {
        let e = ApiError::new(ErrorCode::MissingAction, "The request must contain the parameter Action");
        return (wire::fail(Some(service), &e, request_id), Some(service), None, None, None);
    };
    let account = app.config.account_for(scope.access_key.as_deref());
    let region = scope.region.clone().unwrap_or_else(|| app.config.default_region.clone());
    if !wire::valid_region(&region) {
        let e = ApiError::invalid(format!("The region '{region}' is not valid"));
        return (wire::fail(Some(service), &e, request_id), Some(service), Some(action), Some(account), None);
    }
    let cx = Ctx {
        store: &app.store,
        service,
        account: account.clone(),
        region: region.clone(),
        access_key: scope.access_key.clone(),
        request_id: request_id.to_string(),
        now: app.store.now(),
    };
    let resp = match api::dispatch(&cx, &action, &params) {
        Ok(members) => wire::respond(service, &action, request_id, &members),
        Err(e) => {
            if e.code == ErrorCode::InternalError {
                tracing::error!(%action, error = %e, "internal error");
            }
            wire::fail(Some(service), &e, request_id)
        }
    };
    (resp, Some(service), Some(action), Some(account), Some(region))
}

/// EKS speaks rest-json: the operation is the method and path.
fn eks(app: &App, method: &Method, uri: &Uri, scope: &Scope, request_id: &str) -> Response {
    let account = app.config.account_for(scope.access_key.as_deref());
    let region = scope.region.clone().unwrap_or_else(|| app.config.default_region.clone());
    let out = api::eks::handle(&app.eks, method.as_str(), uri.path(), uri.query().unwrap_or(""), &account, &region);
    tracing::debug!(service = "eks", path = uri.path(), account, region, ok = out.is_ok(), "request");
    match out {
        Ok(v) => wire::restjson::respond(&v, request_id),
        Err(e) => wire::restjson::fail(&e, request_id),
    }
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Serves until `shutdown` resolves. Binding happens before this is called, so callers can
/// report the bound address (port 0 picks a free one).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app)).with_graceful_shutdown(shutdown).await
}
