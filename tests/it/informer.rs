//! What a client-go informer (or kube-rs's `watcher`) asks of the API, spoken over raw HTTP
//! against the real binary: list, then watch from the list's resourceVersion (ADDED, MODIFIED,
//! DELETED in order, each at a higher resourceVersion); the streaming list (`sendInitialEvents`,
//! ended by the `k8s.io/initial-events-end` bookmark); paging with limit/continue; and the 410
//! Expired that makes an informer list again. Raw HTTP rather than kube-rs: building kube-rs
//! and k8s-openapi's client from scratch cost 7.5 minutes on CI's 2 cores, for requests this
//! file sends itself.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

use crate::common::http::{Reply, send};

const SERVICES: &str = "/k8s/demo/api/v1/namespaces/default/services";

struct Lbsim {
    child: Child,
    addr: String,
}

impl Drop for Lbsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Lbsim {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lbsim"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("LBSIM_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr =
        line.trim().strip_prefix("lbsim listening on http://").unwrap_or_else(|| panic!("unexpected first line {line:?}")).to_string();
    Lbsim { child, addr }
}

fn json_of(r: &Reply) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.text()))
}

async fn call(addr: &str, method: &str, target: &str, content_type: &str, body: Value) -> (u16, Value) {
    let body = if body.is_null() { Vec::new() } else { serde_json::to_vec(&body).unwrap() };
    let r = send(addr, method, target, &[("Content-Type", content_type), ("Accept", "application/json")], &body).await;
    (r.status, json_of(&r))
}

fn service(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
           "spec": {"ports": [{"port": 80}], "selector": {"app": name}}})
}

async fn create(addr: &str, name: &str) -> Value {
    let (status, v) = call(addr, "POST", SERVICES, "application/json", service(name)).await;
    assert_eq!(status, 201, "{v}");
    v
}

fn rv(v: &Value) -> u64 {
    v["metadata"]["resourceVersion"].as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no resourceVersion in {v}"))
}

/// A watch response read line by line from its chunked body, as client-go's decoder does.
struct Watch {
    rd: tokio::io::BufReader<tokio::net::TcpStream>,
    pending: Vec<u8>,
}

impl Watch {
    async fn open(addr: &str, query: &str) -> Watch {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {SERVICES}?watch=true&{query} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut rd = tokio::io::BufReader::new(s);
        let mut head = String::new();
        loop {
            let mut l = String::new();
            tokio::time::timeout(Duration::from_secs(10), rd.read_line(&mut l)).await.expect("watch head").unwrap();
            if l == "\r\n" || l.is_empty() {
                break;
            }
            head.push_str(&l);
        }
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "{head}");
        Watch { rd, pending: Vec::new() }
    }

    /// The next event, or None when the server ended the stream.
    async fn next(&mut self) -> Option<Value> {
        let read = async {
            loop {
                if let Some(i) = self.pending.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = self.pending.drain(..=i).collect();
                    return Some(
                        serde_json::from_slice::<Value>(&line).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&line))),
                    );
                }
                let mut size = String::new();
                self.rd.read_line(&mut size).await.unwrap();
                let n = usize::from_str_radix(size.trim(), 16).unwrap_or_else(|_| panic!("chunk size {size:?}"));
                if n == 0 {
                    return None;
                }
                let mut chunk = vec![0u8; n + 2];
                self.rd.read_exact(&mut chunk).await.unwrap();
                self.pending.extend_from_slice(&chunk[..n]);
            }
        };
        tokio::time::timeout(Duration::from_secs(10), read).await.expect("no watch event within 10 s")
    }

    /// The next event about `name` (other Services' events pass by, as on a shared cluster).
    async fn next_for(&mut self, name: &str) -> (String, Value) {
        loop {
            let e = self.next().await.unwrap_or_else(|| panic!("the watch ended before an event for {name}"));
            if e["object"]["metadata"]["name"] == name {
                return (e["type"].as_str().unwrap_or_default().to_string(), e["object"].clone());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_informer_lists_then_watches_from_the_lists_resource_version() {
    let s = start();
    let a = &s.addr;
    create(a, "before-list").await;
    let (status, list) = call(a, "GET", SERVICES, "application/json", Value::Null).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["kind"], "ServiceList");
    let names: Vec<&str> = list["items"].as_array().unwrap().iter().filter_map(|i| i["metadata"]["name"].as_str()).collect();
    assert_eq!(names, ["before-list"]);
    let list_rv = rv(&list);

    let mut w = Watch::open(a, &format!("resourceVersion={list_rv}&allowWatchBookmarks=true&timeoutSeconds=30")).await;
    let created = create(a, "informer").await;
    let (ty, obj) = w.next_for("informer").await;
    assert_eq!(ty, "ADDED", "{obj}");
    assert_eq!(obj["metadata"]["uid"], created["metadata"]["uid"]);
    assert!(rv(&obj) > list_rv, "{obj}");

    let (status, patched) = call(
        a,
        "PATCH",
        &format!("{SERVICES}/informer"),
        "application/merge-patch+json",
        json!({"metadata": {"labels": {"checked": "yes"}}}),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    let (ty, obj) = w.next_for("informer").await;
    assert_eq!(ty, "MODIFIED", "{obj}");
    assert_eq!(obj["metadata"]["labels"]["checked"], "yes");
    assert_eq!(rv(&obj), rv(&patched));

    // An update from a stale copy is a 409 Conflict and sends no event.
    let mut stale = created.clone();
    stale["spec"]["selector"] = json!({"app": "other"});
    let (status, v) = call(a, "PUT", &format!("{SERVICES}/informer"), "application/json", stale).await;
    assert_eq!((status, v["reason"].as_str()), (409, Some("Conflict")), "{v}");

    let (status, v) = call(a, "DELETE", &format!("{SERVICES}/informer"), "application/json", Value::Null).await;
    assert_eq!(status, 200, "{v}");
    let (ty, obj) = w.next_for("informer").await;
    assert_eq!(ty, "DELETED", "{obj}");
    assert!(rv(&obj) > rv(&patched), "{obj}");
    // The object before the list was never replayed: the watch began at the list's version.
    drop(w);

    // A label-selected watch: an object that stops matching is DELETED for it.
    let mut w = Watch::open(a, "labelSelector=tier%3Dweb&resourceVersion=0&timeoutSeconds=30").await;
    let (status, _) = call(
        a,
        "PATCH",
        &format!("{SERVICES}/before-list"),
        "application/merge-patch+json",
        json!({"metadata": {"labels": {"tier": "web"}}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(w.next_for("before-list").await.0, "ADDED");
    let (status, _) = call(
        a,
        "PATCH",
        &format!("{SERVICES}/before-list"),
        "application/merge-patch+json",
        json!({"metadata": {"labels": {"tier": null}}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(w.next_for("before-list").await.0, "DELETED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_list_ends_its_initial_events_with_a_bookmark() {
    let s = start();
    let a = &s.addr;
    for n in ["one", "two"] {
        create(a, n).await;
    }
    let mut w = Watch::open(a, "sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=30").await;
    let mut initial = Vec::new();
    let bookmark = loop {
        let e = w.next().await.expect("the stream ended before the initial-events bookmark");
        match e["type"].as_str() {
            Some("ADDED") => initial.push(e["object"]["metadata"]["name"].as_str().unwrap().to_string()),
            Some("BOOKMARK") => break e["object"].clone(),
            _ => panic!("unexpected event before the bookmark: {e}"),
        }
    };
    assert_eq!(initial, ["one", "two"]);
    assert_eq!(bookmark["metadata"]["annotations"]["k8s.io/initial-events-end"], "true", "{bookmark}");
    assert_eq!(bookmark["kind"], "Service");
    let (_, list) = call(a, "GET", SERVICES, "application/json", Value::Null).await;
    assert_eq!(rv(&bookmark), rv(&list));
    create(a, "three").await;
    assert_eq!(w.next_for("three").await.0, "ADDED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_with_limit_and_continue_and_old_versions_are_expired() {
    let s = start();
    let a = &s.addr;
    for n in ["p1", "p2", "p3"] {
        create(a, n).await;
    }
    let (status, page) = call(a, "GET", &format!("{SERVICES}?limit=2"), "application/json", Value::Null).await;
    assert_eq!(status, 200, "{page}");
    let names = |p: &Value| -> Vec<String> {
        p["items"].as_array().unwrap().iter().map(|i| i["metadata"]["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names(&page), ["p1", "p2"]);
    assert_eq!(page["metadata"]["remainingItemCount"], 1);
    let token = page["metadata"]["continue"].as_str().expect("a continue token").to_string();
    let (status, rest) = call(a, "GET", &format!("{SERVICES}?limit=2&continue={token}"), "application/json", Value::Null).await;
    assert_eq!(status, 200, "{rest}");
    assert_eq!(names(&rest), ["p3"]);
    assert!(rest["metadata"].get("continue").is_none_or(|c| c.as_str() == Some("")), "{rest}");

    // A watch from a version older than the history: one ERROR event with a 410 Expired
    // Status, then the stream ends (client-go then lists again).
    let mut w = Watch::open(a, "resourceVersion=1").await;
    let e = w.next().await.expect("an ERROR event");
    assert_eq!(e["type"], "ERROR", "{e}");
    assert_eq!((e["object"]["code"].as_i64(), e["object"]["reason"].as_str()), (Some(410), Some("Expired")), "{e}");
    assert!(w.next().await.is_none(), "the stream goes on after 410");
    // A list at an exact version that is not the current one: 410 as well.
    let (status, v) =
        call(a, "GET", &format!("{SERVICES}?resourceVersion=2&resourceVersionMatch=Exact"), "application/json", Value::Null).await;
    assert_eq!((status, v["reason"].as_str(), v["kind"].as_str()), (410, Some("Expired"), Some("Status")), "{v}");
}
