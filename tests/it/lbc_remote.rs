//! The same reconciler aimed at an endpoint URL over HTTP (here an lbsim on a loopback socket,
//! standing in for any AWS-compatible endpoint), on the wall clock.

use crate::common;

use std::time::Duration;

use lbsim::clock::Clock;
use lbsim::reconciler::ControllerConfig;
use lbsim::world::{Fixture, World};

#[tokio::test]
async fn reconciles_against_an_endpoint_url() {
    let s = common::start().await;
    let f = Fixture::default_cluster();
    let sim = World::remote(&s.url, Clock::Wall).cluster(&f, ControllerConfig::default(), 0).await.unwrap();
    sim.apply(
        "kind: Service\nmetadata:\n  name: echo\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip\nspec:\n  type: LoadBalancer\n  selector: {app: echo}\n  ports: [{port: 80, targetPort: http}]\n",
    )
    .unwrap();
    let (c, cluster) = (&sim.controller, &sim.cluster);
    let st = c.run(Duration::from_secs(5)).await;
    assert_eq!(st.pending, 0);
    let ev = cluster.lock().events_for(lbsim::cluster::Kind::Service, "default", "echo");
    assert_eq!(ev.iter().map(|e| e.reason.as_str()).collect::<Vec<_>>(), ["SuccessfullyReconciled"], "{ev:?}");
    // IP targets: the three echo pods on their named port 8080, found through their interfaces.
    let elb = s.elbv2().await;
    let tg = elb.describe_target_groups().send().await.unwrap().target_groups()[0].clone();
    assert_eq!(tg.target_type().map(|t| t.as_str()), Some("ip"));
    let th = elb.describe_target_health().target_group_arn(tg.target_group_arn().unwrap()).send().await.unwrap();
    let ports: Vec<i32> = th.target_health_descriptions().iter().filter_map(|d| d.target().and_then(|t| t.port())).collect();
    assert_eq!(ports, [8080, 8080, 8080]);
    // The in-process call log stays empty for remote targets; lbsim's own request log has them.
    assert!(c.ctx.aws.log.is_empty());
}
