//! The request mixes (issue 7 a, b, e and the VPC self-test): what each call sends and how
//! created ids are remembered for later calls. No timing here; `loadgen` runs them.
//!
//! Tags: every populated group `i` carries `Name=p-<i>`, `bench=sg` and `bucket=b<i/10>`, so a
//! `tag:bucket` filter matches exactly 10 groups whatever N is — describe-by-tag cost should then
//! stay flat as N grows (an indexed lookup), which is what the benchmark shows. Groups created
//! during the mix use `bucket=x<…>` so they never join a `b` bucket.

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;

use super::loadgen::{Call, Reply, Rng, Svc, Workload};

/// Ids created so far (groups, VPCs), shared by all connections.
#[derive(Default)]
pub struct Pool(RwLock<Vec<String>>);

impl Pool {
    pub fn push(&self, id: String) {
        self.0.write().push(id);
    }
    pub fn len(&self) -> usize {
        self.0.read().len()
    }
    pub fn get(&self, i: u64) -> Option<String> {
        let v = self.0.read();
        if v.is_empty() { None } else { v.get(i as usize % v.len()).cloned() }
    }
    pub fn random(&self, rng: &mut Rng) -> Option<String> {
        let v = self.0.read();
        if v.is_empty() { None } else { v.get(rng.below(v.len() as u64) as usize).cloned() }
    }
}

const CREATE: u8 = 1;

fn create_group(name: String, bucket: String) -> Call {
    Call::new(Svc::Ec2, "CreateSecurityGroup")
        .kind(CREATE)
        .p("GroupName", name.clone())
        .p("GroupDescription", "lbsim benchmark group")
        .p("TagSpecification.1.ResourceType", "security-group")
        .p("TagSpecification.1.Tag.1.Key", "Name")
        .p("TagSpecification.1.Tag.1.Value", name)
        .p("TagSpecification.1.Tag.2.Key", "bench")
        .p("TagSpecification.1.Tag.2.Value", "sg")
        .p("TagSpecification.1.Tag.3.Key", "bucket")
        .p("TagSpecification.1.Tag.3.Value", bucket)
}

fn record_group(pool: &Pool, call: &Call, reply: &Reply) {
    if call.kind == CREATE
        && let Some(id) = reply.first("groupId")
    {
        pool.push(id);
    }
}

fn describe_by_id(id: String) -> Call {
    Call::new(Svc::Ec2, "DescribeSecurityGroups").p("GroupId.1", id)
}

fn describe_by_tag(bucket: u64) -> Call {
    Call::new(Svc::Ec2, "DescribeSecurityGroups").p("Filter.1.Name", "tag:bucket").p("Filter.1.Value.1", format!("b{bucket}"))
}

/// Number of `b` buckets among `n` populated groups.
pub fn buckets(n: u64) -> u64 {
    n.div_ceil(10).max(1)
}

/// (a) CreateSecurityGroup with three tags, one call per group, `seq` = group number.
pub struct Populate {
    pub pool: std::sync::Arc<Pool>,
}

impl Workload for Populate {
    fn next(&self, seq: u64, _: &mut Rng) -> Call {
        create_group(format!("p-{seq}"), format!("b{}", seq / 10))
    }
    fn record(&self, call: &Call, reply: &Reply) {
        record_group(&self.pool, call, reply);
    }
}

/// One ingress rule unique to authorization number `k` (port 443 from a distinct /24), so no
/// call is a duplicate; `k` walks the groups in order, spreading rules evenly under the quota.
fn authorize_one(group: String, k: u64) -> Call {
    Call::new(Svc::Ec2, "AuthorizeSecurityGroupIngress")
        .p("GroupId", group)
        .p("IpPermissions.1.IpProtocol", "tcp")
        .p("IpPermissions.1.FromPort", "443")
        .p("IpPermissions.1.ToPort", "443")
        .p("IpPermissions.1.IpRanges.1.CidrIp", format!("10.{}.{}.0/24", (k >> 8) & 255, k & 255))
}

/// (b) 10 % create, 20 % authorize, 40 % describe by id, 30 % describe by tag, over a
/// populated pool of `n` groups.
pub struct SgMix {
    pub pool: std::sync::Arc<Pool>,
    pub n: u64,
    pub authorized: AtomicU64,
}

impl Workload for SgMix {
    fn next(&self, seq: u64, rng: &mut Rng) -> Call {
        let roll = rng.below(100);
        let any = self.pool.random(rng);
        match (roll, any) {
            (0..10, _) | (_, None) => create_group(format!("m-{seq}"), format!("x{}", seq / 10)),
            (10..30, Some(_)) => {
                let k = self.authorized.fetch_add(1, Ordering::Relaxed);
                let g = self.pool.get(k).unwrap_or_default();
                authorize_one(g, k)
            }
            (30..70, Some(id)) => describe_by_id(id),
            _ => describe_by_tag(rng.below(buckets(self.n))),
        }
    }
    fn record(&self, call: &Call, reply: &Reply) {
        record_group(&self.pool, call, reply);
    }
}

/// Describe by tag filter only, over `n` populated groups (10 matches each).
pub struct DescribeByTag {
    pub n: u64,
}

impl Workload for DescribeByTag {
    fn next(&self, _: u64, rng: &mut Rng) -> Call {
        describe_by_tag(rng.below(buckets(self.n)))
    }
}

/// (e) Ten ingress rules in one call on group `seq` of the pool.
pub struct TenRules {
    pub pool: std::sync::Arc<Pool>,
}

impl Workload for TenRules {
    fn next(&self, seq: u64, _: &mut Rng) -> Call {
        let mut c = Call::new(Svc::Ec2, "AuthorizeSecurityGroupIngress").p("GroupId", self.pool.get(seq).unwrap_or_default());
        for j in 1..=10u64 {
            let port = (8000 + j).to_string();
            c = c
                .p(format!("IpPermissions.{j}.IpProtocol"), "tcp")
                .p(format!("IpPermissions.{j}.FromPort"), port.clone())
                .p(format!("IpPermissions.{j}.ToPort"), port)
                .p(format!("IpPermissions.{j}.IpRanges.1.CidrIp"), "10.0.0.0/8");
        }
        c
    }
}

/// Self-test over the actions every tree has: 10 % CreateVpc (tagged), 50 % DescribeVpcs by
/// id, 40 % DescribeVpcs by tag filter.
pub struct VpcMix {
    pub pool: std::sync::Arc<Pool>,
}

impl VpcMix {
    fn create(seq: u64) -> Call {
        Call::new(Svc::Ec2, "CreateVpc")
            .kind(CREATE)
            .p("CidrBlock", "10.0.0.0/16")
            .p("TagSpecification.1.ResourceType", "vpc")
            .p("TagSpecification.1.Tag.1.Key", "bench")
            .p("TagSpecification.1.Tag.1.Value", "vpc")
            .p("TagSpecification.1.Tag.2.Key", "bucket")
            .p("TagSpecification.1.Tag.2.Value", format!("v{}", seq / 10))
    }
}

impl Workload for VpcMix {
    fn next(&self, seq: u64, rng: &mut Rng) -> Call {
        let roll = rng.below(100);
        match (roll, self.pool.random(rng)) {
            (0..10, _) | (_, None) => VpcMix::create(seq),
            (10..60, Some(id)) => Call::new(Svc::Ec2, "DescribeVpcs").p("VpcId.1", id),
            _ => Call::new(Svc::Ec2, "DescribeVpcs")
                .p("Filter.1.Name", "tag:bucket")
                .p("Filter.1.Value.1", format!("v{}", rng.below(buckets(self.pool.len() as u64)))),
        }
    }
    fn record(&self, call: &Call, reply: &Reply) {
        if call.kind == CREATE
            && let Some(id) = reply.first("vpcId")
        {
            self.pool.push(id);
        }
    }
}

/// Creates VPCs `0..n` for the self-test's pool (setup, not measured).
pub struct VpcSeed {
    pub mix: std::sync::Arc<VpcMix>,
}

impl Workload for VpcSeed {
    fn next(&self, seq: u64, _: &mut Rng) -> Call {
        VpcMix::create(seq)
    }
    fn record(&self, call: &Call, reply: &Reply) {
        self.mix.record(call, reply);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn param<'a>(c: &'a Call, k: &str) -> Option<&'a str> {
        c.params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn populate_tags_ten_groups_per_bucket() {
        let p = Populate { pool: Arc::new(Pool::default()) };
        let mut rng = Rng::new(1);
        assert_eq!(param(&p.next(0, &mut rng), "TagSpecification.1.Tag.3.Value"), Some("b0"));
        assert_eq!(param(&p.next(9, &mut rng), "TagSpecification.1.Tag.3.Value"), Some("b0"));
        assert_eq!(param(&p.next(10, &mut rng), "TagSpecification.1.Tag.3.Value"), Some("b1"));
        assert_eq!(buckets(100), 10);
        assert_eq!(buckets(105), 11);
        assert_eq!(buckets(0), 1);
    }

    #[test]
    fn mix_proportions() {
        let pool = Arc::new(Pool::default());
        for i in 0..100 {
            pool.push(format!("sg-{i}"));
        }
        let m = SgMix { pool, n: 100, authorized: AtomicU64::new(0) };
        let mut rng = Rng::new(3);
        let mut counts = std::collections::BTreeMap::new();
        for s in 0..10_000 {
            let c = m.next(s, &mut rng);
            let key = if c.action == "DescribeSecurityGroups" {
                if param(&c, "GroupId.1").is_some() { "by-id" } else { "by-tag" }
            } else {
                c.action
            };
            *counts.entry(key).or_insert(0u32) += 1;
        }
        let near = |k: &str, pct: u32| {
            let got = counts[k];
            assert!(got.abs_diff(pct * 100) < 300, "{k}: {got} of 10000, want about {pct}%");
        };
        near("CreateSecurityGroup", 10);
        near("AuthorizeSecurityGroupIngress", 20);
        near("by-id", 40);
        near("by-tag", 30);
    }

    #[test]
    fn authorizations_are_distinct_rules() {
        let a = authorize_one("sg-1".into(), 1);
        let b = authorize_one("sg-1".into(), 257);
        assert_ne!(param(&a, "IpPermissions.1.IpRanges.1.CidrIp"), param(&b, "IpPermissions.1.IpRanges.1.CidrIp"));
    }
}
