//! AWS's own API rate limits (Region setting `throttling: aws`, off by default): token buckets per
//! (account, Region) and category, with AWS's published capacities and refill rates, on the
//! Store's clock — the virtual one in scenarios, so a throttled run is deterministic and costs no
//! real time. The server consults them once per request, before the action runs; a refused call
//! changes nothing and takes no token from any bucket.
//!
//! Every call takes one token from each bucket its action falls in (ELBv2: the account-level
//! bucket and its category; RunInstances: its request bucket and one resource token per instance).
//! An empty bucket answers with the service's throttling error: EC2 `RequestLimitExceeded`
//! "Request limit exceeded." (503), ELBv2 `Throttling` "Rate exceeded" (400).
//!
//! Sources (lbc-since-2.6.md §7): EC2 "Request throttling for the Amazon EC2 API" (EC2-THR) and
//! ELB "Request throttling for the ELB API" (ELB-THR), as captured there. EC2-THR now says limits
//! are per action, not per category [unverified which]; the ELB Describe bucket is 200/50 after
//! the 2026 increase the controller followed (commit 312f2be) [unverified against the page]; the
//! ENI bucket is [unverified]. Every rate can be overridden per Region (`throttle_rates`).
//!
//! May call: `error`, `clock` (through the Store). Knows nothing of HTTP: the server passes the
//! service's signing name, the action and the parameter names.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

/// Whether AWS's rate limits apply in a Region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Throttling {
    #[default]
    Off,
    Aws,
}

/// One bucket's size: `capacity` tokens, refilled at `refill` tokens per second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub capacity: f64,
    pub refill: f64,
}

/// (category, capacity, refill per second, what falls in it, source).
pub const CATEGORIES: &[(&str, f64, f64, &str, &str)] = &[
    ("ec2-non-mutating", 100.0, 20.0, "EC2 Describe*, Get*, List*, Search*", "EC2-THR"),
    (
        "ec2-unfiltered-non-mutating",
        50.0,
        10.0,
        "DescribeInstances, DescribeNetworkInterfaces, DescribeSecurityGroups without filters, ids or paging",
        "EC2-THR",
    ),
    ("ec2-mutating", 50.0, 5.0, "every other EC2 action", "EC2-THR"),
    (
        "ec2-security-group-rules",
        50.0,
        5.0,
        "Authorize/RevokeSecurityGroupIngress/Egress (resource-intensive, a bucket of their own)",
        "EC2-THR",
    ),
    ("ec2-create-tags", 100.0, 10.0, "CreateTags, DeleteTags (uncategorised, a bucket of their own)", "EC2-THR"),
    (
        "ec2-network-interfaces",
        50.0,
        5.0,
        "Create/Delete/ModifyNetworkInterface(Attribute), Attach/DetachNetworkInterface",
        "EC2-THR [unverified]",
    ),
    ("ec2-run-instances", 1000.0, 2.0, "RunInstances: one resource token per instance (MaxCount)", "EC2-THR resource rate limits"),
    ("elbv2-account", 40.0, 10.0, "every ELBv2 action (account level)", "ELB-THR"),
    ("elbv2-create-load-balancer", 10.0, 0.2, "CreateLoadBalancer, SetSubnets", "ELB-THR"),
    ("elbv2-registration", 20.0, 4.0, "RegisterTargets, DeregisterTargets", "ELB-THR"),
    ("elbv2-describe", 200.0, 50.0, "ELBv2 Describe*", "ELB-THR; LBC 312f2be [unverified]"),
    ("elbv2-mutating", 20.0, 3.0, "every other ELBv2 action", "ELB-THR"),
    ("elbv2-trust-stores", 10.0, 0.2, "Create/Modify/Delete/…TrustStore* actions", "ELB-THR"),
];

pub fn known() -> String {
    CATEGORIES.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
}

/// Checks a Region's overrides: known categories, positive sizes.
pub fn validate(rates: &BTreeMap<String, Rate>) -> Result<(), String> {
    for (name, r) in rates {
        if !CATEGORIES.iter().any(|c| c.0 == name) {
            return Err(format!("unknown throttling category '{name}'; known categories: {}", known()));
        }
        if !(r.capacity >= 1.0 && r.capacity.is_finite() && r.refill > 0.0 && r.refill.is_finite()) {
            return Err(format!(
                "throttling category '{name}': capacity must be at least 1 and refill a positive number of tokens per second (got capacity {}, refill {})",
                r.capacity, r.refill
            ));
        }
    }
    Ok(())
}

/// The buckets (and how many tokens) one call takes. `specific` is false when the call names no
/// filter, id or page (EC2's unfiltered category).
pub fn classify(service: &str, action: &str, specific: bool, instances: f64) -> Vec<(&'static str, f64)> {
    let describe = ["Describe", "Get", "List", "Search"].iter().any(|p| action.starts_with(p));
    match service {
        "ec2" => {
            let one = match action {
                "DescribeInstances" | "DescribeNetworkInterfaces" | "DescribeSecurityGroups" if !specific => "ec2-unfiltered-non-mutating",
                _ if describe => "ec2-non-mutating",
                "AuthorizeSecurityGroupIngress"
                | "AuthorizeSecurityGroupEgress"
                | "RevokeSecurityGroupIngress"
                | "RevokeSecurityGroupEgress" => "ec2-security-group-rules",
                "CreateTags" | "DeleteTags" => "ec2-create-tags",
                "CreateNetworkInterface"
                | "DeleteNetworkInterface"
                | "ModifyNetworkInterfaceAttribute"
                | "AttachNetworkInterface"
                | "DetachNetworkInterface" => "ec2-network-interfaces",
                _ => "ec2-mutating",
            };
            let mut v = vec![(one, 1.0)];
            if action == "RunInstances" {
                v.push(("ec2-run-instances", instances.max(1.0)));
            }
            v
        }
        "elasticloadbalancing" => {
            let one = match action {
                "CreateLoadBalancer" | "SetSubnets" => "elbv2-create-load-balancer",
                "RegisterTargets" | "DeregisterTargets" => "elbv2-registration",
                _ if action.starts_with("Describe") => "elbv2-describe",
                _ if action.contains("TrustStore") => "elbv2-trust-stores",
                _ => "elbv2-mutating",
            };
            vec![("elbv2-account", 1.0), (one, 1.0)]
        }
        _ => Vec::new(),
    }
}

#[derive(Debug, Clone)]
struct Bucket {
    rate: Rate,
    tokens: f64,
    at: DateTime<Utc>,
    calls: u64,
    throttled: u64,
}

impl Bucket {
    fn refill(&mut self, now: DateTime<Utc>) {
        let secs = (now - self.at).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6;
        if secs > 0.0 {
            self.tokens = (self.tokens + secs * self.rate.refill).min(self.rate.capacity);
            self.at = now;
        }
    }
}

/// One (account, Region)'s buckets, made full on first use.
#[derive(Debug, Default)]
pub struct Buckets(BTreeMap<&'static str, Bucket>);

/// A bucket as `/_lbsim/usage` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BucketView {
    pub category: &'static str,
    pub capacity: f64,
    pub refill_per_second: f64,
    pub tokens: f64,
    pub calls: u64,
    pub throttled: u64,
}

impl Buckets {
    fn rate(name: &str, overrides: &BTreeMap<String, Rate>) -> Rate {
        overrides.get(name).copied().unwrap_or_else(|| {
            let c = CATEGORIES.iter().find(|c| c.0 == name).expect("classify names known categories");
            Rate { capacity: c.1, refill: c.2 }
        })
    }

    /// Takes the call's tokens, or refuses it when any of its buckets is short (taking none).
    pub fn take(
        &mut self,
        service: &str,
        wanted: &[(&'static str, f64)],
        overrides: &BTreeMap<String, Rate>,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let mut short = false;
        for (name, cost) in wanted {
            let b = self.0.entry(name).or_insert_with(|| {
                let rate = Self::rate(name, overrides);
                Bucket { rate, tokens: rate.capacity, at: now, calls: 0, throttled: 0 }
            });
            b.refill(now);
            b.calls += 1;
            if b.tokens < *cost {
                b.throttled += 1;
                short = true;
            }
        }
        if short {
            return Err(throttled(service));
        }
        for (name, cost) in wanted {
            if let Some(b) = self.0.get_mut(name) {
                b.tokens -= cost;
            }
        }
        Ok(())
    }

    pub fn view(&mut self, now: DateTime<Utc>) -> Vec<BucketView> {
        self.0
            .iter_mut()
            .map(|(name, b)| {
                b.refill(now);
                BucketView {
                    category: name,
                    capacity: b.rate.capacity,
                    refill_per_second: b.rate.refill,
                    tokens: (b.tokens * 1000.0).floor() / 1000.0,
                    calls: b.calls,
                    throttled: b.throttled,
                }
            })
            .collect()
    }
}

/// Each service's own throttling answer (the texts fault injection also uses).
pub fn throttled(service: &str) -> ApiError {
    if service == "ec2" {
        ApiError::new(ErrorCode::RequestLimitExceeded, "Request limit exceeded.")
    } else {
        ApiError::new(ErrorCode::Throttling, "Rate exceeded")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_empty_refill_on_the_clock_and_take_nothing_when_refusing() {
        let t0 = crate::clock::epoch();
        let none = BTreeMap::new();
        let mut b = Buckets::default();
        let create = classify("elasticloadbalancing", "CreateLoadBalancer", true, 0.0);
        for _ in 0..10 {
            b.take("elasticloadbalancing", &create, &none, t0).unwrap();
        }
        let e = b.take("elasticloadbalancing", &create, &none, t0).unwrap_err();
        assert_eq!((e.code_str(), e.message.as_ref(), e.http_status()), ("Throttling", "Rate exceeded", 400));
        // The refused call took no account-level token: 40 − 10 left.
        let v = b.view(t0);
        assert_eq!(v.iter().find(|x| x.category == "elbv2-account").map(|x| x.tokens), Some(30.0));
        // 0.2 tokens per second: one more CreateLoadBalancer after 5 s.
        b.take("elasticloadbalancing", &create, &none, t0 + chrono::Duration::seconds(5)).unwrap();
        let ec2 = b.take("ec2", &[("ec2-mutating", 51.0)], &none, t0).unwrap_err();
        assert_eq!((ec2.code_str(), ec2.http_status()), ("RequestLimitExceeded", 503));
    }

    #[test]
    fn categories_follow_the_published_rules() {
        assert_eq!(classify("ec2", "DescribeSecurityGroups", false, 0.0), vec![("ec2-unfiltered-non-mutating", 1.0)]);
        assert_eq!(classify("ec2", "DescribeSecurityGroups", true, 0.0), vec![("ec2-non-mutating", 1.0)]);
        assert_eq!(classify("ec2", "RevokeSecurityGroupIngress", true, 0.0), vec![("ec2-security-group-rules", 1.0)]);
        assert_eq!(classify("ec2", "RunInstances", true, 3.0), vec![("ec2-mutating", 1.0), ("ec2-run-instances", 3.0)]);
        assert_eq!(classify("elasticloadbalancing", "AddTags", true, 0.0), vec![("elbv2-account", 1.0), ("elbv2-mutating", 1.0)]);
        assert!(classify("sts", "GetCallerIdentity", false, 0.0).is_empty());
        let bad = BTreeMap::from([("ec2-everything".to_string(), Rate { capacity: 1.0, refill: 1.0 })]);
        assert!(validate(&bad).unwrap_err().contains("known categories: ec2-non-mutating"));
        let zero = BTreeMap::from([("ec2-mutating".to_string(), Rate { capacity: 10.0, refill: 0.0 })]);
        assert!(validate(&zero).is_err());
    }
}
