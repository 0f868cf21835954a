//! The controller runtime without kube machinery: the work queues (`queue`: Services,
//! IngressGroups, TGBs) with per-item exponential back-off on the virtual clock (§7.1), and the
//! run loop. By default it is serial and deterministic — earliest due item first, ties by enqueue
//! order. With `--service-max-concurrent-reconciles` or
//! `--targetgroupbinding-max-concurrent-reconciles` above 1 it hands due items to that many
//! workers per kind at once (tasks on the runtime, so on several cores), a key to one worker at
//! a time, as controller-runtime does; calls then interleave as the scheduler lets them. On a
//! virtual clock a worker's wait still moves the world's clock at once, for every worker (the
//! emulation does not model one worker's wait overlapping another's work); the clock moves to
//! the next due item only when no worker is busy.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Service;

use super::ctx::Ctx;
use super::ingress::group::GroupId;
use super::ingress::reconcile as ingress;
use super::memory::{Queue, Queues};
use super::queue::{pump, run_tgb, tgb_finished};
use super::service::{self, Action};

type Key = (String, String);

/// Which queue an item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Service,
    Ingress,
    Tgb,
}

impl Which {
    fn queue(self, q: &mut Queues) -> &mut Queue {
        match self {
            Which::Service => &mut q.services,
            Which::Ingress => &mut q.ingresses,
            Which::Tgb => &mut q.tgbs,
        }
    }
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
        if self.ctx.cfg.service_max_concurrent_reconciles > 1 || self.ctx.cfg.targetgroupbinding_max_concurrent_reconciles > 1 {
            return self.run_concurrent(horizon).await;
        }
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
                    run_service(ctx, key).await;
                }
                Which::Ingress => {
                    ctx.queues.lock().ingresses.due.remove(&key);
                    stats.ingress_reconciles += 1;
                    run_ingress(ctx, key).await;
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

    /// `run` with workers: every due item a free worker of its kind can take is started as a
    /// task; otherwise the loop waits for a task to end (its requeues and the events it caused
    /// are pumped then), and when none is busy moves the clock to the next due item.
    async fn run_concurrent(&self, horizon: Duration) -> RunStats {
        let ctx = &self.ctx;
        let end = ctx.now() + chrono::Duration::from_std(horizon).unwrap_or_default();
        let workers = |w: Which| match w {
            Which::Service => ctx.cfg.service_max_concurrent_reconciles.max(1),
            // The Ingress reconciler stays serial: its groups share listeners and rules.
            Which::Ingress => 1,
            Which::Tgb => ctx.cfg.targetgroupbinding_max_concurrent_reconciles.max(1),
        };
        let mut stats = RunStats::default();
        let mut tasks = tokio::task::JoinSet::new();
        let mut busy: HashMap<tokio::task::Id, (Which, Key)> = HashMap::new();
        let count = |busy: &HashMap<tokio::task::Id, (Which, Key)>, w: Which| busy.values().filter(|(x, _)| *x == w).count();
        loop {
            pump(ctx);
            let now = ctx.now();
            // Start what is due and has a free worker, earliest first.
            loop {
                let next = {
                    let mut q = ctx.queues.lock();
                    let pick = [
                        q.services.next().map(|(k, t, seq)| (t, seq, Which::Service, k)),
                        q.ingresses.next().map(|(k, t, seq)| (t, seq, Which::Ingress, k)),
                        q.tgbs.next().map(|(k, t, seq)| (t, seq, Which::Tgb, k)),
                    ]
                    .into_iter()
                    .flatten()
                    .filter(|(t, _, w, _)| *t <= now && count(&busy, *w) < workers(*w))
                    .min_by_key(|(t, seq, _, _)| (*t, *seq));
                    if let Some((_, _, which, key)) = &pick {
                        let queue = which.queue(&mut q);
                        queue.due.remove(key);
                        queue.running.insert(key.clone());
                    }
                    pick
                };
                let Some((_, _, which, key)) = next else { break };
                match which {
                    Which::Service => stats.service_reconciles += 1,
                    Which::Ingress => stats.ingress_reconciles += 1,
                    Which::Tgb => stats.tgb_reconciles += 1,
                }
                let (c, k) = (ctx.clone(), key.clone());
                let handle = tasks.spawn(async move {
                    match which {
                        Which::Service => run_service(&c, k).await,
                        Which::Ingress => run_ingress(&c, k).await,
                        Which::Tgb => {
                            run_tgb(&c, k.clone()).await;
                            tgb_finished(&c, &k);
                        }
                    }
                });
                busy.insert(handle.id(), (which, key));
            }
            if let Some(done) = tasks.join_next_with_id().await {
                let id = match &done {
                    Ok((id, ())) => *id,
                    Err(e) => e.id(),
                };
                if let Err(e) = done {
                    // A panicking reconcile is a bug; the item is dropped (not retried) so the
                    // run still ends, and the panic is reported.
                    tracing::error!(error = %e, "a reconcile task failed");
                }
                if let Some((which, key)) = busy.remove(&id) {
                    let mut q = ctx.queues.lock();
                    let queue = which.queue(&mut q);
                    // Already done by a TGB task that ended well; a panicked one's waiters
                    // are told here.
                    if queue.running.remove(&key) && which == Which::Tgb {
                        drop(q);
                        ctx.tgb_done.notify_waiters();
                    }
                }
                continue;
            }
            // No worker is busy and nothing is due now: on to the next due item (a virtual
            // clock jumps there; on the wall clock this waits, rather than spin, until it is due).
            let due = {
                let q = ctx.queues.lock();
                [q.services.next(), q.ingresses.next(), q.tgbs.next()].into_iter().flatten().map(|(_, t, _)| t).min()
            };
            match due {
                Some(t) if t <= end => ctx.clock.sleep((t - ctx.now()).to_std().unwrap_or_default()).await,
                _ => break,
            }
        }
        let q = ctx.queues.lock();
        stats.pending = q.services.len() + q.ingresses.len() + q.tgbs.len();
        stats
    }
}

async fn run_service(ctx: &Ctx, key: Key) {
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

async fn run_ingress(ctx: &Ctx, key: Key) {
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
