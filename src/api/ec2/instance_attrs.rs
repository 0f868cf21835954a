//! ModifyInstanceAttribute and DescribeInstanceAttribute (aws-api.md §2.4). Groups and the
//! source/destination check live on the instance's primary interface; attributes lbsim does not
//! model (API termination protection, EBS optimisation, user data, …) are accepted and read back
//! with AWS's launch defaults.

use super::enis::{one_attribute, resolve_groups, write_group_set};
use super::instances::{find_instance, instance_groups, primary_eni};
use crate::api::{Action, Ctx, Render, ReturnTrue};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::InstanceState;
use crate::wire::{P, Xml};

/// The `Attribute` values of the model's `InstanceAttributeName` enum.
const ATTRIBUTES: &[&str] = &[
    "instanceType",
    "kernel",
    "ramdisk",
    "userData",
    "disableApiTermination",
    "instanceInitiatedShutdownBehavior",
    "rootDeviceName",
    "blockDeviceMapping",
    "productCodes",
    "sourceDestCheck",
    "groupSet",
    "ebsOptimized",
    "sriovNetSupport",
    "enaSupport",
    "enclaveOptions",
    "disableApiStop",
];

/// Structure members that set an attribute lbsim accepts without modelling it.
const UNMODELLED: &[(&str, &str)] = &[
    ("DisableApiTermination", "disableApiTermination"),
    ("DisableApiStop", "disableApiStop"),
    ("EbsOptimized", "ebsOptimized"),
    ("EnaSupport", "enaSupport"),
    ("InstanceInitiatedShutdownBehavior", "instanceInitiatedShutdownBehavior"),
    ("UserData", "userData"),
    ("Kernel", "kernel"),
    ("Ramdisk", "ramdisk"),
    ("SriovNetSupport", "sriovNetSupport"),
    ("BlockDeviceMapping", "blockDeviceMapping"),
];

fn unknown_attribute(a: &str) -> ApiError {
    // [unverified] text.
    ApiError::invalid(format!("Value ({a}) for parameter attribute is invalid. Unknown attribute."))
}

pub struct ModifyInstanceAttribute {
    id: String,
    groups: Option<Vec<String>>,
    source_dest_check: Option<bool>,
    instance_type: Option<String>,
    dry_run: bool,
}

impl Action for ModifyInstanceAttribute {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        let id = p.required("InstanceId")?.to_string();
        let groups: Vec<String> = p.strings("GroupId")?.into_iter().map(String::from).collect();
        let mut source_dest_check = p.child("SourceDestCheck").bool("Value")?;
        let mut instance_type = p.child("InstanceType").str("Value").map(String::from);
        let mut present: Vec<&str> = Vec::new();
        if !groups.is_empty() {
            present.push("groupSet");
        }
        if source_dest_check.is_some() {
            present.push("sourceDestCheck");
        }
        if instance_type.is_some() {
            present.push("instanceType");
        }
        for (member, name) in UNMODELLED {
            if p.has_child(member) {
                present.push(name);
            }
        }
        // The older form: Attribute=<name>&Value=<value>.
        if let Some(a) = p.str("Attribute") {
            if !ATTRIBUTES.contains(&a) {
                return Err(unknown_attribute(a));
            }
            let value = p.str("Value").ok_or_else(|| ApiError::missing("Value"))?;
            match a {
                "sourceDestCheck" => source_dest_check = p.bool("Value")?,
                "instanceType" => instance_type = Some(value.to_string()),
                // A group list cannot travel in Value.
                "groupSet" => return Err(ApiError::invalid_value("Value", value)),
                _ => {}
            }
            present.push(ATTRIBUTES.iter().find(|x| **x == a).copied().unwrap_or("attribute"));
        }
        present.dedup();
        one_attribute(&present)?;
        Ok(ModifyInstanceAttribute {
            id,
            groups: if groups.is_empty() { None } else { Some(groups) },
            source_dest_check,
            instance_type,
            dry_run: p.dry_run()?,
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        let inst = find_instance(r, &self.id)?;
        if self.instance_type.is_some() && inst.state != InstanceState::Stopped {
            return Err(ApiError::new(
                ErrorCode::IncorrectInstanceState,
                format!("The instance '{}' is not in the 'stopped' state.", self.id),
            ));
        }
        let needs_eni = self.groups.is_some() || self.source_dest_check.is_some();
        let eni = primary_eni(r, inst).map(|e| e.id.clone());
        if needs_eni && eni.is_none() {
            // A terminated instance has no interface left to change. [unverified] text.
            return Err(ApiError::new(
                ErrorCode::IncorrectInstanceState,
                format!("The instance '{}' is not in a state from which it can be modified.", self.id),
            ));
        }
        let groups = match &self.groups {
            Some(ids) => {
                let g = resolve_groups(r, ids, &inst.vpc_id, |_| ApiError::sg_other_network())?;
                r.check_groups_for_interface(&g, true)?;
                Some(g)
            }
            None => None,
        };
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        if let Some(eni) = eni {
            if let Some(g) = groups {
                r.set_eni_groups(&eni, g);
            }
            if let Some(v) = self.source_dest_check {
                r.set_eni_source_dest_check(&eni, v);
            }
        }
        Ok(ReturnTrue)
    }
}

/// DescribeInstanceAttribute's answer: which attribute of which instance.
pub struct InstanceAttribute {
    id: String,
    attribute: String,
}

impl Render for InstanceAttribute {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        let Some(inst) = r.instances().get(&self.id) else { return };
        let eni = primary_eni(r, inst);
        w.leaf("instanceId", &inst.id);
        let value = |w: &mut Xml, name: &str, v: Option<&str>| {
            w.open(name);
            w.opt("value", v);
            w.close(name);
        };
        match self.attribute.as_str() {
            "groupSet" => write_group_set(w, r, instance_groups(r, inst)),
            "sourceDestCheck" => value(w, "sourceDestCheck", eni.map(|e| if e.source_dest_check { "true" } else { "false" })),
            "instanceType" => value(w, "instanceType", Some(&inst.instance_type)),
            "disableApiTermination" => value(w, "disableApiTermination", Some("false")),
            "disableApiStop" => value(w, "disableApiStop", Some("false")),
            "ebsOptimized" => value(w, "ebsOptimized", Some("false")),
            "enaSupport" => value(w, "enaSupport", Some("true")),
            "instanceInitiatedShutdownBehavior" => value(w, "instanceInitiatedShutdownBehavior", Some("stop")),
            "rootDeviceName" => value(w, "rootDeviceName", Some("/dev/xvda")),
            "kernel" | "ramdisk" | "userData" | "sriovNetSupport" => value(w, &self.attribute, None),
            "enclaveOptions" => {
                w.open("enclaveOptions").bool("enabled", false).close("enclaveOptions");
            }
            // blockDeviceMapping, productCodes: lists lbsim keeps empty.
            other => {
                w.list(other, std::iter::empty::<()>(), |_, _| {});
            }
        }
    }
}

pub struct DescribeInstanceAttribute {
    id: String,
    attribute: String,
    dry_run: bool,
}

impl Action for DescribeInstanceAttribute {
    type Output = InstanceAttribute;
    fn from_params(p: &P) -> ApiResult<Self> {
        let id = p.required("InstanceId")?.to_string();
        let attribute = p.required("Attribute")?.to_string();
        if !ATTRIBUTES.contains(&attribute.as_str()) {
            return Err(unknown_attribute(&attribute));
        }
        Ok(DescribeInstanceAttribute { id, attribute, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<InstanceAttribute> {
        find_instance(r, &self.id)?;
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        Ok(InstanceAttribute { id: self.id, attribute: self.attribute })
    }
}
