//! The controller emulation end to end against lbsim in process: create, update and delete flows
//! with the ordered AWS calls (from the connector's call log) and the final AWS state.

use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use lbsim::cluster::fixture::Fixture;
use lbsim::cluster::{Kind, TargetGroupBinding};
use lbsim::config::Config;
use lbsim::reconciler::{ControllerConfig, Profile};
use lbsim::sim::Sim;

fn svc(name: &str, ports: &[i32], extra: &str) -> String {
    let ports: Vec<String> = ports.iter().map(|p| format!("  - {{name: p{p}, port: {p}, targetPort: 8080}}")).collect();
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: default\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing\n{extra}spec:\n  type: LoadBalancer\n  selector: {{app: echo}}\n  ports:\n{}\n",
        ports.join("\n")
    )
}

async fn sim(profile: Profile) -> Sim {
    Sim::start(Config::default(), &Fixture::default_cluster(), ControllerConfig { profile, ..ControllerConfig::default() }).await.unwrap()
}

fn reasons(s: &Sim, name: &str) -> Vec<String> {
    s.events(Kind::Service, "default", name).iter().map(|e| format!("{} x{}", e.reason, e.count)).collect()
}

#[tokio::test]
async fn create_flow_calls_and_state() {
    let s = sim(Profile::V2_6_0).await;
    s.apply(&svc("echo", &[80], "")).unwrap();
    let stats = s.settle().await;
    assert_eq!(stats.pending, 0, "{:?} {:?}", stats, reasons(&s, "echo"));
    assert_eq!(reasons(&s, "echo"), ["SuccessfullyReconciled x1"]);
    let calls = s.aws().log.actions_since(0);
    println!("{calls:#?}");
    let svc_calls: Vec<&str> = calls.iter().map(String::as_str).collect();
    // §4.5: build reads, SG synth, TG synth, LB synth, listener, rules.
    let expected_prefix = [
        "DescribeLoadBalancers",
        "DescribeSubnets",
        "DescribeSecurityGroups",
        "CreateSecurityGroup",
        "DescribeSecurityGroups",
        "DescribeSecurityGroups",
        "CreateSecurityGroup",
        "DescribeSecurityGroups",
        "AuthorizeSecurityGroupIngress",
        "DescribeTargetGroups",
        "CreateTargetGroup",
        "DescribeTargetGroupAttributes",
        "DescribeLoadBalancers",
        "CreateLoadBalancer",
        "DescribeLoadBalancerAttributes",
        "DescribeListeners",
        "CreateListener",
        "DescribeRules",
    ];
    assert_eq!(&svc_calls[..expected_prefix.len()], expected_prefix);
    let svc: Service = s.cluster.lock().get("default", "echo").unwrap();
    let host = svc.status.unwrap().load_balancer.unwrap().ingress.unwrap()[0].hostname.clone().unwrap();
    assert!(host.contains(".elb.us-east-1.amazonaws.com"), "{host}");
    assert!(svc.metadata.finalizers.unwrap().contains(&"service.k8s.aws/resources".to_string()));
    // The TGB controller registered the 3 nodes and put one rule on the cluster SG.
    let tgb = s.cluster.lock().list::<TargetGroupBinding>().pop().unwrap();
    assert_eq!(tgb.status.observed_generation, Some(1));
    let th = s.aws().elbv2.describe_target_health().target_group_arn(&tgb.spec.target_group_arn).send().await.unwrap();
    assert_eq!(th.target_health_descriptions().len(), 3);
    let sg = s.aws().ec2.describe_security_groups().group_ids(&s.loaded.cluster_sg_id).send().await.unwrap();
    let perms = sg.security_groups()[0].ip_permissions();
    let shared: Vec<_> = perms
        .iter()
        .filter(|p| p.user_id_group_pairs().iter().any(|g| g.description() == Some("elbv2.k8s.aws/targetGroupBinding=shared")))
        .collect();
    assert_eq!(shared.len(), 1, "{perms:#?}");
    let np = svc.spec.unwrap().ports.unwrap()[0].node_port.unwrap();
    assert_eq!((shared[0].from_port(), shared[0].to_port()), (Some(np), Some(np)));
    let _ = Duration::ZERO;
}
