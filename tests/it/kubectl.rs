//! The real kubectl against `lbsim serve`: the AWS blog walkthrough verbatim (a Deployment and a
//! LoadBalancer Service through `kubectl apply -f -`), watches, apply twice, kubectl's error
//! texts, ip targets per ready Pod, and `aws eks update-kubeconfig` over https. Each run starts
//! the real binary on a free port, writes the kubeconfig `lbsim kubeconfig` prints, and gives
//! kubectl a fresh discovery cache. The kubectl versions: `LBSIM_KUBECTL` (a colon-separated
//! list), else the oldest and newest `kubectl.1.XX` of the Google Cloud SDK and the `kubectl`
//! on PATH. Without any kubectl the tests fail and say how to install one.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BLOG: &str = include_str!("../../fixtures/manifests/sample-app.yaml");

/// The kubectl binaries to run against.
fn kubectls() -> Vec<PathBuf> {
    if let Ok(list) = std::env::var("LBSIM_KUBECTL") {
        return list.split(':').filter(|s| !s.is_empty()).map(PathBuf::from).collect();
    }
    let mut out = Vec::new();
    let sdk = Path::new("/usr/lib/google-cloud-sdk/bin");
    let mut versioned: Vec<PathBuf> = std::fs::read_dir(sdk)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("kubectl.1.")))
                .collect()
        })
        .unwrap_or_default();
    versioned.sort_by_key(|p| p.extension().and_then(|e| e.to_str()).and_then(|e| e.parse::<u32>().ok()).unwrap_or(0));
    if let Some(first) = versioned.first() {
        out.push(first.clone());
    }
    if versioned.len() > 1 {
        out.push(versioned.last().unwrap().clone());
    }
    if out.is_empty() {
        let on_path = std::env::var_os("PATH")
            .into_iter()
            .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .map(|d| d.join("kubectl"))
            .find(|p| p.is_file());
        out.extend(on_path);
    }
    assert!(
        !out.is_empty(),
        "no kubectl found: these tests run the real kubectl. Install one (Debian: `apt-get install kubernetes-client`; .ci/run does), or name binaries in LBSIM_KUBECTL=path1:path2"
    );
    out
}

/// A running `lbsim serve` and a scratch folder (kubeconfig, kubectl cache).
struct Lbsim {
    child: Child,
    pub url: String,
    pub dir: PathBuf,
    pub log: PathBuf,
}

impl Drop for Lbsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl Lbsim {
    fn start(log_level: &str) -> Lbsim {
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("lbsim-kubectl-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("cache")).unwrap();
        let log = dir.join("lbsim.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_lbsim"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("LBSIM_LOG", log_level)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("lbsim listening on ").unwrap_or_else(|| panic!("unexpected first line {line:?}")).to_string();
        let s = Lbsim { child, url, dir, log };
        let kc = run(Command::new(env!("CARGO_BIN_EXE_lbsim")).args(["kubeconfig", "--endpoint", &s.url]), None);
        assert_eq!(kc.0, 0, "lbsim kubeconfig: {}", kc.2);
        std::fs::write(s.dir.join("kubeconfig"), kc.1).unwrap();
        s
    }

    fn kubectl(&self, k: &Path, args: &[&str]) -> (i32, String, String) {
        self.kubectl_in(k, args, None)
    }

    fn kubectl_in(&self, k: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
        let mut c = Command::new(k);
        c.args(args)
            .env("KUBECONFIG", self.dir.join("kubeconfig"))
            .env("KUBECACHEDIR", self.dir.join("cache"))
            .env_remove("KUBERNETES_SERVICE_HOST");
        run(&mut c, stdin)
    }

    fn aws(&self, args: &[&str]) -> serde_json::Value {
        let mut c = Command::new("aws");
        c.args(args)
            .args(["--endpoint-url", &self.url, "--region", "us-east-1", "--output", "json"])
            .env("AWS_ACCESS_KEY_ID", "AKIDLBSIMTEST")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env_remove("AWS_PROFILE");
        let (rc, out, err) = run(&mut c, None);
        assert_eq!(rc, 0, "aws {args:?}: {err} (the AWS CLI is needed: .ci/run installs it)");
        serde_json::from_str(&out).unwrap_or(serde_json::Value::Null)
    }
}

/// Runs a command with an optional stdin, for at most 90 seconds.
fn run(c: &mut Command, stdin: Option<&str>) -> (i32, String, String) {
    let mut child = c
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {c:?}: {e}"));
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{c:?} did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code().unwrap_or(-1), o.join().unwrap(), e.join().unwrap())
}

fn until(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Rows of a kubectl table, cells split on runs of spaces.
fn rows(out: &str) -> Vec<Vec<String>> {
    out.lines().map(|l| l.split("  ").map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect()).collect()
}

fn is_dns(h: &str) -> bool {
    let Some(rest) = h.strip_prefix("k8s-default-webserve-") else { return false };
    let Some(rest) = rest.strip_suffix(".elb.us-east-1.amazonaws.com") else { return false };
    let parts: Vec<&str> = rest.split('-').collect();
    parts.len() == 2 && parts[0].len() == 10 && parts[1].len() == 16 && rest.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// kubectl's minor version (`kubectl version --client -o json`).
fn minor(s: &Lbsim, k: &Path) -> u32 {
    let (rc, out, err) = s.kubectl(k, &["version", "--client", "-o", "json"]);
    assert_eq!(rc, 0, "{}: {err}", k.display());
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    v["clientVersion"]["minor"].as_str().and_then(|m| m.trim_end_matches('+').parse().ok()).unwrap_or_else(|| panic!("no minor in {out}"))
}

fn walkthrough(k: &Path) {
    let v = k.display();
    let s = Lbsim::start("warn");
    let (rc, out, err) = s.kubectl(k, &["version"]);
    assert_eq!(rc, 0, "{v}: {err}");
    assert!(out.contains("Server Version: v1.31.") || out.contains("GitVersion:\"v1.31."), "{v}: {out}");

    let (rc, out, err) = s.kubectl(k, &["get", "nodes"]);
    assert_eq!(rc, 0, "{v}: {err}");
    let r = rows(&out);
    assert_eq!(r[0], ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], "{v}: {out}");
    assert_eq!(r.len(), 4, "{v}: {out}");
    assert!(r[1..].iter().all(|row| row[1] == "Ready" && row[2] == "<none>" && row[4].starts_with("v1.31")), "{v}: {out}");

    // A watch on Services from before the apply sees the hostname arrive.
    let mut watch = Command::new(k)
        .args(["get", "svc", "-w"])
        .env("KUBECONFIG", s.dir.join("kubeconfig"))
        .env("KUBECACHEDIR", s.dir.join("cache-watch"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let watch_out = watch.stdout.take().unwrap();
    let (tx, watched) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(watch_out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });

    let (rc, out, err) = s.kubectl_in(k, &["apply", "-f", "-"], Some(BLOG));
    assert_eq!((rc, out.as_str()), (0, "deployment.apps/sample-app created\nservice/webserver created\n"), "{v}: {err}");

    let (rc, out, err) = s.kubectl(k, &["rollout", "status", "deploy/sample-app", "--timeout=60s"]);
    assert_eq!(rc, 0, "{v}: {err}");
    assert_eq!(out.lines().last(), Some("deployment \"sample-app\" successfully rolled out"), "{v}: {out}");

    let (_, out, _) = s.kubectl(k, &["get", "deploy", "sample-app"]);
    let r = rows(&out);
    assert_eq!(r[0], ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], "{v}: {out}");
    assert_eq!(&r[1][..4], ["sample-app", "4/4", "4", "4"], "{v}: {out}");

    let (_, out, _) = s.kubectl(k, &["get", "pods", "-l", "app=web", "-o", "wide"]);
    let pods = rows(&out);
    assert_eq!(pods.len(), 5, "{v}: {out}");
    for p in &pods[1..] {
        assert!(p[0].starts_with("sample-app-") && p[1] == "1/1" && p[2] == "Running", "{v}: {out}");
        assert!(p[5].starts_with("10.0."), "a pod address from a node subnet: {out}");
        assert!(p[6].starts_with("ip-10-0-") && p[6].ends_with(".ec2.internal"), "{v}: {out}");
    }

    let mut host = String::new();
    until("the NLB hostname", || {
        let (_, out, _) = s.kubectl(k, &["get", "svc", "webserver", "-o", "jsonpath={.status.loadBalancer.ingress[0].hostname}"]);
        host = out;
        is_dns(&host)
    });
    let (_, out, _) = s.kubectl(k, &["get", "service", "webserver"]);
    let r = rows(&out);
    assert_eq!(r[0], ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], "{v}: {out}");
    assert_eq!(&r[1][..3], ["webserver", "LoadBalancer", "172.20.0.11"], "{v}: {out}");
    assert_eq!(r[1][3], host, "the full hostname in EXTERNAL-IP: {out}");
    assert!(r[1][4].starts_with("80:3") && r[1][4].ends_with("/TCP"), "{v}: {out}");

    let seen: Vec<String> =
        (0..50).map_while(|_| watched.recv_timeout(Duration::from_secs(5)).ok()).take_while(|l| !l.contains(&host)).collect();
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(seen.len() < 50, "`kubectl get svc -w` never showed the hostname; it printed: {seen:?}");

    let (_, out, _) = s.kubectl(k, &["get", "targetgroupbindings"]);
    let r = rows(&out);
    assert_eq!(r[0], ["NAME", "SERVICE-NAME", "SERVICE-PORT", "TARGET-TYPE", "AGE"], "{v}: {out}");
    assert_eq!(&r[1][1..4], ["webserver", "80", "instance"], "{v}: {out}");

    until("the controller's Event", || s.kubectl(k, &["describe", "service", "webserver"]).1.contains("SuccessfullyReconciled"));
    let (_, out, _) = s.kubectl(k, &["describe", "service", "webserver"]);
    assert!(out.lines().any(|l| l.starts_with("LoadBalancer Ingress:") && l.ends_with(&host)), "{v}: {out}");
    assert!(out.lines().any(|l| l.starts_with("Endpoints:") && l.contains("10.0.")), "{v}: {out}");
    let ev = out.lines().skip_while(|l| !l.starts_with("Events:")).collect::<Vec<_>>().join("\n");
    assert!(
        ev.contains("Normal") && ev.contains("SuccessfullyReconciled") && ev.contains("service") && ev.contains("Successfully reconciled"),
        "{v}: {out}"
    );

    // The AWS side, through the AWS CLI: the frontend group open on tcp/80, the shared backend
    // group, and the node rule from it.
    let sgs = s.aws(&["ec2", "describe-security-groups"]);
    let groups = sgs["SecurityGroups"].as_array().unwrap();
    let frontend =
        groups.iter().find(|g| g["GroupName"].as_str().is_some_and(|n| n.starts_with("k8s-default-webserve-"))).expect("frontend group");
    assert!(
        frontend["IpPermissions"].as_array().unwrap().iter().any(|p| p["IpProtocol"] == "tcp"
            && p["FromPort"] == 80
            && p["IpRanges"].as_array().is_some_and(|r| r.iter().any(|r| r["CidrIp"] == "0.0.0.0/0"))),
        "{frontend}"
    );
    let backend =
        groups.iter().find(|g| g["GroupName"].as_str().is_some_and(|n| n.starts_with("k8s-traffic-demo-"))).expect("backend group");
    let backend_id = backend["GroupId"].as_str().unwrap();
    let node_sg =
        groups.iter().find(|g| g["GroupName"].as_str().is_some_and(|n| n.starts_with("eks-cluster-sg-demo-"))).expect("cluster group");
    let from_backend = |g: &serde_json::Value| {
        g["IpPermissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["UserIdGroupPairs"].as_array().is_some_and(|u| u.iter().any(|u| u["GroupId"] == backend_id)))
    };
    assert!(from_backend(node_sg), "node rule from the backend group: {node_sg}");

    // Apply again: unchanged, nothing sent.
    let (rc, out, err) = s.kubectl_in(k, &["apply", "-f", "-"], Some(BLOG));
    assert_eq!((rc, out.as_str()), (0, "deployment.apps/sample-app unchanged\nservice/webserver unchanged\n"), "{v}: {err}");

    // kubectl's usual error texts.
    let (rc, _, err) = s.kubectl(k, &["get", "svc", "nosuch"]);
    assert_eq!((rc, err.trim()), (1, "Error from server (NotFound): services \"nosuch\" not found"), "{v}");
    let (rc, _, err) = s.kubectl(k, &["get", "tgb"]);
    assert_eq!((rc, err.trim()), (1, "error: the server doesn't have a resource type \"tgb\""), "{v}");
    let bad = "apiVersion: v1\nkind: Service\nmetadata:\n  name: T_6\nspec:\n  ports: [{port: 80}]\n";
    let (rc, _, err) = s.kubectl_in(k, &["apply", "-f", "-"], Some(bad));
    assert_eq!(rc, 1, "{v}");
    assert!(err.starts_with("The Service \"T_6\" is invalid: metadata.name: Invalid value: \"T_6\": a DNS-1035 label must consist of lower case alphanumeric characters"), "{v}: {err}");
    let typo = "apiVersion: v1\nkind: Service\nmetadata:\n  name: t6\nspec:\n  tpye: LoadBalancer\n  ports: [{port: 80}]\n";
    let (rc, _, err) = s.kubectl_in(k, &["apply", "-f", "-"], Some(typo));
    if minor(&s, k) >= 25 {
        // kubectl asks for fieldValidation=Strict: the server refuses the whole object.
        assert_eq!(rc, 1, "{v}");
        assert!(err.contains("Error from server (BadRequest): error when creating \"STDIN\": Service in version \"v1\" cannot be handled as a Service: strict decoding error: unknown field \"spec.tpye\""), "{v}: {err}");
        let (_, out, _) = s.kubectl(k, &["get", "svc", "t6"]);
        assert!(out.is_empty(), "nothing was stored: {out}");
    } else {
        // Older kubectl sends no fieldValidation: the server's default, Warn, drops the field and
        // says so in a Warning header, which kubectl prints.
        assert_eq!((rc, err.trim()), (0, "Warning: unknown field \"spec.tpye\""), "{v}");
        let (rc, _, err) = s.kubectl(k, &["delete", "svc", "t6"]);
        assert_eq!(rc, 0, "{v}: {err}");
    }

    // Delete: returns once the controller removed its finalizer; the NLB and both groups' rules go.
    let (rc, out, err) = s.kubectl_in(k, &["delete", "-f", "-"], Some(BLOG));
    assert_eq!((rc, out.as_str()), (0, "deployment.apps \"sample-app\" deleted\nservice \"webserver\" deleted\n"), "{v}: {err}");
    let (_, out, err) = s.kubectl(k, &["get", "svc,deploy,targetgroupbindings"]);
    assert!(out.is_empty() && err.contains("No resources found"), "{v}: {out} {err}");
    until("the Pods to go", || s.kubectl(k, &["get", "pods", "-l", "app=web"]).1.is_empty());
    let lbs = s.aws(&["elbv2", "describe-load-balancers"]);
    assert_eq!(lbs["LoadBalancers"], serde_json::json!([]), "{v}");
    let sgs = s.aws(&["ec2", "describe-security-groups"]);
    let groups = sgs["SecurityGroups"].as_array().unwrap();
    assert!(
        !groups.iter().any(|g| g["GroupName"].as_str().is_some_and(|n| n.starts_with("k8s-default-webserve-"))),
        "frontend group deleted"
    );
    let node_sg = groups.iter().find(|g| g["GroupName"].as_str().is_some_and(|n| n.starts_with("eks-cluster-sg-demo-"))).unwrap();
    assert!(!from_backend(node_sg), "the node rule from the backend group is gone: {node_sg}");

    // Server-side apply creates, then deletes the same way.
    let (rc, out, err) = s.kubectl_in(k, &["apply", "--server-side", "-f", "-"], Some(BLOG));
    assert_eq!(
        (rc, out.as_str()),
        (0, "deployment.apps/sample-app serverside-applied\nservice/webserver serverside-applied\n"),
        "{v}: {err}"
    );
    let (rc, _, err) = s.kubectl_in(k, &["delete", "-f", "-"], Some(BLOG));
    assert_eq!(rc, 0, "{v}: {err}");
}

#[test]
fn blog_walkthrough_with_every_kubectl() {
    for k in kubectls() {
        walkthrough(&k);
    }
}

#[test]
fn ip_targets_follow_ready_pods_of_a_deployment() {
    let k = kubectls().pop().unwrap();
    let s = Lbsim::start("warn");
    let ip = BLOG.replace("nlb-target-type: instance", "nlb-target-type: ip").replace("replicas: 4", "replicas: 3");
    let (rc, _, err) = s.kubectl_in(&k, &["apply", "-f", "-"], Some(&ip));
    assert_eq!(rc, 0, "{err}");
    let targets = || -> (Vec<String>, Vec<String>) {
        let tgs = s.aws(&["elbv2", "describe-target-groups"]);
        let Some(arn) = tgs["TargetGroups"][0]["TargetGroupArn"].as_str() else { return (Vec::new(), Vec::new()) };
        let h = s.aws(&["elbv2", "describe-target-health", "--target-group-arn", arn]);
        // Deregistered targets drain for the deregistration delay (300 s), as on AWS.
        let mut t: Vec<String> = h["TargetHealthDescriptions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["TargetHealth"]["State"] != "draining")
            .map(|d| d["Target"]["Id"].as_str().unwrap().to_string())
            .collect();
        t.sort();
        let (_, out, _) = s.kubectl(&k, &["get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].status.podIP}"]);
        let mut pods: Vec<String> = out.split_whitespace().map(String::from).collect();
        pods.sort();
        (t, pods)
    };
    until("one target per ready pod", || {
        let (t, p) = targets();
        t.len() == 3 && t == p
    });
    let (rc, out, err) = s.kubectl(&k, &["scale", "deploy/sample-app", "--replicas=1"]);
    assert_eq!((rc, out.trim()), (0, "deployment.apps/sample-app scaled"), "{err}");
    until("the targets of the removed pods to go", || {
        let (t, p) = targets();
        t.len() == 1 && t == p
    });
    let (rc, _, err) = s.kubectl_in(&k, &["delete", "-f", "-"], Some(&ip));
    assert_eq!(rc, 0, "{err}");
}

#[test]
fn eks_update_kubeconfig_then_kubectl_over_https() {
    let k = kubectls().pop().unwrap();
    let s = Lbsim::start("lbsim::k8s=debug,warn");
    let kc = s.dir.join("eks-kubeconfig");
    let mut c = Command::new("aws");
    c.args(["eks", "update-kubeconfig", "--name", "demo", "--region", "us-east-1", "--endpoint-url", &s.url, "--kubeconfig"])
        .arg(&kc)
        .env("AWS_ACCESS_KEY_ID", "AKIDLBSIMTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env_remove("AWS_PROFILE");
    let (rc, out, err) = run(&mut c, None);
    assert_eq!(rc, 0, "aws eks update-kubeconfig: {out} {err}");
    let text = std::fs::read_to_string(&kc).unwrap();
    assert!(text.contains("server: https://127.0.0.1:") && text.contains("/k8s/demo"), "{text}");
    let mut c = Command::new(&k);
    c.args(["get", "nodes"])
        .env("KUBECONFIG", &kc)
        .env("KUBECACHEDIR", s.dir.join("cache-eks"))
        .env("AWS_ACCESS_KEY_ID", "AKIDLBSIMTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env_remove("AWS_PROFILE");
    let (rc, out, err) = run(&mut c, None);
    assert_eq!(rc, 0, "kubectl over https with the exec plugin: {err}");
    assert_eq!(rows(&out).len(), 4, "{out}");
    let log = std::fs::read_to_string(&s.log).unwrap();
    assert!(log.contains("auth=\"eks-token\"") || log.contains("auth=eks-token"), "kubectl sent `aws eks get-token`'s token: {log}");
}
