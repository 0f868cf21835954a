//! The controller runtime without kube machinery: two work queues (Services, TGBs) fed by the
//! cluster store's watch feed through the controllers' event filters (§1.1, §4.9), per-item
//! exponential back-off on the virtual clock (§7.1), and a serial, deterministic run loop —
//! earliest due item first, ties by enqueue order. The Service controller's waits for TGBs
//! drive the TGB queue meanwhile, standing in for the controllers running side by side.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Service;

use super::ctx::Ctx;
use super::model::{self, FINALIZER};
use super::service::{self, Action};
use super::tgb_controller;
use crate::cluster::{ClusterStore, Kind, TargetGroupBinding};

type Key = (String, String);

#[derive(Default)]
pub struct Queue {
    due: BTreeMap<Key, (DateTime<Utc>, u64)>,
    failures: BTreeMap<Key, u32>,
}

impl Queue {
    /// Adds (or moves earlier) an item, as a workqueue dedups keys.
    fn add(&mut self, key: Key, at: DateTime<Utc>, seq: u64) {
        let e = self.due.entry(key).or_insert((at, seq));
        if at < e.0 {
            *e = (at, seq);
        }
    }
    fn next(&self) -> Option<(Key, DateTime<Utc>, u64)> {
        self.due.iter().map(|(k, (t, s))| (k.clone(), *t, *s)).min_by_key(|(_, t, s)| (*t, *s))
    }
    pub fn len(&self) -> usize {
        self.due.len()
    }
    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }
    pub fn failures(&self, ns: &str, name: &str) -> u32 {
        self.failures.get(&(ns.to_string(), name.to_string())).copied().unwrap_or(0)
    }
}

#[derive(Default)]
pub struct Queues {
    pub services: Queue,
    pub tgbs: Queue,
    seq: u64,
}

impl Queues {
    fn seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
    pub fn add_service(&mut self, key: Key, at: DateTime<Utc>) {
        let s = self.seq();
        self.services.add(key, at, s);
    }
    pub fn add_tgb(&mut self, key: Key, at: DateTime<Utc>) {
        let s = self.seq();
        self.tgbs.add(key, at, s);
    }
}

fn has_finalizer(s: &Service) -> bool {
    s.metadata.finalizers.as_ref().is_some_and(|f| f.iter().any(|x| x == FINALIZER))
}

/// Moves the store's watch feed into the queues through the event filters.
pub fn pump(ctx: &Ctx) {
    let now = ctx.now();
    let (watch, tgbs): (Vec<_>, Vec<TargetGroupBinding>) = {
        let mut s = ctx.cluster.lock();
        let w = s.drain_watch();
        (w, s.list::<TargetGroupBinding>())
    };
    let mut q = ctx.queues.lock();
    for w in watch {
        let key = (w.namespace.clone(), w.name.clone());
        let tgbs_of = |svc: &str| -> Vec<Key> {
            tgbs.iter()
                .filter(|t| t.metadata.namespace.as_deref() == Some(w.namespace.as_str()) && t.spec.service_ref.name == svc)
                .map(|t| (t.metadata.namespace.clone().unwrap_or_default(), t.metadata.name.clone().unwrap_or_default()))
                .collect()
        };
        match w.kind {
            Kind::Service => {
                if !w.deleted && w.relevant {
                    let svc: Option<Service> = ctx.cluster.lock().get(&w.namespace, &w.name);
                    if svc.is_some_and(|s| model::supported(&s, &ctx.cfg) || has_finalizer(&s)) {
                        q.add_service(key, now);
                    }
                }
                for k in tgbs_of(&w.name) {
                    q.add_tgb(k, now);
                }
            }
            Kind::TargetGroupBinding => {
                if !w.deleted {
                    q.add_tgb(key, now);
                }
            }
            Kind::Endpoints | Kind::EndpointSlice => {
                let svc = if w.kind == Kind::EndpointSlice { w.name.rsplit_once('-').map(|x| x.0).unwrap_or(&w.name) } else { &w.name };
                for k in tgbs_of(svc)
                    .into_iter()
                    .filter(|k| tgbs.iter().any(|t| t.metadata.name.as_deref() == Some(k.1.as_str()) && t.spec.target_type == "ip"))
                {
                    q.add_tgb(k, now);
                }
            }
            Kind::Node => {
                for t in tgbs.iter().filter(|t| t.spec.target_type == "instance") {
                    q.add_tgb((t.metadata.namespace.clone().unwrap_or_default(), t.metadata.name.clone().unwrap_or_default()), now);
                }
            }
            // Pods reach the LBC through Endpoints and EndpointSlices; it watches no other kind.
            _ => {}
        }
    }
}

async fn run_tgb(ctx: &Ctx, key: Key) {
    let r = tgb_controller::reconcile(ctx, &key.0, &key.1).await;
    let mut q = ctx.queues.lock();
    match r {
        Ok(()) => {
            q.tgbs.failures.remove(&key);
        }
        Err(e) => {
            tracing::debug!(tgb = %format!("{}/{}", key.0, key.1), error = %e, "TargetGroupBinding reconcile failed");
            let n = q.tgbs.failures.entry(key.clone()).or_insert(0);
            *n += 1;
            let at = ctx.now() + chrono::Duration::from_std(ctx.cfg.tgb_backoff(*n)).unwrap_or_default();
            q.add_tgb(key, at);
        }
    }
}

/// Runs every TGB item due by now (new ones included), as the TGB controller would meanwhile.
pub async fn drive_tgbs(ctx: &Ctx) {
    loop {
        pump(ctx);
        let now = ctx.now();
        let item = {
            let mut q = ctx.queues.lock();
            match q.tgbs.next() {
                Some((k, t, _)) if t <= now => {
                    q.tgbs.due.remove(&k);
                    Some(k)
                }
                _ => None,
            }
        };
        match item {
            Some(k) => run_tgb(ctx, k).await,
            None => return,
        }
    }
}

/// Polls `cond` every 200 ms of virtual time for up to `timeout`, driving TGB reconciles.
pub async fn wait_until(ctx: &Ctx, timeout: Duration, cond: impl Fn(&ClusterStore) -> bool) -> bool {
    let deadline = ctx.now() + chrono::Duration::from_std(timeout).unwrap_or_default();
    loop {
        drive_tgbs(ctx).await;
        if cond(&ctx.cluster.lock()) {
            return true;
        }
        if ctx.now() >= deadline {
            return false;
        }
        ctx.clock.sleep(Duration::from_millis(200)).await;
    }
}

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
