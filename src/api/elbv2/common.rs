//! Helpers every ELBv2 action shares (aws-api.md §2.5, §2.7): ARN lookups with AWS's not-found
//! answers, resource-name rules, required members and enums in AWS's "1 validation error
//! detected" wording, Marker/PageSize paging, `Tags.member.N` input and the Key/Value writers.

use crate::api::paging;
use crate::error::{ApiError, ApiResult};
use crate::state::Region;
use crate::state::elbv2::{Listener, LoadBalancer, Tags, TargetGroup};
use crate::wire::{P, Xml};

/// A member name as AWS spells it in validation messages (`LoadBalancerArn` → `loadBalancerArn`).
pub fn member_path(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A required string member; absent or empty → AWS's "must not be null" ValidationError.
pub fn required<'a>(p: &P<'a>, name: &str) -> ApiResult<&'a str> {
    match p.str(name) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ApiError::validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            member_path(name)
        ))),
    }
}

/// An optional enum member checked against the model's value set.
pub fn enum_member<'a>(p: &P<'a>, name: &str, allowed: &[&str]) -> ApiResult<Option<&'a str>> {
    match p.str(name) {
        None => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v)),
        Some(v) => {
            Err(ApiError::constraint(v, &member_path(name), &format!("Member must satisfy enum value set: [{}]", allowed.join(", "))))
        }
    }
}

/// An optional integer member within the model's range.
pub fn int_in(p: &P, name: &str, min: i64, max: i64) -> ApiResult<Option<i64>> {
    let Some(v) =
        p.int(name).map_err(|_| ApiError::constraint(p.str(name).unwrap_or(""), &member_path(name), "Member must be an integer"))?
    else {
        return Ok(None);
    };
    if v < min {
        return Err(ApiError::constraint(
            &v.to_string(),
            &member_path(name),
            &format!("Member must have value greater than or equal to {min}"),
        ));
    }
    if v > max {
        return Err(ApiError::constraint(
            &v.to_string(),
            &member_path(name),
            &format!("Member must have value less than or equal to {max}"),
        ));
    }
    Ok(Some(v))
}

/// A list member capped at `max` items (ResourceArns ≤ 20, Attributes ≤ 20).
pub fn check_len<T>(items: &[T], name: &str, max: usize) -> ApiResult<()> {
    if items.len() > max {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length less than or equal to {max}",
            member_path(name)
        )));
    }
    Ok(())
}

/// `arn:<partition>:elasticloadbalancing:<region>:<account>:<resource>` whose resource starts
/// with `kind` (`loadbalancer/`, `targetgroup/`, `listener/`, `listener-rule/`).
pub fn arn_is(arn: &str, kind: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6 && parts[0] == "arn" && parts[2] == "elasticloadbalancing" && parts[5].starts_with(kind)
}

pub fn find_lb<'r>(r: &'r Region, arn: &str) -> ApiResult<&'r LoadBalancer> {
    if !arn_is(arn, "loadbalancer/") {
        return Err(ApiError::bad_elb_arn(arn, "load balancer"));
    }
    r.elb().lbs().get(arn).ok_or_else(ApiError::lb_not_found)
}

pub fn find_tg<'r>(r: &'r Region, arn: &str) -> ApiResult<&'r TargetGroup> {
    if !arn_is(arn, "targetgroup/") {
        return Err(ApiError::bad_elb_arn(arn, "target group"));
    }
    r.elb().tgs().get(arn).ok_or_else(ApiError::tg_not_found)
}

pub fn find_listener<'r>(r: &'r Region, arn: &str) -> ApiResult<&'r Listener> {
    if !arn_is(arn, "listener/") {
        return Err(ApiError::bad_elb_arn(arn, "listener"));
    }
    r.elb().listeners().get(arn).ok_or_else(ApiError::listener_not_found)
}

/// Which resource a name rule is for; the two families word their messages differently.
#[derive(Clone, Copy)]
pub enum NameOf {
    LoadBalancer,
    TargetGroup,
}

/// Name rules (BC-ELB doc): ≤ 32 characters, alphanumerics and hyphens, no leading or trailing
/// hyphen; load-balancer names must not start with `internal-`.
pub fn check_name(name: &str, of: NameOf) -> ApiResult<()> {
    let (long, chars, hyphen) = match of {
        NameOf::LoadBalancer => (
            format!("The load balancer name '{name}' cannot be longer than '32' characters"),
            format!("The load balancer name '{name}' can only contain characters that are alphanumeric characters and hyphens(-)"),
            // [unverified]
            format!("The load balancer name '{name}' cannot begin or end with a hyphen(-)"),
        ),
        NameOf::TargetGroup => (
            format!("Target group name '{name}' cannot be longer than '32' characters"),
            format!("Target group name '{name}' can only contain characters that are alphanumeric characters or hyphens(-)"),
            format!("Target group name '{name}' cannot begin or end with '-'"),
        ),
    };
    if name.chars().count() > 32 {
        return Err(ApiError::validation(long));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(ApiError::validation(chars));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(ApiError::validation(hyphen));
    }
    if matches!(of, NameOf::LoadBalancer) && name.to_ascii_lowercase().starts_with("internal-") {
        // [unverified] text; the rule is BC-ELB's.
        return Err(ApiError::validation(format!("The load balancer name '{name}' cannot begin with 'internal-'")));
    }
    Ok(())
}

/// `Marker` and `PageSize` (1–400) of a Describe call.
pub struct Paging {
    pub size: Option<i64>,
    pub marker: Option<String>,
}

impl Paging {
    pub fn parse(p: &P) -> ApiResult<Paging> {
        Ok(Paging { size: int_in(p, "PageSize", 1, 400)?, marker: p.str("Marker").map(String::from) })
    }

    /// One page and the marker of the next (the id of its first item).
    pub fn page<T>(&self, items: Vec<T>, id: impl Fn(&T) -> &str) -> ApiResult<(Vec<T>, Option<String>)> {
        paging::page(items, id, self.size, self.marker.as_deref(), "PageSize", (1, 400))
            // [unverified] text for a marker lbsim did not hand out.
            .map_err(|_| ApiError::validation(format!("The marker '{}' is not valid", self.marker.as_deref().unwrap_or(""))))
    }
}

fn tag_chars_ok(s: &str) -> bool {
    // BC-ELB pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$
    s.chars().all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

const TAG_PATTERN: &str = r"Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$";

/// Reads `Tags.member.N.{Key,Value}` with the model's limits. A key given twice in one request
/// is `DuplicateTagKeys` (aws-api.md §2.5); `aws:` keys are reserved (ELB-TAG).
pub fn parse_tags(p: &P, list: &str) -> ApiResult<Tags> {
    let mut out: Tags = Vec::new();
    for (i, t) in p.list(list)?.into_iter().enumerate() {
        let at = |m: &str| format!("{}.{}.member.{m}", member_path(list), i + 1);
        let key = t.str("Key").ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                at("key")
            ))
        })?;
        let value = t.str("Value").unwrap_or("");
        if key.is_empty() || key.chars().count() > 128 {
            return Err(ApiError::constraint(key, &at("key"), "Member must have length between 1 and 128"));
        }
        if !tag_chars_ok(key) {
            return Err(ApiError::constraint(key, &at("key"), TAG_PATTERN));
        }
        if value.chars().count() > 256 {
            return Err(ApiError::constraint(value, &at("value"), "Member must have length less than or equal to 256"));
        }
        if !tag_chars_ok(value) {
            return Err(ApiError::constraint(value, &at("value"), TAG_PATTERN));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            // [unverified] text.
            return Err(ApiError::validation(format!("Tag key '{key}' is reserved: keys starting with 'aws:' are for AWS use")));
        }
        if out.iter().any(|(k, _)| k == key) {
            return Err(ApiError::duplicate_tag_keys());
        }
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

/// `TooManyTags` when `existing` plus `new` would hold more user keys than the quota.
pub fn check_tag_quota(existing: &Tags, new: &Tags, max: u64) -> ApiResult<()> {
    let added = new.iter().filter(|(k, _)| !k.starts_with("aws:") && !existing.iter().any(|(e, _)| e == k)).count();
    let count = existing.iter().filter(|(k, _)| !k.starts_with("aws:")).count() + added;
    if count as u64 > max {
        return Err(ApiError::too_many_elb_tags());
    }
    Ok(())
}

pub fn write_tags(w: &mut Xml, tags: &Tags) {
    w.list("Tags", tags, |w, (k, v)| {
        w.leaf("Key", k).leaf("Value", v);
    });
}

pub fn write_attributes<'a>(w: &mut Xml, attrs: impl IntoIterator<Item = (&'a String, &'a String)>) {
    w.list("Attributes", attrs, |w, (k, v)| {
        w.leaf("Key", k).leaf("Value", v);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_model_rules() {
        assert!(check_name("my-nlb-1", NameOf::LoadBalancer).is_ok());
        assert!(check_name(&"a".repeat(33), NameOf::LoadBalancer).unwrap_err().message.contains("cannot be longer than '32'"));
        assert!(check_name("a_b", NameOf::TargetGroup).unwrap_err().message.contains("alphanumeric characters or hyphens"));
        assert!(check_name("-a", NameOf::TargetGroup).is_err());
        assert!(check_name("internal-x", NameOf::LoadBalancer).is_err());
        assert!(check_name("internal-x", NameOf::TargetGroup).is_ok());
    }

    #[test]
    fn arns_are_recognised_by_resource_kind() {
        let lb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/a/0123456789abcdef";
        assert!(arn_is(lb, "loadbalancer/"));
        assert!(!arn_is(lb, "targetgroup/"));
        assert!(!arn_is("nope", "loadbalancer/"));
        assert_eq!(member_path("LoadBalancerArn"), "loadBalancerArn");
    }

    #[test]
    fn tag_quota_counts_new_keys_only() {
        let have: Tags = vec![("a".into(), "1".into()), ("b".into(), "2".into())];
        assert!(check_tag_quota(&have, &vec![("a".into(), "x".into())], 2).is_ok());
        assert_eq!(check_tag_quota(&have, &vec![("c".into(), "x".into())], 2).unwrap_err().code, crate::error::ErrorCode::TooManyTags);
    }
}
