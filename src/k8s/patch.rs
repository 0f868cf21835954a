//! The four patch types the API accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902),
//! strategic merge patch (apimachinery `strategicpatch`: lists with a merge key merged per
//! element, `$patch`, `$setElementOrder`, `$retainKeys`, `$deleteFromPrimitiveList`), and
//! server-side apply, which lbsim applies as a strategic merge of the applied configuration
//! (field ownership and apply conflicts are not tracked: a documented simplification).
//!
//! Written here rather than taken from a crate: the json-patch crate's dependencies would turn
//! on a `serde` feature and so rebuild every crate above serde, the AWS SDK's included.

use serde_json::{Map, Value};

/// RFC 7386: objects merge, `null` deletes, anything else replaces.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("an object");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

fn unescape(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

fn pointer_parts(p: &str) -> Result<Vec<String>, String> {
    if p.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = p.strip_prefix('/') else { return Err(format!("invalid JSON pointer {p:?}")) };
    Ok(rest.split('/').map(unescape).collect())
}

fn parent<'a>(doc: &'a mut Value, parts: &[String], path: &str) -> Result<&'a mut Value, String> {
    let mut cur = doc;
    for seg in &parts[..parts.len().saturating_sub(1)] {
        cur = match cur {
            Value::Object(m) => m.get_mut(seg),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| format!("doc is missing path: {path:?}"))?;
    }
    Ok(cur)
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let parts = pointer_parts(path)?;
    let Some(last) = parts.last().cloned() else {
        *doc = value;
        return Ok(());
    };
    match parent(doc, &parts, path)? {
        Value::Object(m) => {
            m.insert(last, value);
        }
        Value::Array(a) => {
            let i = if last == "-" { a.len() } else { last.parse::<usize>().map_err(|_| format!("invalid index {last:?} in {path:?}"))? };
            if i > a.len() {
                return Err(format!("insert index out of bounds: {path:?}"));
            }
            a.insert(i, value);
        }
        _ => return Err(format!("doc is missing path: {path:?}")),
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let parts = pointer_parts(path)?;
    let Some(last) = parts.last().cloned() else { return Err("cannot remove the whole document".into()) };
    match parent(doc, &parts, path)? {
        Value::Object(m) => m.remove(&last).ok_or_else(|| format!("remove operation does not apply: doc is missing path: {path:?}")),
        Value::Array(a) => {
            let i = last.parse::<usize>().ok().filter(|i| *i < a.len()).ok_or_else(|| format!("remove index out of bounds: {path:?}"))?;
            Ok(a.remove(i))
        }
        _ => Err(format!("doc is missing path: {path:?}")),
    }
}

fn get<'a>(doc: &'a Value, path: &str) -> Result<&'a Value, String> {
    doc.pointer(path).ok_or_else(|| format!("doc is missing path: {path:?}"))
}

/// RFC 6902, all or nothing: the operations run on a copy.
pub fn json_patch(target: &Value, ops: &Value) -> Result<Value, String> {
    let Value::Array(ops) = ops else { return Err("a JSON patch must be a list of operations".into()) };
    let mut doc = target.clone();
    for op in ops {
        let path = op["path"].as_str().ok_or("an operation needs a \"path\"")?;
        match op["op"].as_str().unwrap_or("") {
            "add" => add(&mut doc, path, op.get("value").cloned().ok_or("add needs a \"value\"")?)?,
            "remove" => {
                remove(&mut doc, path)?;
            }
            "replace" => {
                remove(&mut doc, path)?;
                add(&mut doc, path, op.get("value").cloned().ok_or("replace needs a \"value\"")?)?;
            }
            "move" => {
                let from = op["from"].as_str().ok_or("move needs a \"from\"")?;
                let v = remove(&mut doc, from)?;
                add(&mut doc, path, v)?;
            }
            "copy" => {
                let from = op["from"].as_str().ok_or("copy needs a \"from\"")?;
                let v = get(&doc, from)?.clone();
                add(&mut doc, path, v)?;
            }
            "test" => {
                if get(&doc, path)? != &op["value"] {
                    return Err(format!("testing value {path:?} failed"));
                }
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(doc)
}

/// How a list field merges in a strategic merge patch (the `patchStrategy`/`patchMergeKey`
/// struct tags of k8s.io/api), by the field's name and the one it sits under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Replace,
    /// Elements matched by this key.
    Keyed(&'static str),
    /// A set of primitives (finalizers).
    Primitives,
}

fn list_kind(parent: &str, field: &str) -> ListKind {
    match field {
        "containers" | "initContainers" | "ephemeralContainers" | "env" | "volumes" | "imagePullSecrets" | "resourceClaims" => {
            ListKind::Keyed("name")
        }
        "ports" if matches!(parent, "containers" | "initContainers" | "ephemeralContainers") => ListKind::Keyed("containerPort"),
        "ports" if parent == "spec" => ListKind::Keyed("port"),
        "volumeMounts" => ListKind::Keyed("mountPath"),
        "volumeDevices" => ListKind::Keyed("devicePath"),
        "conditions" => ListKind::Keyed("type"),
        "addresses" if parent == "status" => ListKind::Keyed("type"),
        "ownerReferences" => ListKind::Keyed("uid"),
        "hostAliases" => ListKind::Keyed("ip"),
        "topologySpreadConstraints" => ListKind::Keyed("topologyKey"),
        "finalizers" if parent == "metadata" => ListKind::Primitives,
        _ => ListKind::Replace,
    }
}

/// Applies a strategic merge patch to `target`; `parent` is the field `target` sits under
/// (list elements: their list's field), which picks the list strategies.
pub fn strategic(target: &mut Value, patch: &Value, parent: &str) -> Result<(), String> {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return Ok(());
    };
    match p.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            let mut v = patch.clone();
            if let Some(m) = v.as_object_mut() {
                m.remove("$patch");
            }
            *target = v;
            return Ok(());
        }
        Some("delete") => {
            *target = Value::Null;
            return Ok(());
        }
        Some("merge") | None => {}
        Some(other) => return Err(format!("unknown patch type found: {other:?}")),
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    // `$retainKeys`: keys not listed (nor patched) are dropped.
    if let Some(keep) = p.get("$retainKeys").and_then(Value::as_array) {
        let keep: Vec<&str> = keep.iter().filter_map(Value::as_str).collect();
        if let Some(t) = target.as_object_mut() {
            t.retain(|k, _| keep.contains(&k.as_str()));
        }
    }
    for (k, v) in p {
        if k.starts_with('$') && !k.starts_with("$setElementOrder/") && !k.starts_with("$deleteFromPrimitiveList/") {
            continue;
        }
        let t = target.as_object_mut().expect("an object");
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Some(del)) = (t.get_mut(field), v.as_array()) {
                list.retain(|x| !del.contains(x));
            }
            continue;
        }
        if let Some(field) = k.strip_prefix("$setElementOrder/") {
            if let (Some(Value::Array(list)), Some(order)) = (t.get_mut(field), v.as_array()) {
                reorder(list, order, list_kind(parent, field));
            }
            continue;
        }
        if v.is_null() {
            t.remove(k);
            continue;
        }
        match (v, list_kind(parent, k)) {
            (Value::Array(items), ListKind::Keyed(key)) => {
                let cur = t.entry(k.clone()).or_insert_with(|| Value::Array(Vec::new()));
                if !cur.is_array() {
                    *cur = Value::Array(Vec::new());
                }
                merge_keyed(cur.as_array_mut().expect("a list"), items, key, k)?;
            }
            (Value::Array(items), ListKind::Primitives) => {
                let cur = t.entry(k.clone()).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = cur {
                    for x in items {
                        if !list.contains(x) {
                            list.push(x.clone());
                        }
                    }
                } else {
                    *cur = v.clone();
                }
            }
            (Value::Object(_), _) => {
                let cur = t.entry(k.clone()).or_insert(Value::Null);
                strategic(cur, v, k)?;
                if cur.is_null() {
                    t.remove(k);
                }
            }
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(())
}

fn merge_keyed(list: &mut Vec<Value>, items: &[Value], key: &str, field: &str) -> Result<(), String> {
    for item in items {
        let Some(kv) = item.get(key).cloned() else {
            // A patch element without its merge key: upstream refuses it.
            if item.get("$patch").and_then(Value::as_str) == Some("replace") {
                continue;
            }
            return Err(format!("map: {item} does not contain declared merge key: {key}"));
        };
        let pos = list.iter().position(|x| x.get(key) == Some(&kv));
        let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
        match (pos, delete) {
            (Some(i), true) => {
                list.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => strategic(&mut list[i], item, field)?,
            (None, false) => {
                let mut v = Value::Null;
                strategic(&mut v, item, field)?;
                list.push(v);
            }
        }
    }
    Ok(())
}

/// `$setElementOrder`: the listed elements first, in that order; the rest keep theirs after.
fn reorder(list: &mut Vec<Value>, order: &[Value], kind: ListKind) {
    let same = |a: &Value, b: &Value| match kind {
        ListKind::Keyed(k) => a.get(k).is_some() && a.get(k) == b.get(k),
        _ => a == b,
    };
    let mut out = Vec::with_capacity(list.len());
    for o in order {
        if let Some(i) = list.iter().position(|x| same(x, o)) {
            out.push(list.remove(i));
        }
    }
    out.append(list);
    *list = out;
}

/// The patch `kubectl apply` computes from the last applied configuration and the new one: the
/// new one's fields, `null` for fields the last one had and the new one dropped, and `$patch:
/// delete` for dropped elements of keyed lists (its three-way merge, minus the live object,
/// which the strategic merge then keeps where neither configuration speaks).
pub fn three_way(last: &Value, new: &Value) -> Value {
    diff(last, new, "")
}

fn diff(last: &Value, new: &Value, parent: &str) -> Value {
    let (Value::Object(l), Value::Object(n)) = (last, new) else { return new.clone() };
    let mut out = Map::new();
    for (k, nv) in n {
        let v = match (l.get(k), nv, list_kind(parent, k)) {
            (Some(lv @ Value::Object(_)), Value::Object(_), _) => diff(lv, nv, k),
            (Some(Value::Array(la)), Value::Array(na), ListKind::Keyed(key)) => {
                let mut items: Vec<Value> = na
                    .iter()
                    .map(|item| match la.iter().find(|x| x.get(key).is_some() && x.get(key) == item.get(key)) {
                        Some(old) => diff(old, item, k),
                        None => item.clone(),
                    })
                    .collect();
                for old in la {
                    if old.get(key).is_some() && !na.iter().any(|x| x.get(key) == old.get(key)) {
                        items.push(serde_json::json!({ key: old[key].clone(), "$patch": "delete" }));
                    }
                }
                Value::Array(items)
            }
            _ => nv.clone(),
        };
        out.insert(k.clone(), v);
    }
    for k in l.keys() {
        if !n.contains_key(k) {
            out.insert(k.clone(), Value::Null);
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strategic_keeps_server_fields_and_merges_by_key() {
        let mut svc =
            json!({"spec": {"ports": [{"port": 80, "targetPort": 80, "nodePort": 30000, "protocol": "TCP"}], "clusterIP": "172.20.0.11"}});
        let p = json!({"spec": {"$setElementOrder/ports": [{"port": 80}, {"port": 443}], "ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "protocol": "TCP", "targetPort": 8443}]}});
        strategic(&mut svc, &p, "").unwrap();
        assert_eq!(svc["spec"]["ports"][0], json!({"port": 80, "targetPort": 8080, "nodePort": 30000, "protocol": "TCP"}));
        assert_eq!(svc["spec"]["ports"][1]["port"], 443);
        assert_eq!(svc["spec"]["clusterIP"], "172.20.0.11");

        let mut d =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "a", "ports": [{"containerPort": 80}]}]}}}});
        let p = json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "b", "ports": [{"containerPort": 80, "name": "http"}]}]}}}});
        strategic(&mut d, &p, "").unwrap();
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0],
            json!({"name": "nginx", "image": "b", "ports": [{"containerPort": 80, "name": "http"}]})
        );

        let mut m = json!({"metadata": {"finalizers": ["a"], "labels": {"x": "1", "y": "2"}}});
        strategic(&mut m, &json!({"metadata": {"finalizers": ["b"], "labels": {"x": null}}}), "").unwrap();
        assert_eq!(m, json!({"metadata": {"finalizers": ["a", "b"], "labels": {"y": "2"}}}));
        strategic(&mut m, &json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}), "").unwrap();
        assert_eq!(m["metadata"]["finalizers"], json!(["b"]));
    }

    #[test]
    fn three_way_removes_what_the_new_configuration_dropped() {
        let last = json!({"metadata": {"annotations": {"a": "1", "b": "2"}}, "spec": {"ports": [{"port": 80}, {"port": 443}]}});
        let new = json!({"metadata": {"annotations": {"a": "1"}}, "spec": {"ports": [{"port": 80}]}});
        let mut live = json!({"metadata": {"annotations": {"a": "1", "b": "2", "c": "server"}}, "spec": {"ports": [{"port": 80, "nodePort": 30000}, {"port": 443, "nodePort": 30001}]}});
        strategic(&mut live, &three_way(&last, &new), "").unwrap();
        assert_eq!(
            live,
            json!({"metadata": {"annotations": {"a": "1", "c": "server"}}, "spec": {"ports": [{"port": 80, "nodePort": 30000}]}})
        );
    }

    #[test]
    fn merge_and_json_patch() {
        let mut v = json!({"a": 1, "b": {"c": 2}});
        merge(&mut v, &json!({"a": null, "b": {"d": 3}}));
        assert_eq!(v, json!({"b": {"c": 2, "d": 3}}));
        let out = json_patch(&v, &json!([{"op": "add", "path": "/b/e", "value": [1]}, {"op": "add", "path": "/b/e/-", "value": 2}, {"op": "remove", "path": "/b/c"}])).unwrap();
        assert_eq!(out, json!({"b": {"d": 3, "e": [1, 2]}}));
        assert!(json_patch(&v, &json!([{"op": "test", "path": "/b/c", "value": 9}])).is_err());
    }
}
