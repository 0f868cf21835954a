//! EC2 tags of every resource kind, kept in one place with an index by (key, value), so
//! `tag:<k>` filters cost the number of matches, not the number of resources.
//!
//! The index holds its own copy of every id, key and value as a `CompactString`: EC2 ids and
//! most tag keys and values fit its 24 inline bytes, so the copies cost no allocation each
//! (with a `String` they were a third of the store's memory).

use std::collections::{BTreeSet, HashMap};

use compact_str::CompactString;

/// Ordered tags of one resource; a key appears once.
pub type Tags = Vec<(String, String)>;

type Index = HashMap<CompactString, HashMap<CompactString, Ids>>;

/// The resources with one (key, value), in id order. Most values name one resource (`Name`),
/// and a one-element `BTreeSet` costs a 280-byte node: one id is held inline until a second
/// comes.
#[derive(Debug, Clone)]
enum Ids {
    One(CompactString),
    Many(BTreeSet<CompactString>),
}

impl Ids {
    fn insert(&mut self, id: &str) {
        match self {
            Ids::One(x) if x == id => {}
            Ids::One(x) => *self = Ids::Many(BTreeSet::from([std::mem::take(x), id.into()])),
            Ids::Many(s) => {
                s.insert(id.into());
            }
        }
    }
    /// Removes `id`; true when none is left.
    fn remove(&mut self, id: &str) -> bool {
        match self {
            Ids::One(x) => x == id,
            Ids::Many(s) => {
                s.remove(id);
                s.is_empty()
            }
        }
    }
    fn len(&self) -> usize {
        match self {
            Ids::One(_) => 1,
            Ids::Many(s) => s.len(),
        }
    }
    fn iter(&self) -> IdsIter<'_> {
        match self {
            Ids::One(x) => IdsIter::One(Some(x)),
            Ids::Many(s) => IdsIter::Many(s.iter()),
        }
    }
}

enum IdsIter<'a> {
    One(Option<&'a CompactString>),
    Many(std::collections::btree_set::Iter<'a, CompactString>),
}

impl<'a> Iterator for IdsIter<'a> {
    type Item = &'a CompactString;
    fn next(&mut self) -> Option<&'a CompactString> {
        match self {
            IdsIter::One(x) => x.take(),
            IdsIter::Many(i) => i.next(),
        }
    }
}

#[derive(Default, Debug, Clone)]
pub struct TagStore {
    /// Keyed by resource ids, which lbsim generates (`IdHasher`).
    by_resource: HashMap<CompactString, Tags, super::IdHasher>,
    /// key → value → resource ids.
    index: Index,
}

impl TagStore {
    pub fn get(&self, id: &str) -> &[(String, String)] {
        self.by_resource.get(id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Number of user tags (`aws:` keys are not counted, aws-api.md §3.1) after setting `new`.
    pub fn count_after(&self, id: &str, new: &[(String, String)]) -> usize {
        let cur = self.get(id);
        let mut keys: BTreeSet<&str> = cur.iter().map(|(k, _)| k.as_str()).collect();
        keys.extend(new.iter().map(|(k, _)| k.as_str()));
        keys.iter().filter(|k| !k.starts_with("aws:")).count()
    }

    /// Adds or overwrites tags on a resource.
    pub fn set(&mut self, id: &str, new: &[(String, String)]) {
        // Nothing to hold for an untagged resource (every new rule is set with no tags).
        if new.is_empty() {
            return;
        }
        // Grown once: a tag at a time would double the list's capacity past its length.
        self.by_resource.entry(id.into()).or_default().reserve_exact(new.len());
        for (k, v) in new {
            let tags = self.by_resource.entry(id.into()).or_default();
            if let Some(slot) = tags.iter_mut().find(|(tk, _)| tk == k) {
                let old = std::mem::replace(&mut slot.1, v.clone());
                Self::unindex(&mut self.index, id, k, &old);
            } else {
                tags.push((k.clone(), v.clone()));
            }
            let vals = self.index.entry(k.as_str().into()).or_default();
            match vals.get_mut(v.as_str()) {
                Some(ids) => ids.insert(id),
                None => {
                    vals.insert(v.as_str().into(), Ids::One(id.into()));
                }
            }
        }
    }

    /// Removes one key if `value` is None or equals the stored value.
    pub fn remove(&mut self, id: &str, key: &str, value: Option<&str>) {
        let Some(tags) = self.by_resource.get_mut(id) else { return };
        if let Some(pos) = tags.iter().position(|(k, v)| k == key && value.is_none_or(|x| x == v)) {
            let (k, v) = tags.remove(pos);
            Self::unindex(&mut self.index, id, &k, &v);
        }
        if tags.is_empty() {
            self.by_resource.remove(id);
        }
    }

    /// Drops every tag of a deleted resource.
    pub fn clear(&mut self, id: &str) {
        if let Some(tags) = self.by_resource.remove(id) {
            for (k, v) in tags {
                Self::unindex(&mut self.index, id, &k, &v);
            }
        }
    }

    fn unindex(index: &mut Index, id: &str, k: &str, v: &str) {
        if let Some(vals) = index.get_mut(k) {
            if let Some(ids) = vals.get_mut(v)
                && ids.remove(id)
            {
                vals.remove(v);
            }
            if vals.is_empty() {
                index.remove(k);
            }
        }
    }

    /// Resources that have `key` with one of `values` (exact values; callers fall back to a scan
    /// for wildcard values).
    pub fn ids_with(&self, key: &str, values: &[String]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        if let Some(vals) = self.index.get(key) {
            for v in values {
                if let Some(ids) = vals.get(v.as_str()) {
                    out.extend(ids.iter().map(|i| i.to_string()));
                }
            }
        }
        out
    }

    /// How many resources have `key` with one of `values` (set lengths, nothing collected).
    pub fn count_with(&self, key: &str, values: &[String]) -> usize {
        self.index.get(key).map(|vals| values.iter().filter_map(|v| vals.get(v.as_str())).map(Ids::len).sum()).unwrap_or(0)
    }

    /// Resources that have `key` with one of `values`, borrowed from the index.
    pub fn with_value<'a>(&'a self, key: &str, values: &'a [String]) -> impl Iterator<Item = &'a str> + use<'a> {
        let vals = self.index.get(key);
        values.iter().filter_map(move |v| vals?.get(v.as_str())).flat_map(Ids::iter).map(CompactString::as_str)
    }

    /// How many resources have `key` at all.
    pub fn count_with_key(&self, key: &str) -> usize {
        self.index.get(key).map(|vals| vals.values().map(Ids::len).sum()).unwrap_or(0)
    }

    /// Resources that have `key` at all, borrowed from the index.
    pub fn with_key<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a str> + use<'a> {
        self.index.get(key).into_iter().flat_map(|vals| vals.values().flat_map(Ids::iter).map(CompactString::as_str))
    }

    /// Resources that have `key` at all.
    pub fn ids_with_key(&self, key: &str) -> BTreeSet<String> {
        self.index.get(key).map(|vals| vals.values().flat_map(Ids::iter).map(|i| i.to_string()).collect()).unwrap_or_default()
    }

    /// Every tagged resource with its tags, for snapshots.
    pub fn resources(&self) -> impl Iterator<Item = (&str, &Tags)> {
        self.by_resource.iter().map(|(id, t)| (id.as_str(), t))
    }

    /// Every (resource, key, value), for EC2 DescribeTags.
    pub fn all(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.by_resource.iter().flat_map(|(id, tags)| tags.iter().map(move |(k, v)| (id.as_str(), k.as_str(), v.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_follows_changes() {
        let mut t = TagStore::default();
        t.set("sg-1", &[("env".into(), "dev".into())]);
        t.set("sg-2", &[("env".into(), "prod".into())]);
        assert_eq!(t.ids_with("env", &["dev".into()]).len(), 1);
        t.set("sg-2", &[("env".into(), "dev".into())]);
        assert_eq!(t.ids_with("env", &["dev".into()]).len(), 2);
        assert!(t.ids_with("env", &["prod".into()]).is_empty());
        t.remove("sg-1", "env", Some("other"));
        assert_eq!(t.get("sg-1").len(), 1);
        t.clear("sg-1");
        assert_eq!(t.ids_with_key("env").len(), 1);
        assert_eq!((t.count_with_key("env"), t.with_key("env").collect::<Vec<_>>()), (1, vec!["sg-2"]));
        assert_eq!(t.count_with("env", &["dev".into(), "prod".into()]), 1);
        assert_eq!(t.with_value("env", &["dev".into()]).collect::<Vec<_>>(), ["sg-2"]);
        // An untagged resource holds nothing (every new rule is set with no tags).
        t.set("sgr-1", &[]);
        assert_eq!(t.resources().count(), 1);
        // One id inline, then a set, then back to none.
        t.set("sg-3", &[("env".into(), "dev".into())]);
        t.set("sg-4", &[("env".into(), "dev".into())]);
        assert_eq!(t.with_value("env", &["dev".into()]).collect::<Vec<_>>(), ["sg-2", "sg-3", "sg-4"]);
        for id in ["sg-2", "sg-3", "sg-4"] {
            t.clear(id);
        }
        assert_eq!((t.count_with_key("env"), t.resources().count()), (0, 0));
    }
}
