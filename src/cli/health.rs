//! `lbsim health`: asks a running `lbsim serve` for `GET /_lbsim/health` and exits 0 when it
//! answers `{"status": "ok"}`, 1 otherwise — what a container HEALTHCHECK needs in an image with
//! no shell and no curl. The endpoint is `--endpoint`, else the address `LBSIM_LISTEN` names (an
//! unspecified address such as 0.0.0.0 means this machine's loopback), else 127.0.0.1:4566.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use crate::client::http::Http;

#[derive(clap::Args, Debug)]
pub struct HealthArgs {
    /// The lbsim to ask (default: from LBSIM_LISTEN, else http://127.0.0.1:4566).
    #[arg(long, env = "LBSIM_ENDPOINT")]
    pub endpoint: Option<String>,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
}

/// The URL of the health endpoint.
fn url(a: &HealthArgs, listen: Option<&str>) -> String {
    let base = match (&a.endpoint, listen.and_then(|l| l.parse::<SocketAddr>().ok())) {
        (Some(e), _) => e.trim_end_matches('/').to_string(),
        (None, Some(mut addr)) => {
            if addr.ip().is_unspecified() {
                addr.set_ip(if addr.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
            }
            format!("http://{addr}")
        }
        (None, None) => "http://127.0.0.1:4566".to_string(),
    };
    format!("{base}/_lbsim/health")
}

pub fn run(a: HealthArgs) -> ExitCode {
    let url = url(&a, std::env::var("LBSIM_LISTEN").ok().as_deref());
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lbsim: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let ask = async { Http::new().request("GET", &url, None, &[]).await };
    let reply = match rt.block_on(async { tokio::time::timeout(Duration::from_secs(a.timeout.max(1)), ask).await }) {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            eprintln!("lbsim health: {e}");
            return ExitCode::from(1);
        }
        Err(_) => {
            eprintln!("lbsim health: {url} did not answer within {} s", a.timeout.max(1));
            return ExitCode::from(1);
        }
    };
    let status = reply.json().ok().and_then(|v| v["status"].as_str().map(String::from));
    if reply.status == 200 && status.as_deref() == Some("ok") {
        println!("ok");
        ExitCode::SUCCESS
    } else {
        eprintln!("lbsim health: {url} answered HTTP {} {}", reply.status, reply.text().chars().take(200).collect::<String>());
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_from_flag_listen_address_or_default() {
        let a = |e: Option<&str>| HealthArgs { endpoint: e.map(String::from), timeout: 3 };
        assert_eq!(url(&a(Some("http://h:1/")), Some("0.0.0.0:4566")), "http://h:1/_lbsim/health");
        assert_eq!(url(&a(None), Some("0.0.0.0:4566")), "http://127.0.0.1:4566/_lbsim/health");
        assert_eq!(url(&a(None), Some("[::]:4567")), "http://[::1]:4567/_lbsim/health");
        assert_eq!(url(&a(None), Some("10.1.2.3:80")), "http://10.1.2.3:80/_lbsim/health");
        assert_eq!(url(&a(None), None), "http://127.0.0.1:4566/_lbsim/health");
    }
}
