//! The `lbsim` command line: `lbsim serve` runs the API server, `lbsim run` replays scenario
//! files, `lbsim bench` runs the benchmark.
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
        Command::Serve { listen, config, admin_token, request_log_size, state_file, snapshot_interval } => {
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
                if let Some(path) = app.config.state_file.clone() {
                    match lbsim::persist::load(&path).and_then(|s| s.map(|s| lbsim::persist::restore(&app, s)).transpose()) {
                        Ok(Some(())) => tracing::info!(path = %path.display(), "state restored"),
                        Ok(None) => tracing::info!(path = %path.display(), "no state file yet; starting fresh"),
                        Err(e) => {
                            eprintln!("lbsim: {e}");
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
