//! Actions: one file per action or small family, all of one shape (design.md, "api").
//!
//! Owns: the `Action` trait (`from_params` → `apply` → `write_xml`), the per-service dispatch
//! tables, and helpers every action shares (filters, pagination, tags). May call: `state`,
//! `error`, and `wire::{P, Params, Xml}` for names and rendering. Must never: build envelopes,
//! choose `item` vs `member`, or await while holding a Region.

pub mod ec2;
pub mod eks;
pub mod elbv2;
#[rustfmt::skip]
pub mod filter_model;
pub mod filters;
pub mod paging;
pub mod sts;
pub mod tags;

use chrono::{DateTime, Utc};

use crate::error::{ApiError, ApiResult};
use crate::state::{Region, Store};
use crate::wire::{P, Params, Service, Xml};

/// What an action knows of its request besides its parameters.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub service: Service,
    pub account: String,
    pub region: String,
    pub access_key: Option<String>,
    /// The caller signs as an AWS service (config `service_access_keys`), not as a customer.
    pub aws_service: bool,
    pub request_id: String,
    pub now: DateTime<Utc>,
}

/// One AWS action. `from_params` checks syntax before any state is touched; `apply` validates
/// against state and only then commits, so a refused request changes nothing.
pub trait Action: Sized {
    type Output: Render;
    fn from_params(p: &P) -> ApiResult<Self>;
    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Self::Output>;
}

/// The members of an action's response, written without the envelope.
pub trait Render {
    fn write_xml(&self, w: &mut Xml);
}

/// Actions whose only output is `<return>true</return>`.
pub struct ReturnTrue;

impl Render for ReturnTrue {
    fn write_xml(&self, w: &mut Xml) {
        w.bool("return", true);
    }
}

/// Outputs with no members (Query `<OpResult/>`).
pub struct Empty;

impl Render for Empty {
    fn write_xml(&self, _: &mut Xml) {}
}

/// Parses, applies under the Region lock, and renders after the lock is released.
pub fn run<A: Action>(cx: &Ctx, params: &Params) -> ApiResult<String> {
    let input = A::from_params(&params.root())?;
    let out = cx.store.with_region(&cx.account, &cx.region, |r| input.apply(r, cx))?;
    let mut w = Xml::new(cx.service.list_style());
    out.write_xml(&mut w);
    Ok(w.into_string())
}

/// Routes an action name to its service's table; `InvalidAction` for names it does not serve.
pub fn dispatch(cx: &Ctx, action: &str, params: &Params) -> ApiResult<String> {
    let found = match cx.service {
        Service::Ec2 => ec2::dispatch(cx, action, params),
        Service::Elbv2 => elbv2::dispatch(cx, action, params),
        Service::Sts => sts::dispatch(cx, action, params),
    };
    found.unwrap_or_else(|| {
        Err(ApiError::new(crate::error::ErrorCode::InvalidAction, format!("The action {action} is not valid for this web service.")))
    })
}

/// Members rendered while the Region was locked: for outputs that read tags and related
/// resources, rendering in place is cheaper than cloning everything out first.
pub struct Rendered(pub String);

impl Render for Rendered {
    fn write_xml(&self, w: &mut Xml) {
        w.raw(&self.0);
    }
}

impl Rendered {
    /// Renders with the list style of the action's service.
    pub fn with(cx: &Ctx, f: impl FnOnce(&mut Xml)) -> Rendered {
        let mut w = Xml::new(cx.service.list_style());
        f(&mut w);
        Rendered(w.into_string())
    }
}
