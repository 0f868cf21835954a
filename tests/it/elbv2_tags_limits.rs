//! ELBv2 tags (AddTags, RemoveTags, DescribeTags on every taggable kind, their limits and
//! not-found codes), DescribeAccountLimits, the Query error envelope, and the admin dump and
//! quota usage of the ELBv2 state.

use crate::common;
use crate::common::elbv2 as fx;

use aws_sdk_elasticloadbalancingv2::types::{LoadBalancerTypeEnum, ProtocolEnum, Tag, TargetTypeEnum};
use common::{code, message};
use lbsim::state::RegionSettings;

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

#[tokio::test]
async fn tags_on_every_kind() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap().to_string();
    let tg = fx::tg(&elb, "tg", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let l = fx::listener(&elb, &lb_arn, ProtocolEnum::Tcp, 80, &tg).await;
    let rules = elb.describe_rules().listener_arn(&l).send().await.unwrap();
    let rule = rules.rules()[0].rule_arn().unwrap().to_string();
    let all = [lb_arn.clone(), tg.clone(), l.clone(), rule.clone()];
    let mut add = elb.add_tags().tags(tag("team", "a")).tags(tag("env", "dev"));
    for a in &all {
        add = add.resource_arns(a);
    }
    add.send().await.unwrap();
    // AddTags overwrites existing keys.
    elb.add_tags().resource_arns(&tg).tags(tag("env", "prod")).send().await.unwrap();
    let mut d = elb.describe_tags();
    for a in &all {
        d = d.resource_arns(a);
    }
    let out = d.send().await.unwrap();
    assert_eq!(out.tag_descriptions().len(), 4);
    for (desc, arn) in out.tag_descriptions().iter().zip(&all) {
        assert_eq!(desc.resource_arn(), Some(arn.as_str()));
        let tags: Vec<(&str, &str)> = desc.tags().iter().map(|t| (t.key().unwrap(), t.value().unwrap())).collect();
        let env = if *arn == tg { "prod" } else { "dev" };
        assert_eq!(tags, [("team", "a"), ("env", env)]);
    }
    elb.remove_tags().resource_arns(&lb_arn).resource_arns(&rule).tag_keys("team").tag_keys("absent").send().await.unwrap();
    let out = elb.describe_tags().resource_arns(&lb_arn).resource_arns(&rule).send().await.unwrap();
    for desc in out.tag_descriptions() {
        assert_eq!(desc.tags().len(), 1);
        assert_eq!(desc.tags()[0].key(), Some("env"));
    }
}

#[tokio::test]
async fn tag_errors_and_atomicity() {
    let s = common::start_with(fx::config(&[("elbv2-tags-per-resource", 2)], RegionSettings::default())).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap().to_string();
    let tg = fx::tg(&elb, "tg", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let l = fx::listener(&elb, &lb_arn, ProtocolEnum::Tcp, 80, &tg).await;
    let e = elb.add_tags().resource_arns(&lb_arn).tags(tag("k", "1")).tags(tag("k", "2")).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("DuplicateTagKeys".into(), "A tag key was specified more than once.".into()));
    elb.add_tags().resource_arns(&lb_arn).tags(tag("a", "1")).tags(tag("b", "2")).send().await.unwrap();
    let e = elb.add_tags().resource_arns(&lb_arn).tags(tag("c", "3")).send().await.unwrap_err();
    assert_eq!(code(&e), "TooManyTags");
    // Overwriting an existing key does not add one.
    elb.add_tags().resource_arns(&lb_arn).tags(tag("a", "9")).send().await.unwrap();
    let missing = [
        (lb_arn.replace("/lb/", "/zz/"), "LoadBalancerNotFound"),
        (tg.replace("/tg/", "/zz/"), "TargetGroupNotFound"),
        (l.replace(&l[l.len() - 4..], "0000"), "ListenerNotFound"),
        (format!("arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/net/lb/{}", "0".repeat(50)), "RuleNotFound"),
    ];
    for (arn, want) in &missing {
        // A bad ARN anywhere in the list changes nothing on the good ones.
        let e = elb.add_tags().resource_arns(&tg).resource_arns(arn).tags(tag("x", "1")).send().await.unwrap_err();
        assert_eq!(code(&e), *want, "{arn}");
        assert_eq!(code(&elb.describe_tags().resource_arns(arn).send().await.unwrap_err()), *want);
        assert_eq!(code(&elb.remove_tags().resource_arns(arn).tag_keys("x").send().await.unwrap_err()), *want);
    }
    let out = elb.describe_tags().resource_arns(&tg).send().await.unwrap();
    assert!(out.tag_descriptions()[0].tags().is_empty());
    assert_eq!(code(&elb.describe_tags().resource_arns("arn:aws:s3:::bucket").send().await.unwrap_err()), "ValidationError");
    let mut many = elb.describe_tags();
    for _ in 0..21 {
        many = many.resource_arns(&lb_arn);
    }
    assert_eq!(code(&many.send().await.unwrap_err()), "ValidationError", "at most 20 ARNs");
    let e = elb.add_tags().resource_arns(&lb_arn).tags(tag("aws:reserved", "1")).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let e = elb.add_tags().resource_arns(&lb_arn).tags(tag("bad#key", "1")).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    // Creates check the same limits.
    let e = elb
        .create_load_balancer()
        .name("tagged")
        .r#type(LoadBalancerTypeEnum::Network)
        .subnets(&w.subnets[0].0)
        .tags(tag("a", "1"))
        .tags(tag("b", "1"))
        .tags(tag("c", "1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "TooManyTags");
    let e = elb
        .create_target_group()
        .name("tagged")
        .protocol(ProtocolEnum::Tcp)
        .port(1)
        .vpc_id(&w.vpc)
        .tags(tag("a", "1"))
        .tags(tag("a", "2"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "DuplicateTagKeys");
}

#[tokio::test]
async fn account_limits_show_configured_quotas() {
    let quotas = [("network-load-balancers", 7), ("target-groups", 11), ("listeners-per-network-load-balancer", 3)];
    let s = common::start_with(fx::config(&quotas, RegionSettings::default())).await;
    let elb = s.elbv2().await;
    let out = elb.describe_account_limits().send().await.unwrap();
    let get = |n: &str| out.limits().iter().find(|l| l.name() == Some(n)).and_then(|l| l.max().map(String::from));
    assert_eq!(get("network-load-balancers").as_deref(), Some("7"));
    assert_eq!(get("target-groups").as_deref(), Some("11"));
    assert_eq!(get("listeners-per-network-load-balancer").as_deref(), Some("3"));
    assert_eq!(get("targets-per-network-load-balancer").as_deref(), Some("3000"));
    assert_eq!(get("targets-per-availability-zone-per-network-load-balancer").as_deref(), Some("500"));
    assert_eq!(get("application-load-balancers").as_deref(), Some("50"));
    assert_eq!(get("target-groups-per-action-on-network-load-balancer").as_deref(), Some("1"));
    assert_eq!(get("geneve-target-groups").as_deref(), Some("100"));
    let p1 = elb.describe_account_limits().page_size(5).send().await.unwrap();
    assert_eq!(p1.limits().len(), 5);
    let p2 = elb.describe_account_limits().page_size(5).marker(p1.next_marker().unwrap()).send().await.unwrap();
    assert_eq!(p2.limits()[0].name(), out.limits()[5].name());
}

#[tokio::test]
async fn query_error_envelope_and_unknown_actions() {
    let s = common::start().await;
    let auth = "AWS4-HMAC-SHA256 Credential=test/20250115/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=0";
    let (status, body) = s.post(&[("Authorization", auth)], "Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=ghost").await;
    assert_eq!(status, 400);
    assert!(
        body.starts_with(
            "<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><Error><Type>Sender</Type><Code>LoadBalancerNotFound</Code><Message>Load balancers &apos;[ghost]&apos; not found</Message>"
        ),
        "{body}"
    );
    let (status, body) = s.post(&[("Authorization", auth)], "Action=DescribeAccountLimits&Version=2015-12-01&PageSize=1").await;
    assert_eq!(status, 200);
    assert!(body.contains("<DescribeAccountLimitsResult><Limits><member><Name>application-load-balancers</Name><Max>50</Max></member></Limits><NextMarker>"), "{body}");
    let (status, body) = s.post(&[("Authorization", auth)], "Action=CreateLoadBalancerPolicy&Version=2015-12-01").await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");
}

#[tokio::test]
async fn admin_dump_and_usage() {
    let s = common::start_with(fx::config(&[], fx::fast())).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0, &w.subnets[1].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap().to_string();
    let tg = fx::tg(&elb, "tg", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    fx::listener(&elb, &lb_arn, ProtocolEnum::Tcp, 80, &tg).await;
    elb.register_targets()
        .target_group_arn(&tg)
        .targets(fx::target("172.31.0.10"))
        .targets(fx::target("172.31.16.10"))
        .send()
        .await
        .unwrap();
    let (dump, usage) = s.app.store.with_region(fx::ACCOUNT, fx::REGION, |r| (r.elb().dump(), r.elb().usage(&r.quotas)));
    assert_eq!(dump["load_balancers"][0]["arn"], lb_arn.as_str());
    assert_eq!(dump["load_balancers"][0]["subnets"].as_array().unwrap().len(), 2);
    assert_eq!(dump["target_groups"][0]["load_balancer"], lb_arn.as_str());
    assert_eq!(dump["target_groups"][0]["targets"].as_array().unwrap().len(), 2);
    assert_eq!(dump["listeners"][0]["port"], 80);
    let row = |name: &str, scope: &str| usage.iter().find(|r| r.0 == name && r.1 == scope).map(|r| (r.2, r.3));
    assert_eq!(row("network-load-balancers", "region"), Some((1, 50)));
    assert_eq!(row("target-groups", "region"), Some((1, 3000)));
    assert_eq!(row("listeners-per-network-load-balancer", &lb_arn), Some((1, 50)));
    assert_eq!(row("targets-per-network-load-balancer", &lb_arn), Some((2, 3000)));
    assert_eq!(row("targets-per-target-group", &tg), Some((2, 1000)));
    let zone_a = format!("{lb_arn}/{}", w.subnets[0].1);
    assert_eq!(row("targets-per-availability-zone-per-network-load-balancer", &zone_a), Some((1, 500)));
}
