//! TargetGroupBinding synthesizer (§4.3 row 6, §2.2): list the stack's TGBs by its labels (in
//! any namespace: an IngressGroup's bindings live beside their Services), match by TG ARN,
//! create missing ones, merge-patch changed specs and wait (poll 200 ms, ≤60 s) for
//! `observedGeneration`; in the reverse pass delete unmatched ones and wait until they are gone
//! (the TGB controller's finalizer deregisters targets and recomputes node rules).

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::cluster::TargetGroupBinding;
use crate::cluster::tgb::{
    IpBlock, NetworkingIngressRule, NetworkingPeer, NetworkingPort, SecurityGroupPeer, ServiceRef, TgbNetworking, TgbSpec,
};
use crate::reconciler::ctx::Ctx;
use crate::reconciler::model::{FRONTEND_TOKEN, Stack, Tgb};
use crate::reconciler::networking::Source;
use crate::reconciler::queue;

const WAIT: Duration = Duration::from_secs(60);
pub const TIMEOUT: &str = "timed out waiting for the condition";

fn spec(t: &Tgb, arn: &str, frontend: Option<&str>) -> TgbSpec {
    TgbSpec {
        target_group_arn: arn.to_string(),
        target_type: t.target_type.clone(),
        service_ref: ServiceRef { name: t.service_name.clone(), port: t.service_port.clone() },
        networking: t.networking.as_ref().map(|rules| TgbNetworking {
            ingress: rules
                .iter()
                .map(|r| NetworkingIngressRule {
                    from: r
                        .from
                        .iter()
                        .map(|s| match s {
                            Source::Group(g) => NetworkingPeer {
                                security_group: Some(SecurityGroupPeer {
                                    group_id: if g == FRONTEND_TOKEN { frontend.unwrap_or_default().to_string() } else { g.clone() },
                                }),
                                ip_block: None,
                            },
                            Source::Cidr(c) | Source::PrefixList(c) => {
                                NetworkingPeer { ip_block: Some(IpBlock { cidr: c.clone() }), security_group: None }
                            }
                        })
                        .collect(),
                    ports: r.ports.iter().map(|(proto, port)| NetworkingPort { protocol: proto.clone(), port: port.clone() }).collect(),
                })
                .collect(),
        }),
        node_selector: t.node_selector.clone(),
        ip_address_type: t.ip_address_type.clone(),
    }
}

/// (namespace, name) of a binding.
pub type TgbKey = (String, String);

fn key_of(t: &TargetGroupBinding) -> TgbKey {
    (t.metadata.namespace.clone().unwrap_or_default(), t.metadata.name.clone().unwrap_or_default())
}

/// Creates / patches the model's TGBs; returns the unmatched ones (deleted later).
pub async fn synthesize(ctx: &Ctx, stack: &Stack, tgs: &BTreeMap<String, String>, frontend: Option<&str>) -> Result<Vec<TgbKey>, String> {
    let existing: Vec<TargetGroupBinding> = list(ctx, stack);
    let mut matched: Vec<TgbKey> = Vec::new();
    for t in &stack.tgbs {
        let arn = tgs.get(&t.tg_resource_id).cloned().unwrap_or_default();
        let want = spec(t, &arn, frontend);
        match existing.iter().find(|e| e.spec.target_group_arn == arn) {
            Some(have) => {
                let (ns, name) = key_of(have);
                matched.push((ns.clone(), name.clone()));
                if have.spec != want {
                    let patched = ctx.cluster.lock().patch::<TargetGroupBinding>(&ns, &name, |o| o.spec = want.clone());
                    let generation = patched.and_then(|p| p.metadata.generation).unwrap_or(0);
                    let n = name.clone();
                    let done = queue::wait_until(ctx, WAIT, move |s| {
                        s.get::<TargetGroupBinding>(&ns, &n).is_none_or(|t| t.status.observed_generation.unwrap_or(0) >= generation)
                    })
                    .await;
                    if !done {
                        return Err(TIMEOUT.to_string());
                    }
                }
            }
            None => {
                let obj = TargetGroupBinding {
                    metadata: ObjectMeta {
                        name: Some(t.name.clone()),
                        namespace: Some(t.namespace.clone()),
                        labels: Some(stack.tgb_labels.clone()),
                        ..Default::default()
                    },
                    spec: want,
                    status: Default::default(),
                };
                ctx.cluster.lock().apply(obj);
                matched.push((t.namespace.clone(), t.name.clone()));
            }
        }
    }
    Ok(existing.iter().map(key_of).filter(|k| !matched.contains(k)).collect())
}

fn list(ctx: &Ctx, stack: &Stack) -> Vec<TargetGroupBinding> {
    ctx.cluster
        .lock()
        .iter::<TargetGroupBinding>()
        .filter(|t| {
            let l = t.metadata.labels.as_ref();
            !stack.tgb_labels.is_empty() && stack.tgb_labels.iter().all(|(k, v)| l.and_then(|l| l.get(k)) == Some(v))
        })
        .cloned()
        .collect()
}

pub async fn delete(ctx: &Ctx, keys: &[TgbKey]) -> Result<(), String> {
    for (ns, name) in keys {
        ctx.cluster.lock().delete::<TargetGroupBinding>(ns, name);
        let (ns, n) = (ns.clone(), name.clone());
        if !queue::wait_until(ctx, WAIT, move |s| s.get::<TargetGroupBinding>(&ns, &n).is_none()).await {
            return Err(TIMEOUT.to_string());
        }
    }
    Ok(())
}
