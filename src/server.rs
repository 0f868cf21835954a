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
        Ok(Arc::new(App { store, config, started: Instant::now() }))
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
    let (resp, service, action, account, region) = match read_body(body, MAX_BODY).await {
        Ok(body) => handle(&app, &method, &uri, &scope, body, &request_id),
        Err(e) => {
            // Nothing is parsed yet: the envelope follows the signing name when there is one.
            let service = wire::resolve_service(&scope, None).ok();
            (wire::fail(service, &e, &request_id), service, None, None, None)
        }
    };
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

/// Reads the whole body, refusing more than `limit` bytes. A declared length over the limit is
/// refused before anything is read. A body that breaks off early (the client went away or sent
/// less than its Content-Length) is a malformed request, not an oversized one.
async fn read_body(mut body: Body, limit: usize) -> Result<Bytes, ApiError> {
    use axum::body::HttpBody;
    let too_large =
        || ApiError::new(ErrorCode::RequestEntityTooLarge, format!("Request body is larger than the {limit} bytes lbsim accepts"));
    let hint = body.size_hint();
    if hint.lower() > limit as u64 {
        return Err(too_large());
    }
    let mut buf = Vec::with_capacity(hint.exact().unwrap_or(0).min(limit as u64) as usize);
    while let Some(frame) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(frame) = frame else {
            // [unverified] AWS's answer to a cut-off body is not documented.
            return Err(ApiError::new(ErrorCode::MalformedQueryString, "The request body ended before it was complete"));
        };
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(too_large());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

type Handled = (Response, Option<Service>, Option<String>, Option<String>, Option<String>);

fn handle(app: &App, method: &Method, uri: &Uri, scope: &Scope, body: Bytes, request_id: &str) -> Handled {
    // Query APIs also accept GET with the parameters in the query string.
    let raw: &[u8] = if body.is_empty() && *method == Method::GET { uri.query().unwrap_or("").as_bytes() } else { &body };
    let mut params = match Params::parse(raw, ListStyle::Flat) {
        Ok(p) => p,
        Err(e) => {
            // No `Version` can be read: the envelope follows the signing name when there is one.
            let service = wire::resolve_service(scope, None).ok();
            return (wire::fail(service, &e, request_id), service, None, None, None);
        }
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

/// How long in-flight requests may take to finish after the shutdown signal. Requests are
/// answered in microseconds, so a connection still busy after this is a client that stalled
/// mid-request; it must not keep the process alive.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Serves until `shutdown` resolves, then lets in-flight requests finish for at most
/// [`SHUTDOWN_GRACE`]. Binding happens before this is called, so callers can report the bound
/// address (port 0 picks a free one).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let graceful = axum::serve(listener, router(app)).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stopping_tx.send(());
    });
    let deadline = async move {
        // A dropped sender means the server ended on its own: nothing to cut short.
        if stopping_rx.await.is_err() {
            return std::future::pending().await;
        }
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        r = std::future::IntoFuture::into_future(graceful) => r,
        () = deadline => {
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "connections still busy after the shutdown grace period; closing them");
            Ok(())
        }
    }
}
