//! A decoded form body (`Action=…&Name.1=…`) and typed, scoped getters over it.
//!
//! The only place that knows how lists travel: EC2 flattens them (`Name.N`), Query nests them
//! (`Name.member.N`, an empty list as `Name=`). Actions ask for member names as the model spells
//! them on the wire and never build list keys themselves. Indexes are sorted numerically and gaps
//! are tolerated (aws-api.md §1.3); a huge index such as `GroupId.99999999` costs nothing because
//! lists are gathered from the keys present, never allocated by index.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{ApiError, ApiResult, ErrorCode};

/// How lists are spelled in requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStyle {
    /// EC2: `Name.1`, `Name.2`.
    Flat,
    /// Query (ELBv2, STS): `Name.member.1`; `Name=` is a present, empty list.
    Member,
}

/// Most items lbsim accepts in one request list; AWS's own limits are lower for every list used.
const MAX_LIST_ITEMS: usize = 10_000;

#[derive(Debug, Clone)]
pub struct Params {
    map: BTreeMap<String, String>,
    style: ListStyle,
}

impl Params {
    /// Decodes an `application/x-www-form-urlencoded` body. Invalid UTF-8 after percent-decoding
    /// is an AWS-shaped `MalformedQueryString`, never a panic.
    pub fn parse(body: &[u8], style: ListStyle) -> ApiResult<Params> {
        let text =
            std::str::from_utf8(body).map_err(|_| ApiError::new(ErrorCode::MalformedQueryString, "The request body is not valid UTF-8"))?;
        let mut map = BTreeMap::new();
        for pair in text.split('&').filter(|s| !s.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = decode(k)?;
            let v = decode(v)?;
            map.insert(k, v);
        }
        Ok(Params { map, style })
    }

    pub fn style(&self) -> ListStyle {
        self.style
    }

    pub fn set_style(&mut self, style: ListStyle) {
        self.style = style;
    }

    pub fn root(&self) -> P<'_> {
        P { params: self, prefix: String::new() }
    }

    /// Every key and value, for the request log.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

fn decode(s: &str) -> ApiResult<String> {
    // form_urlencoded decodes leniently (a stray `%` stays literal) and replaces bad UTF-8 with
    // U+FFFD; AWS rejects such input, so we check the bytes ourselves.
    let bytes: Vec<u8> = percent_bytes(s)?;
    String::from_utf8(bytes)
        .map_err(|_| ApiError::new(ErrorCode::MalformedQueryString, "The request contains invalid UTF-8 after decoding"))
}

fn percent_bytes(s: &str) -> ApiResult<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => {
                        return Err(ApiError::new(ErrorCode::MalformedQueryString, "The request contains a malformed percent-encoding"));
                    }
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

/// A view of the params under a prefix (the root, or one list item such as `IpPermissions.2.`).
#[derive(Debug, Clone)]
pub struct P<'a> {
    params: &'a Params,
    prefix: String,
}

impl<'a> P<'a> {
    fn key(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// The full wire path of a member, for error messages.
    pub fn path(&self, name: &str) -> String {
        self.key(name)
    }

    pub fn str(&self, name: &str) -> Option<&'a str> {
        self.params.map.get(&self.key(name)).map(String::as_str)
    }

    /// A string that must be present (an empty value counts as missing, as EC2 treats it).
    pub fn required(&self, name: &str) -> ApiResult<&'a str> {
        match self.str(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(ApiError::missing(&self.key(name))),
        }
    }

    pub fn int(&self, name: &str) -> ApiResult<Option<i64>> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| ApiError::invalid_value(&self.key(name), v)),
        }
    }

    pub fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.str(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::invalid_value(&self.key(name), v)),
        }
    }

    /// `DryRun=true` → `DryRunOperation` once the request is known to be valid.
    pub fn dry_run(&self) -> ApiResult<bool> {
        Ok(self.bool("DryRun")?.unwrap_or(false))
    }

    fn list_prefix(&self, name: &str) -> String {
        match self.params.style {
            ListStyle::Flat => format!("{}{}.", self.prefix, name),
            ListStyle::Member => format!("{}{}.member.", self.prefix, name),
        }
    }

    /// The item indexes of a list, ascending. Non-numeric or zero segments are not list items.
    fn indexes(&self, name: &str) -> ApiResult<(String, Vec<u64>)> {
        let prefix = self.list_prefix(name);
        let mut seen = BTreeSet::new();
        for (k, _) in self.params.map.range(prefix.clone()..) {
            let Some(rest) = k.strip_prefix(&prefix) else { break };
            let seg = rest.split('.').next().unwrap_or("");
            if let Ok(n) = seg.parse::<u64>()
                && n > 0
            {
                seen.insert(n);
            }
            if seen.len() > MAX_LIST_ITEMS {
                return Err(ApiError::invalid(format!("The list {name} has more than {MAX_LIST_ITEMS} items")));
            }
        }
        Ok((prefix, seen.into_iter().collect()))
    }

    /// Items of a list of structures, each as a scoped view.
    pub fn list(&self, name: &str) -> ApiResult<Vec<P<'a>>> {
        let (prefix, idx) = self.indexes(name)?;
        Ok(idx.into_iter().map(|n| P { params: self.params, prefix: format!("{prefix}{n}.") }).collect())
    }

    /// Items of a list of strings.
    pub fn strings(&self, name: &str) -> ApiResult<Vec<&'a str>> {
        let (prefix, idx) = self.indexes(name)?;
        Ok(idx.into_iter().filter_map(|n| self.params.map.get(&format!("{prefix}{n}")).map(String::as_str)).collect())
    }

    /// A list that may be sent empty: `None` when absent, `Some(vec![])` for the Query form
    /// `Name=` (aws-api.md §1.3) — "present, empty" differs from "absent".
    pub fn strings_present(&self, name: &str) -> ApiResult<Option<Vec<&'a str>>> {
        let items = self.strings(name)?;
        if !items.is_empty() {
            return Ok(Some(items));
        }
        if self.str(name).is_some() { Ok(Some(Vec::new())) } else { Ok(None) }
    }

    /// A nested structure member (`Name.Field`).
    pub fn child(&self, name: &str) -> P<'a> {
        P { params: self.params, prefix: format!("{}{}.", self.prefix, name) }
    }

    /// Whether any key lives under this structure member.
    pub fn has_child(&self, name: &str) -> bool {
        let prefix = format!("{}{}.", self.prefix, name);
        self.params.map.range(prefix.clone()..).next().is_some_and(|(k, _)| k.starts_with(&prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_lists_sort_numerically_and_tolerate_gaps() {
        let p = Params::parse(b"GroupId.10=c&GroupId.2=b&GroupId.1=a&GroupId.x=z&GroupId.99999999=d", ListStyle::Flat).unwrap();
        assert_eq!(p.root().strings("GroupId").unwrap(), vec!["a", "b", "c", "d"]);
    }

    #[test]
    fn member_lists_and_empty_query_list() {
        let p = Params::parse(b"Subnets.member.1=s1&SecurityGroups=&Tags.member.1.Key=k", ListStyle::Member).unwrap();
        let r = p.root();
        assert_eq!(r.strings("Subnets").unwrap(), vec!["s1"]);
        assert_eq!(r.strings_present("SecurityGroups").unwrap(), Some(vec![]));
        assert_eq!(r.strings_present("Other").unwrap(), None);
        assert_eq!(r.list("Tags").unwrap()[0].str("Key"), Some("k"));
    }

    #[test]
    fn decoding_is_strict() {
        assert!(Params::parse(b"A=%zz", ListStyle::Flat).is_err());
        assert!(Params::parse(b"A=%ff", ListStyle::Flat).is_err());
        assert!(Params::parse(&[0xff, b'='], ListStyle::Flat).is_err());
        let p = Params::parse(b"Name=web+tier%3A1", ListStyle::Flat).unwrap();
        assert_eq!(p.root().str("Name"), Some("web tier:1"));
    }

    #[test]
    fn nested_structures() {
        let p = Params::parse(b"IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0/8&IpPermissions.1.FromPort=80", ListStyle::Flat).unwrap();
        let perms = p.root().list("IpPermissions").unwrap();
        assert_eq!(perms[0].int("FromPort").unwrap(), Some(80));
        assert_eq!(perms[0].list("IpRanges").unwrap()[0].str("CidrIp"), Some("10.0.0.0/8"));
        assert!(perms[0].int("ToPort").unwrap().is_none());
    }
}
