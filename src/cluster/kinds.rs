//! The kinds the store keeps and what it needs to know of each: its Rust type (k8s-openapi's own
//! types, or the TargetGroupBinding and IngressClassParams CRD types), whether it is namespaced, which part is its spec (what bumps
//! `generation`) and which its status (what a `/status` write may change).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Endpoints, Event as CoreEvent, Namespace, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::icp::IngressClassParams;
use super::store::ClusterStore;
use super::tgb::TargetGroupBinding;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    Service,
    Node,
    Pod,
    Endpoints,
    EndpointSlice,
    TargetGroupBinding,
    Namespace,
    Event,
    Deployment,
    ReplicaSet,
    Ingress,
    IngressClass,
    IngressClassParams,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Namespace,
        Kind::Node,
        Kind::Service,
        Kind::Pod,
        Kind::Endpoints,
        Kind::EndpointSlice,
        Kind::Event,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::Ingress,
        Kind::IngressClass,
        Kind::TargetGroupBinding,
        Kind::IngressClassParams,
    ];

    /// Cluster-scoped kinds live under namespace "".
    pub fn namespaced(self) -> bool {
        !matches!(self, Kind::Node | Kind::Namespace | Kind::IngressClass | Kind::IngressClassParams)
    }

    /// The Kubernetes kind name (`Service`, `IngressClassParams`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Service => "Service",
            Kind::Node => "Node",
            Kind::Pod => "Pod",
            Kind::Endpoints => "Endpoints",
            Kind::EndpointSlice => "EndpointSlice",
            Kind::TargetGroupBinding => "TargetGroupBinding",
            Kind::Namespace => "Namespace",
            Kind::Event => "Event",
            Kind::Deployment => "Deployment",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Ingress => "Ingress",
            Kind::IngressClass => "IngressClass",
            Kind::IngressClassParams => "IngressClassParams",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// `apiVersion` of the stored version.
    pub fn api_version(self) -> &'static str {
        match self {
            Kind::Deployment | Kind::ReplicaSet => "apps/v1",
            Kind::EndpointSlice => "discovery.k8s.io/v1",
            Kind::Ingress | Kind::IngressClass => "networking.k8s.io/v1",
            Kind::TargetGroupBinding | Kind::IngressClassParams => "elbv2.k8s.aws/v1beta1",
            _ => "v1",
        }
    }
}

/// What the store needs to know about an object type.
pub trait Object: Clone + Serialize + DeserializeOwned {
    const KIND: Kind;
    fn meta(&self) -> &ObjectMeta;
    fn meta_mut(&mut self) -> &mut ObjectMeta;
    /// Whether the spec (what bumps `generation`) differs.
    fn spec_differs(&self, other: &Self) -> bool;
    /// Takes `from`'s status (a `/status` write, or a main write keeping the stored status).
    fn copy_status(&mut self, from: &Self);
    fn map(s: &ClusterStore) -> &BTreeMap<(String, String), Self>;
    fn map_mut(s: &mut ClusterStore) -> &mut BTreeMap<(String, String), Self>;
    /// Held from deletion by something beside `metadata.finalizers` (a Namespace's
    /// `spec.finalizers`, which the namespace controller removes once it is empty).
    fn held(&self) -> bool {
        false
    }
    /// The object as a Service, for the API server's Service-only defaulting.
    fn as_service_mut(&mut self) -> Option<&mut Service> {
        None
    }
}

macro_rules! object {
    ($t:ty, $kind:ident, $field:ident, |$a:ident, $b:ident| $differs:expr, |$s:ident, $f:ident| $status:expr $(, $extra:item)*) => {
        impl Object for $t {
            const KIND: Kind = Kind::$kind;
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
            #[allow(unused_variables)]
            fn spec_differs(&self, other: &Self) -> bool {
                let ($a, $b) = (self, other);
                $differs
            }
            #[allow(unused_variables)]
            fn copy_status(&mut self, from: &Self) {
                let ($s, $f) = (self, from);
                $status
            }
            fn map(s: &ClusterStore) -> &BTreeMap<(String, String), Self> {
                &s.$field
            }
            fn map_mut(s: &mut ClusterStore) -> &mut BTreeMap<(String, String), Self> {
                &mut s.$field
            }
            $($extra)*
        }
    };
}

object!(
    Service,
    Service,
    services,
    |a, b| a.spec != b.spec,
    |s, f| s.status = f.status.clone(),
    fn as_service_mut(&mut self) -> Option<&mut Service> {
        Some(self)
    }
);
object!(Node, Node, nodes, |a, b| a.spec != b.spec, |s, f| s.status = f.status.clone());
object!(Pod, Pod, pods, |a, b| a.spec != b.spec, |s, f| s.status = f.status.clone());
object!(Endpoints, Endpoints, endpoints, |a, b| a.subsets != b.subsets, |s, f| ());
object!(EndpointSlice, EndpointSlice, slices, |a, b| a.endpoints != b.endpoints || a.ports != b.ports, |s, f| ());
object!(TargetGroupBinding, TargetGroupBinding, tgbs, |a, b| a.spec != b.spec, |s, f| s.status = f.status.clone());
object!(
    Namespace,
    Namespace,
    namespaces,
    |a, b| a.spec != b.spec,
    |s, f| s.status = f.status.clone(),
    fn held(&self) -> bool {
        self.spec.as_ref().and_then(|s| s.finalizers.as_ref()).is_some_and(|f| !f.is_empty())
    }
);
object!(CoreEvent, Event, events, |a, b| false, |s, f| ());
object!(Deployment, Deployment, deployments, |a, b| a.spec != b.spec, |s, f| s.status = f.status.clone());
object!(ReplicaSet, ReplicaSet, replicasets, |a, b| a.spec != b.spec, |s, f| s.status = f.status.clone());
object!(Ingress, Ingress, ingresses, |a, b| a.spec != b.spec, |s, f| s.status = f.status.clone());
object!(IngressClass, IngressClass, ingress_classes, |a, b| a.spec != b.spec, |s, f| ());
object!(IngressClassParams, IngressClassParams, ingress_class_params, |a, b| a.spec != b.spec, |s, f| ());

/// Runs `$body` with `$T` as the Rust type of `$kind`.
#[macro_export]
macro_rules! with_kind {
    ($kind:expr, $T:ident => $body:expr) => {{
        use $crate::cluster::Kind as K;
        match $kind {
            K::Service => {
                type $T = k8s_openapi::api::core::v1::Service;
                $body
            }
            K::Node => {
                type $T = k8s_openapi::api::core::v1::Node;
                $body
            }
            K::Pod => {
                type $T = k8s_openapi::api::core::v1::Pod;
                $body
            }
            K::Endpoints => {
                type $T = k8s_openapi::api::core::v1::Endpoints;
                $body
            }
            K::EndpointSlice => {
                type $T = k8s_openapi::api::discovery::v1::EndpointSlice;
                $body
            }
            K::TargetGroupBinding => {
                type $T = $crate::cluster::TargetGroupBinding;
                $body
            }
            K::Namespace => {
                type $T = k8s_openapi::api::core::v1::Namespace;
                $body
            }
            K::Event => {
                type $T = k8s_openapi::api::core::v1::Event;
                $body
            }
            K::Deployment => {
                type $T = k8s_openapi::api::apps::v1::Deployment;
                $body
            }
            K::ReplicaSet => {
                type $T = k8s_openapi::api::apps::v1::ReplicaSet;
                $body
            }
            K::Ingress => {
                type $T = k8s_openapi::api::networking::v1::Ingress;
                $body
            }
            K::IngressClass => {
                type $T = k8s_openapi::api::networking::v1::IngressClass;
                $body
            }
            K::IngressClassParams => {
                type $T = $crate::cluster::IngressClassParams;
                $body
            }
        }
    }};
}
