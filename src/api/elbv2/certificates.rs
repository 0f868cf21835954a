//! DescribeListenerCertificates, AddListenerCertificates, RemoveListenerCertificates
//! (aws-api.md §2.5): a TLS or HTTPS listener's default certificate (IsDefault true) and its certificate
//! list; adding a listed certificate again is a success; the certificate quota counts the
//! certificate lists of all the load balancer's listeners (default certificates excluded).

use super::common::{Paging, find_listener, required};
use super::listeners::parse_certificates;
use crate::api::{Action, Ctx, Empty, Render};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::Region;
use crate::state::elbv2::Listener;
use crate::wire::{P, Xml};

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

/// A listener's certificates as DescribeListenerCertificates lists them: the default one
/// (IsDefault true) first, then the certificate list, which may repeat it (BC-ELB doc).
fn certificates(l: &Listener) -> impl Iterator<Item = (&String, bool)> {
    l.certificate.iter().map(|c| (c, true)).chain(l.extra_certificates.iter().map(|c| (c, false)))
}

/// DescribeListenerCertificates' answer: positions in `certificates(listener)`.
pub struct Certs {
    listener: String,
    at: Vec<usize>,
    next: Option<String>,
}

impl Render for Certs {
    fn write_xml(&self, r: &Region, w: &mut Xml) {
        let all: Vec<(&String, bool)> = r.elb().listeners().get(&self.listener).map(|l| certificates(l).collect()).unwrap_or_default();
        w.list("Certificates", self.at.iter().filter_map(|i| all.get(*i)), |w, (c, d)| {
            w.leaf("CertificateArn", c).bool("IsDefault", *d);
        });
        w.opt("NextMarker", self.next.as_ref());
    }
}

/// AddListenerCertificates' answer: the certificates as requested.
pub struct CertsAdded(Vec<String>);

impl Render for CertsAdded {
    fn write_xml(&self, _: &Region, w: &mut Xml) {
        w.list("Certificates", &self.0, |w, c| {
            w.leaf("CertificateArn", c).bool("IsDefault", false);
        });
    }
}

pub struct DescribeListenerCertificates {
    arn: String,
    paging: Paging,
}

impl Action for DescribeListenerCertificates {
    type Output = Certs;
    fn from_params(p: &P) -> ApiResult<Self> {
        Ok(DescribeListenerCertificates { arn: required(p, "ListenerArn")?.to_string(), paging: Paging::parse(p)? })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<Certs> {
        let l = find_listener(r, &self.arn)?;
        // The marker is the position, as ARNs may repeat.
        let all: Vec<(usize, String)> = (0..certificates(l).count()).map(|i| (i, i.to_string())).collect();
        let (items, next) = self.paging.page(all, |x| &x.1)?;
        Ok(Certs { listener: self.arn, at: items.into_iter().map(|(i, _)| i).collect(), next })
    }
}

pub struct AddListenerCertificates {
    arn: String,
    certs: Vec<String>,
}

impl Action for AddListenerCertificates {
    type Output = CertsAdded;
    fn from_params(p: &P) -> ApiResult<Self> {
        let (arn, certs) = read(p)?;
        Ok(AddListenerCertificates { arn, certs })
    }
    fn apply(self, r: &mut Region, _: &Ctx) -> ApiResult<CertsAdded> {
        let l = find_listener(r, &self.arn)?;
        tls_only(l)?;
        let mut new: Vec<String> = Vec::new();
        for c in &self.certs {
            if !l.extra_certificates.contains(c) && !new.contains(c) {
                new.push(c.clone());
            }
        }
        let used: usize = r.elb().lb_listeners(&l.lb_arn).map(|x| x.extra_certificates.len()).sum();
        let alb = l.protocol == "HTTPS";
        if !new.is_empty() && (used + new.len()) as u64 > r.quotas.certificates_per_lb(alb) {
            return Err(ApiError::too_many_certificates());
        }
        r.elb_mut().add_certificates(&self.arn, new);
        Ok(CertsAdded(self.certs))
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
        r.elb_mut().remove_certificates(&self.arn, &self.certs);
        Ok(Empty)
    }
}
