//! Server configuration: accounts and their access keys (with secrets when signatures are
//! verified), quotas, Region settings and the Regions requests may name, the admin API's access
//! rules, and the id seed. Loaded from an optional YAML file (`--config`); everything has a
//! default so lbsim runs bare. Every key is checked: an unknown one is refused with the list of
//! known ones (serde's `deny_unknown_fields` message), and `check` refuses values that cannot
//! work (a Region typo, an account id that is not 12 digits, a CIDR that does not parse).
//!
//! YAML crate: serde_yaml_ng — the maintained continuation of serde_yaml with the same API
//! (serde_yaml is archived); serde_norway is an equivalent fork, serde-saphyr is newer and
//! less used. We need only derive-based loading with line/column errors, which all give.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

use crate::state::{Quotas, RegionSettings};
use crate::wire::{self, regions};

/// Accounts that may hold state at once unless `max_accounts` says otherwise: each account's
/// Regions cost about 9 kB even when empty, so keys must not create worlds without bound.
pub const DEFAULT_MAX_ACCOUNTS: usize = 100;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Account for access keys that are not 12 digits and not listed in `access_keys`.
    pub default_account: String,
    /// Region for unsigned requests.
    pub default_region: String,
    /// Access key id → account id, or → `{account, secret}` (the secret is what signatures are
    /// verified with).
    pub access_keys: HashMap<String, AccessKey>,
    /// Quota overrides for every account, by quota name (`rules-per-security-group: 10`).
    pub quotas: BTreeMap<String, u64>,
    /// Which bucket group-reference rules count in: both (default), ipv4 or ipv6.
    pub group_reference_bucket: Option<crate::state::quotas::RefBucket>,
    /// Per-account overrides, applied over `quotas`.
    pub accounts: HashMap<String, AccountConfig>,
    /// Settings per Region name.
    pub regions: HashMap<String, RegionSettings>,
    /// The Regions requests may name; empty: AWS's public Regions (`wire::regions::KNOWN`).
    pub allowed_regions: Vec<String>,
    /// Most accounts that may hold state at once; a request for one more is refused as an
    /// unknown access key. Accounts named in `accounts` or `access_keys` always pass.
    pub max_accounts: usize,
    /// Verify every request's SigV4 signature against the secrets in `access_keys`
    /// (`--verify-signatures`); per account with `accounts.<id>.verify_signatures`.
    pub verify_signatures: bool,
    /// Seed of the id generator; random when absent.
    pub seed: Option<u64>,
    /// Bearer token for the admin API (`/_lbsim/…`); when set, every protected admin request must
    /// present it, from any peer. Unset: only loopback peers (and `admin_allow`) may use it.
    pub admin_token: Option<String>,
    /// Peers (CIDRs) that may use the admin API without a token besides loopback
    /// (`--admin-allow`): in a container the peer of a published port is the bridge gateway.
    pub admin_allow: Vec<String>,
    /// Host names the admin API answers to besides IP literals and `localhost`
    /// (`--admin-host`): any other `Host` header is a DNS-rebinding page and is refused.
    pub admin_hosts: Vec<String>,
    /// Entries kept by the request log (`GET /_lbsim/requests`); 0 turns it off.
    pub request_log_size: usize,
    /// Where snapshots are loaded from and written to (`--state-file`).
    pub state_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountConfig {
    pub quotas: BTreeMap<String, u64>,
    /// Verify this account's signatures even when `verify_signatures` is off.
    pub verify_signatures: bool,
}

/// One access key: the account it stands for and, for signature verification, its secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "serde_yaml_ng::Value")]
pub struct AccessKey {
    pub account: String,
    pub secret: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessKeyFields {
    account: String,
    secret: Option<String>,
}

impl TryFrom<serde_yaml_ng::Value> for AccessKey {
    type Error = String;
    /// `KEY: "111122223333"` or `KEY: {account: "111122223333", secret: "…"}`.
    fn try_from(v: serde_yaml_ng::Value) -> Result<Self, String> {
        match v {
            serde_yaml_ng::Value::String(account) => Ok(AccessKey { account, secret: None }),
            serde_yaml_ng::Value::Number(n) => Ok(AccessKey { account: n.to_string(), secret: None }),
            m @ serde_yaml_ng::Value::Mapping(_) => {
                let f: AccessKeyFields = serde_yaml_ng::from_value(m).map_err(|e| e.to_string())?;
                Ok(AccessKey { account: f.account, secret: f.secret })
            }
            _ => Err("an access key maps to an account id or to {account, secret}".into()),
        }
    }
}

impl From<&str> for AccessKey {
    fn from(account: &str) -> Self {
        AccessKey { account: account.to_string(), secret: None }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_account: "000000000000".into(),
            default_region: "us-east-1".into(),
            access_keys: HashMap::new(),
            quotas: BTreeMap::new(),
            group_reference_bucket: None,
            accounts: HashMap::new(),
            regions: HashMap::new(),
            allowed_regions: Vec::new(),
            max_accounts: DEFAULT_MAX_ACCOUNTS,
            verify_signatures: false,
            seed: None,
            admin_token: None,
            admin_allow: Vec::new(),
            admin_hosts: Vec::new(),
            request_log_size: 1000,
            state_file: None,
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let cfg: Config = serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        cfg.check().map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(cfg)
    }

    /// Refuses what cannot work, naming the key: every quota name, account id, Region and CIDR.
    pub fn check(&self) -> Result<(), String> {
        self.base_quotas()?;
        for a in self.accounts.keys() {
            self.account_quotas(a)?;
        }
        let account = |what: &str, a: &str| {
            if wire::valid_account(a) { Ok(()) } else { Err(format!("{what}: '{a}' is not a 12-digit account id")) }
        };
        account("default_account", &self.default_account)?;
        for a in self.accounts.keys() {
            account("accounts", a)?;
        }
        for (k, v) in &self.access_keys {
            account(&format!("access_keys.{k}"), &v.account)?;
            if k.is_empty() || k.len() > 128 || !k.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!("access_keys: '{k}' is not an access key id (letters and digits, at most 128)"));
            }
        }
        for r in &self.allowed_regions {
            if !wire::valid_region(r) {
                return Err(format!("allowed_regions: '{r}' is not a Region name (lowercase letters, digits and hyphens)"));
            }
        }
        let region = |what: &str, r: &str| {
            if self.region_allowed(r) { Ok(()) } else { Err(format!("{what}: {}", self.unknown_region(r))) }
        };
        region("default_region", &self.default_region)?;
        for r in self.regions.keys() {
            region("regions", r)?;
        }
        self.admin_allow_nets()?;
        for h in &self.admin_hosts {
            if h.is_empty() || h.contains([':', '/', ' ']) {
                return Err(format!("admin_hosts: '{h}' is not a host name (no port, no scheme)"));
            }
        }
        if self.max_accounts == 0 {
            return Err("max_accounts: must be at least 1".into());
        }
        if self.verify_signatures && !self.access_keys.values().any(|k| k.secret.is_some()) {
            return Err("verify_signatures is on but no access key has a secret: add access_keys: {KEY: {account, secret}}".into());
        }
        Ok(())
    }

    /// A Region requests may name.
    pub fn region_allowed(&self, region: &str) -> bool {
        if self.allowed_regions.is_empty() { regions::is_known(region) } else { self.allowed_regions.iter().any(|r| r == region) }
    }

    /// Why a Region is refused, for config errors and logs.
    pub fn unknown_region(&self, region: &str) -> String {
        if self.allowed_regions.is_empty() {
            format!("'{region}' is not an AWS Region lbsim knows; list it under allowed_regions to use it anyway")
        } else {
            format!("'{region}' is not in allowed_regions ({})", self.allowed_regions.join(", "))
        }
    }

    /// `admin_allow` as networks.
    pub fn admin_allow_nets(&self) -> Result<Vec<ipnet::IpNet>, String> {
        self.admin_allow
            .iter()
            .map(|c| {
                c.parse::<ipnet::IpNet>()
                    .or_else(|_| c.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("admin_allow: '{c}' is not a CIDR (10.0.0.0/8) or an address"))
            })
            .collect()
    }

    /// The account id for an access key: a 12-digit key is the account itself (LocalStack's
    /// convention, aws-api.md §1.2), a listed key maps as configured, anything else is the default.
    pub fn account_for(&self, access_key: Option<&str>) -> String {
        match access_key {
            Some(k) if wire::valid_account(k) => k.to_string(),
            Some(k) => self.access_keys.get(k).map(|a| a.account.clone()).unwrap_or_else(|| self.default_account.clone()),
            None => self.default_account.clone(),
        }
    }

    /// An account the config names (its own quotas or an access key of its own): such accounts
    /// never count against `max_accounts`.
    pub fn names_account(&self, account: &str) -> bool {
        account == self.default_account || self.accounts.contains_key(account) || self.access_keys.values().any(|k| k.account == account)
    }

    /// Whether requests for this account must carry a valid signature.
    pub fn verifies(&self, account: &str) -> bool {
        self.verify_signatures || self.accounts.get(account).is_some_and(|a| a.verify_signatures)
    }

    /// Whether any request at all is verified (so the handler can skip the work otherwise).
    pub fn verifies_any(&self) -> bool {
        self.verify_signatures || self.accounts.values().any(|a| a.verify_signatures)
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

    #[test]
    fn unknown_keys_are_refused_with_the_known_ones() {
        let e = serde_yaml_ng::from_str::<Config>("regions:\n  us-east-1:\n    nlb_security_group: false\n").unwrap_err().to_string();
        assert!(e.contains("unknown field `nlb_security_group`") && e.contains("nlb_security_groups"), "{e}");
        let e = serde_yaml_ng::from_str::<Config>("default_acount: '111122223333'\n").unwrap_err().to_string();
        assert!(e.contains("default_account"), "{e}");
        let e = serde_yaml_ng::from_str::<Config>("access_keys:\n  AKIA1: {acount: '111122223333'}\n").unwrap_err().to_string();
        assert!(e.contains("unknown field `acount`") && e.contains("secret"), "{e}");
    }

    #[test]
    fn values_that_cannot_work_are_refused() {
        let check = |y: &str| serde_yaml_ng::from_str::<Config>(y).unwrap().check();
        assert!(check("regions:\n  us-east1: {}\n").unwrap_err().contains("'us-east1' is not an AWS Region"));
        assert!(check("default_region: mars-north-1\n").is_err());
        assert!(check("allowed_regions: [local-1]\ndefault_region: local-1\n").is_ok());
        assert!(check("allowed_regions: [local-1]\n").unwrap_err().contains("not in allowed_regions"));
        assert!(check("accounts:\n  abc: {}\n").unwrap_err().contains("12-digit"));
        assert!(check("access_keys:\n  AKIA1: '12'\n").unwrap_err().contains("12-digit"));
        assert!(check("admin_allow: [172.17.0.0/16, '::1', 10.0.0.1]\n").is_ok());
        assert!(check("admin_allow: [172.17.0.0/40]\n").unwrap_err().contains("not a CIDR"));
        assert!(check("verify_signatures: true\n").unwrap_err().contains("no access key has a secret"));
        let c: Config = serde_yaml_ng::from_str(
            "verify_signatures: true\naccess_keys:\n  AKIA1: {account: '111122223333', secret: s3cret}\n  AKIA2: '222233334444'\n",
        )
        .unwrap();
        c.check().unwrap();
        assert_eq!(c.access_keys["AKIA1"], AccessKey { account: "111122223333".into(), secret: Some("s3cret".into()) });
        assert_eq!(c.account_for(Some("AKIA2")), "222233334444");
    }
}
