//! ELBv2 actions (Version 2015-12-01, Query protocol). The table below is the only place an
//! ELBv2 action name is matched.

use crate::api::Ctx;
use crate::error::ApiResult;
use crate::wire::Params;

pub fn dispatch(_cx: &Ctx, _action: &str, _p: &Params) -> Option<ApiResult<String>> {
    None
}
