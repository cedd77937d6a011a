//! A deterministic mutator for the fixed budget in the tests: from a seed, each round applies
//! one of bit flip, byte set to an edge value, insertion, deletion, truncation, duplication of
//! a slice, or a splice with another seed, driven by a xorshift generator with a fixed start
//! (the same inputs every run, so a failure reproduces).

/// xorshift64*: small, fast and good enough to pick mutations.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced, xorshift never leaves it).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Values that break parsers more often than random ones.
const EDGE_BYTES: [u8; 8] = [0x00, 0x01, 0x7f, 0x80, 0xff, b'"', b'-', b'9'];

/// `input` changed by 1 to 4 mutations, `others` available to splice from.
pub fn mutate(rng: &mut Rng, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len();
        match rng.below(7) {
            0 if len > 0 => {
                let at = rng.below(len);
                out[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                out[at] = EDGE_BYTES[rng.below(EDGE_BYTES.len())];
            }
            2 => {
                let at = rng.below(len + 1);
                out.insert(at, rng.next_u64() as u8);
            }
            3 if len > 0 => {
                out.remove(rng.below(len));
            }
            4 if len > 0 => out.truncate(rng.below(len)),
            5 if len > 0 => {
                let from = rng.below(len);
                let to = from + rng.below(len - from).min(64);
                let copy = out[from..to].to_vec();
                let at = rng.below(len + 1);
                out.splice(at..at, copy);
            }
            _ if !others.is_empty() => {
                let other = &others[rng.below(others.len())];
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                out.truncate(cut);
                out.extend_from_slice(&other[from..]);
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_the_same_every_run_and_change_the_input() {
        let seed = b"{\"protocol\":\"groth16\"}".to_vec();
        let run = || {
            let mut rng = Rng::new(7);
            (0..100)
                .map(|_| mutate(&mut rng, &seed, &[]))
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        assert!(first.iter().filter(|m| **m != seed).count() > 90);
    }
}
