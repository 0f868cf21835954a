//! Service annotation parsing (lbc-reconciler.md §1.3): only `service.beta.kubernetes.io/<suffix>`;
//! stringList (comma separated, trimmed, empties dropped), stringMap (`k=v`, split on the first
//! `=`, empty key is an error), bool (Go `ParseBool`), int (base-10).

use std::collections::BTreeMap;

pub const PREFIX: &str = "service.beta.kubernetes.io/";

pub const TYPE: &str = "aws-load-balancer-type";
pub const TARGET_TYPE: &str = "aws-load-balancer-nlb-target-type";
pub const NAME: &str = "aws-load-balancer-name";
pub const SCHEME: &str = "aws-load-balancer-scheme";
pub const INTERNAL: &str = "aws-load-balancer-internal";
pub const IP_ADDRESS_TYPE: &str = "aws-load-balancer-ip-address-type";
pub const SUBNETS: &str = "aws-load-balancer-subnets";
pub const EIP_ALLOCATIONS: &str = "aws-load-balancer-eip-allocations";
pub const PRIVATE_IPV4: &str = "aws-load-balancer-private-ipv4-addresses";
pub const LB_ATTRIBUTES: &str = "aws-load-balancer-attributes";
pub const TG_ATTRIBUTES: &str = "aws-load-balancer-target-group-attributes";
pub const PROXY_PROTOCOL: &str = "aws-load-balancer-proxy-protocol";
pub const ADDITIONAL_TAGS: &str = "aws-load-balancer-additional-resource-tags";
pub const HC_PROTOCOL: &str = "aws-load-balancer-healthcheck-protocol";
pub const HC_PORT: &str = "aws-load-balancer-healthcheck-port";
pub const HC_PATH: &str = "aws-load-balancer-healthcheck-path";
pub const HC_INTERVAL: &str = "aws-load-balancer-healthcheck-interval";
pub const HC_TIMEOUT: &str = "aws-load-balancer-healthcheck-timeout";
pub const HC_HEALTHY: &str = "aws-load-balancer-healthcheck-healthy-threshold";
pub const HC_UNHEALTHY: &str = "aws-load-balancer-healthcheck-unhealthy-threshold";
pub const HC_SUCCESS_CODES: &str = "aws-load-balancer-healthcheck-success-codes";
pub const SSL_CERT: &str = "aws-load-balancer-ssl-cert";
pub const SSL_PORTS: &str = "aws-load-balancer-ssl-ports";
pub const SSL_POLICY: &str = "aws-load-balancer-ssl-negotiation-policy";
pub const BACKEND_PROTOCOL: &str = "aws-load-balancer-backend-protocol";
pub const ALPN: &str = "aws-load-balancer-alpn-policy";
pub const TARGET_NODE_LABELS: &str = "aws-load-balancer-target-node-labels";
pub const SOURCE_RANGES: &str = "load-balancer-source-ranges";
pub const SECURITY_GROUPS: &str = "aws-load-balancer-security-groups";
pub const MANAGE_BACKEND_RULES: &str = "aws-load-balancer-manage-backend-security-group-rules";
// Later additions (latest profile).
pub const PRIVATE_LINK_INBOUND: &str = "aws-load-balancer-inbound-sg-rules-on-private-link-traffic";
pub const PREFIX_LISTS: &str = "aws-load-balancer-security-group-prefix-lists";
pub const ICMP_MTU: &str = "aws-load-balancer-enable-icmp-for-path-mtu-discovery";
pub const DISABLE_NLB_SG: &str = "aws-load-balancer-disable-nlb-sg";

pub struct Annotations<'a>(pub &'a BTreeMap<String, String>);

/// Go's `strconv.ParseBool`.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

impl<'a> Annotations<'a> {
    pub fn str(&self, suffix: &str) -> Option<&'a str> {
        self.0.get(&format!("{PREFIX}{suffix}")).map(|s| s.as_str())
    }
    pub fn has(&self, suffix: &str) -> bool {
        self.str(suffix).is_some()
    }
    pub fn list(&self, suffix: &str) -> Option<Vec<String>> {
        self.str(suffix).map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
    }
    pub fn map(&self, suffix: &str) -> Result<Option<BTreeMap<String, String>>, String> {
        let Some(v) = self.str(suffix) else { return Ok(None) };
        let mut out = BTreeMap::new();
        for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (k, val) = item.split_once('=').unwrap_or((item, ""));
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
    pub fn int(&self, suffix: &str) -> Result<Option<i64>, String> {
        match self.str(suffix) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                format!("failed to parse int64 annotation, {PREFIX}{suffix}: {v}: strconv.ParseInt: parsing {v:?}: invalid syntax")
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let m: BTreeMap<String, String> = [
            (format!("{PREFIX}{SUBNETS}"), " subnet-a, ,subnet-b ".to_string()),
            (format!("{PREFIX}{ADDITIONAL_TAGS}"), "team=a, env=prod=1".to_string()),
            (format!("{PREFIX}{MANAGE_BACKEND_RULES}"), "T".to_string()),
            (format!("{PREFIX}{HC_INTERVAL}"), "x".to_string()),
            (format!("{PREFIX}{LB_ATTRIBUTES}"), "=v".to_string()),
        ]
        .into();
        let a = Annotations(&m);
        assert_eq!(a.list(SUBNETS).unwrap(), ["subnet-a", "subnet-b"]);
        assert_eq!(a.map(ADDITIONAL_TAGS).unwrap().unwrap()["env"], "prod=1");
        assert_eq!(a.bool(MANAGE_BACKEND_RULES).unwrap(), Some(true));
        assert!(a.int(HC_INTERVAL).is_err());
        assert!(a.map(LB_ATTRIBUTES).is_err());
        assert_eq!(a.bool(SCHEME).unwrap(), None);
    }
}
