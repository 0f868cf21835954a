//! The same reconciler aimed at an endpoint URL over HTTP (here an lbsim on a loopback socket,
//! standing in for any AWS-compatible endpoint), on the wall clock.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use lbsim::cluster::ClusterStore;
use lbsim::cluster::fixture::{self, Fixture};
use lbsim::reconciler::{Controller, ControllerConfig, Ctx, VClock};
use lbsim::sdk::{AwsClients, Target};
use parking_lot::Mutex;

#[tokio::test]
async fn reconciles_against_an_endpoint_url() {
    let s = common::start().await;
    let f = Fixture::default_cluster();
    let target = Target::Endpoint(s.url.clone());
    let aws = AwsClients::new(&target, &f.account, &f.region).await;
    let mut store = ClusterStore::new(&f.name, Arc::new(lbsim::state::SystemClock));
    let loaded = fixture::load(&f, &aws, &mut store).await.unwrap();
    let cluster = Arc::new(Mutex::new(store));
    let cfg = ControllerConfig { cluster_name: f.name.clone(), vpc_id: loaded.vpc_id.clone(), ..ControllerConfig::default() };
    let c = Controller::new(Ctx::new(cfg, AwsClients::new(&target, &f.account, &f.region).await, cluster.clone(), VClock::Wall));
    fixture::apply_manifests(
        &mut cluster.lock(),
        "kind: Service\nmetadata:\n  name: echo\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip\nspec:\n  type: LoadBalancer\n  selector: {app: echo}\n  ports: [{port: 80, targetPort: http}]\n",
    )
    .unwrap();
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
