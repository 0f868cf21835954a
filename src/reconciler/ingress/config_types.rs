//! The JSON of `actions.<name>` and `conditions.<name>` annotations (lbc-ingress.md §2.5, the
//! controller's `config_types.go`): field names as the controller reads them, and its
//! validation texts. `transforms.*` and authentication are not emulated (docs/reconciler.md).

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixedResponse {
    pub content_type: Option<String>,
    pub message_body: Option<String>,
    #[serde(default)]
    pub status_code: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Redirect {
    pub host: Option<String>,
    pub path: Option<String>,
    pub port: Option<String>,
    pub protocol: Option<String>,
    pub query: Option<String>,
    #[serde(default)]
    pub status_code: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tuple {
    #[serde(rename = "targetGroupARN")]
    pub target_group_arn: Option<String>,
    pub target_group_name: Option<String>,
    pub service_name: Option<String>,
    pub service_port: Option<IntOrString>,
    pub weight: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stickiness {
    pub enabled: Option<bool>,
    pub duration_seconds: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Forward {
    #[serde(default)]
    pub target_groups: Vec<Tuple>,
    pub target_group_stickiness_config: Option<Stickiness>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    #[serde(rename = "type", default)]
    pub type_: String,
    #[serde(rename = "targetGroupARN")]
    pub target_group_arn: Option<String>,
    pub target_group_name: Option<String>,
    pub fixed_response_config: Option<FixedResponse>,
    pub redirect_config: Option<Redirect>,
    pub forward_config: Option<Forward>,
}

impl Tuple {
    fn validate(&self) -> Result<(), String> {
        let by_tg = self.target_group_arn.is_some() || self.target_group_name.is_some();
        match (self.service_name.is_some(), by_tg) {
            (false, false) => Err("missing serviceName or targetGroupARN/targetGroupName".into()),
            (true, true) => Err("either serviceName or targetGroupARN/targetGroupName can be specified".into()),
            (true, false) if self.service_port.is_none() => Err("missing servicePort".into()),
            _ => Ok(()),
        }
    }
}

impl Action {
    pub fn validate(&self) -> Result<(), String> {
        match self.type_.as_str() {
            "fixed-response" => match &self.fixed_response_config {
                None => Err("missing FixedResponseConfig".into()),
                Some(f) if f.status_code.is_empty() => Err("invalid FixedResponseConfig: statusCode is required".into()),
                Some(_) => Ok(()),
            },
            "redirect" => match &self.redirect_config {
                None => Err("missing RedirectConfig".into()),
                Some(r) if r.status_code.is_empty() => Err("invalid RedirectConfig: statusCode is required".into()),
                Some(_) => Ok(()),
            },
            "forward" => {
                let simple = self.target_group_arn.is_some() || self.target_group_name.is_some();
                match (&self.forward_config, simple) {
                    (None, false) => Err("missing ForwardConfig or TargetGroupARN/TargetGroupName".into()),
                    (Some(_), true) => Err("either ForwardConfig or TargetGroupARN/TargetGroupName can be specified".into()),
                    (None, true) => Ok(()),
                    (Some(f), false) => {
                        for t in &f.target_groups {
                            t.validate().map_err(|e| format!("invalid ForwardConfig: invalid TargetGroupTuple: {e}"))?;
                        }
                        if f.target_groups.len() > 1 && f.target_groups.iter().any(|t| t.weight.is_none()) {
                            return Err("invalid ForwardConfig: weight must be set when route to multiple target groups".into());
                        }
                        Ok(())
                    }
                }
            }
            other => Err(format!("unknown action type: {other}")),
        }
    }

    /// The simplified schema (`targetGroupARN` / `targetGroupName` on the action) as a
    /// one-tuple forward, and numeric-looking string service ports as numbers.
    pub fn normalize(mut self) -> Action {
        if self.type_ == "forward" && (self.target_group_arn.is_some() || self.target_group_name.is_some()) {
            self.forward_config = Some(Forward {
                target_groups: vec![Tuple {
                    target_group_arn: self.target_group_arn.take(),
                    target_group_name: self.target_group_name.take(),
                    ..Tuple::default()
                }],
                target_group_stickiness_config: None,
            });
        }
        if let Some(f) = self.forward_config.as_mut() {
            for t in f.target_groups.iter_mut() {
                if let Some(IntOrString::String(s)) = &t.service_port
                    && let Ok(n) = s.parse::<i32>()
                {
                    t.service_port = Some(IntOrString::Int(n));
                }
            }
        }
        self
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Values {
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub regex_values: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    #[serde(default)]
    pub http_header_name: String,
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub regex_values: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct KeyValue {
    pub key: Option<String>,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Query {
    #[serde(default)]
    pub values: Vec<KeyValue>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(default)]
    pub field: String,
    pub host_header_config: Option<Values>,
    pub http_header_config: Option<Header>,
    pub http_request_method_config: Option<Values>,
    pub path_pattern_config: Option<Values>,
    pub query_string_config: Option<Query>,
    /// The controller's spelling.
    #[serde(rename = "sourceIPConfig")]
    pub source_ip_config: Option<Values>,
}

fn one_of(v: &Values) -> Result<(), String> {
    match (v.values.is_empty(), v.regex_values.is_empty()) {
        (true, true) => Err("values or regexValues must be specified".into()),
        (false, false) => Err("precisely one of values and regexValues can be specified".into()),
        _ => Ok(()),
    }
}

impl Condition {
    pub fn validate(&self) -> Result<(), String> {
        let need = |name: &str| format!("missing {name}");
        let wrap = |name: &str, e: String| format!("invalid {name}: {e}");
        match self.field.as_str() {
            "host-header" => {
                one_of(self.host_header_config.as_ref().ok_or_else(|| need("hostHeaderConfig"))?).map_err(|e| wrap("hostHeaderConfig", e))
            }
            "path-pattern" => one_of(self.path_pattern_config.as_ref().ok_or_else(|| need("pathPatternConfig"))?)
                .map_err(|e| wrap("pathPatternConfig", e)),
            "http-header" => {
                let h = self.http_header_config.as_ref().ok_or_else(|| need("httpHeaderConfig"))?;
                one_of(&Values { values: h.values.clone(), regex_values: h.regex_values.clone() }).map_err(|e| wrap("httpHeaderConfig", e))
            }
            "http-request-method" => match &self.http_request_method_config {
                None => Err(need("httpRequestMethodConfig")),
                Some(v) if v.values.is_empty() => Err(wrap("httpRequestMethodConfig", "values cannot be empty".into())),
                Some(_) => Ok(()),
            },
            "query-string" => match &self.query_string_config {
                None => Err(need("queryStringConfig")),
                Some(q) if q.values.is_empty() => Err(wrap("queryStringConfig", "Values cannot be empty".into())),
                Some(q) if q.values.iter().any(|kv| kv.value.is_empty()) => Err(wrap("queryStringConfig", "value cannot be empty".into())),
                Some(_) => Ok(()),
            },
            "source-ip" => match &self.source_ip_config {
                None => Err(need("sourceIPConfig")),
                Some(v) if v.values.is_empty() => Err(wrap("sourceIPConfig", "values cannot be empty".into())),
                Some(_) => Ok(()),
            },
            other => Err(format!("unknown condition field: {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_validate_and_normalize() {
        let a: Action = serde_json::from_str(r#"{"type":"forward","targetGroupARN":"arn:tg"}"#).unwrap();
        assert!(a.validate().is_ok());
        let a = a.normalize();
        assert_eq!(a.forward_config.unwrap().target_groups[0].target_group_arn.as_deref(), Some("arn:tg"));
        let two: Action = serde_json::from_str(
            r#"{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"a","servicePort":"80"},{"serviceName":"b","servicePort":80,"weight":1}]}}"#,
        )
        .unwrap();
        assert_eq!(two.validate().unwrap_err(), "invalid ForwardConfig: weight must be set when route to multiple target groups");
        let fixed: Action =
            serde_json::from_str(r#"{"type":"fixed-response","fixedResponseConfig":{"contentType":"text/plain"}}"#).unwrap();
        assert_eq!(fixed.validate().unwrap_err(), "invalid FixedResponseConfig: statusCode is required");
        let c: Condition =
            serde_json::from_str(r#"{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X","values":["a"],"regexValues":["b"]}}"#)
                .unwrap();
        assert_eq!(c.validate().unwrap_err(), "invalid httpHeaderConfig: precisely one of values and regexValues can be specified");
    }
}
