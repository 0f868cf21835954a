//! The listener-rule diff (lbc-ingress.md §5.4), pure: which existing rules of a listener the
//! desired ones keep, move, modify, replace or delete, with the controller's equality
//! (`pkg/equality/elbv2`): conditions sorted by field and compared on their `*Config` values in
//! order; actions sorted by `Order`, target groups sorted by ARN, a lone target group's weight
//! ignored, stickiness ignored when the model leaves it unset, unset redirect parts read as
//! `#{host}`, `/#{path}`, `#{port}`, `#{protocol}`, `#{query}`.
//!
//! Two algorithms, by profile: v2.12.0+ first matches rules by settings (same conditions and
//! actions: kept, or moved with one SetRulePriorities), then pairs the rest by priority
//! (ModifyRule), creates and deletes the remainder; 2.6.0 pairs by priority only.
//! Every value here has its target groups already resolved to ARNs.

use super::model::alb::{RuleAction, RuleCondition, TgRef};

/// A rule as the diff sees it: priority, conditions, actions.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleView {
    pub priority: i32,
    pub conditions: Vec<RuleCondition>,
    pub actions: Vec<RuleAction>,
}

/// An existing rule (never the default rule).
#[derive(Debug, Clone, PartialEq)]
pub struct Existing {
    pub arn: String,
    pub rule: RuleView,
}

/// What to do, in the order the synthesizer does it. Indexes point into the desired rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// One SetRulePriorities call: rules to be deleted go to 50000, 49999, … (highest old
    /// priority highest), rules matched by settings to their desired priority.
    pub set_priorities: Vec<(String, i32)>,
    /// ModifyRule: (existing rule, desired rule) paired by priority whose settings differ.
    pub modify: Vec<(String, usize)>,
    /// CreateRule, lowest priority first.
    pub create: Vec<usize>,
    /// DeleteRule, lowest old priority first.
    pub delete: Vec<String>,
    /// Rules whose tags are reconciled afterwards: (existing rule, desired rule).
    pub matched: Vec<(String, usize)>,
}

fn sorted_conditions(c: &[RuleCondition]) -> Vec<RuleCondition> {
    let mut v = c.to_vec();
    v.sort_by(|a, b| a.field.cmp(&b.field));
    v
}

pub fn conditions_equal(desired: &[RuleCondition], have: &[RuleCondition]) -> bool {
    sorted_conditions(desired) == sorted_conditions(have)
}

fn arn(t: &TgRef) -> &str {
    match t {
        TgRef::Arn(a) | TgRef::Resource(a) => a,
    }
}

fn placeholder(v: &Option<String>, p: &str) -> String {
    v.clone().unwrap_or_else(|| p.to_string())
}

fn action_equal(desired: &RuleAction, have: &RuleAction) -> bool {
    match (desired, have) {
        (RuleAction::Forward { target_groups: dt, stickiness: ds }, RuleAction::Forward { target_groups: ht, stickiness: hs }) => {
            let norm = |t: &[(TgRef, Option<i32>)]| {
                let mut v: Vec<(String, Option<i32>)> = t.iter().map(|(r, w)| (arn(r).to_string(), *w)).collect();
                v.sort();
                if v.len() == 1 {
                    v[0].1 = None;
                }
                v
            };
            norm(dt) == norm(ht) && (ds.is_none() || ds == hs)
        }
        (
            RuleAction::Redirect { protocol, port, host, path, query, status_code },
            RuleAction::Redirect { protocol: p2, port: o2, host: h2, path: a2, query: q2, status_code: s2 },
        ) => {
            let n = |pr: &Option<String>, po: &Option<String>, h: &Option<String>, pa: &Option<String>, q: &Option<String>| {
                (
                    placeholder(pr, "#{protocol}"),
                    placeholder(po, "#{port}"),
                    placeholder(h, "#{host}"),
                    placeholder(pa, "/#{path}"),
                    placeholder(q, "#{query}"),
                )
            };
            n(protocol, port, host, path, query) == n(p2, o2, h2, a2, q2) && status_code == s2
        }
        (a @ RuleAction::FixedResponse { .. }, b @ RuleAction::FixedResponse { .. }) => a == b,
        _ => false,
    }
}

/// Actions in `Order` (the desired ones are numbered 1, 2 … as sent; AWS returns them sorted).
pub fn actions_equal(desired: &[RuleAction], have: &[RuleAction]) -> bool {
    desired.len() == have.len() && desired.iter().zip(have).all(|(d, h)| action_equal(d, h))
}

fn same_settings(d: &RuleView, h: &RuleView) -> bool {
    conditions_equal(&d.conditions, &h.conditions) && actions_equal(&d.actions, &h.actions)
}

/// The plan for one listener.
pub fn plan(desired: &[RuleView], existing: &[Existing], by_settings: bool) -> Plan {
    let mut out = Plan::default();
    let mut unmatched_existing: Vec<&Existing> = existing.iter().collect();
    let mut unmatched_desired: Vec<usize> = Vec::new();
    let mut moved: Vec<(String, i32)> = Vec::new();
    if by_settings {
        for (i, d) in desired.iter().enumerate() {
            match unmatched_existing.iter().position(|e| same_settings(d, &e.rule)) {
                Some(j) => {
                    let e = unmatched_existing.remove(j);
                    if e.rule.priority != d.priority {
                        moved.push((e.arn.clone(), d.priority));
                    }
                    out.matched.push((e.arn.clone(), i));
                }
                None => unmatched_desired.push(i),
            }
        }
    } else {
        unmatched_desired = (0..desired.len()).collect();
    }
    // The rest pair by priority.
    let mut create: Vec<usize> = Vec::new();
    for i in unmatched_desired {
        let d = &desired[i];
        match unmatched_existing.iter().position(|e| e.rule.priority == d.priority) {
            Some(j) => {
                let e = unmatched_existing.remove(j);
                if !same_settings(d, &e.rule) {
                    out.modify.push((e.arn.clone(), i));
                }
                out.matched.push((e.arn.clone(), i));
            }
            None => create.push(i),
        }
    }
    create.sort_by_key(|i| desired[*i].priority);
    out.create = create;
    let mut delete: Vec<&Existing> = unmatched_existing;
    delete.sort_by_key(|e| e.rule.priority);
    out.modify.sort_by_key(|(_, i)| desired[*i].priority);
    if !moved.is_empty() {
        // Deleted rules move out of the way first, keeping their relative order.
        for (k, e) in delete.iter().rev().enumerate() {
            out.set_priorities.push((e.arn.clone(), 50000 - k as i32));
        }
        out.set_priorities.extend(moved);
    }
    out.delete = delete.iter().map(|e| e.arn.clone()).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(p: i32, path: &str) -> RuleView {
        RuleView {
            priority: p,
            conditions: vec![RuleCondition::values("path-pattern", vec![path.into()])],
            actions: vec![RuleAction::Forward { target_groups: vec![(TgRef::Arn(format!("tg{path}")), None)], stickiness: None }],
        }
    }

    fn have(arn: &str, p: i32, path: &str) -> Existing {
        Existing { arn: arn.into(), rule: rule(p, path) }
    }

    // The worked examples of lbc-ingress.md §5.4.
    #[test]
    fn insert_first_moves_the_others_with_one_call() {
        let existing = [have("A", 1, "/a"), have("B", 2, "/b")];
        let desired = [rule(1, "/c"), rule(2, "/a"), rule(3, "/b")];
        let p = plan(&desired, &existing, true);
        assert_eq!(p.set_priorities, [("A".to_string(), 2), ("B".to_string(), 3)]);
        assert_eq!(p.create, [0]);
        assert!(p.modify.is_empty() && p.delete.is_empty());
        // 2.6.0 rewrites every rule below the insert.
        let old = plan(&desired, &existing, false);
        assert!(old.set_priorities.is_empty());
        assert_eq!(old.modify, [("A".to_string(), 0), ("B".to_string(), 1)]);
        assert_eq!(old.create, [2]);
    }

    #[test]
    fn removing_the_first_parks_it_at_50000() {
        let existing = [have("A", 1, "/a"), have("B", 2, "/b")];
        let p = plan(&[rule(1, "/b")], &existing, true);
        assert_eq!(p.set_priorities, [("A".to_string(), 50000), ("B".to_string(), 1)]);
        assert_eq!(p.delete, ["A"]);
        assert!(p.create.is_empty());
    }

    #[test]
    fn unchanged_rules_need_nothing_and_changes_pair_by_priority() {
        let existing = [have("A", 1, "/a"), have("B", 2, "/b")];
        let p = plan(&[rule(1, "/a"), rule(2, "/b")], &existing, true);
        assert_eq!(p, Plan { matched: vec![("A".into(), 0), ("B".into(), 1)], ..Plan::default() });
        let p = plan(&[rule(1, "/a"), rule(2, "/x")], &existing, true);
        assert_eq!(p.modify, [("B".to_string(), 1)]);
    }

    #[test]
    fn equality_follows_the_controllers_options() {
        let d = [RuleAction::Redirect {
            protocol: Some("HTTPS".into()),
            port: Some("443".into()),
            host: None,
            path: None,
            query: None,
            status_code: "HTTP_301".into(),
        }];
        let h = [RuleAction::Redirect {
            protocol: Some("HTTPS".into()),
            port: Some("443".into()),
            host: Some("#{host}".into()),
            path: Some("/#{path}".into()),
            query: Some("#{query}".into()),
            status_code: "HTTP_301".into(),
        }];
        assert!(actions_equal(&d, &h), "unset redirect parts read back as placeholders");
        let fwd = |w: Option<i32>, s| RuleAction::Forward { target_groups: vec![(TgRef::Arn("t".into()), w)], stickiness: s };
        assert!(actions_equal(&[fwd(None, None)], &[fwd(Some(1), Some((false, None)))]));
        assert!(!actions_equal(&[fwd(None, Some((true, Some(60))))], &[fwd(None, Some((false, None)))]));
        let c = |f: &str, v: &str| RuleCondition::values(f, vec![v.into()]);
        assert!(conditions_equal(&[c("path-pattern", "/a"), c("host-header", "h")], &[c("host-header", "h"), c("path-pattern", "/a")]));
    }
}
