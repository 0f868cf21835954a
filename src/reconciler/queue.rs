//! The work queues fed from the cluster store's watch feed through the controllers' event
//! filters (§1.1, §4.9), and the TGB controller driven from its queue — by the run loop
//! (`runtime`), and by the Service controller's deploy while it waits for a binding, standing in
//! for the two controllers running side by side.

use std::time::Duration;

use k8s_openapi::api::core::v1::Service;

use super::ctx::Ctx;
use super::model::{self, FINALIZER};
use super::tgb_controller;
use crate::cluster::{ClusterStore, Kind, TargetGroupBinding};

type Key = (String, String);

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
            Kind::Pod => {}
        }
    }
}

pub async fn run_tgb(ctx: &Ctx, key: Key) {
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
