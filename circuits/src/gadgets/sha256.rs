//! SHA-256 in R1CS over a bit string given most significant bit first per byte, as the
//! commitment's bytes are laid out (`docs/protocol.md` §10). The compression function is
//! arkworks' gadget (`ark-crypto-primitives`), which follows FIPS 180-4 word for word.

use ark_bn254::Fr;
use ark_crypto_primitives::crh::sha256::constraints::Sha256Gadget;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::convert::ToBitsGadget;
use ark_r1cs_std::uint8::UInt8;
use ark_relations::gr1cs::SynthesisError;

/// SHA-256 of `bits` (a whole number of bytes, each byte's bits most significant first); returns
/// the 256 digest bits in the same order.
pub fn sha256_msb_first(bits: &[Boolean<Fr>]) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    if !bits.len().is_multiple_of(8) {
        return Err(SynthesisError::Unsatisfiable);
    }
    let bytes: Vec<UInt8<Fr>> = bits
        .chunks(8)
        .map(|byte| {
            let le: Vec<Boolean<Fr>> = byte.iter().rev().cloned().collect();
            UInt8::from_bits_le(&le)
        })
        .collect();
    let digest = Sha256Gadget::digest(&bytes)?;
    let mut out = Vec::with_capacity(256);
    for byte in &digest.0 {
        out.extend(byte.to_bits_le()?.into_iter().rev());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use sha2::{Digest, Sha256};

    fn bits_of(bytes: &[u8]) -> Vec<bool> {
        bytes
            .iter()
            .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1 == 1))
            .collect()
    }

    #[test]
    fn matches_sha2_across_block_boundaries() {
        for len in [0usize, 1, 55, 56, 64, 132] {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let cs = ConstraintSystem::<Fr>::new_ref();
            let bits: Vec<Boolean<Fr>> = bits_of(&data)
                .into_iter()
                .map(|b| Boolean::new_witness(cs.clone(), || Ok(b)).unwrap())
                .collect();
            let digest = sha256_msb_first(&bits).unwrap();
            let got: Vec<bool> = digest.iter().map(|b| b.value().unwrap()).collect();
            assert_eq!(got, bits_of(&Sha256::digest(&data)), "{len} bytes");
            cs.finalize();
            assert!(cs.is_satisfied().unwrap());
        }
    }
}
