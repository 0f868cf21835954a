//! CreateRule, DescribeRules, ModifyRule, DeleteRule, SetRulePriorities (lbc-ingress.md §8.1):
//! the rules of an ALB listener (priorities 1–50000, unique per listener), each listener's
//! default rule (priority `default`, its actions the listener's default actions, never modified
//! or deleted here), tags at creation, and the quotas AWS counts per rule (condition values and
//! wildcards, target groups per action) and per ALB (rules over all listeners, unique target
//! groups, targets). SetRulePriorities checks the final state only, so swaps work in one call.
//! Every action answers with `Rules`, the ARNs of the rules to show, rendered from the Region.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::actions::{check_actions, parse_actions, write_actions};
use super::common::{Paging, arn_is, check_tag_quota, find_listener, int_in, member_path, parse_tags, required};
use super::conditions::{check_condition_quotas, parse_conditions, write_conditions};
use super::targets::check_lb_targets;
use crate::api::{Action as ApiAction, Ctx, Empty, Render};
use crate::error::{ApiError, ApiResult};
use crate::state::Region;
use crate::state::elbv2::{Action, Condition, Listener, LoadBalancer, Rule, Tags};
use crate::wire::{P, Xml};

/// A rule to render: a listener's default rule or one of its rules.
enum Shown<'a> {
    Default(&'a Listener),
    Rule(&'a Rule),
}

fn write_rule(w: &mut Xml, s: &Shown) {
    match s {
        Shown::Default(l) => {
            w.leaf("RuleArn", &l.rule_arn).leaf("Priority", "default");
            write_conditions(w, &[]);
            write_actions(w, "Actions", &l.actions);
            w.bool("IsDefault", true);
        }
        Shown::Rule(r) => {
            w.leaf("RuleArn", &r.arn).leaf("Priority", r.priority.to_string());
            write_conditions(w, &r.conditions);
            write_actions(w, "Actions", &r.actions);
            w.bool("IsDefault", false);
        }
    }
}

/// The answer of every rule action: the rules with these ARNs (default or not), in this order,
/// and the marker of the next page; `new` is the ARN CreateRule made.
pub struct Rules {
    arns: Vec<String>,
    next: Option<String>,
    new: Option<String>,
}

impl Rules {
    fn of(arns: Vec<String>) -> Rules {
        Rules { arns, next: None, new: None }
    }
}

impl Render for Rules {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        w.list("Rules", self.arns.iter().filter_map(|a| shown(r, a)), |w, s| write_rule(w, &s));
        w.opt("NextMarker", self.next.as_ref());
    }
    fn created(&self) -> Vec<&str> {
        self.new.iter().map(String::as_str).collect()
    }
}

fn shown<'a>(r: &'a Region, arn: &str) -> Option<Shown<'a>> {
    if let Some(rule) = r.elb().rules().get(arn) {
        return Some(Shown::Rule(rule));
    }
    r.elb().rule_listener(arn).map(Shown::Default)
}

fn check_rule_arn(arn: &str) -> ApiResult<()> {
    if !arn_is(arn, "listener-rule/") {
        return Err(ApiError::bad_elb_arn(arn, "rule"));
    }
    Ok(())
}

/// The listener and load balancer a rule may be put on: rules exist on ALB listeners only.
fn rule_host<'r>(r: &'r Region, listener: &str) -> ApiResult<(&'r Listener, &'r LoadBalancer)> {
    let l = find_listener(r, listener)?;
    let lb = r.elb().lbs().get(&l.lb_arn).ok_or_else(ApiError::listener_not_found)?;
    if !lb.is_alb() {
        // [unverified] code and text.
        return Err(ApiError::unsupported_protocol(format!(
            "Rules are supported only on listeners of load balancers of type 'application'; the listener protocol is '{}'",
            l.protocol
        )));
    }
    Ok((l, lb))
}

fn priority(p: &P, name: &str) -> ApiResult<u32> {
    int_in(p, name, 1, 50_000)?.map(|v| v as u32).ok_or_else(|| {
        ApiError::validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            member_path(name)
        ))
    })
}

/// Refuses rule transforms (URL and host rewrites), which lbsim does not emulate.
fn no_transforms(p: &P) -> ApiResult<()> {
    if !p.list("Transforms")?.is_empty() {
        return Err(ApiError::elb_type_not_emulated("Rule transforms (url-rewrite, host-header-rewrite)"));
    }
    Ok(())
}

/// Checks a rule's conditions and actions for `lb` and the quotas the change would grow: the
/// rule's `actions` are normalised; `replacing` is the rule being modified, whose current
/// target groups do not count twice.
fn check_rule(
    r: &Region,
    lb: &LoadBalancer,
    l: &Listener,
    conditions: &[Condition],
    actions: &mut [Action],
    replacing: Option<&str>,
) -> ApiResult<()> {
    check_condition_quotas(conditions, &r.quotas)?;
    let new_tgs = check_actions(r, lb, &l.protocol, actions)?;
    let before = r.elb().lb_tgs(&lb.arn);
    let mut after: BTreeSet<&str> = BTreeSet::new();
    for other in r.elb().lb_listeners(&lb.arn) {
        after.extend(other.target_groups());
        for rule in r.elb().listener_rules(&other.arn) {
            if Some(rule.arn.as_str()) != replacing {
                after.extend(rule.target_groups());
            }
        }
    }
    after.extend(new_tgs.iter().map(String::as_str));
    if after.len() > before.len() && after.len() as u64 > r.quotas.target_groups_per_application_load_balancer {
        return Err(ApiError::too_many_unique_tgs(&lb.arn));
    }
    let after: Vec<&str> = after.into_iter().collect();
    check_lb_targets(r, &lb.arn, &after, &[])
}

pub struct CreateRule {
    listener: String,
    priority: u32,
    conditions: Vec<Condition>,
    actions: Vec<Action>,
    tags: Tags,
}

impl ApiAction for CreateRule {
    type Output = Rules;
    fn from_params(p: &P) -> ApiResult<Self> {
        let listener = required(p, "ListenerArn")?.to_string();
        let priority = priority(p, "Priority")?;
        let conditions = parse_conditions(p, "Conditions")?;
        if conditions.is_empty() {
            required(p, "Conditions")?;
        }
        let actions = parse_actions(p, "Actions")?;
        if actions.is_empty() {
            required(p, "Actions")?;
        }
        no_transforms(p)?;
        Ok(CreateRule { listener, priority, conditions, actions, tags: parse_tags(p, "Tags")? })
    }

    fn apply(mut self, r: &mut Region, cx: &Ctx) -> ApiResult<Rules> {
        let (l, lb) = rule_host(r, &self.listener)?;
        check_tag_quota(&Vec::new(), &self.tags, r.quotas.elb_tags_per_resource)?;
        if r.elb().rule_at(&l.arn, self.priority).is_some() {
            return Err(ApiError::priority_in_use(self.priority));
        }
        if r.elb().lb_rule_count(&lb.arn) >= r.quotas.rules_per_application_load_balancer {
            return Err(ApiError::too_many_rules(&lb.arn));
        }
        check_rule(r, lb, l, &self.conditions, &mut self.actions, None)?;
        let listener_id = l.arn.rsplit('/').next().unwrap_or_default().to_string();
        let (lb_name, lb_id, listener_arn) = (lb.name.clone(), lb.id.clone(), l.arn.clone());
        let id = r.ids.hex16();
        let arn = r.arn("elasticloadbalancing", &format!("listener-rule/app/{lb_name}/{lb_id}/{listener_id}/{id}"));
        let rule = Rule {
            arn: arn.clone(),
            listener_arn,
            priority: self.priority,
            conditions: self.conditions,
            actions: self.actions,
            tags: self.tags,
        };
        r.elb_mut().insert_rule(rule, cx.now);
        Ok(Rules { arns: vec![arn.clone()], next: None, new: Some(arn) })
    }
}

pub struct DescribeRules {
    listener: Option<String>,
    rules: Vec<String>,
    paging: Paging,
}

impl ApiAction for DescribeRules {
    type Output = Rules;
    fn from_params(p: &P) -> ApiResult<Self> {
        let listener = p.str("ListenerArn").filter(|s| !s.is_empty()).map(String::from);
        let rules: Vec<String> = p.strings("RuleArns")?.into_iter().map(String::from).collect();
        if listener.is_none() == rules.is_empty() {
            // BC-ELB: "You must specify either a listener or rules" [unverified text].
            return Err(ApiError::validation("You must specify either a listener ARN or rule ARNs, but not both"));
        }
        Ok(DescribeRules { listener, rules, paging: Paging::parse(p)? })
    }

    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Rules> {
        let arns: Vec<String> = match &self.listener {
            // Priority order, the default rule last.
            Some(l) => {
                let l = find_listener(r, l)?;
                let mut v: Vec<String> = r.elb().listener_rules(&l.arn).map(|x| x.arn.clone()).collect();
                v.push(l.rule_arn.clone());
                v
            }
            None => {
                let mut v: Vec<String> = Vec::new();
                for a in &self.rules {
                    check_rule_arn(a)?;
                    shown(r, a).ok_or_else(ApiError::elb_rule_not_found)?;
                    if !v.contains(a) {
                        v.push(a.clone());
                    }
                }
                v
            }
        };
        let (arns, next) = self.paging.page(arns, |a| a)?;
        Ok(Rules { arns, next, new: None })
    }
}

pub struct ModifyRule {
    arn: String,
    conditions: Vec<Condition>,
    actions: Vec<Action>,
}

impl ApiAction for ModifyRule {
    type Output = Rules;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arn = required(p, "RuleArn")?.to_string();
        check_rule_arn(&arn)?;
        no_transforms(p)?;
        // ResetTransforms=true clears transforms, which a rule here never has.
        p.bool("ResetTransforms").map_err(|_| ApiError::validation("ResetTransforms must be 'true' or 'false'"))?;
        Ok(ModifyRule { arn, conditions: parse_conditions(p, "Conditions")?, actions: parse_actions(p, "Actions")? })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rules> {
        let Some(old) = r.elb().rules().get(&self.arn) else {
            if r.elb().rule_listener(&self.arn).is_some() {
                // [unverified]: the default rule follows the listener (ModifyListener).
                return Err(ApiError::default_rule_not_permitted("modified; use ModifyListener to change the default actions"));
            }
            return Err(ApiError::elb_rule_not_found());
        };
        let (l, lb) = rule_host(r, &old.listener_arn)?;
        // An empty list leaves that part as it is (BC-ELB doc).
        let conditions = if self.conditions.is_empty() { old.conditions.clone() } else { self.conditions };
        let mut actions = if self.actions.is_empty() { old.actions.clone() } else { self.actions };
        check_rule(r, lb, l, &conditions, &mut actions, Some(&self.arn))?;
        let rule = Rule { conditions, actions, ..old.clone() };
        r.elb_mut().replace_rule(rule, cx.now);
        Ok(Rules::of(vec![self.arn]))
    }
}

pub struct DeleteRule {
    arn: String,
}

impl ApiAction for DeleteRule {
    type Output = Empty;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arn = required(p, "RuleArn")?.to_string();
        check_rule_arn(&arn)?;
        Ok(DeleteRule { arn })
    }

    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Empty> {
        if r.elb().rule_listener(&self.arn).is_some() {
            return Err(ApiError::default_rule_not_permitted("deleted"));
        }
        if !r.elb().rules().contains_key(&self.arn) {
            return Err(ApiError::elb_rule_not_found());
        }
        r.elb_mut().remove_rule(&self.arn);
        Ok(Empty)
    }
}

pub struct SetRulePriorities {
    changes: Vec<(String, u32)>,
}

impl ApiAction for SetRulePriorities {
    type Output = Rules;
    fn from_params(p: &P) -> ApiResult<Self> {
        let items = p.list("RulePriorities")?;
        if items.is_empty() {
            required(p, "RulePriorities")?;
        }
        let mut changes: Vec<(String, u32)> = Vec::new();
        for it in items {
            let arn = required(&it, "RuleArn")?.to_string();
            check_rule_arn(&arn)?;
            let prio = priority(&it, "Priority")?;
            match changes.iter_mut().find(|(a, _)| *a == arn) {
                Some(slot) => slot.1 = prio,
                None => changes.push((arn, prio)),
            }
        }
        Ok(SetRulePriorities { changes })
    }

    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Rules> {
        for (arn, _) in &self.changes {
            if r.elb().rule_listener(arn).is_some() {
                return Err(ApiError::default_rule_not_permitted("given a priority"));
            }
            if !r.elb().rules().contains_key(arn) {
                return Err(ApiError::elb_rule_not_found());
            }
        }
        // The priorities each touched listener would hold afterwards must be unique.
        let moved: HashMap<&str, u32> = self.changes.iter().map(|(a, p)| (a.as_str(), *p)).collect();
        let listeners: BTreeSet<&str> =
            self.changes.iter().filter_map(|(a, _)| r.elb().rules().get(a)).map(|x| x.listener_arn.as_str()).collect();
        for l in listeners {
            let mut taken: BTreeMap<u32, &str> = BTreeMap::new();
            for rule in r.elb().listener_rules(l) {
                let p = moved.get(rule.arn.as_str()).copied().unwrap_or(rule.priority);
                if taken.insert(p, &rule.arn).is_some() {
                    return Err(ApiError::priority_in_use(p));
                }
            }
        }
        r.elb_mut().set_priorities(&self.changes);
        Ok(Rules::of(self.changes.into_iter().map(|(a, _)| a).collect()))
    }
}
