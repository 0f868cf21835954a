//! The IngressGroup reconciler (lbc-ingress.md §5.1, `group_controller.go`), kube-rs shaped:
//! `reconcile(group, ctx) -> Result<Action, Error>` with `error_policy`. Load the group; add its
//! finalizer to every active member; discover and build (`FailedBuildModel` on every active
//! member); deploy (`FailedDeployModel`; a still-provisioning ALB requeues silently); release the
//! backend group for inactive members (and all members when the model did not claim it);
//! status; remove the finalizer from inactive members; `SuccessfullyReconciled`. A group with no
//! active members deploys the empty stack: everything goes, then the finalizers.

use k8s_openapi::api::networking::v1::{Ingress, IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressPortStatus, IngressStatus};

use super::build;
use super::discovery::{self, backend_key};
use super::group::{self, Group, GroupId};
use crate::cluster::events::{NORMAL, WARNING};
use crate::reconciler::backend_sg;
use crate::reconciler::ctx::Ctx;
use crate::reconciler::deploy;
use crate::reconciler::error::Error;
use crate::reconciler::finalizer;
use crate::reconciler::service::Action;

fn nn(i: &Ingress) -> (String, String) {
    (i.metadata.namespace.clone().unwrap_or_default(), i.metadata.name.clone().unwrap_or_default())
}

/// Records `e` as the controller's Warning Event on every active member, and returns it.
fn warn(ctx: &Ctx, g: &Group, e: Error) -> Error {
    let mut store = ctx.cluster.lock();
    for m in &g.members {
        store.record(&m.ing, WARNING, e.reason(), &e.to_string());
    }
    e
}

/// The controller-runtime rate limiter, as for Services.
pub fn error_policy(_err: &Error, failures: u32, ctx: &Ctx) -> Action {
    Action::RequeueAfter(ctx.cfg.service_backoff(failures))
}

pub async fn reconcile(id: &GroupId, ctx: &Ctx) -> Result<Action, Error> {
    let g = {
        let store = ctx.cluster.lock();
        group::load(&store, id, &ctx.cfg.ingress_class)
    }
    .map_err(Error::LoadGroup)?;
    let fin = id.finalizer();
    for m in &g.members {
        let (ns, name) = nn(&m.ing);
        finalizer::add::<Ingress>(&mut ctx.cluster.lock(), &ns, &name, &fin).map_err(|e| warn(ctx, &g, Error::AddFinalizer(e)))?;
    }
    let build_err = |e: String| warn(ctx, &g, Error::BuildModel(e));
    let facts = discovery::gather(ctx, &g).await.map_err(build_err)?;
    let built = build::build(&g, &ctx.cfg, &facts).map_err(build_err)?;
    let deployed = deploy::deploy(ctx, &built.stack).await.map_err(|e| warn(ctx, &g, Error::DeployModel(e)))?;
    if let Some(after) = deployed.requeue_after {
        return Ok(Action::RequeueAfter(after));
    }
    let mut released: Vec<String> = g.inactive.iter().map(|i| backend_sg::ingress_key(&nn(i).0, &nn(i).1)).collect();
    if !built.stack.backend_sg_allocated {
        released.extend(g.members.iter().map(backend_key));
    }
    if !released.is_empty() {
        backend_sg::release_all(ctx, &released).await.map_err(|e| Error::ReleaseBackendSg(e.to_string()))?;
    }
    if let (Some(dns), false) = (&deployed.dns_name, g.members.is_empty()) {
        for m in &g.members {
            update_status(ctx, &m.ing, dns, &built.ports).map_err(|e| warn(ctx, &g, Error::UpdateStatus(e)))?;
        }
    }
    for i in &g.inactive {
        let (ns, name) = nn(i);
        finalizer::remove::<Ingress>(&mut ctx.cluster.lock(), &ns, &name, &fin);
    }
    let mut store = ctx.cluster.lock();
    for m in &g.members {
        store.record(&m.ing, NORMAL, "SuccessfullyReconciled", "Successfully reconciled");
    }
    Ok(Action::AwaitChange)
}

/// §5.8: `[{hostname, ports}]` unless already exactly one entry with that hostname and no IP
/// (then only the ports are refreshed). HEAD: lower-cased, with every listener port of the
/// group; 2.6.0: the hostname only.
fn update_status(ctx: &Ctx, ing: &Ingress, dns: &str, ports: &[i32]) -> Result<(), String> {
    let latest = ctx.cfg.latest();
    let host = if latest { dns.to_ascii_lowercase() } else { dns.to_string() };
    let port_status: Option<Vec<IngressPortStatus>> =
        (latest && !ports.is_empty()).then(|| ports.iter().map(|p| IngressPortStatus { port: *p, ..Default::default() }).collect());
    let have = ing.status.as_ref().and_then(|s| s.load_balancer.as_ref()).and_then(|l| l.ingress.clone()).unwrap_or_default();
    let mut want = have.clone();
    let matches = have.len() == 1 && have[0].ip.as_deref().unwrap_or("").is_empty() && have[0].hostname.as_deref() == Some(host.as_str());
    if !matches {
        want = vec![IngressLoadBalancerIngress { hostname: Some(host), ports: port_status, ..Default::default() }];
    } else if port_status.is_some() {
        want[0].ports = port_status;
    }
    if want == have {
        return Ok(());
    }
    let (ns, name) = nn(ing);
    ctx.cluster
        .lock()
        .patch::<Ingress>(&ns, &name, |i| {
            i.status.get_or_insert_with(IngressStatus::default).load_balancer = Some(IngressLoadBalancerStatus { ingress: Some(want) });
        })
        .map(|_| ())
        .ok_or_else(|| format!("failed to update ingress status: {ns}/{name}: ingresses.networking.k8s.io \"{name}\" not found"))
}
