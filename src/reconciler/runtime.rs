//! The controller runtime without kube machinery: the two work queues (`queue`: Services, TGBs)
//! with per-item exponential back-off on the virtual clock (§7.1), and a serial, deterministic
//! run loop — earliest due item first, ties by enqueue order.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Service;

use super::ctx::Ctx;
use super::queue::{pump, run_tgb};
use super::service::{self, Action};

type Key = (String, String);

/// The controller: both reconcilers over one context.
pub struct Controller {
    pub ctx: Arc<Ctx>,
}

/// What one `run` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunStats {
    pub service_reconciles: usize,
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
                let s = q.services.next().map(|(k, t, seq)| (t, seq, true, k));
                let t = q.tgbs.next().map(|(k, t, seq)| (t, seq, false, k));
                match (s, t) {
                    (Some(a), Some(b)) => Some(if (a.0, a.1) <= (b.0, b.1) { a } else { b }),
                    (a, b) => a.or(b),
                }
            };
            let Some((due, _, is_service, key)) = next else { break };
            if due > end {
                break;
            }
            ctx.clock.advance_to(due);
            if is_service {
                ctx.queues.lock().services.due.remove(&key);
                stats.service_reconciles += 1;
                self.run_service(key).await;
            } else {
                ctx.queues.lock().tgbs.due.remove(&key);
                stats.tgb_reconciles += 1;
                run_tgb(ctx, key).await;
            }
        }
        let q = ctx.queues.lock();
        stats.pending = q.services.len() + q.tgbs.len();
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
}
