//! Garbled input (issue 2 §6): random bytes, truncated forms and bodies, huge list indexes, deep
//! nesting, invalid UTF-8, missing Version/Action, wrong content types, GET query strings.
//! Every answer must be an AWS-shaped 4xx XML error (never a 5xx, never a hang, never a dropped
//! connection), and the server must still serve a valid DescribeVpcs afterwards. Also: the built
//! binary is ready after start and exits 0 on SIGTERM/SIGINT.

use crate::common;

use common::http::{self, AwsError, Envelope, Reply};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

const EC2_AUTH: &str = "AWS4-HMAC-SHA256 Credential=test/20250115/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00";
/// Request headers of one case.
type Headers<'a> = &'a [(&'a str, &'a str)];

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

fn addr(s: &common::Server) -> String {
    s.url.trim_start_matches("http://").to_string()
}

/// Asserts an AWS-shaped 4xx error and returns it.
#[track_caller]
fn client_error(what: &str, r: &Reply) -> AwsError {
    let e = r.aws_error().unwrap_or_else(|why| panic!("{what}: not an AWS error ({why}); status {} body {}", r.status, r.text()));
    assert!((400..500).contains(&r.status), "{what}: status {} ({} {})", r.status, e.code, e.message);
    e
}

/// The server still answers a real SDK call.
async fn still_serving(s: &common::Server) {
    let vpcs = s.ec2().await.describe_vpcs().send().await.expect("DescribeVpcs after garbage");
    assert!(vpcs.vpcs().iter().any(|v| v.is_default() == Some(true)), "the default VPC is listed");
}

#[tokio::test]
async fn random_bytes_bodies() {
    let s = common::start().await;
    let a = addr(&s);
    let mut rng = ChaCha8Rng::seed_from_u64(0x1b51);
    for i in 0..300 {
        let len = (rng.next_u32() % 2048) as usize;
        let mut body = vec![0u8; len];
        rng.fill_bytes(&mut body);
        let headers: &[(&str, &str)] =
            if i % 2 == 0 { &[("Content-Type", FORM)] } else { &[("Content-Type", FORM), ("Authorization", EC2_AUTH)] };
        let r = http::post(&a, headers, &body).await;
        let e = client_error(&format!("random body #{i} ({len} bytes)"), &r);
        if i % 2 == 1 {
            assert_eq!(e.envelope, Envelope::Ec2, "a request signed for ec2 gets the EC2 envelope");
        }
    }
    still_serving(&s).await;
}

/// Random forms built from real parameter names and hostile values reach the actions' parsers:
/// whatever they hold, the answer is a success or an AWS-shaped 4xx, never a 5xx.
#[tokio::test]
async fn random_forms_reach_the_actions() {
    let s = common::start().await;
    let a = addr(&s);
    let mut rng = ChaCha8Rng::seed_from_u64(0xf0f0);
    let actions = ["DescribeVpcs", "DescribeSubnets", "CreateVpc", "CreateSubnet", "DeleteVpc", "DescribeAvailabilityZones"];
    let keys = ["VpcId", "VpcId.1", "SubnetId.2", "CidrBlock", "MaxResults", "NextToken", "DryRun", "Filter.1.Name", "Filter.1.Value.1"];
    let values =
        ["", "vpc-", "vpc-12345678", "10.0.0.0%2F16", "-1", "99999999999999999999", "true", "tag:%00", "%ff", "%E2%9C%93", "a%2Bb"];
    let mut errors = 0;
    for i in 0..200 {
        let mut body = format!("Version=2016-11-15&Action={}", actions[rng.next_u32() as usize % actions.len()]);
        for _ in 0..rng.next_u32() % 6 {
            let k = keys[rng.next_u32() as usize % keys.len()];
            let v = values[rng.next_u32() as usize % values.len()];
            body.push_str(&format!("&{k}={v}"));
        }
        let r = http::post(&a, &[("Content-Type", FORM)], body.as_bytes()).await;
        assert!(r.status < 500, "#{i} {body}: status {} {}", r.status, r.text());
        if r.status >= 400 {
            client_error(&body, &r);
            errors += 1;
        } else {
            http::xml_leaves(&r.text()).unwrap_or_else(|e| panic!("#{i} {body}: success body is not XML: {e}"));
        }
    }
    assert!(errors > 50, "the random forms should mostly be refused, only {errors} were");
    still_serving(&s).await;
}

#[tokio::test]
async fn truncated_forms_and_bodies() {
    let s = common::start().await;
    let a = addr(&s);
    // DryRun comes first so that every prefix, even a complete one, is refused (412 at best).
    let full = "DryRun=true&Version=2016-11-15&Action=CreateVpc&CidrBlock=10.1.0.0%2F16\
                &TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=team&TagSpecification.1.Tag.1.Value=web";
    for cut in 0..=full.len() {
        let r = http::post(&a, &[("Content-Type", FORM)], &full.as_bytes()[..cut]).await;
        client_error(&format!("prefix {:?}", &full[..cut]), &r);
    }
    // A body that breaks off before its Content-Length: the client half-closes mid-body.
    for cut in [0, 1, 20, full.len() - 1] {
        let head = format!("POST / HTTP/1.1\r\nHost: {a}\r\nContent-Type: {FORM}\r\nContent-Length: {}\r\n\r\n", full.len());
        let mut raw = head.into_bytes();
        raw.extend_from_slice(&full.as_bytes()[..cut]);
        let r = http::exchange(&a, raw, true).await;
        let e = client_error(&format!("body cut at {cut}"), &r);
        assert_eq!(e.code, "MalformedQueryString", "a cut-off body is malformed, not too large: {}", e.message);
    }
    still_serving(&s).await;
}

#[tokio::test]
async fn huge_indexes_and_long_lists() {
    let s = common::start().await;
    let a = addr(&s);
    let cases: Vec<(String, &str)> = vec![
        ("Action=DescribeVpcs&Version=2016-11-15&VpcId.99999999=x".into(), "InvalidVpcID.Malformed"),
        ("Action=DescribeVpcs&Version=2016-11-15&VpcId.99999999=vpc-12345678&VpcId.1=vpc-1234abcd".into(), "InvalidVpcID.NotFound"),
        ("Action=DescribeVpcs&Version=2016-11-15&VpcId.18446744073709551615=vpc-12345678".into(), "InvalidVpcID.NotFound"),
        (
            "Action=DescribeVpcs&Version=2016-11-15&Filter.99999999.Name=no-such-filter&Filter.99999999.Value.99999999=x".into(),
            "InvalidParameterValue",
        ),
        (
            "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.1.0.0%2F16&DryRun=true\
             &TagSpecification.4294967297.ResourceType=vpc&TagSpecification.4294967297.Tag.99999999.Key=k"
                .into(),
            "DryRunOperation",
        ),
        (
            format!("Action=DescribeVpcs&Version=2016-11-15{}", (1..=10_001).map(|i| format!("&VpcId.{i}=vpc-1")).collect::<String>()),
            "InvalidParameterValue",
        ),
    ];
    for (body, code) in cases {
        let r = http::post(&a, &[("Content-Type", FORM)], body.as_bytes()).await;
        let e = client_error(&body[..body.len().min(120)], &r);
        assert_eq!(e.code, code, "{}: {}", &body[..body.len().min(120)], e.message);
    }
    still_serving(&s).await;
}

#[tokio::test]
async fn deep_nesting() {
    let s = common::start().await;
    let a = addr(&s);
    let deep: String = (0..500).map(|i| format!("{}.1.", (b'A' + (i % 26) as u8) as char)).collect();
    let deep = deep.trim_end_matches('.');
    let cases = [
        (format!("Action=DescribeVpcs&Version=2016-11-15&VpcId.1=bad&{deep}=x"), "InvalidVpcID.Malformed"),
        (format!("Action=DescribeVpcs&Version=2016-11-15&Filter.1.{deep}=x&Filter.1.Name=nope"), "InvalidParameterValue"),
        (
            format!("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.1.0.0%2F16&DryRun=true&TagSpecification.1.{deep}=x"),
            "InvalidParameterValue",
        ),
        (
            format!(
                "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.1.0.0%2F16&DryRun=true&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.{deep}=x"
            ),
            "MissingParameter",
        ),
    ];
    for (body, code) in cases {
        let r = http::post(&a, &[("Content-Type", FORM)], body.as_bytes()).await;
        let e = client_error(&body[..100], &r);
        assert_eq!(e.code, code, "{}…: {}", &body[..100], e.message);
    }
    still_serving(&s).await;
}

#[tokio::test]
async fn invalid_utf8() {
    let s = common::start().await;
    let a = addr(&s);
    let bodies: Vec<Vec<u8>> = vec![
        b"Action=DescribeVpcs&Version=2016-11-15&VpcId.1=\xff".to_vec(),
        b"Action=DescribeVpcs&Version=2016-11-15&\xc3\x28=x".to_vec(),
        b"Action=DescribeVpcs\xe2\x82&Version=2016-11-15".to_vec(),
        b"Action=DescribeVpcs&Version=2016-11-15&VpcId.1=%C0%AF".to_vec(), // overlong '/'
        b"Action=DescribeVpcs&Version=2016-11-15&VpcId.1=%ED%A0%80".to_vec(), // a surrogate
        b"Action=DescribeVpcs&Version=2016-11-15&VpcId.1=%F4%90%80%80".to_vec(), // past U+10FFFF
        b"Action=DescribeVpcs&Version=2016-11-15&VpcId.1=%80".to_vec(),
        b"Action=%FF&Version=2016-11-15".to_vec(),
    ];
    for (i, body) in bodies.iter().enumerate() {
        for auth in [None, Some(EC2_AUTH)] {
            let mut h = vec![("Content-Type", FORM)];
            h.extend(auth.map(|v| ("Authorization", v)));
            let r = http::post(&a, &h, body).await;
            let e = client_error(&format!("body #{i}"), &r);
            assert_eq!(e.code, "MalformedQueryString", "body #{i}: {}", e.message);
            assert_eq!(e.envelope, if auth.is_some() { Envelope::Ec2 } else { Envelope::Query });
        }
    }
    // Control characters are valid UTF-8 but cannot appear in XML: the echo must stay parseable.
    let r = http::post(&a, &[("Content-Type", FORM)], b"Action=Describe%00Vpcs%07&Version=2016-11-15".as_slice()).await;
    assert_eq!(client_error("control characters", &r).code, "InvalidAction");
    still_serving(&s).await;
}

#[tokio::test]
async fn missing_version_or_action() {
    let s = common::start().await;
    let a = addr(&s);
    let cases: [(&[u8], Option<&str>, &str); 6] = [
        (b"", None, "UnknownService"),
        (b"Action=DescribeVpcs", None, "UnknownService"),
        (b"Version=2016-11-15", None, "MissingAction"),
        (b"Action=&Version=2016-11-15", None, "InvalidAction"),
        (b"", Some(EC2_AUTH), "MissingAction"),
        (b"&&&=&==&", None, "UnknownService"),
    ];
    for (body, auth, code) in cases {
        let mut h = vec![("Content-Type", FORM)];
        h.extend(auth.map(|v| ("Authorization", v)));
        let r = http::post(&a, &h, body).await;
        let e = client_error(&String::from_utf8_lossy(body), &r);
        assert_eq!(e.code, code, "{:?}: {}", String::from_utf8_lossy(body), e.message);
    }
    still_serving(&s).await;
}

/// lbsim reads the body as a form whatever the content type says (judgement call: SDKs always
/// send forms to these services); bodies of other protocols are therefore refused as such.
#[tokio::test]
async fn wrong_content_types() {
    let s = common::start().await;
    let a = addr(&s);
    let cases: [(Headers, &[u8]); 5] = [
        (&[("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "AmazonEC2.DescribeVpcs")], b"{\"Version\":\"2016-11-15\"}"),
        (&[("Content-Type", "application/json")], b"{\"Action\":\"DescribeVpcs\",\"Version\":\"2016-11-15\"}"),
        (&[("Content-Type", "text/xml")], b"<DescribeVpcs><Version>2016-11-15</Version></DescribeVpcs>"),
        (&[("Content-Type", "application/cbor"), ("Authorization", EC2_AUTH)], b"\xbf\x66Action\x6cDescribeVpcs\xff"),
        (
            &[("Content-Type", "multipart/form-data; boundary=x")],
            b"--x\r\nContent-Disposition: form-data; name=\"Action\"\r\n\r\nDescribeVpcs\r\n--x--",
        ),
    ];
    for (headers, body) in cases {
        let r = http::post(&a, headers, body).await;
        client_error(&format!("{headers:?}"), &r);
    }
    still_serving(&s).await;
}

#[tokio::test]
async fn get_and_other_methods() {
    let s = common::start().await;
    let a = addr(&s);
    let cases: [(&str, &str, &str); 7] = [
        ("GET", "/", "UnknownService"),
        ("GET", "/?Action=DescribeVpcs&Version=2016-11-15&VpcId.1=%zz", "MalformedQueryString"),
        ("GET", "/?Action=NoSuchAction&Version=2016-11-15", "InvalidAction"),
        ("GET", "/?Version=2016-11-15", "MissingAction"),
        ("GET", "/some/path?Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-12345678", "InvalidVpcID.NotFound"),
        ("DELETE", "/?Action=DescribeVpcs", "UnknownService"),
        // Only GET reads the query string; a PUT's empty body names no service.
        ("PUT", "/?%ff", "UnknownService"),
    ];
    for (method, target, code) in cases {
        let r = http::send(&a, method, target, &[], b"").await;
        let e = client_error(&format!("{method} {target}"), &r);
        assert_eq!(e.code, code, "{method} {target}: {}", e.message);
    }
    // Query APIs accept GET with the parameters in the query string, as AWS does.
    let r = http::send(&a, "GET", "/?Action=DescribeAvailabilityZones&Version=2016-11-15", &[], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    still_serving(&s).await;
}

#[tokio::test]
async fn oversized_bodies() {
    let s = common::start().await;
    let a = addr(&s);
    let big = format!("Action=DescribeVpcs&Version=2016-11-15&VpcId.1={}", "a".repeat(lbsim::server::MAX_BODY));
    // Declared length over the limit: refused before reading.
    let r = http::post(&a, &[("Content-Type", FORM), ("Authorization", EC2_AUTH)], big.as_bytes()).await;
    let e = client_error("declared length", &r);
    assert_eq!((r.status, e.code.as_str(), e.envelope), (413, "RequestEntityTooLarge", Envelope::Ec2));
    // Chunked, so no length is declared: refused once the limit is passed.
    let mut raw =
        format!("POST / HTTP/1.1\r\nHost: {a}\r\nContent-Type: {FORM}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            .into_bytes();
    for chunk in big.as_bytes().chunks(64 * 1024) {
        raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let r = http::exchange(&a, raw, false).await;
    let e = client_error("chunked", &r);
    assert_eq!((r.status, e.code.as_str()), (413, "RequestEntityTooLarge"));
    // Exactly at the limit is fine (and here a well-formed, refused id).
    let prefix = "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-";
    let at = format!("{prefix}{}", "a".repeat(lbsim::server::MAX_BODY - prefix.len()));
    let r = http::post(&a, &[("Content-Type", FORM)], at.as_bytes()).await;
    assert_eq!(client_error("at the limit", &r).code, "InvalidVpcID.Malformed");
    // Through the SDK: the error is one it can parse, with the code.
    let err = s.ec2().await.describe_vpcs().vpc_ids("vpc-".to_string() + &"a".repeat(lbsim::server::MAX_BODY)).send().await.unwrap_err();
    assert_eq!(common::code(&err), "RequestEntityTooLarge");
    still_serving(&s).await;
}

mod process {
    //! The built binary: ready after start, stops cleanly on a signal.

    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    fn spawn() -> (Child, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lbsim"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_remove("LBSIM_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn lbsim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("read the listening line");
        let addr =
            line.trim().strip_prefix("lbsim listening on http://").unwrap_or_else(|| panic!("unexpected first line {line:?}")).to_string();
        (child, addr)
    }

    /// One keep-alive request; returns the still-open connection and the response head.
    fn request(addr: &str) -> (TcpStream, String) {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let body = "Action=DescribeAvailabilityZones&Version=2016-11-15";
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        // Read until the whole response (head + Content-Length bytes) is in.
        loop {
            let n = s.read(&mut buf).expect("response");
            assert!(n > 0, "connection closed early");
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                    .expect("content-length");
                if rest.len() >= len {
                    return (s, head.to_string());
                }
            }
        }
    }

    fn stop(child: &mut Child, signal: &str) -> std::process::ExitStatus {
        let ok = Command::new("kill").args([signal, &child.id().to_string()]).status().expect("kill");
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("lbsim did not exit within 10 s of {signal}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn ready_then_sigterm_exits_zero_with_an_idle_connection_open() {
        let (mut child, addr) = spawn();
        let (idle, head) = request(&addr);
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let status = stop(&mut child, "-TERM");
        drop(idle);
        assert!(status.success(), "exit status {status:?}");
    }

    /// A client that stalls mid-body must not keep a stopping server alive (it did: graceful
    /// shutdown waited for that connection forever).
    #[test]
    fn sigterm_exits_zero_while_a_client_stalls_mid_body() {
        let (mut child, addr) = spawn();
        let mut stalled = TcpStream::connect(&addr).expect("connect");
        write!(stalled, "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\n\r\nAction=Describe").unwrap();
        stalled.flush().unwrap();
        // The server has the request in hand before the signal comes.
        let (_, head) = request(&addr);
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let status = stop(&mut child, "-TERM");
        drop(stalled);
        assert!(status.success(), "exit status {status:?}");
    }

    #[test]
    fn sigint_exits_zero() {
        let (mut child, addr) = spawn();
        let (_, head) = request(&addr);
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let status = stop(&mut child, "-INT");
        assert!(status.success(), "exit status {status:?}");
    }
}
