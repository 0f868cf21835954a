//! Rendered fragments of describe answers, by the resource's position in its collection: the
//! `<item>` body of a security group as DescribeSecurityGroups writes it.
//!
//! Why: a group's answer (~1 KB) is read from some 35 separately allocated strings (id, name,
//! rules, tags); in a Region of thousands of groups each is a cache miss, and a 100-group
//! describe spent most of its time waiting on memory, not writing XML. One contiguous copy
//! per group turns that into a memcpy. `api` renders and offers fragments (`Xml::memo`); the
//! Region's mutators drop a group's fragment whenever the group, its rules or its tags change,
//! so a fragment is never stale (debug builds re-render every hit and compare).
//!
//! Keyed by position, not id: a describe already holds each group's position (`Page`), and an
//! id-keyed map cost two more dependent misses per group (its table, then the key's heap
//! string) — most of a 100-group describe's server time at 10,000 groups (perf). The Region
//! keeps positions true: a group removed from the middle of its collection is removed here at
//! the same position ([`RenderCache::removed`]).
//!
//! Bounded: past [`CAP`] bytes, or [`PER_RESOURCE`] bytes per resource in the collection when
//! that is more, the cache starts over, so memory follows what is described, up to a ceiling
//! in proportion to the Region. A fixed ceiling alone made large Regions thrash: at 100,000
//! groups a describe by tag (any 100 of them) found its fragments gone most of the time and
//! ran at 15 % of its rate at 1,000 groups. A group costs the store some 5 KB with 10 rules,
//! its fragment about 2 KB.
//!
//! Interior mutability is a `RefCell`: the Region is only ever used under its own lock, one
//! thread at a time.

use std::cell::RefCell;

/// Bytes of fragments a Region may always keep (about 16,000 groups of a few rules).
pub const CAP: usize = 16 << 20;

/// Bytes of fragments allowed per resource of the collection, past [`CAP`].
pub const PER_RESOURCE: usize = 2 << 10;

#[derive(Default)]
pub struct RenderCache {
    inner: RefCell<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Fragment of the resource at each position; shorter than the collection when its tail
    /// was never rendered.
    at: Vec<Option<Box<str>>>,
    bytes: usize,
}

impl RenderCache {
    /// Appends the fragment of the resource at `pos` to `out`; false when there is none.
    pub fn append(&self, pos: usize, out: &mut String) -> bool {
        match self.inner.borrow().at.get(pos) {
            Some(Some(s)) => {
                out.push_str(s);
                true
            }
            _ => false,
        }
    }

    /// Bytes of the fragments held for these positions, and how many of them hold none: what a
    /// describe reserves before it writes (its answer grows once, never by doubling copies).
    /// Reads only the slots' lengths, not the fragments.
    pub fn sizes(&self, positions: &[usize]) -> (usize, usize) {
        let i = self.inner.borrow();
        positions.iter().fold((0, 0), |(bytes, missing), &p| match i.at.get(p) {
            Some(Some(s)) => (bytes + s.len(), missing),
            _ => (bytes, missing + 1),
        })
    }

    /// Keeps a freshly rendered fragment of the resource at `pos` of a collection of
    /// `population` resources.
    pub fn keep(&self, pos: usize, text: &str, population: usize) {
        let mut i = self.inner.borrow_mut();
        if i.bytes + text.len() > CAP.max(population.saturating_mul(PER_RESOURCE)) {
            i.at.clear();
            i.bytes = 0;
        }
        if i.at.len() <= pos {
            i.at.resize(pos + 1, None);
        }
        let old = i.at[pos].replace(text.into());
        i.bytes += text.len();
        i.bytes -= old.map_or(0, |o| o.len());
    }

    /// Drops the fragment at `pos` (its resource changed).
    pub(super) fn forget(&mut self, pos: usize) {
        let i = self.inner.get_mut();
        if let Some(old) = i.at.get_mut(pos).and_then(Option::take) {
            i.bytes -= old.len();
        }
    }

    /// The resource at `pos` left its collection and the ones after it moved up by one.
    pub(super) fn removed(&mut self, pos: usize) {
        let i = self.inner.get_mut();
        // The slot goes whether or not it holds a fragment (an empty one shifts the rest too).
        if pos < i.at.len()
            && let Some(old) = i.at.remove(pos)
        {
            i.bytes -= old.len();
        }
    }

    /// Bytes held (what the bound counts).
    pub fn bytes(&self) -> usize {
        self.inner.borrow().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_count_held_bytes_and_empty_slots() {
        let c = RenderCache::default();
        c.keep(0, "<a/>", 3);
        c.keep(2, "<bcd/>", 3);
        // Position 1 was never rendered, 7 is past the end: both count as missing.
        assert_eq!(c.sizes(&[0, 1, 2, 7]), (10, 2));
        assert_eq!(c.sizes(&[]), (0, 0));
    }

    #[test]
    fn keeps_forgets_and_stays_bounded() {
        let mut c = RenderCache::default();
        let mut out = String::new();
        assert!(!c.append(1, &mut out));
        c.keep(1, "<a/>", 2);
        assert!(c.append(1, &mut out) && out == "<a/>");
        assert!(!c.append(0, &mut out));
        c.keep(1, "<bb/>", 2);
        assert_eq!(c.bytes(), 5);
        c.forget(1);
        assert!(!c.append(1, &mut out));
        assert_eq!(c.bytes(), 0);
        let big = "x".repeat(CAP / 2 + 1);
        c.keep(0, &big, 2);
        c.keep(1, &big, 2);
        assert!(c.bytes() <= CAP);
        assert!(c.append(1, &mut String::new()) && !c.append(0, &mut String::new()));
        // A Region of many resources may keep more, in proportion.
        let n = CAP / PER_RESOURCE * 2;
        c.keep(0, &big, n);
        assert!(c.append(0, &mut String::new()) && c.append(1, &mut String::new()));
        assert!(c.bytes() > CAP && c.bytes() <= n * PER_RESOURCE);
    }

    #[test]
    fn removal_shifts_later_positions() {
        let mut c = RenderCache::default();
        c.keep(0, "a", 3);
        c.keep(1, "bb", 3);
        c.keep(2, "ccc", 3);
        c.removed(1);
        let mut out = String::new();
        assert!(c.append(0, &mut out) && c.append(1, &mut out) && !c.append(2, &mut out));
        assert_eq!((out.as_str(), c.bytes()), ("accc", 4));
        c.removed(7); // past the rendered tail: nothing moves
        assert_eq!(c.bytes(), 4);
        // An empty slot is removed too: the fragment after it moves up.
        c.forget(0);
        c.removed(0);
        let mut out = String::new();
        assert!(c.append(0, &mut out) && !c.append(1, &mut out));
        assert_eq!((out.as_str(), c.bytes()), ("ccc", 3));
    }
}
