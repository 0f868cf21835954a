//! Watches: a chunked stream of `{"type", "object"}` lines read from the store's change
//! history. From resourceVersion unset or "0": the current objects as ADDED first; from N: the
//! changes after N, or one ERROR 410 Expired when N is older than the history (client-go then
//! lists again); `sendInitialEvents=true` (client-go's watch-list): ADDED for all, then a
//! BOOKMARK marked `k8s.io/initial-events-end`. Selector-filtered watches see an object that
//! stops matching as DELETED and one that starts matching as ADDED, as upstream's filter does.
//! Bookmarks every minute when allowed; the stream ends at `timeoutSeconds` (30 minutes when
//! unset, like the API server's request timeout). No lock is held while waiting or sending.

use std::collections::BTreeSet;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::ApiCluster;
use super::objects::{Query, events_view, select, selectors, wants_table};
use super::resources::Resource;
use super::selectors::{FieldSelector, LabelSelector, labels_of};
use super::status::Status;
use super::table::{self, Include};
use crate::cluster::{ChangeType, Kind};

/// A body fed by a channel: each message is flushed as its own chunk.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|m| m.map(|b| Ok(http_body::Frame::data(b))))
    }
}

const BOOKMARK_EVERY: Duration = Duration::from_secs(60);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

struct Filter {
    kind: Kind,
    events_view: bool,
    ns: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
    /// Keys of the objects the client currently sees.
    seen: BTreeSet<(String, String)>,
}

impl Filter {
    fn matches(&self, v: &Value) -> bool {
        self.labels.matches(&labels_of(v)) && self.fields.matches(v)
    }
}

/// Renders one event line, as JSON or as a one-row Table.
struct Render {
    kind: Kind,
    table: bool,
    include: Include,
    columns_sent: bool,
}

impl Render {
    fn line(&mut self, ty: &str, object: &Value, now: chrono::DateTime<chrono::Utc>) -> Bytes {
        let obj = if self.table && ty != "BOOKMARK" && ty != "ERROR" {
            let rv = object["metadata"]["resourceVersion"].as_str().unwrap_or("").to_string();
            let t = table::table(self.kind, std::slice::from_ref(object), &rv, now, self.include, !self.columns_sent);
            self.columns_sent = true;
            t
        } else {
            object.clone()
        };
        let mut b = serde_json::to_vec(&json!({ "type": ty, "object": obj })).unwrap_or_default();
        b.push(b'\n');
        Bytes::from(b)
    }
}

fn bookmark(r: &Resource, rv: u64, initial_end: bool) -> Value {
    let mut meta = json!({ "resourceVersion": rv.to_string() });
    if initial_end {
        meta["annotations"] = json!({ "k8s.io/initial-events-end": "true" });
    }
    json!({ "kind": r.kind.name(), "apiVersion": r.group_version(), "metadata": meta })
}

pub fn serve(c: &ApiCluster, r: &'static Resource, ns: Option<&str>, q: &Query, headers: &HeaderMap) -> Result<Response, Status> {
    let (labels, fields) = selectors(r, q)?;
    let rv_param = q.get("resourceVersion").cloned().unwrap_or_default();
    let initial = q.get("sendInitialEvents").is_some_and(|v| v == "true");
    let bookmarks = q.get("allowWatchBookmarks").is_some_and(|v| v == "true") || initial;
    let timeout = q.get("timeoutSeconds").and_then(|t| t.parse::<u64>().ok()).map(Duration::from_secs).unwrap_or(DEFAULT_TIMEOUT);
    let from: Option<u64> = match rv_param.as_str() {
        "" | "0" => None,
        n => Some(n.parse::<u64>().map_err(|_| Status::bad_request(format!("invalid resource version: {n}")))?),
    };
    let mut render = Render {
        kind: r.kind,
        table: wants_table(headers),
        include: Include::parse(q.get("includeObject").map(String::as_str)),
        columns_sent: false,
    };
    let mut filter = Filter {
        kind: if r.events_view { Kind::Event } else { r.kind },
        events_view: r.events_view,
        ns: ns.map(String::from),
        labels,
        fields,
        seen: BTreeSet::new(),
    };
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let mut changed = c.store.lock().subscribe();
    // The first lines, under one hold of the lock: the state now, or the check of `from`.
    let mut first: Vec<Bytes> = Vec::new();
    let mut last_rv;
    let mut done = false;
    {
        let s = c.store.lock();
        let now = s.now();
        last_rv = s.resource_version();
        match from {
            Some(n) if !initial => match s.changes_since(n) {
                Ok(_) => last_rv = n,
                Err(oldest) => {
                    let st = Status::expired(n, oldest).to_json();
                    first.push(render.line("ERROR", &st, now));
                    done = true;
                }
            },
            _ => {
                for v in select(&s, r, ns, &filter.labels, &filter.fields) {
                    filter.seen.insert((
                        v["metadata"]["namespace"].as_str().unwrap_or("").to_string(),
                        v["metadata"]["name"].as_str().unwrap_or("").to_string(),
                    ));
                    first.push(render.line("ADDED", &v, now));
                }
                if initial {
                    first.push(render.line("BOOKMARK", &bookmark(r, last_rv, true), now));
                }
            }
        }
    }
    let store = c.store.clone();
    tokio::spawn(async move {
        for b in first {
            if tx.send(b).await.is_err() {
                return;
            }
        }
        if done {
            return;
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut next_bookmark = tokio::time::Instant::now() + BOOKMARK_EVERY;
        loop {
            let (lines, now_rv) = {
                let s = store.lock();
                let now = s.now();
                match s.changes_since(last_rv) {
                    Ok(changes) => {
                        let mut out = Vec::new();
                        for ch in
                            changes.iter().filter(|ch| ch.kind == filter.kind && filter.ns.as_deref().is_none_or(|n| n == ch.namespace))
                        {
                            let obj = if filter.events_view { events_view(&ch.object) } else { (*ch.object).clone() };
                            let key = (ch.namespace.clone(), ch.name.clone());
                            let was = filter.seen.contains(&key);
                            let is = ch.change != ChangeType::Deleted && filter.matches(&obj);
                            let ty = match (was, is, ch.change) {
                                (true, false, _) => Some("DELETED"),
                                (false, true, _) => Some("ADDED"),
                                (true, true, _) => Some("MODIFIED"),
                                (false, false, _) => None,
                            };
                            if is {
                                filter.seen.insert(key);
                            } else {
                                filter.seen.remove(&key);
                            }
                            if let Some(ty) = ty {
                                out.push(render.line(ty, &obj, now));
                            }
                        }
                        (out, s.resource_version())
                    }
                    Err(oldest) => {
                        let st = Status::expired(last_rv, oldest).to_json();
                        let _ = tx.try_send(render.line("ERROR", &st, now));
                        return;
                    }
                }
            };
            last_rv = now_rv;
            for b in lines {
                if tx.send(b).await.is_err() {
                    return;
                }
            }
            tokio::select! {
                r = changed.changed() => if r.is_err() { return },
                () = tokio::time::sleep_until(deadline) => return,
                () = tokio::time::sleep_until(next_bookmark), if bookmarks => {
                    next_bookmark = tokio::time::Instant::now() + BOOKMARK_EVERY;
                    let now = store.lock().now();
                    if tx.send(render.line("BOOKMARK", &bookmark(r, last_rv, false), now)).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let mut resp = (StatusCode::OK, Body::new(ChannelBody(rx))).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(resp)
}
