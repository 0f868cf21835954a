//! Snapshots of the whole Store as versioned JSON (issue 4): everything needed to continue
//! exactly where a run stopped — resources, rule ids and order, tags, quotas, Region settings,
//! and the id generators' positions, so the next id after a restore is the one that would
//! have come. Indexes are not stored: restore rebuilds them through Region's own methods.
//!
//! May call: the rest of `state`. File handling (atomic writes) lives in `crate::persist`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ec2::{Az, Eni, Instance, InternetGateway, PrefixList, RouteTable, SecurityGroup, Subnet, Vpc};
use super::elbv2::{Elbv2, Elbv2Snapshot};
use super::ids::{IdGen, IdState};
use super::tags::Tags;
use super::{Quotas, Region, RegionSettings, Store};

pub const FORMAT: &str = "lbsim-snapshot";
/// Bumped whenever the format changes incompatibly; newer files are refused, never half-read.
/// Version 2: the file carries a checksum (`persist`), which version 1 files lack.
pub const VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: String,
    pub version: u32,
    pub saved_at: DateTime<Utc>,
    pub seed: u64,
    pub default_quotas: Quotas,
    pub account_quotas: BTreeMap<String, Quotas>,
    pub region_settings: BTreeMap<String, RegionSettings>,
    pub regions: Vec<RegionSnapshot>,
    /// Faults of the admin API, as it exports them.
    #[serde(default)]
    pub faults: serde_json::Value,
    /// Live clusters' Kubernetes side and EKS records, as live mode exports them (opaque here).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub clusters: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegionSnapshot {
    pub account: String,
    pub region: String,
    pub quotas: Quotas,
    pub settings: RegionSettings,
    pub ids: IdState,
    pub availability_zones: Vec<Az>,
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub prefix_lists: Vec<PrefixList>,
    pub security_groups: Vec<SecurityGroup>,
    pub network_interfaces: Vec<Eni>,
    pub instances: Vec<Instance>,
    /// Absent in snapshots taken before lbsim had routing: restore then gives each VPC a main
    /// table with its local route (and no gateway).
    #[serde(default)]
    pub route_tables: Vec<RouteTable>,
    #[serde(default)]
    pub internet_gateways: Vec<InternetGateway>,
    /// Tags by resource id, in a stable order.
    pub tags: BTreeMap<String, Tags>,
    pub due: Vec<(DateTime<Utc>, String)>,
    pub elb: Elbv2Snapshot,
}

impl Region {
    pub fn to_snapshot(&self) -> RegionSnapshot {
        RegionSnapshot {
            account: self.account.clone(),
            region: self.name.clone(),
            quotas: self.quotas.clone(),
            settings: self.settings.clone(),
            ids: self.ids.state(),
            availability_zones: self.azs.clone(),
            vpcs: self.vpcs.values().cloned().collect(),
            subnets: self.subnets.values().cloned().collect(),
            prefix_lists: self.prefix_lists.values().cloned().collect(),
            security_groups: self.sgs.values().cloned().collect(),
            network_interfaces: self.enis.values().cloned().collect(),
            instances: self.instances.values().cloned().collect(),
            route_tables: self.route_tables.values().cloned().collect(),
            internet_gateways: self.igws.values().cloned().collect(),
            tags: self.tags.resources().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            due: self.due.iter().cloned().collect(),
            elb: self.elb.to_snapshot(),
        }
    }

    /// Rebuilds a Region, its indexes included, from a snapshot.
    pub fn from_snapshot(s: RegionSnapshot) -> Result<Region, String> {
        let ids = IdGen::from_state(&s.ids).map_err(|e| format!("{}/{}: {e}", s.account, s.region))?;
        let mut r = Region::empty(&s.account, &s.region, s.quotas, s.settings, ids, s.availability_zones);
        for v in s.vpcs {
            r.vpcs.insert(v.id.clone(), v);
        }
        // Subnets keep their used-address sets; insert_eni re-marks the same addresses.
        for sn in s.subnets {
            r.subnets.insert(sn.id.clone(), sn);
        }
        for pl in s.prefix_lists {
            r.prefix_lists.insert(pl.id.clone(), pl);
        }
        for sg in s.security_groups {
            r.insert_sg(sg);
        }
        for e in s.network_interfaces {
            r.insert_eni(e);
        }
        for i in s.instances {
            r.insert_instance(i);
        }
        for g in s.internet_gateways {
            r.insert_igw(g);
        }
        for rt in s.route_tables {
            r.insert_route_table(rt);
        }
        let unrouted: Vec<String> = r.vpcs.keys().filter(|v| !r.main_rt.contains_key(*v)).cloned().collect();
        for v in unrouted {
            r.create_route_table(&v, true);
        }
        for (id, tags) in s.tags {
            r.tags.set(&id, &tags);
        }
        r.due = s.due.into_iter().collect();
        r.elb = Elbv2::from_snapshot(s.elb);
        Ok(r)
    }
}

impl Store {
    /// A snapshot of every Region, each taken under its own lock (one at a time, never two).
    pub fn snapshot(&self) -> Snapshot {
        let mut regions = Vec::new();
        for (account, region) in self.keys() {
            let r = self.region(&account, &region);
            let snap = r.lock().to_snapshot();
            regions.push(snap);
        }
        let (default_quotas, account_quotas, region_settings) = self.config_parts();
        Snapshot {
            format: FORMAT.into(),
            version: VERSION,
            saved_at: self.now(),
            seed: self.seed(),
            default_quotas,
            account_quotas,
            region_settings,
            regions,
            faults: serde_json::Value::Null,
            clusters: serde_json::Value::Null,
        }
    }

    /// Replaces everything with the snapshot's content. Checks the whole snapshot first, so a
    /// bad one leaves the Store as it was.
    pub fn restore(&self, s: Snapshot) -> Result<(), String> {
        check_header(&s.format, s.version)?;
        let regions: Vec<Region> = s.regions.into_iter().map(Region::from_snapshot).collect::<Result<_, _>>()?;
        self.replace_all(s.seed, s.default_quotas, s.account_quotas, s.region_settings, regions);
        Ok(())
    }
}

pub fn check_header(format: &str, version: u32) -> Result<(), String> {
    if format != FORMAT {
        return Err(format!("not an lbsim snapshot (format '{format}', expected '{FORMAT}')"));
    }
    if version > VERSION {
        return Err(format!("snapshot version {version} is newer than this lbsim reads (version {VERSION}); upgrade lbsim"));
    }
    Ok(())
}
