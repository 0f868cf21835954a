//! The AWS Load Balancer Controller emulation (Service → NLB), lbc-reconciler.md.
//!
//! Owns: the pure parts — names and hashes (`naming`), the security-group decision
//! (`sg_decision`), frontend/node rule sets and aggregation (`networking`), annotations, flags
//! and profiles (`annotations`, `config`), `model::build`; and the runtime parts — discovery of
//! existing AWS state (`discovery`, `aws`), security-group rule reconcile (`sg_rules`), the
//! backend group's lifetime (`backend_sg`), the synthesizers (`deploy/*`), the Service
//! reconciler (`service`), the TargetGroupBinding controller and its networking
//! (`tgb_controller`, `tgb_networking`), and the queues on a virtual clock (`runtime`).
//! May call: `client` (SDK clients: every AWS call goes over the wire through aws-sdk-ec2 /
//! aws-sdk-elasticloadbalancingv2), `cluster` (the Kubernetes objects) and `clock`. Must never
//! touch `state`, `api` or `app` directly.

pub mod annotations;
pub mod aws;
pub mod backend_sg;
pub mod config;
pub mod ctx;
pub mod deploy;
pub mod discovery;
pub mod error;
pub mod finalizer;
pub mod ingress;
pub mod memory;
pub mod model;
pub mod naming;
pub mod networking;
pub mod queue;
pub mod rule_diff;
pub mod runtime;
pub mod service;
pub mod sg_decision;
pub mod sg_rules;
pub mod tgb_controller;
pub mod tgb_networking;

pub use config::{ControllerConfig, Profile};
pub use ctx::Ctx;
pub use runtime::Controller;
