//! The servers a benchmark run measures, all on 127.0.0.1: lbsim in this process (port 0), moto's
//! server as a child process when `python3 -m moto.server` can be imported, fakecloud as a child
//! when its binary is on the PATH or given with `--fakecloud-bin`, and the ceiling — a
//! bare axum server answering one fixed XML body, i.e. the most this machine, HTTP stack and load
//! generator can do. lbsim and the ceiling share this process and runtime with the load
//! generator, so their ratio compares like with like.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use tokio::sync::oneshot;

use super::loadgen::{Call, Conn, Endpoint, Svc};
use lbsim::app::App;
use lbsim::app::request_log::Query;
use lbsim::config::Config;
use lbsim::server;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Lbsim,
    Moto,
    Fakecloud,
    Ceiling,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Lbsim => "lbsim",
            Kind::Moto => "moto",
            Kind::Fakecloud => "fakecloud",
            Kind::Ceiling => "ceiling",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Lbsim, Kind::Moto, Kind::Fakecloud, Kind::Ceiling].into_iter().find(|k| k.name() == s)
    }
}

enum Guard {
    Task(Option<oneshot::Sender<()>>),
    Child(Child),
}

/// A running server; stopped (task ended or child killed) when dropped.
pub struct Target {
    pub kind: Kind,
    pub addr: SocketAddr,
    /// Version or build facts for the report header.
    pub about: String,
    /// The in-process lbsim's App: its request log holds each call's server time (from the
    /// body read to the response built), which no client-side figure can separate out.
    pub app: Option<Arc<App>>,
    guard: Guard,
}

impl Target {
    /// The last sequence number of the in-process lbsim's request log, to mark where a run starts.
    pub fn log_mark(&self) -> Option<u64> {
        self.app.as_ref().map(|a| a.log.query(&Query { limit: Some(0), ..Query::default() }).1)
    }

    /// The median server time of the successful `action` calls logged after `mark` (the log
    /// keeps the last 1,000 calls: enough for a median of any run here).
    pub fn server_p50_ms(&self, action: &str, mark: Option<u64>) -> Option<f64> {
        let (entries, _, _) = self.app.as_ref()?.log.query(&Query { since: Some(mark?), action: Some(action.into()), ..Query::default() });
        let mut ms: Vec<f64> = entries.iter().filter(|e| e.status == 200).map(|e| e.duration_ms).collect();
        ms.sort_by(f64::total_cmp);
        ms.get(ms.len() / 2).copied()
    }

    pub fn endpoint(&self, region: &str) -> Endpoint {
        Endpoint { addr: self.addr, region: region.to_string() }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        match &mut self.guard {
            Guard::Task(stop) => {
                if let Some(s) = stop.take() {
                    let _ = s.send(());
                }
            }
            Guard::Child(c) => {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// Quotas raised far above AWS's defaults: the benchmark measures speed, and 100,000 groups or
/// thousands of load balancers in one Region would otherwise stop at the quota.
pub const BENCH_QUOTAS: &[(&str, u64)] = &[
    ("security-groups-per-region", 10_000_000),
    ("vpcs-per-region", 1_000_000),
    ("subnets-per-vpc", 10_000),
    ("network-interfaces-per-region", 10_000_000),
    ("network-load-balancers", 1_000_000),
    ("application-load-balancers", 1_000_000),
    ("target-groups", 1_000_000),
    ("listeners-per-network-load-balancer", 100_000),
    ("targets-per-target-group", 100_000),
    ("targets-per-network-load-balancer", 1_000_000),
    ("targets-per-availability-zone-per-network-load-balancer", 1_000_000),
    ("target-id-registrations-per-network-load-balancer", 1_000_000),
];

pub fn bench_config() -> Config {
    let mut c = Config { seed: Some(1), ..Config::default() };
    for (k, v) in BENCH_QUOTAS {
        c.quotas.insert((*k).to_string(), *v);
    }
    c
}

/// The same quotas as a config file for a spawned `lbsim serve`.
pub fn bench_config_yaml() -> String {
    let mut s = String::from("seed: 1\nquotas:\n");
    for (k, v) in BENCH_QUOTAS {
        s.push_str(&format!("  {k}: {v}\n"));
    }
    s
}

pub async fn lbsim() -> Result<Target, String> {
    let app = App::new(bench_config())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = oneshot::channel::<()>();
    let served = app.clone();
    tokio::spawn(async move {
        let _ = server::serve(listener, lbsim::admin::router(served), async {
            let _ = rx.await;
        })
        .await;
    });
    let build = if cfg!(debug_assertions) { "debug build" } else { "release build" };
    let mut t = Target {
        kind: Kind::Lbsim,
        addr,
        about: format!("lbsim {} in-process ({build})", env!("CARGO_PKG_VERSION")),
        app: Some(app),
        guard: Guard::Task(Some(tx)),
    };
    wait_ready(&mut t, Duration::from_secs(5)).await?;
    Ok(t)
}

/// The fixed reply of the ceiling: an EC2-shaped body carrying every id and ARN the workloads
/// pick out of create replies, so every workload runs against it unchanged.
pub const CEILING_BODY: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    r#"<CreateSecurityGroupResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">"#,
    "<requestId>00000000-0000-0000-0000-000000000000</requestId>",
    "<groupId>sg-0123456789abcdef0</groupId><vpcId>vpc-0123456789abcdef0</vpcId>",
    "<subnetId>subnet-0123456789abcdef0</subnetId>",
    "<LoadBalancerArn>arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/ceiling/0123456789abcdef</LoadBalancerArn>",
    "<TargetGroupArn>arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/ceiling/0123456789abcdef</TargetGroupArn>",
    "<ListenerArn>arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/ceiling/0123456789abcdef/0123456789abcdef</ListenerArn>",
    "<RuleArn>arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/ceiling/0123456789abcdef/0123456789abcdef/0123456789abcdef</RuleArn>",
    "<return>true</return></CreateSecurityGroupResponse>"
);

async fn ceiling_reply(body: Bytes) -> impl IntoResponse {
    // Read the body as lbsim does, then answer the same bytes every time.
    drop(body);
    ([(header::CONTENT_TYPE, "text/xml;charset=UTF-8")], CEILING_BODY)
}

pub async fn ceiling() -> Result<Target, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = oneshot::channel::<()>();
    let router = Router::new().fallback(ceiling_reply);
    // TCP_NODELAY as lbsim's server sets it, so the two differ only in the work behind the answer.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    let mut t = Target { kind: Kind::Ceiling, addr, about: "axum, fixed XML body".into(), app: None, guard: Guard::Task(Some(tx)) };
    wait_ready(&mut t, Duration::from_secs(5)).await?;
    Ok(t)
}

fn python_ok(code: &str) -> Option<String> {
    let out = Command::new("python3").args(["-c", code]).stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// moto's server as a child process, or why it cannot run here.
pub async fn moto() -> Result<Target, String> {
    let version =
        tokio::task::spawn_blocking(|| python_ok("import moto.server, flask, werkzeug, importlib.metadata as m; print(m.version('moto'))"))
            .await
            .ok()
            .flatten()
            .ok_or("python3 cannot import moto.server (pip install 'moto[server]')")?;
    // A free port: bind, read, release. moto binds it a moment later.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| format!("bind: {e}"))?.port();
    let child = Command::new("python3")
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start python3 -m moto.server: {e}"))?;
    let mut t = Target {
        kind: Kind::Moto,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        about: format!("moto {version} (python3 -m moto.server, werkzeug)"),
        app: None,
        guard: Guard::Child(child),
    };
    wait_ready(&mut t, Duration::from_secs(60)).await?;
    Ok(t)
}

/// The binary `fakecloud` names: an explicit path, else the first `fakecloud` on the PATH.
fn find_fakecloud(explicit: Option<&std::path::Path>) -> Option<std::path::PathBuf> {
    if let Some(p) = explicit {
        return p.is_file().then(|| p.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join("fakecloud")).find(|p| p.is_file())
}

/// fakecloud (github.com/faiscadev/fakecloud, one Rust binary) as a child process, or why it
/// cannot run here. Actions it does not serve show as "not available", as for moto.
pub async fn fakecloud(bin: Option<&std::path::Path>) -> Result<Target, String> {
    let path = find_fakecloud(bin).ok_or(match bin {
        Some(p) => format!("no fakecloud binary at {} (docs/performance.md says how to get one)", p.display()),
        None => "no fakecloud on the PATH (docs/performance.md says how to get one; or pass --fakecloud-bin)".to_string(),
    })?;
    let version = Command::new(&path)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "fakecloud (version unknown)".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| format!("bind: {e}"))?.port();
    let child = Command::new(&path)
        .args(["--addr", &format!("127.0.0.1:{port}"), "--log-level", "warn"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
    let mut t = Target {
        kind: Kind::Fakecloud,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        about: format!("{version} ({})", path.display()),
        app: None,
        guard: Guard::Child(child),
    };
    wait_ready(&mut t, Duration::from_secs(30)).await?;
    Ok(t)
}

/// Polls with a signed STS GetCallerIdentity until the server answers 200.
async fn wait_ready(t: &mut Target, limit: Duration) -> Result<(), String> {
    let started = Instant::now();
    let ep = t.endpoint("us-east-1");
    loop {
        if let Ok(mut c) = Conn::open(&ep).await
            && let Ok(r) = c.call(&Call::new(Svc::Sts, "GetCallerIdentity")).await
            && r.ok()
        {
            return Ok(());
        }
        if let Guard::Child(c) = &mut t.guard
            && let Ok(Some(status)) = c.try_wait()
        {
            return Err(format!("{} exited before answering ({status})", t.kind.name()));
        }
        if started.elapsed() > limit {
            return Err(format!("{} did not answer within {limit:?}", t.kind.name()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
