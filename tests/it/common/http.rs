//! A raw HTTP/1.1 client for wire-level tests: sends exactly the bytes a test gives (any method,
//! any headers, any body, even invalid UTF-8) and returns status, headers and body, so tests can
//! check what no SDK would send. Every exchange is bounded by a timeout: a hang fails the test.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long one exchange may take before the test fails as "server hung".
pub const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// A response header by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A POST of a form body to `/` with the given extra headers (the harness adds Host,
/// Content-Length and `Connection: close`; pass `Content-Type` yourself if you want one).
pub async fn post(addr: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    send(addr, "POST", "/", headers, body).await
}

/// The usual SDK request: form content type, then `extra` headers.
pub async fn form(addr: &str, extra: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut h = vec![("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")];
    h.extend_from_slice(extra);
    post(addr, &h, body).await
}

/// One request on a fresh connection. The body is written concurrently with reading, so a server
/// that answers before reading everything (413) is seen rather than deadlocking the writer.
pub async fn send(addr: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    exchange(addr, bytes, false).await
}

/// Sends raw bytes, optionally half-closing the write side afterwards (a client that gives up
/// mid-body), and reads the answer until the server closes.
pub async fn exchange(addr: &str, request: Vec<u8>, half_close: bool) -> Reply {
    let run = async {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (mut rd, mut wr) = stream.into_split();
        let writer = tokio::spawn(async move {
            // The server may close early (413); a failed write is then expected.
            let _ = wr.write_all(&request).await;
            if half_close {
                let _ = wr.shutdown().await;
            }
            wr
        });
        let mut out = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
        drop(writer.await);
        out
    };
    let raw = tokio::time::timeout(TIMEOUT, run).await.expect("the server did not answer within the timeout (hang)");
    parse(&raw)
}

fn parse(raw: &[u8]) -> Reply {
    let split =
        raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    Reply { status, headers, body: raw[split + 4..].to_vec() }
}

/// The leaves of an XML document as (`Root/Child/Leaf`, text), in document order. Fails on
/// anything an XML 1.0 parser would refuse: bad nesting, bad escapes, characters outside `Char`.
pub fn xml_leaves(body: &str) -> Result<Vec<(String, String)>, String> {
    use quick_xml::events::Event;
    if let Some(c) = body.chars().find(|&c| !xml_char(c)) {
        return Err(format!("character U+{:04X} is not allowed in XML 1.0", c as u32));
    }
    let mut r = quick_xml::Reader::from_str(body);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut out = Vec::new();
    let mut roots = 0;
    loop {
        match r.read_event().map_err(|e| format!("not well-formed XML: {e}"))? {
            Event::Start(e) => {
                if path.is_empty() {
                    roots += 1;
                }
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                text.clear();
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if path.is_empty() {
                    roots += 1;
                }
                out.push((format!("{}/{name}", path.join("/")).trim_start_matches('/').to_string(), String::new()));
            }
            Event::Text(t) => text.push_str(&t.unescape().map_err(|e| format!("bad escape: {e}"))?),
            Event::End(_) => {
                if !text.is_empty() {
                    out.push((path.join("/"), std::mem::take(&mut text)));
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if roots != 1 || !path.is_empty() {
        return Err(format!("expected one root element, found {roots} (unclosed: {path:?})"));
    }
    Ok(out)
}

/// XML 1.0 `Char`: tab, newline, carriage return, and U+0020 up, less surrogates and U+FFFE/F.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Which error envelope an answer used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// `<Response><Errors><Error>…</Error></Errors><RequestID>`
    Ec2,
    /// `<ErrorResponse><Error><Type>…</Error><RequestId>`
    Query,
}

#[derive(Debug, Clone)]
pub struct AwsError {
    pub envelope: Envelope,
    pub code: String,
    pub message: String,
    pub request_id: String,
}

impl Reply {
    /// The answer as an AWS error, or why it is not one: well-formed XML in one of the two
    /// envelopes, with a code, a message and a request id equal to `x-amzn-RequestId`, a 4xx/5xx
    /// status and an XML content type.
    pub fn aws_error(&self) -> Result<AwsError, String> {
        if self.status < 400 {
            return Err(format!("status {} is not an error status", self.status));
        }
        match self.header("content-type") {
            Some(ct) if ct.starts_with("text/xml") => {}
            other => return Err(format!("content type {other:?} is not text/xml")),
        }
        let body = std::str::from_utf8(&self.body).map_err(|_| "body is not UTF-8".to_string())?;
        let leaves = xml_leaves(body)?;
        let get = |p: &str| leaves.iter().find(|(k, _)| k == p).map(|(_, v)| v.clone());
        let (envelope, code, message, request_id) = if let Some(code) = get("Response/Errors/Error/Code") {
            (Envelope::Ec2, code, get("Response/Errors/Error/Message"), get("Response/RequestID"))
        } else if let Some(code) = get("ErrorResponse/Error/Code") {
            match get("ErrorResponse/Error/Type").as_deref() {
                Some("Sender") | Some("Receiver") => {}
                t => return Err(format!("Query error Type {t:?} is neither Sender nor Receiver")),
            }
            (Envelope::Query, code, get("ErrorResponse/Error/Message"), get("ErrorResponse/RequestId"))
        } else {
            return Err(format!("no error code in either AWS envelope: {body}"));
        };
        let message = message.ok_or("no Message")?;
        let request_id = request_id.ok_or("no request id")?;
        if self.header("x-amzn-RequestId") != Some(request_id.as_str()) {
            return Err(format!("x-amzn-RequestId {:?} differs from the body's {request_id}", self.header("x-amzn-RequestId")));
        }
        Ok(AwsError { envelope, code, message, request_id })
    }
}
