//! The scenario file format (YAML; scenarios/schema.json is its JSON Schema, and the test in
//! `schema` keeps the two in step): header fields, the cluster fixture, the controller settings,
//! quota overrides, the seed, and the steps. Parsing errors carry the line and column
//! serde_yaml_ng reports. Strings inside steps may hold `{{…}}` templates, expanded when the
//! step runs (`runner::Vars`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::faults::FaultSpec;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Not runnable yet (what the emulation lacks): reported as skipped, with this reason.
    #[serde(default)]
    pub pending: Option<String>,
    /// Skipped in differential mode (`--endpoint`), with this reason: the scenario is about an
    /// lbsim-only feature (faults, quota overrides), so another endpoint cannot show it.
    #[serde(default)]
    pub lbsim_only: Option<String>,
    /// A fixture path (relative to the scenario file, then to the working directory), the name
    /// of a fixture embedded in lbsim (`default`, `worked-example`), or an inline fixture.
    /// Default: `default`.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub cluster: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    pub controller: ControllerSpec,
    /// Quota overrides for the fixture's account, by quota name (`lbsim` config names).
    #[serde(default)]
    pub quotas: BTreeMap<String, u64>,
    /// Region settings of the fixture's Region (the config file's `regions.<name>` keys).
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub region_settings: Option<serde_yaml_ng::Value>,
    /// Seeds lbsim's id generator: the same file gives the same ids and the same report.
    #[serde(default = "one")]
    pub seed: u64,
    /// Series the HTML report charts over the steps, besides its default charts.
    #[serde(default)]
    pub chart: Vec<ChartSeries>,
    /// Steps and checks are one-key maps (`- settle: {}`), not YAML tags.
    #[serde(deserialize_with = "serde_yaml_ng::with::singleton_map_recursive::deserialize")]
    pub steps: Vec<Step>,
}

fn one() -> u64 {
    1
}

/// The profiles the emulation knows, listed from `Profile::RELEASES` so the schema cannot drift.
fn profile_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut names: Vec<serde_json::Value> = crate::reconciler::Profile::RELEASES.iter().map(|r| (*r).into()).collect();
    names.extend(["latest".into(), serde_json::Value::Null]);
    schemars::json_schema!({ "type": ["string", "null"], "enum": names, "default": null })
}

/// Controller settings: the profile, any `ControllerConfig` flag, feature gates, and the SDK's
/// retry count (the controller's `--aws-max-retries`, 10 by default).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControllerSpec {
    /// A controller release tag (`v2.6.0` … `v3.7.0`) or `latest`.
    #[serde(default)]
    #[schemars(schema_with = "profile_schema")]
    pub profile: Option<String>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub flags: BTreeMap<String, serde_yaml_ng::Value>,
    #[serde(default)]
    pub feature_gates: BTreeMap<String, bool>,
    #[serde(default)]
    pub aws_max_retries: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    Apply(Apply),
    Patch(Patch),
    Delete(ObjectRef),
    Node(NodeChange),
    Advance(DurationStr),
    Settle(Settle),
    Fault(FaultStep),
    Aws(AwsCall),
    Expect(Vec<Check>),
    /// Restart the controller with changed settings (merged over the scenario's).
    Controller(ControllerSpec),
    /// Remember the controller's call-log position under a name, for `calls.since`.
    Mark(String),
    /// Run steps `times` times with `{{i}}` = 1 … times.
    Repeat(Repeat),
}

impl Step {
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Apply(_) => "apply",
            Step::Patch(_) => "patch",
            Step::Delete(_) => "delete",
            Step::Node(_) => "node",
            Step::Advance(_) => "advance",
            Step::Settle(_) => "settle",
            Step::Fault(_) => "fault",
            Step::Aws(_) => "aws",
            Step::Expect(_) => "expect",
            Step::Controller(_) => "controller",
            Step::Mark(_) => "mark",
            Step::Repeat(_) => "repeat",
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Apply {
    /// A manifest file (relative to the scenario file).
    #[serde(default)]
    pub file: Option<String>,
    /// Inline multi-document YAML.
    #[serde(default)]
    pub manifest: Option<String>,
    /// Apply the manifest N times with `{{i}}` = 1 … N (in one step, before any reconcile).
    #[serde(default)]
    pub repeat: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectRef {
    #[serde(default = "service_kind")]
    pub kind: String,
    pub name: String,
    #[serde(default = "default_ns")]
    pub namespace: String,
}

fn service_kind() -> String {
    "Service".into()
}
fn default_ns() -> String {
    "default".into()
}

/// A JSON merge patch (RFC 7386) of one object, as `kubectl patch --type merge`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    #[serde(default = "service_kind")]
    pub kind: String,
    pub name: String,
    #[serde(default = "default_ns")]
    pub namespace: String,
    #[schemars(with = "serde_json::Value")]
    pub merge: serde_yaml_ng::Value,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum NodeChange {
    /// New instances in a node group of the fixture (and their Node objects).
    Add {
        group: String,
        #[serde(default = "one_u32")]
        count: u32,
    },
    /// Terminate a node's instance and delete the Node (by name, or the group's newest).
    Remove {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        group: Option<String>,
    },
    /// Add or remove nodes (newest first) until the group has `count`.
    Scale { group: String, count: u32 },
    /// Set or remove labels of a node (by name, or every node of a group).
    Labels {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        group: Option<String>,
        #[serde(default)]
        set: BTreeMap<String, String>,
        #[serde(default)]
        remove: Vec<String>,
    },
}

fn one_u32() -> u32 {
    1
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settle {
    /// Virtual time the controller may take (default 10m).
    #[serde(default)]
    pub timeout: Option<DurationStr>,
    /// Do not fail when work is still queued at the timeout (failing items retrying); the
    /// report notes how many.
    #[serde(default)]
    pub allow_pending: bool,
}

/// `inject` a fault (the admin API's `FaultSpec`, optionally `name`d for a later `clear`), or
/// `clear` the fault of that name, or every fault (`all`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultStep {
    #[serde(default)]
    pub inject: Option<FaultSpec>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub clear: Option<String>,
}

/// A raw API call (Query protocol: EC2 and ELBv2), with an optional expected error code and
/// response values saved as template variables.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwsCall {
    /// `ec2` or `elbv2`.
    pub service: String,
    pub action: String,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub params: BTreeMap<String, serde_yaml_ng::Value>,
    /// The error code the call must fail with; absent: it must succeed.
    #[serde(default)]
    pub expect_error: Option<String>,
    /// Variable name → response element whose first value to keep (`{{name}}` later).
    #[serde(default)]
    pub save: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    pub times: u32,
    pub steps: Vec<Step>,
}

/// One expectation. Exactly one of the fields is set.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    Events(EventsCheck),
    Hostname(HostnameCheck),
    Exists(ExistsCheck),
    Rules(RulesCheck),
    Rule(RuleCheck),
    Resources(ResourcesCheck),
    Quota(QuotaCheck),
    Calls(CallsCheck),
    LoadBalancer(LbCheck),
    ConvergedWithin(ConvergedCheck),
    AlbRule(AlbRuleCheck),
    Saved(SavedCheck),
}

/// A value an `aws` step saved (`save: {name: Element}`), matched against a glob.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedCheck {
    pub name: String,
    /// Glob (`*` and `?`) the value must match.
    pub value: String,
}

/// The listener rule of an ALB at one priority (over every ALB and HTTP(S) listener; at most
/// one may match), with the path-pattern and host-header values it must carry.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlbRuleCheck {
    pub priority: u32,
    /// Only a listener on this port.
    #[serde(default)]
    pub port: Option<i32>,
    /// The rule's path-pattern values, in order.
    #[serde(default)]
    pub paths: Option<Vec<String>>,
    /// The rule's host-header values, in order.
    #[serde(default)]
    pub hosts: Option<Vec<String>>,
    #[serde(default = "yes")]
    pub present: bool,
}

/// Events of an object (or of every TargetGroupBinding of a Service).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsCheck {
    /// `Service` (default), `TargetGroupBinding`, `Node` or `Ingress`.
    #[serde(default = "service_kind")]
    pub kind: String,
    /// The object's name; for `TargetGroupBinding`, the Service whose bindings to read.
    pub name: String,
    #[serde(default = "default_ns")]
    pub namespace: String,
    #[serde(default)]
    pub reason: Option<String>,
    /// `Normal` or `Warning`.
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    /// Glob over the message (`*` and `?`).
    #[serde(default)]
    pub message: Option<String>,
    /// Sum of the matching Events' counts, exactly …
    #[serde(default)]
    pub count: Option<u32>,
    /// … or at least (default: at least 1; `count: 0` asserts there is none).
    #[serde(default)]
    pub min_count: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostnameCheck {
    /// The Service whose status to read …
    #[serde(default)]
    pub service: Option<String>,
    /// … or the Ingress.
    #[serde(default)]
    pub ingress: Option<String>,
    #[serde(default = "default_ns")]
    pub namespace: String,
    /// Glob the hostname must match; absent: any hostname.
    #[serde(default)]
    pub pattern: Option<String>,
    /// The status must carry no hostname.
    #[serde(default)]
    pub absent: bool,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExistsCheck {
    #[serde(default = "service_kind")]
    pub kind: String,
    pub name: String,
    #[serde(default = "default_ns")]
    pub namespace: String,
    #[serde(default = "yes")]
    pub present: bool,
    /// Also require (or forbid) the controller's finalizer.
    #[serde(default)]
    pub finalizer: Option<bool>,
}

fn yes() -> bool {
    true
}

/// How a security group is chosen.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupSel {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// `key=value` or `key` (any value).
    #[serde(default)]
    pub tag: Option<String>,
    /// `node` (the cluster security group on the nodes), `backend` (the shared backend group),
    /// `frontend` (the managed group of `service`).
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default = "default_ns")]
    pub namespace: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesCheck {
    pub group: GroupSel,
    /// `ingress` (default) or `egress`.
    #[serde(default)]
    pub direction: Option<String>,
    /// Rules as AWS counts them: one per (protocol, ports, single source).
    pub count: u64,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleCheck {
    pub group: GroupSel,
    #[serde(default)]
    pub direction: Option<String>,
    /// `tcp`, `udp`, `icmp`, `-1`.
    pub protocol: String,
    /// Single port (from = to) …
    #[serde(default)]
    pub port: Option<i32>,
    /// … or a range.
    #[serde(default)]
    pub from: Option<i32>,
    #[serde(default)]
    pub to: Option<i32>,
    /// Source: a CIDR …
    #[serde(default)]
    pub cidr: Option<String>,
    /// … or a group.
    #[serde(default)]
    pub source_group: Option<GroupSel>,
    #[serde(default = "yes")]
    pub present: bool,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourcesCheck {
    #[serde(default)]
    pub load_balancers: Option<usize>,
    #[serde(default)]
    pub target_groups: Option<usize>,
    /// Groups the controller made (tagged `elbv2.k8s.aws/cluster=<cluster>`).
    #[serde(default)]
    pub security_groups: Option<usize>,
    #[serde(default)]
    pub listeners: Option<usize>,
    /// Rules of the HTTP(S) listeners, their default rules not counted.
    #[serde(default)]
    pub listener_rules: Option<usize>,
    /// Registered targets over every target group.
    #[serde(default)]
    pub targets: Option<usize>,
    #[serde(default)]
    pub target_group_bindings: Option<usize>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LbCheck {
    /// The Service whose NLB to check …
    #[serde(default)]
    pub service: Option<String>,
    /// … or the ALB of an IngressGroup: its stack, `<namespace>/<name>` of an implicit group or
    /// the `group.name` of an explicit one.
    #[serde(default)]
    pub ingress_group: Option<String>,
    #[serde(default = "default_ns")]
    pub namespace: String,
    #[serde(default)]
    pub scheme: Option<String>,
    /// Number of security groups on the NLB (0: created without, legacy mode).
    #[serde(default)]
    pub security_groups: Option<usize>,
    /// Groups that must be among the NLB's.
    #[serde(default)]
    pub has_groups: Vec<GroupSel>,
    #[serde(default = "yes")]
    pub present: bool,
}

/// Quota usage from lbsim's usage table (lbsim only).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaCheck {
    /// Quota name as in `GET /_lbsim/usage` (`rules-per-security-group`, …).
    pub name: String,
    /// Only rows of this group (its id starts the row's scope).
    #[serde(default)]
    pub group: Option<GroupSel>,
    /// Largest use over the selected rows, exactly …
    #[serde(default)]
    pub used: Option<u64>,
    /// … or at most.
    #[serde(default)]
    pub max: Option<u64>,
}

/// The controller's AWS calls (its request log, lbsim only).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallsCheck {
    /// Glob over the action name.
    pub action: String,
    /// Only calls that failed with this code (`any`: every failed call; `none`: only successful
    /// calls).
    #[serde(default)]
    pub error: Option<String>,
    /// Count from this `mark` on (default: the whole run).
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub count: Option<usize>,
    #[serde(default)]
    pub min_count: Option<usize>,
}

/// Every Service matching `services` has a hostname (none lost), and the virtual time from the
/// `since` mark (default: the scenario's start) to now is at most `within`. The result states the
/// time it took and how many Services converged, so a report records the measurement.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvergedCheck {
    pub within: DurationStr,
    #[serde(default)]
    pub since: Option<String>,
    /// Glob over Service names (default: every Service).
    #[serde(default)]
    pub services: Option<String>,
    #[serde(default = "default_ns")]
    pub namespace: String,
}

/// One series of the HTML report's chart of the scenario's own choosing: exactly one of
/// `rules`, `quota`, `calls`, sampled after every step.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChartSeries {
    /// The legend text (default: made from the selector).
    #[serde(default)]
    pub label: Option<String>,
    /// Rules of the selected groups (summed), as AWS counts them.
    #[serde(default)]
    pub rules: Option<ChartRules>,
    /// The largest use of a quota (over the selected group's rows).
    #[serde(default)]
    pub quota: Option<ChartQuota>,
    /// The controller's calls during each step.
    #[serde(default)]
    pub calls: Option<ChartCalls>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChartRules {
    pub group: GroupSel,
    /// `ingress` (default) or `egress`.
    #[serde(default)]
    pub direction: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChartQuota {
    pub name: String,
    #[serde(default)]
    pub group: Option<GroupSel>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChartCalls {
    /// Glob over the action name.
    pub action: String,
    /// `any`, `none`, or one error code.
    #[serde(default)]
    pub error: Option<String>,
}

/// `90s`, `5m`, `1h`, `250ms`, or a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationStr(pub Duration);

impl JsonSchema for DurationStr {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "250ms, 90s, 5m, 1h, or a number of seconds",
            "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?(ms|s|m|h)?$"}]
        })
    }
}

impl<'de> Deserialize<'de> for DurationStr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_yaml_ng::Value::deserialize(d)?;
        let s = match &v {
            serde_yaml_ng::Value::Number(n) => format!("{n}s"),
            serde_yaml_ng::Value::String(s) => s.clone(),
            _ => return Err(serde::de::Error::custom("a duration: 250ms, 90s, 5m, 1h")),
        };
        parse_duration(&s).map(DurationStr).map_err(serde::de::Error::custom)
    }
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("'{s}' is not a duration (250ms, 90s, 5m, 1h)"))?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("'{s}' is not a duration (250ms, 90s, 5m, 1h)")),
    };
    if !(0.0..=7.0 * 86400.0).contains(&secs) {
        return Err(format!("'{s}' is out of range (0 to 7 days)"));
    }
    Ok(Duration::from_millis((secs * 1000.0).round() as u64))
}

/// A scenario as read from disk.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub scenario: Scenario,
}

/// Reads and parses one file; errors name the file, line and column.
pub fn load(path: &Path) -> Result<Loaded, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let scenario = parse(&text).map_err(|e| format!("{}:{e}", path.display()))?;
    Ok(Loaded { path: path.to_path_buf(), scenario })
}

/// Parses scenario text; the error starts with `line:column: `.
pub fn parse(text: &str) -> Result<Scenario, String> {
    let s: Scenario = serde_yaml_ng::from_str(text).map_err(|e| match e.location() {
        Some(l) => format!("{}:{}: {}", l.line(), l.column(), strip_location(&e.to_string())),
        None => format!("1:1: {e}"),
    })?;
    if s.steps.is_empty() {
        return Err("1:1: a scenario needs at least one step".into());
    }
    // Settings are checked now, not when the scenario reaches them: a typo (`nlb_security_group`)
    // must stop the file with the list of known keys, never run with the default.
    if let Some(rs) = &s.region_settings {
        serde_yaml_ng::from_value::<crate::state::RegionSettings>(rs.clone())
            .map_err(|e| format!("{}: region_settings: {}", key_line(text, "region_settings"), strip_location(&e.to_string())))?;
    }
    super::env::controller_config(&s.controller)
        .map_err(|e| format!("{}: controller: {}", key_line(text, "controller"), strip_location(&e)))?;
    for (i, c) in s.chart.iter().enumerate() {
        let n = [c.rules.is_some(), c.quota.is_some(), c.calls.is_some()].iter().filter(|x| **x).count();
        if n != 1 {
            return Err(format!("1:1: chart[{i}]: give exactly one of 'rules', 'quota' and 'calls'"));
        }
        if let Some(d) = c.rules.as_ref().and_then(|r| r.direction.as_deref())
            && d != "ingress"
            && d != "egress"
        {
            return Err(format!("1:1: chart[{i}]: direction '{d}' is not ingress or egress"));
        }
    }
    Ok(s)
}

/// `line:1` of a top-level key, for errors found after parsing (`1:1` when it is not found).
fn key_line(text: &str, key: &str) -> String {
    let line = text.lines().position(|l| l.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with(':'))).map_or(1, |i| i + 1);
    format!("{line}:1")
}

/// serde_yaml_ng appends " at line L column C" to its messages; the location is printed first.
fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// The scenario files named by `paths`: files as given, directories' `*.yaml`/`*.yml` sorted
/// by name (not recursive).
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            files.sort();
            out.extend(files);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("30d").is_err());
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = parse("name: x\nsteps:\n  - settle: {}\n  - aply: {file: a.yaml}\n").unwrap_err();
        assert!(e.starts_with("4:5: "), "{e}");
        assert!(e.contains("unknown variant `aply`"), "{e}");
        let e = parse("name: x\nsteps:\n  - advance: 5 parsecs\n").unwrap_err();
        assert!(e.starts_with("3:"), "{e}");
        assert!(parse("name: x\nsteps: []\n").is_err());
    }

    #[test]
    fn unknown_settings_are_refused_at_load_with_the_known_ones() {
        let e = parse("name: x\nregion_settings: {nlb_security_group: true}\nsteps:\n  - settle: {}\n").unwrap_err();
        assert!(e.starts_with("2:1: region_settings: unknown field `nlb_security_group`"), "{e}");
        assert!(e.contains("nlb_security_groups"), "{e}");
        let e = parse("name: x\ncontroller:\n  flags: {enable_backend_sg: true}\nsteps:\n  - settle: {}\n").unwrap_err();
        assert!(e.starts_with("2:1: controller: ") && e.contains("enable_backend_security_group"), "{e}");
    }

    #[test]
    fn steps_parse() {
        let s = parse(
            "name: x\nsteps:\n  - apply: {manifest: 'kind: Service', repeat: 3}\n  - settle: {}\n  - settle: {timeout: 30s, allow_pending: true}\n  - fault: {inject: {kind: throttle, service: elbv2, first: 3}}\n  - fault: {clear: all}\n  - expect:\n      - events: {name: a, reason: SuccessfullyReconciled}\n      - rules: {group: {role: node}, count: 1}\n  - repeat: {times: 2, steps: [{advance: 1s}]}\n",
        )
        .unwrap();
        assert_eq!(s.steps.len(), 7);
        assert_eq!(s.steps[6].kind(), "repeat");
    }
}
