//! The pure half of the controller's Ingress → ALB model (lbc-ingress.md §1.3, §3.1, §4.8),
//! written ahead of the reconciler: IngressGroup identity and member order (`group`), names and
//! hashes (`naming`), and rules from Ingress paths with their priorities (`paths`). Nothing here
//! talks to AWS or to the cluster; the reconciler that deploys these is not built yet
//! (docs/reconciler.md, "Ingress → ALB").
//! May call: `reconciler::naming` (the shared hash and sanitiser) and k8s-openapi types.

pub mod group;
pub mod naming;
pub mod paths;
