//! ELBv2 resources as plain data (load balancers, target groups, listeners, targets).
//! Filled in by the ELBv2 work (issue 3); `Region` owns one `Elbv2` beside the EC2 state.

#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Elbv2 {}

impl crate::state::Region {
    /// Whether any load balancer or target group lives in the VPC (DeleteVpc refuses then).
    pub fn elb_uses_vpc(&self, _vpc: &str) -> bool {
        false
    }
}

impl Elbv2 {
    /// Every ELBv2 resource as JSON, for the admin API's state dump.
    pub fn dump(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    /// Quota usage as (quota name, scope, used, limit) rows, for the admin API.
    pub fn usage(&self, _q: &crate::state::Quotas) -> Vec<(String, String, u64, u64)> {
        Vec::new()
    }
}
