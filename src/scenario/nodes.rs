//! Node changes in a scenario: add instances to a fixture node group (RunInstances through the
//! SDK, as the fixture loader does, and a Node object), remove them (TerminateInstances and the
//! Node's deletion), scale a group, change labels. Nodes belong to a group by the
//! `eks.amazonaws.com/nodegroup` label the fixture puts on them.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use k8s_openapi::api::core::v1::Node;

use super::env::Env;
use super::format::NodeChange;

const GROUP_LABEL: &str = "eks.amazonaws.com/nodegroup";

/// Nodes of a group, oldest first (creation order = resourceVersion order in the store's uid).
fn group_nodes(env: &Env, group: &str) -> Vec<Node> {
    let mut v: Vec<Node> = env
        .sim
        .cluster
        .lock()
        .list::<Node>()
        .into_iter()
        .filter(|n| n.metadata.labels.as_ref().and_then(|l| l.get(GROUP_LABEL)).is_some_and(|g| g == group))
        .collect();
    v.sort_by_key(|n| n.metadata.uid.clone());
    v
}

fn instance_of(n: &Node) -> Option<String> {
    n.spec.as_ref()?.provider_id.as_ref()?.rsplit('/').next().map(String::from)
}

pub async fn change(env: &Env, c: &NodeChange) -> Result<String, String> {
    match c {
        NodeChange::Add { group, count } => {
            let mut names = Vec::new();
            for _ in 0..*count {
                names.push(add(env, group).await?);
            }
            Ok(format!("node add {group}: {}", names.join(", ")))
        }
        NodeChange::Remove { name, group } => {
            let name = match (name, group) {
                (Some(n), None) => n.clone(),
                (None, Some(g)) => {
                    group_nodes(env, g).pop().and_then(|n| n.metadata.name).ok_or_else(|| format!("node group {g} has no node"))?
                }
                _ => return Err("node remove: give 'name' or 'group'".into()),
            };
            remove(env, &name).await?;
            Ok(format!("node remove {name}"))
        }
        NodeChange::Scale { group, count } => {
            let have = group_nodes(env, group).len() as u32;
            if !env.fixture.node_groups.iter().any(|g| &g.name == group) {
                return Err(format!("node scale: no node group {group} in the fixture"));
            }
            for _ in have..*count {
                add(env, group).await?;
            }
            for _ in *count..have {
                if let Some(n) = group_nodes(env, group).pop().and_then(|n| n.metadata.name) {
                    remove(env, &n).await?;
                }
            }
            Ok(format!("node scale {group}: {have} → {count}"))
        }
        NodeChange::Labels { name, group, set, remove } => {
            let names: Vec<String> = match (name, group) {
                (Some(n), None) => vec![n.clone()],
                (None, Some(g)) => group_nodes(env, g).into_iter().filter_map(|n| n.metadata.name).collect(),
                _ => return Err("node labels: give 'name' or 'group'".into()),
            };
            let mut store = env.sim.cluster.lock();
            for n in &names {
                let mut node: Node = store.get("", n).ok_or_else(|| format!("node {n} not found"))?;
                let labels = node.metadata.labels.get_or_insert_with(BTreeMap::new);
                labels.extend(set.clone());
                for k in remove {
                    labels.remove(k);
                }
                store.apply(node);
            }
            Ok(format!("node labels on {} node(s)", names.len()))
        }
    }
}

async fn add(env: &Env, group: &str) -> Result<String, String> {
    let f = &env.fixture;
    let ng = f.node_groups.iter().find(|g| g.name == group).ok_or_else(|| format!("node add: no node group {group} in the fixture"))?;
    let pool: Vec<&str> = if ng.subnets.is_empty() {
        let private: Vec<&str> = f.subnets.iter().filter(|s| !s.public).map(|s| s.name.as_str()).collect();
        if private.is_empty() { f.subnets.iter().map(|s| s.name.as_str()).collect() } else { private }
    } else {
        ng.subnets.iter().map(String::as_str).collect()
    };
    let existing = group_nodes(env, group).len();
    let subnet_name = pool.get(existing % pool.len().max(1)).ok_or("node add: the fixture has no subnet")?;
    let subnet = f.subnets.iter().find(|s| s.name == *subnet_name).ok_or("node add: unknown subnet")?;
    let subnet_id = env.sim.loaded.subnets.iter().find(|(n, _)| n == subnet_name).map(|(_, id)| id.clone()).unwrap_or_default();
    let mut groups: Vec<String> = if ng.no_cluster_sg { Vec::new() } else { vec![env.sim.loaded.cluster_sg_id.clone()] };
    groups.extend(ng.security_groups.iter().filter_map(|n| env.sim.loaded.extra_sgs.get(n).cloned()));
    let cluster_tag = format!("kubernetes.io/cluster/{}", f.name);
    let mut tags = TagSpecification::builder().resource_type(ResourceType::Instance);
    for (k, v) in [
        ("Name".to_string(), format!("{}-{}-Node", f.name, ng.name)),
        ("eks:cluster-name".to_string(), f.name.clone()),
        ("eks:nodegroup-name".to_string(), ng.name.clone()),
        (cluster_tag, "owned".to_string()),
    ] {
        tags = tags.tags(Tag::builder().key(k).value(v).build());
    }
    let r = env
        .inspect
        .ec2
        .run_instances()
        .image_id("ami-0c2b8ca1dad447f8a")
        .instance_type(aws_sdk_ec2::types::InstanceType::from(ng.instance_type.as_str()))
        .min_count(1)
        .max_count(1)
        .subnet_id(&subnet_id)
        .set_security_group_ids(Some(groups))
        .tag_specifications(tags.build())
        .send()
        .await
        .map_err(|e| format!("RunInstances: {}", super::checks::sdk_error(&e)))?;
    let inst = r.instances.and_then(|v| v.into_iter().next()).ok_or("RunInstances returned no instance")?;
    let id = inst.instance_id.clone().unwrap_or_default();
    let ip = inst.private_ip_address.clone().unwrap_or_default();
    let dns_suffix = if f.region == "us-east-1" { "ec2.internal".to_string() } else { format!("{}.compute.internal", f.region) };
    let name = inst.private_dns_name.filter(|n| !n.is_empty()).unwrap_or_else(|| format!("ip-{}.{dns_suffix}", ip.replace('.', "-")));
    let mut labels: BTreeMap<String, String> = BTreeMap::from([
        ("kubernetes.io/hostname".into(), name.clone()),
        ("kubernetes.io/os".into(), "linux".into()),
        ("topology.kubernetes.io/region".into(), f.region.clone()),
        ("topology.kubernetes.io/zone".into(), subnet.az.clone()),
        ("node.kubernetes.io/instance-type".into(), ng.instance_type.clone()),
        (GROUP_LABEL.into(), ng.name.clone()),
    ]);
    labels.extend(ng.labels.clone());
    let taints: Vec<serde_json::Value> =
        ng.taints.iter().map(|t| serde_json::json!({"key": t.key, "value": t.value, "effect": t.effect})).collect();
    let node: Node = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "labels": labels},
        "spec": {"providerID": format!("aws:///{}/{id}", subnet.az), "taints": taints},
        "status": {
            "conditions": [{"type": "Ready", "status": if ng.ready { "True" } else { "False" }, "reason": "KubeletReady"}],
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
        }
    }))
    .map_err(|e| format!("node object: {e}"))?;
    env.sim.cluster.lock().apply(node);
    Ok(name)
}

async fn remove(env: &Env, name: &str) -> Result<(), String> {
    let node: Node = env.sim.cluster.lock().get("", name).ok_or_else(|| format!("node {name} not found"))?;
    if let Some(id) = instance_of(&node) {
        env.inspect
            .ec2
            .terminate_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| format!("TerminateInstances: {}", super::checks::sdk_error(&e)))?;
    }
    env.sim.cluster.lock().delete::<Node>("", name);
    Ok(())
}
