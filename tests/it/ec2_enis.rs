//! CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface and
//! ModifyNetworkInterfaceAttribute through aws-sdk-ec2.

use crate::common;

use aws_sdk_ec2::types::{AttributeBooleanValue, AttributeValue, Filter, ResourceType, Tag, TagSpecification};
use lbsim::state::ec2::{Eni, EniAttachment};

const ACCOUNT: &str = "000000000000";

/// An interface as an NLB owns it, made through Region methods (the ELBv2 side is elsewhere).
fn add_nlb_eni(s: &common::Server, subnet: &str) -> String {
    s.app.store.with_region(ACCOUNT, "us-east-1", |r| {
        let sub = r.subnets()[subnet].clone();
        let ip = r.free_ip(subnet, None).unwrap().to_string();
        let id = r.ids.ec2("eni");
        let mac = r.new_mac();
        let attach = r.ids.ec2("ela-attach");
        let vpc_default = r.vpcs()[&sub.vpc_id].default_sg.clone();
        r.insert_eni(Eni {
            id: id.clone(),
            subnet_id: sub.id.clone(),
            vpc_id: sub.vpc_id.clone(),
            az: sub.az.clone(),
            description: "ELB net/my-nlb/0123456789abcdef".into(),
            private_ip: ip,
            mac_address: mac,
            groups: vec![vpc_default],
            attachment: Some(EniAttachment {
                attachment_id: attach,
                instance_id: None,
                instance_owner_id: "amazon-aws".into(),
                device_index: 1,
                delete_on_termination: false,
                attach_time: chrono::Utc::now(),
            }),
            interface_type: "network_load_balancer".into(),
            requester_managed: true,
            requester_id: Some("amazon-elb".into()),
            source_dest_check: false,
            status: "in-use".into(),
            release_at: None,
        });
        id
    })
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// (default VPC, its first subnet, its default group)
async fn world(ec2: &aws_sdk_ec2::Client) -> (String, String, String) {
    let v = ec2.describe_vpcs().filters(filter("is-default", "true")).send().await.unwrap();
    let vpc = v.vpcs()[0].vpc_id().unwrap().to_string();
    let sub = ec2.describe_subnets().filters(filter("availability-zone", "us-east-1a")).send().await.unwrap();
    let sub = sub.subnets()[0].subnet_id().unwrap().to_string();
    let e = ec2.create_network_interface().subnet_id(&sub).send().await.unwrap();
    let eni = e.network_interface().unwrap();
    let g = eni.groups()[0].group_id().unwrap().to_string();
    ec2.delete_network_interface().network_interface_id(eni.network_interface_id().unwrap()).send().await.unwrap();
    (vpc, sub, g)
}

fn ids(d: &aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput) -> Vec<String> {
    d.network_interfaces().iter().map(|e| e.network_interface_id().unwrap().to_string()).collect()
}

#[tokio::test]
async fn create_describe_delete_shapes() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let (vpc, sub, default_sg) = world(&ec2).await;
    let out = ec2
        .create_network_interface()
        .subnet_id(&sub)
        .description("my eni")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::NetworkInterface)
                .tags(Tag::builder().key("team").value("net").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let e = out.network_interface().unwrap();
    let id = e.network_interface_id().unwrap().to_string();
    assert!(id.starts_with("eni-"));
    assert_eq!(e.status().map(|x| x.as_str()), Some("pending"));
    assert_eq!(e.subnet_id(), Some(sub.as_str()));
    assert_eq!(e.vpc_id(), Some(vpc.as_str()));
    assert_eq!(e.availability_zone(), Some("us-east-1a"));
    assert_eq!(e.availability_zone_id(), Some("use1-az1"));
    assert_eq!(e.description(), Some("my eni"));
    assert_eq!(e.owner_id(), Some(ACCOUNT));
    assert_eq!(e.requester_managed(), Some(false));
    assert_eq!(e.source_dest_check(), Some(true));
    assert_eq!(e.interface_type().map(|x| x.as_str()), Some("interface"));
    assert_eq!(e.private_ip_address(), Some("172.31.0.4"));
    assert_eq!(e.private_dns_name(), Some("ip-172-31-0-4.ec2.internal"));
    assert_eq!(e.private_ip_addresses()[0].primary(), Some(true));
    assert!(e.mac_address().unwrap().starts_with("0a:"));
    assert_eq!(e.groups()[0].group_id(), Some(default_sg.as_str()));
    assert_eq!(e.groups()[0].group_name(), Some("default"));
    assert_eq!(e.tag_set()[0].key(), Some("team"));
    assert!(e.attachment().is_none());

    let d = ec2.describe_network_interfaces().network_interface_ids(&id).send().await.unwrap();
    assert_eq!(d.network_interfaces()[0].status().map(|x| x.as_str()), Some("available"));
    // Distinct addresses; a deleted interface's address is free again.
    let second = ec2.create_network_interface().subnet_id(&sub).send().await.unwrap();
    let second = second.network_interface().unwrap();
    assert_eq!(second.private_ip_address(), Some("172.31.0.5"));
    ec2.delete_network_interface().network_interface_id(&id).send().await.unwrap();
    let e = ec2.delete_network_interface().network_interface_id(&id).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidNetworkInterfaceID.NotFound");
    assert_eq!(common::message(&e), format!("The networkInterface ID '{id}' does not exist"));
    let third = ec2.create_network_interface().subnet_id(&sub).send().await.unwrap();
    assert_eq!(third.network_interface().unwrap().private_ip_address(), Some("172.31.0.4"));
    let subnet = ec2.describe_subnets().subnet_ids(&sub).send().await.unwrap();
    assert_eq!(subnet.subnets()[0].available_ip_address_count(), Some(4091 - 2));

    let fixed = ec2.create_network_interface().subnet_id(&sub).private_ip_address("172.31.0.200").send().await.unwrap();
    assert_eq!(fixed.network_interface().unwrap().private_ip_address(), Some("172.31.0.200"));
    let e = ec2.create_network_interface().subnet_id(&sub).private_ip_address("172.31.0.200").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidIPAddress.InUse");
    let e = ec2.create_network_interface().subnet_id(&sub).private_ip_address("10.9.9.9").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
}

#[tokio::test]
async fn create_errors_and_group_quotas() {
    let mut cfg = lbsim::config::Config { seed: Some(5), ..Default::default() };
    cfg.quotas.insert("security-groups-per-network-interface".into(), 2);
    cfg.quotas.insert("rules-times-groups-per-interface".into(), 7);
    let s = common::start_with(cfg).await;
    let ec2 = s.ec2().await;
    let (vpc, sub, default_sg) = world(&ec2).await;
    let (a, b) = (common::add_sg(&s, &vpc, "a"), common::add_sg(&s, &vpc, "b"));
    let e = ec2.create_network_interface().subnet_id("subnet-00000000").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSubnetID.NotFound");
    let e = ec2.create_network_interface().subnet_id(&sub).groups("sg-00000000").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    let e = ec2.create_network_interface().subnet_id(&sub).groups("default").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroupId.Malformed");
    let e = ec2.create_network_interface().subnet_id(&sub).groups(&a).groups(&b).groups(&default_sg).send().await.unwrap_err();
    assert_eq!(common::code(&e), "SecurityGroupsPerInterfaceLimitExceeded");
    assert_eq!(common::message(&e), "The maximum number of security groups per interface has been reached. The limit is 2.");
    // Rules × groups: 4 rules × 2 groups = 8 > 7, while 3 × 2 = 6 fits.
    common::add_rules(&s, &a, 3);
    let ok = ec2.create_network_interface().subnet_id(&sub).groups(&a).groups(&b).send().await.unwrap();
    let ok_id = ok.network_interface().unwrap().network_interface_id().unwrap().to_string();
    common::add_rules(&s, &b, 4);
    let e = ec2.create_network_interface().subnet_id(&sub).groups(&a).groups(&b).send().await.unwrap_err();
    assert_eq!(common::code(&e), "SecurityGroupsPerInterfaceLimitExceeded");
    ec2.create_network_interface().subnet_id(&sub).groups(&b).send().await.unwrap();
    // A group of another VPC.
    let other = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await.unwrap().vpc().unwrap().vpc_id().unwrap().to_string();
    let far = common::add_sg(&s, &other, "far");
    let e = ec2.create_network_interface().subnet_id(&sub).groups(&far).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameter");
    assert_eq!(common::message(&e), format!("Security group {far} and subnet {sub} belong to different networks."));
    // Wrong tag resource type, and DryRun.
    let e = ec2
        .create_network_interface()
        .subnet_id(&sub)
        .tag_specifications(TagSpecification::builder().resource_type(ResourceType::Instance).tags(Tag::builder().key("k").build()).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    let e = ec2.create_network_interface().subnet_id(&sub).dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
    let all = ec2.describe_network_interfaces().send().await.unwrap();
    assert_eq!(ids(&all).len(), 2);
    assert_eq!(ids(&all)[0], ok_id);
    let (_, body) = s.post(&[], "Action=CreateNetworkInterface&Version=2016-11-15").await;
    assert!(body.contains("<Code>MissingParameter</Code>"), "{body}");
}

#[tokio::test]
async fn describe_filters_pages_and_errors() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let (vpc, sub, default_sg) = world(&ec2).await;
    let web = common::add_sg(&s, &vpc, "web");
    let a = ec2.create_network_interface().subnet_id(&sub).description("alpha one").groups(&web).send().await.unwrap();
    let a = a.network_interface().unwrap().clone();
    let a_id = a.network_interface_id().unwrap().to_string();
    let subs = ec2.describe_subnets().filters(filter("availability-zone", "us-east-1b")).send().await.unwrap();
    let sub_b = subs.subnets()[0].subnet_id().unwrap().to_string();
    let b = ec2
        .create_network_interface()
        .subnet_id(&sub_b)
        .description("beta")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::NetworkInterface)
                .tags(Tag::builder().key("env").value("prod").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let b_id = b.network_interface().unwrap().network_interface_id().unwrap().to_string();
    let run = ec2.run_instances().image_id("ami-12345678").min_count(1).max_count(1).subnet_id(&sub).send().await.unwrap();
    let inst = run.instances()[0].instance_id().unwrap().to_string();
    let c_id = run.instances()[0].network_interfaces()[0].network_interface_id().unwrap().to_string();
    let nlb = add_nlb_eni(&s, &sub_b);

    let by = |name: &'static str, value: String| ec2.describe_network_interfaces().filters(filter(name, &value)).send();
    assert_eq!(ids(&by("group-id", web.clone()).await.unwrap()), vec![a_id.clone()]);
    assert_eq!(ids(&by("group-id", default_sg.clone()).await.unwrap()), vec![b_id.clone(), c_id.clone(), nlb.clone()]);
    assert_eq!(ids(&by("group-name", "web".into()).await.unwrap()), vec![a_id.clone()]);
    assert_eq!(ids(&by("subnet-id", sub.clone()).await.unwrap()), vec![a_id.clone(), c_id.clone()]);
    assert_eq!(ids(&by("vpc-id", vpc.clone()).await.unwrap()).len(), 4);
    assert_eq!(ids(&by("availability-zone", "us-east-1b".into()).await.unwrap()), vec![b_id.clone(), nlb.clone()]);
    assert_eq!(ids(&by("addresses.private-ip-address", a.private_ip_address().unwrap().into()).await.unwrap()), vec![a_id.clone()]);
    assert_eq!(ids(&by("private-ip-address", a.private_ip_address().unwrap().into()).await.unwrap()), vec![a_id.clone()]);
    assert_eq!(ids(&by("attachment.instance-id", inst.clone()).await.unwrap()), vec![c_id.clone()]);
    assert_eq!(ids(&by("attachment.status", "attached".into()).await.unwrap()), vec![c_id.clone(), nlb.clone()]);
    assert_eq!(ids(&by("status", "available".into()).await.unwrap()), vec![a_id.clone(), b_id.clone()]);
    assert_eq!(ids(&by("description", "alpha*".into()).await.unwrap()), vec![a_id.clone()]);
    assert_eq!(ids(&by("interface-type", "network_load_balancer".into()).await.unwrap()), vec![nlb.clone()]);
    assert_eq!(ids(&by("requester-managed", "true".into()).await.unwrap()), vec![nlb.clone()]);
    assert_eq!(ids(&by("requester-id", "amazon-elb".into()).await.unwrap()), vec![nlb.clone()]);
    assert_eq!(ids(&by("tag:env", "prod".into()).await.unwrap()), vec![b_id.clone()]);
    assert_eq!(ids(&by("tag-key", "env".into()).await.unwrap()), vec![b_id.clone()]);
    assert_eq!(ids(&by("network-interface-id", a_id.clone()).await.unwrap()), vec![a_id.clone()]);
    assert_eq!(ids(&by("mac-address", a.mac_address().unwrap().into()).await.unwrap()), vec![a_id.clone()]);
    assert_eq!(ids(&by("owner-id", ACCOUNT.into()).await.unwrap()).len(), 4);
    // Several filters AND together; values OR within one.
    let d = ec2
        .describe_network_interfaces()
        .filters(Filter::builder().name("network-interface-id").values(&a_id).values(&b_id).build())
        .filters(filter("subnet-id", &sub))
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&d), vec![a_id.clone()]);
    let e = by("bogus", "x".into()).await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");

    let p1 = ec2.describe_network_interfaces().max_results(5).send().await.unwrap();
    assert_eq!(p1.network_interfaces().len(), 4);
    assert!(p1.next_token().is_none());
    for _ in 0..3 {
        ec2.create_network_interface().subnet_id(&sub).send().await.unwrap();
    }
    let p1 = ec2.describe_network_interfaces().max_results(5).send().await.unwrap();
    assert_eq!(p1.network_interfaces().len(), 5);
    let p2 = ec2.describe_network_interfaces().max_results(5).next_token(p1.next_token().unwrap()).send().await.unwrap();
    assert_eq!(p2.network_interfaces().len(), 2);
    assert!(p2.next_token().is_none());

    let e = ec2.describe_network_interfaces().network_interface_ids("eni-nope").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidNetworkInterfaceId.Malformed");
    assert_eq!(common::message(&e), "Invalid id: \"eni-nope\" (expecting \"eni-...\")");
    let e = ec2.describe_network_interfaces().network_interface_ids(&a_id).network_interface_ids("eni-00000000").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidNetworkInterfaceID.NotFound");
    let e = ec2.describe_network_interfaces().dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");

    // In-use interfaces cannot be deleted: an instance's, and an NLB's.
    let e = ec2.delete_network_interface().network_interface_id(&c_id).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidNetworkInterface.InUse");
    assert_eq!(common::message(&e), format!("Network interface '{c_id}' is currently in use."));
    let e = ec2.delete_network_interface().network_interface_id(&nlb).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidNetworkInterface.InUse");
    let e = ec2.delete_network_interface().network_interface_id(&a_id).dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
    ec2.describe_network_interfaces().network_interface_ids(&a_id).send().await.unwrap();
}

#[tokio::test]
async fn modify_attributes() {
    let mut cfg = lbsim::config::Config { seed: Some(6), ..Default::default() };
    cfg.quotas.insert("security-groups-per-network-interface".into(), 2);
    let s = common::start_with(cfg).await;
    let ec2 = s.ec2().await;
    let (vpc, sub, default_sg) = world(&ec2).await;
    let (a, b) = (common::add_sg(&s, &vpc, "a"), common::add_sg(&s, &vpc, "b"));
    let out = ec2.create_network_interface().subnet_id(&sub).send().await.unwrap();
    let id = out.network_interface().unwrap().network_interface_id().unwrap().to_string();
    let get = || ec2.describe_network_interfaces().network_interface_ids(&id).send();

    ec2.modify_network_interface_attribute().network_interface_id(&id).groups(&a).groups(&b).send().await.unwrap();
    let d = get().await.unwrap();
    let g: Vec<&str> = d.network_interfaces()[0].groups().iter().filter_map(|g| g.group_id()).collect();
    assert_eq!(g, vec![a.as_str(), b.as_str()]);
    // The group index follows: the default group no longer finds it.
    let f = ec2.describe_network_interfaces().filters(filter("group-id", &default_sg)).send().await.unwrap();
    assert!(ids(&f).is_empty());
    let f = ec2.describe_network_interfaces().filters(filter("group-id", &b)).send().await.unwrap();
    assert_eq!(ids(&f), vec![id.clone()]);

    let e = ec2
        .modify_network_interface_attribute()
        .network_interface_id(&id)
        .groups(&a)
        .groups(&b)
        .groups(&default_sg)
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "SecurityGroupsPerInterfaceLimitExceeded");
    let other = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await.unwrap().vpc().unwrap().vpc_id().unwrap().to_string();
    let far = common::add_sg(&s, &other, "far");
    let e = ec2.modify_network_interface_attribute().network_interface_id(&id).groups(&far).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    assert_eq!(common::message(&e), "You have specified two resources that belong to different networks.");
    let e = ec2.modify_network_interface_attribute().network_interface_id(&id).groups(&a).dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
    assert_eq!(get().await.unwrap().network_interfaces()[0].groups().len(), 2);

    ec2.modify_network_interface_attribute()
        .network_interface_id(&id)
        .description(AttributeValue::builder().value("renamed").build())
        .send()
        .await
        .unwrap();
    ec2.modify_network_interface_attribute()
        .network_interface_id(&id)
        .source_dest_check(AttributeBooleanValue::builder().value(false).build())
        .send()
        .await
        .unwrap();
    let d = get().await.unwrap();
    assert_eq!(d.network_interfaces()[0].description(), Some("renamed"));
    assert_eq!(d.network_interfaces()[0].source_dest_check(), Some(false));

    let e = ec2.modify_network_interface_attribute().network_interface_id(&id).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterCombination");
    assert_eq!(common::message(&e), "No attributes specified.");
    let e = ec2
        .modify_network_interface_attribute()
        .network_interface_id(&id)
        .groups(&a)
        .description(AttributeValue::builder().value("x").build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterCombination");
    let e = ec2.modify_network_interface_attribute().network_interface_id("eni-00000000").groups(&a).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidNetworkInterfaceID.NotFound");

    // An NLB's interface is not the user's to change.
    let nlb = add_nlb_eni(&s, &sub);
    let e = ec2.modify_network_interface_attribute().network_interface_id(&nlb).groups(&a).send().await.unwrap_err();
    assert_eq!(common::code(&e), "OperationNotPermitted");

    // An instance's primary interface: the ENI flavour of the quota error applies here.
    let run = ec2.run_instances().image_id("ami-12345678").min_count(1).max_count(1).subnet_id(&sub).send().await.unwrap();
    let primary = run.instances()[0].network_interfaces()[0].network_interface_id().unwrap().to_string();
    let inst = run.instances()[0].instance_id().unwrap().to_string();
    let e = ec2
        .modify_network_interface_attribute()
        .network_interface_id(&primary)
        .groups(&a)
        .groups(&b)
        .groups(&default_sg)
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "SecurityGroupsPerInterfaceLimitExceeded");
    ec2.modify_network_interface_attribute().network_interface_id(&primary).groups(&b).send().await.unwrap();
    let d = ec2.describe_instances().instance_ids(&inst).send().await.unwrap();
    assert_eq!(d.reservations()[0].instances()[0].security_groups()[0].group_id(), Some(b.as_str()));
}
