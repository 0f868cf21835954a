//! Rendered fragments of describe answers, by resource id: the `<item>` body of a security
//! group as DescribeSecurityGroups writes it.
//!
//! Why: a group's answer (~1 KB) is read from some 35 separately allocated strings (id, name,
//! rules, tags); in a Region of thousands of groups each is a cache miss, and a 100-group
//! describe spent most of its time waiting on memory, not writing XML. One contiguous copy
//! per group turns that into a memcpy. `api` renders and offers fragments (`Xml::memo`); the
//! Region's mutators drop a group's fragment whenever the group, its rules or its tags change,
//! so a fragment is never stale (debug builds re-render every hit and compare).
//!
//! Bounded: past [`CAP`] bytes the cache starts over, so memory follows what is described, up
//! to a fixed ceiling. Interior mutability is a `RefCell`: the Region is only ever used under
//! its own lock, one thread at a time.

use std::cell::RefCell;
use std::collections::HashMap;

/// Most bytes of fragments kept per Region (about 16,000 groups of a few rules).
pub const CAP: usize = 16 << 20;

#[derive(Default)]
pub struct RenderCache {
    inner: RefCell<Inner>,
}

#[derive(Default)]
struct Inner {
    by_id: HashMap<String, Box<str>>,
    bytes: usize,
}

impl RenderCache {
    /// Appends `id`'s fragment to `out`; false when there is none.
    pub fn append(&self, id: &str, out: &mut String) -> bool {
        match self.inner.borrow().by_id.get(id) {
            Some(s) => {
                out.push_str(s);
                true
            }
            None => false,
        }
    }

    /// Keeps a freshly rendered fragment.
    pub fn keep(&self, id: &str, text: &str) {
        let mut i = self.inner.borrow_mut();
        if i.bytes + text.len() > CAP {
            i.by_id.clear();
            i.bytes = 0;
        }
        i.bytes += text.len();
        if let Some(old) = i.by_id.insert(id.to_string(), text.into()) {
            i.bytes -= old.len();
        }
    }

    /// Drops `id`'s fragment (its resource changed).
    pub(super) fn forget(&mut self, id: &str) {
        let i = self.inner.get_mut();
        if let Some(old) = i.by_id.remove(id) {
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
    fn keeps_forgets_and_stays_bounded() {
        let mut c = RenderCache::default();
        let mut out = String::new();
        assert!(!c.append("sg-1", &mut out));
        c.keep("sg-1", "<a/>");
        assert!(c.append("sg-1", &mut out) && out == "<a/>");
        c.keep("sg-1", "<bb/>");
        assert_eq!(c.bytes(), 5);
        c.forget("sg-1");
        assert!(!c.append("sg-1", &mut out));
        assert_eq!(c.bytes(), 0);
        let big = "x".repeat(CAP / 2 + 1);
        c.keep("a", &big);
        c.keep("b", &big);
        assert!(c.bytes() <= CAP);
        assert!(c.append("b", &mut String::new()) && !c.append("a", &mut String::new()));
    }
}
