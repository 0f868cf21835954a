//! Measurements of a spawned `lbsim serve` process: (d) start-up time to the first successful
//! request and (e) resident memory (VmRSS from /proc/<pid>/status) after populating groups with
//! rules. These need their own process, unlike the throughput runs.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::loadgen::{self, Call, Conn, Endpoint, Stop, Svc};
use super::workloads::{Pool, Populate, TenRules};

/// A spawned server, killed and reaped when dropped.
struct Spawned {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `bin serve --listen 127.0.0.1:0` (plus `extra` flags) and reads the address from its
/// ready line.
fn spawn(bin: &Path, config: Option<&Path>, extra: &[&str]) -> Result<Spawned, String> {
    let mut cmd = Command::new(bin);
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("LBSIM_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let mut child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let Some(out) = child.stdout.take() else {
        let _ = child.kill();
        return Err("no stdout".into());
    };
    let mut line = String::new();
    let read = BufReader::new(out).read_line(&mut line);
    let addr = line.trim().strip_prefix("lbsim listening on http://").and_then(|a| a.parse().ok());
    match (read, addr) {
        (Ok(_), Some(addr)) => Ok(Spawned { child, addr }),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("{} did not print its ready line (got {:?})", bin.display(), line.trim()))
        }
    }
}

/// Time from spawning the binary to its first 200 answer (STS GetCallerIdentity), `runs` times.
pub fn startup(bin: &Path, runs: usize) -> Result<Vec<Duration>, String> {
    let probe = Call::new(Svc::Sts, "GetCallerIdentity");
    // A runtime of its own: the probe is the only thing it runs, so polling costs no more than it must.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let t0 = Instant::now();
        // As users start it: with the embedded demo cluster and its controller.
        let s = spawn(bin, None, &[])?;
        let ep = Endpoint { addr: s.addr, region: "us-east-1".into() };
        let mut conn = rt.block_on(Conn::open(&ep))?;
        loop {
            if rt.block_on(conn.call(&probe)).is_ok_and(|r| r.status == 200) {
                times.push(t0.elapsed());
                break;
            }
            if t0.elapsed() > Duration::from_secs(10) {
                return Err("no successful answer within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    Ok(times)
}

/// A `/proc/<pid>/status` field in KiB (`VmRSS:`, `RssAnon:`, …).
fn status_kib(pid: u32, name: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok())
}

/// VmRSS and VmHWM of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<(u64, u64)> {
    Some((status_kib(pid, "VmRSS:")?, status_kib(pid, "VmHWM:")?))
}

#[derive(Debug, Default)]
pub struct Memory {
    pub idle_kib: u64,
    pub rss_kib: u64,
    pub hwm_kib: u64,
    /// Of the resident set: anonymous pages (heap, stacks) and file pages (the binary's code
    /// and data as far as it was touched).
    pub anon_kib: u64,
    pub file_kib: u64,
    pub groups: u64,
    pub rule_calls: u64,
    pub errors: u64,
    pub unavailable: Option<String>,
    pub seconds: f64,
}

/// Spawns lbsim with the benchmark quotas, creates `groups` tagged groups and 10 ingress rules
/// in each, then reads the process's resident memory.
pub async fn memory(bin: PathBuf, groups: u64, conns: usize) -> Result<Memory, String> {
    let cfg = std::env::temp_dir().join(format!("lbsim-bench-{}.yaml", std::process::id()));
    std::fs::write(&cfg, super::targets::bench_config_yaml()).map_err(|e| format!("{}: {e}", cfg.display()))?;
    let c2 = cfg.clone();
    // The API server alone: the target is about what groups and rules cost, and the demo cluster
    // with its controller is a fixed overhead on top (reported by the startup process's idle).
    let spawned = tokio::task::spawn_blocking(move || spawn(&bin, Some(&c2), &["--no-cluster"])).await.map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&cfg);
    let s = spawned?;
    let pid = s.child.id();
    let ep = Endpoint { addr: s.addr, region: "us-east-1".into() };
    let mut m = Memory::default();
    let mut conn = Conn::open(&ep).await?;
    conn.call(&Call::new(Svc::Ec2, "DescribeSecurityGroups")).await?;
    m.idle_kib = rss_kib(pid).map(|x| x.0).unwrap_or(0);
    let t = Instant::now();
    let pool = Arc::new(Pool::default());
    let budget = Duration::from_secs(600);
    let o = loadgen::run(&ep, Arc::new(Populate { pool: pool.clone() }), conns, Stop::Count { n: groups, budget }).await?;
    m.groups = pool.len() as u64;
    m.errors += o.errors;
    if o.unavailable.is_some() {
        m.unavailable = o.unavailable;
        return Ok(m);
    }
    let o = loadgen::run(&ep, Arc::new(TenRules { pool }), conns, Stop::Count { n: m.groups, budget }).await?;
    m.rule_calls = o.ok;
    m.errors += o.errors;
    m.unavailable = o.unavailable;
    m.seconds = t.elapsed().as_secs_f64();
    if let Some((rss, hwm)) = rss_kib(pid) {
        m.rss_kib = rss;
        m.hwm_kib = hwm;
        m.anon_kib = status_kib(pid, "RssAnon:").unwrap_or(0);
        m.file_kib = status_kib(pid, "RssFile:").unwrap_or(0);
    }
    drop(s);
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_rss() {
        let (rss, hwm) = rss_kib(std::process::id()).expect("/proc/self/status");
        assert!(rss > 0 && hwm >= rss);
    }
}
