//! Turning measurements into the report: latency percentiles (nearest rank over every request,
//! no sampling), the lbsim/moto and lbsim/ceiling ratios from the same run, the targets
//! checked against what was measured, the stdout table, and the JSON file.

use serde::Serialize;

use super::loadgen::Outcome;

/// Nearest-rank percentile of sorted samples: the smallest value with at least `q` of the
/// samples at or below it. `None` for no samples.
pub fn percentile(sorted: &[u32], q: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// `a / b` when both are known and `b` is not zero.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    /// The target does not serve the workload's actions (`InvalidAction`) or the feature is missing.
    NotAvailable,
    /// A populate run ran out of its time budget; later sizes are skipped.
    OverBudget,
    Skipped,
    Failed,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NotAvailable => "not available",
            Status::OverBudget => "over budget",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub workload: String,
    pub target: String,
    pub n: Option<u64>,
    pub status: Status,
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub req_per_s: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// For rows that measure one quantity (start-up ms, resident MiB) instead of throughput.
    pub value: Option<f64>,
    pub unit: Option<String>,
    /// lbsim rows only: lbsim req/s ÷ moto req/s and ÷ ceiling req/s, same workload and N.
    pub vs_moto: Option<f64>,
    pub vs_ceiling: Option<f64>,
    /// In-process lbsim rows: the median server time from lbsim's request log (body read to
    /// response built; the write to the socket and the client's read are not in it).
    pub server_p50_ms: Option<f64>,
    /// Bytes of one answer, where a row measures one kind of answer.
    pub answer_bytes: Option<u64>,
    pub note: String,
}

impl Row {
    pub fn new(workload: &str, target: &str, n: Option<u64>, status: Status, note: impl Into<String>) -> Row {
        Row {
            workload: workload.into(),
            target: target.into(),
            n,
            status,
            requests: 0,
            errors: 0,
            seconds: 0.0,
            req_per_s: None,
            p50_ms: None,
            p99_ms: None,
            value: None,
            unit: None,
            vs_moto: None,
            vs_ceiling: None,
            server_p50_ms: None,
            answer_bytes: None,
            note: note.into(),
        }
    }

    /// A throughput row from a load-generator run.
    pub fn from_outcome(workload: &str, target: &str, n: Option<u64>, mut o: Outcome) -> Row {
        o.latencies_us.sort_unstable();
        let secs = o.elapsed.as_secs_f64();
        let status = if o.unavailable.is_some() {
            Status::NotAvailable
        } else if o.over_budget {
            Status::OverBudget
        } else {
            Status::Ok
        };
        let mut note = o.unavailable.clone().unwrap_or_default();
        if o.over_budget {
            note = format!("{} of the requests done before the time budget ran out", o.requests());
        }
        if o.errors > 0 {
            let e = format!("errors: {}", o.error_summary());
            note = if note.is_empty() { e } else { format!("{note}; {e}") };
        }
        let measured = status != Status::NotAvailable && o.requests() > 0;
        Row {
            requests: o.requests(),
            errors: o.errors,
            seconds: secs,
            req_per_s: (measured && secs > 0.0).then(|| o.requests() as f64 / secs),
            p50_ms: measured.then(|| percentile(&o.latencies_us, 0.50)).flatten().map(|us| us as f64 / 1000.0),
            p99_ms: measured.then(|| percentile(&o.latencies_us, 0.99)).flatten().map(|us| us as f64 / 1000.0),
            ..Row::new(workload, target, n, status, note)
        }
    }

    pub fn value(mut self, v: f64, unit: &str) -> Row {
        self.value = Some(v);
        self.unit = Some(unit.into());
        self
    }
}

fn find<'a>(rows: &'a [Row], workload: &str, target: &str, n: Option<u64>) -> Option<&'a Row> {
    rows.iter().find(|r| r.workload == workload && r.target == target && r.n == n && r.status == Status::Ok)
}

/// Fills `vs_moto` and `vs_ceiling` on every lbsim throughput row whose peer rows exist.
pub fn fill_ratios(rows: &mut [Row]) {
    for i in 0..rows.len() {
        if rows[i].target != "lbsim" || rows[i].req_per_s.is_none() {
            continue;
        }
        let (w, n, mine) = (rows[i].workload.clone(), rows[i].n, rows[i].req_per_s);
        let moto = find(rows, &w, "moto", n).and_then(|r| r.req_per_s);
        let ceiling = find(rows, &w, "ceiling", n).and_then(|r| r.req_per_s);
        rows[i].vs_moto = ratio(mine, moto);
        rows[i].vs_ceiling = ratio(mine, ceiling);
    }
}

/// One of the targets and whether this run met it (`None`: not measured in this run).
#[derive(Debug, Clone, Serialize)]
pub struct Goal {
    pub goal: String,
    pub measured: String,
    pub met: Option<bool>,
}

fn goal(name: &str, measured: Option<(String, bool)>) -> Goal {
    match measured {
        Some((m, ok)) => Goal { goal: name.into(), measured: m, met: Some(ok) },
        None => Goal { goal: name.into(), measured: "not measured in this run".into(), met: None },
    }
}

/// Checks the targets against the rows.
pub fn goals(rows: &[Row]) -> Vec<Goal> {
    let mut out = Vec::new();
    let mix = find(rows, "sg-mix", "lbsim", Some(5000));
    out.push(goal(
        "sg-mix at 5,000 groups × 6 rules ≥ 10,000 req/s",
        mix.and_then(|r| r.req_per_s).map(|v| (format!("{v:.0} req/s"), v >= 10_000.0)),
    ));
    out.push(goal(
        "sg-mix at 5,000 groups ≥ 20 % of the ceiling",
        mix.and_then(|r| r.vs_ceiling).map(|v| (format!("{:.0} % of the ceiling", v * 100.0), v >= 0.2)),
    ));
    out.push(goal("sg-mix at 5,000 groups p99 < 5 ms", mix.and_then(|r| r.p99_ms).map(|p| (format!("p99 {p:.2} ms"), p < 5.0))));
    let hundred = find(rows, "sg-describe-matches", "lbsim", Some(100));
    // The target is server time; the client's round trip (same 2 cores, reading the answer) is
    // shown beside it.
    let client = |r: &Row| r.p50_ms.map(|c| format!("; client round trip p50 {c:.3} ms")).unwrap_or_default();
    out.push(goal(
        "a describe returning 100 groups × 6 rules ≤ 0.3 ms server time",
        hundred.and_then(|r| Some((r.server_p50_ms?, r))).map(|(p, r)| (format!("server p50 {p:.3} ms{}", client(r)), p <= 0.3)),
    ));
    out.push(goal(
        "… at ≥ 500 MB/s of XML",
        hundred.and_then(|r| Some((r.answer_bytes? as f64 / (r.server_p50_ms? * 1000.0), r))).map(|(v, r)| {
            let one = r.value.map(|c| format!("; {c:.0} MB/s through one connection, client included")).unwrap_or_default();
            (format!("{v:.0} MB/s of server time{one}"), v >= 500.0)
        }),
    ));
    // Linear in matches: the per-match time of the largest answer within 2× that of 100.
    let largest =
        rows.iter().filter(|r| r.workload == "sg-describe-matches" && r.target == "lbsim" && r.p50_ms.is_some()).max_by_key(|r| r.n);
    out.push(goal(
        "filtered describe linear in matches (per-match time at the largest ≤ 2× at 100)",
        match (hundred.and_then(|r| r.p50_ms), largest.and_then(|r| Some((r.n?, r.p50_ms?)))) {
            (Some(h), Some((n, l))) if n > 100 => {
                let (a, b) = (h * 10.0, l * 1000.0 / n as f64);
                Some((format!("{a:.1} µs per match at 100, {b:.1} µs at {n}"), b <= 2.0 * a))
            }
            _ => None,
        },
    ));
    // Flat describe-by-tag: at 100× the groups (100 matches each) throughput may not halve.
    let small = find(rows, "sg-describe-by-tag", "lbsim", Some(1000));
    let large = find(rows, "sg-describe-by-tag", "lbsim", Some(100_000));
    out.push(goal(
        "describe-by-tag cost flat from 1,000 to 100,000 groups (≥ 50 % of the req/s)",
        match (small.and_then(|r| r.req_per_s), large.and_then(|r| r.req_per_s)) {
            (Some(s), Some(l)) => Some((format!("{s:.0} → {l:.0} req/s ({:.0} %)", l / s * 100.0), l / s >= 0.5)),
            _ => None,
        },
    ));
    let startup = rows.iter().find(|r| r.workload == "startup" && r.status == Status::Ok).and_then(|r| r.p50_ms);
    out.push(goal("start-up < 50 ms to the first answer", startup.map(|p| (format!("p50 {p:.1} ms"), p < 50.0))));
    let mem = rows.iter().find(|r| r.workload == "memory" && r.n == Some(5000) && r.status == Status::Ok).and_then(|r| r.value);
    out.push(goal("resident memory < 40 MiB at 5,000 groups × 10 rules", mem.map(|m| (format!("{m:.1} MiB"), m < 40.0))));
    let rec = |w: &str, n: u64| rows.iter().find(|r| r.workload == w && r.n == Some(n) && r.status == Status::Ok).and_then(|r| r.value);
    use lbsim::reconciler::Profile;
    // Serial (lbsim's default) and with the controller's default of 3 workers per kind; a
    // variant not in this run has no row, so its goals read "not measured".
    for workers in [1, 3] {
        for (profile, who) in [(Profile::V2_6_0, " (the default profile)"), (Profile::LATEST, "")] {
            let w = super::reconciler::workload(profile, workers);
            let who = if workers > 1 { format!("{profile}{who}, {workers} workers") } else { format!("{profile}{who}") };
            let w = w.as_str();
            out.push(goal(
                &format!("100-Service reconciler scenario < 0.5 s ({who})"),
                rec(w, 100).map(|s| (format!("{s:.2} s"), s < 0.5)),
            ));
            out.push(goal(
                &format!("1,000-Service reconciler scenario measured ({who})"),
                rec(w, 1000).map(|s| (format!("{s:.2} s"), true)),
            ));
        }
    }
    out
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}")).unwrap_or_else(|| "-".into())
}

/// Whole numbers for fast targets; decimals when a target does under 100 requests a second.
fn fmt_rate(v: Option<f64>) -> String {
    match v {
        Some(x) if x < 10.0 => format!("{x:.2}"),
        Some(x) if x < 100.0 => format!("{x:.1}"),
        other => fmt_opt(other, 0),
    }
}

fn fmt_ratio(v: Option<f64>) -> String {
    match v {
        Some(x) if x >= 10.0 => format!("{x:.0}×"),
        Some(x) => format!("{x:.2}×"),
        None => "-".into(),
    }
}

/// The human table: one line per row, then the goals.
pub fn table(rows: &[Row], goals: &[Goal]) -> String {
    let header = ["workload", "target", "N", "req/s", "p50 ms", "p99 ms", "value", "lbsim/moto", "lbsim/ceiling", "status", "note"];
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for r in rows {
        lines.push(vec![
            r.workload.clone(),
            r.target.clone(),
            r.n.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            fmt_rate(r.req_per_s),
            fmt_opt(r.p50_ms, 2),
            fmt_opt(r.p99_ms, 2),
            match (r.value, &r.unit) {
                (Some(v), Some(u)) => format!("{v:.1} {u}"),
                _ => "-".into(),
            },
            fmt_ratio(r.vs_moto),
            fmt_ratio(r.vs_ceiling),
            r.status.label().into(),
            r.note.clone(),
        ]);
    }
    let cols = header.len();
    let widths: Vec<usize> = (0..cols).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        let cells: Vec<String> = l
            .iter()
            .enumerate()
            .map(|(c, s)| {
                let pad = widths[c] - s.chars().count();
                // Numbers right-aligned, words left-aligned; the last column is not padded.
                if c == cols - 1 {
                    s.clone()
                } else if (2..=8).contains(&c) {
                    format!("{}{s}", " ".repeat(pad))
                } else {
                    format!("{s}{}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
            out.push('\n');
        }
    }
    out.push_str("\nTargets (issues 7 and 14):\n");
    for g in goals {
        let mark = match g.met {
            Some(true) => "met    ",
            Some(false) => "MISSED ",
            None => "n/a    ",
        };
        out.push_str(&format!("  {mark} {} — {}\n", g.goal, g.measured));
    }
    out
}

/// Facts about the run, written at the top of the JSON and the table.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub mode: String,
    pub connections: usize,
    /// Length of each timed run, seconds.
    pub duration_s: f64,
    /// Group counts per target.
    pub sizes: std::collections::BTreeMap<String, Vec<u64>>,
    pub cores: usize,
    pub load_average: String,
    pub lbsim_build: String,
    pub targets: Vec<String>,
    pub started_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub meta: Meta,
    pub rows: Vec<Row>,
    pub goals: Vec<Goal>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.50), Some(50));
        assert_eq!(percentile(&v, 0.99), Some(99));
        assert_eq!(percentile(&v, 1.0), Some(100));
        assert_eq!(percentile(&v, 0.0), Some(1));
        assert_eq!(percentile(&[7], 0.99), Some(7));
        assert_eq!(percentile(&[1, 2, 3], 0.5), Some(2));
        assert_eq!(percentile(&[], 0.5), None);
    }

    fn row(target: &str, rps: f64) -> Row {
        Row { req_per_s: Some(rps), ..Row::new("sg-mix", target, Some(5000), Status::Ok, "") }
    }

    #[test]
    fn ratios_pair_same_workload_and_n() {
        let mut rows = vec![row("lbsim", 9000.0), row("moto", 30.0), row("ceiling", 12000.0), row("moto", 1.0)];
        rows[3].n = Some(100);
        fill_ratios(&mut rows);
        assert_eq!(rows[0].vs_moto, Some(300.0));
        assert_eq!(rows[0].vs_ceiling, Some(0.75));
        assert_eq!(rows[1].vs_moto, None, "ratios are lbsim's only");
        assert_eq!(ratio(Some(1.0), Some(0.0)), None);
        assert_eq!(ratio(None, Some(1.0)), None);
    }

    #[test]
    fn ratios_skip_unavailable_peers() {
        let mut rows = vec![row("lbsim", 100.0), Row::new("sg-mix", "moto", Some(5000), Status::NotAvailable, "")];
        fill_ratios(&mut rows);
        assert_eq!(rows[0].vs_moto, None);
    }

    #[test]
    fn outcome_to_row() {
        let o =
            Outcome { latencies_us: vec![3000, 1000, 2000, 4000], ok: 3, errors: 1, elapsed: Duration::from_secs(2), ..Outcome::default() };
        let r = Row::from_outcome("sg-mix", "lbsim", Some(100), o);
        assert_eq!(r.req_per_s, Some(2.0));
        assert_eq!(r.p50_ms, Some(2.0));
        assert_eq!(r.p99_ms, Some(4.0));
        assert_eq!(r.status, Status::Ok);
        let gone = Outcome { unavailable: Some("X answers InvalidAction".into()), ..Outcome::default() };
        let r = Row::from_outcome("sg-mix", "lbsim", Some(100), gone);
        assert_eq!((r.status, r.req_per_s), (Status::NotAvailable, None));
    }

    #[test]
    fn goals_met_and_missed() {
        let mut mix = row("lbsim", 6000.0);
        mix.vs_ceiling = Some(0.6);
        mix.p99_ms = Some(7.0);
        let mut hundred = Row::new("sg-describe-matches", "lbsim", Some(100), Status::Ok, "").value(600.0, "MB/s");
        hundred.p50_ms = Some(0.25);
        hundred.server_p50_ms = Some(0.28);
        hundred.answer_bytes = Some(168_000);
        let slow_server = Row { server_p50_ms: Some(0.35), ..hundred.clone() };
        let mut all = Row::new("sg-describe-matches", "lbsim", Some(10_000), Status::Ok, "");
        all.p50_ms = Some(60.0);
        let g = goals(&[mix, hundred, all.clone()]);
        let met: Vec<Option<bool>> = g.iter().map(|g| g.met).collect();
        // 6,000 req/s < 10,000; 60 % of the ceiling; p99 7 ms; 0.28 ms server; 600 MB/s; 2.5 → 6 µs per match.
        assert_eq!(met[..6], [Some(false), Some(true), Some(false), Some(true), Some(true), Some(false)]);
        assert_eq!(met[6], None, "no 100,000-group row");
        assert!(table(&[], &g).contains("MISSED"));
        // The describe target is server time: a 0.25 ms round trip does not hide 0.35 ms in the server.
        let g = goals(&[slow_server, all]);
        assert_eq!((g[3].met, g[4].met), (Some(false), Some(false)));
    }
}
