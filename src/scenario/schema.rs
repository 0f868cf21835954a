//! scenarios/schema.json: the JSON Schema of scenario files, derived from the types in `format`
//! with schemars — the types are what lbsim parses with, so the schema cannot say something the
//! parser does not. Editors and CI check files against the committed copy
//! (tests/smoke/check_scenarios.py); a test keeps that copy equal to the derived one, and
//! `LBSIM_BLESS=1 cargo test` rewrites it after a change to the types.

use super::format::Scenario;

/// The committed copy.
pub const COMMITTED: &str = include_str!("../../scenarios/schema.json");

/// The schema as the types give it, pretty-printed, with a final newline.
pub fn derived() -> String {
    let mut s = schemars::schema_for!(Scenario);
    s.insert("title".into(), "lbsim scenario".into());
    serde_json::to_string_pretty(&s).map(|t| t + "\n").unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_schema_is_the_derived_one() {
        let now = derived();
        if std::env::var_os("LBSIM_BLESS").is_some() {
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/schema.json"), &now).unwrap();
            return;
        }
        assert!(now == COMMITTED, "scenarios/schema.json is stale: run LBSIM_BLESS=1 cargo test --lib schema, and commit it");
    }

    #[test]
    fn the_schema_describes_the_steps() {
        let v: serde_json::Value = serde_json::from_str(&derived()).unwrap();
        assert_eq!(v["additionalProperties"], false, "unknown top-level keys are refused");
        let text = v.to_string();
        for step in ["apply", "delete", "settle", "advance", "expect", "aws", "repeat"] {
            assert!(text.contains(&format!("\"{step}\"")), "{step} is in the schema");
        }
    }
}
