//! RunInstances, DescribeInstances, TerminateInstances, ModifyInstanceAttribute and
//! DescribeInstanceAttribute through aws-sdk-ec2.

use crate::common;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, InstanceAttributeName, InstanceNetworkInterfaceSpecification, InstanceStateName, InstanceType,
    Placement, ResourceType, Tag, TagSpecification,
};

const ACCOUNT: &str = "000000000000";
const IMAGE: &str = "ami-0123456789abcdef0";

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

async fn default_vpc(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let v = ec2.describe_vpcs().filters(filter("is-default", "true")).send().await.unwrap();
    let vpc = v.vpcs()[0].vpc_id().unwrap().to_string();
    let g = s_default_group(ec2, &vpc).await;
    (vpc, g)
}

async fn s_default_group(ec2: &aws_sdk_ec2::Client, vpc: &str) -> String {
    // DescribeSecurityGroups is built elsewhere; the default group is visible on a new ENI.
    let sub = ec2.describe_subnets().filters(filter("vpc-id", vpc)).send().await.unwrap();
    let sub = sub.subnets()[0].subnet_id().unwrap().to_string();
    let e = ec2.create_network_interface().subnet_id(&sub).send().await.unwrap();
    let eni = e.network_interface().unwrap();
    let g = eni.groups()[0].group_id().unwrap().to_string();
    ec2.delete_network_interface().network_interface_id(eni.network_interface_id().unwrap()).send().await.unwrap();
    g
}

async fn run(ec2: &aws_sdk_ec2::Client, n: i32) -> aws_sdk_ec2::operation::run_instances::RunInstancesOutput {
    ec2.run_instances().image_id(IMAGE).min_count(n).max_count(n).send().await.unwrap()
}

#[tokio::test]
async fn run_describe_terminate_shapes() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let (vpc, default_sg) = default_vpc(&ec2).await;
    let out = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(2)
        .max_count(2)
        .key_name("mykey")
        .tag_specifications(
            TagSpecification::builder().resource_type(ResourceType::Instance).tags(Tag::builder().key("Name").value("web").build()).build(),
        )
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::NetworkInterface)
                .tags(Tag::builder().key("role").value("primary").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(out.reservation_id().unwrap().starts_with("r-"));
    assert_eq!(out.owner_id(), Some(ACCOUNT));
    assert!(out.groups().is_empty());
    let insts = out.instances();
    assert_eq!(insts.len(), 2);
    let i0 = &insts[0];
    assert!(i0.instance_id().unwrap().starts_with("i-"));
    assert_eq!(i0.image_id(), Some(IMAGE));
    assert_eq!(i0.state().unwrap().name(), Some(&InstanceStateName::Pending));
    assert_eq!(i0.state().unwrap().code(), Some(0));
    assert_eq!(i0.instance_type(), Some(&InstanceType::M1Small));
    assert_eq!(i0.key_name(), Some("mykey"));
    assert!(i0.launch_time().is_some());
    assert_eq!(i0.placement().unwrap().availability_zone(), Some("us-east-1a"));
    assert_eq!(i0.placement().unwrap().tenancy().map(|t| t.as_str()), Some("default"));
    assert_eq!(i0.vpc_id(), Some(vpc.as_str()));
    assert_eq!(i0.private_ip_address(), Some("172.31.0.4"));
    assert_eq!(insts[1].private_ip_address(), Some("172.31.0.5"));
    assert_eq!(i0.private_dns_name(), Some("ip-172-31-0-4.ec2.internal"));
    assert_eq!(i0.architecture().map(|a| a.as_str()), Some("x86_64"));
    assert_eq!(i0.root_device_type().map(|a| a.as_str()), Some("ebs"));
    assert_eq!(i0.source_dest_check(), Some(true));
    assert_eq!(i0.ami_launch_index(), Some(0));
    assert_eq!(insts[1].ami_launch_index(), Some(1));
    assert_eq!(i0.security_groups()[0].group_id(), Some(default_sg.as_str()));
    assert_eq!(i0.security_groups()[0].group_name(), Some("default"));
    assert_eq!(i0.tags()[0].key(), Some("Name"));
    let ni = &i0.network_interfaces()[0];
    assert!(ni.network_interface_id().unwrap().starts_with("eni-"));
    assert_eq!(ni.groups()[0].group_id(), Some(default_sg.as_str()));
    assert_eq!(ni.private_ip_address(), Some("172.31.0.4"));
    assert_eq!(ni.private_ip_addresses()[0].primary(), Some(true));
    assert!(ni.mac_address().is_some());
    assert_eq!(ni.owner_id(), Some(ACCOUNT));
    assert_eq!(ni.status().map(|x| x.as_str()), Some("in-use"));
    let att = ni.attachment().unwrap();
    assert_eq!(att.device_index(), Some(0));
    assert_eq!(att.delete_on_termination(), Some(true));
    assert!(att.attachment_id().unwrap().starts_with("eni-attach-"));
    let ids: Vec<String> = insts.iter().map(|i| i.instance_id().unwrap().to_string()).collect();

    // Running from the next call on; one reservation holds both.
    let d = ec2.describe_instances().instance_ids(&ids[0]).instance_ids(&ids[1]).send().await.unwrap();
    assert_eq!(d.reservations().len(), 1);
    let r0 = &d.reservations()[0];
    assert_eq!(r0.reservation_id(), out.reservation_id());
    assert_eq!(r0.instances().len(), 2);
    assert_eq!(r0.instances()[0].state().unwrap().name(), Some(&InstanceStateName::Running));
    assert_eq!(r0.instances()[0].state().unwrap().code(), Some(16));
    assert_eq!(r0.instances()[0].network_interfaces()[0].attachment().unwrap().status().map(|x| x.as_str()), Some("attached"));

    // The primary interface is visible and carries the network-interface tags.
    let enis = ec2.describe_network_interfaces().filters(filter("attachment.instance-id", &ids[0])).send().await.unwrap();
    assert_eq!(enis.network_interfaces().len(), 1);
    let eni_id = enis.network_interfaces()[0].network_interface_id().unwrap().to_string();
    assert_eq!(enis.network_interfaces()[0].tag_set()[0].value(), Some("primary"));

    // Terminate: shutting-down now, terminated afterwards; the interface and its address go.
    let t = ec2.terminate_instances().instance_ids(&ids[0]).send().await.unwrap();
    let ch = &t.terminating_instances()[0];
    assert_eq!(ch.instance_id(), Some(ids[0].as_str()));
    assert_eq!(ch.current_state().unwrap().name(), Some(&InstanceStateName::ShuttingDown));
    assert_eq!(ch.current_state().unwrap().code(), Some(32));
    assert_eq!(ch.previous_state().unwrap().name(), Some(&InstanceStateName::Running));
    let d = ec2.describe_instances().instance_ids(&ids[0]).send().await.unwrap();
    let gone = &d.reservations()[0].instances()[0];
    assert_eq!(gone.state().unwrap().name(), Some(&InstanceStateName::Terminated));
    assert_eq!(gone.state().unwrap().code(), Some(48));
    assert!(gone.network_interfaces().is_empty());
    assert!(gone.security_groups().is_empty());
    assert_eq!(gone.private_ip_address(), None);
    assert_eq!(gone.state_reason().unwrap().code(), Some("Client.UserInitiatedShutdown"));
    let e = ec2.describe_network_interfaces().network_interface_ids(&eni_id).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidNetworkInterfaceID.NotFound");
    let again = run(&ec2, 1).await;
    assert_eq!(again.instances()[0].private_ip_address(), Some("172.31.0.4"));
    // A second terminate reports terminated → terminated.
    let t = ec2.terminate_instances().instance_ids(&ids[0]).send().await.unwrap();
    assert_eq!(t.terminating_instances()[0].current_state().unwrap().name(), Some(&InstanceStateName::Terminated));
    assert_eq!(t.terminating_instances()[0].previous_state().unwrap().name(), Some(&InstanceStateName::Terminated));
}

#[tokio::test]
async fn run_errors() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let e = ec2.run_instances().image_id("img-1").min_count(1).max_count(1).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidAMIID.Malformed");
    assert_eq!(common::message(&e), "Invalid id: \"img-1\" (expecting \"ami-...\")");
    let e = ec2.run_instances().image_id(IMAGE).min_count(3).max_count(2).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    let e = ec2.run_instances().image_id(IMAGE).min_count(1).max_count(1).subnet_id("subnet-00000000").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSubnetID.NotFound");
    let e = ec2.run_instances().image_id(IMAGE).min_count(1).max_count(1).subnet_id("nope").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSubnetID.Malformed");
    let e = ec2.run_instances().image_id(IMAGE).min_count(1).max_count(1).security_group_ids("sg-00000000").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    assert_eq!(common::message(&e), "The security group 'sg-00000000' does not exist");
    let e = ec2.run_instances().image_id(IMAGE).min_count(1).max_count(1).security_group_ids("web").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroupId.Malformed");
    let (vpc, _) = default_vpc(&ec2).await;
    let e = ec2.run_instances().image_id(IMAGE).min_count(1).max_count(1).security_groups("web").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    assert_eq!(common::message(&e), format!("The security group 'web' does not exist in VPC '{vpc}'"));
    let e = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(1)
        .max_count(1)
        .placement(Placement::builder().availability_zone("us-east-1z").build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    assert_eq!(common::message(&e), "Invalid availability zone: [us-east-1z]");

    // Groups of another VPC, and names outside the default VPC.
    let other = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await.unwrap().vpc().unwrap().vpc_id().unwrap().to_string();
    let sub = ec2.create_subnet().vpc_id(&other).cidr_block("10.0.0.0/28").send().await.unwrap();
    let sub = sub.subnet().unwrap().subnet_id().unwrap().to_string();
    let other_sg = common::add_sg(&s, &other, "app");
    let e = ec2.run_instances().image_id(IMAGE).min_count(1).max_count(1).security_group_ids(&other_sg).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameter");
    assert!(common::message(&e).ends_with("belong to different networks."), "{}", common::message(&e));
    let e = ec2.run_instances().image_id(IMAGE).min_count(1).max_count(1).subnet_id(&sub).security_groups("app").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterCombination");
    assert_eq!(common::message(&e), "The parameter groupName cannot be used with the parameter subnet");

    // A /28 has 11 usable addresses: 12 cannot launch, 1..20 launches 11.
    let e = ec2.run_instances().image_id(IMAGE).min_count(12).max_count(12).subnet_id(&sub).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InsufficientFreeAddressesInSubnet");
    let ok = ec2.run_instances().image_id(IMAGE).min_count(1).max_count(20).subnet_id(&sub).send().await.unwrap();
    assert_eq!(ok.instances().len(), 11);
    assert_eq!(ok.instances()[0].security_groups()[0].group_name(), Some("default"));

    // DryRun validates and changes nothing.
    let e = ec2.run_instances().image_id(IMAGE).min_count(1).max_count(1).dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
    let e =
        ec2.run_instances().image_id(IMAGE).min_count(1).max_count(1).dry_run(true).subnet_id("subnet-00000000").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSubnetID.NotFound");
    let all = ec2.describe_instances().filters(filter("vpc-id", &vpc)).send().await.unwrap();
    assert!(all.reservations().is_empty());

    // No default VPC.
    s.app.store.with_region(ACCOUNT, "us-east-1", |r| r.set_default_vpc(None));
    let e = ec2.run_instances().image_id(IMAGE).min_count(1).max_count(1).send().await.unwrap_err();
    assert_eq!(common::code(&e), "VPCIdNotSpecified");
}

#[tokio::test]
async fn missing_parameters_on_the_wire() {
    let s = common::start().await;
    let (status, body) = s.post(&[], "Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&MinCount=1").await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>MissingParameter</Code>"), "{body}");
    let (_, body) = s.post(&[], "Action=TerminateInstances&Version=2016-11-15").await;
    assert!(body.contains("<Code>MissingParameter</Code>"), "{body}");
    let (_, body) = s.post(&[], "Action=RunInstances&Version=2016-11-15&MinCount=1&MaxCount=1").await;
    assert!(body.contains("<Code>MissingParameter</Code>"), "{body}");
}

#[tokio::test]
async fn placement_names_and_addresses() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let (vpc, default_sg) = default_vpc(&ec2).await;
    let web = common::add_sg(&s, &vpc, "web");
    let out = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(1)
        .max_count(1)
        .instance_type(InstanceType::T4gMicro)
        .placement(Placement::builder().availability_zone("us-east-1c").build())
        .security_groups("web")
        .security_group_ids(&default_sg)
        .private_ip_address("172.31.32.10")
        .send()
        .await
        .unwrap();
    let i = &out.instances()[0];
    assert_eq!(i.placement().unwrap().availability_zone(), Some("us-east-1c"));
    assert_eq!(i.private_ip_address(), Some("172.31.32.10"));
    assert_eq!(i.architecture().map(|a| a.as_str()), Some("arm64"));
    let groups: Vec<&str> = i.security_groups().iter().filter_map(|g| g.group_id()).collect();
    assert_eq!(groups, vec![default_sg.as_str(), web.as_str()]);
    let e = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(1)
        .max_count(1)
        .subnet_id(i.subnet_id().unwrap())
        .private_ip_address("172.31.32.10")
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidIPAddress.InUse");
    let e = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(1)
        .max_count(1)
        .subnet_id(i.subnet_id().unwrap())
        .placement(Placement::builder().availability_zone("us-east-1a").build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
}

#[tokio::test]
async fn describe_filters_and_errors() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let (vpc, default_sg) = default_vpc(&ec2).await;
    let web = common::add_sg(&s, &vpc, "web");
    let a = run(&ec2, 1).await.instances()[0].clone();
    let b = ec2
        .run_instances()
        .image_id("ami-12345678")
        .min_count(1)
        .max_count(1)
        .instance_type(InstanceType::T3Micro)
        .security_group_ids(&web)
        .tag_specifications(
            TagSpecification::builder().resource_type(ResourceType::Instance).tags(Tag::builder().key("env").value("prod").build()).build(),
        )
        .send()
        .await
        .unwrap();
    let b_res = b.reservation_id().unwrap().to_string();
    let b = b.instances()[0].clone();
    let (a_id, b_id) = (a.instance_id().unwrap(), b.instance_id().unwrap());
    let ids = |d: aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput| -> Vec<String> {
        d.reservations().iter().flat_map(|r| r.instances()).map(|i| i.instance_id().unwrap().to_string()).collect()
    };
    let by = |name: &'static str, value: String| ec2.describe_instances().filters(filter(name, &value)).send();
    assert_eq!(ids(by("instance.group-id", web.clone()).await.unwrap()), vec![b_id]);
    assert_eq!(ids(by("instance.group-id", default_sg.clone()).await.unwrap()), vec![a_id]);
    assert_eq!(ids(by("network-interface.group-id", web.clone()).await.unwrap()), vec![b_id]);
    assert_eq!(ids(by("instance.group-name", "web".into()).await.unwrap()), vec![b_id]);
    assert_eq!(ids(by("tag:env", "prod".into()).await.unwrap()), vec![b_id]);
    assert_eq!(ids(by("tag:env", "p*".into()).await.unwrap()), vec![b_id]);
    assert_eq!(ids(by("tag-key", "env".into()).await.unwrap()), vec![b_id]);
    assert_eq!(ids(by("instance-type", "t3.micro".into()).await.unwrap()), vec![b_id]);
    assert_eq!(ids(by("image-id", "ami-12345678".into()).await.unwrap()), vec![b_id]);
    assert_eq!(ids(by("reservation-id", b_res).await.unwrap()), vec![b_id]);
    assert_eq!(ids(by("instance-id", a_id.into()).await.unwrap()), vec![a_id]);
    assert_eq!(ids(by("private-ip-address", a.private_ip_address().unwrap().into()).await.unwrap()), vec![a_id]);
    assert_eq!(ids(by("vpc-id", vpc.clone()).await.unwrap()).len(), 2);
    assert_eq!(ids(by("subnet-id", a.subnet_id().unwrap().into()).await.unwrap()).len(), 2);
    assert_eq!(ids(by("availability-zone", "us-east-1a".into()).await.unwrap()).len(), 2);
    assert_eq!(ids(by("instance-state-name", "running".into()).await.unwrap()).len(), 2);
    ec2.terminate_instances().instance_ids(a_id).send().await.unwrap();
    assert_eq!(ids(by("instance-state-name", "running".into()).await.unwrap()), vec![b_id]);
    assert_eq!(ids(by("instance-state-code", "48".into()).await.unwrap()), vec![a_id]);
    // A terminated instance is no longer in its VPC.
    assert_eq!(ids(by("vpc-id", vpc.clone()).await.unwrap()), vec![b_id]);
    let e = by("no-such-filter", "x".into()).await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    assert_eq!(common::message(&e), "The filter 'no-such-filter' is invalid");

    let e = ec2.describe_instances().instance_ids("i-xyz").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidInstanceID.Malformed");
    assert_eq!(common::message(&e), "Invalid id: \"i-xyz\" (expecting \"i-...\")");
    let e = ec2.describe_instances().instance_ids("i-00000000").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidInstanceID.NotFound");
    assert_eq!(common::message(&e), "The instance ID 'i-00000000' does not exist");
    let e = ec2.describe_instances().instance_ids(b_id).instance_ids("i-00000000").instance_ids("i-11111111").send().await.unwrap_err();
    assert_eq!(common::message(&e), "The instance IDs 'i-00000000, i-11111111' do not exist");
    let e = ec2.describe_instances().instance_ids(b_id).max_results(5).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterCombination");
    assert_eq!(common::message(&e), "The parameter instancesSet cannot be used with the parameter maxResults");
    let e = ec2.terminate_instances().instance_ids("i-00000000").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidInstanceID.NotFound");
    // All or nothing: a bad id in the list terminates none.
    let e = ec2.terminate_instances().instance_ids(b_id).instance_ids("i-00000000").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidInstanceID.NotFound");
    let e = ec2.terminate_instances().instance_ids(b_id).dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
    assert_eq!(ids(by("instance-state-name", "running".into()).await.unwrap()), vec![b_id]);
    let e = ec2.describe_instances().dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
}

#[tokio::test]
async fn describe_pages() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    run(&ec2, 4).await;
    run(&ec2, 3).await;
    let p1 = ec2.describe_instances().max_results(5).send().await.unwrap();
    let n1: usize = p1.reservations().iter().map(|r| r.instances().len()).sum();
    assert_eq!(n1, 5);
    assert_eq!(p1.reservations().len(), 2);
    let p2 = ec2.describe_instances().max_results(5).next_token(p1.next_token().unwrap()).send().await.unwrap();
    let n2: usize = p2.reservations().iter().map(|r| r.instances().len()).sum();
    assert_eq!(n2, 2);
    assert!(p2.next_token().is_none());
    let e = ec2.describe_instances().max_results(3).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    let e = ec2.describe_instances().next_token("bogus").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidNextToken");
    // The SDK paginator walks every page.
    let mut seen = 0;
    let mut pages = ec2.describe_instances().max_results(5).into_paginator().send();
    while let Some(p) = pages.next().await {
        seen += p.unwrap().reservations().iter().map(|r| r.instances().len()).sum::<usize>();
    }
    assert_eq!(seen, 7);
}

#[tokio::test]
async fn modify_and_describe_attributes() {
    let mut cfg = lbsim::config::Config { seed: Some(3), ..Default::default() };
    cfg.quotas.insert("security-groups-per-network-interface".into(), 2);
    cfg.quotas.insert("rules-times-groups-per-interface".into(), 5);
    let s = common::start_with(cfg).await;
    let ec2 = s.ec2().await;
    let (vpc, default_sg) = default_vpc(&ec2).await;
    let (web, api, big) = (common::add_sg(&s, &vpc, "web"), common::add_sg(&s, &vpc, "api"), common::add_sg(&s, &vpc, "big"));
    let id = run(&ec2, 1).await.instances()[0].instance_id().unwrap().to_string();

    ec2.modify_instance_attribute().instance_id(&id).groups(&web).groups(&api).send().await.unwrap();
    let a = ec2.describe_instance_attribute().instance_id(&id).attribute(InstanceAttributeName::GroupSet).send().await.unwrap();
    assert_eq!(a.instance_id(), Some(id.as_str()));
    let got: Vec<&str> = a.groups().iter().filter_map(|g| g.group_id()).collect();
    assert_eq!(got, vec![web.as_str(), api.as_str()]);
    assert_eq!(a.groups()[0].group_name(), Some("web"));
    let d = ec2.describe_instances().instance_ids(&id).send().await.unwrap();
    assert_eq!(d.reservations()[0].instances()[0].security_groups().len(), 2);
    // The default group no longer carries the instance's interface.
    let d = ec2.describe_instances().filters(filter("instance.group-id", &default_sg)).send().await.unwrap();
    assert!(d.reservations().is_empty());

    let e = ec2.modify_instance_attribute().instance_id(&id).groups(&web).groups(&api).groups(&default_sg).send().await.unwrap_err();
    assert_eq!(common::code(&e), "SecurityGroupsPerInstanceLimitExceeded");
    assert_eq!(common::message(&e), "The maximum number of security groups per instance has been reached. The limit is 2.");
    // Rules × groups: 3 rules in one group × 2 groups = 6 > 5.
    common::add_rules(&s, &big, 3);
    let e = ec2.modify_instance_attribute().instance_id(&id).groups(&web).groups(&big).send().await.unwrap_err();
    assert_eq!(common::code(&e), "SecurityGroupsPerInstanceLimitExceeded");
    ec2.modify_instance_attribute().instance_id(&id).groups(&big).send().await.unwrap();
    let other = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await.unwrap().vpc().unwrap().vpc_id().unwrap().to_string();
    let far = common::add_sg(&s, &other, "far");
    let e = ec2.modify_instance_attribute().instance_id(&id).groups(&far).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    assert_eq!(common::message(&e), "You have specified two resources that belong to different networks.");
    let e = ec2.modify_instance_attribute().instance_id(&id).groups("sg-00000000").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    let e = ec2.modify_instance_attribute().instance_id(&id).groups(&web).dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
    let a = ec2.describe_instance_attribute().instance_id(&id).attribute(InstanceAttributeName::GroupSet).send().await.unwrap();
    assert_eq!(a.groups()[0].group_id(), Some(big.as_str()));

    // Source/destination check lives on the primary interface.
    ec2.modify_instance_attribute()
        .instance_id(&id)
        .source_dest_check(AttributeBooleanValue::builder().value(false).build())
        .send()
        .await
        .unwrap();
    let a = ec2.describe_instance_attribute().instance_id(&id).attribute(InstanceAttributeName::SourceDestCheck).send().await.unwrap();
    assert_eq!(a.source_dest_check().unwrap().value(), Some(false));
    let a = ec2.describe_instance_attribute().instance_id(&id).attribute(InstanceAttributeName::InstanceType).send().await.unwrap();
    assert_eq!(a.instance_type().unwrap().value(), Some("m1.small"));
    let a =
        ec2.describe_instance_attribute().instance_id(&id).attribute(InstanceAttributeName::DisableApiTermination).send().await.unwrap();
    assert_eq!(a.disable_api_termination().unwrap().value(), Some(false));

    let e = ec2.modify_instance_attribute().instance_id(&id).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterCombination");
    assert_eq!(common::message(&e), "No attributes specified.");
    let e = ec2
        .modify_instance_attribute()
        .instance_id(&id)
        .groups(&web)
        .source_dest_check(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterCombination");
    let e = ec2
        .modify_instance_attribute()
        .instance_id(&id)
        .instance_type(aws_sdk_ec2::types::AttributeValue::builder().value("t3.large").build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "IncorrectInstanceState");
    let e = ec2.modify_instance_attribute().instance_id("i-00000000").groups(&web).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidInstanceID.NotFound");
    ec2.terminate_instances().instance_ids(&id).send().await.unwrap();
    let e = ec2.modify_instance_attribute().instance_id(&id).groups(&web).send().await.unwrap_err();
    assert_eq!(common::code(&e), "IncorrectInstanceState");
}

#[tokio::test]
async fn run_quota_and_product_checks() {
    let mut cfg = lbsim::config::Config { seed: Some(4), ..Default::default() };
    cfg.quotas.insert("security-groups-per-network-interface".into(), 1);
    cfg.quotas.insert("network-interfaces-per-region".into(), 3);
    let s = common::start_with(cfg).await;
    let ec2 = s.ec2().await;
    let (vpc, default_sg) = default_vpc(&ec2).await;
    let web = common::add_sg(&s, &vpc, "web");
    let e = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(1)
        .max_count(1)
        .security_group_ids(&web)
        .security_group_ids(&default_sg)
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "SecurityGroupsPerInstanceLimitExceeded");
    // A group named twice is one group.
    ec2.run_instances().image_id(IMAGE).min_count(1).max_count(1).security_group_ids(&web).security_group_ids(&web).send().await.unwrap();
    // Three interfaces in the Region at most: 2 more fit, a third does not.
    let out = ec2.run_instances().image_id(IMAGE).min_count(1).max_count(5).send().await.unwrap();
    assert_eq!(out.instances().len(), 2);
    let e = ec2.run_instances().image_id(IMAGE).min_count(1).max_count(1).send().await.unwrap_err();
    assert_eq!(common::code(&e), "NetworkInterfaceLimitExceeded");
}

#[tokio::test]
async fn launch_with_an_existing_interface() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let subnets = ec2.describe_subnets().send().await.unwrap();
    let sub = subnets.subnets()[1].subnet_id().unwrap().to_string();
    let eni = ec2.create_network_interface().subnet_id(&sub).description("pre-made").send().await.unwrap();
    let eni_id = eni.network_interface().unwrap().network_interface_id().unwrap().to_string();
    let out = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(1)
        .max_count(1)
        .network_interfaces(InstanceNetworkInterfaceSpecification::builder().device_index(0).network_interface_id(&eni_id).build())
        .send()
        .await
        .unwrap();
    let i = &out.instances()[0];
    assert_eq!(i.subnet_id(), Some(sub.as_str()));
    assert_eq!(i.network_interfaces()[0].network_interface_id(), Some(eni_id.as_str()));
    let id = i.instance_id().unwrap().to_string();
    let d = ec2.describe_network_interfaces().network_interface_ids(&eni_id).send().await.unwrap();
    let e0 = &d.network_interfaces()[0];
    assert_eq!(e0.status().map(|x| x.as_str()), Some("in-use"));
    assert_eq!(e0.attachment().unwrap().instance_id(), Some(id.as_str()));
    assert_eq!(e0.attachment().unwrap().delete_on_termination(), Some(false));
    // In use by the instance: neither deletable nor attachable again.
    let e = ec2.delete_network_interface().network_interface_id(&eni_id).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidNetworkInterface.InUse");
    let e = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(1)
        .max_count(1)
        .network_interfaces(InstanceNetworkInterfaceSpecification::builder().device_index(0).network_interface_id(&eni_id).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidNetworkInterface.InUse");
    // Terminating detaches it; it survives with its address.
    ec2.terminate_instances().instance_ids(&id).send().await.unwrap();
    let d = ec2.describe_network_interfaces().network_interface_ids(&eni_id).send().await.unwrap();
    assert_eq!(d.network_interfaces()[0].status().map(|x| x.as_str()), Some("available"));
    assert!(d.network_interfaces()[0].attachment().is_none());
    ec2.delete_network_interface().network_interface_id(&eni_id).send().await.unwrap();
    // A new interface from a spec, and the mixing rule.
    let out = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(1)
        .max_count(1)
        .network_interfaces(InstanceNetworkInterfaceSpecification::builder().device_index(0).subnet_id(&sub).description("nic0").build())
        .send()
        .await
        .unwrap();
    assert_eq!(out.instances()[0].network_interfaces()[0].description(), Some("nic0"));
    let e = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(1)
        .max_count(1)
        .subnet_id(&sub)
        .network_interfaces(InstanceNetworkInterfaceSpecification::builder().device_index(0).subnet_id(&sub).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterCombination");
}
