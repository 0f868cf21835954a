//! The scenario library (scenarios/*.yaml): one test per file, each replayed through the same
//! runner `lbsim run` uses; a guard test that every file in the directory has its test and
//! validates against scenarios/schema.json; and determinism (same file, same report bytes).

use std::path::{Path, PathBuf};

use lbsim::scenario::{self, Options, RunReport, Status};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

async fn run(file: &str) -> RunReport {
    let mut out = Vec::new();
    let r = scenario::run_files(&[dir().join(file)], &Options { endpoint: None }, &mut |l| out.push(l.to_string())).await;
    println!("{}", out.join("\n"));
    r
}

/// Runs one file: it must pass, or be pending (skipped, with a reason).
async fn replay(file: &str) {
    let r = run(file).await;
    let s = &r.scenarios[0];
    match s.status {
        Status::Passed => {}
        Status::Skipped => assert!(s.reason.as_deref().is_some_and(|r| r.starts_with("pending: ")), "{file}: skipped without a reason"),
        _ => panic!("{}", s.failure_text().unwrap_or_else(|| format!("{file}: {:?}", s.status))),
    }
}

macro_rules! scenarios {
    ($($test:ident => $file:literal,)*) => {
        const FILES: &[&str] = &[$($file),*];
        $(
            #[tokio::test]
            async fn $test() {
                replay($file).await;
            }
        )*
    };
}

scenarios! {
    sample_app => "sample-app.yaml",
    legacy_quota_exhaustion => "legacy-quota-exhaustion.yaml",
    sg_constant_rules => "sg-constant-rules.yaml",
    source_ranges => "source-ranges.yaml",
    user_security_groups => "user-security-groups.yaml",
    legacy_nlb_stays_legacy => "legacy-nlb-stays-legacy.yaml",
    frontend_sg_quota => "frontend-sg-quota.yaml",
    eni_rules_times_groups => "eni-rules-times-groups.yaml",
    throttling => "throttling.yaml",
    deletion_cleanup => "deletion-cleanup.yaml",
    scheme_change => "scheme-change.yaml",
    gate_off_conflict => "gate-off-conflict.yaml",
}

#[test]
fn every_scenario_file_has_a_test_and_validates() {
    let files = scenario::format::discover(&[dir()]).unwrap();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        assert!(FILES.contains(&name.as_str()), "{name} has no test in tests/scenarios.rs");
        let text = std::fs::read_to_string(f).unwrap();
        scenario::schema::check_text(&text).unwrap_or_else(|e| panic!("{name}: schema: {e}"));
        scenario::format::parse(&text).unwrap_or_else(|e| panic!("{name}:{e}"));
    }
    assert_eq!(files.len(), FILES.len(), "a listed scenario file is missing");
}

#[tokio::test]
async fn the_same_file_gives_the_same_report_bytes() {
    let a = run("sample-app.yaml").await;
    let b = run("sample-app.yaml").await;
    assert_eq!(a.json(), b.json());
    assert_eq!(a.junit().unwrap(), b.junit().unwrap());
}
