//! RegisterTargets, DeregisterTargets, DescribeTargetHealth (aws-api.md §1.7.7, §2.5):
//! registrations keyed by (Id, Port); instances must exist, run and sit in the group's VPC;
//! ip targets inside the VPC's subnets take their subnet's zone, others need an Availability
//! Zone (or `all`); the target quotas per group, per NLB, per zone and per target id; health
//! states on the server clock (see `Region::target_health`).

use std::net::{IpAddr, Ipv4Addr};

use ipnet::Ipv4Net;

use super::common::{find_tg, int_in, required};
use crate::api::{Action, Ctx, Empty, Render};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::ec2::InstanceState;
use crate::state::elbv2::{Elbv2, Health, Target, TargetGroup};
use crate::state::ids::well_formed;
use crate::wire::{P, Xml};

/// One `Targets.member.N` as sent.
#[derive(Debug, Clone)]
pub struct TargetInput {
    id: String,
    port: Option<u16>,
    az: Option<String>,
}

fn parse_targets(p: &P, must: bool) -> ApiResult<Vec<TargetInput>> {
    let items = p.list("Targets")?;
    if must && items.is_empty() {
        required(p, "Targets")?;
    }
    items
        .into_iter()
        .map(|t| {
            Ok(TargetInput {
                id: required(&t, "Id")?.to_string(),
                port: int_in(&t, "Port", 1, 65535)?.map(|v| v as u16),
                az: t.str("AvailabilityZone").filter(|s| !s.is_empty()).map(String::from),
            })
        })
        .collect()
}

/// OBS text (aws-load-balancer-controller#328).
fn bad_instance_id(id: &str) -> ApiError {
    ApiError::validation(format!("Instance ID '{id}' is not valid"))
}

/// OBS text (aws-load-balancer-controller#272).
fn instances_missing(ids: &[&str]) -> ApiError {
    let list: Vec<String> = ids.iter().map(|i| format!("'{i}'")).collect();
    ApiError::new(ErrorCode::InvalidTarget, format!("The following instances do not exist: {}", list.join(", ")))
}

const PRIVATE: [(Ipv4Addr, u8); 4] = [
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
];

/// Resolves the zone of an IPv4 target (aws-api.md §2.5; texts OBS unless noted): inside a
/// subnet of the VPC it is that subnet's zone and cannot be overridden; outside, the caller
/// must name a zone or `all`, and the address must be private (RFC 1918 or RFC 6598).
fn ipv4_zone(r: &Region, tg: &TargetGroup, ip: Ipv4Addr, az: Option<&str>) -> ApiResult<String> {
    let subnet = r.subnets().values().find(|s| s.vpc_id == tg.vpc_id && s.cidr.contains(&ip));
    if let Some(s) = subnet {
        return match az {
            None => Ok(s.az.clone()),
            Some(a) if a == s.az => Ok(s.az.clone()),
            Some(a) => Err(ApiError::validation(format!(
                "The IP address '{ip}' is within the VPC, and cannot have its Availability Zone overridden to '{a}' from '{}'",
                s.az
            ))),
        };
    }
    if !PRIVATE.iter().any(|(net, len)| Ipv4Net::new(*net, *len).is_ok_and(|n| n.contains(&ip))) {
        // [unverified] text; the rule is the BC-ELB TargetType doc's.
        return Err(ApiError::new(
            ErrorCode::InvalidTarget,
            format!("The IP address '{ip}' is not a valid private IP address for a target"),
        ));
    }
    match az {
        None => Err(ApiError::validation(format!("The Availability Zone is required for IP address '{ip}' because it is not in the VPC"))),
        Some("all") => Ok("all".into()),
        Some(a) if r.az(a).is_some() => Ok(a.to_string()),
        // [unverified] text.
        Some(a) => Err(ApiError::validation(format!("'{a}' is not a valid Availability Zone"))),
    }
}

/// Checks every requested target against state and returns the registrations to add, in
/// request order, without repeats. Nothing is committed here.
fn resolve(r: &Region, tg: &TargetGroup, input: &[TargetInput], now: chrono::DateTime<chrono::Utc>) -> ApiResult<Vec<Target>> {
    let mut missing: Vec<&str> = Vec::new();
    let mut stopped: Vec<&str> = Vec::new();
    let mut elsewhere: Vec<&str> = Vec::new();
    let mut out: Vec<Target> = Vec::new();
    for t in input {
        let zone = match tg.target_type.as_str() {
            "instance" => {
                if t.az.is_some() {
                    // [unverified] text; the rule is BC-ELB's.
                    return Err(ApiError::validation("An Availability Zone cannot be specified for targets of type 'instance'"));
                }
                if !well_formed(&t.id, "i") {
                    return Err(bad_instance_id(&t.id));
                }
                match r.instances().get(&t.id) {
                    None => {
                        missing.push(&t.id);
                        continue;
                    }
                    Some(i) if i.vpc_id != tg.vpc_id => {
                        elsewhere.push(&t.id);
                        continue;
                    }
                    Some(i) if i.state != InstanceState::Running => {
                        stopped.push(&t.id);
                        continue;
                    }
                    Some(i) => i.az.clone(),
                }
            }
            _ => match t.id.parse::<IpAddr>() {
                Ok(IpAddr::V4(ip)) if tg.ip_address_type == "ipv4" => ipv4_zone(r, tg, ip, t.az.as_deref())?,
                // lbsim's subnets carry no IPv6 blocks: IPv6 targets count in the zone given,
                // or in every zone [unverified].
                Ok(IpAddr::V6(_)) if tg.ip_address_type == "ipv6" => t.az.clone().unwrap_or_else(|| "all".into()),
                _ => {
                    let family = if tg.ip_address_type == "ipv6" { "IPv6" } else { "IPv4" };
                    return Err(ApiError::validation(format!("The IP address '{}' is not a valid {family} address", t.id)));
                }
            },
        };
        let port = t.port.unwrap_or(tg.port);
        out.retain(|x| !(x.id == t.id && x.port == port));
        out.push(Target { id: t.id.clone(), port, az: t.az.clone(), zone, registered_at: now, drain_until: None });
    }
    let quote = |v: &[&str]| v.iter().map(|i| format!("'{i}'")).collect::<Vec<_>>().join(", ");
    if !missing.is_empty() {
        return Err(instances_missing(&missing));
    }
    if !elsewhere.is_empty() {
        // [unverified] text.
        return Err(ApiError::new(
            ErrorCode::InvalidTarget,
            format!("The following targets are not in the target group VPC '{}': {}", tg.vpc_id, quote(&elsewhere)),
        ));
    }
    if !stopped.is_empty() {
        // OBS text (cluster-api-provider-aws#5037).
        return Err(ApiError::new(
            ErrorCode::InvalidTarget,
            format!("The following targets are not in a running state and cannot be registered: {}", quote(&stopped)),
        ));
    }
    Ok(out)
}

/// The load-balancer quotas for a change that adds `extra` registrations to the target groups
/// `tgs` of `lb`: a check refuses only what grows past a limit (lowered quotas keep what exists).
pub fn check_lb_targets(r: &Region, lb_arn: &str, tgs: &[&str], extra: &[Target]) -> ApiResult<()> {
    let e = r.elb();
    let Some(lb) = e.lbs().get(lb_arn) else { return Ok(()) };
    let current = e.lb_tgs(lb_arn);
    let (t0, z0, i0) = e.lb_target_counts(lb, current.iter().copied(), &[]);
    let (t1, z1, i1) = e.lb_target_counts(lb, tgs.iter().copied(), extra);
    let q = &r.quotas;
    // The most specific limit first (which one AWS reports first is [unverified]).
    let per_id = q.target_id_registrations_per_lb(lb.is_alb());
    if i1.iter().any(|(id, n)| *n > i0.get(id).copied().unwrap_or(0) && *n > per_id) {
        return Err(ApiError::too_many_registrations());
    }
    // ALBs have no per-zone target limit.
    if !lb.is_alb()
        && z1.iter().any(|(z, n)| *n > z0.get(z).copied().unwrap_or(0) && *n > q.targets_per_availability_zone_per_network_load_balancer)
    {
        return Err(ApiError::too_many_targets());
    }
    if t1 > t0 && t1 > Elbv2::lb_target_limit(lb, q) {
        return Err(ApiError::too_many_targets());
    }
    Ok(())
}

pub struct RegisterTargets {
    arn: String,
    targets: Vec<TargetInput>,
}

impl Action for RegisterTargets {
    type Output = Empty;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(RegisterTargets { arn: required(p, "TargetGroupArn")?.to_string(), targets: parse_targets(p, true)? })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Empty> {
        let tg = find_tg(r, &self.arn)?;
        let wanted = resolve(r, tg, &self.targets, cx.now)?;
        // Re-registering an active target is a no-op; a draining one comes back.
        let new: Vec<Target> =
            wanted.into_iter().filter(|t| tg.targets.get(&(t.id.clone(), t.port)).is_none_or(|old| old.drain_until.is_some())).collect();
        let added = new.iter().filter(|t| !tg.targets.contains_key(&(t.id.clone(), t.port))).count() as u64;
        let before = tg.targets.len() as u64;
        if added > 0 && before + added > r.quotas.targets_per_target_group {
            return Err(ApiError::too_many_targets());
        }
        if let Some(lb) = r.elb().tg_lb(&tg.arn) {
            let fresh: Vec<Target> = new.iter().filter(|t| !tg.targets.contains_key(&(t.id.clone(), t.port))).cloned().collect();
            let tgs: Vec<&str> = r.elb().lb_tgs(lb).into_iter().collect();
            check_lb_targets(r, lb, &tgs, &fresh)?;
        }
        r.elb_mut().register(&self.arn, new);
        Ok(Empty)
    }
}

pub struct DeregisterTargets {
    arn: String,
    targets: Vec<TargetInput>,
}

impl Action for DeregisterTargets {
    type Output = Empty;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DeregisterTargets { arn: required(p, "TargetGroupArn")?.to_string(), targets: parse_targets(p, true)? })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Empty> {
        let tg = find_tg(r, &self.arn)?;
        let mut keys = Vec::new();
        let mut missing = Vec::new();
        for t in &self.targets {
            let key = (t.id.clone(), t.port.unwrap_or(tg.port));
            if tg.target_type == "instance" && !tg.targets.contains_key(&key) {
                if !well_formed(&t.id, "i") {
                    return Err(bad_instance_id(&t.id));
                }
                if !r.instances().contains_key(&t.id) {
                    missing.push(t.id.as_str());
                }
            }
            keys.push(key);
        }
        if !missing.is_empty() {
            return Err(instances_missing(&missing));
        }
        // A target that is not registered is a success (BC-ELB doc). Targets of a group in use
        // drain for the deregistration delay; otherwise they go at once.
        let delay: i64 = tg.attr("deregistration_delay.timeout_seconds").parse().unwrap_or(300);
        let until = (tg.attached_at.is_some() && delay > 0).then(|| crate::state::elbv2::later(cx.now, delay as u64));
        r.elb_mut().deregister(&self.arn, &keys, until);
        Ok(Empty)
    }
}

/// One DescribeTargetHealth row: a registration (its position in the group's targets), or a
/// requested target that is not registered.
enum Row {
    Registered(usize),
    Unregistered(Target),
}

/// DescribeTargetHealth's answer: the rows of one target group, their health taken at `now`.
pub struct TargetHealth {
    tg: String,
    rows: Vec<Row>,
    now: chrono::DateTime<chrono::Utc>,
}

impl Render for TargetHealth {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        let Some(tg) = r.elb().tgs().get(&self.tg) else { return };
        let rows = self.rows.iter().filter_map(|row| match row {
            Row::Registered(i) => tg.targets.get_index(*i).map(|(_, t)| (t, r.target_health(tg, t, self.now))),
            Row::Unregistered(t) => Some((t, Health::not_registered())),
        });
        let hc_port = &tg.health.port;
        let ip = tg.target_type == "ip";
        w.list("TargetHealthDescriptions", rows, |w, (t, h)| {
            w.open("Target").leaf("Id", &t.id).int("Port", t.port);
            // ip targets report their zone (or `all`); instance targets have none.
            let zone = t.az.as_ref().or((ip && !t.zone.is_empty()).then_some(&t.zone));
            w.opt("AvailabilityZone", zone).close("Target");
            let port = if hc_port == "traffic-port" { t.port.to_string() } else { hc_port.clone() };
            w.leaf("HealthCheckPort", port);
            w.open("TargetHealth").leaf("State", h.state).opt("Reason", h.reason).opt("Description", h.description).close("TargetHealth");
        });
    }
}

pub struct DescribeTargetHealth {
    arn: String,
    targets: Vec<TargetInput>,
}

impl Action for DescribeTargetHealth {
    type Output = TargetHealth;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arn = required(p, "TargetGroupArn")?.to_string();
        for (i, inc) in p.strings("Include")?.into_iter().enumerate() {
            if !["AnomalyDetection", "All"].contains(&inc) {
                return Err(ApiError::constraint(
                    inc,
                    &format!("include.{}.member", i + 1),
                    "Member must satisfy enum value set: [AnomalyDetection, All]",
                ));
            }
        }
        Ok(DescribeTargetHealth { arn, targets: parse_targets(p, false)? })
    }

    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<TargetHealth> {
        let tg = find_tg(r, &self.arn)?;
        let mut rows: Vec<Row> = Vec::new();
        if self.targets.is_empty() {
            rows.extend((0..tg.targets.len()).map(Row::Registered));
        } else {
            let mut missing = Vec::new();
            for t in &self.targets {
                let found: Vec<usize> = tg
                    .targets
                    .values()
                    .enumerate()
                    .filter(|(_, x)| x.id == t.id && t.port.is_none_or(|p| p == x.port))
                    .map(|(i, _)| i)
                    .collect();
                if !found.is_empty() {
                    rows.extend(found.into_iter().map(Row::Registered));
                    continue;
                }
                if tg.target_type == "instance" {
                    if !well_formed(&t.id, "i") {
                        return Err(bad_instance_id(&t.id));
                    }
                    if !r.instances().contains_key(&t.id) {
                        missing.push(t.id.as_str());
                        continue;
                    }
                }
                let port = t.port.unwrap_or(tg.port);
                let shown =
                    Target { id: t.id.clone(), port, az: t.az.clone(), zone: String::new(), registered_at: cx.now, drain_until: None };
                rows.push(Row::Unregistered(shown));
            }
            // The TargetDeregistered waiter accepts InvalidTarget (BC-WAIT).
            if !missing.is_empty() {
                return Err(instances_missing(&missing));
            }
        }
        Ok(TargetHealth { tg: tg.arn.clone(), rows, now: cx.now })
    }
}
