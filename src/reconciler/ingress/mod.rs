//! The controller's Ingress → ALB half (lbc-ingress.md). Pure parts: which Ingresses are handled
//! (`class`), IngressGroups and their members (`group`), annotations and the JSON of
//! `actions.*` / `conditions.*` (`annotations`, `config_types`), names (`naming`), paths
//! (`paths`), backends with their target groups and bindings (`backend`), the rule optimizer
//! (`optimizer`), the group's model (`build`). Runtime parts: the AWS and cluster reads before a
//! build (`discovery`) and the group reconciler with its finalizers, status and Events
//! (`reconcile`); deployment is `reconciler::deploy`, shared with the Service reconciler.
//! May call: `cluster` (objects), `client` through the reconciler's helpers, and the reconciler's
//! shared modules (model, deploy, backend_sg, sg_decision, networking, finalizer).

pub mod annotations;
pub mod backend;
pub mod build;
pub mod class;
pub mod config_types;
pub mod discovery;
pub mod group;
pub mod naming;
pub mod optimizer;
pub mod paths;
pub mod reconcile;
