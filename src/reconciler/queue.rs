//! The work queues fed from the cluster store's watch feed through the controllers' event
//! filters (lbc-reconciler.md §1.1, §4.9; lbc-ingress.md §1.5: an Ingress enqueues the groups
//! its finalizers name and its current group, a Service / IngressClass / IngressClassParams
//! the groups of the Ingresses that use it), and the TGB controller driven from its queue — by
//! the run loop (`runtime`), and by the Service and Ingress deploys while they wait for a
//! binding, standing in for the controllers running side by side.

use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

use super::ctx::Ctx;
use super::error::Error;
use super::ingress::discovery::service_refs;
use super::ingress::group::{self, GroupError, GroupId, Member};
use super::model::{self, FINALIZER};
use super::tgb_controller;
use crate::cluster::events::WARNING;
use crate::cluster::{ClusterStore, Kind, TargetGroupBinding};

type Key = (String, String);

fn has_finalizer(s: &Service) -> bool {
    s.metadata.finalizers.as_ref().is_some_and(|f| f.iter().any(|x| x == FINALIZER))
}

/// The groups an Ingress event enqueues: those its finalizers name, and its current group (an
/// invalid group name is the `FailedLoadGroupID` Event instead).
fn ingress_groups(ctx: &Ctx, store: &mut ClusterStore, ing: &Ingress) -> Vec<GroupId> {
    let mut out = group::pending_groups(ing);
    match group::current_group(store, ing, &ctx.cfg.ingress_class) {
        Ok(Some((g, _))) => out.push(g),
        Err(GroupError::InvalidGroup(e)) => {
            let e = Error::LoadGroupId(e);
            store.record(ing, WARNING, e.reason(), &e.to_string());
        }
        _ => {}
    }
    out
}

/// Groups of the Ingresses that `uses` picks.
fn groups_of(ctx: &Ctx, store: &mut ClusterStore, uses: impl Fn(&ClusterStore, &Ingress) -> bool) -> Vec<GroupId> {
    // Only the Ingresses that use the object are copied (their groups are found with the store
    // held mutably), not every Ingress per event.
    let ings: Vec<Ingress> = store.iter::<Ingress>().filter(|i| uses(store, i)).cloned().collect();
    ings.iter().flat_map(|i| ingress_groups(ctx, store, i)).collect()
}

/// Moves the store's watch feed into the queues through the event filters.
pub fn pump(ctx: &Ctx) {
    let now = ctx.now();
    let (watch, tgbs): (Vec<_>, Vec<TargetGroupBinding>) = {
        let mut s = ctx.cluster.lock();
        let w = s.drain_watch();
        // Bindings are copied out only when an event may map to them: the run loop and every
        // wait pump an empty feed far more often than not, and a copy of every binding per
        // pump made a 100-Service replay quadratic in Services.
        let wanted = w.iter().any(|e| matches!(e.kind, Kind::Service | Kind::Endpoints | Kind::EndpointSlice | Kind::Node));
        let tgbs = if wanted { s.list::<TargetGroupBinding>() } else { Vec::new() };
        (w, tgbs)
    };
    if watch.is_empty() {
        return;
    }
    let mut groups: Vec<GroupId> = Vec::new();
    {
        let mut store = ctx.cluster.lock();
        for w in &watch {
            match w.kind {
                Kind::Ingress if !w.deleted && w.relevant => {
                    if let Some(ing) = store.get::<Ingress>(&w.namespace, &w.name) {
                        groups.extend(ingress_groups(ctx, &mut store, &ing));
                    }
                }
                Kind::Service if w.relevant || w.deleted => {
                    let (ns, name) = (w.namespace.clone(), w.name.clone());
                    groups.extend(groups_of(ctx, &mut store, |_, i| {
                        i.metadata.namespace.as_deref() == Some(ns.as_str())
                            && service_refs(&Member { ing: i.clone(), params: None }).contains(&name)
                    }));
                }
                Kind::IngressClass => {
                    let name = w.name.clone();
                    groups.extend(groups_of(ctx, &mut store, |_, i| {
                        let class = i.spec.as_ref().and_then(|s| s.ingress_class_name.clone());
                        class.is_none_or(|c| c == name)
                    }));
                }
                Kind::IngressClassParams => {
                    let name = w.name.clone();
                    groups.extend(groups_of(ctx, &mut store, |s, i| {
                        let class = i.spec.as_ref().and_then(|s| s.ingress_class_name.clone()).unwrap_or_default();
                        s.get::<IngressClass>("", &class)
                            .and_then(|c| c.spec?.parameters)
                            .is_some_and(|p| p.kind == "IngressClassParams" && p.name == name)
                    }));
                }
                _ => {}
            }
        }
    }
    let mut q = ctx.queues.lock();
    for g in groups {
        q.add_ingress(g.key(), now);
    }
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
            Kind::TargetGroupBinding if !w.deleted => q.add_tgb(key, now),
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
                    q.tgbs.running.insert(k.clone());
                    Some(k)
                }
                _ => None,
            }
        };
        match item {
            Some(k) => {
                run_tgb(ctx, k.clone()).await;
                tgb_finished(ctx, &k);
            }
            None => return,
        }
    }
}

/// A worker is done with TGB `k`: it may be handed out again, and waiters look again.
pub fn tgb_finished(ctx: &Ctx, k: &Key) {
    ctx.queues.lock().tgbs.running.remove(k);
    ctx.tgb_done.notify_waiters();
}

/// Polls `cond` every 200 ms of virtual time for up to `timeout`, driving TGB reconciles.
/// While another worker is reconciling a binding (concurrent reconciles), it waits for that
/// to end instead: the clock moving on meanwhile would run out the timeout in a spin of
/// microseconds, before the other worker had made a single call.
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
        // Registered before the check, so an end between the two is not missed.
        let done = ctx.tgb_done.notified();
        let mut done = std::pin::pin!(done);
        done.as_mut().enable();
        if !ctx.queues.lock().tgbs.running.is_empty() {
            done.await;
            continue;
        }
        ctx.clock.sleep(Duration::from_millis(200)).await;
    }
}
