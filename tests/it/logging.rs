//! Issue 2: with LBSIM_LOG=debug, `lbsim serve` logs one line per request naming service,
//! action, account, region, status and duration.

use crate::common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread")]
async fn one_debug_line_per_request() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lbsim"))
        .args(["serve", "--listen", "127.0.0.1:0", "--no-cluster"])
        .env("LBSIM_LOG", "lbsim=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("lbsim listening on ").unwrap().to_string();
    let s = common::attach(&url).await;
    let ec2 = aws_sdk_ec2::Client::new(&s.sdk("123456789012", "eu-west-1").await);
    ec2.describe_vpcs().send().await.unwrap();
    let e = ec2.describe_vpcs().vpc_ids("vpc-12345678").send().await.unwrap_err();
    assert_eq!(common::code(&e), "InvalidVpcID.NotFound");
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(child.wait().unwrap().success());
    let requests: Vec<&str> = err.lines().filter(|l| l.contains("request") && l.contains("action=DescribeVpcs")).collect();
    assert_eq!(requests.len(), 2, "one line per request:\n{err}");
    for (l, status) in requests.iter().zip(["status=200", "status=400"]) {
        for field in ["service=\"ec2\"", "account=123456789012", "region=eu-west-1", status, "micros="] {
            assert!(l.contains(field), "{field} missing in {l}");
        }
    }
}
