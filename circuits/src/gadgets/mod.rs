//! Constraint gadgets over the BN254 scalar field. Values are [`FpVar`]s; a gadget returns the
//! variables it computes and adds the constraints that pin them to their inputs.

pub mod babyjubjub;
pub mod eddsa;
pub mod merkle;
pub mod num;
pub mod poseidon;
pub mod sha256;

use ark_bn254::Fr;
use ark_r1cs_std::fields::fp::FpVar;

/// A field element in the circuit.
pub type FrVar = FpVar<Fr>;
