//! Cluster fixtures (fixtures/clusters/*.yaml): the AWS side (VPC, tagged subnets, the EKS cluster
//! security group, node instances whose primary ENIs carry it, pod IPs) and the Kubernetes side
//! (Nodes with `providerID: aws:///<az>/<instance-id>`, Pods, any extra manifests; Endpoints and
//! EndpointSlices follow from the store). The AWS side is created through the SDK clients, so a
//! fixture can be loaded into lbsim in process or into any other endpoint.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{IpPermission, ResourceType, Tag, TagSpecification, UserIdGroupPair};
use k8s_openapi::api::core::v1::{Node, Pod};
use serde::Deserialize;

use crate::client::AwsClients;
use crate::cluster::ClusterStore;

/// The fixture `lbsim serve` loads when given none: 3 nodes over 3 AZs.
pub const DEFAULT: &str = include_str!("../../fixtures/clusters/default.yaml");

/// Fixtures built into the binary, by the name a scenario's `cluster:` may give instead of a
/// path, so a copy of `scenarios/` alone still runs.
pub const EMBEDDED: &[(&str, &str)] =
    &[("default", DEFAULT), ("worked-example", include_str!("../../fixtures/clusters/worked-example.yaml"))];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub name: String,
    #[serde(default = "default_account")]
    pub account: String,
    #[serde(default = "default_region")]
    pub region: String,
    /// Kubernetes version EKS reports.
    #[serde(default = "default_version")]
    pub version: String,
    pub vpc_cidr: String,
    pub subnets: Vec<SubnetSpec>,
    #[serde(default)]
    pub cluster_security_group: ClusterSgSpec,
    /// Extra security groups nodes may carry (by name in `node_groups[].security_groups`).
    #[serde(default)]
    pub security_groups: Vec<ExtraSg>,
    pub node_groups: Vec<NodeGroup>,
    #[serde(default)]
    pub pods: Vec<PodSpec>,
    /// More Kubernetes objects (Services, Pods, …) as a multi-document YAML string.
    #[serde(default)]
    pub manifests: Option<String>,
}

fn default_account() -> String {
    "000000000000".into()
}
fn default_region() -> String {
    "us-east-1".into()
}
fn default_version() -> String {
    "1.31".into()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubnetSpec {
    pub name: String,
    pub az: String,
    pub cidr: String,
    /// Public subnets get `kubernetes.io/role/elb=1`, private ones `kubernetes.io/role/internal-elb=1`,
    /// and a route to the VPC's internet gateway (created when any subnet is public).
    #[serde(default)]
    pub public: bool,
    /// Whether to put the role tag at all (false: only found via the subnets annotation).
    #[serde(default = "yes")]
    pub role_tag: bool,
    /// Value of `kubernetes.io/cluster/<cluster>` (`shared` / `owned`); absent: no cluster tag.
    #[serde(default)]
    pub cluster_tag: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSgSpec {
    /// The group is named `eks-cluster-sg-<cluster>-<id_suffix>` as EKS names it.
    #[serde(default = "default_suffix")]
    pub id_suffix: String,
    /// EKS puts one inbound rule on it: all traffic from itself. It counts against the quota.
    #[serde(default = "yes")]
    pub self_ingress: bool,
}

impl Default for ClusterSgSpec {
    fn default() -> Self {
        ClusterSgSpec { id_suffix: default_suffix(), self_ingress: true }
    }
}

fn default_suffix() -> String {
    "1234567890".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraSg {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    pub name: String,
    pub count: u32,
    #[serde(default = "default_instance_type")]
    pub instance_type: String,
    /// Subnet names, used round robin; default: the private subnets (all if none is private).
    #[serde(default)]
    pub subnets: Vec<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub taints: Vec<TaintSpec>,
    /// Extra groups on the nodes' primary ENIs, by `security_groups[].name`.
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// Without the cluster security group (only the extra ones).
    #[serde(default)]
    pub no_cluster_sg: bool,
    #[serde(default = "yes")]
    pub ready: bool,
}

fn default_instance_type() -> String {
    "m5.large".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaintSpec {
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
    pub effect: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodSpec {
    pub name: String,
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// `replicas > 1` makes `<name>-0 … <name>-(n-1)`, spread round robin over the nodes.
    #[serde(default = "one")]
    pub replicas: u32,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Container ports: name → number.
    #[serde(default)]
    pub ports: BTreeMap<String, i32>,
    #[serde(default = "yes")]
    pub ready: bool,
}

fn default_namespace() -> String {
    "default".into()
}
fn one() -> u32 {
    1
}

impl Fixture {
    pub fn parse(text: &str) -> Result<Fixture, String> {
        let f: Fixture = serde_yaml_ng::from_str(text).map_err(|e| format!("cluster fixture: {e}"))?;
        for ng in &f.node_groups {
            for s in &ng.subnets {
                if !f.subnets.iter().any(|x| &x.name == s) {
                    return Err(format!("cluster fixture: node group {} names unknown subnet {s}", ng.name));
                }
            }
            for s in &ng.security_groups {
                if !f.security_groups.iter().any(|x| &x.name == s) {
                    return Err(format!("cluster fixture: node group {} names unknown security group {s}", ng.name));
                }
            }
        }
        Ok(f)
    }

    pub fn default_cluster() -> Fixture {
        Fixture::parse(DEFAULT).expect("the embedded default fixture parses")
    }

    /// An embedded fixture by name (`default`, `worked-example`).
    pub fn embedded(name: &str) -> Option<Fixture> {
        EMBEDDED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| Fixture::parse(text).unwrap_or_else(|e| panic!("embedded fixture {n}: {e}")))
    }

    pub fn cluster_sg_name(&self) -> String {
        format!("eks-cluster-sg-{}-{}", self.name, self.cluster_security_group.id_suffix)
    }
}

/// What loading created on the AWS side.
#[derive(Debug, Clone, Default, serde::Serialize, Deserialize)]
pub struct Loaded {
    pub name: String,
    pub account: String,
    pub region: String,
    pub version: String,
    pub vpc_id: String,
    pub vpc_cidr: String,
    /// Subnet name → id, in fixture order.
    pub subnets: Vec<(String, String)>,
    pub cluster_sg_id: String,
    pub extra_sgs: BTreeMap<String, String>,
    /// Node name → instance id.
    pub nodes: Vec<(String, String)>,
}

type LoadResult<T> = Result<T, String>;

fn tags(rt: ResourceType, kv: impl IntoIterator<Item = (String, String)>) -> TagSpecification {
    let mut b = TagSpecification::builder().resource_type(rt);
    for (k, v) in kv {
        b = b.tags(Tag::builder().key(k).value(v).build());
    }
    b.build()
}

use crate::client::sdk_err;

/// Creates the AWS side through `aws` and the Kubernetes side in `store`.
/// Public subnets are public as AWS defines it: an internet gateway attached to the VPC and a
/// route table with 0.0.0.0/0 to it, associated with each public subnet (eksctl's layout).
/// Private subnets keep the VPC's main table (local route only). A fixture without public
/// subnets gets no gateway, so its internet-facing load balancers are refused, as on AWS.
async fn route_public_subnets(f: &Fixture, ec2: &aws_sdk_ec2::Client, vpc: &str, ids: &[(String, String)]) -> LoadResult<()> {
    let public: Vec<&String> =
        f.subnets.iter().filter(|s| s.public).filter_map(|s| ids.iter().find(|(n, _)| *n == s.name)).map(|(_, id)| id).collect();
    if public.is_empty() {
        return Ok(());
    }
    let name = |what: &str| tags(ResourceType::InternetGateway, [("Name".to_string(), format!("eksctl-{}-cluster/{what}", f.name))]);
    let igw = ec2
        .create_internet_gateway()
        .tag_specifications(name("InternetGateway"))
        .send()
        .await
        .map_err(|e| sdk_err("CreateInternetGateway", e))?;
    let igw = igw.internet_gateway.and_then(|g| g.internet_gateway_id).ok_or("CreateInternetGateway returned no id")?;
    ec2.attach_internet_gateway().internet_gateway_id(&igw).vpc_id(vpc).send().await.map_err(|e| sdk_err("AttachInternetGateway", e))?;
    let rt_tags = tags(ResourceType::RouteTable, [("Name".to_string(), format!("eksctl-{}-cluster/PublicRouteTable", f.name))]);
    let rt = ec2.create_route_table().vpc_id(vpc).tag_specifications(rt_tags).send().await.map_err(|e| sdk_err("CreateRouteTable", e))?;
    let rt = rt.route_table.and_then(|t| t.route_table_id).ok_or("CreateRouteTable returned no id")?;
    ec2.create_route()
        .route_table_id(&rt)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .map_err(|e| sdk_err("CreateRoute", e))?;
    for s in public {
        ec2.associate_route_table().route_table_id(&rt).subnet_id(s).send().await.map_err(|e| sdk_err("AssociateRouteTable", e))?;
    }
    Ok(())
}

pub async fn load(f: &Fixture, aws: &AwsClients, store: &mut ClusterStore) -> LoadResult<Loaded> {
    let ec2 = &aws.ec2;
    let cluster_tag = format!("kubernetes.io/cluster/{}", f.name);
    let vpc = ec2
        .create_vpc()
        .cidr_block(&f.vpc_cidr)
        .tag_specifications(tags(ResourceType::Vpc, [("Name".to_string(), format!("eksctl-{}-cluster/VPC", f.name))]))
        .send()
        .await
        .map_err(|e| sdk_err("CreateVpc", e))?;
    let vpc_id = vpc.vpc.and_then(|v| v.vpc_id).ok_or("CreateVpc returned no id")?;
    let mut out = Loaded {
        name: f.name.clone(),
        account: f.account.clone(),
        region: f.region.clone(),
        version: f.version.clone(),
        vpc_id: vpc_id.clone(),
        vpc_cidr: f.vpc_cidr.clone(),
        ..Loaded::default()
    };
    for s in &f.subnets {
        let mut kv: Vec<(String, String)> = vec![("Name".into(), s.name.clone())];
        if s.role_tag {
            let role = if s.public { "kubernetes.io/role/elb" } else { "kubernetes.io/role/internal-elb" };
            kv.push((role.into(), "1".into()));
        }
        if let Some(v) = &s.cluster_tag {
            kv.push((cluster_tag.clone(), v.clone()));
        }
        kv.extend(s.tags.clone());
        let r = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(&s.cidr)
            .availability_zone(&s.az)
            .tag_specifications(tags(ResourceType::Subnet, kv))
            .send()
            .await
            .map_err(|e| sdk_err("CreateSubnet", e))?;
        out.subnets.push((s.name.clone(), r.subnet.and_then(|x| x.subnet_id).ok_or("CreateSubnet returned no id")?));
    }
    route_public_subnets(f, ec2, &vpc_id, &out.subnets).await?;
    let sg_name = f.cluster_sg_name();
    let sg = ec2
        .create_security_group()
        .group_name(&sg_name)
        .description("EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well as any managed workloads.")
        .vpc_id(&vpc_id)
        .tag_specifications(tags(ResourceType::SecurityGroup, [("Name".to_string(), sg_name.clone()), (cluster_tag.clone(), "owned".to_string())]))
        .send()
        .await
        .map_err(|e| sdk_err("CreateSecurityGroup", e))?;
    out.cluster_sg_id = sg.group_id.ok_or("CreateSecurityGroup returned no id")?;
    if f.cluster_security_group.self_ingress {
        ec2.authorize_security_group_ingress()
            .group_id(&out.cluster_sg_id)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("-1")
                    .user_id_group_pairs(UserIdGroupPair::builder().group_id(&out.cluster_sg_id).build())
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sdk_err("AuthorizeSecurityGroupIngress", e))?;
    }
    for x in &f.security_groups {
        let mut kv: Vec<(String, String)> = vec![("Name".into(), x.name.clone())];
        kv.extend(x.tags.clone());
        let r = ec2
            .create_security_group()
            .group_name(&x.name)
            .description(x.description.clone().unwrap_or_else(|| format!("{} node group", x.name)))
            .vpc_id(&vpc_id)
            .tag_specifications(tags(ResourceType::SecurityGroup, kv))
            .send()
            .await
            .map_err(|e| sdk_err("CreateSecurityGroup", e))?;
        out.extra_sgs.insert(x.name.clone(), r.group_id.unwrap_or_default());
    }
    let mut nodes: Vec<(String, String, String, String)> = Vec::new(); // node name, instance, az, eni
    for ng in &f.node_groups {
        let pool: Vec<&SubnetSpec> = if ng.subnets.is_empty() {
            let private: Vec<&SubnetSpec> = f.subnets.iter().filter(|s| !s.public).collect();
            if private.is_empty() { f.subnets.iter().collect() } else { private }
        } else {
            ng.subnets.iter().filter_map(|n| f.subnets.iter().find(|s| &s.name == n)).collect()
        };
        let mut groups: Vec<String> = if ng.no_cluster_sg { Vec::new() } else { vec![out.cluster_sg_id.clone()] };
        groups.extend(ng.security_groups.iter().filter_map(|n| out.extra_sgs.get(n).cloned()));
        for i in 0..ng.count {
            let subnet = pool[i as usize % pool.len()];
            let subnet_id = out.subnets.iter().find(|(n, _)| *n == subnet.name).map(|(_, id)| id.clone()).unwrap_or_default();
            let r = ec2
                .run_instances()
                .image_id("ami-0c2b8ca1dad447f8a")
                .instance_type(aws_sdk_ec2::types::InstanceType::from(ng.instance_type.as_str()))
                .min_count(1)
                .max_count(1)
                .subnet_id(&subnet_id)
                .set_security_group_ids(Some(groups.clone()))
                .tag_specifications(tags(
                    ResourceType::Instance,
                    [
                        ("Name".to_string(), format!("{}-{}-Node", f.name, ng.name)),
                        ("eks:cluster-name".to_string(), f.name.clone()),
                        ("eks:nodegroup-name".to_string(), ng.name.clone()),
                        (cluster_tag.clone(), "owned".to_string()),
                    ],
                ))
                .send()
                .await
                .map_err(|e| sdk_err("RunInstances", e))?;
            let inst = r.instances.and_then(|v| v.into_iter().next()).ok_or("RunInstances returned no instance")?;
            let id = inst.instance_id.clone().unwrap_or_default();
            let ip = inst.private_ip_address.clone().unwrap_or_default();
            let eni = inst
                .network_interfaces
                .unwrap_or_default()
                .into_iter()
                .find(|n| n.attachment.as_ref().and_then(|a| a.device_index) == Some(0))
                .and_then(|n| n.network_interface_id)
                .unwrap_or_default();
            let dns_suffix = if f.region == "us-east-1" { "ec2.internal".to_string() } else { format!("{}.compute.internal", f.region) };
            let node_name =
                inst.private_dns_name.filter(|n| !n.is_empty()).unwrap_or_else(|| format!("ip-{}.{dns_suffix}", ip.replace('.', "-")));
            store.apply(node_object(f, ng, &node_name, &subnet.az, &id, &ip));
            nodes.push((node_name.clone(), id.clone(), subnet.az.clone(), eni));
            out.nodes.push((node_name, id));
        }
    }
    // Pods: round robin over the nodes; their IPs are secondary addresses of the node's ENI.
    let mut next = 0usize;
    for p in &f.pods {
        for r in 0..p.replicas {
            if nodes.is_empty() {
                return Err("cluster fixture: pods need at least one node".into());
            }
            let (node_name, _, _, eni) = nodes[next % nodes.len()].clone();
            next += 1;
            let ip = pod_ip(ec2, &eni).await?;
            let name = if p.replicas > 1 { format!("{}-{r}", p.name) } else { p.name.clone() };
            store.apply(pod_object(p, &name, &node_name, &ip));
        }
    }
    if let Some(m) = &f.manifests {
        crate::cluster::apply_manifests(store, m)?;
    }
    Ok(out)
}

/// A pod IP: a secondary address of the node's primary ENI (the VPC CNI's way), see
/// [`crate::client::pod_ip`].
async fn pod_ip(ec2: &aws_sdk_ec2::Client, eni: &str) -> LoadResult<String> {
    crate::client::pod_ip::assign(ec2, eni).await.map(|l| l.ip().to_string())
}

fn node_object(f: &Fixture, ng: &NodeGroup, name: &str, az: &str, instance: &str, ip: &str) -> Node {
    let mut labels: BTreeMap<String, String> = BTreeMap::from([
        ("kubernetes.io/hostname".into(), name.to_string()),
        ("kubernetes.io/os".into(), "linux".into()),
        ("topology.kubernetes.io/region".into(), f.region.clone()),
        ("topology.kubernetes.io/zone".into(), az.to_string()),
        ("node.kubernetes.io/instance-type".into(), ng.instance_type.clone()),
        ("eks.amazonaws.com/nodegroup".into(), ng.name.clone()),
    ]);
    labels.extend(ng.labels.clone());
    let taints: Vec<serde_json::Value> =
        ng.taints.iter().map(|t| serde_json::json!({"key": t.key, "value": t.value, "effect": t.effect})).collect();
    let v = serde_json::json!({
        "metadata": {"name": name, "labels": labels},
        "spec": {"providerID": format!("aws:///{az}/{instance}"), "taints": taints},
        "status": {
            "conditions": [{"type": "Ready", "status": if ng.ready { "True" } else { "False" }, "reason": "KubeletReady"}],
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}, {"type": "InternalDNS", "address": name}],
            // What `kubectl get nodes -o wide` shows of an EKS node of the fixture's version.
            "nodeInfo": {
                "kubeletVersion": format!("v{}.0-eks-lbsim", f.version), "kubeProxyVersion": format!("v{}.0-eks-lbsim", f.version),
                "osImage": "Amazon Linux 2023.6.20250107", "kernelVersion": "6.1.119-129.201.amzn2023.x86_64",
                "containerRuntimeVersion": "containerd://1.7.25", "operatingSystem": "linux", "architecture": "amd64",
                "machineID": "", "systemUUID": "", "bootID": "",
            },
            "capacity": {"cpu": "2", "memory": "7910020Ki", "pods": "29"},
            "allocatable": {"cpu": "1930m", "memory": "7220868Ki", "pods": "29"},
        }
    });
    serde_json::from_value(v).expect("node object")
}

fn pod_object(p: &PodSpec, name: &str, node: &str, ip: &str) -> Pod {
    let ports: Vec<serde_json::Value> = p.ports.iter().map(|(n, port)| serde_json::json!({"name": n, "containerPort": port})).collect();
    let v = serde_json::json!({
        "metadata": {"name": name, "namespace": p.namespace, "labels": p.labels},
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "public.ecr.aws/lbsim/app", "ports": ports}]},
        "status": {
            "phase": "Running",
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "conditions": [{"type": "Ready", "status": if p.ready { "True" } else { "False" }}],
            "containerStatuses": [{
                "name": "app", "image": "public.ecr.aws/lbsim/app", "imageID": "", "ready": p.ready, "started": true,
                "restartCount": 0, "state": {"running": {}},
            }],
        }
    });
    serde_json::from_value(v).expect("pod object")
}

impl Loaded {
    /// The EKS view of the cluster, for `App::eks` (DescribeCluster).
    pub fn eks_cluster(&self, now: chrono::DateTime<chrono::Utc>) -> crate::state::eks::EksCluster {
        let id = crate::reconciler::naming::hash10(&[&self.account, &self.region, &self.name]);
        crate::state::eks::EksCluster {
            name: self.name.clone(),
            account: self.account.clone(),
            region: self.region.clone(),
            version: self.version.clone(),
            vpc_id: self.vpc_id.clone(),
            subnet_ids: self.subnets.iter().map(|(_, id)| id.clone()).collect(),
            security_group_ids: Vec::new(),
            cluster_security_group_id: self.cluster_sg_id.clone(),
            created_at: now,
            endpoint_id: format!("{id}{id}{id}AB").to_ascii_uppercase(),
            api_endpoint: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_fixture_is_three_nodes_over_three_zones() {
        let f = Fixture::default_cluster();
        assert_eq!(f.node_groups.iter().map(|n| n.count).sum::<u32>(), 3);
        let azs: std::collections::BTreeSet<&str> = f.subnets.iter().map(|s| s.az.as_str()).collect();
        assert_eq!(azs.len(), 3);
        assert_eq!(f.cluster_sg_name(), "eks-cluster-sg-demo-1234567890");
    }

    #[test]
    fn every_fixture_file_parses() {
        for e in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/clusters")).unwrap() {
            let p = e.unwrap().path();
            Fixture::parse(&std::fs::read_to_string(&p).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        }
        assert!(
            Fixture::parse("name: x\nvpc_cidr: 10.0.0.0/16\nsubnets: []\nnode_groups: [{name: a, count: 1, subnets: [nope]}]\n").is_err()
        );
    }
}
