//! The `aws` step: one raw Query-protocol call (EC2 or ELBv2) with the parameters as written —
//! signed (SigV4) as an SDK signs it, into lbsim's router in process or over HTTP to another endpoint.

use super::env::Env;
use crate::client::connector;
use crate::client::http::{self, Http, Reply, Signer};

/// (signing name, API version) of a service name as scenarios spell it.
fn service(s: &str) -> Result<(&'static str, &'static str), String> {
    match s {
        "ec2" => Ok(("ec2", "2016-11-15")),
        "elbv2" | "elasticloadbalancing" => Ok(("elasticloadbalancing", "2015-12-01")),
        _ => Err(format!("aws: service '{s}' is not one of ec2, elbv2")),
    }
}

/// A parameter as form fields: scalars as they are, lists as `Name.1`, `Name.2`, …, mappings as
/// `Name.Key` (so `TagSpecification.1: {ResourceType: …, Tag: [{Key: …, Value: …}]}` works).
pub fn flatten(key: &str, v: &serde_yaml_ng::Value) -> Result<Vec<(String, String)>, String> {
    use serde_yaml_ng::Value as V;
    Ok(match v {
        V::String(s) => vec![(key.to_string(), s.clone())],
        V::Number(n) => vec![(key.to_string(), n.to_string())],
        V::Bool(b) => vec![(key.to_string(), b.to_string())],
        V::Sequence(items) => {
            let mut out = Vec::new();
            for (i, x) in items.iter().enumerate() {
                out.extend(flatten(&format!("{key}.{}", i + 1), x)?);
            }
            out
        }
        V::Mapping(m) => {
            let mut out = Vec::new();
            for (k, x) in m {
                let k = k.as_str().ok_or_else(|| format!("aws: parameter {key} has a non-string key"))?;
                out.extend(flatten(&format!("{key}.{k}"), x)?);
            }
            out
        }
        V::Null => vec![(key.to_string(), String::new())],
        V::Tagged(_) => return Err(format!("aws: parameter {key}: YAML tags are not supported")),
    })
}

pub async fn call(env: &Env, svc: &str, action: &str, params: &[(String, String)]) -> Result<Reply, String> {
    let (signing, version) = service(svc)?;
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", action).append_pair("Version", version);
    for (k, v) in params {
        form.append_pair(k, v);
    }
    let body = form.finish();
    let (account, region) = (&env.sim.loaded.account, &env.sim.loaded.region);
    // The account is the access key, as for every lbsim-made client (any secret is accepted).
    let signer = Signer::new(account, "lbsim", region);
    match (&env.sim.world.app, &env.endpoint) {
        (Some(app), _) => {
            let ctype = "application/x-www-form-urlencoded; charset=utf-8";
            let mut req = http::build("POST", "http://lbsim.in-process/", Some((ctype, body.clone().into_bytes())), &[])?;
            signer.sign(&mut req, body.as_bytes(), signing, std::time::SystemTime::now())?;
            connector::send(app, req).await.map_err(|e| format!("aws: {e}"))
        }
        (None, Some(url)) => Http::new().aws(url, &signer, signing, body).await.map_err(|e| format!("aws: {e}")),
        (None, None) => Err("aws: no endpoint".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_flatten_to_query_fields() {
        let v: serde_yaml_ng::Value =
            serde_yaml_ng::from_str("- {ResourceType: security-group, Tag: [{Key: Name, Value: web}]}\n").unwrap();
        assert_eq!(
            flatten("TagSpecification", &v).unwrap(),
            [
                ("TagSpecification.1.ResourceType".to_string(), "security-group".to_string()),
                ("TagSpecification.1.Tag.1.Key".to_string(), "Name".to_string()),
                ("TagSpecification.1.Tag.1.Value".to_string(), "web".to_string()),
            ]
        );
        assert_eq!(flatten("MaxResults", &serde_yaml_ng::Value::from(5)).unwrap(), [("MaxResults".to_string(), "5".to_string())]);
    }
}
