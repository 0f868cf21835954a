//! The https listener of the Kubernetes API: a CA made at start (rcgen), a server certificate
//! it signs for the listener's addresses, rustls to serve. EKS's DescribeCluster reports this
//! listener and this CA, so `aws eks update-kubeconfig` writes a kubeconfig that kubectl
//! accepts as it is (kubectl refuses a CA that does not parse, and over http it ignores the CA
//! and the exec plugin). The bearer token kubectl then sends (`aws eks get-token`'s presigned
//! URL) is accepted without checking, as every other lbsim credential.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tower::ServiceExt;

/// The CA and the server's TLS configuration.
pub struct Tls {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    config: Arc<rustls::ServerConfig>,
}

impl Tls {
    /// A new CA and a server certificate for `localhost`, 127.0.0.1, ::1 and `extra` addresses.
    pub fn generate(extra: &[IpAddr]) -> Result<Tls, String> {
        let e = |what: &str, err: rcgen::Error| format!("cannot make the {what}: {err}");
        let ca_key = KeyPair::generate().map_err(|x| e("CA key", x))?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(|x| e("CA", x))?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, "kubernetes");
        ca.distinguished_name.push(DnType::OrganizationName, "lbsim");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca_cert = ca.self_signed(&ca_key).map_err(|x| e("CA certificate", x))?;
        let issuer = Issuer::new(ca, ca_key);
        let mut server = CertificateParams::new(vec!["localhost".to_string(), "kubernetes".to_string(), "kubernetes.default".to_string()])
            .map_err(|x| e("server certificate", x))?;
        server.distinguished_name.push(DnType::CommonName, "kube-apiserver");
        let mut ips: Vec<IpAddr> = vec![IpAddr::from([127, 0, 0, 1]), IpAddr::from(std::net::Ipv6Addr::LOCALHOST)];
        ips.extend(extra.iter().filter(|ip| !ip.is_unspecified()));
        ips.dedup();
        server.subject_alt_names.extend(ips.into_iter().map(SanType::IpAddress));
        let key = KeyPair::generate().map_err(|x| e("server key", x))?;
        let cert = server.signed_by(&key, &issuer).map_err(|x| e("server certificate", x))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|x| format!("TLS: {x}"))?
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(cert.der().to_vec()), CertificateDer::from(ca_cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .map_err(|x| format!("TLS: {x}"))?;
        // The server speaks HTTP/1.1 (watches are chunked responses).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls { ca_pem: ca_cert.pem(), config: Arc::new(config) })
    }

    /// `certificateAuthority.data` as EKS reports it: the PEM, base64-encoded.
    pub fn ca_data(&self) -> String {
        aws_smithy_types::base64::encode(self.ca_pem.as_bytes())
    }
}

/// How long a client may take over its TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// Makes the keys on a thread of its own. aws-lc seeds its random generator from CPU jitter
/// the first time anything asks it for random bytes, ~50 ms of one core: more than the rest of
/// `lbsim serve`'s start, which goes on meanwhile.
pub fn generate_in_background(extra: Vec<IpAddr>) -> tokio::sync::oneshot::Receiver<Result<Tls, String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(Tls::generate(&extra));
    });
    rx
}

/// Serves `router` over TLS on `listener` until `shutdown` resolves, once `tls` is made
/// (connections wait in the listen backlog until then). Each connection's peer address reaches
/// the handlers as `ConnectInfo`, as on the plain listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    tls: impl std::future::Future<Output = Arc<Tls>>,
    router: Router,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let tls = tokio::select! {
        () = &mut shutdown => return,
        t = tls => t,
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.config.clone());
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => return,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "https accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let router = router.clone();
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                router.clone().oneshot(req.map(axum::body::Body::new))
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await {
                tracing::debug!(%peer, error = %e, "https connection ended");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_is_a_pem_certificate_that_parses() {
        let t = Tls::generate(&[]).unwrap();
        assert!(t.ca_pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{}", t.ca_pem);
        let decoded = aws_smithy_types::base64::decode(t.ca_data()).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), t.ca_pem);
        let der = rustls::pki_types::pem::PemObject::from_pem_slice(t.ca_pem.as_bytes());
        let der: CertificateDer = der.unwrap();
        assert!(der.len() > 200);
    }
}
