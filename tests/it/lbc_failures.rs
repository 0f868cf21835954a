//! Failure behaviour (lbc-reconciler.md §7): injected AWS errors and back-off, the node-group
//! choice error of §5.2, and deletion protection blocking a Service's deletion.

use std::time::Duration;

use lbsim::cluster::Kind;
use lbsim::config::Config;
use lbsim::reconciler::ControllerConfig;
use lbsim::world::Fixture;
use lbsim::world::Sim;

fn svc(extra: &str) -> String {
    format!(
        "kind: Service\nmetadata:\n  name: web\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing\n{extra}spec:\n  type: LoadBalancer\n  ports: [{{port: 80}}]\n"
    )
}

fn events(s: &Sim, kind: Kind, name: &str) -> Vec<(String, String, u32)> {
    s.events(kind, "default", name).into_iter().map(|e| (e.reason, e.message, e.count)).collect()
}

#[tokio::test]
async fn injected_throttling_fails_the_deploy_then_back_off_succeeds() {
    let s = Sim::start(Config::default(), &Fixture::default_cluster(), ControllerConfig::default()).await.unwrap();
    let spec = serde_json::from_value(serde_json::json!({
        "kind": "error", "service": "elbv2", "action": "CreateTargetGroup", "code": "Throttling", "message": "Rate exceeded", "first": 2
    }))
    .unwrap();
    s.world.app.as_ref().unwrap().faults.add(spec).unwrap();
    s.apply(&svc("")).unwrap();
    let st = s.settle().await;
    assert_eq!(st.pending, 0);
    let ev = events(&s, Kind::Service, "web");
    assert_eq!(ev[0].0, "FailedDeployModel");
    assert!(ev[0].1.starts_with("Failed deploy model due to Throttling: Rate exceeded"), "{}", ev[0].1);
    assert_eq!(ev[0].2, 2, "two failures fold into one event");
    assert_eq!(ev[1].0, "SuccessfullyReconciled");
    // The retries came 5 ms and 10 ms apart (§7.1): the frontend group created by the first
    // attempt was found by its tags, not created again.
    let creates = s.aws().log.calls().iter().filter(|c| c.action == "CreateSecurityGroup").count();
    assert_eq!(creates, 2, "backend + frontend, once each");
}

#[tokio::test]
async fn two_tagged_groups_on_a_node_eni_is_a_tgb_error() {
    let mut f = Fixture::default_cluster();
    f.security_groups.push(serde_yaml_ng::from_str("{name: extra, tags: {kubernetes.io/cluster/demo: owned}}").unwrap());
    f.node_groups[0].security_groups.push("extra".into());
    let s =
        Sim::start(Config::default(), &f, ControllerConfig { profile: lbsim::reconciler::Profile::LATEST, ..ControllerConfig::default() })
            .await
            .unwrap();
    s.apply(&svc("")).unwrap();
    s.run(Duration::from_secs(2)).await;
    let tgb = s.cluster.lock().list::<lbsim::cluster::TargetGroupBinding>().pop().unwrap();
    let ev = events(&s, Kind::TargetGroupBinding, tgb.metadata.name.as_deref().unwrap());
    let msg = &ev.iter().find(|e| e.0 == "FailedReconcile").expect("FailedReconcile").1;
    assert!(msg.starts_with("expect exactly one securityGroup tagged with kubernetes.io/cluster/demo for eni eni-"), "{msg}");
    assert!(msg.ends_with("(clusterName: demo)"), "{msg}");
    // Untagged, the extra group is simply not chosen.
    let mut f = Fixture::default_cluster();
    f.security_groups.push(serde_yaml_ng::from_str("{name: extra}").unwrap());
    f.node_groups[0].security_groups.push("extra".into());
    let s = Sim::start(Config::default(), &f, ControllerConfig::default()).await.unwrap();
    s.apply(&svc("")).unwrap();
    assert_eq!(s.settle().await.pending, 0);
}

#[tokio::test]
async fn deletion_protection_blocks_the_delete() {
    let s = Sim::start(Config::default(), &Fixture::default_cluster(), ControllerConfig::default()).await.unwrap();
    s.apply(&svc("    service.beta.kubernetes.io/aws-load-balancer-attributes: deletion_protection.enabled=true\n")).unwrap();
    s.settle().await;
    let mark = s.aws().log.len();
    s.delete_service("default", "web");
    s.run(Duration::from_secs(1)).await;
    let ev = events(&s, Kind::Service, "web");
    assert!(
        ev.iter().any(|e| e.0 == "FailedBuildModel"
            && e.1 == "Failed build model due to deletion_protection is enabled, cannot delete the service: web"),
        "{ev:?}"
    );
    assert!(s.aws().log.actions_since(mark).iter().all(|a| a.starts_with("Describe")));
    assert_eq!(s.aws().elbv2.describe_load_balancers().send().await.unwrap().load_balancers().len(), 1);
    assert!(s.cluster.lock().get::<k8s_openapi::api::core::v1::Service>("default", "web").is_some(), "held by the finalizer");
}
