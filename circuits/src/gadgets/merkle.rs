//! The account tree in R1CS: a leaf write along one path.
//!
//! For a leaf at index `i = Σ b_l·2^l` (bits range-checked, so `i < 2^D`) with siblings `σ_l`,
//! the root reached from a leaf value `v` is `n_D` where `n_0 = v` and
//!
//! ```text
//! left_l  = n_l + b_l·(σ_l − n_l)        1 constraint
//! right_l = n_l + σ_l − left_l           free
//! n_{l+1} = Poseidon(left_l, right_l)    240 constraints
//! ```
//!
//! A write computes this twice with the same bits and siblings, once from the old leaf and once
//! from the new: the old root proves the old leaf was in the tree, the new root is the tree with
//! only that leaf changed. `D·482` constraints for the pair.

use super::poseidon::poseidon;
use super::FrVar;
use ark_bn254::Fr;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::select::CondSelectGadget;
use ark_relations::gr1cs::SynthesisError;

/// The root reached from `leaf` along `index_bits` (little-endian, bit `l` set when the node at
/// level `l` is a right child) and `siblings` (leaf level first).
pub fn root_along(
    leaf: &FrVar,
    index_bits: &[Boolean<Fr>],
    siblings: &[FrVar],
) -> Result<FrVar, SynthesisError> {
    if index_bits.len() != siblings.len() {
        return Err(SynthesisError::Unsatisfiable);
    }
    let mut node = leaf.clone();
    for (bit, sibling) in index_bits.iter().zip(siblings) {
        let left = FrVar::conditionally_select(bit, sibling, &node)?;
        let right = &node + sibling - &left;
        node = poseidon(&[left, right])?;
    }
    Ok(node)
}

/// The roots before and after replacing `before` by `after` at one index.
pub fn write_leaf(
    before: &FrVar,
    after: &FrVar,
    index_bits: &[Boolean<Fr>],
    siblings: &[FrVar],
) -> Result<(FrVar, FrVar), SynthesisError> {
    Ok((
        root_along(before, index_bits, siblings)?,
        root_along(after, index_bits, siblings)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::num::to_bits_le;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::eq::EqGadget;
    use ark_r1cs_std::fields::fp::FpVar;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
    use zksettle_core::account::leaf_value;
    use zksettle_core::tree::{AccountTree, MemoryStore};
    use zksettle_core::{Account, AccountIndex, L1Address, PrivateKey, TokenId};

    const DEPTH: u8 = 8;

    fn account(balance: u128) -> Account {
        Account::new(
            TokenId(1),
            balance,
            PrivateKey::from_bytes([3; 32]).public_key(),
            L1Address([9; 20]),
        )
    }

    /// Allocates a write of `index` from `before` to `after` in a tree holding a few accounts;
    /// returns the system and the native roots. `mutate` edits the witness values first.
    fn write(
        index: u32,
        mutate: impl FnOnce(&mut u32, &mut Vec<Fr>, &mut Fr),
    ) -> (ConstraintSystemRef<Fr>, Fr, Fr) {
        let mut tree = AccountTree::open(MemoryStore::new(), DEPTH).unwrap();
        for i in [1u32, 2, 77, 200, 255] {
            tree.set_account(AccountIndex(i), Some(account(u128::from(i))))
                .unwrap();
        }
        let path = tree.merkle_path(AccountIndex(index)).unwrap();
        let before = tree.account(AccountIndex(index)).unwrap();
        let after = Some(account(1_000));
        let root_before = tree.root().unwrap();
        let root_after = path.root(leaf_value(after.as_ref()));

        let (mut idx, mut siblings, mut leaf) =
            (index, path.siblings.clone(), leaf_value(before.as_ref()));
        mutate(&mut idx, &mut siblings, &mut leaf);

        let cs = ConstraintSystem::<Fr>::new_ref();
        let index_var = FpVar::new_witness(cs.clone(), || Ok(Fr::from(idx))).unwrap();
        let bits = to_bits_le(&index_var, usize::from(DEPTH)).unwrap();
        let siblings: Vec<FrVar> = siblings
            .iter()
            .map(|s| FpVar::new_witness(cs.clone(), || Ok(*s)).unwrap())
            .collect();
        let before_var = FpVar::new_witness(cs.clone(), || Ok(leaf)).unwrap();
        let after_var = FpVar::new_witness(cs.clone(), || Ok(leaf_value(after.as_ref()))).unwrap();
        let (old, new) = write_leaf(&before_var, &after_var, &bits, &siblings).unwrap();
        old.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(root_before)).unwrap())
            .unwrap();
        new.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(root_after)).unwrap())
            .unwrap();
        cs.finalize();
        (cs, root_before, root_after)
    }

    #[test]
    fn roots_match_the_native_tree_for_present_and_empty_leaves() {
        for index in [1u32, 77, 255, 3, 128] {
            let (cs, _, _) = write(index, |_, _, _| {});
            assert!(cs.is_satisfied().unwrap(), "index {index}");
        }
    }

    #[test]
    fn a_pair_costs_what_the_docs_say() {
        let (cs, _, _) = write(77, |_, _, _| {});
        // 8 index bits + 1 packing, 2 × 8 × (240 + 1) for the paths, 2 root equalities.
        assert_eq!(cs.num_constraints(), 9 + 2 * 8 * 241 + 2);
    }

    #[test]
    fn every_mutation_of_the_path_is_unsatisfiable() {
        type Mutation = Box<dyn FnOnce(&mut u32, &mut Vec<Fr>, &mut Fr)>;
        let mutations: Vec<(&str, Mutation)> = vec![
            ("index bit", Box::new(|i, _, _| *i ^= 4)),
            ("top index bit", Box::new(|i, _, _| *i ^= 1 << (DEPTH - 1))),
            (
                "index beyond the tree",
                Box::new(|i, _, _| *i |= 1 << DEPTH),
            ),
            ("leaf sibling", Box::new(|_, s, _| s[0] += Fr::from(1u64))),
            (
                "top sibling",
                Box::new(|_, s, _| s[usize::from(DEPTH) - 1] += Fr::from(1u64)),
            ),
            ("old leaf", Box::new(|_, _, l| *l += Fr::from(1u64))),
        ];
        for (name, mutate) in mutations {
            let (cs, _, _) = write(77, mutate);
            assert!(!cs.is_satisfied().unwrap(), "{name}");
        }
    }

    #[test]
    fn the_gadget_computes_the_native_root() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let leaf = FpVar::new_witness(cs.clone(), || Ok(Fr::from(5u64))).unwrap();
        let bits = vec![Boolean::new_witness(cs.clone(), || Ok(true)).unwrap(); 2];
        let siblings = vec![FpVar::new_witness(cs.clone(), || Ok(Fr::from(6u64))).unwrap(); 2];
        let root = root_along(&leaf, &bits, &siblings).unwrap();
        let path = zksettle_core::tree::MerklePath {
            index: AccountIndex(3),
            siblings: vec![Fr::from(6u64); 2],
        };
        assert_eq!(root.value().unwrap(), path.root(Fr::from(5u64)));
    }
}
