//! EC2 tag input shared by every action: `TagSpecification.N` on creates and `Tag.N` on
//! CreateTags/DeleteTags, with AWS's key/value rules and the per-resource tag quota.

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::wire::{P, Xml};

pub type TagList = Vec<(String, String)>;

/// Reads `Tag.N.{Key,Value}`; a missing Value is "" (aws-api.md §2.3).
pub fn parse_tags(p: &P, list: &str) -> ApiResult<TagList> {
    let mut out: TagList = Vec::new();
    for t in p.list(list)? {
        let key = t.str("Key").ok_or_else(|| ApiError::missing(&t.path("Key")))?.to_string();
        let value = t.str("Value").unwrap_or("").to_string();
        if key.is_empty() || key.chars().count() > 128 {
            return Err(ApiError::invalid(format!("Tag key '{key}' must be between 1 and 128 characters long")));
        }
        if value.chars().count() > 256 {
            return Err(ApiError::invalid(format!("Tag value for key '{key}' exceeds the maximum length of 256 characters")));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::invalid("Tag keys starting with 'aws:' are reserved for internal use"));
        }
        // A key repeated in one request keeps its last value.
        if let Some(slot) = out.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            out.push((key, value));
        }
    }
    Ok(out)
}

/// Reads `TagSpecification.N` and returns the tags for `resource_type`. Any other type is
/// refused with moto's wording (aws-api.md §2.3 [unverified]).
pub fn tag_specs(p: &P, resource_type: &str) -> ApiResult<TagList> {
    let mut out = TagList::new();
    for spec in p.list("TagSpecification")? {
        let rt = spec.str("ResourceType").unwrap_or("");
        if rt != resource_type {
            return Err(ApiError::invalid(format!("'{rt}' is not a valid taggable resource type for this operation.")));
        }
        for (k, v) in parse_tags(&spec, "Tag")? {
            if let Some(slot) = out.iter_mut().find(|(x, _)| *x == k) {
                slot.1 = v;
            } else {
                out.push((k, v));
            }
        }
    }
    Ok(out)
}

/// Reads `TagSpecification.N` for an action that tags several kinds of resource at once
/// (RunInstances: `instance`, `network-interface`, `volume`). Returns the tags per allowed type,
/// in `types` order; other types are refused as `tag_specs` refuses them.
pub fn tag_specs_for(p: &P, types: &[&str]) -> ApiResult<Vec<TagList>> {
    let mut out: Vec<TagList> = vec![TagList::new(); types.len()];
    for spec in p.list("TagSpecification")? {
        let rt = spec.str("ResourceType").unwrap_or("");
        let Some(i) = types.iter().position(|t| *t == rt) else {
            return Err(ApiError::invalid(format!("'{rt}' is not a valid taggable resource type for this operation.")));
        };
        for (k, v) in parse_tags(&spec, "Tag")? {
            if let Some(slot) = out[i].iter_mut().find(|(x, _)| *x == k) {
                slot.1 = v;
            } else {
                out[i].push((k, v));
            }
        }
    }
    Ok(out)
}

/// Reads DeleteTags' `Tag.N`: a key with an optional value, where an absent `Value` (delete
/// whatever the value) differs from `Value=` (delete only an empty value) (aws-api.md §2.3).
pub fn parse_tag_keys(p: &P, list: &str) -> ApiResult<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    for t in p.list(list)? {
        let key = t.str("Key").ok_or_else(|| ApiError::missing(&t.path("Key")))?.to_string();
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::invalid("Tag keys starting with 'aws:' are reserved for internal use"));
        }
        out.push((key, t.str("Value").map(String::from)));
    }
    Ok(out)
}

/// `TagLimitExceeded` if adding `new` to `id` would pass the quota.
pub fn check_limit(r: &Region, id: &str, new: &[(String, String)]) -> ApiResult<()> {
    if r.tags().count_after(id, new) as u64 > r.quotas.tags_per_resource {
        return Err(ApiError::tag_limit());
    }
    Ok(())
}

/// Checks a new resource's tags against the quota.
pub fn check_new(r: &Region, new: &[(String, String)]) -> ApiResult<()> {
    if new.iter().filter(|(k, _)| !k.starts_with("aws:")).count() as u64 > r.quotas.tags_per_resource {
        return Err(ApiError::new(ErrorCode::TagLimitExceeded, "The maximum number of Tags for a resource has been reached."));
    }
    Ok(())
}

/// `<tagSet><item><key/><value/></item></tagSet>`.
pub fn write_tag_set(w: &mut Xml, tags: &[(String, String)]) {
    w.list("tagSet", tags, |w, (k, v)| {
        w.leaf("key", k).leaf("value", v);
    });
}
