//! CreateTags, DeleteTags and DescribeTags through aws-sdk-ec2, over every resource kind.

use crate::common;

use aws_sdk_ec2::types::{Filter, Tag};

const ACCOUNT: &str = "000000000000";

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// One id of every taggable kind: (id, resourceType).
async fn one_of_each(s: &common::Server, ec2: &aws_sdk_ec2::Client) -> Vec<(String, &'static str)> {
    let run = ec2.run_instances().image_id("ami-12345678").min_count(1).max_count(1).send().await.unwrap();
    let i = &run.instances()[0];
    let (sg, rule, pl) = s.app.store.with_region(ACCOUNT, "us-east-1", |r| {
        let vpc = r.default_vpc().unwrap();
        let sg = r.sgs()[vpc.default_sg.as_str()].clone();
        (sg.id.clone(), sg.rules[0].id.to_string(), r.prefix_lists().keys().next().unwrap().clone())
    });
    vec![
        (i.vpc_id().unwrap().to_string(), "vpc"),
        (i.subnet_id().unwrap().to_string(), "subnet"),
        (sg, "security-group"),
        (rule, "security-group-rule"),
        (i.instance_id().unwrap().to_string(), "instance"),
        (i.network_interfaces()[0].network_interface_id().unwrap().to_string(), "network-interface"),
        (pl, "prefix-list"),
    ]
}

#[tokio::test]
async fn tags_on_every_kind() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let all = one_of_each(&s, &ec2).await;
    let mut req = ec2.create_tags().tags(tag("owner", "me")).tags(tag("empty", ""));
    for (id, _) in &all {
        req = req.resources(id);
    }
    req.send().await.unwrap();
    for (id, kind) in &all {
        let d = ec2.describe_tags().filters(filter("resource-id", id)).send().await.unwrap();
        assert_eq!(d.tags().len(), 2, "{kind}");
        let t = d.tags().iter().find(|t| t.key() == Some("owner")).unwrap();
        assert_eq!(t.resource_id(), Some(id.as_str()));
        assert_eq!(t.resource_type().map(|r| r.as_str()), Some(*kind));
        assert_eq!(t.value(), Some("me"));
        let by_type = ec2.describe_tags().filters(filter("resource-type", kind)).send().await.unwrap();
        assert_eq!(by_type.tags().len(), 2, "{kind}");
    }
    // The resources' own describes show them too.
    let inst = &all[4].0;
    let d = ec2.describe_instances().filters(filter("tag:owner", "me")).send().await.unwrap();
    assert_eq!(d.reservations()[0].instances()[0].instance_id(), Some(inst.as_str()));
    let v = ec2.describe_vpcs().vpc_ids(&all[0].0).send().await.unwrap();
    assert_eq!(v.vpcs()[0].tags().len(), 2);
    // Overwriting a key keeps one tag with the new value.
    ec2.create_tags().resources(inst).tags(tag("owner", "you")).send().await.unwrap();
    let d = ec2.describe_tags().filters(filter("resource-id", inst)).filters(filter("key", "owner")).send().await.unwrap();
    assert_eq!(d.tags().len(), 1);
    assert_eq!(d.tags()[0].value(), Some("you"));
    // Terminated instances keep their tags while visible; deleted interfaces lose theirs.
    ec2.terminate_instances().instance_ids(inst).send().await.unwrap();
    let d = ec2.describe_tags().filters(filter("resource-type", "network-interface")).send().await.unwrap();
    assert!(d.tags().is_empty());
    let d = ec2.describe_tags().filters(filter("resource-type", "instance")).send().await.unwrap();
    assert_eq!(d.tags().len(), 2);
}

#[tokio::test]
async fn unknown_ids_change_nothing() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let all = one_of_each(&s, &ec2).await;
    let vpc = &all[0].0;
    let cases = [
        ("i-0123456789abcdef0", "InvalidInstanceID.NotFound"),
        ("sg-0123456789abcdef0", "InvalidGroup.NotFound"),
        ("sgr-0123456789abcdef0", "InvalidSecurityGroupRuleId.NotFound"),
        ("eni-0123456789abcdef0", "InvalidNetworkInterfaceID.NotFound"),
        ("vpc-0123456789abcdef0", "InvalidVpcID.NotFound"),
        ("subnet-0123456789abcdef0", "InvalidSubnetID.NotFound"),
        ("pl-0123456789abcdef0", "InvalidPrefixListID.NotFound"),
        ("i-eCHmOTcEW0OZ9KbNe", "InvalidID"),
        ("bogus", "InvalidID"),
    ];
    for (bad, code) in cases {
        let e = ec2.create_tags().resources(vpc).resources(bad).tags(tag("k", "v")).send().await.unwrap_err();
        assert_eq!(common::code(&e), code, "{bad}");
        let e = ec2.delete_tags().resources(bad).send().await.unwrap_err();
        assert_eq!(common::code(&e), code, "{bad}");
    }
    let e = ec2.create_tags().resources("bogus").tags(tag("k", "v")).send().await.unwrap_err();
    assert_eq!(common::message(&e), "The ID 'bogus' is not valid");
    let e = ec2.create_tags().resources("i-0123456789abcdef0").tags(tag("k", "v")).send().await.unwrap_err();
    assert_eq!(common::message(&e), "The instance ID 'i-0123456789abcdef0' does not exist");
    // The valid first id was not tagged by any of the refused requests.
    let d = ec2.describe_tags().filters(filter("resource-id", vpc)).send().await.unwrap();
    assert!(d.tags().is_empty());
    let e = ec2.create_tags().resources(vpc).tags(tag("aws:cloudformation:stack", "x")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    let e = ec2.create_tags().resources(vpc).tags(tag("k", "v")).dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
    let d = ec2.describe_tags().filters(filter("resource-id", vpc)).send().await.unwrap();
    assert!(d.tags().is_empty());
    let (_, body) = s.post(&[], format!("Action=CreateTags&Version=2016-11-15&ResourceId.1={vpc}")).await;
    assert!(body.contains("<Code>MissingParameter</Code>"), "{body}");
    let (_, body) = s.post(&[], "Action=CreateTags&Version=2016-11-15&Tag.1.Key=k").await;
    assert!(body.contains("<Code>MissingParameter</Code>"), "{body}");
}

#[tokio::test]
async fn tag_quota_is_all_or_nothing() {
    let mut cfg = lbsim::config::Config { seed: Some(8), ..Default::default() };
    cfg.quotas.insert("tags-per-resource".into(), 3);
    let s = common::start_with(cfg).await;
    let ec2 = s.ec2().await;
    let all = one_of_each(&s, &ec2).await;
    let (a, b) = (&all[0].0, &all[1].0);
    ec2.create_tags().resources(a).tags(tag("1", "")).tags(tag("2", "")).send().await.unwrap();
    ec2.create_tags().resources(b).tags(tag("1", "")).tags(tag("2", "")).tags(tag("3", "")).send().await.unwrap();
    // b is full: a request that would add a 4th key to b adds nothing to a either.
    let e = ec2.create_tags().resources(a).resources(b).tags(tag("x", "")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "TagLimitExceeded");
    assert_eq!(common::message(&e), "The maximum number of Tags for a resource has been reached.");
    let d = ec2.describe_tags().filters(filter("resource-id", a)).send().await.unwrap();
    assert_eq!(d.tags().len(), 2);
    // Overwriting existing keys never passes the quota.
    ec2.create_tags().resources(b).tags(tag("3", "new")).send().await.unwrap();
    let e = ec2.create_tags().resources(a).tags(tag("3", "")).tags(tag("4", "")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "TagLimitExceeded");
}

#[tokio::test]
async fn delete_tags_semantics() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let all = one_of_each(&s, &ec2).await;
    let id = &all[4].0;
    let keys = || async {
        let d = ec2.describe_tags().filters(filter("resource-id", id)).send().await.unwrap();
        let mut k: Vec<String> = d.tags().iter().map(|t| t.key().unwrap().to_string()).collect();
        k.sort();
        k
    };
    ec2.create_tags()
        .resources(id)
        .tags(tag("a", "1"))
        .tags(tag("b", "2"))
        .tags(tag("c", ""))
        .tags(tag("d", "4"))
        .tags(tag("e", "5"))
        .send()
        .await
        .unwrap();
    // Key and value: only when the value matches.
    ec2.delete_tags().resources(id).tags(tag("a", "other")).send().await.unwrap();
    assert_eq!(keys().await, ["a", "b", "c", "d", "e"]);
    ec2.delete_tags().resources(id).tags(tag("a", "1")).send().await.unwrap();
    assert_eq!(keys().await, ["b", "c", "d", "e"]);
    // Key with an empty value: only an empty value.
    ec2.delete_tags().resources(id).tags(tag("b", "")).tags(tag("c", "")).send().await.unwrap();
    assert_eq!(keys().await, ["b", "d", "e"]);
    // Key alone: whatever the value.
    ec2.delete_tags().resources(id).tags(Tag::builder().key("b").build()).send().await.unwrap();
    assert_eq!(keys().await, ["d", "e"]);
    // Unknown keys are fine; DryRun deletes nothing.
    ec2.delete_tags().resources(id).tags(Tag::builder().key("zzz").build()).send().await.unwrap();
    let e = ec2.delete_tags().resources(id).dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
    assert_eq!(keys().await, ["d", "e"]);
    // No Tag at all: every user tag.
    ec2.delete_tags().resources(id).send().await.unwrap();
    assert!(keys().await.is_empty());
    let e = ec2.delete_tags().resources(id).tags(Tag::builder().key("aws:x").build()).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
}

#[tokio::test]
async fn describe_tags_filters_and_pages() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let all = one_of_each(&s, &ec2).await;
    let (vpc, inst, eni) = (&all[0].0, &all[4].0, &all[5].0);
    ec2.create_tags().resources(vpc).resources(inst).tags(tag("env", "prod")).tags(tag("team", "a")).send().await.unwrap();
    ec2.create_tags().resources(eni).tags(tag("env", "dev")).tags(tag("cost", "1")).tags(tag("x", "y")).send().await.unwrap();
    let rows = |d: aws_sdk_ec2::operation::describe_tags::DescribeTagsOutput| -> Vec<(String, String)> {
        d.tags().iter().map(|t| (t.resource_id().unwrap().to_string(), t.key().unwrap().to_string())).collect()
    };
    let everything = rows(ec2.describe_tags().send().await.unwrap());
    assert_eq!(everything.len(), 7);
    let by = |name: &'static str, value: &'static str| ec2.describe_tags().filters(filter(name, value)).send();
    assert_eq!(rows(by("key", "env").await.unwrap()).len(), 3);
    assert_eq!(rows(by("key", "e*").await.unwrap()).len(), 3);
    assert_eq!(rows(by("value", "prod").await.unwrap()).len(), 2);
    assert_eq!(rows(by("resource-type", "network-interface").await.unwrap()).len(), 3);
    // tag:<k> selects resources; every tag of a selected resource is listed.
    let d = rows(by("tag:env", "dev").await.unwrap());
    assert_eq!(d.len(), 3);
    assert!(d.iter().all(|(id, _)| id == eni));
    let d = ec2.describe_tags().filters(filter("key", "env")).filters(filter("value", "prod")).send().await.unwrap();
    assert_eq!(rows(d).len(), 2);
    let e = by("bogus", "x").await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");

    let p1 = ec2.describe_tags().max_results(5).send().await.unwrap();
    assert_eq!(p1.tags().len(), 5);
    let p2 = ec2.describe_tags().max_results(5).next_token(p1.next_token().unwrap()).send().await.unwrap();
    assert_eq!(p2.tags().len(), 2);
    assert!(p2.next_token().is_none());
    let mut paged = rows(p1);
    paged.extend(rows(p2));
    assert_eq!(paged, everything);
    let e = ec2.describe_tags().max_results(1001).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
    let e = ec2.describe_tags().next_token("nope").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidNextToken");
    let e = ec2.describe_tags().dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
}
