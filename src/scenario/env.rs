//! The world a scenario runs in: lbsim in process on a virtual clock (or another endpoint, in
//! differential mode), the cluster fixture loaded into it, the controller emulation, the runner's
//! own SDK clients for checks (so the controller's call log holds only the controller's calls),
//! and the template variables the fixture defines.

use std::collections::BTreeMap;

use super::format::{ControllerSpec, Scenario};
use crate::client::http::Http;
use crate::client::{AwsClients, Call};
use crate::clock::Clock;
use crate::config::Config;
use crate::reconciler::{ControllerConfig, Ctx};
use crate::world::{DEFAULT_MAX_RETRIES, Fixture, Sim, World};

pub struct Env {
    /// The cluster and its controller, in lbsim in process or against `endpoint`.
    pub sim: Sim,
    pub endpoint: Option<String>,
    pub fixture: Fixture,
    /// The scenario's controller settings (a `controller` step merges over them).
    pub spec: ControllerSpec,
    /// The runner's clients: fixture changes and checks.
    pub inspect: AwsClients,
    /// Calls of controllers a `controller` step replaced (their logs went with them).
    pub past_calls: Vec<Call>,
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

impl Env {
    /// Starts lbsim (or aims at `endpoint`), loads the fixture and builds the controller.
    /// Returns notes on what differential mode left out.
    pub async fn start(s: &Scenario, fixture: Fixture, endpoint: Option<&str>) -> Result<(Env, Vec<String>), String> {
        let mut notes = Vec::new();
        let world = match endpoint {
            None => {
                let mut config = Config { seed: Some(s.seed), ..Config::default() };
                config.quotas.extend(s.quotas.clone());
                if let Some(rs) = &s.region_settings {
                    let settings = serde_yaml_ng::from_value(rs.clone()).map_err(|e| format!("region_settings: {e}"))?;
                    config.regions.insert(fixture.region.clone(), settings);
                }
                World::simulated(config)?
            }
            Some(url) => {
                // A clean slate, as a fresh lbsim would be (moto's reset; lbsim serves it too).
                let reset = format!("{}/moto-api/reset", url.trim_end_matches('/'));
                match Http::new().request("POST", &reset, None, &[]).await {
                    Ok(r) if r.status == 200 => {}
                    Ok(r) => notes.push(format!("POST /moto-api/reset answered HTTP {}: the endpoint keeps earlier state", r.status)),
                    Err(e) => notes.push(format!("could not reset the endpoint ({e}): it keeps earlier state")),
                }
                if !s.quotas.is_empty() {
                    notes.push("quota overrides skipped: lbsim only".to_string());
                }
                if s.region_settings.is_some() {
                    notes.push("region_settings skipped: lbsim only".to_string());
                }
                // The controller's clock is virtual in both modes: against another endpoint only
                // the controller's own waits and back-offs are virtual.
                World::remote(url, Clock::virtual_at_epoch().0)
            }
        };
        let inspect = AwsClients::new(&world.target, &fixture.account, &fixture.region).await;
        let spec = s.controller.clone();
        let retries = spec.aws_max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        let sim = world.cluster(&fixture, controller_config(&spec)?, retries).await?;
        Ok((Env { sim, endpoint: endpoint.map(String::from), fixture, spec, inspect, past_calls: Vec::new() }, notes))
    }

    pub fn ctx(&self) -> &Ctx {
        self.sim.ctx()
    }

    /// A fresh controller with `over` merged into the settings (a restart or an upgrade: its
    /// in-memory state is lost, and every Service and binding is queued anew).
    pub async fn restart(&mut self, over: &ControllerSpec) -> Result<(), String> {
        self.spec = merge_spec(&self.spec, over);
        let cfg = controller_config(&self.spec)?;
        self.sim.max_retries = self.spec.aws_max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        let old = self.sim.restart(cfg).await?;
        self.past_calls.extend(old.ctx.aws.log.calls());
        Ok(())
    }

    /// Every AWS call the scenario's controllers made, in order, across restarts.
    pub fn controller_calls(&self) -> Vec<Call> {
        let mut all = self.past_calls.clone();
        all.extend(self.sim.controller.ctx.aws.log.calls());
        all
    }

    /// Template variables the fixture defines.
    pub fn vars(&self) -> BTreeMap<String, String> {
        let l = &self.sim.loaded;
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
