//! The admin API: JSON under `/_lbsim/` on the AWS listener, plus LocalStack's health path and
//! moto's reset so tools written for those run unchanged.
//!
//! Owns: `routes` (the endpoints and the access rule every admin route sits behind),
//! `state_dump` (state and quota usage as JSON), `openapi` (the document and its check), and
//! [`router`]: the admin routes in front of the server's AWS handler, which is the HTTP app of
//! an lbsim with no clusters. May call: `app` (the App's store, fault table, request log),
//! `persist` (snapshots), `server` (the AWS handler), `state`, `config`, `wire`.
//! Must never: create or change AWS resources (reset only drops them), or hold a Region lock
//! across an `.await` (dumps run inside `Store::with_region`'s synchronous closure).

pub mod openapi;
pub mod routes;
pub mod state_dump;

use std::sync::Arc;

use axum::Router;

use crate::app::App;

/// The admin routes, then every other request as an AWS API call. Routers of upper layers (live
/// clusters, the dashboard) merge into this one and guard their admin paths with
/// [`routes::guard`].
pub fn router(app: Arc<App>) -> Router {
    routes::router(app.clone()).with_state(app.clone()).merge(crate::server::aws_router(app))
}
