//! The `lbsim` command line: `lbsim serve` runs the API server (with the controller emulation on
//! its clusters), `lbsim run` replays scenario files, `lbsim apply/delete/get` talk to a running
//! server's clusters (live mode), `lbsim bench` runs the benchmark.
//! Thin: parses flags, loads the config, and hands over to the library.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use lbsim::config::Config;
use lbsim::server::{self, App};

#[derive(Parser)]
#[command(name = "lbsim", version, about = "Local EKS/ELB/EC2 simulator with AWS's quotas")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where a live-mode command finds the server.
#[derive(clap::Args)]
struct LiveArgs {
    /// The running lbsim.
    #[arg(long, env = "LBSIM_ENDPOINT", default_value = "http://127.0.0.1:4566")]
    endpoint: String,
    /// Live cluster name (default: the first the server loaded).
    #[arg(long)]
    cluster: Option<String>,
    #[arg(long, env = "LBSIM_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the EC2, ELBv2 and STS APIs from memory.
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, env = "LBSIM_LISTEN", default_value = "127.0.0.1:4566")]
        listen: SocketAddr,
        /// YAML file with accounts, quotas and Region settings.
        #[arg(long, env = "LBSIM_CONFIG")]
        config: Option<PathBuf>,
        /// Token that admin API callers present (`Authorization: Bearer <token>` or
        /// `x-lbsim-admin-token`); without it the admin API answers loopback peers only.
        #[arg(long, env = "LBSIM_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        /// Recent API calls kept for `GET /_lbsim/requests` (0 turns the log off).
        #[arg(long, env = "LBSIM_REQUEST_LOG_SIZE")]
        request_log_size: Option<usize>,
        /// Load state from this file at start and write it atomically on shutdown and on
        /// `POST /_lbsim/snapshot` (and every --snapshot-interval seconds).
        #[arg(long, env = "LBSIM_STATE_FILE")]
        state_file: Option<PathBuf>,
        /// Also write the state file every N seconds (needs --state-file).
        #[arg(long, env = "LBSIM_SNAPSHOT_INTERVAL", requires = "state_file")]
        snapshot_interval: Option<u64>,
        /// Cluster fixture(s) to load at start (fixtures/clusters/*.yaml); default: the embedded
        /// 3-node cluster "demo" in account 000000000000, us-east-1.
        #[arg(long = "cluster")]
        clusters: Vec<PathBuf>,
        /// Start with no cluster at all.
        #[arg(long, conflicts_with = "clusters")]
        no_cluster: bool,
        /// Controller settings for the clusters' controller emulation (YAML: profile, flags,
        /// feature_gates — docs/reconciler.md); default: v2.6.0 with the controller's defaults.
        #[arg(long, env = "LBSIM_CONTROLLER_CONFIG")]
        controller_config: Option<PathBuf>,
    },
    /// Live mode: apply Kubernetes manifests (Services, Pods, Nodes) to a running `lbsim serve`.
    Apply {
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        live: LiveArgs,
    },
    /// Live mode: delete a Service from a running `lbsim serve`.
    Delete {
        /// Only `service` (or `svc`).
        kind: String,
        name: String,
        #[arg(short = 'n', long, default_value = "default")]
        namespace: String,
        #[command(flatten)]
        live: LiveArgs,
    },
    /// Live mode: list `services` or `events` of a running `lbsim serve`.
    Get {
        /// `services` (`svc`) or `events` (`ev`).
        what: String,
        /// Only this object (events).
        name: Option<String>,
        #[arg(short = 'n', long)]
        namespace: Option<String>,
        /// Print the server's JSON answer.
        #[arg(short = 'o', long = "output", value_parser = ["json"])]
        output: Option<String>,
        #[command(flatten)]
        live: LiveArgs,
    },
    /// Benchmark lbsim against moto's server and an HTTP ceiling on this machine (docs/performance.md).
    Bench(lbsim::bench::BenchArgs),
    /// Replay scenario files (or directories of them) against the controller emulation.
    Run {
        /// Scenario files, or directories whose *.yaml files are run in name order.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write the JSON report here.
        #[arg(long)]
        report_json: Option<PathBuf>,
        /// Write a JUnit XML report here (one test case per scenario).
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Differential mode: replay against this endpoint (e.g. moto's server) instead of lbsim
        /// in process; lbsim-only steps are skipped with a note.
        #[arg(long)]
        endpoint: Option<String>,
    },
}

/// `lbsim run`: exit 0 when every scenario passed or was skipped, 1 on a failure, 2 on a usage
/// error (no file found, a report that cannot be written).
fn run_scenarios(
    paths: Vec<PathBuf>,
    report_json: Option<PathBuf>,
    junit: Option<PathBuf>,
    endpoint: Option<String>,
) -> std::process::ExitCode {
    use lbsim::scenario;
    let files = match scenario::format::discover(&paths) {
        Ok(f) if f.is_empty() => {
            eprintln!("lbsim: no scenario files in {}", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
            return std::process::ExitCode::from(2);
        }
        Ok(f) => f,
        Err(e) => {
            eprintln!("lbsim: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if let Some(url) = &endpoint {
        println!(
            "differential mode: replaying against {url}; faults, virtual time, quota overrides and the request log are lbsim only and are skipped"
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let report = rt.block_on(scenario::run_files(&files, &scenario::Options { endpoint }, &mut |line| println!("{line}")));
    let mut code = if report.ok() { 0 } else { 1 };
    if let Some(p) = report_json
        && let Err(e) = std::fs::write(&p, report.json())
    {
        eprintln!("lbsim: {}: {e}", p.display());
        code = 2;
    }
    if let Some(p) = junit {
        match report.junit().and_then(|x| std::fs::write(&p, x).map_err(|e| format!("{}: {e}", p.display()))) {
            Ok(()) => {}
            Err(e) => {
                eprintln!("lbsim: {e}");
                code = 2;
            }
        }
    }
    std::process::ExitCode::from(code)
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("LBSIM_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        // No colour escapes in files, CI logs and containers.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Bench(args) => lbsim::bench::cli(args),
        Command::Run { paths, report_json, junit, endpoint } => run_scenarios(paths, report_json, junit, endpoint),
        Command::Apply { files, live } => live_command(live, LiveCmd::Apply(files)),
        Command::Delete { kind, name, namespace, live } => live_command(live, LiveCmd::Delete(kind, namespace, name)),
        Command::Get { what, name, namespace, output, live } => live_command(live, LiveCmd::Get(what, name, namespace, output.is_some())),
        Command::Serve {
            listen,
            config,
            admin_token,
            request_log_size,
            state_file,
            snapshot_interval,
            clusters,
            no_cluster,
            controller_config,
        } => {
            let controller_cfg: lbsim::reconciler::ControllerConfig = match controller_config
                .map(|p| {
                    std::fs::read_to_string(&p)
                        .map_err(|e| format!("{}: {e}", p.display()))
                        .and_then(|t| serde_yaml_ng::from_str(&t).map_err(|e| format!("{}: {e}", p.display())))
                })
                .transpose()
            {
                Ok(c) => c.unwrap_or_default(),
                Err(e) => {
                    eprintln!("lbsim: controller config: {e}");
                    return std::process::ExitCode::from(2);
                }
            };
            let fixtures = match load_fixtures(&clusters, no_cluster) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("lbsim: {e}");
                    return std::process::ExitCode::from(2);
                }
            };
            let mut config = match config.map(|p| Config::load(&p)).transpose() {
                Ok(c) => c.unwrap_or_default(),
                Err(e) => {
                    eprintln!("lbsim: {e}");
                    return std::process::ExitCode::from(2);
                }
            };
            // Flags and environment win over the file.
            if let Some(t) = admin_token.filter(|t| !t.is_empty()) {
                config.admin_token = Some(t);
            }
            if let Some(n) = request_log_size {
                config.request_log_size = n;
            }
            if state_file.is_some() {
                config.state_file = state_file;
            }
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
            rt.block_on(async move {
                let app = match App::new(config) {
                    Ok(a) => a,
                    Err(e) => {
                        eprintln!("lbsim: {e}");
                        return std::process::ExitCode::from(2);
                    }
                };
                // A corrupt or newer state file stops the start: never a silently empty world.
                let mut restored = false;
                if let Some(path) = app.config.state_file.clone() {
                    match lbsim::persist::load(&path).and_then(|s| s.map(|s| lbsim::persist::restore(&app, s)).transpose()) {
                        Ok(Some(())) => {
                            tracing::info!(path = %path.display(), "state restored");
                            restored = true;
                        }
                        Ok(None) => tracing::info!(path = %path.display(), "no state file yet; starting fresh"),
                        Err(e) => {
                            eprintln!("lbsim: {e}");
                            return std::process::ExitCode::from(2);
                        }
                    }
                }
                // A restored state already holds the clusters' AWS side; loading them again would
                // create a second copy. (Their Kubernetes side is not in snapshots yet.)
                if restored && !fixtures.is_empty() {
                    tracing::warn!("state restored from the state file: cluster fixtures are not loaded again");
                }
                for f in fixtures.iter().filter(|_| !restored) {
                    // The Kubernetes side is kept and the controller emulation runs on it (live mode).
                    match lbsim::live::start(&app, f, controller_cfg.clone()).await {
                        Ok(c) => {
                            let l = &c.loaded;
                            tracing::info!(cluster = %l.name, account = %l.account, region = %l.region, vpc = %l.vpc_id, nodes = l.nodes.len(), "cluster fixture loaded; controller running")
                        }
                        Err(e) => {
                            eprintln!("lbsim: cluster {}: {e}", f.name);
                            return std::process::ExitCode::from(2);
                        }
                    }
                }
                if let Some(secs) = snapshot_interval.filter(|s| *s > 0) {
                    let a = app.clone();
                    tokio::spawn(async move {
                        let mut tick = tokio::time::interval(std::time::Duration::from_secs(secs));
                        tick.tick().await;
                        loop {
                            tick.tick().await;
                            let b = a.clone();
                            match tokio::task::spawn_blocking(move || lbsim::persist::save_app(&b)).await {
                                Ok(Err(e)) => tracing::error!(error = %e, "periodic snapshot failed"),
                                Err(e) => tracing::error!(error = %e, "periodic snapshot task failed"),
                                Ok(Ok(_)) => {}
                            }
                        }
                    });
                }
                let listener = match tokio::net::TcpListener::bind(listen).await {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("lbsim: cannot listen on {listen}: {e}");
                        return std::process::ExitCode::from(1);
                    }
                };
                let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
                // Tests and scripts wait for this line to know the server is ready.
                println!("lbsim listening on http://{addr}");
                tracing::info!(%addr, "lbsim ready");
                match server::serve(listener, app.clone(), server::shutdown_signal()).await {
                    Ok(()) => match lbsim::persist::save_app(&app) {
                        Ok(saved) => {
                            if let Some(p) = saved {
                                tracing::info!(path = %p.display(), "state written");
                            }
                            tracing::info!("lbsim stopped");
                            std::process::ExitCode::SUCCESS
                        }
                        Err(e) => {
                            eprintln!("lbsim: {e}");
                            std::process::ExitCode::from(1)
                        }
                    },
                    Err(e) => {
                        eprintln!("lbsim: {e}");
                        std::process::ExitCode::from(1)
                    }
                }
            })
        }
    }
}

enum LiveCmd {
    Apply(Vec<PathBuf>),
    Delete(String, String, String),
    Get(String, Option<String>, Option<String>, bool),
}

/// `lbsim apply/delete/get`: one request to the server's `/_lbsim/k8s/…`, printed for a person.
fn live_command(live: LiveArgs, cmd: LiveCmd) -> std::process::ExitCode {
    use lbsim::live::client;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let mut query = Vec::new();
    if let Some(c) = &live.cluster {
        query.push(format!("cluster={c}"));
    }
    let q = |extra: &[String]| {
        let all: Vec<String> = query.iter().chain(extra).cloned().collect();
        if all.is_empty() { String::new() } else { format!("?{}", all.join("&")) }
    };
    let token = live.admin_token.as_deref().filter(|t| !t.is_empty());
    let result = rt.block_on(async {
        match cmd {
            LiveCmd::Apply(files) => {
                let mut out = Vec::new();
                for f in files {
                    let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
                    let (status, v) =
                        client::request(&live.endpoint, "POST", &format!("/_lbsim/k8s/apply{}", q(&[])), Some(text), token).await?;
                    if status != 200 {
                        return Err(format!("{}: {}", f.display(), client::error_text(&v)));
                    }
                    for a in v["applied"].as_array().into_iter().flatten() {
                        out.push(format!("{} applied", a.as_str().unwrap_or("?").to_lowercase()));
                    }
                }
                Ok(out.join("\n"))
            }
            LiveCmd::Delete(kind, ns, name) => {
                if !["service", "services", "svc"].contains(&kind.to_lowercase().as_str()) {
                    return Err(format!("cannot delete '{kind}': only services"));
                }
                let (status, v) =
                    client::request(&live.endpoint, "DELETE", &format!("/_lbsim/k8s/services/{ns}/{name}{}", q(&[])), None, token).await?;
                if status != 200 {
                    return Err(client::error_text(&v));
                }
                let fin = if v["finalizing"].as_bool() == Some(true) { " (the controller is removing its load balancer)" } else { "" };
                Ok(format!("service \"{name}\" deleted{fin}"))
            }
            LiveCmd::Get(what, name, ns, json) => {
                let mut extra = Vec::new();
                if let Some(n) = &ns {
                    extra.push(format!("namespace={n}"));
                }
                let path = match what.to_lowercase().as_str() {
                    "services" | "service" | "svc" => "/_lbsim/k8s/services",
                    "events" | "event" | "ev" => {
                        if let Some(n) = &name {
                            extra.push(format!("name={n}"));
                        }
                        "/_lbsim/k8s/events"
                    }
                    other => return Err(format!("cannot get '{other}': use services or events")),
                };
                let (status, v) = client::request(&live.endpoint, "GET", &format!("{path}{}", q(&extra)), None, token).await?;
                if status != 200 {
                    return Err(client::error_text(&v));
                }
                if json {
                    return Ok(serde_json::to_string_pretty(&v).unwrap_or_default());
                }
                Ok(if path.ends_with("services") { services_table(&v) } else { events_table(&v) })
            }
        }
    });
    match result {
        Ok(text) => {
            println!("{text}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lbsim: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

/// Columns padded to the widest cell, as kubectl prints.
fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect::<Vec<_>>().join("   ").trim_end().to_string()
    };
    let mut out = vec![line(header.iter().map(|h| h.to_string()).collect())];
    out.extend(rows.into_iter().map(line));
    out.join("\n")
}

fn services_table(v: &serde_json::Value) -> String {
    let s = |x: &serde_json::Value| x.as_str().unwrap_or("<none>").to_string();
    let rows = v["services"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let ports: Vec<String> = r["ports"].as_array().into_iter().flatten().map(&s).collect();
            let host = if r["deleting"].as_bool() == Some(true) { format!("{} (deleting)", s(&r["hostname"])) } else { s(&r["hostname"]) };
            vec![s(&r["namespace"]), s(&r["name"]), s(&r["type"]), host, ports.join(",")]
        })
        .collect();
    table(&["NAMESPACE", "NAME", "TYPE", "EXTERNAL-HOSTNAME", "PORT(S)"], rows)
}

fn events_table(v: &serde_json::Value) -> String {
    let s = |x: &serde_json::Value| x.as_str().unwrap_or("").to_string();
    let rows = v["events"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            vec![
                s(&e["last"]),
                s(&e["type"]),
                s(&e["reason"]),
                format!("{}/{}", s(&e["kind"]).to_lowercase(), s(&e["name"])),
                e["count"].to_string(),
                s(&e["message"]),
            ]
        })
        .collect();
    table(&["LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"], rows)
}

fn load_fixtures(paths: &[PathBuf], none: bool) -> Result<Vec<lbsim::cluster::fixture::Fixture>, String> {
    use lbsim::cluster::fixture::Fixture;
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
