//! The AWS Load Balancer Controller v3.7's AWS call surface: every EC2 and ELBv2 action of its
//! IAM policy (fixtures/iam/lbc-v3.7.0-actions.txt) is served, and the ones added for it answer
//! as AWS does — VPC attributes, GetSecurityGroupsForVpc, the describes of what lbsim never holds,
//! SSL policies, trust stores, capacity reservations, IP pools — and the filter aliases the EC2
//! model documents.

use crate::common;

use aws_sdk_ec2::types::{Filter, VpcAttributeName};
use aws_sdk_elasticloadbalancingv2::types::{LoadBalancerTypeEnum, MinimumLoadBalancerCapacity};
use common::{code, message};

const POLICY: &str = include_str!("../../fixtures/iam/lbc-v3.7.0-actions.txt");

/// (service, action, permission only) of every line of the policy file.
fn policy() -> Vec<(&'static str, &'static str, bool)> {
    POLICY
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, comment) = l.split_once('#').map(|(a, b)| (a.trim(), b)).unwrap_or((l.trim(), ""));
            let (svc, action) = name.split_once(':').expect("service:Action");
            (svc, action, comment.contains("permission only"))
        })
        .collect()
}

/// The error code lbsim answers a bare call with (no parameters), or "" for a success.
async fn bare_call(s: &common::Server, svc: &str, action: &str) -> String {
    let version = if svc == "ec2" { "2016-11-15" } else { "2015-12-01" };
    let (_, body) = s.post(&[], format!("Action={action}&Version={version}")).await;
    body.split_once("<Code>").and_then(|(_, rest)| rest.split_once("</Code>")).map(|(c, _)| c.to_string()).unwrap_or_default()
}

#[tokio::test]
async fn every_ec2_and_elbv2_action_of_the_v3_7_policy_is_served() {
    let s = common::start().await;
    let actions = policy();
    assert!(actions.iter().any(|(_, a, _)| *a == "ValidateSecurityGroupQuotasForInterface"));
    let mut checked = 0;
    let mut missing = Vec::new();
    for (svc, action, permission_only) in actions {
        if svc != "ec2" && svc != "elasticloadbalancing" {
            continue;
        }
        checked += 1;
        let code = bare_call(&s, svc, action).await;
        if permission_only {
            // No API operation has this name: AWS itself answers InvalidAction.
            assert_eq!(code, "InvalidAction", "{svc}:{action} is marked permission only");
        } else if code == "InvalidAction" {
            missing.push(format!("{svc}:{action}"));
        }
    }
    assert_eq!(checked, 63, "the policy file's EC2 and ELBv2 actions");
    assert!(missing.is_empty(), "not served: {missing:?}");
}

#[tokio::test]
async fn vpc_attributes() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let default = ec2.describe_vpcs().send().await.unwrap().vpcs()[0].vpc_id().unwrap().to_string();
    let get = |vpc: String, a: VpcAttributeName| ec2.describe_vpc_attribute().vpc_id(vpc).attribute(a).send();
    let d = get(default.clone(), VpcAttributeName::EnableDnsHostnames).await.unwrap();
    assert_eq!(d.vpc_id(), Some(default.as_str()));
    assert_eq!(d.enable_dns_hostnames().unwrap().value(), Some(true));
    assert!(d.enable_dns_support().is_none(), "one attribute per answer");
    let new = ec2.create_vpc().cidr_block("10.7.0.0/16").send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
    assert_eq!(get(new.clone(), VpcAttributeName::EnableDnsHostnames).await.unwrap().enable_dns_hostnames().unwrap().value(), Some(false));
    assert_eq!(get(new.clone(), VpcAttributeName::EnableDnsSupport).await.unwrap().enable_dns_support().unwrap().value(), Some(true));
    let on = aws_sdk_ec2::types::AttributeBooleanValue::builder().value(true).build();
    ec2.modify_vpc_attribute().vpc_id(&new).enable_dns_hostnames(on.clone()).send().await.unwrap();
    assert_eq!(get(new.clone(), VpcAttributeName::EnableDnsHostnames).await.unwrap().enable_dns_hostnames().unwrap().value(), Some(true));
    let e = ec2.modify_vpc_attribute().vpc_id(&new).enable_dns_hostnames(on.clone()).enable_dns_support(on).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidParameterCombination");
    let e = get("vpc-0123456789abcdef0".into(), VpcAttributeName::EnableDnsSupport).await.unwrap_err();
    assert_eq!(code(&e), "InvalidVpcID.NotFound");
    let (_, body) = s.post(&[], format!("Action=DescribeVpcAttribute&Version=2016-11-15&VpcId={new}")).await;
    assert!(body.contains("<Code>MissingParameter</Code>"), "{body}");
}

#[tokio::test]
async fn security_groups_for_a_vpc() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = ec2.describe_vpcs().send().await.unwrap().vpcs()[0].vpc_id().unwrap().to_string();
    let web = common::add_sg(&s, &vpc, "web");
    let (other, _) = common::elbv2::other_vpc(&s);
    common::add_sg(&s, &other, "elsewhere");
    let out = ec2.get_security_groups_for_vpc().vpc_id(&vpc).send().await.unwrap();
    let names: Vec<&str> = out.security_group_for_vpcs().iter().map(|g| g.group_name().unwrap()).collect();
    assert_eq!(names, vec!["default", "web"]);
    assert!(out.security_group_for_vpcs().iter().all(|g| g.primary_vpc_id() == Some(vpc.as_str())));
    let one = ec2
        .get_security_groups_for_vpc()
        .vpc_id(&vpc)
        .filters(Filter::builder().name("group-name").values("w*").build())
        .send()
        .await
        .unwrap();
    assert_eq!(one.security_group_for_vpcs()[0].group_id(), Some(web.as_str()));
    let e = ec2.get_security_groups_for_vpc().vpc_id(&vpc).filters(Filter::builder().name("vpc-id").values("x").build()).send().await;
    assert_eq!(message(&e.unwrap_err()), "The filter 'vpc-id' is invalid");
}

#[tokio::test]
async fn what_lbsim_never_holds_is_described_as_empty() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    assert!(ec2.describe_addresses().send().await.unwrap().addresses().is_empty());
    let e = ec2.describe_addresses().public_ips("203.0.113.7").send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("InvalidAddress.NotFound".into(), "Address '203.0.113.7' not found.".into()));
    let e = ec2.describe_addresses().allocation_ids("eipalloc-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidAllocationID.NotFound");
    let e = ec2.describe_addresses().allocation_ids("nope").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidAllocationID.Malformed");
    assert!(ec2.describe_coip_pools().send().await.unwrap().coip_pools().is_empty());
    let e = ec2.get_coip_pool_usage().pool_id("ipv4pool-coip-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidCoipPoolId.NotFound");
    assert!(ec2.describe_ipam_pools().send().await.unwrap().ipam_pools().is_empty());
    let e = ec2.describe_ipam_pools().ipam_pool_ids("ipam-pool-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidIpamPoolId.NotFound");
    assert!(ec2.describe_vpc_peering_connections().send().await.unwrap().vpc_peering_connections().is_empty());
    let e = ec2.describe_vpc_peering_connections().vpc_peering_connection_ids("pcx-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidVpcPeeringConnectionID.NotFound");
    let e = ec2.describe_vpc_peering_connections().filters(Filter::builder().name("nope").values("x").build()).send().await.unwrap_err();
    assert_eq!(message(&e), "The filter 'nope' is invalid");
    let e = ec2.describe_coip_pools().max_results(1).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidParameterValue");
}

#[tokio::test]
async fn the_filter_aliases_the_model_documents_are_accepted() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let f = |n: &str, v: &str| Filter::builder().name(n).values(v).build();
    // The VPC user guide's own command: `aws ec2 describe-vpcs --filters Name=isDefault,Values=true`.
    let vpcs = ec2.describe_vpcs().filters(f("isDefault", "true")).send().await.unwrap();
    assert_eq!(vpcs.vpcs().len(), 1);
    assert_eq!(vpcs.vpcs()[0].is_default(), Some(true));
    assert!(ec2.describe_vpcs().filters(f("isDefault", "false")).send().await.unwrap().vpcs().is_empty());
    for (alias, value, count) in [
        ("availabilityZone", "us-east-1a", 1),
        ("availabilityZoneId", "use1-az2", 1),
        ("cidrBlock", "172.31.16.0/20", 1),
        ("cidr", "172.31.16.0/20", 1),
        ("defaultForAz", "true", 6),
    ] {
        let out = ec2.describe_subnets().filters(f(alias, value)).send().await.unwrap();
        assert_eq!(out.subnets().len(), count, "{alias}={value}");
    }
    // Aliases are per action: the model names availabilityZone for subnets only.
    let e = ec2.describe_network_interfaces().filters(f("availabilityZone", "us-east-1a")).send().await.unwrap_err();
    assert_eq!(message(&e), "The filter 'availabilityZone' is invalid");
}

#[tokio::test]
async fn ssl_policies_trust_stores_capacity_and_ip_pools() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let all = elb.describe_ssl_policies().send().await.unwrap();
    assert_eq!(all.ssl_policies().len(), 26);
    let p = elb.describe_ssl_policies().names("ELBSecurityPolicy-2016-08").send().await.unwrap();
    let p = &p.ssl_policies()[0];
    assert_eq!(p.ssl_protocols(), ["TLSv1", "TLSv1.1", "TLSv1.2"]);
    assert_eq!(p.ciphers().len(), 18);
    assert_eq!((p.ciphers()[0].name(), p.ciphers()[0].priority()), (Some("ECDHE-ECDSA-AES128-GCM-SHA256"), Some(1)));
    assert_eq!(p.supported_load_balancer_types(), ["application", "network"]);
    let e = elb.describe_ssl_policies().names("ELBSecurityPolicy-Nope").send().await.unwrap_err();
    assert_eq!(code(&e), "SSLPolicyNotFound");
    let page = elb.describe_ssl_policies().page_size(10).send().await.unwrap();
    assert_eq!(page.ssl_policies().len(), 10);
    assert!(page.next_marker().is_some());

    assert!(elb.describe_trust_stores().send().await.unwrap().trust_stores().is_empty());
    let e = elb.describe_trust_stores().names("ca-bundle").send().await.unwrap_err();
    assert_eq!(code(&e), "TrustStoreNotFound");

    let w = common::elbv2::world(&s);
    let lb = elb
        .create_load_balancer()
        .name("cap")
        .r#type(LoadBalancerTypeEnum::Network)
        .subnets(&w.subnets[0].0)
        .subnets(&w.subnets[1].0)
        .send()
        .await
        .unwrap();
    let arn = lb.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let none = elb.describe_capacity_reservation().load_balancer_arn(&arn).send().await.unwrap();
    assert!(none.minimum_load_balancer_capacity().is_none());
    assert_eq!(none.decrease_requests_remaining(), Some(4));
    let units = |n| MinimumLoadBalancerCapacity::builder().capacity_units(n).build();
    let set = elb.modify_capacity_reservation().load_balancer_arn(&arn).minimum_load_balancer_capacity(units(100)).send().await.unwrap();
    assert_eq!(set.minimum_load_balancer_capacity().unwrap().capacity_units(), Some(100));
    let zones = set.capacity_reservation_state();
    assert_eq!(zones.len(), 2);
    assert_eq!(zones[0].state().unwrap().code().unwrap().as_str(), "provisioned");
    assert_eq!(zones[0].effective_capacity_units(), Some(50.0));
    elb.modify_capacity_reservation().load_balancer_arn(&arn).minimum_load_balancer_capacity(units(50)).send().await.unwrap();
    let d = elb.describe_capacity_reservation().load_balancer_arn(&arn).send().await.unwrap();
    assert_eq!(d.decrease_requests_remaining(), Some(3));
    let e = elb.modify_capacity_reservation().load_balancer_arn(&arn).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    elb.modify_capacity_reservation().load_balancer_arn(&arn).reset_capacity_reservation(true).send().await.unwrap();
    assert!(elb.describe_capacity_reservation().load_balancer_arn(&arn).send().await.unwrap().minimum_load_balancer_capacity().is_none());

    let removed = elb
        .modify_ip_pools()
        .load_balancer_arn(&arn)
        .remove_ipam_pools(aws_sdk_elasticloadbalancingv2::types::RemoveIpamPoolEnum::Ipv4)
        .send()
        .await
        .unwrap();
    assert!(removed.ipam_pools().is_none());
    let pools = aws_sdk_elasticloadbalancingv2::types::IpamPools::builder().ipv4_ipam_pool_id("ipam-pool-0123456789abcdef0").build();
    let e = elb.modify_ip_pools().load_balancer_arn(&arn).ipam_pools(pools).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    let e = elb.describe_capacity_reservation().load_balancer_arn(arn.replace("cap", "gone")).send().await.unwrap_err();
    assert_eq!(code(&e), "LoadBalancerNotFound");
}
