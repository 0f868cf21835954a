//! Security groups through aws-sdk-ec2: CreateSecurityGroup, DescribeSecurityGroups (ids, names,
//! every documented filter, pagination) and DeleteSecurityGroup (default group, dependencies).

use crate::common;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, Tag, TagSpecification, UserIdGroupPair};

const ACCOUNT: &str = "000000000000";
const REGION: &str = "us-east-1";

async fn new_vpc(ec2: &Client, cidr: &str) -> String {
    ec2.create_vpc().cidr_block(cidr).send().await.unwrap().vpc().unwrap().vpc_id().unwrap().to_string()
}

async fn new_group(ec2: &Client, vpc: &str, name: &str) -> String {
    ec2.create_security_group()
        .group_name(name)
        .description(format!("{name} group"))
        .vpc_id(vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string()
}

fn filter(name: &str, values: &[&str]) -> Filter {
    let mut f = Filter::builder().name(name);
    for v in values {
        f = f.values(*v);
    }
    f.build()
}

fn tcp(port: i32, cidr: &str) -> IpPermission {
    IpPermission::builder().ip_protocol("tcp").from_port(port).to_port(port).ip_ranges(IpRange::builder().cidr_ip(cidr).build()).build()
}

fn tags(key: &str, value: &str) -> TagSpecification {
    TagSpecification::builder().resource_type(ResourceType::SecurityGroup).tags(Tag::builder().key(key).value(value).build()).build()
}

/// Group names matched by a describe with these filters, sorted.
async fn names(ec2: &Client, filters: Vec<Filter>) -> Vec<String> {
    let out = ec2.describe_security_groups().set_filters(Some(filters)).send().await.unwrap();
    let mut v: Vec<String> = out.security_groups().iter().map(|g| g.group_name().unwrap().to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn create_describe_delete_with_every_field() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let out = ec2
        .create_security_group()
        .group_name("web-sg")
        .description("web tier")
        .vpc_id(&vpc)
        .tag_specifications(tags("env", "dev"))
        .send()
        .await
        .unwrap();
    let id = out.group_id().unwrap().to_string();
    assert!(id.starts_with("sg-") && id.len() == 20, "{id}");
    assert_eq!(out.security_group_arn(), Some(format!("arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{id}").as_str()));
    assert_eq!(out.tags()[0].key(), Some("env"));
    assert_eq!(out.tags()[0].value(), Some("dev"));

    let d = ec2.describe_security_groups().group_ids(&id).send().await.unwrap();
    assert_eq!(d.security_groups().len(), 1);
    let g = &d.security_groups()[0];
    assert_eq!(g.group_id(), Some(id.as_str()));
    assert_eq!(g.group_name(), Some("web-sg"));
    assert_eq!(g.description(), Some("web tier"));
    assert_eq!(g.owner_id(), Some(ACCOUNT));
    assert_eq!(g.vpc_id(), Some(vpc.as_str()));
    assert_eq!(g.security_group_arn(), out.security_group_arn());
    assert_eq!(g.tags().len(), 1);
    assert!(g.ip_permissions().is_empty());
    // The default outbound rule: all traffic to 0.0.0.0/0, ports omitted for protocol -1.
    let e = &g.ip_permissions_egress()[0];
    assert_eq!(g.ip_permissions_egress().len(), 1);
    assert_eq!(e.ip_protocol(), Some("-1"));
    assert_eq!((e.from_port(), e.to_port()), (None, None));
    assert_eq!(e.ip_ranges()[0].cidr_ip(), Some("0.0.0.0/0"));
    assert!(e.user_id_group_pairs().is_empty() && e.ipv6_ranges().is_empty() && e.prefix_list_ids().is_empty());
    // It is an ordinary rule with its own id.
    let rules = ec2.describe_security_group_rules().filters(filter("group-id", &[&id])).send().await.unwrap();
    let r = &rules.security_group_rules()[0];
    assert!(r.security_group_rule_id().unwrap().starts_with("sgr-"));
    assert_eq!((r.is_egress(), r.from_port(), r.to_port()), (Some(true), Some(-1), Some(-1)));

    let del = ec2.delete_security_group().group_id(&id).send().await.unwrap();
    assert_eq!(del.r#return(), Some(true));
    assert_eq!(del.group_id(), Some(id.as_str()));
    let e = ec2.describe_security_groups().group_ids(&id).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    assert_eq!(common::message(&e), format!("The security group '{id}' does not exist"));
    // Its rules are gone too.
    let rules = ec2.describe_security_group_rules().filters(filter("group-id", &[&id])).send().await.unwrap();
    assert!(rules.security_group_rules().is_empty());
}

#[tokio::test]
async fn create_refuses_bad_names_and_duplicates() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    new_group(&ec2, &vpc, "web").await;

    let e = ec2.create_security_group().group_name("WEB").description("d").vpc_id(&vpc).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.Duplicate");
    assert_eq!(common::message(&e), format!("The security group 'WEB' already exists for VPC '{vpc}'"));
    let e = ec2.create_security_group().group_name("sg-web").description("d").vpc_id(&vpc).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    assert_eq!(common::message(&e), "Value (sg-web) for parameter GroupName is invalid. Group names may not be in the format sg-*.");
    let e = ec2.create_security_group().group_name("default").description("d").vpc_id(&vpc).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    assert_eq!(common::message(&e), "Cannot use reserved security group name: default");
    let e = ec2.create_security_group().group_name("x").description("tête").vpc_id(&vpc).send().await.unwrap_err();
    assert_eq!(
        common::message(&e),
        "Value (tête) for parameter GroupDescription is invalid. Character sets beyond ASCII are not supported."
    );
    let e = ec2.create_security_group().group_name("a?b").description("d").vpc_id(&vpc).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    let long = "n".repeat(256);
    let e = ec2.create_security_group().group_name(&long).description("d").vpc_id(&vpc).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    let e = ec2.create_security_group().group_name("x").description("d").vpc_id("vpc-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidVpcID.NotFound");
    let e = ec2.create_security_group().group_name("x").description("d").vpc_id(&vpc).dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
    assert!(names(&ec2, vec![filter("group-name", &["x"])]).await.is_empty());
    // Required members, sent raw as a client that skips them would.
    let (status, body) = s.post(&[], "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=x").await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>MissingParameter</Code>") && body.contains("GroupDescription"), "{body}");
    let e = ec2
        .create_security_group()
        .group_name("x")
        .description("d")
        .tag_specifications(
            TagSpecification::builder().resource_type(ResourceType::Vpc).tags(Tag::builder().key("k").value("v").build()).build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
}

#[tokio::test]
async fn create_without_vpc_uses_the_default_vpc_or_fails_without_one() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let default_vpc =
        ec2.describe_vpcs().filters(filter("is-default", &["true"])).send().await.unwrap().vpcs()[0].vpc_id().unwrap().to_string();
    let id = ec2.create_security_group().group_name("plain").description("d").send().await.unwrap().group_id().unwrap().to_string();
    let g = ec2.describe_security_groups().group_names("plain").send().await.unwrap();
    assert_eq!(g.security_groups()[0].group_id(), Some(id.as_str()));
    assert_eq!(g.security_groups()[0].vpc_id(), Some(default_vpc.as_str()));
    ec2.delete_security_group().group_name("plain").send().await.unwrap();

    // Take the default VPC away: then a VpcId is required.
    let subnets = ec2.describe_subnets().filters(filter("vpc-id", &[&default_vpc])).send().await.unwrap();
    for sn in subnets.subnets() {
        ec2.delete_subnet().subnet_id(sn.subnet_id().unwrap()).send().await.unwrap();
    }
    // Its internet gateway must go first, as on AWS.
    let e = ec2.delete_vpc().vpc_id(&default_vpc).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DependencyViolation");
    let igws = ec2.describe_internet_gateways().filters(filter("attachment.vpc-id", &[&default_vpc])).send().await.unwrap();
    let igw = igws.internet_gateways()[0].internet_gateway_id().unwrap();
    ec2.detach_internet_gateway().internet_gateway_id(igw).vpc_id(&default_vpc).send().await.unwrap();
    ec2.delete_internet_gateway().internet_gateway_id(igw).send().await.unwrap();
    ec2.delete_vpc().vpc_id(&default_vpc).send().await.unwrap();
    let e = ec2.create_security_group().group_name("plain").description("d").send().await.unwrap_err();
    assert_eq!(common::code(&e), "VPCIdNotSpecified");
    let e = ec2.describe_security_groups().group_names("plain").send().await.unwrap_err();
    assert_eq!(common::code(&e), "VPCIdNotSpecified");
}

#[tokio::test]
async fn security_group_quota() {
    let mut cfg = lbsim::config::Config { seed: Some(3), ..Default::default() };
    cfg.quotas.insert("security-groups-per-region".into(), 3);
    let s = common::start_with(cfg).await;
    let ec2 = s.ec2().await;
    // The default VPC's default group counts: two more fit.
    ec2.create_security_group().group_name("a").description("d").send().await.unwrap();
    ec2.create_security_group().group_name("b").description("d").send().await.unwrap();
    let e = ec2.create_security_group().group_name("c").description("d").send().await.unwrap_err();
    assert_eq!(common::code(&e), "SecurityGroupLimitExceeded");
    ec2.delete_security_group().group_name("b").send().await.unwrap();
    ec2.create_security_group().group_name("c").description("d").send().await.unwrap();
}

#[tokio::test]
async fn describe_by_ids_and_names_and_their_errors() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let default_vpc =
        ec2.describe_vpcs().filters(filter("is-default", &["true"])).send().await.unwrap().vpcs()[0].vpc_id().unwrap().to_string();
    let a = ec2.create_security_group().group_name("alpha").description("d").send().await.unwrap().group_id().unwrap().to_string();
    let both = ec2.describe_security_groups().group_ids(&a).group_names("default").send().await.unwrap();
    assert_eq!(both.security_groups().len(), 2);
    let e = ec2.describe_security_groups().group_ids("eks-cluster-sg*").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroupId.Malformed");
    assert_eq!(common::message(&e), "Invalid id: \"eks-cluster-sg*\" (expecting \"sg-...\")");
    let e = ec2.describe_security_groups().group_ids(&a).group_ids("sg-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    let e = ec2.describe_security_groups().group_names("nope").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    assert_eq!(common::message(&e), format!("The security group 'nope' does not exist in default VPC '{default_vpc}'"));
    let e = ec2.describe_security_groups().filters(filter("name", &["x"])).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    assert_eq!(common::message(&e), "The filter 'name' is invalid");
}

#[tokio::test]
async fn describe_filters_by_fields_rules_and_tags() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let other_vpc = new_vpc(&ec2, "10.9.0.0/16").await;
    let pl = ec2.describe_managed_prefix_lists().send().await.unwrap().prefix_lists()[0].prefix_list_id().unwrap().to_string();
    let a = new_group(&ec2, &vpc, "alpha").await;
    let b = ec2
        .create_security_group()
        .group_name("bravo")
        .description("the b group")
        .vpc_id(&vpc)
        .tag_specifications(tags("env", "prod"))
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let c = ec2
        .create_security_group()
        .group_name("charlie")
        .description("d")
        .vpc_id(&vpc)
        .tag_specifications(tags("env", "dev"))
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    new_group(&ec2, &other_vpc, "alpha").await;
    let udp53 = IpPermission::builder()
        .ip_protocol("udp")
        .from_port(53)
        .to_port(53)
        .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
        .build();
    ec2.authorize_security_group_ingress().group_id(&a).ip_permissions(tcp(443, "10.0.0.0/8")).ip_permissions(udp53).send().await.unwrap();
    let to_pl = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .prefix_list_ids(PrefixListId::builder().prefix_list_id(&pl).build())
        .build();
    ec2.authorize_security_group_egress().group_id(&a).ip_permissions(to_pl).send().await.unwrap();
    let from_a = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(80)
        .to_port(80)
        .user_id_group_pairs(UserIdGroupPair::builder().group_id(&a).build())
        .build();
    ec2.authorize_security_group_ingress().group_id(&b).ip_permissions(from_a).send().await.unwrap();
    ec2.authorize_security_group_ingress().group_id(&c).ip_permissions(tcp(22, "10.0.0.0/8")).send().await.unwrap();

    let v = |f: &[(&str, &[&str])]| f.iter().map(|(n, vals)| filter(n, vals)).collect::<Vec<_>>();
    assert_eq!(names(&ec2, v(&[("vpc-id", &[&vpc])])).await, ["alpha", "bravo", "charlie", "default"]);
    assert_eq!(names(&ec2, v(&[("group-name", &["alpha"])])).await, ["alpha", "alpha"]);
    assert_eq!(names(&ec2, v(&[("group-name", &["alpha"]), ("vpc-id", &[&vpc])])).await, ["alpha"]);
    assert_eq!(names(&ec2, v(&[("group-id", &[&b, &c])])).await, ["bravo", "charlie"]);
    assert_eq!(names(&ec2, v(&[("description", &["the b*"])])).await, ["bravo"]);
    assert_eq!(names(&ec2, v(&[("owner-id", &[ACCOUNT]), ("vpc-id", &[&vpc])])).await.len(), 4);
    assert_eq!(names(&ec2, v(&[("ip-permission.cidr", &["10.0.0.0/8"])])).await, ["alpha", "charlie"]);
    assert_eq!(names(&ec2, v(&[("ip-permission.cidr", &["10.0.0.0/8"]), ("ip-permission.from-port", &["443"])])).await, ["alpha"]);
    assert_eq!(names(&ec2, v(&[("ip-permission.to-port", &["22"])])).await, ["charlie"]);
    // Filters on rules may be satisfied by different rules of one group.
    assert_eq!(names(&ec2, v(&[("ip-permission.cidr", &["10.0.0.0/8"]), ("ip-permission.protocol", &["udp"])])).await, ["alpha"]);
    assert_eq!(names(&ec2, v(&[("ip-permission.ipv6-cidr", &["::/0"])])).await, ["alpha"]);
    assert_eq!(names(&ec2, v(&[("ip-permission.group-id", &[&a])])).await, ["bravo"]);
    assert_eq!(names(&ec2, v(&[("ip-permission.group-name", &["alpha"])])).await, ["bravo"]);
    assert_eq!(names(&ec2, v(&[("ip-permission.user-id", &[ACCOUNT]), ("vpc-id", &[&vpc])])).await, ["bravo", "default"]);
    assert_eq!(names(&ec2, v(&[("ip-permission.prefix-list-id", &[&pl])])).await, Vec::<String>::new());
    assert_eq!(names(&ec2, v(&[("egress.ip-permission.prefix-list-id", &[&pl])])).await, ["alpha"]);
    assert_eq!(names(&ec2, v(&[("egress.ip-permission.protocol", &["-1"]), ("vpc-id", &[&vpc])])).await.len(), 4);
    assert_eq!(
        names(&ec2, v(&[("egress.ip-permission.cidr", &["0.0.0.0/0"]), ("egress.ip-permission.from-port", &["443"])])).await,
        ["alpha"]
    );
    assert_eq!(names(&ec2, v(&[("egress.ip-permission.to-port", &["443"])])).await, ["alpha"]);
    assert!(names(&ec2, v(&[("egress.ip-permission.ipv6-cidr", &["::/0"])])).await.is_empty());
    assert!(names(&ec2, v(&[("egress.ip-permission.group-id", &[&a])])).await.is_empty());
    assert!(names(&ec2, v(&[("egress.ip-permission.group-name", &["alpha"])])).await.is_empty());
    assert!(names(&ec2, v(&[("egress.ip-permission.user-id", &[ACCOUNT])])).await.is_empty());
    assert_eq!(names(&ec2, v(&[("tag:env", &["prod"])])).await, ["bravo"]);
    assert_eq!(names(&ec2, v(&[("tag:env", &["d*"])])).await, ["charlie"]);
    assert_eq!(names(&ec2, v(&[("tag-key", &["env"])])).await, ["bravo", "charlie"]);
    assert_eq!(names(&ec2, v(&[("tag-value", &["dev"])])).await, ["charlie"]);
    assert_eq!(names(&ec2, v(&[("tag:env", &["prod", "dev"]), ("ip-permission.cidr", &["10.0.0.0/8"])])).await, ["charlie"]);
}

#[tokio::test]
async fn describe_paginates() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(new_group(&ec2, &vpc, &format!("g{i}")).await);
    }
    let p1 = ec2.describe_security_groups().filters(filter("vpc-id", &[&vpc])).max_results(5).send().await.unwrap();
    assert_eq!(p1.security_groups().len(), 5);
    let token = p1.next_token().unwrap().to_string();
    let p2 = ec2.describe_security_groups().filters(filter("vpc-id", &[&vpc])).max_results(5).next_token(&token).send().await.unwrap();
    assert_eq!(p2.security_groups().len(), 3);
    assert!(p2.next_token().is_none());
    let mut seen: Vec<&str> = p1.security_groups().iter().chain(p2.security_groups()).map(|g| g.group_id().unwrap()).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 8);
    // The SDK paginator walks the same pages.
    let all: Vec<_> =
        ec2.describe_security_groups().max_results(5).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await.unwrap();
    assert_eq!(all.len(), 9); // 7 + the two VPCs' default groups
    // Ids with MaxResults page too.
    let by_id = ec2.describe_security_groups().set_group_ids(Some(ids.clone())).max_results(5).send().await.unwrap();
    assert_eq!(by_id.security_groups().len(), 5);
    assert!(by_id.next_token().is_some());
    let e = ec2.describe_security_groups().max_results(4).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    let e = ec2.describe_security_groups().max_results(5).next_token("garbage").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidNextToken");
}

#[tokio::test]
async fn delete_refuses_default_groups_and_dependents() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let default_sg =
        ec2.describe_security_groups().group_names("default").send().await.unwrap().security_groups()[0].group_id().unwrap().to_string();
    let e = ec2.delete_security_group().group_name("default").send().await.unwrap_err();
    assert_eq!(common::code(&e), "CannotDelete");
    assert_eq!(common::message(&e), format!("the specified group: \"{default_sg}\" name: \"default\" cannot be deleted by a user"));
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let vpc_default = ec2.describe_security_groups().filters(filter("vpc-id", &[&vpc])).send().await.unwrap().security_groups()[0]
        .group_id()
        .unwrap()
        .to_string();
    let e = ec2.delete_security_group().group_id(&vpc_default).send().await.unwrap_err();
    assert_eq!(common::code(&e), "CannotDelete");

    // Referenced by another group's rule.
    let a = new_group(&ec2, &vpc, "a").await;
    let b = new_group(&ec2, &vpc, "b").await;
    let from_a = IpPermission::builder().ip_protocol("-1").user_id_group_pairs(UserIdGroupPair::builder().group_id(&a).build()).build();
    ec2.authorize_security_group_ingress().group_id(&b).ip_permissions(from_a.clone()).send().await.unwrap();
    let e = ec2.delete_security_group().group_id(&a).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DependencyViolation");
    assert_eq!(common::message(&e), format!("resource {a} has a dependent object"));
    ec2.revoke_security_group_ingress().group_id(&b).ip_permissions(from_a).send().await.unwrap();
    // A group's own self-reference does not hold it.
    let self_ref = IpPermission::builder().ip_protocol("-1").user_id_group_pairs(UserIdGroupPair::builder().group_id(&a).build()).build();
    ec2.authorize_security_group_ingress().group_id(&a).ip_permissions(self_ref).send().await.unwrap();
    ec2.delete_security_group().group_id(&a).send().await.unwrap();

    // Carried by an interface.
    ec2.create_subnet().vpc_id(&vpc).cidr_block("10.0.1.0/24").send().await.unwrap();
    let eni = common::attach_eni(&s, &vpc, &[&b]);
    let e = ec2.delete_security_group().group_id(&b).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DependencyViolation");
    let e = ec2.delete_security_group().group_id(&b).dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DependencyViolation");
    s.app.store.with_region(ACCOUNT, REGION, |r| r.remove_eni(&eni));
    let e = ec2.delete_security_group().group_id(&b).dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
    ec2.delete_security_group().group_id(&b).send().await.unwrap();

    // Names resolve only in the default VPC.
    new_group(&ec2, &vpc, "c").await;
    let e = ec2.delete_security_group().group_name("c").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    let e = ec2.delete_security_group().group_id("sg-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    let e = ec2.delete_security_group().group_id("default").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroupId.Malformed");
    let (status, body) = s.post(&[], "Action=DeleteSecurityGroup&Version=2016-11-15").await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>MissingParameter</Code>"), "{body}");
}

/// DescribeSecurityGroups answers from a cache of rendered groups (state/render_cache.rs): after
/// each kind of change the next describe shows it. Debug builds also re-render every cached
/// group and panic on a difference, so this walks every mutator the cache depends on.
#[tokio::test]
async fn describes_follow_every_change_to_a_group() {
    use aws_sdk_ec2::types::{SecurityGroupRuleRequest, SecurityGroupRuleUpdate};
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.9.0.0/16").await;
    let g = new_group(&ec2, &vpc, "cached").await;
    let describe = || async {
        let out = ec2.describe_security_groups().group_ids(&g).send().await.unwrap();
        out.security_groups()[0].clone()
    };
    assert!(describe().await.ip_permissions().is_empty());
    ec2.authorize_security_group_ingress().group_id(&g).ip_permissions(tcp(443, "10.1.0.0/16")).send().await.unwrap();
    let sg = describe().await;
    assert_eq!(sg.ip_permissions()[0].from_port(), Some(443));
    ec2.create_tags().resources(&g).tags(Tag::builder().key("team").value("a").build()).send().await.unwrap();
    assert_eq!(describe().await.tags()[0].value(), Some("a"));
    ec2.create_tags().resources(&g).tags(Tag::builder().key("team").value("b").build()).send().await.unwrap();
    assert_eq!(describe().await.tags()[0].value(), Some("b"));
    ec2.delete_tags().resources(&g).tags(Tag::builder().key("team").build()).send().await.unwrap();
    assert!(describe().await.tags().is_empty());
    let perm = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .ip_ranges(IpRange::builder().cidr_ip("10.1.0.0/16").description("edited").build())
        .build();
    ec2.update_security_group_rule_descriptions_ingress().group_id(&g).ip_permissions(perm).send().await.unwrap();
    assert_eq!(describe().await.ip_permissions()[0].ip_ranges()[0].description(), Some("edited"));
    let rules = ec2.describe_security_group_rules().filters(filter("group-id", &[&g])).send().await.unwrap();
    let rule =
        rules.security_group_rules().iter().find(|r| r.is_egress() == Some(false)).unwrap().security_group_rule_id().unwrap().to_string();
    let body = SecurityGroupRuleRequest::builder().ip_protocol("tcp").from_port(8443).to_port(8443).cidr_ipv4("10.2.0.0/16").build();
    let update = SecurityGroupRuleUpdate::builder().security_group_rule_id(&rule).security_group_rule(body).build();
    ec2.modify_security_group_rules().group_id(&g).security_group_rules(update).send().await.unwrap();
    assert_eq!(describe().await.ip_permissions()[0].from_port(), Some(8443));
    ec2.revoke_security_group_ingress().group_id(&g).security_group_rule_ids(&rule).send().await.unwrap();
    assert!(describe().await.ip_permissions().is_empty());
    ec2.delete_security_group().group_id(&g).send().await.unwrap();
    let again = new_group(&ec2, &vpc, "cached").await;
    let out = ec2.describe_security_groups().group_ids(&again).send().await.unwrap();
    assert!(out.security_groups()[0].ip_permissions().is_empty() && out.security_groups()[0].tags().is_empty());
}
