//! Accounts in the batch circuit: a leaf's preimage and its value,
//! `exists ? Poseidon(token, nonce, balance, key.x, key.y, l1_address) : 0`, and a leaf write
//! applied to the running root when enabled.
//!
//! As in the R1CS circuit, fields read from the tree are plain witnesses: the Merkle path
//! authenticates the leaf, and every write range-checks what it writes.

use super::glue::Glue;
use crate::babyjubjub::PointWords;
use crate::field::to_circuit;
use crate::layout::{Layout, Word};
use crate::Fr;
use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::ff::{Field as _, PrimeField as _};
use halo2_proofs::plonk::Error;
use zksettle_core::Account;

/// An account (or an empty leaf) in cells.
#[derive(Debug, Clone)]
pub(crate) struct AccountCells {
    pub(crate) exists: Word,
    pub(crate) token: Word,
    pub(crate) nonce: Word,
    pub(crate) balance: Word,
    pub(crate) key: PointWords,
    pub(crate) l1_address: Word,
}

impl AccountCells {
    /// A leaf's preimage as witness cells (`exists` constrained boolean).
    pub(crate) fn witness(
        glue: &Glue<'_>,
        layout: &mut Layout<'_, '_>,
        account: Option<&Account>,
    ) -> Result<Self, Error> {
        let exists = glue.boolean(layout, account.is_some())?;
        let values = match account {
            Some(a) => [
                Fr::from(u64::from(a.token.0)),
                Fr::from(u64::from(a.nonce)),
                Fr::from_u128(a.balance),
                to_circuit(&a.public_key.0.x),
                to_circuit(&a.public_key.0.y),
                to_circuit(&a.l1_address.to_field()),
            ],
            None => [Fr::ZERO, Fr::ZERO, Fr::ZERO, Fr::ZERO, Fr::ONE, Fr::ZERO],
        };
        let cells = glue.witnesses(layout, &values.map(Value::known));
        Ok(AccountCells {
            exists,
            token: cells[0],
            nonce: cells[1],
            balance: cells[2],
            key: PointWords {
                x: cells[3],
                y: cells[4],
            },
            l1_address: cells[5],
        })
    }

    /// The leaf value.
    pub(crate) fn leaf(&self, glue: &Glue<'_>, layout: &mut Layout<'_, '_>) -> Result<Word, Error> {
        let hash = glue.chips.poseidon.hash(
            layout,
            &[
                self.token,
                self.nonce,
                self.balance,
                self.key.x,
                self.key.y,
                self.l1_address,
            ],
        )?;
        glue.mul(layout, &self.exists, &hash)
    }
}

/// The root after writing `after` over `before` at `index` along `siblings`, if `enabled`
/// (whose old root must then be `root`); `root` itself otherwise.
pub(crate) fn apply_write(
    glue: &Glue<'_>,
    layout: &mut Layout<'_, '_>,
    root: &Word,
    enabled: &Word,
    index: &Word,
    siblings: &[[zksettle_core::Fr; 3]],
    (before, after): (&AccountCells, &AccountCells),
) -> Result<Word, Error> {
    let old_leaf = before.leaf(glue, layout)?;
    let new_leaf = after.leaf(glue, layout)?;
    let siblings: Vec<[Value<Fr>; 3]> = siblings
        .iter()
        .map(|level| level.map(|s| Value::known(to_circuit(&s))))
        .collect();
    let (old, new) = glue.chips.merkle.write_leaf(
        layout,
        &glue.chips.poseidon,
        index,
        (&old_leaf, &new_leaf),
        &siblings,
    )?;
    glue.equal_if(layout, &old, root, enabled)?;
    glue.select(layout, enabled, &new, root)
}
