//! IngressGroup identity and member order (lbc-ingress.md §1.3): an explicit group
//! (`alb.ingress.kubernetes.io/group.name`) spans namespaces and prints as its name; every other
//! Ingress is its own implicit group `ns/name`. Members sort by `group.order` (an integer in
//! [-1000, 1000], default 0), ties by `namespace/name`; that order drives rule priorities.

use std::fmt;

use k8s_openapi::api::networking::v1::Ingress;

pub const GROUP_NAME: &str = "alb.ingress.kubernetes.io/group.name";
pub const GROUP_ORDER: &str = "alb.ingress.kubernetes.io/group.order";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupId {
    Implicit { namespace: String, name: String },
    Explicit(String),
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupId::Implicit { namespace, name } => write!(f, "{namespace}/{name}"),
            GroupId::Explicit(g) => f.write_str(g),
        }
    }
}

fn annotation<'a>(ing: &'a Ingress, key: &str) -> Option<&'a str> {
    ing.metadata.annotations.as_ref()?.get(key).map(String::as_str)
}

/// `^([a-z0-9][-a-z0-9.]*)?[a-z0-9]$`, at most 63 characters.
fn valid_group_name(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty() && b.len() <= 63 && edge(b[0]) && edge(b[b.len() - 1]) && b.iter().all(|&c| edge(c) || c == b'-' || c == b'.')
}

/// The group an Ingress belongs to; an invalid explicit name is the controller's
/// `FailedLoadGroupID` error text.
pub fn group_id(ing: &Ingress) -> Result<GroupId, String> {
    let namespace = ing.metadata.namespace.clone().unwrap_or_else(|| "default".into());
    let name = ing.metadata.name.clone().unwrap_or_default();
    match annotation(ing, GROUP_NAME) {
        None => Ok(GroupId::Implicit { namespace, name }),
        Some(g) if valid_group_name(g) => Ok(GroupId::Explicit(g.to_string())),
        Some(g) => Err(format!("invalid ingress group name: {g}")),
    }
}

/// `group.order`, default 0; outside [-1000, 1000] or not an integer is an error.
pub fn group_order(ing: &Ingress) -> Result<i32, String> {
    let Some(raw) = annotation(ing, GROUP_ORDER) else { return Ok(0) };
    let v: i32 = raw.trim().parse().map_err(|_| format!("failed to load Ingress group order annotation: {raw}"))?;
    if !(-1000..=1000).contains(&v) {
        return Err(format!("explicit group order must be within [-1000:1000], Ingress: {}, order: {v}", key(ing)));
    }
    Ok(v)
}

fn key(ing: &Ingress) -> String {
    format!("{}/{}", ing.metadata.namespace.as_deref().unwrap_or("default"), ing.metadata.name.as_deref().unwrap_or(""))
}

/// Members in the controller's order: `group.order` ascending, then `namespace/name`.
pub fn sort_members(members: &mut [Ingress]) -> Result<(), String> {
    let mut keyed: Vec<(i32, String, usize)> = Vec::with_capacity(members.len());
    for (i, m) in members.iter().enumerate() {
        keyed.push((group_order(m)?, key(m), i));
    }
    keyed.sort();
    let order: Vec<Ingress> = keyed.iter().map(|(_, _, i)| members[*i].clone()).collect();
    members.clone_from_slice(&order);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    pub fn ingress(ns: &str, name: &str, annotations: &[(&str, &str)]) -> Ingress {
        Ingress {
            metadata: ObjectMeta {
                namespace: Some(ns.into()),
                name: Some(name.into()),
                annotations: Some(annotations.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn groups_and_order() {
        assert_eq!(group_id(&ingress("a", "x", &[])).unwrap().to_string(), "a/x");
        assert_eq!(group_id(&ingress("a", "x", &[(GROUP_NAME, "shared-alb")])).unwrap().to_string(), "shared-alb");
        assert!(group_id(&ingress("a", "x", &[(GROUP_NAME, "Bad_Name")])).is_err());
        assert!(group_order(&ingress("a", "x", &[(GROUP_ORDER, "1001")])).is_err());
        let mut m = vec![
            ingress("b", "one", &[(GROUP_ORDER, "5")]),
            ingress("b", "two", &[]),
            ingress("a", "three", &[]),
            ingress("c", "four", &[(GROUP_ORDER, "-1")]),
        ];
        sort_members(&mut m).unwrap();
        let names: Vec<&str> = m.iter().map(|i| i.metadata.name.as_deref().unwrap()).collect();
        assert_eq!(names, ["four", "three", "two", "one"]);
    }
}
