//! The Kubernetes side of a simulated EKS cluster: an in-memory object store (Services, Nodes,
//! Pods, Endpoints, EndpointSlices, TargetGroupBindings) with generation / resourceVersion,
//! finalizers, status and Events, plus cluster fixtures that create both sides.
//!
//! Owns: object bookkeeping (`store`), the TargetGroupBinding CRD type (`tgb`), Events
//! (`events`), the endpoints controller's job (`endpoints`), fixture files (`fixture`).
//! May call: `sdk` (the fixture loader creates the AWS side through the AWS SDK, never through
//! `state`), and `api::eks` to register a loaded cluster with this process's EKS API.
//! Must never: decide anything the AWS Load Balancer Controller decides (that is `reconciler`).

pub mod endpoints;
pub mod events;
pub mod fixture;
pub mod store;
pub mod tgb;

pub use events::Event;
pub use store::{ClusterStore, Kind, Watch};
pub use tgb::TargetGroupBinding;
