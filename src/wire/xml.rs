//! A tiny XML writer for response members. Callers pass element names as the model spells them;
//! the writer chooses `item` (EC2) or `member` (Query) for list children and escapes text.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use quick_xml::escape::escape;

use super::params::ListStyle;

pub struct Xml {
    buf: String,
    item: &'static str,
}

impl Xml {
    pub fn new(style: ListStyle) -> Xml {
        let item = match style {
            ListStyle::Flat => "item",
            ListStyle::Member => "member",
        };
        Xml { buf: String::with_capacity(512), item }
    }

    pub fn into_string(self) -> String {
        self.buf
    }

    // Every element of every response goes through these: plain pushes, no fmt machinery.
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `<name>text</name>`, escaped.
    pub fn leaf(&mut self, name: &str, value: impl AsRef<str>) -> &mut Self {
        self.open(name);
        self.buf.push_str(&text(value.as_ref()));
        self.close(name)
    }

    pub fn opt(&mut self, name: &str, value: Option<impl AsRef<str>>) -> &mut Self {
        if let Some(v) = value {
            self.leaf(name, v);
        }
        self
    }

    pub fn num(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        let _ = write!(self.buf, "<{name}>{value}</{name}>");
        self
    }

    pub fn bool(&mut self, name: &str, value: bool) -> &mut Self {
        self.num(name, value)
    }

    /// ISO-8601 with milliseconds and `Z`, as AWS sends timestamps.
    pub fn time(&mut self, name: &str, t: DateTime<Utc>) -> &mut Self {
        let s = t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        self.leaf(name, s)
    }

    /// A list of structures: `<name><item>…</item></name>`, or `<name/>` when empty.
    pub fn list<T>(&mut self, name: &str, items: impl IntoIterator<Item = T>, mut f: impl FnMut(&mut Xml, T)) -> &mut Self {
        let mut it = items.into_iter().peekable();
        if it.peek().is_none() {
            let _ = write!(self.buf, "<{name}/>");
            return self;
        }
        self.open(name);
        for x in it {
            let item = self.item;
            self.open(item);
            f(self, x);
            self.close(item);
        }
        self.close(name)
    }

    /// A list of strings: `<name><item>v</item></name>`.
    pub fn strings<S: AsRef<str>>(&mut self, name: &str, items: impl IntoIterator<Item = S>) -> &mut Self {
        let item = self.item;
        self.list(name, items, |w, s| {
            w.buf.push_str(&text(s.as_ref()));
            let _ = item;
        })
    }
}

/// Escapes element text. Characters XML 1.0 cannot carry even escaped (control characters
/// other than tab, LF and CR; U+FFFE, U+FFFF) become U+FFFD: echoing such input (an action
/// name, a tag value) verbatim would make the whole response unparseable for every SDK.
pub fn text(s: &str) -> Cow<'_, str> {
    // Fast path, one pass over bytes: printable ASCII with nothing to escape (ids, names, ARNs,
    // numbers — nearly every value) is written as it is.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b) && !matches!(b, b'<' | b'>' | b'&' | b'\'' | b'"')) {
        return Cow::Borrowed(s);
    }
    if s.chars().all(xml_char) {
        return escape(s);
    }
    let clean: String = s.chars().map(|c| if xml_char(c) { c } else { '\u{FFFD}' }).collect();
    Cow::Owned(escape(&clean).into_owned())
}

/// The XML 1.0 `Char` production (surrogates cannot occur in a Rust `char`).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_escaping() {
        let mut w = Xml::new(ListStyle::Flat);
        w.leaf("a", "x<&>").list("groups", Vec::<u8>::new(), |_, _| {}).strings("s", ["1", "2"]);
        assert_eq!(w.into_string(), "<a>x&lt;&amp;&gt;</a><groups/><s><item>1</item><item>2</item></s>");
        let mut w = Xml::new(ListStyle::Member);
        w.strings("SecurityGroups", ["sg-1"]);
        assert_eq!(w.into_string(), "<SecurityGroups><member>sg-1</member></SecurityGroups>");
    }

    #[test]
    fn text_drops_characters_xml_cannot_carry() {
        assert_eq!(text("a<b"), "a&lt;b");
        assert_eq!(text("x\u{1}y\u{1b}z\u{FFFF}"), "x\u{FFFD}y\u{FFFD}z\u{FFFD}");
        assert_eq!(text("tab\tok é ✓ 😀"), "tab\tok é ✓ 😀");
        let mut w = Xml::new(ListStyle::Flat);
        w.leaf("v", "\u{0}&").strings("s", ["\u{8}"]);
        assert_eq!(w.into_string(), "<v>\u{FFFD}&amp;</v><s><item>\u{FFFD}</item></s>");
    }
}
