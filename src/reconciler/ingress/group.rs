//! IngressGroups (lbc-ingress.md §1.3–1.4): identity — an explicit group
//! (`alb.ingress.kubernetes.io/group.name`, or IngressClassParams `group.name`) spans namespaces
//! and prints as its name; every other Ingress is its own implicit group `ns/name` —, member
//! order (`group.order`, an integer in [-1000, 1000], default 0, ties by `namespace/name`; it
//! drives rule priorities), the group finalizers, and `load`: the group's active members (handled,
//! live, mapping to it) and inactive ones (carrying its finalizer, no longer mapping to it).

use std::fmt;

use k8s_openapi::api::networking::v1::Ingress;

use super::class::{self, Class, ClassError};
use crate::cluster::ClusterStore;

pub const GROUP_NAME: &str = "alb.ingress.kubernetes.io/group.name";
pub const GROUP_ORDER: &str = "alb.ingress.kubernetes.io/group.order";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupId {
    Implicit { namespace: String, name: String },
    Explicit(String),
}

pub use crate::reconciler::model::{
    INGRESS_GROUP_FINALIZER_PREFIX as EXPLICIT_FINALIZER_PREFIX, INGRESS_IMPLICIT_FINALIZER as IMPLICIT_FINALIZER,
};

impl GroupId {
    /// The work-queue key: explicit groups have an empty namespace.
    pub fn key(&self) -> (String, String) {
        match self {
            GroupId::Implicit { namespace, name } => (namespace.clone(), name.clone()),
            GroupId::Explicit(g) => (String::new(), g.clone()),
        }
    }
    pub fn from_key(ns: &str, name: &str) -> GroupId {
        if ns.is_empty() {
            GroupId::Explicit(name.to_string())
        } else {
            GroupId::Implicit { namespace: ns.to_string(), name: name.to_string() }
        }
    }
    pub fn finalizer(&self) -> String {
        match self {
            GroupId::Implicit { .. } => IMPLICIT_FINALIZER.to_string(),
            GroupId::Explicit(g) => format!("{EXPLICIT_FINALIZER_PREFIX}{g}"),
        }
    }
    pub fn is_explicit(&self) -> bool {
        matches!(self, GroupId::Explicit(_))
    }
}

/// Whether a finalizer is one of this controller's Ingress finalizers.
pub fn is_ingress_finalizer(f: &str) -> bool {
    f == IMPLICIT_FINALIZER || f.starts_with(EXPLICIT_FINALIZER_PREFIX)
}

/// The groups an Ingress's finalizers name (`LoadGroupIDsPendingFinalization`).
pub fn pending_groups(ing: &Ingress) -> Vec<GroupId> {
    let (ns, name) = (ing.metadata.namespace.clone().unwrap_or_default(), ing.metadata.name.clone().unwrap_or_default());
    ing.metadata
        .finalizers
        .iter()
        .flatten()
        .filter_map(|f| {
            if f == IMPLICIT_FINALIZER {
                Some(GroupId::Implicit { namespace: ns.clone(), name: name.clone() })
            } else {
                f.strip_prefix(EXPLICIT_FINALIZER_PREFIX).map(|g| GroupId::Explicit(g.to_string()))
            }
        })
        .collect()
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

/// `^([a-z0-9][-a-z0-9.]*)?[a-z0-9]$`.
fn valid_group_name(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty() && edge(b[0]) && edge(b[b.len() - 1]) && b.iter().all(|&c| edge(c) || c == b'-' || c == b'.')
}

fn validate_group_name(g: &str) -> Result<(), String> {
    if !valid_group_name(g) {
        return Err("invalid ingress group: groupName must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character".into());
    }
    if g.len() > 63 {
        return Err("invalid ingress group: groupName must be no more than 63 characters".into());
    }
    Ok(())
}

/// The group an Ingress belongs to by its annotation; an invalid name is the controller's
/// `errInvalidIngressGroup` text (`FailedLoadGroupID`).
pub fn group_id(ing: &Ingress) -> Result<GroupId, String> {
    group_id_with(ing, None)
}

/// The group, IngressClassParams `group.name` first.
pub fn group_id_with(ing: &Ingress, params_group: Option<&str>) -> Result<GroupId, String> {
    let namespace = ing.metadata.namespace.clone().unwrap_or_else(|| "default".into());
    let name = ing.metadata.name.clone().unwrap_or_default();
    match params_group.or_else(|| annotation(ing, GROUP_NAME)) {
        None => Ok(GroupId::Implicit { namespace, name }),
        Some(g) => validate_group_name(g).map(|_| GroupId::Explicit(g.to_string())),
    }
}

/// `group.order`, default 0; outside [-1000, 1000] or not an integer is an error.
pub fn group_order(ing: &Ingress) -> Result<i32, String> {
    let Some(raw) = annotation(ing, GROUP_ORDER) else { return Ok(0) };
    let v: i32 = raw.parse().map_err(|_| {
        format!(
            "failed to load Ingress group order for ingress: {}: failed to parse int32 annotation, {GROUP_ORDER}: {raw}: strconv.ParseInt: parsing {raw:?}: invalid syntax",
            key(ing)
        )
    })?;
    if !(-1000..=1000).contains(&v) {
        return Err(format!("explicit Ingress group order must be within [-1000:1000], Ingress: {}, order: {v}", key(ing)));
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

/// A handled Ingress with its class parameters.
#[derive(Debug, Clone)]
pub struct Member {
    pub ing: Ingress,
    pub params: Option<crate::cluster::icp::IcpSpec>,
}

/// A loaded group: active members in the controller's order, and inactive ones.
#[derive(Debug, Clone)]
pub struct Group {
    pub id: GroupId,
    pub members: Vec<Member>,
    pub inactive: Vec<Ingress>,
}

/// The group an Ingress maps to now, if any (`loadGroupIDIfAnyHelper`); `Ok(None)` when it is
/// being deleted or not ours.
pub fn current_group(store: &ClusterStore, ing: &Ingress, flag: &str) -> Result<Option<(GroupId, Class)>, GroupError> {
    if ing.metadata.deletion_timestamp.is_some() {
        return Ok(None);
    }
    let c = class::classify(store, ing, flag).map_err(|e| match e {
        ClassError::Invalid(m) => GroupError::InvalidClass(m),
        ClassError::Fatal(m) => GroupError::Fatal(m),
    })?;
    if !c.managed {
        return Ok(None);
    }
    let params_group = c.params.as_ref().and_then(|(_, p)| p.group.as_ref()).map(|g| g.name.clone());
    let id = group_id_with(ing, params_group.as_deref()).map_err(GroupError::InvalidGroup)?;
    Ok(Some((id, c)))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupError {
    InvalidClass(String),
    InvalidGroup(String),
    Fatal(String),
}

fn has_finalizer(id: &GroupId, ing: &Ingress) -> bool {
    let f = id.finalizer();
    let holds = ing.metadata.finalizers.as_ref().is_some_and(|fs| fs.contains(&f));
    match id {
        GroupId::Explicit(_) => holds,
        // The implicit finalizer names no group: it is this group's only on this very Ingress.
        GroupId::Implicit { namespace, name } => {
            holds && ing.metadata.namespace.as_deref() == Some(namespace.as_str()) && ing.metadata.name.as_deref() == Some(name.as_str())
        }
    }
}

/// `Load(groupID)`: every Ingress of the cluster, classified. An invalid class on an Ingress
/// holding this group's finalizer fails the whole load (the ALB is kept); an invalid group
/// name makes such an Ingress inactive.
pub fn load(store: &ClusterStore, id: &GroupId, flag: &str) -> Result<Group, String> {
    let mut members = Vec::new();
    let mut inactive = Vec::new();
    for ing in store.list::<Ingress>() {
        let holds = has_finalizer(id, &ing);
        match current_group(store, &ing, flag) {
            Ok(Some((g, c))) if &g == id => members.push(Member { ing, params: c.params.map(|(_, p)| p) }),
            Ok(_) if holds => inactive.push(ing),
            Ok(_) => {}
            Err(GroupError::InvalidClass(m)) if holds => {
                return Err(format!("Ingress: {}: Ingress has invalid IngressClass configuration: {m}", key(&ing)));
            }
            Err(GroupError::InvalidClass(_)) => {}
            Err(GroupError::InvalidGroup(_)) if holds => inactive.push(ing),
            Err(GroupError::InvalidGroup(_)) => {}
            Err(GroupError::Fatal(m)) => return Err(format!("Ingress: {}: {m}", key(&ing))),
        }
    }
    let mut keyed: Vec<(i32, String, Member)> = Vec::with_capacity(members.len());
    for m in members {
        keyed.push((group_order(&m.ing)?, key(&m.ing), m));
    }
    keyed.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    Ok(Group { id: id.clone(), members: keyed.into_iter().map(|(_, _, m)| m).collect(), inactive })
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
        assert!(
            group_id(&ingress("a", "x", &[(GROUP_NAME, "Bad_Name")])).unwrap_err().starts_with("invalid ingress group: groupName must")
        );
        assert_eq!(GroupId::Explicit("g".into()).finalizer(), "group.ingress.k8s.aws/g");
        assert_eq!(GroupId::from_key("", "g"), GroupId::Explicit("g".into()));
        assert_eq!(GroupId::from_key("a", "x").finalizer(), IMPLICIT_FINALIZER);
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
