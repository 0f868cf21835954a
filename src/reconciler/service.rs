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
use super::model::{self, FINALIZER};
use crate::cluster::events::{NORMAL, WARNING};

/// What to do after a successful reconcile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing until the next relevant change (the controller has no periodic resync, §4.1).
    AwaitChange,
    RequeueAfter(Duration),
}

/// A failed reconcile: the event reason already recorded and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub reason: &'static str,
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.reason, self.message)
    }
}

impl std::error::Error for Error {}

fn warn(ctx: &Ctx, svc: &Service, reason: &'static str, message: String) -> Error {
    ctx.cluster.lock().record(svc, WARNING, reason, &message);
    Error { reason, message }
}

/// The controller-runtime rate limiter: per-item exponential back-off (§7.1).
pub fn error_policy(_err: &Error, failures: u32, ctx: &Ctx) -> Action {
    Action::RequeueAfter(ctx.cfg.service_backoff(failures))
}

pub async fn reconcile(svc: Arc<Service>, ctx: &Ctx) -> Result<Action, Error> {
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let name = svc.metadata.name.clone().unwrap_or_default();
    let backend_key = backend_sg::key(&ns, &name);
    if !model::supported(&svc, &ctx.cfg) {
        return cleanup(&svc, ctx, &ns, &name, &backend_key).await;
    }
    let facts =
        discovery::gather(ctx, &svc).await.map_err(|e| warn(ctx, &svc, "FailedBuildModel", format!("Failed build model due to {e}")))?;
    let stack =
        model::build(&svc, &ctx.cfg, &facts).map_err(|e| warn(ctx, &svc, "FailedBuildModel", format!("Failed build model due to {e}")))?;
    if stack.lb.is_none() {
        return cleanup(&svc, ctx, &ns, &name, &backend_key).await;
    }
    if ctx.cluster.lock().add_finalizer::<Service>(&ns, &name, FINALIZER).is_none() {
        return Err(warn(ctx, &svc, "FailedAddFinalizer", format!("Failed add finalizer due to services \"{name}\" not found")));
    }
    let deployed =
        deploy::deploy(ctx, &stack).await.map_err(|e| warn(ctx, &svc, "FailedDeployModel", format!("Failed deploy model due to {e}")))?;
    if !stack.backend_sg_allocated {
        backend_sg::release(ctx, &backend_key)
            .await
            .map_err(|e| warn(ctx, &svc, "FailedDeployModel", format!("Failed deploy model due to {e}")))?;
    }
    if let Some(dns) = deployed.dns_name {
        update_status(ctx, &svc, &dns);
    }
    ctx.cluster.lock().record(svc.as_ref(), NORMAL, "SuccessfullyReconciled", "Successfully reconciled");
    Ok(Action::AwaitChange)
}

/// §4.7: deploy the empty stack, release the backend group, clear status, drop the finalizer.
async fn cleanup(svc: &Service, ctx: &Ctx, ns: &str, name: &str, backend_key: &str) -> Result<Action, Error> {
    let has = svc.metadata.finalizers.as_ref().is_some_and(|f| f.iter().any(|x| x == FINALIZER));
    if !has {
        return Ok(Action::AwaitChange);
    }
    let stack = model::build(svc, &ctx.cfg, &model::Facts::default())
        .map_err(|e| warn(ctx, svc, "FailedBuildModel", format!("Failed build model due to {e}")))?;
    deploy::deploy(ctx, &stack).await.map_err(|e| warn(ctx, svc, "FailedDeployModel", format!("Failed deploy model due to {e}")))?;
    backend_sg::release(ctx, backend_key)
        .await
        .map_err(|e| warn(ctx, svc, "FailedDeployModel", format!("Failed deploy model due to {e}")))?;
    ctx.cluster.lock().patch::<Service>(ns, name, |s| {
        if let Some(st) = s.status.as_mut() {
            st.load_balancer = Some(LoadBalancerStatus::default());
        }
    });
    ctx.cluster.lock().remove_finalizer::<Service>(ns, name, FINALIZER);
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
