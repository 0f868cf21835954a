//! The load generator: closed-loop HTTP/1.1 keep-alive clients sending SigV4-signed form POSTs
//! as the SDKs do, one request in flight per connection, latencies recorded per request.
//!
//! HTTP: lbsim's one client (`lbsim::client::http`: hyper-util's pooled client, signed by
//! aws-sigv4 as the SDKs sign). Each `Conn` has its own pool, and one request in flight, so it
//! holds one keep-alive connection. moto's server answers every request with `Connection:
//! close`; the pool then opens a new connection, and the connect time is part of that request's
//! latency, as it would be for an SDK.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use lbsim::client::http::Reply;
use lbsim::client::http::{Http, Signer};
use parking_lot::Mutex;

/// The service a call is for: its signing name (which lbsim and moto route on) and API version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Svc {
    Ec2,
    Elbv2,
    Sts,
}

impl Svc {
    pub fn signing_name(self) -> &'static str {
        match self {
            Svc::Ec2 => "ec2",
            Svc::Elbv2 => "elasticloadbalancing",
            Svc::Sts => "sts",
        }
    }
    pub fn version(self) -> &'static str {
        match self {
            Svc::Ec2 => "2016-11-15",
            Svc::Elbv2 => "2015-12-01",
            Svc::Sts => "2011-06-15",
        }
    }
}

/// One API call. `kind` is the workload's own tag, handed back in `Workload::record`.
#[derive(Debug, Clone)]
pub struct Call {
    pub svc: Svc,
    pub action: &'static str,
    pub params: Vec<(String, String)>,
    pub kind: u8,
}

impl Call {
    pub fn new(svc: Svc, action: &'static str) -> Call {
        Call { svc, action, params: Vec::new(), kind: 0 }
    }
    pub fn kind(mut self, kind: u8) -> Call {
        self.kind = kind;
        self
    }
    pub fn p(mut self, k: impl Into<String>, v: impl Into<String>) -> Call {
        self.params.push((k.into(), v.into()));
        self
    }
    /// The form body: `Action=…&Version=…&<params>`.
    pub fn body(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("Action", self.action).append_pair("Version", self.svc.version());
        for (k, v) in &self.params {
            s.append_pair(k, v);
        }
        s.finish()
    }
}

/// Where requests go: a loopback address and the region put in the credential scope.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub region: String,
}

/// The access key the benchmark signs with (AWS's documentation example key).
pub const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// One client connection (re-opened by the pool when the server closes it).
pub struct Conn {
    http: Http,
    url: String,
    signer: Signer,
}

impl Conn {
    pub async fn open(ep: &Endpoint) -> Result<Conn, String> {
        if !ep.addr.ip().is_loopback() {
            return Err(format!("{}: the benchmark only talks to loopback", ep.addr));
        }
        Ok(Conn { http: Http::new(), url: format!("http://{}/", ep.addr), signer: Signer::new(ACCESS_KEY, SECRET_KEY, &ep.region) })
    }

    /// Sends one signed call and reads the whole reply.
    pub async fn call(&mut self, call: &Call) -> Result<Reply, String> {
        self.http.aws(&self.url, &self.signer, call.svc.signing_name(), call.body()).await
    }
}

/// A small, fast PRNG (xorshift64*) so each worker draws its own request mix.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

/// A request stream. `next` builds the call for global sequence number `seq`; `record` sees
/// every successful reply (to remember created ids).
pub trait Workload: Send + Sync + 'static {
    fn next(&self, seq: u64, rng: &mut Rng) -> Call;
    fn record(&self, _call: &Call, _reply: &Reply) {}
}

/// When a run ends.
#[derive(Debug, Clone, Copy)]
pub enum Stop {
    /// After this many requests in total (populating); `budget` caps the wall time.
    Count { n: u64, budget: Duration },
    /// After this much wall time.
    For(Duration),
}

/// What a run measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Per request, in microseconds, error replies included.
    pub latencies_us: Vec<u32>,
    pub ok: u64,
    pub errors: u64,
    /// Error codes (or transport failures) and how often each came.
    pub codes: BTreeMap<String, u64>,
    pub elapsed: Duration,
    /// Set when the target answered `InvalidAction`: it does not serve this workload.
    pub unavailable: Option<String>,
    /// A count run that hit its time budget first.
    pub over_budget: bool,
}

impl Outcome {
    pub fn requests(&self) -> u64 {
        self.ok + self.errors
    }
    /// The three commonest error codes, for the report's note.
    pub fn error_summary(&self) -> String {
        let mut v: Vec<(&String, &u64)> = self.codes.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1));
        v.iter().take(3).map(|(c, n)| format!("{c} ×{n}")).collect::<Vec<_>>().join(", ")
    }
}

const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// A worker gives up after this many transport failures in a row (the target is gone).
const MAX_TRANSPORT_FAILURES: u32 = 20;

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    over_budget: AtomicBool,
    seq: AtomicU64,
    unavailable: Mutex<Option<String>>,
}

struct Local {
    lat: Vec<u32>,
    ok: u64,
    errors: u64,
    codes: BTreeMap<String, u64>,
}

/// Runs `w` over `conns` connections until `stop`. Connections are opened before the clock starts.
pub async fn run(ep: &Endpoint, w: Arc<dyn Workload>, conns: usize, stop: Stop) -> Result<Outcome, String> {
    let mut opened = Vec::new();
    for _ in 0..conns.max(1) {
        opened.push(Conn::open(ep).await?);
    }
    let shared = Arc::new(Shared::default());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, conn) in opened.into_iter().enumerate() {
        let (w, shared) = (w.clone(), shared.clone());
        tasks.push(tokio::spawn(worker(i as u64, conn, w, shared, stop, started)));
    }
    let mut out = Outcome::default();
    for t in tasks {
        let l = t.await.map_err(|e| format!("worker: {e}"))?;
        out.latencies_us.extend(l.lat);
        out.ok += l.ok;
        out.errors += l.errors;
        for (c, n) in l.codes {
            *out.codes.entry(c).or_default() += n;
        }
    }
    out.elapsed = started.elapsed();
    out.unavailable = shared.unavailable.lock().take();
    out.over_budget = shared.over_budget.load(Ordering::Relaxed);
    Ok(out)
}

async fn worker(idx: u64, mut conn: Conn, w: Arc<dyn Workload>, sh: Arc<Shared>, stop: Stop, started: Instant) -> Local {
    let mut l = Local { lat: Vec::new(), ok: 0, errors: 0, codes: BTreeMap::new() };
    let mut rng = Rng::new(idx + 1);
    let mut transport_failures = 0;
    while !sh.stop.load(Ordering::Relaxed) {
        match stop {
            Stop::Count { budget, .. } if started.elapsed() >= budget => {
                sh.over_budget.store(true, Ordering::Relaxed);
                break;
            }
            Stop::For(d) if started.elapsed() >= d => break,
            _ => {}
        }
        let seq = sh.seq.fetch_add(1, Ordering::Relaxed);
        if let Stop::Count { n, .. } = stop
            && seq >= n
        {
            break;
        }
        let call = w.next(seq, &mut rng);
        let t = Instant::now();
        let res = tokio::time::timeout(REQUEST_TIMEOUT, conn.call(&call)).await;
        let us = u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX);
        match res {
            Ok(Ok(reply)) => {
                transport_failures = 0;
                l.lat.push(us);
                if reply.ok() {
                    l.ok += 1;
                    w.record(&call, &reply);
                    continue;
                }
                let code = reply.code().unwrap_or_else(|| format!("HTTP {}", reply.status));
                if code == "InvalidAction" {
                    *sh.unavailable.lock() = Some(format!("{} answers InvalidAction", call.action));
                    sh.stop.store(true, Ordering::Relaxed);
                    break;
                }
                l.errors += 1;
                *l.codes.entry(format!("{}: {code}", call.action)).or_default() += 1;
            }
            Ok(Err(e)) => {
                l.errors += 1;
                *l.codes.entry(format!("transport: {}", e.split(':').next().unwrap_or(""))).or_default() += 1;
                transport_failures += 1;
                if transport_failures >= MAX_TRANSPORT_FAILURES {
                    break;
                }
            }
            Err(_) => {
                l.errors += 1;
                // The dropped request takes its connection with it; the pool opens a new one.
                *l.codes.entry("timeout".into()).or_default() += 1;
            }
        }
    }
    l
}

/// One call outside any measurement (setup steps), with `InvalidAction` told apart.
pub enum SetupError {
    Unavailable(String),
    Failed(String),
}

pub async fn setup_call(conn: &mut Conn, call: &Call) -> Result<Reply, SetupError> {
    let r = conn.call(call).await.map_err(SetupError::Failed)?;
    if r.ok() {
        return Ok(r);
    }
    match r.code() {
        Some(c) if c == "InvalidAction" => Err(SetupError::Unavailable(format!("{} answers InvalidAction", call.action))),
        Some(c) => Err(SetupError::Failed(format!("{} failed: {c}: {}", call.action, r.first("Message").unwrap_or_default()))),
        None => Err(SetupError::Failed(format!("{} failed: HTTP {}", call.action, r.status))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_and_reply_parsing() {
        let c = Call::new(Svc::Ec2, "DescribeSecurityGroups").p("Filter.1.Name", "tag:bucket").p("Filter.1.Value.1", "b 1");
        assert_eq!(c.body(), "Action=DescribeSecurityGroups&Version=2016-11-15&Filter.1.Name=tag%3Abucket&Filter.1.Value.1=b+1");
        let r = Reply {
            status: 400,
            headers: Default::default(),
            body: axum::body::Bytes::from_static(b"<Response><Errors><Error><Code>InvalidAction</Code><Message>m</Message>"),
        };
        assert_eq!(r.code().as_deref(), Some("InvalidAction"));
        assert_eq!(r.first("Message").as_deref(), Some("m"));
        assert_eq!(r.first("groupId"), None);
    }

    #[test]
    fn rng_below_stays_in_range() {
        let mut r = Rng::new(7);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            let x = r.below(10) as usize;
            seen[x] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(r.below(0), 0);
    }
}
