//! The world a scenario runs in: lbsim in process on a virtual clock (or another endpoint, in
//! differential mode), the cluster fixture loaded into it, the controller emulation, the runner's
//! own SDK clients for checks (so the controller's call log holds only the controller's calls),
//! and the template variables the fixture defines.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use parking_lot::Mutex;

use super::format::{ControllerSpec, Scenario};
use crate::cluster::ClusterStore;
use crate::cluster::fixture::{self, Fixture, Loaded};
use crate::config::Config;
use crate::reconciler::{Controller, ControllerConfig, Ctx, VClock};
use crate::sdk::{AwsClients, Target};
use crate::server::App;
use crate::state::ManualClock;

/// The controller's `--aws-max-retries` default (lbc-reconciler.md §7.2).
pub const DEFAULT_MAX_RETRIES: u32 = 10;

pub struct Env {
    /// lbsim in process; `None` against another endpoint.
    pub app: Option<Arc<App>>,
    pub endpoint: Option<String>,
    pub clock: Arc<ManualClock>,
    pub cluster: Arc<Mutex<ClusterStore>>,
    pub fixture: Fixture,
    pub loaded: Loaded,
    pub controller: Controller,
    /// The scenario's controller settings (a `controller` step merges over them).
    pub spec: ControllerSpec,
    /// The runner's clients: fixture changes and checks.
    pub inspect: AwsClients,
    /// Calls of controllers a `controller` step replaced (their logs went with them).
    pub past_calls: Vec<crate::sdk::Call>,
}

/// Merges `over` onto `base`: the profile and retries replace, flags and gates merge by key.
pub fn merge_spec(base: &ControllerSpec, over: &ControllerSpec) -> ControllerSpec {
    let mut out = base.clone();
    if over.profile.is_some() {
        out.profile = over.profile.clone();
    }
    if over.aws_max_retries.is_some() {
        out.aws_max_retries = over.aws_max_retries;
    }
    out.flags.extend(over.flags.clone());
    out.feature_gates.extend(over.feature_gates.clone());
    out
}

/// The `ControllerConfig` a spec stands for (unknown flags and gates are errors).
pub fn controller_config(spec: &ControllerSpec) -> Result<ControllerConfig, String> {
    let mut m = serde_yaml_ng::Mapping::new();
    for (k, v) in &spec.flags {
        if k == "profile" || k == "feature_gates" {
            return Err(format!("controller flag '{k}': set it as controller.{k}"));
        }
        m.insert(k.clone().into(), v.clone());
    }
    if let Some(p) = &spec.profile {
        m.insert("profile".into(), p.clone().into());
    }
    if !spec.feature_gates.is_empty() {
        let g: serde_yaml_ng::Mapping = spec.feature_gates.iter().map(|(k, v)| (k.clone().into(), (*v).into())).collect();
        m.insert("feature_gates".into(), g.into());
    }
    serde_yaml_ng::from_value(serde_yaml_ng::Value::Mapping(m)).map_err(|e| format!("controller settings: {e}"))
}

/// SDK clients for the controller: like `AwsClients::new`, but with the controller's SDK
/// retries (a standard retryer with millisecond back-offs, so retried throttling costs no real
/// time). Every attempt goes through the connector, so each one is in the call log.
pub async fn controller_clients(target: &Target, account: &str, region: &str, max_retries: u32) -> AwsClients {
    let retry = if max_retries == 0 {
        RetryConfig::disabled()
    } else {
        RetryConfig::standard()
            .with_max_attempts(max_retries + 1)
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(4))
    };
    // Real AWS keeps the controller's own retry policy: millisecond back-offs are for lbsim.
    match target {
        Target::RealAws => AwsClients::new(target, account, region).await,
        _ => AwsClients::with_retry(target, account, region, Some(retry)).await,
    }
}

impl Env {
    /// Starts lbsim (or aims at `endpoint`), loads the fixture and builds the controller.
    /// Returns notes on what differential mode left out.
    pub async fn start(s: &Scenario, fixture: Fixture, endpoint: Option<&str>) -> Result<(Env, Vec<String>), String> {
        let mut notes = Vec::new();
        let clock = Arc::new(ManualClock::new(crate::sim::epoch()));
        let (app, target) = match endpoint {
            None => {
                let mut config = Config { seed: Some(s.seed), ..Config::default() };
                config.quotas.extend(s.quotas.clone());
                if let Some(rs) = &s.region_settings {
                    let settings = serde_yaml_ng::from_value(rs.clone()).map_err(|e| format!("region_settings: {e}"))?;
                    config.regions.insert(fixture.region.clone(), settings);
                }
                let app = App::with_clock(config, clock.clone())?;
                (Some(app.clone()), Target::InProcess(app))
            }
            Some(url) => {
                // A clean slate, as a fresh lbsim would be (moto's reset; lbsim serves it too).
                match crate::live::client::request(url, "POST", "/moto-api/reset", None, None).await {
                    Ok((200, _)) => {}
                    Ok((status, _)) => notes.push(format!("POST /moto-api/reset answered HTTP {status}: the endpoint keeps earlier state")),
                    Err(e) => notes.push(format!("could not reset the endpoint ({e}): it keeps earlier state")),
                }
                if !s.quotas.is_empty() {
                    notes.push("quota overrides skipped: lbsim only".to_string());
                }
                if s.region_settings.is_some() {
                    notes.push("region_settings skipped: lbsim only".to_string());
                }
                (None, Target::Endpoint(url.to_string()))
            }
        };
        let inspect = AwsClients::new(&target, &fixture.account, &fixture.region).await;
        let mut store = ClusterStore::new(&fixture.name, clock.clone());
        let loaded = fixture::load(&fixture, &inspect, &mut store).await?;
        if let Some(app) = &app {
            app.eks.register(loaded.eks_cluster(crate::sim::epoch()));
        }
        let cluster = Arc::new(Mutex::new(store));
        let spec = s.controller.clone();
        let controller = build_controller(&target, &loaded, &cluster, &clock, &spec).await?;
        Ok((
            Env {
                app,
                endpoint: endpoint.map(String::from),
                clock,
                cluster,
                fixture,
                loaded,
                controller,
                spec,
                inspect,
                past_calls: Vec::new(),
            },
            notes,
        ))
    }

    pub fn target(&self) -> Target {
        match (&self.app, &self.endpoint) {
            (Some(a), _) => Target::InProcess(a.clone()),
            (None, Some(u)) => Target::Endpoint(u.clone()),
            (None, None) => Target::RealAws,
        }
    }

    pub fn ctx(&self) -> &Ctx {
        &self.controller.ctx
    }

    /// A fresh controller with `over` merged into the settings (a restart or an upgrade: its
    /// in-memory state is lost, and every Service and binding is queued anew).
    pub async fn restart(&mut self, over: &ControllerSpec) -> Result<(), String> {
        self.spec = merge_spec(&self.spec, over);
        let c = build_controller(&self.target(), &self.loaded, &self.cluster, &self.clock, &self.spec).await?;
        let now = c.ctx.now();
        let services: Vec<(String, String)> = self.cluster.lock().services.keys().cloned().collect();
        let tgbs: Vec<(String, String)> = self.cluster.lock().tgbs.keys().cloned().collect();
        {
            let mut q = c.ctx.queues.lock();
            for k in services {
                q.add_service(k, now);
            }
            for k in tgbs {
                q.add_tgb(k, now);
            }
        }
        self.past_calls.extend(self.controller.ctx.aws.log.calls());
        self.controller = c;
        Ok(())
    }

    /// Every AWS call the scenario's controllers made, in order, across restarts.
    pub fn controller_calls(&self) -> Vec<crate::sdk::Call> {
        let mut all = self.past_calls.clone();
        all.extend(self.controller.ctx.aws.log.calls());
        all
    }

    /// Template variables the fixture defines.
    pub fn vars(&self) -> BTreeMap<String, String> {
        let l = &self.loaded;
        let mut v = BTreeMap::from([
            ("cluster".to_string(), l.name.clone()),
            ("account".to_string(), l.account.clone()),
            ("region".to_string(), l.region.clone()),
            ("vpc_id".to_string(), l.vpc_id.clone()),
            ("vpc_cidr".to_string(), l.vpc_cidr.clone()),
            ("cluster_sg_id".to_string(), l.cluster_sg_id.clone()),
        ]);
        for (name, id) in &l.subnets {
            v.insert(format!("subnet.{name}"), id.clone());
        }
        for (name, id) in &l.extra_sgs {
            v.insert(format!("sg.{name}"), id.clone());
        }
        v
    }
}

async fn build_controller(
    target: &Target,
    loaded: &Loaded,
    cluster: &Arc<Mutex<ClusterStore>>,
    clock: &Arc<ManualClock>,
    spec: &ControllerSpec,
) -> Result<Controller, String> {
    let mut cfg = controller_config(spec)?;
    if cfg.cluster_name.is_empty() {
        cfg.cluster_name = loaded.name.clone();
    }
    if cfg.vpc_id.is_empty() {
        cfg.vpc_id = loaded.vpc_id.clone();
    }
    let aws = controller_clients(target, &loaded.account, &loaded.region, spec.aws_max_retries.unwrap_or(DEFAULT_MAX_RETRIES)).await;
    // The controller's clock is virtual in both modes: against another endpoint only the
    // controller's own waits and back-offs are virtual (that server keeps its own time).
    Ok(Controller::new(Ctx::new(cfg, aws, cluster.clone(), VClock::Virtual(clock.clone()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_merge_and_convert() {
        let base: ControllerSpec = serde_yaml_ng::from_str(
            "profile: v2.6.0\nfeature_gates: {NLBSecurityGroup: false}\nflags: {disable_restricted_sg_rules: true}\n",
        )
        .unwrap();
        let over: ControllerSpec = serde_yaml_ng::from_str("feature_gates: {NLBSecurityGroup: true}\n").unwrap();
        let cfg = controller_config(&merge_spec(&base, &over)).unwrap();
        assert!(cfg.feature_gates.nlb_security_group && cfg.disable_restricted_sg_rules);
        let bad: ControllerSpec = serde_yaml_ng::from_str("flags: {no_such_flag: 1}\n").unwrap();
        assert!(controller_config(&bad).unwrap_err().contains("no_such_flag"));
        let bad: ControllerSpec = serde_yaml_ng::from_str("feature_gates: {NoSuchGate: true}\n").unwrap();
        assert!(controller_config(&bad).is_err());
    }
}
