//! `Filter.N.Name` / `Filter.N.Value.M` for EC2 Describe* calls: parsing, name checking, and
//! matching (values OR'ed within a filter, filters AND'ed, `*` and `?` wildcards as AWS allows).
//! Each resource gives its filterable fields through one closure, never one method per filter.

use std::collections::BTreeSet;

use wildmatch::WildMatch;

use crate::error::{ApiError, ApiResult};
use crate::state::tags::TagStore;
use crate::wire::P;

/// The resources named by an index lookup (`Some(ids)`) or all of them (`None`), in creation
/// order either way, so pages are stable whichever index answered, each with its position in
/// `all` (what a `Page` keeps). Costs the number of hits.
pub fn indexed_in_order<T, I>(all: &indexmap::IndexMap<String, T>, hits: Option<I>) -> Vec<(usize, &T)>
where
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

#[derive(Debug, Clone)]
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
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
    /// Reads `Filter.N`; `allowed` lists the filter names the action documents (`tag:<k>`,
    /// `tag-key` and `tag-value` are always allowed). Unknown names → "The filter '…' is invalid".
    pub fn parse(p: &P, allowed: &[&str]) -> ApiResult<Filters> {
        let mut out = Vec::new();
        for f in p.list("Filter")? {
            let name = f.required("Name")?.to_string();
            let generic = name.starts_with("tag:") || name == "tag-key" || name == "tag-value";
            if !generic && !allowed.contains(&name.as_str()) {
                return Err(ApiError::bad_filter(&name));
            }
            let values = f.strings("Value")?.into_iter().map(str::to_string).collect();
            out.push(Filter { name, values });
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

    /// Candidate ids from the tag index, when some `tag:<k>` or `tag-key` filter has exact
    /// values: intersecting them makes tag filtering cost the matches, not the population.
    pub fn tag_candidates(&self, tags: &TagStore) -> Option<BTreeSet<String>> {
        let mut acc: Option<BTreeSet<String>> = None;
        for f in &self.0 {
            let set = if let Some(k) = f.name.strip_prefix("tag:") {
                if f.values.iter().any(|v| has_wildcard(v)) || has_wildcard(k) {
                    continue;
                }
                tags.ids_with(k, &f.values)
            } else if f.name == "tag-key" && !f.values.iter().any(|v| has_wildcard(v)) {
                f.values.iter().flat_map(|k| tags.ids_with_key(k)).collect()
            } else {
                continue;
            };
            acc = Some(match acc {
                None => set,
                Some(a) => a.intersection(&set).cloned().collect(),
            });
        }
        acc
    }

    /// Whether a resource passes every filter. `field(name)` returns the resource's values for
    /// a non-tag filter name (already validated by `parse`).
    pub fn matches(&self, tags: &[(String, String)], field: impl Fn(&str) -> Vec<String>) -> bool {
        self.0.iter().all(|f| {
            if let Some(k) = f.name.strip_prefix("tag:") {
                tags.iter().any(|(tk, tv)| value_matches(k, tk) && f.values.iter().any(|p| value_matches(p, tv)))
            } else if f.name == "tag-key" {
                tags.iter().any(|(tk, _)| f.values.iter().any(|p| value_matches(p, tk)))
            } else if f.name == "tag-value" {
                tags.iter().any(|(_, tv)| f.values.iter().any(|p| value_matches(p, tv)))
            } else {
                let vals = field(&f.name);
                vals.iter().any(|v| f.values.iter().any(|p| value_matches(p, v)))
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
        let f = Filters::parse(&p.root(), &["vpc-id"]).unwrap();
        let tags = vec![("env".to_string(), "dev".to_string())];
        assert!(f.matches(&tags, |n| if n == "vpc-id" { vec!["vpc-1".into()] } else { vec![] }));
        assert!(!f.matches(&tags, |_| vec!["vpc-2".into()]));
        let bad = Params::parse(b"Filter.1.Name=nope&Filter.1.Value.1=x", ListStyle::Flat).unwrap();
        let e = Filters::parse(&bad.root(), &["vpc-id"]).unwrap_err();
        assert_eq!(e.message, "The filter 'nope' is invalid");
    }
}
