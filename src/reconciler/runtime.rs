//! The controller runtime without kube machinery: the work queues (`queue`: Services,
//! IngressGroups, TGBs) with per-item exponential back-off on the virtual clock (§7.1), and a
//! serial, deterministic run loop — earliest due item first, ties by enqueue order.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Service;

use super::ctx::Ctx;
use super::ingress::group::GroupId;
use super::ingress::reconcile as ingress;
use super::queue::{pump, run_tgb};
use super::service::{self, Action};

type Key = (String, String);

/// Which queue an item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Service,
    Ingress,
    Tgb,
}

/// The controller: its reconcilers over one context.
pub struct Controller {
    pub ctx: Arc<Ctx>,
}

/// What one `run` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunStats {
    pub service_reconciles: usize,
    pub ingress_reconciles: usize,
    pub tgb_reconciles: usize,
    /// Items still queued (failing ones waiting for their back-off) when the run stopped.
    pub pending: usize,
}

impl Controller {
    pub fn new(ctx: Ctx) -> Controller {
        Controller { ctx: Arc::new(ctx) }
    }

    /// Processes queued work in due order until the queues are empty or the next item is due
    /// more than `horizon` of virtual time from now.
    pub async fn run(&self, horizon: Duration) -> RunStats {
        let ctx = &self.ctx;
        let end = ctx.now() + chrono::Duration::from_std(horizon).unwrap_or_default();
        let mut stats = RunStats::default();
        loop {
            pump(ctx);
            let next = {
                let q = ctx.queues.lock();
                [
                    q.services.next().map(|(k, t, seq)| (t, seq, Which::Service, k)),
                    q.ingresses.next().map(|(k, t, seq)| (t, seq, Which::Ingress, k)),
                    q.tgbs.next().map(|(k, t, seq)| (t, seq, Which::Tgb, k)),
                ]
                .into_iter()
                .flatten()
                .min_by_key(|(t, seq, _, _)| (*t, *seq))
            };
            let Some((due, _, which, key)) = next else { break };
            if due > end {
                break;
            }
            ctx.clock.advance_to(due);
            match which {
                Which::Service => {
                    ctx.queues.lock().services.due.remove(&key);
                    stats.service_reconciles += 1;
                    self.run_service(key).await;
                }
                Which::Ingress => {
                    ctx.queues.lock().ingresses.due.remove(&key);
                    stats.ingress_reconciles += 1;
                    self.run_ingress(key).await;
                }
                Which::Tgb => {
                    ctx.queues.lock().tgbs.due.remove(&key);
                    stats.tgb_reconciles += 1;
                    run_tgb(ctx, key).await;
                }
            }
        }
        let q = ctx.queues.lock();
        stats.pending = q.services.len() + q.ingresses.len() + q.tgbs.len();
        stats
    }

    async fn run_service(&self, key: Key) {
        let ctx = &self.ctx;
        let Some(svc) = ctx.cluster.lock().get::<Service>(&key.0, &key.1) else { return };
        match service::reconcile(Arc::new(svc), ctx).await {
            Ok(action) => {
                ctx.queues.lock().services.failures.remove(&key);
                if let Action::RequeueAfter(d) = action {
                    let at = ctx.now() + chrono::Duration::from_std(d).unwrap_or_default();
                    ctx.queues.lock().add_service(key, at);
                }
            }
            Err(e) => {
                let n = {
                    let mut q = ctx.queues.lock();
                    let n = q.services.failures.entry(key.clone()).or_insert(0);
                    *n += 1;
                    *n
                };
                if let Action::RequeueAfter(d) = service::error_policy(&e, n, ctx) {
                    let at = ctx.now() + chrono::Duration::from_std(d).unwrap_or_default();
                    ctx.queues.lock().add_service(key, at);
                }
            }
        }
    }

    async fn run_ingress(&self, key: Key) {
        let ctx = &self.ctx;
        let id = GroupId::from_key(&key.0, &key.1);
        let result = ingress::reconcile(&id, ctx).await;
        let action = match result {
            Ok(action) => {
                ctx.queues.lock().ingresses.failures.remove(&key);
                action
            }
            Err(e) => {
                tracing::debug!(group = %id, error = %e, "IngressGroup reconcile failed");
                let n = {
                    let mut q = ctx.queues.lock();
                    let n = q.ingresses.failures.entry(key.clone()).or_insert(0);
                    *n += 1;
                    *n
                };
                ingress::error_policy(&e, n, ctx)
            }
        };
        if let Action::RequeueAfter(d) = action {
            let at = ctx.now() + chrono::Duration::from_std(d).unwrap_or_default();
            ctx.queues.lock().add_ingress(key, at);
        }
    }
}
