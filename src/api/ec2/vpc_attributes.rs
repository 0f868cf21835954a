//! DescribeVpcAttribute and ModifyVpcAttribute: `enableDnsSupport` (on by default),
//! `enableDnsHostnames` (on for the default VPC only) and `enableNetworkAddressUsageMetrics`
//! (off). Tools read these while inventorying a VPC (Ansible's `ec2_vpc_net_info` fails without
//! DescribeVpcAttribute). One attribute per call, as the model says of both actions.

use super::vpcs::find_vpc;
use crate::api::{Action, Ctx, Render, ReturnTrue};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::Vpc;
use crate::wire::{P, Xml};

/// Wire name (the model's `VpcAttributeName` enum, also the response element) of each attribute.
const ATTRIBUTES: &[&str] = &["enableDnsSupport", "enableDnsHostnames", "enableNetworkAddressUsageMetrics"];

fn value(v: &Vpc, attr: &str) -> bool {
    match attr {
        "enableDnsSupport" => v.enable_dns_support,
        "enableDnsHostnames" => v.enable_dns_hostnames,
        _ => v.enable_network_address_usage_metrics,
    }
}

pub struct VpcAttribute {
    vpc: String,
    attribute: &'static str,
    value: bool,
}

impl Render for VpcAttribute {
    fn write_xml(&self, _: &Region, w: &mut Xml) {
        w.leaf("vpcId", &self.vpc);
        w.open(self.attribute).bool("value", self.value).close(self.attribute);
    }
}

pub struct DescribeVpcAttribute {
    vpc: String,
    attribute: &'static str,
    dry_run: bool,
}

impl Action for DescribeVpcAttribute {
    type Output = VpcAttribute;
    fn from_params(p: &P) -> ApiResult<Self> {
        let vpc = p.required("VpcId")?.to_string();
        let raw = p.required("Attribute")?;
        let attribute = ATTRIBUTES.iter().find(|a| **a == raw).copied().ok_or_else(|| ApiError::invalid_value("Attribute", raw))?;
        Ok(DescribeVpcAttribute { vpc, attribute, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<VpcAttribute> {
        let v = find_vpc(r, &self.vpc)?;
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        Ok(VpcAttribute { vpc: v.id.clone(), attribute: self.attribute, value: value(v, self.attribute) })
    }
}

pub struct ModifyVpcAttribute {
    vpc: String,
    attribute: &'static str,
    value: bool,
}

impl Action for ModifyVpcAttribute {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        let vpc = p.required("VpcId")?.to_string();
        let mut given = Vec::new();
        for a in ATTRIBUTES {
            // `EnableDnsSupport.Value=true`: the parameter is the attribute's name, capitalised.
            let name = format!("{}{}", a[..1].to_uppercase(), &a[1..]);
            let child = p.child(&name);
            if let Some(v) = child.bool("Value")? {
                given.push((*a, v));
            } else if p.has_child(&name) {
                return Err(ApiError::missing(&format!("{name}.Value")));
            }
        }
        match given.as_slice() {
            [(attribute, value)] => Ok(ModifyVpcAttribute { vpc, attribute, value: *value }),
            // [unverified] texts.
            [] => Err(ApiError::missing("EnableDnsSupport, EnableDnsHostnames or EnableNetworkAddressUsageMetrics")),
            _ => Err(ApiError::new(ErrorCode::InvalidParameterCombination, "Only one attribute can be modified at a time")),
        }
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        find_vpc(r, &self.vpc)?;
        r.set_vpc_attribute(&self.vpc, self.attribute, self.value);
        Ok(ReturnTrue)
    }
}
