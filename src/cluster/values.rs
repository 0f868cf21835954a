//! The store by kind over JSON: what the Kubernetes API (`k8s`) and snapshots use, so one code
//! path serves every kind. Objects go in and out as their Kubernetes JSON (with `apiVersion`
//! and `kind`); decoding uses the kind's own Rust type, so what is stored has its shape.

use serde_json::Value;

use super::store::{ClusterStore, Kind, Object, StoreError, StoreSnapshot, Write};

/// Sets `apiVersion` and `kind` (types without them, like the CRDs', serialize none).
pub fn set_type_meta(kind: Kind, v: &mut Value) {
    if let Some(m) = v.as_object_mut() {
        m.insert("apiVersion".into(), Value::from(kind.api_version()));
        m.insert("kind".into(), Value::from(kind.name()));
    }
}

fn to_value<T: Object>(kind: Kind, o: &T) -> Value {
    let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
    set_type_meta(kind, &mut v);
    v
}

/// Decodes `v` as `kind`'s type; the error is serde's message.
pub fn decode<T: Object>(v: Value) -> Result<T, StoreError> {
    serde_json::from_value::<T>(v).map_err(|e| StoreError::Invalid(e.to_string()))
}

impl ClusterStore {
    pub fn get_value(&self, kind: Kind, namespace: &str, name: &str) -> Option<Value> {
        crate::with_kind!(kind, T => self.get::<T>(namespace, name).map(|o| to_value(kind, &o)))
    }

    /// Objects of `kind` (in one namespace, or all), ordered by namespace and name.
    pub fn list_values(&self, kind: Kind, namespace: Option<&str>) -> Vec<Value> {
        crate::with_kind!(kind, T => T::map(self)
            .iter()
            .filter(|((ns, _), _)| namespace.is_none_or(|n| n == ns))
            .map(|(_, o)| to_value(kind, o))
            .collect())
    }

    pub fn count(&self, kind: Kind, namespace: Option<&str>) -> usize {
        crate::with_kind!(kind, T => T::map(self).keys().filter(|(ns, _)| namespace.is_none_or(|n| n == ns)).count())
    }

    /// Decodes and writes; returns the stored object.
    pub fn write_value(&mut self, kind: Kind, v: Value, mode: Write) -> Result<Value, StoreError> {
        crate::with_kind!(kind, T => {
            let o: T = decode(v)?;
            self.write(o, mode).map(|o| to_value(kind, &o))
        })
    }

    /// Whether `v` decodes as `kind` (nothing is written).
    pub fn check_value(kind: Kind, v: &Value) -> Result<(), StoreError> {
        crate::with_kind!(kind, T => decode::<T>(v.clone()).map(|_| ()))
    }

    /// `v` decoded as `kind` and encoded again: what storing it would keep (unknown fields
    /// dropped, the type's shape).
    pub fn normalize(kind: Kind, v: &Value) -> Result<Value, StoreError> {
        crate::with_kind!(kind, T => decode::<T>(v.clone()).map(|o| to_value(kind, &o)))
    }

    /// Deletes (see `remove`): the last state, and whether it is gone.
    pub fn delete_value(&mut self, kind: Kind, namespace: &str, name: &str) -> Option<(Value, bool)> {
        crate::with_kind!(kind, T => self.remove::<T>(namespace, name).map(|(o, gone)| (to_value(kind, &o), gone)))
    }

    /// Everything, for a snapshot.
    pub fn export(&self) -> StoreSnapshot {
        StoreSnapshot {
            rv: self.resource_version(),
            uids: self.uid_counter(),
            event_uids: self.event_uids,
            webhook_class: self.webhook_class.clone(),
            objects: Kind::ALL.into_iter().map(|k| (k, self.list_values(k, None))).filter(|(_, v)| !v.is_empty()).collect(),
        }
    }

    /// A store holding a snapshot's objects exactly (uids, resourceVersions, timestamps), with
    /// its counters where they were. Nothing is defaulted again; the controllers' feed is
    /// empty (see `requeue_all`).
    pub fn import(name: &str, clock: crate::clock::Clock, s: StoreSnapshot) -> Result<ClusterStore, String> {
        let mut store = ClusterStore::new(name, clock);
        store.clear_all();
        for (kind, objects) in s.objects {
            for v in objects {
                crate::with_kind!(kind, T => {
                    let o: T = decode(v).map_err(|e| format!("cluster {name}: a {} does not decode: {e:?}", kind.name()))?;
                    let m = o.meta();
                    let k = (m.namespace.clone().unwrap_or_default(), m.name.clone().unwrap_or_default());
                    T::map_mut(&mut store).insert(k, o);
                });
            }
        }
        store.set_counters(s.rv, s.uids, s.event_uids);
        store.webhook_class = s.webhook_class;
        store.drain_watch();
        Ok(store)
    }
}
