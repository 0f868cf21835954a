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

    /// Where the stream stands, so a snapshot restores it to give the ids it would have given.
    pub fn state(&self) -> IdState {
        IdState { seed: hex_encode(&self.rng.get_seed()), word_pos: self.rng.get_word_pos().to_string() }
    }

    pub fn from_state(s: &IdState) -> Result<IdGen, String> {
        let bytes = hex_decode(&s.seed).ok_or("id generator seed is not 64 hex digits")?;
        let pos: u128 = s.word_pos.parse().map_err(|_| "id generator position is not a number")?;
        let mut rng = ChaCha8Rng::from_seed(bytes);
        rng.set_word_pos(pos);
        Ok(IdGen { rng })
    }
}

/// The id generator's position (seed and word position as text: JSON has no 128-bit numbers).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdState {
    pub seed: String,
    pub word_pos: String,
}

fn hex_encode(b: &[u8; 32]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hex_decode(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
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

    #[test]
    fn state_round_trip_continues_the_stream() {
        let mut a = IdGen::new(3, "1", "r");
        a.ec2("sg");
        let mut b = IdGen::from_state(&a.state()).unwrap();
        assert_eq!(a.ec2("sg"), b.ec2("sg"));
        assert!(IdGen::from_state(&IdState { seed: "zz".into(), word_pos: "0".into() }).is_err());
    }
}
