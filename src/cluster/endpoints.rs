//! The endpoints controller's job, done synchronously after every Service or Pod change: for
//! the Services the change can affect, each with a selector, the Endpoints object and EndpointSlices of its matching pods
//! (ready ones as `addresses`, the rest as `notReadyAddresses` / `ready: false`). Named target
//! ports are resolved per pod from its container ports; pods are grouped by resolved port set.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference, Pod, Service};
use k8s_openapi::api::discovery::v1 as discovery;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::store::ClusterStore;

pub fn pod_ready(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_none()
        && p.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// A Service port's target port on one pod (named ports looked up in the pod's containers).
pub fn resolve_target_port(target: Option<&IntOrString>, port: i32, pod: &Pod) -> Option<i32> {
    match target {
        None => Some(port),
        Some(IntOrString::Int(p)) => Some(*p),
        Some(IntOrString::String(name)) => pod
            .spec
            .as_ref()?
            .containers
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .find(|cp| cp.name.as_deref() == Some(name))
            .map(|cp| cp.container_port),
    }
}

fn matches(selector: &BTreeMap<String, String>, pod: &Pod) -> bool {
    let labels = pod.metadata.labels.as_ref();
    selector.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

/// A resolved port: name, number, protocol.
type PortKey = (Option<String>, i32, String);

/// After a change to the Service `ns/name`, re-derives its own Endpoints and slices; after a
/// change to a Pod of `ns`, those of every Service in `ns`. Re-deriving every Service on every
/// change made an N-Service replay quadratic (each status write re-matched all Services' pods).
pub fn sync_after(s: &mut ClusterStore, service_changed: bool, ns: &str, name: &str) {
    let keys: Vec<(String, String)> = if service_changed {
        vec![(ns.to_string(), name.to_string())]
    } else {
        s.services.keys().filter(|(n, _)| n == ns).cloned().collect()
    };
    for k in keys {
        if let Some(svc) = s.services.get(&k).cloned() {
            sync_one(s, &svc);
        }
    }
}

fn sync_one(s: &mut ClusterStore, svc: &Service) {
    let Some(spec) = svc.spec.as_ref() else { return };
    let Some(selector) = spec.selector.clone().filter(|m| !m.is_empty()) else { return };
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let name = svc.metadata.name.clone().unwrap_or_default();
    let pods: Vec<Pod> = s
        .pods
        .values()
        .filter(|p| p.metadata.namespace.as_deref() == Some(&ns) && matches(&selector, p))
        .filter(|p| p.status.as_ref().and_then(|st| st.pod_ip.as_ref()).is_some())
        .cloned()
        .collect();
    // Group pods by their resolved ports.
    let mut groups: BTreeMap<Vec<PortKey>, Vec<&Pod>> = BTreeMap::new();
    for p in &pods {
        let ports: Option<Vec<_>> = spec
            .ports
            .iter()
            .flatten()
            .map(|sp| {
                let port = resolve_target_port(sp.target_port.as_ref(), sp.port, p)?;
                Some((sp.name.clone(), port, sp.protocol.clone().unwrap_or_else(|| "TCP".into())))
            })
            .collect();
        if let Some(ports) = ports {
            groups.entry(ports).or_default().push(p);
        }
    }
    let address = |p: &Pod| EndpointAddress {
        ip: p.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_default(),
        node_name: p.spec.as_ref().and_then(|s| s.node_name.clone()),
        target_ref: Some(pod_ref(p)),
        ..Default::default()
    };
    let subsets: Vec<EndpointSubset> = groups
        .iter()
        .map(|(ports, pods)| {
            let (ready, not): (Vec<&&Pod>, Vec<&&Pod>) = pods.iter().partition(|p| pod_ready(p));
            EndpointSubset {
                addresses: Some(ready.iter().map(|p| address(p)).collect()).filter(|v: &Vec<_>| !v.is_empty()),
                not_ready_addresses: Some(not.iter().map(|p| address(p)).collect()).filter(|v: &Vec<_>| !v.is_empty()),
                ports: Some(
                    ports
                        .iter()
                        .map(|(n, port, proto)| EndpointPort {
                            name: n.clone(),
                            port: *port,
                            protocol: Some(proto.clone()),
                            ..Default::default()
                        })
                        .collect(),
                ),
            }
        })
        .collect();
    let ep = Endpoints {
        metadata: ObjectMeta { name: Some(name.clone()), namespace: Some(ns.clone()), ..Default::default() },
        subsets: Some(subsets).filter(|v| !v.is_empty()),
    };
    if s.endpoints.get(&(ns.clone(), name.clone())).map(|e| &e.subsets) != Some(&ep.subsets) {
        s.apply(ep);
    }
    for (i, (ports, pods)) in groups.iter().enumerate() {
        let slice = discovery::EndpointSlice {
            metadata: ObjectMeta {
                name: Some(format!("{name}-{i}")),
                namespace: Some(ns.clone()),
                labels: Some([("kubernetes.io/service-name".to_string(), name.clone())].into()),
                ..Default::default()
            },
            address_type: "IPv4".into(),
            endpoints: Some(
                pods.iter()
                    .map(|p| discovery::Endpoint {
                        addresses: vec![p.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_default()],
                        conditions: Some(discovery::EndpointConditions {
                            ready: Some(pod_ready(p)),
                            serving: Some(pod_ready(p)),
                            terminating: Some(p.metadata.deletion_timestamp.is_some()),
                        }),
                        node_name: p.spec.as_ref().and_then(|s| s.node_name.clone()),
                        target_ref: Some(pod_ref(p)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ports: Some(
                ports
                    .iter()
                    .map(|(n, port, proto)| discovery::EndpointPort {
                        // The EndpointSlice controller always writes a name ("" when unnamed);
                        // kubectl's describe reads it without a check.
                        name: Some(n.clone().unwrap_or_default()),
                        port: Some(*port),
                        protocol: Some(proto.clone()),
                        ..Default::default()
                    })
                    .collect(),
            ),
        };
        let k = (ns.clone(), format!("{name}-{i}"));
        if s.slices.get(&k).map(|e| (&e.endpoints, &e.ports)) != Some((&slice.endpoints, &slice.ports)) {
            s.apply(slice);
        }
    }
}

fn pod_ref(p: &Pod) -> ObjectReference {
    ObjectReference {
        kind: Some("Pod".into()),
        name: p.metadata.name.clone(),
        namespace: p.metadata.namespace.clone(),
        uid: p.metadata.uid.clone(),
        ..Default::default()
    }
}
