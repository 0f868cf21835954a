//! serde for CIDRs as their text form (`10.0.0.0/16`), so snapshots read like AWS output.
//! Hand-written because ipnet's own serde feature would rebuild the AWS SDK crates that share it.

macro_rules! net_module {
    ($name:ident, $ty:ty) => {
        pub mod $name {
            use serde::{Deserialize, Deserializer, Serializer};
            pub fn serialize<S: Serializer>(n: &$ty, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(n)
            }
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(|_| serde::de::Error::custom(format!("invalid CIDR '{s}'")))
            }
        }
    };
}

net_module!(v4, ipnet::Ipv4Net);
net_module!(v6, ipnet::Ipv6Net);

/// A VPC's optional IPv6 block with its association id.
pub mod opt_v6_assoc {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<(ipnet::Ipv6Net, String)>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(|(n, a)| (n.to_string(), a.clone())).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<(ipnet::Ipv6Net, String)>, D::Error> {
        match Option::<(String, String)>::deserialize(d)? {
            None => Ok(None),
            Some((n, a)) => {
                let net = n.parse().map_err(|_| serde::de::Error::custom(format!("invalid CIDR '{n}'")))?;
                Ok(Some((net, a)))
            }
        }
    }
}
