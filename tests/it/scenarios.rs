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
    let r = scenario::run_files(&[dir().join(file)], &Options::default(), &mut |l| out.push(l.to_string())).await;
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
    legacy_quota_v2_6_0_update_times_out => "legacy-quota-v2.6.0-update-times-out.yaml",
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
    node_changes => "node-changes.yaml",
    throttling_aws_20 => "throttling-aws-20.yaml",
    ingress_two_paths => "ingress-two-paths.yaml",
    ingress_group => "ingress-group.yaml",
    ingress_implicit_groups_backend => "ingress-implicit-groups-backend.yaml",
    ingress_implicit_groups_legacy => "ingress-implicit-groups-legacy.yaml",
    ingress_rule_quota => "ingress-rule-quota.yaml",
    ingress_user_security_groups => "ingress-user-security-groups.yaml",
    ingress_service_backend_group => "ingress-service-backend-group.yaml",
    ingress_deletion_cleanup => "ingress-deletion-cleanup.yaml",
    ingress_provisioning_blocks_cleanup => "ingress-provisioning-blocks-cleanup.yaml",
    ingress_rule_diff => "ingress-rule-diff.yaml",
    ingress_class_params => "ingress-class-params.yaml",
    ingress_annotations => "ingress-annotations.yaml",
    throttling_aws_200 => "throttling-aws-200.yaml",
    throttling_aws_200_strict_limiter => "throttling-aws-200-strict-limiter.yaml",
    elb_sg_quota_check => "elb-sg-quota-check.yaml",
    elb_sg_quota_check_off => "elb-sg-quota-check-off.yaml",
}

#[test]
fn every_scenario_file_has_a_test_and_validates() {
    let files = scenario::format::discover(&[dir()]).unwrap();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        assert!(FILES.contains(&name.as_str()), "{name} has no test in tests/scenarios.rs");
        let text = std::fs::read_to_string(f).unwrap();
        scenario::format::parse(&text).unwrap_or_else(|e| panic!("{name}:{e}"));
    }
    assert_eq!(files.len(), FILES.len(), "a listed scenario file is missing");
}

#[tokio::test]
async fn the_same_file_gives_the_same_report_bytes() {
    // With faults and SDK retries, virtual time, node changes and a controller restart.
    for file in ["sample-app.yaml", "throttling.yaml", "node-changes.yaml", "source-ranges.yaml"] {
        let a = run(file).await;
        let b = run(file).await;
        assert_eq!(a.scenarios[0].status, Status::Passed, "{file}");
        let (a, b) = (a.without_timings(), b.without_timings());
        assert_eq!(a.json(), b.json(), "{file}");
        assert_eq!(a.junit().unwrap(), b.junit().unwrap(), "{file}");
    }
}

/// Differential mode against another lbsim over HTTP: the scenario passes with the lbsim-only
/// checks skipped and noted; a scenario about faults is skipped whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differential_mode_skips_lbsim_only_steps() {
    let app = lbsim::app::App::new(lbsim::config::Config::default()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(lbsim::server::serve(listener, lbsim::admin::router(app), std::future::pending()));
    let files = [dir().join("sample-app.yaml"), dir().join("throttling.yaml")];
    let mut out = Vec::new();
    let r = scenario::run_files(&files, &Options { endpoint: Some(url), ..Options::default() }, &mut |l| out.push(l.to_string())).await;
    println!("{}", out.join("\n"));
    let sample = &r.scenarios[0];
    assert_eq!(sample.status, Status::Passed, "{:?}", sample.failure_text());
    let skipped: Vec<&str> = sample.steps.iter().flat_map(|s| &s.checks).filter(|c| c.skipped).map(|c| c.check.as_str()).collect();
    assert_eq!(skipped.len(), 3, "calls ×2 and quota are lbsim only: {skipped:?}");
    assert!(out.iter().any(|l| l.contains("skipped: the request log is lbsim only")), "the skip is visible");
    assert_eq!(r.scenarios[1].status, Status::Skipped);
    assert!(r.scenarios[1].reason.as_deref().unwrap_or("").starts_with("lbsim only: "));
}

/// The command line: a failing scenario exits 1 and its JUnit failure names the file, step,
/// expected and actual; a bad file is reported with its line and column, and makes the run a
/// usage error (exit 2), its reports still written.
#[test]
fn lbsim_run_exit_code_junit_and_bad_files() {
    let tmp = std::env::temp_dir().join(format!("lbsim-scen-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let failing = tmp.join("failing.yaml");
    std::fs::write(
        &failing,
        "name: failing\nsteps:\n  - apply: {manifest: \"kind: Service\\nmetadata: {name: x}\\nspec: {type: LoadBalancer, ports: [{port: 80}]}\\n\"}\n  - settle: {}\n  - expect:\n      - resources: {load_balancers: 7}\n",
    )
    .unwrap();
    let bad = tmp.join("bad.yaml");
    std::fs::write(&bad, "name: bad\nsteps:\n  - settle: {}\n  - aply: {file: x.yaml}\n").unwrap();
    let junit = tmp.join("report.xml");
    let json = tmp.join("report.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lbsim"))
        .args([
            "run",
            failing.to_str().unwrap(),
            bad.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--report-json",
            json.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains(&format!("{}:4:5: ", bad.display())), "line and column: {stdout}");
    assert!(stdout.contains("scenarios: 0 passed, 2 failed, 0 skipped"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(&format!("{}: step 3: AWS resource counts (expected load_balancers=7; actual load_balancers=1)", failing.display())),
        "{xml}"
    );
    assert!(xml.contains("<error"), "the bad file is an error case: {xml}");
    assert!(xml.contains("timestamp=\"") && xml.contains("time=\""), "suite timestamp and per-case time: {xml}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!((report["failed"].as_u64(), report["errors"].as_u64()), (Some(1), Some(1)));
    // Only the failing scenario: exit 1.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lbsim")).args(["run", failing.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    // A typo in a Region setting stops the file with the known keys; a path out of the
    // scenario's tree is refused without its content being shown.
    let typo = tmp.join("typo.yaml");
    std::fs::write(&typo, "name: typo\nregion_settings: {nlb_security_group: false}\nsteps:\n  - settle: {}\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lbsim")).args(["run", typo.to_str().unwrap()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("unknown field `nlb_security_group`, expected one of `nlb_security_groups`"), "{stdout}");
    let secret = std::env::temp_dir().join(format!("lbsim-secret-{}.txt", std::process::id()));
    std::fs::write(&secret, "aws_secret_access_key = wJalrXUtnFEMI\n").unwrap();
    let escape = tmp.join("escape.yaml");
    let rel = format!("../{}", secret.file_name().unwrap().to_string_lossy());
    std::fs::write(&escape, format!("name: escape\ncluster: {rel}\nsteps:\n  - settle: {{}}\n")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lbsim")).args(["run", escape.to_str().unwrap()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("is outside the scenario's tree") && !stdout.contains("wJalrXUtnFEMI"), "{stdout}");
    // Inside the tree but not a fixture: the parse error does not quote the file.
    std::fs::write(tmp.join("notes.yaml.txt"), "aws_secret_access_key = wJalrXUtnFEMI\n").unwrap();
    std::fs::write(&escape, "name: escape\ncluster: notes.yaml.txt\nsteps:\n  - settle: {}\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lbsim")).args(["run", escape.to_str().unwrap()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("cluster fixture 'notes.yaml.txt'") && !stdout.contains("wJalrXUtnFEMI"), "{stdout}");
    let _ = std::fs::remove_file(&secret);
    assert_eq!(report["lbsim_version"], env!("CARGO_PKG_VERSION"));
    assert!(report["wall_seconds"].as_f64().is_some_and(|w| w > 0.0) && report["started"].is_string(), "{report}");
    assert_eq!(report["scenarios"][0]["seed"], 1);

    // --fail-fast stops after the first failure; --filter picks by name or file name.
    let run = |args: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_lbsim")).arg("run").args(args).output().unwrap();
    let out = run(&[failing.to_str().unwrap(), bad.to_str().unwrap(), "--fail-fast"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("--fail-fast: 1 scenario(s) not run") && stdout.contains("0 passed, 1 failed"), "{stdout}");
    let out = run(&[tmp.to_str().unwrap(), "--filter", "bad"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 passed, 1 failed, 0 skipped"), "only bad.yaml runs");
    let out = run(&[tmp.to_str().unwrap(), "--filter", "nothing-like-it"]);
    assert_eq!(out.status.code(), Some(2));
    // An unreachable endpoint: one line, before any scenario, exit 2.
    let out = run(&[failing.to_str().unwrap(), "--endpoint", "http://127.0.0.1:9"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("lbsim: cannot reach --endpoint http://127.0.0.1:9 (127.0.0.1:9): "), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("[1/1]"), "no scenario started");
    // A missing fixture names the paths it looked at.
    let lost = tmp.join("lost.yaml");
    std::fs::write(&lost, "name: lost\ncluster: clusters/nowhere.yaml\nsteps:\n  - settle: {}\n").unwrap();
    let out = run(&[lost.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("no file {}", tmp.join("clusters/nowhere.yaml").display()))
            && stdout.contains("embedded fixtures: default, worked-example"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A copy of `scenarios/` alone runs: fixtures live next to the scenarios or are embedded.
#[tokio::test]
async fn a_copy_of_the_library_alone_runs() {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let dest = to.join(p.file_name().unwrap());
            if p.is_dir() { copy(&p, &dest) } else { std::fs::copy(&p, &dest).map(|_| ()).unwrap() }
        }
    }
    let tmp = std::env::temp_dir().join(format!("lbsim-vendored-{}", std::process::id()));
    copy(&dir(), &tmp.join("vendored"));
    for text in std::fs::read_dir(tmp.join("vendored")).unwrap().filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok()) {
        assert!(!text.contains("../"), "no scenario reaches outside scenarios/");
    }
    let files: Vec<PathBuf> =
        ["legacy-nlb-stays-legacy.yaml", "source-ranges.yaml", "sample-app.yaml"].iter().map(|f| tmp.join("vendored").join(f)).collect();
    let r = scenario::run_files(&files, &Options::default(), &mut |_| {}).await;
    assert_eq!((r.passed, r.failed, r.errors), (3, 0, 0), "{}", r.json());
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The README's "Write a scenario" walkthrough is a valid scenario.
#[test]
fn the_readme_walkthrough_parses_and_validates() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find("### Write a scenario").expect("the section")..];
    let start = section.find("```yaml\n").unwrap() + 8;
    let block = &section[start..start + section[start..].find("```").unwrap()];
    let s = scenario::format::parse(block).unwrap();
    assert_eq!(s.steps.len(), 3);
}

/// A step that never settles is reported as the failure, with what is still queued.
#[tokio::test]
async fn a_settle_that_never_settles_fails() {
    // A copy beside its manifest: a scenario reads files of its own tree only.
    let root = std::env::temp_dir().join(format!("lbsim-settle-{}", std::process::id()));
    std::fs::create_dir_all(root.join("manifests")).unwrap();
    std::fs::copy(dir().join("manifests/echo.yaml"), root.join("manifests/echo.yaml")).unwrap();
    let tmp = root.join("settle.yaml");
    // The gate-off conflict retries forever (FailedBuildModel on every attempt).
    let text = std::fs::read_to_string(dir().join("gate-off-conflict.yaml"))
        .unwrap()
        .replace("settle: {timeout: 1m, allow_pending: true}", "settle: {timeout: 2m}");
    std::fs::write(&tmp, text).unwrap();
    let r = scenario::run_files(std::slice::from_ref(&tmp), &Options::default(), &mut |_| {}).await;
    let _ = std::fs::remove_dir_all(&root);
    let s = &r.scenarios[0];
    assert_eq!(s.status, Status::Failed);
    let f = s.failure.as_ref().unwrap();
    assert_eq!((f.step.as_str(), f.message.as_str(), f.expected.as_str()), ("5", "did not settle within 2m", "nothing queued"));
    assert_eq!(f.actual, "1 item(s) still queued: 1 Service(s)");
}
