//! Identifier generation: `<prefix>-` + 17 lowercase hex digits (aws-api.md §2.7), from a seeded
//! ChaCha stream per (account, region), so a seeded world gives the same ids every run.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

pub struct IdGen {
    rng: ChaCha8Rng,
}

impl IdGen {
    pub fn new(seed: u64, account: &str, region: &str) -> IdGen {
        // FNV-1a mixes the scope into the seed; std's hasher is not stable across releases.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
        for b in account.bytes().chain([b'/']).chain(region.bytes()) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        IdGen { rng: ChaCha8Rng::seed_from_u64(h) }
    }

    /// `sg-0123456789abcdef0` style: 17 hex digits.
    pub fn ec2(&mut self, prefix: &str) -> String {
        let v = self.rng.next_u64() & 0x0fff_ffff_ffff_ffff;
        let hi = self.rng.next_u32() & 0xf;
        format!("{prefix}-{hi:x}{v:016x}")
    }

    /// 16 hex digits, as in ELBv2 ARNs and NLB DNS names.
    pub fn hex16(&mut self) -> String {
        format!("{:016x}", self.rng.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

/// Checks the shape of an EC2 id: `prefix-` then 8 or 17 lowercase hex digits.
pub fn well_formed(id: &str, prefix: &str) -> bool {
    let Some(rest) = id.strip_prefix(prefix).and_then(|r| r.strip_prefix('-')) else { return false };
    (rest.len() == 8 || rest.len() == 17) && rest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_seeded_and_well_formed() {
        let mut a = IdGen::new(7, "000000000000", "us-east-1");
        let mut b = IdGen::new(7, "000000000000", "us-east-1");
        let id = a.ec2("sg");
        assert_eq!(id, b.ec2("sg"));
        assert!(well_formed(&id, "sg"), "{id}");
        assert!(well_formed("sg-1234abcd", "sg"));
        assert!(!well_formed("sg-XYZ", "sg"));
        assert!(!well_formed("sgr-1234abcd", "sg"));
    }
}
