//! EdDSA-Poseidon verification in R1CS, accepting exactly what `zksettle_core::eddsa` accepts
//! for keys that can sign (the account tree only holds such keys, or the locked identity).
//!
//! For message `m`, key `A` and signature `(R8, S)` it enforces:
//!
//! ```text
//! A, R8 on the curve                                  6 constraints
//! S = Σ s_i·2^i with 251 boolean s_i, and S ≤ l − 1    ~420 (canonical: no S + l malleation)
//! h  = Poseidon(R8.x, R8.y, A.x, A.y, m)                321
//! h  = Σ h_i·2^i, 254 bits, < r (canonical)             ~520
//! A8 = 8·A, A8.x ≠ 0                                    16: A8 = O would let S·B8 = R8 sign anything
//! S·B8 = R8 + h·A8                                      ~880 fixed-base + ~3300 variable-base + 6
//! ```
//!
//! 5,779 constraints in all (`a_circomlibjs_signature_verifies` bounds it).
//!
//! `R8` in the prime-order subgroup follows from the last line (`R8 = S·B8 − h·A8`, both terms in
//! the subgroup since `B8` and `A8 = 8·A` are), matching the native subgroup check. `A` itself is
//! only required to be on the curve: every key in the tree passed the native subgroup check
//! when it entered (a deposit's key that fails it is replaced by the identity, which the
//! `A8.x ≠ 0` line refuses).

use super::babyjubjub::PointVar;
use super::num::to_bits_le;
use super::poseidon::poseidon;
use super::FrVar;
use ark_bn254::Fr;
use ark_ff::PrimeField;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::convert::ToBitsGadget;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;
use zksettle_core::babyjubjub::{Point, SubgroupScalar};

/// Bits of `S`: the subgroup order `l` is below `2^251`.
pub const SCALAR_BITS: usize = 251;

/// A signature in the circuit: `R8` and `S` as a field element.
#[derive(Debug, Clone)]
pub struct SignatureVar {
    /// The nonce point.
    pub r8: PointVar,
    /// The response scalar, as the integer it is (below `l < r`).
    pub s: FrVar,
}

/// Enforces that `signature` is a valid EdDSA-Poseidon signature of `message` under `key`.
pub fn verify(
    message: &FrVar,
    key: &PointVar,
    signature: &SignatureVar,
) -> Result<(), SynthesisError> {
    verify_if(message, key, signature, &Boolean::TRUE)
}

/// [`verify`] when `enabled`; when not, the same constraints are satisfiable by any values of
/// the right shape (the checks are switched off, not skipped, so every slot has the same R1CS).
pub fn verify_if(
    message: &FrVar,
    key: &PointVar,
    signature: &SignatureVar,
    enabled: &Boolean<Fr>,
) -> Result<(), SynthesisError> {
    key.enforce_on_curve()?;
    signature.r8.enforce_on_curve()?;

    let s_bits = to_bits_le(&signature.s, SCALAR_BITS)?;
    Boolean::enforce_smaller_or_equal_than_le(&s_bits, subgroup_order_minus_one())?;

    let h = poseidon(&[
        signature.r8.x.clone(),
        signature.r8.y.clone(),
        key.x.clone(),
        key.y.clone(),
        message.clone(),
    ])?;
    let h_bits = h.to_bits_le()?;

    let a8 = key.double()?.double()?.double()?;
    // A8.x ≠ 0 (when enabled): a witness inverse exists. Disabled slots may use x = 0.
    let a8_x_or_one = enabled.select(&a8.x, &FrVar::one())?;
    a8_x_or_one.enforce_not_equal(&FrVar::zero())?;

    let lhs = PointVar::mul_fixed(Point::base8(), &s_bits)?;
    let rhs = signature.r8.add(&a8.mul_bits(&h_bits)?)?;
    lhs.x.conditional_enforce_equal(&rhs.x, enabled)?;
    lhs.y.conditional_enforce_equal(&rhs.y, enabled)
}

/// `l − 1` as little-endian limbs.
fn subgroup_order_minus_one() -> [u64; 4] {
    let mut limbs = SubgroupScalar::MODULUS.0;
    // l is odd: subtracting one never borrows.
    limbs[0] -= 1;
    limbs
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::fields::fp::FpVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use zksettle_core::eddsa::{PrivateKey, Signature};

    /// Builds the verification of `signature` on `message` under `key` and reports whether
    /// the system is satisfied and how many constraints it has.
    fn check(message: Fr, key: Point, signature: Point, s: Fr, enabled: bool) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let m = FpVar::new_witness(cs.clone(), || Ok(message)).unwrap();
        let k = PointVar::new_witness(cs.clone(), Some(key)).unwrap();
        let sig = SignatureVar {
            r8: PointVar::new_witness(cs.clone(), Some(signature)).unwrap(),
            s: FpVar::new_witness(cs.clone(), || Ok(s)).unwrap(),
        };
        let on = Boolean::new_witness(cs.clone(), || Ok(enabled)).unwrap();
        verify_if(&m, &k, &sig, &on).unwrap();
        cs.finalize();
        (cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    fn scalar(s: &SubgroupScalar) -> Fr {
        Fr::from_bigint(ark_ff::BigInt(s.into_bigint().0)).unwrap()
    }

    fn signed() -> (Fr, Point, Signature) {
        let key = PrivateKey::from_bytes([42; 32]);
        let message = Fr::from(123_456_789u64);
        (message, key.public_key().0, key.sign(message))
    }

    #[test]
    fn a_circomlibjs_signature_verifies() {
        let (m, a, sig) = signed();
        let (ok, constraints) = check(m, a, sig.r8, scalar(&sig.s), true);
        assert!(ok);
        assert!(constraints < 6_000, "{constraints} constraints");
    }

    #[test]
    fn every_mutation_is_unsatisfiable() {
        let (m, a, sig) = signed();
        let s = scalar(&sig.s);
        let other = PrivateKey::from_bytes([43; 32]).public_key().0;
        let l = Fr::from_bigint(ark_ff::BigInt(SubgroupScalar::MODULUS.0)).unwrap();
        let cases = [
            ("message", check(m + Fr::from(1u64), a, sig.r8, s, true).0),
            ("key", check(m, other, sig.r8, s, true).0),
            ("R8", check(m, a, sig.r8.add(&Point::base8()), s, true).0),
            ("S", check(m, a, sig.r8, s + Fr::from(1u64), true).0),
            ("S + l (malleated)", check(m, a, sig.r8, s + l, true).0),
            (
                "R8 off the curve",
                check(
                    m,
                    a,
                    Point {
                        x: sig.r8.x + Fr::from(1u64),
                        y: sig.r8.y,
                    },
                    s,
                    true,
                )
                .0,
            ),
        ];
        for (name, ok) in cases {
            assert!(!ok, "{name} mutated still verifies");
        }
    }

    #[test]
    fn the_identity_key_cannot_sign() {
        // R8 = S·B8 satisfies the equation under A = O for any message.
        let s = SubgroupScalar::from(99u64);
        let (ok, _) = check(
            Fr::from(1u64),
            Point::IDENTITY,
            Point::base8().mul(&s),
            scalar(&s),
            true,
        );
        assert!(!ok);
    }

    #[test]
    fn disabled_checks_accept_anything_on_the_curve() {
        let (_, a, sig) = signed();
        assert!(check(Fr::from(5u64), a, sig.r8, Fr::from(7u64), false).0);
        assert!(
            check(
                Fr::from(5u64),
                Point::IDENTITY,
                Point::IDENTITY,
                Fr::from(0u64),
                false
            )
            .0
        );
    }
}
