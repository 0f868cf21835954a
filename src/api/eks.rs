//! EKS (rest-json, signing name `eks`): DescribeCluster (`GET /clusters/{name}`) and
//! ListClusters (`GET /clusters`), answered from the clusters loaded from fixtures.
//! Errors: ResourceNotFoundException (404) for an unknown cluster.

use crate::error::{ApiError, ErrorCode};
use crate::state::eks::{Ca, EksCluster, EksClusters};

/// Without a Kubernetes API there is no CA: a placeholder in the PEM armour.
const PLACEHOLDER_CA: &str = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmxic2ltCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K";

/// Routes one EKS request; `Ok(json)` or an error for `wire::restjson::fail`.
pub fn handle(
    reg: &EksClusters,
    method: &str,
    path: &str,
    query: &str,
    account: &str,
    region: &str,
) -> Result<serde_json::Value, ApiError> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, parts.as_slice()) {
        ("GET", ["clusters"]) => list_clusters(reg, query, account, region),
        ("GET", ["clusters", name]) => {
            let name = percent_decode(name);
            reg.get(account, region, &name)
                .map(|c| serde_json::json!({ "cluster": describe(&c, &reg.ca()) }))
                // [unverified] EKS's wording for an unknown cluster.
                .ok_or_else(|| ApiError::new(ErrorCode::ResourceNotFoundException, format!("No cluster found for name: {name}.")))
        }
        _ => Err(ApiError::new(
            ErrorCode::InvalidAction,
            format!("lbsim's EKS API serves DescribeCluster and ListClusters only, not {method} {path}"),
        )),
    }
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

fn list_clusters(reg: &EksClusters, query: &str, account: &str, region: &str) -> Result<serde_json::Value, ApiError> {
    let q: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let max = match get("maxResults") {
        None => 100,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return Err(ApiError::new(ErrorCode::InvalidParameterException, "maxResults must be between 1 and 100")),
        },
    };
    let names = reg.names(account, region);
    let start = match get("nextToken") {
        None => 0,
        Some(t) => names
            .iter()
            .position(|n| *n == t)
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidParameterException, "The nextToken is not valid"))?,
    };
    let page: Vec<&String> = names.iter().skip(start).take(max).collect();
    let mut out = serde_json::json!({ "clusters": page });
    if let Some(next) = names.get(start + max) {
        out["nextToken"] = serde_json::Value::String(next.clone());
    }
    Ok(out)
}

fn describe(c: &EksCluster, ca: &Ca) -> serde_json::Value {
    let ca = match (ca, &c.api_endpoint) {
        (Ca::Ready(data), Some(_)) => data.as_str(),
        _ => PLACEHOLDER_CA,
    };
    serde_json::json!({
        "name": c.name,
        "arn": c.arn(),
        "createdAt": c.created_at.timestamp_millis() as f64 / 1000.0,
        "version": c.version,
        "endpoint": c.endpoint(),
        "roleArn": format!("arn:{}:iam::{}:role/{}-cluster-role", crate::state::region::partition_of(&c.region), c.account, c.name),
        "resourcesVpcConfig": {
            "subnetIds": c.subnet_ids,
            "securityGroupIds": c.security_group_ids,
            "clusterSecurityGroupId": c.cluster_security_group_id,
            "vpcId": c.vpc_id,
            "endpointPublicAccess": true,
            "endpointPrivateAccess": false,
            "publicAccessCidrs": ["0.0.0.0/0"],
        },
        "kubernetesNetworkConfig": { "serviceIpv4Cidr": "172.20.0.0/16", "ipFamily": "ipv4" },
        "status": "ACTIVE",
        "certificateAuthority": { "data": ca },
        "platformVersion": "eks.1",
        "tags": {},
        "accessConfig": { "authenticationMode": "API_AND_CONFIG_MAP" },
    })
}
