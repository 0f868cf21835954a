//! AddTags, RemoveTags, DescribeTags (aws-api.md §1.7.10, §2.5, ELB-TAG): tags of load
//! balancers, target groups, listeners and listener rules, up to 20 ARNs per call; a key given
//! twice is DuplicateTagKeys, more than `elbv2-tags-per-resource` user tags is TooManyTags, an
//! unknown resource answers with the not-found code of its ARN's kind. All ARNs are checked
//! before any tag changes.

use super::common::{arn_is, check_len, check_tag_quota, parse_tags, required, write_tags};
use crate::api::{Action, Ctx, Empty, Render};
use crate::error::{ApiError, ApiResult};
use crate::state::Region;
use crate::state::elbv2::Tags;
use crate::wire::{P, Xml};

/// Checks that a taggable resource exists, with the not-found error of its ARN's kind.
fn resolve(r: &Region, arn: &str) -> ApiResult<()> {
    let e = r.elb();
    let (found, missing): (bool, fn() -> ApiError) = if arn_is(arn, "loadbalancer/") {
        (e.lbs().contains_key(arn), ApiError::lb_not_found)
    } else if arn_is(arn, "targetgroup/") {
        (e.tgs().contains_key(arn), ApiError::tg_not_found)
    } else if arn_is(arn, "listener/") {
        (e.listeners().contains_key(arn), ApiError::listener_not_found)
    } else if arn_is(arn, "listener-rule/") {
        (e.rule_listener(arn).is_some() || e.rules().contains_key(arn), ApiError::elb_rule_not_found)
    } else {
        // [unverified] text.
        return Err(ApiError::validation(format!("'{arn}' is not a valid Elastic Load Balancing resource ARN")));
    };
    if found { Ok(()) } else { Err(missing()) }
}

static NO_TAGS: Tags = Vec::new();

/// DescribeTags' answer: the ARNs asked for, in request order.
pub struct TagDescriptions(Vec<String>);

impl Render for TagDescriptions {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        w.list("TagDescriptions", &self.0, |w, a| {
            w.leaf("ResourceArn", a);
            write_tags(w, r.elb().tags(a).unwrap_or(&NO_TAGS));
        });
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
        for a in &self.arns {
            resolve(r, a)?;
            check_tag_quota(r.elb().tags(a).unwrap_or(&NO_TAGS), &self.tags, r.quotas.elb_tags_per_resource)?;
        }
        for a in &self.arns {
            r.elb_mut().add_tags(a, &self.tags);
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
        for a in &self.arns {
            resolve(r, a)?;
        }
        for a in &self.arns {
            r.elb_mut().remove_tags(a, &self.keys);
        }
        Ok(Empty)
    }
}

pub struct DescribeTags {
    arns: Vec<String>,
}

impl Action for DescribeTags {
    type Output = TagDescriptions;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeTags { arns: arns(p)? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<TagDescriptions> {
        for a in &self.arns {
            resolve(r, a)?;
        }
        Ok(TagDescriptions(self.arns))
    }
}
