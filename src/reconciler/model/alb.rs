//! ALB listeners, rules, conditions and actions as the model holds them (lbc-ingress.md §4.7–4.9,
//! §8.2–8.3): plain values, the field names ELBv2's. A forward action names its target groups by
//! the stack's resource id until deployment resolves them to ARNs; comparisons against what AWS
//! holds happen on resolved values (`ingress::rule_diff`).

use std::collections::BTreeMap;

/// A target group in a forward action.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TgRef {
    /// A target group of this stack, by resource id.
    Resource(String),
    /// A target group named by ARN (an `actions.*` annotation, or a resolved resource).
    Arn(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleAction {
    Forward {
        /// (target group, weight).
        target_groups: Vec<(TgRef, Option<i32>)>,
        /// (enabled, duration seconds).
        stickiness: Option<(bool, Option<i32>)>,
    },
    Redirect {
        protocol: Option<String>,
        port: Option<String>,
        host: Option<String>,
        path: Option<String>,
        query: Option<String>,
        status_code: String,
    },
    FixedResponse {
        status_code: String,
        content_type: Option<String>,
        message_body: Option<String>,
    },
}

impl RuleAction {
    pub fn kind(&self) -> &'static str {
        match self {
            RuleAction::Forward { .. } => "forward",
            RuleAction::Redirect { .. } => "redirect",
            RuleAction::FixedResponse { .. } => "fixed-response",
        }
    }

    /// The 404 default action of a listener no Ingress gives a default backend.
    pub fn not_found() -> RuleAction {
        RuleAction::FixedResponse { status_code: "404".into(), content_type: Some("text/plain".into()), message_body: None }
    }

    /// The 503 a path gets when its Service or `actions.*` annotation is missing.
    pub fn unavailable(body: &str) -> RuleAction {
        RuleAction::FixedResponse { status_code: "503".into(), content_type: Some("text/plain".into()), message_body: Some(body.into()) }
    }
}

/// One condition. `values` also carries http-request-method and source-ip values;
/// `query` the query-string pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleCondition {
    pub field: String,
    pub values: Vec<String>,
    pub regex_values: Vec<String>,
    /// http-header only.
    pub header_name: Option<String>,
    /// query-string only: (key, value).
    pub query: Vec<(Option<String>, String)>,
}

impl RuleCondition {
    pub fn values(field: &str, values: Vec<String>) -> RuleCondition {
        RuleCondition { field: field.into(), values, ..RuleCondition::default() }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlbRule {
    /// 1, 2, 3 … per listener, in the group's order.
    pub priority: i32,
    pub conditions: Vec<RuleCondition>,
    pub actions: Vec<RuleAction>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlbListener {
    pub port: i32,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    pub default_actions: Vec<RuleAction>,
    /// The first is the default certificate, the rest are SNI certificates.
    pub certificates: Vec<String>,
    pub ssl_policy: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub rules: Vec<AlbRule>,
}
