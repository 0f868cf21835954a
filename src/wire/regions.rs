//! The AWS Regions lbsim knows: the public Regions of the `aws`, `aws-cn` and `aws-us-gov`
//! partitions, from botocore 1.43's `partitions.json` (the global pseudo-Regions left out). A
//! request naming any other Region is refused unless the config's `allowed_regions` lists it, so
//! a typo (`us-east1`) or a random name cannot create a world of its own.

/// Sorted, so lookups are a binary search.
pub const KNOWN: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

pub fn is_known(region: &str) -> bool {
    KNOWN.binary_search(&region).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_well_formed() {
        assert!(KNOWN.windows(2).all(|w| w[0] < w[1]), "KNOWN must stay sorted for binary_search");
        assert!(KNOWN.iter().all(|r| super::super::valid_region(r)));
        assert!(is_known("us-east-1") && is_known("cn-north-1") && !is_known("us-east1"));
    }
}
