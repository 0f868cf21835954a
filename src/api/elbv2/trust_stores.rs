//! DescribeTrustStores: lbsim keeps no trust stores (mutual TLS is an ALB feature it does not
//! emulate), so the answer is AWS's for an account without any: an empty list, and
//! `TrustStoreNotFound` for any ARN or name asked for. The AWS Load Balancer Controller calls it
//! to resolve an mTLS trust-store name to an ARN (v2.7.0+).

use super::common::Paging;
use crate::api::{Action, Ctx, Render};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::wire::{P, Xml};

pub struct DescribeTrustStores {
    named: bool,
}

pub struct NoTrustStores;

impl Render for NoTrustStores {
    fn write_xml(&self, _: &Region, w: &mut Xml) {
        w.list("TrustStores", std::iter::empty::<()>(), |_, _| {});
    }
}

impl Action for DescribeTrustStores {
    type Output = NoTrustStores;
    fn from_params(p: &P) -> ApiResult<Self> {
        let arns = p.strings("TrustStoreArns")?;
        let names = p.strings("Names")?;
        Paging::parse(p)?;
        Ok(DescribeTrustStores { named: !arns.is_empty() || !names.is_empty() })
    }
    fn apply(self, _: &mut Region, _: &Ctx) -> ApiResult<NoTrustStores> {
        if self.named {
            // [unverified] text, shaped like the other ELBv2 NotFound answers.
            return Err(ApiError::new(ErrorCode::TrustStoreNotFound, "One or more trust stores not found"));
        }
        Ok(NoTrustStores)
    }
}
