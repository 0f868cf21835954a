//! Scenario files replayed against the controller emulation (issue 6): `lbsim run <files or
//! dirs>` reads YAML scenarios (scenarios/schema.json), replays each deterministically — seeded
//! ids, the virtual clock — prints a timeline, and ends with a report and an exit code.
//!
//! Owns: the format (`format`), its JSON Schema check (`schema`), the files a scenario may read
//! (`files`), the world a scenario runs in
//! (`env`), step execution (`runner`), node changes (`nodes`), raw API calls (`raw`), checks
//! (`checks`) and reports (`report`).
//! May call: `world` (the one builder of lbsim + cluster + controller), `client` (SDK clients and
//! raw calls), `cluster`, `reconciler`, `app` and `admin` (faults, usage) in process. Must never:
//! change what the controller decides; checks only read.

pub mod checks;
pub mod env;
pub mod files;
pub mod format;
pub mod nodes;
pub mod raw;
pub mod report;
pub mod runner;
pub mod samples;
pub mod schema;

use std::path::PathBuf;

pub use report::{RunReport, ScenarioReport, Status};
pub use runner::Options;

/// Whether a scenario is selected by `--filter`: a glob over its name or file name; a pattern
/// without `*` or `?` matches as a substring.
pub fn selected(filter: Option<&str>, name: &str, path: &std::path::Path) -> bool {
    let Some(f) = filter else { return true };
    let file = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let glob = if f.contains(['*', '?']) { f.to_string() } else { format!("*{f}*") };
    let m = wildmatch::WildMatch::new(&glob);
    m.matches(name) || m.matches(&file)
}

/// Runs every file in order (those `opts.filter` selects; after the first failure, none with
/// `opts.fail_fast`); `out` receives the timeline, line by line.
pub async fn run_files(files: &[PathBuf], opts: &Options, out: &mut dyn FnMut(&str)) -> RunReport {
    let started = chrono::Utc::now();
    let clock = std::time::Instant::now();
    let mut reports = Vec::new();
    // The filter needs the scenario's name, so files are read first; unreadable ones stay in
    // (their error is the report) unless the file name itself is filtered out.
    let files: Vec<&PathBuf> = files
        .iter()
        .filter(|p| {
            let name = format::load(p).map(|l| l.scenario.name).unwrap_or_default();
            selected(opts.filter.as_deref(), &name, p)
        })
        .collect();
    let total = files.len();
    for (n, path) in files.iter().copied().enumerate() {
        if opts.fail_fast && reports.iter().any(|r: &ScenarioReport| matches!(r.status, Status::Failed | Status::Error)) {
            out(&format!("--fail-fast: {} scenario(s) not run", total - n));
            break;
        }
        let one = std::time::Instant::now();
        // The typed parse is the check (its errors carry line and column); the schema is derived from it.
        let loaded = format::load(path);
        let mut report = match loaded {
            Err(e) => ScenarioReport::bad_file(path, e),
            Ok(l) => {
                out(&format!("[{}/{total}] {} ({})", n + 1, l.scenario.name, path.display()));
                let mut on_step = |s: &report::StepReport| out(&report::step_line(s));
                runner::run(&l, opts, &mut on_step).await
            }
        };
        report.wall_seconds = one.elapsed().as_secs_f64();
        let mut line = format!("  => {} {}", report.name, report.status.label());
        if let Some(r) = &report.reason {
            line += &format!(" ({r})");
        }
        for note in &report.notes {
            line += &format!("\n     note: {note}");
        }
        if let Some(t) = report.failure_text() {
            line += &format!("\n  {t}");
        }
        out(&line);
        reports.push(report);
    }
    let mut r = RunReport::new(reports);
    r.started = started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    r.wall_seconds = clock.elapsed().as_secs_f64();
    out(&report::summary_line(&r));
    r
}
