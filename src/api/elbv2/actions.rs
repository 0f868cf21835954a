//! Listener and rule actions (aws-api.md §2.5, lbc-ingress.md §8.3): parsing `forward` (a plain
//! target group and/or a ForwardConfig with weights and stickiness), `redirect` and
//! `fixed-response`; the checks against state that depend on the load balancer's type (NLBs:
//! one forward to one target group; ALBs: every routing action, up to the per-action
//! target-group quota, HTTP/HTTPS groups) and the writer. `authenticate-*` and `jwt-validation`
//! are refused clearly: lbsim has no identity provider. Decision and rendering are separate.

use super::common::{arn_is, enum_member, int_in, required};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::elbv2::{Action, FixedResponse, LoadBalancer, Redirect};
use crate::wire::{P, Xml};

const ACTION_TYPES: &[&str] = &["forward", "authenticate-oidc", "authenticate-cognito", "redirect", "fixed-response", "jwt-validation"];
const CONTENT_TYPES: &[&str] = &["text/plain", "text/css", "text/html", "application/javascript", "application/json"];

/// (target group, weight) pairs of a ForwardConfig, and its stickiness (enabled, duration).
type Forward = (Option<Vec<(String, Option<i64>)>>, Option<(bool, Option<i64>)>);

fn forward(a: &P) -> ApiResult<Forward> {
    let fc = a.child("ForwardConfig");
    let tgs = if a.has_child("ForwardConfig") {
        let mut tgs = Vec::new();
        for t in fc.list("TargetGroups")? {
            tgs.push((required(&t, "TargetGroupArn")?.to_string(), int_in(&t, "Weight", 0, 999)?));
        }
        Some(tgs)
    } else {
        None
    };
    let stick = fc.child("TargetGroupStickinessConfig");
    let stickiness = if fc.has_child("TargetGroupStickinessConfig") {
        let enabled =
            stick.bool("Enabled").map_err(|_| ApiError::validation("TargetGroupStickinessConfig.Enabled must be 'true' or 'false'"))?;
        Some((enabled.unwrap_or(false), int_in(&stick, "DurationSeconds", 1, 604_800)?))
    } else {
        None
    };
    Ok((tgs, stickiness))
}

/// A RedirectConfig; unset parts become AWS's placeholders (lbc-ingress.md §8.3, believed).
fn redirect(a: &P) -> ApiResult<Redirect> {
    if !a.has_child("RedirectConfig") {
        return Err(ApiError::validation("A redirect action must specify 'RedirectConfig'"));
    }
    let c = a.child("RedirectConfig");
    let status = required(&c, "StatusCode").map_err(|_| {
        ApiError::validation(
            "1 validation error detected: Value null at 'redirectConfig.statusCode' failed to satisfy constraint: Member must not be null",
        )
    })?;
    enum_member(&c, "StatusCode", &["HTTP_301", "HTTP_302"])?;
    let get = |k: &str, d: &str| c.str(k).filter(|s| !s.is_empty()).unwrap_or(d).to_string();
    let r = Redirect {
        protocol: get("Protocol", "#{protocol}"),
        port: get("Port", "#{port}"),
        host: get("Host", "#{host}"),
        path: get("Path", "/#{path}"),
        query: get("Query", "#{query}"),
        status_code: status.to_string(),
    };
    // [unverified] texts.
    if !matches!(r.protocol.as_str(), "HTTP" | "HTTPS" | "#{protocol}") {
        return Err(ApiError::validation(format!("Redirect protocol '{}' must be one of 'HTTP, HTTPS, #{{protocol}}'", r.protocol)));
    }
    if r.port != "#{port}" && !r.port.parse::<u16>().is_ok_and(|p| p >= 1) {
        return Err(ApiError::validation(format!("Redirect port '{}' must be '#{{port}}' or an integer from 1 to 65535", r.port)));
    }
    if !r.path.starts_with('/') {
        return Err(ApiError::validation(format!("Redirect path '{}' must start with a '/'", r.path)));
    }
    if r.host.len() > 128 || r.path.len() > 128 || r.query.len() > 128 {
        return Err(ApiError::validation("Redirect host, path and query cannot be longer than 128 characters"));
    }
    if r.protocol == "#{protocol}" && r.port == "#{port}" && r.host == "#{host}" && r.path == "/#{path}" {
        return Err(ApiError::invalid_lb_action(
            "The redirect configuration is not valid: at least one of protocol, port, host or path must change, or it redirects to itself",
        ));
    }
    Ok(r)
}

fn fixed(a: &P) -> ApiResult<FixedResponse> {
    if !a.has_child("FixedResponseConfig") {
        return Err(ApiError::validation("A fixed-response action must specify 'FixedResponseConfig'"));
    }
    let c = a.child("FixedResponseConfig");
    let status = required(&c, "StatusCode").map_err(|_| {
        ApiError::validation(
            "1 validation error detected: Value null at 'fixedResponseConfig.statusCode' failed to satisfy constraint: Member must not be null",
        )
    })?;
    let b = status.as_bytes();
    if b.len() != 3 || !matches!(b[0], b'2' | b'4' | b'5') || !b[1..].iter().all(u8::is_ascii_digit) {
        return Err(ApiError::constraint(
            status,
            "fixedResponseConfig.statusCode",
            "Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$",
        ));
    }
    let content_type = enum_member(&c, "ContentType", CONTENT_TYPES)?.map(String::from);
    let body = c.str("MessageBody").map(String::from);
    if body.as_ref().is_some_and(|m| m.len() > 1024) {
        return Err(ApiError::constraint("", "fixedResponseConfig.messageBody", "Member must have length less than or equal to 1024"));
    }
    Ok(FixedResponse { status_code: status.to_string(), content_type, message_body: body })
}

/// Reads `<list>.member.N` (DefaultActions or Actions) with the rules that need no state.
pub fn parse_actions(p: &P, list: &str) -> ApiResult<Vec<Action>> {
    let mut out = Vec::new();
    for a in p.list(list)? {
        required(&a, "Type")?;
        let kind = enum_member(&a, "Type", ACTION_TYPES)?.unwrap_or("forward");
        let mut action = Action {
            kind: kind.to_string(),
            target_group_arn: None,
            forward: None,
            stickiness: None,
            order: int_in(&a, "Order", 1, 50_000)?,
            redirect: None,
            fixed_response: None,
        };
        match kind {
            "forward" => {
                let (tgs, stickiness) = forward(&a)?;
                action.target_group_arn = a.str("TargetGroupArn").filter(|s| !s.is_empty()).map(String::from);
                action.forward = tgs;
                action.stickiness = stickiness;
                // [unverified] texts.
                let all = action.target_groups();
                if all.is_empty() {
                    return Err(ApiError::validation("A target group ARN must be specified for a forward action"));
                }
                if let (Some(single), Some(f)) = (&action.target_group_arn, &action.forward)
                    && (f.len() != 1 || &f[0].0 != single)
                {
                    return Err(ApiError::validation(
                        "You cannot specify both a target group ARN and a forward config with other target groups",
                    ));
                }
                if action.forward.as_ref().is_some_and(|f| f.len() > 1 && f.iter().any(|(_, w)| w.is_none())) {
                    return Err(ApiError::validation("A weight must be specified for each target group of a weighted forward action"));
                }
                if let Some((true, None)) = action.stickiness {
                    return Err(ApiError::validation("A stickiness duration must be specified when target group stickiness is enabled"));
                }
            }
            "redirect" => action.redirect = Some(redirect(&a)?),
            "fixed-response" => action.fixed_response = Some(fixed(&a)?),
            other => {
                return Err(ApiError::invalid_lb_action(format!(
                    "Action type '{other}' is not emulated: lbsim has no identity provider (use forward, redirect or fixed-response)"
                )));
            }
        }
        out.push(action);
    }
    if out.len() > 1 {
        // Without authentication actions a rule has exactly one action, the routing one.
        return Err(ApiError::too_many_actions());
    }
    Ok(out)
}

/// Which target-group protocols a listener protocol can forward to (ELB guides).
pub fn compatible(listener: &str, tg: &str) -> bool {
    match listener {
        "TCP" => matches!(tg, "TCP" | "TCP_UDP"),
        "TLS" => matches!(tg, "TCP" | "TLS"),
        "UDP" => matches!(tg, "UDP" | "TCP_UDP"),
        "TCP_UDP" => tg == "TCP_UDP",
        "HTTP" | "HTTPS" => matches!(tg, "HTTP" | "HTTPS"),
        _ => false,
    }
}

/// Checks actions against state for a listener of `protocol` on `lb` and returns every target
/// group they use. ALB forwards read back with weight 1 and stickiness off when not given
/// (believed AWS behaviour), so the actions are normalised in place.
pub fn check_actions(r: &Region, lb: &LoadBalancer, protocol: &str, actions: &mut [Action]) -> ApiResult<Vec<String>> {
    let mut used: Vec<String> = Vec::new();
    for a in actions.iter_mut() {
        if !lb.is_alb() {
            // [unverified] texts for the shapes a network forward action must have.
            if a.kind != "forward" {
                return Err(ApiError::invalid_lb_action(format!("Action type '{}' must be one of 'forward'", a.kind)));
            }
            if a.target_groups().len() > 1 {
                return Err(ApiError::validation(
                    "You cannot specify multiple target groups in a forward action for a load balancer of type 'network'",
                ));
            }
            if a.stickiness.is_some_and(|s| s.0) {
                return Err(ApiError::validation("Target group stickiness is not supported for load balancers of type 'network'"));
            }
        } else if a.kind == "forward" {
            let n = a.target_groups().len() as u64;
            if n > r.quotas.target_groups_per_action_on_application_load_balancer {
                return Err(ApiError::too_many_tgs_per_action(r.quotas.target_groups_per_action_on_application_load_balancer));
            }
            let tgs: Vec<(String, Option<i64>)> = match &a.forward {
                Some(f) => f.iter().map(|(t, w)| (t.clone(), Some(w.unwrap_or(1)))).collect(),
                None => a.target_group_arn.iter().map(|t| (t.clone(), Some(1))).collect(),
            };
            a.forward = Some(tgs);
            if a.stickiness.is_none() {
                a.stickiness = Some((false, None));
            }
        }
        for tg_arn in a.target_groups() {
            if !arn_is(tg_arn, "targetgroup/") {
                return Err(ApiError::bad_elb_arn(tg_arn, "target group"));
            }
            let tg = r.elb().tgs().get(tg_arn).ok_or_else(ApiError::tg_not_found)?;
            if tg.vpc_id != lb.vpc_id {
                // [unverified] text.
                return Err(ApiError::new(
                    ErrorCode::InvalidConfigurationRequest,
                    format!("Target group '{tg_arn}' is in VPC '{}', not in the load balancer's VPC '{}'", tg.vpc_id, lb.vpc_id),
                ));
            }
            if !compatible(protocol, &tg.protocol) {
                return Err(ApiError::incompatible_protocols(tg_arn));
            }
            if let Some(other) = r.elb().tg_lb(tg_arn)
                && other != lb.arn
            {
                return Err(ApiError::tg_association_limit(tg_arn));
            }
            if !used.iter().any(|u| u == tg_arn) {
                used.push(tg_arn.to_string());
            }
        }
    }
    Ok(used)
}

fn write_action(w: &mut Xml, a: &Action) {
    w.leaf("Type", &a.kind);
    let tgs = a.target_groups();
    if a.kind == "forward" && tgs.len() == 1 {
        w.leaf("TargetGroupArn", tgs[0]);
    }
    w.opt("Order", a.order.map(|o| o.to_string()));
    if let Some(r) = &a.redirect {
        w.open("RedirectConfig")
            .leaf("Protocol", &r.protocol)
            .leaf("Port", &r.port)
            .leaf("Host", &r.host)
            .leaf("Path", &r.path)
            .leaf("Query", &r.query)
            .leaf("StatusCode", &r.status_code)
            .close("RedirectConfig");
    }
    if let Some(f) = &a.fixed_response {
        w.open("FixedResponseConfig")
            .opt("MessageBody", f.message_body.as_ref())
            .leaf("StatusCode", &f.status_code)
            .opt("ContentType", f.content_type.as_ref())
            .close("FixedResponseConfig");
    }
    if a.kind != "forward" {
        return;
    }
    w.open("ForwardConfig");
    let tgs: Vec<(String, Option<i64>)> = match &a.forward {
        Some(f) => f.clone(),
        None => a.target_group_arn.iter().map(|t| (t.clone(), None)).collect(),
    };
    w.list("TargetGroups", tgs, |w, (t, weight)| {
        w.leaf("TargetGroupArn", t).opt("Weight", weight.map(|x| x.to_string()));
    });
    if let Some((enabled, duration)) = a.stickiness {
        w.open("TargetGroupStickinessConfig").bool("Enabled", enabled).opt("DurationSeconds", duration.map(|d| d.to_string()));
        w.close("TargetGroupStickinessConfig");
    }
    w.close("ForwardConfig");
}

pub fn write_actions(w: &mut Xml, name: &str, actions: &[Action]) {
    w.list(name, actions, write_action);
}
