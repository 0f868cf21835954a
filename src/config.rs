//! Server configuration: listen address, accounts, quotas, Region settings and the id seed.
//! Loaded from an optional YAML file (`--config`); everything has a default so lbsim runs bare.
//!
//! YAML crate: serde_yaml_ng — the maintained continuation of serde_yaml with the same API
//! (serde_yaml is archived); serde_norway is an equivalent fork, serde-saphyr is newer and
//! less used. We need only derive-based loading with line/column errors, which all give.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

use crate::state::{Quotas, RegionSettings};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Account for access keys that are not 12 digits and not listed in `access_keys`.
    pub default_account: String,
    /// Region for unsigned requests.
    pub default_region: String,
    /// Access key id → account id.
    pub access_keys: HashMap<String, String>,
    /// Access keys that sign as an AWS service, not a customer: calls only AWS services may make
    /// (ValidateSecurityGroupQuotasForInterface) are evaluated for them and refused for others.
    pub service_access_keys: Vec<String>,
    /// Quota overrides for every account, by quota name (`rules-per-security-group: 10`).
    pub quotas: BTreeMap<String, u64>,
    /// Which bucket group-reference rules count in: both (default), ipv4 or ipv6.
    pub group_reference_bucket: Option<crate::state::quotas::RefBucket>,
    /// Per-account overrides, applied over `quotas`.
    pub accounts: HashMap<String, AccountConfig>,
    /// Settings per Region name.
    pub regions: HashMap<String, RegionSettings>,
    /// Seed of the id generator; random when absent.
    pub seed: Option<u64>,
    /// Bearer token for the admin API (`/_lbsim/…`); when set, every protected admin request must
    /// present it, from any peer. Unset: only loopback peers may use the admin API.
    pub admin_token: Option<String>,
    /// Entries kept by the request log (`GET /_lbsim/requests`); 0 turns it off.
    pub request_log_size: usize,
    /// Where snapshots are loaded from and written to (`--state-file`).
    pub state_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountConfig {
    pub quotas: BTreeMap<String, u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_account: "000000000000".into(),
            default_region: "us-east-1".into(),
            access_keys: HashMap::new(),
            service_access_keys: Vec::new(),
            quotas: BTreeMap::new(),
            group_reference_bucket: None,
            accounts: HashMap::new(),
            regions: HashMap::new(),
            seed: None,
            admin_token: None,
            request_log_size: 1000,
            state_file: None,
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let cfg: Config = serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        cfg.base_quotas()?;
        for a in cfg.accounts.keys() {
            cfg.account_quotas(a)?;
        }
        Ok(cfg)
    }

    /// The account id for an access key: a 12-digit key is the account itself (LocalStack's
    /// convention, aws-api.md §1.2), a listed key maps as configured, anything else is the default.
    pub fn account_for(&self, access_key: Option<&str>) -> String {
        match access_key {
            Some(k) if k.len() == 12 && k.bytes().all(|b| b.is_ascii_digit()) => k.to_string(),
            Some(k) => self.access_keys.get(k).cloned().unwrap_or_else(|| self.default_account.clone()),
            None => self.default_account.clone(),
        }
    }

    /// Whether a caller signs as an AWS service (`service_access_keys`).
    pub fn is_service(&self, access_key: Option<&str>) -> bool {
        access_key.is_some_and(|k| self.service_access_keys.iter().any(|s| s == k))
    }

    pub fn base_quotas(&self) -> Result<Quotas, String> {
        let mut q = Quotas::default();
        for (k, v) in &self.quotas {
            q.set(k, *v)?;
        }
        if let Some(b) = self.group_reference_bucket {
            q.group_reference_bucket = b;
        }
        Ok(q)
    }

    pub fn account_quotas(&self, account: &str) -> Result<Quotas, String> {
        let mut q = self.base_quotas()?;
        if let Some(a) = self.accounts.get(account) {
            for (k, v) in &a.quotas {
                q.set(k, *v)?;
            }
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_from_keys() {
        let mut c = Config::default();
        c.access_keys.insert("AKIAEXAMPLE".into(), "111122223333".into());
        assert_eq!(c.account_for(Some("123456789012")), "123456789012");
        assert_eq!(c.account_for(Some("AKIAEXAMPLE")), "111122223333");
        assert_eq!(c.account_for(Some("test")), "000000000000");
        assert_eq!(c.account_for(None), "000000000000");
    }

    #[test]
    fn yaml_quotas_and_bad_names() {
        let c: Config = serde_yaml_ng::from_str(
            "quotas:\n  rules-per-security-group: 10\naccounts:\n  '111122223333':\n    quotas:\n      security-groups-per-region: 3\n",
        )
        .unwrap();
        assert_eq!(c.account_quotas("111122223333").unwrap().security_groups_per_region, 3);
        assert_eq!(c.account_quotas("111122223333").unwrap().rules_per_security_group, 10);
        let bad: Config = serde_yaml_ng::from_str("quotas:\n  no-such-quota: 1\n").unwrap();
        assert!(bad.base_quotas().is_err());
    }
}
