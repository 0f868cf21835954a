//! ELBv2 actions (Version 2015-12-01, Query protocol; aws-api.md §2.5, lbc-ingress.md §8), one
//! file per resource family; rule conditions and actions have their own files. The table below
//! is the only place an ELBv2 action name is matched. lbsim emulates Network and Application
//! Load Balancers; Gateway Load Balancers are refused with a clear error.

pub mod actions;
pub mod attributes;
pub mod certificates;
pub mod common;
pub mod conditions;
pub mod limits;
pub mod listeners;
pub mod load_balancers;
pub mod rules;
pub mod security_groups;
pub mod tags;
pub mod target_groups;
pub mod targets;

use crate::api::{Answer, Ctx, run};
use crate::error::ApiResult;
use crate::wire::Params;

pub fn dispatch(cx: &Ctx, action: &str, p: &Params) -> Option<ApiResult<Answer>> {
    Some(match action {
        "CreateLoadBalancer" => run::<load_balancers::CreateLoadBalancer>(cx, p),
        "DescribeLoadBalancers" => run::<load_balancers::DescribeLoadBalancers>(cx, p),
        "DeleteLoadBalancer" => run::<load_balancers::DeleteLoadBalancer>(cx, p),
        "SetSubnets" => run::<load_balancers::SetSubnets>(cx, p),
        "SetIpAddressType" => run::<load_balancers::SetIpAddressType>(cx, p),
        "SetSecurityGroups" => run::<security_groups::SetSecurityGroups>(cx, p),
        "DescribeLoadBalancerAttributes" => run::<attributes::DescribeLoadBalancerAttributes>(cx, p),
        "ModifyLoadBalancerAttributes" => run::<attributes::ModifyLoadBalancerAttributes>(cx, p),
        "CreateTargetGroup" => run::<target_groups::CreateTargetGroup>(cx, p),
        "DescribeTargetGroups" => run::<target_groups::DescribeTargetGroups>(cx, p),
        "ModifyTargetGroup" => run::<target_groups::ModifyTargetGroup>(cx, p),
        "DeleteTargetGroup" => run::<target_groups::DeleteTargetGroup>(cx, p),
        "DescribeTargetGroupAttributes" => run::<attributes::DescribeTargetGroupAttributes>(cx, p),
        "ModifyTargetGroupAttributes" => run::<attributes::ModifyTargetGroupAttributes>(cx, p),
        "RegisterTargets" => run::<targets::RegisterTargets>(cx, p),
        "DeregisterTargets" => run::<targets::DeregisterTargets>(cx, p),
        "DescribeTargetHealth" => run::<targets::DescribeTargetHealth>(cx, p),
        "CreateListener" => run::<listeners::CreateListener>(cx, p),
        "DescribeListeners" => run::<listeners::DescribeListeners>(cx, p),
        "ModifyListener" => run::<listeners::ModifyListener>(cx, p),
        "DeleteListener" => run::<listeners::DeleteListener>(cx, p),
        "DescribeRules" => run::<rules::DescribeRules>(cx, p),
        "CreateRule" => run::<rules::CreateRule>(cx, p),
        "ModifyRule" => run::<rules::ModifyRule>(cx, p),
        "DeleteRule" => run::<rules::DeleteRule>(cx, p),
        "SetRulePriorities" => run::<rules::SetRulePriorities>(cx, p),
        "DescribeListenerAttributes" => run::<attributes::DescribeListenerAttributes>(cx, p),
        "ModifyListenerAttributes" => run::<attributes::ModifyListenerAttributes>(cx, p),
        "DescribeListenerCertificates" => run::<certificates::DescribeListenerCertificates>(cx, p),
        "AddListenerCertificates" => run::<certificates::AddListenerCertificates>(cx, p),
        "RemoveListenerCertificates" => run::<certificates::RemoveListenerCertificates>(cx, p),
        "AddTags" => run::<tags::AddTags>(cx, p),
        "RemoveTags" => run::<tags::RemoveTags>(cx, p),
        "DescribeTags" => run::<tags::DescribeTags>(cx, p),
        "DescribeAccountLimits" => run::<limits::DescribeAccountLimits>(cx, p),
        _ => return None,
    })
}
