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
pub mod schema;

use std::path::PathBuf;

pub use report::{RunReport, ScenarioReport, Status};
pub use runner::Options;

/// Runs every file in order; `out` receives the timeline, line by line.
pub async fn run_files(files: &[PathBuf], opts: &Options, out: &mut dyn FnMut(&str)) -> RunReport {
    let mut reports = Vec::new();
    let total = files.len();
    for (n, path) in files.iter().enumerate() {
        // The typed parse is the check (its errors carry line and column); the schema is derived from it.
        let loaded = format::load(path);
        let report = match loaded {
            Err(e) => ScenarioReport::bad_file(path, e),
            Ok(l) => {
                out(&format!("[{}/{total}] {} ({})", n + 1, l.scenario.name, path.display()));
                let mut on_step = |s: &report::StepReport| out(&report::step_line(s));
                runner::run(&l, opts, &mut on_step).await
            }
        };
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
    let r = RunReport::new(reports);
    out(&report::summary_line(&r));
    r
}
