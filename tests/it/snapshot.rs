//! Snapshots (issue 4): restore is lossless (ids, id counters, tags, rule ids and order,
//! quotas, faults), the state file survives a restart, a `kill -9` loses only what came after
//! the last snapshot, and a corrupt or newer file stops the start.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, ResourceType, Tag, TagSpecification, UserIdGroupPair};
use lbsim::config::Config;
use serde_json::json;

/// Builds a small world with every kind of EC2 resource, a lowered quota and a fault.
async fn populate(s: &common::Server) {
    let ec2 = s.ec2().await;
    let vpc = ec2.describe_vpcs().send().await.unwrap().vpcs()[0].vpc_id().unwrap().to_string();
    let tag =
        |rt: ResourceType, k: &str| TagSpecification::builder().resource_type(rt).tags(Tag::builder().key(k).value("v").build()).build();
    let a = ec2
        .create_security_group()
        .group_name("a")
        .description("a")
        .tag_specifications(tag(ResourceType::SecurityGroup, "team"))
        .send()
        .await
        .unwrap();
    let b = ec2.create_security_group().group_name("b").description("b").vpc_id(&vpc).send().await.unwrap();
    let (a, b) = (a.group_id().unwrap().to_string(), b.group_id().unwrap().to_string());
    for port in [443, 80, 8080] {
        ec2.authorize_security_group_ingress()
            .group_id(&a)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(port)
                    .to_port(port)
                    .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    ec2.authorize_security_group_ingress()
        .group_id(&a)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("udp")
                .from_port(53)
                .to_port(53)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&b).build())
                .build(),
        )
        .tag_specifications(tag(ResourceType::SecurityGroupRule, "owner"))
        .send()
        .await
        .unwrap();
    let subnet = ec2.describe_subnets().send().await.unwrap().subnets()[0].subnet_id().unwrap().to_string();
    let run = ec2
        .run_instances()
        .image_id("ami-12345678")
        .min_count(2)
        .max_count(2)
        .subnet_id(&subnet)
        .security_group_ids(&a)
        .send()
        .await
        .unwrap();
    let instances: Vec<String> = run.instances().iter().map(|i| i.instance_id().unwrap().to_string()).collect();
    ec2.create_network_interface().subnet_id(&subnet).groups(&b).description("spare").send().await.unwrap();
    ec2.create_managed_prefix_list().prefix_list_name("corp").max_entries(5).address_family("IPv4").send().await.unwrap();
    // ELBv2: an NLB with groups, a listener, targets, one of them draining.
    let elb = s.elbv2().await;
    let subnets: Vec<String> =
        ec2.describe_subnets().send().await.unwrap().subnets().iter().take(2).map(|x| x.subnet_id().unwrap().to_string()).collect();
    let lb = elb
        .create_load_balancer()
        .name("snap-nlb")
        .r#type(aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum::Network)
        .set_subnets(Some(subnets))
        .security_groups(&b)
        .send()
        .await
        .unwrap();
    let lb_arn = lb.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let subnets2: Vec<String> = ec2
        .describe_subnets()
        .send()
        .await
        .unwrap()
        .subnets()
        .iter()
        .map(|x| (x.subnet_id().unwrap().to_string(), x.availability_zone().unwrap().to_string()))
        .fold(Vec::<(String, String)>::new(), |mut v, x| {
            if !v.iter().any(|y| y.1 == x.1) {
                v.push(x)
            }
            v
        })
        .into_iter()
        .map(|x| x.0)
        .collect();
    let tg = elb
        .create_target_group()
        .name("snap-tg")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Tcp)
        .port(80)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let tg_arn = tg.target_groups()[0].target_group_arn().unwrap().to_string();
    let action = aws_sdk_elasticloadbalancingv2::types::Action::builder()
        .r#type(aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::Forward)
        .target_group_arn(&tg_arn)
        .build();
    elb.create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Tcp)
        .port(80)
        .default_actions(action)
        .send()
        .await
        .unwrap();
    let target = |id: &str| aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder().id(id).port(80).build();
    elb.register_targets().target_group_arn(&tg_arn).targets(target(&instances[0])).targets(target(&instances[1])).send().await.unwrap();
    elb.deregister_targets().target_group_arn(&tg_arn).targets(target(&instances[1])).send().await.unwrap();
    // An ALB with an HTTP listener and a rule forwarding to an HTTP target group.
    use aws_sdk_elasticloadbalancingv2::types as t;
    let alb = elb.create_load_balancer().name("snap-alb").subnets(&subnets2[0]).subnets(&subnets2[1]).send().await.unwrap();
    let alb_arn = alb.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let web = elb.create_target_group().name("snap-web").protocol(t::ProtocolEnum::Http).port(80).vpc_id(&vpc).send().await.unwrap();
    let web = web.target_groups()[0].target_group_arn().unwrap().to_string();
    let fixed = t::Action::builder()
        .r#type(t::ActionTypeEnum::FixedResponse)
        .fixed_response_config(t::FixedResponseActionConfig::builder().status_code("404").build())
        .build();
    let l = elb.create_listener().load_balancer_arn(&alb_arn).protocol(t::ProtocolEnum::Http).port(80).default_actions(fixed).send();
    let l = l.await.unwrap().listeners()[0].listener_arn().unwrap().to_string();
    let cond = t::RuleCondition::builder()
        .field("path-pattern")
        .path_pattern_config(t::PathPatternConditionConfig::builder().values("/api/*").build())
        .build();
    let fwd = t::Action::builder().r#type(t::ActionTypeEnum::Forward).target_group_arn(&web).build();
    let rule = elb.create_rule().listener_arn(&l).priority(7).conditions(cond).actions(fwd);
    rule.tags(t::Tag::builder().key("ingress.k8s.aws/resource").value("80:7").build()).send().await.unwrap();
    let (st, _) = s.admin("PUT", "/_lbsim/quotas", Some(json!({"quotas": {"rules-per-security-group": 7}}))).await;
    assert_eq!(st, 200);
    let (st, _) = s
        .admin("POST", "/_lbsim/faults", Some(json!({"kind": "throttle", "service": "ec2", "action": "DescribeImages", "every": 3})))
        .await;
    assert_eq!(st, 201);
}

/// The state dump without its own timestamp.
async fn dump(s: &common::Server) -> serde_json::Value {
    let (st, mut v) = s.admin("GET", "/_lbsim/state", None).await;
    assert_eq!(st, 200);
    v.as_object_mut().unwrap().remove("time");
    v
}

#[tokio::test]
async fn restore_is_lossless_and_ids_continue() {
    let s = common::start().await;
    populate(&s).await;
    let before = dump(&s).await;
    let snap = lbsim::persist::snapshot(&s.app);
    // Through JSON, as the file would be.
    let snap: lbsim::state::snapshot::Snapshot = serde_json::from_str(&serde_json::to_string(&snap).unwrap()).unwrap();

    let t = common::start_with(Config { seed: Some(999), ..Config::default() }).await;
    lbsim::persist::restore(&t.app, snap).unwrap();
    assert_eq!(dump(&t).await, before, "identical state after restore");
    let (_, q) = t.admin("GET", "/_lbsim/quotas?account=000000000000", None).await;
    assert_eq!(q["quotas"]["rules-per-security-group"], 7, "{q}");
    let (_, f) = t.admin("GET", "/_lbsim/faults", None).await;
    assert_eq!(f["faults"][0]["action"], "DescribeImages", "{f}");

    // The id counters continue where they stood: the next group gets the same id in both.
    let x = s.ec2().await.create_security_group().group_name("next").description("n").send().await.unwrap();
    let y = t.ec2().await.create_security_group().group_name("next").description("n").send().await.unwrap();
    assert_eq!(x.group_id(), y.group_id());
    // Indexes were rebuilt: name, tag and group-reference lookups answer as before.
    let ec2 = t.ec2().await;
    let by_tag = ec2.describe_security_groups().filters(Filter::builder().name("tag:team").values("v").build()).send().await.unwrap();
    assert_eq!(by_tag.security_groups().len(), 1);
    let b = ec2.describe_security_groups().group_names("b").send().await.unwrap().security_groups()[0].group_id().unwrap().to_string();
    let e = ec2.delete_security_group().group_id(&b).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DependencyViolation");
    let elb = t.elbv2().await;
    let tgs = elb.describe_target_groups().names("snap-tg").send().await.unwrap();
    let health = elb.describe_target_health().target_group_arn(tgs.target_groups()[0].target_group_arn().unwrap()).send().await.unwrap();
    let states: Vec<&str> =
        health.target_health_descriptions().iter().map(|d| d.target_health().unwrap().state().unwrap().as_str()).collect();
    assert!(states.contains(&"draining"), "{states:?}");
    let lbs = elb.describe_load_balancers().names("snap-nlb").send().await.unwrap();
    assert_eq!(lbs.load_balancers()[0].security_groups().len(), 1);
    // The ALB's rule index was rebuilt: its priority is taken, its group is in use.
    let albs = elb.describe_load_balancers().names("snap-alb").send().await.unwrap();
    let l = elb.describe_listeners().load_balancer_arn(albs.load_balancers()[0].load_balancer_arn().unwrap()).send().await.unwrap();
    let l = l.listeners()[0].listener_arn().unwrap().to_string();
    let rules = elb.describe_rules().listener_arn(&l).send().await.unwrap();
    assert_eq!(rules.rules().iter().map(|r| r.priority().unwrap()).collect::<Vec<_>>(), ["7", "default"]);
    let tags = elb.describe_tags().resource_arns(rules.rules()[0].rule_arn().unwrap()).send().await.unwrap();
    assert_eq!(tags.tag_descriptions()[0].tags()[0].value(), Some("80:7"));
    let web = elb.describe_target_groups().names("snap-web").send().await.unwrap();
    let e = elb.delete_target_group().target_group_arn(web.target_groups()[0].target_group_arn().unwrap()).send().await.unwrap_err();
    assert_eq!(common::code(&e), "ResourceInUse");
}

#[tokio::test]
async fn newer_or_foreign_snapshots_are_refused_and_change_nothing() {
    let s = common::start().await;
    populate(&s).await;
    let before = dump(&s).await;
    let mut snap = lbsim::persist::snapshot(&s.app);
    snap.version = lbsim::state::snapshot::VERSION + 1;
    assert!(lbsim::persist::restore(&s.app, snap.clone()).unwrap_err().contains("newer"));
    snap.version = 1;
    snap.format = "something-else".into();
    assert!(lbsim::persist::restore(&s.app, snap).is_err());
    assert_eq!(dump(&s).await, before);
}

// ---- the real binary ------------------------------------------------------------------------

struct Proc {
    child: Child,
    url: String,
}

fn spawn(state: &std::path::Path) -> Proc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lbsim"))
        .args(["serve", "--listen", "127.0.0.1:0", "--state-file"])
        .arg(state)
        .env("LBSIM_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("lbsim listening on ").unwrap_or_else(|| panic!("unexpected first line {line:?}")).to_string();
    Proc { child, url }
}

fn signal(p: &Proc, sig: &str) {
    let ok = Command::new("kill").args([sig, &p.child.id().to_string()]).status().unwrap().success();
    assert!(ok);
}

/// A harness Server that talks to an external process (only `url` is used by the helpers).
async fn client_for(url: &str) -> common::Server {
    common::attach(url).await
}

#[tokio::test(flavor = "multi_thread")]
async fn state_file_survives_restart_and_kill_9_loses_only_the_tail() {
    let dir = std::env::temp_dir().join(format!("lbsim-snap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    let _ = std::fs::remove_file(&file);

    // 1. Populate, stop with SIGTERM: the state is written on shutdown.
    let mut p = spawn(&file);
    let c = client_for(&p.url).await;
    populate(&c).await;
    let before = dump(&c).await;
    signal(&p, "-TERM");
    assert!(p.child.wait().unwrap().success());
    assert!(file.exists());

    // 2. Restart: identical state.
    let mut p = spawn(&file);
    let c = client_for(&p.url).await;
    assert_eq!(dump(&c).await, before);

    // 3. Snapshot, change more, kill -9: the restart has the snapshot, not what came after.
    let (st, v) = c.admin("POST", "/_lbsim/snapshot", None).await;
    assert_eq!(st, 200, "{v}");
    let at_snapshot = dump(&c).await;
    c.ec2().await.create_security_group().group_name("after-snapshot").description("x").send().await.unwrap();
    signal(&p, "-KILL");
    let _ = p.child.wait();
    let mut p = spawn(&file);
    let c = client_for(&p.url).await;
    assert_eq!(dump(&c).await, at_snapshot);
    signal(&p, "-TERM");
    assert!(p.child.wait().unwrap().success());

    // 4. A corrupt file and a newer-version file stop the start with a clear message.
    for (content, expect) in [("{ not json", "corrupt"), (r#"{"format":"lbsim-snapshot","version":99}"#, "newer")] {
        std::fs::write(&file, content).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_lbsim"))
            .args(["serve", "--listen", "127.0.0.1:0", "--state-file"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
