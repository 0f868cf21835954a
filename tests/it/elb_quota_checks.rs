//! ValidateSecurityGroupQuotasForInterface through aws-sdk-ec2 (refused for customers, evaluated
//! for callers the config marks as AWS services) and the same check inside the ELB service's
//! CreateLoadBalancer and SetSecurityGroups, with the Region setting that turns it off.

use crate::common;
use crate::common::elbv2 as fx;

use aws_sdk_elasticloadbalancingv2::types::{LoadBalancerSchemeEnum, LoadBalancerTypeEnum};
use common::{code, message};
use lbsim::config::Config;
use lbsim::state::RegionSettings;

const SERVICE_KEY: &str = "AKIAELBSERVICE";

fn config(rules_quota: u64, settings: RegionSettings) -> Config {
    let mut c = Config { seed: Some(11), service_access_keys: vec![SERVICE_KEY.into()], ..Config::default() };
    c.quotas.insert("rules-per-security-group".into(), rules_quota);
    c.regions.insert("us-east-1".into(), settings);
    c
}

/// Five groups in the default VPC, the first with `big` rules, the others with one each.
fn five_groups(s: &common::Server, big: u8) -> Vec<String> {
    let w = fx::world(s);
    (0..5)
        .map(|i| {
            let g = common::add_sg(s, &w.vpc, &format!("g{i}"));
            common::add_rules(s, &g, if i == 0 { big } else { 1 });
            g
        })
        .collect()
}

#[tokio::test]
async fn customers_are_refused_and_services_get_the_evaluation() {
    let s = common::start_with(config(250, RegionSettings::default())).await;
    let groups = five_groups(&s, 200);
    let customer = s.ec2().await;
    let e = customer.validate_security_group_quotas_for_interface().security_group_ids(&groups[0]).send().await.unwrap_err();
    assert_eq!(code(&e), "UnauthorizedOperation");
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(403));

    let service = aws_sdk_ec2::Client::new(&s.sdk(SERVICE_KEY, "us-east-1").await);
    let vsq = || service.validate_security_group_quotas_for_interface();
    // 5 groups × 200 rules = 1,000: exactly the product quota.
    let ok = vsq().set_security_group_ids(Some(groups.clone())).send().await.unwrap();
    assert_eq!(ok.valid(), Some(true));
    common::add_rules(&s, &groups[0], 1);
    let e = vsq().set_security_group_ids(Some(groups.clone())).send().await.unwrap_err();
    assert_eq!(code(&e), "SecurityGroupsPerInterfaceLimitExceeded");
    assert!(vsq().set_security_group_ids(Some(groups[..4].to_vec())).send().await.unwrap().valid().unwrap());
    let e = vsq().security_group_ids(&groups[1]).security_group_ids(&groups[1]).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidParameterValue");
    let e = vsq().security_group_ids("sg-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidGroup.NotFound");
    let e = vsq().send().await.unwrap_err();
    assert_eq!(code(&e), "MissingParameter");
    let e = vsq().security_group_ids(&groups[1]).dry_run(true).send().await.unwrap_err();
    assert_eq!(code(&e), "DryRunOperation");
    // A rules quota lowered below a group's rules: the group alone fails.
    let mut q = s.app.store.quotas(fx::ACCOUNT);
    q.rules_per_security_group = 100;
    s.app.store.set_quotas(fx::ACCOUNT, q);
    let e = vsq().security_group_ids(&groups[0]).send().await.unwrap_err();
    assert_eq!(code(&e), "RulesPerSecurityGroupLimitExceeded");
}

#[tokio::test]
async fn the_elb_service_checks_the_groups_before_it_creates_anything() {
    let s = common::start_with(config(250, RegionSettings::default())).await;
    let groups = five_groups(&s, 201);
    let w = fx::world(&s);
    let elb = s.elbv2().await;
    let create = |name: &str, groups: Vec<String>| {
        elb.create_load_balancer()
            .name(name)
            .r#type(LoadBalancerTypeEnum::Network)
            .scheme(LoadBalancerSchemeEnum::Internal)
            .subnets(&w.subnets[0].0)
            .subnets(&w.subnets[1].0)
            .set_security_groups(Some(groups))
            .send()
    };
    let e = create("quota", groups.clone()).await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    assert!(message(&e).contains("SecurityGroupsPerInterfaceLimitExceeded"), "{}", message(&e));
    s.app.store.with_region(fx::ACCOUNT, fx::REGION, |r| {
        assert!(r.elb().lbs().is_empty(), "no half-made load balancer");
        assert!(!r.enis().values().any(|e| e.interface_type == "network_load_balancer"));
    });
    // Four of them fit; SetSecurityGroups to all five is refused and changes nothing.
    let lb = create("quota", groups[..4].to_vec()).await.unwrap();
    let arn = lb.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let e = elb.set_security_groups().load_balancer_arn(&arn).set_security_groups(Some(groups.clone())).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    s.app.store.with_region(fx::ACCOUNT, fx::REGION, |r| {
        assert_eq!(r.elb().lbs()[&arn].security_groups.len(), 4);
        assert!(r.enis().values().filter(|e| e.interface_type == "network_load_balancer").all(|e| e.groups.len() == 4));
    });
}

#[tokio::test]
async fn before_the_check_existed_the_interfaces_broke_the_quota() {
    let settings = RegionSettings { elb_validates_sg_quotas: false, ..RegionSettings::default() };
    let s = common::start_with(config(250, settings)).await;
    let groups = five_groups(&s, 201);
    let w = fx::world(&s);
    let elb = s.elbv2().await;
    elb.create_load_balancer()
        .name("before")
        .r#type(LoadBalancerTypeEnum::Network)
        .scheme(LoadBalancerSchemeEnum::Internal)
        .subnets(&w.subnets[0].0)
        .set_security_groups(Some(groups.clone()))
        .send()
        .await
        .unwrap();
    // The NLB's interface carries 5 × 201 = 1,005 > 1,000, and the next rule on any of its groups
    // is refused.
    let ec2 = s.ec2().await;
    let perm = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(80)
        .to_port(80)
        .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip("192.0.2.0/24").build())
        .build();
    let e = ec2.authorize_security_group_ingress().group_id(&groups[1]).ip_permissions(perm).send().await.unwrap_err();
    assert_eq!(code(&e), "RulesPerSecurityGroupLimitExceeded");
}

#[tokio::test]
async fn the_refusal_code_is_a_region_setting() {
    let settings = RegionSettings { elb_sg_quota_error: "ValidationError".into(), ..RegionSettings::default() };
    let mut cfg = config(60, settings);
    cfg.quotas.insert("security-groups-per-network-interface".into(), 1);
    let s = common::start_with(cfg).await;
    let w = fx::world(&s);
    let (a, b) = (common::add_sg(&s, &w.vpc, "a"), common::add_sg(&s, &w.vpc, "b"));
    let e = s
        .elbv2()
        .await
        .create_load_balancer()
        .name("lowered")
        .r#type(LoadBalancerTypeEnum::Network)
        .subnets(&w.subnets[0].0)
        .security_groups(a)
        .security_groups(b)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    assert!(message(&e).contains("The limit is 1."), "{}", message(&e));
}
