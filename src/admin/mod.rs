//! The admin API (issue 4): JSON over the AWS listener under `/_lbsim/`, plus LocalStack's health
//! path and moto's reset so tools written for those run unchanged.
//!
//! Owns: `Admin` (the fault table and request log the AWS front consults on every call, and the
//! access token), reset, and one file per concern: `routes` (endpoints and the access rule),
//! `faults`, `k8s` (live mode's Kubernetes side), `request_log`, `state_dump` (state and quota usage as JSON), `openapi`.
//! May call: `state` (read, reset, quotas), `config`, `error` and `wire` (injected errors are
//! `ApiError`s rendered by `wire::fail` in the server, so they carry the right envelope).
//! Must never: create or change AWS resources (reset only drops them), or hold a Region lock
//! across an `.await` (dumps run inside `Store::with_region`'s synchronous closure).
//! Not here yet: snapshots (`--state-file`, `POST /_lbsim/snapshot`).

pub mod faults;
pub mod k8s;
pub mod openapi;
pub mod request_log;
pub mod routes;
pub mod state_dump;

use crate::config::Config;
use crate::server::App;
use crate::wire::Service;

pub struct Admin {
    pub faults: faults::Faults,
    pub log: request_log::RequestLog,
    /// When set, protected admin endpoints require it (see `routes::check_access`).
    pub token: Option<String>,
}

impl Admin {
    pub fn new(config: &Config) -> Admin {
        Admin {
            faults: faults::Faults::default(),
            log: request_log::RequestLog::new(config.request_log_size),
            token: config.admin_token.clone().filter(|t| !t.is_empty()),
        }
    }
}

/// The name a service goes by in the admin API (`elbv2`, as botocore and LocalStack call it,
/// rather than the shared signing name `elasticloadbalancing`).
pub fn service_label(s: Service) -> &'static str {
    match s {
        Service::Ec2 => "ec2",
        Service::Elbv2 => "elbv2",
        Service::Sts => "sts",
    }
}

pub fn parse_service(s: &str) -> Option<Service> {
    match s.to_ascii_lowercase().as_str() {
        "ec2" => Some(Service::Ec2),
        "elbv2" | "elasticloadbalancing" | "elasticloadbalancingv2" => Some(Service::Elbv2),
        "sts" => Some(Service::Sts),
        _ => None,
    }
}

pub const SERVICES: [Service; 3] = [Service::Ec2, Service::Elbv2, Service::Sts];

/// An AWS account id: 12 digits.
pub fn valid_account(a: &str) -> bool {
    a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())
}

/// A fresh start for everything (or one account): its Regions, the quotas set at runtime (back
/// to the config's), its faults and the ids they hide; a full reset also empties the request log
/// (whose sequence numbers keep counting). Returns what was dropped.
pub fn reset(app: &App, account: Option<&str>) -> serde_json::Value {
    let regions = app.store.keys().iter().filter(|(a, _)| account.is_none_or(|x| x == a)).count();
    app.store.reset(account);
    for a in app.store.quota_accounts() {
        if account.is_none_or(|x| x == a) {
            // Config quotas were validated at start; base quotas are the fallback all the same.
            let q = app.config.account_quotas(&a).unwrap_or_default();
            app.store.set_quotas(&a, q);
        }
    }
    let faults = app.admin.faults.clear(account);
    if account.is_none() {
        app.admin.log.clear();
    }
    serde_json::json!({ "status": "ok", "account": account, "regions": regions, "faults": faults })
}
