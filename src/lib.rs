//! lbsim: a local EKS/ELB/EC2 simulator.
//!
//! # Layout
//! ```text
//! SDK / CLI ──HTTP──▶ server ─▶ wire ─▶ api (one action) ─▶ state (one Region, locked)
//! ```
//! - [`server`]: axum front, body limit, tracing, shutdown.
//! - [`wire`]: the only code that knows the EC2 and Query formats (requests, envelopes, errors).
//! - [`api`]: one action per file or small family: `from_params` → `apply` → `write_xml`.
//! - [`state`]: plain data, invariants, quotas; one `Mutex<Region>` per (account, region).
//! - [`error`]: the one `ApiError` and the table of AWS codes, statuses and messages.
//! - [`config`]: accounts, quotas and Region settings from YAML.
//! - [`sdk`]: AWS SDK clients for lbsim's own client code (in-process connector, call log).
//! - [`admin`]: the JSON admin API under `/_lbsim/` (health, reset, state, quotas, usage,
//!   request log, faults, snapshots) beside the AWS APIs on the same listener.
//! - [`persist`]: the state file: loading, and atomic snapshot writes.
//! - [`live`]: live mode — the clusters `lbsim serve` loads, with the controller running.
//! - [`scenario`]: `lbsim run`, scenario files replayed against the controller emulation.
//! - [`bench`]: `lbsim bench`, the benchmark against moto and an HTTP ceiling (over HTTP only).
//!
//! Flow is one-way: nothing in `state` knows HTTP or XML, and nothing in `api` builds envelopes.

pub mod admin;
pub mod api;
pub mod bench;
pub mod cluster;
pub mod config;
pub mod error;
pub mod live;
pub mod persist;
pub mod reconciler;
pub mod scenario;
pub mod sdk;
pub mod server;
pub mod sim;
pub mod state;
pub mod wire;
