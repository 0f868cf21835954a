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

/// The shared node rules on the cluster security group as (protocol, from, to, source).
async fn node_rules(s: &Sim) -> Vec<(String, i32, i32, String)> {
    let sg = s.aws().ec2.describe_security_groups().group_ids(&s.loaded.cluster_sg_id).send().await.unwrap();
    let mut out = Vec::new();
    for p in sg.security_groups()[0].ip_permissions() {
        let (proto, from, to) = (p.ip_protocol().unwrap_or("").to_string(), p.from_port().unwrap_or(-1), p.to_port().unwrap_or(-1));
        for g in p.user_id_group_pairs().iter().filter(|g| g.description() == Some("elbv2.k8s.aws/targetGroupBinding=shared")) {
            out.push((proto.clone(), from, to, g.group_id().unwrap_or("").to_string()));
        }
        for r in p.ip_ranges().iter().filter(|r| r.description() == Some("elbv2.k8s.aws/targetGroupBinding=shared")) {
            out.push((proto.clone(), from, to, r.cidr_ip().unwrap_or("").to_string()));
        }
    }
    out
}

fn node_ports(s: &Sim, name: &str) -> Vec<i32> {
    let svc: Service = s.cluster.lock().get("default", name).unwrap();
    svc.spec.unwrap().ports.unwrap().iter().map(|p| p.node_port.unwrap()).collect()
}

fn only<'a>(calls: &'a [String], names: &[&str]) -> Vec<&'a str> {
    calls.iter().map(String::as_str).filter(|c| names.contains(c)).collect()
}

const WRITES: &[&str] = &[
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
    "AuthorizeSecurityGroupIngress",
    "RevokeSecurityGroupIngress",
    "CreateTargetGroup",
    "ModifyTargetGroup",
    "DeleteTargetGroup",
    "CreateLoadBalancer",
    "DeleteLoadBalancer",
    "SetSecurityGroups",
    "SetSubnets",
    "CreateListener",
    "ModifyListener",
    "DeleteListener",
    "RegisterTargets",
    "DeregisterTargets",
];

#[tokio::test]
async fn port_added_then_removed() {
    for profile in [Profile::V2_6_0, Profile::Latest] {
        let s = sim(profile).await;
        s.apply(&svc("echo", &[80], "")).unwrap();
        s.settle().await;
        let mark = s.aws().log.len();
        s.apply(&svc("echo", &[80, 443], "")).unwrap();
        let st = s.settle().await;
        assert_eq!(st.pending, 0);
        let calls = s.aws().log.actions_since(mark);
        // §4.6 "Port added": frontend rule, TG, listener, TGB; the node range widens — 2.6.0
        // revokes the old range first, HEAD authorizes the new one first (§4.4).
        let node_order = match profile {
            Profile::V2_6_0 => ["RevokeSecurityGroupIngress", "AuthorizeSecurityGroupIngress"],
            Profile::Latest => ["AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"],
        };
        let mut want = vec!["AuthorizeSecurityGroupIngress", "CreateTargetGroup", "CreateListener"];
        want.extend(node_order);
        want.push("RegisterTargets");
        assert_eq!(only(&calls, WRITES), want, "{profile:?}: {calls:?}");
        let np = node_ports(&s, "echo");
        let backend = s.ctx().backend.lock().sg_id.clone().unwrap();
        assert_eq!(node_rules(&s).await, [("tcp".into(), np[0], np[1], backend.clone())]);
        assert_eq!(s.cluster.lock().list::<TargetGroupBinding>().len(), 2);

        let mark = s.aws().log.len();
        s.apply(&svc("echo", &[80], "")).unwrap();
        let st = s.settle().await;
        assert_eq!(st.pending, 0);
        let calls = s.aws().log.actions_since(mark);
        // §4.6 "Port removed": frontend revoke, listener delete, TGB delete + wait (targets
        // deregistered, node range shrinks), then the TG.
        let mut want = vec!["RevokeSecurityGroupIngress", "DeleteListener", "DeregisterTargets"];
        want.extend(node_order);
        want.push("DeleteTargetGroup");
        assert_eq!(only(&calls, WRITES), want, "{profile:?}: {calls:?}");
        assert_eq!(node_rules(&s).await, [("tcp".into(), np[0], np[0], backend)]);
        assert_eq!(s.cluster.lock().list::<TargetGroupBinding>().len(), 1);
        let tgs = s.aws().elbv2.describe_target_groups().send().await.unwrap();
        assert_eq!(tgs.target_groups().len(), 1);
    }
}

#[tokio::test]
async fn source_ranges_change_touches_only_the_frontend_group() {
    let s = sim(Profile::V2_6_0).await;
    s.apply(&svc("echo", &[80], "")).unwrap();
    s.settle().await;
    let mark = s.aws().log.len();
    let with_ranges = svc("echo", &[80], "").replace("spec:\n", "spec:\n  loadBalancerSourceRanges: [10.1.0.0/16, 10.2.0.0/16]\n");
    s.apply(&with_ranges).unwrap();
    s.settle().await;
    let calls = s.aws().log.calls()[mark..].to_vec();
    let writes: Vec<_> = calls.iter().filter(|c| WRITES.contains(&c.action.as_str())).collect();
    assert_eq!(
        writes.iter().map(|c| c.action.as_str()).collect::<Vec<_>>(),
        ["RevokeSecurityGroupIngress", "AuthorizeSecurityGroupIngress"]
    );
    let frontend = writes[0].param("GroupId").unwrap().to_string();
    assert!(writes.iter().all(|c| c.param("GroupId") == Some(frontend.as_str())));
    assert_ne!(frontend, s.loaded.cluster_sg_id);
    let g = s.aws().ec2.describe_security_groups().group_ids(&frontend).send().await.unwrap();
    let cidrs: Vec<&str> = g.security_groups()[0].ip_permissions().iter().flat_map(|p| p.ip_ranges()).filter_map(|r| r.cidr_ip()).collect();
    assert_eq!(cidrs, ["10.1.0.0/16", "10.2.0.0/16"]);
}

#[tokio::test]
async fn delete_flow_removes_everything_in_reverse_order() {
    let s = sim(Profile::V2_6_0).await;
    s.apply(&svc("echo", &[80, 443], "")).unwrap();
    s.settle().await;
    let mark = s.aws().log.len();
    assert!(s.delete_service("default", "echo"));
    let st = s.settle().await;
    assert_eq!(st.pending, 0);
    let calls = s.aws().log.actions_since(mark);
    // §4.7: LB first, then each TGB (deregister, node rule revoked once the last is gone), TGs,
    // the frontend group, and finally the released backend group.
    assert_eq!(
        only(&calls, WRITES),
        [
            "DeleteLoadBalancer",
            "DeregisterTargets",
            "RevokeSecurityGroupIngress",
            "AuthorizeSecurityGroupIngress",
            "DeregisterTargets",
            "RevokeSecurityGroupIngress",
            "DeleteTargetGroup",
            "DeleteTargetGroup",
            "DeleteSecurityGroup",
            "DeleteSecurityGroup",
        ],
        "{calls:?}"
    );
    assert!(s.cluster.lock().get::<Service>("default", "echo").is_none(), "finalizer removed, Service gone");
    assert!(s.cluster.lock().list::<TargetGroupBinding>().is_empty());
    assert!(node_rules(&s).await.is_empty());
    assert!(s.aws().elbv2.describe_load_balancers().send().await.unwrap().load_balancers().is_empty());
    assert!(s.aws().elbv2.describe_target_groups().send().await.unwrap().target_groups().is_empty());
    let groups = s
        .aws()
        .ec2
        .describe_security_groups()
        .filters(aws_sdk_ec2::types::Filter::builder().name("vpc-id").values(&s.loaded.vpc_id).build())
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = groups.security_groups().iter().filter_map(|g| g.group_name()).collect();
    assert!(names.iter().all(|n| !n.starts_with("k8s-")), "{names:?}");
}

#[tokio::test]
async fn frontend_group_delete_waits_for_the_nlb_interfaces() {
    // NLB interfaces linger 30 s after DeleteLoadBalancer: 2.6.0 retries the group delete every
    // 2 s within its 2-minute window; HEAD's 10 s window runs out and the next reconcile (after
    // its back-off) finishes the job (§4.3, §4.7).
    for (profile, first_pass_ok) in [(Profile::V2_6_0, true), (Profile::Latest, false)] {
        let mut config = Config::default();
        config.regions.insert("us-east-1".into(), serde_yaml_ng::from_str("lb_eni_release_seconds: 30").unwrap());
        let s = Sim::start(config, &Fixture::default_cluster(), ControllerConfig { profile, ..ControllerConfig::default() }).await.unwrap();
        s.apply(&svc("echo", &[80], "")).unwrap();
        s.settle().await;
        let mark = s.aws().log.len();
        s.delete_service("default", "echo");
        s.run(Duration::from_secs(15)).await;
        let failed: Vec<_> =
            s.aws().log.calls()[mark..].iter().filter(|c| c.action == "DeleteSecurityGroup" && c.error.is_some()).cloned().collect();
        assert!(failed.iter().all(|c| c.error.as_deref() == Some("DependencyViolation")));
        assert!(failed.len() >= 5, "{profile:?}: retried every 2 s ({} tries)", failed.len());
        let ev = reasons(&s, "echo");
        assert_eq!(ev.iter().any(|e| e.starts_with("FailedDeployModel")), !first_pass_ok, "{profile:?}: {ev:?}");
        let st = s.settle().await;
        assert_eq!(st.pending, 0, "{profile:?}");
        assert!(s.cluster.lock().get::<Service>("default", "echo").is_none(), "{profile:?}");
    }
}
