//! Small helpers over the SDK shared by discovery and the synthesizers: the error shape events
//! carry, ELBv2 listing by tags (§4.2), tag diffs (§2.3). Every call goes through the clients.

use std::collections::BTreeMap;
use std::fmt;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

use super::ctx::Ctx;
use super::model::TagKeys;

/// An AWS error as the controller reports it: `<Code>: <Message>` plus the status code (SDK v1
/// style; lbsim's request ids are random, so they are left out to keep events comparable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub code: String,
    pub message: String,
    pub status: u16,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code.is_empty() {
            // The controller's own error, no AWS call behind it.
            return f.write_str(&self.message);
        }
        write!(f, "{}: {}\n\tstatus code: {}", self.code, self.message, self.status)
    }
}

impl std::error::Error for AwsError {}

pub fn aws_err<E: ProvideErrorMetadata + std::error::Error + 'static>(e: SdkError<E, HttpResponse>) -> AwsError {
    let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
    match e.as_service_error() {
        Some(s) => AwsError { code: s.code().unwrap_or("Unknown").to_string(), message: s.message().unwrap_or("").to_string(), status },
        None => AwsError { code: "RequestError".into(), message: format!("{e}"), status },
    }
}

pub type Tags = BTreeMap<String, String>;

/// A tag filter: every listed key present with one of the listed values (§4.2).
pub type TagFilter = BTreeMap<String, Vec<String>>;

pub fn matches_any(tags: &Tags, filters: &[TagFilter]) -> bool {
    filters.iter().any(|f| f.iter().all(|(k, vs)| tags.get(k).is_some_and(|v| vs.is_empty() || vs.contains(v))))
}

/// The stack's tag filters: current tags, then the legacy ALB-ingress cluster tag (§2.3).
pub fn stack_filters(ctx: &Ctx, keys: TagKeys, stack: &str, legacy: bool) -> Vec<TagFilter> {
    let mut v = vec![TagFilter::from([
        (super::model::TAG_CLUSTER.to_string(), vec![ctx.cfg.cluster_name.clone()]),
        (keys.stack.to_string(), vec![stack.to_string()]),
    ])];
    if legacy {
        v.push(TagFilter::from([
            (super::model::LEGACY_TAG_CLUSTER.to_string(), vec![ctx.cfg.cluster_name.clone()]),
            (keys.stack.to_string(), vec![stack.to_string()]),
        ]));
    }
    v
}

/// Keys the controller never adds or removes (§2.3).
pub fn ignored_tag(ctx: &Ctx, key: &str) -> bool {
    key == format!("kubernetes.io/cluster/{}", ctx.cfg.cluster_name)
        || key == "ingress.k8s.aws/cluster"
        || ctx.cfg.external_managed_tags.iter().any(|k| k == key)
}

/// (to add or overwrite, to remove).
pub fn tag_diff(ctx: &Ctx, desired: &Tags, current: &Tags) -> (Tags, Vec<String>) {
    let add: Tags =
        desired.iter().filter(|(k, v)| current.get(*k) != Some(v) && !ignored_tag(ctx, k)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let remove: Vec<String> = current.keys().filter(|k| !desired.contains_key(*k) && !ignored_tag(ctx, k)).cloned().collect();
    (add, remove)
}

/// ELBv2 tags of many ARNs, ≤20 per DescribeTags call; from v2.7.1 only the ARNs the tags cache
/// does not hold are asked for (`ElbTagsCache`), and what AWS answers is cached.
pub async fn elb_tags(ctx: &Ctx, arns: &[String]) -> Result<BTreeMap<String, Tags>, AwsError> {
    let mut out = BTreeMap::new();
    let ttl = ctx.cfg.elb_tags_cache_ttl();
    let missing: Vec<String> = match ttl {
        Some(ttl) => {
            let now = ctx.now();
            let mut cache = ctx.elb_tags.lock();
            arns.iter()
                .filter(|arn| match cache.get(arn, now, ttl) {
                    Some(tags) => {
                        out.insert(arn.to_string(), tags);
                        false
                    }
                    None => true,
                })
                .cloned()
                .collect()
        }
        None => arns.to_vec(),
    };
    for chunk in missing.chunks(20) {
        let r = ctx.aws.elbv2.describe_tags().set_resource_arns(Some(chunk.to_vec())).send().await.map_err(aws_err)?;
        let now = ctx.now();
        for d in r.tag_descriptions() {
            let tags: Tags = d.tags().iter().map(|t| (t.key().unwrap_or("").to_string(), t.value().unwrap_or("").to_string())).collect();
            let arn = d.resource_arn().unwrap_or("").to_string();
            if ttl.is_some() {
                ctx.elb_tags.lock().put(now, arn.clone(), tags.clone());
            }
            out.insert(arn, tags);
        }
    }
    Ok(out)
}

pub type Lb = aws_sdk_elasticloadbalancingv2::types::LoadBalancer;
pub type Tg = aws_sdk_elasticloadbalancingv2::types::TargetGroup;

/// Every LB in the controller's VPC whose tags match a filter (DescribeLoadBalancers, all pages,
/// then DescribeTags).
pub async fn lbs_by_tags(ctx: &Ctx, filters: &[TagFilter]) -> Result<Vec<(Lb, Tags)>, AwsError> {
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        let r = ctx.aws.elbv2.describe_load_balancers().set_marker(marker).send().await.map_err(aws_err)?;
        // Moved out of the answer, not cloned: every reconcile lists every LB, so a copy of
        // each made the replay's local work quadratic in Services.
        all.extend(r.load_balancers.unwrap_or_default().into_iter().filter(|lb| lb.vpc_id() == Some(ctx.cfg.vpc_id.as_str())));
        marker = r.next_marker;
        if marker.is_none() {
            break;
        }
    }
    matching_tags(ctx, all, Lb::load_balancer_arn, filters).await
}

pub async fn tgs_by_tags(ctx: &Ctx, filters: &[TagFilter]) -> Result<Vec<(Tg, Tags)>, AwsError> {
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        let r = ctx.aws.elbv2.describe_target_groups().set_marker(marker).send().await.map_err(aws_err)?;
        all.extend(r.target_groups.unwrap_or_default().into_iter().filter(|tg| tg.vpc_id() == Some(ctx.cfg.vpc_id.as_str())));
        marker = r.next_marker;
        if marker.is_none() {
            break;
        }
    }
    matching_tags(ctx, all, Tg::target_group_arn, filters).await
}

/// The listed resources whose tags match a filter, each with its tags (`elb_tags`: DescribeTags
/// through the tags cache), moved, not copied, out of the listing.
async fn matching_tags<T>(
    ctx: &Ctx,
    all: Vec<T>,
    arn: impl Fn(&T) -> Option<&str>,
    filters: &[TagFilter],
) -> Result<Vec<(T, Tags)>, AwsError> {
    let arns: Vec<String> = all.iter().filter_map(|x| arn(x).map(String::from)).collect();
    let mut tags = elb_tags(ctx, &arns).await?;
    Ok(all
        .into_iter()
        .filter_map(|x| {
            let t = tags.remove(arn(&x).unwrap_or("")).unwrap_or_default();
            matches_any(&t, filters).then_some((x, t))
        })
        .collect())
}

pub fn elb_tag_list(tags: &Tags) -> Vec<aws_sdk_elasticloadbalancingv2::types::Tag> {
    tags.iter().map(|(k, v)| aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(k).value(v).build()).collect()
}

/// ELBv2 tag reconcile on one resource: AddTags, then RemoveTags.
pub async fn reconcile_elb_tags(ctx: &Ctx, arn: &str, desired: &Tags, current: &Tags) -> Result<(), AwsError> {
    let (add, remove) = tag_diff(ctx, desired, current);
    // The tags cache forgets the ARN after each write that succeeded, as the controller's does.
    if !add.is_empty() {
        ctx.aws.elbv2.add_tags().resource_arns(arn).set_tags(Some(elb_tag_list(&add))).send().await.map_err(aws_err)?;
        ctx.elb_tags.lock().invalidate(arn);
    }
    if !remove.is_empty() {
        ctx.aws.elbv2.remove_tags().resource_arns(arn).set_tag_keys(Some(remove)).send().await.map_err(aws_err)?;
        ctx.elb_tags.lock().invalidate(arn);
    }
    Ok(())
}

pub fn ec2_tags(tags: &[aws_sdk_ec2::types::Tag]) -> Tags {
    tags.iter().map(|t| (t.key().unwrap_or("").to_string(), t.value().unwrap_or("").to_string())).collect()
}

pub fn ec2_filter(name: &str, values: &[&str]) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder().name(name).set_values(Some(values.iter().map(|v| v.to_string()).collect())).build()
}
