//! The `lbsim` command line: clap definitions only; each subcommand is a function of
//! `lbsim::cli` (`serve`, `run`, `health`, live mode's `apply`/`delete`/`get`). The benchmark is a
//! separate binary, `lbsim-bench`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lbsim::cli::live::{LiveArgs, LiveCmd};
use lbsim::cli::{self, health::HealthArgs, plan::PlanArgs, run::RunArgs, serve::ServeArgs};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "lbsim", version, about = "Local EKS/ELB/EC2 simulator with AWS's quotas")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the EC2, ELBv2, STS and EKS APIs from memory (with the controller emulation on the
    /// loaded clusters).
    Serve(ServeArgs),
    /// Replay scenario files (or directories of them) against the controller emulation.
    Run(RunArgs),
    /// Exit 0 when a running `lbsim serve` answers its health check (for container HEALTHCHECKs).
    Health(HealthArgs),
    /// Quota planner: how many more copies of these Services (or ports, or source ranges) fit,
    /// in legacy and in security-group mode, and which quota stops them.
    Plan(PlanArgs),
    /// Live mode: apply Kubernetes manifests (Services, Pods, Nodes) to a running `lbsim serve`.
    Apply {
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        live: LiveArgs,
    },
    /// Live mode: delete a Service or an Ingress from a running `lbsim serve`.
    Delete {
        /// `service` (`svc`) or `ingress` (`ing`).
        kind: String,
        name: String,
        #[arg(short = 'n', long, default_value = "default")]
        namespace: String,
        #[command(flatten)]
        live: LiveArgs,
    },
    /// Live mode: list `services`, `ingresses` or `events` of a running `lbsim serve`.
    Get {
        /// `services` (`svc`), `ingresses` (`ing`) or `events` (`ev`).
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
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("LBSIM_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        // No colour escapes in files, CI logs and containers.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().command {
        Command::Serve(a) => cli::serve::run(a),
        Command::Run(a) => cli::run::run(a),
        Command::Health(a) => cli::health::run(a),
        Command::Plan(a) => cli::plan::run(a),
        Command::Apply { files, live } => cli::live::run(live, LiveCmd::Apply(files)),
        Command::Delete { kind, name, namespace, live } => cli::live::run(live, LiveCmd::Delete(kind, namespace, name)),
        Command::Get { what, name, namespace, output, live } => cli::live::run(live, LiveCmd::Get(what, name, namespace, output.is_some())),
    }
}
