//! `lbsim run --report-html FILE`: one self-contained HTML file (inline CSS, inline SVG, no
//! script, nothing fetched) — the run's summary, a chart of every scenario's node-group rules
//! side by side (legacy mode climbs, security-group mode stays flat), then per scenario its
//! charts over the steps (node-group rules against the quota, frontend and backend groups,
//! load balancers, the controller's API calls and throttled calls, and the scenario's own
//! `chart:` series), its timeline with pass/fail, and each expectation's expected and actual.
//! Well-formed XML throughout, so an XML reader can check it.

use std::fmt::Write;

use quick_xml::escape::escape;

use super::chart::{self, Chart, Series};
use crate::scenario::report::{RunReport, ScenarioReport, Status, StepReport};
use crate::scenario::samples::Sample;

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232b; margin: 0; background: #f6f7f9; }
header { background: #1d232b; color: #fff; padding: 14px 22px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header .meta { color: #c9ced6; }
main { padding: 16px 22px; }
section { background: #fff; border: 1px solid #d5d9df; border-radius: 6px; padding: 12px 16px; margin-bottom: 16px; }
h2 { font-size: 17px; margin: 0 0 4px; }
.status { display: inline-block; padding: 0 8px; border-radius: 9px; font-size: 12px; font-weight: 600; color: #fff; vertical-align: middle; }
.passed { background: #2f9e44; } .failed, .error { background: #e03131; } .skipped { background: #868e96; }
.meta { color: #67707c; font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.charts svg { background: #fff; border: 1px solid #e9ecef; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th { text-align: left; color: #67707c; border-bottom: 1px solid #d5d9df; }
td { border-bottom: 1px solid #f1f3f5; padding: 2px 6px; vertical-align: top; }
tr.step-failed td { background: #fff5f5; }
tr.check td { color: #495057; }
tr.check.bad td { color: #c92a2a; font-weight: 600; }
.failure { background: #fff5f5; border-left: 4px solid #e03131; padding: 6px 10px; white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12px; }
nav a { margin-right: 10px; }
"#;

fn esc(s: &str) -> String {
    escape(s).into_owned()
}

fn status_class(s: Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::Error => "error",
    }
}

fn series(steps: &[StepReport], label: &str, f: impl Fn(&Sample) -> Option<f64>) -> Option<Series> {
    let values: Vec<Option<f64>> = steps.iter().map(|s| s.sample.as_ref().and_then(&f)).collect();
    if values.iter().all(Option::is_none) {
        return None;
    }
    // A step with no sample keeps the value before it.
    let mut last = 0.0;
    let values = values
        .into_iter()
        .map(|v| {
            last = v.unwrap_or(last);
            last
        })
        .collect();
    Some(Series { label: label.to_string(), values })
}

/// The charts of one scenario, in the order the page shows them.
pub fn scenario_charts(s: &ScenarioReport) -> Vec<Chart> {
    if s.steps.is_empty() {
        return Vec::new();
    }
    let x: Vec<String> = s.steps.iter().map(|st| st.index.clone()).collect();
    let quota = s.steps.iter().rev().find_map(|st| st.sample.as_ref()?.rule_quota);
    let mut out = Vec::new();
    let mut push = |title: &str, ss: Vec<Option<Series>>, limit: Option<(f64, String)>| {
        let ss: Vec<Series> = ss.into_iter().flatten().collect();
        if !ss.is_empty() {
            out.push(Chart { title: title.into(), x_labels: x.clone(), series: ss, limit });
        }
    };
    push(
        "Node-group inbound rules",
        vec![series(&s.steps, "node group rules", |m| m.node_rules.map(|v| v as f64))],
        quota.map(|q| (q as f64, format!("quota {q}"))),
    );
    push(
        "Controller security groups",
        vec![
            series(&s.steps, "frontend groups", |m| m.frontend_groups.map(|v| v as f64)),
            series(&s.steps, "backend groups", |m| m.backend_groups.map(|v| v as f64)),
        ],
        None,
    );
    push("Load balancers", vec![series(&s.steps, "load balancers", |m| m.load_balancers.map(|v| v as f64))], None);
    push(
        "Controller API calls per step",
        vec![series(&s.steps, "calls", |m| Some(m.calls as f64)), series(&s.steps, "throttled", |m| Some(m.throttled as f64))],
        None,
    );
    let own: Vec<Option<Series>> = s.chart.iter().map(|l| series(&s.steps, l, |m| m.series.get(l).copied())).collect();
    push("Chosen series (chart:)", own, None);
    out
}

/// Scenarios long enough to show a trend in the comparison chart.
pub const COMPARISON_MIN_STEPS: usize = 10;

/// The node-group rules of every scenario of at least `COMPARISON_MIN_STEPS` steps that runs
/// under the most common rule quota (one scale, one quota line), in one chart.
pub fn comparison_chart(r: &RunReport) -> Option<Chart> {
    let quota_of = |s: &ScenarioReport| s.steps.iter().find_map(|st| st.sample.as_ref()?.rule_quota);
    let long: Vec<&ScenarioReport> = r.scenarios.iter().filter(|s| s.steps.len() >= COMPARISON_MIN_STEPS).collect();
    let mut counts: std::collections::BTreeMap<u64, usize> = std::collections::BTreeMap::new();
    for q in long.iter().filter_map(|s| quota_of(s)) {
        *counts.entry(q).or_default() += 1;
    }
    let quota = counts.iter().max_by_key(|(q, n)| (**n, std::cmp::Reverse(**q))).map(|(q, _)| *q);
    let ss: Vec<Series> = long
        .iter()
        .filter(|s| quota_of(s) == quota)
        .filter_map(|s| series(&s.steps, &s.name, |m| m.node_rules.map(|v| v as f64)))
        .collect();
    let n = ss.iter().map(|s| s.values.len()).max()?;
    Some(Chart {
        title: format!("Node-group inbound rules by step (scenarios of {COMPARISON_MIN_STEPS}+ steps)"),
        x_labels: (1..=n).map(|i| i.to_string()).collect(),
        series: ss,
        limit: quota.map(|q| (q as f64, format!("quota {q}"))),
    })
}

fn step_rows(out: &mut String, s: &StepReport) {
    let _ = write!(
        out,
        r#"<tr class="step step-{}" data-step="{}"><td>{}</td><td><span class="status {}">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
        status_class(s.status),
        esc(&s.index),
        esc(&s.index),
        status_class(s.status),
        esc(s.status.label()),
        esc(&s.kind),
        esc(&s.summary),
        esc(&s.at)
    );
    for n in &s.notes {
        let _ = write!(out, r#"<tr class="note"><td></td><td></td><td></td><td colspan="2">note: {}</td></tr>"#, esc(n));
    }
    for c in &s.checks {
        let mark = if c.skipped {
            "skipped"
        } else if c.ok {
            "✓"
        } else {
            "✗"
        };
        let _ = write!(
            out,
            r#"<tr class="check{}"><td></td><td>{mark}</td><td>{}</td><td>expected: {}</td><td>actual: {}</td></tr>"#,
            if c.ok { "" } else { " bad" },
            esc(&c.check),
            esc(&c.expected),
            esc(&c.actual)
        );
    }
}

fn scenario_section(out: &mut String, n: usize, s: &ScenarioReport) {
    let _ = write!(
        out,
        r#"<section class="scenario" id="scenario-{n}" data-status="{}"><h2>{} <span class="status {}">{}</span></h2>"#,
        status_class(s.status),
        esc(&s.name),
        status_class(s.status),
        esc(s.status.label())
    );
    let _ = write!(out, r#"<div class="meta">{} · seed {} · {:.2}s</div>"#, esc(&s.file), s.seed, s.wall_seconds);
    if !s.description.is_empty() {
        let _ = write!(out, "<p>{}</p>", esc(&s.description));
    }
    if let Some(r) = &s.reason {
        let _ = write!(out, r#"<p class="meta">{}</p>"#, esc(r));
    }
    for note in &s.notes {
        let _ = write!(out, r#"<p class="meta">note: {}</p>"#, esc(note));
    }
    if let Some(t) = s.failure_text() {
        let _ = write!(out, r#"<div class="failure">{}</div>"#, esc(&t));
    }
    let charts = scenario_charts(s);
    if !charts.is_empty() {
        out.push_str(r#"<div class="charts">"#);
        for c in &charts {
            out.push_str(&chart::svg(c));
        }
        out.push_str("</div>");
    }
    if !s.steps.is_empty() {
        out.push_str(r#"<table class="timeline"><thead><tr><th>step</th><th>status</th><th>kind</th><th>what</th><th>virtual time</th></tr></thead><tbody>"#);
        for st in &s.steps {
            step_rows(out, st);
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
}

/// The whole report page.
pub fn html(r: &RunReport) -> String {
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>lbsim scenario report</title><style>");
    out.push_str(STYLE);
    out.push_str("</style></head><body><header><h1>lbsim scenario report</h1>");
    let _ = write!(
        out,
        r#"<div class="meta">{} passed, {} failed, {} skipped · lbsim {} · started {} · {:.1}s</div></header><main>"#,
        r.passed,
        r.failed + r.errors,
        r.skipped,
        esc(r.lbsim_version),
        esc(if r.started.is_empty() { "-" } else { &r.started }),
        r.wall_seconds
    );
    out.push_str("<nav>");
    for (n, s) in r.scenarios.iter().enumerate() {
        let _ = write!(
            out,
            r##"<a href="#scenario-{n}"><span class="status {}">{}</span> {}</a> "##,
            status_class(s.status),
            esc(s.status.label()),
            esc(&s.name)
        );
    }
    out.push_str("</nav>");
    if let Some(c) = comparison_chart(r) {
        out.push_str(r#"<section class="comparison"><div class="charts">"#);
        out.push_str(&chart::svg(&c));
        out.push_str("</div></section>");
    }
    for (n, s) in r.scenarios.iter().enumerate() {
        scenario_section(&mut out, n, s);
    }
    out.push_str("</main></body></html>\n");
    out
}
