//! VPCs, subnets, zones and account attributes through aws-sdk-ec2, and STS identity.

use crate::common;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

#[tokio::test]
async fn default_world_is_there() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpcs = ec2.describe_vpcs().send().await.unwrap();
    let vpc = &vpcs.vpcs()[0];
    assert_eq!(vpc.is_default(), Some(true));
    assert_eq!(vpc.cidr_block(), Some("172.31.0.0/16"));
    assert_eq!(vpc.owner_id(), Some("000000000000"));
    assert!(vpc.dhcp_options_id().is_some());
    let subnets =
        ec2.describe_subnets().filters(Filter::builder().name("vpc-id").values(vpc.vpc_id().unwrap()).build()).send().await.unwrap();
    assert_eq!(subnets.subnets().len(), 6);
    let s0 = &subnets.subnets()[0];
    assert_eq!(s0.default_for_az(), Some(true));
    assert_eq!(s0.available_ip_address_count(), Some(4091));
    assert!(s0.subnet_arn().unwrap().starts_with("arn:aws:ec2:us-east-1:000000000000:subnet/"));
    let azs = ec2.describe_availability_zones().send().await.unwrap();
    assert_eq!(azs.availability_zones().len(), 6);
    assert_eq!(azs.availability_zones()[0].zone_id(), Some("use1-az1"));
    let groups =
        ec2.describe_account_attributes().attribute_names(aws_sdk_ec2::types::AccountAttributeName::DefaultVpc).send().await.unwrap();
    assert_eq!(groups.account_attributes()[0].attribute_values()[0].attribute_value(), vpc.vpc_id());
}

#[tokio::test]
async fn create_describe_delete_vpc_and_subnet() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.1.0.0/16")
        .tag_specifications(
            TagSpecification::builder().resource_type(ResourceType::Vpc).tags(Tag::builder().key("team").value("a").build()).build(),
        )
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    assert_eq!(vpc.vpc().unwrap().tags()[0].key(), Some("team"));
    let by_tag = ec2.describe_vpcs().filters(Filter::builder().name("tag:team").values("a").build()).send().await.unwrap();
    assert_eq!(by_tag.vpcs().len(), 1);
    let sub = ec2.create_subnet().vpc_id(&vpc_id).cidr_block("10.1.1.0/24").availability_zone("us-east-1b").send().await.unwrap();
    let sub_id = sub.subnet().unwrap().subnet_id().unwrap().to_string();
    assert_eq!(sub.subnet().unwrap().available_ip_address_count(), Some(251));
    let e = ec2.create_subnet().vpc_id(&vpc_id).cidr_block("10.1.1.0/25").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSubnet.Conflict");
    let e = ec2.create_subnet().vpc_id(&vpc_id).cidr_block("10.2.0.0/24").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSubnet.Range");
    let e = ec2.delete_vpc().vpc_id(&vpc_id).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DependencyViolation");
    ec2.delete_subnet().subnet_id(&sub_id).send().await.unwrap();
    let e = ec2.describe_subnets().subnet_ids(&sub_id).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidSubnetID.NotFound");
    ec2.delete_vpc().vpc_id(&vpc_id).send().await.unwrap();
    let e = ec2.delete_vpc().vpc_id(&vpc_id).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidVpcID.NotFound");
    assert_eq!(common::message(&e), format!("The vpc ID '{vpc_id}' does not exist"));
    let e = ec2.create_vpc().cidr_block("10.0.0.0/8").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidVpc.Range");
    let e = ec2.create_vpc().cidr_block("10.9.0.0/16").dry_run(true).send().await.unwrap_err();
    assert_eq!(common::code(&e), "DryRunOperation");
}

#[tokio::test]
async fn vpc_quota_counts_the_default_vpc() {
    let mut cfg = lbsim::config::Config { seed: Some(1), ..Default::default() };
    cfg.quotas.insert("vpcs-per-region".into(), 2);
    let s = common::start_with(cfg).await;
    let ec2 = s.ec2().await;
    ec2.create_vpc().cidr_block("10.0.0.0/16").send().await.unwrap();
    let e = ec2.create_vpc().cidr_block("10.1.0.0/16").send().await.unwrap_err();
    assert_eq!(common::code(&e), "VpcLimitExceeded");
}

#[tokio::test]
async fn sts_identity_and_accounts_from_keys() {
    let s = common::start().await;
    let id = s.sts().await.get_caller_identity().send().await.unwrap();
    assert_eq!(id.account(), Some("000000000000"));
    assert_eq!(id.arn(), Some("arn:aws:iam::000000000000:root"));
    let other = aws_sdk_sts::Client::new(&s.sdk("123456789012", "eu-west-1").await);
    let id = other.get_caller_identity().send().await.unwrap();
    assert_eq!(id.account(), Some("123456789012"));
    // Each account and region has its own world.
    let ec2 = aws_sdk_ec2::Client::new(&s.sdk("123456789012", "eu-west-1").await);
    let azs = ec2.describe_availability_zones().send().await.unwrap();
    assert_eq!(azs.availability_zones()[0].zone_name(), Some("eu-west-1a"));
    assert_eq!(azs.availability_zones()[0].zone_id(), Some("euw1-az1"));
}

#[tokio::test]
async fn account_attributes_reflect_the_configured_interface_quota() {
    use aws_sdk_ec2::types::AccountAttributeName;
    let mut cfg = lbsim::config::Config { seed: Some(1), ..Default::default() };
    cfg.quotas.insert("security-groups-per-network-interface".into(), 3);
    let s = common::start_with(cfg).await;
    let ec2 = s.ec2().await;
    let read = || async {
        let out = ec2
            .describe_account_attributes()
            .attribute_names(AccountAttributeName::from("vpc-max-security-groups-per-interface"))
            .send()
            .await
            .unwrap();
        out.account_attributes()[0].attribute_values()[0].attribute_value().unwrap().to_string()
    };
    assert_eq!(read().await, "3");
    // A runtime change through the admin API shows at once.
    let (st, _) =
        s.admin("PUT", "/_lbsim/quotas", Some(serde_json::json!({"quotas": {"security-groups-per-network-interface": 16}}))).await;
    assert_eq!(st, 200);
    assert_eq!(read().await, "16");
    let e = ec2.describe_account_attributes().attribute_names(AccountAttributeName::from("no-such-attribute")).send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidParameterValue");
}
