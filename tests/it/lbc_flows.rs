//! The controller emulation end to end against lbsim in process: create, update and delete flows
//! with the ordered AWS calls (from the connector's call log) and the final AWS state.

use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use lbsim::cluster::{Kind, TargetGroupBinding};
use lbsim::config::Config;
use lbsim::reconciler::{ControllerConfig, Profile};
use lbsim::world::Fixture;
use lbsim::world::Sim;

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
    // lbsim's own request log (the admin API's `/_lbsim/requests`) saw the same calls, in order.
    let (entries, _, _) = s.world.app.as_ref().unwrap().log.query(&lbsim::app::request_log::Query::default());
    let server_side: Vec<String> = entries.iter().filter_map(|e| e.action.clone()).collect();
    assert!(server_side.ends_with(&s.aws().log.actions_since(0)), "{server_side:?}");
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
    for profile in [Profile::V2_6_0, Profile::LATEST] {
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
            _ => ["AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"],
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
    for (profile, first_pass_ok) in [(Profile::V2_6_0, true), (Profile::LATEST, false)] {
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

/// Applies `manifest`, settles, and returns the write calls it caused.
async fn step(s: &Sim, manifest: &str) -> Vec<String> {
    let mark = s.aws().log.len();
    s.apply(manifest).unwrap();
    let st = s.settle().await;
    assert_eq!(st.pending, 0, "{:?}", reasons(s, "echo"));
    s.aws()
        .log
        .actions_since(mark)
        .into_iter()
        .filter(|a| {
            WRITES.contains(&a.as_str())
                || a.ends_with("Tags") && !a.starts_with("Describe")
                || a.starts_with("Modify")
                || a.starts_with("Set")
        })
        .collect()
}

#[tokio::test]
async fn update_rows_of_4_6() {
    let s = sim(Profile::V2_6_0).await;
    let base = svc("echo", &[80], "");
    step(&s, &base).await;
    // Health-check annotation: ModifyTargetGroup, no replacement (NLBHealthCheckAdvancedConfig).
    let hc = svc("echo", &[80], "    service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval: \"30\"\n");
    assert_eq!(step(&s, &hc).await, ["ModifyTargetGroup"]);
    // Additional tags: AddTags on LB/TG/listener, CreateTags on the frontend group — and back.
    let tagged = svc("echo", &[80], "    service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags: team=a\n");
    let w = step(&s, &tagged).await;
    assert_eq!(
        w,
        ["CreateTags", "AddTags", "ModifyTargetGroup", "AddTags", "AddTags"],
        "frontend SG; TG tags then HC back to 10 s; LB; listener"
    );
    assert_eq!(step(&s, &base).await, ["DeleteTags", "RemoveTags", "RemoveTags", "RemoveTags"]);
    // LB attributes: only changed keys.
    let attrs = svc("echo", &[80], "    service.beta.kubernetes.io/aws-load-balancer-attributes: load_balancing.cross_zone.enabled=true\n");
    assert_eq!(step(&s, &attrs).await, ["ModifyLoadBalancerAttributes"]);
    // Removing the annotation resets nothing (§4.6).
    assert_eq!(step(&s, &base).await, Vec::<String>::new());
    // NodePort changed: the TG is kept (matched by resource id); the TGB is patched and the
    // service waits for it — node rule moved (2.6.0: revoke first), targets re-registered.
    let moved = base.replace("targetPort: 8080}", "targetPort: 8080, nodePort: 31234}");
    assert_eq!(
        step(&s, &moved).await,
        ["RevokeSecurityGroupIngress", "AuthorizeSecurityGroupIngress", "DeregisterTargets", "RegisterTargets"]
    );
    assert_eq!(node_rules(&s).await[0].1, 31234);
    // The name annotation only matters at creation (LBs are matched by tags).
    let renamed = moved.replace("annotations:\n", "annotations:\n    service.beta.kubernetes.io/aws-load-balancer-name: renamed\n");
    assert_eq!(step(&s, &renamed).await, Vec::<String>::new());
    // Target type: a new TG, the listener re-pointed, the new TGB, then the old TGB and TG go.
    let ip = renamed.replace("nlb-target-type: instance", "nlb-target-type: ip");
    let w = step(&s, &ip).await;
    assert_eq!(w[..2], ["CreateTargetGroup".to_string(), "ModifyListener".to_string()], "{w:?}");
    assert_eq!(w.last().map(String::as_str), Some("DeleteTargetGroup"), "{w:?}");
    assert!(w.contains(&"DeregisterTargets".to_string()) && w.contains(&"RegisterTargets".to_string()), "{w:?}");
    // Scheme: the LB is replaced (deleted first), TGs are reused.
    let internal = ip.replace("scheme: internet-facing", "scheme: internal");
    let w = step(&s, &internal).await;
    assert_eq!(w, ["DeleteLoadBalancer", "CreateLoadBalancer", "CreateListener"], "{w:?}");
    let lb = s.aws().elbv2.describe_load_balancers().send().await.unwrap().load_balancers()[0].clone();
    assert_eq!(lb.scheme().map(|x| x.as_str()), Some("internal"));
    let svc_obj: Service = s.cluster.lock().get("default", "echo").unwrap();
    assert_eq!(svc_obj.status.unwrap().load_balancer.unwrap().ingress.unwrap()[0].hostname.as_deref(), lb.dns_name());
}

#[tokio::test]
async fn auto_groups_to_user_groups_and_back() {
    let s = sim(Profile::V2_6_0).await;
    step(&s, &svc("echo", &[80], "")).await;
    let user = s.loaded.cluster_sg_id.clone();
    let backend = s.ctx().backend.lock().sg_id.clone().unwrap();
    // §6.4 auto → user: SetSecurityGroups, the TGB loses its networking (node rule revoked), the
    // managed group is deleted and the backend group released (deleted: nothing else needs it).
    let with_user = svc("echo", &[80], &format!("    service.beta.kubernetes.io/aws-load-balancer-security-groups: {user}\n"));
    let w = step(&s, &with_user).await;
    assert_eq!(w, ["SetSecurityGroups", "RevokeSecurityGroupIngress", "DeleteSecurityGroup", "DeleteSecurityGroup"], "{w:?}");
    let lb = s.aws().elbv2.describe_load_balancers().send().await.unwrap().load_balancers()[0].clone();
    assert_eq!(lb.security_groups(), std::slice::from_ref(&user));
    assert!(node_rules(&s).await.is_empty());
    assert!(s.aws().ec2.describe_security_groups().group_ids(&backend).send().await.is_err(), "backend group deleted");
    // user → auto: a new frontend group with its rules, a new backend group, both on the LB.
    let w = step(&s, &svc("echo", &[80], "")).await;
    assert_eq!(
        w,
        [
            "CreateSecurityGroup",
            "CreateSecurityGroup",
            "AuthorizeSecurityGroupIngress",
            "SetSecurityGroups",
            "AuthorizeSecurityGroupIngress"
        ],
        "{w:?}"
    );
    assert_eq!(node_rules(&s).await.len(), 1);
}

/// v2.7.1+ keeps ELBv2 tags 20 minutes per ARN and forgets them only on its own tag writes: once
/// a reconcile has read them, the next asks DescribeTags for nothing, and a tag someone else adds stays unseen (so
/// not removed) until the entry expires. v2.6.0 reads every time and removes it at once.
#[tokio::test]
async fn elb_tags_cached_from_v2_7_1() {
    for profile in [Profile::V2_6_0, Profile(2, 7, 1), Profile::LATEST] {
        let cached = profile >= Profile(2, 7, 1);
        let s = sim(profile).await;
        s.apply(&svc("echo", &[80], "")).unwrap();
        assert_eq!(s.settle().await.pending, 0, "{profile}: {:?}", reasons(&s, "echo"));
        let lb = s.aws().elbv2.describe_load_balancers().send().await.unwrap().load_balancers()[0].load_balancer_arn().unwrap().to_string();
        // An annotation the controller does not read: a reconcile with nothing to change.
        let resync = |rev: &str| svc("echo", &[80], &format!("    example.com/rev: {rev}\n"));
        // The first resync reads what the create flow made (created, never read: not cached).
        s.apply(&resync("z")).unwrap();
        s.settle().await;
        let mark = s.aws().log.len();
        s.apply(&resync("a")).unwrap();
        s.settle().await;
        let tags_calls = s.aws().log.actions_since(mark).iter().filter(|a| *a == "DescribeTags").count();
        assert_eq!(tags_calls == 0, cached, "{profile}: {tags_calls} DescribeTags on a reconcile that changes nothing");
        // Someone else tags the load balancer.
        s.aws()
            .elbv2
            .add_tags()
            .resource_arns(&lb)
            .tags(aws_sdk_elasticloadbalancingv2::types::Tag::builder().key("team").value("x").build())
            .send()
            .await
            .unwrap();
        let mark = s.aws().log.len();
        s.apply(&resync("b")).unwrap();
        s.settle().await;
        let removed = |from: usize| s.aws().log.actions_since(from).iter().any(|a| a == "RemoveTags");
        assert_eq!(removed(mark), !cached, "{profile}: the foreign tag is removed only when the controller reads it");
        if cached {
            s.ctx().clock.sleep(Duration::from_secs(21 * 60)).await;
            let mark = s.aws().log.len();
            s.apply(&resync("c")).unwrap();
            s.settle().await;
            assert!(removed(mark), "{profile}: after 20 minutes the entry expired and the tag is read and removed");
        }
    }
}

/// A node's instance id, from `spec.providerID` (`aws:///<az>/<id>`).
fn instance(n: &k8s_openapi::api::core::v1::Node) -> String {
    n.spec.as_ref().unwrap().provider_id.clone().unwrap().rsplit('/').next().unwrap().to_string()
}

/// The targets registered in the only binding's target group, sorted; a deregistered target
/// drains (and is still described) for the group's delay, so draining ones are left out.
async fn registered(s: &Sim) -> Vec<String> {
    use aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum;
    let tgb = s.cluster.lock().list::<TargetGroupBinding>().pop().unwrap();
    let th = s.aws().elbv2.describe_target_health().target_group_arn(&tgb.spec.target_group_arn).send().await.unwrap();
    let mut ids: Vec<String> = th
        .target_health_descriptions()
        .iter()
        .filter(|d| d.target_health().and_then(|h| h.state()) != Some(&TargetHealthStateEnum::Draining))
        .filter_map(|d| d.target()?.id().map(String::from))
        .collect();
    ids.sort();
    ids
}

/// §1.6 instance targets: a node labelled out of external load balancers and a node the cluster
/// autoscaler is deleting are not registered; the Ready node left is, and a label change that
/// brings a node back registers it on the binding's next reconcile.
#[tokio::test]
async fn instance_targets_skip_excluded_and_deleting_nodes() {
    use k8s_openapi::api::core::v1::{Node, Taint};
    let s = sim(Profile::LATEST).await;
    let mut nodes = s.cluster.lock().list::<Node>();
    assert_eq!(nodes.len(), 3, "the default cluster's nodes");
    let kept = instance(&nodes[2]);
    nodes[0].metadata.labels.get_or_insert_default().insert("node.kubernetes.io/exclude-from-external-load-balancers".into(), "".into());
    let taint = Taint { key: "ToBeDeletedByClusterAutoscaler".into(), effect: "NoSchedule".into(), ..Taint::default() };
    nodes[1].spec.get_or_insert_default().taints.get_or_insert_default().push(taint);
    for n in &nodes[..2] {
        s.cluster.lock().apply(n.clone());
    }
    s.apply(&svc("echo", &[80], "")).unwrap();
    let stats = s.settle().await;
    assert_eq!(stats.pending, 0, "{:?} {:?}", stats, reasons(&s, "echo"));
    assert_eq!(registered(&s).await, std::slice::from_ref(&kept));
    // The label comes off: the node is a target again.
    let mut back = nodes[0].clone();
    back.metadata.labels.as_mut().unwrap().remove("node.kubernetes.io/exclude-from-external-load-balancers");
    s.cluster.lock().apply(back);
    s.settle().await;
    let mut want = vec![kept, instance(&nodes[0])];
    want.sort();
    assert_eq!(registered(&s).await, want);
}

/// §1.6 fail-open (`EndpointsFailOpen`, on by default): with no Ready node, the nodes whose
/// readiness is Unknown are registered and a NotReady node is not; once a node is Ready again,
/// only Ready nodes are.
#[tokio::test]
async fn instance_targets_fail_open_to_unknown_nodes() {
    use k8s_openapi::api::core::v1::Node;
    let s = sim(Profile::LATEST).await;
    let mut nodes = s.cluster.lock().list::<Node>();
    let set_ready = |n: &mut Node, status: &str| {
        let conds = n.status.get_or_insert_default().conditions.get_or_insert_default();
        conds.iter_mut().find(|c| c.type_ == "Ready").expect("a Ready condition").status = status.into();
    };
    for (n, status) in nodes.iter_mut().zip(["False", "Unknown", "Unknown"]) {
        set_ready(n, status);
        s.cluster.lock().apply(n.clone());
    }
    s.apply(&svc("echo", &[80], "")).unwrap();
    s.settle().await;
    let mut unknown = vec![instance(&nodes[1]), instance(&nodes[2])];
    unknown.sort();
    assert_eq!(registered(&s).await, unknown);
    set_ready(&mut nodes[2], "True");
    s.cluster.lock().apply(nodes[2].clone());
    s.settle().await;
    assert_eq!(registered(&s).await, std::slice::from_ref(&instance(&nodes[2])));
}

/// §1.6 instance targets: a control-plane node (`node-role.kubernetes.io/master`), a Fargate
/// node and one carrying the alpha `exclude-balancer` label are never registered, whatever
/// their readiness; a node whose label comes off is registered on the next reconcile.
#[tokio::test]
async fn instance_targets_skip_master_fargate_and_alpha_excluded_nodes() {
    use k8s_openapi::api::core::v1::Node;
    let s = sim(Profile::LATEST).await;
    let mut nodes = s.cluster.lock().list::<Node>();
    assert_eq!(nodes.len(), 3, "the default cluster's nodes");
    let labels = [
        ("node-role.kubernetes.io/master", ""),
        ("eks.amazonaws.com/compute-type", "fargate"),
        ("alpha.service-controller.kubernetes.io/exclude-balancer", "true"),
    ];
    for (n, (k, v)) in nodes.iter_mut().zip(labels) {
        n.metadata.labels.get_or_insert_default().insert(k.into(), v.into());
        s.cluster.lock().apply(n.clone());
    }
    s.apply(&svc("echo", &[80], "")).unwrap();
    let stats = s.settle().await;
    assert_eq!(stats.pending, 0, "{:?} {:?}", stats, reasons(&s, "echo"));
    assert_eq!(registered(&s).await, Vec::<String>::new(), "no node is eligible");
    let mut back = nodes[0].clone();
    back.metadata.labels.as_mut().unwrap().remove("node-role.kubernetes.io/master");
    s.cluster.lock().apply(back);
    s.settle().await;
    assert_eq!(registered(&s).await, [instance(&nodes[0])]);
}

/// §1.6 instance targets with `aws-load-balancer-target-node-labels`: only the nodes carrying
/// every listed label with its value are registered (a node with one of two is not).
#[tokio::test]
async fn instance_targets_follow_the_target_node_labels() {
    use k8s_openapi::api::core::v1::Node;
    let s = sim(Profile::LATEST).await;
    let mut nodes = s.cluster.lock().list::<Node>();
    for (n, (pool, tier)) in nodes.iter_mut().zip([("a", "web"), ("b", "web"), ("a", "db")]) {
        let l = n.metadata.labels.get_or_insert_default();
        l.insert("pool".into(), pool.into());
        l.insert("tier".into(), tier.into());
        s.cluster.lock().apply(n.clone());
    }
    s.apply(&svc("echo", &[80], "    service.beta.kubernetes.io/aws-load-balancer-target-node-labels: pool=a, tier=web\n")).unwrap();
    let stats = s.settle().await;
    assert_eq!(stats.pending, 0, "{:?} {:?}", stats, reasons(&s, "echo"));
    assert_eq!(registered(&s).await, [instance(&nodes[0])]);
}

/// The world a set of Services settles to: load balancer names, target group names, the
/// controller's security group names, and the node rules with the backend group's id
/// replaced, so two runs in separate worlds compare.
async fn end_state(s: &Sim) -> (Vec<String>, Vec<String>, Vec<String>, Vec<(String, i32, i32)>) {
    let lbs = s.aws().elbv2.describe_load_balancers().send().await.unwrap();
    let mut lbs: Vec<String> = lbs.load_balancers().iter().filter_map(|l| l.load_balancer_name()).map(String::from).collect();
    let tgs = s.aws().elbv2.describe_target_groups().send().await.unwrap();
    let mut tgs: Vec<String> = tgs.target_groups().iter().filter_map(|t| t.target_group_name()).map(String::from).collect();
    let vpc = aws_sdk_ec2::types::Filter::builder().name("vpc-id").values(&s.loaded.vpc_id).build();
    let groups = s.aws().ec2.describe_security_groups().filters(vpc).send().await.unwrap();
    let mut sgs: Vec<String> =
        groups.security_groups().iter().filter_map(|g| g.group_name()).filter(|n| n.starts_with("k8s-")).map(String::from).collect();
    let mut rules: Vec<(String, i32, i32)> = node_rules(s).await.into_iter().map(|(p, f, t, _)| (p, f, t)).collect();
    lbs.sort();
    tgs.sort();
    sgs.sort();
    rules.sort();
    (lbs, tgs, sgs, rules)
}

/// With the controller's default of 3 workers per kind (reconciles interleaving on several
/// threads) a batch of Services settles to the world the serial run makes: one NLB and one
/// frontend group each, one shared backend group (not one per racing reconcile), the same node
/// rules. An update that patches every binding (the Service reconcile waits for the TGB
/// controller to observe it, possibly on another worker) and deleting them all take as many
/// reconciles as serially, none failing, and leave nothing behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reconciles_settle_to_the_serial_world() {
    let manifest = |i: i32, extra: &str| svc(&format!("echo-{i:02}"), &[80, 8000 + i], extra);
    let labels = "    service.beta.kubernetes.io/aws-load-balancer-target-node-labels: kubernetes.io/os=linux\n";
    let mut runs = Vec::new();
    for workers in [1, 3] {
        let controller = ControllerConfig {
            profile: Profile::LATEST,
            service_max_concurrent_reconciles: workers,
            targetgroupbinding_max_concurrent_reconciles: workers,
            ..ControllerConfig::default()
        };
        let s = Sim::start(Config::default(), &Fixture::default_cluster(), controller).await.unwrap();
        for i in 0..12 {
            s.apply(&manifest(i, "")).unwrap();
        }
        let created = s.settle().await;
        assert_eq!(created.pending, 0, "{workers} workers: {created:?}");
        let world = end_state(&s).await;
        assert_eq!((world.0.len(), world.1.len()), (12, 24), "{workers} workers: {world:?}");
        // 12 frontend groups and one backend group, each created once.
        assert_eq!(world.2.len(), 13, "{workers} workers: {:?}", world.2);
        assert_eq!(s.aws().log.actions_since(0).iter().filter(|a| *a == "CreateSecurityGroup").count(), 13, "{workers} workers");
        for i in 0..12 {
            s.apply(&manifest(i, labels)).unwrap();
        }
        let updated = s.settle().await;
        assert_eq!(updated.pending, 0, "{workers} workers: {updated:?}");
        let events: Vec<Vec<String>> = (0..12).map(|i| reasons(&s, &format!("echo-{i:02}"))).collect();
        for i in 0..12 {
            assert!(s.delete_service("default", &format!("echo-{i:02}")));
        }
        let deleted = s.settle().await;
        assert_eq!(deleted.pending, 0, "{workers} workers: {deleted:?}");
        assert!(s.cluster.lock().list::<TargetGroupBinding>().is_empty());
        assert_eq!(end_state(&s).await, (vec![], vec![], vec![], vec![]), "{workers} workers, after deleting every Service");
        let counts = [created, updated, deleted].map(|st| st.service_reconciles);
        runs.push((world, events, counts));
    }
    assert_eq!(runs[1].0, runs[0].0, "the end state differs from the serial run's");
    assert_eq!(runs[1].1, runs[0].1, "Service events differ from the serial run's");
    assert_eq!(runs[1].2, runs[0].2, "Service reconciles (create, update, delete) differ from the serial run's");
}
