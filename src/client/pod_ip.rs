//! A pod's address as the VPC CNI gets it: a secondary private address of the node's primary
//! interface (AssignPrivateIpAddresses), given back with UnassignPrivateIpAddresses. Where the
//! endpoint does not serve AssignPrivateIpAddresses, a separate interface with the node's groups
//! in the node's subnet stands in (the controller's address lookup finds it the same way), and
//! is deleted on release. Used by fixture loading and by the live cluster's kubelet.

use super::sdk_err;

type Result<T> = std::result::Result<T, String>;

/// Where an address came from, to give it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// A secondary address of this interface.
    Secondary { eni: String, ip: String },
    /// An interface of its own.
    Interface { eni: String, ip: String },
}

impl Lease {
    pub fn ip(&self) -> &str {
        match self {
            Lease::Secondary { ip, .. } | Lease::Interface { ip, .. } => ip,
        }
    }
}

/// An address for a pod on the node whose primary interface is `eni`.
pub async fn assign(ec2: &aws_sdk_ec2::Client, eni: &str) -> Result<Lease> {
    match ec2.assign_private_ip_addresses().network_interface_id(eni).secondary_private_ip_address_count(1).send().await {
        Ok(r) => r
            .assigned_private_ip_addresses
            .and_then(|v| v.into_iter().next())
            .and_then(|a| a.private_ip_address)
            .map(|ip| Lease::Secondary { eni: eni.to_string(), ip })
            .ok_or_else(|| "AssignPrivateIpAddresses returned no address".to_string()),
        Err(e) if e.as_service_error().and_then(|s| aws_sdk_ec2::error::ProvideErrorMetadata::code(s)) == Some("InvalidAction") => {
            let node = ec2
                .describe_network_interfaces()
                .network_interface_ids(eni)
                .send()
                .await
                .map_err(|e| sdk_err("DescribeNetworkInterfaces", e))?;
            let n = node.network_interfaces.and_then(|v| v.into_iter().next()).ok_or("node interface not found")?;
            let groups: Vec<String> = n.groups.unwrap_or_default().into_iter().filter_map(|g| g.group_id).collect();
            let r = ec2
                .create_network_interface()
                .subnet_id(n.subnet_id.unwrap_or_default())
                .set_groups(Some(groups))
                .description("lbsim pod address")
                .send()
                .await
                .map_err(|e| sdk_err("CreateNetworkInterface", e))?;
            let i = r.network_interface.ok_or("CreateNetworkInterface returned no interface")?;
            Ok(Lease::Interface {
                eni: i.network_interface_id.unwrap_or_default(),
                ip: i.private_ip_address.ok_or("CreateNetworkInterface returned no address")?,
            })
        }
        Err(e) => Err(sdk_err("AssignPrivateIpAddresses", e)),
    }
}

/// Gives an address back.
pub async fn release(ec2: &aws_sdk_ec2::Client, lease: &Lease) -> Result<()> {
    match lease {
        Lease::Secondary { eni, ip } => {
            ec2.unassign_private_ip_addresses()
                .network_interface_id(eni)
                .private_ip_addresses(ip)
                .send()
                .await
                .map_err(|e| sdk_err("UnassignPrivateIpAddresses", e))?;
        }
        Lease::Interface { eni, .. } => {
            ec2.delete_network_interface().network_interface_id(eni).send().await.map_err(|e| sdk_err("DeleteNetworkInterface", e))?;
        }
    }
    Ok(())
}
