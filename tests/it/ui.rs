//! The dashboard and the HTML report as a person sees them: the report of the whole scenario
//! library parsed (well-formed, one chart per series kind, one point per step), then both shown
//! in Debian's chromium driven headless by Playwright (tests/it/browser/run.mjs): the sample
//! app's NLB, groups and the rule between them; a legacy node group filling up to a full, red
//! bar; the report's charts. Screenshots go to target/tmp/ui/.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use lbsim::scenario::{self, Options, RunReport};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn out_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ui");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// An `lbsim serve` process, stopped on drop.
struct Server {
    child: Child,
    url: String,
    /// Kept open: the server may write more.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lbsim"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("LBSIM_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start lbsim serve");
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("lbsim listening on ").unwrap_or_else(|| panic!("unexpected first line {line:?}")).to_string();
    Server { child, url, _stdout: stdout }
}

async fn library_report() -> RunReport {
    let files = scenario::format::discover(&[root().join("scenarios")]).unwrap();
    scenario::run_files(&files, &Options::default(), &mut |_| {}).await
}

/// The charts the report must draw: four per scenario that ran steps in process, one more for
/// a scenario's own `chart:`, and the comparison chart.
fn expected_charts(r: &RunReport) -> usize {
    1 + r.scenarios.iter().filter(|s| !s.steps.is_empty()).map(|s| 4 + usize::from(!s.chart.is_empty())).sum::<usize>()
}

/// Parses the report as XML; returns (number of `svg.chart`, every polyline as (section id,
/// series label, points)).
fn parse(html: &str) -> (usize, Vec<(String, String, usize)>) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(html);
    let (mut charts, mut lines, mut section, mut depth) = (0, Vec::new(), String::new(), 0usize);
    let attr = |e: &quick_xml::events::BytesStart, name: &str| -> Option<String> {
        e.attributes().flatten().find(|a| a.key.as_ref() == name.as_bytes()).map(|a| a.unescape_value().unwrap().into_owned())
    };
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("the report is not well-formed at {}: {e}", reader.buffer_position())) {
            Event::Eof => break,
            Event::Start(e) => {
                depth += 1;
                match e.name().as_ref() {
                    b"section" => section = attr(&e, "id").unwrap_or_else(|| "comparison".into()),
                    b"svg" if attr(&e, "class").as_deref() == Some("chart") => charts += 1,
                    b"polyline" => {
                        let pts = attr(&e, "points").unwrap();
                        lines.push((section.clone(), attr(&e, "data-series").unwrap(), pts.split(' ').filter(|p| !p.is_empty()).count()));
                    }
                    _ => {}
                }
            }
            Event::End(_) => depth -= 1,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element is closed");
    (charts, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_of_the_library_has_a_chart_point_per_step() {
    let r = library_report().await;
    assert!(r.ok(), "the library passes");
    let html = lbsim::ui::report::html(&r);
    assert!(html.starts_with("<!DOCTYPE html>"));
    let (charts, lines) = parse(&html);
    assert_eq!(charts, expected_charts(&r));
    for (n, s) in r.scenarios.iter().enumerate() {
        let mine: Vec<&(String, String, usize)> = lines.iter().filter(|l| l.0 == format!("scenario-{n}")).collect();
        if s.steps.is_empty() {
            assert!(mine.is_empty(), "{}: a skipped scenario has no chart", s.name);
            continue;
        }
        // node rules, frontend and backend groups, load balancers, calls and throttled, own series.
        assert_eq!(mine.len(), 6 + s.chart.len(), "{}: {mine:?}", s.name);
        for l in &mine {
            assert_eq!(l.2, s.steps.len(), "{}: series {} has one point per step", s.name, l.1);
        }
        let quota = s.steps.iter().find_map(|st| st.sample.as_ref()?.rule_quota);
        if s.steps.len() >= lbsim::ui::report::COMPARISON_MIN_STEPS && quota == Some(60) {
            let cmp = lines.iter().find(|l| l.0 == "comparison" && l.1 == s.name).unwrap_or_else(|| panic!("{} in the comparison", s.name));
            assert_eq!(cmp.2, s.steps.len());
        } else {
            assert!(!lines.iter().any(|l| l.0 == "comparison" && l.1 == s.name), "{} is not in the comparison", s.name);
        }
    }
    // What the charts say: legacy mode climbs to the quota, security-group mode stays flat.
    let last = |name: &str| {
        let s = r.scenarios.iter().find(|s| s.name == name).unwrap();
        s.steps.iter().filter_map(|st| st.sample.as_ref()?.node_rules).collect::<Vec<_>>()
    };
    let legacy = last("legacy node-SG quota exhaustion");
    assert_eq!(legacy.iter().max(), Some(&60), "{legacy:?}");
    let sg = r.scenarios.iter().find(|s| s.file.ends_with("sg-constant-rules.yaml")).unwrap();
    let sg_rules: Vec<u64> = sg.steps.iter().filter_map(|st| st.sample.as_ref()?.node_rules).collect();
    assert!(sg_rules.iter().max() <= Some(&2), "{sg_rules:?}");
    // The scenario's own series are in the JSON report too.
    assert!(sg.steps.iter().any(|st| st.sample.as_ref().is_some_and(|m| !m.series.is_empty())));
    let throttled: u64 = r
        .scenarios
        .iter()
        .filter(|s| s.file.ends_with("throttling.yaml"))
        .flat_map(|s| &s.steps)
        .filter_map(|st| st.sample.as_ref())
        .map(|m| m.throttled)
        .sum();
    assert!(throttled > 0, "the throttling scenario's calls chart counts throttled calls");
}

fn missing_tool(what: &str) -> ! {
    panic!(
        "the browser test needs {what}: `apt-get install chromium nodejs npm` and `npm ci --prefix tests/it/browser` (.ci/run does both)"
    )
}

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_the_report_in_a_real_browser() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        missing_tool(&format!("Debian's chromium at {chromium}"));
    }
    if !have("node", "--version") {
        missing_tool("node");
    }
    let browser = root().join("tests/it/browser");
    if !browser.join("node_modules/playwright-core").is_dir() {
        // A developer's first run: the locked playwright-core (no browser download).
        let ok = Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&browser).status().is_ok_and(|s| s.success());
        if !ok {
            missing_tool("playwright-core in tests/it/browser/node_modules");
        }
    }
    let out = out_dir();
    let report = library_report().await;
    let report_path = out.join("report.html");
    std::fs::write(&report_path, lbsim::ui::report::html(&report)).unwrap();

    let token = "browser-test-token";
    let sg = serve(&["--admin-token", token]);
    let legacy_cfg = out.join("legacy-controller.yaml");
    std::fs::write(&legacy_cfg, "profile: latest\nfeature_gates: {NLBSecurityGroup: false}\n").unwrap();
    let legacy = serve(&[
        "--cluster",
        root().join("fixtures/clusters/worked-example.yaml").to_str().unwrap(),
        "--controller-config",
        legacy_cfg.to_str().unwrap(),
    ]);
    let legacy_manifest = root().join("scenarios/manifests/three-ports.yaml");

    let status = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(browser.join("run.mjs"))
            .current_dir(&browser)
            .env("CHROMIUM", &chromium)
            .env("SG_URL", &sg.url)
            .env("TOKEN", token)
            .env("LEGACY_URL", &legacy.url)
            .env("WEB_MANIFEST", root().join("scenarios/manifests/web.yaml"))
            .env("LEGACY_MANIFEST", &legacy_manifest)
            .env("LEGACY_COUNT", "21")
            .env("REPORT_HTML", &report_path)
            .env("REPORT_CHARTS", expected_charts(&report).to_string())
            .env("OUT_DIR", &out)
            .status()
            .map(|s| (s, sg, legacy))
    })
    .await
    .unwrap();
    let (status, _sg, _legacy) = status.expect("run node");
    assert!(status.success(), "the browser checks failed (their output is above); screenshots in {}", out_dir().display());
    for png in ["dashboard-sg-mode.png", "dashboard-legacy-full.png", "report-chart.png"] {
        let len = std::fs::metadata(out_dir().join(png)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 10_000, "screenshot {png} was written ({len} bytes)");
    }
}

/// Without a browser: the page is served to anyone (it holds no state), its JSON only with the
/// admin token, and a browser's `GET /` is sent to it while AWS calls on `/` pass.
#[tokio::test]
async fn the_page_is_open_its_data_behind_the_admin_token() {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let config = lbsim::config::Config { admin_token: Some("s3cret".into()), ..Default::default() };
    let app = lbsim::app::App::new(config).unwrap();
    let live = std::sync::Arc::new(lbsim::world::live::Registry::default());
    let router = lbsim::admin::router(app.clone())
        .merge(lbsim::ui::dashboard::router(app, live))
        .layer(axum::middleware::from_fn(lbsim::ui::dashboard::root_redirect));
    let get = |path: &str, token: Option<&str>| {
        let mut b = Request::builder().uri(path);
        if let Some(t) = token {
            b = b.header("x-lbsim-admin-token", t);
        }
        router.clone().oneshot(b.body(Body::empty()).unwrap())
    };
    let page = get("/_lbsim/ui", None).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let root = get("/", None).await.unwrap();
    assert_eq!((root.status().as_u16(), root.headers()["location"].to_str().unwrap()), (303, "/_lbsim/ui"));
    let aws = get("/?Action=DescribeVpcs&Version=2016-11-15", None).await.unwrap();
    assert_ne!(aws.status().as_u16(), 303, "an AWS call on / is not redirected");
    assert_eq!(get("/_lbsim/ui/overview", None).await.unwrap().status(), 403);
    assert_eq!(get("/_lbsim/ui/overview", Some("wrong")).await.unwrap().status(), 403);
    let ok = get("/_lbsim/ui/overview", Some("s3cret")).await.unwrap();
    assert_eq!(ok.status(), 200);
    let v: serde_json::Value = serde_json::from_slice(&ok.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert!(v["regions"].is_array() && v["requests"].is_array() && v["clusters"] == serde_json::json!([]), "{v}");
}
