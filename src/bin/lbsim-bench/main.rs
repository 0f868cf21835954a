//! `lbsim-bench`: lbsim against moto's server and an HTTP ceiling, in one run, on this machine,
//! with a Rust load generator (HTTP/1.1 keep-alive, N connections, SigV4-signed). A tool beside
//! the product, not part of the library: `cargo run --release --bin lbsim-bench -- --help`.
//!
//! Owns: the plan (which workloads, sizes and durations; `--short` for CI), running each target
//! in turn so they never compete, and handing rows to `report`. May call: lbsim's `server`,
//! `admin`, `config` and `world` (to start lbsim and a cluster in process), `client::http` (the
//! one HTTP client) and nothing else of lbsim's internals — every measurement goes over
//! HTTP, as a user's SDK would. Must never send traffic anywhere but 127.0.0.1.
//!
//! - [`loadgen`]: connections, the closed-loop runner.
//! - [`targets`]: lbsim in process, moto as a child, the axum ceiling.
//! - [`workloads`], [`elbmix`], [`wide`]: what each workload sends. [`process`]: start-up and memory.
//! - [`report`]: percentiles, ratios, targets, table and JSON.
//!
//! Workloads a target does not serve yet (it answers `InvalidAction`) are reported as
//! "not available", never as a failure.

mod elbmix;
mod loadgen;
mod process;
mod reconciler;
mod report;
mod targets;
mod wide;
mod workloads;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use loadgen::{Call, Conn, Endpoint, SetupError, Stop, Svc};
use report::{Meta, Report, Row, Status};
use targets::{Kind, Target};
use workloads::{DescribeByTag, DescribeMatches, FiveRules, Pool, Populate, SgMix, VpcMix, VpcSeed};

#[derive(clap::Parser, Debug, Clone)]
#[command(name = "lbsim-bench", version, about = "Benchmark lbsim against moto and an HTTP ceiling (docs/performance.md)")]
pub struct BenchArgs {
    /// CI mode: 100 and 1,000 groups, 1 s per timed run, 3 start-ups; well under a minute.
    #[arg(long)]
    pub short: bool,
    /// Targets to measure, comma-separated: lbsim, moto, fakecloud, ceiling.
    #[arg(long, value_delimiter = ',', default_value = "lbsim,moto,fakecloud,ceiling")]
    pub targets: Vec<String>,
    /// fakecloud binary (default: `fakecloud` on the PATH; not available when neither exists).
    #[arg(long)]
    pub fakecloud_bin: Option<PathBuf>,
    /// Workload groups to run (default all): vpc, sg, scaling, elbv2, describes, startup, memory,
    /// reconciler.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Group counts for every target, up to --moto-max for moto (default: 100,1000 short;
    /// 100,1000,5000 full).
    #[arg(long, value_delimiter = ',')]
    pub sizes: Vec<u64>,
    /// Extra group counts for lbsim and the ceiling only (default: none short; 100000 full).
    #[arg(long, value_delimiter = ',')]
    pub lbsim_sizes: Vec<u64>,
    /// Largest group count moto is given (default: 100 short, so CI stays under a minute;
    /// unlimited full).
    #[arg(long)]
    pub moto_max: Option<u64>,
    /// When a timed run's p50 exceeds this, larger sizes only populate (default 10s): a target
    /// needing minutes per describe would otherwise hold the run for hours.
    #[arg(long, value_parser = parse_duration)]
    pub slow_limit: Option<Duration>,
    /// Client connections (one request in flight on each).
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Length of each timed run, e.g. 10s or 500ms (default: 1s short, 10s full).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Wall-time cap of one populate run (default: 20s short, 600s full); later sizes are skipped.
    #[arg(long, value_parser = parse_duration)]
    pub budget: Option<Duration>,
    /// Start-up measurements (default: 3 short, 20 full).
    #[arg(long)]
    pub startup_runs: Option<usize>,
    /// Groups (× 10 rules) created before reading resident memory.
    #[arg(long, default_value_t = 5000)]
    pub memory_groups: u64,
    /// Groups in the scaling series' Region (describes matching 10, 100, 1,000 and all of
    /// them; default 1,000 short, 10,000 full).
    #[arg(long)]
    pub scaling_groups: Option<u64>,
    /// Services in each reconciler replay, comma-separated (default: 100 short; 100,1000 full;
    /// the target is for 100).
    #[arg(long, value_delimiter = ',')]
    pub reconciler_services: Vec<u64>,
    /// Concurrent reconciles per kind (Services, TGBs) in each reconciler replay,
    /// comma-separated: 1 is lbsim's serial default, 3 the controller's own default.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 3])]
    pub reconciler_workers: Vec<usize>,
    /// Instances, load balancers and target groups in the `describes` worlds (default: 200
    /// short, 1,000 full; moto takes part when --moto-max allows this many).
    #[arg(long)]
    pub wide_n: Option<u64>,
    /// lbsim binary for start-up and memory (default: the `lbsim` beside this executable).
    #[arg(long)]
    pub lbsim_bin: Option<PathBuf>,
    /// Also write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// `300ms`, `2s`, `1.5` (seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("'{s}' is not a duration (try 2s or 500ms)");
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.trim().parse().map_err(|_| bad())?;
    if !v.is_finite() || v < 0.0 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(v * scale))
}

/// Region of each size step (fresh state per size), the VPC self-test and the ELBv2 mix.
const SIZE_REGIONS: &[&str] =
    &["us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "ap-northeast-1"];
const VPC_REGION: &str = "ap-south-1";
const SCALING_REGION: &str = "sa-east-1";
const ELB_REGION: &str = "ca-central-1";
const WIDE_EC2_REGION: &str = "ap-southeast-1";
const WIDE_ELB_REGION: &str = "ap-southeast-2";

/// The resolved plan.
struct Plan {
    mode: &'static str,
    targets: Vec<Kind>,
    groups: Vec<String>,
    sizes: Vec<u64>,
    lbsim_sizes: Vec<u64>,
    moto_max: u64,
    slow_limit: Duration,
    conns: usize,
    duration: Duration,
    budget: Duration,
    startup_runs: usize,
    memory_groups: u64,
    scaling_groups: u64,
    reconciler_services: Vec<u64>,
    reconciler_workers: Vec<usize>,
    wide_n: u64,
    bin: Option<PathBuf>,
    fakecloud_bin: Option<PathBuf>,
}

impl Plan {
    fn new(a: &BenchArgs) -> Result<Plan, String> {
        let mut targets = Vec::new();
        for t in &a.targets {
            targets.push(Kind::parse(t).ok_or_else(|| format!("unknown target '{t}' (lbsim, moto, fakecloud, ceiling)"))?);
        }
        // The ceiling first, moto last: the slowest target never delays the fast ones' numbers.
        targets.sort_by_key(|k| match k {
            Kind::Ceiling => 0,
            Kind::Lbsim => 1,
            Kind::Fakecloud => 2,
            Kind::Moto => 3,
        });
        targets.dedup();
        const GROUPS: &[&str] = &["vpc", "sg", "scaling", "elbv2", "describes", "startup", "memory", "reconciler"];
        for g in &a.only {
            if !GROUPS.contains(&g.as_str()) {
                return Err(format!("unknown workload group '{g}' ({})", GROUPS.join(", ")));
            }
        }
        let groups = if a.only.is_empty() { GROUPS.iter().map(|s| s.to_string()).collect() } else { a.only.clone() };
        let short = a.short;
        let sizes = if a.sizes.is_empty() { if short { vec![100, 1000] } else { vec![100, 1000, 5000] } } else { a.sizes.clone() };
        let lbsim_sizes = if !a.lbsim_sizes.is_empty() {
            a.lbsim_sizes.clone()
        } else if short || !a.sizes.is_empty() {
            vec![]
        } else {
            vec![100_000]
        };
        if sizes.len() + lbsim_sizes.len() > SIZE_REGIONS.len() {
            return Err(format!("at most {} sizes in one run", SIZE_REGIONS.len()));
        }
        // By default the lbsim built beside this benchmark (target/<profile>/lbsim).
        let sibling = || std::env::current_exe().ok().and_then(|p| Some(p.parent()?.join("lbsim"))).filter(|p| p.is_file());
        let bin = a.lbsim_bin.clone().or_else(sibling);
        Ok(Plan {
            mode: if short { "short" } else { "full" },
            targets,
            groups,
            sizes,
            lbsim_sizes,
            moto_max: a.moto_max.unwrap_or(if short { 100 } else { u64::MAX }),
            slow_limit: a.slow_limit.unwrap_or(Duration::from_secs(10)),
            conns: a.connections.max(1),
            duration: a.duration.unwrap_or(Duration::from_secs(if short { 1 } else { 10 })),
            budget: a.budget.unwrap_or(Duration::from_secs(if short { 20 } else { 600 })),
            startup_runs: a.startup_runs.unwrap_or(if short { 3 } else { 20 }).max(1),
            memory_groups: a.memory_groups,
            scaling_groups: a.scaling_groups.unwrap_or(if short { 1000 } else { 10_000 }).max(10),
            reconciler_services: if !a.reconciler_services.is_empty() {
                a.reconciler_services.clone()
            } else if short {
                vec![100]
            } else {
                vec![100, 1000]
            },
            reconciler_workers: a.reconciler_workers.iter().map(|w| (*w).max(1)).collect(),
            wide_n: a.wide_n.unwrap_or(if short { 200 } else { 1000 }).max(20),
            bin,
            fakecloud_bin: a.fakecloud_bin.clone(),
        })
    }

    fn wants(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// Sizes for one target: the common ones, plus the lbsim-only ones for lbsim and the ceiling.
    fn sizes_for(&self, k: Kind) -> Vec<u64> {
        let mut v = self.sizes.clone();
        if matches!(k, Kind::Moto | Kind::Fakecloud) {
            v.retain(|n| *n <= self.moto_max);
        } else {
            v.extend(&self.lbsim_sizes);
        }
        v.sort_unstable();
        v.dedup();
        v
    }
}

fn progress(msg: impl std::fmt::Display) {
    eprintln!("bench: {msg}");
}

/// One call outside the measurement (creates the Region's state on every target alike).
async fn prime(ep: &Endpoint) -> Result<(), String> {
    let mut c = Conn::open(ep).await?;
    c.call(&Call::new(Svc::Ec2, "DescribeAvailabilityZones")).await.map(|_| ())
}

async fn vpc_mix(t: &Target, p: &Plan) -> Row {
    let name = t.kind.name();
    let ep = t.endpoint(VPC_REGION);
    if let Err(e) = prime(&ep).await {
        return Row::new("vpc-mix", name, None, Status::Failed, e);
    }
    let mix = Arc::new(VpcMix { pool: Arc::new(Pool::default()) });
    let seed = Arc::new(VpcSeed { mix: mix.clone() });
    match loadgen::run(&ep, seed, p.conns, Stop::Count { n: 20, budget: p.budget }).await {
        Ok(o) if o.unavailable.is_some() => return Row::from_outcome("vpc-mix", name, None, o),
        Ok(_) => {}
        Err(e) => return Row::new("vpc-mix", name, None, Status::Failed, e),
    }
    progress(format!("{name}: vpc-mix for {:?}", p.duration));
    match loadgen::run(&ep, mix, p.conns, Stop::For(p.duration)).await {
        Ok(o) => Row::from_outcome("vpc-mix", name, None, o),
        Err(e) => Row::new("vpc-mix", name, None, Status::Failed, e),
    }
}

/// Populates `n` groups (three tags... see `workloads`) and gives each five ingress rules:
/// the populate row, and the pool of ids, or the row that stopped it.
async fn populate(ep: &Endpoint, name: &str, n: u64, p: &Plan, workload: &str) -> (Row, Arc<Pool>) {
    let pool = Arc::new(Pool::default());
    let created = match loadgen::run(ep, Arc::new(Populate { pool: pool.clone() }), p.conns, Stop::Count { n, budget: p.budget }).await {
        Ok(o) => Row::from_outcome(workload, name, Some(n), o),
        Err(e) => Row::new(workload, name, Some(n), Status::Failed, e),
    };
    if created.status != Status::Ok {
        return (created, pool);
    }
    let rules = match loadgen::run(ep, Arc::new(FiveRules { pool: pool.clone() }), p.conns, Stop::Count { n, budget: p.budget }).await {
        Ok(o) => Row::from_outcome(workload, name, Some(n), o),
        Err(e) => Row::new(workload, name, Some(n), Status::Failed, e),
    };
    if rules.status != Status::Ok {
        return (Row { note: format!("adding rules: {}", rules.note), ..rules }, pool);
    }
    // The row keeps the creation rate; the note says rules were added too.
    let note =
        if created.note.is_empty() { "then 5 ingress rules each".to_string() } else { format!("{}; then 5 rules each", created.note) };
    (Row { note, ..created }, pool)
}

/// (a), (b) and describe-by-tag at every size, each size in a fresh Region.
async fn sg_series(t: &Target, p: &Plan) -> Vec<Row> {
    let name = t.kind.name();
    let mut rows = Vec::new();
    let sizes = p.sizes_for(t.kind);
    // Set once a timed run was too slow: larger sizes then only populate.
    let mut too_slow: Option<String> = None;
    for (i, &n) in sizes.iter().enumerate() {
        let ep = t.endpoint(SIZE_REGIONS[i]);
        if let Err(e) = prime(&ep).await {
            rows.push(Row::new("sg-populate", name, Some(n), Status::Failed, e));
            break;
        }
        progress(format!("{name}: populating {n} groups × 6 rules"));
        let (populate, pool) = populate(&ep, name, n, p, "sg-populate").await;
        let status = populate.status;
        let note = populate.note.clone();
        rows.push(populate);
        match status {
            Status::Ok => {}
            Status::NotAvailable => {
                for w in ["sg-describe-by-tag", "sg-describe-by-2-tags", "sg-mix"] {
                    rows.push(Row::new(w, name, None, Status::NotAvailable, note.clone()));
                }
                return rows;
            }
            _ => {
                for &m in &sizes[i + 1..] {
                    rows.push(Row::new("sg-populate", name, Some(m), Status::Skipped, "a smaller size ran out of its time budget"));
                }
                return rows;
            }
        }
        if let Some(why) = &too_slow {
            for w in ["sg-describe-by-tag", "sg-describe-by-2-tags", "sg-mix"] {
                rows.push(Row::new(w, name, Some(n), Status::Skipped, why.clone()));
            }
            continue;
        }
        for (w, two) in [("sg-describe-by-tag", false), ("sg-describe-by-2-tags", true)] {
            progress(format!("{name}: {w} over {n} groups for {:?}", p.duration));
            rows.push(match loadgen::run(&ep, Arc::new(DescribeByTag { n, two }), p.conns, Stop::For(p.duration)).await {
                Ok(o) => Row::from_outcome(w, name, Some(n), o),
                Err(e) => Row::new(w, name, Some(n), Status::Failed, e),
            });
        }
        progress(format!("{name}: sg-mix over {n} groups for {:?}", p.duration));
        let mix = Arc::new(SgMix { pool, n, authorized: AtomicU64::new(0) });
        rows.push(match loadgen::run(&ep, mix, p.conns, Stop::For(p.duration)).await {
            Ok(o) => Row::from_outcome("sg-mix", name, Some(n), o),
            Err(e) => Row::new("sg-mix", name, Some(n), Status::Failed, e),
        });
        let limit_ms = p.slow_limit.as_secs_f64() * 1000.0;
        if let Some(slow) = rows.iter().rev().take(3).find(|r| r.p50_ms.is_some_and(|m| m > limit_ms)) {
            too_slow = Some(format!(
                "{} at {n} groups had p50 {:.1} s (over --slow-limit {:?}); larger sizes only populate",
                slow.workload,
                slow.p50_ms.unwrap_or(0.0) / 1000.0,
                p.slow_limit
            ));
        }
    }
    rows
}

/// The per-match series: one Region of `scaling_groups` groups × 6 rules, describes matching
/// 10, 100, 1,000 and all of them, on one connection so p50 is one request's time; `value` is
/// the XML rate (bytes of one answer × answers per second).
async fn scaling(t: &Target, p: &Plan) -> Vec<Row> {
    const W: &str = "sg-describe-matches";
    let name = t.kind.name();
    // moto and fakecloud get at most --moto-max groups here too: moto needs minutes per
    // thousand groups, and the series would otherwise hold the run for the whole budget.
    let n = if matches!(t.kind, Kind::Moto | Kind::Fakecloud) { p.scaling_groups.min(p.moto_max).max(10) } else { p.scaling_groups };
    let ep = t.endpoint(SCALING_REGION);
    if let Err(e) = prime(&ep).await {
        return vec![Row::new(W, name, None, Status::Failed, e)];
    }
    progress(format!("{name}: populating {n} groups × 6 rules for the scaling series"));
    let (populated, _) = populate(&ep, name, n, p, "sg-populate-scaling").await;
    if populated.status != Status::Ok {
        return vec![populated];
    }
    let mut rows = vec![populated];
    let mut series: Vec<u64> = [10, 100, 1000].into_iter().filter(|m| *m < n).collect();
    series.push(n);
    for m in series {
        let w = Arc::new(DescribeMatches { n, matches: m });
        let bytes = match Conn::open(&ep).await {
            Ok(mut c) => match c.call(&w.call(0)).await {
                Ok(r) if r.ok() => r.body.len(),
                Ok(r) => {
                    rows.push(Row::new(W, name, Some(m), Status::Failed, format!("HTTP {}", r.status)));
                    continue;
                }
                Err(e) => {
                    rows.push(Row::new(W, name, Some(m), Status::Failed, e));
                    continue;
                }
            },
            Err(e) => {
                rows.push(Row::new(W, name, Some(m), Status::Failed, e));
                continue;
            }
        };
        progress(format!("{name}: describe matching {m} of {n} groups for {:?}", p.duration));
        let mark = t.log_mark();
        let row = match loadgen::run(&ep, w, 1, Stop::For(p.duration)).await {
            Ok(o) => Row::from_outcome(W, name, Some(m), o),
            Err(e) => Row::new(W, name, Some(m), Status::Failed, e),
        };
        let server = t.server_p50_ms("DescribeSecurityGroups", mark);
        let row = Row { server_p50_ms: server, answer_bytes: Some(bytes as u64), ..row };
        let mb_s = row.req_per_s.map(|r| r * bytes as f64 / 1e6);
        let per_match = row.p50_ms.map(|ms| ms * 1000.0 / m as f64);
        let note = format!(
            "of {n} groups, {:.0} KB per answer, 1 connection{}{}{}",
            bytes as f64 / 1000.0,
            per_match.map(|us| format!(", {us:.1} µs per match")).unwrap_or_default(),
            server.map(|ms| format!(", server p50 {ms:.3} ms")).unwrap_or_default(),
            if row.note.is_empty() { String::new() } else { format!("; {}", row.note) }
        );
        let row = Row { note, ..row };
        rows.push(match mb_s {
            Some(v) => row.value(v, "MB/s"),
            None => row,
        });
    }
    rows
}

async fn elb_mix(t: &Target, p: &Plan) -> Row {
    let name = t.kind.name();
    let ep = t.endpoint(ELB_REGION);
    let setup = match Conn::open(&ep).await {
        Ok(mut c) => elbmix::ElbMix::setup(&mut c, ELB_REGION).await,
        Err(e) => Err(SetupError::Failed(e)),
    };
    let mix = match setup {
        Ok(m) => m,
        Err(SetupError::Unavailable(why)) => return Row::new("elbv2-mix", name, None, Status::NotAvailable, why),
        Err(SetupError::Failed(why)) => return Row::new("elbv2-mix", name, None, Status::Failed, why),
    };
    progress(format!("{name}: elbv2-mix for {:?}", p.duration));
    match loadgen::run(&ep, mix, p.conns, Stop::For(p.duration)).await {
        Ok(o) => Row::from_outcome("elbv2-mix", name, None, o),
        Err(e) => Row::new("elbv2-mix", name, None, Status::Failed, e),
    }
}

/// The other describes of issue 14 (see `wide`), each over its own world of `wide_n`.
async fn describes(t: &Target, p: &Plan) -> Vec<Row> {
    let (name, n) = (t.kind.name(), p.wide_n);
    if matches!(t.kind, Kind::Moto | Kind::Fakecloud) && n > p.moto_max {
        return vec![Row::new("ec2-instances-by-tag", name, Some(n), Status::Skipped, format!("--moto-max {} is below {n}", p.moto_max))];
    }
    let mut rows = Vec::new();
    let ep = t.endpoint(WIDE_EC2_REGION);
    progress(format!("{name}: {n} instances in 100 groups × 10 rules"));
    let ec2 = match Conn::open(&ep).await {
        Ok(mut c) => wide::Ec2World::setup(&mut c, n).await,
        Err(e) => Err(SetupError::Failed(e)),
    };
    match ec2 {
        Ok(w) => {
            for row in wide::ec2_rows(Arc::new(w)) {
                progress(format!("{name}: {} for {:?}", row.0, p.duration));
                rows.push(wide::measure(t, &ep, n, row, p.duration).await);
            }
        }
        Err(SetupError::Unavailable(why)) => rows.push(Row::new("ec2-instances-by-tag", name, Some(n), Status::NotAvailable, why)),
        Err(SetupError::Failed(why)) => rows.push(Row::new("ec2-instances-by-tag", name, Some(n), Status::Failed, why)),
    }
    let ep = t.endpoint(WIDE_ELB_REGION);
    progress(format!("{name}: {n} load balancers and {n} target groups"));
    let elb = match Conn::open(&ep).await {
        Ok(mut c) => wide::ElbWorld::setup(&ep, &mut c, n, p.conns, p.budget).await,
        Err(e) => Err(SetupError::Failed(e)),
    };
    match elb {
        Ok(w) => {
            for row in wide::elb_rows(w) {
                progress(format!("{name}: {} for {:?}", row.0, p.duration));
                rows.push(wide::measure(t, &ep, n, row, p.duration).await);
            }
        }
        Err(SetupError::Unavailable(why)) => rows.push(Row::new("elbv2-lbs-by-20-names", name, Some(n), Status::NotAvailable, why)),
        Err(SetupError::Failed(why)) => rows.push(Row::new("elbv2-lbs-by-20-names", name, Some(n), Status::Failed, why)),
    }
    rows
}

fn build_note(bin: &std::path::Path) -> String {
    let debug = bin.components().any(|c| c.as_os_str() == "debug");
    format!("{}{}", bin.display(), if debug { " (debug build: not representative)" } else { "" })
}

async fn startup_row(p: &Plan) -> Row {
    let Some(bin) = p.bin.clone() else {
        return Row::new("startup", "lbsim", None, Status::Skipped, "no lbsim binary: pass --lbsim-bin target/release/lbsim");
    };
    progress(format!("start-up of {} ×{}", bin.display(), p.startup_runs));
    let runs = p.startup_runs;
    let b2 = bin.clone();
    match tokio::task::spawn_blocking(move || process::startup(&b2, runs)).await {
        Ok(Ok(times)) => {
            let mut us: Vec<u32> = times.iter().map(|d| u32::try_from(d.as_micros()).unwrap_or(u32::MAX)).collect();
            us.sort_unstable();
            let ms = |v: Option<u32>| v.map(|x| x as f64 / 1000.0);
            let p50 = ms(report::percentile(&us, 0.5));
            let mut row = Row {
                requests: us.len() as u64,
                p50_ms: p50,
                p99_ms: ms(report::percentile(&us, 0.99)),
                ..Row::new(
                    "startup",
                    "lbsim",
                    None,
                    Status::Ok,
                    format!("{} runs, min {:.1} ms; {}", us.len(), ms(us.first().copied()).unwrap_or(0.0), build_note(&bin)),
                )
            };
            if let Some(v) = p50 {
                row = row.value(v, "ms");
            }
            row
        }
        Ok(Err(e)) => Row::new("startup", "lbsim", None, Status::Failed, e),
        Err(e) => Row::new("startup", "lbsim", None, Status::Failed, e.to_string()),
    }
}

async fn memory_row(p: &Plan) -> Row {
    let n = p.memory_groups;
    let Some(bin) = p.bin.clone() else {
        return Row::new("memory", "lbsim", Some(n), Status::Skipped, "no lbsim binary: pass --lbsim-bin target/release/lbsim");
    };
    progress(format!("memory after {n} groups × 10 rules"));
    match process::memory(bin.clone(), n, p.conns).await {
        Ok(m) => {
            let mib = |k: u64| k as f64 / 1024.0;
            if let Some(why) = m.unavailable {
                return Row::new("memory", "lbsim", Some(n), Status::NotAvailable, format!("{why}; idle {:.1} MiB", mib(m.idle_kib)));
            }
            let note = format!(
                "VmRSS after {} groups, {} rule calls ({:.1} s): {:.1} MiB anonymous (heap, stacks), {:.1} MiB of the binary; idle {:.1} MiB, peak {:.1} MiB{}",
                m.groups,
                m.rule_calls,
                m.seconds,
                mib(m.anon_kib),
                mib(m.file_kib),
                mib(m.idle_kib),
                mib(m.hwm_kib),
                if m.errors > 0 { format!("; {} errors", m.errors) } else { String::new() }
            );
            Row { errors: m.errors, ..Row::new("memory", "lbsim", Some(n), Status::Ok, note) }.value(mib(m.rss_kib), "MiB")
        }
        Err(e) => Row::new("memory", "lbsim", Some(n), Status::Failed, e),
    }
}

async fn start(kind: Kind, p: &Plan) -> Result<Target, String> {
    match kind {
        Kind::Lbsim => targets::lbsim().await,
        Kind::Moto => targets::moto().await,
        Kind::Fakecloud => targets::fakecloud(p.fakecloud_bin.as_deref()).await,
        Kind::Ceiling => targets::ceiling().await,
    }
}

/// Runs the whole plan and returns the report (also used by the integration test).
pub async fn run(args: &BenchArgs) -> Result<Report, String> {
    let p = Plan::new(args)?;
    let mut rows = Vec::new();
    let mut about = Vec::new();
    for &kind in &p.targets {
        if !(p.wants("vpc") || p.wants("sg") || p.wants("scaling") || p.wants("elbv2") || p.wants("describes")) {
            break;
        }
        progress(format!("starting {}", kind.name()));
        let t = match start(kind, &p).await {
            Ok(t) => t,
            Err(e) => {
                progress(format!("{} not available: {e}", kind.name()));
                rows.push(Row::new("(all)", kind.name(), None, Status::NotAvailable, e));
                continue;
            }
        };
        about.push(format!("{}: {}", kind.name(), t.about));
        if p.wants("vpc") {
            rows.push(vpc_mix(&t, &p).await);
        }
        if p.wants("sg") {
            rows.extend(sg_series(&t, &p).await);
        }
        // The ceiling's fixed answer says nothing about per-match cost.
        if p.wants("scaling") && kind != Kind::Ceiling {
            rows.extend(scaling(&t, &p).await);
        }
        if p.wants("elbv2") {
            rows.push(elb_mix(&t, &p).await);
        }
        if p.wants("describes") {
            rows.extend(describes(&t, &p).await);
        }
    }
    if p.wants("startup") {
        rows.push(startup_row(&p).await);
    }
    if p.wants("memory") {
        rows.push(memory_row(&p).await);
    }
    if p.wants("reconciler") {
        for &n in &p.reconciler_services {
            // The default profile (the baseline) and today's release, whose tags cache
            // (v2.7.1+) changes the calls a reconcile makes.
            for &workers in &p.reconciler_workers {
                for profile in [lbsim::reconciler::Profile::V2_6_0, lbsim::reconciler::Profile::LATEST] {
                    progress(format!("reconciler: {n} Services on the demo cluster, controller {profile}, {workers} worker(s)"));
                    rows.push(reconciler::row(n, profile, workers).await);
                }
            }
        }
    }
    report::fill_ratios(&mut rows);
    let goals = report::goals(&rows);
    let meta = Meta {
        mode: p.mode.into(),
        connections: p.conns,
        duration_s: p.duration.as_secs_f64(),
        sizes: p.targets.iter().map(|k| (k.name().to_string(), p.sizes_for(*k))).collect(),
        cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        load_average: std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        lbsim_build: if cfg!(debug_assertions) { "debug".into() } else { "release".into() },
        targets: about,
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    Ok(Report { meta, rows, goals })
}

/// Prints the report header and table to stdout.
pub fn print(r: &Report) {
    let m = &r.meta;
    println!(
        "lbsim bench ({} mode, {} connections, {} cores, load {}, {} build, {})",
        m.mode, m.connections, m.cores, m.load_average, m.lbsim_build, m.started_at
    );
    for t in &m.targets {
        println!("  {t}");
    }
    if m.lbsim_build == "debug" {
        println!("  note: this is a debug build; build with --release for numbers worth quoting");
    }
    println!();
    print!("{}", report::table(&r.rows, &r.goals));
}

fn main() -> std::process::ExitCode {
    use clap::Parser;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("LBSIM_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    cli(BenchArgs::parse())
}

/// Runs, prints, writes JSON. Missed targets do not fail the command.
fn cli(args: BenchArgs) -> std::process::ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lbsim-bench: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let report = match rt.block_on(run(&args)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lbsim-bench: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    print(&report);
    if let Some(path) = &args.json {
        if let Err(e) = write_json(&report, path) {
            eprintln!("lbsim-bench: {e}");
            return std::process::ExitCode::from(1);
        }
        progress(format!("wrote {}", path.display()));
    }
    std::process::ExitCode::SUCCESS
}

pub fn write_json(r: &Report, path: &std::path::Path) -> Result<(), String> {
    let json = serde_json::to_string_pretty(r).map_err(|e| e.to_string())?;
    std::fs::write(path, json + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn plans() {
        let full = Plan::new(&BenchArgs::parse_from(["bench"])).unwrap();
        assert_eq!(full.sizes_for(Kind::Lbsim), vec![100, 1000, 5000, 100_000]);
        assert_eq!(full.sizes_for(Kind::Moto), vec![100, 1000, 5000]);
        let capped = Plan::new(&BenchArgs::parse_from(["bench", "--moto-max", "1000"])).unwrap();
        assert_eq!(capped.sizes_for(Kind::Moto), vec![100, 1000]);
        assert_eq!(full.targets, vec![Kind::Ceiling, Kind::Lbsim, Kind::Fakecloud, Kind::Moto]);
        assert_eq!(full.sizes_for(Kind::Fakecloud), vec![100, 1000, 5000]);
        assert_eq!((full.scaling_groups, full.reconciler_services.clone()), (10_000, vec![100, 1000]));
        let short = Plan::new(&BenchArgs::parse_from(["bench", "--short", "--targets", "lbsim"])).unwrap();
        assert_eq!(short.sizes_for(Kind::Lbsim), vec![100, 1000]);
        assert_eq!(short.sizes_for(Kind::Moto), vec![100]);
        assert_eq!(short.duration, Duration::from_secs(1));
        assert!(Plan::new(&BenchArgs::parse_from(["bench", "--targets", "localstack"])).is_err());
        assert!(Plan::new(&BenchArgs::parse_from(["bench", "--only", "everything"])).is_err());
    }
}
