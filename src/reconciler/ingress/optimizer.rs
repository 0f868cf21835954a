//! The rule optimizer (lbc-ingress.md §4.8, `rule_optimizer.go`), kept for the old
//! `actions.ssl-redirect` idiom: redirect rules that would send a request to itself on this
//! listener are dropped, and so is every rule whose host and path conditions an earlier redirect
//! rule already covers (any other condition kind on the redirect rule means "not covered").

use std::collections::BTreeSet;

use crate::reconciler::model::alb::{RuleAction, RuleCondition};

/// A rule before priorities: conditions, actions, tags.
pub type Draft = (Vec<RuleCondition>, Vec<RuleAction>, std::collections::BTreeMap<String, String>);

fn redirect(actions: &[RuleAction]) -> Option<&RuleAction> {
    actions.iter().find(|a| matches!(a, RuleAction::Redirect { .. }))
}

fn infinite(port: i32, protocol: &str, conditions: &[RuleCondition], actions: &[RuleAction]) -> bool {
    let Some(RuleAction::Redirect { protocol: rp, port: ro, host, path, query, .. }) = redirect(actions) else { return false };
    let mut hosts = BTreeSet::new();
    let mut paths = BTreeSet::new();
    for c in conditions {
        match c.field.as_str() {
            "host-header" => hosts.extend(c.values.iter().cloned()),
            "path-pattern" if !c.regex_values.is_empty() => return false,
            "path-pattern" => paths.extend(c.values.iter().cloned()),
            _ => {}
        }
    }
    host.as_ref().is_none_or(|h| h == "#{host}" || hosts.contains(h))
        && path.as_ref().is_none_or(|p| p == "/#{path}" || paths.contains(p))
        && ro.as_ref().is_none_or(|p| p == "#{port}" || *p == port.to_string())
        && rp.as_ref().is_none_or(|p| p == "#{protocol}" || p == protocol)
        && query.as_ref().is_none_or(|q| q == "#{query}")
}

/// (hosts, paths) of a rule's host and path conditions; `None` when it has another kind.
fn host_paths(conditions: &[RuleCondition], strict: bool) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let mut hosts = BTreeSet::new();
    let mut paths = BTreeSet::new();
    for c in conditions {
        match c.field.as_str() {
            "host-header" => hosts.extend(c.values.iter().cloned()),
            "path-pattern" if !c.regex_values.is_empty() => paths.extend(c.regex_values.iter().cloned()),
            "path-pattern" => paths.extend(c.values.iter().cloned()),
            _ if strict => return None,
            _ => {}
        }
    }
    Some((hosts, paths))
}

fn covers(lhs: &[RuleCondition], rhs: &[RuleCondition]) -> bool {
    let Some((lh, lp)) = host_paths(lhs, true) else { return false };
    let (rh, rp) = host_paths(rhs, false).unwrap_or_default();
    let hosts = lh.is_empty() || (!rh.is_empty() && lh.is_superset(&rh));
    let paths = lp.is_empty() || lp.contains("/*") || (!rp.is_empty() && lp.is_superset(&rp));
    hosts && paths
}

pub fn optimize(port: i32, protocol: &str, rules: Vec<Draft>) -> Vec<Draft> {
    let kept: Vec<Draft> = rules.into_iter().filter(|(c, a, _)| !infinite(port, protocol, c, a)).collect();
    let mut out: Vec<Draft> = Vec::new();
    for r in kept {
        let shadowed = out.iter().any(|(c, a, _)| redirect(a).is_some() && covers(c, &r.0));
        if !shadowed {
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_https() -> RuleAction {
        RuleAction::Redirect {
            protocol: Some("HTTPS".into()),
            port: Some("443".into()),
            host: None,
            path: None,
            query: None,
            status_code: "HTTP_301".into(),
        }
    }

    #[test]
    fn the_ssl_redirect_idiom() {
        let all = vec![RuleCondition::values("path-pattern", vec!["/*".into()])];
        let api = vec![RuleCondition::values("path-pattern", vec!["/api".into()])];
        let fwd = RuleAction::FixedResponse { status_code: "200".into(), content_type: None, message_body: None };
        let rules = vec![(all.clone(), vec![to_https()], Default::default()), (api.clone(), vec![fwd.clone()], Default::default())];
        // On HTTP:80 the redirect stays and shadows what follows; on HTTPS:443 it would loop.
        let on80 = optimize(80, "HTTP", rules.clone());
        assert_eq!(on80.len(), 1);
        let on443 = optimize(443, "HTTPS", rules);
        assert_eq!(on443.len(), 1);
        assert_eq!(on443[0].1, vec![fwd]);
    }
}
