//! `lbsim run`: replays scenario files (or directories of them) against the controller
//! emulation and writes the reports. Exit 0 when every scenario passed or was skipped, 1 on a
//! failure, 2 on a usage error (no file found, a report that cannot be written).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::scenario;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Scenario files, or directories whose *.yaml files are run in name order.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Write the JSON report here.
    #[arg(long)]
    pub report_json: Option<PathBuf>,
    /// Write a JUnit XML report here (one test case per scenario).
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Differential mode: replay against this endpoint (e.g. moto's server) instead of lbsim
    /// in process; lbsim-only steps are skipped with a note.
    #[arg(long)]
    pub endpoint: Option<String>,
}

pub fn run(a: RunArgs) -> ExitCode {
    let files = match scenario::format::discover(&a.paths) {
        Ok(f) if f.is_empty() => {
            let names: Vec<String> = a.paths.iter().map(|p| p.display().to_string()).collect();
            return super::usage(format!("no scenario files in {}", names.join(", ")));
        }
        Ok(f) => f,
        Err(e) => return super::usage(e),
    };
    if let Some(url) = &a.endpoint {
        println!(
            "differential mode: replaying against {url}; faults, virtual time, quota overrides and the request log are lbsim only and are skipped"
        );
    }
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let report = rt.block_on(scenario::run_files(&files, &scenario::Options { endpoint: a.endpoint }, &mut |line| println!("{line}")));
    let mut code = if report.ok() { 0 } else { 1 };
    if let Some(p) = a.report_json
        && let Err(e) = std::fs::write(&p, report.json())
    {
        eprintln!("lbsim: {}: {e}", p.display());
        code = 2;
    }
    if let Some(p) = a.junit
        && let Err(e) = report.junit().and_then(|x| std::fs::write(&p, x).map_err(|e| format!("{}: {e}", p.display())))
    {
        eprintln!("lbsim: {e}");
        code = 2;
    }
    ExitCode::from(code)
}
