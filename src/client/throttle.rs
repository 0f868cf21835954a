//! The AWS Load Balancer Controller's client-side limiter (`--aws-api-throttle`,
//! lbc-since-2.6.md §6.1): token buckets (golang.org/x/time/rate semantics: a burst, a refill
//! rate, reservations that may go into debt and are paid by waiting) matched by SDK service id and
//! operation pattern; a call waits on every bucket that matches, once per operation, before the
//! SDK's retry loop (the controller's middleware sits in front of the retryer in the Finalize
//! step). Waiting is on the world's clock: a virtual clock moves forward at once (there is one
//! clock, so a wait is every worker's, whether the emulation runs one worker or several), the
//! wall clock blocks the controller's thread as the Go limiter blocks its goroutine.
//!
//! Defaults, by release: v2.6.0–v3.1.x `Register/DeregisterTargets` 4/s burst 20 and every ELBv2
//! call 10/s burst 40; v3.2.0+ `Register/DeregisterTargets` 4/20, `Describe*` 50/200, `Modify*`
//! 3/20. WAF limits are left out: lbsim serves no WAF. A flag replaces the defaults of each service
//! it names, as the controller's does. Patterns: the controller's are Go regular expressions;
//! lbsim reads the subset they use — alternatives (`|`), `^`, `$` and `.*` — and refuses others.

use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use wildmatch::WildMatch;

use crate::clock::Clock;

pub const ELBV2: &str = "Elastic Load Balancing v2";

/// One limiter: operations of `service` (the SDK's service id) matching `pattern`.
#[derive(Debug, Clone)]
pub struct Rule {
    pub service: String,
    pub pattern: String,
    globs: Vec<WildMatch>,
    pub rate: f64,
    pub burst: u32,
}

impl Rule {
    pub fn new(service: &str, pattern: &str, rate: f64, burst: u32) -> Result<Rule, String> {
        Ok(Rule { service: service.to_string(), pattern: pattern.to_string(), globs: globs(pattern)?, rate, burst })
    }
    pub fn matches(&self, service: &str, operation: &str) -> bool {
        self.service == service && self.globs.iter().any(|g| g.matches(operation))
    }
}

/// A Go regexp of the controller's kind as globs: `^A|^B` → `A*`, `B*`; unanchored `X` → `*X*`.
fn globs(pattern: &str) -> Result<Vec<WildMatch>, String> {
    pattern
        .split('|')
        .map(|alt| {
            let (start, rest) = alt.strip_prefix('^').map(|r| (true, r)).unwrap_or((false, alt));
            let (end, body) = rest.strip_suffix('$').map(|r| (true, r)).unwrap_or((false, rest));
            let literal = body.replace(".*", "");
            if literal.chars().any(|c| !(c.is_ascii_alphanumeric() || c == '_')) {
                return Err(format!("operation pattern '{pattern}': lbsim's limiter reads alternatives (|), ^, $ and .* only"));
            }
            let glob = body.replace(".*", "*");
            Ok(WildMatch::new(&format!("{}{glob}{}", if start { "" } else { "*" }, if end { "" } else { "*" })))
        })
        .collect()
}

/// The release's defaults (`v3_2`: v3.2.0 or later).
pub fn defaults(v3_2: bool) -> Vec<Rule> {
    let table: &[(&str, f64, u32)] = if v3_2 {
        &[("^RegisterTargets|^DeregisterTargets", 4.0, 20), ("^Describe.*", 50.0, 200), ("^Modify.*", 3.0, 20)]
    } else {
        &[("^RegisterTargets|^DeregisterTargets", 4.0, 20), (".*", 10.0, 40)]
    };
    table.iter().map(|(p, r, b)| Rule::new(ELBV2, p, *r, *b).expect("static patterns")).collect()
}

/// `serviceID:operationRegex=rate:burst,…` over `base`: each service named replaces its defaults.
pub fn parse_flag(flag: &str, base: Vec<Rule>) -> Result<Vec<Rule>, String> {
    let mut named: Vec<Rule> = Vec::new();
    for pair in flag.split(',') {
        let (key, value) =
            pair.split_once('=').ok_or_else(|| format!("{pair} must be formatted as serviceID:operationRegex=rate:burst"))?;
        let (service, pattern) = key.split_once(':').ok_or_else(|| format!("{key} must be formatted as serviceID:operationRegex"))?;
        let (rate, burst) = value.split_once(':').ok_or_else(|| format!("{value} must be formatted as rate:burst"))?;
        let rate: f64 = rate.parse().map_err(|_| format!("{rate} must be valid float number as rate for operations per second"))?;
        let burst: u32 = burst.parse().map_err(|_| format!("{burst} must be valid integer as burst for operations"))?;
        if rate <= 0.0 || !rate.is_finite() {
            return Err(format!("{pair}: the rate must be a positive number of operations per second"));
        }
        named.push(Rule::new(service, pattern, rate, burst)?);
    }
    let mut out: Vec<Rule> = base.into_iter().filter(|r| !named.iter().any(|n| n.service == r.service)).collect();
    out.extend(named);
    Ok(out)
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Option<DateTime<Utc>>,
}

/// The limiter of one controller's clients, and the time it made them wait.
pub struct Limiter {
    rules: Vec<Rule>,
    buckets: Mutex<Vec<Bucket>>,
    clock: Clock,
    waited: Mutex<Duration>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter").field("rules", &self.rules).field("waited", &self.waited()).finish()
    }
}

impl Limiter {
    pub fn new(rules: Vec<Rule>, clock: Clock) -> Limiter {
        let buckets = rules.iter().map(|r| Bucket { tokens: r.burst as f64, at: None }).collect();
        Limiter { rules, buckets: Mutex::new(buckets), clock, waited: Mutex::new(Duration::ZERO) }
    }

    /// Reserves a token on every matching bucket in turn (each reservation at the time the
    /// previous wait ends, as consecutive `Wait` calls do) and returns the total wait.
    pub fn reserve(&self, service: &str, operation: &str) -> Duration {
        let now = self.clock.now();
        let mut t = now;
        let mut buckets = self.buckets.lock();
        for (rule, b) in self.rules.iter().zip(buckets.iter_mut()) {
            if !rule.matches(service, operation) {
                continue;
            }
            if let Some(last) = b.at {
                let secs = (t - last).num_microseconds().unwrap_or(0).max(0) as f64 / 1e6;
                b.tokens = (b.tokens + secs * rule.rate).min(rule.burst as f64);
            }
            b.at = Some(t);
            b.tokens -= 1.0;
            if b.tokens < 0.0 {
                let wait = -b.tokens / rule.rate;
                t += chrono::Duration::microseconds((wait * 1e6).ceil() as i64);
            }
        }
        (t - now).to_std().unwrap_or_default()
    }

    /// Total time calls waited on this limiter.
    pub fn waited(&self) -> Duration {
        *self.waited.lock()
    }

    fn wait(&self, d: Duration) {
        if d.is_zero() {
            return;
        }
        *self.waited.lock() += d;
        match &self.clock {
            Clock::Virtual(_) => self.clock.advance_to(self.clock.now() + chrono::Duration::from_std(d).unwrap_or_default()),
            Clock::Wall => std::thread::sleep(d),
        }
    }
}

/// The limiter as an SDK interceptor: `read_before_serialization` runs once per operation,
/// before the retry loop. (Not `read_before_execution`: a client interceptor's runs before the
/// operation's configuration is applied, so the operation's `Metadata` is not in the bag yet and
/// the limiter would never match a rule.)
#[derive(Debug, Clone)]
pub struct ThrottleInterceptor(pub std::sync::Arc<Limiter>);

impl Intercept for ThrottleInterceptor {
    fn name(&self) -> &'static str {
        "LbcApiThrottle"
    }
    fn read_before_serialization(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(m) = cfg.load::<Metadata>() {
            let d = self.0.reserve(m.service(), m.name());
            self.0.wait(d);
        }
        Ok(())
    }
}

/// The SDK's sleeps (its retry back-offs) on a virtual clock: the clock moves forward when the
/// sleep is first polled, and the sleep is over — back-offs cost virtual time, no real time.
#[derive(Clone)]
pub struct VirtualSleep(pub Clock);

impl std::fmt::Debug for VirtualSleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VirtualSleep")
    }
}

impl aws_sdk_ec2::config::AsyncSleep for VirtualSleep {
    fn sleep(&self, d: Duration) -> aws_sdk_ec2::config::Sleep {
        let clock = self.0.clone();
        aws_sdk_ec2::config::Sleep::new(async move {
            clock.advance_to(clock.now() + chrono::Duration::from_std(d).unwrap_or_default());
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_defaults_and_flags() {
        let d = defaults(true);
        assert!(d[0].matches(ELBV2, "RegisterTargets") && d[0].matches(ELBV2, "DeregisterTargets"));
        assert!(d[1].matches(ELBV2, "DescribeTags") && !d[1].matches(ELBV2, "CreateListener"));
        assert!(!d[1].matches("EC2", "DescribeVpcs"));
        let old = defaults(false);
        assert!(old[1].matches(ELBV2, "CreateLoadBalancer"));
        let f = parse_flag("Elastic Load Balancing v2:.*=1:5,EC2:^Authorize.*|^Revoke.*=2:4", defaults(true)).unwrap();
        assert_eq!(f.len(), 2, "the ELB defaults are replaced, EC2's added");
        assert!(f[1].matches("EC2", "RevokeSecurityGroupIngress"));
        assert!(parse_flag("EC2:Describe[A-Z]+=1:1", vec![]).unwrap_err().contains("reads alternatives"));
        assert!(parse_flag("EC2=1:1", vec![]).unwrap_err().contains("serviceID:operationRegex"));
        assert!(parse_flag("EC2:X=fast:1", vec![]).unwrap_err().contains("valid float"));
    }

    #[test]
    fn reservations_wait_like_go_rate_limiters() {
        let (clock, _) = Clock::virtual_at_epoch();
        let l = Limiter::new(vec![Rule::new(ELBV2, "^Modify.*", 3.0, 20).unwrap()], clock.clone());
        for _ in 0..20 {
            assert_eq!(l.reserve(ELBV2, "ModifyListener"), Duration::ZERO);
        }
        // The 21st waits a third of a second; the limiter does not touch other operations.
        let d = l.reserve(ELBV2, "ModifyListener");
        assert!((d.as_secs_f64() - 1.0 / 3.0).abs() < 1e-3, "{d:?}");
        assert_eq!(l.reserve(ELBV2, "CreateListener"), Duration::ZERO);
        l.wait(d);
        assert_eq!(l.waited(), d);
        assert!(clock.now() > crate::clock::epoch());
    }
}
