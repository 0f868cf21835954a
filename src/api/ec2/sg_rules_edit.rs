//! DescribeSecurityGroupRules, ModifySecurityGroupRules and
//! UpdateSecurityGroupRuleDescriptionsIngress/Egress (aws-api.md §2.2, §1.7.4): reading rules by
//! id, and changing a rule in place while it keeps its `sgr-` id and tags.

use std::collections::{BTreeSet, HashMap};

use super::security_groups::Target;
use super::sg_perms::{
    Body, PeerIn, PermIn, description, duplicate, parse_cidr4, parse_cidr6, parse_permissions, parse_protocol, ports, resolve,
    resolve_peer, write_rule,
};
use super::sg_rules::rule_of;
use crate::api::filters::{Filters, indexed_in_order};
use crate::api::paging::page;
use crate::api::{Action, Ctx, Render, ReturnTrue};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::{Rule, SecurityGroup};
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

/// Rule ids and group ids a describe is narrowed to (`None`: not narrowed).
type Narrowed = (Option<BTreeSet<String>>, Option<BTreeSet<String>>);

pub const RULE_FILTERS: &[&str] = &["group-id", "security-group-rule-id"];

/// DescribeSecurityGroupRules' answer: (group position, rule position in the group) per rule.
pub struct RulePage {
    at: Vec<(usize, usize)>,
    next: Option<String>,
}

impl Render for RulePage {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        let rules = self.at.iter().filter_map(|(g, i)| {
            let (_, sg) = r.sgs().get_index(*g)?;
            Some((sg, sg.rules.get(*i)?))
        });
        w.list("securityGroupRuleSet", rules, |w, (g, x)| write_rule(w, r, g, x));
        w.opt("nextToken", self.next.as_ref());
    }
}

pub struct DescribeSecurityGroupRules {
    ids: Vec<String>,
    filters: Filters,
    max: Option<i64>,
    token: Option<String>,
}

impl DescribeSecurityGroupRules {
    /// Candidate rule ids from explicit ids, `security-group-rule-id`, tags; groups from
    /// `group-id`. `None` for either means "not narrowed".
    fn narrow(&self, r: &Region) -> ApiResult<Narrowed> {
        let mut rules: Option<BTreeSet<String>> = None;
        let mut put = |set: BTreeSet<String>| {
            rules = Some(match rules.take() {
                None => set,
                Some(a) => a.intersection(&set).cloned().collect(),
            })
        };
        if !self.ids.is_empty() {
            let mut set = BTreeSet::new();
            for id in &self.ids {
                if !well_formed(id, "sgr") {
                    return Err(ApiError::malformed_id(ErrorCode::InvalidSecurityGroupRuleIdMalformed, id, "sgr"));
                }
                if r.rule_group(id).is_none() {
                    return Err(ApiError::rule_id_not_found(id));
                }
                set.insert(id.clone());
            }
            put(set);
        }
        if let Some(ids) = self.filters.exact("security-group-rule-id") {
            put(ids.iter().cloned().collect());
        }
        if let Some(tagged) = self.filters.tag_candidates(r.tags()) {
            put(tagged);
        }
        let mut groups: Option<BTreeSet<String>> = self.filters.exact("group-id").map(|g| g.iter().cloned().collect());
        if let Some(rs) = &rules {
            let owners: BTreeSet<String> = rs.iter().filter_map(|id| r.rule_group(id)).map(String::from).collect();
            groups = Some(match groups {
                None => owners,
                Some(g) => g.intersection(&owners).cloned().collect(),
            });
        }
        Ok((rules, groups))
    }
}

impl Action for DescribeSecurityGroupRules {
    type Output = RulePage;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeSecurityGroupRules {
            ids: p.strings("SecurityGroupRuleId")?.into_iter().map(String::from).collect(),
            filters: Filters::parse(p, "DescribeSecurityGroupRules", RULE_FILTERS)?,
            max: p.int("MaxResults")?,
            token: p.str("NextToken").map(String::from),
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<RulePage> {
        let (rule_set, group_set) = self.narrow(r)?;
        // Groups in Region order, rules in group order: a stable order for NextToken.
        let groups: Vec<(usize, &SecurityGroup)> = indexed_in_order(r.sgs(), group_set.as_ref());
        let matched: Vec<((usize, usize), &SecurityGroup, &Rule)> = groups
            .into_iter()
            .flat_map(|(gi, g)| g.rules.iter().enumerate().map(move |(i, x)| ((gi, i), g, x)))
            .filter(|(_, _, x)| rule_set.as_ref().is_none_or(|s| s.contains(x.id.as_str())))
            .filter(|(_, g, x)| {
                self.filters.matches(r.tags().get(&x.id), |name| match name {
                    "group-id" => vec![g.id.clone()],
                    "security-group-rule-id" => vec![x.id.to_string()],
                    _ => vec![],
                })
            })
            .collect();
        let (items, next) = page(matched, |(_, _, x)| &x.id, self.max, self.token.as_deref(), "MaxResults", (5, 1000))?;
        Ok(RulePage { at: items.into_iter().map(|(at, _, _)| at).collect(), next })
    }
}

/// One `SecurityGroupRule.N` of ModifySecurityGroupRules: the id and the new body.
struct Change {
    id: String,
    protocol: String,
    from: Option<i32>,
    to: Option<i32>,
    peer: PeerIn,
    description: Option<String>,
}

fn parse_change(item: &P) -> ApiResult<Change> {
    let id = item.required("SecurityGroupRuleId")?.to_string();
    if !item.has_child("SecurityGroupRule") {
        return Err(ApiError::missing(&item.path("SecurityGroupRule")));
    }
    let b = item.child("SecurityGroupRule");
    let protocol = parse_protocol(b.str("IpProtocol"))?;
    let (from, to) = (b.int("FromPort")?, b.int("ToPort")?);
    // Modify, unlike Authorize, refuses ports with all protocols (observed: terraform-aws-ia PR 36).
    if protocol == "-1" && (from.is_some_and(|p| p != -1) || to.is_some_and(|p| p != -1)) {
        return Err(ApiError::invalid(
            "You may not specify all protocols and specific ports. Please specify each protocol and port range combination individually, or all protocols and no port range.",
        ));
    }
    let (from, to) = ports(&protocol, from, to)?;
    let mut peers = Vec::new();
    if let Some(c) = b.str("CidrIpv4") {
        peers.push(PeerIn::Cidr4(parse_cidr4(c)?));
    }
    if let Some(c) = b.str("CidrIpv6") {
        peers.push(PeerIn::Cidr6(parse_cidr6(c)?));
    }
    if let Some(pl) = b.str("PrefixListId") {
        if !well_formed(pl, "pl") {
            return Err(ApiError::malformed_id(ErrorCode::InvalidPrefixListIdMalformed, pl, "pl"));
        }
        peers.push(PeerIn::PrefixList(pl.to_string()));
    }
    if let Some(g) = b.str("ReferencedGroupId") {
        if !well_formed(g, "sg") {
            return Err(ApiError::malformed_id(ErrorCode::InvalidGroupIdMalformed, g, "sg"));
        }
        peers.push(PeerIn::GroupId(g.to_string()));
    }
    if peers.len() != 1 {
        // Exactly one source or destination per rule [unverified wording].
        return Err(ApiError::new(
            ErrorCode::InvalidParameterCombination,
            "A security group rule must specify exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId",
        ));
    }
    Ok(Change { id, protocol, from, to, peer: peers.remove(0), description: description(b.str("Description"))? })
}

pub struct ModifySecurityGroupRules {
    group: String,
    changes: Vec<Change>,
    dry_run: bool,
}

impl Action for ModifySecurityGroupRules {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        let group = p.required("GroupId")?.to_string();
        let changes = p.list("SecurityGroupRule")?.iter().map(parse_change).collect::<ApiResult<Vec<_>>>()?;
        if changes.is_empty() {
            return Err(ApiError::missing("SecurityGroupRule"));
        }
        Ok(ModifySecurityGroupRules { group, changes, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        let sg = r.sg(&self.group)?;
        // The last change of a rule named twice wins.
        let mut new: HashMap<&str, Rule> = HashMap::new();
        for c in &self.changes {
            if !well_formed(&c.id, "sgr") {
                return Err(ApiError::malformed_id(ErrorCode::InvalidSecurityGroupRuleIdMalformed, &c.id, "sgr"));
            }
            let old = sg.rules.iter().find(|x| x.id == c.id).ok_or_else(|| ApiError::rule_id_not_found(&c.id))?;
            let peer = resolve_peer(r, sg, &c.peer, true)?;
            let body = Body { protocol: c.protocol.clone(), from: c.from, to: c.to, peer, description: c.description.clone() };
            new.insert(&c.id, body.draft(old.egress, &old.id));
        }
        let after: Vec<&Rule> = sg.rules.iter().map(|x| new.get(x.id.as_str()).unwrap_or(x)).collect();
        for x in new.values() {
            let b = Body::of(x);
            if after.iter().any(|o| o.id != x.id && b.matches(x.egress, o)) {
                return Err(duplicate(&b));
            }
        }
        r.check_rule_quota(&sg.id, &after)?;
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let sg_id = sg.id.clone();
        let new: Vec<Rule> = new.into_values().collect();
        for x in new {
            r.replace_rule(&sg_id, x);
        }
        Ok(ReturnTrue)
    }
}

pub struct UpdateDescriptions<const EGRESS: bool> {
    target: Target,
    perms: Vec<PermIn>,
    by_id: Vec<(String, Option<String>)>,
    dry_run: bool,
}

pub type UpdateSecurityGroupRuleDescriptionsIngress = UpdateDescriptions<false>;
pub type UpdateSecurityGroupRuleDescriptionsEgress = UpdateDescriptions<true>;

impl<const EGRESS: bool> Action for UpdateDescriptions<EGRESS> {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        let target = Target::parse(p)?;
        let perms = parse_permissions(p, false)?;
        let mut by_id = Vec::new();
        for d in p.list("SecurityGroupRuleDescription")? {
            by_id.push((d.required("SecurityGroupRuleId")?.to_string(), description(d.str("Description"))?));
        }
        if perms.is_empty() && by_id.is_empty() {
            // "You must specify either IP permissions or a description" (BC-EC2) [wording unverified].
            return Err(ApiError::missing("IpPermissions"));
        }
        Ok(UpdateDescriptions { target, perms, by_id, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        let sg = self.target.find(r)?;
        // Omitting a description removes it (BC-EC2).
        let mut updates: Vec<Rule> = Vec::new();
        for b in resolve(r, sg, &self.perms, false)? {
            let x = sg.rules.iter().find(|x| b.matches(EGRESS, x)).ok_or_else(ApiError::rule_not_found)?;
            updates.push(Rule { description: b.description.clone(), ..x.clone() });
        }
        for (id, d) in &self.by_id {
            let x = rule_of(sg, id, EGRESS)?;
            updates.push(Rule { description: d.clone(), ..x.clone() });
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let sg_id = sg.id.clone();
        for x in updates {
            r.replace_rule(&sg_id, x);
        }
        Ok(ReturnTrue)
    }
}
