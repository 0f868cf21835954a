//! The Kubernetes side of a simulated EKS cluster: an in-memory object store (Services, Nodes,
//! Pods, Endpoints, EndpointSlices, TargetGroupBindings, Ingresses, IngressClasses,
//! IngressClassParams) with generation / resourceVersion, finalizers, status and Events.
//!
//! Owns: object bookkeeping (`store`), manifests into the store (`manifests`), the
//! TargetGroupBinding and IngressClassParams CRD types (`tgb`, `icp`), Events (`events`), the
//! endpoints controller's job (`endpoints`). May call: `clock`. Must never: make AWS calls (fixtures that create both sides
//! are `world::fixture`), or decide anything the AWS Load Balancer Controller decides (that is
//! `reconciler`).

pub mod endpoints;
pub mod events;
pub mod icp;
pub mod manifests;
pub mod store;
pub mod tgb;

pub use events::Event;
pub use icp::IngressClassParams;
pub use manifests::apply_manifests;
pub use store::{ClusterStore, Kind, Watch};
pub use tgb::TargetGroupBinding;
