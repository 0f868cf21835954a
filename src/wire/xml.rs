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
        Xml::with_buffer(style, String::with_capacity(512))
    }

    /// A writer that appends to `buf` (an answer's envelope head, `api::Ctx::answer_writer`).
    pub fn with_buffer(style: ListStyle, buf: String) -> Xml {
        let item = match style {
            ListStyle::Flat => "item",
            ListStyle::Member => "member",
        };
        Xml { buf, item }
    }

    pub fn into_string(self) -> String {
        self.buf
    }

    /// Room for `additional` more bytes, so a large answer grows its buffer once, not ~20 times.
    pub fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
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
        self.text(value.as_ref());
        self.close(name)
    }

    /// Escaped text, pushed straight into the buffer when it needs no escaping (nearly always).
    fn text(&mut self, s: &str) {
        if plain(s.as_bytes()) {
            self.buf.push_str(s);
        } else {
            self.buf.push_str(&text(s));
        }
    }

    pub fn opt(&mut self, name: &str, value: Option<impl AsRef<str>>) -> &mut Self {
        if let Some(v) = value {
            self.leaf(name, v);
        }
        self
    }

    /// An IPv4 CIDR (`10.0.0.0/16`), octets through `itoa`: a describe writes one per rule, and
    /// `Display` for addresses goes through the padding-aware fmt machinery, several times slower.
    pub fn cidr4(&mut self, name: &str, net: &ipnet::Ipv4Net) -> &mut Self {
        self.open(name);
        let mut b = itoa::Buffer::new();
        for (i, o) in net.addr().octets().iter().enumerate() {
            if i > 0 {
                self.buf.push('.');
            }
            self.buf.push_str(b.format(*o));
        }
        self.buf.push('/');
        self.buf.push_str(b.format(net.prefix_len()));
        self.close(name)
    }

    /// `<name>value</name>` for a value whose `Display` needs no escaping (IPv6 CIDRs, floats):
    /// formatted straight into the buffer, no `String` in between. Integers go through [`Xml::int`].
    pub fn num(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        self.open(name);
        let _ = write!(self.buf, "{value}");
        self.close(name)
    }

    /// An integer element through `itoa` (no fmt machinery): ports, counts, codes.
    pub fn int(&mut self, name: &str, value: impl itoa::Integer) -> &mut Self {
        self.open(name);
        self.buf.push_str(itoa::Buffer::new().format(value));
        self.close(name)
    }

    pub fn bool(&mut self, name: &str, value: bool) -> &mut Self {
        self.open(name);
        self.buf.push_str(if value { "true" } else { "false" });
        self.close(name)
    }

    /// `<name>` + the concatenation of `parts`, each escaped, + `</name>`: an ARN or other
    /// composed value without building it as a `String` first.
    pub fn leaf_parts(&mut self, name: &str, parts: &[&str]) -> &mut Self {
        self.open(name);
        for p in parts {
            self.text(p);
        }
        self.close(name)
    }

    /// ISO-8601 with milliseconds and `Z`, as AWS sends timestamps.
    pub fn time(&mut self, name: &str, t: DateTime<Utc>) -> &mut Self {
        use chrono::{Datelike, Timelike};
        if !(1000..=9999).contains(&t.year()) {
            return self.num(name, t.format("%Y-%m-%dT%H:%M:%S%.3fZ"));
        }
        // By hand: chrono's formatter interprets the pattern on every call, and instances,
        // interfaces and load balancers each carry one or two timestamps.
        self.open(name);
        let ms = t.timestamp_subsec_millis().min(999);
        let fields = [
            (t.year() as u32, 4, '-'),
            (t.month(), 2, '-'),
            (t.day(), 2, 'T'),
            (t.hour(), 2, ':'),
            (t.minute(), 2, ':'),
            (t.second(), 2, '.'),
            (ms, 3, 'Z'),
        ];
        for (v, width, sep) in fields {
            let mut digits = [b'0'; 4];
            let mut v = v;
            for d in digits[..width].iter_mut().rev() {
                *d = b'0' + (v % 10) as u8;
                v /= 10;
            }
            self.buf.push_str(std::str::from_utf8(&digits[..width]).unwrap_or("0"));
            self.buf.push(sep);
        }
        self.close(name)
    }

    /// A fragment from a cache of rendered ones: `hit` appends the cached text and says whether
    /// it had one; otherwise `render` writes it and `keep` is offered what it wrote. Debug builds
    /// render every hit again and panic on a difference, so every test run checks that the
    /// cache's owner forgot each fragment whose resource changed.
    pub fn memo(&mut self, hit: impl FnOnce(&mut String) -> bool, render: impl FnOnce(&mut Xml), keep: impl FnOnce(&str)) -> &mut Self {
        let start = self.buf.len();
        if hit(&mut self.buf) {
            #[cfg(debug_assertions)]
            {
                let mut fresh = Xml { buf: String::new(), item: self.item };
                render(&mut fresh);
                assert_eq!(&self.buf[start..], fresh.buf, "a cached fragment is stale");
            }
            return self;
        }
        render(self);
        keep(&self.buf[start..]);
        self
    }

    /// A list of structures: `<name><item>…</item></name>`, or `<name/>` when empty.
    pub fn list<T>(&mut self, name: &str, items: impl IntoIterator<Item = T>, mut f: impl FnMut(&mut Xml, T)) -> &mut Self {
        let mut it = items.into_iter().peekable();
        if it.peek().is_none() {
            self.buf.push('<');
            self.buf.push_str(name);
            self.buf.push_str("/>");
            return self;
        }
        self.open(name);
        let item = self.item;
        let (start, mut first) = (self.buf.len(), true);
        while let Some(x) = it.next() {
            self.open(item);
            f(self, x);
            self.close(item);
            if first {
                // Room for the rest at the first item's size: a large answer then grows its
                // buffer about once instead of doubling (and copying) a dozen times.
                first = false;
                let rest = it.size_hint().1.unwrap_or(0).min(1 << 16);
                self.buf.reserve((self.buf.len() - start) * rest);
            }
        }
        self.close(name)
    }

    /// A list of strings: `<name><item>v</item></name>`.
    pub fn strings<S: AsRef<str>>(&mut self, name: &str, items: impl IntoIterator<Item = S>) -> &mut Self {
        self.list(name, items, |w, s| w.text(s.as_ref()))
    }
}

/// Escapes element text. Characters XML 1.0 cannot carry even escaped (control characters
/// other than tab, LF and CR; U+FFFE, U+FFFF) become U+FFFD: echoing such input (an action
/// name, a tag value) verbatim would make the whole response unparseable for every SDK.
pub fn text(s: &str) -> Cow<'_, str> {
    if plain(s.as_bytes()) {
        return Cow::Borrowed(s);
    }
    if s.chars().all(xml_char) {
        return escape(s);
    }
    let clean: String = s.chars().map(|c| if xml_char(c) { c } else { '\u{FFFD}' }).collect();
    Cow::Owned(escape(&clean).into_owned())
}

/// Printable ASCII with nothing to escape (ids, names, ARNs, numbers — nearly every value),
/// written as it is. Sixteen bytes at a time without an early exit inside a chunk, so the
/// compares compile to vector instructions: this check runs over every byte of every answer.
#[inline]
fn plain(s: &[u8]) -> bool {
    let bad = |b: u8| !(0x20..0x7f).contains(&b) | (b == b'<') | (b == b'>') | (b == b'&') | (b == b'\'') | (b == b'"');
    let mut chunks = s.chunks_exact(16);
    for c in &mut chunks {
        if c.iter().fold(false, |acc, &b| acc | bad(b)) {
            return false;
        }
    }
    !chunks.remainder().iter().any(|&b| bad(b))
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
        w.int("p", -1).num("n", 2.5).bool("b", false).leaf_parts("arn", &["arn:", "a&b", ":x"]);
        assert_eq!(
            w.into_string(),
            "<a>x&lt;&amp;&gt;</a><groups/><s><item>1</item><item>2</item></s><p>-1</p><n>2.5</n><b>false</b><arn>arn:a&amp;b:x</arn>"
        );
        let mut w = Xml::new(ListStyle::Member);
        w.strings("SecurityGroups", ["sg-1"]);
        assert_eq!(w.into_string(), "<SecurityGroups><member>sg-1</member></SecurityGroups>");
    }

    #[test]
    fn fast_paths_agree_with_the_formatters() {
        let t: DateTime<Utc> = "2026-03-04T05:06:07.089Z".parse().unwrap();
        let mut w = Xml::new(ListStyle::Flat);
        w.time("t", t).cidr4("c", &"10.200.3.0/24".parse().unwrap()).cidr4("z", &"0.0.0.0/0".parse().unwrap());
        assert_eq!(w.into_string(), format!("<t>{}</t><c>10.200.3.0/24</c><z>0.0.0.0/0</z>", t.format("%Y-%m-%dT%H:%M:%S%.3fZ")));
        // Long values cross the 16-byte chunks; a bad byte in either part is found.
        let long = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0";
        assert!(plain(long.as_bytes()));
        for at in [0, 15, 16, 40, long.len() - 1] {
            let mut b = long.as_bytes().to_vec();
            b[at] = b'&';
            assert!(!plain(&b), "& at {at}");
            b[at] = 0x7f;
            assert!(!plain(&b));
        }
        let mut w = Xml::new(ListStyle::Flat);
        w.list("l", 0..3, |w, i| {
            w.int("i", i);
        });
        assert_eq!(w.into_string(), "<l><item><i>0</i></item><item><i>1</i></item><item><i>2</i></item></l>");
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
