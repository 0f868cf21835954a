//! EC2 actions (Version 2016-11-15), one file per resource family. The table below is the only
//! place an EC2 action name is matched.

pub mod account;
pub mod enis;
pub mod instance_attrs;
pub mod instances;
pub mod internet_gateways;
pub mod prefix_lists;
pub mod route_tables;
pub mod security_groups;
pub mod sg_perms;
pub mod sg_quota_check;
pub mod sg_rules;
pub mod sg_rules_edit;
pub mod sgs_for_vpc;
pub mod subnets;
pub mod tags;
pub mod unheld;
pub mod vpc_attributes;
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
        "DescribeVpcAttribute" => run::<vpc_attributes::DescribeVpcAttribute>(cx, p),
        "ModifyVpcAttribute" => run::<vpc_attributes::ModifyVpcAttribute>(cx, p),
        "CreateRouteTable" => run::<route_tables::CreateRouteTable>(cx, p),
        "DescribeRouteTables" => run::<route_tables::DescribeRouteTables>(cx, p),
        "DeleteRouteTable" => run::<route_tables::DeleteRouteTable>(cx, p),
        "CreateRoute" => run::<route_tables::CreateRoute>(cx, p),
        "DeleteRoute" => run::<route_tables::DeleteRoute>(cx, p),
        "AssociateRouteTable" => run::<route_tables::AssociateRouteTable>(cx, p),
        "DisassociateRouteTable" => run::<route_tables::DisassociateRouteTable>(cx, p),
        "CreateInternetGateway" => run::<internet_gateways::CreateInternetGateway>(cx, p),
        "AttachInternetGateway" => run::<internet_gateways::AttachInternetGateway>(cx, p),
        "DetachInternetGateway" => run::<internet_gateways::DetachInternetGateway>(cx, p),
        "DeleteInternetGateway" => run::<internet_gateways::DeleteInternetGateway>(cx, p),
        "DescribeInternetGateways" => run::<internet_gateways::DescribeInternetGateways>(cx, p),
        "GetSecurityGroupsForVpc" => run::<sgs_for_vpc::GetSecurityGroupsForVpc>(cx, p),
        "ValidateSecurityGroupQuotasForInterface" => run::<sg_quota_check::ValidateSecurityGroupQuotasForInterface>(cx, p),
        "DescribeAddresses" => run::<unheld::DescribeAddresses>(cx, p),
        "DescribeCoipPools" => run::<unheld::DescribeCoipPools>(cx, p),
        "GetCoipPoolUsage" => run::<unheld::GetCoipPoolUsage>(cx, p),
        "DescribeIpamPools" => run::<unheld::DescribeIpamPools>(cx, p),
        "DescribeVpcPeeringConnections" => run::<unheld::DescribeVpcPeeringConnections>(cx, p),
        _ => return None,
    })
}
