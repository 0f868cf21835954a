//! `lbsim bench --short` against lbsim only, shortened to about two seconds: proves the harness
//! (targets, signing, load generator, process measurements, report, JSON) works end to end.
//! Every workload must run without errors (the reconciler replay with a few Services); a second
//! run against the ceiling drives the SG and ELBv2 workloads' bookkeeping on their own.

use clap::Parser;
use lbsim::bench::report::Status;
use lbsim::bench::{self, BenchArgs};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_run_against_lbsim() {
    let json = std::env::temp_dir().join(format!("lbsim-bench-test-{}.json", std::process::id()));
    let args = BenchArgs::parse_from([
        "bench",
        "--short",
        "--targets",
        "lbsim",
        "--sizes",
        "100",
        "--duration",
        "300ms",
        "--startup-runs",
        "1",
        "--memory-groups",
        "200",
        "--reconciler-services",
        "3",
        "--connections",
        "4",
        "--lbsim-bin",
        env!("CARGO_BIN_EXE_lbsim"),
    ]);
    let report = bench::run(&args).await.expect("bench runs");
    let row = |w: &str| report.rows.iter().find(|r| r.workload == w).unwrap_or_else(|| panic!("no {w} row in {:#?}", report.rows));

    let vpc = row("vpc-mix");
    assert_eq!(vpc.status, Status::Ok, "{vpc:?}");
    assert_eq!(vpc.errors, 0, "{vpc:?}");
    assert!(vpc.requests > 0 && vpc.req_per_s.unwrap() > 0.0 && vpc.p99_ms.unwrap() >= vpc.p50_ms.unwrap());
    assert_eq!(vpc.vs_moto, None, "no moto in this run");

    // Every action the workloads use is served now: each must run, without errors.
    for w in ["sg-populate", "sg-describe-by-tag", "sg-mix", "elbv2-mix", "memory"] {
        let r = row(w);
        assert_eq!(r.status, Status::Ok, "{w}: {}", r.note);
        assert_eq!(r.errors, 0, "{r:?}");
    }
    let startup = row("startup");
    assert_eq!(startup.status, Status::Ok, "{startup:?}");
    assert!(startup.p50_ms.unwrap() > 0.0);
    let rec = row("reconciler-100");
    assert_eq!(rec.status, Status::Ok, "{}", rec.note);
    assert!(rec.note.starts_with("3 Services → 3 NLBs"), "{}", rec.note);
    assert!(report.goals.iter().any(|g| g.goal.contains("start-up") && g.met.is_some()));

    bench::write_json(&report, &json).expect("json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let _ = std::fs::remove_file(&json);
    assert_eq!(v["meta"]["mode"], "short");
    assert!(v["rows"].as_array().unwrap().iter().any(|r| r["workload"] == "vpc-mix" && r["req_per_s"].as_f64().unwrap() > 0.0));
    assert!(bench::report::table(&report.rows, &report.goals).contains("vpc-mix"));
}

/// The SG and ELBv2 workloads end to end against the ceiling (which answers every action), so
/// their request generation and id bookkeeping run even before lbsim serves those actions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sg_and_elbv2_workloads_run_against_the_ceiling() {
    let args = BenchArgs::parse_from([
        "bench",
        "--targets",
        "ceiling",
        "--only",
        "sg,elbv2",
        "--sizes",
        "100,1000",
        "--duration",
        "200ms",
        "--connections",
        "2",
    ]);
    let report = bench::run(&args).await.expect("bench runs");
    let names: Vec<(&str, Option<u64>)> = report.rows.iter().map(|r| (r.workload.as_str(), r.n)).collect();
    assert_eq!(
        names,
        [
            ("sg-populate", Some(100)),
            ("sg-describe-by-tag", Some(100)),
            ("sg-mix", Some(100)),
            ("sg-populate", Some(1000)),
            ("sg-describe-by-tag", Some(1000)),
            ("sg-mix", Some(1000)),
            ("elbv2-mix", None)
        ]
    );
    for r in &report.rows {
        assert_eq!((r.status, r.errors), (Status::Ok, 0), "{r:?}");
        assert!(r.req_per_s.unwrap() > 0.0, "{r:?}");
    }
    assert_eq!(report.rows[3].requests, 1000, "populate sends exactly N creates");
}
