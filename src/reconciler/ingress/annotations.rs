//! Ingress annotations (lbc-ingress.md §2.1): only `alb.ingress.kubernetes.io/<suffix>`, the
//! controller's value formats — stringList (comma separated, trimmed, empties dropped),
//! stringMap (`k=v`), bool (Go `ParseBool`), int32, JSON — and its error texts. Target-group
//! annotations read the Service's annotations over the Ingress's (the Service wins).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use crate::reconciler::annotations::parse_bool;

pub const PREFIX: &str = "alb.ingress.kubernetes.io/";
/// The legacy class annotation (no prefix).
pub const INGRESS_CLASS: &str = "kubernetes.io/ingress.class";

pub const LOAD_BALANCER_NAME: &str = "load-balancer-name";
pub const TAGS: &str = "tags";
pub const IP_ADDRESS_TYPE: &str = "ip-address-type";
pub const SCHEME: &str = "scheme";
pub const SUBNETS: &str = "subnets";
pub const LB_ATTRIBUTES: &str = "load-balancer-attributes";
pub const SECURITY_GROUPS: &str = "security-groups";
pub const MANAGE_BACKEND_RULES: &str = "manage-backend-security-group-rules";
pub const LISTEN_PORTS: &str = "listen-ports";
pub const SSL_REDIRECT: &str = "ssl-redirect";
pub const INBOUND_CIDRS: &str = "inbound-cidrs";
pub const PREFIX_LISTS: &str = "security-group-prefix-lists";
pub const CERTIFICATE_ARN: &str = "certificate-arn";
pub const SSL_POLICY: &str = "ssl-policy";
pub const TARGET_TYPE: &str = "target-type";
pub const BACKEND_PROTOCOL: &str = "backend-protocol";
pub const BACKEND_PROTOCOL_VERSION: &str = "backend-protocol-version";
pub const TG_ATTRIBUTES: &str = "target-group-attributes";
pub const HC_PORT: &str = "healthcheck-port";
pub const HC_PROTOCOL: &str = "healthcheck-protocol";
pub const HC_PATH: &str = "healthcheck-path";
pub const HC_INTERVAL: &str = "healthcheck-interval-seconds";
pub const HC_TIMEOUT: &str = "healthcheck-timeout-seconds";
pub const HC_HEALTHY: &str = "healthy-threshold-count";
pub const HC_UNHEALTHY: &str = "unhealthy-threshold-count";
pub const SUCCESS_CODES: &str = "success-codes";
pub const TARGET_NODE_LABELS: &str = "target-node-labels";
pub const AUTH_TYPE: &str = "auth-type";
pub const USE_REGEX_PATH_MATCH: &str = "use-regex-path-match";

/// One annotation map read with the `alb.ingress.kubernetes.io/` prefix.
#[derive(Clone, Copy)]
pub struct Alb<'a>(pub &'a BTreeMap<String, String>);

impl<'a> Alb<'a> {
    pub fn str(&self, suffix: &str) -> Option<&'a str> {
        self.0.get(&format!("{PREFIX}{suffix}")).map(String::as_str)
    }
    pub fn list(&self, suffix: &str) -> Option<Vec<String>> {
        self.str(suffix).map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
    }
    pub fn map(&self, suffix: &str) -> Result<Option<BTreeMap<String, String>>, String> {
        let Some(v) = self.str(suffix) else { return Ok(None) };
        let mut out = BTreeMap::new();
        for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (k, val) = item.split_once('=').ok_or_else(|| format!("failed to parse stringMap annotation, {PREFIX}{suffix}: {v}"))?;
            if k.trim().is_empty() {
                return Err(format!("failed to parse stringMap annotation, {PREFIX}{suffix}: {v}"));
            }
            out.insert(k.trim().to_string(), val.trim().to_string());
        }
        Ok(Some(out))
    }
    pub fn bool(&self, suffix: &str) -> Result<Option<bool>, String> {
        match self.str(suffix) {
            None => Ok(None),
            Some(v) => parse_bool(v).map(Some).ok_or_else(|| {
                format!("failed to parse bool annotation, {PREFIX}{suffix}: {v}: strconv.ParseBool: parsing {v:?}: invalid syntax")
            }),
        }
    }
    pub fn int32(&self, suffix: &str) -> Result<Option<i32>, String> {
        match self.str(suffix) {
            None => Ok(None),
            Some(v) => v.parse::<i32>().map(Some).map_err(|_| {
                format!("failed to parse int32 annotation, {PREFIX}{suffix}: {v}: strconv.ParseInt: parsing {v:?}: invalid syntax")
            }),
        }
    }
    pub fn json<T: DeserializeOwned>(&self, suffix: &str) -> Result<Option<T>, String> {
        match self.str(suffix) {
            None => Ok(None),
            Some(v) => {
                serde_json::from_str(v).map(Some).map_err(|e| format!("failed to parse json annotation, {PREFIX}{suffix}: {v}: {e}"))
            }
        }
    }
}

/// The Service's annotations over the Ingress's (target-group level, §2.1).
pub fn merged(service: &BTreeMap<String, String>, ingress: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut m = ingress.clone();
    m.extend(service.iter().map(|(k, v)| (k.clone(), v.clone())));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_service_precedence() {
        let m: BTreeMap<String, String> = [
            (format!("{PREFIX}{SUBNETS}"), " subnet-a, ,subnet-b ".to_string()),
            (format!("{PREFIX}{TAGS}"), "team=a,bad".to_string()),
            (format!("{PREFIX}group.order"), "x".to_string()),
        ]
        .into();
        let a = Alb(&m);
        assert_eq!(a.list(SUBNETS).unwrap(), ["subnet-a", "subnet-b"]);
        assert_eq!(a.map(TAGS).unwrap_err(), "failed to parse stringMap annotation, alb.ingress.kubernetes.io/tags: team=a,bad");
        assert!(a.int32("group.order").unwrap_err().starts_with("failed to parse int32 annotation"));
        let svc: BTreeMap<String, String> = [(format!("{PREFIX}{SUBNETS}"), "subnet-c".to_string())].into();
        assert_eq!(Alb(&merged(&svc, &m)).list(SUBNETS).unwrap(), ["subnet-c"]);
    }
}
