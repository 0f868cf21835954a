//! Kubernetes Events as the controller records them: one record per (object, type, reason,
//! message), whose `count` and `last` move when the same event repeats (the client-go event
//! correlator's aggregation of identical events).

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Involved object: kind, namespace, name, uid.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub type_: String,
    pub reason: String,
    pub message: String,
    pub count: u32,
    #[serde(serialize_with = "rfc3339")]
    pub first: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub last: DateTime<Utc>,
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

pub const NORMAL: &str = "Normal";
pub const WARNING: &str = "Warning";
