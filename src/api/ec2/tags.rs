//! CreateTags, DeleteTags, DescribeTags (aws-api.md §2.3) for every EC2 resource kind lbsim
//! keeps: VPCs, subnets, security groups and their rules, instances, network interfaces and
//! prefix lists. The kind, and DescribeTags' `resourceType`, come from the id's prefix.
//!
//! Unknown ids: an id that is not a well-formed id of one of those kinds is `InvalidID` ("The ID
//! '…' is not valid", OBS); a well-formed id that does not exist gets its kind's NotFound code
//! (`InvalidInstanceID.NotFound`, `InvalidGroup.NotFound`, …), as AWS answers CreateTags on a
//! just-deleted instance. Every id is checked before anything changes.

use std::collections::BTreeSet;

use crate::api::filters::Filters;
use crate::api::paging::page;
use crate::api::tags::{TagList, check_limit, parse_tag_keys, parse_tags};
use crate::api::{Action, Ctx, Render, ReturnTrue};
use crate::error::{ApiError, ApiResult};
use crate::state::Region;
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

/// Id prefix → DescribeTags `resourceType` (the model's `ResourceType` enum spelling).
const KINDS: &[(&str, &str)] = &[
    ("vpc", "vpc"),
    ("subnet", "subnet"),
    ("sg", "security-group"),
    ("sgr", "security-group-rule"),
    ("i", "instance"),
    ("eni", "network-interface"),
    ("pl", "prefix-list"),
];

/// The (prefix, resource type) of a well-formed id of a taggable kind.
fn kind(id: &str) -> Option<(&'static str, &'static str)> {
    KINDS.iter().find(|(p, _)| well_formed(id, p)).copied()
}

/// Checks that a taggable resource exists, with the kind's own NotFound error.
fn check_resource(r: &Region, id: &str) -> ApiResult<()> {
    let Some((prefix, _)) = kind(id) else { return Err(ApiError::invalid_id(id)) };
    let (exists, missing): (bool, fn(&str) -> ApiError) = match prefix {
        "vpc" => (r.vpcs().contains_key(id), ApiError::vpc_not_found),
        "subnet" => (r.subnets().contains_key(id), ApiError::subnet_not_found),
        "sg" => (r.sgs().contains_key(id), ApiError::sg_not_found),
        "sgr" => (r.rule_group(id).is_some(), ApiError::rule_id_not_found),
        "i" => (r.instances().contains_key(id), ApiError::instance_not_found),
        "eni" => (r.enis().contains_key(id), ApiError::eni_not_found),
        _ => (r.prefix_lists().contains_key(id), ApiError::prefix_list_not_found),
    };
    if exists { Ok(()) } else { Err(missing(id)) }
}

/// `ResourceId.N`, repeats dropped; at least one is required.
fn resource_ids(p: &P) -> ApiResult<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    for id in p.strings("ResourceId")? {
        if !ids.iter().any(|x| x == id) {
            ids.push(id.to_string());
        }
    }
    if ids.is_empty() {
        return Err(ApiError::missing("ResourceId"));
    }
    Ok(ids)
}

pub struct CreateTags {
    ids: Vec<String>,
    tags: TagList,
    dry_run: bool,
}

impl Action for CreateTags {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        let ids = resource_ids(p)?;
        let tags = parse_tags(p, "Tag")?;
        if tags.is_empty() {
            return Err(ApiError::missing("Tag"));
        }
        Ok(CreateTags { ids, tags, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        for id in &self.ids {
            check_resource(r, id)?;
            check_limit(r, id, &self.tags)?;
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        for id in &self.ids {
            r.set_tags(id, &self.tags);
        }
        Ok(ReturnTrue)
    }
}

pub struct DeleteTags {
    ids: Vec<String>,
    /// Key and optional value; empty means every user tag.
    keys: Vec<(String, Option<String>)>,
    dry_run: bool,
}

impl Action for DeleteTags {
    type Output = ReturnTrue;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DeleteTags { ids: resource_ids(p)?, keys: parse_tag_keys(p, "Tag")?, dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<ReturnTrue> {
        for id in &self.ids {
            check_resource(r, id)?;
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        for id in &self.ids {
            if self.keys.is_empty() {
                // No Tag at all: every tag except the reserved `aws:` ones.
                let keys: Vec<String> = r.tags().get(id).iter().filter(|(k, _)| !k.starts_with("aws:")).map(|(k, _)| k.clone()).collect();
                for k in keys {
                    r.remove_tag(id, &k, None);
                }
            } else {
                for (k, v) in &self.keys {
                    r.remove_tag(id, k, v.as_deref());
                }
            }
        }
        Ok(ReturnTrue)
    }
}

const TAG_FILTERS: &[&str] = &["key", "value", "resource-id", "resource-type"];

/// One DescribeTags row, with its pagination key: a resource's tag by its position.
struct Row<'a> {
    token: String,
    id: String,
    kind: &'static str,
    key: &'a str,
    at: usize,
}

/// DescribeTags' answer: (resource, resource type, position in its tags) per row.
pub struct TagRows {
    rows: Vec<(String, &'static str, usize)>,
    next: Option<String>,
}

impl Render for TagRows {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        let rows = self.rows.iter().filter_map(|(id, kind, at)| r.tags().get(id).get(*at).map(|(k, v)| (id, kind, k, v)));
        w.list("tagSet", rows, |w, (id, kind, k, v)| {
            w.leaf("resourceId", id).leaf("resourceType", kind).leaf("key", k).leaf("value", v);
        });
        w.opt("nextToken", self.next.as_ref());
    }
}

pub struct DescribeTags {
    filters: Filters,
    max: Option<i64>,
    token: Option<String>,
    dry_run: bool,
}

impl Action for DescribeTags {
    type Output = TagRows;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeTags {
            filters: Filters::parse(p, TAG_FILTERS)?,
            max: p.int("MaxResults")?,
            token: p.str("NextToken").map(String::from),
            dry_run: p.dry_run()?,
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<TagRows> {
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        // Resources to look at, narrowed by an index when a filter allows it.
        let ids: BTreeSet<String> = if let Some(ids) = self.filters.exact("resource-id") {
            ids.iter().cloned().collect()
        } else if let Some(keys) = self.filters.exact("key") {
            keys.iter().flat_map(|k| r.tags().ids_with_key(k)).collect()
        } else if let Some(found) = self.filters.tag_candidates(r.tags()) {
            found
        } else {
            r.tags().all().map(|(id, _, _)| id.to_string()).collect()
        };
        let mut rows: Vec<Row> = Vec::new();
        for id in ids {
            // Only EC2 resources of a known kind (other services keep their own tags).
            let Some((_, kind)) = kind(&id) else { continue };
            let tags = r.tags().get(&id);
            for (at, (k, v)) in tags.iter().enumerate() {
                let ok = self.filters.matches(tags, |name| match name {
                    "key" => vec![k.clone()],
                    "value" => vec![v.clone()],
                    "resource-id" => vec![id.clone()],
                    "resource-type" => vec![kind.to_string()],
                    _ => vec![],
                });
                if ok {
                    rows.push(Row { token: format!("{id}/{k}"), id: id.clone(), kind, key: k, at });
                }
            }
        }
        rows.sort_by(|a, b| (&a.id, a.key).cmp(&(&b.id, b.key)));
        let (items, next) = page(rows, |x| &x.token, self.max, self.token.as_deref(), "MaxResults", (5, 1000))?;
        Ok(TagRows { rows: items.into_iter().map(|x| (x.id, x.kind, x.at)).collect(), next })
    }
}

#[cfg(test)]
mod tests {
    use super::kind;

    #[test]
    fn kinds_come_from_prefixes() {
        assert_eq!(kind("sg-0123456789abcdef0").map(|k| k.1), Some("security-group"));
        assert_eq!(kind("sgr-0123456789abcdef0").map(|k| k.1), Some("security-group-rule"));
        assert_eq!(kind("i-1234abcd").map(|k| k.1), Some("instance"));
        assert_eq!(kind("eni-attach-0123456789abcdef0"), None);
        assert_eq!(kind("vpc-cidr-assoc-0123456789abcdef0"), None);
        assert_eq!(kind("i-eCHmOTcEW0OZ9KbNe"), None);
    }
}
