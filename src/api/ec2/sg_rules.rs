//! AuthorizeSecurityGroupIngress/Egress and RevokeSecurityGroupIngress/Egress (aws-api.md §2.2,
//! §1.7.2). All or nothing: every permission is resolved, checked for duplicates (against the
//! group and within the request) and against the rule quotas before any rule is added.

use std::collections::HashSet;

use super::security_groups::Target;
use super::sg_perms::{Body, PermIn, duplicate, parse_permissions, resolve, same_in_request, write_permissions, write_revoked, write_rule};
use crate::api::tags::{TagList, check_new, tag_specs};
use crate::api::{Action, Ctx, Rendered};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::{Rule, SecurityGroup};
use crate::state::ids::well_formed;
use crate::wire::P;

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

pub struct Authorize<const EGRESS: bool> {
    target: Target,
    perms: Vec<PermIn>,
    tags: TagList,
    dry_run: bool,
}

pub type AuthorizeSecurityGroupIngress = Authorize<false>;
pub type AuthorizeSecurityGroupEgress = Authorize<true>;

impl<const EGRESS: bool> Action for Authorize<EGRESS> {
    type Output = Rendered;
    fn from_params(p: &P) -> ApiResult<Self> {
        let target = target(p, EGRESS)?;
        let perms = parse_permissions(p, !EGRESS)?;
        if perms.is_empty() {
            // [unverified] wording.
            return Err(ApiError::missing("IpPermissions"));
        }
        Ok(Authorize { target, perms, tags: tag_specs(p, "security-group-rule")?, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rendered> {
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
        let sg_id = sg.id.clone();
        let rules: Vec<Rule> = bodies.into_iter().map(|b| r.new_rule(EGRESS, &b.protocol, b.from, b.to, b.peer, b.description)).collect();
        let ids: Vec<String> = rules.iter().map(|x| x.id.clone()).collect();
        for id in &ids {
            r.tags.set(id, &self.tags);
        }
        r.add_rules(&sg_id, rules);
        let sg = &r.sgs[&sg_id];
        let created: Vec<&Rule> = sg.rules.iter().filter(|x| ids.contains(&x.id)).collect();
        Ok(Rendered::with(cx, |w| {
            w.bool("return", true);
            w.list("securityGroupRuleSet", created, |w, rule| write_rule(w, r, sg, rule));
        }))
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
    type Output = Rendered;
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
    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rendered> {
        let sg = self.target.find(r)?;
        let mut gone: Vec<String> = Vec::new();
        for id in &self.rule_ids {
            let rule = rule_of(sg, id, EGRESS)?;
            if !gone.contains(&rule.id) {
                gone.push(rule.id.clone());
            }
        }
        let mut unknown: Vec<Body> = Vec::new();
        for b in resolve(r, sg, &self.perms, false)? {
            match sg.rules.iter().find(|x| b.matches(EGRESS, x)) {
                Some(x) if !gone.contains(&x.id) => gone.push(x.id.clone()),
                Some(_) => {}
                None => unknown.push(b),
            }
        }
        // A nondefault VPC refuses the whole request; the default VPC revokes what matched and
        // reports the rest (BC-EC2 RevokeSecurityGroupIngress doc).
        let default_vpc = r.vpcs.get(&sg.vpc_id).is_some_and(|v| v.is_default);
        if !unknown.is_empty() && !default_vpc {
            return Err(ApiError::rule_not_found());
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let sg_id = sg.id.clone();
        let removed = r.remove_rules(&sg_id, &gone);
        Ok(Rendered::with(cx, |w| {
            w.bool("return", true);
            write_permissions(w, "unknownIpPermissionSet", &unknown);
            w.list("revokedSecurityGroupRuleSet", &removed, |w, rule| write_revoked(w, &sg_id, rule));
        }))
    }
}
