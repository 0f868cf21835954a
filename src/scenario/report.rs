//! Reports: the data kept per scenario and step, the terminal timeline lines, the JSON report
//! (`--report-json`) and JUnit XML (`--junit`, one test case per scenario). The wall clock enters
//! only in the fields that say so (`started`, `wall_seconds`, JUnit's `timestamp` and `time`):
//! with those left out (`without_timings`) the same run gives the same bytes.

use std::path::Path;

use serde::Serialize;

use super::format::Scenario;
use super::samples::Sample;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
    /// The scenario could not start (bad file, fixture error).
    Error,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Passed => "ok",
            Status::Failed => "FAILED",
            Status::Skipped => "skipped",
            Status::Error => "ERROR",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub check: String,
    pub expected: String,
    pub actual: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// 1-based; steps inside `repeat` are `4[i=2].1`.
    pub index: String,
    pub kind: String,
    pub summary: String,
    pub status: Status,
    /// Virtual time after the step.
    pub at: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckResult>,
    /// The world after the step (what the HTML report charts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<Sample>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub step: String,
    pub message: String,
    pub expected: String,
    pub actual: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    pub file: String,
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub status: Status,
    /// The id generator's seed.
    pub seed: u64,
    /// Real time the scenario took.
    pub wall_seconds: f64,
    /// Labels of the scenario's own `chart:` series.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chart: Vec<String>,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    pub steps: Vec<StepReport>,
}

impl ScenarioReport {
    pub fn new(path: &Path, s: &Scenario) -> ScenarioReport {
        ScenarioReport {
            file: path.display().to_string(),
            name: s.name.clone(),
            description: s.description.trim().to_string(),
            status: Status::Passed,
            seed: s.seed,
            wall_seconds: 0.0,
            chart: s.chart.iter().map(super::samples::label).collect(),
            reason: None,
            notes: Vec::new(),
            failure: None,
            steps: Vec::new(),
        }
    }

    /// A file that could not be read or parsed.
    pub fn bad_file(path: &Path, error: String) -> ScenarioReport {
        ScenarioReport {
            file: path.display().to_string(),
            name: path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
            description: String::new(),
            status: Status::Error,
            seed: 0,
            wall_seconds: 0.0,
            chart: Vec::new(),
            reason: None,
            notes: Vec::new(),
            failure: Some(Failure {
                step: "parse".into(),
                message: error,
                expected: "a valid scenario file".into(),
                actual: "invalid".into(),
            }),
            steps: Vec::new(),
        }
    }

    /// The failure as one paragraph: file, step index, expected, actual.
    pub fn failure_text(&self) -> Option<String> {
        let f = self.failure.as_ref()?;
        Some(format!("{}: step {}: {}\n  expected: {}\n  actual:   {}", self.file, f.step, f.message, f.expected, f.actual))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub lbsim_version: &'static str,
    /// When the run started (RFC 3339, wall clock).
    pub started: String,
    /// Real time the whole run took.
    pub wall_seconds: f64,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub errors: usize,
    pub scenarios: Vec<ScenarioReport>,
}

impl RunReport {
    pub fn new(scenarios: Vec<ScenarioReport>) -> RunReport {
        let n = |s: Status| scenarios.iter().filter(|x| x.status == s).count();
        RunReport {
            lbsim_version: VERSION,
            started: String::new(),
            wall_seconds: 0.0,
            passed: n(Status::Passed),
            failed: n(Status::Failed),
            skipped: n(Status::Skipped),
            errors: n(Status::Error),
            scenarios,
        }
    }

    /// The report with its wall-clock fields cleared: what the same inputs always give.
    pub fn without_timings(&self) -> RunReport {
        let mut r = self.clone();
        r.started.clear();
        r.wall_seconds = 0.0;
        for s in &mut r.scenarios {
            s.wall_seconds = 0.0;
        }
        r
    }

    pub fn ok(&self) -> bool {
        self.failed == 0 && self.errors == 0
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// JUnit XML: one test suite, one test case per scenario; failures name the file, step,
    /// expected and actual; pending scenarios are skipped with their reason.
    pub fn junit(&self) -> Result<String, String> {
        use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
        let mut report = Report::new("lbsim scenarios");
        let mut suite = TestSuite::new("scenarios");
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&self.started) {
            suite.set_timestamp(t);
            suite.set_time(std::time::Duration::from_secs_f64(self.wall_seconds.max(0.0)));
        }
        for s in &self.scenarios {
            let status = match s.status {
                Status::Passed => TestCaseStatus::success(),
                Status::Skipped => {
                    let mut st = TestCaseStatus::skipped();
                    if let Some(r) = &s.reason {
                        st.set_message(r.clone());
                    }
                    st
                }
                Status::Failed | Status::Error => {
                    let kind = if s.status == Status::Failed { NonSuccessKind::Failure } else { NonSuccessKind::Error };
                    let mut st = TestCaseStatus::non_success(kind);
                    if let Some(f) = &s.failure {
                        st.set_message(format!(
                            "{}: step {}: {} (expected {}; actual {})",
                            s.file, f.step, f.message, f.expected, f.actual
                        ));
                        st.set_type(if s.status == Status::Failed { "ExpectationFailed" } else { "ScenarioError" });
                    }
                    if let Some(t) = s.failure_text() {
                        st.set_description(t);
                    }
                    st
                }
            };
            let mut tc = TestCase::new(s.name.clone(), status);
            tc.set_classname(s.file.clone());
            if !self.started.is_empty() {
                tc.set_time(std::time::Duration::from_secs_f64(s.wall_seconds.max(0.0)));
            }
            let timeline: Vec<String> = s.steps.iter().map(step_line).collect();
            if !timeline.is_empty() {
                tc.set_system_out(timeline.join("\n"));
            }
            suite.add_test_case(tc);
        }
        report.add_test_suite(suite);
        report.to_string().map_err(|e| format!("junit: {e}"))
    }
}

/// One timeline line.
pub fn step_line(s: &StepReport) -> String {
    let mut line = format!("  [{:>4}] {:<7} {:<8} {}  ({})", s.index, s.status.label(), s.kind, s.summary, s.at);
    for n in &s.notes {
        line += &format!("\n             note: {n}");
    }
    for c in s.checks.iter().filter(|c| !c.ok) {
        line += &format!("\n             ✗ {}: expected {}; actual {}", c.check, c.expected, c.actual);
    }
    line
}

/// The closing summary line (the plain form CI runners recognise).
pub fn summary_line(r: &RunReport) -> String {
    format!("scenarios: {} passed, {} failed, {} skipped", r.passed, r.failed + r.errors, r.skipped)
}
