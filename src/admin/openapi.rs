//! `GET /_lbsim/openapi.json`: the OpenAPI 3 document of the admin API, written by hand in
//! openapi.json beside this file. A test (tests/it/admin.rs) keeps it and the routers' `ROUTES` identical.

pub const DOCUMENT: &str = include_str!("openapi.json");
