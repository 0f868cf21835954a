//! scenarios/schema.json (the JSON Schema editors and CI can check scenario files with) and a
//! small validator for the subset of JSON Schema it uses — `type`, `properties`, `required`,
//! `additionalProperties`, `items`, `enum`, `oneOf`, `anyOf`, `$ref` to `#/$defs/…`, `minimum`,
//! `minItems`, `minProperties`, `maxProperties` — written by hand rather than pulling in the
//! `jsonschema` crate and its dependency tree for one test and one check per file.

use serde_json::Value;

pub const SCHEMA: &str = include_str!("../../scenarios/schema.json");

/// Validates scenario text (YAML) against the schema; the error names the JSON path.
pub fn check_text(text: &str) -> Result<(), String> {
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| format!("not YAML: {e}"))?;
    let schema: Value = serde_json::from_str(SCHEMA).map_err(|e| format!("schema.json: {e}"))?;
    validate(&schema, &schema, &doc, "")
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    }
}

fn at(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}

/// Checks `v` against `s`; `root` resolves `$ref`s.
pub fn validate(root: &Value, s: &Value, v: &Value, path: &str) -> Result<(), String> {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/$defs/").ok_or_else(|| format!("schema: unsupported $ref {r}"))?;
        let target = root.get("$defs").and_then(|d| d.get(name)).ok_or_else(|| format!("schema: dangling $ref {r}"))?;
        return validate(root, target, v, path);
    }
    match s.get("type") {
        Some(Value::String(t)) if !type_ok(t, v) => return Err(format!("{}: expected {t}, found {}", at(path), kind(v))),
        Some(Value::Array(ts)) if !ts.iter().filter_map(Value::as_str).any(|t| type_ok(t, v)) => {
            let names: Vec<&str> = ts.iter().filter_map(Value::as_str).collect();
            return Err(format!("{}: expected {}, found {}", at(path), names.join(" or "), kind(v)));
        }
        _ => {}
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        let names: Vec<String> = e.iter().map(|x| x.to_string()).collect();
        return Err(format!("{}: {v} is not one of {}", at(path), names.join(", ")));
    }
    if let (Some(min), Some(n)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64())
        && n < min
    {
        return Err(format!("{}: {n} is less than {min}", at(path)));
    }
    if let Some(obj) = v.as_object() {
        for r in s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !obj.contains_key(r) {
                return Err(format!("{}: missing required field '{r}'", at(path)));
            }
        }
        if let Some(n) = s.get("minProperties").and_then(Value::as_u64)
            && (obj.len() as u64) < n
        {
            return Err(format!("{}: needs at least {n} field(s)", at(path)));
        }
        if let Some(n) = s.get("maxProperties").and_then(Value::as_u64)
            && (obj.len() as u64) > n
        {
            return Err(format!("{}: takes at most {n} field(s), found {}", at(path), obj.len()));
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, x) in obj {
            let sub = format!("{path}/{k}");
            match props.and_then(|p| p.get(k)) {
                Some(ps) => validate(root, ps, x, &sub)?,
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        let known: Vec<&String> = props.map(|p| p.keys().collect()).unwrap_or_default();
                        let known: Vec<&str> = known.iter().map(|k| k.as_str()).collect();
                        return Err(format!("{}: unknown field '{k}' (known: {})", at(path), known.join(", ")));
                    }
                    Some(ap @ Value::Object(_)) => validate(root, ap, x, &sub)?,
                    _ => {}
                },
            }
        }
    }
    if let Some(items) = v.as_array() {
        if let Some(n) = s.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < n
        {
            return Err(format!("{}: needs at least {n} item(s)", at(path)));
        }
        if let Some(is) = s.get("items") {
            for (i, x) in items.iter().enumerate() {
                validate(root, is, x, &format!("{path}/{i}"))?;
            }
        }
    }
    if let Some(alts) = s.get("oneOf").and_then(Value::as_array) {
        let results: Vec<Result<(), String>> = alts.iter().map(|a| validate(root, a, v, path)).collect();
        let passing = results.iter().filter(|r| r.is_ok()).count();
        if passing != 1 {
            return Err(best_error(v, alts, results, path, passing));
        }
    }
    if let Some(alts) = s.get("anyOf").and_then(Value::as_array) {
        let results: Vec<Result<(), String>> = alts.iter().map(|a| validate(root, a, v, path)).collect();
        if !results.iter().any(Result::is_ok) {
            return Err(best_error(v, alts, results, path, 0));
        }
    }
    Ok(())
}

/// For a one-key object (a step or a check), the error of the alternative that names that key;
/// otherwise a summary.
fn best_error(v: &Value, alts: &[Value], results: Vec<Result<(), String>>, path: &str, passing: usize) -> String {
    if passing > 1 {
        return format!("{}: matches more than one form", at(path));
    }
    if let Some(obj) = v.as_object()
        && obj.len() == 1
        && let Some(key) = obj.keys().next()
    {
        for (a, r) in alts.iter().zip(&results) {
            let names_key = a.get("required").and_then(Value::as_array).is_some_and(|req| req.iter().any(|x| x == key));
            if names_key && let Err(e) = r {
                return e.clone();
            }
        }
        let keys: Vec<String> = alts.iter().filter_map(|a| a.get("required")?.as_array()?.first()?.as_str().map(String::from)).collect();
        return format!("{}: unknown form '{key}' (one of: {})", at(path), keys.join(", "));
    }
    let first = results.into_iter().find_map(Result::err).unwrap_or_default();
    format!("{}: matches none of the allowed forms (first: {first})", at(path))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_the_controller_releases() {
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        let listed: Vec<&str> = schema["$defs"]["controller"]["properties"]["profile"]["enum"]
            .as_array()
            .or_else(|| schema["properties"]["controller"]["properties"]["profile"]["enum"].as_array())
            .expect("profile enum")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let mut want: Vec<&str> = crate::reconciler::Profile::RELEASES.to_vec();
        want.push("latest");
        assert_eq!(listed, want);
    }

    #[test]
    fn the_schema_is_json_and_its_refs_resolve() {
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        let defs = schema["$defs"].as_object().unwrap();
        for (i, _) in SCHEMA.match_indices("#/$defs/") {
            let name: String = SCHEMA[i + 8..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            assert!(defs.contains_key(&name), "dangling $ref {name}");
        }
    }

    #[test]
    fn bad_files_are_refused_with_a_path() {
        let e = check_text("name: x\nsteps:\n  - settle: {timeout: 5m, bogus: 1}\n").unwrap_err();
        assert!(e.contains("/steps/0/settle") && e.contains("bogus"), "{e}");
        let e = check_text("name: x\nsteps:\n  - aply: {}\n").unwrap_err();
        assert!(e.contains("unknown form 'aply'"), "{e}");
        let e = check_text("steps:\n  - settle: {}\n").unwrap_err();
        assert!(e.contains("'name'"), "{e}");
        let e = check_text("name: x\nsteps:\n  - expect: [{rules: {group: {role: node}, count: -1}}]\n").unwrap_err();
        assert!(e.contains("count"), "{e}");
        check_text("name: x\nsteps:\n  - settle: {}\n  - expect: [{rules: {group: {role: node}, count: 1}}]\n").unwrap();
    }
}
