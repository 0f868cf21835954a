//! The HTTP front: the AWS handler (any path; SDKs send `POST /`) with its body limit, fault
//! consultation and request-log entry, and `serve` — the listener loop with graceful shutdown,
//! for whatever router the caller composed (`admin::router`, plus live clusters above it).
//!
//! May call: `app` (the App, its fault table and request log), `wire` (decode, envelopes),
//! `api::dispatch`. Must never: import the admin API or anything above it. Holds no lock across
//! an `.await`.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
/// A request body must arrive within this; a client that trickles it gets `RequestTimeout`.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

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
        return eks(&app, &method, &uri, &headers, &scope, body, &request_id).await;
    }
    let body = match tokio::time::timeout(BODY_TIMEOUT, read_body(body, MAX_BODY)).await {
        Ok(b) => b,
        Err(_) => Err(ApiError::request_timeout()),
    };
    let body = body.and_then(|b| foreign_origin(&headers).map_or(Ok(b), Err));
    let call = match body {
        Ok(b) => decode(&app, &method, &uri, &headers, &scope, b),
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
            // AWS's rate limits (`throttling: aws`), on the Store's clock.
            None => match app.store.throttle(call.service.name(), &call.action, &call.account, &call.region, call.params.iter()) {
                Err(e) => Err(e),
                Ok(()) => execute(&app, &call, &scope, &request_id),
            },
        },
    };
    // The answer's body moves into the response (a describe's can be megabytes).
    let (resp, error_code) = match result {
        Ok(answer) => {
            app.faults.record_created(&fc, &answer.created, app.store.now());
            (wire::respond(&request_id, answer.body), None)
        }
        Err(e) => {
            if e.code == ErrorCode::InternalError && fault.is_none() {
                tracing::error!(action = %call.action, error = %e, "internal error");
            }
            (wire::fail(Some(call.service), &e, &request_id), Some(e.code_str().to_string()))
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
        error_code,
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

/// SDKs never send `Origin`; a browser does, and a page of another site may post a form here
/// without asking (a CORS "simple" request). Such calls are refused; pages lbsim serves itself
/// (same host and port) are not.
fn foreign_origin(headers: &HeaderMap) -> Option<ApiError> {
    let origin = headers.get(axum::http::header::ORIGIN)?;
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok());
    let o = origin.to_str().unwrap_or("");
    let own =
        host.is_some_and(|h| o.strip_prefix("http://").or_else(|| o.strip_prefix("https://")).is_some_and(|o| o.eq_ignore_ascii_case(h)));
    if own {
        return None;
    }
    let shown: String = o.chars().take(100).collect();
    Some(ApiError::new(
        ErrorCode::UnauthorizedOperation,
        format!("lbsim does not answer API calls from web pages of other origins (Origin: {shown})"),
    ))
}

/// Decodes the form, then finds service, action, account and Region.
fn decode(app: &App, method: &Method, uri: &Uri, headers: &HeaderMap, scope: &Scope, body: Bytes) -> Result<Call, Box<Early>> {
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
    // A Region AWS does not have (a typo) or an account past the limit would create a world of
    // its own; refuse them as AWS refuses a scope it does not serve and a key it does not know.
    if !app.config.region_allowed(&region) {
        let shown: String = region.chars().take(64).collect();
        return Err(early(ApiError::scope_region(&shown), Some(service), Some(action), Some(account), None, Some(params)));
    }
    // Before the account is admitted: an unverified caller must not take one of its places.
    if let Err(e) = authenticate(app, method, uri, headers, &body, scope.access_key.as_deref(), &account, service == Service::Ec2) {
        return Err(early(e, Some(service), Some(action), Some(account), Some(region), Some(params)));
    }
    if !app.admit(&account) {
        let e = ApiError::unknown_access_key(service == Service::Ec2);
        return Err(early(e, Some(service), Some(action), Some(account), Some(region), Some(params)));
    }
    Ok(Call { service, action, account, region, params })
}

/// Checks the request's signature when its account requires one (`--verify-signatures`, or
/// `accounts.<id>.verify_signatures`): unsigned requests, unknown keys, keys without a secret,
/// bad scopes, skewed clocks and wrong signatures get AWS's errors. Unverified otherwise.
#[allow(clippy::too_many_arguments)]
fn authenticate(
    app: &App,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    access_key: Option<&str>,
    account: &str,
    ec2: bool,
) -> Result<(), ApiError> {
    if !app.config.verifies_any() || !app.config.verifies(account) {
        return Ok(());
    }
    let Some(auth) = wire::sigv4::parse(headers)? else { return Err(ApiError::missing_authentication()) };
    let key = access_key.unwrap_or(&auth.access_key);
    let Some(secret) = app.config.access_keys.get(key).and_then(|k| k.secret.as_deref()) else {
        return Err(ApiError::unknown_access_key(ec2));
    };
    let received = wire::sigv4::Received {
        method: method.as_str(),
        path_and_query: uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"),
        headers,
        body,
    };
    // Clients sign with the wall clock, whatever clock the simulation runs on.
    wire::sigv4::verify(&received, &auth, secret, chrono::Utc::now(), ec2)
}

/// Runs the action; returns the response members and the ids it created.
fn execute(app: &App, call: &Call, scope: &Scope, request_id: &str) -> Result<api::Answer, ApiError> {
    let cx = Ctx {
        store: &app.store,
        service: call.service,
        action: &call.action,
        account: call.account.clone(),
        region: call.region.clone(),
        access_key: scope.access_key.clone(),
        aws_service: app.config.is_service(scope.access_key.as_deref()),
        request_id: request_id.to_string(),
        now: app.store.now(),
    };
    api::dispatch(&cx, &call.action, &call.params)
}

/// EKS speaks rest-json: the operation is the method and path.
async fn eks(app: &App, method: &Method, uri: &Uri, headers: &HeaderMap, scope: &Scope, body: Body, request_id: &str) -> Response {
    let account = app.config.account_for(scope.access_key.as_deref());
    let region = scope.region.clone().unwrap_or_else(|| app.config.default_region.clone());
    let body = match tokio::time::timeout(BODY_TIMEOUT, read_body(body, MAX_BODY)).await {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => return wire::restjson::fail(&e, request_id),
        Err(_) => return wire::restjson::fail(&ApiError::request_timeout(), request_id),
    };
    if !app.config.region_allowed(&region) {
        let shown: String = region.chars().take(64).collect();
        return wire::restjson::fail(&wire::restjson::auth_error(&ApiError::scope_region(&shown)), request_id);
    }
    if let Err(e) = authenticate(app, method, uri, headers, &body, scope.access_key.as_deref(), &account, false) {
        return wire::restjson::fail(&wire::restjson::auth_error(&e), request_id);
    }
    // At start the CA is made on a thread of its own: no DescribeCluster reports a cluster
    // without it (state::eks::Ca).
    app.eks.ca_settled().await;
    let out = api::eks::handle(&app.eks, method.as_str(), uri.path(), uri.query().unwrap_or(""), &account, &region);
    tracing::debug!(service = "eks", path = uri.path(), account, region, ok = out.is_ok(), "request");
    match out {
        Ok(v) => wire::restjson::respond(&v, request_id),
        Err(e) => wire::restjson::fail(&e, request_id),
    }
}

/// Resolves when SIGINT or SIGTERM arrives.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    // The handlers are installed here, not when the future is first polled: a SIGTERM that
    // arrives between the ready line and the first poll would otherwise take the default
    // action and kill the process with status 143.
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async fn wait(s: Option<Signal>) {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        async move {
            tokio::select! {
                () = wait(term) => {},
                () = wait(int) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// How long in-flight requests may take to finish after the shutdown signal. Requests are
/// answered in microseconds, so a connection still busy after this is a client that stalled
/// mid-request; it must not keep the process alive.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// What one client may hold: connections are a file descriptor each, so idle and trickling ones
/// must not pile up until the process can accept nothing (issue 16: 520 idle sockets under a
/// 512-file limit stopped every answer).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Open connections at most; when reached, new ones wait in the listen backlog until one
    /// closes, and the log says so once.
    pub max_connections: usize,
    /// A connection whose next request's headers have not fully arrived this long after it
    /// became idle is closed: that covers idle keep-alive connections and trickled headers alike
    /// (hyper's header-read timeout starts when it waits for a request). The same bound applies to
    /// a response write the client does not read and to a request body that does not arrive.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_connections: default_max_connections(), idle_timeout: Duration::from_secs(30) }
    }
}

/// 1,024 connections, or fewer when the process may open fewer files (the soft `RLIMIT_NOFILE`
/// from /proc/self/limits, less room for the state file, logs and the runtime).
pub fn default_max_connections() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits").ok().and_then(|t| {
        let line = t.lines().find(|l| l.starts_with("Max open files"))?;
        line.split_whitespace().nth(3)?.parse::<usize>().ok()
    });
    match soft {
        Some(n) => n.saturating_sub(64).clamp(16, 1024),
        None => 1024,
    }
}

/// Serves with the default [`Limits`] until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, Limits::default(), shutdown).await
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish for at most
/// [`SHUTDOWN_GRACE`]. Binding happens before this is called, so callers can report the bound
/// address (port 0 picks a free one). HTTP/1.1 with keep-alive; each connection's peer address
/// reaches handlers as axum's `ConnectInfo` (the admin API tells loopback callers from others).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    // Connections watch this to start a graceful close.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    // When the limit was last logged: once, then at most once a minute while it keeps being hit.
    let mut logged: Option<Instant> = None;
    let mut waited = 0u64;
    loop {
        let permit = match permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                waited += 1;
                if logged.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                    logged = Some(Instant::now());
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        times = waited,
                        "connection limit reached: new connections wait until an open one closes (idle ones close after {:?})",
                        limits.idle_timeout
                    );
                    waited = 0;
                }
                tokio::select! {
                    p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
                    () = &mut shutdown => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::error!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Requests are small and answered at once: Nagle's delay would dominate every call.
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            connection(stream, peer, router, limits, stop).await;
            drop(permit);
        });
    }
    let _ = stop_tx.send(true);
    // Every connection holds a permit until it ends: all of them back means all are closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, permits.acquire_many(all)).await.is_err() {
        tracing::warn!(grace = ?SHUTDOWN_GRACE, "connections still busy after the shutdown grace period; closing them");
    }
    Ok(())
}

/// One HTTP/1.1 connection, closed gracefully when the server stops.
async fn connection(
    stream: tokio::net::TcpStream,
    peer: std::net::SocketAddr,
    router: Router,
    limits: Limits,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let service = hyper::service::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        tower::ServiceExt::oneshot(router.clone(), req.map(Body::new))
    });
    let io = TokioIo::new(StallTimeout::new(stream, limits.idle_timeout));
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle_timeout)
        .keep_alive(true)
        .serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%peer, error = %e, "connection closed");
                }
                return;
            }
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// A socket whose writes may not stall longer than `limit`: a client that stops reading its
/// answer would otherwise hold the connection (and its file descriptor) forever.
struct StallTimeout {
    io: tokio::net::TcpStream,
    limit: Duration,
    stalled: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl StallTimeout {
    fn new(io: tokio::net::TcpStream, limit: Duration) -> Self {
        StallTimeout { io, limit, stalled: None }
    }

    /// On `Pending`, arms the stall timer (or reports that it ran out); on progress, disarms it.
    fn watch<T>(&mut self, cx: &mut std::task::Context<'_>, r: std::task::Poll<std::io::Result<T>>) -> std::task::Poll<std::io::Result<T>> {
        use std::task::Poll;
        match r {
            Poll::Pending => {
                let limit = self.limit;
                let timer = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "the client stopped reading")));
                }
                Poll::Pending
            }
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl tokio::io::AsyncRead for StallTimeout {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        // Reads wait for the client's next request as long as it likes; hyper's header timeout
        // and the body timeout bound them.
        std::pin::Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for StallTimeout {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.io).poll_write(cx, buf);
        self.watch(cx, r)
    }
    fn poll_flush(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        let r = std::pin::Pin::new(&mut self.io).poll_flush(cx);
        self.watch(cx, r)
    }
    fn poll_shutdown(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.watch(cx, r)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
