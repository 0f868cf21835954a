//! Deploying a stack (lbc-reconciler.md §4.3, lbc-ingress.md §5.2): the synthesizers run forward
//! — security groups, target groups, load balancer, listeners, listener rules,
//! TargetGroupBindings — then their post-synthesize halves run in reverse: TGB deletes (with the
//! wait), the load balancer's provisioning check (HEAD: a matched LB still `provisioning` stops
//! the pass here and asks for a requeue), TG deletes, SG deletes. Each step file owns one
//! resource kind (`alb_listener` and `rules` the ALB's); every AWS call goes through the SDK
//! clients.

pub mod alb_listener;
pub mod alb_sdk;
pub mod lb;
pub mod listener;
pub mod rules;
pub mod sg;
pub mod tg;
pub mod tgb;

use std::time::Duration;

use super::ctx::Ctx;
use super::model::Stack;

/// What the deploy learned that the reconcile loop needs afterwards.
#[derive(Debug, Clone, Default)]
pub struct Deployed {
    pub dns_name: Option<String>,
    /// The controller's `RequeueNeededAfter`: the LB is still provisioning, so the deploy
    /// stopped before deleting stale target groups and security groups; reconcile again
    /// after this long, without an Event, status or finalizer changes.
    pub requeue_after: Option<Duration>,
}

pub async fn deploy(ctx: &Ctx, stack: &Stack) -> Result<Deployed, String> {
    let e = |e: super::aws::AwsError| e.to_string();
    let sgs = sg::synthesize(ctx, stack).await?;
    let tgs = tg::synthesize(ctx, stack).await.map_err(e)?;
    let lb = lb::synthesize(ctx, stack, sgs.frontend_id.as_deref()).await?;
    if let Some(lb) = &lb {
        if stack.alb_listeners.is_empty() {
            let listeners = listener::synthesize(ctx, stack, &lb.arn, &tgs.arns).await.map_err(e)?;
            listener::synthesize_rules(ctx, &listeners).await.map_err(e)?;
        } else {
            let listeners = alb_listener::synthesize(ctx, stack, &lb.arn, &tgs.arns).await.map_err(e)?;
            for (want, arn) in stack.alb_listeners.iter().zip(&listeners) {
                rules::synthesize(ctx, arn, &want.rules, &tgs.arns).await.map_err(e)?;
            }
        }
    }
    let stale_tgbs = tgb::synthesize(ctx, stack, &tgs.arns, sgs.frontend_id.as_deref()).await?;
    // Reverse pass.
    tgb::delete(ctx, &stale_tgbs).await?;
    if let Some(l) = &lb
        && lb::still_provisioning(ctx, l).await.map_err(e)?
    {
        return Ok(Deployed { dns_name: Some(l.dns_name.clone()), requeue_after: ctx.cfg.lb_provisioning_check() });
    }
    tg::delete(ctx, &tgs.unmatched).await.map_err(e)?;
    sg::delete(ctx, &sgs.unmatched).await.map_err(e)?;
    Ok(Deployed { dns_name: lb.map(|l| l.dns_name), requeue_after: None })
}
