//! Route tables and internet gateways through aws-sdk-ec2: the default VPC's main table and
//! gateway, a new VPC's main table, building a public subnet (gateway, table, route,
//! association), the controller's reachability reading, the errors, VPC deletion with routing
//! dependencies, and the ELB service's internet-facing check that reads them.

use crate::common;

use aws_sdk_ec2::types::Filter;
use aws_sdk_elasticloadbalancingv2::types::{LoadBalancerSchemeEnum, LoadBalancerTypeEnum};
use common::{code, message};
use lbsim::config::Config;
use lbsim::state::{InternetFacingCheck, RegionSettings};

fn vpc_filter(vpc: &str) -> Filter {
    Filter::builder().name("vpc-id").values(vpc).build()
}

/// Whether a subnet is public as the AWS Load Balancer Controller decides it (subnet_resolver.go
/// `isSubnetContainsRouteToIGW`): its explicit table, else the main one, has an `igw` route.
fn is_public(tables: &[aws_sdk_ec2::types::RouteTable], subnet: &str) -> bool {
    let explicit = tables.iter().find(|t| t.associations().iter().any(|a| a.subnet_id() == Some(subnet)));
    let main = tables.iter().find(|t| t.associations().iter().any(|a| a.main() == Some(true)));
    let t = explicit.or(main).expect("every VPC has a main route table");
    t.routes().iter().any(|r| r.gateway_id().is_some_and(|g| g.starts_with("igw")))
}

#[tokio::test]
async fn default_vpc_routes_to_its_gateway_and_a_new_vpc_is_private() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = ec2.describe_vpcs().send().await.unwrap().vpcs()[0].vpc_id().unwrap().to_string();
    let igws =
        ec2.describe_internet_gateways().filters(Filter::builder().name("attachment.vpc-id").values(&vpc).build()).send().await.unwrap();
    let igw = &igws.internet_gateways()[0];
    assert!(igw.internet_gateway_id().unwrap().starts_with("igw-"));
    assert_eq!(igw.attachments()[0].vpc_id(), Some(vpc.as_str()));
    // AWS reports an attached gateway as `available`.
    assert_eq!(igw.attachments()[0].state().map(|s| s.as_str()), Some("available"));
    let tables = ec2.describe_route_tables().filters(vpc_filter(&vpc)).send().await.unwrap();
    assert_eq!(tables.route_tables().len(), 1);
    let main = &tables.route_tables()[0];
    assert_eq!(main.associations()[0].main(), Some(true));
    assert_eq!(main.associations()[0].association_state().unwrap().state().unwrap().as_str(), "associated");
    let routes: Vec<(&str, &str, &str)> = main
        .routes()
        .iter()
        .map(|r| (r.destination_cidr_block().unwrap(), r.gateway_id().unwrap(), r.origin().unwrap().as_str()))
        .collect();
    assert_eq!(
        routes,
        vec![("172.31.0.0/16", "local", "CreateRouteTable"), ("0.0.0.0/0", igw.internet_gateway_id().unwrap(), "CreateRoute")]
    );
    let subnets = ec2.describe_subnets().filters(vpc_filter(&vpc)).send().await.unwrap();
    for sn in subnets.subnets() {
        assert!(is_public(tables.route_tables(), sn.subnet_id().unwrap()));
    }

    let new = ec2.create_vpc().cidr_block("10.4.0.0/16").send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
    let sub = ec2.create_subnet().vpc_id(&new).cidr_block("10.4.1.0/24").send().await.unwrap().subnet.unwrap().subnet_id.unwrap();
    let t = ec2.describe_route_tables().filters(vpc_filter(&new)).send().await.unwrap();
    assert_eq!(t.route_tables()[0].routes().len(), 1, "only the local route");
    assert!(!is_public(t.route_tables(), &sub));
    let main_only = ec2
        .describe_route_tables()
        .filters(vpc_filter(&new))
        .filters(Filter::builder().name("association.main").values("true").build())
        .send()
        .await
        .unwrap();
    assert_eq!(main_only.route_tables().len(), 1);
}

#[tokio::test]
async fn a_public_subnet_is_built_from_a_gateway_a_table_a_route_and_an_association() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = ec2.create_vpc().cidr_block("10.5.0.0/16").send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
    let public = ec2.create_subnet().vpc_id(&vpc).cidr_block("10.5.0.0/24").send().await.unwrap().subnet.unwrap().subnet_id.unwrap();
    let private = ec2.create_subnet().vpc_id(&vpc).cidr_block("10.5.16.0/20").send().await.unwrap().subnet.unwrap().subnet_id.unwrap();
    let igw = ec2.create_internet_gateway().send().await.unwrap().internet_gateway.unwrap();
    let igw = igw.internet_gateway_id.unwrap();
    let rt = ec2.create_route_table().vpc_id(&vpc).send().await.unwrap().route_table.unwrap();
    let rt = rt.route_table_id.unwrap();

    // A route to a gateway of another network is refused, as AWS does (OBS text).
    let e = ec2.create_route().route_table_id(&rt).destination_cidr_block("0.0.0.0/0").gateway_id(&igw).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidParameterValue");
    assert_eq!(message(&e), format!("route table {rt} and network gateway {igw} belong to different networks"));
    ec2.attach_internet_gateway().internet_gateway_id(&igw).vpc_id(&vpc).send().await.unwrap();
    let e = ec2.attach_internet_gateway().internet_gateway_id(&igw).vpc_id(&vpc).send().await.unwrap_err();
    assert_eq!(code(&e), "Resource.AlreadyAssociated");
    ec2.create_route().route_table_id(&rt).destination_cidr_block("0.0.0.0/0").gateway_id(&igw).send().await.unwrap();
    let e = ec2.create_route().route_table_id(&rt).destination_cidr_block("0.0.0.0/0").gateway_id(&igw).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("RouteAlreadyExists".into(), "The route identified by 0.0.0.0/0 already exists.".into()));
    let e = ec2.create_route().route_table_id(&rt).destination_cidr_block("10.5.1.0/24").gateway_id(&igw).send().await.unwrap_err();
    assert!(message(&e).contains("equal to or more specific than one of this VPC's CIDR blocks"), "{}", message(&e));
    let e = ec2
        .create_route()
        .route_table_id(&rt)
        .destination_cidr_block("1.2.3.0/24")
        .nat_gateway_id("nat-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidParameterValue");
    let assoc = ec2.associate_route_table().route_table_id(&rt).subnet_id(&public).send().await.unwrap();
    let assoc = assoc.association_id.unwrap();
    assert!(assoc.starts_with("rtbassoc-"));
    let e = ec2.associate_route_table().route_table_id(&rt).subnet_id(&public).send().await.unwrap_err();
    assert_eq!(code(&e), "Resource.AlreadyAssociated");

    let tables = ec2.describe_route_tables().filters(vpc_filter(&vpc)).send().await.unwrap();
    assert!(is_public(tables.route_tables(), &public));
    assert!(!is_public(tables.route_tables(), &private));
    let by_subnet =
        ec2.describe_route_tables().filters(Filter::builder().name("association.subnet-id").values(&public).build()).send().await.unwrap();
    assert_eq!(by_subnet.route_tables()[0].route_table_id(), Some(rt.as_str()));
    let by_gateway =
        ec2.describe_route_tables().filters(Filter::builder().name("route.gateway-id").values("igw-*").build()).send().await.unwrap();
    assert_eq!(by_gateway.route_tables().len(), 2, "the default VPC's main table and this one");

    // Dependencies: the table has a subnet, the gateway is attached, the VPC has both.
    let e = ec2.delete_route_table().route_table_id(&rt).send().await.unwrap_err();
    assert_eq!(code(&e), "DependencyViolation");
    let e = ec2.delete_internet_gateway().internet_gateway_id(&igw).send().await.unwrap_err();
    assert_eq!(code(&e), "DependencyViolation");
    ec2.delete_subnet().subnet_id(&public).send().await.unwrap();
    ec2.delete_subnet().subnet_id(&private).send().await.unwrap();
    let e = ec2.delete_vpc().vpc_id(&vpc).send().await.unwrap_err();
    assert_eq!(code(&e), "DependencyViolation");
    // Deleting the subnet dropped its association: the table can go now.
    let e = ec2.disassociate_route_table().association_id(&assoc).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidAssociationID.NotFound");
    ec2.delete_route().route_table_id(&rt).destination_cidr_block("0.0.0.0/0").send().await.unwrap();
    let e = ec2.delete_route().route_table_id(&rt).destination_cidr_block("0.0.0.0/0").send().await.unwrap_err();
    assert_eq!(message(&e), format!("no route with destination-cidr-block 0.0.0.0/0 in route table {rt}"));
    ec2.delete_route_table().route_table_id(&rt).send().await.unwrap();
    let e = ec2.detach_internet_gateway().internet_gateway_id(&igw).vpc_id("vpc-0123456789abcdef0").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidVpcID.NotFound");
    ec2.detach_internet_gateway().internet_gateway_id(&igw).vpc_id(&vpc).send().await.unwrap();
    let e = ec2.detach_internet_gateway().internet_gateway_id(&igw).vpc_id(&vpc).send().await.unwrap_err();
    assert_eq!(code(&e), "Gateway.NotAttached");
    ec2.delete_internet_gateway().internet_gateway_id(&igw).send().await.unwrap();
    ec2.delete_vpc().vpc_id(&vpc).send().await.unwrap();
    let e = ec2.describe_route_tables().route_table_ids(&rt).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("InvalidRouteTableID.NotFound".into(), format!("The routeTable ID '{rt}' does not exist")));
    let e = ec2.describe_internet_gateways().internet_gateway_ids("igw-nope").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidInternetGatewayId.Malformed");
    let e = ec2.describe_route_tables().filters(Filter::builder().name("route.bogus").values("x").build()).send().await.unwrap_err();
    assert_eq!(message(&e), "The filter 'route.bogus' is invalid");
}

#[tokio::test]
async fn a_detached_gateway_leaves_a_blackhole_route() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let vpc = ec2.describe_vpcs().send().await.unwrap().vpcs()[0].vpc_id().unwrap().to_string();
    let igw = ec2.describe_internet_gateways().send().await.unwrap().internet_gateways()[0].internet_gateway_id().unwrap().to_string();
    ec2.detach_internet_gateway().internet_gateway_id(&igw).vpc_id(&vpc).send().await.unwrap();
    let t = ec2.describe_route_tables().filters(vpc_filter(&vpc)).send().await.unwrap();
    let states: Vec<&str> = t.route_tables()[0].routes().iter().map(|r| r.state().unwrap().as_str()).collect();
    assert_eq!(states, vec!["active", "blackhole"]);
    let bh = ec2.describe_route_tables().filters(Filter::builder().name("route.state").values("blackhole").build()).send().await.unwrap();
    assert_eq!(bh.route_tables().len(), 1);
}

#[tokio::test]
async fn internet_facing_load_balancers_need_a_gateway() {
    let s = common::start().await;
    let ec2 = s.ec2().await;
    let elb = s.elbv2().await;
    let vpc = ec2.create_vpc().cidr_block("10.6.0.0/16").send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
    let sub = ec2.create_subnet().vpc_id(&vpc).cidr_block("10.6.1.0/24").send().await.unwrap().subnet.unwrap().subnet_id.unwrap();
    let create = |name: &str, scheme: LoadBalancerSchemeEnum| {
        elb.create_load_balancer().name(name).r#type(LoadBalancerTypeEnum::Network).scheme(scheme).subnets(&sub).send()
    };
    let e = create("pub", LoadBalancerSchemeEnum::InternetFacing).await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("InvalidSubnet".into(), format!("VPC {vpc} has no internet gateway")));
    create("priv", LoadBalancerSchemeEnum::Internal).await.unwrap();
    // With a gateway attached the VPC passes AWS's check, though this subnet has no route to it.
    let igw = ec2.create_internet_gateway().send().await.unwrap().internet_gateway.unwrap().internet_gateway_id.unwrap();
    ec2.attach_internet_gateway().internet_gateway_id(&igw).vpc_id(&vpc).send().await.unwrap();
    create("pub", LoadBalancerSchemeEnum::InternetFacing).await.unwrap();

    // The stricter Region setting also wants each subnet routed to the gateway.
    let strict = RegionSettings { internet_facing_requires: InternetFacingCheck::SubnetRoute, ..RegionSettings::default() };
    let cfg = Config { seed: Some(7), regions: [("us-east-1".to_string(), strict)].into(), ..Config::default() };
    let s = common::start_with(cfg).await;
    let (ec2, elb) = (s.ec2().await, s.elbv2().await);
    let vpc = ec2.create_vpc().cidr_block("10.6.0.0/16").send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
    let sub = ec2.create_subnet().vpc_id(&vpc).cidr_block("10.6.1.0/24").send().await.unwrap().subnet.unwrap().subnet_id.unwrap();
    let igw = ec2.create_internet_gateway().send().await.unwrap().internet_gateway.unwrap().internet_gateway_id.unwrap();
    ec2.attach_internet_gateway().internet_gateway_id(&igw).vpc_id(&vpc).send().await.unwrap();
    let e = elb.create_load_balancer().name("pub").r#type(LoadBalancerTypeEnum::Network).subnets(&sub).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("InvalidSubnet".into(), format!("Subnet {sub} does not have a route to an internet gateway")));
    let rt =
        ec2.describe_route_tables().filters(vpc_filter(&vpc)).send().await.unwrap().route_tables()[0].route_table_id().unwrap().to_string();
    ec2.create_route().route_table_id(&rt).destination_cidr_block("0.0.0.0/0").gateway_id(&igw).send().await.unwrap();
    elb.create_load_balancer().name("pub").r#type(LoadBalancerTypeEnum::Network).subnets(&sub).send().await.unwrap();
}
