//! The BN254 scalar field in its two representations: arkworks' (`zksettle_core::Fr`, what the
//! protocol computes with) and halo2curves' ([`crate::Fr`], what the circuit is over). Both are
//! the same field `r = 21888…5617`; the conversion goes through the canonical 32-byte
//! little-endian encoding, so it is a bijection and never reduces.

use crate::Fr;
use ark_ff::{BigInteger, PrimeField as _};
use halo2_proofs::halo2curves::ff::PrimeField as _;

/// The core's field element as the circuit's.
pub fn to_circuit(x: &zksettle_core::Fr) -> Fr {
    let mut repr = [0u8; 32];
    repr.copy_from_slice(&x.into_bigint().to_bytes_le());
    // A canonical arkworks element is below r, so halo2curves takes its bytes.
    Fr::from_repr(repr).expect("the two crates' BN254 scalar fields are the same field")
}

/// The circuit's field element as the core's.
pub fn to_core(x: &Fr) -> zksettle_core::Fr {
    zksettle_core::Fr::from_le_bytes_mod_order(&x.to_repr())
}

/// A Baby Jubjub scalar (below `l < r`) as the circuit's field element holding the same integer.
pub fn subgroup_scalar(s: &zksettle_core::babyjubjub::SubgroupScalar) -> Fr {
    to_circuit(&zksettle_core::Fr::from_le_bytes_mod_order(
        &s.into_bigint().to_bytes_le(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::ff::Field as _;
    use rand::{Rng, SeedableRng};

    #[test]
    fn the_two_fields_agree_on_arithmetic_and_round_trip() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        for _ in 0..64 {
            let a = zksettle_core::Fr::from_le_bytes_mod_order(&rng.random::<[u8; 32]>());
            let b = zksettle_core::Fr::from_le_bytes_mod_order(&rng.random::<[u8; 32]>());
            assert_eq!(to_core(&to_circuit(&a)), a);
            assert_eq!(
                to_circuit(&(a * b + a)),
                to_circuit(&a) * to_circuit(&b) + to_circuit(&a)
            );
        }
        // r − 1, the largest element, crosses unchanged.
        let minus_one = -Fr::ONE;
        assert_eq!(to_core(&minus_one), -zksettle_core::Fr::from(1u64));
        assert_eq!(to_circuit(&-zksettle_core::Fr::from(1u64)), minus_one);
    }
}
