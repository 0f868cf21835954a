//! Target groups through aws-sdk-elasticloadbalancingv2: create (NLB defaults, idempotency,
//! validation, refused types, quota), describe, modify, delete (ResourceInUse), attributes.

use crate::common;
use crate::common::elbv2 as fx;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, Matcher, ProtocolEnum, TargetGroupAttribute, TargetGroupTuple, TargetTypeEnum,
};
use common::{code, message};
use lbsim::state::RegionSettings;

#[tokio::test]
async fn create_target_group_shapes_and_defaults() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let out = elb
        .create_target_group()
        .name("my-tg")
        .protocol(ProtocolEnum::Tcp)
        .port(80)
        .vpc_id(&w.vpc)
        .target_type(TargetTypeEnum::Instance)
        .send()
        .await
        .unwrap();
    let tg = &out.target_groups()[0];
    let arn = tg.target_group_arn().unwrap();
    let id = arn.strip_prefix("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/my-tg/").expect(arn);
    assert!(id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(tg.target_group_name(), Some("my-tg"));
    assert_eq!(tg.protocol(), Some(&ProtocolEnum::Tcp));
    assert_eq!(tg.port(), Some(80));
    assert_eq!(tg.vpc_id(), Some(w.vpc.as_str()));
    assert_eq!(tg.health_check_protocol(), Some(&ProtocolEnum::Tcp));
    assert_eq!(tg.health_check_port(), Some("traffic-port"));
    assert_eq!(tg.health_check_enabled(), Some(true));
    assert_eq!(tg.health_check_interval_seconds(), Some(30));
    assert_eq!(tg.health_check_timeout_seconds(), Some(10));
    assert_eq!(tg.healthy_threshold_count(), Some(5));
    assert_eq!(tg.unhealthy_threshold_count(), Some(2));
    assert!(tg.health_check_path().is_none() && tg.matcher().is_none());
    assert!(tg.load_balancer_arns().is_empty());
    assert_eq!(tg.target_type(), Some(&TargetTypeEnum::Instance));
    assert_eq!(tg.ip_address_type().map(|t| t.as_str()), Some("ipv4"));
    // An HTTP health check gets AWS's HTTP defaults.
    let out = elb
        .create_target_group()
        .name("http-hc")
        .protocol(ProtocolEnum::Tcp)
        .port(8080)
        .vpc_id(&w.vpc)
        .target_type(TargetTypeEnum::Ip)
        .health_check_protocol(ProtocolEnum::Http)
        .health_check_interval_seconds(10)
        .send()
        .await
        .unwrap();
    let tg = &out.target_groups()[0];
    assert_eq!(tg.health_check_path(), Some("/"));
    assert_eq!(tg.matcher().and_then(|m| m.http_code()), Some("200-399"));
    assert_eq!(tg.health_check_timeout_seconds(), Some(6));
}

#[tokio::test]
async fn create_is_idempotent_and_refuses_other_settings() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let a = fx::tg(&elb, "same", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let b = fx::tg(&elb, "same", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    assert_eq!(a, b);
    let e = elb.create_target_group().name("same").protocol(ProtocolEnum::Udp).port(80).vpc_id(&w.vpc).send().await.unwrap_err();
    assert_eq!(code(&e), "DuplicateTargetGroupName");
    assert_eq!(message(&e), "A target group with the same name 'same' exists, but with different settings");
}

#[tokio::test]
async fn create_validation() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let base = || elb.create_target_group().name("v").protocol(ProtocolEnum::Tcp).port(80).vpc_id(&w.vpc);
    let e = elb.create_target_group().name("v").port(80).vpc_id(&w.vpc).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("ValidationError".into(), "A protocol must be specified".into()));
    let e = elb.create_target_group().name("v").protocol(ProtocolEnum::Tcp).vpc_id(&w.vpc).send().await.unwrap_err();
    assert_eq!(message(&e), "A port must be specified");
    let e = elb.create_target_group().name("v").protocol(ProtocolEnum::Tcp).port(80).send().await.unwrap_err();
    assert_eq!(message(&e), "A VPC ID must be specified");
    let e =
        elb.create_target_group().name("v").protocol(ProtocolEnum::Tcp).port(80).vpc_id("vpc-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("ValidationError".into(), "The VPC ID 'vpc-0123456789abcdef0' is not found".into()));
    let e = base().name("x".repeat(33)).send().await.unwrap_err();
    assert_eq!(message(&e), format!("Target group name '{}' cannot be longer than '32' characters", "x".repeat(33)));
    let e = base().name("a.b").send().await.unwrap_err();
    assert_eq!(message(&e), "Target group name 'a.b' can only contain characters that are alphanumeric characters or hyphens(-)");
    let e = base().name("a-").send().await.unwrap_err();
    assert_eq!(message(&e), "Target group name 'a-' cannot begin or end with '-'");
    let e = base().port(0).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let e = base().health_check_interval_seconds(4).send().await.unwrap_err();
    assert_eq!(
        message(&e),
        "1 validation error detected: Value '4' at 'healthCheckIntervalSeconds' failed to satisfy constraint: Member must have value greater than or equal to 5"
    );
    assert_eq!(code(&base().health_check_timeout_seconds(121).send().await.unwrap_err()), "ValidationError");
    assert_eq!(code(&base().healthy_threshold_count(11).send().await.unwrap_err()), "ValidationError");
    assert_eq!(code(&base().unhealthy_threshold_count(1).send().await.unwrap_err()), "ValidationError");
    assert_eq!(code(&base().health_check_protocol(ProtocolEnum::Udp).send().await.unwrap_err()), "ValidationError");
    assert_eq!(code(&base().health_check_enabled(false).send().await.unwrap_err()), "ValidationError");
    assert_eq!(code(&base().health_check_path("/x").send().await.unwrap_err()), "ValidationError", "path needs an HTTP check");
    assert_eq!(code(&base().health_check_port("nope").send().await.unwrap_err()), "ValidationError");
    assert_eq!(
        code(&base().health_check_interval_seconds(10).health_check_timeout_seconds(20).send().await.unwrap_err()),
        "ValidationError"
    );
    let bad_matcher = base().health_check_protocol(ProtocolEnum::Http).matcher(Matcher::builder().http_code("100").build());
    assert_eq!(code(&bad_matcher.send().await.unwrap_err()), "ValidationError");
    // Protocols and target types of Gateway Load Balancers and Lambda are refused clearly.
    let e = base().protocol(ProtocolEnum::Geneve).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    assert!(message(&e).contains("not emulated"));
    let e = elb.create_target_group().name("fn").target_type(TargetTypeEnum::Lambda).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    assert!(elb.describe_target_groups().send().await.unwrap().target_groups().is_empty());
}

#[tokio::test]
async fn target_group_quota() {
    let s = common::start_with(fx::config(&[("target-groups", 2)], RegionSettings::default())).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    fx::tg(&elb, "a", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    fx::tg(&elb, "b", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let e = elb.create_target_group().name("c").protocol(ProtocolEnum::Tcp).port(80).vpc_id(&w.vpc).send().await.unwrap_err();
    assert_eq!(code(&e), "TooManyTargetGroups");
}

#[tokio::test]
async fn describe_target_groups_every_way() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let a = fx::tg(&elb, "a", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let b = fx::tg(&elb, "b", &w.vpc, ProtocolEnum::Udp, TargetTypeEnum::Ip).await;
    let c = fx::tg(&elb, "c", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Instance).await;
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap();
    fx::listener(&elb, lb_arn, ProtocolEnum::Udp, 53, &b).await;
    let by_lb = elb.describe_target_groups().load_balancer_arn(lb_arn).send().await.unwrap();
    assert_eq!(by_lb.target_groups().len(), 1);
    assert_eq!(by_lb.target_groups()[0].target_group_arn(), Some(b.as_str()));
    assert_eq!(by_lb.target_groups()[0].load_balancer_arns(), [lb_arn.to_string()]);
    let by_name = elb.describe_target_groups().names("c").names("a").send().await.unwrap();
    let arns: Vec<_> = by_name.target_groups().iter().map(|t| t.target_group_arn().unwrap()).collect();
    assert_eq!(arns, [c.as_str(), a.as_str()]);
    let e = elb.describe_target_groups().names("nope").send().await.unwrap_err();
    assert_eq!(code(&e), "TargetGroupNotFound");
    let by_arn = elb.describe_target_groups().target_group_arns(&a).send().await.unwrap();
    assert_eq!(by_arn.target_groups()[0].target_group_name(), Some("a"));
    let e = elb.describe_target_groups().target_group_arns(a.replace("/a/", "/zz/")).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("TargetGroupNotFound".into(), "One or more target groups not found".into()));
    let e = elb.describe_target_groups().load_balancer_arn(lb_arn.replace("/lb/", "/no/")).send().await.unwrap_err();
    assert_eq!(code(&e), "LoadBalancerNotFound");
    let e = elb.describe_target_groups().names("a").target_group_arns(&a).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let p1 = elb.describe_target_groups().page_size(2).send().await.unwrap();
    assert_eq!(p1.target_groups().len(), 2);
    let p2 = elb.describe_target_groups().page_size(2).marker(p1.next_marker().unwrap()).send().await.unwrap();
    assert_eq!(p2.target_groups()[0].target_group_arn(), Some(c.as_str()));
    assert!(p2.next_marker().is_none());
}

#[tokio::test]
async fn modify_target_group_health_checks() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let tg = fx::tg(&elb, "m", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let out = elb
        .modify_target_group()
        .target_group_arn(&tg)
        .health_check_protocol(ProtocolEnum::Http)
        .health_check_path("/healthz")
        .health_check_port("10256")
        .health_check_interval_seconds(10)
        .health_check_timeout_seconds(6)
        .healthy_threshold_count(2)
        .unhealthy_threshold_count(2)
        .matcher(Matcher::builder().http_code("200-399").build())
        .send()
        .await
        .unwrap();
    let t = &out.target_groups()[0];
    assert_eq!(t.health_check_protocol(), Some(&ProtocolEnum::Http));
    assert_eq!(t.health_check_path(), Some("/healthz"));
    assert_eq!(t.health_check_port(), Some("10256"));
    assert_eq!((t.health_check_interval_seconds(), t.health_check_timeout_seconds()), (Some(10), Some(6)));
    assert_eq!(t.healthy_threshold_count(), Some(2));
    let back = elb.modify_target_group().target_group_arn(&tg).health_check_protocol(ProtocolEnum::Tcp).send().await.unwrap();
    assert!(back.target_groups()[0].health_check_path().is_none(), "a TCP check has no path");
    let e = elb.modify_target_group().target_group_arn(&tg).health_check_interval_seconds(400).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let e = elb.modify_target_group().target_group_arn(tg.replace("/m/", "/n/")).healthy_threshold_count(3).send().await.unwrap_err();
    assert_eq!(code(&e), "TargetGroupNotFound");
}

#[tokio::test]
async fn delete_target_group_in_use() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let plain = fx::tg(&elb, "plain", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let weighted = fx::tg(&elb, "weighted", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap();
    let l1 = fx::listener(&elb, lb_arn, ProtocolEnum::Tcp, 80, &plain).await;
    let fc =
        ForwardActionConfig::builder().target_groups(TargetGroupTuple::builder().target_group_arn(&weighted).weight(1).build()).build();
    let l2 = elb
        .create_listener()
        .load_balancer_arn(lb_arn)
        .protocol(ProtocolEnum::Tcp)
        .port(81)
        .default_actions(Action::builder().r#type(ActionTypeEnum::Forward).forward_config(fc).build())
        .send()
        .await
        .unwrap();
    let l2 = l2.listeners()[0].listener_arn().unwrap().to_string();
    for (tg, l) in [(&plain, &l1), (&weighted, &l2)] {
        let e = elb.delete_target_group().target_group_arn(tg).send().await.unwrap_err();
        assert_eq!(code(&e), "ResourceInUse");
        assert_eq!(message(&e), format!("Target group '{tg}' is currently in use by a listener or a rule"));
        elb.delete_listener().listener_arn(l).send().await.unwrap();
        elb.delete_target_group().target_group_arn(tg).send().await.unwrap();
    }
    assert!(elb.describe_target_groups().send().await.unwrap().target_groups().is_empty());
    // An unknown (well-formed) target group deletes quietly [unverified]; garbage does not.
    elb.delete_target_group().target_group_arn(&plain).send().await.unwrap();
    assert_eq!(code(&elb.delete_target_group().target_group_arn("x").send().await.unwrap_err()), "ValidationError");
}

#[tokio::test]
async fn target_group_attributes() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let ip_tcp = fx::tg(&elb, "ip-tcp", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let udp = fx::tg(&elb, "udp", &w.vpc, ProtocolEnum::Udp, TargetTypeEnum::Instance).await;
    let get = |a: &[TargetGroupAttribute], k: &str| a.iter().find(|x| x.key() == Some(k)).and_then(|x| x.value().map(String::from));
    let d = elb.describe_target_group_attributes().target_group_arn(&ip_tcp).send().await.unwrap();
    assert_eq!(get(d.attributes(), "deregistration_delay.timeout_seconds").as_deref(), Some("300"));
    assert_eq!(get(d.attributes(), "preserve_client_ip.enabled").as_deref(), Some("false"), "ip targets over TCP");
    assert_eq!(get(d.attributes(), "proxy_protocol_v2.enabled").as_deref(), Some("false"));
    assert_eq!(get(d.attributes(), "stickiness.type").as_deref(), Some("source_ip"));
    assert_eq!(get(d.attributes(), "load_balancing.cross_zone.enabled").as_deref(), Some("use_load_balancer_configuration"));
    let d = elb.describe_target_group_attributes().target_group_arn(&udp).send().await.unwrap();
    assert_eq!(get(d.attributes(), "deregistration_delay.connection_termination.enabled").as_deref(), Some("true"));
    assert_eq!(get(d.attributes(), "preserve_client_ip.enabled").as_deref(), Some("true"));
    let attr = |k: &str, v: &str| TargetGroupAttribute::builder().key(k).value(v).build();
    let m = elb
        .modify_target_group_attributes()
        .target_group_arn(&ip_tcp)
        .attributes(attr("deregistration_delay.timeout_seconds", "30"))
        .attributes(attr("proxy_protocol_v2.enabled", "true"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(m.attributes(), "deregistration_delay.timeout_seconds").as_deref(), Some("30"));
    assert_eq!(get(m.attributes(), "proxy_protocol_v2.enabled").as_deref(), Some("true"));
    assert_eq!(get(m.attributes(), "stickiness.enabled").as_deref(), Some("false"), "untouched keys stay");
    let modify = |tg: &str, k: &str, v: &str| elb.modify_target_group_attributes().target_group_arn(tg).attributes(attr(k, v)).send();
    assert_eq!(code(&modify(&ip_tcp, "deregistration_delay.timeout_seconds", "3601").await.unwrap_err()), "ValidationError");
    assert_eq!(code(&modify(&ip_tcp, "stickiness.type", "lb_cookie").await.unwrap_err()), "ValidationError");
    assert_eq!(code(&modify(&ip_tcp, "slow_start.duration_seconds", "30").await.unwrap_err()), "ValidationError", "ALB-only key");
    assert_eq!(code(&modify(&udp, "preserve_client_ip.enabled", "false").await.unwrap_err()), "InvalidConfigurationRequest");
    assert_eq!(
        code(&modify(&ip_tcp, "target_health_state.unhealthy.draining_interval_seconds", "10").await.unwrap_err()),
        "InvalidConfigurationRequest",
        "only settable with connection termination off"
    );
    let e = elb.describe_target_group_attributes().target_group_arn(ip_tcp.replace("ip-tcp", "nope")).send().await.unwrap_err();
    assert_eq!(code(&e), "TargetGroupNotFound");
}
