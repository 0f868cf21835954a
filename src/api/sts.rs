//! STS GetCallerIdentity (aws-api.md §2.6): the account from the access key, the account's root
//! principal as the ARN (a configured key maps to its account; there is no IAM user store).
//! The one action outside the `Action` shape: it reads no Region, and going through
//! `Store::with_region` would create one (with its default world) as a side effect.

use crate::api::{Answer, Ctx};
use crate::error::ApiResult;
use crate::wire::Params;

pub fn dispatch(cx: &Ctx, action: &str, _p: &Params) -> Option<ApiResult<Answer>> {
    match action {
        "GetCallerIdentity" => {
            let mut w = cx.answer_writer();
            let partition = crate::state::region::partition_of(&cx.region);
            w.leaf("Arn", format!("arn:{partition}:iam::{}:root", cx.account)).leaf("UserId", &cx.account).leaf("Account", &cx.account);
            Some(Ok(Answer { body: cx.finish(w), created: Vec::new() }))
        }
        _ => None,
    }
}
