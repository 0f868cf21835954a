//! The dashboard's routes: the page and its two assets (open: they hold no state, only code),
//! and `GET /_lbsim/ui/overview`, the JSON the page polls, behind the admin API's access rule —
//! with an admin token set, the page asks for it once and sends it as `x-lbsim-admin-token`.
//! `GET /` with no query and no signature redirects to the page (SDKs always send an action).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::App;
use crate::world::live::Registry;

pub const PAGE_PATH: &str = "/_lbsim/ui";

/// The dashboard's JSON endpoint as (method, path); openapi.json documents it too.
pub const ROUTES: &[(&str, &str)] = &[("GET", "/_lbsim/ui/overview")];

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/style.css");

#[derive(Clone)]
struct Ui {
    app: Arc<App>,
    live: Arc<Registry>,
}

/// The dashboard's routes; merge into the server's router.
pub fn router(app: Arc<App>, live: Arc<Registry>) -> Router {
    let state = Ui { app: app.clone(), live };
    let guarded = Router::new()
        .route("/_lbsim/ui/overview", get(overview))
        .route_layer(axum::middleware::from_fn_with_state(app, crate::admin::routes::guard))
        .with_state(state);
    Router::new()
        .route(PAGE_PATH, get(|| asset(INDEX, "text/html; charset=utf-8")))
        .route("/_lbsim/ui/", get(|| asset(INDEX, "text/html; charset=utf-8")))
        .route("/_lbsim/ui/app.js", get(|| asset(SCRIPT, "text/javascript; charset=utf-8")))
        .route("/_lbsim/ui/style.css", get(|| asset(STYLE, "text/css; charset=utf-8")))
        .merge(guarded)
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // The page only talks to its own origin.
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'self'; style-src 'self'; img-src 'self' data:")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

async fn overview(State(ui): State<Ui>) -> Response {
    // Dumping every Region is synchronous work: off the async workers.
    let (app, live) = (ui.app.clone(), ui.live.clone());
    match tokio::task::spawn_blocking(move || super::overview::build(&app, &live)).await {
        Ok(v) => axum::Json(v).into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(serde_json::json!({"error": {"code": "InternalError", "message": "the overview could not be built"}})),
        )
            .into_response(),
    }
}

/// Middleware for the whole server: a browser's `GET /` goes to the dashboard; anything with a
/// query or a signature is an AWS call and passes through.
pub async fn root_redirect(req: Request, next: Next) -> Response {
    let plain = req.method() == Method::GET
        && req.uri().path() == "/"
        && req.uri().query().is_none_or(str::is_empty)
        && !req.headers().contains_key(header::AUTHORIZATION);
    if plain {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, PAGE_PATH)]).into_response();
    }
    next.run(req).await
}
