//! Workload (f): replay time of an N-Service controller scenario (100 and 1,000) — the demo cluster
//! (its public subnets widened to /20 so 1,000 NLBs fit), N
//! internet-facing instance-target Services applied at once, the controller run until idle on
//! the virtual clock (waits cost nothing; what is measured is the work). Checks the outcome
//! (one NLB per Service) so a fast wrong answer never counts.

use std::time::Instant;

use super::report::{Row, Status};
use lbsim::config::Config;
use lbsim::reconciler::ControllerConfig;
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

pub async fn row(n: u64) -> Row {
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
    let sim = match Sim::start(config, &fixture, ControllerConfig::default()).await {
        Ok(s) => s,
        Err(e) => return Row::new("reconciler", "lbsim", Some(n), Status::Failed, e),
    };
    for i in 0..n {
        if let Err(e) = sim.apply(&service(i)) {
            return Row::new("reconciler", "lbsim", Some(n), Status::Failed, e);
        }
    }
    // Until idle: the controller's own client-side limits (ELBv2 at 10 calls/s) make 1,000
    // Services take over the 10 virtual minutes `settle` allows; virtual waits cost nothing.
    let virtual_start = sim.app().store.now();
    let stats = sim.run(std::time::Duration::from_secs(600.max(n * 5))).await;
    let secs = started.elapsed().as_secs_f64();
    let virtual_secs = (sim.app().store.now() - virtual_start).num_milliseconds() as f64 / 1000.0;
    // Every page: one answer holds at most 400 load balancers.
    let mut pages = sim.aws().elbv2.describe_load_balancers().into_paginator().send();
    let mut lbs = 0u64;
    while let Some(page) = pages.next().await {
        match page {
            Ok(o) => lbs += o.load_balancers().len() as u64,
            Err(e) => return Row::new("reconciler", "lbsim", Some(n), Status::Failed, format!("DescribeLoadBalancers: {e}")),
        }
    }
    if lbs < n {
        return Row::new("reconciler", "lbsim", Some(n), Status::Failed, format!("{lbs} NLBs after settling, expected {n}"));
    }
    let calls = sim.aws().log.len();
    Row::new(
        "reconciler",
        "lbsim",
        Some(n),
        Status::Ok,
        format!(
            "{n} Services → {lbs} NLBs, {calls} AWS calls, {} Service and {} TGB reconciles, {virtual_secs:.0} s of virtual time",
            stats.service_reconciles, stats.tgb_reconciles
        ),
    )
    .value(secs, "s")
}
