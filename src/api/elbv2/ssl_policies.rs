//! DescribeSSLPolicies: AWS's predefined security policies with their protocols and ciphers,
//! in the order of the Elastic Load Balancing guides' tables ("Security policies for your
//! Network Load Balancer" / "… Application Load Balancer"), which the answer's cipher priorities
//! follow. Transcribed from those tables as sets of cipher groups [unverified: the priority of
//! each cipher beyond ELBSecurityPolicy-2016-08's and the post-quantum 2025 policies, which
//! lbsim does not list]. Every policy CreateListener accepts is here (a test keeps them equal).

use super::common::Paging;
use crate::api::{Action, Ctx, Render};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::wire::{P, Xml};

const TLS13: &[&str] = &["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];
const TLS13_FIPS: &[&str] = &["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"];
/// ECDHE with AES-GCM only (the "Res" policies).
const ECDHE_GCM: &[&str] =
    &["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"];
/// ECDHE with SHA-2 MACs, in the guides' order.
const ECDHE_SHA2: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
];
/// Every ECDHE cipher of ELBSecurityPolicy-2016-08 (SHA-1 ones included).
const ECDHE_ALL: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA",
    "ECDHE-ECDSA-AES256-SHA",
];
/// RSA key exchange with SHA-2 MACs.
const RSA_SHA2: &[&str] = &["AES128-GCM-SHA256", "AES128-SHA256", "AES256-GCM-SHA384", "AES256-SHA256"];
/// Every RSA key-exchange cipher of ELBSecurityPolicy-2016-08.
const RSA_ALL: &[&str] = &["AES128-GCM-SHA256", "AES128-SHA256", "AES128-SHA", "AES256-GCM-SHA384", "AES256-SHA256", "AES256-SHA"];
const DES: &[&str] = &["DES-CBC3-SHA"];

const P10: &[&str] = &["TLSv1", "TLSv1.1", "TLSv1.2"];
const P11: &[&str] = &["TLSv1.1", "TLSv1.2"];
const P12: &[&str] = &["TLSv1.2"];
const P10_13: &[&str] = &["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
const P11_13: &[&str] = &["TLSv1.1", "TLSv1.2", "TLSv1.3"];
const P12_13: &[&str] = &["TLSv1.2", "TLSv1.3"];
const P13: &[&str] = &["TLSv1.3"];

/// (name, protocols, cipher groups in priority order).
pub type Policy = (&'static str, &'static [&'static str], &'static [&'static [&'static str]]);

pub const POLICIES: &[Policy] = &[
    ("ELBSecurityPolicy-TLS13-1-2-2021-06", P12_13, &[TLS13, ECDHE_SHA2]),
    ("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", P12_13, &[TLS13, ECDHE_GCM]),
    ("ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", P12_13, &[TLS13, ECDHE_SHA2, RSA_SHA2]),
    ("ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06", P12_13, &[TLS13, ECDHE_ALL, RSA_ALL]),
    ("ELBSecurityPolicy-TLS13-1-1-2021-06", P11_13, &[TLS13, ECDHE_ALL, RSA_ALL]),
    ("ELBSecurityPolicy-TLS13-1-0-2021-06", P10_13, &[TLS13, ECDHE_ALL, RSA_ALL]),
    ("ELBSecurityPolicy-TLS13-1-3-2021-06", P13, &[TLS13]),
    ("ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04", P12_13, &[TLS13_FIPS, ECDHE_SHA2]),
    ("ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04", P12_13, &[TLS13_FIPS, ECDHE_GCM]),
    ("ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04", P12_13, &[TLS13_FIPS, ECDHE_ALL]),
    ("ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04", P12_13, &[TLS13_FIPS, ECDHE_SHA2, RSA_SHA2]),
    ("ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04", P12_13, &[TLS13_FIPS, ECDHE_ALL, RSA_ALL]),
    ("ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04", P11_13, &[TLS13_FIPS, ECDHE_ALL, RSA_ALL]),
    ("ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04", P10_13, &[TLS13_FIPS, ECDHE_ALL, RSA_ALL]),
    ("ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04", P13, &[TLS13_FIPS]),
    ("ELBSecurityPolicy-FS-1-2-Res-2020-10", P12, &[ECDHE_GCM]),
    ("ELBSecurityPolicy-FS-1-2-Res-2019-08", P12, &[ECDHE_SHA2]),
    ("ELBSecurityPolicy-FS-1-2-2019-08", P12, &[ECDHE_ALL]),
    ("ELBSecurityPolicy-FS-1-1-2019-08", P11, &[ECDHE_ALL]),
    ("ELBSecurityPolicy-FS-2018-06", P10, &[ECDHE_ALL]),
    ("ELBSecurityPolicy-TLS-1-2-Ext-2018-06", P12, &[ECDHE_ALL, RSA_ALL]),
    ("ELBSecurityPolicy-TLS-1-2-2017-01", P12, &[ECDHE_SHA2, RSA_SHA2]),
    ("ELBSecurityPolicy-TLS-1-1-2017-01", P11, &[ECDHE_ALL, RSA_ALL]),
    ("ELBSecurityPolicy-2016-08", P10, &[ECDHE_ALL, RSA_ALL]),
    ("ELBSecurityPolicy-TLS-1-0-2015-04", P10, &[ECDHE_ALL, RSA_ALL, DES]),
    ("ELBSecurityPolicy-2015-05", P10, &[ECDHE_ALL, RSA_ALL]),
];

/// ALB and NLB both support every policy listed; none is for Gateway Load Balancers.
const TYPES: &[&str] = &["application", "network"];

pub struct DescribeSSLPolicies {
    names: Vec<String>,
    lb_type: Option<String>,
    paging: Paging,
}

/// The policies chosen (static data: nothing of the Region's) and the next page's marker.
pub struct Policies {
    items: Vec<&'static Policy>,
    next: Option<String>,
}

impl Render for Policies {
    fn write_xml(&self, _: &Region, w: &mut Xml) {
        w.list("SslPolicies", self.items.iter(), |w, (name, protocols, groups)| {
            w.strings("SslProtocols", protocols.iter());
            let ciphers = groups.iter().flat_map(|g| g.iter()).enumerate();
            w.list("Ciphers", ciphers, |w, (i, c)| {
                w.leaf("Name", c).int("Priority", i + 1);
            });
            w.leaf("Name", name);
            w.strings("SupportedLoadBalancerTypes", TYPES.iter());
        });
        w.opt("NextMarker", self.next.as_ref());
    }
}

impl Action for DescribeSSLPolicies {
    type Output = Policies;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeSSLPolicies {
            names: p.strings("Names")?.into_iter().map(String::from).collect(),
            lb_type: super::common::enum_member(p, "LoadBalancerType", &["application", "network", "gateway"])?.map(String::from),
            paging: Paging::parse(p)?,
        })
    }
    fn apply(self, _: &mut Region, _: &Ctx) -> ApiResult<Policies> {
        if let Some(missing) = self.names.iter().find(|n| !POLICIES.iter().any(|(p, _, _)| p == n)) {
            // [unverified] text; the code is the model's.
            return Err(ApiError::new(ErrorCode::SslPolicyNotFound, format!("The specified SSL policy '{missing}' does not exist")));
        }
        let chosen: Vec<&'static Policy> = POLICIES
            .iter()
            .filter(|(n, _, _)| self.names.is_empty() || self.names.iter().any(|x| x == n))
            .filter(|_| self.lb_type.as_deref().is_none_or(|t| TYPES.contains(&t)))
            .collect();
        let (items, next) = self.paging.page(chosen, |(n, _, _)| n)?;
        Ok(Policies { items, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_a_listener_accepts_is_described_once_with_unique_ciphers() {
        for name in super::super::listeners::SSL_POLICIES {
            assert_eq!(POLICIES.iter().filter(|(n, _, _)| n == name).count(), 1, "{name}");
        }
        assert_eq!(POLICIES.len(), super::super::listeners::SSL_POLICIES.len());
        for (name, _, groups) in POLICIES {
            let all: Vec<&str> = groups.iter().flat_map(|g| g.iter().copied()).collect();
            let unique: std::collections::BTreeSet<&str> = all.iter().copied().collect();
            assert_eq!(all.len(), unique.len(), "{name} lists a cipher twice");
        }
    }
}
