//! Network Load Balancers through aws-sdk-elasticloadbalancingv2: create (shapes, idempotency,
//! names, subnets, security groups, quota), describe, delete (listeners, interfaces on the
//! clock, deletion protection), SetSecurityGroups, SetSubnets, SetIpAddressType and the
//! load-balancer attributes.

use crate::common;
use crate::common::elbv2 as fx;

use aws_sdk_elasticloadbalancingv2::types::{
    EnforceSecurityGroupInboundRulesOnPrivateLinkTrafficEnum as Enforce, IpAddressType, LoadBalancerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerTypeEnum, ProtocolEnum, SubnetMapping, Tag, TargetTypeEnum,
};
use common::{code, message};
use lbsim::state::RegionSettings;

fn is_hex16(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

#[tokio::test]
async fn create_network_load_balancer_shapes() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let sg = fx::add_sg(&s, &w.vpc, "nlb-sg");
    let out = elb
        .create_load_balancer()
        .name("my-nlb")
        .r#type(LoadBalancerTypeEnum::Network)
        .scheme(LoadBalancerSchemeEnum::Internal)
        .subnets(&w.subnets[0].0)
        .subnets(&w.subnets[1].0)
        .security_groups(&sg)
        .tags(Tag::builder().key("env").value("dev").build())
        .send()
        .await
        .unwrap();
    let lb = &out.load_balancers()[0];
    let arn = lb.load_balancer_arn().unwrap();
    let id = arn.strip_prefix("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/my-nlb/").expect(arn);
    assert!(is_hex16(id), "{arn}");
    // [unverified] internal- prefix, as the issue asks.
    assert_eq!(lb.dns_name(), Some(format!("internal-my-nlb-{id}.elb.us-east-1.amazonaws.com").as_str()));
    assert_eq!(lb.canonical_hosted_zone_id(), Some("Z26RNL4JYFTOTI"));
    assert_eq!(lb.load_balancer_name(), Some("my-nlb"));
    assert_eq!(lb.scheme(), Some(&LoadBalancerSchemeEnum::Internal));
    assert_eq!(lb.r#type(), Some(&LoadBalancerTypeEnum::Network));
    assert_eq!(lb.vpc_id(), Some(w.vpc.as_str()));
    assert!(lb.created_time().is_some());
    assert_eq!(lb.state().unwrap().code().unwrap().as_str(), "active", "provisioning delay 0 means active at once");
    assert_eq!(lb.ip_address_type(), Some(&IpAddressType::Ipv4));
    assert_eq!(lb.security_groups(), std::slice::from_ref(&sg));
    assert_eq!(lb.enforce_security_group_inbound_rules_on_private_link_traffic(), Some("on"));
    let zones: Vec<(&str, &str)> = lb.availability_zones().iter().map(|z| (z.zone_name().unwrap(), z.subnet_id().unwrap())).collect();
    assert_eq!(zones, vec![(w.subnets[0].1.as_str(), w.subnets[0].0.as_str()), (w.subnets[1].1.as_str(), w.subnets[1].0.as_str())]);
    // One requester-managed interface per subnet, carrying the load balancer's groups.
    s.app.store.with_region(fx::ACCOUNT, fx::REGION, |r| {
        let enis: Vec<_> = r.enis().values().filter(|e| e.interface_type == "network_load_balancer").collect();
        assert_eq!(enis.len(), 2);
        for e in &enis {
            assert_eq!(e.description, format!("ELB net/my-nlb/{id}"));
            assert!(e.requester_managed && !e.source_dest_check);
            assert_eq!(e.requester_id.as_deref(), Some("amazon-elb"));
            assert_eq!(e.status, "in-use");
            assert_eq!(e.groups, vec![sg.clone()]);
        }
        assert_eq!(r.enis_with_sg(&sg).len(), 2, "DeleteSecurityGroup must see the NLB's dependency");
    });
    let tags = elb.describe_tags().resource_arns(arn).send().await.unwrap();
    assert_eq!(tags.tag_descriptions()[0].tags()[0].key(), Some("env"));
    // Internet-facing: no prefix, no groups, no PrivateLink setting.
    let open = elb.create_load_balancer().name("pub").r#type(LoadBalancerTypeEnum::Network).subnets(&w.subnets[0].0).send().await.unwrap();
    let open = &open.load_balancers()[0];
    assert_eq!(open.scheme(), Some(&LoadBalancerSchemeEnum::InternetFacing));
    assert!(open.dns_name().unwrap().starts_with("pub-"));
    assert!(open.security_groups().is_empty());
    assert!(open.enforce_security_group_inbound_rules_on_private_link_traffic().is_none());
}

#[tokio::test]
async fn provisioning_until_the_configured_delay() {
    let settings = RegionSettings { lb_provisioning_seconds: 3600, ..RegionSettings::default() };
    let s = common::start_with(fx::config(&[], settings)).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "slow", &[&w.subnets[0].0], &[]).await;
    assert_eq!(lb.state().unwrap().code().unwrap().as_str(), "provisioning");
    let d = elb.describe_load_balancers().names("slow").send().await.unwrap();
    assert_eq!(d.load_balancers()[0].state().unwrap().code().unwrap().as_str(), "provisioning");
}

#[tokio::test]
async fn create_is_idempotent_and_refuses_other_settings() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let a = fx::nlb(&elb, "same", &[&w.subnets[0].0, &w.subnets[1].0], &[]).await;
    let b = fx::nlb(&elb, "same", &[&w.subnets[1].0, &w.subnets[0].0], &[]).await;
    assert_eq!(a.load_balancer_arn(), b.load_balancer_arn());
    let e = elb
        .create_load_balancer()
        .name("same")
        .r#type(LoadBalancerTypeEnum::Network)
        .scheme(LoadBalancerSchemeEnum::InternetFacing)
        .subnets(&w.subnets[0].0)
        .subnets(&w.subnets[1].0)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "DuplicateLoadBalancerName");
    assert_eq!(message(&e), "A load balancer with the same name 'same' exists, but with different settings");
    assert_eq!(elb.describe_load_balancers().send().await.unwrap().load_balancers().len(), 1);
}

#[tokio::test]
async fn names_types_and_subnets_are_validated() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let create = |name: &str| elb.create_load_balancer().name(name).r#type(LoadBalancerTypeEnum::Network).subnets(&w.subnets[0].0);
    let e = create(&"a".repeat(33)).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    assert_eq!(message(&e), format!("The load balancer name '{}' cannot be longer than '32' characters", "a".repeat(33)));
    let e = create("bad_name").send().await.unwrap_err();
    assert_eq!(
        message(&e),
        "The load balancer name 'bad_name' can only contain characters that are alphanumeric characters and hyphens(-)"
    );
    assert_eq!(code(&create("-lead").send().await.unwrap_err()), "ValidationError");
    assert_eq!(code(&create("trail-").send().await.unwrap_err()), "ValidationError");
    assert_eq!(code(&create("internal-x").send().await.unwrap_err()), "ValidationError");
    let e = elb.create_load_balancer().name("x").r#type(LoadBalancerTypeEnum::Gateway).subnets(&w.subnets[0].0).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    assert!(message(&e).contains("lbsim serves Network and Application Load Balancers"), "{}", message(&e));
    // Type defaults to application, which needs two zones.
    let e = elb.create_load_balancer().name("x").subnets(&w.subnets[0].0).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let e = elb.create_load_balancer().name("x").r#type(LoadBalancerTypeEnum::Network).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let e = create("x").subnets("subnet-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(code(&e), "SubnetNotFound");
    let e = create("x").subnets(&w.subnets[0].0).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    assert_eq!(message(&e), "A load balancer cannot be attached to multiple subnets in the same Availability Zone");
    let (_, other) = fx::other_vpc(&s);
    let e = elb
        .create_load_balancer()
        .name("x")
        .r#type(LoadBalancerTypeEnum::Network)
        .subnets(&w.subnets[1].0)
        .subnets(&other)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    let e = create("x").ip_address_type(IpAddressType::Dualstack).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    let mapping = |ip: Option<&str>, alloc: Option<&str>| {
        SubnetMapping::builder()
            .subnet_id(&w.subnets[0].0)
            .set_private_ipv4_address(ip.map(String::from))
            .set_allocation_id(alloc.map(String::from))
            .build()
    };
    let e = elb
        .create_load_balancer()
        .name("x")
        .r#type(LoadBalancerTypeEnum::Network)
        .subnet_mappings(mapping(None, Some("eipalloc-0123456789abcdef0")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AllocationIdNotFound");
    assert!(elb.describe_load_balancers().send().await.unwrap().load_balancers().is_empty(), "refused creates leave nothing");
    // A chosen private address on an internal NLB is used and reported.
    let out = elb
        .create_load_balancer()
        .name("fixed")
        .r#type(LoadBalancerTypeEnum::Network)
        .scheme(LoadBalancerSchemeEnum::Internal)
        .subnet_mappings(mapping(Some("172.31.0.100"), None))
        .send()
        .await
        .unwrap();
    let addr = &out.load_balancers()[0].availability_zones()[0].load_balancer_addresses()[0];
    assert_eq!(addr.private_ipv4_address(), Some("172.31.0.100"));
    let e = elb
        .create_load_balancer()
        .name("fixed2")
        .r#type(LoadBalancerTypeEnum::Network)
        .scheme(LoadBalancerSchemeEnum::Internal)
        .subnet_mappings(mapping(Some("172.31.0.100"), None))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest", "the address is taken by the first NLB");
}

#[tokio::test]
async fn security_groups_on_create() {
    let s = common::start_with(fx::config(&[("security-groups-per-load-balancer", 2)], RegionSettings::default())).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let (other_vpc, _) = fx::other_vpc(&s);
    let foreign = fx::add_sg(&s, &other_vpc, "foreign");
    let create = || elb.create_load_balancer().name("sg").r#type(LoadBalancerTypeEnum::Network).subnets(&w.subnets[0].0);
    let e = create().security_groups("sg-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidSecurityGroup");
    let e = create().security_groups("not-a-group").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidSecurityGroup");
    let e = create().security_groups(&foreign).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    assert_eq!(message(&e), format!("Security group '{foreign}' does not belong to VPC '{}'", w.vpc));
    let a = fx::add_sg(&s, &w.vpc, "a");
    let b = fx::add_sg(&s, &w.vpc, "b");
    let e = create().security_groups(&a).security_groups(&b).security_groups(&w.default_sg).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest", "three groups exceed the lowered quota of 2");
    let ok = create().security_groups(&a).security_groups(&b).send().await.unwrap();
    assert_eq!(ok.load_balancers()[0].security_groups(), [a, b]);
}

#[tokio::test]
async fn region_without_nlb_security_groups() {
    let settings = RegionSettings { nlb_security_groups: false, ..RegionSettings::default() };
    let s = common::start_with(fx::config(&[], settings)).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let e = elb
        .create_load_balancer()
        .name("x")
        .r#type(LoadBalancerTypeEnum::Network)
        .subnets(&w.subnets[0].0)
        .security_groups(&w.default_sg)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    assert_eq!(message(&e), "Security groups are not supported for load balancers of type 'network'");
    let lb = fx::nlb(&elb, "plain", &[&w.subnets[0].0], &[]).await;
    let e = elb
        .set_security_groups()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .security_groups(&w.default_sg)
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&e), "Security groups are not supported for load balancers of type 'network'");
}

#[tokio::test]
async fn set_security_groups_follows_the_nlb_rules() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let a = fx::add_sg(&s, &w.vpc, "a");
    let b = fx::add_sg(&s, &w.vpc, "b");
    let bare = fx::nlb(&elb, "bare", &[&w.subnets[0].0], &[]).await;
    let e = elb.set_security_groups().load_balancer_arn(bare.load_balancer_arn().unwrap()).security_groups(&a).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    assert_eq!(message(&e), "You cannot set security groups on a Network Load Balancer which was created without any security groups.");
    let lb = fx::nlb(&elb, "guarded", &[&w.subnets[0].0, &w.subnets[1].0], &[&a]).await;
    let arn = lb.load_balancer_arn().unwrap();
    let out = elb
        .set_security_groups()
        .load_balancer_arn(arn)
        .security_groups(&b)
        .enforce_security_group_inbound_rules_on_private_link_traffic(Enforce::Off)
        .send()
        .await
        .unwrap();
    assert_eq!(out.security_group_ids(), std::slice::from_ref(&b));
    assert_eq!(out.enforce_security_group_inbound_rules_on_private_link_traffic(), Some(&Enforce::Off));
    s.app.store.with_region(fx::ACCOUNT, fx::REGION, |r| {
        assert!(r.enis_with_sg(&a).is_empty(), "the interfaces left the old group");
        assert_eq!(r.enis_with_sg(&b).len(), 2);
    });
    // `SecurityGroups=` (an empty list) cannot empty an NLB that has groups.
    let e = elb.set_security_groups().load_balancer_arn(arn).set_security_groups(Some(vec![])).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let e = elb.set_security_groups().load_balancer_arn(arn).security_groups("sg-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidSecurityGroup");
    let (other, _) = fx::other_vpc(&s);
    let foreign = fx::add_sg(&s, &other, "f");
    let e = elb.set_security_groups().load_balancer_arn(arn).security_groups(&foreign).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    let unknown = arn.replace("guarded", "ghost");
    let e = elb.set_security_groups().load_balancer_arn(unknown).security_groups(&a).send().await.unwrap_err();
    assert_eq!(code(&e), "LoadBalancerNotFound");
    let d = elb.describe_load_balancers().load_balancer_arns(arn).send().await.unwrap();
    assert_eq!(d.load_balancers()[0].security_groups(), [b], "refused calls changed nothing");
}

#[tokio::test]
async fn describe_by_name_arn_and_pages() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let mut arns = Vec::new();
    for n in ["one", "two", "three"] {
        arns.push(fx::nlb(&elb, n, &[&w.subnets[0].0], &[]).await.load_balancer_arn().unwrap().to_string());
    }
    let d = elb.describe_load_balancers().names("two").names("one").send().await.unwrap();
    let names: Vec<_> = d.load_balancers().iter().map(|l| l.load_balancer_name().unwrap()).collect();
    assert_eq!(names, ["two", "one"]);
    let e = elb.describe_load_balancers().names("one").names("nope").send().await.unwrap_err();
    assert_eq!(code(&e), "LoadBalancerNotFound");
    assert_eq!(message(&e), "Load balancers '[nope]' not found");
    let d = elb.describe_load_balancers().load_balancer_arns(&arns[2]).send().await.unwrap();
    assert_eq!(d.load_balancers()[0].load_balancer_name(), Some("three"));
    let e = elb.describe_load_balancers().load_balancer_arns(arns[0].replace("one", "zzz")).send().await.unwrap_err();
    assert_eq!(code(&e), "LoadBalancerNotFound");
    assert_eq!(message(&e), "One or more load balancers not found");
    let e = elb.describe_load_balancers().load_balancer_arns("garbage").send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let e = elb.describe_load_balancers().names("one").load_balancer_arns(&arns[0]).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let e = elb.describe_load_balancers().page_size(0).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let p1 = elb.describe_load_balancers().page_size(2).send().await.unwrap();
    assert_eq!(p1.load_balancers().len(), 2);
    let p2 = elb.describe_load_balancers().page_size(2).marker(p1.next_marker().unwrap()).send().await.unwrap();
    assert_eq!(p2.load_balancers()[0].load_balancer_name(), Some("three"));
    assert!(p2.next_marker().is_none());
    let e = elb.describe_load_balancers().marker("bogus").send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
}

#[tokio::test]
async fn delete_removes_listeners_and_releases_interfaces_on_the_clock() {
    let settings = RegionSettings { lb_eni_release_seconds: 3600, ..RegionSettings::default() };
    let s = common::start_with(fx::config(&[], settings)).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let sg = fx::add_sg(&s, &w.vpc, "front");
    let lb = fx::nlb(&elb, "gone", &[&w.subnets[0].0], &[&sg]).await;
    let arn = lb.load_balancer_arn().unwrap();
    let tg = fx::tg(&elb, "kept", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let listener = fx::listener(&elb, arn, ProtocolEnum::Tcp, 80, &tg).await;
    elb.delete_load_balancer().load_balancer_arn(arn).send().await.unwrap();
    let e = elb.describe_load_balancers().load_balancer_arns(arn).send().await.unwrap_err();
    assert_eq!(code(&e), "LoadBalancerNotFound");
    let e = elb.describe_listeners().listener_arns(&listener).send().await.unwrap_err();
    assert_eq!(code(&e), "ListenerNotFound");
    let d = elb.describe_target_groups().target_group_arns(&tg).send().await.unwrap();
    assert!(d.target_groups()[0].load_balancer_arns().is_empty(), "the target group survives, detached");
    s.app.store.with_region(fx::ACCOUNT, fx::REGION, |r| {
        let eni = r.enis().values().find(|e| e.interface_type == "network_load_balancer").expect("the interface lingers");
        assert!(eni.release_at.is_some());
        assert!(!r.enis_with_sg(&sg).is_empty(), "so DeleteSecurityGroup still sees a dependency");
        // Once the release time has come, the interface goes and the group is free.
        let later = chrono::Utc::now() + chrono::Duration::seconds(3601);
        r.expire(later);
        assert!(!r.enis().values().any(|e| e.interface_type == "network_load_balancer"), "released on the clock");
        assert!(r.enis_with_sg(&sg).is_empty());
    });
    // Deleting again (or anything unknown) succeeds.
    elb.delete_load_balancer().load_balancer_arn(arn).send().await.unwrap();
    let e = elb.delete_load_balancer().load_balancer_arn("nope").send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
}

#[tokio::test]
async fn delete_without_release_delay_frees_interfaces_and_protection_blocks() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "prot", &[&w.subnets[0].0], &[]).await;
    let arn = lb.load_balancer_arn().unwrap();
    elb.modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .attributes(LoadBalancerAttribute::builder().key("deletion_protection.enabled").value("true").build())
        .send()
        .await
        .unwrap();
    let e = elb.delete_load_balancer().load_balancer_arn(arn).send().await.unwrap_err();
    assert_eq!(code(&e), "OperationNotPermitted");
    assert!(message(&e).contains("deletion protection"), "the controller matches on this: {}", message(&e));
    elb.modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .attributes(LoadBalancerAttribute::builder().key("deletion_protection.enabled").value("false").build())
        .send()
        .await
        .unwrap();
    elb.delete_load_balancer().load_balancer_arn(arn).send().await.unwrap();
    s.app.store.with_region(fx::ACCOUNT, fx::REGION, |r| {
        assert!(r.enis().values().all(|e| e.interface_type != "network_load_balancer"));
    });
}

#[tokio::test]
async fn vpc_with_load_balancer_resources_cannot_be_deleted() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let ec2 = s.ec2().await;
    let vpc = ec2.create_vpc().cidr_block("10.5.0.0/16").send().await.unwrap().vpc().unwrap().vpc_id().unwrap().to_string();
    let tg = fx::tg(&elb, "in-vpc", &vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let e = ec2.delete_vpc().vpc_id(&vpc).send().await.unwrap_err();
    assert_eq!(code(&e), "DependencyViolation");
    elb.delete_target_group().target_group_arn(&tg).send().await.unwrap();
    ec2.delete_vpc().vpc_id(&vpc).send().await.unwrap();
}

#[tokio::test]
async fn load_balancer_quota() {
    let s = common::start_with(fx::config(&[("network-load-balancers", 1)], RegionSettings::default())).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    fx::nlb(&elb, "first", &[&w.subnets[0].0], &[]).await;
    // The same request again is idempotent, not a second load balancer.
    fx::nlb(&elb, "first", &[&w.subnets[0].0], &[]).await;
    let e =
        elb.create_load_balancer().name("second").r#type(LoadBalancerTypeEnum::Network).subnets(&w.subnets[0].0).send().await.unwrap_err();
    assert_eq!(code(&e), "TooManyLoadBalancers");
    assert_eq!(message(&e), "Exceeded quota of account 000000000000");
}

#[tokio::test]
async fn set_subnets_adds_zones_and_set_ip_address_type() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "grow", &[&w.subnets[0].0], &[]).await;
    let arn = lb.load_balancer_arn().unwrap();
    let out = elb.set_subnets().load_balancer_arn(arn).subnets(&w.subnets[0].0).subnets(&w.subnets[2].0).send().await.unwrap();
    let zones: Vec<_> = out.availability_zones().iter().map(|z| z.zone_name().unwrap()).collect();
    assert_eq!(zones, [w.subnets[0].1.as_str(), w.subnets[2].1.as_str()]);
    assert_eq!(out.ip_address_type(), Some(&IpAddressType::Ipv4));
    s.app.store.with_region(fx::ACCOUNT, fx::REGION, |r| {
        assert_eq!(r.enis().values().filter(|e| e.interface_type == "network_load_balancer").count(), 2);
    });
    let e = elb.set_subnets().load_balancer_arn(arn).subnets(&w.subnets[2].0).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest", "NLB subnets cannot be removed");
    let e = elb.set_subnets().load_balancer_arn(arn).subnets("subnet-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(code(&e), "SubnetNotFound");
    let out = elb.set_ip_address_type().load_balancer_arn(arn).ip_address_type(IpAddressType::Ipv4).send().await.unwrap();
    assert_eq!(out.ip_address_type(), Some(&IpAddressType::Ipv4));
    let e = elb.set_ip_address_type().load_balancer_arn(arn).ip_address_type(IpAddressType::Dualstack).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    let e = elb
        .set_ip_address_type()
        .load_balancer_arn(arn.replace("grow", "nope"))
        .ip_address_type(IpAddressType::Ipv4)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "LoadBalancerNotFound");
    // Full mappings (as the controller sends them) keep the addresses already in use.
    let map = |i: usize, ip: &str| SubnetMapping::builder().subnet_id(&w.subnets[i].0).private_ipv4_address(ip).build();
    let fixed = elb
        .create_load_balancer()
        .name("fixed")
        .r#type(LoadBalancerTypeEnum::Network)
        .scheme(LoadBalancerSchemeEnum::Internal)
        .subnet_mappings(map(0, "172.31.0.200"))
        .send()
        .await
        .unwrap();
    let fixed = fixed.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let out = elb
        .set_subnets()
        .load_balancer_arn(&fixed)
        .subnet_mappings(map(0, "172.31.0.200"))
        .subnet_mappings(map(1, "172.31.16.200"))
        .send()
        .await
        .unwrap();
    let ips: Vec<_> = out.availability_zones().iter().map(|z| z.load_balancer_addresses()[0].private_ipv4_address().unwrap()).collect();
    assert_eq!(ips, ["172.31.0.200", "172.31.16.200"]);
}

#[tokio::test]
async fn load_balancer_attributes() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "attrs", &[&w.subnets[0].0], &[]).await;
    let arn = lb.load_balancer_arn().unwrap();
    let d = elb.describe_load_balancer_attributes().load_balancer_arn(arn).send().await.unwrap();
    let get =
        |attrs: &[LoadBalancerAttribute], k: &str| attrs.iter().find(|a| a.key() == Some(k)).and_then(|a| a.value().map(String::from));
    assert_eq!(get(d.attributes(), "deletion_protection.enabled").as_deref(), Some("false"));
    assert_eq!(get(d.attributes(), "load_balancing.cross_zone.enabled").as_deref(), Some("false"));
    assert_eq!(get(d.attributes(), "ipv6.deny_all_igw_traffic").as_deref(), Some("true"), "internal");
    assert_eq!(get(d.attributes(), "access_logs.s3.bucket").as_deref(), Some(""));
    let attr = |k: &str, v: &str| LoadBalancerAttribute::builder().key(k).value(v).build();
    let m = elb
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .attributes(attr("load_balancing.cross_zone.enabled", "true"))
        .attributes(attr("secondary_ips.auto_assigned.per_subnet", "2"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(m.attributes(), "load_balancing.cross_zone.enabled").as_deref(), Some("true"));
    assert_eq!(get(m.attributes(), "deletion_protection.enabled").as_deref(), Some("false"), "other keys are kept");
    let bad = |k: &str, v: &str| elb.modify_load_balancer_attributes().load_balancer_arn(arn).attributes(attr(k, v)).send();
    assert_eq!(code(&bad("no.such.key", "1").await.unwrap_err()), "ValidationError");
    assert_eq!(code(&bad("deletion_protection.enabled", "yes").await.unwrap_err()), "ValidationError");
    assert_eq!(code(&bad("secondary_ips.auto_assigned.per_subnet", "9").await.unwrap_err()), "ValidationError");
    assert_eq!(code(&bad("secondary_ips.auto_assigned.per_subnet", "1").await.unwrap_err()), "InvalidConfigurationRequest");
    assert_eq!(code(&bad("access_logs.s3.enabled", "true").await.unwrap_err()), "InvalidConfigurationRequest");
    assert_eq!(code(&bad("idle_timeout.timeout_seconds", "60").await.unwrap_err()), "ValidationError", "ALB-only key");
    let mut many = elb.modify_load_balancer_attributes().load_balancer_arn(arn);
    for _ in 0..21 {
        many = many.attributes(attr("deletion_protection.enabled", "false"));
    }
    assert_eq!(code(&many.send().await.unwrap_err()), "ValidationError");
    let e = elb.describe_load_balancer_attributes().load_balancer_arn(arn.replace("attrs", "nope")).send().await.unwrap_err();
    assert_eq!(code(&e), "LoadBalancerNotFound");
}

/// Issue 3: a group an NLB uses cannot be deleted while its interfaces carry it, and can once
/// they are released — through the EC2 API, as a controller sees it.
#[tokio::test]
async fn delete_security_group_waits_for_the_nlb_interfaces() {
    let s = common::start().await;
    let (elb, ec2) = (s.elbv2().await, s.ec2().await);
    let w = fx::world(&s);
    let g = ec2.create_security_group().group_name("nlb-front").description("front").vpc_id(&w.vpc).send().await.unwrap();
    let g = g.group_id().unwrap().to_string();
    let lb = fx::nlb(&elb, "uses-group", &[&w.subnets[0].0, &w.subnets[1].0], &[&g]).await;
    let enis = ec2
        .describe_network_interfaces()
        .filters(aws_sdk_ec2::types::Filter::builder().name("group-id").values(&g).build())
        .send()
        .await
        .unwrap();
    assert_eq!(enis.network_interfaces().len(), 2, "one interface per subnet carries the group");
    let e = ec2.delete_security_group().group_id(&g).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DependencyViolation");
    elb.delete_load_balancer().load_balancer_arn(lb.load_balancer_arn().unwrap()).send().await.unwrap();
    // lb_eni_release_seconds is 0 by default: the interfaces are gone and the group is free.
    ec2.delete_security_group().group_id(&g).send().await.unwrap();
}
