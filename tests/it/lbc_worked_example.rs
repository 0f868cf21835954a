//! lbc-reconciler.md §5.6 through the real reconciler against lbsim: node-SG rule counts for
//! N = 25 Services × 3 TCP ports at the default quota of 60 rules, and §7.3's behaviour when
//! the node group is full; §6.3: an NLB created without groups stays legacy.

use std::time::Duration;

use lbsim::cluster::{Kind, TargetGroupBinding};
use lbsim::config::Config;
use lbsim::reconciler::{ControllerConfig, Profile};
use lbsim::world::Fixture;
use lbsim::world::Sim;

fn svc(i: usize, extra: &str) -> String {
    format!(
        "kind: Service\nmetadata:\n  name: svc-{i:02}\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing\n{extra}spec:\n  type: LoadBalancer\n  ports: [{{name: a, port: 80}}, {{name: b, port: 81}}, {{name: c, port: 82}}]\n"
    )
}

fn worked() -> Fixture {
    Fixture::parse(include_str!("../../fixtures/clusters/worked-example.yaml")).unwrap()
}

async fn inbound_rules(s: &Sim) -> usize {
    let g = s.aws().ec2.describe_security_groups().group_ids(&s.loaded.cluster_sg_id).send().await.unwrap();
    g.security_groups()[0]
        .ip_permissions()
        .iter()
        .map(|p| p.ip_ranges().len() + p.ipv6_ranges().len() + p.user_id_group_pairs().len() + p.prefix_list_ids().len())
        .sum()
}

/// The TGBs of one Service that have been reconciled successfully.
fn observed(s: &Sim, i: usize) -> (usize, usize) {
    let all: Vec<TargetGroupBinding> =
        s.cluster.lock().list::<TargetGroupBinding>().into_iter().filter(|t| t.spec.service_ref.name == format!("svc-{i:02}")).collect();
    (all.iter().filter(|t| t.status.observed_generation == Some(1)).count(), all.len())
}

#[tokio::test]
async fn l1_legacy_the_21st_service_hits_the_rule_quota() {
    for profile in [Profile::V2_6_0, Profile::LATEST] {
        let mut cfg = ControllerConfig { profile, ..ControllerConfig::default() };
        cfg.feature_gates.nlb_security_group = false;
        let s = Sim::start(Config::default(), &worked(), cfg).await.unwrap();
        let mut first_fail = None;
        for i in 1..=25 {
            s.apply(&svc(i, "")).unwrap();
            s.run(Duration::from_secs(5)).await;
            if first_fail.is_none() && observed(&s, i) != (3, 3) {
                first_fail = Some(i);
            }
        }
        assert_eq!(first_fail, Some(21), "{profile:?}");
        assert_eq!(inbound_rules(&s).await, 60, "{profile:?}: one tcp NodePort 0.0.0.0/0 rule per port, up to the quota");
        // The Services themselves reconciled: the failure is in the TGB controller (§7.3).
        let ev = s.events(Kind::Service, "default", "svc-21");
        assert_eq!(ev.iter().map(|e| e.reason.as_str()).collect::<Vec<_>>(), ["SuccessfullyReconciled"]);
        // Every TGB of Services 21–25 keeps retrying (the failing permissions are global).
        for i in 21..=25 {
            assert_eq!(observed(&s, i).0, 0, "{profile:?} svc-{i}");
        }
        let tgb = s.cluster.lock().list::<TargetGroupBinding>().into_iter().find(|t| t.spec.service_ref.name == "svc-21").unwrap();
        let name = tgb.metadata.name.clone().unwrap();
        assert!(s.ctx().queues.lock().tgbs.failures("default", &name) > 1, "{profile:?}: retried with back-off");
        let tev = s.events(Kind::TargetGroupBinding, "default", &name);
        match profile {
            // 2.6.0's TGB controller records no event for a reconcile error.
            Profile::V2_6_0 => assert!(tev.is_empty(), "{tev:?}"),
            _ => {
                let e = tev.iter().find(|e| e.reason == "FailedReconcile").expect("FailedReconcile event");
                assert!(e.message.contains("RulesPerSecurityGroupLimitExceeded"), "{}", e.message);
                assert!(e.count > 1, "repeats fold into the count");
            }
        }
        // A later update that patches a TGB waits for it in vain (§7.3).
        if profile == Profile::V2_6_0 {
            let mark = s.ctx().cluster.lock().event_records().len();
            s.apply(&svc(21, "").replace("spec:\n", "spec:\n  loadBalancerSourceRanges: [10.9.0.0/16]\n")).unwrap();
            s.run(Duration::from_secs(70)).await;
            let ev = s.ctx().cluster.lock().event_records()[mark..].to_vec();
            let failed = ev.iter().find(|e| e.reason == "FailedDeployModel").expect("FailedDeployModel");
            assert_eq!(failed.message, "Failed deploy model due to timed out waiting for the condition");
        }
    }
}

#[tokio::test]
async fn s1_sg_mode_one_node_rule_for_25_services() {
    let s = Sim::start(Config::default(), &worked(), ControllerConfig::default()).await.unwrap();
    for i in 1..=25 {
        s.apply(&svc(i, "")).unwrap();
    }
    let st = s.settle().await;
    assert_eq!(st.pending, 0);
    for i in 1..=25 {
        assert_eq!(observed(&s, i), (3, 3), "svc-{i}");
    }
    assert_eq!(inbound_rules(&s).await, 1, "S1: one tcp [minNodePort, maxNodePort] rule from the backend group");
    let g = s.aws().ec2.describe_security_groups().group_ids(&s.loaded.cluster_sg_id).send().await.unwrap();
    let p = &g.security_groups()[0].ip_permissions()[0];
    assert_eq!((p.from_port(), p.to_port()), (Some(30000), Some(30074)));
    let backend = s.ctx().backend.lock().sg_id.clone().unwrap();
    assert_eq!(p.user_id_group_pairs()[0].group_id(), Some(backend.as_str()));
    // Each frontend group holds P × #CIDRs = 3 rules.
    let lbs = s.aws().elbv2.describe_load_balancers().send().await.unwrap();
    assert_eq!(lbs.load_balancers().len(), 25);
    let frontend = lbs.load_balancers()[0].security_groups().iter().find(|g| **g != backend).unwrap().clone();
    let f = s.aws().ec2.describe_security_groups().group_ids(&frontend).send().await.unwrap();
    assert_eq!(f.security_groups()[0].ip_permissions().len(), 3);
}

#[tokio::test]
async fn an_nlb_created_without_groups_stays_legacy() {
    let mut cfg = ControllerConfig::default();
    cfg.feature_gates.nlb_security_group = false;
    let mut s = Sim::start(Config::default(), &worked(), cfg).await.unwrap();
    s.apply(&svc(1, "")).unwrap();
    s.settle().await;
    let lb = s.aws().elbv2.describe_load_balancers().send().await.unwrap().load_balancers()[0].clone();
    assert!(lb.security_groups().is_empty());
    // The gate back on, and the user asks for groups: row A wins, silently (§6.3).
    s.restart(ControllerConfig::default()).await.unwrap();
    let user = s.loaded.cluster_sg_id.clone();
    let mark = s.aws().log.len();
    s.apply(&svc(1, &format!("    service.beta.kubernetes.io/aws-load-balancer-security-groups: {user}\n"))).unwrap();
    let st = s.settle().await;
    assert_eq!(st.pending, 0);
    let calls = s.aws().log.actions_since(mark);
    assert!(!calls.iter().any(|c| c == "SetSecurityGroups" || c == "CreateSecurityGroup"), "{calls:?}");
    let ev = s.events(Kind::Service, "default", "svc-01");
    assert!(ev.iter().all(|e| e.type_ == "Normal"), "{ev:?}");
    let lb = s.aws().elbv2.describe_load_balancers().send().await.unwrap().load_balancers()[0].clone();
    assert!(lb.security_groups().is_empty());
    assert_eq!(inbound_rules(&s).await, 3, "legacy CIDR node rules stay");
    // What AWS would have said had the controller tried.
    let err = s
        .aws()
        .elbv2
        .set_security_groups()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .security_groups(&user)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_service_error().and_then(|e| aws_sdk_elasticloadbalancingv2::error::ProvideErrorMetadata::code(e)),
        Some("InvalidConfigurationRequest")
    );
}

/// Rows L2–L5 and S2–S3 of §5.6: the node-SG rule count after each of N = 25 Services (3 TCP
/// ports each), with the quota raised so the count can be read to the end; the first Service
/// whose rules pass 60 is the one that fails at the default quota (L1 shows that directly).
#[tokio::test]
async fn worked_example_rows_counts_and_first_failing_service() {
    struct Row {
        name: &'static str,
        cfg: ControllerConfig,
        extra: &'static str,
        spec: &'static str,
        want_total: usize,
        want_first_fail: Option<usize>,
    }
    let legacy = || {
        let mut c = ControllerConfig::default();
        c.feature_gates.nlb_security_group = false;
        c
    };
    let rows = [
        Row {
            name: "L2",
            cfg: legacy(),
            extra: "",
            spec: "  loadBalancerSourceRanges: [1.1.1.0/24, 2.2.2.0/24]\n",
            want_total: 375,
            want_first_fail: Some(5),
        },
        Row { name: "L3", cfg: legacy(), extra: "", spec: "", want_total: 75, want_first_fail: Some(21) },
        Row { name: "L4", cfg: legacy(), extra: "", spec: "  externalTrafficPolicy: Local\n", want_total: 150, want_first_fail: Some(11) },
        Row { name: "L5", cfg: legacy(), extra: "", spec: "  selector: {app: web}\n", want_total: 3, want_first_fail: None },
        Row {
            name: "S2",
            cfg: ControllerConfig { disable_restricted_sg_rules: true, ..ControllerConfig::default() },
            extra: "",
            spec: "",
            want_total: 1,
            want_first_fail: None,
        },
        Row {
            name: "S3",
            cfg: ControllerConfig { enable_backend_security_group: false, ..ControllerConfig::default() },
            extra: "",
            spec: "",
            want_total: 25,
            want_first_fail: None,
        },
    ];
    for row in rows {
        let mut f = worked();
        if row.name == "L5" {
            f.pods.push(serde_yaml_ng::from_str("{name: web, replicas: 3, labels: {app: web}, ports: {http: 8080}}").unwrap());
        }
        let config: Config = serde_yaml_ng::from_str("quotas: {rules-per-security-group: 1000}").unwrap();
        let s = Sim::start(config, &f, row.cfg).await.unwrap();
        let mut first_fail = None;
        let mut count = 0;
        for i in 1..=25 {
            let mut m = svc(i, row.extra).replace("spec:\n", &format!("spec:\n{}", row.spec));
            if row.name == "L3" {
                m = m.replace("scheme: internet-facing", "scheme: internal");
            }
            if row.name == "L5" {
                m = m
                    .replace("nlb-target-type: instance", "nlb-target-type: ip")
                    .replace("{name: a, port: 80}", "{name: a, port: 80, targetPort: 8080}")
                    .replace("{name: b, port: 81}", "{name: b, port: 81, targetPort: 8080}")
                    .replace("{name: c, port: 82}", "{name: c, port: 82, targetPort: 8080}");
            }
            s.apply(&m).unwrap();
            s.run(Duration::from_secs(5)).await;
            assert_eq!(observed(&s, i), (3, 3), "{} svc-{i}", row.name);
            count = inbound_rules(&s).await;
            if first_fail.is_none() && count > 60 {
                first_fail = Some(i);
            }
        }
        assert_eq!((count, first_fail), (row.want_total, row.want_first_fail), "{}", row.name);
    }
}
