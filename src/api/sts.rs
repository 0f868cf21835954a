//! STS GetCallerIdentity (aws-api.md §2.6): the account from the access key, the account's root
//! principal as the ARN (a configured key maps to its account; there is no IAM user store).

use crate::api::Ctx;
use crate::error::ApiResult;
use crate::wire::{Params, Xml};

pub fn dispatch(cx: &Ctx, action: &str, _p: &Params) -> Option<ApiResult<String>> {
    match action {
        "GetCallerIdentity" => {
            let mut w = Xml::new(cx.service.list_style());
            let partition = crate::state::region::partition_of(&cx.region);
            w.leaf("Arn", format!("arn:{partition}:iam::{}:root", cx.account)).leaf("UserId", &cx.account).leaf("Account", &cx.account);
            Some(Ok(w.into_string()))
        }
        _ => None,
    }
}
