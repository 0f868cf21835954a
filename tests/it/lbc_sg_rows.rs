//! The §3.3 security-group decision rows end to end: what the NLB gets, which group the node
//! rules come from, and the model errors as FailedBuildModel events.

use lbsim::cluster::Kind;
use lbsim::config::Config;
use lbsim::reconciler::{ControllerConfig, Profile};
use lbsim::world::Fixture;
use lbsim::world::Sim;

fn svc(extra: &str) -> String {
    format!(
        "kind: Service\nmetadata:\n  name: web\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing\n{extra}spec:\n  type: LoadBalancer\n  ports: [{{port: 80}}]\n"
    )
}

async fn start(cfg: ControllerConfig) -> Sim {
    let s = Sim::start(Config::default(), &Fixture::default_cluster(), cfg).await.unwrap();
    // A user group for rows F–H.
    s.aws()
        .ec2
        .create_security_group()
        .group_name("user-frontend")
        .description("user")
        .vpc_id(&s.loaded.vpc_id)
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
                .tags(aws_sdk_ec2::types::Tag::builder().key("Name").value("user-frontend").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    s
}

async fn lb_groups(s: &Sim) -> Vec<String> {
    let lbs = s.aws().elbv2.describe_load_balancers().send().await.unwrap();
    lbs.load_balancers().first().map(|l| l.security_groups().to_vec()).unwrap_or_default()
}

async fn group_id(s: &Sim, name: &str) -> String {
    let r = s
        .aws()
        .ec2
        .describe_security_groups()
        .filters(aws_sdk_ec2::types::Filter::builder().name("group-name").values(name).build())
        .send()
        .await
        .unwrap();
    r.security_groups()[0].group_id().unwrap().to_string()
}

/// Sources of the controller's node rules on the cluster group.
async fn node_sources(s: &Sim) -> Vec<String> {
    let g = s.aws().ec2.describe_security_groups().group_ids(&s.loaded.cluster_sg_id).send().await.unwrap();
    g.security_groups()[0]
        .ip_permissions()
        .iter()
        .flat_map(|p| p.user_id_group_pairs())
        .filter(|g| g.description() == Some("elbv2.k8s.aws/targetGroupBinding=shared"))
        .filter_map(|g| g.group_id().map(String::from))
        .collect()
}

fn warnings(s: &Sim) -> Vec<String> {
    s.events(Kind::Service, "default", "web").into_iter().filter(|e| e.type_ == "Warning").map(|e| e.message).collect()
}

#[tokio::test]
async fn row_e_backend_group_disabled_node_rules_from_the_frontend_group() {
    let s = start(ControllerConfig { enable_backend_security_group: false, ..ControllerConfig::default() }).await;
    s.apply(&svc("")).unwrap();
    s.settle().await;
    let groups = lb_groups(&s).await;
    assert_eq!(groups.len(), 1);
    assert_eq!(node_sources(&s).await, groups, "the frontend group is the source");
}

#[tokio::test]
async fn row_f_user_groups_no_node_rules() {
    let s = start(ControllerConfig::default()).await;
    s.apply(&svc("    service.beta.kubernetes.io/aws-load-balancer-security-groups: user-frontend\n")).unwrap();
    s.settle().await;
    assert_eq!(lb_groups(&s).await, [group_id(&s, "user-frontend").await]);
    assert!(node_sources(&s).await.is_empty());
    assert!(warnings(&s).is_empty());
}

#[tokio::test]
async fn row_g_user_groups_managed_adds_the_backend_group() {
    let s = start(ControllerConfig::default()).await;
    s.apply(&svc(
        "    service.beta.kubernetes.io/aws-load-balancer-security-groups: user-frontend\n    service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules: \"true\"\n",
    ))
    .unwrap();
    s.settle().await;
    let backend = group_id(&s, &lbsim::reconciler::naming::backend_sg("demo")).await;
    assert_eq!(lb_groups(&s).await, [group_id(&s, "user-frontend").await, backend.clone()]);
    assert_eq!(node_sources(&s).await, [backend]);
}

#[tokio::test]
async fn rows_b_and_h_are_build_errors() {
    // H: managed user groups need the backend group.
    let s = start(ControllerConfig { enable_backend_security_group: false, ..ControllerConfig::default() }).await;
    s.apply(&svc(
        "    service.beta.kubernetes.io/aws-load-balancer-security-groups: user-frontend\n    service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules: \"true\"\n",
    ))
    .unwrap();
    s.run(std::time::Duration::from_secs(1)).await;
    assert_eq!(
        warnings(&s)[0],
        "Failed build model due to backendSG feature is required to manage worker node SG rules when frontendSG is manually specified"
    );
    assert!(s.aws().elbv2.describe_load_balancers().send().await.unwrap().load_balancers().is_empty());

    // B: an NLB with groups, then the gate off (HEAD: or disable-nlb-sg).
    let mut s = start(ControllerConfig { profile: Profile::LATEST, ..ControllerConfig::default() }).await;
    s.apply(&svc("")).unwrap();
    s.settle().await;
    let mut off = ControllerConfig { profile: Profile::LATEST, ..ControllerConfig::default() };
    off.feature_gates.nlb_security_group = false;
    s.restart(off).await.unwrap();
    let mark = s.aws().log.len();
    s.run(std::time::Duration::from_secs(1)).await;
    assert!(warnings(&s).iter().any(|m| m == "Failed build model due to conflicting security groups configuration"), "{:?}", warnings(&s));
    let writes = s.aws().log.actions_since(mark).into_iter().filter(|a| !a.starts_with("Describe")).count();
    assert_eq!(writes, 0, "nothing changes in AWS");
}

#[tokio::test]
async fn row_c_gate_off_ignores_the_annotation_without_resolving_it() {
    let mut cfg = ControllerConfig::default();
    cfg.feature_gates.nlb_security_group = false;
    let s = start(cfg).await;
    s.apply(&svc("    service.beta.kubernetes.io/aws-load-balancer-security-groups: no-such-group\n")).unwrap();
    assert_eq!(s.settle().await.pending, 0);
    assert!(warnings(&s).is_empty(), "{:?}", warnings(&s));
    assert!(lb_groups(&s).await.is_empty());
}
