//! Builds the SDK clients the reconciler and the fixture loader use, for one (account, region):
//! against this process (in-process connector, access key = the 12-digit account id, which
//! lbsim maps to that account), or against any endpoint URL over HTTP. With no endpoint override
//! the clients talk to real AWS with the ambient credentials — a loud warning is printed.

use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_ec2::config::Credentials;

use super::connector::{CallLog, InProcess};
use crate::app::App;
use crate::server;

/// Where the clients send their requests.
#[derive(Clone)]
pub enum Target {
    /// lbsim's own Router, no socket.
    InProcess(Arc<App>),
    /// Any AWS-compatible endpoint over HTTP (another lbsim, another emulator).
    Endpoint(String),
    /// Real AWS (no endpoint override): ambient credentials and region config.
    RealAws,
}

#[derive(Clone, Debug)]
pub struct AwsClients {
    pub ec2: aws_sdk_ec2::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub sdk: aws_config::SdkConfig,
    /// Calls made through the in-process connector (empty for other targets).
    pub log: CallLog,
    /// The controller's client-side limiter, when these are a controller's clients.
    pub limiter: Option<Arc<super::throttle::Limiter>>,
    pub account: String,
    pub region: String,
}

pub const REAL_AWS_WARNING: &str = "\n\
    ********************************************************************************\n\
    **  WARNING: no endpoint override — the reconciler is talking to REAL AWS.     **\n\
    **  It will create and delete security groups, load balancers and rules in    **\n\
    **  the account of your ambient credentials. Stop now if that is not meant.   **\n\
    ********************************************************************************";

/// What the controller's own clients add to the SDK's: its client-side limiter, the world's
/// clock for the SDK's sleeps, and the retry quota the controller turns off.
#[derive(Debug, Clone, Default)]
pub struct Controls {
    pub limiter: Option<Arc<super::throttle::Limiter>>,
    pub sleep: Option<super::throttle::VirtualSleep>,
    /// The controller builds its retryer with `RateLimiter = ratelimit.None` (pkg/aws/aws_config.go):
    /// no retry token bucket, so throttled calls are retried up to the attempt limit.
    pub no_retry_quota: bool,
}

impl AwsClients {
    pub async fn new(target: &Target, account: &str, region: &str) -> AwsClients {
        Self::with_retry(target, account, region, None).await
    }

    /// Like `new`, with `retry` in place of the target's default retry policy (in process:
    /// none; an endpoint: 3 attempts; real AWS: the controller's 11).
    pub async fn with_retry(target: &Target, account: &str, region: &str, retry: Option<RetryConfig>) -> AwsClients {
        Self::with_controls(target, account, region, retry, Controls::default()).await
    }

    /// Like `with_retry`, with the controller's `controls` on both service clients.
    pub async fn with_controls(target: &Target, account: &str, region: &str, retry: Option<RetryConfig>, controls: Controls) -> AwsClients {
        let log = CallLog::default();
        let region_cfg = aws_config::Region::new(region.to_string());
        let sdk = match target {
            Target::InProcess(app) => {
                aws_config::defaults(BehaviorVersion::latest())
                    .region(region_cfg)
                    .credentials_provider(Credentials::new(account, "lbsim", None, None, "lbsim-in-process"))
                    // The host is never resolved: requests go straight into the Router.
                    .endpoint_url("http://lbsim.in-process")
                    .http_client(InProcess::new(server::aws_router(app.clone()), log.clone()))
                    // lbsim answers deterministically; retries would only blur the call log.
                    .retry_config(retry.clone().unwrap_or_else(RetryConfig::disabled))
                    .load()
                    .await
            }
            Target::Endpoint(url) => {
                aws_config::defaults(BehaviorVersion::latest())
                    .region(region_cfg)
                    .credentials_provider(Credentials::new(account, "lbsim", None, None, "lbsim-endpoint"))
                    .endpoint_url(url)
                    .retry_config(retry.clone().unwrap_or_else(|| RetryConfig::standard().with_max_attempts(3)))
                    .load()
                    .await
            }
            Target::RealAws => {
                eprintln!("{REAL_AWS_WARNING}");
                tracing::warn!("reconciler aimed at real AWS (no endpoint override)");
                // The controller's --aws-max-retries default is 10 (lbc-reconciler.md §7.2).
                aws_config::defaults(BehaviorVersion::latest())
                    .region(region_cfg)
                    .retry_config(retry.clone().unwrap_or_else(|| RetryConfig::standard().with_max_attempts(11)))
                    .load()
                    .await
            }
        };
        let mut ec2 = aws_sdk_ec2::config::Builder::from(&sdk);
        let mut elbv2 = aws_sdk_elasticloadbalancingv2::config::Builder::from(&sdk);
        if let Some(l) = &controls.limiter {
            ec2 = ec2.interceptor(super::throttle::ThrottleInterceptor(l.clone()));
            elbv2 = elbv2.interceptor(super::throttle::ThrottleInterceptor(l.clone()));
        }
        if let Some(sleep) = &controls.sleep {
            ec2 = ec2.sleep_impl(sleep.clone());
            elbv2 = elbv2.sleep_impl(sleep.clone());
        }
        if controls.no_retry_quota {
            use aws_sdk_ec2::config::retry::{RetryPartition, TokenBucket};
            // A partition of its own per client set: the SDK keeps default partitions' buckets in
            // a process-wide map, which would leak retry quota between controllers.
            let partition =
                |svc: &str| RetryPartition::custom(format!("lbsim-controller-{svc}")).token_bucket(TokenBucket::unlimited()).build();
            ec2 = ec2.retry_partition(partition("ec2"));
            elbv2 = elbv2.retry_partition(partition("elbv2"));
        }
        AwsClients {
            ec2: aws_sdk_ec2::Client::from_conf(ec2.build()),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::from_conf(elbv2.build()),
            sdk,
            log,
            limiter: controls.limiter.clone(),
            account: account.to_string(),
            region: region.to_string(),
        }
    }
}
