//! `lbsim serve`: the EC2, ELBv2, STS and EKS APIs from memory, the admin API beside them, and
//! live mode — each loaded cluster fixture keeps its Kubernetes side with the controller
//! emulation running on it. Loads the state file first (a corrupt one stops the start), writes it
//! on shutdown and every `--snapshot-interval` seconds.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::app::App;
use crate::config::Config;
use crate::reconciler::ControllerConfig;
use crate::state::eks::Ca;
use crate::world::live::{HttpsApi, Registry};
use crate::world::{Fixture, World};
use crate::{admin, persist, server};

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "LBSIM_LISTEN", default_value = "127.0.0.1:4566")]
    pub listen: SocketAddr,
    /// Address of the https listener of the clusters' Kubernetes API (what EKS's
    /// DescribeCluster reports, with the CA lbsim makes at start); default: the --listen
    /// address with a free port.
    #[arg(long, env = "LBSIM_HTTPS_LISTEN")]
    pub https_listen: Option<SocketAddr>,
    /// YAML file with accounts, quotas and Region settings.
    #[arg(long, env = "LBSIM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Token that admin API callers present (`Authorization: Bearer <token>` or
    /// `x-lbsim-admin-token`); without it the admin API answers loopback peers only.
    #[arg(long, env = "LBSIM_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Peers that may use the admin API without a token besides loopback (repeatable, or
    /// comma-separated): in a container the peer of a published port is the bridge gateway.
    #[arg(long = "admin-allow", value_name = "CIDR", env = "LBSIM_ADMIN_ALLOW", value_delimiter = ',')]
    pub admin_allow: Vec<String>,
    /// Host names the admin API answers to besides IP addresses and localhost (repeatable, or
    /// comma-separated), e.g. the service name other containers use.
    #[arg(long = "admin-host", value_name = "NAME", env = "LBSIM_ADMIN_HOST", value_delimiter = ',')]
    pub admin_hosts: Vec<String>,
    /// Verify every request's SigV4 signature against the secrets under `access_keys` in the
    /// config (per account: `accounts.<id>.verify_signatures`).
    #[arg(long, env = "LBSIM_VERIFY_SIGNATURES")]
    pub verify_signatures: bool,
    /// Open connections at most (default: 1,024, fewer under a lower open-file limit).
    #[arg(long, env = "LBSIM_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Seconds an idle connection, a trickled request head or body, or an unread response may
    /// take before the connection is closed.
    #[arg(long, env = "LBSIM_IDLE_TIMEOUT", default_value_t = 30)]
    pub idle_timeout: u64,
    /// Recent API calls kept for `GET /_lbsim/requests` (0 turns the log off).
    #[arg(long, env = "LBSIM_REQUEST_LOG_SIZE")]
    pub request_log_size: Option<usize>,
    /// Load state from this file at start and write it atomically on shutdown and on
    /// `POST /_lbsim/snapshot` (and every --snapshot-interval seconds).
    #[arg(long, env = "LBSIM_STATE_FILE")]
    pub state_file: Option<PathBuf>,
    /// Also write the state file every N seconds (needs --state-file).
    #[arg(long, env = "LBSIM_SNAPSHOT_INTERVAL", requires = "state_file")]
    pub snapshot_interval: Option<u64>,
    /// Cluster fixture(s) to load at start (fixtures/clusters/*.yaml); default: the embedded
    /// 3-node cluster "demo" in account 000000000000, us-east-1.
    #[arg(long = "cluster")]
    pub clusters: Vec<PathBuf>,
    /// Start with no cluster at all.
    #[arg(long, conflicts_with = "clusters")]
    pub no_cluster: bool,
    /// Controller settings for the clusters' controller emulation (YAML: profile, flags,
    /// feature_gates — docs/reconciler.md); default: v2.6.0 with the controller's defaults.
    #[arg(long, env = "LBSIM_CONTROLLER_CONFIG")]
    pub controller_config: Option<PathBuf>,
}

pub fn run(a: ServeArgs) -> ExitCode {
    let controller_cfg = match a.controller_config.as_deref().map(read_controller_config).transpose() {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => return super::usage(format!("controller config: {e}")),
    };
    let fixtures = match load_fixtures(&a.clusters, a.no_cluster) {
        Ok(f) => f,
        Err(e) => return super::usage(e),
    };
    let mut config = match a.config.as_deref().map(Config::load).transpose() {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => return super::usage(e),
    };
    // Flags and environment win over the file.
    if let Some(t) = a.admin_token.filter(|t| !t.is_empty()) {
        config.admin_token = Some(t);
    }
    if let Some(n) = a.request_log_size {
        config.request_log_size = n;
    }
    if a.state_file.is_some() {
        config.state_file = a.state_file;
    }
    config.admin_allow.extend(a.admin_allow.into_iter().filter(|c| !c.trim().is_empty()).map(|c| c.trim().to_string()));
    config.admin_hosts.extend(a.admin_hosts.into_iter().filter(|h| !h.trim().is_empty()).map(|h| h.trim().to_string()));
    config.verify_signatures |= a.verify_signatures;
    if let Err(e) = config.check() {
        return super::usage(e);
    }
    let mut limits = server::Limits::default();
    if let Some(n) = a.max_connections {
        if n == 0 {
            return super::usage("--max-connections must be at least 1");
        }
        limits.max_connections = n;
    }
    if a.idle_timeout == 0 {
        return super::usage("--idle-timeout must be at least 1 second");
    }
    limits.idle_timeout = std::time::Duration::from_secs(a.idle_timeout);
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let https = a.https_listen.unwrap_or(SocketAddr::new(a.listen.ip(), 0));
    rt.block_on(serve(config, fixtures, controller_cfg, a.listen, https, a.snapshot_interval, limits))
}

async fn serve(
    config: Config,
    fixtures: Vec<Fixture>,
    controller_cfg: ControllerConfig,
    listen: SocketAddr,
    https_listen: SocketAddr,
    interval: Option<u64>,
    limits: server::Limits,
) -> ExitCode {
    let app = match App::new(config) {
        Ok(a) => a,
        Err(e) => return super::usage(e),
    };
    // The https listener's keys, made while the rest starts (k8s::tls); EKS calls wait for the CA.
    let keys = crate::k8s::tls::generate_in_background(vec![listen.ip(), https_listen.ip()]);
    app.eks.set_ca(Ca::Pending);
    let bind = |addr: SocketAddr| async move {
        tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            eprintln!("lbsim: cannot listen on {addr}: {e}");
            ExitCode::from(1)
        })
    };
    let listener = match bind(listen).await {
        Ok(l) => l,
        Err(code) => return code,
    };
    let https_listener = match bind(https_listen).await {
        Ok(l) => l,
        Err(code) => return code,
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let https_addr = https_listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let live = Arc::new(Registry::default());
    let world = World::in_process(app.clone());
    let https_host = if https_listen.ip().is_unspecified() {
        format!("127.0.0.1:{}", https_addr.rsplit(':').next().unwrap_or("0"))
    } else {
        https_addr.clone()
    };
    live.set_https(HttpsApi { base: format!("https://{https_host}") });
    live.set_origin(&world, &fixtures, &controller_cfg);
    app.set_cluster_hooks(live.clone());
    // A corrupt or newer state file stops the start: never a silently empty world.
    let mut restored = false;
    if let Some(path) = app.config.state_file.clone() {
        let stale = persist::remove_stale(&path);
        if stale > 0 {
            tracing::info!(path = %path.display(), removed = stale, "removed temporary snapshot files an earlier run left behind");
        }
        let snapshot = match persist::load(&path) {
            Ok(s) => s,
            Err(e) => return super::usage(e),
        };
        if let Some(s) = snapshot {
            let clusters = s.clusters.clone();
            if let Err(e) = persist::restore(&app, s) {
                return super::usage(format!("state file {}: {e}", path.display()));
            }
            match live.restore(&world, &clusters, &controller_cfg).await {
                Ok(names) => tracing::info!(path = %path.display(), clusters = ?names, "state restored; controllers restarted"),
                Err(e) => return super::usage(format!("state file {}: {e}", path.display())),
            }
            restored = true;
        } else {
            tracing::info!(path = %path.display(), "no state file yet; starting fresh");
        }
    }
    // A restored state already holds the clusters (both sides); loading them again would
    // create a second copy.
    if restored && !fixtures.is_empty() {
        tracing::info!("state restored from the state file: cluster fixtures are not loaded again");
    }
    for f in fixtures.iter().filter(|_| !restored) {
        match live.start(&world, f, controller_cfg.clone()).await {
            Ok(c) => {
                let l = &c.loaded;
                tracing::info!(cluster = %l.name, account = %l.account, region = %l.region, vpc = %l.vpc_id, nodes = l.nodes.len(), "cluster fixture loaded; controllers running")
            }
            Err(e) => return super::usage(format!("cluster {}: {e}", f.name)),
        }
    }
    if let Some(secs) = interval.filter(|s| *s > 0) {
        tokio::spawn(snapshots_every(app.clone(), secs));
    }
    // Before the ready line: from then on a SIGTERM must reach the graceful shutdown.
    let signal = server::shutdown_signal();
    // Tests and scripts wait for these lines to know the server is ready ("Ready." is what
    // LocalStack prints, so tooling that waits for it works too). Written, not println!: callers
    // read them and may close the pipe, which must not stop lbsim.
    {
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "lbsim listening on http://{addr}\nReady.\n");
        let _ = out.flush();
    }
    for c in live.list() {
        let n = &c.loaded.name;
        let p = crate::k8s::PREFIX;
        tracing::info!(cluster = %n, http = %format!("http://{addr}{p}/{n}"), https = %format!("https://{https_host}{p}/{n}"), "Kubernetes API (lbsim kubeconfig --cluster {n})");
    }
    tracing::info!(%addr, https = %https_addr, dashboard = %format!("http://{addr}{}", crate::ui::dashboard::PAGE_PATH), max_connections = limits.max_connections, idle_timeout = ?limits.idle_timeout, verify_signatures = app.config.verifies_any(), "lbsim ready");
    let k8s = crate::k8s::router(app.clone(), live.clone());
    let router = k8s
        .clone()
        .merge(admin::router(app.clone()))
        .merge(crate::world::k8s_endpoints::router(app.clone(), live.clone()))
        .merge(crate::ui::dashboard::router(app.clone(), live))
        .layer(axum::middleware::from_fn(crate::ui::dashboard::root_redirect));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let https_router = k8s.merge(axum::Router::new().fallback(|| async { crate::k8s::status::Status::path_not_found() }));
    let mut stop_https = stop_rx.clone();
    let eks_app = app.clone();
    let tls = async move {
        match keys.await {
            Ok(Ok(t)) => {
                eks_app.eks.set_ca(Ca::Ready(t.ca_data()));
                Arc::new(t)
            }
            // Not expected (key generation has no input): the AWS API goes on without the
            // https Kubernetes API, and EKS reports the placeholder CA.
            failed => {
                let why = failed.map_or_else(|_| "the key thread ended".to_string(), |r| r.err().unwrap_or_default());
                tracing::error!(error = %why, "cannot make the https listener's keys: the Kubernetes API is served over http only");
                eks_app.eks.set_ca(Ca::Absent);
                std::future::pending().await
            }
        }
    };
    tokio::spawn(crate::k8s::tls::serve(https_listener, tls, https_router, async move {
        let _ = stop_https.wait_for(|s| *s).await;
    }));
    let shutdown = async move {
        signal.await;
        let _ = stop_tx.send(true);
    };
    if let Err(e) = server::serve_with(listener, router, limits, shutdown).await {
        eprintln!("lbsim: {e}");
        return ExitCode::from(1);
    }
    match persist::save_app(&app) {
        Ok(saved) => {
            if let Some(p) = saved {
                tracing::info!(path = %p.display(), "state written");
            }
            tracing::info!("lbsim stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lbsim: {e}");
            ExitCode::from(1)
        }
    }
}

/// Writes the state file every `secs` seconds, off the async threads (it fsyncs).
async fn snapshots_every(app: Arc<App>, secs: u64) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(secs));
    tick.tick().await;
    loop {
        tick.tick().await;
        let a = app.clone();
        match tokio::task::spawn_blocking(move || persist::save_app(&a)).await {
            Ok(Err(e)) => tracing::error!(error = %e, "periodic snapshot failed"),
            Err(e) => tracing::error!(error = %e, "periodic snapshot task failed"),
            Ok(Ok(_)) => {}
        }
    }
}

fn read_controller_config(p: &std::path::Path) -> Result<ControllerConfig, String> {
    let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
}

fn load_fixtures(paths: &[PathBuf], none: bool) -> Result<Vec<Fixture>, String> {
    if none {
        return Ok(Vec::new());
    }
    if paths.is_empty() {
        return Ok(vec![Fixture::default_cluster()]);
    }
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            Fixture::parse(&text).map_err(|e| format!("{}: {e}", p.display()))
        })
        .collect()
}
