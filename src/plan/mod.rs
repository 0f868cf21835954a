//! `lbsim plan`: how many more Services fit before a quota, asked of the real reconciler. For a
//! cluster fixture and a set of Service manifests it replays, on the virtual clock, one more
//! copy of every Service at a time (or one more port, or one more source range, on each of
//! them), with the controller in legacy mode (`NLBSecurityGroup` off) and in security-group
//! mode, until the controller's AWS calls are refused for a quota — then says which quota, after
//! how many steps, on what (the node group, a frontend group, the Region), and what the
//! controller reports at that point (its Events, or that it records none). No formula: the
//! counts come from lbsim's own quota checks on what the reconciler asked for.
//!
//! Owns: the stepping, failure detection and the outcome (terminal table, HTML page with the
//! curves). May call: `world` (the simulated world and the cluster), `admin` (usage rows),
//! `reconciler` (its configuration), `ui` (charts).

use std::fmt::Write;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::config::Config;
use crate::reconciler::{ControllerConfig, Profile};
use crate::ui::chart::{self, Chart, Series};
use crate::world::{Fixture, Sim, World};

/// Virtual time the controller gets after each step.
pub const SETTLE: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Legacy,
    SecurityGroups,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Mode::Legacy => "legacy (no NLB security groups)",
            Mode::SecurityGroups => "NLB security groups",
        }
    }
}

/// What each step adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Grow {
    /// One more copy of every Service (`<name>-<n>`, or `{{i}}` in the name).
    Copies,
    /// One more TCP port on every Service.
    Ports,
    /// One more client CIDR in every Service's `loadBalancerSourceRanges`.
    SourceRanges,
}

impl Grow {
    fn noun(self) -> &'static str {
        match self {
            Grow::Copies => "copies",
            Grow::Ports => "added ports",
            Grow::SourceRanges => "added source ranges",
        }
    }
}

pub struct Input {
    pub fixture: Fixture,
    /// Multi-document YAML: Services (grown), and Pods or Nodes (applied once).
    pub manifests: String,
    pub profile: Profile,
    pub grow: Grow,
    /// Give up after this many steps.
    pub max_steps: u32,
}

/// The world after one step.
#[derive(Debug, Clone)]
pub struct Point {
    pub step: u32,
    pub node_rules: u64,
    /// Share of the quota the mode ends on (filled in once it is known).
    pub limiting_percent: f64,
    /// Every usage row, for the share of any quota later.
    rows: Vec<crate::admin::state_dump::UsageRow>,
}

/// The first refusal.
#[derive(Debug, Clone)]
pub struct Failure {
    pub step: u32,
    /// The AWS error code, or what else went wrong (a Warning Event, nothing settling).
    pub code: String,
    pub action: String,
    /// The quota's name in lbsim's usage table, when the code is a quota's.
    pub quota: Option<String>,
    /// What it was refused on: `node group sg-… (eks-cluster-sg-…)`, `the Region`…
    pub on: String,
    pub message: String,
    /// What the controller shows at that point.
    pub reports: Vec<String>,
}

pub struct Outcome {
    pub mode: Mode,
    pub points: Vec<Point>,
    pub failure: Option<Failure>,
    /// Steps that fitted (step 1 is the manifests as given; see [`added`]).
    pub fits: u32,
    /// The largest share of any quota at the last step that fitted.
    pub closest: Option<(String, String, u64, u64)>,
}

/// What `steps` steps added: copies for `Copies`; for ports and ranges, step 1 is the
/// manifests as given, so one less.
pub fn added(grow: Grow, steps: u32) -> u32 {
    match grow {
        Grow::Copies => steps,
        _ => steps.saturating_sub(1),
    }
}

/// AWS error codes of refused quotas, and the usage-table quota each one is.
fn quota_of(code: &str, action: &str) -> Option<&'static str> {
    Some(match code {
        "RulesPerSecurityGroupLimitExceeded" => "rules-per-security-group",
        "SecurityGroupLimitExceeded" => "security-groups-per-region",
        "SecurityGroupsPerInstanceLimitExceeded" | "SecurityGroupsPerInterfaceLimitExceeded" => "security-groups-per-network-interface",
        "NetworkInterfaceLimitExceeded" => "network-interfaces-per-region",
        "TooManyLoadBalancers" => "network-load-balancers",
        "TooManyTargetGroups" => "target-groups",
        "TooManyListeners" => "listeners-per-network-load-balancer",
        "TooManyTargets" => "targets-per-target-group",
        "TooManyRegistrationsForTargetId" => "target-id-registrations-per-network-load-balancer",
        "TooManySecurityGroups" => "security-groups-per-load-balancer",
        "TooManyTags" => "elbv2-tags-per-resource",
        "TagLimitExceeded" => "tags-per-resource",
        "TooManyCertificates" => "certificates-per-network-load-balancer",
        _ if code.ends_with("LimitExceeded") || code.starts_with("TooMany") => {
            return if action.is_empty() { None } else { Some("other") };
        }
        _ => return None,
    })
}

/// The Services of `docs` as JSON, and the other objects as YAML applied once.
fn split(manifests: &str) -> Result<(Vec<Value>, String), String> {
    let mut services = Vec::new();
    let mut others = Vec::new();
    for d in serde_yaml_ng::Deserializer::from_str(manifests) {
        let v = serde_yaml_ng::Value::deserialize(d).map_err(|e| format!("manifests: {e}"))?;
        if v.is_null() {
            continue;
        }
        let j: Value = serde_json::to_value(&v).map_err(|e| format!("manifests: {e}"))?;
        match j.get("kind").and_then(Value::as_str) {
            Some("Service") => services.push(j),
            Some(_) => others.push(serde_yaml_ng::to_string(&v).map_err(|e| e.to_string())?),
            None => return Err("manifests: a document without 'kind'".into()),
        }
    }
    if services.is_empty() {
        return Err("manifests: no Service to plan for".into());
    }
    Ok((services, others.join("---\n")))
}

fn name(s: &Value) -> String {
    s["metadata"]["name"].as_str().unwrap_or("").to_string()
}

fn namespace(s: &Value) -> String {
    s["metadata"]["namespace"].as_str().unwrap_or("default").to_string()
}

/// The Services step `k` applies (k = 1 is the manifests as given, or their first copy).
fn variant(services: &[Value], grow: Grow, k: u32) -> Vec<Value> {
    services
        .iter()
        .map(|s| {
            let mut s = s.clone();
            match grow {
                Grow::Copies => {
                    let n = name(&s);
                    let new = if n.contains("{{i}}") { n.replace("{{i}}", &k.to_string()) } else { format!("{n}-{k}") };
                    s["metadata"]["name"] = new.into();
                }
                Grow::Ports if k > 1 => {
                    let ports = s["spec"]["ports"].as_array().cloned().unwrap_or_default();
                    let mut ports = ports;
                    for j in 1..k {
                        ports.push(serde_json::json!({"name": format!("plan-{j}"), "port": 20000 + j, "protocol": "TCP"}));
                    }
                    s["spec"]["ports"] = ports.into();
                }
                Grow::SourceRanges if k > 1 => {
                    let mut ranges = s["spec"]["loadBalancerSourceRanges"].as_array().cloned().unwrap_or_default();
                    for j in 1..k {
                        ranges.push(format!("100.{}.{}.0/24", 64 + j / 256, j % 256).into());
                    }
                    s["spec"]["loadBalancerSourceRanges"] = ranges.into();
                }
                _ => {}
            }
            s
        })
        .collect()
}

fn group_label(sim: &Sim, id: &str) -> String {
    if id == sim.loaded.cluster_sg_id {
        return format!("the node group {id} (EKS cluster group)");
    }
    let app = sim.app();
    let tags = app.store.with_region(&sim.loaded.account, &sim.loaded.region, |r| r.tags().get(id).to_vec());
    let tag = |k: &str| tags.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone());
    match (tag("service.k8s.aws/resource").as_deref(), tag("elbv2.k8s.aws/resource").as_deref()) {
        (Some("ManagedLBSecurityGroup"), _) => {
            format!("the frontend group {id} of Service {}", tag("service.k8s.aws/stack").unwrap_or_default())
        }
        (_, Some("backend-sg")) => format!("the shared backend group {id}"),
        _ => format!("group {id}"),
    }
}

fn sample(sim: &Sim, step: u32) -> Point {
    let l = &sim.loaded;
    let (node_rules, rows) = sim.app().store.with_region(&l.account, &l.region, |r| {
        let n = r.sgs().get(l.cluster_sg_id.as_str()).map_or(0, |g| g.rules.iter().filter(|x| !x.egress).count() as u64);
        (n, crate::admin::state_dump::region_usage(r))
    });
    Point { step, node_rules, limiting_percent: 0.0, rows }
}

fn reports(sim: &Sim, from_event: usize, profile: Profile, code: &str) -> Vec<String> {
    let store = sim.cluster.lock();
    let all = store.event_records();
    let new = all.get(from_event..).unwrap_or(&[]);
    let mut out: Vec<String> = new
        .iter()
        .filter(|e| e.type_ == "Warning")
        .map(|e| {
            let ns = if e.namespace.is_empty() { String::new() } else { format!("{}/", e.namespace) };
            let message = e.message.split_whitespace().collect::<Vec<_>>().join(" ");
            format!("Warning {} on {} {ns}{}: {message}", e.reason, e.kind, e.name)
        })
        .collect();
    out.dedup();
    out.truncate(3);
    if out.is_empty() {
        let ok = new.iter().filter(|e| e.kind == "Service" && e.reason == "SuccessfullyReconciled").count();
        out.push(format!(
            "no Warning Event: {ok} Service(s) report SuccessfullyReconciled while their TargetGroupBindings retry {code} with back-off{}",
            if profile == Profile::V2_6_0 { " (v2.6.0 records no Event for a binding's error)" } else { "" }
        ));
    }
    out
}

/// Steps one mode until the first refusal or `max_steps`.
pub async fn run_mode(input: &Input, mode: Mode) -> Result<Outcome, String> {
    let (services, others) = split(&input.manifests)?;
    let mut cfg = ControllerConfig { profile: input.profile, ..ControllerConfig::default() };
    cfg.feature_gates.nlb_security_group = mode == Mode::SecurityGroups;
    let sim = World::simulated(Config::default())?.cluster(&input.fixture, cfg, crate::world::DEFAULT_MAX_RETRIES).await?;
    if !others.trim().is_empty() {
        sim.apply(&others)?;
    }
    let mut out = Outcome { mode, points: Vec::new(), failure: None, fits: 0, closest: None };
    for k in 1..=input.max_steps {
        let calls_before = sim.ctx().aws.log.len();
        let events_before = sim.cluster.lock().events.len();
        for s in variant(&services, input.grow, k) {
            let yaml = serde_yaml_ng::to_string(&s).map_err(|e| e.to_string())?;
            sim.apply(&yaml).map_err(|e| format!("{}/{}: {e}", namespace(&s), name(&s)))?;
        }
        let st = sim.run(SETTLE).await;
        out.points.push(sample(&sim, k));
        let calls = sim.ctx().aws.log.calls();
        let refused = calls.get(calls_before..).unwrap_or(&[]).iter().find_map(|c| {
            let code = c.error.as_deref()?;
            quota_of(code, &c.action).map(|q| (c.clone(), code.to_string(), q))
        });
        let failure = if let Some((call, code, quota)) = refused {
            let on = match call.param("GroupId") {
                Some(g) => group_label(&sim, g),
                None if call.action == "CreateLoadBalancer"
                    || call.action == "CreateTargetGroup"
                    || call.action == "CreateSecurityGroup" =>
                {
                    format!("the Region {}", sim.loaded.region)
                }
                None => call.param("LoadBalancerArn").map(|a| format!("load balancer {a}")).unwrap_or_else(|| call.action.clone()),
            };
            Some(Failure {
                step: k,
                message: format!("{} refused with {code}", call.action),
                quota: (quota != "other").then(|| quota.to_string()),
                action: call.action.clone(),
                reports: reports(&sim, events_before, input.profile, &code),
                code,
                on,
            })
        } else {
            let warnings = reports(&sim, events_before, input.profile, "");
            let any_warning = warnings.first().is_some_and(|w| w.starts_with("Warning"));
            (any_warning || st.pending > 0).then(|| Failure {
                step: k,
                code: if any_warning { "Warning Event".into() } else { "not settled".into() },
                action: String::new(),
                quota: None,
                on: "the controller".into(),
                message: if any_warning {
                    warnings[0].clone()
                } else {
                    format!("{} item(s) still queued after {}s", st.pending, SETTLE.as_secs())
                },
                reports: warnings,
            })
        };
        if let Some(f) = failure {
            out.failure = Some(f);
            break;
        }
        out.fits = k;
    }
    // The share of the quota this mode ends on, over the steps (the curve).
    let limiting = out.failure.as_ref().and_then(|f| f.quota.clone()).or_else(|| {
        let last = out.points.last()?;
        let mut rows = last.rows.clone();
        crate::admin::state_dump::sort(&mut rows);
        rows.first().map(|r| r.quota.clone())
    });
    if let Some(q) = &limiting {
        for p in &mut out.points {
            p.limiting_percent = p.rows.iter().filter(|r| &r.quota == q).map(|r| r.percent).fold(0.0, f64::max);
        }
    }
    let fitting = out.points.iter().rev().find(|p| p.step == out.fits);
    out.closest = fitting.and_then(|p| {
        let mut rows = p.rows.clone();
        crate::admin::state_dump::sort(&mut rows);
        rows.first().map(|r| (r.quota.clone(), r.scope.clone(), r.used, r.limit))
    });
    Ok(out)
}

/// The terminal table (and what to read from it).
pub fn table(input: &Input, outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    let services = split(&input.manifests).map(|(s, _)| s).unwrap_or_default();
    let ports: Vec<String> =
        services.iter().map(|x| format!("{} ({} ports)", name(x), x["spec"]["ports"].as_array().map_or(0, Vec::len))).collect();
    let _ = writeln!(
        s,
        "lbsim plan: cluster {} ({} {}), controller profile {}, growing by {} of {}",
        input.fixture.name,
        input.fixture.account,
        input.fixture.region,
        match input.profile {
            Profile::V2_6_0 => "v2.6.0",
            _ => "latest",
        },
        input.grow.noun(),
        ports.join(", ")
    );
    let rows: Vec<[String; 5]> = outcomes
        .iter()
        .map(|o| match &o.failure {
            Some(f) => [
                o.mode.label().to_string(),
                added(input.grow, o.fits).to_string(),
                format!("#{}", added(input.grow, f.step)),
                format!("{}{}", f.code, f.quota.as_ref().map(|q| format!(" ({q})")).unwrap_or_default()),
                f.on.clone(),
            ],
            None => [
                o.mode.label().to_string(),
                format!("≥ {}", added(input.grow, o.fits)),
                "none".into(),
                format!("none within {} steps", input.max_steps),
                o.closest.as_ref().map(|c| format!("closest: {} {} {}/{}", c.0, c.1, c.2, c.3)).unwrap_or_default(),
            ],
        })
        .collect();
    let heads = ["mode", if input.grow == Grow::Copies { "fit" } else { "fit (added)" }, "fails at", "quota hit first", "on"];
    let widths: Vec<usize> = (0..5).map(|i| rows.iter().map(|r| r[i].chars().count()).chain([heads[i].len()]).max().unwrap_or(0)).collect();
    let line = |cells: &[String]| -> String {
        cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}", w = *w)).collect::<Vec<_>>().join("  ").trim_end().to_string()
    };
    let _ = writeln!(s, "{}", line(&heads.map(String::from)));
    for r in &rows {
        let _ = writeln!(s, "{}", line(r));
    }
    for o in outcomes {
        let _ = writeln!(s, "\n{}:", o.mode.label());
        match &o.failure {
            Some(f) => {
                let (fit, at, noun) = (added(input.grow, o.fits), added(input.grow, f.step), input.grow.noun());
                let _ = writeln!(s, "  {fit} {noun} fit; with {at}: {} on {}", f.message, f.on);
                if let Some(c) = &o.closest {
                    let _ = writeln!(s, "  at {fit} the largest share was {} {}: {} of {}", c.0, c.1, c.2, c.3);
                }
                let _ = writeln!(s, "  what the controller reports:");
                for r in &f.reports {
                    let _ = writeln!(s, "    {r}");
                }
            }
            None => {
                let _ = writeln!(s, "  nothing refused within {} steps", input.max_steps);
            }
        }
        let rules: Vec<String> = o.points.iter().map(|p| p.node_rules.to_string()).collect();
        let _ = writeln!(s, "  node-group inbound rules by step: {}", rules.join(" "));
    }
    s
}

/// The HTML page: the table and the curves.
pub fn html(input: &Input, outcomes: &[Outcome]) -> String {
    let n = outcomes.iter().map(|o| o.points.len()).max().unwrap_or(0);
    let x: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    let rules = Chart {
        title: format!("Node-group inbound rules by {}", input.grow.noun()),
        x_labels: x.clone(),
        series: outcomes
            .iter()
            .map(|o| Series { label: o.mode.label().into(), values: o.points.iter().map(|p| p.node_rules as f64).collect() })
            .collect(),
        limit: outcomes
            .iter()
            .flat_map(|o| &o.points)
            .flat_map(|p| &p.rows)
            .find(|r| r.quota == "rules-per-security-group")
            .map(|r| (r.limit as f64, format!("quota {}", r.limit))),
    };
    let share = Chart {
        title: "Share of the quota each mode hits first (%)".into(),
        x_labels: x,
        series: outcomes
            .iter()
            .map(|o| {
                let q = o.failure.as_ref().and_then(|f| f.quota.clone()).or(o.closest.as_ref().map(|c| c.0.clone())).unwrap_or_default();
                Series { label: format!("{}: {q}", o.mode.label()), values: o.points.iter().map(|p| p.limiting_percent).collect() }
            })
            .collect(),
        limit: Some((100.0, "100%".into())),
    };
    let esc = |t: &str| quick_xml::escape::escape(t).into_owned();
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>lbsim plan</title><style>body{font:14px/1.45 system-ui,sans-serif;margin:20px;color:#1d232b}pre{background:#f6f7f9;padding:10px;border-radius:6px;overflow:auto}.charts{display:flex;flex-wrap:wrap;gap:10px}</style></head><body><h1>lbsim plan</h1>",
    );
    let _ = writeln!(
        out,
        "<pre>{}</pre><div class=\"charts\">{}{}</div></body></html>",
        esc(&table(input, outcomes)),
        chart::svg(&rules),
        chart::svg(&share)
    );
    out
}

/// A fixture by path, or by the name of an embedded one.
pub fn load_fixture(p: &str) -> Result<Fixture, String> {
    let path = std::path::Path::new(p);
    if !path.is_file()
        && let Some(f) = Fixture::embedded(p)
    {
        return Ok(f);
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        let names: Vec<&str> = crate::world::fixture::EMBEDDED.iter().map(|(n, _)| *n).collect();
        format!(
            "cannot read cluster fixture {}: {e} (embedded fixtures: {})",
            std::path::absolute(path).unwrap_or(path.to_path_buf()).display(),
            names.join(", ")
        )
    })?;
    Fixture::parse(&text).map_err(|e| format!("{p}: {e}"))
}

/// Both modes, or one.
pub async fn run(input: &Input, modes: &[Mode]) -> Result<Vec<Outcome>, String> {
    let mut out = Vec::new();
    for m in modes {
        out.push(run_mode(input, *m).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_grow_copies_ports_and_ranges() {
        let (s, _) = split("kind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n").unwrap();
        assert_eq!(name(&variant(&s, Grow::Copies, 3)[0]), "web-3");
        assert_eq!(variant(&s, Grow::Ports, 3)[0]["spec"]["ports"].as_array().unwrap().len(), 3);
        assert_eq!(variant(&s, Grow::Ports, 1)[0]["spec"]["ports"].as_array().unwrap().len(), 1);
        assert_eq!(variant(&s, Grow::SourceRanges, 2)[0]["spec"]["loadBalancerSourceRanges"][0], "100.64.1.0/24");
        assert!(split("kind: Pod\nmetadata: {name: p}\n").is_err());
        assert_eq!(quota_of("RulesPerSecurityGroupLimitExceeded", "AuthorizeSecurityGroupIngress"), Some("rules-per-security-group"));
        assert_eq!(quota_of("DependencyViolation", "DeleteSecurityGroup"), None);
    }
}
