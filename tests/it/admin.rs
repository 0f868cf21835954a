//! The admin API (`/_lbsim/…`, `/_localstack/health`, `/moto-api/reset`) over real HTTP, and
//! its faults as aws-sdk-ec2 / aws-sdk-elasticloadbalancingv2 see them.

use crate::common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_sdk_ec2::operation::RequestId;
use serde_json::{Value, json};

use lbsim::config::Config;

const DEFAULT: &str = "000000000000";
const OTHER: &str = "123456789012";

fn status_of<E>(e: &aws_sdk_ec2::error::SdkError<E, aws_sdk_ec2::config::http::HttpResponse>) -> u16 {
    e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0)
}

async fn add_fault(s: &common::Server, spec: Value) -> String {
    let (st, f) = s.admin("POST", "/_lbsim/faults", Some(spec.clone())).await;
    assert_eq!(st, 201, "{spec} → {f}");
    f["id"].as_str().unwrap().to_string()
}

async fn create_vpc(ec2: &aws_sdk_ec2::Client, cidr: &str) -> String {
    ec2.create_vpc().cidr_block(cidr).send().await.unwrap().vpc().unwrap().vpc_id().unwrap().to_string()
}

#[tokio::test]
async fn health_in_lbsim_and_localstack_shapes() {
    let s = common::start().await;
    let (st, h) = s.admin("GET", "/_lbsim/health", None).await;
    assert_eq!(st, 200);
    assert_eq!(h["status"], "ok");
    assert_eq!(h["version"], env!("CARGO_PKG_VERSION"));
    assert!(h["uptime_seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(h["services"], json!({"ec2": "running", "elbv2": "running", "sts": "running"}));
    let (st, ls) = s.admin("GET", "/_localstack/health", None).await;
    assert_eq!(st, 200);
    // LocalStack's HealthResource.on_get: {"services": {name: state}, "edition", "version"}.
    assert_eq!(ls["services"]["ec2"], "running");
    assert_eq!(ls["services"]["elbv2"], "running");
    assert_eq!(ls["edition"], "community");
    assert!(ls["version"].is_string());
}

#[tokio::test]
async fn openapi_document_and_every_route_answer() {
    let s = common::start().await;
    let (st, doc) = s.admin("GET", "/_lbsim/openapi.json", None).await;
    assert_eq!(st, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (method, path) in lbsim::admin::routes::ROUTES {
        // Resets drop faults, so each {id} route gets a fault of its own.
        let path = if path.contains("{id}") {
            path.replace("{id}", &add_fault(&s, json!({"kind": "latency", "latency_ms": 1, "action": "NoSuchAction"})).await)
        } else {
            path.to_string()
        };
        let body = match (*method, path.as_str()) {
            ("PUT", "/_lbsim/quotas") => Some(json!({"quotas": {}})),
            ("POST", "/_lbsim/faults") => Some(json!({"kind": "throttle", "action": "NoSuchAction"})),
            _ => None,
        };
        let (st, v) = s.admin(method, &path, body).await;
        // Without --state-file, a snapshot has nowhere to go: 409 (tests/snapshot.rs covers 200).
        let expected_refusal = (path == "/moto-api/reset" && st == 400) || (path == "/_lbsim/snapshot" && st == 409);
        assert!(matches!(st, 200 | 201) || expected_refusal, "{method} {path} → {st} {v}");
    }
    let (st, v) = s.admin("GET", "/_lbsim/nope", None).await;
    assert_eq!(st, 404);
    assert_eq!(v["error"]["code"], "NotFound");
    let (st, _) = s.admin("PATCH", "/_lbsim/faults", None).await;
    assert_eq!(st, 405);
}

#[tokio::test]
async fn reset_everything_one_account_and_moto_reset() {
    let s = common::start().await;
    let a = s.ec2().await;
    let b = aws_sdk_ec2::Client::new(&s.sdk(OTHER, "us-east-1").await);
    let va = create_vpc(&a, "10.1.0.0/16").await;
    let vb = create_vpc(&b, "10.2.0.0/16").await;
    let count = |c: aws_sdk_ec2::Client| async move { c.describe_vpcs().send().await.unwrap().vpcs().len() };
    // One account, by query.
    let (st, r) = s.admin("POST", &format!("/_lbsim/reset?account={OTHER}"), None).await;
    assert_eq!(st, 200);
    assert_eq!((r["status"].as_str(), r["account"].as_str(), r["regions"].as_u64()), (Some("ok"), Some(OTHER), Some(1)));
    assert_eq!(count(b.clone()).await, 1, "only the default VPC is left in {OTHER}");
    assert_eq!(count(a.clone()).await, 2, "{va} stays");
    // One account, by body; an invalid account changes nothing.
    let (st, e) = s.admin("POST", "/_lbsim/reset", Some(json!({"account": "12"}))).await;
    assert_eq!((st, e["error"]["code"].as_str()), (400, Some("BadRequest")));
    let (st, e) = s.admin("POST", "/_lbsim/reset?acount=1", None).await;
    assert_eq!(st, 400, "{e}");
    assert_eq!(count(a.clone()).await, 2);
    let (st, _) = s.admin("POST", "/_lbsim/reset", Some(json!({"account": DEFAULT}))).await;
    assert_eq!(st, 200);
    assert_eq!(count(a.clone()).await, 1);
    // Everything, with runtime quotas back to the config's.
    create_vpc(&b, "10.3.0.0/16").await;
    let (st, _) = s.admin("PUT", "/_lbsim/quotas", Some(json!({"account": OTHER, "quotas": {"vpcs-per-region": 1}}))).await;
    assert_eq!(st, 200);
    let (st, r) = s.admin("POST", "/_lbsim/reset", None).await;
    assert_eq!((st, r["account"].clone()), (200, Value::Null));
    assert_eq!(count(b.clone()).await, 1);
    let (_, q) = s.admin("GET", &format!("/_lbsim/quotas?account={OTHER}"), None).await;
    assert_eq!(q["quotas"]["vpcs-per-region"], 5);
    // Same ids as a fresh start: the world is rebuilt from the seed.
    assert_eq!(create_vpc(&b, "10.2.0.0/16").await, vb);
    // moto's server-mode reset.
    let (st, r) = s.admin("POST", "/moto-api/reset", None).await;
    assert_eq!((st, r), (200, json!({"status": "ok"})));
    assert_eq!(count(b.clone()).await, 1);
    let (st, r) = s.admin("GET", "/moto-api/reset", None).await;
    assert_eq!((st, r), (400, json!({"Error": "Need to POST to reset Moto"})));
}

#[tokio::test]
async fn state_dump_per_account_and_region() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.1.0.0/16")
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
                .tags(aws_sdk_ec2::types::Tag::builder().key("team").value("a").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap();
    let subnet = ec2.create_subnet().vpc_id(vpc_id).cidr_block("10.1.1.0/24").send().await.unwrap();
    let subnet_id = subnet.subnet().unwrap().subnet_id().unwrap();
    aws_sdk_ec2::Client::new(&s.sdk(OTHER, "eu-west-1").await).describe_vpcs().send().await.unwrap();

    let (st, dump) = s.admin("GET", "/_lbsim/state", None).await;
    assert_eq!(st, 200);
    let r = &dump["accounts"][DEFAULT]["regions"]["us-east-1"];
    let vpcs = r["vpcs"].as_array().unwrap();
    assert_eq!(vpcs.len(), 2);
    let mine = vpcs.iter().find(|v| v["id"] == vpc_id).unwrap();
    assert_eq!(mine["cidr_block"], "10.1.0.0/16");
    assert_eq!(mine["tags"], json!({"team": "a"}));
    assert!(r["subnets"].as_array().unwrap().iter().any(|x| x["id"] == subnet_id && x["vpc_id"] == vpc_id));
    // The new VPC's default group, with its two rules in creation order and their ids.
    let sg = r["security_groups"].as_array().unwrap().iter().find(|g| g["vpc_id"] == vpc_id).unwrap();
    assert_eq!(sg["name"], "default");
    let rules = sg["rules"].as_array().unwrap();
    assert_eq!((rules[0]["direction"].as_str(), rules[1]["direction"].as_str()), (Some("ingress"), Some("egress")));
    assert!(rules.iter().all(|x| x["id"].as_str().unwrap().starts_with("sgr-")));
    assert_eq!(rules[0]["peer"]["group_id"], sg["id"]);
    assert_eq!(rules[1]["peer"]["cidr_ipv4"], "0.0.0.0/0");
    assert_eq!(r["prefix_lists"].as_array().unwrap().len(), 2);
    assert!(r["instances"].is_array() && r["network_interfaces"].is_array());
    assert!(r["elbv2"].is_object(), "ELBv2's own dump is included");
    assert!(dump["accounts"][OTHER]["regions"]["eu-west-1"].is_object());
    // Filters.
    let (_, only) = s.admin("GET", &format!("/_lbsim/state?account={OTHER}"), None).await;
    assert_eq!(only["accounts"].as_object().unwrap().keys().collect::<Vec<_>>(), vec![OTHER]);
    let (_, none) = s.admin("GET", "/_lbsim/state?region=ap-south-1", None).await;
    assert_eq!(none["accounts"], json!({}));
}

#[tokio::test]
async fn quotas_read_set_and_lowered_below_usage() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let (st, q) = s.admin("GET", &format!("/_lbsim/quotas?account={DEFAULT}"), None).await;
    assert_eq!(st, 200);
    assert_eq!(q["quotas"]["rules-per-security-group"], 60);
    assert_eq!(q["group_reference_bucket"], "both");
    let (_, all) = s.admin("GET", "/_lbsim/quotas", None).await;
    assert_eq!(all["default_account"], DEFAULT);
    assert!(all["accounts"].as_array().unwrap().iter().any(|a| a["account"] == DEFAULT));

    // Refusals change nothing, even for the valid names in the same request.
    let (st, e) =
        s.admin("PUT", "/_lbsim/quotas", Some(json!({"account": DEFAULT, "quotas": {"vpcs-per-region": 9, "no-such-quota": 1}}))).await;
    assert_eq!(st, 400);
    assert_eq!(e["error"]["code"], "UnknownQuota");
    assert!(e["error"]["message"].as_str().unwrap().contains("unknown quota 'no-such-quota'; known quotas: security-groups-per-region"));
    let (st, e) = s.admin("PUT", "/_lbsim/quotas", Some(json!({"quotas": {"vpcs-per-region": -1}}))).await;
    assert_eq!(st, 400, "{e}");
    let (st, _) = s.admin("PUT", "/_lbsim/quotas", Some(json!({"quota": {}}))).await;
    assert_eq!(st, 400);
    let (_, q) = s.admin("GET", &format!("/_lbsim/quotas?account={DEFAULT}"), None).await;
    assert_eq!(q["quotas"]["vpcs-per-region"], 5);

    // Lowering below usage keeps what exists and refuses what would add more.
    let v1 = create_vpc(&ec2, "10.1.0.0/16").await;
    create_vpc(&ec2, "10.2.0.0/16").await;
    let (st, q) = s.admin("PUT", "/_lbsim/quotas", Some(json!({"account": DEFAULT, "quotas": {"vpcs-per-region": 2}}))).await;
    assert_eq!((st, q["quotas"]["vpcs-per-region"].as_u64()), (200, Some(2)));
    assert_eq!(ec2.describe_vpcs().send().await.unwrap().vpcs().len(), 3);
    let e = ec2.create_vpc().cidr_block("10.3.0.0/16").send().await.unwrap_err();
    assert_eq!(common::code(&e), "VpcLimitExceeded");
    ec2.delete_vpc().vpc_id(&v1).send().await.unwrap();
    let e = ec2.create_vpc().cidr_block("10.3.0.0/16").send().await.unwrap_err();
    assert_eq!(common::code(&e), "VpcLimitExceeded", "still 2 of 2");
}

/// The rules quota lowered at runtime, checked where the quota lives (the Region), until the
/// security-group actions are merged; the SDK version of this test is below.
#[tokio::test]
async fn rules_quota_lowered_below_usage_in_the_region() {
    use lbsim::state::ec2::Peer;
    let s = common::start().await;
    s.ec2().await.describe_vpcs().send().await.unwrap();
    let store = &s.app.store;
    let sg = store.with_region(DEFAULT, "us-east-1", |r| {
        let sg = r.default_vpc().unwrap().default_sg.clone();
        let rules: Vec<_> = (0..3)
            .map(|i| r.new_rule(false, "tcp", Some(80 + i), Some(80 + i), Peer::Cidr4("10.0.0.0/8".parse().unwrap()), None))
            .collect();
        r.add_rules(&sg, rules);
        sg
    });
    let (st, _) = s.admin("PUT", "/_lbsim/quotas", Some(json!({"quotas": {"rules-per-security-group": 2}}))).await;
    assert_eq!(st, 200);
    store.with_region(DEFAULT, "us-east-1", |r| {
        let group = r.sgs()[sg.as_str()].clone();
        assert_eq!(group.rules.len(), 5, "existing rules stay");
        let extra = r.new_rule(false, "tcp", Some(99), Some(99), Peer::Cidr4("10.0.0.0/8".parse().unwrap()), None);
        let mut after: Vec<_> = group.rules.iter().collect();
        after.push(&extra);
        assert_eq!(r.check_rule_quota(&sg, &after).unwrap_err().code.as_str(), "RulesPerSecurityGroupLimitExceeded");
        let fewer: Vec<_> = group.rules.iter().skip(1).collect();
        assert!(r.check_rule_quota(&sg, &fewer).is_ok(), "removing is never refused");
    });
    let (_, u) = s.admin("GET", "/_lbsim/usage?quota=rules-per-security-group&limit=1", None).await;
    let top = &u["usage"][0];
    assert_eq!(
        (top["scope"].as_str().unwrap(), top["used"].as_u64(), top["limit"].as_u64()),
        (format!("{sg} ingress/ipv4").as_str(), Some(4), Some(2))
    );
    assert_eq!(top["percent"], 200.0);
}

/// The same through the SDK: what exists stays, adds are refused until usage falls below.
#[tokio::test]
async fn rules_quota_lowered_at_runtime_through_the_sdk() {
    use aws_sdk_ec2::types::{IpPermission, IpRange};
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let g = ec2.create_security_group().group_name("web").description("web").send().await.unwrap();
    let g = g.group_id().unwrap();
    let allow = |port: i32| {
        IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port)
            .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
            .build()
    };
    for p in 80..83 {
        ec2.authorize_security_group_ingress().group_id(g).ip_permissions(allow(p)).send().await.unwrap();
    }
    let (st, _) = s.admin("PUT", "/_lbsim/quotas", Some(json!({"quotas": {"rules-per-security-group": 2}}))).await;
    assert_eq!(st, 200);
    let e = ec2.authorize_security_group_ingress().group_id(g).ip_permissions(allow(90)).send().await.unwrap_err();
    assert_eq!(common::code(&e), "RulesPerSecurityGroupLimitExceeded");
    let rules = ec2.describe_security_groups().group_ids(g).send().await.unwrap();
    assert_eq!(rules.security_groups()[0].ip_permissions().len(), 3, "what exists stays");
    ec2.revoke_security_group_ingress().group_id(g).ip_permissions(allow(80)).send().await.unwrap();
    let e = ec2.authorize_security_group_ingress().group_id(g).ip_permissions(allow(90)).send().await.unwrap_err();
    assert_eq!(common::code(&e), "RulesPerSecurityGroupLimitExceeded", "2 of 2");
}

#[tokio::test]
async fn usage_largest_share_first() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    create_vpc(&ec2, "10.1.0.0/16").await;
    let (st, u) = s.admin("GET", "/_lbsim/usage", None).await;
    assert_eq!(st, 200);
    let rows = u["usage"].as_array().unwrap();
    // 2 of 5 VPCs (40%) leads; the default groups' 1 rule of 60 per bucket come later.
    assert_eq!(rows[0]["quota"], "vpcs-per-region");
    assert_eq!((rows[0]["used"].as_u64(), rows[0]["limit"].as_u64(), rows[0]["percent"].as_f64()), (Some(2), Some(5), Some(40.0)));
    assert_eq!(rows[0]["account"], DEFAULT);
    assert_eq!(rows[0]["region"], "us-east-1");
    let percents: Vec<f64> = rows.iter().map(|r| r["percent"].as_f64().unwrap()).collect();
    assert!(percents.windows(2).all(|w| w[0] >= w[1]), "{percents:?}");
    let quotas: std::collections::BTreeSet<&str> = rows.iter().map(|r| r["quota"].as_str().unwrap()).collect();
    for q in ["security-groups-per-region", "rules-per-security-group", "subnets-per-vpc", "network-interfaces-per-region"] {
        assert!(quotas.contains(q), "{q} missing from {quotas:?}");
    }
    assert!(rows.iter().any(|r| r["quota"] == "rules-per-security-group" && r["scope"].as_str().unwrap().ends_with(" egress/ipv4")));
    let (_, few) = s.admin("GET", "/_lbsim/usage?limit=2&region=us-east-1", None).await;
    assert_eq!(few["usage"].as_array().unwrap().len(), 2);
    let (st, _) = s.admin("GET", "/_lbsim/usage?limit=x", None).await;
    assert_eq!(st, 400);
}

#[tokio::test]
async fn request_log_records_filters_and_is_bounded() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let out = ec2.describe_vpcs().send().await.unwrap();
    let vpc = create_vpc(&ec2, "10.1.0.0/16").await;
    let e = ec2.describe_vpcs().vpc_ids("vpc-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidVpcID.NotFound");
    s.elbv2().await.describe_load_balancers().send().await.ok();

    let (st, log) = s.admin("GET", "/_lbsim/requests", None).await;
    assert_eq!(st, 200);
    assert_eq!(log["capacity"], 1000);
    let reqs = log["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 4);
    let first = &reqs[0];
    assert_eq!(first["action"], "DescribeVpcs");
    assert_eq!(first["service"], "ec2");
    assert_eq!(first["account"], DEFAULT);
    assert_eq!(first["region"], "us-east-1");
    assert_eq!(first["status"], 200);
    assert_eq!(first["error_code"], Value::Null);
    assert_eq!(first["request_id"].as_str(), out.request_id());
    assert!(first["time"].as_str().unwrap().contains('T'));
    let seqs: Vec<u64> = reqs.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
    assert_eq!(log["last_seq"].as_u64(), seqs.last().copied());
    let failed = &reqs[2];
    assert_eq!((failed["status"].as_u64(), failed["error_code"].as_str()), (Some(400), Some("InvalidVpcID.NotFound")));
    assert_eq!(failed["params"], json!({"VpcId.1": "vpc-0123456789abcdef0"}));
    assert_eq!(reqs[3]["service"], "elbv2");

    // Filters.
    let (_, d) = s.admin("GET", "/_lbsim/requests?action=Describe*&service=ec2", None).await;
    assert_eq!(d["requests"].as_array().unwrap().len(), 2);
    let (_, c) = s.admin("GET", "/_lbsim/requests?action=CreateVpc", None).await;
    assert_eq!(c["requests"].as_array().unwrap().len(), 1);
    let (_, errs) = s.admin("GET", "/_lbsim/requests?errors=true&service=ec2", None).await;
    assert_eq!(errs["requests"].as_array().unwrap().len(), 1);
    let (_, last) = s.admin("GET", "/_lbsim/requests?limit=1", None).await;
    assert_eq!(last["requests"][0]["seq"], log["last_seq"]);
    let since = log["last_seq"].as_u64().unwrap();
    let (_, none) = s.admin("GET", &format!("/_lbsim/requests?since={since}"), None).await;
    assert!(none["requests"].as_array().unwrap().is_empty());
    ec2.describe_vpcs().vpc_ids(&vpc).send().await.unwrap();
    let (_, new) = s.admin("GET", &format!("/_lbsim/requests?since={since}"), None).await;
    assert_eq!(new["requests"].as_array().unwrap().len(), 1);
    assert_eq!(new["requests"][0]["params"]["VpcId.1"], vpc.as_str());
    // Calls refused before dispatch are logged too.
    let (st, _) = s.post(&[], "Version=2016-11-15&VpcId.1=vpc-1").await;
    assert_eq!(st, 400);
    let (_, early) = s.admin("GET", "/_lbsim/requests?limit=1", None).await;
    let early = &early["requests"][0];
    assert_eq!((early["error_code"].as_str(), early["service"].as_str()), (Some("MissingAction"), Some("ec2")));
    assert_eq!(early["params"], json!({"VpcId.1": "vpc-1"}));
    for bad in ["?service=s3", "?since=-1", "?errors=maybe", "?actions=x"] {
        let (st, e) = s.admin("GET", &format!("/_lbsim/requests{bad}"), None).await;
        assert_eq!((st, e["error"]["code"].as_str()), (400, Some("BadRequest")), "{bad}");
    }

    // The bound.
    let small = common::start_with(Config { seed: Some(1), request_log_size: 3, ..Config::default() }).await;
    let ec2 = small.ec2().await;
    for _ in 0..5 {
        ec2.describe_vpcs().send().await.unwrap();
    }
    let (_, log) = small.admin("GET", "/_lbsim/requests", None).await;
    let seqs: Vec<u64> = log["requests"].as_array().unwrap().iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, vec![3, 4, 5]);
    assert_eq!((log["capacity"].as_u64(), log["dropped"].as_u64()), (Some(3), Some(2)));
}

#[tokio::test]
async fn fault_crud_and_refusals() {
    let s = common::start().await;
    let id = add_fault(&s, json!({"kind": "throttle", "service": "ec2", "action": "Describe*", "first": 2})).await;
    let (st, f) = s.admin("GET", &format!("/_lbsim/faults/{id}"), None).await;
    assert_eq!(st, 200);
    assert_eq!((f["kind"].as_str(), f["action"].as_str(), f["first"].as_u64()), (Some("throttle"), Some("Describe*"), Some(2)));
    assert_eq!((f["matched"].as_u64(), f["fired"].as_u64()), (Some(0), Some(0)));
    let id2 = add_fault(&s, json!({"kind": "internal-error", "region": "eu-west-1"})).await;
    assert_ne!(id, id2);
    let (_, all) = s.admin("GET", "/_lbsim/faults", None).await;
    assert_eq!(all["faults"].as_array().unwrap().len(), 2);
    let (st, _) = s.admin("DELETE", &format!("/_lbsim/faults/{id}"), None).await;
    assert_eq!(st, 200);
    let (st, e) = s.admin("DELETE", &format!("/_lbsim/faults/{id}"), None).await;
    assert_eq!((st, e["error"]["code"].as_str()), (404, Some("NotFound")));
    let (st, _) = s.admin("GET", &format!("/_lbsim/faults/{id}"), None).await;
    assert_eq!(st, 404);
    let (st, d) = s.admin("DELETE", "/_lbsim/faults", None).await;
    assert_eq!((st, d["deleted"].as_u64()), (200, Some(1)));
    for (spec, needle) in [
        (json!({"kind": "throttle", "colour": "red"}), "unknown field `colour`"),
        (json!({"kind": "explode"}), "unknown variant"),
        (json!({"kind": "error"}), "needs 'code'"),
        (json!({"kind": "throttle", "every": 0}), "at least 1"),
    ] {
        let (st, e) = s.admin("POST", "/_lbsim/faults", Some(spec.clone())).await;
        assert_eq!(st, 400, "{spec}");
        assert!(e["error"]["message"].as_str().unwrap().contains(needle), "{spec}: {e}");
    }
}

#[tokio::test]
async fn throttling_without_sdk_retries() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let id = add_fault(&s, json!({"kind": "throttle", "service": "ec2", "action": "DescribeVpcs", "first": 1})).await;
    let e = ec2.describe_vpcs().send().await.unwrap_err();
    assert_eq!(common::code(&e), "RequestLimitExceeded");
    assert_eq!(common::message(&e), "Request limit exceeded.");
    assert_eq!(status_of(&e), 503);
    ec2.describe_vpcs().send().await.unwrap();
    ec2.describe_subnets().send().await.unwrap();
    let (_, f) = s.admin("GET", &format!("/_lbsim/faults/{id}"), None).await;
    assert_eq!((f["matched"].as_u64(), f["fired"].as_u64()), (Some(2), Some(1)));
    let (_, log) = s.admin("GET", "/_lbsim/requests?errors=true", None).await;
    assert_eq!(log["requests"][0]["fault"], id.as_str());
    assert_eq!(log["requests"][0]["status"], 503);

    // ELBv2 throttles as Throttling / "Rate exceeded" / 400, in the Query error envelope.
    add_fault(&s, json!({"kind": "throttle", "service": "elbv2"})).await;
    let e = s.elbv2().await.describe_load_balancers().send().await.unwrap_err();
    assert_eq!(common::code(&e), "Throttling");
    assert_eq!(common::message(&e), "Rate exceeded");
    assert_eq!(status_of(&e), 400);
    ec2.describe_vpcs().send().await.unwrap();
}

#[tokio::test]
async fn sdk_retries_recover_from_throttling() {
    let s = common::start().await;
    let conf = aws_sdk_ec2::config::Builder::from(&s.sdk("test", "us-east-1").await)
        .retry_config(RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(10)))
        .build();
    let ec2 = aws_sdk_ec2::Client::from_conf(conf);
    let id = add_fault(&s, json!({"kind": "throttle", "action": "DescribeVpcs", "first": 2})).await;
    let out = ec2.describe_vpcs().send().await.expect("the SDK retries RequestLimitExceeded and recovers");
    assert_eq!(out.vpcs().len(), 1);
    let (_, log) = s.admin("GET", "/_lbsim/requests?action=DescribeVpcs", None).await;
    let codes: Vec<Value> = log["requests"].as_array().unwrap().iter().map(|r| r["error_code"].clone()).collect();
    assert_eq!(codes, vec![json!("RequestLimitExceeded"), json!("RequestLimitExceeded"), Value::Null]);
    let (_, f) = s.admin("GET", &format!("/_lbsim/faults/{id}"), None).await;
    assert_eq!((f["matched"].as_u64(), f["fired"].as_u64()), (Some(3), Some(2)));
    // Three failures are one too many for three attempts.
    add_fault(&s, json!({"kind": "internal-error", "action": "DescribeSubnets", "first": 3})).await;
    let e = ec2.describe_subnets().send().await.unwrap_err();
    assert_eq!((common::code(&e), status_of(&e)), ("InternalError".to_string(), 500));
}

/// Pass/fail pattern of `n` DescribeVpcs calls.
async fn pattern(ec2: &aws_sdk_ec2::Client, n: usize) -> String {
    let mut out = String::new();
    for _ in 0..n {
        out.push(if ec2.describe_vpcs().send().await.is_ok() { '.' } else { 'x' });
    }
    out
}

#[tokio::test]
async fn every_nth_and_seeded_probability_are_deterministic() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    add_fault(&s, json!({"kind": "error", "code": "InternalError", "every": 3})).await;
    assert_eq!(pattern(&ec2, 7).await, "..x..x.");
    s.admin("DELETE", "/_lbsim/faults", None).await;
    let mut runs = Vec::new();
    for seed in [42, 42, 43] {
        let id = add_fault(&s, json!({"kind": "throttle", "probability": 0.5, "seed": seed})).await;
        runs.push(pattern(&ec2, 24).await);
        s.admin("DELETE", &format!("/_lbsim/faults/{id}"), None).await;
    }
    assert_eq!(runs[0], runs[1], "same seed, same sequence");
    assert_ne!(runs[0], runs[2], "another seed, another sequence");
    assert!(runs[0].contains('x') && runs[0].contains('.'), "{}", runs[0]);
}

#[tokio::test]
async fn custom_error_codes_and_statuses() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    add_fault(&s, json!({"kind": "error", "code": "SlowDown", "message": "Please reduce your request rate.", "status": 503, "first": 1}))
        .await;
    let e = ec2.describe_vpcs().send().await.unwrap_err();
    assert_eq!((common::code(&e), common::message(&e), status_of(&e)), ("SlowDown".into(), "Please reduce your request rate.".into(), 503));
    add_fault(&s, json!({"kind": "error", "code": "UnauthorizedOperation", "action": "CreateVpc", "account": DEFAULT})).await;
    let e = ec2.create_vpc().cidr_block("10.1.0.0/16").send().await.unwrap_err();
    assert_eq!((common::code(&e).as_str(), status_of(&e)), ("UnauthorizedOperation", 403), "a known code keeps its status");
    let other = aws_sdk_ec2::Client::new(&s.sdk(OTHER, "us-east-1").await);
    create_vpc(&other, "10.1.0.0/16").await;
    // The refused create committed nothing.
    assert_eq!(ec2.describe_vpcs().send().await.unwrap().vpcs().len(), 1);
}

#[tokio::test]
async fn latency_is_added_before_handling() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let id = add_fault(&s, json!({"kind": "latency", "latency_ms": 50, "action": "DescribeVpcs"})).await;
    let t = Instant::now();
    ec2.describe_vpcs().send().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(50), "{:?}", t.elapsed());
    let (_, log) = s.admin("GET", "/_lbsim/requests?action=DescribeVpcs", None).await;
    assert_eq!(log["requests"][0]["fault"], id.as_str());
    assert!(log["requests"][0]["duration_ms"].as_f64().unwrap() >= 50.0);
}

#[tokio::test]
async fn eventual_consistency_for_a_number_of_calls() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let id = add_fault(&s, json!({"kind": "eventual-consistency", "service": "ec2", "calls": 2})).await;
    let vpc = create_vpc(&ec2, "10.1.0.0/16").await;
    for _ in 0..2 {
        let e = ec2.describe_vpcs().vpc_ids(&vpc).send().await.unwrap_err();
        assert_eq!(common::code(&e), "InvalidVpcID.NotFound");
        assert_eq!(common::message(&e), format!("The vpc ID '{vpc}' does not exist"));
    }
    assert_eq!(ec2.describe_vpcs().vpc_ids(&vpc).send().await.unwrap().vpcs()[0].vpc_id(), Some(vpc.as_str()));
    // Only Describe* calls by default: creating a subnet in a just-created VPC works.
    let vpc2 = create_vpc(&ec2, "10.2.0.0/16").await;
    let sub = ec2.create_subnet().vpc_id(&vpc2).cidr_block("10.2.1.0/24").send().await.unwrap();
    let sub = sub.subnet().unwrap().subnet_id().unwrap();
    let e = ec2.describe_subnets().subnet_ids(sub).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSubnetID.NotFound");
    let (_, f) = s.admin("GET", &format!("/_lbsim/faults/{id}"), None).await;
    assert_eq!((f["fired"].as_u64(), f["hidden"].as_u64()), (Some(3), Some(2)), "{f}");
    // Deleting the fault shows everything at once.
    s.admin("DELETE", &format!("/_lbsim/faults/{id}"), None).await;
    ec2.describe_vpcs().vpc_ids(&vpc2).send().await.unwrap();
    ec2.describe_subnets().subnet_ids(sub).send().await.unwrap();
}

#[tokio::test]
async fn eventual_consistency_for_a_time() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    add_fault(&s, json!({"kind": "eventual-consistency", "duration_ms": 300})).await;
    let vpc = create_vpc(&ec2, "10.1.0.0/16").await;
    let e = ec2.describe_vpcs().vpc_ids(&vpc).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidVpcID.NotFound");
    // A listing that does not name the id already shows it (a documented limit).
    assert_eq!(ec2.describe_vpcs().send().await.unwrap().vpcs().len(), 2);
    tokio::time::sleep(Duration::from_millis(350)).await;
    ec2.describe_vpcs().vpc_ids(&vpc).send().await.unwrap();
}

/// The ids hidden are the ones an action reports as created: a new target group and rule, not
/// the target group an idempotent repeat returns again.
#[tokio::test]
async fn eventual_consistency_hides_what_was_created_not_what_was_returned_again() {
    use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
    let s = common::start().await;
    let (ec2, elb) = (s.ec2().await, s.elbv2().await);
    let vpc = common::elbv2::world(&s).vpc;
    let tg = |name: &'static str| elb.create_target_group().name(name).protocol(ProtocolEnum::Tcp).port(80).vpc_id(&vpc).send();
    let first = tg("tg-a").await.unwrap().target_groups()[0].target_group_arn().unwrap().to_string();
    add_fault(&s, json!({"kind": "eventual-consistency", "calls": 1})).await;
    let again = tg("tg-a").await.unwrap().target_groups()[0].target_group_arn().unwrap().to_string();
    assert_eq!(again, first);
    elb.describe_target_groups().target_group_arns(&first).send().await.expect("an existing group stays visible");
    let new = tg("tg-b").await.unwrap().target_groups()[0].target_group_arn().unwrap().to_string();
    let e = elb.describe_target_groups().target_group_arns(&new).send().await.unwrap_err();
    assert_eq!(e.as_service_error().and_then(|x| x.meta().code()), Some("TargetGroupNotFound"));
    elb.describe_target_groups().target_group_arns(&new).send().await.unwrap();
    // A rule id from Authorize is hidden from DescribeSecurityGroupRules.
    let sg = common::elbv2::world(&s).default_sg;
    let out = ec2
        .authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(8080)
                .to_port(8080)
                .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip("10.0.0.0/8").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let rule = out.security_group_rules()[0].security_group_rule_id().unwrap().to_string();
    let e = ec2.describe_security_group_rules().security_group_rule_ids(&rule).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSecurityGroupRuleId.NotFound");
}

#[tokio::test]
async fn admin_token_guards_everything_but_health() {
    let s = common::start_with(Config { seed: Some(1), admin_token: Some("t0k3n".into()), ..Config::default() }).await;
    let (st, e) = s.admin("GET", "/_lbsim/state", None).await;
    assert_eq!((st, e["error"]["code"].as_str()), (403, Some("Forbidden")), "loopback without the token");
    let (st, _) = s.admin_with("GET", "/_lbsim/state", &[("Authorization", "Bearer t0k3n")], None).await;
    assert_eq!(st, 200);
    let (st, _) = s.admin_with("POST", "/_lbsim/reset", &[("x-lbsim-admin-token", "t0k3n")], None).await;
    assert_eq!(st, 200);
    let (st, _) = s.admin_with("POST", "/moto-api/reset", &[("x-lbsim-admin-token", "wrong")], None).await;
    assert_eq!(st, 403);
    for open in ["/_lbsim/health", "/_localstack/health", "/_lbsim/openapi.json"] {
        assert_eq!(s.admin("GET", open, None).await.0, 200, "{open}");
    }
    // AWS calls are not admin calls.
    s.ec2().await.describe_vpcs().send().await.unwrap();
}

/// Drives the router as a remote peer would reach it (axum's MockConnectInfo sets the address).
async fn as_peer(app: std::sync::Arc<lbsim::app::App>, peer: &str, method: &str, uri: &str, headers: &[(&str, &str)]) -> u16 {
    use axum::extract::connect_info::MockConnectInfo;
    use tower::ServiceExt;
    let addr: SocketAddr = peer.parse().unwrap();
    let mut req = axum::http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(axum::body::Body::from(if uri == "/" { "Action=DescribeVpcs&Version=2016-11-15" } else { "" })).unwrap();
    let resp = lbsim::admin::router(app).layer(MockConnectInfo(addr)).oneshot(req).await.unwrap();
    resp.status().as_u16()
}

#[tokio::test]
async fn loopback_only_without_a_token() {
    let s = common::start().await;
    let app = s.app.clone();
    assert_eq!(as_peer(app.clone(), "127.0.0.1:4000", "GET", "/_lbsim/state", &[]).await, 200);
    assert_eq!(as_peer(app.clone(), "[::1]:4000", "GET", "/_lbsim/faults", &[]).await, 200);
    assert_eq!(as_peer(app.clone(), "192.0.2.9:4000", "GET", "/_lbsim/state", &[]).await, 403);
    assert_eq!(as_peer(app.clone(), "192.0.2.9:4000", "POST", "/moto-api/reset", &[]).await, 403);
    assert_eq!(as_peer(app.clone(), "192.0.2.9:4000", "GET", "/_lbsim/health", &[]).await, 200);
    assert_eq!(as_peer(app.clone(), "192.0.2.9:4000", "GET", "/_localstack/health", &[]).await, 200);
    assert_eq!(as_peer(app.clone(), "192.0.2.9:4000", "POST", "/", &[]).await, 200, "AWS calls from anywhere");

    let t = common::start_with(Config { seed: Some(1), admin_token: Some("t0k3n".into()), ..Config::default() }).await;
    let app = t.app.clone();
    assert_eq!(as_peer(app.clone(), "192.0.2.9:4000", "GET", "/_lbsim/state", &[("authorization", "Bearer t0k3n")]).await, 200);
    assert_eq!(as_peer(app.clone(), "192.0.2.9:4000", "GET", "/_lbsim/state", &[]).await, 403);
}

/// openapi.json documents exactly the admin routes served, those of live mode included, and
/// every `$ref` in it resolves.
#[test]
fn openapi_document_lists_exactly_the_routes() {
    use lbsim::admin::openapi::DOCUMENT;
    use std::collections::BTreeSet;
    let doc: serde_json::Value = serde_json::from_str(DOCUMENT).expect("openapi.json is JSON");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let served: BTreeSet<(String, String)> = lbsim::admin::routes::ROUTES
        .iter()
        .chain(lbsim::world::k8s_endpoints::ROUTES)
        .chain(lbsim::ui::dashboard::ROUTES)
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, served, "openapi.json and the routers' ROUTES differ");
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for r in DOCUMENT.match_indices("#/components/schemas/").map(|(i, _)| &DOCUMENT[i + 21..]) {
        let name: String = r.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        assert!(schemas.contains_key(&name), "dangling $ref {name}");
    }
}

/// The document is checked against the handlers' own types, not only their paths: the quota
/// names are the Quotas table's, the fault kinds and fields are FaultSpec's, and every guarded
/// operation documents the access refusals (403; 415 for writes) the guard can give.
#[test]
fn openapi_document_agrees_with_the_handlers_types() {
    use lbsim::admin::openapi::DOCUMENT;
    use lbsim::app::faults::{FaultSpec, Kind};
    use std::collections::BTreeSet;
    let doc: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
    let schemas = &doc["components"]["schemas"];
    let names = |v: &serde_json::Value| -> BTreeSet<String> { v.as_object().unwrap().keys().cloned().collect() };
    let quotas: BTreeSet<String> = lbsim::state::Quotas::default().entries().into_iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(names(&schemas["AccountQuotas"]["properties"]["quotas"]["properties"]), quotas);
    let put = &doc["paths"]["/_lbsim/quotas"]["put"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(names(&put["properties"]["quotas"]["properties"]), quotas);
    // Every field FaultSpec has, with every kind: the union of the document's per-kind schemas.
    let full = FaultSpec {
        kind: Kind::Error,
        service: Some("ec2".into()),
        action: Some("*".into()),
        account: Some("000000000000".into()),
        region: Some("us-east-1".into()),
        code: Some("X".into()),
        message: Some("m".into()),
        status: Some(400),
        first: Some(1),
        every: Some(1),
        probability: Some(0.5),
        seed: Some(1),
        latency_ms: Some(1),
        duration_ms: Some(1),
        calls: Some(1),
    };
    let fields = names(&serde_json::to_value(&full).unwrap());
    let branches = schemas["FaultSpec"]["oneOf"].as_array().unwrap();
    let documented: BTreeSet<String> = branches.iter().flat_map(|b| names(&b["properties"])).collect();
    assert_eq!(documented, fields);
    let kinds: BTreeSet<String> = branches.iter().map(|b| b["properties"]["kind"]["enum"][0].as_str().unwrap().to_string()).collect();
    let served: BTreeSet<String> = [Kind::Error, Kind::Throttle, Kind::InternalError, Kind::Latency, Kind::EventualConsistency]
        .iter()
        .map(|k| serde_json::to_value(k).unwrap().as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, served);
    let mut output = fields.clone();
    output.extend(["id", "matched", "fired", "hidden"].map(String::from));
    assert_eq!(names(&schemas["Fault"]["properties"]), output);
    for (path, item) in doc["paths"].as_object().unwrap() {
        if ["/_lbsim/health", "/_localstack/health", "/_lbsim/openapi.json"].contains(&path.as_str()) {
            continue;
        }
        for (method, op) in item.as_object().unwrap().iter().filter(|(m, _)| *m != "parameters") {
            let r = &op["responses"];
            assert!(r["403"].is_object(), "{method} {path}: 403 not documented");
            if method != "get" {
                assert!(r["415"].is_object(), "{method} {path}: 415 not documented");
            }
        }
    }
}
