//! ALB listener rules through aws-sdk-elasticloadbalancingv2: CreateRule (conditions in both
//! forms, actions, tags, priorities), DescribeRules by listener and by ARN with paging,
//! ModifyRule, DeleteRule, SetRulePriorities (atomic swaps), and every rule quota and error
//! code: PriorityInUse, TooManyRules, condition values and wildcards, TooManyTargetGroups per
//! action, TooManyUniqueTargetGroupsPerLoadBalancer, TargetGroupAssociationLimit, RuleNotFound,
//! OperationNotPermitted on the default rule, UnsupportedProtocol on an NLB listener.

use crate::common;
use crate::common::elbv2 as fx;
use crate::elbv2_alb::{alb, fixed, http_listener, http_tg};

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, HostHeaderConditionConfig, HttpHeaderConditionConfig, PathPatternConditionConfig,
    ProtocolEnum, QueryStringConditionConfig, QueryStringKeyValuePair, RuleCondition, RulePriorityPair, SourceIpConditionConfig, Tag,
    TargetGroupTuple, TargetTypeEnum,
};
use common::{code, message};
use lbsim::state::RegionSettings;

fn host(values: &[&str]) -> RuleCondition {
    let mut c = HostHeaderConditionConfig::builder();
    for v in values {
        c = c.values(*v);
    }
    RuleCondition::builder().field("host-header").host_header_config(c.build()).build()
}

fn path(values: &[&str]) -> RuleCondition {
    let mut c = PathPatternConditionConfig::builder();
    for v in values {
        c = c.values(*v);
    }
    RuleCondition::builder().field("path-pattern").path_pattern_config(c.build()).build()
}

/// An ALB with an HTTP:80 listener (fixed 404) and a target group: (lb, listener, tg).
async fn setup(s: &common::Server, elb: &Client) -> (String, String, String) {
    let w = fx::world(s);
    let lb = alb(elb, "web", &[&w.subnets[0].0, &w.subnets[1].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap().to_string();
    let l = http_listener(elb, &lb_arn, 80, fixed("404")).await;
    let tg = http_tg(elb, "web", &w.vpc).await;
    (lb_arn, l, tg)
}

async fn rule(elb: &Client, listener: &str, priority: i32, conditions: Vec<RuleCondition>, tg: &str) -> String {
    let out = elb
        .create_rule()
        .listener_arn(listener)
        .priority(priority)
        .set_conditions(Some(conditions))
        .actions(fx::forward(tg))
        .send()
        .await
        .expect("create rule");
    out.rules()[0].rule_arn().unwrap().to_string()
}

async fn priorities(elb: &Client, listener: &str) -> Vec<String> {
    let d = elb.describe_rules().listener_arn(listener).send().await.unwrap();
    d.rules().iter().map(|r| r.priority().unwrap().to_string()).collect()
}

#[tokio::test]
async fn create_rule_shapes_conditions_and_tags() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let (lb, l, tg) = setup(&s, &elb).await;
    let header = RuleCondition::builder()
        .field("http-header")
        .http_header_config(HttpHeaderConditionConfig::builder().http_header_name("User-Agent").values("*Mobile*").build())
        .build();
    let query = RuleCondition::builder()
        .field("query-string")
        .query_string_config(
            QueryStringConditionConfig::builder().values(QueryStringKeyValuePair::builder().key("v").value("2").build()).build(),
        )
        .build();
    let source = RuleCondition::builder()
        .field("source-ip")
        .source_ip_config(SourceIpConditionConfig::builder().values("10.0.0.0/8").build())
        .build();
    let out = elb
        .create_rule()
        .listener_arn(&l)
        .priority(10)
        .conditions(host(&["echo.example.com"]))
        .conditions(path(&["/api/*"]))
        .conditions(header)
        .conditions(query)
        .conditions(source)
        .actions(fx::forward(&tg))
        .tags(Tag::builder().key("ingress.k8s.aws/resource").value("80:10").build())
        .send()
        .await
        .unwrap();
    let r = &out.rules()[0];
    let arn = r.rule_arn().unwrap();
    let lb_id = lb.rsplit('/').next().unwrap();
    let l_id = l.rsplit('/').next().unwrap();
    assert!(
        arn.starts_with(&format!("arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/web/{lb_id}/{l_id}/")),
        "{arn}"
    );
    assert_eq!((r.priority(), r.is_default()), (Some("10"), Some(false)));
    let c = r.conditions();
    assert_eq!(c.len(), 5);
    // Host and path conditions read back in both forms, values in request order.
    assert_eq!(c[0].values(), ["echo.example.com"]);
    assert_eq!(c[0].host_header_config().unwrap().values(), ["echo.example.com"]);
    assert_eq!(c[1].path_pattern_config().unwrap().values(), ["/api/*"]);
    assert_eq!(c[2].http_header_config().unwrap().http_header_name(), Some("User-Agent"));
    assert!(c[2].values().is_empty(), "other fields: the config form only");
    assert_eq!(c[3].query_string_config().unwrap().values()[0].key(), Some("v"));
    assert_eq!(c[4].source_ip_config().unwrap().values(), ["10.0.0.0/8"]);
    assert_eq!(r.actions()[0].forward_config().unwrap().target_groups()[0].target_group_arn(), Some(tg.as_str()));
    let tags = elb.describe_tags().resource_arns(arn).send().await.unwrap();
    assert_eq!(tags.tag_descriptions()[0].tags()[0].value(), Some("80:10"));
    // The target group now serves the ALB through the rule.
    let d = elb.describe_target_groups().target_group_arns(&tg).send().await.unwrap();
    assert_eq!(d.target_groups()[0].load_balancer_arns(), std::slice::from_ref(&lb));
    let e = elb.delete_target_group().target_group_arn(&tg).send().await.unwrap_err();
    assert_eq!(code(&e), "ResourceInUse");
    // The legacy form is accepted and reads back the same way.
    let legacy = RuleCondition::builder().field("path-pattern").values("/old").build();
    let out = elb.create_rule().listener_arn(&l).priority(11).conditions(legacy).actions(fixed("410")).send().await.unwrap();
    let c = &out.rules()[0].conditions()[0];
    assert_eq!((c.values(), c.path_pattern_config().unwrap().values()), (&["/old".to_string()][..], &["/old".to_string()][..]));
    let both = RuleCondition::builder()
        .field("host-header")
        .values("a.example.com")
        .host_header_config(HostHeaderConditionConfig::builder().values("a.example.com").build())
        .build();
    let e = elb.create_rule().listener_arn(&l).priority(12).conditions(both).actions(fixed("410")).send().await.unwrap_err();
    assert_eq!(message(&e), "You cannot provide both Values and 'HostHeaderConfig' for a condition of type 'host-header'");
}

#[tokio::test]
async fn describe_rules_orders_by_priority_pages_and_finds_by_arn() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let (_, l, tg) = setup(&s, &elb).await;
    let mut arns = Vec::new();
    for p in [30, 10, 20] {
        arns.push(rule(&elb, &l, p, vec![path(&[&format!("/p{p}")])], &tg).await);
    }
    assert_eq!(priorities(&elb, &l).await, ["10", "20", "30", "default"]);
    let page = elb.describe_rules().listener_arn(&l).page_size(2).send().await.unwrap();
    assert_eq!(page.rules().len(), 2);
    let marker = page.next_marker().expect("a second page");
    let rest = elb.describe_rules().listener_arn(&l).page_size(2).marker(marker).send().await.unwrap();
    assert_eq!(rest.rules().iter().map(|r| r.priority().unwrap()).collect::<Vec<_>>(), ["30", "default"]);
    assert!(rest.next_marker().is_none());
    let by_arn = elb.describe_rules().rule_arns(&arns[0]).send().await.unwrap();
    assert_eq!(by_arn.rules()[0].priority(), Some("30"));
    let missing = arns[0].replace(&arns[0][arns[0].len() - 16..], "0000000000000000");
    let e = elb.describe_rules().rule_arns(missing).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("RuleNotFound".to_string(), "One or more rules not found".to_string()));
}

#[tokio::test]
async fn priorities_are_unique_per_listener_and_swap_atomically() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let (_, l, tg) = setup(&s, &elb).await;
    let a = rule(&elb, &l, 1, vec![path(&["/a"])], &tg).await;
    let b = rule(&elb, &l, 2, vec![path(&["/b"])], &tg).await;
    let e = elb.create_rule().listener_arn(&l).priority(1).conditions(path(&["/c"])).actions(fx::forward(&tg)).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("PriorityInUse".to_string(), "Priority '1' is currently in use".to_string()));
    // A swap in one call is fine; a result with a duplicate is refused and changes nothing.
    let pair = |arn: &str, p: i32| RulePriorityPair::builder().rule_arn(arn).priority(p).build();
    let out = elb.set_rule_priorities().rule_priorities(pair(&a, 2)).rule_priorities(pair(&b, 1)).send().await.unwrap();
    assert_eq!(out.rules().len(), 2);
    let d = elb.describe_rules().listener_arn(&l).send().await.unwrap();
    assert_eq!(d.rules()[0].rule_arn(), Some(b.as_str()));
    let e = elb.set_rule_priorities().rule_priorities(pair(&a, 1)).send().await.unwrap_err();
    assert_eq!(code(&e), "PriorityInUse");
    assert_eq!(priorities(&elb, &l).await, ["1", "2", "default"]);
    // The controller's move-out-of-the-way: to 50000, then delete.
    elb.set_rule_priorities().rule_priorities(pair(&a, 50000)).rule_priorities(pair(&b, 2)).send().await.unwrap();
    elb.delete_rule().rule_arn(&a).send().await.unwrap();
    assert_eq!(priorities(&elb, &l).await, ["2", "default"]);
    let e = elb.delete_rule().rule_arn(&a).send().await.unwrap_err();
    assert_eq!(code(&e), "RuleNotFound");
    // The default rule is the listener's: it cannot be deleted, moved or modified here.
    let default = elb.describe_rules().listener_arn(&l).send().await.unwrap().rules()[1].rule_arn().unwrap().to_string();
    assert_eq!(code(&elb.delete_rule().rule_arn(&default).send().await.unwrap_err()), "OperationNotPermitted");
    assert_eq!(code(&elb.set_rule_priorities().rule_priorities(pair(&default, 5)).send().await.unwrap_err()), "OperationNotPermitted");
    assert_eq!(code(&elb.modify_rule().rule_arn(&default).actions(fixed("200")).send().await.unwrap_err()), "OperationNotPermitted");
}

#[tokio::test]
async fn modify_rule_replaces_only_the_lists_given() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let (_, l, tg) = setup(&s, &elb).await;
    let w = fx::world(&s);
    let other = http_tg(&elb, "other", &w.vpc).await;
    let r = rule(&elb, &l, 5, vec![host(&["a.example.com"])], &tg).await;
    let out = elb.modify_rule().rule_arn(&r).actions(fx::forward(&other)).send().await.unwrap();
    let m = &out.rules()[0];
    assert_eq!(m.priority(), Some("5"));
    assert_eq!(m.conditions()[0].host_header_config().unwrap().values(), ["a.example.com"], "conditions kept");
    assert_eq!(m.actions()[0].target_group_arn(), Some(other.as_str()));
    // The old group is free again, the new one is in use.
    let d = elb.describe_target_groups().target_group_arns(&tg).send().await.unwrap();
    assert!(d.target_groups()[0].load_balancer_arns().is_empty());
    elb.delete_target_group().target_group_arn(&tg).send().await.expect("no longer in use");
    let out = elb.modify_rule().rule_arn(&r).conditions(path(&["/x"])).reset_transforms(true).send().await.unwrap();
    assert_eq!(out.rules()[0].conditions()[0].field(), Some("path-pattern"));
    let e = elb.modify_rule().rule_arn(r.replace(&r[r.len() - 16..], "0000000000000000")).actions(fixed("200")).send().await.unwrap_err();
    assert_eq!(code(&e), "RuleNotFound");
}

#[tokio::test]
async fn rule_quota_counts_all_listeners_and_refuses_the_next_rule() {
    let s = common::start_with(fx::config(&[("rules-per-application-load-balancer", 3)], RegionSettings::default())).await;
    let elb = s.elbv2().await;
    let (lb, l, tg) = setup(&s, &elb).await;
    let l2 = http_listener(&elb, &lb, 8080, fixed("404")).await;
    rule(&elb, &l, 1, vec![path(&["/1"])], &tg).await;
    rule(&elb, &l, 2, vec![path(&["/2"])], &tg).await;
    rule(&elb, &l2, 1, vec![path(&["/3"])], &tg).await;
    let e = elb.create_rule().listener_arn(&l2).priority(2).conditions(path(&["/4"])).actions(fx::forward(&tg)).send().await.unwrap_err();
    assert_eq!(code(&e), "TooManyRules");
    assert_eq!(message(&e), format!("The maximum number of rules on load balancer '{lb}' has been reached"));
    assert_eq!(priorities(&elb, &l2).await, ["1", "default"], "nothing half-applied");
    let limits = elb.describe_account_limits().send().await.unwrap();
    let max = limits.limits().iter().find(|x| x.name() == Some("rules-per-application-load-balancer")).and_then(|x| x.max());
    assert_eq!(max, Some("3"));
    let (status, usage) = s.admin("GET", "/_lbsim/usage", None).await;
    assert_eq!(status, 200);
    let text = usage.to_string();
    assert!(text.contains("rules-per-application-load-balancer"), "{text}");
    // Deleting the listener takes its rules with it.
    elb.delete_listener().listener_arn(&l).send().await.unwrap();
    rule(&elb, &l2, 2, vec![path(&["/4"])], &tg).await;
}

#[tokio::test]
async fn condition_value_and_wildcard_quotas() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let (_, l, tg) = setup(&s, &elb).await;
    let create =
        |c: Vec<RuleCondition>, p: i32| elb.create_rule().listener_arn(&l).priority(p).set_conditions(Some(c)).actions(fx::forward(&tg));
    let e =
        create(vec![host(&["a.example.com", "b.example.com", "c.example.com"]), path(&["/a", "/b", "/c"])], 1).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("ValidationError".to_string(), "A rule can only have '5' condition values".to_string()));
    let e = create(vec![path(&["/*/*/*/*", "/??"])], 1).send().await.unwrap_err();
    assert_eq!(message(&e), "A rule can only have '5' wildcards");
    let e = create(vec![path(&["/a"]), path(&["/b"])], 1).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError", "one path-pattern condition per rule");
    create(vec![host(&["*.example.com"]), path(&["/api", "/api/*"])], 1).send().await.expect("five values, two wildcards");
}

#[tokio::test]
async fn target_group_limits_of_rules() {
    let s = common::start_with(fx::config(
        &[("target-groups-per-action-on-application-load-balancer", 2), ("target-groups-per-application-load-balancer", 3)],
        RegionSettings::default(),
    ))
    .await;
    let elb = s.elbv2().await;
    let (_, l, tg) = setup(&s, &elb).await;
    let w = fx::world(&s);
    let mut tgs = vec![tg.clone()];
    for i in 0..3 {
        tgs.push(http_tg(&elb, &format!("t{i}"), &w.vpc).await);
    }
    let weighted = |arns: &[&String]| {
        let mut f = ForwardActionConfig::builder();
        for a in arns {
            f = f.target_groups(TargetGroupTuple::builder().target_group_arn(*a).weight(1).build());
        }
        Action::builder().r#type(ActionTypeEnum::Forward).forward_config(f.build()).build()
    };
    let e = elb
        .create_rule()
        .listener_arn(&l)
        .priority(1)
        .conditions(path(&["/a"]))
        .actions(weighted(&[&tgs[0], &tgs[1], &tgs[2]]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "TooManyTargetGroups");
    elb.create_rule().listener_arn(&l).priority(1).conditions(path(&["/a"])).actions(weighted(&[&tgs[0], &tgs[1]])).send().await.unwrap();
    rule(&elb, &l, 2, vec![path(&["/b"])], &tgs[2]).await;
    let e =
        elb.create_rule().listener_arn(&l).priority(3).conditions(path(&["/c"])).actions(fx::forward(&tgs[3])).send().await.unwrap_err();
    assert_eq!(code(&e), "TooManyUniqueTargetGroupsPerLoadBalancer");
    // A group already used by the ALB does not count again.
    rule(&elb, &l, 3, vec![path(&["/c"])], &tgs[0]).await;
    // A group of another load balancer cannot be used.
    let other = alb(&elb, "other", &[&w.subnets[0].0, &w.subnets[1].0], &[]).await;
    let e = elb
        .create_listener()
        .load_balancer_arn(other.load_balancer_arn().unwrap())
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(fx::forward(&tgs[0]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "TargetGroupAssociationLimit");
}

#[tokio::test]
async fn rules_exist_on_alb_listeners_only() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let nlb = fx::nlb(&elb, "n", &[&w.subnets[0].0], &[]).await;
    let tcp = fx::tg(&elb, "tcp", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let l = fx::listener(&elb, nlb.load_balancer_arn().unwrap(), ProtocolEnum::Tcp, 80, &tcp).await;
    let e = elb.create_rule().listener_arn(&l).priority(1).conditions(path(&["/a"])).actions(fx::forward(&tcp)).send().await.unwrap_err();
    assert_eq!(code(&e), "UnsupportedProtocol");
    let e = elb
        .create_rule()
        .listener_arn(l.replace(&l[l.len() - 16..], "0000000000000000"))
        .priority(1)
        .conditions(path(&["/a"]))
        .actions(fx::forward(&tcp))
        .send()
        .await;
    assert_eq!(code(&e.unwrap_err()), "ListenerNotFound");
}

#[tokio::test]
async fn actions_per_rule_targets_per_alb_and_deletion() {
    let s = common::start_with(fx::config(&[("targets-per-application-load-balancer", 2)], fx::fast())).await;
    let elb = s.elbv2().await;
    let (lb, l, tg) = setup(&s, &elb).await;
    // One routing action per rule (no authentication actions here).
    let e = elb
        .create_rule()
        .listener_arn(&l)
        .priority(1)
        .conditions(path(&["/a"]))
        .actions(fx::forward(&tg))
        .actions(fixed("200"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "TooManyActions");
    // The ALB's target quota counts the groups its rules forward to.
    let w = fx::world(&s);
    let ids: Vec<String> = (0..3).map(|_| fx::add_instance(&s, &w.subnets[0].0, lbsim::state::ec2::InstanceState::Running)).collect();
    rule(&elb, &l, 1, vec![path(&["/a"])], &tg).await;
    elb.register_targets().target_group_arn(&tg).targets(fx::target(&ids[0])).targets(fx::target(&ids[1])).send().await.unwrap();
    let e = elb.register_targets().target_group_arn(&tg).targets(fx::target(&ids[2])).send().await.unwrap_err();
    assert_eq!(code(&e), "TooManyTargets");
    let health = fx::health(&elb, &tg).await;
    assert!(health.iter().all(|(_, state, _)| state == "healthy"), "{health:?}");
    // Deleting the ALB takes listeners and rules with it and frees the group.
    let r = elb.describe_rules().listener_arn(&l).send().await.unwrap().rules()[0].rule_arn().unwrap().to_string();
    elb.delete_load_balancer().load_balancer_arn(&lb).send().await.unwrap();
    assert_eq!(code(&elb.describe_rules().rule_arns(&r).send().await.unwrap_err()), "RuleNotFound");
    assert_eq!(code(&elb.describe_tags().resource_arns(&r).send().await.unwrap_err()), "RuleNotFound");
    elb.delete_target_group().target_group_arn(&tg).send().await.expect("no longer in use");
}
