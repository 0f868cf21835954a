//! lbsim: a local EKS/ELB/EC2 simulator.
//!
//! # Layout
//! Every module imports only the modules listed above it (docs/architecture.md; a test checks
//! it), so the crate reads top-down from here.
//! ```text
//! SDK / CLI ──HTTP──▶ server ─▶ wire ─▶ api (one action) ─▶ state (one Region, locked)
//! scenario / live mode ─▶ world ─▶ reconciler ─▶ client (AWS SDK) ─▶ the same router, in process
//! ```
//! The core, bottom up:
//! - [`error`]: the one `ApiError` and the table of AWS codes, statuses and messages.
//! - [`clock`]: the wall or virtual clock that the Store, the clusters and the controller share.
//! - [`wire`]: the only code that knows the EC2 and Query formats (requests, envelopes, errors).
//! - [`state`]: plain data, invariants, quotas; one `Mutex<Region>` per (account, region).
//! - [`config`]: accounts, quotas and Region settings from YAML.
//! - [`api`]: one action per file or small family: `from_params` → `apply` (typed output) → `Render::write_xml`.
//!
//! The floors above it:
//! - [`app`]: `App` — the Store, the config, the EKS records, the fault table and the request log.
//! - [`server`]: the AWS handler and the listener loop with graceful shutdown.
//! - [`persist`]: the state file: loading, and atomic snapshot writes.
//! - [`admin`]: the JSON admin API under `/_lbsim/` in front of the AWS handler.
//! - [`client`]: lbsim as an AWS client — SDK clients, the in-process connector and its call
//!   log, one signed HTTP helper.
//! - [`cluster`]: the Kubernetes side of a cluster: objects, manifests, Events, endpoints.
//! - [`reconciler`]: the AWS Load Balancer Controller emulation (Service → NLB).
//! - [`world`]: the one builder of lbsim + cluster fixtures + controllers (virtual or wall
//!   clock), and live mode's clusters and their admin endpoints.
//! - [`scenario`]: `lbsim run`, scenario files replayed against the controller emulation.
//! - [`ui`]: the dashboard `lbsim serve` serves at `/_lbsim/ui`, the HTML scenario report and
//!   the SVG charts.
//! - [`plan`]: the quota planner (`lbsim plan`): how many more copies of a set of Services fit.
//! - [`cli`]: the commands of the `lbsim` binary (`main.rs` is only their clap definitions).
//!
//! The benchmark is a separate binary (`src/bin/lbsim-bench`), not part of this library.

pub mod error;

pub mod clock;

pub mod wire;

pub mod state;

pub mod config;

pub mod api;

pub mod app;

pub mod server;

pub mod persist;

pub mod admin;

pub mod client;

pub mod cluster;

pub mod reconciler;

pub mod world;

pub mod scenario;

pub mod ui;

pub mod plan;

pub mod cli;
