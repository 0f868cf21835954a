//! Workload (f): replay time of an N-Service controller scenario (100 and 1,000) — the demo cluster
//! (its public subnets widened to /20 so 1,000 NLBs fit), N
//! internet-facing instance-target Services applied at once, the controller run until idle on
//! the virtual clock (waits cost nothing; what is measured is the work). Checks the outcome
//! (one NLB per Service) so a fast wrong answer never counts.

use std::time::Instant;

use super::report::{Row, Status};
use lbsim::config::Config;
use lbsim::reconciler::{ControllerConfig, Profile};
use lbsim::world::{Fixture, Sim};

fn service(i: u64) -> String {
    format!(
        "kind: Service\nmetadata:\n  name: bench-{i:03}\n  namespace: default\n  annotations:\n    \
         service.beta.kubernetes.io/aws-load-balancer-type: external\n    \
         service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance\n    \
         service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing\n\
         spec:\n  type: LoadBalancer\n  selector: {{app: echo}}\n  ports: [{{name: http, port: 80}}]\n"
    )
}

/// The row's workload name: `reconciler` for the default profile (v2.6.0, the baseline),
/// `reconciler-<release>` for another; `-<n>workers` when Services and TGBs are reconciled by
/// `n` workers each (the controller's `--*-max-concurrent-reconciles`) rather than one.
pub fn workload(profile: Profile, workers: usize) -> String {
    let base = if profile == ControllerConfig::default().profile { "reconciler".into() } else { format!("reconciler-{profile}") };
    if workers > 1 { format!("{base}-{workers}workers") } else { base }
}

pub async fn row(n: u64, profile: Profile, workers: usize) -> Row {
    let w = workload(profile, workers);
    let w = w.as_str();
    let started = Instant::now();
    let mut config = Config::default();
    // Room for N NLBs; every other quota stays AWS's.
    config.quotas.insert("network-load-balancers".into(), n.max(50) * 2);
    // The demo cluster with /20 public subnets: its /24s hold 251 addresses each, and every
    // internet-facing NLB takes one per subnet, so 1,000 Services stopped at 244 NLBs with
    // the subnets full, a limit of the world, not of the controller or of lbsim.
    let mut fixture = Fixture::default_cluster();
    for (i, s) in fixture.subnets.iter_mut().filter(|s| s.public).enumerate() {
        s.cidr = format!("10.0.{}.0/20", 64 + 16 * i);
    }
    let controller = ControllerConfig {
        profile,
        service_max_concurrent_reconciles: workers,
        targetgroupbinding_max_concurrent_reconciles: workers,
        ..ControllerConfig::default()
    };
    let sim = match Sim::start(config, &fixture, controller).await {
        Ok(s) => s,
        Err(e) => return Row::new(w, "lbsim", Some(n), Status::Failed, e),
    };
    // The phases, in the note: world start-up and applying the Services are milliseconds; the
    // replay (the controller's reconciles and their AWS calls) is what the value measures.
    let start_secs = started.elapsed().as_secs_f64();
    for i in 0..n {
        if let Err(e) = sim.apply(&service(i)) {
            return Row::new(w, "lbsim", Some(n), Status::Failed, e);
        }
    }
    // Until idle: the controller's own client-side limits (ELBv2 at 10 calls/s) make 1,000
    // Services take over the 10 virtual minutes `settle` allows; virtual waits cost nothing.
    let virtual_start = sim.app().store.now();
    let apply_secs = started.elapsed().as_secs_f64() - start_secs;
    let stats = sim.run(std::time::Duration::from_secs(600.max(n * 5))).await;
    let run_secs = started.elapsed().as_secs_f64() - start_secs - apply_secs;
    let secs = started.elapsed().as_secs_f64();
    let virtual_secs = (sim.app().store.now() - virtual_start).num_milliseconds() as f64 / 1000.0;
    // Every page: one answer holds at most 400 load balancers.
    let mut pages = sim.aws().elbv2.describe_load_balancers().into_paginator().send();
    let mut lbs = 0u64;
    while let Some(page) = pages.next().await {
        match page {
            Ok(o) => lbs += o.load_balancers().len() as u64,
            Err(e) => return Row::new(w, "lbsim", Some(n), Status::Failed, format!("DescribeLoadBalancers: {e}")),
        }
    }
    if lbs < n {
        return Row::new(w, "lbsim", Some(n), Status::Failed, format!("{lbs} NLBs after settling, expected {n}"));
    }
    let log = sim.aws().log.actions_since(0);
    let calls = log.len();
    // Where the calls go: the most frequent actions, so a change in the controller's call
    // pattern shows in the report, not only in the total.
    let mut by_action: std::collections::BTreeMap<&str, usize> = Default::default();
    for a in &log {
        *by_action.entry(a.as_str()).or_default() += 1;
    }
    let mut top: Vec<(&str, usize)> = by_action.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let top: Vec<String> = top.iter().take(5).map(|(a, c)| format!("{a} {c}")).collect();
    Row::new(
        w,
        "lbsim",
        Some(n),
        Status::Ok,
        format!(
            "{profile}, {workers} worker(s): {n} Services → {lbs} NLBs, {calls} AWS calls ({}, …), {} Service and {} TGB reconciles, {virtual_secs:.0} s of virtual time; start {:.0} ms, apply {:.0} ms, run {run_secs:.2} s",
            top.join(", "),
            stats.service_reconciles,
            stats.tgb_reconciles,
            start_secs * 1e3,
            apply_secs * 1e3
        ),
    )
    .value(secs, "s")
}
