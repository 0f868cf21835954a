//! The TargetGroupBinding controller (lbc-reconciler.md §4.9, §1.6): finalizer, endpoint
//! resolution (eligible Ready nodes for instance targets; ready pod endpoints for IP targets),
//! networking (tgb_networking), target (de)registration, observedGeneration, events — with the
//! 2.6.0 / 2.6.2+ difference in what a networking error aborts.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_elasticloadbalancingv2::types::TargetDescription;
use k8s_openapi::api::core::v1::{Endpoints, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::aws::aws_err;
use super::ctx::Ctx;
use super::tgb_networking;
use crate::cluster::TargetGroupBinding;
use crate::cluster::events::{NORMAL, WARNING};

pub const FINALIZER: &str = "elbv2.k8s.aws/resources";

type Target = (String, i32);

fn node_ready(n: &Node) -> Option<&str> {
    n.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == "Ready").map(|c| c.status.as_str())
}

/// §1.6 instance targets: the traffic-proxy node selector plus the TGB's, Ready=True nodes
/// (fail-open to Unknown when none is Ready). Reads the store borrowed and copies only the
/// nodes it returns: it runs on every binding's reconcile.
fn eligible_nodes(ctx: &Ctx, selector: Option<&BTreeMap<String, String>>) -> Vec<Node> {
    let store = ctx.cluster.lock();
    let candidates: Vec<&Node> = store
        .iter::<Node>()
        .filter(|n| {
            let l = n.metadata.labels.as_ref();
            let has = |k: &str| l.is_some_and(|l| l.contains_key(k));
            let get = |k: &str| l.and_then(|l| l.get(k));
            !has("node-role.kubernetes.io/master")
                && !has("node.kubernetes.io/exclude-from-external-load-balancers")
                && !has("alpha.service-controller.kubernetes.io/exclude-balancer")
                && get("eks.amazonaws.com/compute-type").map(String::as_str) != Some("fargate")
                && selector.is_none_or(|s| s.iter().all(|(k, v)| get(k) == Some(v)))
                && !n
                    .spec
                    .as_ref()
                    .and_then(|s| s.taints.as_ref())
                    .is_some_and(|t| t.iter().any(|t| t.key == "ToBeDeletedByClusterAutoscaler"))
        })
        .collect();
    let ready: Vec<Node> = candidates.iter().filter(|n| node_ready(n) == Some("True")).map(|n| (*n).clone()).collect();
    if !ready.is_empty() || !ctx.cfg.feature_gates.endpoints_fail_open {
        return ready;
    }
    candidates.into_iter().filter(|n| node_ready(n).is_none_or(|s| s == "Unknown")).cloned().collect()
}

/// Ready pod endpoints of the Service port: (pod name, ip, port).
fn pod_endpoints(ctx: &Ctx, svc: &Service, port: i32) -> Vec<(String, String, i32)> {
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let name = svc.metadata.name.clone().unwrap_or_default();
    let sp = svc.spec.as_ref().and_then(|s| s.ports.as_ref()).and_then(|p| p.iter().find(|p| p.port == port)).cloned();
    let Some(sp) = sp else { return Vec::new() };
    let store = ctx.cluster.lock();
    let mut out = Vec::new();
    if ctx.cfg.endpoint_slices() {
        for sl in store.iter::<EndpointSlice>() {
            let service = sl.metadata.labels.as_ref().and_then(|l| l.get("kubernetes.io/service-name"));
            if sl.metadata.namespace.as_deref() != Some(&ns) || service != Some(&name) {
                continue;
            }
            let Some(p) = sl.ports.iter().flatten().find(|p| p.name == sp.name).and_then(|p| p.port) else { continue };
            for e in sl.endpoints.iter().flatten() {
                let ready = e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(false);
                let pod = e.target_ref.as_ref().filter(|r| r.kind.as_deref() == Some("Pod")).and_then(|r| r.name.clone());
                if let (true, Some(pod)) = (ready, pod) {
                    for a in &e.addresses {
                        out.push((pod.clone(), a.clone(), p));
                    }
                }
            }
        }
    } else if let Some(ep) = store.get::<Endpoints>(&ns, &name) {
        for s in ep.subsets.iter().flatten() {
            let Some(p) = s.ports.iter().flatten().find(|p| p.name == sp.name).map(|p| p.port) else { continue };
            for a in s.addresses.iter().flatten() {
                if let Some(pod) = a.target_ref.as_ref().filter(|r| r.kind.as_deref() == Some("Pod")).and_then(|r| r.name.clone()) {
                    out.push((pod, a.ip.clone(), p));
                }
            }
        }
    }
    out
}

/// The groups that receive rules, for instance targets (the nodes) or IP targets (the pods).
async fn endpoint_groups(ctx: &Ctx, nodes: &[Node], pods: &[(String, String, i32)], ns: &str) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    if !nodes.is_empty() {
        for (_, info) in tgb_networking::node_enis(ctx, nodes).await? {
            out.insert(tgb_networking::pick_group(ctx, &info.eni_id, &info.groups).await?);
        }
        return Ok(out);
    }
    let mut unresolved = Vec::new();
    for (pod, ip, _) in pods {
        let p: Option<Pod> = ctx.cluster.lock().get(ns, pod);
        let node = p.as_ref().and_then(|p| p.spec.as_ref()?.node_name.clone()).and_then(|n| ctx.cluster.lock().get::<Node>("", &n));
        let mut hit = None;
        if let Some(node) = node {
            let infos = tgb_networking::node_enis(ctx, std::slice::from_ref(&node)).await?;
            for info in infos.values() {
                if let Some((eni, groups, _)) = info.addresses.iter().find(|(_, _, ips)| ips.contains(ip)) {
                    hit = Some((eni.clone(), groups.split(',').filter(|g| !g.is_empty()).map(String::from).collect::<Vec<_>>()));
                }
            }
        }
        match hit {
            Some((eni, groups)) => {
                out.insert(tgb_networking::pick_group(ctx, &eni, &groups).await?);
            }
            None => unresolved.push((pod.clone(), ip.clone())),
        }
    }
    if !unresolved.is_empty() {
        let ips: Vec<String> = unresolved.iter().map(|(_, ip)| ip.clone()).collect();
        let r = ctx
            .aws
            .ec2
            .describe_network_interfaces()
            .filters(super::aws::ec2_filter("vpc-id", &[&ctx.cfg.vpc_id]))
            .filters(aws_sdk_ec2::types::Filter::builder().name("addresses.private-ip-address").set_values(Some(ips.clone())).build())
            .send()
            .await
            .map_err(|e| aws_err(e).to_string())?;
        let mut missing = Vec::new();
        for (pod, ip) in &unresolved {
            let eni = r
                .network_interfaces()
                .iter()
                .find(|e| e.private_ip_addresses().iter().any(|a| a.private_ip_address() == Some(ip.as_str())));
            match eni {
                Some(e) => {
                    let groups: Vec<String> = e.groups().iter().filter_map(|g| g.group_id().map(String::from)).collect();
                    out.insert(tgb_networking::pick_group(ctx, e.network_interface_id().unwrap_or(""), &groups).await?);
                }
                None => missing.push(format!("{ns}/{pod}")),
            }
        }
        if !missing.is_empty() {
            return Err(format!("cannot resolve pod ENI for pods: {missing:?}"));
        }
    }
    Ok(out)
}

/// Registered targets, draining ones left out (the controller partitions them away).
async fn current_targets(ctx: &Ctx, arn: &str) -> Result<Vec<Target>, String> {
    let r = ctx.aws.elbv2.describe_target_health().target_group_arn(arn).send().await.map_err(|e| aws_err(e).to_string())?;
    Ok(r.target_health_descriptions()
        .iter()
        .filter(|d| d.target_health().and_then(|h| h.state()).map(|s| s.as_str()) != Some("draining"))
        .filter_map(|d| d.target())
        .map(|t| (t.id().unwrap_or("").to_string(), t.port().unwrap_or(0)))
        .collect())
}

fn descriptions(ts: &[Target]) -> Vec<TargetDescription> {
    ts.iter().map(|(id, port)| TargetDescription::builder().id(id).port(*port).build()).collect()
}

async fn deregister(ctx: &Ctx, arn: &str, ts: &[Target]) -> Result<(), crate::reconciler::aws::AwsError> {
    for chunk in ts.chunks(200) {
        ctx.aws.elbv2.deregister_targets().target_group_arn(arn).set_targets(Some(descriptions(chunk))).send().await.map_err(aws_err)?;
    }
    Ok(())
}

fn port_text(p: &IntOrString) -> String {
    match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// The number of the Service port a binding names (`k8s.LookupServicePort`).
fn service_port(svc: &Service, p: &IntOrString) -> Option<i32> {
    svc.spec
        .as_ref()?
        .ports
        .as_ref()?
        .iter()
        .find(|sp| match p {
            IntOrString::Int(n) => sp.port == *n,
            IntOrString::String(s) => sp.name.as_deref() == Some(s.as_str()),
        })
        .map(|sp| sp.port)
}

fn record(ctx: &Ctx, t: &TargetGroupBinding, type_: &str, reason: &str, msg: &str) {
    ctx.cluster.lock().record(t, type_, reason, msg);
}

pub async fn reconcile(ctx: &Ctx, ns: &str, name: &str) -> Result<(), String> {
    let Some(tgb) = ctx.cluster.lock().get::<TargetGroupBinding>(ns, name) else { return Ok(()) };
    let key = (ns.to_string(), name.to_string());
    let arn = tgb.spec.target_group_arn.clone();
    let has_finalizer = tgb.metadata.finalizers.as_ref().is_some_and(|f| f.iter().any(|x| x == FINALIZER));
    if tgb.metadata.deletion_timestamp.is_some() {
        if !has_finalizer {
            return Ok(());
        }
        // Cleanup: deregister everything (a TG already gone is fine), then drop this TGB's rules.
        match current_targets(ctx, &arn).await {
            Ok(ts) => {
                if let Err(e) = deregister(ctx, &arn, &ts).await
                    && !matches!(e.code.as_str(), "TargetGroupNotFound" | "ValidationError")
                {
                    record(ctx, &tgb, WARNING, "FailedCleanup", &e.to_string());
                    return Err(e.to_string());
                }
            }
            Err(e) if e.contains("TargetGroupNotFound") || e.contains("ValidationError") => {}
            Err(e) => {
                record(ctx, &tgb, WARNING, "FailedCleanup", &e);
                return Err(e);
            }
        }
        if let Err(e) = tgb_networking::reconcile(ctx, &key, None).await {
            record(ctx, &tgb, WARNING, "FailedCleanup", &e);
            return Err(e);
        }
        ctx.cluster.lock().remove_finalizer::<TargetGroupBinding>(ns, name, FINALIZER);
        return Ok(());
    }
    if !has_finalizer {
        ctx.cluster.lock().add_finalizer::<TargetGroupBinding>(ns, name, FINALIZER);
    }
    let Some(svc) = ctx.cluster.lock().get::<Service>(ns, &tgb.spec.service_ref.name) else {
        record(ctx, &tgb, WARNING, "BackendNotFound", &format!("backend not found: Service \"{}\" not found", tgb.spec.service_ref.name));
        return Ok(());
    };
    // The Service port the binding names, by number or by name.
    let Some(port) = service_port(&svc, &tgb.spec.service_ref.port) else {
        let msg = format!("unable to find port {} on service {ns}/{}", port_text(&tgb.spec.service_ref.port), tgb.spec.service_ref.name);
        record(ctx, &tgb, WARNING, "FailedReconcile", &msg);
        return Err(msg);
    };
    let instance = tgb.spec.target_type == "instance";
    let (nodes, pods) = if instance {
        (eligible_nodes(ctx, tgb.spec.node_selector.as_ref()), Vec::new())
    } else {
        (Vec::new(), pod_endpoints(ctx, &svc, port))
    };
    let desired: Vec<Target> = if instance {
        let node_port = svc
            .spec
            .as_ref()
            .and_then(|s| s.ports.as_ref())
            .and_then(|ps| ps.iter().find(|p| p.port == port))
            .and_then(|p| p.node_port)
            .unwrap_or(0);
        nodes.iter().filter_map(tgb_networking::instance_id).map(|id| (id, node_port)).collect()
    } else {
        pods.iter().map(|(_, ip, p)| (ip.clone(), *p)).collect()
    };
    let current = current_targets(ctx, &arn).await?;
    // Networking (§5): a failure aborts here in 2.6.0 and for instance targets; from 2.6.2 IP
    // targets still get registered and the error is reported as FailedNetworkReconcile.
    let net_result = async {
        let perms = match &tgb.spec.networking {
            None => None,
            Some(net) => {
                let groups = endpoint_groups(ctx, &nodes, &pods, ns).await?;
                let mut named: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
                if let Some(sp) = svc.spec.as_ref().and_then(|s| s.ports.as_ref()).and_then(|ps| ps.iter().find(|p| p.port == port))
                    && let Some(IntOrString::String(n)) = &sp.target_port
                {
                    named.insert(n.clone(), pods.iter().map(|(_, _, p)| *p).collect());
                }
                Some(tgb_networking::permissions(net, &groups, &named))
            }
        };
        tgb_networking::reconcile(ctx, &key, perms).await
    }
    .await;
    let mut net_error = None;
    if let Err(e) = net_result {
        if !ctx.cfg.joins_node_sg_errors() {
            return Err(e);
        }
        if instance {
            record(ctx, &tgb, WARNING, "FailedReconcile", &e);
            return Err(e);
        }
        record(ctx, &tgb, WARNING, "FailedNetworkReconcile", &e);
        net_error = Some(e);
    }
    let stale: Vec<Target> = current.iter().filter(|t| !desired.contains(t)).cloned().collect();
    let new: Vec<Target> = desired.iter().filter(|t| !current.contains(t)).cloned().collect();
    if !stale.is_empty() {
        deregister(ctx, &arn, &stale).await.map_err(|e| e.to_string())?;
    }
    for chunk in new.chunks(200) {
        ctx.aws
            .elbv2
            .register_targets()
            .target_group_arn(&arn)
            .set_targets(Some(descriptions(chunk)))
            .send()
            .await
            .map_err(|e| aws_err(e).to_string())?;
    }
    if let Some(e) = net_error {
        return Err(e);
    }
    let generation = tgb.metadata.generation;
    if tgb.status.observed_generation != generation {
        ctx.cluster.lock().patch::<TargetGroupBinding>(ns, name, |t| t.status.observed_generation = generation);
    }
    // Every successful reconcile records it; repeats fold into the event's count.
    let fresh = ctx.cluster.lock().get::<TargetGroupBinding>(ns, name).unwrap_or(tgb);
    record(ctx, &fresh, NORMAL, "SuccessfullyReconciled", "Successfully reconciled");
    Ok(())
}
