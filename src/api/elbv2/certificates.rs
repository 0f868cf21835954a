//! DescribeListenerCertificates, AddListenerCertificates, RemoveListenerCertificates
//! (aws-api.md §2.5): a TLS listener's default certificate (IsDefault true) and its certificate
//! list; adding a listed certificate again is a success; the certificate quota counts the
//! certificate lists of all the load balancer's listeners (default certificates excluded).

use super::common::{Paging, find_listener, required};
use super::listeners::parse_certificates;
use crate::api::{Action, Ctx, Empty, Rendered};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::elbv2::Listener;
use crate::wire::P;

/// Certificate operations exist for secure listeners only [unverified text].
fn tls_only(l: &Listener) -> ApiResult<()> {
    if l.protocol != "TLS" && l.protocol != "HTTPS" {
        return Err(ApiError::new(
            ErrorCode::InvalidConfigurationRequest,
            format!("Certificates can only be managed on TLS and HTTPS listeners; listener protocol is '{}'", l.protocol),
        ));
    }
    Ok(())
}

fn read(p: &P) -> ApiResult<(String, Vec<String>)> {
    let arn = required(p, "ListenerArn")?.to_string();
    let certs = parse_certificates(p)?;
    if certs.is_empty() {
        required(p, "Certificates")?;
    }
    Ok((arn, certs))
}

pub struct DescribeListenerCertificates {
    arn: String,
    paging: Paging,
}

impl Action for DescribeListenerCertificates {
    type Output = Rendered;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeListenerCertificates { arn: required(p, "ListenerArn")?.to_string(), paging: Paging::parse(p)? })
    }
    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rendered> {
        let l = find_listener(r, &self.arn)?;
        // The default certificate appears with IsDefault true, and again with false if it is
        // also in the list (BC-ELB doc). The marker is the position, as ARNs may repeat.
        let all: Vec<(String, String, bool)> = l
            .certificate
            .iter()
            .map(|c| (c.clone(), true))
            .chain(l.extra_certificates.iter().map(|c| (c.clone(), false)))
            .enumerate()
            .map(|(i, (c, d))| (i.to_string(), c, d))
            .collect();
        let (items, next) = self.paging.page(all, |x| &x.0)?;
        Ok(Rendered::with(cx, |w| {
            w.list("Certificates", items, |w, (_, c, d)| {
                w.leaf("CertificateArn", c).bool("IsDefault", d);
            });
            w.opt("NextMarker", next);
        }))
    }
}

pub struct AddListenerCertificates {
    arn: String,
    certs: Vec<String>,
}

impl Action for AddListenerCertificates {
    type Output = Rendered;
    fn from_params(p: &P) -> ApiResult<Self> {
        let (arn, certs) = read(p)?;
        Ok(AddListenerCertificates { arn, certs })
    }
    fn apply(self, r: &mut Region, cx: &Ctx) -> ApiResult<Rendered> {
        let l = find_listener(r, &self.arn)?;
        tls_only(l)?;
        let mut new: Vec<String> = Vec::new();
        for c in &self.certs {
            if !l.extra_certificates.contains(c) && !new.contains(c) {
                new.push(c.clone());
            }
        }
        let used: usize = r.elb.lb_listeners(&l.lb_arn).map(|x| x.extra_certificates.len()).sum();
        let alb = l.protocol == "HTTPS";
        if !new.is_empty() && (used + new.len()) as u64 > r.quotas.certificates_per_lb(alb) {
            return Err(ApiError::too_many_certificates());
        }
        if let Some(l) = r.elb.listeners.get_mut(&self.arn) {
            l.extra_certificates.extend(new);
        }
        Ok(Rendered::with(cx, |w| {
            w.list("Certificates", &self.certs, |w, c| {
                w.leaf("CertificateArn", c).bool("IsDefault", false);
            });
        }))
    }
}

pub struct RemoveListenerCertificates {
    arn: String,
    certs: Vec<String>,
}

impl Action for RemoveListenerCertificates {
    type Output = Empty;
    fn from_params(p: &P) -> ApiResult<Self> {
        let (arn, certs) = read(p)?;
        Ok(RemoveListenerCertificates { arn, certs })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Empty> {
        let l = find_listener(r, &self.arn)?;
        tls_only(l)?;
        for c in &self.certs {
            if l.certificate.as_ref() == Some(c) && !l.extra_certificates.contains(c) {
                // [unverified] code and text.
                return Err(ApiError::new(
                    ErrorCode::OperationNotPermitted,
                    format!("The default certificate '{c}' cannot be removed from the listener"),
                ));
            }
        }
        if let Some(l) = r.elb.listeners.get_mut(&self.arn) {
            l.extra_certificates.retain(|c| !self.certs.contains(c));
        }
        Ok(Empty)
    }
}
