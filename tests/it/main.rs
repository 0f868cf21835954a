//! The one integration-test binary: every module below is one area of behaviour, all sharing
//! `common` (a server on a free loopback port, SDK clients, raw HTTP helpers). One binary links the
//! AWS SDK crates once instead of once per file.

mod common;

mod admin;
mod bench;
mod ec2_enis;
mod ec2_instances;
mod ec2_security_groups;
mod ec2_sg_rules;
mod ec2_tags;
mod ec2_vpcs;
mod eks_api;
mod elbv2_alb;
mod elbv2_listeners;
mod elbv2_load_balancers;
mod elbv2_rules;
mod elbv2_tags_limits;
mod elbv2_target_groups;
mod elbv2_targets;
mod fuzz;
mod garbage;
mod layout;
mod lbc_failures;
mod lbc_flows;
mod lbc_remote;
mod lbc_sg_rows;
mod lbc_worked_example;
mod live;
mod logging;
mod model_names;
mod plan;
mod scenarios;
mod sdk_in_process;
mod snapshot;
mod trust;
mod ui;
mod wire_golden;
