//! `Filter.N.Name` / `Filter.N.Value.M` for EC2 Describe* calls: parsing, name checking, and
//! matching (values OR'ed within a filter, filters AND'ed, `*` and `?` wildcards as AWS allows).
//! Each resource gives its filterable fields through one closure, never one method per filter.
//!
//! Indexes only narrow: every candidate is checked against every filter again (`matches`), so a
//! describe takes the *smallest* index answer ([`Narrowest`]) instead of intersecting sets of
//! cloned ids — its cost follows the matches of its most selective filter, not the population.
//!
//! Names are checked against the action's list; an alias the EC2 model's documentation names for
//! that action (`isDefault`, `availabilityZone`, … — filter_model.rs, generated from botocore)
//! is read as the documented name it stands for.

use std::collections::BTreeSet;

use wildmatch::WildMatch;

use super::filter_model;
use crate::error::{ApiError, ApiResult};
use crate::state::tags::TagStore;
use crate::wire::P;

/// The resources named by an index lookup (`Some(ids)`) or all of them (`None`), in creation
/// order either way, so pages are stable whichever index answered, each with its position in
/// `all` (what a `Page` keeps). Costs the number of hits.
pub fn indexed_in_order<K, T, S, I>(all: &indexmap::IndexMap<K, T, S>, hits: Option<I>) -> Vec<(usize, &T)>
where
    K: std::hash::Hash + Eq + std::borrow::Borrow<str>,
    S: std::hash::BuildHasher,
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    match hits {
        None => all.values().enumerate().collect(),
        Some(ids) => {
            let mut idx: Vec<usize> = ids.into_iter().filter_map(|id| all.get_index_of(id.as_ref())).collect();
            idx.sort_unstable();
            idx.dedup();
            idx.into_iter().filter_map(|i| all.get_index(i).map(|(_, v)| (i, v))).collect()
        }
    }
}

/// The smallest of several index answers, each a superset of the resources a describe returns.
/// Offers give their size first (cheap: set lengths), so only the winner is collected, and it
/// is collected as borrowed ids, never cloned.
#[derive(Default)]
pub struct Narrowest<'a> {
    /// (size, ids, the filter the ids are exactly the matches of).
    best: Option<(usize, Vec<&'a str>, Option<usize>)>,
}

impl<'a> Narrowest<'a> {
    /// Offers an index answer of `size` ids (an upper bound is fine: duplicates are dropped
    /// later); `ids` runs only when it is the smallest so far.
    pub fn offer<I: IntoIterator<Item = &'a str>>(&mut self, size: usize, ids: impl FnOnce() -> I) {
        self.offer_for(None, size, ids);
    }

    /// As `offer`, for an answer that holds exactly the resources filter `exact_of` matches
    /// (tag filters with exact values), so a describe need not check that filter again.
    fn offer_for<I: IntoIterator<Item = &'a str>>(&mut self, exact_of: Option<usize>, size: usize, ids: impl FnOnce() -> I) {
        if self.best.as_ref().is_none_or(|(n, _, _)| size < *n) {
            self.best = Some((size, ids().into_iter().collect(), exact_of));
        }
    }

    /// The chosen ids, or `None` when no index applied (scan everything).
    pub fn ids(self) -> Option<Vec<&'a str>> {
        self.best.map(|(_, v, _)| v)
    }

    /// The chosen ids, and the filter they satisfy already when they came from one exactly.
    pub fn ids_and_satisfied(self) -> (Option<Vec<&'a str>>, Option<usize>) {
        match self.best {
            Some((_, v, exact_of)) => (Some(v), exact_of),
            None => (None, None),
        }
    }
}

/// The documented name an alias of `action` stands for.
pub fn alias_of(action: &str, name: &str) -> Option<&'static str> {
    filter_model::ALIASES.iter().find(|(op, alias, _)| *op == action && *alias == name).map(|(_, _, c)| *c)
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
    /// Whether any value (or the key of `tag:<k>`) holds `*` or `?`, found once at parse so
    /// matching a candidate is a plain comparison (`matches` runs for every candidate).
    wild: bool,
}

impl Filter {
    fn any_value(&self, v: &str) -> bool {
        if self.wild { self.values.iter().any(|p| value_matches(p, v)) } else { self.values.iter().any(|p| p == v) }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filters(pub Vec<Filter>);

fn has_wildcard(v: &str) -> bool {
    v.contains('*') || v.contains('?')
}

pub fn value_matches(pattern: &str, value: &str) -> bool {
    if has_wildcard(pattern) { WildMatch::new(pattern).matches(value) } else { pattern == value }
}

impl Filters {
    /// Reads `Filter.N` of `action`; `allowed` lists the filter names it implements (`tag:<k>`,
    /// `tag-key` and `tag-value` are always allowed). Unknown names → "The filter '…' is invalid".
    pub fn parse(p: &P, action: &str, allowed: &[&str]) -> ApiResult<Filters> {
        let mut out = Vec::new();
        for f in p.list("Filter")? {
            let mut name = f.required("Name")?.to_string();
            let generic = name.starts_with("tag:") || name == "tag-key" || name == "tag-value";
            if !generic && !allowed.contains(&name.as_str()) {
                match alias_of(action, &name).filter(|c| allowed.contains(c)) {
                    Some(canonical) => name = canonical.to_string(),
                    None => return Err(ApiError::bad_filter(&name)),
                }
            }
            let values: Vec<String> = f.strings("Value")?.into_iter().map(str::to_string).collect();
            let wild = values.iter().any(|v| has_wildcard(v)) || name.strip_prefix("tag:").is_some_and(has_wildcard);
            out.push(Filter { name, values, wild });
        }
        Ok(Filters(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Values of the first filter with this name.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.0.iter().find(|f| f.name == name).map(|f| f.values.as_slice())
    }

    /// Exact values (no wildcards) of a filter, usable for an index lookup.
    pub fn exact(&self, name: &str) -> Option<&[String]> {
        self.get(name).filter(|v| !v.iter().any(|x| has_wildcard(x)))
    }

    /// Offers the tag index's answer for every `tag:<k>` or `tag-key` filter with exact values.
    pub fn offer_tags<'a>(&'a self, tags: &'a TagStore, n: &mut Narrowest<'a>) {
        // Each answer is exactly what its filter matches (`matches` below, without wildcards).
        for (i, f) in self.0.iter().enumerate() {
            if let Some(k) = f.name.strip_prefix("tag:") {
                if f.values.iter().any(|v| has_wildcard(v)) || has_wildcard(k) {
                    continue;
                }
                n.offer_for(Some(i), tags.count_with(k, &f.values), || tags.with_value(k, &f.values));
            } else if f.name == "tag-key" && !f.values.iter().any(|v| has_wildcard(v)) {
                let size = f.values.iter().map(|k| tags.count_with_key(k)).sum();
                n.offer_for(Some(i), size, || f.values.iter().flat_map(|k| tags.with_key(k)));
            }
        }
    }

    /// Ids from the tag index, when some `tag:<k>` or `tag-key` filter has exact values: the
    /// smallest such answer, a superset of the resources passing `matches`, borrowed.
    pub fn tagged<'a>(&'a self, tags: &'a TagStore) -> Option<Vec<&'a str>> {
        let mut n = Narrowest::default();
        self.offer_tags(tags, &mut n);
        n.ids()
    }

    /// [`Filters::tagged`] as owned, sorted ids, for callers that intersect with other sets.
    /// A superset: callers check every filter again with `matches`.
    pub fn tag_candidates(&self, tags: &TagStore) -> Option<BTreeSet<String>> {
        self.tagged(tags).map(|v| v.into_iter().map(String::from).collect())
    }

    /// These filters without the one at `index` (which the candidates satisfy already).
    pub fn without(&self, index: Option<usize>) -> Filters {
        Filters(self.0.iter().enumerate().filter(|(i, _)| Some(*i) != index).map(|(_, f)| f.clone()).collect())
    }

    /// Whether a resource passes every filter. `field(name)` returns the resource's values for
    /// a non-tag filter name (already validated by `parse`).
    pub fn matches(&self, tags: &[(String, String)], field: impl Fn(&str) -> Vec<String>) -> bool {
        self.0.iter().all(|f| {
            if let Some(k) = f.name.strip_prefix("tag:") {
                let key = |tk: &str| if f.wild { value_matches(k, tk) } else { k == tk };
                tags.iter().any(|(tk, tv)| key(tk) && f.any_value(tv))
            } else if f.name == "tag-key" {
                tags.iter().any(|(tk, _)| f.any_value(tk))
            } else if f.name == "tag-value" {
                tags.iter().any(|(_, tv)| f.any_value(tv))
            } else {
                field(&f.name).iter().any(|v| f.any_value(v))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{ListStyle, Params};

    #[test]
    fn parse_check_and_match() {
        let p = Params::parse(b"Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1&Filter.2.Name=tag:env&Filter.2.Value.1=d*", ListStyle::Flat)
            .unwrap();
        let f = Filters::parse(&p.root(), "DescribeVpcs", &["vpc-id"]).unwrap();
        let tags = vec![("env".to_string(), "dev".to_string())];
        assert!(f.matches(&tags, |n| if n == "vpc-id" { vec!["vpc-1".into()] } else { vec![] }));
        assert!(!f.matches(&tags, |_| vec!["vpc-2".into()]));
        let mut t = TagStore::default();
        for i in 0..10 {
            t.set(&format!("sg-{i}"), &[("all".into(), "yes".into()), ("k".into(), format!("v{}", i % 5))]);
        }
        let p =
            Params::parse(b"Filter.1.Name=tag:all&Filter.1.Value.1=yes&Filter.2.Name=tag:k&Filter.2.Value.1=v1", ListStyle::Flat).unwrap();
        let f = Filters::parse(&p.root(), "DescribeSecurityGroups", &[]).unwrap();
        // The narrower filter's two ids, not all ten.
        let mut hits = f.tagged(&t).unwrap();
        hits.sort_unstable();
        assert_eq!(hits, ["sg-1", "sg-6"]);
        // The winner is filter 2's exact answer: only filter 1 is left to check per resource.
        let mut n = Narrowest::default();
        f.offer_tags(&t, &mut n);
        let (ids, satisfied) = n.ids_and_satisfied();
        assert_eq!((ids.map(|v| v.len()), satisfied), (Some(2), Some(1)));
        assert_eq!(f.without(satisfied).0.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["tag:all"]);
        // A narrower superset answer (not a filter's exact one) leaves every filter to check.
        let mut n = Narrowest::default();
        f.offer_tags(&t, &mut n);
        n.offer(1, || ["sg-1"]);
        assert_eq!(n.ids_and_satisfied().1, None);
        let bad = Params::parse(b"Filter.1.Name=nope&Filter.1.Value.1=x", ListStyle::Flat).unwrap();
        let e = Filters::parse(&bad.root(), "DescribeVpcs", &["vpc-id"]).unwrap_err();
        assert_eq!(e.message, "The filter 'nope' is invalid");
    }

    /// Every action's implemented names are names the model documents for it (a typo would be
    /// a filter AWS does not have), and every alias the model names leads to an implemented one.
    #[test]
    fn filter_lists_agree_with_the_model() {
        use crate::api::ec2::*;
        let lists: &[(&str, &[&str])] = &[
            ("DescribeAvailabilityZones", account::AZ_FILTERS),
            ("DescribeSecurityGroupRules", sg_rules_edit::RULE_FILTERS),
            ("DescribeManagedPrefixLists", prefix_lists::PL_FILTERS),
            ("DescribeInstances", instances::INSTANCE_FILTERS),
            ("DescribeTags", tags::TAG_FILTERS),
            ("DescribeSubnets", subnets::SUBNET_FILTERS),
            ("DescribeSecurityGroups", security_groups::SG_FILTERS),
            ("DescribeVpcs", vpcs::VPC_FILTERS),
            ("DescribeNetworkInterfaces", enis::ENI_FILTERS),
            ("DescribeRouteTables", route_tables::RT_FILTERS),
            ("DescribeInternetGateways", internet_gateways::IGW_FILTERS),
            ("GetSecurityGroupsForVpc", sgs_for_vpc::FILTERS),
            ("DescribeAddresses", unheld::ADDRESS_FILTERS),
            ("DescribeCoipPools", unheld::COIP_FILTERS),
            ("GetCoipPoolUsage", unheld::COIP_USAGE_FILTERS),
            ("DescribeIpamPools", unheld::IPAM_FILTERS),
            ("DescribeVpcPeeringConnections", unheld::PEERING_FILTERS),
        ];
        let of = |table: &[(&str, &'static [&'static str])], op: &str| table.iter().find(|(o, _)| *o == op).map(|(_, n)| *n).unwrap_or(&[]);
        for (op, names) in lists {
            let (model, former) = (of(filter_model::FILTERS, op), of(filter_model::FORMER, op));
            for n in *names {
                assert!(model.contains(n) || former.contains(n), "{op}: '{n}' is not a filter the model documents");
            }
        }
        for (op, alias, canonical) in filter_model::ALIASES {
            let (_, names) = lists.iter().find(|(o, _)| o == op).unwrap_or_else(|| panic!("{op} has aliases but no filter list"));
            assert!(names.contains(canonical), "{op}: alias '{alias}' stands for '{canonical}', which lbsim does not implement");
        }
        // Aliases are per action: `availabilityZone` is documented for subnets only.
        assert_eq!(alias_of("DescribeSubnets", "availabilityZone"), Some("availability-zone"));
        assert_eq!(alias_of("DescribeNetworkInterfaces", "availabilityZone"), None);
        assert_eq!(alias_of("DescribeVpcs", "isDefault"), Some("is-default"));
    }
}
