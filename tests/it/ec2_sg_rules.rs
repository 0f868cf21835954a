//! Security-group rules through aws-sdk-ec2: Authorize/Revoke (both directions), the rule quotas
//! (IPv4/IPv6 buckets, prefix-list weighting, rules × groups per interface, concurrency),
//! DescribeSecurityGroupRules, ModifySecurityGroupRules, the description updates, and the
//! managed prefix lists rules reference.

use crate::common;

use std::sync::Arc;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    AddPrefixListEntry, Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroupRule,
    SecurityGroupRuleDescription, SecurityGroupRuleRequest, SecurityGroupRuleUpdate, Tag, TagSpecification, UserIdGroupPair,
};
use lbsim::config::Config;

const ACCOUNT: &str = "000000000000";

async fn new_vpc(ec2: &Client, cidr: &str) -> String {
    ec2.create_vpc().cidr_block(cidr).send().await.unwrap().vpc().unwrap().vpc_id().unwrap().to_string()
}

async fn new_group(ec2: &Client, vpc: Option<&str>, name: &str) -> String {
    ec2.create_security_group()
        .group_name(name)
        .description("d")
        .set_vpc_id(vpc.map(String::from))
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string()
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

fn perm(proto: &str, from: Option<i32>, to: Option<i32>) -> aws_sdk_ec2::types::builders::IpPermissionBuilder {
    IpPermission::builder().ip_protocol(proto).set_from_port(from).set_to_port(to)
}

fn cidr(c: &str) -> IpRange {
    IpRange::builder().cidr_ip(c).build()
}

fn cidr6(c: &str) -> Ipv6Range {
    Ipv6Range::builder().cidr_ipv6(c).build()
}

fn tcp(port: i32, c: &str) -> IpPermission {
    perm("tcp", Some(port), Some(port)).ip_ranges(cidr(c)).build()
}

fn tcp6(port: i32, c: &str) -> IpPermission {
    perm("tcp", Some(port), Some(port)).ipv6_ranges(cidr6(c)).build()
}

fn from_group(proto: &str, port: i32, g: &str) -> IpPermission {
    perm(proto, Some(port), Some(port)).user_id_group_pairs(UserIdGroupPair::builder().group_id(g).build()).build()
}

fn from_pl(port: i32, pl: &str) -> IpPermission {
    perm("tcp", Some(port), Some(port)).prefix_list_ids(PrefixListId::builder().prefix_list_id(pl).build()).build()
}

async fn rules(ec2: &Client, sg: &str) -> Vec<SecurityGroupRule> {
    ec2.describe_security_group_rules().filters(filter("group-id", sg)).send().await.unwrap().security_group_rules().to_vec()
}

async fn ingress(ec2: &Client, sg: &str) -> Vec<SecurityGroupRule> {
    rules(ec2, sg).await.into_iter().filter(|r| r.is_egress() == Some(false)).collect()
}

async fn prefix_list(ec2: &Client, name: &str, family: &str, max: i32) -> String {
    ec2.create_managed_prefix_list()
        .prefix_list_name(name)
        .address_family(family)
        .max_entries(max)
        .send()
        .await
        .unwrap()
        .prefix_list()
        .unwrap()
        .prefix_list_id()
        .unwrap()
        .to_string()
}

fn quotas(pairs: &[(&str, u64)]) -> Config {
    let mut cfg = Config { seed: Some(9), ..Default::default() };
    for (k, v) in pairs {
        cfg.quotas.insert(k.to_string(), *v);
    }
    cfg
}

#[tokio::test]
async fn authorize_returns_every_rule_field_and_describe_regroups() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let sg = new_group(&ec2, Some(&vpc), "web").await;
    let lb = new_group(&ec2, Some(&vpc), "lb").await;
    let pl = prefix_list(&ec2, "corp", "IPv4", 2).await;
    let p1 = perm("tcp", Some(443), Some(443))
        .ip_ranges(IpRange::builder().cidr_ip("203.0.113.0/24").description("office").build())
        .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("2001:db8::/32").description("office v6").build())
        .build();
    let p2 = perm("tcp", Some(8080), Some(8080))
        .user_id_group_pairs(UserIdGroupPair::builder().group_id(&lb).description("from lb").build())
        .prefix_list_ids(PrefixListId::builder().prefix_list_id(&pl).description("corp").build())
        .build();
    let tag = TagSpecification::builder()
        .resource_type(ResourceType::SecurityGroupRule)
        .tags(Tag::builder().key("owner").value("team-a").build())
        .build();
    let out = ec2
        .authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(p1)
        .ip_permissions(p2)
        .tag_specifications(tag)
        .send()
        .await
        .unwrap();
    assert_eq!(out.r#return(), Some(true));
    let rs = out.security_group_rules();
    assert_eq!(rs.len(), 4);
    for r in rs {
        let id = r.security_group_rule_id().unwrap();
        assert!(id.starts_with("sgr-"));
        assert_eq!(r.group_id(), Some(sg.as_str()));
        assert_eq!(r.group_owner_id(), Some(ACCOUNT));
        assert_eq!(r.is_egress(), Some(false));
        assert_eq!(r.ip_protocol(), Some("tcp"));
        assert_eq!(r.from_port(), r.to_port());
        assert_eq!(r.tags()[0].key(), Some("owner"));
        assert_eq!(r.security_group_rule_arn(), Some(format!("arn:aws:ec2:us-east-1:{ACCOUNT}:security-group-rule/{id}").as_str()));
    }
    assert_eq!((rs[0].cidr_ipv4(), rs[0].description(), rs[0].from_port()), (Some("203.0.113.0/24"), Some("office"), Some(443)));
    assert_eq!((rs[1].cidr_ipv6(), rs[1].description()), (Some("2001:db8::/32"), Some("office v6")));
    let refd = rs[2].referenced_group_info().unwrap();
    assert_eq!((refd.group_id(), refd.user_id(), rs[2].description()), (Some(lb.as_str()), Some(ACCOUNT), Some("from lb")));
    assert_eq!((rs[3].prefix_list_id(), rs[3].description(), rs[3].from_port()), (Some(pl.as_str()), Some("corp"), Some(8080)));

    let g = ec2.describe_security_groups().group_ids(&sg).send().await.unwrap().security_groups()[0].clone();
    let perms = g.ip_permissions();
    assert_eq!(perms.len(), 2);
    assert_eq!((perms[0].ip_protocol(), perms[0].from_port(), perms[0].to_port()), (Some("tcp"), Some(443), Some(443)));
    assert_eq!(perms[0].ip_ranges()[0].description(), Some("office"));
    assert_eq!(perms[0].ipv6_ranges()[0].cidr_ipv6(), Some("2001:db8::/32"));
    assert!(perms[0].user_id_group_pairs().is_empty() && perms[0].prefix_list_ids().is_empty());
    let pair = &perms[1].user_id_group_pairs()[0];
    assert_eq!((pair.group_id(), pair.user_id(), pair.description()), (Some(lb.as_str()), Some(ACCOUNT), Some("from lb")));
    assert_eq!(perms[1].prefix_list_ids()[0].prefix_list_id(), Some(pl.as_str()));
    assert_eq!(perms[1].prefix_list_ids()[0].description(), Some("corp"));

    // DescribeSecurityGroupRules by id and by tag, with the same fields.
    let by_id = ec2.describe_security_group_rules().security_group_rule_ids(rs[2].security_group_rule_id().unwrap()).send().await.unwrap();
    assert_eq!(by_id.security_group_rules()[0].referenced_group_info().unwrap().group_id(), Some(lb.as_str()));
    let by_tag = ec2.describe_security_group_rules().filters(filter("tag:owner", "team-a")).send().await.unwrap();
    assert_eq!(by_tag.security_group_rules().len(), 4);
    let by_key =
        ec2.describe_security_group_rules().filters(filter("tag-key", "owner")).filters(filter("group-id", &sg)).send().await.unwrap();
    assert_eq!(by_key.security_group_rules().len(), 4);
    let one = ec2
        .describe_security_group_rules()
        .filters(filter("security-group-rule-id", rs[0].security_group_rule_id().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(one.security_group_rules().len(), 1);
}

#[tokio::test]
async fn protocols_and_ports_follow_aws_rules() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let sg = new_group(&ec2, Some(&vpc), "p").await;
    let ok = [
        (perm("6", Some(22), Some(22)), "tcp", Some(22), Some(22)),
        (perm("UDP", Some(53), Some(53)), "udp", Some(53), Some(53)),
        (perm("-1", Some(80), Some(90)), "-1", None, None),
        (perm("50", Some(1), Some(2)), "50", None, None),
        (perm("icmp", Some(-1), Some(-1)), "icmp", Some(-1), Some(-1)),
        (perm("icmp", Some(8), Some(0)), "icmp", Some(8), Some(0)),
        (perm("icmpv6", None, None), "icmpv6", Some(-1), Some(-1)),
    ];
    for (i, (p, proto, from, to)) in ok.into_iter().enumerate() {
        let c = format!("10.{i}.0.0/16");
        let out = ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(p.ip_ranges(cidr(&c)).build()).send().await.unwrap();
        let r = &out.security_group_rules()[0];
        assert_eq!(r.ip_protocol(), Some(proto));
        // The rules API reports -1 ports for rules without ports.
        assert_eq!((r.from_port(), r.to_port()), (Some(from.unwrap_or(-1)), Some(to.unwrap_or(-1))), "{proto}");
        let g = ec2.describe_security_groups().group_ids(&sg).send().await.unwrap();
        let p = g.security_groups()[0].ip_permissions().iter().find(|p| p.ip_ranges()[0].cidr_ip() == Some(c.as_str())).unwrap().clone();
        assert_eq!((p.from_port(), p.to_port()), (from, to), "DescribeSecurityGroups ports for {proto}");
    }
    let bad = [
        (
            perm("tcp", None, Some(443)),
            "InvalidParameterValue",
            "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.",
        ),
        (
            perm("icmp", None, None),
            "InvalidParameterValue",
            "Invalid value 'Must specify both from and to ports with ICMP.' for portRange.",
        ),
        (perm("all", None, None), "InvalidParameterValue", "Invalid value 'all' for IP protocol. Unknown protocol."),
        (
            IpPermission::builder().from_port(1).to_port(2),
            "InvalidParameterValue",
            "Invalid value 'null' for protocol. VPC security group rules must specify protocols explicitly.",
        ),
        (perm("tcp", Some(0), Some(70000)), "InvalidPermission.Malformed", "TCP/UDP port (70000) out of range"),
        (perm("icmp", Some(-1), Some(3)), "InvalidParameterValue", "ICMP code (3) out of range"),
        (perm("icmp", Some(300), Some(0)), "InvalidParameterValue", "ICMP type (300) out of range"),
    ];
    for (p, code, msg) in bad {
        let e = ec2
            .authorize_security_group_ingress()
            .group_id(&sg)
            .ip_permissions(p.ip_ranges(cidr("192.168.0.0/16")).build())
            .send()
            .await
            .unwrap_err();
        assert_eq!((common::code(&e).as_str(), common::message(&e).as_str()), (code, msg));
    }
    let e = ec2
        .authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(perm("udp", Some(90), Some(80)).ip_ranges(cidr("1.0.0.0/8")).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
}

#[tokio::test]
async fn duplicates_are_refused_with_aws_texts_and_nothing_changes() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let sg = new_group(&ec2, Some(&vpc), "d").await;
    let peer = new_group(&ec2, Some(&vpc), "peer").await;
    let out = ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(tcp(443, "10.1.2.3/8")).send().await.unwrap();
    // Canonicalised: host bits cleared.
    assert_eq!(out.security_group_rules()[0].cidr_ipv4(), Some("10.0.0.0/8"));
    ec2.authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(perm("-1", None, None).ip_ranges(cidr("0.0.0.0/0")).build())
        .ip_permissions(perm("icmp", Some(-1), Some(-1)).ip_ranges(cidr("0.0.0.0/0")).build())
        .ip_permissions(perm("50", None, None).ip_ranges(cidr("0.0.0.0/0")).build())
        .ip_permissions(from_group("tcp", 0, &peer))
        .send()
        .await
        .unwrap();
    let before = rules(&ec2, &sg).await.len();
    let cases = [
        (tcp(443, "10.0.0.0/8"), "peer: 10.0.0.0/8, TCP, from port: 443, to port: 443, ALLOW".to_string()),
        (tcp(443, "10.200.0.1/8"), "peer: 10.0.0.0/8, TCP, from port: 443, to port: 443, ALLOW".to_string()),
        (perm("-1", Some(1), Some(2)).ip_ranges(cidr("0.0.0.0/0")).build(), "peer: 0.0.0.0/0, ALL, ALLOW".to_string()),
        (
            perm("1", Some(-1), Some(-1)).ip_ranges(cidr("0.0.0.0/0")).build(),
            "peer: 0.0.0.0/0, ICMP, type: ALL, code: ALL, ALLOW".to_string(),
        ),
        (perm("50", None, None).ip_ranges(cidr("0.0.0.0/0")).build(), "peer: 0.0.0.0/0, protocol: 50, ALLOW".to_string()),
        (from_group("tcp", 0, &peer), format!("peer: {peer}, TCP, from port: 0, to port: 0, ALLOW")),
    ];
    for (p, text) in cases {
        // The duplicate comes second: the first, new permission must not be added either.
        let e = ec2
            .authorize_security_group_ingress()
            .group_id(&sg)
            .ip_permissions(tcp(9000, "172.16.0.0/12"))
            .ip_permissions(p)
            .send()
            .await
            .unwrap_err();
        assert_eq!(common::code(&e), "InvalidPermission.Duplicate");
        assert_eq!(common::message(&e), format!("the specified rule \"{text}\" already exists"));
        assert_eq!(rules(&ec2, &sg).await.len(), before);
    }
    // Twice within one request.
    let e = ec2
        .authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(perm("tcp", Some(22), Some(22)).ip_ranges(cidr("192.168.0.0/16")).ip_ranges(cidr("192.168.1.1/16")).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    assert_eq!(common::message(&e), "The same permission must not appear multiple times");
    assert_eq!(rules(&ec2, &sg).await.len(), before);
    // The same rule in the other direction is a different rule.
    ec2.authorize_security_group_egress().group_id(&sg).ip_permissions(tcp(443, "10.0.0.0/8")).send().await.unwrap();
}

#[tokio::test]
async fn authorize_validates_peers_targets_and_dry_run() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let other = new_vpc(&ec2, "10.9.0.0/16").await;
    let sg = new_group(&ec2, Some(&vpc), "v").await;
    let elsewhere = new_group(&ec2, Some(&other), "elsewhere").await;
    let auth = |p: IpPermission| ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(p).send();
    let e = auth(tcp(1, "10.0.0.300/8")).await.unwrap_err();
    assert_eq!(
        (common::code(&e).as_str(), common::message(&e).as_str()),
        ("InvalidParameterValue", "CIDR block 10.0.0.300/8 is malformed")
    );
    let e = auth(tcp(1, "2001:db8::/32")).await.unwrap_err();
    assert_eq!(common::message(&e), "CIDR block 2001:db8::/32 is malformed");
    let e = auth(tcp6(1, "10.0.0.0/8")).await.unwrap_err();
    assert_eq!(common::message(&e), "CIDR block 10.0.0.0/8 is malformed");
    let e = auth(tcp(1, "10.0.0.1")).await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    let e = auth(from_group("tcp", 1, "sg-0123456789abcdef0")).await.unwrap_err();
    assert_eq!(
        (common::code(&e).as_str(), common::message(&e).as_str()),
        ("InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist")
    );
    let e = auth(from_group("tcp", 1, &elsewhere)).await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    assert_eq!(common::message(&e), "You have specified two resources that belong to different networks.");
    let e = auth(from_group("tcp", 1, "sg-bad")).await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroupId.Malformed");
    let e = auth(from_pl(1, "pl-0123456789abcdef0")).await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidPrefixListID.NotFound");
    let e = auth(from_pl(1, "prefix")).await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidPrefixListId.Malformed");
    let e = auth(perm("tcp", Some(1), Some(1)).ip_ranges(IpRange::builder().cidr_ip("1.0.0.0/8").description("naïve").build()).build())
        .await
        .unwrap_err();
    assert_eq!(
        common::message(&e),
        "Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*"
    );
    let e = ec2
        .authorize_security_group_ingress()
        .group_id("sg-0123456789abcdef0")
        .ip_permissions(tcp(1, "1.0.0.0/8"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    let e = ec2.authorize_security_group_egress().group_id("web").ip_permissions(tcp(1, "1.0.0.0/8")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroupId.Malformed");
    let e = ec2.authorize_security_group_ingress().group_id(&sg).send().await.unwrap_err();
    assert_eq!(common::code(&e), "MissingParameter");
    let e =
        ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(tcp(1, "1.0.0.0/8")).dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
    assert!(ingress(&ec2, &sg).await.is_empty());
    // Group names in pairs only resolve for default-VPC groups.
    let by_name = perm("tcp", Some(1), Some(1)).user_id_group_pairs(UserIdGroupPair::builder().group_name("v").build()).build();
    let e = auth(by_name).await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
}

#[tokio::test]
async fn legacy_flat_ingress_and_group_names_in_the_default_vpc() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let sg = new_group(&ec2, None, "legacy").await;
    let out = ec2
        .authorize_security_group_ingress()
        .group_name("legacy")
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .cidr_ip("10.0.0.1/32")
        .send()
        .await
        .unwrap();
    let r = &out.security_group_rules()[0];
    assert_eq!((r.ip_protocol(), r.from_port(), r.cidr_ipv4()), (Some("tcp"), Some(22), Some("10.0.0.1/32")));
    // A source group by name grants full ICMP, TCP and UDP access.
    let out = ec2.authorize_security_group_ingress().group_id(&sg).source_security_group_name("default").send().await.unwrap();
    let protos: Vec<_> =
        out.security_group_rules().iter().map(|r| (r.ip_protocol().unwrap().to_string(), r.from_port(), r.to_port())).collect();
    assert_eq!(protos, [("icmp".into(), Some(-1), Some(-1)), ("tcp".into(), Some(0), Some(65535)), ("udp".into(), Some(0), Some(65535))]);
    let default_sg =
        ec2.describe_security_groups().group_names("default").send().await.unwrap().security_groups()[0].group_id().unwrap().to_string();
    assert_eq!(out.security_group_rules()[0].referenced_group_info().unwrap().group_id(), Some(default_sg.as_str()));
    let named = perm("tcp", Some(5), Some(5)).user_id_group_pairs(UserIdGroupPair::builder().group_name("default").build()).build();
    ec2.authorize_security_group_ingress().group_name("legacy").ip_permissions(named).send().await.unwrap();
    let e = ec2.authorize_security_group_ingress().group_name("nope").ip_permissions(tcp(1, "1.0.0.0/8")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    assert_eq!(ingress(&ec2, &sg).await.len(), 5);
}

#[tokio::test]
async fn ipv4_and_ipv6_rules_have_separate_buckets_of_60() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let sg = new_group(&ec2, Some(&vpc), "q").await;
    let mut req = ec2.authorize_security_group_ingress().group_id(&sg);
    for port in 1..=60 {
        req = req
            .ip_permissions(perm("tcp", Some(port), Some(port)).ip_ranges(cidr("10.0.0.0/8")).ipv6_ranges(cidr6("2001:db8::/32")).build());
    }
    assert_eq!(req.send().await.unwrap().security_group_rules().len(), 120);
    let e = ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(tcp(61, "10.0.0.0/8")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "RulesPerSecurityGroupLimitExceeded");
    assert_eq!(common::message(&e), "The maximum number of rules per security group has been reached.");
    let e = ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(tcp6(61, "::/0")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "RulesPerSecurityGroupLimitExceeded");
    // Outbound has its own buckets (the default egress rule already takes one IPv4 slot).
    ec2.authorize_security_group_egress().group_id(&sg).ip_permissions(tcp(61, "10.0.0.0/8")).send().await.unwrap();
}

#[tokio::test]
async fn lowered_quota_group_references_and_egress_bucket() {
    let s = common::start_with(quotas(&[("rules-per-security-group", 3)])).await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let sg = new_group(&ec2, Some(&vpc), "q").await;
    let peer = new_group(&ec2, Some(&vpc), "peer").await;
    // Group references count in both buckets by default (aws-api.md §3.1).
    ec2.authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(from_group("tcp", 1, &peer))
        .ip_permissions(from_group("tcp", 2, &peer))
        .send()
        .await
        .unwrap();
    ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(tcp6(3, "::/0")).send().await.unwrap();
    let e = ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(tcp6(4, "::/0")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "RulesPerSecurityGroupLimitExceeded");
    // Over quota in the second permission: the first is not added either.
    let e = ec2
        .authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(tcp(5, "10.0.0.0/8"))
        .ip_permissions(tcp(6, "10.0.0.0/8"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "RulesPerSecurityGroupLimitExceeded");
    assert_eq!(ingress(&ec2, &sg).await.len(), 3);
    // Egress: the default rule plus two more IPv4 rules.
    ec2.authorize_security_group_egress()
        .group_id(&sg)
        .ip_permissions(tcp(1, "10.0.0.0/8"))
        .ip_permissions(tcp(2, "10.0.0.0/8"))
        .send()
        .await
        .unwrap();
    let e = ec2.authorize_security_group_egress().group_id(&sg).ip_permissions(tcp(3, "10.0.0.0/8")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "RulesPerSecurityGroupLimitExceeded");

    // The bucket of group references is a setting.
    let cfg = Config { group_reference_bucket: Some(lbsim::state::quotas::RefBucket::Ipv4), ..quotas(&[("rules-per-security-group", 2)]) };
    let s = common::start_with(cfg).await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let sg = new_group(&ec2, Some(&vpc), "q").await;
    ec2.authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(from_group("tcp", 1, &sg))
        .ip_permissions(from_group("tcp", 2, &sg))
        .send()
        .await
        .unwrap();
    ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(tcp6(3, "::/0")).send().await.unwrap();
    let e = ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(tcp(4, "10.0.0.0/8")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "RulesPerSecurityGroupLimitExceeded");
}

#[tokio::test]
async fn prefix_list_rules_weigh_max_entries() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let sg = new_group(&ec2, Some(&vpc), "w").await;
    let pl = prefix_list(&ec2, "twenty", "IPv4", 20).await;
    let pl6 = prefix_list(&ec2, "v6", "IPv6", 5).await;
    // Three rules of weight 20 and one CIDR rule = 61 > 60: refused as a whole.
    let e = ec2
        .authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(from_pl(1, &pl))
        .ip_permissions(from_pl(2, &pl))
        .ip_permissions(from_pl(3, &pl))
        .ip_permissions(tcp(4, "10.0.0.0/8"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "RulesPerSecurityGroupLimitExceeded");
    assert!(ingress(&ec2, &sg).await.is_empty());
    ec2.authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(from_pl(1, &pl))
        .ip_permissions(from_pl(2, &pl))
        .ip_permissions(from_pl(3, &pl))
        .send()
        .await
        .unwrap();
    let e = ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(tcp(4, "10.0.0.0/8")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "RulesPerSecurityGroupLimitExceeded");
    // An IPv6 list weighs in the IPv6 bucket.
    ec2.authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(from_pl(5, &pl6))
        .ip_permissions(tcp6(6, "::/0"))
        .send()
        .await
        .unwrap();
    // A list that rules reference cannot be deleted.
    let e = ec2.delete_managed_prefix_list().prefix_list_id(&pl).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DependencyViolation");
}

#[tokio::test]
async fn rules_times_groups_per_interface_is_checked_on_authorize() {
    let s = common::start_with(quotas(&[("rules-times-groups-per-interface", 10)])).await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    ec2.create_subnet().vpc_id(&vpc).cidr_block("10.0.1.0/24").send().await.unwrap();
    let a = new_group(&ec2, Some(&vpc), "a").await;
    let b = new_group(&ec2, Some(&vpc), "b").await;
    common::attach_eni(&s, &vpc, &[&a, &b]);
    let mut req = ec2.authorize_security_group_ingress().group_id(&a);
    for port in 1..=5 {
        req = req.ip_permissions(tcp(port, "10.0.0.0/8"));
    }
    req.send().await.unwrap();
    // 6 rules × 2 groups = 12 > 10.
    let e = ec2.authorize_security_group_ingress().group_id(&a).ip_permissions(tcp(6, "10.0.0.0/8")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "RulesPerSecurityGroupLimitExceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_authorizations_stop_exactly_at_the_quota() {
    let s = common::start().await;
    let ec2 = Arc::new(s.ec2().await);
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let sg = new_group(&ec2, Some(&vpc), "busy").await;
    let mut tasks = Vec::new();
    for port in 1..=64 {
        let (ec2, sg) = (ec2.clone(), sg.clone());
        tasks.push(tokio::spawn(async move {
            ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(tcp(port, "10.0.0.0/8")).send().await
        }));
    }
    let (mut ok, mut limited) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => {
                assert_eq!(common::code(&e), "RulesPerSecurityGroupLimitExceeded");
                limited += 1;
            }
        }
    }
    assert_eq!((ok, limited), (60, 4));
    assert_eq!(ingress(&ec2, &sg).await.len(), 60);
}

#[tokio::test]
async fn revoke_by_permission_or_id_in_a_nondefault_vpc() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let sg = new_group(&ec2, Some(&vpc), "r").await;
    let described =
        perm("tcp", Some(443), Some(443)).ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").description("keep").build()).build();
    let created = ec2
        .authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(described)
        .ip_permissions(tcp(80, "10.0.0.0/8"))
        .send()
        .await
        .unwrap();
    let id80 = created.security_group_rules()[1].security_group_rule_id().unwrap().to_string();
    // Any unmatched permission: an error, and nothing revoked.
    let e = ec2
        .revoke_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(tcp(443, "10.0.0.0/8"))
        .ip_permissions(tcp(444, "10.0.0.0/8"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidPermission.NotFound");
    assert_eq!(common::message(&e), "The specified rule does not exist in this security group.");
    assert_eq!(ingress(&ec2, &sg).await.len(), 2);
    // Matching ignores the description and canonicalises the CIDR.
    let out = ec2.revoke_security_group_ingress().group_id(&sg).ip_permissions(tcp(443, "10.9.9.9/8")).send().await.unwrap();
    assert_eq!(out.r#return(), Some(true));
    assert!(out.unknown_ip_permissions().is_empty());
    let gone = &out.revoked_security_group_rules()[0];
    assert_eq!((gone.group_id(), gone.is_egress(), gone.ip_protocol()), (Some(sg.as_str()), Some(false), Some("tcp")));
    assert_eq!(
        (gone.from_port(), gone.to_port(), gone.cidr_ipv4(), gone.description()),
        (Some(443), Some(443), Some("10.0.0.0/8"), Some("keep"))
    );
    assert!(gone.security_group_rule_id().unwrap().starts_with("sgr-"));
    // By rule id; unknown and malformed ids.
    let e = ec2.revoke_security_group_ingress().group_id(&sg).security_group_rule_ids("sgr-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSecurityGroupRuleId.NotFound");
    assert_eq!(common::message(&e), "The security group rule ID 'sgr-0123456789abcdef0' does not exist");
    let e = ec2.revoke_security_group_ingress().group_id(&sg).security_group_rule_ids("rule-1").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSecurityGroupRuleId.Malformed");
    // An ingress rule id is unknown to the egress action.
    let e = ec2.revoke_security_group_egress().group_id(&sg).security_group_rule_ids(&id80).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSecurityGroupRuleId.NotFound");
    let e = ec2.revoke_security_group_ingress().group_id(&sg).security_group_rule_ids(&id80).dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
    let out = ec2.revoke_security_group_ingress().group_id(&sg).security_group_rule_ids(&id80).send().await.unwrap();
    assert_eq!(out.revoked_security_group_rules()[0].security_group_rule_id(), Some(id80.as_str()));
    assert!(ingress(&ec2, &sg).await.is_empty());
    // The default egress rule, by permission.
    let out = ec2
        .revoke_security_group_egress()
        .group_id(&sg)
        .ip_permissions(perm("-1", None, None).ip_ranges(cidr("0.0.0.0/0")).build())
        .send()
        .await
        .unwrap();
    assert_eq!(out.revoked_security_group_rules().len(), 1);
    assert!(rules(&ec2, &sg).await.is_empty());
    let e = ec2
        .revoke_security_group_egress()
        .group_id(&sg)
        .ip_permissions(perm("-1", None, None).ip_ranges(cidr("0.0.0.0/0")).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidPermission.NotFound");
}

#[tokio::test]
async fn revoke_in_the_default_vpc_reports_unknown_permissions() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let sg = new_group(&ec2, None, "lenient").await;
    ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(tcp(22, "10.0.0.0/8")).send().await.unwrap();
    let out = ec2
        .revoke_security_group_ingress()
        .group_name("lenient")
        .ip_permissions(tcp(22, "10.0.0.0/8"))
        .ip_permissions(perm("udp", Some(53), Some(53)).ip_ranges(cidr("192.168.0.0/16")).build())
        .send()
        .await
        .unwrap();
    assert_eq!(out.r#return(), Some(true));
    assert_eq!(out.revoked_security_group_rules().len(), 1);
    let unknown = out.unknown_ip_permissions();
    assert_eq!(unknown.len(), 1);
    assert_eq!((unknown[0].ip_protocol(), unknown[0].from_port()), (Some("udp"), Some(53)));
    assert_eq!(unknown[0].ip_ranges()[0].cidr_ip(), Some("192.168.0.0/16"));
    assert!(ingress(&ec2, &sg).await.is_empty());
}

#[tokio::test]
async fn modify_rules_in_place() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let sg = new_group(&ec2, Some(&vpc), "m").await;
    let peer = new_group(&ec2, Some(&vpc), "peer").await;
    let tag =
        TagSpecification::builder().resource_type(ResourceType::SecurityGroupRule).tags(Tag::builder().key("k").value("v").build()).build();
    let out = ec2
        .authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(tcp(80, "10.0.0.0/8"))
        .ip_permissions(tcp(81, "10.0.0.0/8"))
        .tag_specifications(tag)
        .send()
        .await
        .unwrap();
    let id = out.security_group_rules()[0].security_group_rule_id().unwrap().to_string();
    let other = out.security_group_rules()[1].security_group_rule_id().unwrap().to_string();
    let update = |rule: &str, body: SecurityGroupRuleRequest| {
        SecurityGroupRuleUpdate::builder().security_group_rule_id(rule).security_group_rule(body).build()
    };
    let body = SecurityGroupRuleRequest::builder()
        .ip_protocol("tcp")
        .from_port(8080)
        .to_port(8081)
        .referenced_group_id(&peer)
        .description("moved")
        .build();
    let out = ec2.modify_security_group_rules().group_id(&sg).security_group_rules(update(&id, body)).send().await.unwrap();
    assert_eq!(out.r#return(), Some(true));
    let r = ec2.describe_security_group_rules().security_group_rule_ids(&id).send().await.unwrap().security_group_rules()[0].clone();
    assert_eq!((r.from_port(), r.to_port(), r.description()), (Some(8080), Some(8081), Some("moved")));
    assert_eq!(r.referenced_group_info().unwrap().group_id(), Some(peer.as_str()));
    assert_eq!(r.tags()[0].key(), Some("k"));
    // The peer moved, so the referenced group now has a dependent.
    let e = ec2.delete_security_group().group_id(&peer).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DependencyViolation");

    let same_as_other = SecurityGroupRuleRequest::builder().ip_protocol("tcp").from_port(81).to_port(81).cidr_ipv4("10.0.0.0/8").build();
    let e = ec2.modify_security_group_rules().group_id(&sg).security_group_rules(update(&id, same_as_other)).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidPermission.Duplicate");
    let all_ports = SecurityGroupRuleRequest::builder().ip_protocol("-1").from_port(80).to_port(80).cidr_ipv4("10.0.0.0/8").build();
    let e = ec2.modify_security_group_rules().group_id(&sg).security_group_rules(update(&id, all_ports)).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    assert!(common::message(&e).starts_with("You may not specify all protocols and specific ports."));
    let any = SecurityGroupRuleRequest::builder().ip_protocol("-1").cidr_ipv4("10.0.0.0/8").build();
    let e = ec2
        .modify_security_group_rules()
        .group_id(&sg)
        .security_group_rules(update("sgr-0123456789abcdef0", any.clone()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidSecurityGroupRuleId.NotFound");
    let e = ec2
        .modify_security_group_rules()
        .group_id("sg-0123456789abcdef0")
        .security_group_rules(update(&id, any.clone()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidGroup.NotFound");
    let two_peers = SecurityGroupRuleRequest::builder().ip_protocol("-1").cidr_ipv4("10.0.0.0/8").cidr_ipv6("::/0").build();
    let e = ec2.modify_security_group_rules().group_id(&sg).security_group_rules(update(&id, two_peers)).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterCombination");
    // Switching to a heavy prefix list is a quota check.
    let heavy = prefix_list(&ec2, "heavy", "IPv4", 60).await;
    let to_pl = SecurityGroupRuleRequest::builder().ip_protocol("tcp").from_port(1).to_port(1).prefix_list_id(&heavy).build();
    let e = ec2.modify_security_group_rules().group_id(&sg).security_group_rules(update(&other, to_pl)).send().await.unwrap_err();
    assert_eq!(common::code(&e), "RulesPerSecurityGroupLimitExceeded");
    // IPv4 to IPv6 and back is allowed.
    ec2.modify_security_group_rules()
        .group_id(&sg)
        .security_group_rules(update(&other, SecurityGroupRuleRequest::builder().ip_protocol("-1").cidr_ipv6("::/0").build()))
        .send()
        .await
        .unwrap();
    let r = ec2.describe_security_group_rules().security_group_rule_ids(&other).send().await.unwrap().security_group_rules()[0].clone();
    assert_eq!((r.ip_protocol(), r.from_port(), r.cidr_ipv6()), (Some("-1"), Some(-1), Some("::/0")));
}

#[tokio::test]
async fn update_rule_descriptions() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let sg = new_group(&ec2, Some(&vpc), "u").await;
    let out = ec2.authorize_security_group_ingress().group_id(&sg).ip_permissions(tcp(22, "10.0.0.0/8")).send().await.unwrap();
    let id = out.security_group_rules()[0].security_group_rule_id().unwrap().to_string();
    let with_desc = perm("tcp", Some(22), Some(22)).ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").description("ssh").build()).build();
    let out = ec2.update_security_group_rule_descriptions_ingress().group_id(&sg).ip_permissions(with_desc).send().await.unwrap();
    assert_eq!(out.r#return(), Some(true));
    assert_eq!(ingress(&ec2, &sg).await[0].description(), Some("ssh"));
    // Omitting the description removes it; the rule keeps its id.
    ec2.update_security_group_rule_descriptions_ingress().group_id(&sg).ip_permissions(tcp(22, "10.0.0.0/8")).send().await.unwrap();
    let r = ingress(&ec2, &sg).await[0].clone();
    assert_eq!((r.security_group_rule_id(), r.description()), (Some(id.as_str()), None));
    let d = SecurityGroupRuleDescription::builder().security_group_rule_id(&id).description("by id").build();
    ec2.update_security_group_rule_descriptions_ingress().group_id(&sg).security_group_rule_descriptions(d).send().await.unwrap();
    assert_eq!(ingress(&ec2, &sg).await[0].description(), Some("by id"));
    let egress_id =
        rules(&ec2, &sg).await.into_iter().find(|r| r.is_egress() == Some(true)).unwrap().security_group_rule_id().unwrap().to_string();
    let d = SecurityGroupRuleDescription::builder().security_group_rule_id(&egress_id).description("out").build();
    ec2.update_security_group_rule_descriptions_egress().group_id(&sg).security_group_rule_descriptions(d.clone()).send().await.unwrap();
    let e =
        ec2.update_security_group_rule_descriptions_ingress().group_id(&sg).security_group_rule_descriptions(d).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSecurityGroupRuleId.NotFound");
    let e =
        ec2.update_security_group_rule_descriptions_ingress().group_id(&sg).ip_permissions(tcp(23, "10.0.0.0/8")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidPermission.NotFound");
    let e = ec2.update_security_group_rule_descriptions_ingress().group_id(&sg).send().await.unwrap_err();
    assert_eq!(common::code(&e), "MissingParameter");
}

#[tokio::test]
async fn describe_rules_paginates_and_checks_ids() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let sg = new_group(&ec2, Some(&vpc), "pages").await;
    let mut req = ec2.authorize_security_group_ingress().group_id(&sg);
    for port in 1..=6 {
        req = req.ip_permissions(tcp(port, "10.0.0.0/8"));
    }
    req.send().await.unwrap();
    let p1 = ec2.describe_security_group_rules().filters(filter("group-id", &sg)).max_results(5).send().await.unwrap();
    assert_eq!(p1.security_group_rules().len(), 5);
    let p2 = ec2
        .describe_security_group_rules()
        .filters(filter("group-id", &sg))
        .max_results(5)
        .next_token(p1.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(p2.security_group_rules().len(), 2);
    assert!(p2.next_token().is_none());
    let all: Vec<_> =
        ec2.describe_security_group_rules().max_results(5).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await.unwrap();
    // 7 of this group + the two default groups' rules (2 each) + the default VPC's.
    assert_eq!(all.len(), 7 + 2 + 2);
    let e = ec2.describe_security_group_rules().security_group_rule_ids("sgr-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSecurityGroupRuleId.NotFound");
    let e = ec2.describe_security_group_rules().security_group_rule_ids("sg-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSecurityGroupRuleId.Malformed");
    let e = ec2.describe_security_group_rules().filters(filter("vpc-id", &vpc)).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    let e = ec2.describe_security_group_rules().max_results(1001).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
}

#[tokio::test]
async fn managed_prefix_lists() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let aws = ec2.describe_managed_prefix_lists().filters(filter("owner-id", "AWS")).send().await.unwrap();
    assert_eq!(aws.prefix_lists().len(), 2);
    assert_eq!(aws.prefix_lists()[0].prefix_list_name(), Some("com.amazonaws.us-east-1.s3"));
    let tag =
        TagSpecification::builder().resource_type(ResourceType::PrefixList).tags(Tag::builder().key("team").value("net").build()).build();
    let out = ec2
        .create_managed_prefix_list()
        .prefix_list_name("corp")
        .max_entries(10)
        .address_family("IPv4")
        .entries(AddPrefixListEntry::builder().cidr("10.1.2.3/16").description("hq").build())
        .entries(AddPrefixListEntry::builder().cidr("192.168.0.0/24").build())
        .tag_specifications(tag)
        .send()
        .await
        .unwrap();
    let pl = out.prefix_list().unwrap();
    let id = pl.prefix_list_id().unwrap().to_string();
    assert!(id.starts_with("pl-"));
    assert_eq!((pl.address_family(), pl.max_entries(), pl.version(), pl.owner_id()), (Some("IPv4"), Some(10), Some(1), Some(ACCOUNT)));
    assert_eq!(pl.prefix_list_arn(), Some(format!("arn:aws:ec2:us-east-1:{ACCOUNT}:prefix-list/{id}").as_str()));
    assert_eq!(pl.tags()[0].key(), Some("team"));
    let d = ec2.describe_managed_prefix_lists().prefix_list_ids(&id).send().await.unwrap();
    let listed = &d.prefix_lists()[0];
    assert_eq!((listed.prefix_list_name(), listed.state().map(|s| s.as_str())), (Some("corp"), Some("create-complete")));
    let by_name = ec2.describe_managed_prefix_lists().filters(filter("prefix-list-name", "corp")).send().await.unwrap();
    assert_eq!(by_name.prefix_lists().len(), 1);
    let by_id = ec2.describe_managed_prefix_lists().filters(filter("prefix-list-id", &id)).send().await.unwrap();
    assert_eq!(by_id.prefix_lists().len(), 1);
    let entries = ec2.get_managed_prefix_list_entries().prefix_list_id(&id).send().await.unwrap();
    let e0 = &entries.entries()[0];
    assert_eq!((e0.cidr(), e0.description()), (Some("10.1.0.0/16"), Some("hq")));
    assert_eq!(entries.entries().len(), 2);

    let e = ec2.describe_managed_prefix_lists().prefix_list_ids("pl-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidPrefixListID.NotFound");
    let e = ec2.get_managed_prefix_list_entries().prefix_list_id("list").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidPrefixListId.Malformed");
    let e = ec2
        .create_managed_prefix_list()
        .prefix_list_name("x")
        .max_entries(1)
        .address_family("IPv4")
        .entries(AddPrefixListEntry::builder().cidr("::/0").build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    let e = ec2
        .create_managed_prefix_list()
        .prefix_list_name("com.amazonaws.mine")
        .max_entries(1)
        .address_family("IPv4")
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    let e = ec2.create_managed_prefix_list().prefix_list_name("x").max_entries(1).address_family("IPv5").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    let e = ec2.delete_managed_prefix_list().prefix_list_id(aws.prefix_lists()[0].prefix_list_id().unwrap()).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");

    let gone = ec2.delete_managed_prefix_list().prefix_list_id(&id).send().await.unwrap();
    assert_eq!(gone.prefix_list().unwrap().state().map(|s| s.as_str()), Some("delete-in-progress"));
    let e = ec2.describe_managed_prefix_lists().prefix_list_ids(&id).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidPrefixListID.NotFound");
}
