//! Issue 16, what a user would see: signatures verified on request (the Rust SDK with the right
//! and a wrong secret, an unknown key, a skewed clock, a tampered body), Regions and accounts
//! bounded, the admin API refusing what a web page can send, connections that time out and a
//! connection limit that keeps the server answering, and memory that stays bounded under the
//! amplification inputs of the issue (against the real binary).
//!
//! Counts: 300 idle connections held, 200 waiting past a limit of 100; 200 requests with a 1 MiB
//! action, 500 Region names and 500 account keys (`LBSIM_AMPLIFY` multiplies them).

use crate::common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_ec2::config::Credentials;
use common::http;
use lbsim::config::{AccessKey, Config};

const KEY: &str = "AKIATRUSTTEST0000001";
const SECRET: &str = "right/secret+KEY";

fn verifying() -> Config {
    let mut c = Config { seed: Some(16), verify_signatures: true, ..Config::default() };
    c.access_keys.insert(KEY.into(), AccessKey { account: "111122223333".into(), secret: Some(SECRET.into()) });
    c
}

/// A clock `offset` away from the real one, as a client with a wrong clock has.
#[derive(Debug)]
struct Skewed(Duration, bool);

impl aws_smithy_async::time::TimeSource for Skewed {
    fn now(&self) -> SystemTime {
        if self.1 { SystemTime::now() + self.0 } else { SystemTime::now() - self.0 }
    }
}

async fn sdk(url: &str, key: &str, secret: &str, region: &str, skew: Option<Skewed>, retries: RetryConfig) -> aws_config::SdkConfig {
    let mut l = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(key, secret, None, None, "trust-test"))
        .retry_config(retries);
    if let Some(s) = skew {
        l = l.time_source(s);
    }
    l.load().await
}

/// Changes the body after the SDK has signed it: what a tampering proxy would do.
#[derive(Debug)]
struct Tamper;

impl aws_smithy_runtime_api::client::interceptors::Intercept for Tamper {
    fn name(&self) -> &'static str {
        "Tamper"
    }
    fn modify_before_transmit(
        &self,
        ctx: &mut aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut<'_>,
        _: &aws_sdk_ec2::config::RuntimeComponents,
        _: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let req = ctx.request_mut();
        let body = req.body().bytes().unwrap_or_default().to_vec();
        let tampered = String::from_utf8_lossy(&body).replace("Action=DescribeVpcs", "Action=DescribeVpcs&DryRun=true");
        req.headers_mut().insert("content-length", tampered.len().to_string());
        *req.body_mut() = aws_smithy_types::body::SdkBody::from(tampered);
        Ok(())
    }
}

#[tokio::test]
async fn rust_sdk_signatures_are_verified_with_aws_errors() {
    let s = common::start_with(verifying()).await;
    let ok = sdk(&s.url, KEY, SECRET, "us-east-1", None, RetryConfig::disabled()).await;
    let id = aws_sdk_sts::Client::new(&ok).get_caller_identity().send().await.expect("the right secret is accepted");
    assert_eq!(id.account(), Some("111122223333"));
    aws_sdk_ec2::Client::new(&ok).describe_vpcs().send().await.expect("EC2 too");

    let wrong = sdk(&s.url, KEY, "wrong", "us-east-1", None, RetryConfig::disabled()).await;
    let e = aws_sdk_ec2::Client::new(&wrong).describe_vpcs().send().await.unwrap_err();
    assert_eq!(common::code(&e), "SignatureDoesNotMatch");
    assert!(common::message(&e).starts_with("The request signature we calculated does not match"), "{}", common::message(&e));
    let e = aws_sdk_elasticloadbalancingv2::Client::new(&wrong).describe_load_balancers().send().await.unwrap_err();
    assert_eq!(e.as_service_error().and_then(|x| aws_sdk_ec2::error::ProvideErrorMetadata::code(x)), Some("SignatureDoesNotMatch"));

    let unknown = sdk(&s.url, "AKIANOTCONFIGURED001", SECRET, "us-east-1", None, RetryConfig::disabled()).await;
    let e = aws_sdk_ec2::Client::new(&unknown).describe_vpcs().send().await.unwrap_err();
    assert_eq!(common::code(&e), "AuthFailure");
    let e = aws_sdk_sts::Client::new(&unknown).get_caller_identity().send().await.unwrap_err();
    assert_eq!(e.as_service_error().and_then(|x| aws_sdk_ec2::error::ProvideErrorMetadata::code(x)), Some("InvalidClientTokenId"));

    // A clock 20 minutes slow: EC2 says RequestExpired, STS "Signature expired: …".
    let slow = sdk(&s.url, KEY, SECRET, "us-east-1", Some(Skewed(Duration::from_secs(1200), false)), RetryConfig::disabled()).await;
    let e = aws_sdk_ec2::Client::new(&slow).describe_vpcs().send().await.unwrap_err();
    assert_eq!((common::code(&e).as_str(), common::message(&e).as_str()), ("RequestExpired", "Request has expired."));
    let e = aws_sdk_sts::Client::new(&slow).get_caller_identity().send().await.unwrap_err();
    let msg = e.as_service_error().and_then(|x| aws_sdk_ec2::error::ProvideErrorMetadata::message(x)).unwrap_or_default().to_string();
    assert!(msg.starts_with("Signature expired: ") && msg.ends_with(" - 15 min.)"), "{msg}");
    let fast = sdk(&s.url, KEY, SECRET, "us-east-1", Some(Skewed(Duration::from_secs(1200), true)), RetryConfig::disabled()).await;
    let e = aws_sdk_sts::Client::new(&fast).get_caller_identity().send().await.unwrap_err();
    let msg = e.as_service_error().and_then(|x| aws_sdk_ec2::error::ProvideErrorMetadata::message(x)).unwrap_or_default().to_string();
    assert!(msg.starts_with("Signature not yet current: "), "{msg}");

    // A body changed after signing.
    let ec2 = aws_sdk_ec2::Client::from_conf(aws_sdk_ec2::config::Builder::from(&ok).interceptor(Tamper).build());
    let e = ec2.describe_vpcs().send().await.unwrap_err();
    assert_eq!(common::code(&e), "SignatureDoesNotMatch");

    // Unsigned requests are refused too (the request log shows every refusal).
    let r = http::form(s.url.trim_start_matches("http://"), &[], b"Action=DescribeVpcs&Version=2016-11-15").await;
    assert_eq!((r.status, r.aws_error().unwrap().code.as_str()), (403, "MissingAuthenticationToken"));
    let (_, log) = s.admin("GET", "/_lbsim/requests?errors=true", None).await;
    let codes: Vec<&str> = log["requests"].as_array().unwrap().iter().filter_map(|e| e["error_code"].as_str()).collect();
    assert!(codes.contains(&"SignatureDoesNotMatch") && codes.contains(&"AuthFailure") && codes.contains(&"RequestExpired"), "{codes:?}");
}

#[tokio::test]
async fn verification_per_account_leaves_the_others_unsigned() {
    let mut c = Config { seed: Some(17), ..Config::default() };
    c.access_keys.insert(KEY.into(), AccessKey { account: "111122223333".into(), secret: Some(SECRET.into()) });
    c.accounts.insert("111122223333".into(), lbsim::config::AccountConfig { verify_signatures: true, ..Default::default() });
    let s = common::start_with(c).await;
    // Anyone else: any secret, as by default.
    s.ec2().await.describe_vpcs().send().await.expect("unverified accounts stay open");
    // Claiming the verified account by its id, without its key, does not work.
    let claim = sdk(&s.url, "111122223333", "anything", "us-east-1", None, RetryConfig::disabled()).await;
    let e = aws_sdk_ec2::Client::new(&claim).describe_vpcs().send().await.unwrap_err();
    assert_eq!(common::code(&e), "AuthFailure");
    let ok = sdk(&s.url, KEY, SECRET, "us-east-1", None, RetryConfig::disabled()).await;
    aws_sdk_ec2::Client::new(&ok).describe_vpcs().send().await.expect("the account's own key");
}

#[tokio::test]
async fn unknown_regions_and_accounts_past_the_limit_create_nothing() {
    let s = common::start_with(Config { seed: Some(18), max_accounts: 3, allowed_regions: vec![], ..Config::default() }).await;
    let typo = sdk(&s.url, "test", "x", "us-east1", None, RetryConfig::disabled()).await;
    let e = aws_sdk_ec2::Client::new(&typo).describe_vpcs().send().await.unwrap_err();
    assert_eq!(common::code(&e), "SignatureDoesNotMatch");
    assert_eq!(common::message(&e), "Credential should be scoped to a valid region, not 'us-east1'. ");
    for n in 1..=3 {
        let c = sdk(&s.url, &format!("10000000000{n}"), "x", "eu-west-1", None, RetryConfig::disabled()).await;
        aws_sdk_ec2::Client::new(&c).describe_vpcs().send().await.expect("within the account limit");
    }
    let fourth = sdk(&s.url, "100000000004", "x", "eu-west-1", None, RetryConfig::disabled()).await;
    let e = aws_sdk_ec2::Client::new(&fourth).describe_vpcs().send().await.unwrap_err();
    assert_eq!(common::code(&e), "AuthFailure");
    let e = aws_sdk_sts::Client::new(&fourth).get_caller_identity().send().await.unwrap_err();
    assert_eq!(e.as_service_error().and_then(|x| aws_sdk_ec2::error::ProvideErrorMetadata::code(x)), Some("InvalidClientTokenId"));
    // The default account is the config's own and never counts; nothing was created for the others.
    s.ec2().await.describe_vpcs().send().await.expect("the default account");
    let (_, st) = s.admin("GET", "/_lbsim/state", None).await;
    let accounts: Vec<&String> = st["accounts"].as_object().unwrap().keys().collect();
    assert_eq!(accounts, ["000000000000", "100000000001", "100000000002", "100000000003"]);
    // A reset of one account frees its place.
    let (st, _) = s.admin("POST", "/_lbsim/reset?account=100000000001", None).await;
    assert_eq!(st, 200);
    aws_sdk_ec2::Client::new(&fourth).describe_vpcs().send().await.expect("a freed place");

    // A configured allow-list admits a Region AWS does not have, and only what it lists.
    let s = common::start_with(Config { allowed_regions: vec!["local-1".into(), "us-east-1".into()], ..Config::default() }).await;
    let local = sdk(&s.url, "test", "x", "local-1", None, RetryConfig::disabled()).await;
    let zones = aws_sdk_ec2::Client::new(&local).describe_availability_zones().send().await.unwrap();
    assert_eq!(zones.availability_zones()[0].zone_name(), Some("local-1a"));
    let eu = sdk(&s.url, "test", "x", "eu-west-1", None, RetryConfig::disabled()).await;
    assert_eq!(common::code(&aws_sdk_ec2::Client::new(&eu).describe_vpcs().send().await.unwrap_err()), "SignatureDoesNotMatch");
}

#[tokio::test]
async fn no_web_page_can_drive_the_admin_api() {
    let s = common::start().await;
    let a = s.url.trim_start_matches("http://").to_string();
    let fault = br#"{"kind":"throttle"}"#;
    // The issue's attack: a text/plain POST from a foreign page, and a DNS-rebound Host.
    let r = http::send(&a, "POST", "/_lbsim/faults", &[("Content-Type", "text/plain"), ("Origin", "http://attacker.example")], fault).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("ForbiddenOrigin"));
    let r =
        http::exchange(&a, b"GET /_lbsim/state HTTP/1.1\r\nHost: attacker.example:4566\r\nConnection: close\r\n\r\n".to_vec(), false).await;
    assert_eq!(r.status, 403);
    assert!(r.text().contains("ForbiddenHost"), "{}", r.text());
    // Without an Origin, the content type is what a page cannot fake.
    let r = http::send(&a, "POST", "/_lbsim/faults", &[("Content-Type", "text/plain")], fault).await;
    assert_eq!(r.status, 415, "{}", r.text());
    let r = http::send(&a, "POST", "/_lbsim/faults", &[("Content-Type", "application/x-www-form-urlencoded")], fault).await;
    assert_eq!(r.status, 415);
    let (_, f) = s.admin("GET", "/_lbsim/faults", None).await;
    assert_eq!(f["faults"].as_array().unwrap().len(), 0, "nothing was added: {f}");
    // Programs: JSON, the listener's own address or localhost, lbsim's own origin.
    let r = http::send(&a, "POST", "/_lbsim/faults", &[("Content-Type", "application/json")], fault).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let own = format!("http://{a}");
    let r = http::send(&a, "GET", "/_lbsim/faults", &[("Origin", own.as_str())], b"").await;
    assert_eq!(r.status, 200);
    let r = http::exchange(&a, b"GET /_lbsim/faults HTTP/1.1\r\nHost: localhost:4566\r\nConnection: close\r\n\r\n".to_vec(), false).await;
    assert_eq!(r.status, 200);
    // moto's reset, bodiless, still works for moto's clients.
    let r = http::send(&a, "POST", "/moto-api/reset", &[], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A cross-site form POST to the AWS API is refused as well.
    let r = http::form(&a, &[("Origin", "http://attacker.example")], b"Action=CreateVpc&Version=2016-11-15&CidrBlock=10.9.0.0/16").await;
    assert_eq!(r.status, 403);
    let vpcs = s.ec2().await.describe_vpcs().send().await.unwrap();
    assert_eq!(vpcs.vpcs().len(), 1, "only the default VPC");

    // With a token, a configured host name and the token itself are what count.
    let t = common::start_with(Config { admin_token: Some("s3cret".into()), admin_hosts: vec!["lbsim".into()], ..Config::default() }).await;
    let ta = t.url.trim_start_matches("http://").to_string();
    let r = http::exchange(
        &ta,
        b"GET /_lbsim/state HTTP/1.1\r\nHost: lbsim:4566\r\nx-lbsim-admin-token: s3cret\r\nConnection: close\r\n\r\n".to_vec(),
        false,
    )
    .await;
    assert_eq!(r.status, 200);
    let r = http::exchange(&ta, b"GET /_lbsim/state HTTP/1.1\r\nHost: lbsim:4566\r\nConnection: close\r\n\r\n".to_vec(), false).await;
    assert_eq!(r.status, 403);
}

// ---- the real binary ------------------------------------------------------------------------

struct Proc {
    child: Child,
    addr: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Proc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lbsim"))
        .args(["serve", "--listen", "127.0.0.1:0", "--no-cluster"])
        .args(args)
        .env("LBSIM_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr =
        line.trim().strip_prefix("lbsim listening on http://").unwrap_or_else(|| panic!("lbsim did not start: {line:?}")).to_string();
    let mut ready = String::new();
    out.read_line(&mut ready).unwrap();
    assert_eq!(ready, "Ready.\n", "the line after the address");
    Proc { child, addr }
}

/// The process's stderr so far (the process must have ended, or be killed first).
fn stderr_of(p: &mut Proc) -> String {
    let _ = p.child.kill();
    let _ = p.child.wait();
    let mut s = String::new();
    if let Some(mut e) = p.child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

fn status_kb(pid: u32, field: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = s.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Hundreds of idle connections: with room for them they are held open while the server keeps
/// answering; past `--max-connections` new ones wait (logged once) until idle ones time out;
/// trickled headers are cut off by the idle timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_time_out_and_the_limit_keeps_answers_coming() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const IDLE: usize = 300;
    // Past the limit each wave of idle connections holds its slots for the whole idle timeout.
    const WAITING: usize = 200;
    let describe = b"Action=DescribeVpcs&Version=2016-11-15";

    // 1. Room for all: 300 idle connections stay open while requests are answered.
    let p = spawn(&["--idle-timeout", "30"]);
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        idle.push(tokio::net::TcpStream::connect(&p.addr).await.unwrap());
    }
    for _ in 0..5 {
        let r = http::form(&p.addr, &[], describe).await;
        assert_eq!(r.status, 200, "answered with {IDLE} idle connections open");
    }
    let mut open = 0;
    for s in &idle {
        let mut b = [0u8; 1];
        if matches!(s.try_read(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock) {
            open += 1;
        }
    }
    assert_eq!(open, IDLE, "every idle connection is still held");
    drop(idle);
    drop(p);

    // 2. A limit of 100 and a 2 s idle timeout: the 200 idle ones are closed by the server, and
    //    a request made while they fill every slot is answered once slots free up.
    let mut p = spawn(&["--idle-timeout", "2", "--max-connections", "100"]);
    let mut idle = Vec::new();
    for _ in 0..WAITING {
        idle.push(tokio::net::TcpStream::connect(&p.addr).await.unwrap());
    }
    let r = tokio::time::timeout(Duration::from_secs(20), http::form(&p.addr, &[], describe))
        .await
        .expect("answered after the idle ones time out");
    assert_eq!(r.status, 200);
    let first = &mut idle[0];
    let mut b = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(10), first.read(&mut b)).await.expect("the server closes an idle connection");
    assert!(matches!(n, Ok(0) | Err(_)), "closed, not answered: {n:?}");

    // 3. Headers trickled one byte at a time are cut off by the same timeout.
    let mut slow = tokio::net::TcpStream::connect(&p.addr).await.unwrap();
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let cut = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if slow.write_all(b"a").await.is_err() {
                return;
            }
            let mut b = [0u8; 64];
            match tokio::time::timeout(Duration::from_millis(1), slow.read(&mut b)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return,
                _ => {}
            }
        }
    })
    .await;
    assert!(cut.is_ok(), "a trickling client is disconnected");
    drop(idle);
    let log = stderr_of(&mut p);
    assert_eq!(log.matches("connection limit reached").count(), 1, "one line when the limit is hit: {log}");
}

/// The issue's amplification inputs against the real binary: 1 MiB actions, a new Region name per
/// request, a new 12-digit key per request, the request log read back whole. Resident memory
/// (the peak, VmHWM) must stay under 96 MiB (debug build); before issue 16 the actions alone
/// took 1 GB. `LBSIM_AMPLIFY` scales the counts (default 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_bounded_under_the_amplification_inputs() {
    let scale: usize = std::env::var("LBSIM_AMPLIFY").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let p = spawn(&[]);
    let pid = p.child.id();
    let start = status_kb(pid, "VmRSS:");
    let huge = format!("Version=2016-11-15&Action={}", "A".repeat((1 << 20) - 64));
    let mut tasks = Vec::new();
    for t in 0..4 {
        let (addr, body) = (p.addr.clone(), huge.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..(50 * scale) {
                let r = http::form(&addr, &[], body.as_bytes()).await;
                assert_eq!(r.status, 400, "task {t}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for n in 0..(500 * scale) {
        let auth = format!("AWS4-HMAC-SHA256 Credential=test/20250101/xx-east{n}-1/ec2/aws4_request, SignedHeaders=host, Signature=00");
        let r = http::form(&p.addr, &[("Authorization", &auth)], b"Action=DescribeVpcs&Version=2016-11-15").await;
        assert_eq!(r.aws_error().unwrap().code, "SignatureDoesNotMatch");
        let key = format!("{:012}", 200_000_000_000u64 + n as u64);
        let auth = format!("AWS4-HMAC-SHA256 Credential={key}/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00");
        let r = http::form(&p.addr, &[("Authorization", &auth)], b"Action=DescribeVpcs&Version=2016-11-15").await;
        assert!(r.status == 200 || r.aws_error().unwrap().code == "AuthFailure", "{}", r.text());
    }
    let r = http::send(&p.addr, "GET", "/_lbsim/requests", &[], b"").await;
    assert_eq!(r.status, 200);
    let log: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let longest = log["requests"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).map(str::len).max().unwrap();
    assert!(longest <= 131, "actions are cut in the log: {longest}");
    let r = http::send(&p.addr, "GET", "/_lbsim/state", &[], b"").await;
    let state: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let accounts = state["accounts"].as_object().unwrap();
    assert!(accounts.len() <= 101, "{} accounts", accounts.len());
    assert!(accounts.values().all(|a| a["regions"].as_object().unwrap().keys().all(|r| r == "us-east-1")));
    let peak = status_kb(pid, "VmHWM:");
    eprintln!(
        "amplification: {} 1 MiB actions, {} Region names, {} keys; resident {} kB at start, peak {} kB",
        200 * scale,
        500 * scale,
        500 * scale,
        start,
        peak
    );
    assert!(peak < 96 * 1024, "peak resident memory {peak} kB");
}
