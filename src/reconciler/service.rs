//! The Service reconciler (lbc-reconciler.md §4.1, §4.7, §7): kube-rs shaped —
//! `reconcile(svc, ctx) -> Result<Action, Error>` and `error_policy` — with the finalizer state
//! machine (`service.k8s.aws/resources`), the controller's events, and the status hostname.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{LoadBalancerIngress, LoadBalancerStatus, PortStatus, Service, ServiceStatus};

use super::backend_sg;
use super::ctx::Ctx;
use super::deploy;
use super::discovery;
use super::error::Error;
use super::finalizer::{self, Phase};
use super::model::{self, FINALIZER};
use crate::cluster::events::{NORMAL, WARNING};

/// What to do after a successful reconcile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing until the next relevant change (the controller has no periodic resync, §4.1).
    AwaitChange,
    RequeueAfter(Duration),
}

/// Records `e` as the controller's Warning Event on `svc`, and returns it.
fn warn(ctx: &Ctx, svc: &Service, e: Error) -> Error {
    ctx.cluster.lock().record(svc, WARNING, e.reason(), &e.to_string());
    e
}

/// The controller-runtime rate limiter: per-item exponential back-off (§7.1).
pub fn error_policy(_err: &Error, failures: u32, ctx: &Ctx) -> Action {
    Action::RequeueAfter(ctx.cfg.service_backoff(failures))
}

pub async fn reconcile(svc: Arc<Service>, ctx: &Ctx) -> Result<Action, Error> {
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let name = svc.metadata.name.clone().unwrap_or_default();
    let backend_key = backend_sg::key(&ns, &name);
    let build = |e| warn(ctx, &svc, Error::BuildModel(e));
    let deploy_err = |e: String| warn(ctx, &svc, Error::DeployModel(e));
    if finalizer::phase(&svc.metadata, FINALIZER, model::supported(&svc, &ctx.cfg)) != Phase::Apply {
        return cleanup(&svc, ctx, &ns, &name, &backend_key).await;
    }
    let facts = discovery::gather(ctx, &svc).await.map_err(|e| build(e.to_string()))?;
    let stack = model::build(&svc, &ctx.cfg, &facts).map_err(build)?;
    // Nothing to deploy (the stack came out empty): the same as not handled.
    if stack.lb.is_none() {
        return cleanup(&svc, ctx, &ns, &name, &backend_key).await;
    }
    finalizer::add::<Service>(&mut ctx.cluster.lock(), &ns, &name, FINALIZER).map_err(|e| warn(ctx, &svc, Error::AddFinalizer(e)))?;
    let deployed = deploy::deploy(ctx, &stack).await.map_err(|e| deploy_err(e.to_string()))?;
    if let Some(after) = deployed.requeue_after {
        return Ok(Action::RequeueAfter(after));
    }
    if !stack.backend_sg_allocated {
        backend_sg::release(ctx, &backend_key).await.map_err(|e| deploy_err(e.to_string()))?;
    }
    if let Some(dns) = deployed.dns_name {
        update_status(ctx, &svc, &dns);
    }
    ctx.cluster.lock().record(svc.as_ref(), NORMAL, "SuccessfullyReconciled", "Successfully reconciled");
    Ok(Action::AwaitChange)
}

/// The finalizer's Cleanup (§4.7): deploy the empty stack, release the backend group, clear
/// status, drop the finalizer. `Done` when the finalizer is already gone.
async fn cleanup(svc: &Service, ctx: &Ctx, ns: &str, name: &str, backend_key: &str) -> Result<Action, Error> {
    if !finalizer::has(&svc.metadata, FINALIZER) {
        return Ok(Action::AwaitChange);
    }
    let stack = model::build(svc, &ctx.cfg, &model::Facts::default()).map_err(|e| warn(ctx, svc, Error::BuildModel(e)))?;
    let deploy_err = |e: String| warn(ctx, svc, Error::DeployModel(e));
    let deployed = deploy::deploy(ctx, &stack).await.map_err(|e| deploy_err(e.to_string()))?;
    if let Some(after) = deployed.requeue_after {
        return Ok(Action::RequeueAfter(after));
    }
    backend_sg::release(ctx, backend_key).await.map_err(|e| deploy_err(e.to_string()))?;
    ctx.cluster.lock().patch::<Service>(ns, name, |s| {
        if let Some(st) = s.status.as_mut() {
            st.load_balancer = Some(LoadBalancerStatus::default());
        }
    });
    finalizer::remove::<Service>(&mut ctx.cluster.lock(), ns, name, FINALIZER);
    Ok(Action::AwaitChange)
}

/// §7.4: `[{hostname: <DNS>}]` unless already exactly that (HEAD: lower-cased, with ports).
fn update_status(ctx: &Ctx, svc: &Service, dns: &str) {
    let host = if ctx.cfg.lowercase_dns() { dns.to_ascii_lowercase() } else { dns.to_string() };
    let ports: Option<Vec<PortStatus>> = ctx.cfg.status_ports().then(|| {
        svc.spec
            .as_ref()
            .and_then(|s| s.ports.as_ref())
            .into_iter()
            .flatten()
            .map(|p| PortStatus { port: p.port, protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()), error: None })
            .collect()
    });
    let want = vec![LoadBalancerIngress { hostname: Some(host), ports, ..Default::default() }];
    let have = svc.status.as_ref().and_then(|s| s.load_balancer.as_ref()).and_then(|l| l.ingress.clone());
    if have.as_ref() == Some(&want) {
        return;
    }
    let (ns, name) = (svc.metadata.namespace.clone().unwrap_or_default(), svc.metadata.name.clone().unwrap_or_default());
    ctx.cluster.lock().patch::<Service>(&ns, &name, |s| {
        s.status.get_or_insert_with(ServiceStatus::default).load_balancer = Some(LoadBalancerStatus { ingress: Some(want) });
    });
}
