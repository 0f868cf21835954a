//! Actions: one file per action or small family, every one of the same shape (design.md, "api").
//!
//! The shape: `Action::from_params` reads the parameters (syntax only, no state) →
//! `Action::apply` validates against the Region, then commits, and returns a typed `Output`
//! that says *what* to answer (new ids, a page of positions, flags), never XML →
//! `Render::write_xml` writes the response members from the Region. `run` calls both under one
//! Region lock, so rendering borrows the resources instead of cloning them out, and an output
//! is never rendered against any other state than the one it was computed on.
//!
//! Owns: the `Action` and `Render` traits, the per-service dispatch tables, and helpers every
//! action shares (filters, pagination, tags). May call: `state`, `error`, and
//! `wire::{P, Params, Xml}` for names and rendering. Must never: build envelopes, choose `item`
//! vs `member`, await while holding a Region, or write XML in `apply`.

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
    /// The action's name, for the answer's envelope.
    pub action: &'a str,
    pub account: String,
    pub region: String,
    pub access_key: Option<String>,
    /// The caller signs as an AWS service (config `service_access_keys`), not as a customer.
    pub aws_service: bool,
    pub request_id: String,
    pub now: DateTime<Utc>,
}

impl Ctx<'_> {
    /// A writer for the answer's members, its buffer already holding the envelope's head
    /// (`wire::envelope_head`): members are written once, in place.
    pub fn answer_writer(&self) -> Xml {
        let mut head = String::with_capacity(512);
        crate::wire::envelope_head(self.service, self.action, &self.request_id, &mut head);
        Xml::with_buffer(self.service.list_style(), head)
    }

    /// The whole document: the writer's buffer and the envelope's tail.
    pub fn finish(&self, w: Xml) -> String {
        let mut body = w.into_string();
        crate::wire::envelope_tail(self.service, self.action, &self.request_id, &mut body);
        body
    }
}

/// One AWS action. `from_params` checks syntax before any state is touched; `apply` validates
/// against state and only then commits, so a refused request changes nothing.
pub trait Action: Sized {
    type Output: Render;
    fn from_params(p: &P) -> ApiResult<Self>;
    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Self::Output>;
}

/// What an action answers: the response members (without the envelope), written from the
/// Region the output was computed on, right after `apply` and under the same lock.
pub trait Render {
    fn write_xml(&self, r: &Region, w: &mut Xml);
    /// Ids (or ARNs) of resources this call created, for the eventual-consistency fault.
    fn created(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// A handled call: the whole response document (members inside the envelope) and the ids it
/// created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub body: String,
    pub created: Vec<String>,
}

/// A stored string longer than AWS allows, refused in EC2's words (as for group names), so no
/// request can make lbsim keep an unbounded value. The value is not echoed past 64 characters.
pub fn ec2_max_len(param: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.chars().count() <= max {
        return Ok(());
    }
    let shown: String = value.chars().take(64).collect();
    Err(ApiError::invalid(format!("Value ({shown}…) for parameter {param} is invalid. Length exceeds maximum of {max}.")))
}

/// The same for ELBv2, in its "1 validation error detected" words.
pub fn elb_max_len(member: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.chars().count() <= max {
        return Ok(());
    }
    let shown: String = value.chars().take(64).collect();
    Err(ApiError::constraint(&format!("{shown}…"), member, &format!("Member must have length less than or equal to {max}")))
}

/// Actions whose only output is `<return>true</return>`.
pub struct ReturnTrue;

impl Render for ReturnTrue {
    fn write_xml(&self, _: &Region, w: &mut Xml) {
        w.bool("return", true);
    }
}

/// Outputs with no members (Query `<OpResult/>`).
pub struct Empty;

impl Render for Empty {
    fn write_xml(&self, _: &Region, _: &mut Xml) {}
}

/// One page of a Describe: the positions of the matched resources in their collection (in
/// creation order) and the token of the next page. Positions mean something only against the
/// Region they were taken from, under the same lock, which `run` guarantees.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub at: Vec<usize>,
    pub next: Option<String>,
}

impl Page {
    /// A page of (position, resource) pairs as `paging::page` cut it.
    pub fn new<T>(items: Vec<(usize, T)>, next: Option<String>) -> Page {
        Page { at: items.into_iter().map(|(i, _)| i).collect(), next }
    }

    /// A page of resources given by key (id or ARN), as describes that follow a request's own
    /// order collect them.
    pub fn keyed<'a, T>(all: &indexmap::IndexMap<String, T>, keys: impl IntoIterator<Item = &'a str>, next: Option<String>) -> Page {
        Page { at: keys.into_iter().filter_map(|k| all.get_index_of(k)).collect(), next }
    }

    /// The page's resources, looked up by position.
    pub fn of<'a, T>(&'a self, all: &'a indexmap::IndexMap<String, T>) -> impl Iterator<Item = &'a T> + 'a {
        self.at.iter().filter_map(|i| all.get_index(*i).map(|(_, v)| v))
    }

    /// The page's resources with their positions (what the Region's render cache is keyed by).
    pub fn with_positions<'a, K, T, S>(&'a self, all: &'a indexmap::IndexMap<K, T, S>) -> impl Iterator<Item = (usize, &'a T)> + 'a {
        self.at.iter().filter_map(|&i| all.get_index(i).map(|(_, v)| (i, v)))
    }
}

/// Parses, then applies and renders under one Region lock.
pub fn run<A: Action>(cx: &Ctx, params: &Params) -> ApiResult<Answer> {
    let input = A::from_params(&params.root())?;
    cx.store.with_region(&cx.account, &cx.region, |r| {
        let out = input.apply(r, cx)?;
        let mut w = cx.answer_writer();
        out.write_xml(r, &mut w);
        Ok(Answer { body: cx.finish(w), created: out.created().into_iter().map(String::from).collect() })
    })
}

/// Routes an action name to its service's table; `InvalidAction` for names it does not serve.
pub fn dispatch(cx: &Ctx, action: &str, params: &Params) -> ApiResult<Answer> {
    let found = match cx.service {
        Service::Ec2 => ec2::dispatch(cx, action, params),
        Service::Elbv2 => elbv2::dispatch(cx, action, params),
        Service::Sts => sts::dispatch(cx, action, params),
    };
    found.unwrap_or_else(|| {
        Err(ApiError::new(crate::error::ErrorCode::InvalidAction, format!("The action {action} is not valid for this web service.")))
    })
}
