//! DescribeAvailabilityZones and DescribeAccountAttributes (aws-api.md §2.4).

use crate::api::filters::Filters;
use crate::api::{Action, Ctx, Render};
use crate::error::{ApiError, ApiResult};
use crate::state::Region;
use crate::wire::{P, Xml};

const AZ_FILTERS: &[&str] = &["group-name", "message", "opt-in-status", "region-name", "state", "zone-id", "zone-name", "zone-type"];

pub struct DescribeAvailabilityZones {
    names: Vec<String>,
    ids: Vec<String>,
    filters: Filters,
}

/// DescribeAvailabilityZones' answer: positions in the Region's zone list.
pub struct Zones(Vec<usize>);

impl Render for Zones {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        let region = &r.name;
        w.list("availabilityZoneInfo", self.0.iter().filter_map(|i| r.azs().get(*i)), |w, a| {
            w.leaf("zoneState", "available")
                .leaf("optInStatus", "opt-in-not-required")
                .list("messageSet", std::iter::empty::<()>(), |_, _| {})
                .leaf("regionName", region)
                .leaf("zoneName", &a.name)
                .leaf("zoneId", &a.id)
                .leaf("groupName", region)
                .leaf("networkBorderGroup", region)
                .leaf("zoneType", "availability-zone");
        });
    }
}

impl Action for DescribeAvailabilityZones {
    type Output = Zones;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeAvailabilityZones {
            names: p.strings("ZoneName")?.into_iter().map(String::from).collect(),
            ids: p.strings("ZoneId")?.into_iter().map(String::from).collect(),
            filters: Filters::parse(p, AZ_FILTERS)?,
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Zones> {
        for n in &self.names {
            if r.az(n).is_none() {
                return Err(ApiError::invalid(format!("The zone '{n}' does not exist.")));
            }
        }
        for i in &self.ids {
            if !r.azs().iter().any(|a| &a.id == i) {
                return Err(ApiError::invalid(format!("The zone ID '{i}' does not exist.")));
            }
        }
        let region = &r.name;
        let zones: Vec<usize> = r
            .azs()
            .iter()
            .enumerate()
            .filter(|(_, a)| (self.names.is_empty() && self.ids.is_empty()) || self.names.contains(&a.name) || self.ids.contains(&a.id))
            .filter(|(_, a)| {
                self.filters.matches(&[], |name| match name {
                    "group-name" | "region-name" => vec![region.clone()],
                    "opt-in-status" => vec!["opt-in-not-required".into()],
                    "state" => vec!["available".into()],
                    "zone-id" => vec![a.id.clone()],
                    "zone-name" => vec![a.name.clone()],
                    "zone-type" => vec!["availability-zone".into()],
                    _ => vec![],
                })
            })
            .map(|(i, _)| i)
            .collect();
        Ok(Zones(zones))
    }
}

pub struct DescribeAccountAttributes {
    names: Vec<String>,
}

const ATTRIBUTES: &[&str] = &[
    "supported-platforms",
    "default-vpc",
    "max-instances",
    "vpc-max-security-groups-per-interface",
    "max-elastic-ips",
    "vpc-max-elastic-ips",
];

/// DescribeAccountAttributes' answer: the attribute names asked for (all by default).
pub struct AccountAttributes(Vec<&'static str>);

impl Render for AccountAttributes {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        let value = |name: &str| -> String {
            match name {
                "supported-platforms" => "VPC".into(),
                "default-vpc" => r.default_vpc().map(|v| v.id.clone()).unwrap_or_else(|| "none".into()),
                "max-instances" => "20".into(),
                // Reflects the configured quota (aws-api.md §3.3).
                "vpc-max-security-groups-per-interface" => r.quotas.security_groups_per_interface.to_string(),
                _ => "5".into(),
            }
        };
        w.list("accountAttributeSet", &self.0, |w, n| {
            w.leaf("attributeName", n);
            w.list("attributeValueSet", [value(n)], |w, v| {
                w.leaf("attributeValue", v);
            });
        });
    }
}

impl Action for DescribeAccountAttributes {
    type Output = AccountAttributes;
    fn from_params(p: &P) -> ApiResult<Self> {
        let names: Vec<String> = p.strings("AttributeName")?.into_iter().map(String::from).collect();
        for n in &names {
            if !ATTRIBUTES.contains(&n.as_str()) {
                return Err(ApiError::invalid_value("AttributeName", n));
            }
        }
        Ok(DescribeAccountAttributes { names })
    }
    fn apply(self, _: &mut Region, _: &Ctx) -> ApiResult<AccountAttributes> {
        // Names were checked against ATTRIBUTES by from_params.
        let names = if self.names.is_empty() {
            ATTRIBUTES.to_vec()
        } else {
            self.names.iter().filter_map(|n| ATTRIBUTES.iter().find(|a| *a == n).copied()).collect()
        };
        Ok(AccountAttributes(names))
    }
}
