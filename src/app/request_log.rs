//! The request log behind `GET /_lbsim/requests`: a bounded ring buffer of recent AWS API calls
//! (time, account, region, service, action, key parameters, status, error code, request id).
//!
//! Every entry gets a sequence number that keeps growing across resets, so a client can ask for
//! "everything after the last entry I saw" (`?since=<seq>`) without missing or repeating calls.
//! Only identifying parameters are kept (names ending in `Id`, `Name`, `Arn` and their plurals),
//! never filter values, tag values, rule bodies or anything else a caller might not want copied.

use std::collections::{BTreeMap, VecDeque};

use parking_lot::Mutex;
use serde::Serialize;
use wildmatch::WildMatch;

/// One API call as the log shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub seq: u64,
    /// RFC 3339, from the server's clock.
    pub time: String,
    pub account: Option<String>,
    pub region: Option<String>,
    pub service: Option<&'static str>,
    pub action: Option<String>,
    /// Identifying parameters by wire name.
    pub params: BTreeMap<String, String>,
    pub status: u16,
    pub error_code: Option<String>,
    pub request_id: String,
    /// Id of the admin fault that answered or delayed this call, if any.
    pub fault: Option<String>,
    pub duration_ms: f64,
}

/// What a caller asks of the log; every field narrows.
#[derive(Debug, Default)]
pub struct Query {
    pub since: Option<u64>,
    /// Glob over the action name (`Describe*`).
    pub action: Option<String>,
    pub service: Option<&'static str>,
    pub account: Option<String>,
    pub region: Option<String>,
    /// Only calls answered with an error.
    pub errors_only: bool,
    /// At most this many, the most recent ones.
    pub limit: Option<usize>,
}

struct Inner {
    buf: VecDeque<Entry>,
    next_seq: u64,
    /// Entries pushed out by the bound since the start.
    dropped: u64,
}

pub struct RequestLog {
    cap: usize,
    inner: Mutex<Inner>,
}

/// Parameter names kept in the log, matched against the last named segment of a wire key
/// (`GroupId.1` → `GroupId`, `LoadBalancerArns.member.2` → `LoadBalancerArns`).
/// Parameter names kept in the log: those ending in one of these (ids, names, ARNs).
const KEEP: &[&str] = &["Id", "Ids", "Name", "Names", "Arn", "Arns"];
/// At most this many parameters per entry, each name cut to `MAX_NAME` bytes and each value to
/// `MAX_VALUE` characters; the action and error code are cut to `MAX_NAME` too. Every field of an
/// entry is bounded, so the log's memory is bounded by its capacity (issue 16: 1,000 requests
/// with a 1 MiB `Action` took the server to 1 GB).
const MAX_PARAMS: usize = 32;
const MAX_NAME: usize = 128;
const MAX_VALUE: usize = 256;

/// `s` cut to at most `max` bytes on a character boundary, with `…` when it was cut.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// An action name as the log keeps it.
pub fn action_name(action: &str) -> String {
    cut(action, MAX_NAME)
}

/// The identifying parameters of a request, from its decoded form fields.
pub fn key_params<'a>(params: impl Iterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    // Runs on every request: plain suffix checks, nothing compiled or allocated per call.
    params
        .filter(|(k, _)| !k.starts_with("Filter.") && !k.starts_with("Filters.") && *k != "Action" && *k != "Version")
        .filter(|(k, _)| {
            let name = k.split('.').rev().find(|s| !s.is_empty() && !s.bytes().all(|b| b.is_ascii_digit()) && *s != "member");
            name.is_some_and(|n| KEEP.iter().any(|suffix| n.ends_with(suffix)))
        })
        .take(MAX_PARAMS)
        .map(|(k, v)| (cut(k, MAX_NAME), v.chars().take(MAX_VALUE).collect()))
        .collect()
}

impl RequestLog {
    pub fn new(cap: usize) -> RequestLog {
        RequestLog { cap, inner: Mutex::new(Inner { buf: VecDeque::with_capacity(cap.min(4096)), next_seq: 1, dropped: 0 }) }
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Appends an entry, giving it the next sequence number; the oldest falls out at the bound.
    pub fn record(&self, mut e: Entry) {
        if self.cap == 0 {
            return;
        }
        if e.action.as_ref().is_some_and(|a| a.len() > MAX_NAME) {
            e.action = e.action.as_deref().map(action_name);
        }
        if e.error_code.as_ref().is_some_and(|c| c.len() > MAX_NAME) {
            e.error_code = e.error_code.as_deref().map(|c| cut(c, MAX_NAME));
        }
        let mut g = self.inner.lock();
        e.seq = g.next_seq;
        g.next_seq += 1;
        if g.buf.len() == self.cap {
            g.buf.pop_front();
            g.dropped += 1;
        }
        g.buf.push_back(e);
    }

    /// Matching entries, oldest first, and the last sequence number handed out.
    pub fn query(&self, q: &Query) -> (Vec<Entry>, u64, u64) {
        let action = q.action.as_deref().map(WildMatch::new);
        let g = self.inner.lock();
        let start = match q.since {
            // Sequence numbers are contiguous in the buffer, so `since` is an index, not a scan.
            Some(s) => {
                let first = g.buf.front().map(|e| e.seq).unwrap_or(g.next_seq);
                s.saturating_add(1).saturating_sub(first).min(g.buf.len() as u64) as usize
            }
            None => 0,
        };
        let mut out: Vec<Entry> = g
            .buf
            .range(start..)
            .filter(|e| action.as_ref().is_none_or(|m| e.action.as_deref().is_some_and(|a| m.matches(a))))
            .filter(|e| q.service.is_none_or(|s| e.service == Some(s)))
            .filter(|e| q.account.as_ref().is_none_or(|a| e.account.as_ref() == Some(a)))
            .filter(|e| q.region.as_ref().is_none_or(|r| e.region.as_ref() == Some(r)))
            .filter(|e| !q.errors_only || e.error_code.is_some())
            .cloned()
            .collect();
        if let Some(n) = q.limit
            && out.len() > n
        {
            out.drain(..out.len() - n);
        }
        (out, g.next_seq - 1, g.dropped)
    }

    /// Forgets every entry; sequence numbers keep counting so `since` cursors stay valid.
    pub fn clear(&self) {
        let mut g = self.inner.lock();
        g.buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> Entry {
        Entry {
            seq: 0,
            time: String::new(),
            account: Some("000000000000".into()),
            region: Some("us-east-1".into()),
            service: Some("ec2"),
            action: Some(action.into()),
            params: BTreeMap::new(),
            status: 200,
            error_code: None,
            request_id: String::new(),
            fault: None,
            duration_ms: 0.0,
        }
    }

    #[test]
    fn bounded_with_growing_sequence_and_since_cursor() {
        let log = RequestLog::new(3);
        for a in ["CreateVpc", "DescribeVpcs", "DescribeVpcs", "DeleteVpc", "DescribeSubnets"] {
            log.record(entry(a));
        }
        let (all, last, dropped) = log.query(&Query::default());
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 4, 5]);
        assert_eq!((last, dropped), (5, 2));
        let (after, _, _) = log.query(&Query { since: Some(3), ..Query::default() });
        assert_eq!(after.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![4, 5]);
        let (old, _, _) = log.query(&Query { since: Some(0), action: Some("Describe*".into()), ..Query::default() });
        assert_eq!(old.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 5]);
        let (none, _, _) = log.query(&Query { since: Some(99), ..Query::default() });
        assert!(none.is_empty());
        log.clear();
        log.record(entry("CreateVpc"));
        assert_eq!(log.query(&Query::default()).0[0].seq, 6);
    }

    #[test]
    fn keeps_identifying_parameters_only() {
        let p = [
            ("Action", "DescribeSecurityGroups"),
            ("Filter.1.Name", "vpc-id"),
            ("Filter.1.Value.1", "vpc-1"),
            ("GroupId.1", "sg-1"),
            ("IpPermissions.1.CidrIp", "10.0.0.0/8"),
            ("LoadBalancerArns.member.1", "arn:x"),
            ("Names.member.1", "lb"),
            ("Tag.1.Value", "secret"),
        ];
        let kept = key_params(p.iter().copied());
        let names: Vec<&str> = kept.keys().map(String::as_str).collect();
        assert_eq!(names, vec!["GroupId.1", "LoadBalancerArns.member.1", "Names.member.1"]);
    }

    #[test]
    fn every_field_is_bounded() {
        let huge = "A".repeat(1 << 20);
        let log = RequestLog::new(2);
        let mut e = entry(&huge);
        e.error_code = Some(huge.clone());
        let name = format!("{huge}Id");
        e.params = key_params([(name.as_str(), huge.as_str())].into_iter());
        log.record(e);
        let (got, _, _) = log.query(&Query::default());
        let e = &got[0];
        assert!(e.action.as_ref().unwrap().len() <= MAX_NAME + 3 && e.error_code.as_ref().unwrap().len() <= MAX_NAME + 3);
        let (k, v) = e.params.iter().next().unwrap();
        assert!(k.len() <= MAX_NAME + 3 && v.len() <= MAX_VALUE);
        assert_eq!(cut("ééé", 3), "é…");
    }
}
