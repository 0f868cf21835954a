//! EC2 actions (Version 2016-11-15), one file per resource family. The table below is the only
//! place an EC2 action name is matched.

pub mod account;
pub mod enis;
pub mod instance_attrs;
pub mod instances;
pub mod prefix_lists;
pub mod security_groups;
pub mod sg_perms;
pub mod sg_rules;
pub mod sg_rules_edit;
pub mod subnets;
pub mod tags;
pub mod vpcs;

use crate::api::{Answer, Ctx, run};
use crate::error::ApiResult;
use crate::wire::Params;

pub fn dispatch(cx: &Ctx, action: &str, p: &Params) -> Option<ApiResult<Answer>> {
    Some(match action {
        "CreateVpc" => run::<vpcs::CreateVpc>(cx, p),
        "DescribeVpcs" => run::<vpcs::DescribeVpcs>(cx, p),
        "DeleteVpc" => run::<vpcs::DeleteVpc>(cx, p),
        "CreateSubnet" => run::<subnets::CreateSubnet>(cx, p),
        "DescribeSubnets" => run::<subnets::DescribeSubnets>(cx, p),
        "DeleteSubnet" => run::<subnets::DeleteSubnet>(cx, p),
        "DescribeAvailabilityZones" => run::<account::DescribeAvailabilityZones>(cx, p),
        "DescribeAccountAttributes" => run::<account::DescribeAccountAttributes>(cx, p),
        "RunInstances" => run::<instances::RunInstances>(cx, p),
        "DescribeInstances" => run::<instances::DescribeInstances>(cx, p),
        "TerminateInstances" => run::<instances::TerminateInstances>(cx, p),
        "ModifyInstanceAttribute" => run::<instance_attrs::ModifyInstanceAttribute>(cx, p),
        "DescribeInstanceAttribute" => run::<instance_attrs::DescribeInstanceAttribute>(cx, p),
        "CreateNetworkInterface" => run::<enis::CreateNetworkInterface>(cx, p),
        "DescribeNetworkInterfaces" => run::<enis::DescribeNetworkInterfaces>(cx, p),
        "DeleteNetworkInterface" => run::<enis::DeleteNetworkInterface>(cx, p),
        "ModifyNetworkInterfaceAttribute" => run::<enis::ModifyNetworkInterfaceAttribute>(cx, p),
        "CreateTags" => run::<tags::CreateTags>(cx, p),
        "DeleteTags" => run::<tags::DeleteTags>(cx, p),
        "DescribeTags" => run::<tags::DescribeTags>(cx, p),
        "CreateSecurityGroup" => run::<security_groups::CreateSecurityGroup>(cx, p),
        "DescribeSecurityGroups" => run::<security_groups::DescribeSecurityGroups>(cx, p),
        "DeleteSecurityGroup" => run::<security_groups::DeleteSecurityGroup>(cx, p),
        "AuthorizeSecurityGroupIngress" => run::<sg_rules::AuthorizeSecurityGroupIngress>(cx, p),
        "AuthorizeSecurityGroupEgress" => run::<sg_rules::AuthorizeSecurityGroupEgress>(cx, p),
        "RevokeSecurityGroupIngress" => run::<sg_rules::RevokeSecurityGroupIngress>(cx, p),
        "RevokeSecurityGroupEgress" => run::<sg_rules::RevokeSecurityGroupEgress>(cx, p),
        "DescribeSecurityGroupRules" => run::<sg_rules_edit::DescribeSecurityGroupRules>(cx, p),
        "ModifySecurityGroupRules" => run::<sg_rules_edit::ModifySecurityGroupRules>(cx, p),
        "UpdateSecurityGroupRuleDescriptionsIngress" => run::<sg_rules_edit::UpdateSecurityGroupRuleDescriptionsIngress>(cx, p),
        "UpdateSecurityGroupRuleDescriptionsEgress" => run::<sg_rules_edit::UpdateSecurityGroupRuleDescriptionsEgress>(cx, p),
        "CreateManagedPrefixList" => run::<prefix_lists::CreateManagedPrefixList>(cx, p),
        "DescribeManagedPrefixLists" => run::<prefix_lists::DescribeManagedPrefixLists>(cx, p),
        "GetManagedPrefixListEntries" => run::<prefix_lists::GetManagedPrefixListEntries>(cx, p),
        "DeleteManagedPrefixList" => run::<prefix_lists::DeleteManagedPrefixList>(cx, p),
        _ => return None,
    })
}
