//! DescribeCapacityReservation and ModifyCapacityReservation: a load balancer's minimum capacity
//! in capacity units (the AWS Load Balancer Controller's `minimum-load-balancer-capacity`
//! annotation, v2.11.0+). A new reservation is `pending` in every zone for the Region's
//! `lb_provisioning_seconds`, then `provisioned`, on the server clock; a modification while one
//! is pending is `CapacityReservationPending`. Decreases are limited per day: AWS allows a few
//! [unverified: lbsim allows 4 in any 24 hours, the count `DecreaseRequestsRemaining` shows].
//! Units are split evenly over the zones for `EffectiveCapacityUnits` [unverified].

use chrono::{DateTime, Duration, Utc};

use super::common::{find_lb, required};
use crate::api::{Action, Ctx, Render};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::elbv2::{CapacityReservation, later};
use crate::wire::{P, Xml};

const DECREASES_PER_DAY: usize = 4;

fn recent_decreases(c: &CapacityReservation, now: DateTime<Utc>) -> usize {
    c.decreases.iter().filter(|t| now - **t < Duration::hours(24)).count()
}

/// Both actions answer the same members, decided under the lock.
pub struct CapacityView {
    reservation: Option<CapacityReservation>,
    zones: Vec<String>,
    pending: bool,
    decreases_left: usize,
}

impl CapacityView {
    fn of(r: &Region, arn: &str, now: DateTime<Utc>) -> CapacityView {
        let reservation = r.elb().capacity(arn).cloned();
        let zones = r.elb().lbs().get(arn).map(|lb| lb.azs().map(String::from).collect()).unwrap_or_default();
        let pending = reservation.as_ref().is_some_and(|c| now < later(c.modified, r.settings.lb_provisioning_seconds));
        let used = reservation.as_ref().map(|c| recent_decreases(c, now)).unwrap_or(0);
        CapacityView { reservation, zones, pending, decreases_left: DECREASES_PER_DAY.saturating_sub(used) }
    }
}

impl Render for CapacityView {
    fn write_xml(&self, _: &Region, w: &mut Xml) {
        let Some(c) = &self.reservation else {
            w.int("DecreaseRequestsRemaining", self.decreases_left);
            return;
        };
        w.time("LastModifiedTime", c.modified).int("DecreaseRequestsRemaining", self.decreases_left);
        w.open("MinimumLoadBalancerCapacity").int("CapacityUnits", c.units).close("MinimumLoadBalancerCapacity");
        let share = c.units as f64 / self.zones.len().max(1) as f64;
        w.list("CapacityReservationState", &self.zones, |w, az| {
            w.open("State").leaf("Code", if self.pending { "pending" } else { "provisioned" }).close("State");
            w.leaf("AvailabilityZone", az).num("EffectiveCapacityUnits", share);
        });
    }
}

pub struct DescribeCapacityReservation {
    arn: String,
}

impl Action for DescribeCapacityReservation {
    type Output = CapacityView;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeCapacityReservation { arn: required(p, "LoadBalancerArn")?.to_string() })
    }
    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<CapacityView> {
        find_lb(r, &self.arn)?;
        Ok(CapacityView::of(r, &self.arn, cx.now))
    }
}

pub struct ModifyCapacityReservation {
    arn: String,
    /// `Some(units)` to reserve, `None` to reset.
    units: Option<u64>,
}

impl Action for ModifyCapacityReservation {
    type Output = CapacityView;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arn = required(p, "LoadBalancerArn")?.to_string();
        let units = p.child("MinimumLoadBalancerCapacity").int("CapacityUnits")?;
        let reset = p.bool("ResetCapacityReservation")?.unwrap_or(false);
        let units = match (units, reset) {
            (Some(_), true) | (None, false) => {
                // [unverified] text.
                return Err(ApiError::validation("Specify either MinimumLoadBalancerCapacity or ResetCapacityReservation"));
            }
            (Some(u), false) if u < 1 => {
                return Err(ApiError::constraint(&u.to_string(), "minimumLoadBalancerCapacity.capacityUnits", "Member must be at least 1"));
            }
            (Some(u), false) => Some(u as u64),
            (None, true) => None,
        };
        Ok(ModifyCapacityReservation { arn, units })
    }
    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<CapacityView> {
        find_lb(r, &self.arn)?;
        let view = CapacityView::of(r, &self.arn, cx.now);
        if view.pending {
            return Err(ApiError::new(ErrorCode::CapacityReservationPending, "There is a pending capacity reservation."));
        }
        let old = view.reservation.as_ref().map(|c| c.units).unwrap_or(0);
        let decreasing = self.units.unwrap_or(0) < old;
        if decreasing && view.decreases_left == 0 {
            return Err(ApiError::new(
                ErrorCode::CapacityDecreaseRequestLimitExceeded,
                "You've exceeded the daily capacity decrease limit for this reservation.",
            ));
        }
        let mut decreases: Vec<DateTime<Utc>> =
            view.reservation.map(|c| c.decreases).unwrap_or_default().into_iter().filter(|t| cx.now - *t < Duration::hours(24)).collect();
        if decreasing {
            decreases.push(cx.now);
        }
        r.elb_mut().set_capacity(&self.arn, self.units.map(|units| CapacityReservation { units, modified: cx.now, decreases }));
        Ok(CapacityView::of(r, &self.arn, cx.now))
    }
}
