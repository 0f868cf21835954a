//! Rule conditions of Application Load Balancers (lbc-ingress.md §8.2, BC-ELB `RuleCondition`):
//! parsing both the legacy `Values` and the `*Config` forms, the per-rule limits (at most one
//! host-header, path-pattern, http-request-method and source-ip condition; condition values and
//! wildcards per rule from the quota table), and the writer. Decision (`parse_conditions`,
//! `check_condition_quotas`) and rendering (`write_conditions`) are separate functions.
//!
//! Read-back: host-header and path-pattern conditions are written with both the legacy `Values`
//! and their `*Config`, the other fields with their `*Config` only, values in request order —
//! what AWS is believed to return (lbc-ingress.md §8.1 [unverified]).

use std::net::IpAddr;

use super::common::{member_path, required};
use crate::error::{ApiError, ApiResult};
use crate::state::Quotas;
use crate::state::elbv2::Condition;
use crate::wire::{P, Xml};

const FIELDS: &[&str] = &["host-header", "path-pattern", "http-header", "http-request-method", "query-string", "source-ip"];

/// The `*Config` member of a field.
fn config_name(field: &str) -> &'static str {
    match field {
        "host-header" => "HostHeaderConfig",
        "path-pattern" => "PathPatternConfig",
        "http-header" => "HttpHeaderConfig",
        "http-request-method" => "HttpRequestMethodConfig",
        "query-string" => "QueryStringConfig",
        _ => "SourceIpConfig",
    }
}

fn strings(p: &P, name: &str) -> ApiResult<Vec<String>> {
    Ok(p.strings(name)?.into_iter().map(String::from).collect())
}

/// One condition of `Conditions.member.N`.
fn parse_one(c: &P) -> ApiResult<Condition> {
    let field = required(c, "Field")?;
    if !FIELDS.contains(&field) {
        // [unverified] text.
        return Err(ApiError::validation(format!("Condition field '{field}' must be one of [{}]", FIELDS.join(", "))));
    }
    let config = config_name(field);
    let legacy = strings(c, "Values")?;
    let legacy_regex = strings(c, "RegexValues")?;
    let has_config = c.has_child(config);
    if has_config && (!legacy.is_empty() || !legacy_regex.is_empty()) {
        // OBS (ACK community#2759).
        return Err(ApiError::validation(format!("You cannot provide both Values and '{config}' for a condition of type '{field}'")));
    }
    // Legacy Values exist for host-header and path-pattern only, one value (BC-ELB doc); the
    // texts of this file are moto's, which read like AWS's [unverified].
    if !has_config && !matches!(field, "host-header" | "path-pattern") {
        return Err(ApiError::validation(format!("A '{config}' must be specified with '{field}'")));
    }
    if legacy.len() > 1 {
        return Err(ApiError::validation(format!("The '{field}' field contains too many values; the limit is '1'")));
    }
    let cfg = c.child(config);
    let mut out = Condition { field: field.to_string(), values: legacy, regex_values: legacy_regex, header_name: None, query: Vec::new() };
    if has_config {
        match field {
            "query-string" => {
                for kv in cfg.list("Values")? {
                    let value = kv.str("Value").unwrap_or("");
                    if value.is_empty() {
                        return Err(ApiError::validation("A 'Value' must be specified in 'QueryStringKeyValuePair'"));
                    }
                    if value.len() > 128 {
                        return Err(ApiError::validation("The 'Value' value is too long; the limit is '128'"));
                    }
                    if kv.str("Key").is_some_and(|k| k.len() > 128) {
                        return Err(ApiError::validation("The 'Key' value is too long; the limit is '128'"));
                    }
                    out.query.push((kv.str("Key").filter(|k| !k.is_empty()).map(String::from), value.to_string()));
                }
            }
            _ => {
                out.values = strings(&cfg, "Values")?;
                out.regex_values = strings(&cfg, "RegexValues")?;
            }
        }
        if field == "http-header" {
            let name = required(&cfg, "HttpHeaderName")
                .map_err(|_| ApiError::validation("An HTTP header condition must specify 'HttpHeaderName'"))?;
            if name.len() > 40 {
                return Err(ApiError::validation("The 'HttpHeaderName' value is too long; the limit is '40'"));
            }
            out.header_name = Some(name.to_string());
        }
    }
    if !out.values.is_empty() && !out.regex_values.is_empty() {
        return Err(ApiError::validation(format!("A condition of type '{field}' cannot have both Values and RegexValues")));
    }
    if !out.regex_values.is_empty() && !matches!(field, "host-header" | "path-pattern" | "http-header") {
        return Err(ApiError::validation(format!("RegexValues are not supported for a condition of type '{field}'")));
    }
    if out.values.is_empty() && out.regex_values.is_empty() && out.query.is_empty() {
        return Err(ApiError::validation(match field {
            "host-header" | "path-pattern" => "A condition value must be specified".to_string(),
            _ => format!("A '{field}' value must be specified"),
        }));
    }
    check_values(&out)?;
    Ok(out)
}

/// Value rules of each field (BC-ELB `*ConditionConfig` docs).
fn check_values(c: &Condition) -> ApiResult<()> {
    let field = c.field.as_str();
    let too_long = || {
        ApiError::validation(format!(
            "The '{field}' value is too long; the limit is '{}'",
            if field == "http-request-method" { 40 } else { 128 }
        ))
    };
    for v in c.values.iter().chain(&c.regex_values) {
        match field {
            "host-header" | "path-pattern" | "http-header" if v.len() > 128 => return Err(too_long()),
            "host-header" if !v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.*?_".contains(&b)) && c.regex_values.is_empty() => {
                // OBS (CloudFormation, convox/praxis#169).
                return Err(ApiError::validation("Condition value for field 'host-header' must be a valid hostname"));
            }
            "http-request-method" if v.len() > 40 => return Err(too_long()),
            "http-request-method" if !v.bytes().all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_') => {
                return Err(ApiError::validation(
                    "The 'http-request-method' value is invalid; the allowed characters are A-Z, hyphen and underscore",
                ));
            }
            "source-ip" if !cidr_ok(v) => {
                // [unverified] text.
                return Err(ApiError::validation(format!("The 'source-ip' value '{v}' is not a valid CIDR block")));
            }
            _ => {}
        }
    }
    Ok(())
}

fn cidr_ok(v: &str) -> bool {
    let Some((ip, len)) = v.split_once('/') else { return false };
    match (ip.parse::<IpAddr>(), len.parse::<u8>()) {
        (Ok(IpAddr::V4(_)), Ok(l)) => l <= 32,
        (Ok(IpAddr::V6(_)), Ok(l)) => l <= 128,
        _ => false,
    }
}

/// Reads `Conditions.member.N`; at most one condition of each single-use field per rule.
pub fn parse_conditions(p: &P, list: &str) -> ApiResult<Vec<Condition>> {
    let mut out: Vec<Condition> = Vec::new();
    for (i, c) in p.list(list)?.into_iter().enumerate() {
        let cond = parse_one(&c).map_err(|e| {
            if e.message.contains("must not be null") {
                ApiError::validation(format!(
                    "1 validation error detected: Value null at '{}.{}.member.field' failed to satisfy constraint: Member must not be null",
                    member_path(list),
                    i + 1
                ))
            } else {
                e
            }
        })?;
        let single = matches!(cond.field.as_str(), "host-header" | "path-pattern" | "http-request-method" | "source-ip");
        if single && out.iter().any(|o| o.field == cond.field) {
            // [unverified] text.
            return Err(ApiError::validation(format!("A rule can only have one '{}' condition", cond.field)));
        }
        out.push(cond);
    }
    Ok(out)
}

/// The condition-value and wildcard quotas of one rule. A query-string pair counts as one value
/// (its key and value both count wildcards); a header name is not a value.
pub fn check_condition_quotas(conditions: &[Condition], q: &Quotas) -> ApiResult<()> {
    let mut values = 0u64;
    let mut wildcards = 0u64;
    let wild = |s: &str| s.bytes().filter(|b| *b == b'*' || *b == b'?').count() as u64;
    for c in conditions {
        values += (c.values.len() + c.regex_values.len() + c.query.len()) as u64;
        if c.field != "source-ip" {
            wildcards += c.values.iter().map(|v| wild(v)).sum::<u64>();
            wildcards += c.query.iter().map(|(k, v)| k.as_deref().map_or(0, wild) + wild(v)).sum::<u64>();
        }
    }
    if values > q.condition_values_per_alb_rule {
        return Err(ApiError::too_many_condition_values(q.condition_values_per_alb_rule));
    }
    if wildcards > q.condition_wildcards_per_alb_rule {
        return Err(ApiError::too_many_wildcards(q.condition_wildcards_per_alb_rule));
    }
    Ok(())
}

fn write_one(w: &mut Xml, c: &Condition) {
    w.leaf("Field", &c.field);
    let legacy = matches!(c.field.as_str(), "host-header" | "path-pattern");
    if legacy && !c.values.is_empty() {
        w.strings("Values", &c.values);
    }
    let config = config_name(&c.field);
    w.open(config);
    match c.field.as_str() {
        "query-string" => {
            w.list("Values", &c.query, |w, (k, v)| {
                w.opt("Key", k.as_ref()).leaf("Value", v);
            });
        }
        _ => {
            w.opt("HttpHeaderName", c.header_name.as_ref());
            if !c.values.is_empty() {
                w.strings("Values", &c.values);
            }
            if !c.regex_values.is_empty() {
                w.strings("RegexValues", &c.regex_values);
            }
        }
    }
    w.close(config);
}

pub fn write_conditions(w: &mut Xml, conditions: &[Condition]) {
    w.list("Conditions", conditions, write_one);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(field: &str, values: &[&str]) -> Condition {
        Condition {
            field: field.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
            regex_values: vec![],
            header_name: None,
            query: vec![],
        }
    }

    #[test]
    fn quotas_count_values_and_wildcards_over_the_rule() {
        let q = Quotas::default();
        let ok = [cond("host-header", &["a.example.com", "*.example.com"]), cond("path-pattern", &["/api", "/api/*"])];
        assert!(check_condition_quotas(&ok, &q).is_ok());
        let six = [cond("host-header", &["a.com", "b.com", "c.com"]), cond("path-pattern", &["/a", "/b", "/c"])];
        assert_eq!(check_condition_quotas(&six, &q).unwrap_err().message, "A rule can only have '5' condition values");
        let wild = [cond("path-pattern", &["/*/*/*", "/??/*"])];
        assert!(check_condition_quotas(&wild, &q).unwrap_err().message.contains("wildcards"));
        let cidrs = [cond("source-ip", &["10.0.0.0/8"])];
        assert!(check_condition_quotas(&cidrs, &q).is_ok());
    }

    #[test]
    fn values_follow_the_field_rules() {
        assert!(check_values(&cond("http-request-method", &["GET", "CUSTOM_VERB"])).is_ok());
        assert!(check_values(&cond("http-request-method", &["get"])).is_err());
        assert!(check_values(&cond("source-ip", &["10.0.0.0/33"])).is_err());
        assert!(check_values(&cond("source-ip", &["2001:db8::/32"])).is_ok());
        assert!(check_values(&cond("host-header", &["bad host"])).is_err());
    }
}
