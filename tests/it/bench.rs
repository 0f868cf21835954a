//! `lbsim-bench --short` against lbsim only, shortened to about two seconds: proves the harness
//! (targets, signing, load generator, process measurements, report, JSON) works end to end.
//! Every workload must run without errors (the reconciler replay with a few Services); a second
//! run against the ceiling drives the SG and ELBv2 workloads' bookkeeping on their own.

use serde_json::Value;

/// Runs the benchmark binary with `args` and its JSON report; stdout must carry the table.
fn bench(args: &[&str]) -> Value {
    let json = std::env::temp_dir().join(format!("lbsim-bench-test-{}-{}.json", std::process::id(), args.join("").len()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lbsim-bench"))
        .args(args)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("lbsim-bench runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON report")).expect("JSON");
    let _ = std::fs::remove_file(&json);
    for r in v["rows"].as_array().expect("rows") {
        assert!(stdout.contains(r["workload"].as_str().unwrap()), "the table shows {}: {stdout}", r["workload"]);
    }
    v
}

fn row<'a>(v: &'a Value, w: &str) -> &'a Value {
    v["rows"].as_array().unwrap().iter().find(|r| r["workload"] == w).unwrap_or_else(|| panic!("no {w} row in {v:#}"))
}

#[test]
fn short_run_against_lbsim() {
    let v = bench(&[
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
        "--scaling-groups",
        "100",
        "--connections",
        "4",
        "--lbsim-bin",
        env!("CARGO_BIN_EXE_lbsim"),
    ]);
    assert_eq!(v["meta"]["mode"], "short");
    let vpc = row(&v, "vpc-mix");
    assert_eq!((vpc["status"].as_str(), vpc["errors"].as_u64()), (Some("ok"), Some(0)), "{vpc}");
    assert!(vpc["requests"].as_u64().unwrap() > 0 && vpc["req_per_s"].as_f64().unwrap() > 0.0);
    assert!(vpc["p99_ms"].as_f64().unwrap() >= vpc["p50_ms"].as_f64().unwrap());
    assert!(vpc["vs_moto"].is_null(), "no moto in this run");

    // Every action the workloads use is served: each must run, without errors.
    for w in ["sg-populate", "sg-describe-by-tag", "sg-describe-by-2-tags", "sg-mix", "sg-populate-scaling", "elbv2-mix", "memory"] {
        let r = row(&v, w);
        assert_eq!((r["status"].as_str(), r["errors"].as_u64()), (Some("ok"), Some(0)), "{w}: {r}");
    }
    let startup = row(&v, "startup");
    assert_eq!(startup["status"], "ok", "{startup}");
    assert!(startup["p50_ms"].as_f64().unwrap() > 0.0);
    // The scaling series: 10 matches and all 100, each answer carrying its groups' XML.
    let scaling: Vec<&Value> = v["rows"].as_array().unwrap().iter().filter(|r| r["workload"] == "sg-describe-matches").collect();
    assert_eq!(scaling.iter().map(|r| r["n"].as_u64().unwrap()).collect::<Vec<_>>(), [10, 100], "{v:#}");
    for r in &scaling {
        assert_eq!((r["status"].as_str(), r["errors"].as_u64()), (Some("ok"), Some(0)), "{r}");
        assert!(r["value"].as_f64().unwrap() > 0.0 && r["unit"] == "MB/s", "{r}");
    }
    let kb = |r: &Value| r["note"].as_str().unwrap().split(", ").nth(1).unwrap().trim_end_matches(" KB per answer").parse::<f64>().unwrap();
    assert!(kb(scaling[1]) > 5.0 * kb(scaling[0]), "100 matches carry far more XML than 10: {scaling:?}");
    // The other describes: each runs clean and its first answer carried the resources the
    // filter names (a broken filter or index shows as a wrong count in the note).
    let matches = |w: &str| -> u64 {
        let r = row(&v, w);
        assert_eq!((r["status"].as_str(), r["errors"].as_u64()), (Some("ok"), Some(0)), "{w}: {r}");
        r["note"].as_str().unwrap().split(' ').next().unwrap().parse().unwrap()
    };
    for w in ["ec2-instances-by-tag", "ec2-enis-by-tag", "ec2-sg-rules-by-group"] {
        assert_eq!(matches(w), 100, "{w}");
    }
    // 200 instances, launched 10 at a time into the first 20 groups: ten consecutive groups
    // hold 10 per launched group among them, and the two describes agree.
    let (i, e) = (matches("ec2-instances-by-group"), matches("ec2-enis-by-group"));
    assert!(i > 0 && i <= 100 && i % 10 == 0 && i == e, "{i} instances, {e} interfaces");
    assert_eq!((matches("elbv2-lbs-by-20-names"), matches("elbv2-tags-20")), (20, 20));
    assert_eq!((matches("elbv2-lbs-page-400"), matches("elbv2-tgs-page-400")), (200, 200));
    // Serial and with the controller's 3 + 3 workers, both profiles.
    for (w, who) in [
        ("reconciler", "v2.6.0, 1 worker(s)"),
        ("reconciler-v3.7.0", "v3.7.0, 1 worker(s)"),
        ("reconciler-3workers", "v2.6.0, 3 worker(s)"),
        ("reconciler-v3.7.0-3workers", "v3.7.0, 3 worker(s)"),
    ] {
        let rec = row(&v, w);
        assert_eq!(rec["status"], "ok", "{rec}");
        assert!(rec["note"].as_str().unwrap().starts_with(&format!("{who}: 3 Services → 3 NLBs")), "{rec}");
    }
    // The describe rows of in-process lbsim carry the server time from its request log.
    assert!(row(&v, "ec2-sg-rules-by-group")["server_p50_ms"].as_f64().is_some_and(|ms| ms > 0.0));
    assert!(v["goals"].as_array().unwrap().iter().any(|g| g["goal"].as_str().unwrap().contains("start-up") && !g["met"].is_null()));
}

/// The SG and ELBv2 workloads end to end against the ceiling (which answers every action), so
/// their request generation and id bookkeeping run on their own.
#[test]
fn sg_and_elbv2_workloads_run_against_the_ceiling() {
    let v = bench(&["--targets", "ceiling", "--only", "sg,elbv2", "--sizes", "100,1000", "--duration", "200ms", "--connections", "2"]);
    let rows = v["rows"].as_array().unwrap();
    let names: Vec<(&str, Option<u64>)> = rows.iter().map(|r| (r["workload"].as_str().unwrap(), r["n"].as_u64())).collect();
    assert_eq!(
        names,
        [
            ("sg-populate", Some(100)),
            ("sg-describe-by-tag", Some(100)),
            ("sg-describe-by-2-tags", Some(100)),
            ("sg-mix", Some(100)),
            ("sg-populate", Some(1000)),
            ("sg-describe-by-tag", Some(1000)),
            ("sg-describe-by-2-tags", Some(1000)),
            ("sg-mix", Some(1000)),
            ("elbv2-mix", None)
        ]
    );
    for r in rows {
        assert_eq!((r["status"].as_str(), r["errors"].as_u64()), (Some("ok"), Some(0)), "{r}");
        assert!(r["req_per_s"].as_f64().unwrap() > 0.0, "{r}");
    }
    assert_eq!(rows[4]["requests"], 1000, "populate sends exactly N creates");
}

/// fakecloud is measured when its binary exists; a missing one is "not available", with the
/// reason, never a failed run.
#[test]
fn a_missing_fakecloud_is_reported_not_available() {
    let v = bench(&["--targets", "fakecloud", "--fakecloud-bin", "/nonexistent/fakecloud", "--only", "sg", "--duration", "100ms"]);
    let r = row(&v, "(all)");
    assert_eq!((r["target"].as_str(), r["status"].as_str()), (Some("fakecloud"), Some("not-available")), "{r}");
    assert!(r["note"].as_str().unwrap().contains("/nonexistent/fakecloud"), "{r}");
}
