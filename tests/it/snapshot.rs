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

// ---- crash consistency ---------------------------------------------------------------------

/// One request over a fresh connection; `None` once the server is gone.
async fn try_request(addr: &str, method: &str, path: &str, content_type: &str, body: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.ok()?;
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, text.split_once("\r\n\r\n").map(|x| x.1.to_string()).unwrap_or_default()))
}

fn spawn_with(state: &std::path::Path, config: &std::path::Path) -> Proc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lbsim"))
        .args(["serve", "--listen", "127.0.0.1:0", "--no-cluster", "--state-file"])
        .arg(state)
        .arg("--config")
        .arg(config)
        .env("LBSIM_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("lbsim listening on ").unwrap_or_else(|| panic!("lbsim did not start: {line:?}")).to_string();
    Proc { child, url }
}

/// The names of the groups `g-<n>` in the restored state, as numbers, sorted.
async fn group_numbers(addr: &str) -> Vec<u64> {
    let body = "Action=DescribeSecurityGroups&Version=2016-11-15";
    let (st, xml) = try_request(addr, "POST", "/", "application/x-www-form-urlencoded", body).await.expect("restarted lbsim answers");
    assert_eq!(st, 200, "{xml}");
    let mut out: Vec<u64> =
        xml.split("<groupName>g-").skip(1).map(|s| s.split('<').next().unwrap().parse().expect("a g-<n> group name")).collect();
    out.sort();
    out
}

/// Issue 16: the real binary is killed with SIGKILL at a random moment while four clients ask for
/// snapshots as fast as they can and a fifth creates groups `g-0`, `g-1`, … one after the other.
/// Every restart must succeed and hold exactly `g-0 … g-(k-1)` (a prefix: a snapshot never holds
/// a group without the ones created before it), with `k` at least what the last snapshot answered
/// before the kill had seen; every snapshot request must succeed, and no temporary file may
/// survive the restart. `LBSIM_CRASH_LOOPS` sets the number of kills (default 12).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_concurrent_snapshots_always_restarts_to_a_consistent_prefix() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let loops: u64 = std::env::var("LBSIM_CRASH_LOOPS").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
    let dir = std::env::temp_dir().join(format!("lbsim-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    let config = dir.join("lbsim.yaml");
    std::fs::write(&config, "quotas:\n  security-groups-per-region: 100000\nseed: 5\n").unwrap();
    let mut rng = 0x9e3779b97f4a7c15u64 ^ std::process::id() as u64;
    let mut snapshots_ok = 0u64;
    for round in 0..loops {
        let mut p = spawn_with(&file, &config);
        let addr = p.url.trim_start_matches("http://").to_string();
        let restored = group_numbers(&addr).await;
        assert_eq!(restored, (0..restored.len() as u64).collect::<Vec<_>>(), "round {round}: not a prefix");
        let leftovers: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "round {round}: temporary files survived the restart: {leftovers:?}");
        let next = restored.len() as u64;

        // `acked`: groups created and answered; `floor`: the most any answered snapshot saw.
        let acked = Arc::new(AtomicU64::new(next));
        let floor = Arc::new(AtomicU64::new(0));
        let ok = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        {
            let (addr, acked) = (addr.clone(), acked.clone());
            tasks.push(tokio::spawn(async move {
                let mut n = acked.load(Ordering::SeqCst);
                loop {
                    let body = format!("Action=CreateSecurityGroup&Version=2016-11-15&GroupName=g-{n}&GroupDescription=crash");
                    match try_request(&addr, "POST", "/", "application/x-www-form-urlencoded", &body).await {
                        Some((200, _)) => {
                            n += 1;
                            acked.store(n, Ordering::SeqCst);
                        }
                        Some((st, b)) => panic!("CreateSecurityGroup answered {st}: {b}"),
                        None => return,
                    }
                }
            }));
        }
        for _ in 0..4 {
            let (addr, acked, floor, ok) = (addr.clone(), acked.clone(), floor.clone(), ok.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let seen = acked.load(Ordering::SeqCst);
                    match try_request(&addr, "POST", "/_lbsim/snapshot", "application/json", "").await {
                        Some((200, _)) => {
                            floor.fetch_max(seen, Ordering::SeqCst);
                            ok.fetch_add(1, Ordering::SeqCst);
                        }
                        Some((st, b)) => panic!("POST /_lbsim/snapshot answered {st}: {b}"),
                        None => return,
                    }
                }
            }));
        }
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        tokio::time::sleep(std::time::Duration::from_millis(150 + (rng >> 33) % 500)).await;
        signal(&p, "-KILL");
        let _ = p.child.wait();
        for t in tasks {
            t.await.expect("client tasks end cleanly when the server dies");
        }
        snapshots_ok += ok.load(Ordering::SeqCst);

        // The restart (next round, or the check below) must hold at least `floor` groups.
        let p = spawn_with(&file, &config);
        let addr = p.url.trim_start_matches("http://").to_string();
        let after = group_numbers(&addr).await;
        assert_eq!(after, (0..after.len() as u64).collect::<Vec<_>>(), "round {round}: not a prefix");
        let (lo, hi) = (floor.load(Ordering::SeqCst), acked.load(Ordering::SeqCst) + 1);
        assert!(
            (lo..=hi).contains(&(after.len() as u64)),
            "round {round}: restored {} groups, answered snapshots had seen {lo}, {hi} were created",
            after.len()
        );
        signal(&p, "-KILL");
        let mut p = p;
        let _ = p.child.wait();
    }
    // Four clients keep snapshot requests in flight (or waiting for the writer) at every kill;
    // some must also have completed, or the test exercised nothing.
    assert!(snapshots_ok > 0, "no snapshot was ever answered");
    eprintln!("crash loop: {loops} kills, {snapshots_ok} snapshots answered 200, every restart a consistent prefix");
    let _ = std::fs::remove_dir_all(&dir);
}
