//! The target group's health check (§2.6): the controller's defaults per target type and
//! protocol, then the health-check annotations.

use k8s_openapi::api::core::v1::Service;

use super::HealthCheck;
use crate::reconciler::annotations::{self as a, Annotations};
use crate::reconciler::config::ControllerConfig;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

pub(super) fn health_check(ann: &Annotations, cfg: &ControllerConfig, svc: &Service, target_type: &str) -> Result<HealthCheck, String> {
    let spec = svc.spec.clone().unwrap_or_default();
    let local = target_type == "instance"
        && spec.external_traffic_policy.as_deref() == Some("Local")
        && spec.type_.as_deref() == Some("LoadBalancer");
    let mut hc = if local {
        HealthCheck {
            protocol: "HTTP".into(),
            port: spec.health_check_node_port.map(|p| p.to_string()).unwrap_or_else(|| "traffic-port".into()),
            path: Some("/healthz".into()),
            matcher: Some("200-399".into()),
            matcher_grpc: false,
            interval: 10,
            timeout: 6,
            healthy: 2,
            unhealthy: 2,
        }
    } else {
        HealthCheck {
            protocol: "TCP".into(),
            port: "traffic-port".into(),
            path: None,
            matcher: None,
            matcher_grpc: false,
            interval: 10,
            timeout: 10,
            healthy: 3,
            unhealthy: 3,
        }
    };
    if let Some(p) = ann.str(a::HC_PROTOCOL) {
        hc.protocol = match p.to_ascii_lowercase().as_str() {
            "tcp" => "TCP",
            "http" => "HTTP",
            "https" => "HTTPS",
            _ => return Err(format!("Unsupported health check protocol {p}")),
        }
        .into();
    }
    if let Some(p) = ann.str(a::HC_PORT) {
        if p != "traffic-port" {
            if let Ok(n) = p.parse::<i32>() {
                hc.port = n.to_string();
            } else if cfg.named_health_check_port()
                && let Some(sp) = spec.ports.iter().flatten().find(|sp| sp.name.as_deref() == Some(p))
            {
                // v2.6.2+: a named Service port means its node port / target port.
                let n = if target_type == "instance" {
                    sp.node_port.unwrap_or(0)
                } else {
                    match &sp.target_port {
                        Some(IntOrString::Int(n)) => *n,
                        _ => sp.port,
                    }
                };
                hc.port = n.to_string();
            } else {
                return Err(format!("failed to parse healthcheck port {p}"));
            }
        } else {
            hc.port = "traffic-port".into();
        }
    }
    let http = hc.protocol != "TCP";
    if http {
        hc.path = Some(ann.str(a::HC_PATH).map(String::from).or(hc.path.clone()).unwrap_or_else(|| "/".into()));
        if cfg.feature_gates.nlb_hc_advanced {
            hc.matcher = Some(ann.str(a::HC_SUCCESS_CODES).map(String::from).or(hc.matcher.clone()).unwrap_or_else(|| "200-399".into()));
        }
    } else {
        hc.path = None;
        hc.matcher = None;
    }
    let int = |s: &str, d: i32| -> Result<i32, String> { Ok(ann.int(s)?.map(|v| v as i32).unwrap_or(d)) };
    hc.interval = int(a::HC_INTERVAL, hc.interval)?;
    if cfg.feature_gates.nlb_hc_advanced {
        hc.timeout = int(a::HC_TIMEOUT, hc.timeout)?;
    }
    hc.healthy = int(a::HC_HEALTHY, hc.healthy)?;
    hc.unhealthy = int(a::HC_UNHEALTHY, hc.unhealthy)?;
    Ok(hc)
}
