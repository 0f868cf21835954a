//! The Kubernetes side of a simulated EKS cluster: an in-memory object store (Namespaces,
//! Services, Nodes, Pods, Endpoints, EndpointSlices, Events, Deployments, ReplicaSets, Ingresses,
//! IngressClasses, TargetGroupBindings, IngressClassParams) with generation / resourceVersion,
//! finalizers, status, a change history for watches, and Events.
//!
//! Owns: the kinds and their Rust types (`kinds`), object bookkeeping (`store`), the same by
//! kind over JSON for the Kubernetes API and snapshots (`values`), manifests into the store
//! (`manifests`), the TargetGroupBinding and IngressClassParams CRD types (`tgb`, `icp`), Events (`events`), the endpoints
//! controller's job (`endpoints`). May call: `clock`. Must never: make AWS calls (fixtures that
//! create both sides are `world::fixture`), decide anything the AWS Load Balancer Controller
//! decides (that is `reconciler`), or speak HTTP (that is `k8s`).

pub mod endpoints;
pub mod events;
pub mod icp;
pub mod kinds;
pub mod manifests;
pub mod store;
pub mod tgb;
pub mod values;

pub use events::Event;
pub use icp::IngressClassParams;
pub use kinds::{Kind, Object};
pub use manifests::apply_manifests;
pub use store::{Change, ChangeType, ClusterStore, StoreError, Watch, Write};
pub use tgb::TargetGroupBinding;
