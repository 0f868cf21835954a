//! Targets through aws-sdk-elasticloadbalancingv2: RegisterTargets (instances and IPs, every
//! refusal), DeregisterTargets (draining on the clock), DescribeTargetHealth states, and the
//! target quotas per target group, per NLB, per zone and per target id.

use crate::common;
use crate::common::elbv2 as fx;

use aws_sdk_elasticloadbalancingv2::types::{LoadBalancerAttribute, ProtocolEnum, TargetDescription, TargetGroupAttribute, TargetTypeEnum};
use common::{code, message};
use lbsim::state::RegionSettings;
use lbsim::state::ec2::InstanceState;

#[tokio::test]
async fn instance_targets_from_unused_to_healthy() {
    let s = common::start_with(fx::config(&[], fx::fast())).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let i1 = fx::add_instance(&s, &w.subnets[0].0, InstanceState::Running);
    let tg = fx::tg(&elb, "inst", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Instance).await;
    // One instance on two ports is two registrations (identity is Id + Port).
    elb.register_targets().target_group_arn(&tg).targets(fx::target(&i1)).targets(fx::target_port(&i1, 8080)).send().await.unwrap();
    elb.register_targets().target_group_arn(&tg).targets(fx::target(&i1)).send().await.unwrap();
    let h = elb.describe_target_health().target_group_arn(&tg).send().await.unwrap();
    let d = h.target_health_descriptions();
    assert_eq!(d.len(), 2, "re-registering is a no-op");
    assert_eq!((d[0].target().unwrap().port(), d[1].target().unwrap().port()), (Some(80), Some(8080)));
    assert_eq!(d[0].health_check_port(), Some("80"), "traffic-port is the target's port");
    assert!(d[0].target().unwrap().availability_zone().is_none());
    let th = d[0].target_health().unwrap();
    assert_eq!(th.state().unwrap().as_str(), "unused");
    assert_eq!(th.reason().unwrap().as_str(), "Target.NotInUse");
    assert_eq!(th.description(), Some("Given target group is not configured to receive traffic from ELB"));
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    fx::listener(&elb, lb.load_balancer_arn().unwrap(), ProtocolEnum::Tcp, 80, &tg).await;
    let states = fx::health(&elb, &tg).await;
    assert!(states.iter().all(|(_, st, r)| st == "healthy" && r.is_none()), "{states:?}");
    // A stopped instance is unused with InvalidState.
    fx::set_instance_state(&s, &i1, InstanceState::Stopped);
    let states = fx::health(&elb, &tg).await;
    assert_eq!((states[0].1.as_str(), states[0].2.as_deref()), ("unused", Some("Target.InvalidState")));
}

#[tokio::test]
async fn targets_stay_initial_for_interval_times_threshold() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let tg = fx::tg(&elb, "slow", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    fx::listener(&elb, lb.load_balancer_arn().unwrap(), ProtocolEnum::Tcp, 80, &tg).await;
    elb.register_targets().target_group_arn(&tg).targets(fx::target("172.31.0.50")).send().await.unwrap();
    let h = elb.describe_target_health().target_group_arn(&tg).send().await.unwrap();
    let d = &h.target_health_descriptions()[0];
    let th = d.target_health().unwrap();
    assert_eq!(th.state().unwrap().as_str(), "initial", "30 s × 5 checks have not passed");
    assert_eq!(th.reason().unwrap().as_str(), "Elb.RegistrationInProgress");
    assert_eq!(th.description(), Some("Target registration is in progress"));
    assert_eq!(d.target().unwrap().availability_zone(), Some(w.subnets[0].1.as_str()), "an ip target reports its subnet's zone");
}

#[tokio::test]
async fn instance_registration_refusals() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let tg = fx::tg(&elb, "inst", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Instance).await;
    let good = fx::add_instance(&s, &w.subnets[0].0, InstanceState::Running);
    let stopped = fx::add_instance(&s, &w.subnets[0].0, InstanceState::Stopped);
    let (_, other_subnet) = fx::other_vpc(&s);
    let elsewhere = fx::add_instance(&s, &other_subnet, InstanceState::Running);
    let reg = |t: TargetDescription| elb.register_targets().target_group_arn(&tg).targets(fx::target(&good)).targets(t).send();
    let e = reg(fx::target("i-0123456789abcdef0")).await.unwrap_err();
    assert_eq!(code(&e), "InvalidTarget");
    assert_eq!(message(&e), "The following instances do not exist: 'i-0123456789abcdef0'");
    let e = reg(fx::target(&stopped)).await.unwrap_err();
    assert_eq!(code(&e), "InvalidTarget");
    assert_eq!(message(&e), format!("The following targets are not in a running state and cannot be registered: '{stopped}'"));
    let e = reg(fx::target(&elsewhere)).await.unwrap_err();
    assert_eq!(code(&e), "InvalidTarget");
    let e = reg(fx::target("ip-10-0-0-1.ec2.internal")).await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("ValidationError".into(), "Instance ID 'ip-10-0-0-1.ec2.internal' is not valid".into()));
    let e = reg(TargetDescription::builder().id(&good).availability_zone("all").build()).await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    assert!(fx::health(&elb, &tg).await.is_empty(), "one bad target registers nothing");
    let e = elb.register_targets().target_group_arn(tg.replace("/inst/", "/x/")).targets(fx::target(&good)).send().await.unwrap_err();
    assert_eq!(code(&e), "TargetGroupNotFound");
}

#[tokio::test]
async fn ip_targets_inside_and_outside_the_vpc() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let tg = fx::tg(&elb, "ips", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let with_az = |ip: &str, az: &str| TargetDescription::builder().id(ip).availability_zone(az).build();
    let reg = |t: TargetDescription| elb.register_targets().target_group_arn(&tg).targets(t).send();
    reg(fx::target("172.31.16.10")).await.unwrap();
    reg(with_az("10.200.0.7", "all")).await.unwrap();
    reg(with_az("192.168.1.9", "us-east-1c")).await.unwrap();
    let e = reg(fx::target("10.200.0.8")).await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    assert_eq!(message(&e), "The Availability Zone is required for IP address '10.200.0.8' because it is not in the VPC");
    let e = reg(with_az("172.31.16.11", "all")).await.unwrap_err();
    assert_eq!(
        message(&e),
        format!(
            "The IP address '172.31.16.11' is within the VPC, and cannot have its Availability Zone overridden to 'all' from '{}'",
            w.subnets[1].1
        )
    );
    assert_eq!(code(&reg(with_az("8.8.8.8", "all")).await.unwrap_err()), "InvalidTarget", "public addresses are not targets");
    assert_eq!(code(&reg(fx::target("not-an-ip")).await.unwrap_err()), "ValidationError");
    assert_eq!(code(&reg(with_az("10.200.0.9", "mars-1a")).await.unwrap_err()), "ValidationError");
    let h = elb.describe_target_health().target_group_arn(&tg).send().await.unwrap();
    let zones: Vec<_> =
        h.target_health_descriptions().iter().map(|d| d.target().unwrap().availability_zone().unwrap().to_string()).collect();
    assert_eq!(zones, [w.subnets[1].1.as_str(), "all", "us-east-1c"]);
}

#[tokio::test]
async fn deregistration_drains_for_the_delay() {
    let s = common::start_with(fx::config(&[], fx::fast())).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let tg = fx::tg(&elb, "drain", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    fx::listener(&elb, lb.load_balancer_arn().unwrap(), ProtocolEnum::Tcp, 80, &tg).await;
    elb.register_targets()
        .target_group_arn(&tg)
        .targets(fx::target("172.31.0.20"))
        .targets(fx::target("172.31.0.21"))
        .send()
        .await
        .unwrap();
    elb.deregister_targets().target_group_arn(&tg).targets(fx::target("172.31.0.20")).send().await.unwrap();
    let states = fx::health(&elb, &tg).await;
    assert_eq!(states[0], ("172.31.0.20".into(), "draining".into(), Some("Target.DeregistrationInProgress".into())));
    assert_eq!(states[1].1, "healthy");
    // Deregistering something never registered is a success.
    elb.deregister_targets().target_group_arn(&tg).targets(fx::target("172.31.0.99")).send().await.unwrap();
    // A shorter delay lets the next target go within a second of the server clock.
    elb.modify_target_group_attributes()
        .target_group_arn(&tg)
        .attributes(TargetGroupAttribute::builder().key("deregistration_delay.timeout_seconds").value("1").build())
        .send()
        .await
        .unwrap();
    elb.deregister_targets().target_group_arn(&tg).targets(fx::target("172.31.0.21")).send().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let states = fx::health(&elb, &tg).await;
    assert_eq!(states.len(), 1, "{states:?}");
    assert_eq!(states[0].1, "draining", "the first still has its 300 s");
    // With delay 0 (or an unused group) targets go at once.
    elb.modify_target_group_attributes()
        .target_group_arn(&tg)
        .attributes(TargetGroupAttribute::builder().key("deregistration_delay.timeout_seconds").value("0").build())
        .send()
        .await
        .unwrap();
    elb.register_targets().target_group_arn(&tg).targets(fx::target("172.31.0.22")).send().await.unwrap();
    elb.deregister_targets().target_group_arn(&tg).targets(fx::target("172.31.0.22")).send().await.unwrap();
    assert_eq!(fx::health(&elb, &tg).await.len(), 1);
    // Re-registering a draining target brings it back.
    elb.register_targets().target_group_arn(&tg).targets(fx::target("172.31.0.20")).send().await.unwrap();
    assert_eq!(fx::health(&elb, &tg).await[0].1, "healthy");
}

#[tokio::test]
async fn describe_specific_targets() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let tg = fx::tg(&elb, "spec", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Instance).await;
    let i1 = fx::add_instance(&s, &w.subnets[0].0, InstanceState::Running);
    let i2 = fx::add_instance(&s, &w.subnets[0].0, InstanceState::Running);
    elb.register_targets().target_group_arn(&tg).targets(fx::target(&i1)).send().await.unwrap();
    let h = elb.describe_target_health().target_group_arn(&tg).targets(fx::target(&i2)).send().await.unwrap();
    let th = h.target_health_descriptions()[0].target_health().unwrap();
    assert_eq!(th.state().unwrap().as_str(), "unused");
    assert_eq!(th.reason().unwrap().as_str(), "Target.NotRegistered");
    let e = elb.describe_target_health().target_group_arn(&tg).targets(fx::target("i-0123456789abcdef0")).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidTarget", "what the TargetDeregistered waiter accepts");
    let e = elb.deregister_targets().target_group_arn(&tg).targets(fx::target("i-0123456789abcdef0")).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidTarget");
    let e = elb.describe_target_health().target_group_arn(tg.replace("/spec/", "/x/")).send().await.unwrap_err();
    assert_eq!(code(&e), "TargetGroupNotFound");
}

#[tokio::test]
async fn targets_per_target_group_quota() {
    let s = common::start_with(fx::config(&[("targets-per-target-group", 2)], RegionSettings::default())).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let tg = fx::tg(&elb, "q", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    elb.register_targets()
        .target_group_arn(&tg)
        .targets(fx::target("172.31.0.30"))
        .targets(fx::target("172.31.0.31"))
        .send()
        .await
        .unwrap();
    let e = elb.register_targets().target_group_arn(&tg).targets(fx::target("172.31.0.32")).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("TooManyTargets".into(), "You've reached the limit on the number of targets.".into()));
    // Re-registering what exists adds nothing and is allowed at the limit.
    elb.register_targets().target_group_arn(&tg).targets(fx::target("172.31.0.31")).send().await.unwrap();
}

#[tokio::test]
async fn load_balancer_target_quotas() {
    let quotas = [
        ("targets-per-network-load-balancer", 3),
        ("targets-per-availability-zone-per-network-load-balancer", 2),
        ("target-id-registrations-per-network-load-balancer", 1),
    ];
    let s = common::start_with(fx::config(&quotas, RegionSettings::default())).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0, &w.subnets[1].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap();
    let a = fx::tg(&elb, "a", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let b = fx::tg(&elb, "b", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    fx::listener(&elb, lb_arn, ProtocolEnum::Tcp, 80, &a).await;
    fx::listener(&elb, lb_arn, ProtocolEnum::Tcp, 81, &b).await;
    let reg = |tg: &str, ip: &str| elb.register_targets().target_group_arn(tg).targets(fx::target(ip)).send();
    reg(&a, "172.31.0.40").await.unwrap();
    reg(&a, "172.31.0.41").await.unwrap();
    // The same address in a second group of the same NLB is a second registration of that id.
    let e = reg(&b, "172.31.0.40").await.unwrap_err();
    assert_eq!(code(&e), "TooManyRegistrationsForTargetId");
    // Zone a already has two targets.
    assert_eq!(code(&reg(&b, "172.31.0.42").await.unwrap_err()), "TooManyTargets");
    reg(&b, "172.31.16.40").await.unwrap();
    assert_eq!(code(&reg(&b, "172.31.16.41").await.unwrap_err()), "TooManyTargets", "three per NLB");
    // Cross-zone load balancing caps the whole NLB at the per-zone limit.
    elb.modify_load_balancer_attributes()
        .load_balancer_arn(lb_arn)
        .attributes(LoadBalancerAttribute::builder().key("load_balancing.cross_zone.enabled").value("true").build())
        .send()
        .await
        .unwrap();
    elb.deregister_targets().target_group_arn(&b).targets(fx::target("172.31.16.40")).send().await.unwrap();
    // Still draining, so it still counts: 3 targets already exceed the cap of 2.
    assert_eq!(code(&reg(&b, "172.31.16.42").await.unwrap_err()), "TooManyTargets");
}

#[tokio::test]
async fn attaching_a_full_target_group_is_checked() {
    let s = common::start_with(fx::config(&[("targets-per-network-load-balancer", 1)], RegionSettings::default())).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    let tg = fx::tg(&elb, "full", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    elb.register_targets()
        .target_group_arn(&tg)
        .targets(fx::target("172.31.0.60"))
        .targets(fx::target("172.31.0.61"))
        .send()
        .await
        .unwrap();
    let e = elb
        .create_listener()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .protocol(ProtocolEnum::Tcp)
        .port(80)
        .default_actions(fx::forward(&tg))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "TooManyTargets");
}
