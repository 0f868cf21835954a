//! AddTags, RemoveTags, DescribeTags (aws-api.md §1.7.10, §2.5, ELB-TAG): tags of load
//! balancers, target groups, listeners and listener rules, up to 20 ARNs per call; a key given
//! twice is DuplicateTagKeys, more than `elbv2-tags-per-resource` user tags is TooManyTags, an
//! unknown resource answers with the not-found code of its ARN's kind. All ARNs are checked
//! before any tag changes.

use super::common::{arn_is, check_len, check_tag_quota, merge_tags, parse_tags, required, write_tags};
use crate::api::{Action, Ctx, Empty, Rendered};
use crate::error::{ApiError, ApiResult};
use crate::state::Region;
use crate::state::elbv2::Tags;
use crate::wire::P;

/// A taggable resource, found by ARN.
#[derive(Clone, Copy)]
enum Kind {
    Lb,
    Tg,
    Listener,
    Rule,
}

fn resolve(r: &Region, arn: &str) -> ApiResult<Kind> {
    let (kind, found, missing): (Kind, bool, fn() -> ApiError) = if arn_is(arn, "loadbalancer/") {
        (Kind::Lb, r.elb.lbs.contains_key(arn), ApiError::lb_not_found)
    } else if arn_is(arn, "targetgroup/") {
        (Kind::Tg, r.elb.tgs.contains_key(arn), ApiError::tg_not_found)
    } else if arn_is(arn, "listener/") {
        (Kind::Listener, r.elb.listeners.contains_key(arn), ApiError::listener_not_found)
    } else if arn_is(arn, "listener-rule/") {
        (Kind::Rule, r.elb.rule_listener.contains_key(arn) || r.elb.rules.contains_key(arn), ApiError::elb_rule_not_found)
    } else {
        // [unverified] text.
        return Err(ApiError::validation(format!("'{arn}' is not a valid Elastic Load Balancing resource ARN")));
    };
    if found { Ok(kind) } else { Err(missing()) }
}

fn tags_of<'r>(r: &'r Region, arn: &str, kind: Kind) -> &'r Tags {
    static NONE: Tags = Vec::new();
    match kind {
        Kind::Lb => r.elb.lbs.get(arn).map(|x| &x.tags),
        Kind::Tg => r.elb.tgs.get(arn).map(|x| &x.tags),
        Kind::Listener => r.elb.listeners.get(arn).map(|x| &x.tags),
        Kind::Rule => match r.elb.rules.get(arn) {
            Some(rule) => Some(&rule.tags),
            None => r.elb.rule_listener.get(arn).and_then(|l| r.elb.listeners.get(l)).map(|x| &x.rule_tags),
        },
    }
    .unwrap_or(&NONE)
}

fn tags_mut<'r>(r: &'r mut Region, arn: &str, kind: Kind) -> Option<&'r mut Tags> {
    match kind {
        Kind::Lb => r.elb.lbs.get_mut(arn).map(|x| &mut x.tags),
        Kind::Tg => r.elb.tgs.get_mut(arn).map(|x| &mut x.tags),
        Kind::Listener => r.elb.listeners.get_mut(arn).map(|x| &mut x.tags),
        Kind::Rule => {
            if r.elb.rules.contains_key(arn) {
                return r.elb.rules.get_mut(arn).map(|x| &mut x.tags);
            }
            let l = r.elb.rule_listener.get(arn)?.clone();
            r.elb.listeners.get_mut(&l).map(|x| &mut x.rule_tags)
        }
    }
}

fn arns(p: &P) -> ApiResult<Vec<String>> {
    let v: Vec<String> = p.strings("ResourceArns")?.into_iter().map(String::from).collect();
    if v.is_empty() {
        required(p, "ResourceArns")?;
    }
    check_len(&v, "ResourceArns", 20)?;
    Ok(v)
}

pub struct AddTags {
    arns: Vec<String>,
    tags: Tags,
}

impl Action for AddTags {
    type Output = Empty;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arns = arns(p)?;
        let tags = parse_tags(p, "Tags")?;
        if tags.is_empty() {
            required(p, "Tags")?;
        }
        Ok(AddTags { arns, tags })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Empty> {
        let mut found = Vec::new();
        for a in &self.arns {
            let kind = resolve(r, a)?;
            check_tag_quota(tags_of(r, a, kind), &self.tags, r.quotas.elb_tags_per_resource)?;
            found.push((a.clone(), kind));
        }
        for (a, kind) in found {
            if let Some(t) = tags_mut(r, &a, kind) {
                merge_tags(t, &self.tags);
            }
        }
        Ok(Empty)
    }
}

pub struct RemoveTags {
    arns: Vec<String>,
    keys: Vec<String>,
}

impl Action for RemoveTags {
    type Output = Empty;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arns = arns(p)?;
        let keys: Vec<String> = p.strings("TagKeys")?.into_iter().map(String::from).collect();
        if keys.is_empty() {
            required(p, "TagKeys")?;
        }
        Ok(RemoveTags { arns, keys })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Empty> {
        let mut found = Vec::new();
        for a in &self.arns {
            found.push((a.clone(), resolve(r, a)?));
        }
        for (a, kind) in found {
            if let Some(t) = tags_mut(r, &a, kind) {
                t.retain(|(k, _)| !self.keys.contains(k));
            }
        }
        Ok(Empty)
    }
}

pub struct DescribeTags {
    arns: Vec<String>,
}

impl Action for DescribeTags {
    type Output = Rendered;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeTags { arns: arns(p)? })
    }
    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rendered> {
        let mut rows = Vec::new();
        for a in &self.arns {
            let kind = resolve(r, a)?;
            rows.push((a, tags_of(r, a, kind)));
        }
        Ok(Rendered::with(cx, |w| {
            w.list("TagDescriptions", rows, |w, (a, t)| {
                w.leaf("ResourceArn", a);
                write_tags(w, t);
            });
        }))
    }
}
