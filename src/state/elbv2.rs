//! ELBv2 resources as plain data (aws-api.md §2.5, lbc-ingress.md §8): Network and Application
//! Load Balancers, target groups, listeners (each with its default rule), an ALB listener's
//! rules, registered targets, attributes and tags; indexes by ARN, name and priority; the
//! draining queue; the health and provisioning clocks; the admin dump and quota usage.
//!
//! Invariant: `Elbv2`'s fields are private; only the methods here (and the `Region` methods at the
//! end, which also touch the load balancer's network interfaces: load balancers are added and
//! deleted only there) insert, change or remove ELBv2 resources, so `lb_by_name`, `tg_by_name`,
//! `listeners_by_lb`, `tg_listeners`, `rule_listener`, `rules_by_listener`, `attached_at` and
//! `draining` always agree with the data. Nothing here validates requests: actions do that
//! first, then call these.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Quotas;
use super::ec2::{Eni, InstanceState};
use super::region::Region;

/// Ordered user tags of one ELBv2 resource; a key appears once.
pub type Tags = Vec<(String, String)>;

/// One subnet (one Availability Zone) a load balancer is attached to, with the interface AWS
/// creates there for an NLB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LbSubnet {
    pub subnet_id: String,
    pub az: String,
    pub eni_id: String,
    /// The interface's address; `requested` says whether SubnetMappings chose it.
    pub private_ip: String,
    pub requested_ip: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    /// The 16-hex id in the ARN and DNS name.
    pub id: String,
    pub scheme: String,
    pub vpc_id: String,
    pub ip_address_type: String,
    pub created: DateTime<Utc>,
    pub subnets: Vec<LbSubnet>,
    pub security_groups: Vec<String>,
    /// `on`/`off`; only an NLB created with security groups has it (aws-api.md §1.7.5).
    pub enforce_private_link: Option<String>,
    pub dns_name: String,
    pub hosted_zone: String,
    #[serde(with = "ordered_pairs")]
    pub attributes: IndexMap<String, String>,
    pub tags: Tags,
    /// `network` or `application` (snapshots from before ALBs hold NLBs only).
    #[serde(default = "network")]
    pub kind: String,
}

fn network() -> String {
    "network".into()
}

impl LoadBalancer {
    pub fn is_alb(&self) -> bool {
        self.kind == "application"
    }
    /// The ARN segment of the type: `net` or `app`.
    pub fn arn_kind(&self) -> &'static str {
        if self.is_alb() { "app" } else { "net" }
    }
    pub fn azs(&self) -> impl Iterator<Item = &str> {
        self.subnets.iter().map(|s| s.az.as_str())
    }
    pub fn attr(&self, key: &str) -> &str {
        self.attributes.get(key).map(String::as_str).unwrap_or("")
    }
}

/// Health-check settings of a target group, as effective values (defaults applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub enabled: bool,
    pub protocol: String,
    pub port: String,
    pub path: Option<String>,
    pub interval: i64,
    pub timeout: i64,
    pub healthy: i64,
    pub unhealthy: i64,
    pub matcher_http: Option<String>,
    pub matcher_grpc: Option<String>,
}

/// One registration: a target id on a port (an instance may be registered on several ports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub id: String,
    pub port: u16,
    /// The AvailabilityZone the caller gave (only ip targets may give one).
    pub az: Option<String>,
    /// The zone it counts in: its subnet's zone, or `all` for an address outside the VPC.
    pub zone: String,
    pub registered_at: DateTime<Utc>,
    /// Set while the target drains after DeregisterTargets; it disappears at this time.
    pub drain_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub protocol: String,
    pub port: u16,
    pub vpc_id: String,
    pub target_type: String,
    pub ip_address_type: String,
    /// HTTP1, HTTP2 or GRPC for HTTP/HTTPS groups; None for the others.
    #[serde(default)]
    pub protocol_version: Option<String>,
    pub health: HealthCheck,
    pub created: DateTime<Utc>,
    #[serde(with = "ordered_pairs")]
    pub attributes: IndexMap<String, String>,
    pub tags: Tags,
    #[serde(with = "targets_list")]
    pub targets: IndexMap<(String, u16), Target>,
    /// When a listener of a load balancer first forwarded to it (None while unused).
    pub attached_at: Option<DateTime<Utc>>,
}

impl TargetGroup {
    /// HTTP and HTTPS groups serve Application Load Balancers, the others Network ones.
    pub fn for_alb(&self) -> bool {
        matches!(self.protocol.as_str(), "HTTP" | "HTTPS")
    }
    pub fn attr(&self, key: &str) -> &str {
        self.attributes.get(key).map(String::as_str).unwrap_or("")
    }
}

/// A listener or rule action: `forward` (a plain target group or a ForwardConfig with weighted
/// groups), or on ALBs `redirect` and `fixed-response`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub kind: String,
    pub target_group_arn: Option<String>,
    /// (target group ARN, weight) pairs of a ForwardConfig.
    pub forward: Option<Vec<(String, Option<i64>)>>,
    /// TargetGroupStickinessConfig (enabled, duration seconds).
    pub stickiness: Option<(bool, Option<i64>)>,
    pub order: Option<i64>,
    #[serde(default)]
    pub redirect: Option<Redirect>,
    #[serde(default)]
    pub fixed_response: Option<FixedResponse>,
}

/// A RedirectConfig with AWS's placeholders filled in for the parts not given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    pub protocol: String,
    pub port: String,
    pub host: String,
    pub path: String,
    pub query: String,
    pub status_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedResponse {
    pub status_code: String,
    pub content_type: Option<String>,
    pub message_body: Option<String>,
}

/// One rule condition. `values` holds the values of every field but query-string (whose
/// key/value pairs are in `query`); `regex_values` the RegexValues of host, path and header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub values: Vec<String>,
    pub regex_values: Vec<String>,
    pub header_name: Option<String>,
    pub query: Vec<(Option<String>, String)>,
}

/// A non-default listener rule of an Application Load Balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub arn: String,
    pub listener_arn: String,
    pub priority: u32,
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
    pub tags: Tags,
}

impl Rule {
    pub fn target_groups(&self) -> BTreeSet<&str> {
        self.actions.iter().flat_map(|a| a.target_groups()).collect()
    }
}

impl Action {
    /// Every target group the action sends traffic to.
    pub fn target_groups(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.target_group_arn.iter().map(String::as_str).collect();
        for (tg, _) in self.forward.iter().flatten() {
            if !out.contains(&tg.as_str()) {
                out.push(tg);
            }
        }
        out
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Listener {
    pub arn: String,
    pub lb_arn: String,
    pub port: u16,
    pub protocol: String,
    pub ssl_policy: Option<String>,
    /// The default certificate (TLS listeners have exactly one).
    pub certificate: Option<String>,
    /// Certificates added with AddListenerCertificates, in the order added.
    pub extra_certificates: Vec<String>,
    pub alpn: Vec<String>,
    pub actions: Vec<Action>,
    #[serde(with = "ordered_pairs")]
    pub attributes: IndexMap<String, String>,
    pub tags: Tags,
    /// The ARN of the listener's default rule and that rule's tags.
    pub rule_arn: String,
    pub rule_tags: Tags,
}

impl Listener {
    pub fn target_groups(&self) -> BTreeSet<&str> {
        self.actions.iter().flat_map(|a| a.target_groups()).collect()
    }
}

/// What DescribeTargetHealth reports for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub state: &'static str,
    pub reason: Option<&'static str>,
    pub description: Option<&'static str>,
}

impl Health {
    fn new(state: &'static str, reason: &'static str, description: &'static str) -> Health {
        Health { state, reason: Some(reason), description: Some(description) }
    }
    pub fn not_registered() -> Health {
        Health::new("unused", "Target.NotRegistered", "Target is not registered to the target group")
    }
}

/// serde for IndexMaps as ordered lists (indexmap's serde feature would rebuild the SDK crates).
mod ordered_pairs {
    use indexmap::IndexMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn serialize<S: Serializer>(m: &IndexMap<String, String>, s: S) -> Result<S::Ok, S::Error> {
        m.iter().collect::<Vec<_>>().serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<IndexMap<String, String>, D::Error> {
        Ok(Vec::<(String, String)>::deserialize(d)?.into_iter().collect())
    }
}

/// A target group's targets, keyed by (id, port) as the targets themselves say.
mod targets_list {
    use indexmap::IndexMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Target;
    pub fn serialize<S: Serializer>(m: &IndexMap<(String, u16), Target>, s: S) -> Result<S::Ok, S::Error> {
        m.values().collect::<Vec<_>>().serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<IndexMap<(String, u16), Target>, D::Error> {
        Ok(Vec::<Target>::deserialize(d)?.into_iter().map(|t| ((t.id.clone(), t.port), t)).collect())
    }
}

/// The ELBv2 part of a snapshot: resources only; `Elbv2::from_snapshot` rebuilds the indexes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Elbv2Snapshot {
    pub load_balancers: Vec<LoadBalancer>,
    pub target_groups: Vec<TargetGroup>,
    pub listeners: Vec<Listener>,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

#[derive(Debug, Default, Clone)]
pub struct Elbv2 {
    lbs: IndexMap<String, LoadBalancer>,
    lb_by_name: HashMap<String, String>,
    tgs: IndexMap<String, TargetGroup>,
    tg_by_name: HashMap<String, String>,
    listeners: IndexMap<String, Listener>,
    /// Load balancer → its listeners, in creation order.
    listeners_by_lb: HashMap<String, Vec<String>>,
    /// Target group → listeners whose default actions, and rules whose actions, forward to it.
    tg_listeners: HashMap<String, BTreeSet<String>>,
    /// Default rule ARN → listener ARN.
    rule_listener: HashMap<String, String>,
    /// Non-default rules by ARN.
    rules: IndexMap<String, Rule>,
    /// Listener → its non-default rules by priority.
    rules_by_listener: HashMap<String, BTreeMap<u32, String>>,
    /// (due time, target group, target id, port) of draining targets, soonest first.
    draining: BTreeSet<(DateTime<Utc>, String, String, u16)>,
}

impl Elbv2 {
    pub fn to_snapshot(&self) -> Elbv2Snapshot {
        Elbv2Snapshot {
            load_balancers: self.lbs.values().cloned().collect(),
            target_groups: self.tgs.values().cloned().collect(),
            listeners: self.listeners.values().cloned().collect(),
            rules: self.rules.values().cloned().collect(),
        }
    }

    /// Rebuilds the state and every index (names, listener links, the draining queue).
    pub fn from_snapshot(s: Elbv2Snapshot) -> Elbv2 {
        let mut e = Elbv2::default();
        for lb in s.load_balancers {
            e.insert_lb(lb);
        }
        for tg in s.target_groups {
            for t in tg.targets.values() {
                if let Some(due) = t.drain_until {
                    e.draining.insert((due, tg.arn.clone(), t.id.clone(), t.port));
                }
            }
            e.insert_tg(tg);
        }
        for l in s.listeners {
            // Target groups keep their saved attachment time; `link` only fills a missing one.
            e.insert_listener(l, DateTime::UNIX_EPOCH);
        }
        for rule in s.rules {
            e.insert_rule(rule, DateTime::UNIX_EPOCH);
        }
        e
    }

    // ---- lookups -----------------------------------------------------------------------------

    pub fn lbs(&self) -> &IndexMap<String, LoadBalancer> {
        &self.lbs
    }

    pub fn lb_by_name(&self, name: &str) -> Option<&LoadBalancer> {
        self.lb_by_name.get(name).and_then(|a| self.lbs.get(a))
    }

    pub fn tgs(&self) -> &IndexMap<String, TargetGroup> {
        &self.tgs
    }

    pub fn tg_by_name(&self, name: &str) -> Option<&TargetGroup> {
        self.tg_by_name.get(name).and_then(|a| self.tgs.get(a))
    }

    pub fn listeners(&self) -> &IndexMap<String, Listener> {
        &self.listeners
    }

    /// The listener whose default rule has this ARN.
    pub fn rule_listener(&self, rule_arn: &str) -> Option<&Listener> {
        self.rule_listener.get(rule_arn).and_then(|l| self.listeners.get(l))
    }

    /// Non-default (ALB) rules by ARN, in creation order.
    pub fn rules(&self) -> &IndexMap<String, Rule> {
        &self.rules
    }

    /// The listener's non-default rule at this priority, if any.
    pub fn rule_at(&self, listener: &str, priority: u32) -> Option<&Rule> {
        self.rules_by_listener.get(listener).and_then(|m| m.get(&priority)).and_then(|a| self.rules.get(a))
    }

    /// Whether a listener forwards to the target group (DeleteTargetGroup refuses then).
    pub fn tg_in_use(&self, tg: &str) -> bool {
        self.tg_listeners.get(tg).is_some_and(|l| !l.is_empty())
    }

    /// The tags of a load balancer, target group, listener or listener rule (default or not), by
    /// ARN.
    pub fn tags(&self, arn: &str) -> Option<&Tags> {
        if let Some(x) = self.lbs.get(arn) {
            return Some(&x.tags);
        }
        if let Some(x) = self.tgs.get(arn) {
            return Some(&x.tags);
        }
        if let Some(x) = self.listeners.get(arn) {
            return Some(&x.tags);
        }
        if let Some(x) = self.rules.get(arn) {
            return Some(&x.tags);
        }
        self.rule_listener(arn).map(|l| &l.rule_tags)
    }

    fn tags_mut(&mut self, arn: &str) -> Option<&mut Tags> {
        if self.lbs.contains_key(arn) {
            return self.lbs.get_mut(arn).map(|x| &mut x.tags);
        }
        if self.tgs.contains_key(arn) {
            return self.tgs.get_mut(arn).map(|x| &mut x.tags);
        }
        if self.listeners.contains_key(arn) {
            return self.listeners.get_mut(arn).map(|x| &mut x.tags);
        }
        if self.rules.contains_key(arn) {
            return self.rules.get_mut(arn).map(|x| &mut x.tags);
        }
        let l = self.rule_listener.get(arn)?.clone();
        self.listeners.get_mut(&l).map(|x| &mut x.rule_tags)
    }

    // ---- tags, attributes, settings ------------------------------------------------------------

    /// Adds or overwrites tag keys on a resource (AddTags overwrites existing keys, BC-ELB doc).
    pub fn add_tags(&mut self, arn: &str, new: &Tags) {
        let Some(tags) = self.tags_mut(arn) else { return };
        for (k, v) in new {
            match tags.iter_mut().find(|(e, _)| e == k) {
                Some(slot) => slot.1.clone_from(v),
                None => tags.push((k.clone(), v.clone())),
            }
        }
    }

    pub fn remove_tags(&mut self, arn: &str, keys: &[String]) {
        if let Some(tags) = self.tags_mut(arn) {
            tags.retain(|(k, _)| !keys.contains(k));
        }
    }

    /// The attributes of a load balancer, target group or listener, by ARN.
    pub fn attributes(&self, arn: &str) -> Option<&IndexMap<String, String>> {
        if let Some(x) = self.lbs.get(arn) {
            return Some(&x.attributes);
        }
        if let Some(x) = self.tgs.get(arn) {
            return Some(&x.attributes);
        }
        self.listeners.get(arn).map(|x| &x.attributes)
    }

    /// Sets validated attribute values of a load balancer, target group or listener, by ARN;
    /// keys not given keep their values.
    pub fn set_attributes(&mut self, arn: &str, changes: Vec<(String, String)>) {
        let attrs = if let Some(x) = self.lbs.get_mut(arn) {
            &mut x.attributes
        } else if let Some(x) = self.tgs.get_mut(arn) {
            &mut x.attributes
        } else if let Some(x) = self.listeners.get_mut(arn) {
            &mut x.attributes
        } else {
            return;
        };
        for (k, v) in changes {
            attrs.insert(k, v);
        }
    }

    pub fn set_lb_ip_type(&mut self, arn: &str, ip_type: &str) {
        if let Some(lb) = self.lbs.get_mut(arn) {
            lb.ip_address_type = ip_type.to_string();
        }
    }

    pub fn set_tg_health(&mut self, arn: &str, health: HealthCheck) {
        if let Some(tg) = self.tgs.get_mut(arn) {
            tg.health = health;
        }
    }

    /// Appends certificates to a listener's certificate list (the caller drops repeats).
    pub fn add_certificates(&mut self, listener: &str, certs: Vec<String>) {
        if let Some(l) = self.listeners.get_mut(listener) {
            l.extra_certificates.extend(certs);
        }
    }

    pub fn remove_certificates(&mut self, listener: &str, certs: &[String]) {
        if let Some(l) = self.listeners.get_mut(listener) {
            l.extra_certificates.retain(|c| !certs.contains(c));
        }
    }

    /// The load balancer a target group is used by (a target group has at most one).
    pub fn tg_lb(&self, tg: &str) -> Option<&str> {
        let user = self.tg_listeners.get(tg)?.iter().next()?;
        let listener = self.rules.get(user).map_or(user.as_str(), |r| r.listener_arn.as_str());
        self.listeners.get(listener).map(|l| l.lb_arn.as_str())
    }

    /// Target groups the load balancer's listeners and rules forward to.
    pub fn lb_tgs(&self, lb: &str) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        for l in self.lb_listeners(lb) {
            out.extend(l.target_groups());
            for r in self.listener_rules(&l.arn) {
                out.extend(r.target_groups());
            }
        }
        out
    }

    /// A listener's non-default rules in priority order.
    pub fn listener_rules(&self, listener: &str) -> impl Iterator<Item = &Rule> {
        self.rules_by_listener.get(listener).into_iter().flat_map(|m| m.values()).filter_map(|a| self.rules.get(a))
    }

    /// Non-default rules over all the load balancer's listeners (the ALB rule quota counts these).
    pub fn lb_rule_count(&self, lb: &str) -> u64 {
        self.listeners_by_lb.get(lb).into_iter().flatten().map(|l| self.rules_by_listener.get(l).map_or(0, BTreeMap::len) as u64).sum()
    }

    pub fn lb_listeners(&self, lb: &str) -> impl Iterator<Item = &Listener> {
        self.listeners_by_lb.get(lb).into_iter().flatten().filter_map(|l| self.listeners.get(l))
    }

    // ---- load balancers ----------------------------------------------------------------------

    /// Load balancers come and go with their interfaces: through `Region::insert_lb` and
    /// `Region::delete_lb`, which call these.
    pub(super) fn insert_lb(&mut self, lb: LoadBalancer) {
        self.lb_by_name.insert(lb.name.clone(), lb.arn.clone());
        self.listeners_by_lb.entry(lb.arn.clone()).or_default();
        self.lbs.insert(lb.arn.clone(), lb);
    }

    /// Removes a load balancer and its listeners; its target groups survive, detached.
    pub(super) fn remove_lb(&mut self, arn: &str) -> Option<LoadBalancer> {
        for l in self.listeners_by_lb.get(arn).cloned().unwrap_or_default() {
            self.remove_listener(&l);
        }
        self.listeners_by_lb.remove(arn);
        let lb = self.lbs.shift_remove(arn)?;
        self.lb_by_name.remove(&lb.name);
        Some(lb)
    }

    // ---- target groups -----------------------------------------------------------------------

    pub fn insert_tg(&mut self, tg: TargetGroup) {
        self.tg_by_name.insert(tg.name.clone(), tg.arn.clone());
        self.tgs.insert(tg.arn.clone(), tg);
    }

    /// Removes a target group that no listener uses (callers check), with its draining entries.
    pub fn remove_tg(&mut self, arn: &str) -> Option<TargetGroup> {
        let tg = self.tgs.shift_remove(arn)?;
        self.tg_by_name.remove(&tg.name);
        self.tg_listeners.remove(arn);
        for t in tg.targets.values() {
            if let Some(due) = t.drain_until {
                self.draining.remove(&(due, arn.to_string(), t.id.clone(), t.port));
            }
        }
        Some(tg)
    }

    /// Adds validated targets; an active registration is left as it is, a draining one starts
    /// again as a new registration.
    pub fn register(&mut self, tg_arn: &str, targets: Vec<Target>) {
        let Some(tg) = self.tgs.get_mut(tg_arn) else { return };
        for t in targets {
            let key = (t.id.clone(), t.port);
            match tg.targets.get(&key) {
                Some(old) if old.drain_until.is_none() => continue,
                Some(old) => {
                    if let Some(due) = old.drain_until {
                        self.draining.remove(&(due, tg_arn.to_string(), t.id.clone(), t.port));
                    }
                }
                None => {}
            }
            tg.targets.insert(key, t);
        }
    }

    /// Deregisters targets: they drain until `drain_until` when the group is in use and the
    /// delay is positive, else they go at once. Unknown targets are ignored (AWS succeeds).
    pub fn deregister(&mut self, tg_arn: &str, keys: &[(String, u16)], drain_until: Option<DateTime<Utc>>) {
        let Some(tg) = self.tgs.get_mut(tg_arn) else { return };
        for key in keys {
            let Some(t) = tg.targets.get_mut(key) else { continue };
            if t.drain_until.is_some() {
                continue;
            }
            match drain_until {
                Some(due) => {
                    t.drain_until = Some(due);
                    self.draining.insert((due, tg_arn.to_string(), key.0.clone(), key.1));
                }
                None => {
                    tg.targets.shift_remove(key);
                }
            }
        }
    }

    /// Drops targets whose deregistration delay has passed.
    pub fn expire(&mut self, now: DateTime<Utc>) {
        while let Some(first) = self.draining.first() {
            if first.0 > now {
                break;
            }
            let (_, tg, id, port) = self.draining.pop_first().expect("checked non-empty");
            if let Some(g) = self.tgs.get_mut(&tg) {
                g.targets.shift_remove(&(id, port));
            }
        }
    }

    // ---- listeners ---------------------------------------------------------------------------

    pub fn insert_listener(&mut self, l: Listener, now: DateTime<Utc>) {
        self.listeners_by_lb.entry(l.lb_arn.clone()).or_default().push(l.arn.clone());
        self.rule_listener.insert(l.rule_arn.clone(), l.arn.clone());
        let tgs: Vec<String> = l.target_groups().into_iter().map(String::from).collect();
        let arn = l.arn.clone();
        self.listeners.insert(arn.clone(), l);
        for tg in tgs {
            self.link(&tg, &arn, now);
        }
    }

    pub fn remove_listener(&mut self, arn: &str) -> Option<Listener> {
        for rule in self.rules_by_listener.get(arn).map(|m| m.values().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            self.remove_rule(&rule);
        }
        self.rules_by_listener.remove(arn);
        let l = self.listeners.shift_remove(arn)?;
        if let Some(v) = self.listeners_by_lb.get_mut(&l.lb_arn) {
            v.retain(|x| x != arn);
        }
        self.rule_listener.remove(&l.rule_arn);
        for tg in l.target_groups() {
            self.unlink(tg, arn);
        }
        Some(l)
    }

    /// Replaces a listener's settings (ModifyListener), re-linking its target groups.
    pub fn replace_listener(&mut self, l: Listener, now: DateTime<Utc>) {
        let Some(old) = self.listeners.get(&l.arn) else { return };
        let old_tgs: Vec<String> = old.target_groups().into_iter().map(String::from).collect();
        let new_tgs: Vec<String> = l.target_groups().into_iter().map(String::from).collect();
        let arn = l.arn.clone();
        self.listeners.insert(arn.clone(), l);
        for tg in old_tgs.iter().filter(|t| !new_tgs.contains(t)) {
            self.unlink(tg, &arn);
        }
        for tg in new_tgs.iter().filter(|t| !old_tgs.contains(t)) {
            self.link(tg, &arn, now);
        }
    }

    // ---- rules -------------------------------------------------------------------------------

    pub fn insert_rule(&mut self, rule: Rule, now: DateTime<Utc>) {
        self.rules_by_listener.entry(rule.listener_arn.clone()).or_default().insert(rule.priority, rule.arn.clone());
        let tgs: Vec<String> = rule.target_groups().into_iter().map(String::from).collect();
        let arn = rule.arn.clone();
        self.rules.insert(arn.clone(), rule);
        for tg in tgs {
            self.link(&tg, &arn, now);
        }
    }

    pub fn remove_rule(&mut self, arn: &str) -> Option<Rule> {
        let rule = self.rules.shift_remove(arn)?;
        if let Some(m) = self.rules_by_listener.get_mut(&rule.listener_arn) {
            m.remove(&rule.priority);
        }
        for tg in rule.target_groups() {
            self.unlink(tg, arn);
        }
        Some(rule)
    }

    /// Replaces a rule's conditions and actions (ModifyRule), re-linking its target groups.
    pub fn replace_rule(&mut self, rule: Rule, now: DateTime<Utc>) {
        let Some(old) = self.rules.get(&rule.arn) else { return };
        let old_tgs: Vec<String> = old.target_groups().into_iter().map(String::from).collect();
        let new_tgs: Vec<String> = rule.target_groups().into_iter().map(String::from).collect();
        let rule = Rule { priority: old.priority, listener_arn: old.listener_arn.clone(), ..rule };
        let arn = rule.arn.clone();
        self.rules.insert(arn.clone(), rule);
        // Groups the rule keeps stay linked, so their attachment time (and health) carries on.
        for tg in old_tgs.iter().filter(|t| !new_tgs.contains(t)) {
            self.unlink(tg, &arn);
        }
        for tg in new_tgs.iter().filter(|t| !old_tgs.contains(t)) {
            self.link(tg, &arn, now);
        }
    }

    /// Gives rules new priorities at once (SetRulePriorities; the caller checked the result).
    pub fn set_priorities(&mut self, changes: &[(String, u32)]) {
        for (arn, _) in changes {
            if let Some(r) = self.rules.get(arn)
                && let Some(m) = self.rules_by_listener.get_mut(&r.listener_arn)
            {
                m.remove(&r.priority);
            }
        }
        for (arn, p) in changes {
            if let Some(r) = self.rules.get_mut(arn) {
                r.priority = *p;
                self.rules_by_listener.entry(r.listener_arn.clone()).or_default().insert(*p, arn.clone());
            }
        }
    }

    fn link(&mut self, tg: &str, listener: &str, now: DateTime<Utc>) {
        let users = self.tg_listeners.entry(tg.to_string()).or_default();
        users.insert(listener.to_string());
        if let Some(g) = self.tgs.get_mut(tg)
            && g.attached_at.is_none()
        {
            g.attached_at = Some(now);
        }
    }

    fn unlink(&mut self, tg: &str, listener: &str) {
        let empty = match self.tg_listeners.get_mut(tg) {
            Some(users) => {
                users.remove(listener);
                users.is_empty()
            }
            None => true,
        };
        if empty {
            self.tg_listeners.remove(tg);
            if let Some(g) = self.tgs.get_mut(tg) {
                g.attached_at = None;
            }
        }
    }

    // ---- quota arithmetic --------------------------------------------------------------------

    /// Target counts of a load balancer over the given target groups: (total, per zone, per
    /// target id). A target in N of its groups counts N times (aws-api.md §3.2); a target in
    /// zone `all` counts in every zone of the load balancer.
    pub fn lb_target_counts<'a>(
        &'a self,
        lb: &LoadBalancer,
        tgs: impl IntoIterator<Item = &'a str>,
        extra: &'a [Target],
    ) -> (u64, BTreeMap<String, u64>, HashMap<&'a str, u64>) {
        let mut total = 0;
        let mut per_zone: BTreeMap<String, u64> = lb.azs().map(|a| (a.to_string(), 0)).collect();
        let mut per_id: HashMap<&str, u64> = HashMap::new();
        let targets = tgs.into_iter().filter_map(|t| self.tgs.get(t)).flat_map(|g| g.targets.values()).chain(extra.iter());
        for t in targets {
            total += 1;
            *per_id.entry(t.id.as_str()).or_default() += 1;
            if t.zone == "all" {
                per_zone.values_mut().for_each(|v| *v += 1);
            } else {
                *per_zone.entry(t.zone.clone()).or_default() += 1;
            }
        }
        (total, per_zone, per_id)
    }

    /// The per-NLB target limit: with cross-zone load balancing on, the whole NLB gets the
    /// per-zone limit (aws-api.md §3.2). ALBs have one limit (cross-zone is always on there).
    pub fn lb_target_limit(lb: &LoadBalancer, q: &Quotas) -> u64 {
        if lb.is_alb() {
            q.targets_per_application_load_balancer
        } else if lb.attr("load_balancing.cross_zone.enabled") == "true" {
            q.targets_per_network_load_balancer.min(q.targets_per_availability_zone_per_network_load_balancer)
        } else {
            q.targets_per_network_load_balancer
        }
    }

    // ---- admin -------------------------------------------------------------------------------

    /// Every ELBv2 resource as JSON, for the admin API's state dump.
    pub fn dump(&self) -> Value {
        let tags = |t: &Tags| -> Value { t.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>().into() };
        let attrs = |a: &IndexMap<String, String>| -> Value {
            a.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>().into()
        };
        let lbs: Vec<Value> = self
            .lbs
            .values()
            .map(|lb| {
                json!({
                    "arn": lb.arn, "name": lb.name, "type": lb.kind, "scheme": lb.scheme, "vpc_id": lb.vpc_id,
                    "ip_address_type": lb.ip_address_type, "created": lb.created.to_rfc3339(), "dns_name": lb.dns_name,
                    "canonical_hosted_zone_id": lb.hosted_zone,
                    "subnets": lb.subnets.iter().map(|s| json!({"subnet_id": s.subnet_id, "zone": s.az, "eni_id": s.eni_id, "private_ip": s.private_ip})).collect::<Vec<_>>(),
                    "security_groups": lb.security_groups, "enforce_security_group_inbound_rules_on_private_link_traffic": lb.enforce_private_link,
                    "attributes": attrs(&lb.attributes), "tags": tags(&lb.tags),
                    "listeners": self.lb_listeners(&lb.arn).map(|l| l.arn.clone()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let tgs: Vec<Value> = self
            .tgs
            .values()
            .map(|tg| {
                json!({
                    "arn": tg.arn, "name": tg.name, "protocol": tg.protocol, "port": tg.port, "vpc_id": tg.vpc_id,
                    "target_type": tg.target_type, "ip_address_type": tg.ip_address_type, "protocol_version": tg.protocol_version, "created": tg.created.to_rfc3339(),
                    "load_balancer": self.tg_lb(&tg.arn),
                    "health_check": {
                        "enabled": tg.health.enabled, "protocol": tg.health.protocol, "port": tg.health.port, "path": tg.health.path,
                        "interval_seconds": tg.health.interval, "timeout_seconds": tg.health.timeout,
                        "healthy_threshold": tg.health.healthy, "unhealthy_threshold": tg.health.unhealthy,
                        "matcher_http": tg.health.matcher_http, "matcher_grpc": tg.health.matcher_grpc,
                    },
                    "targets": tg.targets.values().map(|t| json!({
                        "id": t.id, "port": t.port, "availability_zone": t.az, "zone": t.zone,
                        "registered_at": t.registered_at.to_rfc3339(), "draining_until": t.drain_until.map(|d| d.to_rfc3339()),
                    })).collect::<Vec<_>>(),
                    "attributes": attrs(&tg.attributes), "tags": tags(&tg.tags),
                })
            })
            .collect();
        let listeners: Vec<Value> = self
            .listeners
            .values()
            .map(|l| {
                json!({
                    "arn": l.arn, "load_balancer": l.lb_arn, "port": l.port, "protocol": l.protocol, "ssl_policy": l.ssl_policy,
                    "certificate": l.certificate, "extra_certificates": l.extra_certificates, "alpn_policy": l.alpn,
                    "default_actions": l.actions.iter().map(action_json).collect::<Vec<_>>(),
                    "default_rule": l.rule_arn, "attributes": attrs(&l.attributes), "tags": tags(&l.tags), "rule_tags": tags(&l.rule_tags),
                    "rules": self.listener_rules(&l.arn).map(|r| r.arn.clone()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let rules: Vec<Value> = self
            .rules
            .values()
            .map(|r| {
                json!({
                    "arn": r.arn, "listener": r.listener_arn, "priority": r.priority,
                    "conditions": r.conditions.iter().map(|c| json!({
                        "field": c.field, "values": c.values, "regex_values": c.regex_values, "http_header_name": c.header_name,
                        "query_string": c.query.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                    "actions": r.actions.iter().map(action_json).collect::<Vec<_>>(),
                    "tags": tags(&r.tags),
                })
            })
            .collect();
        json!({ "load_balancers": lbs, "target_groups": tgs, "listeners": listeners, "rules": rules })
    }

    /// Quota usage as (quota name, scope, used, limit) rows, for the admin API.
    pub fn usage(&self, q: &Quotas) -> Vec<(String, String, u64, u64)> {
        let albs = self.lbs.values().filter(|l| l.is_alb()).count() as u64;
        let mut rows = vec![
            ("network-load-balancers".to_string(), "region".to_string(), self.lbs.len() as u64 - albs, q.network_load_balancers),
            ("application-load-balancers".to_string(), "region".to_string(), albs, q.application_load_balancers),
            ("target-groups".to_string(), "region".to_string(), self.tgs.len() as u64, q.target_groups),
        ];
        for lb in self.lbs.values() {
            let (alb, kind) = (lb.is_alb(), if lb.is_alb() { "application" } else { "network" });
            let arn = || lb.arn.clone();
            let n = self.listeners_by_lb.get(&lb.arn).map_or(0, Vec::len) as u64;
            rows.push((format!("listeners-per-{kind}-load-balancer"), arn(), n, q.listeners_per_lb(alb)));
            let tgs = self.lb_tgs(&lb.arn);
            let unique = tgs.len() as u64;
            let (total, per_zone, per_id) = self.lb_target_counts(lb, tgs, &[]);
            rows.push((format!("targets-per-{kind}-load-balancer"), arn(), total, Self::lb_target_limit(lb, q)));
            if !alb {
                for (zone, n) in per_zone {
                    rows.push((
                        "targets-per-availability-zone-per-network-load-balancer".into(),
                        format!("{}/{zone}", lb.arn),
                        n,
                        q.targets_per_availability_zone_per_network_load_balancer,
                    ));
                }
            }
            let most = per_id.values().copied().max().unwrap_or(0);
            rows.push((format!("target-id-registrations-per-{kind}-load-balancer"), arn(), most, q.target_id_registrations_per_lb(alb)));
            let certs = self.lb_listeners(&lb.arn).map(|l| l.extra_certificates.len() as u64).sum();
            rows.push((format!("certificates-per-{kind}-load-balancer"), arn(), certs, q.certificates_per_lb(alb)));
            rows.push((
                "security-groups-per-load-balancer".into(),
                arn(),
                lb.security_groups.len() as u64,
                q.security_groups_per_load_balancer,
            ));
            if alb {
                rows.push((
                    "rules-per-application-load-balancer".into(),
                    arn(),
                    self.lb_rule_count(&lb.arn),
                    q.rules_per_application_load_balancer,
                ));
                rows.push((
                    "target-groups-per-application-load-balancer".into(),
                    arn(),
                    unique,
                    q.target_groups_per_application_load_balancer,
                ));
            }
        }
        for tg in self.tgs.values() {
            rows.push(("targets-per-target-group".into(), tg.arn.clone(), tg.targets.len() as u64, q.targets_per_target_group));
        }
        rows
    }
}

fn action_json(a: &Action) -> Value {
    json!({
        "type": a.kind, "order": a.order, "target_group_arn": a.target_group_arn,
        "forward": a.forward.as_ref().map(|f| f.iter().map(|(t, w)| json!({"target_group_arn": t, "weight": w})).collect::<Vec<_>>()),
        "stickiness": a.stickiness.map(|(on, d)| json!({"enabled": on, "duration_seconds": d})),
        "redirect": a.redirect.as_ref().map(|r| json!({
            "protocol": r.protocol, "port": r.port, "host": r.host, "path": r.path, "query": r.query, "status_code": r.status_code,
        })),
        "fixed_response": a.fixed_response.as_ref().map(|f| json!({
            "status_code": f.status_code, "content_type": f.content_type, "message_body": f.message_body,
        })),
    })
}

/// `t` plus a configured number of seconds, saturating (a huge setting means "never").
pub fn later(t: DateTime<Utc>, secs: u64) -> DateTime<Utc> {
    const CENTURY: u64 = 100 * 365 * 24 * 3600;
    t.checked_add_signed(Duration::seconds(secs.min(CENTURY) as i64)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Region {
    /// Whether any load balancer or target group lives in the VPC (DeleteVpc refuses then).
    pub fn elb_uses_vpc(&self, vpc: &str) -> bool {
        self.elb.lbs.values().any(|l| l.vpc_id == vpc) || self.elb.tgs.values().any(|t| t.vpc_id == vpc)
    }

    /// `provisioning` until the configured delay has passed since creation, then `active`.
    pub fn lb_state(&self, lb: &LoadBalancer, now: DateTime<Utc>) -> &'static str {
        if now < later(lb.created, self.settings.lb_provisioning_seconds) { "provisioning" } else { "active" }
    }

    /// Commits a validated load balancer with its interfaces (one per subnet, addresses from
    /// `free_ip`).
    pub fn insert_lb(&mut self, lb: LoadBalancer, enis: Vec<Eni>) {
        for e in enis {
            self.insert_eni(e);
        }
        self.elb.insert_lb(lb);
    }

    /// Adds interfaces for new subnets, releases those of removed ones (as DeleteLoadBalancer
    /// does) and records the new subnet list (SetSubnets).
    pub fn set_lb_subnets(&mut self, arn: &str, subnets: Vec<LbSubnet>, new_enis: Vec<Eni>, removed: &[String], now: DateTime<Utc>) {
        for e in new_enis {
            self.insert_eni(e);
        }
        let delay = self.settings.lb_eni_release_seconds;
        for e in removed {
            if delay == 0 {
                self.remove_eni(e);
            } else {
                self.release_eni_at(e, later(now, delay));
            }
        }
        if let Some(lb) = self.elb.lbs.get_mut(arn) {
            lb.subnets = subnets;
        }
    }

    /// Replaces a load balancer's security groups and those of its interfaces.
    pub fn set_lb_groups(&mut self, arn: &str, groups: Vec<String>, enforce: Option<String>) {
        let Some(lb) = self.elb.lbs.get_mut(arn) else { return };
        lb.security_groups = groups.clone();
        if enforce.is_some() {
            lb.enforce_private_link = enforce;
        }
        let enis: Vec<String> = lb.subnets.iter().map(|s| s.eni_id.clone()).collect();
        for e in enis {
            self.set_eni_groups(&e, groups.clone());
        }
    }

    /// Deletes a load balancer and its listeners. Its interfaces linger until
    /// `lb_eni_release_seconds` have passed (then `expire` drops them), as AWS releases them
    /// asynchronously — the reason controllers retry DeleteSecurityGroup.
    pub fn delete_lb(&mut self, arn: &str, now: DateTime<Utc>) {
        let Some(lb) = self.elb.remove_lb(arn) else { return };
        let delay = self.settings.lb_eni_release_seconds;
        for s in &lb.subnets {
            if delay == 0 {
                self.remove_eni(&s.eni_id);
            } else {
                self.release_eni_at(&s.eni_id, later(now, delay));
            }
        }
    }

    /// A target's health on the server clock (aws-api.md §2.5): draining after deregistration;
    /// `unused` while no load balancer uses the group, for stopped or terminated instances and
    /// for zones the load balancer does not serve; `initial` until interval × healthy
    /// threshold (or the Region's `target_healthy_seconds`) after registration or attachment;
    /// then `healthy`.
    pub fn target_health(&self, tg: &TargetGroup, t: &Target, now: DateTime<Utc>) -> Health {
        if t.drain_until.is_some() {
            return Health::new("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress");
        }
        let (Some(attached), Some(lb)) = (tg.attached_at, self.elb.tg_lb(&tg.arn).and_then(|a| self.elb.lbs.get(a))) else {
            return Health::new("unused", "Target.NotInUse", "Given target group is not configured to receive traffic from ELB");
        };
        if tg.target_type == "instance" {
            match self.instances.get(&t.id).map(|i| i.state) {
                Some(InstanceState::Running) | Some(InstanceState::Pending) => {}
                Some(InstanceState::Stopped) | Some(InstanceState::Stopping) => {
                    return Health::new("unused", "Target.InvalidState", "Target is in the stopped state");
                }
                _ => return Health::new("unused", "Target.InvalidState", "Target is in the terminated state"),
            }
        }
        let cross_zone = lb.attr("load_balancing.cross_zone.enabled") == "true";
        if t.zone != "all" && !cross_zone && !lb.azs().any(|a| a == t.zone) {
            return Health::new("unused", "Target.NotInUse", "Target is in an Availability Zone that is not enabled for the load balancer");
        }
        let delay = self.settings.target_healthy_seconds.unwrap_or((tg.health.interval * tg.health.healthy).max(0) as u64);
        let since = t.registered_at.max(attached);
        if now < later(since, delay) {
            return Health::new("initial", "Elb.RegistrationInProgress", "Target registration is in progress");
        }
        Health { state: "healthy", reason: None, description: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::RegionSettings;

    fn tg(arn: &str) -> TargetGroup {
        TargetGroup {
            arn: arn.into(),
            name: arn.into(),
            protocol: "TCP".into(),
            port: 80,
            vpc_id: "vpc-1".into(),
            target_type: "ip".into(),
            ip_address_type: "ipv4".into(),
            protocol_version: None,
            health: HealthCheck {
                enabled: true,
                protocol: "TCP".into(),
                port: "traffic-port".into(),
                path: None,
                interval: 10,
                timeout: 10,
                healthy: 3,
                unhealthy: 3,
                matcher_http: None,
                matcher_grpc: None,
            },
            created: Utc::now(),
            attributes: IndexMap::new(),
            tags: Vec::new(),
            targets: IndexMap::new(),
            attached_at: None,
        }
    }

    fn target(id: &str, at: DateTime<Utc>) -> Target {
        Target { id: id.into(), port: 80, az: None, zone: "us-east-1a".into(), registered_at: at, drain_until: None }
    }

    #[test]
    fn draining_targets_expire_in_order_and_reregistration_revives() {
        let mut e = Elbv2::default();
        e.insert_tg(tg("tg1"));
        let t0 = Utc::now();
        e.register("tg1", vec![target("10.0.0.1", t0), target("10.0.0.2", t0)]);
        e.deregister("tg1", &[("10.0.0.1".into(), 80)], Some(t0 + Duration::seconds(10)));
        e.deregister("tg1", &[("10.0.0.2".into(), 80)], Some(t0 + Duration::seconds(20)));
        e.expire(t0 + Duration::seconds(15));
        assert_eq!(e.tgs["tg1"].targets.len(), 1);
        e.register("tg1", vec![target("10.0.0.2", t0 + Duration::seconds(16))]);
        e.expire(t0 + Duration::seconds(30));
        assert_eq!(e.tgs["tg1"].targets.len(), 1, "a re-registered target no longer drains");
        assert!(e.draining.is_empty());
    }

    #[test]
    fn health_follows_the_clock() {
        let mut r = Region::new("123456789012", "us-east-1", Quotas::default(), RegionSettings::default(), 1, Utc::now());
        let t0 = Utc::now();
        let mut g = tg("tg1");
        g.targets.insert(("10.0.0.1".into(), 80), target("10.0.0.1", t0));
        r.elb.insert_tg(g);
        let h = r.target_health(&r.elb.tgs["tg1"], &r.elb.tgs["tg1"].targets[0], t0);
        assert_eq!((h.state, h.reason), ("unused", Some("Target.NotInUse")));
        let subnet = r.subnets.values().next().unwrap().clone();
        let lb = LoadBalancer {
            arn: "lb1".into(),
            name: "lb1".into(),
            id: "0".into(),
            scheme: "internal".into(),
            vpc_id: subnet.vpc_id.clone(),
            ip_address_type: "ipv4".into(),
            created: t0,
            subnets: vec![LbSubnet {
                subnet_id: subnet.id.clone(),
                az: subnet.az.clone(),
                eni_id: "eni-1".into(),
                private_ip: "172.31.0.9".into(),
                requested_ip: false,
            }],
            security_groups: vec![],
            enforce_private_link: None,
            dns_name: String::new(),
            hosted_zone: String::new(),
            attributes: IndexMap::new(),
            tags: vec![],
            kind: "network".into(),
        };
        r.elb.insert_lb(lb);
        let l = Listener {
            arn: "l1".into(),
            lb_arn: "lb1".into(),
            port: 80,
            protocol: "TCP".into(),
            ssl_policy: None,
            certificate: None,
            extra_certificates: vec![],
            alpn: vec![],
            actions: vec![Action {
                kind: "forward".into(),
                target_group_arn: Some("tg1".into()),
                forward: None,
                stickiness: None,
                order: None,
                redirect: None,
                fixed_response: None,
            }],
            attributes: IndexMap::new(),
            tags: vec![],
            rule_arn: "r1".into(),
            rule_tags: vec![],
        };
        r.elb.insert_listener(l, t0);
        let check = |r: &Region, at| r.target_health(&r.elb.tgs["tg1"], &r.elb.tgs["tg1"].targets[0], at).state;
        assert_eq!(check(&r, t0 + Duration::seconds(29)), "initial");
        assert_eq!(check(&r, t0 + Duration::seconds(30)), "healthy");
        r.elb.remove_lb("lb1");
        assert!(r.elb.tgs["tg1"].attached_at.is_none());
        assert_eq!(check(&r, t0 + Duration::seconds(60)), "unused");
    }
}
