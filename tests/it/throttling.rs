//! AWS's API rate limits as a Region setting (`throttling: aws`): each service's own throttling
//! answer once a bucket is empty, overrides per category, the buckets in `/_lbsim/usage`, and
//! bad configurations refused at start with the known categories.

use crate::common;

use aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum;
use common::{code, message};
use lbsim::app::App;
use lbsim::config::Config;
use lbsim::state::RegionSettings;
use lbsim::state::throttle::{Rate, Throttling};

fn throttled(rates: &[(&str, f64, f64)]) -> Config {
    let settings = RegionSettings {
        throttling: Throttling::Aws,
        throttle_rates: rates.iter().map(|(n, c, r)| (n.to_string(), Rate { capacity: *c, refill: *r })).collect(),
        ..RegionSettings::default()
    };
    Config { seed: Some(5), regions: [("us-east-1".to_string(), settings)].into(), ..Config::default() }
}

#[tokio::test]
async fn create_load_balancer_has_a_bucket_of_ten() {
    let s = common::start_with(throttled(&[])).await;
    let elb = s.elbv2().await;
    let w = common::elbv2::world(&s);
    for i in 0..10 {
        elb.create_load_balancer()
            .name(format!("lb{i}"))
            .r#type(LoadBalancerTypeEnum::Network)
            .subnets(&w.subnets[0].0)
            .send()
            .await
            .unwrap();
    }
    let e =
        elb.create_load_balancer().name("lb10").r#type(LoadBalancerTypeEnum::Network).subnets(&w.subnets[0].0).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("Throttling".into(), "Rate exceeded".into()));
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));
    // Refused before the action ran: nothing was created, and describes have their own bucket.
    let lbs = elb.describe_load_balancers().send().await.unwrap();
    assert_eq!(lbs.load_balancers().len(), 10);

    let (_, usage) = s.admin("GET", "/_lbsim/usage?region=us-east-1", None).await;
    let buckets = usage["throttling"].as_array().unwrap();
    let create = buckets.iter().find(|b| b["bucket"]["category"] == "elbv2-create-load-balancer").expect("bucket shown");
    assert_eq!(create["bucket"]["capacity"], 10.0);
    assert_eq!(create["bucket"]["refill_per_second"], 0.2);
    assert_eq!(create["bucket"]["calls"], 11);
    assert_eq!(create["bucket"]["throttled"], 1);
    let account = buckets.iter().find(|b| b["bucket"]["category"] == "elbv2-account").unwrap();
    assert_eq!(account["bucket"]["calls"], 12);
}

#[tokio::test]
async fn ec2_answers_request_limit_exceeded_and_rates_are_configurable() {
    let s = common::start_with(throttled(&[("ec2-mutating", 2.0, 0.001), ("ec2-unfiltered-non-mutating", 1.0, 0.001)])).await;
    let ec2 = s.ec2().await;
    for name in ["a", "b"] {
        ec2.create_security_group().group_name(name).description("d").send().await.unwrap();
    }
    let e = ec2.create_security_group().group_name("c").description("d").send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("RequestLimitExceeded".into(), "Request limit exceeded.".into()));
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(503));
    // Unfiltered DescribeSecurityGroups has the small bucket; a filtered one the large one.
    ec2.describe_security_groups().send().await.unwrap();
    let e = ec2.describe_security_groups().send().await.unwrap_err();
    assert_eq!(code(&e), "RequestLimitExceeded");
    let f = aws_sdk_ec2::types::Filter::builder().name("group-name").values("a").build();
    assert_eq!(ec2.describe_security_groups().filters(f).send().await.unwrap().security_groups().len(), 1);
    // Other Regions are not throttled.
    let west = aws_sdk_ec2::Client::new(&s.sdk("test", "us-west-2").await);
    for name in ["a", "b", "c", "d"] {
        west.create_security_group().group_name(name).description("d").send().await.unwrap();
    }
}

#[test]
fn unknown_categories_and_bad_rates_are_refused_at_start() {
    let e = App::new(throttled(&[("ec2-everything", 10.0, 1.0)])).err().unwrap();
    assert!(e.contains("unknown throttling category 'ec2-everything'"), "{e}");
    assert!(e.contains("known categories: ec2-non-mutating, ec2-unfiltered-non-mutating"), "{e}");
    let e = App::new(throttled(&[("elbv2-describe", 0.0, 1.0)])).err().unwrap();
    assert!(e.contains("capacity must be at least 1"), "{e}");
    // The YAML form refuses unknown fields of a rate too.
    let bad: Result<Config, _> = serde_yaml_ng::from_str(
        "regions:\n  us-east-1:\n    throttling: aws\n    throttle_rates:\n      ec2-mutating: {capacity: 5, rate: 1}\n",
    );
    assert!(bad.is_err());
    let bad: Result<Config, _> = serde_yaml_ng::from_str("regions:\n  us-east-1:\n    throttling: sometimes\n");
    assert!(bad.unwrap_err().to_string().contains("unknown variant"));
}
