//! The AWS Load Balancer Controller emulation (Service → NLB), lbc-reconciler.md.
//!
//! Owns: the pure parts of the controller — names and hashes (`naming`), the security-group
//! decision of the model builder (`sg_decision`), and the frontend / node rule sets with their
//! cluster-wide aggregation (`networking`). May call: nothing in lbsim's server layers;
//! the reconciler talks to AWS only through the AWS SDK clients (design.md), never to `state`.

pub mod annotations;
pub mod config;
pub mod model;
pub mod naming;
pub mod networking;
pub mod sg_decision;
