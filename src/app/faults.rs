//! Fault injection (`/_lbsim/faults`): rules that make matching AWS calls fail, slow down, or not
//! yet see resources they just created.
//!
//! A fault matches a service, an action glob and optionally an account and a Region. Kinds:
//! - `error`: any code (from the error table, or any other spelling), message and HTTP status;
//! - `throttle`: what each service sends when it throttles (EC2 `RequestLimitExceeded` "Request
//!   limit exceeded." 503; ELBv2 and STS `Throttling` "Rate exceeded" 400), which SDKs retry;
//! - `internal-error`: `InternalError` 500;
//! - `latency`: an async sleep before the call is handled (the server sleeps, never a lock holder);
//! - `eventual-consistency`: ids returned by a create call are NotFound to calls that name them
//!   (by default `Describe*`) for a time or for a number of calls.
//!
//! When the first three act is chosen per fault: always, the first N matching calls (`first`),
//! every Nth (`every`), or with a probability drawn from a ChaCha stream seeded per fault
//! (`probability` + `seed`), so a seed gives the same pass/fail sequence every run. Each fault
//! counts every call it matches, even when an earlier fault already answered it.
//!
//! Eventual consistency is built around the actions, not inside them: after a successful call,
//! the ids the action reports as created (`api::Render::created`: VPCs, subnets, groups, rules,
//! instances, interfaces, prefix lists, load balancers, target groups, listeners; an idempotent
//! repeat of a create reports nothing) are hidden, and a later call is refused when one of its
//! parameters (outside `Filter.N`) equals a hidden id, with the NotFound answer of the id's kind.
//! Limits: ids named inside filters are not hidden (AWS would return an empty list there; lbsim
//! returns the resource); list calls without ids (`DescribeVpcs` with no `VpcId`) still show the
//! resource; and the NotFound answer is the single-id form of the message.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use wildmatch::WildMatch;

use crate::error::ApiError;
use crate::wire::{self, Service, valid_account};

/// Most faults kept at once, and most ids hidden at once (bounds memory against runaway scripts).
const MAX_FAULTS: usize = 1000;
const MAX_HIDDEN: usize = 100_000;

/// What a hidden id names, from its shape (EC2 id prefix, ELBv2 ARN resource type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Made {
    Vpc,
    Subnet,
    Group,
    Rule,
    Instance,
    Interface,
    PrefixList,
    LoadBalancer,
    TargetGroup,
    Listener,
}

impl Made {
    fn of(id: &str) -> Option<Made> {
        const EC2: [(&str, Made); 7] = [
            ("vpc", Made::Vpc),
            ("subnet", Made::Subnet),
            ("sg", Made::Group),
            ("sgr", Made::Rule),
            ("i", Made::Instance),
            ("eni", Made::Interface),
            ("pl", Made::PrefixList),
        ];
        const ELB: [(&str, Made); 3] =
            [("loadbalancer/", Made::LoadBalancer), ("targetgroup/", Made::TargetGroup), ("listener/", Made::Listener)];
        EC2.iter()
            .find(|(p, _)| crate::state::ids::well_formed(id, p))
            .or_else(|| ELB.iter().find(|(p, _)| crate::api::elbv2::common::arn_is(id, p)))
            .map(|(_, k)| *k)
    }

    /// The NotFound answer for a hidden id of this kind.
    fn not_found(self, id: &str) -> ApiError {
        match self {
            Made::Vpc => ApiError::vpc_not_found(id),
            Made::Subnet => ApiError::subnet_not_found(id),
            Made::Group => ApiError::sg_not_found(id),
            Made::Rule => ApiError::rule_id_not_found(id),
            Made::Instance => ApiError::instance_not_found(id),
            Made::Interface => ApiError::eni_not_found(id),
            Made::PrefixList => ApiError::prefix_list_not_found(id),
            // ELBv2 texts by ARN (aws-api.md §2.5).
            Made::LoadBalancer => ApiError::lb_not_found(),
            Made::TargetGroup => ApiError::tg_not_found(),
            Made::Listener => ApiError::listener_not_found(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Error,
    Throttle,
    InternalError,
    Latency,
    EventualConsistency,
}

/// A fault as the API takes and shows it (JSON).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub kind: Kind,
    /// `ec2`, `elbv2` (or `elasticloadbalancing`), `sts`; absent or `*` for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Glob over the action name; `*` by default, `Describe*` for eventual consistency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `error` only: the AWS error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Act on the first N matching calls only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<u64>,
    /// Act on every Nth matching call (the Nth, 2Nth, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<u64>,
    /// Act with this probability, drawn from a stream seeded with `seed` (0 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// `latency` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// `eventual-consistency` only: hide new ids for this long …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// … or from this many calls that name them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls: Option<u32>,
}

#[derive(Debug, Clone)]
enum Trigger {
    Always,
    First(u64),
    Every(u64),
    Probability(f64),
}

#[derive(Debug, Clone)]
enum Effect {
    /// An error of this kind: `error` uses the spec's code, the others their own.
    Error(Kind),
    Latency(Duration),
    Consistency {
        duration: Option<chrono::Duration>,
        calls: Option<u32>,
    },
}

struct Fault {
    id: String,
    spec: FaultSpec,
    service: Option<Service>,
    action: WildMatch,
    effect: Effect,
    trigger: Trigger,
    rng: ChaCha8Rng,
    matched: u64,
    fired: u64,
}

/// The call a fault is matched against.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub service: Service,
    pub action: &'a str,
    pub account: &'a str,
    pub region: &'a str,
}

/// What the faults decided for one call, before it is handled.
#[derive(Debug, Default)]
pub struct Plan {
    pub delay: Duration,
    pub error: Option<ApiError>,
    /// The fault that answered (or else delayed) the call.
    pub fault: Option<String>,
}

struct Hidden {
    fault: String,
    kind: Made,
    until: Option<DateTime<Utc>>,
    calls_left: Option<u32>,
}

#[derive(Default)]
struct Inner {
    faults: Vec<Fault>,
    next_id: u64,
    /// (account, region, id) → why and how long it is hidden.
    hidden: HashMap<(String, String, String), Hidden>,
}

#[derive(Default)]
pub struct Faults {
    /// Number of faults, read without the lock so calls pay nothing when there are none.
    count: AtomicUsize,
    inner: Mutex<Inner>,
}

fn valid_code(c: &str) -> bool {
    !c.is_empty() && c.len() <= 128 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

impl FaultSpec {
    /// Checks the spec and resolves it into matcher, effect and trigger.
    fn compile(&self) -> Result<(Option<Service>, WildMatch, Effect, Trigger), String> {
        let service = match self.service.as_deref() {
            None | Some("*") => None,
            Some(s) => Some(Service::from_label(s).ok_or_else(|| format!("unknown service '{s}'; use ec2, elbv2 or sts (or * for all)"))?),
        };
        let default_action = if self.kind == Kind::EventualConsistency { "Describe*" } else { "*" };
        let action = self.action.as_deref().unwrap_or(default_action);
        if action.is_empty() || action.len() > 256 {
            return Err("action must be a glob of 1 to 256 characters".into());
        }
        if let Some(a) = &self.account
            && !valid_account(a)
        {
            return Err(format!("account '{a}' is not a 12-digit account id"));
        }
        if let Some(r) = &self.region
            && !wire::valid_region(r)
        {
            return Err(format!("region '{r}' is not a valid Region name"));
        }
        let is_error = matches!(self.kind, Kind::Error | Kind::Throttle | Kind::InternalError);
        let only = |present: bool, field: &str, kinds: &str| -> Result<(), String> {
            if present { Err(format!("'{field}' applies to {kinds} faults only")) } else { Ok(()) }
        };
        only(self.code.is_some() && self.kind != Kind::Error, "code", "error")?;
        only((self.message.is_some() || self.status.is_some()) && !is_error, "message/status", "error, throttle and internal-error")?;
        only(self.latency_ms.is_some() && self.kind != Kind::Latency, "latency_ms", "latency")?;
        only(
            (self.duration_ms.is_some() || self.calls.is_some()) && self.kind != Kind::EventualConsistency,
            "duration_ms/calls",
            "eventual-consistency",
        )?;
        if self.message.as_ref().is_some_and(|m| m.chars().count() > 1024) {
            return Err("message may be at most 1024 characters".into());
        }
        if let Some(s) = self.status
            && !(400..=599).contains(&s)
        {
            return Err(format!("status {s} is not an error status (400-599)"));
        }
        let triggers = [self.first.is_some(), self.every.is_some(), self.probability.is_some()].iter().filter(|x| **x).count();
        if triggers > 1 {
            return Err("give at most one of 'first', 'every' and 'probability'".into());
        }
        if self.seed.is_some() && self.probability.is_none() {
            return Err("'seed' goes with 'probability'".into());
        }
        let trigger = match (self.first, self.every, self.probability) {
            (Some(0), _, _) | (_, Some(0), _) => return Err("'first' and 'every' must be at least 1".into()),
            (Some(n), _, _) => Trigger::First(n),
            (_, Some(n), _) => Trigger::Every(n),
            (_, _, Some(p)) if !(0.0..=1.0).contains(&p) => return Err(format!("probability {p} is not between 0 and 1")),
            (_, _, Some(p)) => Trigger::Probability(p),
            _ => Trigger::Always,
        };
        let effect = match self.kind {
            Kind::Error => {
                let code = self.code.as_deref().ok_or("an error fault needs 'code'")?;
                if !valid_code(code) {
                    return Err(format!("code '{code}' must be 1 to 128 letters, digits, '.', '_' or '-'"));
                }
                Effect::Error(Kind::Error)
            }
            Kind::Throttle | Kind::InternalError => Effect::Error(self.kind),
            Kind::Latency => match self.latency_ms {
                Some(ms @ 1..=60_000) => Effect::Latency(Duration::from_millis(ms)),
                _ => return Err("a latency fault needs 'latency_ms' between 1 and 60000".into()),
            },
            Kind::EventualConsistency => {
                if triggers > 0 {
                    return Err("eventual-consistency faults take 'duration_ms' or 'calls', not 'first'/'every'/'probability'".into());
                }
                match (self.duration_ms, self.calls) {
                    (Some(ms @ 1..), None) => {
                        Effect::Consistency { duration: Some(chrono::Duration::milliseconds(ms as i64)), calls: None }
                    }
                    (None, Some(n @ 1..)) => Effect::Consistency { duration: None, calls: Some(n) },
                    _ => return Err("an eventual-consistency fault needs exactly one of 'duration_ms' or 'calls' (at least 1)".into()),
                }
            }
        };
        if let Some(ms) = self.duration_ms
            && ms > 24 * 3600 * 1000
        {
            return Err("duration_ms may be at most one day".into());
        }
        Ok((service, WildMatch::new(action), effect, trigger))
    }
}

impl Fault {
    fn matches(&self, c: &Call) -> bool {
        self.service.is_none_or(|s| s == c.service)
            && self.action.matches(c.action)
            && self.spec.account.as_deref().is_none_or(|a| a == c.account)
            && self.spec.region.as_deref().is_none_or(|r| r == c.region)
    }

    /// Counts a matching call and says whether the fault acts on it.
    fn fires(&mut self) -> bool {
        self.matched += 1;
        match self.trigger {
            Trigger::Always => true,
            Trigger::First(n) => self.matched <= n,
            Trigger::Every(n) => self.matched.is_multiple_of(n),
            // 53 random bits as a float in [0, 1): p = 1 always acts, p = 0 never does.
            Trigger::Probability(p) => ((self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p,
        }
    }

    fn error_for(&self, kind: Kind, service: Service) -> ApiError {
        let (code, text) = match kind {
            Kind::Throttle => match service {
                Service::Ec2 => ("RequestLimitExceeded", "Request limit exceeded."),
                // [unverified] status 400 (aws-api.md §1.5: conventional for Query throttling);
                // SDKs retry by the code, so the status does not change client behaviour.
                Service::Elbv2 | Service::Sts => ("Throttling", "Rate exceeded"),
            },
            Kind::InternalError => ("InternalError", "An internal error has occurred"),
            _ => (self.spec.code.as_deref().unwrap_or("InternalError"), "An error injected by lbsim"),
        };
        let message = self.spec.message.clone().unwrap_or_else(|| text.to_string());
        ApiError::injected(code, message, self.spec.status)
    }

    fn json(&self, hidden: usize) -> serde_json::Value {
        let mut v = serde_json::to_value(&self.spec).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("id".into(), self.id.clone().into());
            o.insert("matched".into(), self.matched.into());
            o.insert("fired".into(), self.fired.into());
            if matches!(self.effect, Effect::Consistency { .. }) {
                o.insert("hidden".into(), hidden.into());
            }
        }
        v
    }
}

/// A fault as a snapshot keeps it: its spec, counters and the position of its random stream.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedFault {
    id: String,
    spec: FaultSpec,
    matched: u64,
    fired: u64,
    rng_word_pos: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedFaults {
    next_id: u64,
    faults: Vec<SavedFault>,
}

impl Faults {
    /// Every fault with its counters and random-stream position, for snapshots. Ids hidden by
    /// eventual-consistency faults are transient and not kept.
    pub fn export(&self) -> serde_json::Value {
        let g = self.inner.lock();
        let saved = SavedFaults {
            next_id: g.next_id,
            faults: g
                .faults
                .iter()
                .map(|f| SavedFault {
                    id: f.id.clone(),
                    spec: f.spec.clone(),
                    matched: f.matched,
                    fired: f.fired,
                    rng_word_pos: f.rng.get_word_pos().to_string(),
                })
                .collect(),
        };
        serde_json::to_value(saved).unwrap_or_default()
    }

    /// Replaces every fault with exported ones; a bad export changes nothing.
    pub fn import(&self, v: &serde_json::Value) -> Result<(), String> {
        if v.is_null() {
            self.clear(None);
            return Ok(());
        }
        let saved: SavedFaults = serde_json::from_value(v.clone()).map_err(|e| format!("faults: {e}"))?;
        let mut faults = Vec::new();
        for sf in saved.faults {
            let (service, action, effect, trigger) = sf.spec.compile()?;
            let mut rng = ChaCha8Rng::seed_from_u64(sf.spec.seed.unwrap_or(0));
            rng.set_word_pos(sf.rng_word_pos.parse::<u128>().map_err(|_| format!("fault {}: bad random position", sf.id))?);
            faults.push(Fault { id: sf.id, spec: sf.spec, service, action, effect, trigger, rng, matched: sf.matched, fired: sf.fired });
        }
        let mut g = self.inner.lock();
        g.next_id = saved.next_id;
        g.faults = faults;
        g.hidden.clear();
        self.count.store(g.faults.len(), Ordering::Release);
        Ok(())
    }

    /// Adds a fault; returns its JSON (with its id) or why the spec is refused.
    pub fn add(&self, spec: FaultSpec) -> Result<serde_json::Value, String> {
        let (service, action, effect, trigger) = spec.compile()?;
        let mut g = self.inner.lock();
        if g.faults.len() >= MAX_FAULTS {
            return Err(format!("at most {MAX_FAULTS} faults at once; delete some first"));
        }
        g.next_id += 1;
        let id = format!("fault-{}", g.next_id);
        let rng = ChaCha8Rng::seed_from_u64(spec.seed.unwrap_or(0));
        let f = Fault { id, spec, service, action, effect, trigger, rng, matched: 0, fired: 0 };
        let json = f.json(0);
        g.faults.push(f);
        self.count.store(g.faults.len(), Ordering::Release);
        Ok(json)
    }

    /// Every fault with its counters, in creation order.
    pub fn list(&self) -> Vec<serde_json::Value> {
        let g = self.inner.lock();
        g.faults.iter().map(|f| f.json(g.hidden.values().filter(|h| h.fault == f.id).count())).collect()
    }

    pub fn get(&self, id: &str) -> Option<serde_json::Value> {
        let g = self.inner.lock();
        g.faults.iter().find(|f| f.id == id).map(|f| f.json(g.hidden.values().filter(|h| h.fault == f.id).count()))
    }

    /// Removes one fault (and what it hides); false when there is no such fault.
    pub fn remove(&self, id: &str) -> bool {
        let mut g = self.inner.lock();
        let before = g.faults.len();
        g.faults.retain(|f| f.id != id);
        g.hidden.retain(|_, h| h.fault != id);
        self.count.store(g.faults.len(), Ordering::Release);
        g.faults.len() != before
    }

    /// Removes every fault (or those scoped to one account, and ids hidden in it); returns how many.
    pub fn clear(&self, account: Option<&str>) -> usize {
        let mut g = self.inner.lock();
        let before = g.faults.len();
        match account {
            None => {
                g.faults.clear();
                g.hidden.clear();
            }
            Some(a) => {
                g.faults.retain(|f| f.spec.account.as_deref() != Some(a));
                let live: Vec<String> = g.faults.iter().map(|f| f.id.clone()).collect();
                g.hidden.retain(|k, h| k.0 != a && live.contains(&h.fault));
            }
        }
        self.count.store(g.faults.len(), Ordering::Release);
        before - g.faults.len()
    }

    /// Decides delay and error for a call before it is handled.
    pub fn plan(&self, c: &Call) -> Plan {
        let mut plan = Plan::default();
        if self.count.load(Ordering::Acquire) == 0 {
            return plan;
        }
        let mut g = self.inner.lock();
        for f in g.faults.iter_mut() {
            if matches!(f.effect, Effect::Consistency { .. }) || !f.matches(c) || !f.fires() {
                continue;
            }
            match f.effect {
                Effect::Latency(d) => {
                    f.fired += 1;
                    plan.delay += d;
                    if plan.fault.is_none() {
                        plan.fault = Some(f.id.clone());
                    }
                }
                Effect::Error(kind) if plan.error.is_none() => {
                    f.fired += 1;
                    plan.error = Some(f.error_for(kind, c.service));
                    plan.fault = Some(f.id.clone());
                }
                _ => {}
            }
        }
        plan
    }

    /// After a successful call: hides the ids the action created, for the first
    /// eventual-consistency fault that covers the call's service, account and Region.
    pub fn record_created(&self, c: &Call, created: &[String], now: DateTime<Utc>) {
        if created.is_empty() || self.count.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut g = self.inner.lock();
        let Inner { faults, hidden, .. } = &mut *g;
        let Some(f) = faults.iter_mut().find(|f| {
            matches!(f.effect, Effect::Consistency { .. })
                && f.service.is_none_or(|s| s == c.service)
                && f.spec.account.as_deref().is_none_or(|a| a == c.account)
                && f.spec.region.as_deref().is_none_or(|r| r == c.region)
        }) else {
            return;
        };
        let Effect::Consistency { duration, calls } = f.effect else { return };
        hidden.retain(|_, h| h.until.is_none_or(|t| t > now));
        for id in created {
            let Some(kind) = Made::of(id) else { continue };
            if hidden.len() >= MAX_HIDDEN {
                return;
            }
            f.matched += 1;
            let h = Hidden { fault: f.id.clone(), kind, until: duration.map(|d| now + d), calls_left: calls };
            hidden.insert((c.account.to_string(), c.region.to_string(), id.clone()), h);
        }
    }

    /// Before a call is handled: the NotFound answer when it names a hidden id.
    pub fn hidden_error<'a>(
        &self,
        c: &Call,
        params: impl Iterator<Item = (&'a str, &'a str)>,
        now: DateTime<Utc>,
    ) -> Option<(ApiError, String)> {
        if self.count.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut g = self.inner.lock();
        if g.hidden.is_empty() {
            return None;
        }
        let Inner { faults, hidden, .. } = &mut *g;
        for (k, v) in params {
            if k.starts_with("Filter.") || k.starts_with("Filters.") {
                continue;
            }
            let key = (c.account.to_string(), c.region.to_string(), v.to_string());
            let Some(h) = hidden.get_mut(&key) else { continue };
            let Some(f) = faults.iter_mut().find(|f| f.id == h.fault) else { continue };
            if !f.matches(c) {
                continue;
            }
            if h.until.is_some_and(|t| t <= now) {
                hidden.remove(&key);
                continue;
            }
            let err = h.kind.not_found(v);
            if let Some(n) = h.calls_left.as_mut() {
                *n -= 1;
                if *n == 0 {
                    hidden.remove(&key);
                }
            }
            f.fired += 1;
            return Some((err, f.id.clone()));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn spec(json: &str) -> FaultSpec {
        serde_json::from_str(json).unwrap()
    }

    const CALL: Call = Call { service: Service::Ec2, action: "DescribeVpcs", account: "000000000000", region: "us-east-1" };

    fn pattern(f: &Faults, n: usize) -> String {
        (0..n).map(|_| if f.plan(&CALL).error.is_some() { 'x' } else { '.' }).collect()
    }

    #[test]
    fn first_every_and_seeded_probability() {
        let f = Faults::default();
        f.add(spec(r#"{"kind":"throttle","first":2}"#)).unwrap();
        assert_eq!(pattern(&f, 4), "xx..");
        f.clear(None);
        f.add(spec(r#"{"kind":"internal-error","every":3}"#)).unwrap();
        assert_eq!(pattern(&f, 7), "..x..x.");
        let seq = |seed: u64| {
            let f = Faults::default();
            f.add(spec(&format!(r#"{{"kind":"throttle","probability":0.5,"seed":{seed}}}"#))).unwrap();
            pattern(&f, 64)
        };
        assert_eq!(seq(7), seq(7));
        assert_ne!(seq(7), seq(8));
        assert!(seq(7).contains('x') && seq(7).contains('.'));
    }

    #[test]
    fn throttling_as_each_service_sends_it() {
        let f = Faults::default();
        f.add(spec(r#"{"kind":"throttle"}"#)).unwrap();
        let e = f.plan(&CALL).error.unwrap();
        assert_eq!((e.code_str(), e.message.as_ref(), e.http_status()), ("RequestLimitExceeded", "Request limit exceeded.", 503));
        let e = f.plan(&Call { service: Service::Elbv2, action: "DescribeLoadBalancers", ..CALL }).error.unwrap();
        assert_eq!((e.code_str(), e.message.as_ref(), e.http_status()), ("Throttling", "Rate exceeded", 400));
    }

    #[test]
    fn matching_by_service_action_account_region() {
        let f = Faults::default();
        f.add(spec(r#"{"kind":"error","code":"Custom.Thing","service":"elbv2","action":"Describe*","region":"eu-west-1"}"#)).unwrap();
        let elb = Call { service: Service::Elbv2, action: "DescribeListeners", account: "000000000000", region: "eu-west-1" };
        assert_eq!(f.plan(&elb).error.unwrap().code_str(), "Custom.Thing");
        assert!(f.plan(&Call { region: "us-east-1", ..elb }).error.is_none());
        assert!(f.plan(&Call { action: "CreateListener", ..elb }).error.is_none());
        assert!(f.plan(&CALL).error.is_none());
    }

    #[test]
    fn bad_specs_are_refused_with_reasons() {
        for (json, needle) in [
            (r#"{"kind":"error"}"#, "needs 'code'"),
            (r#"{"kind":"error","code":"a<b>"}"#, "letters"),
            (r#"{"kind":"throttle","service":"s3"}"#, "unknown service"),
            (r#"{"kind":"throttle","first":1,"every":2}"#, "at most one"),
            (r#"{"kind":"throttle","probability":1.5}"#, "between 0 and 1"),
            (r#"{"kind":"latency"}"#, "latency_ms"),
            (r#"{"kind":"eventual-consistency","duration_ms":5,"calls":1}"#, "exactly one"),
            (r#"{"kind":"throttle","latency_ms":5}"#, "latency faults only"),
            (r#"{"kind":"throttle","status":200}"#, "not an error status"),
            (r#"{"kind":"throttle","account":"abc"}"#, "12-digit"),
        ] {
            let e = Faults::default().add(spec(json)).unwrap_err();
            assert!(e.contains(needle), "{json}: {e}");
        }
    }

    #[test]
    fn eventual_consistency_hides_new_ids_for_a_number_of_calls() {
        let f = Faults::default();
        let now = Utc::now();
        f.add(spec(r#"{"kind":"eventual-consistency","calls":2}"#)).unwrap();
        let create = Call { action: "CreateSubnet", ..CALL };
        // The action reports the subnet it made, not the existing VPC its answer names.
        f.record_created(&create, &["subnet-0123abcd".to_string()], now);
        let describe = Call { action: "DescribeSubnets", ..CALL };
        let ask = |k: &str, v: &str| f.hidden_error(&describe, [(k, v)].into_iter(), now).map(|(e, _)| e.code_str().to_string());
        assert_eq!(ask("VpcId.1", "vpc-0123abcd"), None, "the existing VPC stays visible");
        assert_eq!(ask("Filter.1.Value.1", "subnet-0123abcd"), None);
        assert_eq!(ask("SubnetId.1", "subnet-0123abcd").as_deref(), Some("InvalidSubnetID.NotFound"));
        assert_eq!(ask("SubnetId.1", "subnet-0123abcd").as_deref(), Some("InvalidSubnetID.NotFound"));
        assert_eq!(ask("SubnetId.1", "subnet-0123abcd"), None);
    }

    #[test]
    fn hidden_ids_answer_with_their_kind_and_unknown_shapes_are_not_hidden() {
        let f = Faults::default();
        let now = Utc::now();
        f.add(spec(r#"{"kind":"eventual-consistency","calls":5,"action":"*"}"#)).unwrap();
        let listener = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/net/a/0123456789abcdef/0123456789abcdef";
        let made: Vec<String> =
            ["sgr-0123abcd", "pl-0123abcd", "i-0123abcd", "eni-0123abcd", listener, "not-an-id"].map(String::from).into();
        f.record_created(&Call { action: "RunInstances", ..CALL }, &made, now);
        let ask = |v: &str| f.hidden_error(&CALL, [("Id.1", v)].into_iter(), now).map(|(e, _)| e.code_str().to_string());
        assert_eq!(ask("sgr-0123abcd").as_deref(), Some("InvalidSecurityGroupRuleId.NotFound"));
        assert_eq!(ask("pl-0123abcd").as_deref(), Some("InvalidPrefixListID.NotFound"));
        assert_eq!(ask("i-0123abcd").as_deref(), Some("InvalidInstanceID.NotFound"));
        assert_eq!(ask("eni-0123abcd").as_deref(), Some("InvalidNetworkInterfaceID.NotFound"));
        assert_eq!(ask(listener).as_deref(), Some("ListenerNotFound"));
        assert_eq!(ask("not-an-id"), None);
        assert_eq!(f.list()[0]["hidden"], 5);
    }

    #[test]
    fn eventual_consistency_for_a_time() {
        let f = Faults::default();
        let now = Utc::now();
        f.add(spec(r#"{"kind":"eventual-consistency","duration_ms":1000,"service":"elbv2"}"#)).unwrap();
        let create = Call { service: Service::Elbv2, action: "CreateLoadBalancer", ..CALL };
        let arn = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/a/0123456789abcdef";
        f.record_created(&create, &[arn.to_string()], now);
        let describe = Call { action: "DescribeLoadBalancers", ..create };
        let at = |t| f.hidden_error(&describe, [("LoadBalancerArns.member.1", arn)].into_iter(), t).map(|(e, _)| e);
        assert_eq!(at(now + chrono::Duration::milliseconds(999)).unwrap().code, ErrorCode::LoadBalancerNotFound);
        assert!(at(now + chrono::Duration::milliseconds(1000)).is_none());
    }
}
