//! The in-process connector: SDK clients reach lbsim's Router without a socket, as the account of
//! their access key, and every call lands in the call log in order.

use lbsim::app::App;
use lbsim::client::{AwsClients, Target};
use lbsim::config::Config;

#[tokio::test]
async fn sdk_calls_go_through_the_router_and_are_logged() {
    let app = App::new(Config { seed: Some(1), ..Config::default() }).unwrap();
    let c = AwsClients::new(&Target::InProcess(app.clone()), "111122223333", "eu-west-1").await;
    let vpc = c.ec2.create_vpc().cidr_block("10.9.0.0/16").send().await.unwrap().vpc.unwrap();
    let vpc_id = vpc.vpc_id.unwrap();
    assert_eq!(vpc.owner_id.as_deref(), Some("111122223333"));
    // The VPC lives in the account and region the clients were built for.
    assert_eq!(app.store.keys(), vec![("111122223333".to_string(), "eu-west-1".to_string())]);
    let err = c.ec2.describe_vpcs().vpc_ids("vpc-00000000000000000").send().await.unwrap_err();
    assert_eq!(err.as_service_error().and_then(|e| aws_sdk_ec2::error::ProvideErrorMetadata::code(e)), Some("InvalidVpcID.NotFound"));
    let calls = c.log.calls();
    assert_eq!(c.log.actions_since(0), ["CreateVpc", "DescribeVpcs"]);
    assert_eq!((calls[0].service.as_str(), calls[0].status, calls[0].param("CidrBlock")), ("ec2", 200, Some("10.9.0.0/16")));
    assert_eq!((calls[1].status, calls[1].error.as_deref()), (400, Some("InvalidVpcID.NotFound")));
    assert!(vpc_id.starts_with("vpc-"));
}
