//! The quota planner on the worked example (lbc-reconciler.md §5.6): 3-port Services on a node
//! group with no rule yet. Legacy mode fails at the 21st Service on the node group's rule quota;
//! with NLB security groups the node group holds one rule and the Region's NLB quota stops the
//! 51st.

use lbsim::plan::{self, Grow, Input, Mode};
use lbsim::reconciler::Profile;
use lbsim::world::Fixture;

fn input(profile: Profile, grow: Grow, max_steps: u32) -> Input {
    Input {
        fixture: Fixture::embedded("worked-example").unwrap(),
        manifests: include_str!("../../scenarios/manifests/three-ports.yaml").to_string(),
        profile,
        grow,
        max_steps,
    }
}

#[tokio::test]
async fn legacy_fails_at_the_21st_service_security_groups_at_the_nlb_quota() {
    let i = input(Profile::V2_6_0, Grow::Copies, 60);
    let out = plan::run(&i, &[Mode::Legacy, Mode::SecurityGroups]).await.unwrap();
    let legacy = out[0].failure.as_ref().expect("legacy mode hits a quota");
    assert_eq!((out[0].fits, legacy.step), (20, 21));
    assert_eq!(legacy.code, "RulesPerSecurityGroupLimitExceeded");
    assert_eq!(legacy.quota.as_deref(), Some("rules-per-security-group"));
    assert_eq!(legacy.action, "AuthorizeSecurityGroupIngress");
    assert!(legacy.on.starts_with("the node group sg-"), "{}", legacy.on);
    assert!(legacy.reports[0].starts_with("no Warning Event"), "v2.6.0 records no binding Event: {:?}", legacy.reports);
    let rules: Vec<u64> = out[0].points.iter().map(|p| p.node_rules).collect();
    assert_eq!(rules[..3], [3, 6, 9]);
    assert_eq!(rules[19], 60);

    let sg = out[1].failure.as_ref().expect("security-group mode hits a quota too");
    assert_eq!((out[1].fits, sg.step), (50, 51));
    assert_eq!((sg.code.as_str(), sg.quota.as_deref()), ("TooManyLoadBalancers", Some("network-load-balancers")));
    assert!(sg.reports.iter().any(|r| r.starts_with("Warning FailedDeployModel on Service default/svc-51")), "{:?}", sg.reports);
    assert!(out[1].points.iter().all(|p| p.node_rules == 1), "one rule on the node group throughout");

    let table = plan::table(&i, &out);
    assert!(table.contains("RulesPerSecurityGroupLimitExceeded (rules-per-security-group)"), "{table}");
    let html = plan::html(&i, &out);
    assert_eq!(html.matches("<svg").count(), 2);
}

#[tokio::test]
async fn the_latest_profile_reports_the_failed_bindings_and_source_ranges_fill_a_frontend_group() {
    let out = plan::run(&input(Profile::Latest, Grow::Copies, 25), &[Mode::Legacy]).await.unwrap();
    let f = out[0].failure.as_ref().unwrap();
    assert_eq!(f.step, 21);
    assert!(f.reports.iter().any(|r| r.contains("FailedReconcile") && r.contains("RulesPerSecurityGroupLimitExceeded")), "{:?}", f.reports);
    // One 3-port Service growing by source ranges (§5.6 L2): in legacy mode the node group gets
    // 3 × (S + 3 subnet CIDRs) rules, full at S = 17; with security groups the frontend group
    // gets 3 × S, full at S = 20.
    let mut i = input(Profile::V2_6_0, Grow::SourceRanges, 30);
    i.manifests = i.manifests.replace("svc-{{i}}", "one");
    let out = plan::run(&i, &[Mode::Legacy, Mode::SecurityGroups]).await.unwrap();
    let (legacy, sg) = (out[0].failure.as_ref().expect("a quota"), out[1].failure.as_ref().expect("a quota"));
    assert_eq!((plan::added(i.grow, out[0].fits), legacy.code.as_str()), (17, "RulesPerSecurityGroupLimitExceeded"), "{legacy:?}");
    assert!(legacy.on.starts_with("the node group"), "{}", legacy.on);
    assert_eq!((plan::added(i.grow, out[1].fits), sg.code.as_str()), (20, "RulesPerSecurityGroupLimitExceeded"), "{sg:?}");
    assert!(sg.on.contains("frontend group") && sg.on.contains("default/one"), "{}", sg.on);
}
