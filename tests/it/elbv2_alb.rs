//! Application Load Balancers through aws-sdk-elasticloadbalancingv2: create (the default type,
//! ARNs, DNS names, two zones, the VPC's default group, idempotency, quota), interfaces that
//! carry the groups (DeleteSecurityGroup refused), SetSecurityGroups, SetSubnets, attributes,
//! HTTP/HTTPS target groups with their health-check defaults, HTTP/HTTPS listeners with
//! redirect, fixed-response and weighted forward actions, and the NLB/ALB split of target groups.

use crate::common;
use crate::common::elbv2 as fx;

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, ForwardActionConfig, LoadBalancerSchemeEnum, LoadBalancerTypeEnum,
    ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum, TargetGroupStickinessConfig, TargetGroupTuple, TargetTypeEnum,
};
use common::{code, message};
use lbsim::state::RegionSettings;

const CERT: &str = "arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555";

pub async fn alb(elb: &Client, name: &str, subnets: &[&str], sgs: &[&str]) -> aws_sdk_elasticloadbalancingv2::types::LoadBalancer {
    let mut req = elb.create_load_balancer().name(name).scheme(LoadBalancerSchemeEnum::Internal);
    for s in subnets {
        req = req.subnets(*s);
    }
    for g in sgs {
        req = req.security_groups(*g);
    }
    req.send().await.expect("create ALB").load_balancers()[0].clone()
}

pub async fn http_tg(elb: &Client, name: &str, vpc: &str) -> String {
    fx::tg(elb, name, vpc, ProtocolEnum::Http, TargetTypeEnum::Instance).await
}

pub fn fixed(status: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::FixedResponse)
        .fixed_response_config(FixedResponseActionConfig::builder().status_code(status).content_type("text/plain").build())
        .build()
}

pub async fn http_listener(elb: &Client, lb: &str, port: i32, action: Action) -> String {
    let out = elb.create_listener().load_balancer_arn(lb).protocol(ProtocolEnum::Http).port(port).default_actions(action).send().await;
    out.expect("create HTTP listener").listeners()[0].listener_arn().unwrap().to_string()
}

#[tokio::test]
async fn create_alb_is_the_default_type_with_its_own_arn_dns_and_default_group() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let out = elb.create_load_balancer().name("web").subnets(&w.subnets[0].0).subnets(&w.subnets[1].0).send().await.unwrap();
    let lb = &out.load_balancers()[0];
    let arn = lb.load_balancer_arn().unwrap();
    let id = arn.strip_prefix("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/").expect(arn);
    assert!(id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(lb.r#type(), Some(&LoadBalancerTypeEnum::Application));
    assert_eq!(lb.scheme(), Some(&LoadBalancerSchemeEnum::InternetFacing));
    let dns = lb.dns_name().unwrap();
    let digits = dns.strip_prefix("web-").and_then(|d| d.strip_suffix(".us-east-1.elb.amazonaws.com")).expect(dns);
    assert!(!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()), "{dns}");
    assert_eq!(lb.canonical_hosted_zone_id(), Some("Z35SXDOTRQ7X7K"));
    // No groups given: the VPC's default group, on the load balancer and its interfaces.
    assert_eq!(lb.security_groups(), std::slice::from_ref(&w.default_sg));
    assert_eq!(lb.availability_zones().len(), 2);
    assert!(lb.enforce_security_group_inbound_rules_on_private_link_traffic().is_none());
    let ec2 = s.ec2().await;
    let enis = ec2
        .describe_network_interfaces()
        .filters(aws_sdk_ec2::types::Filter::builder().name("description").values(format!("ELB app/web/{id}")).build())
        .send()
        .await
        .unwrap();
    assert_eq!(enis.network_interfaces().len(), 2);
    for e in enis.network_interfaces() {
        assert_eq!(e.requester_managed(), Some(true));
        assert_eq!(e.groups()[0].group_id(), Some(w.default_sg.as_str()));
    }
    // Internal ones get the `internal-` prefix; the same request again is the same ALB.
    let internal = alb(&elb, "inner", &[&w.subnets[0].0, &w.subnets[1].0], &[]).await;
    assert!(internal.dns_name().unwrap().starts_with("internal-inner-"));
    let again = alb(&elb, "inner", &[&w.subnets[0].0, &w.subnets[1].0], &[]).await;
    assert_eq!(again.load_balancer_arn(), internal.load_balancer_arn());
    let e = elb.create_load_balancer().name("inner").subnets(&w.subnets[0].0).subnets(&w.subnets[2].0).send().await.unwrap_err();
    assert_eq!(code(&e), "DuplicateLoadBalancerName");
}

#[tokio::test]
async fn alb_needs_two_zones_and_refuses_gateway_and_addresses() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let e = elb.create_load_balancer().name("one").subnets(&w.subnets[0].0).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    assert_eq!(message(&e), "At least two subnets in two different Availability Zones must be specified");
    let e = elb.create_load_balancer().name("gw").r#type(LoadBalancerTypeEnum::Gateway).subnets(&w.subnets[0].0).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    assert!(message(&e).contains("'gateway' is not emulated"), "{}", message(&e));
    let mapping = |s: &str, ip: Option<&str>| {
        aws_sdk_elasticloadbalancingv2::types::SubnetMapping::builder().subnet_id(s).set_private_ipv4_address(ip.map(String::from)).build()
    };
    let e = elb
        .create_load_balancer()
        .name("ip")
        .scheme(LoadBalancerSchemeEnum::Internal)
        .subnet_mappings(mapping(&w.subnets[0].0, Some("172.31.0.10")))
        .subnet_mappings(mapping(&w.subnets[1].0, None))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    // Nothing was half-created.
    assert!(elb.describe_load_balancers().send().await.unwrap().load_balancers().is_empty());
}

#[tokio::test]
async fn alb_quota_counts_albs_only() {
    let s = common::start_with(fx::config(&[("application-load-balancers", 1)], RegionSettings::default())).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    alb(&elb, "a", &[&w.subnets[0].0, &w.subnets[1].0], &[]).await;
    fx::nlb(&elb, "n", &[&w.subnets[0].0], &[]).await;
    let e = elb.create_load_balancer().name("b").subnets(&w.subnets[0].0).subnets(&w.subnets[1].0).send().await.unwrap_err();
    assert_eq!(code(&e), "TooManyLoadBalancers");
    let limits = elb.describe_account_limits().send().await.unwrap();
    let alb_limit = limits.limits().iter().find(|l| l.name() == Some("application-load-balancers")).unwrap();
    assert_eq!(alb_limit.max(), Some("1"));
}

#[tokio::test]
async fn alb_groups_can_change_and_block_group_deletion() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let ec2 = s.ec2().await;
    let w = fx::world(&s);
    let a = fx::add_sg(&s, &w.vpc, "a");
    let b = fx::add_sg(&s, &w.vpc, "b");
    let lb = alb(&elb, "web", &[&w.subnets[0].0, &w.subnets[1].0], &[&a]).await;
    let arn = lb.load_balancer_arn().unwrap();
    let e = ec2.delete_security_group().group_id(&a).send().await.unwrap_err();
    assert_eq!(code(&e), "DependencyViolation");
    let out = elb.set_security_groups().load_balancer_arn(arn).security_groups(&b).send().await.unwrap();
    assert_eq!(out.security_group_ids(), std::slice::from_ref(&b));
    ec2.delete_security_group().group_id(&a).send().await.expect("a is free once the ALB moved to b");
    let e = elb.set_security_groups().load_balancer_arn(arn).set_security_groups(Some(vec![])).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let foreign = {
        let (vpc, _) = fx::other_vpc(&s);
        fx::add_sg(&s, &vpc, "foreign")
    };
    let e = elb.set_security_groups().load_balancer_arn(arn).security_groups(&foreign).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    let d = elb.describe_load_balancers().load_balancer_arns(arn).send().await.unwrap();
    assert_eq!(d.load_balancers()[0].security_groups(), [b]);
}

#[tokio::test]
async fn alb_subnets_can_be_swapped_keeping_two_zones() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = alb(&elb, "web", &[&w.subnets[0].0, &w.subnets[1].0], &[]).await;
    let arn = lb.load_balancer_arn().unwrap();
    let out = elb.set_subnets().load_balancer_arn(arn).subnets(&w.subnets[1].0).subnets(&w.subnets[2].0).send().await.unwrap();
    let zones: Vec<&str> = out.availability_zones().iter().map(|z| z.subnet_id().unwrap()).collect();
    assert_eq!(zones, [w.subnets[1].0.as_str(), w.subnets[2].0.as_str()]);
    let e = elb.set_subnets().load_balancer_arn(arn).subnets(&w.subnets[2].0).send().await.unwrap_err();
    assert_eq!(message(&e), "At least two subnets in two different Availability Zones must be specified");
    // The interface of the dropped subnet is gone (released at once by default).
    let ec2 = s.ec2().await;
    let id = arn.rsplit('/').next().unwrap();
    let enis = ec2
        .describe_network_interfaces()
        .filters(aws_sdk_ec2::types::Filter::builder().name("description").values(format!("ELB app/web/{id}")).build())
        .send()
        .await
        .unwrap();
    let mut subnets: Vec<&str> = enis.network_interfaces().iter().map(|e| e.subnet_id().unwrap()).collect();
    subnets.sort();
    let mut want = vec![w.subnets[1].0.as_str(), w.subnets[2].0.as_str()];
    want.sort();
    assert_eq!(subnets, want);
}

#[tokio::test]
async fn alb_attributes_have_alb_keys_and_cross_zone_stays_on() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = alb(&elb, "web", &[&w.subnets[0].0, &w.subnets[1].0], &[]).await;
    let arn = lb.load_balancer_arn().unwrap();
    let d = elb.describe_load_balancer_attributes().load_balancer_arn(arn).send().await.unwrap();
    let get = |k: &str| d.attributes().iter().find(|a| a.key() == Some(k)).and_then(|a| a.value()).map(String::from);
    assert_eq!(get("idle_timeout.timeout_seconds").as_deref(), Some("60"));
    assert_eq!(get("routing.http2.enabled").as_deref(), Some("true"));
    assert_eq!(get("load_balancing.cross_zone.enabled").as_deref(), Some("true"));
    assert_eq!(get("ipv6.deny_all_igw_traffic").as_deref(), Some("true"), "internal");
    assert!(get("dns_record.client_routing_policy").is_none(), "an NLB key");
    let attr = |k: &str, v: &str| aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute::builder().key(k).value(v).build();
    let out =
        elb.modify_load_balancer_attributes().load_balancer_arn(arn).attributes(attr("idle_timeout.timeout_seconds", "120")).send().await;
    let out = out.unwrap();
    assert!(out.attributes().iter().any(|a| a.key() == Some("idle_timeout.timeout_seconds") && a.value() == Some("120")));
    let e = elb
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .attributes(attr("load_balancing.cross_zone.enabled", "false"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    let e = elb
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .attributes(attr("dns_record.client_routing_policy", "any_availability_zone"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationError");
}

#[tokio::test]
async fn http_target_groups_have_alb_health_defaults_and_serve_albs_only() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let out = elb.create_target_group().name("web").protocol(ProtocolEnum::Http).port(8080).vpc_id(&w.vpc).send().await.unwrap();
    let tg = &out.target_groups()[0];
    assert_eq!(tg.health_check_protocol(), Some(&ProtocolEnum::Http));
    assert_eq!(tg.health_check_path(), Some("/"));
    assert_eq!(tg.matcher().and_then(|m| m.http_code()), Some("200"));
    assert_eq!((tg.health_check_interval_seconds(), tg.health_check_timeout_seconds()), (Some(30), Some(5)));
    assert_eq!((tg.healthy_threshold_count(), tg.unhealthy_threshold_count()), (Some(5), Some(2)));
    assert_eq!(tg.protocol_version(), Some("HTTP1"));
    let grpc = elb
        .create_target_group()
        .name("grpc")
        .protocol(ProtocolEnum::Https)
        .protocol_version("GRPC")
        .port(443)
        .vpc_id(&w.vpc)
        .target_type(TargetTypeEnum::Ip)
        .send()
        .await
        .unwrap();
    let g = &grpc.target_groups()[0];
    assert_eq!(g.health_check_path(), Some("/AWS.ALB/healthcheck"));
    assert_eq!(g.matcher().and_then(|m| m.grpc_code()), Some("12"));
    let e = elb
        .create_target_group()
        .name("tcpcheck")
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(&w.vpc)
        .health_check_protocol(ProtocolEnum::Tcp)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let e = elb
        .create_target_group()
        .name("v")
        .protocol(ProtocolEnum::Tcp)
        .protocol_version("HTTP2")
        .port(80)
        .vpc_id(&w.vpc)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    // An HTTP group cannot serve an NLB, a TCP group cannot serve an ALB.
    let web = tg.target_group_arn().unwrap();
    let tcp = fx::tg(&elb, "tcp", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Instance).await;
    let nlb = fx::nlb(&elb, "n", &[&w.subnets[0].0], &[]).await;
    let e = elb
        .create_listener()
        .load_balancer_arn(nlb.load_balancer_arn().unwrap())
        .protocol(ProtocolEnum::Tcp)
        .port(80)
        .default_actions(fx::forward(web))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "IncompatibleProtocols");
    let lb = alb(&elb, "a", &[&w.subnets[0].0, &w.subnets[1].0], &[]).await;
    let e = elb
        .create_listener()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(fx::forward(&tcp))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "IncompatibleProtocols");
    let e = elb
        .create_listener()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .protocol(ProtocolEnum::Tcp)
        .port(81)
        .default_actions(fx::forward(&tcp))
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&e), "Listener protocol 'TCP' must be one of 'HTTPS, HTTP'");
}

#[tokio::test]
async fn alb_listener_actions_read_back_as_aws_writes_them() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = alb(&elb, "web", &[&w.subnets[0].0, &w.subnets[1].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap();
    let blue = http_tg(&elb, "blue", &w.vpc).await;
    let green = http_tg(&elb, "green", &w.vpc).await;
    // A plain forward reads back with a weight of 1 and stickiness off.
    let l = http_listener(&elb, lb_arn, 80, fx::forward(&blue)).await;
    let d = elb.describe_listeners().listener_arns(&l).send().await.unwrap();
    let a = &d.listeners()[0].default_actions()[0];
    assert_eq!(a.target_group_arn(), Some(blue.as_str()));
    let fc = a.forward_config().unwrap();
    assert_eq!(fc.target_groups()[0].weight(), Some(1));
    assert_eq!(fc.target_group_stickiness_config().and_then(|s| s.enabled()), Some(false));
    // Weighted groups with stickiness.
    let weighted = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .forward_config(
            ForwardActionConfig::builder()
                .target_groups(TargetGroupTuple::builder().target_group_arn(&blue).weight(80).build())
                .target_groups(TargetGroupTuple::builder().target_group_arn(&green).weight(20).build())
                .target_group_stickiness_config(TargetGroupStickinessConfig::builder().enabled(true).duration_seconds(300).build())
                .build(),
        )
        .build();
    let out = elb.modify_listener().listener_arn(&l).default_actions(weighted).send().await.unwrap();
    let a = &out.listeners()[0].default_actions()[0];
    assert!(a.target_group_arn().is_none(), "two groups: no single ARN");
    let weights: Vec<Option<i32>> = a.forward_config().unwrap().target_groups().iter().map(|t| t.weight()).collect();
    assert_eq!(weights, [Some(80), Some(20)]);
    let d = elb.describe_target_groups().target_group_arns(&green).send().await.unwrap();
    assert_eq!(d.target_groups()[0].load_balancer_arns(), [lb_arn.to_string()]);
    // A redirect fills AWS's placeholders; HTTPS with a certificate and the default policy.
    let redirect = Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(
            RedirectActionConfig::builder().protocol("HTTPS").port("443").status_code(RedirectActionStatusCodeEnum::Http301).build(),
        )
        .build();
    let r = http_listener(&elb, lb_arn, 8080, redirect).await;
    let d = elb.describe_listeners().listener_arns(&r).send().await.unwrap();
    let rc = d.listeners()[0].default_actions()[0].redirect_config().unwrap();
    assert_eq!((rc.host(), rc.path(), rc.query()), (Some("#{host}"), Some("/#{path}"), Some("#{query}")));
    let https = elb
        .create_listener()
        .load_balancer_arn(lb_arn)
        .protocol(ProtocolEnum::Https)
        .port(443)
        .certificates(Certificate::builder().certificate_arn(CERT).build())
        .default_actions(fixed("404"))
        .send()
        .await
        .unwrap();
    let h = &https.listeners()[0];
    assert_eq!(h.ssl_policy(), Some("ELBSecurityPolicy-2016-08"));
    let f = h.default_actions()[0].fixed_response_config().unwrap();
    assert_eq!((f.status_code(), f.content_type(), f.message_body()), (Some("404"), Some("text/plain"), None));
    let e = elb
        .create_listener()
        .load_balancer_arn(lb_arn)
        .protocol(ProtocolEnum::Https)
        .port(8443)
        .default_actions(fixed("404"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&e), "A certificate must be specified for HTTPS listeners");
    // A redirect to itself and authentication are refused.
    let selfish = Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(RedirectActionConfig::builder().status_code(RedirectActionStatusCodeEnum::Http302).build())
        .build();
    let e = elb.create_listener().load_balancer_arn(lb_arn).protocol(ProtocolEnum::Http).port(81).default_actions(selfish).send().await;
    assert_eq!(code(&e.unwrap_err()), "InvalidLoadBalancerAction");
    let oidc = Action::builder().r#type(ActionTypeEnum::AuthenticateOidc).build();
    let e = elb.create_listener().load_balancer_arn(lb_arn).protocol(ProtocolEnum::Http).port(82).default_actions(oidc).send().await;
    let e = e.unwrap_err();
    assert_eq!(code(&e), "InvalidLoadBalancerAction");
    assert!(message(&e).contains("not emulated"), "{}", message(&e));
    // Listener attributes of an ALB.
    let d = elb.describe_listener_attributes().listener_arn(&l).send().await.unwrap();
    assert_eq!(d.attributes()[0].key(), Some("routing.http.response.server.enabled"));
}

#[tokio::test]
async fn alb_default_rule_follows_the_listener() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = alb(&elb, "web", &[&w.subnets[0].0, &w.subnets[1].0], &[]).await;
    let l = http_listener(&elb, lb.load_balancer_arn().unwrap(), 80, fixed("404")).await;
    let d = elb.describe_rules().listener_arn(&l).send().await.unwrap();
    let r = &d.rules()[0];
    assert_eq!((r.priority(), r.is_default()), (Some("default"), Some(true)));
    assert!(r.rule_arn().unwrap().contains(":listener-rule/app/web/"));
    assert_eq!(r.actions()[0].r#type(), Some(&ActionTypeEnum::FixedResponse));
}
