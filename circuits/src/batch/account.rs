//! Accounts in the batch circuit: a leaf's preimage and its value,
//! `exists ? Poseidon(token, nonce, balance, key.x, key.y, l1_address) : 0`.
//!
//! Fields of an account read from the tree are plain witnesses with no range checks: the
//! Merkle path authenticates the leaf, so they are what an earlier (proven) write put there, and
//! every write range-checks what it writes. An account that does not exist has leaf value 0; its
//! fields are ignored.

use crate::gadgets::babyjubjub::PointVar;
use crate::gadgets::poseidon::poseidon;
use crate::gadgets::FrVar;
use ark_bn254::Fr;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use zksettle_core::babyjubjub::Point;
use zksettle_core::Account;

/// An account (or an empty leaf) in the circuit.
#[derive(Debug, Clone)]
pub(crate) struct AccountVar {
    pub(crate) exists: Boolean<Fr>,
    pub(crate) token: FrVar,
    pub(crate) nonce: FrVar,
    pub(crate) balance: FrVar,
    pub(crate) key: PointVar,
    pub(crate) l1_address: FrVar,
}

impl AccountVar {
    /// Allocates a leaf's preimage as witness.
    pub(crate) fn witness(
        cs: &ConstraintSystemRef<Fr>,
        account: Option<&Account>,
    ) -> Result<Self, SynthesisError> {
        let field = |f: fn(&Account) -> Fr| {
            let v = account.map_or(Fr::from(0u64), f);
            FpVar::new_witness(cs.clone(), move || Ok(v))
        };
        Ok(AccountVar {
            exists: Boolean::new_witness(cs.clone(), || Ok(account.is_some()))?,
            token: field(|a| Fr::from(a.token.0))?,
            nonce: field(|a| Fr::from(a.nonce))?,
            balance: field(|a| Fr::from(a.balance))?,
            key: PointVar::new_witness(
                cs.clone(),
                Some(account.map_or(Point::IDENTITY, |a| a.public_key.0)),
            )?,
            l1_address: field(|a| a.l1_address.to_field())?,
        })
    }

    /// The leaf value.
    pub(crate) fn leaf(&self) -> Result<FrVar, SynthesisError> {
        let hash = poseidon(&[
            self.token.clone(),
            self.nonce.clone(),
            self.balance.clone(),
            self.key.x.clone(),
            self.key.y.clone(),
            self.l1_address.clone(),
        ])?;
        FrVar::conditionally_select(&self.exists, &hash, &FpVar::zero())
    }
}
