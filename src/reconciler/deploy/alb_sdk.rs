//! ALB actions and conditions between the model and the SDK (lbc-ingress.md §5.4): what the
//! controller sends (`buildSDKActions` numbers `Order` 1, 2 …; forwards always as a
//! `ForwardConfig` with gate `WeightedTargetGroups`, else a plain `TargetGroupArn`; conditions
//! fill only their `*Config`), and what it reads back (the `*Config` forms, legacy `Values`
//! ignored). Target groups are resolved from resource ids to ARNs here.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, ForwardActionConfig, HostHeaderConditionConfig, HttpHeaderConditionConfig,
    HttpRequestMethodConditionConfig, PathPatternConditionConfig, QueryStringConditionConfig, QueryStringKeyValuePair,
    RedirectActionConfig, RedirectActionStatusCodeEnum, RuleCondition as SdkCondition, SourceIpConditionConfig,
    TargetGroupStickinessConfig, TargetGroupTuple,
};

use crate::reconciler::model::alb::{RuleAction, RuleCondition, TgRef};

/// Resource ids → ARNs; an id the target-group pass did not produce stays as written (AWS then
/// refuses it, as it would an unknown ARN).
pub fn resolve(actions: &[RuleAction], tgs: &BTreeMap<String, String>) -> Vec<RuleAction> {
    actions
        .iter()
        .map(|a| match a {
            RuleAction::Forward { target_groups, stickiness } => RuleAction::Forward {
                target_groups: target_groups
                    .iter()
                    .map(|(t, w)| {
                        let arn = match t {
                            TgRef::Resource(id) => tgs.get(id).cloned().unwrap_or_else(|| id.clone()),
                            TgRef::Arn(a) => a.clone(),
                        };
                        (TgRef::Arn(arn), *w)
                    })
                    .collect(),
                stickiness: *stickiness,
            },
            other => other.clone(),
        })
        .collect()
}

fn arn(t: &TgRef) -> &str {
    match t {
        TgRef::Arn(a) | TgRef::Resource(a) => a,
    }
}

/// SDK actions with `Order` 1, 2 …
pub fn sdk_actions(actions: &[RuleAction], weighted: bool) -> Result<Vec<Action>, String> {
    let mut out = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        let b = Action::builder().order(i as i32 + 1);
        let built = match a {
            RuleAction::Forward { target_groups, stickiness } => {
                let b = b.r#type(ActionTypeEnum::Forward);
                if weighted {
                    let mut f = ForwardActionConfig::builder();
                    for (t, w) in target_groups {
                        f = f.target_groups(TargetGroupTuple::builder().target_group_arn(arn(t)).set_weight(*w).build());
                    }
                    if let Some((enabled, duration)) = stickiness {
                        f = f.target_group_stickiness_config(
                            TargetGroupStickinessConfig::builder().enabled(*enabled).set_duration_seconds(*duration).build(),
                        );
                    }
                    b.forward_config(f.build())
                } else if target_groups.len() == 1 {
                    b.target_group_arn(arn(&target_groups[0].0))
                } else {
                    return Err("weighted target groups feature is disabled".into());
                }
            }
            RuleAction::Redirect { protocol, port, host, path, query, status_code } => b.r#type(ActionTypeEnum::Redirect).redirect_config(
                RedirectActionConfig::builder()
                    .set_protocol(protocol.clone())
                    .set_port(port.clone())
                    .set_host(host.clone())
                    .set_path(path.clone())
                    .set_query(query.clone())
                    .status_code(RedirectActionStatusCodeEnum::from(status_code.as_str()))
                    .build(),
            ),
            RuleAction::FixedResponse { status_code, content_type, message_body } => {
                b.r#type(ActionTypeEnum::FixedResponse).fixed_response_config(
                    FixedResponseActionConfig::builder()
                        .status_code(status_code)
                        .set_content_type(content_type.clone())
                        .set_message_body(message_body.clone())
                        .build(),
                )
            }
        };
        out.push(built.build());
    }
    Ok(out)
}

/// Actions as AWS returns them, in `Order`; kinds the model does not produce (authenticate-*)
/// come back as a fixed response nobody asks for, so they never compare equal.
pub fn from_sdk_actions(actions: &[Action]) -> Vec<RuleAction> {
    let mut sorted: Vec<&Action> = actions.iter().collect();
    sorted.sort_by_key(|a| a.order().unwrap_or(0));
    sorted
        .into_iter()
        .map(|a| match a.r#type().map(|t| t.as_str()) {
            Some("forward") => {
                let (target_groups, stickiness) = match a.forward_config() {
                    Some(f) if !f.target_groups().is_empty() => (
                        f.target_groups()
                            .iter()
                            .map(|t| (TgRef::Arn(t.target_group_arn().unwrap_or("").to_string()), t.weight()))
                            .collect(),
                        f.target_group_stickiness_config().map(|s| (s.enabled().unwrap_or(false), s.duration_seconds())),
                    ),
                    _ => (a.target_group_arn().map(|t| vec![(TgRef::Arn(t.to_string()), None)]).unwrap_or_default(), None),
                };
                RuleAction::Forward { target_groups, stickiness }
            }
            Some("redirect") => {
                let r = a.redirect_config();
                let s = |f: fn(&RedirectActionConfig) -> Option<&str>| r.and_then(f).map(String::from);
                RuleAction::Redirect {
                    protocol: s(RedirectActionConfig::protocol),
                    port: s(RedirectActionConfig::port),
                    host: s(RedirectActionConfig::host),
                    path: s(RedirectActionConfig::path),
                    query: s(RedirectActionConfig::query),
                    status_code: r.and_then(|r| r.status_code()).map(|c| c.as_str().to_string()).unwrap_or_default(),
                }
            }
            Some("fixed-response") => {
                let f = a.fixed_response_config();
                RuleAction::FixedResponse {
                    status_code: f.and_then(|f| f.status_code()).unwrap_or("").to_string(),
                    content_type: f.and_then(|f| f.content_type()).map(String::from),
                    message_body: f.and_then(|f| f.message_body()).map(String::from),
                }
            }
            other => RuleAction::FixedResponse { status_code: other.unwrap_or("").to_string(), content_type: None, message_body: None },
        })
        .collect()
}

fn opt(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

pub fn sdk_conditions(conditions: &[RuleCondition]) -> Vec<SdkCondition> {
    conditions
        .iter()
        .map(|c| {
            let b = SdkCondition::builder().field(&c.field);
            match c.field.as_str() {
                "host-header" => b.host_header_config(
                    HostHeaderConditionConfig::builder().set_values(opt(&c.values)).set_regex_values(opt(&c.regex_values)).build(),
                ),
                "path-pattern" => b.path_pattern_config(
                    PathPatternConditionConfig::builder().set_values(opt(&c.values)).set_regex_values(opt(&c.regex_values)).build(),
                ),
                "http-header" => b.http_header_config(
                    HttpHeaderConditionConfig::builder()
                        .set_http_header_name(c.header_name.clone())
                        .set_values(opt(&c.values))
                        .set_regex_values(opt(&c.regex_values))
                        .build(),
                ),
                "http-request-method" => {
                    b.http_request_method_config(HttpRequestMethodConditionConfig::builder().set_values(opt(&c.values)).build())
                }
                "source-ip" => b.source_ip_config(SourceIpConditionConfig::builder().set_values(opt(&c.values)).build()),
                "query-string" => b.query_string_config(
                    QueryStringConditionConfig::builder()
                        .set_values(Some(
                            c.query.iter().map(|(k, v)| QueryStringKeyValuePair::builder().set_key(k.clone()).value(v).build()).collect(),
                        ))
                        .build(),
                ),
                _ => b,
            }
            .build()
        })
        .collect()
}

/// Conditions as AWS returns them, from the `*Config` forms.
pub fn from_sdk_conditions(conditions: &[SdkCondition]) -> Vec<RuleCondition> {
    conditions
        .iter()
        .map(|c| {
            let field = c.field().unwrap_or("").to_string();
            let mut out = RuleCondition { field: field.clone(), ..RuleCondition::default() };
            match field.as_str() {
                "host-header" => {
                    if let Some(h) = c.host_header_config() {
                        out.values = h.values().to_vec();
                        out.regex_values = h.regex_values().to_vec();
                    }
                }
                "path-pattern" => {
                    if let Some(h) = c.path_pattern_config() {
                        out.values = h.values().to_vec();
                        out.regex_values = h.regex_values().to_vec();
                    }
                }
                "http-header" => {
                    if let Some(h) = c.http_header_config() {
                        out.header_name = h.http_header_name().map(String::from);
                        out.values = h.values().to_vec();
                        out.regex_values = h.regex_values().to_vec();
                    }
                }
                "http-request-method" => out.values = c.http_request_method_config().map(|h| h.values().to_vec()).unwrap_or_default(),
                "source-ip" => out.values = c.source_ip_config().map(|h| h.values().to_vec()).unwrap_or_default(),
                "query-string" => {
                    out.query = c
                        .query_string_config()
                        .map(|q| q.values().iter().map(|kv| (kv.key().map(String::from), kv.value().unwrap_or("").to_string())).collect())
                        .unwrap_or_default()
                }
                _ => {}
            }
            out
        })
        .collect()
}
