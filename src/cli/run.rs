//! `lbsim run`: replays scenario files (or directories of them) against the controller
//! emulation and writes the reports (JSON, JUnit, HTML). Exit 0 when every scenario passed or was
//! skipped, 1 on a failure, 2 on a usage error (no file found, a file that does not parse or names
//! unknown settings, a report that cannot be written).

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
    /// Write a self-contained HTML report here: per scenario its timeline, expectations and
    /// charts over the steps.
    #[arg(long)]
    pub report_html: Option<PathBuf>,
    /// Differential mode: replay against this endpoint (e.g. moto's server) instead of lbsim
    /// in process; lbsim-only steps are skipped with a note.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Only scenarios whose name or file name matches this glob (a plain word: a substring).
    #[arg(long)]
    pub filter: Option<String>,
    /// Stop after the first scenario that fails.
    #[arg(long)]
    pub fail_fast: bool,
}

/// One readable line when `--endpoint` cannot be reached, before any scenario runs.
async fn probe(url: &str) -> Result<(), String> {
    let uri: axum::http::Uri = url.parse().map_err(|_| format!("--endpoint '{url}' is not a URL"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("--endpoint '{url}': only http:// endpoints are supported"));
    }
    let host = uri.host().ok_or_else(|| format!("--endpoint '{url}' names no host"))?;
    let addr = format!("{}:{}", host.trim_start_matches('[').trim_end_matches(']'), uri.port_u16().unwrap_or(80));
    match tokio::time::timeout(std::time::Duration::from_secs(5), tokio::net::TcpStream::connect(&addr)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("cannot reach --endpoint {url} ({addr}): {e}")),
        Err(_) => Err(format!("cannot reach --endpoint {url} ({addr}): no answer within 5s")),
    }
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
    if let Some(url) = &a.endpoint
        && let Err(e) = rt.block_on(probe(url))
    {
        return super::usage(e);
    }
    let opts = scenario::Options { endpoint: a.endpoint, filter: a.filter.clone(), fail_fast: a.fail_fast };
    let report = rt.block_on(scenario::run_files(&files, &opts, &mut |line| println!("{line}")));
    if report.scenarios.is_empty()
        && let Some(f) = &a.filter
    {
        return super::usage(format!("--filter '{f}' matches no scenario"));
    }
    // A file that does not parse (or names unknown settings) is a usage error, as a bad flag is;
    // the reports still list it.
    let bad_file = report.scenarios.iter().any(|s| s.failure.as_ref().is_some_and(|f| f.step == "parse"));
    let mut code = if bad_file {
        2
    } else if report.ok() {
        0
    } else {
        1
    };
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
    if let Some(p) = a.report_html
        && let Err(e) = std::fs::write(&p, crate::ui::report::html(&report))
    {
        eprintln!("lbsim: {}: {e}", p.display());
        code = 2;
    }
    ExitCode::from(code)
}
