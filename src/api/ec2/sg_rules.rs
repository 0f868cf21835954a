//! AuthorizeSecurityGroupIngress/Egress and RevokeSecurityGroupIngress/Egress (aws-api.md §2.2,
//! §1.7.2). All or nothing: every permission is resolved, checked for duplicates (against the
//! group and within the request) and against the rule quotas before any rule is added.

use std::collections::HashSet;

use super::security_groups::Target;
use super::sg_perms::{Body, PermIn, duplicate, parse_permissions, resolve, same_in_request, write_permissions, write_revoked, write_rule};
use crate::api::tags::{TagList, check_new, tag_specs};
use crate::api::{Action, Ctx, Render};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::{Rule, SecurityGroup};
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

/// Egress actions take `GroupId` only; ingress ones also a default-VPC `GroupName`.
fn target(p: &P, egress: bool) -> ApiResult<Target> {
    if egress { Ok(Target::Id(p.required("GroupId")?.to_string())) } else { Target::parse(p) }
}

/// A rule of `sg` in the given direction, by id (`InvalidSecurityGroupRuleId.*` otherwise).
pub fn rule_of<'r>(sg: &'r SecurityGroup, id: &str, egress: bool) -> ApiResult<&'r Rule> {
    if !well_formed(id, "sgr") {
        return Err(ApiError::malformed_id(ErrorCode::InvalidSecurityGroupRuleIdMalformed, id, "sgr"));
    }
    // A rule of another group, or of the other direction, is unknown here [unverified].
    sg.rules.iter().find(|r| r.id == id && r.egress == egress).ok_or_else(|| ApiError::rule_id_not_found(id))
}

/// Authorize's answer: the group's rules from position `from` on, which this call added (`ids`).
pub struct RulesAdded {
    group: String,
    from: usize,
    ids: Vec<String>,
}

impl Render for RulesAdded {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        w.bool("return", true);
        let sg = r.sgs().get(self.group.as_str());
        let added = sg.and_then(|g| g.rules.get(self.from..)).unwrap_or(&[]);
        w.list("securityGroupRuleSet", sg.into_iter().flat_map(|g| added.iter().map(move |x| (g, x))), |w, (g, x)| write_rule(w, r, g, x));
    }
    fn created(&self) -> Vec<&str> {
        self.ids.iter().map(String::as_str).collect()
    }
}

/// Revoke's answer: the permissions that matched no rule (default VPC only) and the rules that
/// went, moved out of the group.
pub struct Revoked {
    group: String,
    unknown: Vec<Body>,
    removed: Vec<Rule>,
}

impl Render for Revoked {
    fn write_xml(&self, _: &Region, w: &mut Xml) {
        w.bool("return", true);
        write_permissions(w, "unknownIpPermissionSet", &self.unknown);
        w.list("revokedSecurityGroupRuleSet", &self.removed, |w, rule| write_revoked(w, &self.group, rule));
    }
}

pub struct Authorize<const EGRESS: bool> {
    target: Target,
    perms: Vec<PermIn>,
    tags: TagList,
    dry_run: bool,
}

pub type AuthorizeSecurityGroupIngress = Authorize<false>;
pub type AuthorizeSecurityGroupEgress = Authorize<true>;

impl<const EGRESS: bool> Action for Authorize<EGRESS> {
    type Output = RulesAdded;
    fn from_params(p: &P) -> ApiResult<Self> {
        let target = target(p, EGRESS)?;
        let perms = parse_permissions(p, !EGRESS)?;
        if perms.is_empty() {
            // [unverified] wording.
            return Err(ApiError::missing("IpPermissions"));
        }
        Ok(Authorize { target, perms, tags: tag_specs(p, "security-group-rule")?, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<RulesAdded> {
        let sg = self.target.find(r)?;
        let bodies = resolve(r, sg, &self.perms, true)?;
        // Hash sets keep a request of thousands of sources linear under the lock.
        let existing: HashSet<_> = sg.rules.iter().filter(|x| x.egress == EGRESS).map(|x| Body::of(x).key()).collect();
        let mut seen = HashSet::new();
        for b in &bodies {
            if !seen.insert(b.key()) {
                return Err(same_in_request());
            }
            if existing.contains(&b.key()) {
                return Err(duplicate(b));
            }
        }
        check_new(r, &self.tags)?;
        let drafts: Vec<Rule> = bodies.iter().map(|b| b.draft(EGRESS, "")).collect();
        let after: Vec<&Rule> = sg.rules.iter().chain(drafts.iter()).collect();
        r.check_rule_quota(&sg.id, &after)?;
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let (sg_id, from) = (sg.id.clone(), sg.rules.len());
        let rules: Vec<Rule> = bodies.into_iter().map(|b| r.new_rule(EGRESS, &b.protocol, b.from, b.to, b.peer, b.description)).collect();
        let ids: Vec<String> = rules.iter().map(|x| x.id.to_string()).collect();
        for id in &ids {
            r.set_tags(id, &self.tags);
        }
        // Appended in order, so the new rules are the group's rules from `from` on.
        r.add_rules(&sg_id, rules);
        Ok(RulesAdded { group: sg_id, from, ids })
    }
}

pub struct Revoke<const EGRESS: bool> {
    target: Target,
    perms: Vec<PermIn>,
    rule_ids: Vec<String>,
    dry_run: bool,
}

pub type RevokeSecurityGroupIngress = Revoke<false>;
pub type RevokeSecurityGroupEgress = Revoke<true>;

impl<const EGRESS: bool> Action for Revoke<EGRESS> {
    type Output = Revoked;
    fn from_params(p: &P) -> ApiResult<Self> {
        let target = target(p, EGRESS)?;
        let perms = parse_permissions(p, !EGRESS)?;
        let rule_ids: Vec<String> = p.strings("SecurityGroupRuleId")?.into_iter().map(String::from).collect();
        if perms.is_empty() && rule_ids.is_empty() {
            // [unverified] wording.
            return Err(ApiError::missing("IpPermissions"));
        }
        Ok(Revoke { target, perms, rule_ids, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Revoked> {
        let sg = self.target.find(r)?;
        let mut gone: Vec<String> = Vec::new();
        for id in &self.rule_ids {
            let rule = rule_of(sg, id, EGRESS)?;
            if !gone.iter().any(|g| *g == rule.id) {
                gone.push(rule.id.to_string());
            }
        }
        let mut unknown: Vec<Body> = Vec::new();
        for b in resolve(r, sg, &self.perms, false)? {
            match sg.rules.iter().find(|x| b.matches(EGRESS, x)) {
                Some(x) if !gone.iter().any(|g| *g == x.id) => gone.push(x.id.to_string()),
                Some(_) => {}
                None => unknown.push(b),
            }
        }
        // A nondefault VPC refuses the whole request; the default VPC revokes what matched and
        // reports the rest (BC-EC2 RevokeSecurityGroupIngress doc).
        let default_vpc = r.vpcs().get(&sg.vpc_id).is_some_and(|v| v.is_default);
        if !unknown.is_empty() && !default_vpc {
            return Err(ApiError::rule_not_found());
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let sg_id = sg.id.clone();
        let removed = r.remove_rules(&sg_id, &gone);
        Ok(Revoked { group: sg_id, unknown, removed })
    }
}
