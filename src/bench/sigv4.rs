//! AWS Signature Version 4 for the load generator: the `Authorization` header an SDK sends.
//!
//! lbsim and moto route on the credential scope (`<key>/<date>/<region>/<service>/aws4_request`)
//! and verify no signature, but the benchmark signs each request fully anyway so the client does
//! the work an SDK does and any server that did check would accept it. Checked against the AWS
//! SigV4 test suite (`get-vanilla`, `post-x-www-form-urlencoded`) in the tests below.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Credentials and scope of one signer.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
}

/// One request to sign. `headers` must include `host` and `x-amz-date`; names are matched
/// case-insensitively and every given header is signed.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Already canonical (sorted, encoded) query string; empty for POST bodies.
    pub query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Lower-cased names, trimmed values with inner runs of spaces collapsed, sorted by name.
fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
    let mut hs: Vec<(String, String)> =
        headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.split_whitespace().collect::<Vec<_>>().join(" "))).collect();
    hs.sort();
    let canonical = hs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect::<String>();
    let signed = hs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
    (canonical, signed)
}

/// The canonical request and the `SignedHeaders` list.
pub fn canonical_request(r: &Request) -> (String, String) {
    let (headers, signed) = canonical_headers(r.headers);
    let creq = format!("{}\n{}\n{}\n{}\n{}\n{}", r.method, r.path, r.query, headers, signed, sha256_hex(r.body));
    (creq, signed)
}

pub fn string_to_sign(amz_date: &str, scope: &str, creq: &str) -> String {
    format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(creq.as_bytes()))
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// The full `Authorization` header value. `amz_date` is `YYYYMMDDTHHMMSSZ` and must equal the
/// request's `x-amz-date` header.
pub fn authorization(c: &Credentials, region: &str, service: &str, amz_date: &str, r: &Request) -> String {
    let date = amz_date.get(..8).unwrap_or(amz_date);
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let (creq, signed) = canonical_request(r);
    let sts = string_to_sign(amz_date, &scope, &creq);
    let sig = hex::encode(hmac(&signing_key(&c.secret_key, date, region, service), sts.as_bytes()));
    format!("AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={sig}", c.access_key)
}

/// Current time as SigV4's `x-amz-date`.
pub fn amz_date_now() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The AWS SigV4 test suite's credentials, date and scope.
    fn suite() -> Credentials {
        Credentials { access_key: "AKIDEXAMPLE".into(), secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into() }
    }
    const DATE: &str = "20150830T123600Z";

    #[test]
    fn get_vanilla() {
        let headers = [("Host", "example.amazonaws.com"), ("X-Amz-Date", DATE)];
        let r = Request { method: "GET", path: "/", query: "", headers: &headers, body: b"" };
        let (creq, _) = canonical_request(&r);
        assert_eq!(
            creq,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            string_to_sign(DATE, "20150830/us-east-1/service/aws4_request", &creq),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        assert_eq!(
            authorization(&suite(), "us-east-1", "service", DATE, &r),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn post_x_www_form_urlencoded() {
        // Header order and case differ from the canonical form on purpose: sorting and
        // lower-casing are part of what is tested.
        let headers = [("X-Amz-Date", DATE), ("Host", "example.amazonaws.com"), ("Content-Type", "application/x-www-form-urlencoded")];
        let r = Request { method: "POST", path: "/", query: "", headers: &headers, body: b"Param1=value1" };
        let (creq, signed) = canonical_request(&r);
        assert_eq!(signed, "content-type;host;x-amz-date");
        assert_eq!(
            string_to_sign(DATE, "20150830/us-east-1/service/aws4_request", &creq),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"
        );
        assert!(
            authorization(&suite(), "us-east-1", "service", DATE, &r)
                .ends_with("Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
        );
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        let (c, s) = canonical_headers(&[("My-Header1", "  a   b  "), ("host", "h")]);
        assert_eq!(c, "host:h\nmy-header1:a b\n");
        assert_eq!(s, "host;my-header1");
    }

    #[test]
    fn amz_date_shape() {
        let d = amz_date_now();
        assert_eq!(d.len(), 16);
        assert_eq!(&d[8..9], "T");
        assert!(d.ends_with('Z'));
    }
}
