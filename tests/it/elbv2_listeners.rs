//! Listeners through aws-sdk-elasticloadbalancingv2: create (shapes, idempotency per port,
//! protocols, TLS, forward actions, one load balancer per target group, quota), describe,
//! modify, delete, the default rule, listener certificates and listener attributes.

use crate::common;
use crate::common::elbv2 as fx;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, ForwardActionConfig, ListenerAttribute, ProtocolEnum, RedirectActionConfig,
    RedirectActionStatusCodeEnum, TargetGroupTuple, TargetTypeEnum,
};
use common::{code, message};
use lbsim::state::RegionSettings;

const CERT: &str = "arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555";
const CERT2: &str = "arn:aws:acm:us-east-1:000000000000:certificate/66666666-7777-8888-9999-000000000000";

fn cert(arn: &str) -> Certificate {
    Certificate::builder().certificate_arn(arn).build()
}

#[tokio::test]
async fn create_listener_shapes_and_idempotency() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "web", &[&w.subnets[0].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap();
    let lb_id = lb_arn.rsplit('/').next().unwrap();
    let tg = fx::tg(&elb, "web-tcp", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let out = elb
        .create_listener()
        .load_balancer_arn(lb_arn)
        .protocol(ProtocolEnum::Tcp)
        .port(80)
        .default_actions(fx::forward(&tg))
        .send()
        .await
        .unwrap();
    let l = &out.listeners()[0];
    let arn = l.listener_arn().unwrap();
    let id = arn.strip_prefix(&format!("arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/net/web/{lb_id}/")).expect(arn);
    assert!(id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(l.load_balancer_arn(), Some(lb_arn));
    assert_eq!((l.port(), l.protocol()), (Some(80), Some(&ProtocolEnum::Tcp)));
    let a = &l.default_actions()[0];
    assert_eq!(a.r#type(), Some(&ActionTypeEnum::Forward));
    assert_eq!(a.target_group_arn(), Some(tg.as_str()));
    assert_eq!(a.forward_config().unwrap().target_groups()[0].target_group_arn(), Some(tg.as_str()));
    assert!(l.certificates().is_empty() && l.ssl_policy().is_none());
    let d = elb.describe_target_groups().target_group_arns(&tg).send().await.unwrap();
    assert_eq!(d.target_groups()[0].load_balancer_arns(), [lb_arn.to_string()]);
    // The same listener again is the same listener; the port with other settings is refused.
    let again = fx::listener(&elb, lb_arn, ProtocolEnum::Tcp, 80, &tg).await;
    assert_eq!(again, arn);
    let other = fx::tg(&elb, "other", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let e = elb
        .create_listener()
        .load_balancer_arn(lb_arn)
        .protocol(ProtocolEnum::Tcp)
        .port(80)
        .default_actions(fx::forward(&other))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "DuplicateListener");
    assert_eq!(message(&e), format!("A listener already exists on this port for this load balancer '{lb_arn}'"));
}

#[tokio::test]
async fn listener_refusals() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap();
    let tcp = fx::tg(&elb, "tcp", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let create = |p: ProtocolEnum, port: i32| elb.create_listener().load_balancer_arn(lb_arn).protocol(p).port(port);
    let e = create(ProtocolEnum::Udp, 53).default_actions(fx::forward(&tcp)).send().await.unwrap_err();
    assert_eq!(code(&e), "IncompatibleProtocols");
    let e = create(ProtocolEnum::Http, 80).default_actions(fx::forward(&tcp)).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let e = create(ProtocolEnum::Quic, 443).default_actions(fx::forward(&tcp)).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    let e = create(ProtocolEnum::Tcp, 70000).default_actions(fx::forward(&tcp)).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let e = create(ProtocolEnum::Tcp, 80).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError", "a default action is required");
    let redirect = Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(RedirectActionConfig::builder().status_code(RedirectActionStatusCodeEnum::Http301).build())
        .build();
    let e = create(ProtocolEnum::Tcp, 80).default_actions(redirect).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidLoadBalancerAction");
    let e = create(ProtocolEnum::Tcp, 80).default_actions(fx::forward(&tcp.replace("/tcp/", "/nope/"))).send().await.unwrap_err();
    assert_eq!(code(&e), "TargetGroupNotFound");
    let e = elb
        .create_listener()
        .load_balancer_arn(lb_arn.replace("/lb/", "/zz/"))
        .protocol(ProtocolEnum::Tcp)
        .port(80)
        .default_actions(fx::forward(&tcp))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "LoadBalancerNotFound");
    let two = fx::tg(&elb, "two", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let tuple = |t: &str| TargetGroupTuple::builder().target_group_arn(t).weight(50).build();
    let fc = ForwardActionConfig::builder().target_groups(tuple(&tcp)).target_groups(tuple(&two)).build();
    let e = create(ProtocolEnum::Tcp, 80)
        .default_actions(Action::builder().r#type(ActionTypeEnum::Forward).forward_config(fc).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationError", "one target group per NLB action");
    let e = create(ProtocolEnum::Tcp, 80).default_actions(fx::forward(&tcp)).default_actions(fx::forward(&two)).send().await.unwrap_err();
    assert_eq!(code(&e), "TooManyActions");
    let (other_vpc, _) = fx::other_vpc(&s);
    let foreign = fx::tg(&elb, "foreign", &other_vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let e = create(ProtocolEnum::Tcp, 80).default_actions(fx::forward(&foreign)).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    let d = elb.describe_listeners().load_balancer_arn(lb_arn).send().await.unwrap();
    assert!(d.listeners().is_empty(), "refused creates leave nothing");
    // A ForwardConfig with one weighted group is fine and keeps its weight.
    let fc = ForwardActionConfig::builder().target_groups(tuple(&tcp)).build();
    let out = create(ProtocolEnum::Tcp, 80)
        .default_actions(Action::builder().r#type(ActionTypeEnum::Forward).forward_config(fc).build())
        .send()
        .await
        .unwrap();
    let a = &out.listeners()[0].default_actions()[0];
    assert_eq!(a.forward_config().unwrap().target_groups()[0].weight(), Some(50));
}

#[tokio::test]
async fn target_group_belongs_to_one_load_balancer() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb1 = fx::nlb(&elb, "one", &[&w.subnets[0].0], &[]).await;
    let lb2 = fx::nlb(&elb, "two", &[&w.subnets[0].0], &[]).await;
    let tg = fx::tg(&elb, "shared", &w.vpc, ProtocolEnum::TcpUdp, TargetTypeEnum::Ip).await;
    fx::listener(&elb, lb1.load_balancer_arn().unwrap(), ProtocolEnum::Tcp, 80, &tg).await;
    // The same load balancer may use it on another listener (TCP_UDP groups take UDP too).
    fx::listener(&elb, lb1.load_balancer_arn().unwrap(), ProtocolEnum::Udp, 53, &tg).await;
    let e = elb
        .create_listener()
        .load_balancer_arn(lb2.load_balancer_arn().unwrap())
        .protocol(ProtocolEnum::Tcp)
        .port(80)
        .default_actions(fx::forward(&tg))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "TargetGroupAssociationLimit");
    assert!(message(&e).contains(&tg));
}

#[tokio::test]
async fn listener_quota() {
    let s = common::start_with(fx::config(&[("listeners-per-network-load-balancer", 1)], RegionSettings::default())).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap();
    let tg = fx::tg(&elb, "tg", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    fx::listener(&elb, lb_arn, ProtocolEnum::Tcp, 80, &tg).await;
    let e = elb
        .create_listener()
        .load_balancer_arn(lb_arn)
        .protocol(ProtocolEnum::Tcp)
        .port(81)
        .default_actions(fx::forward(&tg))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "TooManyListeners");
    assert_eq!(message(&e), "You've reached the limit on the number of listeners per load balancer.");
}

#[tokio::test]
async fn tls_listeners() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "tls", &[&w.subnets[0].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap();
    let tg = fx::tg(&elb, "backend", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let create = |port: i32| {
        elb.create_listener().load_balancer_arn(lb_arn).protocol(ProtocolEnum::Tls).port(port).default_actions(fx::forward(&tg))
    };
    let e = create(443).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError", "TLS needs a certificate");
    let e = create(443).certificates(cert("arn:aws:acm:us-east-1:000000000000:nope")).send().await.unwrap_err();
    assert_eq!(code(&e), "CertificateNotFound");
    let e = create(443).certificates(cert(CERT)).ssl_policy("MyPolicy").send().await.unwrap_err();
    assert_eq!(code(&e), "SSLPolicyNotFound");
    let e = create(443).certificates(cert(CERT)).alpn_policy("HTTP3Only").send().await.unwrap_err();
    assert_eq!(code(&e), "ALPNPolicyNotFound");
    let e = create(443).certificates(cert(CERT)).certificates(cert(CERT2)).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError", "exactly one default certificate");
    let e = elb
        .create_listener()
        .load_balancer_arn(lb_arn)
        .protocol(ProtocolEnum::Tcp)
        .port(80)
        .certificates(cert(CERT))
        .default_actions(fx::forward(&tg))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationError", "certificates are for TLS listeners");
    let out = create(443).certificates(cert(CERT)).alpn_policy("HTTP2Preferred").send().await.unwrap();
    let l = &out.listeners()[0];
    assert_eq!(l.certificates()[0].certificate_arn(), Some(CERT));
    assert_eq!(l.ssl_policy(), Some("ELBSecurityPolicy-2016-08"));
    assert_eq!(l.alpn_policy(), ["HTTP2Preferred".to_string()]);
    let out = create(8443).certificates(cert(CERT)).ssl_policy("ELBSecurityPolicy-TLS13-1-2-2021-06").send().await.unwrap();
    assert_eq!(out.listeners()[0].ssl_policy(), Some("ELBSecurityPolicy-TLS13-1-2-2021-06"));
}

#[tokio::test]
async fn describe_modify_and_delete_listeners() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap();
    let a = fx::tg(&elb, "a", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let b = fx::tg(&elb, "b", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let l80 = fx::listener(&elb, lb_arn, ProtocolEnum::Tcp, 80, &a).await;
    let l81 = fx::listener(&elb, lb_arn, ProtocolEnum::Tcp, 81, &a).await;
    let d = elb.describe_listeners().load_balancer_arn(lb_arn).send().await.unwrap();
    assert_eq!(d.listeners().iter().map(|l| l.port().unwrap()).collect::<Vec<_>>(), [80, 81]);
    let d = elb.describe_listeners().listener_arns(&l81).send().await.unwrap();
    assert_eq!(d.listeners()[0].port(), Some(81));
    let p = elb.describe_listeners().load_balancer_arn(lb_arn).page_size(1).send().await.unwrap();
    assert_eq!(p.listeners().len(), 1);
    assert!(p.next_marker().is_some());
    let e = elb.describe_listeners().listener_arns(l80.replace(&l80[l80.len() - 4..], "0000")).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("ListenerNotFound".into(), "One or more listeners not found".into()));
    assert_eq!(code(&elb.describe_listeners().send().await.unwrap_err()), "ValidationError");
    assert_eq!(
        code(&elb.describe_listeners().load_balancer_arn(lb_arn.replace("/lb/", "/x/")).send().await.unwrap_err()),
        "LoadBalancerNotFound"
    );
    // Port taken by the other listener.
    let e = elb.modify_listener().listener_arn(&l81).port(80).send().await.unwrap_err();
    assert_eq!(code(&e), "DuplicateListener");
    // Re-point 81 to b: a stays in use by 80, b becomes used.
    let out = elb.modify_listener().listener_arn(&l81).port(82).default_actions(fx::forward(&b)).send().await.unwrap();
    assert_eq!(out.listeners()[0].port(), Some(82));
    assert_eq!(out.listeners()[0].default_actions()[0].target_group_arn(), Some(b.as_str()));
    // TCP → TLS needs a certificate; TLS → TCP drops the TLS settings.
    let e = elb.modify_listener().listener_arn(&l81).protocol(ProtocolEnum::Tls).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    let out = elb.modify_listener().listener_arn(&l81).protocol(ProtocolEnum::Tls).certificates(cert(CERT)).send().await.unwrap();
    assert_eq!(out.listeners()[0].ssl_policy(), Some("ELBSecurityPolicy-2016-08"));
    let out = elb.modify_listener().listener_arn(&l81).protocol(ProtocolEnum::Tcp).send().await.unwrap();
    assert!(out.listeners()[0].certificates().is_empty() && out.listeners()[0].ssl_policy().is_none());
    let e = elb.modify_listener().listener_arn(&l81).protocol(ProtocolEnum::Udp).send().await.unwrap_err();
    assert_eq!(code(&e), "IncompatibleProtocols");
    // Deleting a listener detaches its group.
    elb.delete_listener().listener_arn(&l81).send().await.unwrap();
    let d = elb.describe_target_groups().target_group_arns(&b).send().await.unwrap();
    assert!(d.target_groups()[0].load_balancer_arns().is_empty());
    assert_eq!(code(&elb.delete_listener().listener_arn(&l81).send().await.unwrap_err()), "ListenerNotFound");
    assert_eq!(code(&elb.modify_listener().listener_arn(&l81).port(90).send().await.unwrap_err()), "ListenerNotFound");
}

#[tokio::test]
async fn default_rules() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap();
    let tg = fx::tg(&elb, "tg", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let l = fx::listener(&elb, lb_arn, ProtocolEnum::Tcp, 80, &tg).await;
    let out = elb.describe_rules().listener_arn(&l).send().await.unwrap();
    let rule = &out.rules()[0];
    let rule_arn = rule.rule_arn().unwrap();
    let lb_id = lb_arn.rsplit('/').next().unwrap();
    let l_id = l.rsplit('/').next().unwrap();
    assert!(
        rule_arn.starts_with(&format!("arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/net/lb/{lb_id}/{l_id}/")),
        "{rule_arn}"
    );
    assert_eq!(rule.priority(), Some("default"));
    assert_eq!(rule.is_default(), Some(true));
    assert!(rule.conditions().is_empty());
    assert_eq!(rule.actions()[0].target_group_arn(), Some(tg.as_str()));
    let by_arn = elb.describe_rules().rule_arns(rule_arn).send().await.unwrap();
    assert_eq!(by_arn.rules()[0].rule_arn(), Some(rule_arn));
    let missing = rule_arn.replace(&rule_arn[rule_arn.len() - 4..], "0000");
    assert_eq!(code(&elb.describe_rules().rule_arns(missing).send().await.unwrap_err()), "RuleNotFound");
    assert_eq!(code(&elb.describe_rules().send().await.unwrap_err()), "ValidationError");
    assert_eq!(code(&elb.describe_rules().listener_arn(l.replace(l_id, "0000000000000000")).send().await.unwrap_err()), "ListenerNotFound");
}

#[tokio::test]
async fn listener_certificates() {
    let s = common::start_with(fx::config(&[("certificates-per-network-load-balancer", 1)], RegionSettings::default())).await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    let lb_arn = lb.load_balancer_arn().unwrap();
    let tg = fx::tg(&elb, "tg", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let out = elb
        .create_listener()
        .load_balancer_arn(lb_arn)
        .protocol(ProtocolEnum::Tls)
        .port(443)
        .certificates(cert(CERT))
        .default_actions(fx::forward(&tg))
        .send()
        .await
        .unwrap();
    let l = out.listeners()[0].listener_arn().unwrap().to_string();
    let d = elb.describe_listener_certificates().listener_arn(&l).send().await.unwrap();
    assert_eq!(d.certificates().len(), 1);
    assert_eq!((d.certificates()[0].certificate_arn(), d.certificates()[0].is_default()), (Some(CERT), Some(true)));
    let added = elb.add_listener_certificates().listener_arn(&l).certificates(cert(CERT2)).send().await.unwrap();
    assert_eq!((added.certificates()[0].certificate_arn(), added.certificates()[0].is_default()), (Some(CERT2), Some(false)));
    // Adding a listed certificate again succeeds without adding it.
    elb.add_listener_certificates().listener_arn(&l).certificates(cert(CERT2)).send().await.unwrap();
    let d = elb.describe_listener_certificates().listener_arn(&l).send().await.unwrap();
    assert_eq!(d.certificates().len(), 2);
    assert_eq!(d.certificates()[1].is_default(), Some(false));
    let third = "arn:aws:acm:us-east-1:000000000000:certificate/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    let e = elb.add_listener_certificates().listener_arn(&l).certificates(cert(third)).send().await.unwrap_err();
    assert_eq!(code(&e), "TooManyCertificates");
    let e = elb.add_listener_certificates().listener_arn(&l).certificates(cert("bogus")).send().await.unwrap_err();
    assert_eq!(code(&e), "CertificateNotFound");
    let e = elb.remove_listener_certificates().listener_arn(&l).certificates(cert(CERT)).send().await.unwrap_err();
    assert_eq!(code(&e), "OperationNotPermitted", "the default certificate stays");
    elb.remove_listener_certificates().listener_arn(&l).certificates(cert(CERT2)).send().await.unwrap();
    let d = elb.describe_listener_certificates().listener_arn(&l).send().await.unwrap();
    assert_eq!(d.certificates().len(), 1);
    let tcp = fx::listener(&elb, lb_arn, ProtocolEnum::Tcp, 80, &tg).await;
    let e = elb.add_listener_certificates().listener_arn(&tcp).certificates(cert(CERT2)).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidConfigurationRequest");
    let e = elb.describe_listener_certificates().listener_arn(l.replace(&l[l.len() - 4..], "0000")).send().await.unwrap_err();
    assert_eq!(code(&e), "ListenerNotFound");
}

#[tokio::test]
async fn listener_attributes() {
    let s = common::start().await;
    let elb = s.elbv2().await;
    let w = fx::world(&s);
    let lb = fx::nlb(&elb, "lb", &[&w.subnets[0].0], &[]).await;
    let tg = fx::tg(&elb, "tg", &w.vpc, ProtocolEnum::Tcp, TargetTypeEnum::Ip).await;
    let l = fx::listener(&elb, lb.load_balancer_arn().unwrap(), ProtocolEnum::Tcp, 80, &tg).await;
    let d = elb.describe_listener_attributes().listener_arn(&l).send().await.unwrap();
    assert_eq!(d.attributes()[0].key(), Some("tcp.idle_timeout.seconds"));
    assert_eq!(d.attributes()[0].value(), Some("350"));
    let attr = |v: &str| ListenerAttribute::builder().key("tcp.idle_timeout.seconds").value(v).build();
    let m = elb.modify_listener_attributes().listener_arn(&l).attributes(attr("600")).send().await.unwrap();
    assert_eq!(m.attributes()[0].value(), Some("600"));
    let e = elb.modify_listener_attributes().listener_arn(&l).attributes(attr("59")).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
}
