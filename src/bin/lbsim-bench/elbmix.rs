//! (c) The ELBv2 mix, shaped like a load-balancer controller's traffic: mostly describes, some
//! creates and target registrations, over NLBs with IP target groups in one VPC with two /17 subnets.
//!
//! 5 % CreateLoadBalancer (internal NLB), 10 % CreateTargetGroup (TCP, ip), 5 % CreateListener
//! (TCP, forward to a target group not yet used by any listener: a group may serve one load
//! balancer only), 20 % RegisterTargets (one IP in the first subnet), 10 % DescribeLoadBalancers
//! by ARN, 20 % DescribeTargetGroups by ARN, 10 % DescribeListeners, 10 % DescribeTargetHealth,
//! and ALB rules on one HTTP listener that holds 50 rules: 5 % CreateRule or DeleteRule in turn
//! (a create, then a delete of the oldest rule, so the listener stays at 50–51 rules and under
//! the 100-rule quota) and 5 % DescribeRules of the whole listener.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use super::loadgen::{Call, Conn, Reply, Rng, SetupError, Svc, Workload, setup_call};
use super::workloads::Pool;

const LB: u8 = 1;
const TG: u8 = 2;
const RULE: u8 = 3;
/// Rules on the ALB listener before the timed run.
const RULES: u64 = 50;

pub struct ElbMix {
    vpc: String,
    subnets: [String; 2],
    pub lbs: Pool,
    pub tgs: Pool,
    free_tgs: Mutex<VecDeque<String>>,
    names: AtomicU64,
    listeners: AtomicU64,
    registrations: AtomicU64,
    /// The ALB's HTTP listener and the target group its rules forward to.
    alb_listener: String,
    alb_tg: String,
    /// Rule ARNs oldest first, and a counter that alternates create and delete.
    rules: Mutex<VecDeque<String>>,
    rule_turns: AtomicU64,
}

impl ElbMix {
    /// Creates the VPC, two subnets, 4 load balancers and 8 target groups (not measured).
    pub async fn setup(conn: &mut Conn, region: &str) -> Result<Arc<ElbMix>, SetupError> {
        let vpc = setup_call(conn, &Call::new(Svc::Ec2, "CreateVpc").p("CidrBlock", "10.0.0.0/16")).await?;
        let vpc = vpc.first("vpcId").ok_or_else(|| SetupError::Failed("CreateVpc reply has no vpcId".into()))?;
        let mut subnets = Vec::new();
        for (i, az) in ["a", "b"].iter().enumerate() {
            let call = Call::new(Svc::Ec2, "CreateSubnet")
                .p("VpcId", vpc.clone())
                // /17s (32k addresses each): every NLB takes one address per subnet, and a
                // timed run creates thousands; /24s ran out and turned creates into InvalidSubnet.
                .p("CidrBlock", format!("10.0.{}.0/17", i * 128))
                .p("AvailabilityZone", format!("{region}{az}"));
            let r = setup_call(conn, &call).await?;
            subnets.push(r.first("subnetId").ok_or_else(|| SetupError::Failed("CreateSubnet reply has no subnetId".into()))?);
        }
        let alb = Call::new(Svc::Elbv2, "CreateLoadBalancer")
            .p("Name", "bench-alb")
            .p("Scheme", "internal")
            .p("Subnets.member.1", subnets[0].clone())
            .p("Subnets.member.2", subnets[1].clone());
        let alb = setup_call(conn, &alb).await?.first("LoadBalancerArn").ok_or_else(|| SetupError::Failed("no ALB ARN".into()))?;
        let tg = Call::new(Svc::Elbv2, "CreateTargetGroup")
            .p("Name", "bench-alb-tg")
            .p("Protocol", "HTTP")
            .p("Port", "80")
            .p("VpcId", vpc.clone());
        let alb_tg =
            setup_call(conn, &tg).await?.first("TargetGroupArn").ok_or_else(|| SetupError::Failed("no ALB target group ARN".into()))?;
        let listener = Call::new(Svc::Elbv2, "CreateListener")
            .p("LoadBalancerArn", alb)
            .p("Protocol", "HTTP")
            .p("Port", "80")
            .p("DefaultActions.member.1.Type", "fixed-response")
            .p("DefaultActions.member.1.FixedResponseConfig.StatusCode", "404");
        let alb_listener =
            setup_call(conn, &listener).await?.first("ListenerArn").ok_or_else(|| SetupError::Failed("no ALB listener ARN".into()))?;
        let mix = Arc::new(ElbMix {
            alb_listener,
            alb_tg,
            rules: Mutex::new(VecDeque::new()),
            rule_turns: AtomicU64::new(0),
            vpc,
            subnets: [subnets[0].clone(), subnets[1].clone()],
            lbs: Pool::default(),
            tgs: Pool::default(),
            free_tgs: Mutex::new(VecDeque::new()),
            names: AtomicU64::new(0),
            listeners: AtomicU64::new(0),
            registrations: AtomicU64::new(0),
        });
        for i in 0..12 {
            let call = if i < 4 { mix.create_lb() } else { mix.create_tg() };
            let r = setup_call(conn, &call).await?;
            mix.record(&call, &r);
        }
        for i in 0..RULES {
            let call = mix.create_rule(i);
            let r = setup_call(conn, &call).await?;
            mix.record(&call, &r);
        }
        Ok(mix)
    }

    fn name(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.names.fetch_add(1, Ordering::Relaxed))
    }

    fn create_lb(&self) -> Call {
        Call::new(Svc::Elbv2, "CreateLoadBalancer")
            .kind(LB)
            .p("Name", self.name("bench-nlb"))
            .p("Type", "network")
            .p("Scheme", "internal")
            .p("Subnets.member.1", self.subnets[0].clone())
            .p("Subnets.member.2", self.subnets[1].clone())
            .p("Tags.member.1.Key", "bench")
            .p("Tags.member.1.Value", "elbv2")
    }

    fn create_tg(&self) -> Call {
        Call::new(Svc::Elbv2, "CreateTargetGroup")
            .kind(TG)
            .p("Name", self.name("bench-tg"))
            .p("Protocol", "TCP")
            .p("Port", "80")
            .p("VpcId", self.vpc.clone())
            .p("TargetType", "ip")
    }

    /// A rule with a host and a path condition forwarding to the ALB's group; priorities never
    /// repeat, so creates cannot collide.
    fn create_rule(&self, n: u64) -> Call {
        Call::new(Svc::Elbv2, "CreateRule")
            .kind(RULE)
            .p("ListenerArn", self.alb_listener.clone())
            .p("Priority", (1 + n % 49_999).to_string())
            .p("Conditions.member.1.Field", "host-header")
            .p("Conditions.member.1.HostHeaderConfig.Values.member.1", format!("svc{n}.example.com"))
            .p("Conditions.member.2.Field", "path-pattern")
            .p("Conditions.member.2.PathPatternConfig.Values.member.1", "/*")
            .p("Actions.member.1.Type", "forward")
            .p("Actions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn", self.alb_tg.clone())
    }

    /// Creates and deletes in turn, so the listener keeps about `RULES` rules.
    fn rule_churn(&self) -> Call {
        let turn = self.rule_turns.fetch_add(1, Ordering::Relaxed);
        if turn.is_multiple_of(2) {
            return self.create_rule(RULES + turn / 2);
        }
        match self.rules.lock().pop_front() {
            Some(arn) => Call::new(Svc::Elbv2, "DeleteRule").p("RuleArn", arn),
            None => self.describe_rules(),
        }
    }

    fn describe_rules(&self) -> Call {
        Call::new(Svc::Elbv2, "DescribeRules").p("ListenerArn", self.alb_listener.clone())
    }

    fn describe_listeners(lb: String) -> Call {
        Call::new(Svc::Elbv2, "DescribeListeners").p("LoadBalancerArn", lb)
    }
}

impl Workload for ElbMix {
    fn next(&self, _: u64, rng: &mut Rng) -> Call {
        let roll = rng.below(100);
        let (Some(lb), Some(tg)) = (self.lbs.random(rng), self.tgs.random(rng)) else { return self.create_tg() };
        match roll {
            0..5 => self.create_lb(),
            5..15 => self.create_tg(),
            15..20 => {
                let Some(free) = self.free_tgs.lock().pop_front() else { return ElbMix::describe_listeners(lb) };
                let k = self.listeners.fetch_add(1, Ordering::Relaxed);
                Call::new(Svc::Elbv2, "CreateListener")
                    .p("LoadBalancerArn", self.lbs.get(k).unwrap_or(lb))
                    .p("Protocol", "TCP")
                    .p("Port", ((k % 65_000) + 1).to_string())
                    .p("DefaultActions.member.1.Type", "forward")
                    .p("DefaultActions.member.1.TargetGroupArn", free)
            }
            20..40 => {
                let k = self.registrations.fetch_add(1, Ordering::Relaxed);
                Call::new(Svc::Elbv2, "RegisterTargets")
                    .p("TargetGroupArn", tg)
                    .p("Targets.member.1.Id", format!("10.0.1.{}", 4 + k % 250))
                    .p("Targets.member.1.Port", "80")
            }
            40..50 => Call::new(Svc::Elbv2, "DescribeLoadBalancers").p("LoadBalancerArns.member.1", lb),
            50..55 => self.rule_churn(),
            55..60 => self.describe_rules(),
            60..80 => Call::new(Svc::Elbv2, "DescribeTargetGroups").p("TargetGroupArns.member.1", tg),
            80..90 => ElbMix::describe_listeners(lb),
            _ => Call::new(Svc::Elbv2, "DescribeTargetHealth").p("TargetGroupArn", tg),
        }
    }

    fn record(&self, call: &Call, reply: &Reply) {
        match call.kind {
            LB => {
                if let Some(arn) = reply.first("LoadBalancerArn") {
                    self.lbs.push(arn);
                }
            }
            RULE => {
                if let Some(arn) = reply.first("RuleArn") {
                    self.rules.lock().push_back(arn);
                }
            }
            TG => {
                if let Some(arn) = reply.first("TargetGroupArn") {
                    self.tgs.push(arn.clone());
                    self.free_tgs.lock().push_back(arn);
                }
            }
            _ => {}
        }
    }
}
