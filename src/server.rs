//! The HTTP front: the AWS handler (any path; SDKs send `POST /`) with its body limit, fault
//! consultation and request-log entry, and `serve` — the listener loop with graceful shutdown,
//! for whatever router the caller composed (`admin::router`, plus live clusters above it).
//!
//! May call: `app` (the App, its fault table and request log), `wire` (decode, envelopes),
//! `api::dispatch`. Must never: import the admin API or anything above it. Holds no lock across
//! an `.await`.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;

use crate::api::{self, Ctx};
use crate::app::App;
use crate::app::faults;
use crate::app::request_log::{self, Entry};
use crate::error::{ApiError, ErrorCode};
use crate::wire::{self, ListStyle, Params, Scope, Service};

/// Largest request body accepted; larger ones get `RequestEntityTooLarge` (413).
pub const MAX_BODY: usize = 1 << 20;

/// Every request as an AWS API call, on any path (SDKs send `POST /`). The admin API puts its
/// routes in front of this one (`admin::router`); the in-process SDK connector uses it alone.
pub fn aws_router(app: Arc<App>) -> Router {
    Router::new().fallback(aws).with_state(app)
}

/// One AWS call after decoding: which service, action, account and Region, and its parameters.
struct Call {
    service: Service,
    action: String,
    account: String,
    region: String,
    params: Params,
}

/// A call refused before dispatch, with as much as was known of it (for the request log).
struct Early {
    error: ApiError,
    service: Option<Service>,
    action: Option<String>,
    account: Option<String>,
    region: Option<String>,
    params: Option<Params>,
}

/// Answers one AWS API call. Every failure is an AWS-shaped error response, never a panic.
/// Faults are consulted first (their latency is slept here, with no lock held), then the action
/// runs; every call ends in the request log.
async fn aws(State(app): State<Arc<App>>, method: Method, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let time = app.store.now();
    let request_id = wire::new_request_id();
    let scope = Scope::from_headers(&headers);
    // EKS is rest-json, routed by the signing name before any form decoding.
    if scope.service.as_deref() == Some("eks") {
        return eks(&app, &method, &uri, &scope, &request_id);
    }
    let call = match read_body(body, MAX_BODY).await {
        Ok(b) => decode(&app, &method, &uri, &scope, b),
        // Nothing is parsed yet: the envelope follows the signing name when there is one.
        Err(error) => Err(Box::new(Early {
            error,
            service: wire::resolve_service(&scope, None).ok(),
            action: None,
            account: None,
            region: None,
            params: None,
        })),
    };
    let call = match call {
        Ok(c) => c,
        Err(e) => {
            let resp = wire::fail(e.service, &e.error, &request_id);
            let entry = Entry {
                seq: 0,
                time: time.to_rfc3339(),
                account: e.account,
                region: e.region,
                service: e.service.map(Service::label),
                action: e.action,
                params: e.params.map(|p| request_log::key_params(p.iter())).unwrap_or_default(),
                status: resp.status().as_u16(),
                error_code: Some(e.error.code_str().to_string()),
                request_id,
                fault: None,
                duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            };
            app.log.record(entry);
            return resp;
        }
    };
    let fc = faults::Call { service: call.service, action: &call.action, account: &call.account, region: &call.region };
    let plan = app.faults.plan(&fc);
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    let mut fault = plan.fault;
    let result = match plan.error {
        Some(e) => Err(e),
        None => match app.faults.hidden_error(&fc, call.params.iter(), app.store.now()) {
            Some((e, id)) => {
                fault = Some(id);
                Err(e)
            }
            None => execute(&app, &call, &scope, &request_id),
        },
    };
    let resp = match &result {
        Ok(answer) => {
            app.faults.record_created(&fc, &answer.created, app.store.now());
            wire::respond(call.service, &call.action, &request_id, &answer.members)
        }
        Err(e) => {
            if e.code == ErrorCode::InternalError && fault.is_none() {
                tracing::error!(action = %call.action, error = %e, "internal error");
            }
            wire::fail(Some(call.service), e, &request_id)
        }
    };
    let status = resp.status().as_u16();
    let micros = started.elapsed().as_micros() as u64;
    tracing::debug!(
        service = call.service.name(),
        action = %call.action,
        account = %call.account,
        region = %call.region,
        status,
        micros,
        "request"
    );
    app.log.record(Entry {
        seq: 0,
        time: time.to_rfc3339(),
        account: Some(call.account),
        region: Some(call.region),
        service: Some(call.service.label()),
        action: Some(call.action),
        params: request_log::key_params(call.params.iter()),
        status,
        error_code: result.as_ref().err().map(|e| e.code_str().to_string()),
        request_id,
        fault,
        duration_ms: micros as f64 / 1000.0,
    });
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

/// Decodes the form, then finds service, action, account and Region.
fn decode(app: &App, method: &Method, uri: &Uri, scope: &Scope, body: Bytes) -> Result<Call, Box<Early>> {
    let early = |error, service, action, account, region, params| Box::new(Early { error, service, action, account, region, params });
    // Query APIs also accept GET with the parameters in the query string.
    let raw: &[u8] = if body.is_empty() && *method == Method::GET { uri.query().unwrap_or("").as_bytes() } else { &body };
    // No `Version` can be read yet: the envelope follows the signing name when there is one.
    let mut params =
        Params::parse(raw, ListStyle::Flat).map_err(|e| early(e, wire::resolve_service(scope, None).ok(), None, None, None, None))?;
    let version = params.root().str("Version").map(String::from);
    let service = match wire::resolve_service(scope, version.as_deref()) {
        Ok(s) => s,
        Err(e) => return Err(early(e, None, None, None, None, Some(params))),
    };
    params.set_style(service.list_style());
    let Some(action) = params.root().str("Action").map(String::from) else {
        let e = ApiError::new(ErrorCode::MissingAction, "The request must contain the parameter Action");
        return Err(early(e, Some(service), None, None, None, Some(params)));
    };
    let account = app.config.account_for(scope.access_key.as_deref());
    let region = scope.region.clone().unwrap_or_else(|| app.config.default_region.clone());
    if !wire::valid_region(&region) {
        let e = ApiError::invalid(format!("The region '{region}' is not valid"));
        return Err(early(e, Some(service), Some(action), Some(account), None, Some(params)));
    }
    Ok(Call { service, action, account, region, params })
}

/// Runs the action; returns the response members and the ids it created.
fn execute(app: &App, call: &Call, scope: &Scope, request_id: &str) -> Result<api::Answer, ApiError> {
    let cx = Ctx {
        store: &app.store,
        service: call.service,
        account: call.account.clone(),
        region: call.region.clone(),
        access_key: scope.access_key.clone(),
        request_id: request_id.to_string(),
        now: app.store.now(),
    };
    api::dispatch(&cx, &call.action, &call.params)
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

/// How long in-flight requests may take to finish after the shutdown signal. Requests are
/// answered in microseconds, so a connection still busy after this is a client that stalled
/// mid-request; it must not keep the process alive.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Serves until `shutdown` resolves, then lets in-flight requests finish for at most
/// [`SHUTDOWN_GRACE`]. Binding happens before this is called, so callers can report the bound
/// address (port 0 picks a free one).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    // The peer address lets the admin API tell loopback callers from others.
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let graceful = axum::serve(listener, service).with_graceful_shutdown(async move {
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
