//! Fixtures for the ELBv2 integration tests: the default world's ids, extra groups, VPCs and
//! instances committed through `Region` (the EC2 actions that create them live in other files),
//! and short builders for the ELBv2 resources most tests need.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, LoadBalancer, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, ProtocolEnum, TargetDescription, TargetTypeEnum,
};
use chrono::Utc;
use lbsim::config::Config;
use lbsim::state::RegionSettings;
use lbsim::state::ec2::{Eni, Instance, InstanceState};

use crate::common::Server;

pub const ACCOUNT: &str = "000000000000";
pub const REGION: &str = "us-east-1";

/// The default VPC: (vpc id, subnets as (id, zone) in zone order, default group id).
pub struct World {
    pub vpc: String,
    pub subnets: Vec<(String, String)>,
    pub default_sg: String,
}

pub fn world(s: &Server) -> World {
    s.app.store.with_region(ACCOUNT, REGION, |r| {
        let vpc = r.default_vpc().expect("default vpc").clone();
        let mut subnets: Vec<(String, String)> =
            r.subnets().values().filter(|x| x.vpc_id == vpc.id).map(|x| (x.id.clone(), x.az.clone())).collect();
        subnets.sort_by(|a, b| a.1.cmp(&b.1));
        World { vpc: vpc.id.clone(), subnets, default_sg: vpc.default_sg.clone() }
    })
}

/// A security group committed through `Region::insert_sg` (the shared test helper).
pub fn add_sg(s: &Server, vpc: &str, name: &str) -> String {
    super::add_sg(s, vpc, name)
}

/// A second VPC (10.9.0.0/16) with one subnet in the first zone: (vpc, subnet).
pub fn other_vpc(s: &Server) -> (String, String) {
    s.app.store.with_region(ACCOUNT, REGION, |r| {
        let vpc = r.create_vpc("10.9.0.0/16".parse().unwrap(), false, "default");
        let az = r.azs()[0].clone();
        let subnet = r.create_subnet(&vpc, "10.9.1.0/24".parse().unwrap(), &az.name, &az.id, false);
        (vpc, subnet)
    })
}

/// An instance with its primary interface, committed through `Region`.
pub fn add_instance(s: &Server, subnet: &str, state: InstanceState) -> String {
    s.app.store.with_region(ACCOUNT, REGION, |r| {
        let sub = r.subnets()[subnet].clone();
        let ip = r.free_ip(subnet, None).unwrap();
        let id = r.ids.ec2("i");
        let eni = Eni {
            id: r.ids.ec2("eni"),
            subnet_id: subnet.into(),
            vpc_id: sub.vpc_id.clone(),
            az: sub.az.clone(),
            description: String::new(),
            private_ip: ip.to_string(),
            mac_address: r.new_mac(),
            groups: Vec::new(),
            attachment: None,
            interface_type: "interface".into(),
            requester_managed: false,
            requester_id: None,
            source_dest_check: true,
            status: "in-use".into(),
            release_at: None,
        };
        let inst = Instance {
            id: id.clone(),
            reservation_id: r.ids.ec2("r"),
            image_id: "ami-12345678".into(),
            instance_type: "t3.micro".into(),
            key_name: None,
            subnet_id: subnet.into(),
            vpc_id: sub.vpc_id.clone(),
            az: sub.az.clone(),
            private_ip: ip.to_string(),
            state,
            launch_time: Utc::now(),
            primary_eni: eni.id.clone(),
            terminated_at: None,
        };
        r.insert_eni(eni);
        r.insert_instance(inst);
        id
    })
}

pub fn set_instance_state(s: &Server, id: &str, state: InstanceState) {
    assert!(s.app.store.with_region(ACCOUNT, REGION, |r| r.set_instance_state(id, state)), "{id} to {state:?}");
}

/// A config with a fixed seed, quota overrides and us-east-1 settings.
pub fn config(quotas: &[(&str, u64)], settings: RegionSettings) -> Config {
    let quotas: BTreeMap<String, u64> = quotas.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    let regions: HashMap<String, RegionSettings> = [(REGION.to_string(), settings)].into();
    Config { seed: Some(7), quotas, regions, ..Config::default() }
}

/// Region settings under which targets are healthy as soon as they are attached.
pub fn fast() -> RegionSettings {
    RegionSettings { target_healthy_seconds: Some(0), ..RegionSettings::default() }
}

pub async fn nlb(elb: &Client, name: &str, subnets: &[&str], sgs: &[&str]) -> LoadBalancer {
    let mut req = elb.create_load_balancer().name(name).r#type(LoadBalancerTypeEnum::Network).scheme(LoadBalancerSchemeEnum::Internal);
    for s in subnets {
        req = req.subnets(*s);
    }
    for g in sgs {
        req = req.security_groups(*g);
    }
    req.send().await.expect("create load balancer").load_balancers()[0].clone()
}

pub async fn tg(elb: &Client, name: &str, vpc: &str, protocol: ProtocolEnum, target_type: TargetTypeEnum) -> String {
    let out = elb
        .create_target_group()
        .name(name)
        .protocol(protocol)
        .port(80)
        .vpc_id(vpc)
        .target_type(target_type)
        .send()
        .await
        .expect("create target group");
    out.target_groups()[0].target_group_arn().unwrap().to_string()
}

pub fn forward(tg: &str) -> Action {
    Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(tg).build()
}

pub async fn listener(elb: &Client, lb: &str, protocol: ProtocolEnum, port: i32, tg: &str) -> String {
    let out = elb
        .create_listener()
        .load_balancer_arn(lb)
        .protocol(protocol)
        .port(port)
        .default_actions(forward(tg))
        .send()
        .await
        .expect("create listener");
    out.listeners()[0].listener_arn().unwrap().to_string()
}

pub fn target(id: &str) -> TargetDescription {
    TargetDescription::builder().id(id).build()
}

pub fn target_port(id: &str, port: i32) -> TargetDescription {
    TargetDescription::builder().id(id).port(port).build()
}

/// (state, reason) of each target in DescribeTargetHealth order.
pub async fn health(elb: &Client, tg: &str) -> Vec<(String, String, Option<String>)> {
    let out = elb.describe_target_health().target_group_arn(tg).send().await.expect("describe target health");
    out.target_health_descriptions()
        .iter()
        .map(|d| {
            let h = d.target_health().unwrap();
            (
                d.target().unwrap().id().unwrap().to_string(),
                h.state().map(|s| s.as_str().to_string()).unwrap_or_default(),
                h.reason().map(|r| r.as_str().to_string()),
            )
        })
        .collect()
}
