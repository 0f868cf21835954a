//! Deploying a stack (lbc-reconciler.md §4.3): the synthesizers run forward — security groups,
//! target groups, load balancer, listeners, listener rules, TargetGroupBindings — then their
//! post-synthesize halves run in reverse: TGB deletes (with the wait), TG deletes, SG deletes.
//! Each step file owns one resource kind; every AWS call goes through the SDK clients.

pub mod lb;
pub mod listener;
pub mod sg;
pub mod tg;
pub mod tgb;

use super::ctx::Ctx;
use super::model::Stack;

/// What the deploy learned that the reconcile loop needs afterwards.
#[derive(Debug, Clone, Default)]
pub struct Deployed {
    pub dns_name: Option<String>,
}

pub async fn deploy(ctx: &Ctx, stack: &Stack) -> Result<Deployed, String> {
    let e = |e: super::aws::AwsError| e.to_string();
    let sgs = sg::synthesize(ctx, stack).await?;
    let tgs = tg::synthesize(ctx, stack).await.map_err(e)?;
    let lb = lb::synthesize(ctx, stack, sgs.frontend_id.as_deref()).await?;
    if let Some(lb) = &lb {
        let listeners = listener::synthesize(ctx, stack, &lb.arn, &tgs.arns).await.map_err(e)?;
        listener::synthesize_rules(ctx, &listeners).await.map_err(e)?;
    }
    let stale_tgbs = tgb::synthesize(ctx, stack, &tgs.arns, sgs.frontend_id.as_deref()).await?;
    // Reverse pass.
    tgb::delete(ctx, &stack.namespace, &stale_tgbs).await?;
    tg::delete(ctx, &tgs.unmatched).await.map_err(e)?;
    sg::delete(ctx, &sgs.unmatched).await.map_err(e)?;
    Ok(Deployed { dns_name: lb.map(|l| l.dns_name) })
}
