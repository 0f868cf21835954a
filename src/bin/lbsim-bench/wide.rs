//! The other filtered describes of issue 14, each answering about 100 resources out of a larger
//! world, shaped as a controller sends them:
//!
//! - EC2 (`ec2-*` rows): 100 groups of 10 rules (9 ingress + the default egress one) and `n`
//!   instances (10 per RunInstances call, each in one of the groups, its primary interface
//!   tagged too). DescribeInstances by `tag:bucket` (100 instances) and by `instance.group-id`
//!   with 10 groups (100); DescribeNetworkInterfaces by `group-id` with 10 groups (100) and by
//!   `tag:bucket` (100); DescribeSecurityGroupRules by `group-id` with 10 groups (100 rules).
//! - ELBv2 (`elbv2-*` rows): `n` internal NLBs and `n` target groups, all tagged.
//!   DescribeLoadBalancers by 20 names, DescribeLoadBalancers' first page of 400 (what a
//!   paginator asks), DescribeTargetGroups' first page of 400, DescribeTags of 20 load balancers
//!   (the controller's chunk size).
//!
//! Each row runs on one connection, as the scaling series does, so p50 is one request's time
//! (client included); its note gives the matches and KB of one answer (counted in a first
//! answer, so a broken filter shows as a wrong count) and µs per match at p50.

use std::sync::Arc;

use super::loadgen::{self, Call, Conn, Endpoint, Reply, Rng, SetupError, Stop, Svc, Workload, setup_call};
use super::report::{Row, Status};
use super::targets::Target;
use super::workloads::Pool;

/// Groups in the EC2 world, and rules each (with the default egress rule).
const GROUPS: u64 = 100;
const INGRESS_RULES: u64 = 9;
/// Instances per RunInstances call; 10 calls make a 100-instance bucket.
const PER_LAUNCH: u64 = 10;

/// The EC2 world: group ids in creation order.
pub struct Ec2World {
    groups: Vec<String>,
    n: u64,
}

fn need(r: &Reply, tag: &str, action: &str) -> Result<String, SetupError> {
    r.first(tag).ok_or_else(|| SetupError::Failed(format!("{action} reply has no {tag}")))
}

impl Ec2World {
    /// A VPC, one /17, [`GROUPS`] groups with their rules, then `n` instances (not measured).
    pub async fn setup(conn: &mut Conn, n: u64) -> Result<Ec2World, SetupError> {
        let vpc = setup_call(conn, &Call::new(Svc::Ec2, "CreateVpc").p("CidrBlock", "10.0.0.0/16")).await?;
        let vpc = need(&vpc, "vpcId", "CreateVpc")?;
        let subnet = Call::new(Svc::Ec2, "CreateSubnet").p("VpcId", vpc.clone()).p("CidrBlock", "10.0.0.0/17");
        let subnet = need(&setup_call(conn, &subnet).await?, "subnetId", "CreateSubnet")?;
        let mut groups = Vec::new();
        for g in 0..GROUPS {
            let call = Call::new(Svc::Ec2, "CreateSecurityGroup")
                .p("GroupName", format!("wide-{g}"))
                .p("GroupDescription", "lbsim benchmark group")
                .p("VpcId", vpc.clone());
            let id = need(&setup_call(conn, &call).await?, "groupId", "CreateSecurityGroup")?;
            let mut rules = Call::new(Svc::Ec2, "AuthorizeSecurityGroupIngress").p("GroupId", id.clone());
            for j in 1..=INGRESS_RULES {
                let port = (9000 + j).to_string();
                rules = rules
                    .p(format!("IpPermissions.{j}.IpProtocol"), "tcp")
                    .p(format!("IpPermissions.{j}.FromPort"), port.clone())
                    .p(format!("IpPermissions.{j}.ToPort"), port)
                    .p(format!("IpPermissions.{j}.IpRanges.1.CidrIp"), "10.0.0.0/8");
            }
            setup_call(conn, &rules).await?;
            groups.push(id);
        }
        for launch in 0..n.div_ceil(PER_LAUNCH) {
            let bucket = format!("b{}", launch * PER_LAUNCH / 100);
            let group = groups[(launch % GROUPS) as usize].clone();
            let mut call = Call::new(Svc::Ec2, "RunInstances")
                .p("ImageId", "ami-0123456789abcdef0")
                .p("InstanceType", "m5.large")
                .p("MinCount", PER_LAUNCH.to_string())
                .p("MaxCount", PER_LAUNCH.to_string())
                .p("SubnetId", subnet.clone())
                .p("SecurityGroupId.1", group);
            for (i, kind) in ["instance", "network-interface"].iter().enumerate() {
                let t = i + 1;
                call = call
                    .p(format!("TagSpecification.{t}.ResourceType"), *kind)
                    .p(format!("TagSpecification.{t}.Tag.1.Key"), "bench")
                    .p(format!("TagSpecification.{t}.Tag.1.Value"), "wide")
                    .p(format!("TagSpecification.{t}.Tag.2.Key"), "bucket")
                    .p(format!("TagSpecification.{t}.Tag.2.Value"), bucket.clone());
            }
            setup_call(conn, &call).await?;
        }
        Ok(Ec2World { groups, n })
    }

    /// Ten consecutive groups starting at a random one: 10 groups' instances or rules = 100.
    fn ten_groups(&self, mut c: Call, name: &str, rng: &mut Rng) -> Call {
        let start = rng.below(GROUPS);
        c = c.p("Filter.1.Name", name.to_string());
        for k in 0..10 {
            c = c.p(format!("Filter.1.Value.{}", k + 1), self.groups[((start + k) % GROUPS) as usize].clone());
        }
        c
    }

    fn bucket(&self, c: Call, rng: &mut Rng) -> Call {
        c.p("Filter.1.Name", "tag:bucket").p("Filter.1.Value.1", format!("b{}", rng.below(self.n.div_ceil(100).max(1))))
    }
}

/// One describe of a row: what it sends, drawn afresh per request.
pub struct Describe {
    world: Arc<dyn Fn(&mut Rng) -> Call + Send + Sync>,
}

impl Describe {
    fn new(f: impl Fn(&mut Rng) -> Call + Send + Sync + 'static) -> Describe {
        Describe { world: Arc::new(f) }
    }
}

impl Workload for Describe {
    fn next(&self, _: u64, rng: &mut Rng) -> Call {
        (self.world)(rng)
    }
}

/// The EC2 rows: (row name, element counted per match, request).
pub fn ec2_rows(w: Arc<Ec2World>) -> Vec<(&'static str, &'static str, Describe)> {
    let (a, b, c, d, e) = (w.clone(), w.clone(), w.clone(), w.clone(), w);
    vec![
        ("ec2-instances-by-tag", "<instanceId>", Describe::new(move |r| a.bucket(Call::new(Svc::Ec2, "DescribeInstances"), r))),
        (
            "ec2-instances-by-group",
            "<instanceId>",
            Describe::new(move |r| b.ten_groups(Call::new(Svc::Ec2, "DescribeInstances"), "instance.group-id", r)),
        ),
        (
            "ec2-enis-by-group",
            "<networkInterfaceId>",
            Describe::new(move |r| c.ten_groups(Call::new(Svc::Ec2, "DescribeNetworkInterfaces"), "group-id", r)),
        ),
        ("ec2-enis-by-tag", "<networkInterfaceId>", Describe::new(move |r| d.bucket(Call::new(Svc::Ec2, "DescribeNetworkInterfaces"), r))),
        (
            "ec2-sg-rules-by-group",
            "<securityGroupRuleId>",
            Describe::new(move |r| e.ten_groups(Call::new(Svc::Ec2, "DescribeSecurityGroupRules"), "group-id", r)),
        ),
    ]
}

const LB: u8 = 1;
const TG: u8 = 2;

/// The ELBv2 world: `n` NLBs and `n` target groups, created over the loadgen's connections.
pub struct ElbWorld {
    subnets: [String; 2],
    vpc: String,
    pub lbs: Pool,
    pub tgs: Pool,
    n: u64,
}

impl Workload for ElbWorld {
    /// Even numbers create a load balancer, odd ones a target group: `2n` calls make the world.
    fn next(&self, seq: u64, _: &mut Rng) -> Call {
        let i = seq / 2;
        let tag = |c: Call| {
            c.p("Tags.member.1.Key", "bench")
                .p("Tags.member.1.Value", "wide")
                .p("Tags.member.2.Key", "bucket")
                .p("Tags.member.2.Value", format!("b{}", i / 100))
        };
        if seq.is_multiple_of(2) {
            tag(Call::new(Svc::Elbv2, "CreateLoadBalancer")
                .kind(LB)
                .p("Name", format!("wide-{i}"))
                .p("Type", "network")
                .p("Scheme", "internal")
                .p("Subnets.member.1", self.subnets[0].clone())
                .p("Subnets.member.2", self.subnets[1].clone()))
        } else {
            tag(Call::new(Svc::Elbv2, "CreateTargetGroup")
                .kind(TG)
                .p("Name", format!("wide-{i}"))
                .p("Protocol", "TCP")
                .p("Port", "80")
                .p("TargetType", "ip")
                .p("VpcId", self.vpc.clone()))
        }
    }
    fn record(&self, call: &Call, reply: &Reply) {
        match call.kind {
            LB => reply.first("LoadBalancerArn").into_iter().for_each(|a| self.lbs.push(a)),
            TG => reply.first("TargetGroupArn").into_iter().for_each(|a| self.tgs.push(a)),
            _ => {}
        }
    }
}

impl ElbWorld {
    pub async fn setup(
        ep: &Endpoint,
        conn: &mut Conn,
        n: u64,
        conns: usize,
        budget: std::time::Duration,
    ) -> Result<Arc<ElbWorld>, SetupError> {
        let vpc = need(&setup_call(conn, &Call::new(Svc::Ec2, "CreateVpc").p("CidrBlock", "10.0.0.0/16")).await?, "vpcId", "CreateVpc")?;
        let mut subnets = Vec::new();
        for (i, az) in ["a", "b"].iter().enumerate() {
            let call = Call::new(Svc::Ec2, "CreateSubnet")
                .p("VpcId", vpc.clone())
                .p("CidrBlock", format!("10.0.{}.0/17", i * 128))
                .p("AvailabilityZone", format!("{}{az}", ep.region));
            subnets.push(need(&setup_call(conn, &call).await?, "subnetId", "CreateSubnet")?);
        }
        let w =
            Arc::new(ElbWorld { subnets: [subnets[0].clone(), subnets[1].clone()], vpc, lbs: Pool::default(), tgs: Pool::default(), n });
        let o = loadgen::run(ep, w.clone(), conns, Stop::Count { n: 2 * n, budget }).await.map_err(SetupError::Failed)?;
        if let Some(why) = o.unavailable {
            return Err(SetupError::Unavailable(why));
        }
        if o.errors > 0 || o.over_budget {
            return Err(SetupError::Failed(format!("creating {n} load balancers and target groups: {}", o.error_summary())));
        }
        Ok(w)
    }

    fn names(&self, rng: &mut Rng) -> Call {
        let start = rng.below(self.n);
        let mut c = Call::new(Svc::Elbv2, "DescribeLoadBalancers");
        for k in 0..20.min(self.n) {
            c = c.p(format!("Names.member.{}", k + 1), format!("wide-{}", (start + k) % self.n));
        }
        c
    }

    fn tags(&self, rng: &mut Rng) -> Call {
        let start = rng.next_u64();
        let mut c = Call::new(Svc::Elbv2, "DescribeTags");
        for k in 0..20.min(self.n) {
            c = c.p(format!("ResourceArns.member.{}", k + 1), self.lbs.get(start.wrapping_add(k)).unwrap_or_default());
        }
        c
    }
}

pub fn elb_rows(w: Arc<ElbWorld>) -> Vec<(&'static str, &'static str, Describe)> {
    let (a, b) = (w.clone(), w);
    vec![
        ("elbv2-lbs-by-20-names", "<LoadBalancerArn>", Describe::new(move |r| a.names(r))),
        ("elbv2-lbs-page-400", "<LoadBalancerArn>", Describe::new(|_| Call::new(Svc::Elbv2, "DescribeLoadBalancers").p("PageSize", "400"))),
        ("elbv2-tgs-page-400", "<TargetGroupArn>", Describe::new(|_| Call::new(Svc::Elbv2, "DescribeTargetGroups").p("PageSize", "400"))),
        ("elbv2-tags-20", "<ResourceArn>", Describe::new(move |r| b.tags(r))),
    ]
}

/// Runs one row: a first answer to count matches and bytes, then the timed run.
pub async fn measure(t: &Target, ep: &Endpoint, n: u64, row: (&'static str, &'static str, Describe), d: std::time::Duration) -> Row {
    let (name, marker, w) = row;
    let target = t.kind.name();
    let action = w.next(0, &mut Rng::new(1)).action;
    let w = Arc::new(w);
    let first = match Conn::open(ep).await {
        Ok(mut c) => c.call(&w.next(0, &mut Rng::new(1))).await,
        Err(e) => Err(e),
    };
    let (bytes, matches) = match first {
        Ok(r) if r.ok() => (r.body.len(), r.text().matches(marker).count()),
        Ok(r) if r.code().as_deref() == Some("InvalidAction") => {
            return Row::new(name, target, Some(n), Status::NotAvailable, format!("{action} answers InvalidAction"));
        }
        Ok(r) => {
            return Row::new(
                name,
                target,
                Some(n),
                Status::Failed,
                format!("{}: {}", r.code().unwrap_or_default(), r.first("Message").unwrap_or_default()),
            );
        }
        Err(e) => return Row::new(name, target, Some(n), Status::Failed, e),
    };
    let mark = t.log_mark();
    let row = match loadgen::run(ep, w, 1, Stop::For(d)).await {
        Ok(o) => Row::from_outcome(name, target, Some(n), o),
        Err(e) => return Row::new(name, target, Some(n), Status::Failed, e),
    };
    let server = t.server_p50_ms(action, mark);
    // The ceiling's fixed body matches nothing: its row is the HTTP floor, not a describe.
    let per_match = row.p50_ms.filter(|_| matches > 0 && target != "ceiling").map(|ms| ms * 1000.0 / matches as f64);
    let note = format!(
        "{} per answer of {n}, {:.0} KB{}{}{}",
        if target == "ceiling" { "fixed answer".to_string() } else { matches.to_string() },
        bytes as f64 / 1000.0,
        per_match.map(|us| format!(", {us:.1} µs per match at p50")).unwrap_or_default(),
        server.map(|ms| format!(", server p50 {ms:.3} ms")).unwrap_or_default(),
        if row.note.is_empty() { String::new() } else { format!("; {}", row.note) }
    );
    let mb_s = row.req_per_s.map(|r| r * bytes as f64 / 1e6);
    let row = Row { note, server_p50_ms: server, answer_bytes: Some(bytes as u64), ..row };
    match mb_s {
        Some(v) => row.value(v, "MB/s"),
        None => row,
    }
}
