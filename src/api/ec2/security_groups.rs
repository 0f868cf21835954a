//! CreateSecurityGroup, DescribeSecurityGroups, DeleteSecurityGroup (aws-api.md §2.1, §1.7.1,
//! §1.7.3), and how a request names a group (`GroupId`, or `GroupName` in the default VPC).

use super::sg_perms::{allowed_char, write_permissions};
use super::vpcs::find_vpc;
use crate::api::filters::{Filters, Narrowest, indexed_in_order};
use crate::api::paging::page;
use crate::api::tags::{TagList, check_new, tag_specs, write_tag_set};
use crate::api::{Action, Ctx, Page, Render};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::{Peer, SecurityGroup};
use crate::wire::{P, Xml};

/// How a request names its group: by id anywhere, by name only in the default VPC.
#[derive(Debug, Clone)]
pub enum Target {
    Id(String),
    Name(String),
}

impl Target {
    /// Reads `GroupId` / `GroupName`; one of them is required.
    pub fn parse(p: &P) -> ApiResult<Target> {
        match (p.str("GroupId").filter(|s| !s.is_empty()), p.str("GroupName").filter(|s| !s.is_empty())) {
            (Some(id), _) => Ok(Target::Id(id.to_string())),
            (None, Some(name)) => Ok(Target::Name(name.to_string())),
            // [unverified] wording.
            (None, None) => Err(ApiError::new(ErrorCode::MissingParameter, "The request must contain the parameter groupName or groupId")),
        }
    }

    pub fn find<'r>(&self, r: &'r Region) -> ApiResult<&'r SecurityGroup> {
        match self {
            Target::Id(id) => r.sg(id),
            Target::Name(name) => {
                let vpc = default_vpc_for_names(r)?;
                let id = r.sg_id_by_name(&vpc, name).ok_or_else(|| ApiError::sg_name_not_found(name, &vpc, true))?;
                r.sg(id)
            }
        }
    }
}

/// The default VPC, for names; without one, names cannot be used (OBS message of RunInstances).
pub fn default_vpc_for_names(r: &Region) -> ApiResult<String> {
    r.default_vpc().map(|v| v.id.clone()).ok_or_else(|| {
        ApiError::new(
            ErrorCode::VpcIdNotSpecified,
            "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.",
        )
    })
}

pub fn sg_arn(r: &Region, id: &str) -> String {
    r.arn("ec2", &format!("security-group/{id}"))
}

pub fn write_sg(w: &mut Xml, r: &Region, sg: &SecurityGroup) {
    w.leaf("ownerId", &sg.owner_id)
        .leaf("groupId", &sg.id)
        .leaf("groupName", &sg.name)
        .leaf("groupDescription", &sg.description)
        .leaf("vpcId", &sg.vpc_id)
        // `sg_arn`'s text, written in place (a describe writes one per group).
        .leaf_parts("securityGroupArn", &["arn:", r.partition, ":ec2:", &r.name, ":", &r.account, ":security-group/", &sg.id]);
    write_permissions(w, "ipPermissions", sg.rules.iter().filter(|x| !x.egress));
    write_permissions(w, "ipPermissionsEgress", sg.rules.iter().filter(|x| x.egress));
    write_tag_set(w, r.tags().get(&sg.id));
}

/// CreateSecurityGroup's answer: the new group's id, ARN and tags.
pub struct SgCreated(String);

impl Render for SgCreated {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        w.bool("return", true).leaf("groupId", &self.0).leaf("securityGroupArn", sg_arn(r, &self.0));
        write_tag_set(w, r.tags().get(&self.0));
    }
    fn created(&self) -> Vec<&str> {
        vec![&self.0]
    }
}

/// DescribeSecurityGroups' answer.
pub struct Groups(Page);

/// Bytes reserved for a group with no cached fragment: one of a few rules and tags renders to
/// 1–2 KB (an underestimate costs one regrowth, an overestimate only capacity).
const UNCACHED_GUESS: usize = 2048;

impl Render for Groups {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        // Each group's body from the Region's cache of rendered fragments (render_cache.rs),
        // into a buffer sized once: a 100-group answer is ~110 KB, and growing it by doubling
        // copied it about twice more (perf of the mix: realloc's memcpy). Beyond the fragments:
        // each group's `<item></item>`, the list's tags and the envelope's tail.
        let (cached, missing) = r.rendered().sizes(&self.0.at);
        w.reserve(cached + missing * UNCACHED_GUESS + self.0.at.len() * 16 + 256);
        w.list("securityGroupInfo", self.0.with_positions(r.sgs()), |w, (at, sg)| {
            w.memo(|out| r.rendered().append(at, out), |w| write_sg(w, r, sg), |text| r.rendered().keep(at, text, r.sgs().len()));
        });
        w.opt("nextToken", self.0.next.as_ref());
    }
}

/// DeleteSecurityGroup's answer: the deleted group's id.
pub struct SgDeleted(String);

impl Render for SgDeleted {
    fn write_xml(&self, _: &Region, w: &mut Xml) {
        w.bool("return", true).leaf("groupId", &self.0);
    }
}

/// Group names and descriptions: ≤255 ASCII characters from AWS's set (BC-EC2 member docs).
fn check_text(param: &str, v: &str) -> ApiResult<()> {
    if !v.is_ascii() {
        return Err(ApiError::invalid(format!(
            "Value ({v}) for parameter {param} is invalid. Character sets beyond ASCII are not supported."
        )));
    }
    if v.len() > 255 {
        // [unverified] wording.
        return Err(ApiError::invalid(format!("Value ({v}) for parameter {param} is invalid. Length exceeds maximum of 255.")));
    }
    if !v.chars().all(allowed_char) {
        // [unverified] wording.
        return Err(ApiError::invalid(format!(
            "Value ({v}) for parameter {param} is invalid. Valid characters are a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{{}}!$*"
        )));
    }
    Ok(())
}

pub struct CreateSecurityGroup {
    name: String,
    description: String,
    vpc: Option<String>,
    tags: TagList,
    dry_run: bool,
}

impl Action for CreateSecurityGroup {
    type Output = SgCreated;
    fn from_params(p: &P) -> ApiResult<Self> {
        let name = p.required("GroupName")?.to_string();
        let description = p.required("GroupDescription")?.to_string();
        check_text("GroupName", &name)?;
        check_text("GroupDescription", &description)?;
        if name.to_ascii_lowercase().starts_with("sg-") {
            return Err(ApiError::invalid(format!(
                "Value ({name}) for parameter GroupName is invalid. Group names may not be in the format sg-*."
            )));
        }
        if name.eq_ignore_ascii_case("default") {
            // [unverified vs AWS]: the text two independent tools report.
            return Err(ApiError::invalid("Cannot use reserved security group name: default"));
        }
        Ok(CreateSecurityGroup {
            name,
            description,
            vpc: p.str("VpcId").filter(|s| !s.is_empty()).map(String::from),
            tags: tag_specs(p, "security-group")?,
            dry_run: p.dry_run()?,
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<SgCreated> {
        let vpc = match &self.vpc {
            Some(v) => find_vpc(r, v)?,
            None => r.default_vpc().ok_or_else(|| ApiError::new(ErrorCode::VpcIdNotSpecified, "No default VPC for this user"))?,
        };
        if r.sg_id_by_name(&vpc.id, &self.name).is_some() {
            return Err(ApiError::sg_duplicate(&self.name, &vpc.id));
        }
        let (vpc_id, ipv6) = (vpc.id.clone(), vpc.ipv6_cidr.is_some());
        check_new(r, &self.tags)?;
        // Every group of the Region counts, default groups included (aws-api.md §3.1, assumed).
        if r.sgs().len() as u64 >= r.quotas.security_groups_per_region {
            return Err(ApiError::sg_limit());
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let id = r.ids.ec2("sg");
        let owner = r.account.clone();
        r.insert_sg(SecurityGroup {
            id: id.clone(),
            name: self.name,
            description: self.description,
            vpc_id,
            owner_id: owner,
            rules: Vec::new(),
        });
        // A new group allows all outbound traffic (VPC-SGR); `::/0` too in an IPv6 VPC [unverified].
        let mut egress = vec![r.new_rule(true, "-1", None, None, Peer::Cidr4("0.0.0.0/0".parse().expect("static")), None)];
        if ipv6 {
            egress.push(r.new_rule(true, "-1", None, None, Peer::Cidr6("::/0".parse().expect("static")), None));
        }
        r.add_rules(&id, egress);
        r.set_tags(&id, &self.tags);
        Ok(SgCreated(id))
    }
}

pub const SG_FILTERS: &[&str] = &[
    "description",
    "group-id",
    "group-name",
    "owner-id",
    "vpc-id",
    "ip-permission.cidr",
    "ip-permission.from-port",
    "ip-permission.to-port",
    "ip-permission.protocol",
    "ip-permission.group-id",
    "ip-permission.group-name",
    "ip-permission.ipv6-cidr",
    "ip-permission.prefix-list-id",
    "ip-permission.user-id",
    "egress.ip-permission.cidr",
    "egress.ip-permission.from-port",
    "egress.ip-permission.to-port",
    "egress.ip-permission.protocol",
    "egress.ip-permission.group-id",
    "egress.ip-permission.group-name",
    "egress.ip-permission.ipv6-cidr",
    "egress.ip-permission.prefix-list-id",
    "egress.ip-permission.user-id",
];

/// Values of an `[egress.]ip-permission.*` filter over all rules of one direction: a group
/// matches when any combination of its rules satisfies the filters (BC-EC2).
fn rule_values(r: &Region, sg: &SecurityGroup, name: &str) -> Vec<String> {
    let (egress, field) = match name.strip_prefix("egress.") {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    let Some(field) = field.strip_prefix("ip-permission.") else { return Vec::new() };
    sg.rules
        .iter()
        .filter(|x| x.egress == egress)
        .filter_map(|x| match (field, &x.peer) {
            ("cidr", Peer::Cidr4(n)) => Some(n.to_string()),
            ("ipv6-cidr", Peer::Cidr6(n)) => Some(n.to_string()),
            ("prefix-list-id", Peer::PrefixList(p)) => Some(p.clone()),
            ("group-id", Peer::Group(p)) => Some(p.group_id.clone()),
            ("group-name", Peer::Group(p)) => r.sgs().get(p.group_id.as_str()).map(|g| g.name.clone()),
            ("user-id", Peer::Group(p)) => Some(p.user_id.clone()),
            ("protocol", _) => Some(x.protocol.to_string()),
            ("from-port", _) => x.from_port.map(|p| p.to_string()),
            ("to-port", _) => x.to_port.map(|p| p.to_string()),
            _ => None,
        })
        .collect()
}

pub struct DescribeSecurityGroups {
    ids: Vec<String>,
    names: Vec<String>,
    filters: Filters,
    max: Option<i64>,
    token: Option<String>,
}

impl DescribeSecurityGroups {
    /// Candidate ids: the groups the request names (all must exist), else the narrowest index
    /// answer among group-id, tags, vpc-id and group-name; `None` when no index applies and
    /// every group is scanned. A superset: `apply` checks every filter on each candidate.
    /// Candidate ids from the narrowest index, and the filter they satisfy already (if any).
    fn candidates<'a>(&'a self, r: &'a Region) -> ApiResult<(Option<Vec<&'a str>>, Option<usize>)> {
        if !self.ids.is_empty() || !self.names.is_empty() {
            let mut named = Vec::new();
            for id in &self.ids {
                named.push(r.sg(id)?.id.as_str());
            }
            if !self.names.is_empty() {
                let vpc = default_vpc_for_names(r)?;
                for n in &self.names {
                    named.push(r.sg_id_by_name(&vpc, n).ok_or_else(|| ApiError::sg_name_not_found(n, &vpc, true))?.as_str());
                }
            }
            return Ok((Some(named), None));
        }
        let mut n = Narrowest::default();
        if let Some(ids) = self.filters.exact("group-id") {
            n.offer(ids.len(), || ids.iter().map(String::as_str));
        }
        self.filters.offer_tags(r.tags(), &mut n);
        if let Some(vpcs) = self.filters.exact("vpc-id") {
            let size = vpcs.iter().map(|v| r.sgs_in_vpc(v).len()).sum();
            n.offer(size, || vpcs.iter().flat_map(|v| r.sgs_in_vpc(v)).map(String::as_str));
        }
        if let Some(names) = self.filters.exact("group-name") {
            // The name index is per VPC: one lookup per (name, VPC).
            let found: Vec<&str> =
                names.iter().flat_map(|nm| r.vpcs().keys().filter_map(move |v| r.sg_id_by_name(v, nm))).map(String::as_str).collect();
            n.offer(found.len(), || found);
        }
        Ok(n.ids_and_satisfied())
    }
}

impl Action for DescribeSecurityGroups {
    type Output = Groups;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeSecurityGroups {
            ids: p.strings("GroupId")?.into_iter().map(String::from).collect(),
            names: p.strings("GroupName")?.into_iter().map(String::from).collect(),
            filters: Filters::parse(p, "DescribeSecurityGroups", SG_FILTERS)?,
            max: p.int("MaxResults")?,
            token: p.str("NextToken").map(String::from),
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Groups> {
        // Ids or names together with MaxResults page like filters do: the model documents no
        // InvalidParameterCombination for this action, unlike DescribeInstances [unverified].
        let (candidates, satisfied) = self.candidates(r)?;
        let groups: Vec<(usize, &SecurityGroup)> = indexed_in_order(r.sgs(), candidates);
        // A filter the index answered exactly is not checked again per group (a controller's
        // describe by one tag then reads no group's tags at all).
        let rest = self.filters.without(satisfied);
        let matched: Vec<(usize, &SecurityGroup)> = groups
            .into_iter()
            .filter(|(_, sg)| {
                rest.is_empty()
                    || rest.matches(r.tags().get(&sg.id), |name| match name {
                        "description" => vec![sg.description.clone()],
                        "group-id" => vec![sg.id.clone()],
                        "group-name" => vec![sg.name.clone()],
                        "owner-id" => vec![sg.owner_id.clone()],
                        "vpc-id" => vec![sg.vpc_id.clone()],
                        other => rule_values(r, sg, other),
                    })
            })
            .collect();
        let (items, next) = page(matched, |(_, g)| &g.id, self.max, self.token.as_deref(), "MaxResults", (5, 1000))?;
        Ok(Groups(Page::new(items, next)))
    }
}

pub struct DeleteSecurityGroup {
    target: Target,
    dry_run: bool,
}

impl Action for DeleteSecurityGroup {
    type Output = SgDeleted;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DeleteSecurityGroup { target: Target::parse(p)?, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<SgDeleted> {
        let sg = self.target.find(r)?;
        let id = sg.id.clone();
        if r.vpcs().get(&sg.vpc_id).is_some_and(|v| v.default_sg == id) {
            return Err(ApiError::cannot_delete_default(&id));
        }
        // Another group's rule, or any interface (an instance's, an NLB's) carrying it.
        if !r.referencing_groups(&id).is_empty() || !r.enis_with_sg(&id).is_empty() {
            return Err(ApiError::dependency(&id));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        r.remove_sg(&id);
        Ok(SgDeleted(id))
    }
}
