//! The batch commitment: the single public input of a batch proof.
//!
//! ```text
//! commitment = SHA-256(chain_id ‖ rollup ‖ old_root ‖ new_root ‖ batch_number ‖ pubdata)
//!              with the top 3 bits cleared
//! ```
//!
//! The chain id is 8 bytes big-endian and `rollup` the 20-byte contract address (the deployment
//! [`Domain`]: a proof, like a signature, is valid for one deployment only, and the contract
//! supplies both from `block.chainid` and `address(this)`). Roots are 32-byte big-endian field
//! elements, the batch number 8 bytes big-endian, pubdata the exact bytes of
//! [`crate::pubdata::encode_batch`]. Clearing the top three bits of the digest
//! (read big-endian) leaves a 253-bit integer, always below the field modulus r, so the L1
//! contract recomputes it with the SHA-256 precompile and one `AND`.

use crate::field::{fr_from_be_bytes, fr_to_be_bytes, Fr};
use crate::tx::Domain;
use sha2::{Digest, Sha256};

/// Bytes before the pubdata in the preimage: chain id, rollup address, two roots, batch number.
pub const PREIMAGE_HEADER_BYTES: usize = 8 + 20 + 32 + 32 + 8;

/// The bytes hashed into the commitment.
pub fn commitment_preimage(
    domain: &Domain,
    old_root: &Fr,
    new_root: &Fr,
    batch_number: u64,
    pubdata: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(PREIMAGE_HEADER_BYTES + pubdata.len());
    out.extend_from_slice(&domain.chain_id.to_be_bytes());
    out.extend_from_slice(&domain.rollup.0);
    out.extend_from_slice(&fr_to_be_bytes(old_root));
    out.extend_from_slice(&fr_to_be_bytes(new_root));
    out.extend_from_slice(&batch_number.to_be_bytes());
    out.extend_from_slice(pubdata);
    out
}

/// The batch commitment as a field element.
pub fn batch_commitment(
    domain: &Domain,
    old_root: &Fr,
    new_root: &Fr,
    batch_number: u64,
    pubdata: &[u8],
) -> Fr {
    let mut digest: [u8; 32] = Sha256::digest(commitment_preimage(
        domain,
        old_root,
        new_root,
        batch_number,
        pubdata,
    ))
    .into();
    digest[0] &= 0x1f;
    fr_from_be_bytes(&digest).expect("a 253-bit value is below r")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_independent_sha256_and_masks_top_bits() {
        let (a, b) = (Fr::from(1u64), Fr::from(2u64));
        let domain = Domain {
            chain_id: 31337,
            rollup: crate::L1Address([0x5e; 20]),
        };
        let c = batch_commitment(&domain, &a, &b, 7, &[0xab; 12]);
        let mut pre = 31337u64.to_be_bytes().to_vec();
        pre.extend_from_slice(&[0x5e; 20]);
        pre.extend_from_slice(&[0; 31]);
        pre.push(1);
        pre.extend_from_slice(&[0; 31]);
        pre.push(2);
        pre.extend_from_slice(&7u64.to_be_bytes());
        pre.extend_from_slice(&[0xab; 12]);
        let mut d: [u8; 32] = Sha256::digest(&pre).into();
        d[0] &= 0x1f;
        assert_eq!(fr_to_be_bytes(&c), d);
        // Any change to any part changes the commitment.
        assert_ne!(c, batch_commitment(&domain, &a, &b, 8, &[0xab; 12]));
        assert_ne!(c, batch_commitment(&domain, &b, &a, 7, &[0xab; 12]));
        assert_ne!(c, batch_commitment(&domain, &a, &b, 7, &[0xab; 13]));
        let other_chain = Domain {
            chain_id: 1,
            ..domain
        };
        assert_ne!(c, batch_commitment(&other_chain, &a, &b, 7, &[0xab; 12]));
    }
}
