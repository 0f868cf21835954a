//! Runs one scenario: starts its world (`env`), then each step in order on the virtual clock,
//! recording a `StepReport` per step; the first failed step ends the scenario. Nothing here
//! reads the wall clock, so the same file gives the same report byte for byte.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod, Service};
use k8s_openapi::api::networking::v1::Ingress;

use super::checks;
use super::env::Env;
use super::format::{Apply, AwsCall, ChartSeries, FaultStep, Loaded, NodeChange, ObjectRef, Patch, Settle, Step};
use super::nodes;
use super::raw;
use super::report::{CheckResult, Failure, ScenarioReport, Status, StepReport};
use super::samples;
use crate::cluster::TargetGroupBinding;
use crate::world::Fixture;

/// Default bound of a `settle` step, in virtual time.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Differential mode: replay against this endpoint instead of lbsim in process.
    pub endpoint: Option<String>,
    /// Only scenarios whose name or file name matches this glob (a plain word matches as a
    /// substring).
    pub filter: Option<String>,
    /// Stop after the first scenario that fails.
    pub fail_fast: bool,
}

/// Template variables: the fixture's, values saved by `aws` steps, and `i` inside repeats.
#[derive(Debug, Clone, Default)]
pub struct Vars(pub BTreeMap<String, String>);

impl Vars {
    /// Replaces every `{{name}}` (spaces allowed inside the braces); an unknown name is an error.
    pub fn expand(&self, s: &str) -> Result<String, String> {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(i) = rest.find("{{") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let end = after.find("}}").ok_or_else(|| format!("unclosed '{{{{' in {s:?}"))?;
            let name = after[..end].trim();
            let v = self.0.get(name).ok_or_else(|| {
                format!("unknown template variable '{name}' (known: {})", self.0.keys().cloned().collect::<Vec<_>>().join(", "))
            })?;
            out.push_str(v);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// What one step did, before it is put in the report.
struct Outcome {
    summary: String,
    notes: Vec<String>,
    checks: Vec<CheckResult>,
    skipped: bool,
    /// (message, expected, actual) of a failed step.
    failure: Option<(String, String, String)>,
}

impl Outcome {
    fn ok(summary: impl Into<String>) -> Outcome {
        Outcome { summary: summary.into(), notes: Vec::new(), checks: Vec::new(), skipped: false, failure: None }
    }
    fn skipped(summary: impl Into<String>, note: impl Into<String>) -> Outcome {
        Outcome { skipped: true, notes: vec![note.into()], ..Outcome::ok(summary) }
    }
    fn failed(summary: impl Into<String>, message: impl Into<String>, expected: impl Into<String>, actual: impl Into<String>) -> Outcome {
        Outcome { failure: Some((message.into(), expected.into(), actual.into())), ..Outcome::ok(summary) }
    }
}

pub struct Runner<'a> {
    pub env: Env,
    pub dir: PathBuf,
    pub vars: Vars,
    /// Fault ids by the names steps gave them.
    pub faults: BTreeMap<String, String>,
    /// Controller call-log positions by `mark` name.
    pub marks: BTreeMap<String, usize>,
    /// The clock's time at each mark, and at the scenario's start (`converged_within`).
    pub mark_times: BTreeMap<String, chrono::DateTime<chrono::Utc>>,
    pub started: chrono::DateTime<chrono::Utc>,
    pub steps: Vec<StepReport>,
    /// The scenario's own chart series, sampled after each step.
    pub chart: Vec<ChartSeries>,
    /// Called after each step (the terminal timeline).
    pub on_step: &'a mut dyn FnMut(&StepReport),
}

/// Resolves the scenario's cluster: a path inside the scenario's tree (its folder first, then
/// the working directory; `files`), the name of an embedded fixture (`default`,
/// `worked-example`), or an inline fixture.
pub fn resolve_fixture(cluster: Option<&serde_yaml_ng::Value>, dir: &Path) -> Result<Fixture, String> {
    match cluster {
        None => Ok(Fixture::default_cluster()),
        Some(serde_yaml_ng::Value::String(p)) => {
            // A file next to the scenario wins over the embedded fixture of the same name.
            match super::files::read(dir, p, "cluster fixture") {
                Ok((_, text)) => Fixture::parse(&text).map_err(|e| format!("cluster fixture '{p}': {}", super::files::redact(&e))),
                Err(e) => Fixture::embedded(p).ok_or_else(|| {
                    let names: Vec<&str> = crate::world::fixture::EMBEDDED.iter().map(|(n, _)| *n).collect();
                    format!("{e} (embedded fixtures: {})", names.join(", "))
                }),
            }
        }
        Some(v @ serde_yaml_ng::Value::Mapping(_)) => {
            let text = serde_yaml_ng::to_string(v).map_err(|e| format!("cluster: {e}"))?;
            Fixture::parse(&text)
        }
        Some(_) => Err("cluster: a fixture path, 'default', or an inline fixture".into()),
    }
}

/// Runs one loaded scenario to its report.
pub async fn run(l: &Loaded, opts: &Options, on_step: &mut dyn FnMut(&StepReport)) -> ScenarioReport {
    let s = &l.scenario;
    let mut report = ScenarioReport::new(&l.path, s);
    if let Some(reason) = &s.pending {
        report.status = Status::Skipped;
        report.reason = Some(format!("pending: {reason}"));
        return report;
    }
    if let (Some(reason), Some(_)) = (&s.lbsim_only, &opts.endpoint) {
        report.status = Status::Skipped;
        report.reason = Some(format!("lbsim only: {reason}"));
        return report;
    }
    let dir = l.path.parent().map(Path::to_path_buf).unwrap_or_default();
    let started = resolve_fixture(s.cluster.as_ref(), &dir);
    let env = match started {
        Ok(f) => Env::start(s, f, opts.endpoint.as_deref()).await,
        Err(e) => Err(e),
    };
    let (env, notes) = match env {
        Ok(x) => x,
        Err(e) => {
            report.status = Status::Error;
            report.failure =
                Some(Failure { step: "setup".into(), message: e, expected: "the cluster fixture loads".into(), actual: "error".into() });
            return report;
        }
    };
    report.notes = notes;
    let vars = Vars(env.vars());
    let started = env.sim.world.now();
    let mut r = Runner {
        env,
        dir,
        vars,
        faults: BTreeMap::new(),
        marks: BTreeMap::new(),
        mark_times: BTreeMap::new(),
        started,
        steps: Vec::new(),
        chart: s.chart.clone(),
        on_step,
    };
    let failure = r.run_steps(&s.steps, "").await;
    report.steps = std::mem::take(&mut r.steps);
    report.status = if failure.is_some() { Status::Failed } else { Status::Passed };
    report.failure = failure;
    report
}

fn elapsed(env: &Env) -> String {
    let ms = (env.clock_now() - crate::clock::epoch()).num_milliseconds();
    format!("t+{}.{:03}s", ms / 1000, ms % 1000)
}

impl Env {
    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.sim.world.clock.now()
    }
}

impl Runner<'_> {
    /// Runs `steps`; indexes are `prefix` + 1-based position. Returns the first failure.
    fn run_steps<'s>(&'s mut self, steps: &'s [Step], prefix: &'s str) -> std::pin::Pin<Box<dyn Future<Output = Option<Failure>> + 's>> {
        Box::pin(async move {
            for (n, step) in steps.iter().enumerate() {
                let index = format!("{prefix}{}", n + 1);
                if let Step::Repeat(rep) = step {
                    let saved = self.vars.0.get("i").cloned();
                    for i in 1..=rep.times {
                        self.vars.0.insert("i".into(), i.to_string());
                        if let Some(f) = self.run_steps(&rep.steps, &format!("{index}[i={i}].")).await {
                            return Some(f);
                        }
                    }
                    match saved {
                        Some(v) => self.vars.0.insert("i".into(), v),
                        None => self.vars.0.remove("i"),
                    };
                    continue;
                }
                let before = self.env.past_calls.len() + self.env.ctx().aws.log.len();
                let mut o = self.step(step).await;
                let sample = match samples::take(&self.env, &self.vars, &self.chart, before) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        o.notes.push(format!("chart: {e}"));
                        None
                    }
                };
                let status = if o.failure.is_some() {
                    Status::Failed
                } else if o.skipped {
                    Status::Skipped
                } else {
                    Status::Passed
                };
                let sr = StepReport {
                    index: index.clone(),
                    kind: step.kind().to_string(),
                    summary: o.summary,
                    status,
                    at: elapsed(&self.env),
                    notes: o.notes,
                    checks: o.checks,
                    sample,
                };
                (self.on_step)(&sr);
                self.steps.push(sr);
                if let Some((message, expected, actual)) = o.failure {
                    return Some(Failure { step: index, message, expected, actual });
                }
            }
            None
        })
    }

    fn lbsim_only(&self) -> bool {
        self.env.sim.world.app.is_none()
    }

    async fn step(&mut self, step: &Step) -> Outcome {
        let r = match step {
            Step::Apply(a) => self.apply(a),
            Step::Patch(p) => self.patch(p),
            Step::Delete(d) => self.delete(d),
            Step::Node(n) => self.node(n).await,
            Step::Advance(d) => {
                if self.lbsim_only() {
                    return Outcome::skipped(format!("advance {:?}", d.0), "skipped: virtual time is lbsim only");
                }
                let end = self.env.clock_now() + chrono::Duration::from_std(d.0).unwrap_or_default();
                let st = self.env.sim.controller.run(d.0).await;
                self.env.ctx().clock.advance_to(end);
                Ok(Outcome::ok(format!(
                    "advance {} ({} Service, {} IngressGroup, {} binding reconciles; {} queued)",
                    fmt_duration(d.0),
                    st.service_reconciles,
                    st.ingress_reconciles,
                    st.tgb_reconciles,
                    st.pending
                )))
            }
            Step::Settle(s) => Ok(self.settle(s).await),
            Step::Fault(f) => self.fault(f),
            Step::Aws(a) => self.aws(a).await,
            Step::Expect(list) => {
                let mut results = Vec::new();
                for c in list {
                    results.push(checks::check(self, c).await);
                }
                let failed: Vec<&CheckResult> = results.iter().filter(|r| !r.ok && !r.skipped).collect();
                let summary = format!("{} check{}", results.len(), if results.len() == 1 { "" } else { "s" });
                let mut o = match failed.first() {
                    Some(f) => Outcome::failed(summary, f.check.clone(), f.expected.clone(), f.actual.clone()),
                    None => Outcome::ok(summary),
                };
                o.notes = results.iter().filter(|r| r.skipped).map(|r| format!("{}: {}", r.check, r.actual)).collect();
                o.checks = results;
                Ok(o)
            }
            Step::Controller(spec) => {
                self.env.restart(spec).await.map(|_| Outcome::ok(format!("controller restarted ({})", describe_spec(&self.env.spec))))
            }
            Step::Mark(name) => {
                let n = self.env.past_calls.len() + self.env.ctx().aws.log.len();
                self.marks.insert(name.clone(), n);
                self.mark_times.insert(name.clone(), self.env.sim.world.now());
                Ok(Outcome::ok(format!("mark '{name}' at call {n}")))
            }
            Step::Repeat(_) => Ok(Outcome::ok("repeat")),
        };
        r.unwrap_or_else(|e| Outcome::failed(step.kind(), e.clone(), format!("the {} step succeeds", step.kind()), e))
    }

    fn read_manifest(&self, a: &Apply) -> Result<(String, String), String> {
        match (&a.file, &a.manifest) {
            (Some(f), None) => {
                let f = self.vars.expand(f)?;
                let (_, text) = super::files::read(&self.dir, &f, "manifest")?;
                Ok((f, text))
            }
            (None, Some(m)) => Ok(("inline manifest".into(), m.clone())),
            _ => Err("apply: give exactly one of 'file' and 'manifest'".into()),
        }
    }

    fn apply(&mut self, a: &Apply) -> Result<Outcome, String> {
        let (what, text) = self.read_manifest(a)?;
        let times = a.repeat.unwrap_or(1);
        let mut names = Vec::new();
        for i in 1..=times {
            let mut v = self.vars.clone();
            if a.repeat.is_some() {
                v.0.insert("i".into(), i.to_string());
            }
            let doc = v.expand(&text)?;
            names.extend(manifest_names(&doc));
            // A manifest from a file is not echoed (see `files`); an inline one is the scenario's own.
            crate::cluster::apply_manifests(&mut self.env.sim.cluster.lock(), &doc)
                .map_err(|e| if a.file.is_some() { format!("{what}: {}", super::files::redact(&e)) } else { e })?;
        }
        let shown = if names.len() > 3 {
            format!("{} … {} ({} objects)", names[0], names[names.len() - 1], names.len())
        } else {
            names.join(", ")
        };
        Ok(Outcome::ok(format!("apply {what}: {shown}")))
    }

    fn patch(&mut self, p: &Patch) -> Result<Outcome, String> {
        let name = self.vars.expand(&p.name)?;
        let patch_text = self.vars.expand(&serde_yaml_ng::to_string(&p.merge).map_err(|e| e.to_string())?)?;
        let patch: serde_json::Value = serde_yaml_ng::from_str(&patch_text).map_err(|e| format!("patch: {e}"))?;
        let mut store = self.env.sim.cluster.lock();
        fn go<T: crate::cluster::store::Object + serde::de::DeserializeOwned>(
            store: &mut crate::cluster::ClusterStore,
            ns: &str,
            name: &str,
            patch: &serde_json::Value,
        ) -> Result<(), String> {
            let obj: T = store.get(ns, name).ok_or_else(|| format!("{:?} {ns}/{name} not found", T::KIND))?;
            let mut v = serde_json::to_value(&obj).map_err(|e| e.to_string())?;
            merge_patch(&mut v, patch);
            let new: T = serde_json::from_value(v).map_err(|e| format!("patched object: {e}"))?;
            store.apply(new);
            Ok(())
        }
        match p.kind.as_str() {
            "Service" => go::<Service>(&mut store, &p.namespace, &name, &patch)?,
            "Node" => go::<Node>(&mut store, "", &name, &patch)?,
            "Pod" => go::<Pod>(&mut store, &p.namespace, &name, &patch)?,
            "Ingress" => go::<Ingress>(&mut store, &p.namespace, &name, &patch)?,
            k => return Err(format!("patch: kind {k} is not supported (Service, Node, Pod, Ingress)")),
        }
        Ok(Outcome::ok(format!("patch {} {}/{name}", p.kind, p.namespace)))
    }

    fn delete(&mut self, d: &ObjectRef) -> Result<Outcome, String> {
        let name = self.vars.expand(&d.name)?;
        let mut store = self.env.sim.cluster.lock();
        let found = match d.kind.as_str() {
            "Service" => store.delete::<Service>(&d.namespace, &name),
            "Pod" => store.delete::<Pod>(&d.namespace, &name),
            "Node" => store.delete::<Node>("", &name),
            "TargetGroupBinding" => store.delete::<TargetGroupBinding>(&d.namespace, &name),
            "Ingress" => store.delete::<Ingress>(&d.namespace, &name),
            k => return Err(format!("delete: kind {k} is not supported (Service, Pod, Node, TargetGroupBinding, Ingress)")),
        };
        if !found {
            return Err(format!("delete: {} {}/{name} not found", d.kind, d.namespace));
        }
        Ok(Outcome::ok(format!("delete {} {}/{name}", d.kind, d.namespace)))
    }

    async fn node(&mut self, n: &NodeChange) -> Result<Outcome, String> {
        let summary = nodes::change(&self.env, n).await?;
        Ok(Outcome::ok(summary))
    }

    async fn settle(&mut self, s: &Settle) -> Outcome {
        let timeout = s.timeout.map(|d| d.0).unwrap_or(SETTLE_TIMEOUT);
        let st = self.env.sim.controller.run(timeout).await;
        let summary = format!(
            "settle ({} Service, {} IngressGroup, {} binding reconciles)",
            st.service_reconciles, st.ingress_reconciles, st.tgb_reconciles
        );
        if st.pending == 0 {
            return Outcome::ok(summary);
        }
        let queued = queued(&self.env);
        if s.allow_pending {
            let mut o = Outcome::ok(summary);
            o.notes.push(format!("{} item(s) still queued after {}: {queued}", st.pending, fmt_duration(timeout)));
            return o;
        }
        Outcome::failed(
            summary,
            format!("did not settle within {}", fmt_duration(timeout)),
            "nothing queued".to_string(),
            format!("{} item(s) still queued: {queued}", st.pending),
        )
    }

    fn fault(&mut self, f: &FaultStep) -> Result<Outcome, String> {
        let Some(app) = self.env.sim.world.app.clone() else {
            return Ok(Outcome::skipped("fault", "skipped: faults are lbsim only"));
        };
        match (&f.inject, &f.clear) {
            (Some(spec), None) => {
                let v = app.faults.add(spec.clone())?;
                let id = v.get("id").and_then(|x| x.as_str()).unwrap_or_default().to_string();
                let label = f.name.clone().unwrap_or_else(|| id.clone());
                self.faults.insert(label.clone(), id);
                let desc = serde_json::to_string(spec).unwrap_or_default();
                Ok(Outcome::ok(format!("fault '{label}' injected: {desc}")))
            }
            (None, Some(name)) if name == "all" => {
                let n = app.faults.clear(None);
                self.faults.clear();
                Ok(Outcome::ok(format!("{n} fault(s) cleared")))
            }
            (None, Some(name)) => {
                let id = self.faults.remove(name).ok_or_else(|| format!("no fault named '{name}'"))?;
                app.faults.remove(&id);
                Ok(Outcome::ok(format!("fault '{name}' cleared")))
            }
            _ => Err("fault: give 'inject' (with an optional 'name') or 'clear'".into()),
        }
    }

    async fn aws(&mut self, a: &AwsCall) -> Result<Outcome, String> {
        let mut params = Vec::new();
        for (k, v) in &a.params {
            for (k, v) in raw::flatten(k, v)? {
                params.push((self.vars.expand(&k)?, self.vars.expand(&v)?));
            }
        }
        let reply = raw::call(&self.env, &a.service, &a.action, &params).await?;
        let summary = format!("aws {} {}", a.service, a.action);
        // Success bodies have <Code> elements too (an NLB's State): only an error status counts.
        let code = if reply.status >= 400 { reply.code().or_else(|| Some(format!("HTTP {}", reply.status))) } else { None };
        match (&a.expect_error, code) {
            (None, None) => {}
            (Some(want), Some(got)) if *want == got => return Ok(Outcome::ok(format!("{summary} → {got} (expected)"))),
            (want, got) => {
                let expected = want.clone().map(|w| format!("error {w}")).unwrap_or_else(|| "success".into());
                let actual = match got {
                    Some(g) => format!("error {g}: {}", reply.first("Message").unwrap_or_default()),
                    None => format!("HTTP {}", reply.status),
                };
                return Ok(Outcome::failed(summary, format!("{} {} answered differently", a.service, a.action), expected, actual));
            }
        }
        let mut o = Outcome::ok(summary);
        for (var, element) in &a.save {
            let v = reply.first(element).ok_or_else(|| format!("the response has no <{element}> to save as '{var}'"))?;
            self.vars.0.insert(var.clone(), v.clone());
            o.notes.push(format!("{var} = {v}"));
        }
        Ok(o)
    }
}

/// `kind/name` of each document (for the timeline).
fn manifest_names(doc: &str) -> Vec<String> {
    use serde::Deserialize;
    serde_yaml_ng::Deserializer::from_str(doc)
        .filter_map(|d| serde_yaml_ng::Value::deserialize(d).ok())
        .filter(|v| !v.is_null())
        .map(|v| {
            let kind = v.get("kind").and_then(|k| k.as_str()).unwrap_or("?").to_string();
            let name = v.get("metadata").and_then(|m| m.get("name")).and_then(|n| n.as_str()).unwrap_or("?").to_string();
            format!("{kind}/{name}")
        })
        .collect()
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(Default::default());
    }
    if let serde_json::Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(serde_json::Value::Null), v);
            }
        }
    }
}

fn queued(env: &Env) -> String {
    let q = env.ctx().queues.lock();
    let mut parts = Vec::new();
    if !q.services.is_empty() {
        parts.push(format!("{} Service(s)", q.services.len()));
    }
    if !q.ingresses.is_empty() {
        parts.push(format!("{} IngressGroup(s)", q.ingresses.len()));
    }
    if !q.tgbs.is_empty() {
        parts.push(format!("{} TargetGroupBinding(s)", q.tgbs.len()));
    }
    parts.join(", ")
}

pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(3_600_000) && ms > 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

fn describe_spec(s: &super::format::ControllerSpec) -> String {
    let mut parts = vec![format!("profile {}", s.profile.as_deref().unwrap_or("v2.6.0"))];
    for (k, v) in &s.feature_gates {
        parts.push(format!("{k}={v}"));
    }
    for (k, v) in &s.flags {
        parts.push(format!("{k}={}", serde_yaml_ng::to_string(v).unwrap_or_default().trim()));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_and_refuse_unknown_names() {
        let v = Vars(BTreeMap::from([("i".to_string(), "7".to_string()), ("vpc_id".to_string(), "vpc-1".to_string())]));
        assert_eq!(v.expand("svc-{{i}} in {{ vpc_id }}").unwrap(), "svc-7 in vpc-1");
        assert!(v.expand("{{nope}}").unwrap_err().contains("nope"));
        assert!(v.expand("{{i").is_err());
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut t = serde_json::json!({"a": {"b": 1, "c": 2}, "d": [1]});
        merge_patch(&mut t, &serde_json::json!({"a": {"b": null, "e": 3}, "d": [2]}));
        assert_eq!(t, serde_json::json!({"a": {"c": 2, "e": 3}, "d": [2]}));
    }

    #[test]
    fn durations_print_short() {
        assert_eq!(fmt_duration(Duration::from_secs(600)), "10m");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(fmt_duration(Duration::from_secs(5)), "5s");
    }
}
