//! EKS DescribeCluster / ListClusters over the rest-json wire: raw HTTP here (aws-sdk-eks is not
//! built, to keep the build small), and botocore through tests/py/eks_botocore.py when it is
//! installed.

use crate::common;

use lbsim::state::eks::EksCluster;

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=000000000000/20250101/us-east-1/eks/aws4_request, SignedHeaders=host, Signature=00";

fn demo() -> EksCluster {
    EksCluster {
        name: "demo".into(),
        account: "000000000000".into(),
        region: "us-east-1".into(),
        version: "1.31".into(),
        vpc_id: "vpc-0cccccccccccccccc".into(),
        subnet_ids: vec!["subnet-0aaaaaaaaaaaaaaaa".into(), "subnet-0bbbbbbbbbbbbbbbb".into()],
        security_group_ids: vec![],
        cluster_security_group_id: "sg-0123456789abcdef0".into(),
        created_at: chrono::Utc::now(),
        endpoint_id: "0123456789ABCDEF0123456789ABCDEF".into(),
        api_endpoint: None,
    }
}

#[tokio::test]
async fn describe_and_list_clusters() {
    let s = common::start().await;
    s.app.eks.register(demo());
    let (status, head, body) = s.get("/clusters/demo", &[("Authorization", AUTH)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let c = &v["cluster"];
    assert_eq!(c["status"], "ACTIVE");
    assert_eq!(c["version"], "1.31");
    assert_eq!(c["arn"], "arn:aws:eks:us-east-1:000000000000:cluster/demo");
    assert_eq!(c["resourcesVpcConfig"]["clusterSecurityGroupId"], "sg-0123456789abcdef0");
    assert_eq!(c["resourcesVpcConfig"]["vpcId"], "vpc-0cccccccccccccccc");
    assert_eq!(c["resourcesVpcConfig"]["subnetIds"].as_array().unwrap().len(), 2);
    assert_eq!(c["endpoint"], "https://0123456789ABCDEF0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com");
    let (status, _, body) = s.get("/clusters", &[("Authorization", AUTH)]).await;
    assert_eq!((status, body.as_str()), (200, r#"{"clusters":["demo"]}"#));
    // Another account sees none.
    let other = AUTH.replace("000000000000", "111111111111");
    let (_, _, body) = s.get("/clusters", &[("Authorization", &other)]).await;
    assert_eq!(body, r#"{"clusters":[]}"#);
}

#[tokio::test]
async fn unknown_cluster_is_resource_not_found() {
    let s = common::start().await;
    let (status, head, body) = s.get("/clusters/nope", &[("Authorization", AUTH)]).await;
    assert_eq!(status, 404);
    assert!(head.contains("x-amzn-errortype: ResourceNotFoundException"), "{head}");
    assert_eq!(body, r#"{"message":"No cluster found for name: nope."}"#);
    let (status, _, _) = s.get("/clusters?maxResults=0", &[("Authorization", AUTH)]).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn botocore_reads_the_same_answers() {
    let ok = std::process::Command::new("python3").args(["-c", "import botocore"]).status().map(|s| s.success()).unwrap_or(false);
    if !ok {
        eprintln!("botocore not installed: skipping the botocore half of the EKS test");
        return;
    }
    let s = common::start().await;
    s.app.eks.register(demo());
    let url = s.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3").arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/eks_botocore.py")).arg(url).output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn a_loaded_fixture_is_described_by_eks() {
    let s = common::start().await;
    let f = lbsim::world::Fixture::default_cluster();
    let world = lbsim::world::World::in_process(s.app.clone());
    let loaded = world.cluster(&f, lbsim::reconciler::ControllerConfig::default(), 0).await.unwrap().loaded;
    let (status, _, body) = s.get("/clusters/demo", &[("Authorization", AUTH)]).await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let vpc = &v["cluster"]["resourcesVpcConfig"];
    assert_eq!(vpc["clusterSecurityGroupId"], loaded.cluster_sg_id.as_str());
    assert_eq!(vpc["vpcId"], loaded.vpc_id.as_str());
    let subnets: Vec<String> = loaded.subnets.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(vpc["subnetIds"], serde_json::json!(subnets));
    // The cluster group is the one EKS names and tags, on every node's primary interface.
    let ec2 = s.ec2().await;
    let g = ec2.describe_security_groups().group_ids(&loaded.cluster_sg_id).send().await.unwrap();
    let g = &g.security_groups()[0];
    assert_eq!(g.group_name(), Some("eks-cluster-sg-demo-1234567890"));
    assert!(g.tags().iter().any(|t| t.key() == Some("kubernetes.io/cluster/demo") && t.value() == Some("owned")));
    let inst = ec2.describe_instances().send().await.unwrap();
    let nodes: Vec<_> = inst.reservations().iter().flat_map(|r| r.instances()).collect();
    assert_eq!(nodes.len(), 3);
    for n in nodes {
        assert!(n.security_groups().iter().any(|sg| sg.group_id() == Some(loaded.cluster_sg_id.as_str())));
    }
}
