//! Managed prefix lists, as far as security-group rules need them (aws-api.md §2.4, §3.1):
//! CreateManagedPrefixList, DescribeManagedPrefixLists, GetManagedPrefixListEntries,
//! DeleteManagedPrefixList. A rule that references a list weighs the list's MaxEntries.

use std::collections::HashSet;

use super::sg_perms::{parse_cidr4, parse_cidr6};
use crate::api::filters::Filters;
use crate::api::paging::page;
use crate::api::tags::{TagList, check_new, tag_specs, write_tag_set};
use crate::api::{Action, Ctx, Page, Render};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::PrefixList;
use crate::wire::{P, Xml};

/// Largest MaxEntries of one list ("Maximum entries per prefix list", VPC-Q).
const MAX_ENTRIES: i64 = 1000;

fn pl_arn(r: &Region, pl: &PrefixList) -> String {
    // AWS-managed lists live in the `aws` account: arn:aws:ec2:<region>:aws:prefix-list/pl-….
    let account = if pl.aws_managed { "aws" } else { r.account.as_str() };
    format!("arn:{}:ec2:{}:{account}:prefix-list/{}", r.partition, r.name, pl.id)
}

fn write_pl(w: &mut Xml, r: &Region, pl: &PrefixList, state: &str) {
    w.leaf("prefixListId", &pl.id)
        .leaf("addressFamily", &pl.address_family)
        .leaf("state", state)
        .leaf("prefixListArn", pl_arn(r, pl))
        .leaf("prefixListName", &pl.name);
    // AWS-managed lists show no MaxEntries or Version [unverified].
    if !pl.aws_managed {
        w.int("maxEntries", pl.max_entries).int("version", pl.version);
    }
    write_tag_set(w, r.tags().get(&pl.id));
    w.leaf("ownerId", &pl.owner_id);
}

/// One prefix list in a given state: CreateManagedPrefixList's new list (by id, still being
/// created) or DeleteManagedPrefixList's removed one (moved out of the Region, being deleted).
pub enum OnePl {
    Created(String),
    Deleted(PrefixList),
}

impl Render for OnePl {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        // AWS answers while the list is still being created or deleted; describes then see it complete.
        let (pl, state) = match self {
            OnePl::Created(id) => (r.prefix_lists().get(id), "create-in-progress"),
            OnePl::Deleted(pl) => (Some(pl), "delete-in-progress"),
        };
        if let Some(pl) = pl {
            w.open("prefixList");
            write_pl(w, r, pl, state);
            w.close("prefixList");
        }
    }
    fn created(&self) -> Vec<&str> {
        match self {
            OnePl::Created(id) => vec![id],
            OnePl::Deleted(_) => Vec::new(),
        }
    }
}

/// DescribeManagedPrefixLists' answer.
pub struct Pls(Page);

impl Render for Pls {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        w.list("prefixListSet", self.0.of(r.prefix_lists()), |w, pl| write_pl(w, r, pl, "create-complete"));
        w.opt("nextToken", self.0.next.as_ref());
    }
}

/// GetManagedPrefixListEntries' answer: positions in the list's entries.
pub struct Entries {
    id: String,
    at: Vec<usize>,
    next: Option<String>,
}

impl Render for Entries {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        let entries = r.prefix_lists().get(&self.id).map(|pl| pl.entries.as_slice()).unwrap_or(&[]);
        w.list("entrySet", self.at.iter().filter_map(|i| entries.get(*i)), |w, (c, d)| {
            w.leaf("cidr", c).opt("description", d.as_ref());
        });
        w.opt("nextToken", self.next.as_ref());
    }
}

pub struct CreateManagedPrefixList {
    name: String,
    max_entries: u32,
    family: String,
    entries: Vec<(String, Option<String>)>,
    tags: TagList,
    dry_run: bool,
}

impl Action for CreateManagedPrefixList {
    type Output = OnePl;
    fn from_params(p: &P) -> ApiResult<Self> {
        let name = p.required("PrefixListName")?.to_string();
        if name.chars().count() > 255 || name.to_ascii_lowercase().starts_with("com.amazonaws") {
            // "Up to 255 characters. The name cannot start with com.amazonaws." (BC-EC2) [wording unverified].
            return Err(ApiError::invalid_value("PrefixListName", &name));
        }
        let max = p.int("MaxEntries")?.ok_or_else(|| ApiError::missing("MaxEntries"))?;
        if !(1..=MAX_ENTRIES).contains(&max) {
            return Err(ApiError::invalid_value("MaxEntries", &max.to_string()));
        }
        let family = p.required("AddressFamily")?.to_string();
        if family != "IPv4" && family != "IPv6" {
            return Err(ApiError::invalid_value("AddressFamily", &family));
        }
        let mut entries: Vec<(String, Option<String>)> = Vec::new();
        for e in p.list("Entry")? {
            let raw = e.required("Cidr")?;
            let cidr = if family == "IPv4" { parse_cidr4(raw)?.to_string() } else { parse_cidr6(raw)?.to_string() };
            let d = e.str("Description").filter(|d| !d.is_empty()).map(String::from);
            if d.as_ref().is_some_and(|d| d.chars().count() > 255) {
                return Err(ApiError::invalid_value("Description", d.as_deref().unwrap_or("")));
            }
            if entries.iter().any(|(c, _)| *c == cidr) {
                // [unverified] wording.
                return Err(ApiError::invalid(format!("The CIDR {cidr} is specified more than once in the request")));
            }
            entries.push((cidr, d));
        }
        if entries.len() as i64 > max {
            // [unverified] wording.
            return Err(ApiError::invalid(format!(
                "The number of entries ({}) exceeds the maximum number of entries ({max})",
                entries.len()
            )));
        }
        Ok(CreateManagedPrefixList {
            name,
            max_entries: max as u32,
            family,
            entries,
            tags: tag_specs(p, "prefix-list")?,
            dry_run: p.dry_run()?,
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<OnePl> {
        check_new(r, &self.tags)?;
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let id = r.ids.ec2("pl");
        let owner = r.account.clone();
        r.insert_prefix_list(PrefixList {
            id: id.clone(),
            name: self.name,
            address_family: self.family,
            max_entries: self.max_entries,
            entries: self.entries,
            aws_managed: false,
            owner_id: owner,
            version: 1,
        });
        r.set_tags(&id, &self.tags);
        Ok(OnePl::Created(id))
    }
}

pub const PL_FILTERS: &[&str] = &["owner-id", "prefix-list-id", "prefix-list-name"];

pub struct DescribeManagedPrefixLists {
    ids: Vec<String>,
    filters: Filters,
    max: Option<i64>,
    token: Option<String>,
}

impl Action for DescribeManagedPrefixLists {
    type Output = Pls;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeManagedPrefixLists {
            ids: p.strings("PrefixListId")?.into_iter().map(String::from).collect(),
            filters: Filters::parse(p, "DescribeManagedPrefixLists", PL_FILTERS)?,
            max: p.int("MaxResults")?,
            token: p.str("NextToken").map(String::from),
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Pls> {
        for id in &self.ids {
            r.prefix_list(id)?;
        }
        let wanted: HashSet<&str> = self.ids.iter().map(String::as_str).collect();
        let matched: Vec<(usize, &PrefixList)> = r
            .prefix_lists()
            .values()
            .enumerate()
            .filter(|(_, pl)| wanted.is_empty() || wanted.contains(pl.id.as_str()))
            .filter(|(_, pl)| {
                self.filters.matches(r.tags().get(&pl.id), |name| match name {
                    "owner-id" => vec![pl.owner_id.clone()],
                    "prefix-list-id" => vec![pl.id.clone()],
                    "prefix-list-name" => vec![pl.name.clone()],
                    _ => vec![],
                })
            })
            .collect();
        let (items, next) = page(matched, |(_, pl)| &pl.id, self.max, self.token.as_deref(), "MaxResults", (1, 100))?;
        Ok(Pls(Page::new(items, next)))
    }
}

pub struct GetManagedPrefixListEntries {
    id: String,
    target_version: Option<i64>,
    max: Option<i64>,
    token: Option<String>,
}

impl Action for GetManagedPrefixListEntries {
    type Output = Entries;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(GetManagedPrefixListEntries {
            id: p.required("PrefixListId")?.to_string(),
            target_version: p.int("TargetVersion")?,
            max: p.int("MaxResults")?,
            token: p.str("NextToken").map(String::from),
        })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Entries> {
        let pl = r.prefix_list(&self.id)?;
        // Only the current version is kept, so only it can be asked for [unverified wording].
        if let Some(v) = self.target_version
            && v != pl.version as i64
        {
            return Err(ApiError::invalid_value("TargetVersion", &v.to_string()));
        }
        let entries: Vec<(usize, &(String, Option<String>))> = pl.entries.iter().enumerate().collect();
        let (items, next) = page(entries, |(_, (c, _))| c, self.max, self.token.as_deref(), "MaxResults", (1, 100))?;
        Ok(Entries { id: self.id, at: items.into_iter().map(|(i, _)| i).collect(), next })
    }
}

pub struct DeleteManagedPrefixList {
    id: String,
    dry_run: bool,
}

impl Action for DeleteManagedPrefixList {
    type Output = OnePl;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DeleteManagedPrefixList { id: p.required("PrefixListId")?.to_string(), dry_run: p.dry_run()? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<OnePl> {
        let pl = r.prefix_list(&self.id)?;
        if pl.aws_managed {
            // [unverified] code and wording.
            return Err(ApiError::invalid(format!("The prefix list {} is managed by AWS and cannot be deleted.", pl.id)));
        }
        // "You must first remove all references to the prefix list" (BC-EC2) [code unverified].
        if r.prefix_list_in_use(&pl.id) {
            return Err(ApiError::new(ErrorCode::DependencyViolation, format!("resource {} has a dependent object", pl.id)));
        }
        if self.dry_run {
            return Err(ApiError::dry_run());
        }
        let Some(pl) = r.remove_prefix_list(&self.id) else { return Err(ApiError::internal()) };
        Ok(OnePl::Deleted(pl))
    }
}
