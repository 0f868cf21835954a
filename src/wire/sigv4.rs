//! SigV4 verification, for `--verify-signatures` and accounts that ask for it: the
//! `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header is taken
//! apart, the credential scope and the time are checked, and the signature is computed again and
//! compared in constant time.
//!
//! The canonical request, the string to sign and the signing key are aws-sigv4's — the signer the
//! Rust SDK itself uses, so lbsim does not carry a second implementation of the canonical form
//! (URI normalisation, query and header canonicalisation). The request is handed to it with only
//! the headers the client listed as signed and the client's own time; its signature is then the
//! one the client must have sent. Checked against the AWS SigV4 test suite that ships with
//! aws-sigv4 (the test below) and against boto3, the AWS CLI and the Rust SDK (tests/it, smoke).
//!
//! Limits: header signatures only (a presigned query string is treated as unsigned), and the
//! client must sign `x-amz-date` (every AWS SDK does; a bare `Date` header is not supported).
//!
//! May call: `error` (AWS's codes and texts). Knows nothing of accounts: the caller looks the
//! secret up and decides whether a request must be signed at all.

use std::time::{Duration, SystemTime};

use aws_sdk_ec2::config::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use axum::http::{HeaderMap, header};
use chrono::{DateTime, NaiveDateTime, Utc};

use crate::error::ApiError;

/// How far a signature's time may be from the server's, either way. STS allows 15 minutes (OBS
/// aws-cli#6676: "… - 15 min."); EC2 and ELBv2 are assumed the same [unverified].
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// The parts of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key: String,
    /// `YYYYMMDD` of the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    pub terminator: String,
    /// Lower-case names, as listed.
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// The `x-amz-date` header (`YYYYMMDDTHHMMSSZ`).
    pub amz_date: String,
}

/// Reads the `Authorization` header. `Ok(None)`: the request is not signed at all.
pub fn parse(headers: &HeaderMap) -> Result<Option<Authorization>, ApiError> {
    let Some(raw) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let shown = || String::from_utf8_lossy(raw.as_bytes()).chars().take(200).collect::<String>();
    let Ok(text) = raw.to_str() else {
        return Err(ApiError::incomplete_signature("Authorization header is not valid ASCII"));
    };
    let Some(rest) = text.strip_prefix("AWS4-HMAC-SHA256 ") else {
        let algorithm = text.split_whitespace().next().unwrap_or("");
        return Err(ApiError::incomplete_signature(format!(
            "Unsupported AWS 'algorithm': '{}' (lbsim verifies AWS4-HMAC-SHA256 only)",
            algorithm.chars().take(40).collect::<String>()
        )));
    };
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let mut missing = Vec::new();
    for (name, v) in [("Credential", credential), ("Signature", signature), ("SignedHeaders", signed)] {
        if v.is_none_or(str::is_empty) {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    let amz_date = headers.get("x-amz-date").and_then(|v| v.to_str().ok()).map(String::from);
    if amz_date.is_none() {
        missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into());
    }
    if !missing.is_empty() {
        return Err(ApiError::incomplete_signature(format!("{} Authorization={}", missing.join(" "), shown())));
    }
    let (credential, signed, signature, amz_date) =
        (credential.unwrap_or(""), signed.unwrap_or(""), signature.unwrap_or(""), amz_date.unwrap_or_default());
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[0].is_empty() {
        return Err(ApiError::incomplete_signature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{}'",
            credential.chars().take(200).collect::<String>()
        )));
    }
    Ok(Some(Authorization {
        access_key: scope[0].to_string(),
        date: scope[1].to_string(),
        region: scope[2].to_string(),
        service: scope[3].to_string(),
        terminator: scope[4].to_string(),
        signed_headers: signed.split(';').map(|h| h.trim().to_ascii_lowercase()).collect(),
        signature: signature.to_string(),
        amz_date,
    }))
}

/// `YYYYMMDDTHHMMSSZ` as a time.
fn parse_amz_date(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ").ok().map(|t| t.and_utc())
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Equal lengths and bytes, compared without an early exit.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What the server received.
pub struct Received<'a> {
    pub method: &'a str,
    /// Path and query exactly as sent (still percent-encoded).
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Checks the scope, the time and the signature of a parsed header with the key's secret.
/// `ec2` picks EC2's error wording; `now` is the wall clock (clients sign with theirs).
pub fn verify(req: &Received, auth: &Authorization, secret: &str, now: DateTime<Utc>, ec2: bool) -> Result<(), ApiError> {
    if auth.terminator != "aws4_request" {
        return Err(ApiError::scope_terminator(&auth.terminator));
    }
    let Some(time) = parse_amz_date(&auth.amz_date) else {
        return Err(ApiError::incomplete_signature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
            auth.amz_date.chars().take(40).collect::<String>()
        )));
    };
    if !auth.amz_date.starts_with(&auth.date) || auth.date.len() != 8 {
        return Err(ApiError::scope_date(&auth.date, &auth.amz_date[..8.min(auth.amz_date.len())], &auth.amz_date));
    }
    let skew = chrono::Duration::from_std(MAX_SKEW).unwrap_or_default();
    let minutes = MAX_SKEW.as_secs() as i64 / 60;
    if time < now - skew {
        return Err(ApiError::signature_expired(ec2, &auth.amz_date, &stamp(now - skew), &stamp(now), minutes, false));
    }
    if time > now + skew {
        return Err(ApiError::signature_expired(ec2, &auth.amz_date, &stamp(now + skew), &stamp(now), minutes, true));
    }
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(ApiError::signature_mismatch());
    }
    let expected = signature(req, auth, secret, time, true)?;
    if same(&expected, &auth.signature) { Ok(()) } else { Err(ApiError::signature_mismatch()) }
}

/// The signature aws-sigv4 computes for the request as the client described it: its signed
/// headers only, its time, its scope. `normalize` is on for every service lbsim serves (only S3
/// signs un-normalised paths; the test suite has both kinds).
fn signature(req: &Received, auth: &Authorization, secret: &str, time: DateTime<Utc>, normalize: bool) -> Result<String, ApiError> {
    let identity: Identity = Credentials::new(&auth.access_key, secret, None, None, "lbsim-verify").into();
    let mut settings = SigningSettings::default();
    // Sign exactly what the client listed; aws-sigv4's exclusions (user-agent, …) would otherwise
    // drop a header the client did sign.
    settings.excluded_headers = None;
    if !normalize {
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
    }
    let system_time = SystemTime::UNIX_EPOCH + Duration::from_secs(time.timestamp().max(0) as u64);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&auth.region)
        .name(&auth.service)
        .time(system_time)
        .settings(settings)
        .build()
        .map_err(|_| ApiError::signature_mismatch())?
        .into();
    // Several headers of one name are one canonical header, their values joined with commas.
    let mut headers: Vec<(&str, String)> = Vec::new();
    for name in &auth.signed_headers {
        let values: Vec<&str> = req.headers.get_all(name.as_str()).iter().filter_map(|v| v.to_str().ok()).collect();
        if !values.is_empty() {
            headers.push((name.as_str(), values.join(",")));
        }
    }
    let signable =
        SignableRequest::new(req.method, req.path_and_query, headers.iter().map(|(k, v)| (*k, v.as_str())), SignableBody::Bytes(req.body))
            .map_err(|_| ApiError::signature_mismatch())?;
    let out = sign(signable, &params).map_err(|_| ApiError::signature_mismatch())?;
    Ok(out.signature().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// A request in the test suite's text form (request line, headers, blank line, body) as an
    /// HTTP/1.1 server would hand it over. `None` for what no such server accepts: folded
    /// header lines (obsolete since RFC 7230) and a request target that is not ASCII.
    fn read_request(text: &str) -> Option<(String, String, HeaderMap, Vec<u8>)> {
        let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
        let mut lines = head.lines();
        let first = lines.next().unwrap();
        let (method, rest) = first.split_once(' ').unwrap();
        let target = rest.rsplit_once(' ').map_or(rest, |(t, _)| t);
        if !target.is_ascii() || target.contains(' ') {
            return None;
        }
        let mut headers = HeaderMap::new();
        for l in lines {
            if l.starts_with(' ') || l.starts_with('\t') {
                return None;
            }
            let (k, v) = l.split_once(':').unwrap();
            let name: axum::http::HeaderName = k.to_ascii_lowercase().parse().unwrap();
            headers.append(name, HeaderValue::from_str(v.trim()).unwrap());
        }
        Some((method.to_string(), target.to_string(), headers, body.as_bytes().to_vec()))
    }

    /// The AWS SigV4 test suite in aws-sigv4's crate (aws-signing-test-suite/v4, from
    /// awslabs/aws-c-auth), found through `cargo metadata` so no copy lives here. Every signed
    /// request must verify; the same request with one body byte or the secret changed must not.
    #[test]
    fn the_aws_test_suite_verifies_and_tampering_does_not() {
        let cargo = env!("CARGO");
        // Only the host's packages: a build downloads no other platform's, and `--offline`
        // metadata over every platform stops at the first one missing (a fresh machine's case).
        let version = std::process::Command::new(cargo).arg("-vV").output().expect("cargo -vV runs");
        let version = String::from_utf8_lossy(&version.stdout).into_owned();
        let host = version.lines().find_map(|l| l.strip_prefix("host: ")).expect("cargo -vV names the host");
        let out = std::process::Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", host])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata runs");
        let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo metadata answers JSON");
        let manifest = meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "aws-sigv4")
            .and_then(|p| p["manifest_path"].as_str())
            .expect("aws-sigv4 is a dependency")
            .to_string();
        let suite = std::path::Path::new(&manifest).parent().unwrap().join("aws-signing-test-suite/v4");
        let mut checked = 0;
        for dir in std::fs::read_dir(&suite).unwrap_or_else(|e| panic!("{}: {e}", suite.display())).flatten() {
            let d = dir.path();
            let Ok(signed) = std::fs::read_to_string(d.join("header-signed-request.txt")) else { continue };
            // Two cases of the older format have no context (credentials, time): they test the
            // canonical request only, which the signing cases below cover.
            let Ok(ctx) = std::fs::read_to_string(d.join("context.json")) else { continue };
            let ctx: serde_json::Value = serde_json::from_str(&ctx).unwrap();
            if ctx["sign_body"] == true || ctx["credentials"]["token"].is_string() {
                // Body-hash headers and session tokens are S3 and STS-session matters.
                continue;
            }
            let secret = ctx["credentials"]["secret_access_key"].as_str().unwrap();
            let normalize = ctx["normalize"] != false;
            let Some((method, target, headers, body)) = read_request(&signed) else { continue };
            let auth = parse(&headers).unwrap().expect("signed");
            let time = parse_amz_date(&auth.amz_date).unwrap();
            let req = Received { method: &method, path_and_query: &target, headers: &headers, body: &body };
            let name = d.file_name().unwrap().to_string_lossy().to_string();
            assert_eq!(signature(&req, &auth, secret, time, normalize).unwrap(), auth.signature, "{name}");
            if normalize {
                verify(&req, &auth, secret, time, false).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            let mut tampered = body.clone();
            tampered.push(b'x');
            let bad = Received { body: &tampered, ..req };
            assert_ne!(signature(&bad, &auth, secret, time, normalize).unwrap(), auth.signature, "{name}: tampered body");
            let req = Received { method: &method, path_and_query: &target, headers: &headers, body: &body };
            assert_ne!(signature(&req, &auth, "wrong", time, normalize).unwrap(), auth.signature, "{name}: wrong secret");
            checked += 1;
        }
        assert!(checked >= 25, "only {checked} test-suite cases found in {}", suite.display());
    }

    #[test]
    fn malformed_headers_scope_and_time() {
        let mut h = HeaderMap::new();
        assert_eq!(parse(&h).unwrap(), None);
        h.insert(header::AUTHORIZATION, "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/ec2/aws4_request".parse().unwrap());
        let e = parse(&h).unwrap_err();
        assert_eq!(e.code_str(), "IncompleteSignature");
        assert!(e.message.contains("'Signature'") && e.message.contains("X-Amz-Date"), "{e}");
        h.insert(header::AUTHORIZATION, "AWS3 x".parse().unwrap());
        assert_eq!(parse(&h).unwrap_err().code_str(), "IncompleteSignature");
        h.insert("x-amz-date", "20250101T000000Z".parse().unwrap());
        h.insert(header::HOST, "localhost".parse().unwrap());
        h.insert(
            header::AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
                .parse()
                .unwrap(),
        );
        let auth = parse(&h).unwrap().unwrap();
        assert_eq!((auth.access_key.as_str(), auth.region.as_str(), auth.service.as_str()), ("AKID", "us-east-1", "ec2"));
        let req = Received { method: "POST", path_and_query: "/", headers: &h, body: b"" };
        let t0 = parse_amz_date("20250101T000000Z").unwrap();
        assert_eq!(verify(&req, &auth, "s", t0, true).unwrap_err().code_str(), "SignatureDoesNotMatch");
        let later = t0 + chrono::Duration::minutes(16);
        assert_eq!(verify(&req, &auth, "s", later, true).unwrap_err().code_str(), "RequestExpired");
        let e = verify(&req, &auth, "s", later, false).unwrap_err();
        assert_eq!(e.message, "Signature expired: 20250101T000000Z is now earlier than 20250101T000100Z (20250101T001600Z - 15 min.)");
        let e = verify(&req, &auth, "s", t0 - chrono::Duration::minutes(20), false).unwrap_err();
        assert!(e.message.starts_with("Signature not yet current: 20250101T000000Z is still later than"), "{e}");
        let other_day = Authorization { date: "20241231".into(), ..auth.clone() };
        assert!(verify(&req, &other_day, "s", t0, false).unwrap_err().message.contains("Date in Credential scope does not match"));
        let bad_term = Authorization { terminator: "aws5_request".into(), ..auth };
        assert!(verify(&req, &bad_term, "s", t0, false).unwrap_err().message.contains("valid terminator"));
    }
}
