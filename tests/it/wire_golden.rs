//! Golden wire files (fixtures/wire/README.md): each case directory holds a raw request and the
//! exact response body lbsim must send, after run-to-run values are replaced by placeholders.
//! Covers a success response of every served EC2, ELBv2 and STS action (describes with and
//! without filters, paging, creates, modifies, deletes), both error envelopes, and the protocol
//! errors (unknown action or service, missing Action, bad encoding, oversized body). Every success
//! response is also held to the botocore model (model_names.rs).
//!
//! A case may first run setup steps (`setup.steps`) that create what its request needs and
//! capture generated ids for it; the server's clock is fixed, so timestamps are stable.
//!
//! `LBSIM_BLESS=1 cargo test --test it wire_golden` rewrites `response.xml` and `status` from the
//! server's answers; review the diff before committing it.

use crate::common;
use crate::model_names;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use common::http::{self, Reply, xml_leaves};
use lbsim::app::App;
use lbsim::clock::{Clock, ManualClock};
use lbsim::config::Config;

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

/// Headers and body of a request.
type Request = (Vec<(String, String)>, Vec<u8>);

/// The request of a case: the body from `request.form` (one trailing newline dropped, so editors
/// may add one), padded with `a` bytes when `request.pad` names a count, and the headers from
/// `request.headers` (`Name: value` per line), `{name}` placeholders filled from setup steps.
/// A form content type is sent unless one is given.
fn request(case: &Path, vars: &BTreeMap<String, String>) -> Result<Request, String> {
    let mut body = std::fs::read(case.join("request.form")).unwrap();
    if body.last() == Some(&b'\n') {
        body.pop();
    }
    // Captured values from setup steps fill `{name}` placeholders (such requests are UTF-8).
    if !vars.is_empty() {
        let text = String::from_utf8(body).map_err(|_| "a request with setup steps must be UTF-8".to_string())?;
        body = substitute(&text, vars)?.into_bytes();
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
    Ok((headers, body))
}

/// Replaces values that change from run to run: a uuid (request ids) becomes `{uuid}`, a
/// generated id (`vpc-0a1b2c3d4e5f60718`: a lowercase prefix, `-`, then 8, 16 or 17 lowercase
/// hex digits) becomes `vpc-{id}`, and a bare 16-digit one (`…:targetgroup/tg/0a1b2c3d4e5f6071`)
/// becomes `{id}`. Works word by word, a word being a run of ASCII letters,
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
    // The 16-digit ids of load balancers, target groups and listeners stand alone in ARNs.
    if w.len() == 16 && w.bytes().all(is_lower_hex) {
        return "{id}".into();
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

/// The instant golden servers start at (the `X-Amz-Date` of the fixtures' headers): responses
/// carry timestamps, and a fixed clock keeps them the same on every run.
pub const START: &str = "2025-01-15T10:20:30Z";

/// An App as `common::start` makes it (default config, id seed 42, plus one service access key)
/// on a manual clock at `START`.
pub fn golden_app() -> (Arc<App>, Arc<ManualClock>) {
    let start: DateTime<Utc> = START.parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    // `elb-service` signs as an AWS service (ValidateSecurityGroupQuotasForInterface's case).
    let config = Config { seed: Some(42), service_access_keys: vec!["elb-service".into()], ..Config::default() };
    let app = App::with_clock(config, Clock::Virtual(clock.clone())).expect("config");
    (app, clock)
}

/// One line of a steps file (fixtures/wire/README.md, "Setup steps").
#[derive(Debug, Clone)]
pub enum Step {
    /// `[name=Element[#N] ...] Action=...`: a form request, and the values to capture from its
    /// response (the text of the Nth element, in document order, whose path ends in `Element`).
    Request { captures: Vec<(String, String, usize)>, form: String },
    /// `advance SECONDS`: moves the server's clock.
    Advance(i64),
}

/// Parses a steps file into (line number, step); blank lines and `#` comments are skipped.
pub fn parse_steps(text: &str) -> Result<Vec<(usize, Step)>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(secs) = line.strip_prefix("advance ") {
            out.push((n + 1, Step::Advance(secs.trim().parse().map_err(|_| format!("line {}: advance takes whole seconds", n + 1))?)));
            continue;
        }
        let mut captures = Vec::new();
        let mut form = None;
        for word in line.split_whitespace() {
            if word.starts_with("Action=") {
                if form.is_some() {
                    return Err(format!("line {}: two forms", n + 1));
                }
                form = Some(word.to_string());
                continue;
            }
            let (name, element) =
                word.split_once('=').ok_or_else(|| format!("line {}: {word:?} is neither name=Element nor a form", n + 1))?;
            let (element, nth) = match element.split_once('#') {
                Some((e, k)) => (e, k.parse::<usize>().map_err(|_| format!("line {}: bad #N in {word:?}", n + 1))?),
                None => (element, 1),
            };
            captures.push((name.to_string(), element.to_string(), nth));
        }
        let form = form.ok_or_else(|| format!("line {}: no Action= form", n + 1))?;
        out.push((n + 1, Step::Request { captures, form }));
    }
    Ok(out)
}

/// Replaces each `{name}` in a form with the captured value, form-encoded.
pub fn substitute(form: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(form.len());
    let mut rest = form;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let j = rest[i..].find('}').ok_or_else(|| format!("unclosed {{ in {form}"))? + i;
        let name = &rest[i + 1..j];
        let value = vars.get(name).ok_or_else(|| format!("{{{name}}} was not captured by an earlier step"))?;
        out.extend(form_urlencoded::byte_serialize(value.as_bytes()));
        rest = &rest[j + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Stores the values a request step captures from its response body.
pub fn capture(step: &Step, body: &str, vars: &mut BTreeMap<String, String>) -> Result<(), String> {
    let Step::Request { captures, .. } = step else { return Ok(()) };
    if captures.is_empty() {
        return Ok(());
    }
    let leaves = xml_leaves(body)?;
    for (name, element, nth) in captures {
        let suffix = format!("/{element}");
        let value = leaves
            .iter()
            .filter(|(path, _)| path.ends_with(&suffix))
            .nth(nth - 1)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("no element #{nth} ending in {element} to capture as {name}"))?;
        vars.insert(name.clone(), value);
    }
    Ok(())
}

/// The first value of a form parameter.
pub fn form_value(form: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(form.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Runs a case's setup steps against the server at `addr`; returns the captured values.
async fn setup(case: &Path, addr: &str, clock: &Arc<ManualClock>) -> Result<BTreeMap<String, String>, String> {
    let mut vars = BTreeMap::new();
    let Some(text) = read(&case.join("setup.steps")) else { return Ok(vars) };
    for (line, step) in &parse_steps(&text)? {
        match step {
            Step::Advance(secs) => model_names::advance(clock, *secs),
            Step::Request { form, .. } => {
                let form = substitute(form, &vars)?;
                let reply = http::form(addr, &[], form.as_bytes()).await;
                if reply.status >= 300 {
                    return Err(format!("setup.steps line {line} failed with {}: {}", reply.status, reply.text()));
                }
                capture(step, &reply.text(), &mut vars).map_err(|e| format!("setup.steps line {line}: {e}"))?;
            }
        }
    }
    Ok(vars)
}

/// The action of a case's request (`Action=` in request.form).
fn case_action(case: &Path) -> Option<String> {
    let body = std::fs::read(case.join("request.form")).ok()?;
    form_urlencoded::parse(&body).find(|(k, _)| k == "Action").map(|(_, v)| v.into_owned())
}

fn case_status(case: &Path) -> u16 {
    read(&case.join("status")).and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

fn service_dir(case: &Path) -> String {
    case.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

#[tokio::test]
async fn golden_wire_files() {
    let bless = std::env::var_os("LBSIM_BLESS").is_some();
    let cases = cases();
    // Guards against a moved fixtures directory turning this into a test of nothing.
    assert!(cases.len() >= 100, "only {} golden cases found under {ROOT}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.strip_prefix(ROOT).unwrap_or(case).display().to_string();
        // A fresh, seeded server per case: cases cannot see each other's resources.
        let (app, clock) = golden_app();
        let s = common::start_app(app).await;
        let addr = s.url.trim_start_matches("http://");
        let vars = match setup(case, addr, &clock).await {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let (headers, body) = match request(case, &vars) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let reply = http::post(addr, &headers, &body).await;
        for p in check(case, &reply, bless) {
            failures.push(format!("{name}: {p}"));
        }
        // Success bodies must also fit the botocore model, blessed or not.
        if reply.status < 300 {
            let action = case_action(case).unwrap_or_default();
            for p in model_names::check(&service_dir(case), &action, &reply.text()) {
                failures.push(format!("{name}: model: {p}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} golden mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// Every action a dispatch table serves has at least one golden success case (a case directory
/// of that service whose request names the action and whose status is 2xx).
#[test]
fn every_served_action_has_a_golden_success_case() {
    let have: BTreeSet<(String, String)> =
        cases().iter().filter(|c| case_status(c) < 300).filter_map(|c| Some((service_dir(c), case_action(c)?))).collect();
    let mut missing = Vec::new();
    // A case named for a served action (`DescribeVpcs`, `DescribeVpcs.filter`; error cases add
    // the capitalised code, `DeleteVpc.InvalidVpcID.NotFound`) must be a success: blessing a
    // broken setup must not turn a success case into an error one unnoticed.
    for c in cases() {
        let name = c.file_name().unwrap().to_string_lossy().into_owned();
        let (action, variant) = name.split_once('.').unwrap_or((&name, ""));
        let served = model_names::svc(&service_dir(&c)).is_some_and(|s| model_names::served(s).contains(action));
        if served && !variant.starts_with(|ch: char| ch.is_ascii_uppercase()) && case_status(&c) >= 300 {
            missing.push(format!("{}/{name} (named as a success, status {})", service_dir(&c), case_status(&c)));
        }
    }
    let errors: BTreeSet<(String, String)> =
        cases().iter().filter(|c| case_status(c) >= 300).filter_map(|c| Some((service_dir(c), case_action(c)?))).collect();
    for s in model_names::SERVICES {
        for a in model_names::served(s) {
            let key = (s.signing_name.to_string(), a.clone());
            if model_names::NEVER_SUCCEEDS.contains(&a.as_str()) {
                if !errors.contains(&key) {
                    missing.push(format!("{}/{a} (never succeeds in lbsim: needs its error case)", s.signing_name));
                }
            } else if !have.contains(&key) {
                missing.push(format!("{}/{a}", s.signing_name));
            }
        }
    }
    assert!(missing.is_empty(), "no golden success case for: {}", missing.join(", "));
}

#[test]
fn normaliser_replaces_only_generated_values() {
    let s = "<requestId>0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b</requestId><vpcId>vpc-0a1b2c3d4e5f60718</vpcId>\
             <associationId>vpc-cidr-assoc-1234abcd</associationId><zoneId>use1-az1</zoneId>\
             <arn>arn:aws:ec2:us-east-1:000000000000:subnet/subnet-0a1b2c3d4e5f60718</arn>\
             <dns>k8s-web-0123456789abcdef.elb.us-east-1.amazonaws.com</dns><v>2016-11-15</v><n>sg-XYZ</n>\
             <tg>arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0a1b2c3d4e5f6071</tg><a>000000000000</a>";
    assert_eq!(
        normalise(s),
        "<requestId>{uuid}</requestId><vpcId>vpc-{id}</vpcId><associationId>vpc-cidr-assoc-{id}</associationId>\
         <zoneId>use1-az1</zoneId><arn>arn:aws:ec2:us-east-1:000000000000:subnet/subnet-{id}</arn>\
         <dns>k8s-web-{id}.elb.us-east-1.amazonaws.com</dns><v>2016-11-15</v><n>sg-XYZ</n>\
         <tg>arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/{id}</tg><a>000000000000</a>"
    );
}
