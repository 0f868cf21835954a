//! Golden wire files (fixtures/wire/README.md): each case directory holds a raw request and the
//! exact response body lbsim must send, after run-to-run values are replaced by placeholders.
//! Covers both success envelopes (EC2, Query), both error envelopes, and the protocol errors
//! (unknown action or service, missing Action, bad encoding, oversized body).
//!
//! A case may hold a `setup` file: requests sent first, one per line, as
//! `<service> <var> <element>[#n] <form body>`; the text of the n-th (default first) `<element>`
//! of the answer becomes `{var}` in later setup lines and in `request.form` (`-` captures
//! nothing). So a rule's case can create the load balancer, listener and target group it needs.
//!
//! `LBSIM_BLESS=1 cargo test --test wire_golden` rewrites `response.xml` and `status` from the
//! server's answers; review the diff before committing it.

use crate::common;

use std::path::{Path, PathBuf};

use common::http::{self, Reply, xml_leaves};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/wire");

/// Every case directory (`<service>/<case>/` holding a `request.form`), sorted.
fn cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for service in std::fs::read_dir(ROOT).expect("fixtures/wire") {
        let service = service.unwrap().path();
        if !service.is_dir() {
            continue;
        }
        for case in std::fs::read_dir(&service).unwrap() {
            let case = case.unwrap().path();
            if case.join("request.form").is_file() {
                out.push(case);
            }
        }
    }
    out.sort();
    out
}

fn read(p: &Path) -> Option<String> {
    std::fs::read_to_string(p).ok()
}

/// The request of a case: the body from `request.form` (one trailing newline dropped, so editors
/// may add one), padded with `a` bytes when `request.pad` names a count, and the headers from
/// `request.headers` (`Name: value` per line). A form content type is sent unless one is given.
fn request(case: &Path) -> (Vec<(String, String)>, Vec<u8>) {
    let mut body = std::fs::read(case.join("request.form")).unwrap();
    if body.last() == Some(&b'\n') {
        body.pop();
    }
    if let Some(pad) = read(&case.join("request.pad")) {
        let n: usize = pad.trim().parse().expect("request.pad holds a byte count");
        body.resize(body.len() + n, b'a');
    }
    let mut headers: Vec<(String, String)> = read(&case.join("request.headers"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
        headers.insert(0, ("Content-Type".into(), "application/x-www-form-urlencoded; charset=utf-8".into()));
    }
    (headers, body)
}

/// Headers that sign a request for `service` in us-east-1 (the server reads the credential scope).
fn signed(service: &str) -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), "application/x-www-form-urlencoded; charset=utf-8".into()),
        (
            "Authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential=test/20250115/us-east-1/{service}/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={}",
                "0".repeat(64)
            ),
        ),
        ("X-Amz-Date".into(), "20250115T102030Z".into()),
    ]
}

fn substitute(text: &str, vars: &[(String, String)]) -> String {
    let mut out = text.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Runs a case's `setup` lines against the server; returns the captured variables.
async fn setup(case: &Path, addr: &str) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = Vec::new();
    let Some(text) = read(&case.join("setup")) else { return vars };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.splitn(4, ' ');
        let (Some(service), Some(var), Some(element), Some(form)) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            panic!("{}: setup line needs `service var element form`: {line}", case.display());
        };
        let (element, nth) = match element.split_once('#') {
            Some((e, n)) => (e, n.parse::<usize>().expect("element#n")),
            None => (element, 1),
        };
        let headers = signed(service);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let reply = http::post(addr, &headers, substitute(form, &vars).as_bytes()).await;
        let body = reply.text();
        assert!(reply.status < 300, "{}: setup request failed: {line}\n{body}", case.display());
        if var != "-" {
            let leaves = xml_leaves(&body).unwrap();
            let found = leaves.iter().filter(|(p, _)| p.rsplit('/').next() == Some(element)).nth(nth - 1);
            let (_, value) = found.unwrap_or_else(|| panic!("{}: no {element}#{nth} in {body}", case.display()));
            vars.push((var.to_string(), value.clone()));
        }
    }
    vars
}

/// Replaces values that change from run to run: a uuid (request ids) becomes `{uuid}`, a
/// generated id (`vpc-0a1b2c3d4e5f60718`: a lowercase prefix, `-`, then 8, 16 or 17 lowercase
/// hex digits) becomes `vpc-{id}`. Works word by word, a word being a run of ASCII letters,
/// digits and `-`, so ids inside ARNs, DNS names and messages are caught too.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            word.push(c);
        } else {
            out.push_str(&normalise_word(&word));
            word.clear();
            out.push(c);
        }
    }
    out.push_str(&normalise_word(&word));
    out
}

fn normalise_word(w: &str) -> String {
    if is_uuid(w) {
        return "{uuid}".into();
    }
    if let Some((prefix, tail)) = w.rsplit_once('-')
        && is_prefix(prefix)
        && matches!(tail.len(), 8 | 16 | 17)
        && tail.bytes().all(is_lower_hex)
    {
        return format!("{prefix}-{{id}}");
    }
    w.to_string()
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// `8-4-4-4-12` lowercase hex digits.
fn is_uuid(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() == 36 && b.iter().enumerate().all(|(i, &c)| if matches!(i, 8 | 13 | 18 | 23) { c == b'-' } else { is_lower_hex(c) })
}

/// An id prefix: lowercase words joined by `-` (`sg`, `vpc-cidr-assoc`).
fn is_prefix(p: &str) -> bool {
    !p.is_empty()
        && p.split('-').all(|s| {
            s.bytes().next().is_some_and(|c| c.is_ascii_lowercase()) && s.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// The request id a body carries: `requestId` (EC2 success), `ResponseMetadata/RequestId`
/// (Query success), `RequestID` (EC2 error) or `RequestId` (Query error).
fn body_request_id(body: &str) -> Result<String, String> {
    let leaves = xml_leaves(body)?;
    let ids: Vec<&String> = leaves
        .iter()
        .filter(|(path, _)| {
            let parts: Vec<&str> = path.split('/').collect();
            matches!(parts.as_slice(), [_, "requestId"] | [_, "RequestID"] | [_, "RequestId"] | [_, "ResponseMetadata", "RequestId"])
        })
        .map(|(_, v)| v)
        .collect();
    match ids.as_slice() {
        [one] => Ok((*one).clone()),
        other => Err(format!("expected one request id in the body, found {other:?}")),
    }
}

/// Checks one answer against its case; returns what differs.
fn check(case: &Path, reply: &Reply, bless: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let body = match std::str::from_utf8(&reply.body) {
        Ok(b) => b,
        Err(_) => return vec!["body is not UTF-8".into()],
    };
    if reply.header("content-type") != Some("text/xml;charset=UTF-8") {
        problems.push(format!("content type {:?}", reply.header("content-type")));
    }
    match body_request_id(body) {
        Ok(id) if Some(id.as_str()) == reply.header("x-amzn-RequestId") && is_uuid(&id) => {}
        Ok(id) => problems.push(format!("body request id {id} vs x-amzn-RequestId {:?}", reply.header("x-amzn-RequestId"))),
        Err(e) => problems.push(e),
    }
    let got = normalise(body);
    if bless {
        std::fs::write(case.join("response.xml"), format!("{got}\n")).unwrap();
        std::fs::write(case.join("status"), format!("{}\n", reply.status)).unwrap();
        return problems;
    }
    let want_status: u16 = read(&case.join("status")).and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    if reply.status != want_status {
        problems.push(format!("status {} (want {want_status})", reply.status));
    }
    let want = read(&case.join("response.xml")).unwrap_or_default();
    if got != want.trim_end_matches('\n') {
        problems.push(format!("body differs:\n  want {}\n  got  {got}", want.trim_end()));
    }
    problems
}

#[tokio::test]
async fn golden_wire_files() {
    let bless = std::env::var_os("LBSIM_BLESS").is_some();
    let cases = cases();
    // Guards against a moved fixtures directory turning this into a test of nothing.
    assert!(cases.len() >= 15, "only {} golden cases found under {ROOT}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        // A fresh, seeded server per case: cases cannot see each other's resources.
        let s = common::start().await;
        let vars = setup(case, s.url.trim_start_matches("http://")).await;
        let (headers, body) = request(case);
        // Only cases with a setup are rewritten (others may hold bytes that are not UTF-8).
        let body = if vars.is_empty() { body } else { substitute(&String::from_utf8_lossy(&body), &vars).into_bytes() };
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let reply = http::post(s.url.trim_start_matches("http://"), &headers, &body).await;
        for p in check(case, &reply, bless) {
            failures.push(format!("{}: {p}", case.strip_prefix(ROOT).unwrap_or(case).display()));
        }
    }
    assert!(failures.is_empty(), "{} golden mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn normaliser_replaces_only_generated_values() {
    let s = "<requestId>0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b</requestId><vpcId>vpc-0a1b2c3d4e5f60718</vpcId>\
             <associationId>vpc-cidr-assoc-1234abcd</associationId><zoneId>use1-az1</zoneId>\
             <arn>arn:aws:ec2:us-east-1:000000000000:subnet/subnet-0a1b2c3d4e5f60718</arn>\
             <dns>k8s-web-0123456789abcdef.elb.us-east-1.amazonaws.com</dns><v>2016-11-15</v><n>sg-XYZ</n>";
    assert_eq!(
        normalise(s),
        "<requestId>{uuid}</requestId><vpcId>vpc-{id}</vpcId><associationId>vpc-cidr-assoc-{id}</associationId>\
         <zoneId>use1-az1</zoneId><arn>arn:aws:ec2:us-east-1:000000000000:subnet/subnet-{id}</arn>\
         <dns>k8s-web-{id}.elb.us-east-1.amazonaws.com</dns><v>2016-11-15</v><n>sg-XYZ</n>"
    );
}
