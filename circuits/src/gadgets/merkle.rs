//! The account tree in R1CS: a leaf write along one path of the quaternary tree.
//!
//! For a leaf at index `i = Σ d_l·4^l` (digits `d_l = b_{2l} + 2·b_{2l+1}` from range-checked
//! bits, so `i < 2^D`) with siblings `(σ_l,0, σ_l,1, σ_l,2)` in position order, the root reached
//! from a leaf value `v` is `n_L` (`L = D/2`) where `n_0 = v` and
//! `n_{l+1} = Poseidon(c_0, c_1, c_2, c_3)` with `n_l` at child position `d_l` and the siblings
//! around it.
//!
//! The children are linear in the one-hot digit `e_j = [d_l = j]` (`e_0 = 1 − b − b' + bb'`,
//! `e_1 = b − bb'`, `e_2 = b' − bb'`, `e_3 = bb'`, with `b = b_{2l}`, `b' = b_{2l+1}`):
//!
//! ```text
//! c_0 = (1 − e_0)·σ_0                      + e_0·n
//! c_1 = e_0·σ_0 + b'·σ_1                   + e_1·n
//! c_2 = (1 − b')·σ_1 + e_3·σ_2             + e_2·n
//! c_3 = n + σ_0 + σ_1 + σ_2 − c_0 − c_1 − c_2
//! ```
//!
//! The sibling terms need `bb'`, `e_0·σ_0`, `b'·σ_1`, `e_3·σ_2`: 4 constraints per level, shared
//! by both roots of a write. Each root then pays 3 constraints per level for the `e_j·n` terms
//! plus Poseidon(4) at 297.
//!
//! A write computes the root twice with the same digits and siblings, once from the old leaf and
//! once from the new: the old root proves the old leaf was in the tree, the new root is the tree
//! with only that leaf changed. `L·(4 + 2·300)` constraints for the pair.

use super::poseidon::poseidon;
use super::FrVar;
use ark_bn254::Fr;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use zksettle_core::tree::MerklePath;

/// One level's digit and siblings with the products both roots of a write share.
struct Level {
    /// `e_0, e_1, e_2` of the digit (`e_3` is implied by the sum rule of `c_3`).
    one_hot: [FrVar; 3],
    /// The children without the path node's term.
    sibling_parts: [FrVar; 3],
    sibling_sum: FrVar,
}

impl Level {
    fn new(
        low: &Boolean<Fr>,
        high: &Boolean<Fr>,
        siblings: &[FrVar; 3],
    ) -> Result<Self, SynthesisError> {
        let both = FrVar::from(low & high);
        let (b, b_high) = (FrVar::from(low.clone()), FrVar::from(high.clone()));
        let e0 = FrVar::one() - &b - &b_high + &both;
        let e1 = &b - &both;
        let e2 = &b_high - &both;
        let [s0, s1, s2] = siblings;
        let t0 = &e0 * s0;
        let u1 = &b_high * s1;
        let t3 = &both * s2;
        Ok(Level {
            sibling_parts: [s0 - &t0, &t0 + &u1, s1 - &u1 + &t3],
            one_hot: [e0, e1, e2],
            sibling_sum: s0 + s1 + s2,
        })
    }

    /// The parent of `node` at this level.
    fn parent(&self, node: &FrVar) -> Result<FrVar, SynthesisError> {
        let mut children = Vec::with_capacity(4);
        for (part, e) in self.sibling_parts.iter().zip(&self.one_hot) {
            children.push(part + e * node);
        }
        let placed = children.iter().fold(FrVar::zero(), |acc, c| acc + c);
        children.push(node + &self.sibling_sum - placed);
        poseidon(&children)
    }
}

fn levels(
    index_bits: &[Boolean<Fr>],
    siblings: &[[FrVar; 3]],
) -> Result<Vec<Level>, SynthesisError> {
    if index_bits.len() != 2 * siblings.len() {
        return Err(SynthesisError::Unsatisfiable);
    }
    index_bits
        .chunks(2)
        .zip(siblings)
        .map(|(bits, s)| Level::new(&bits[0], &bits[1], s))
        .collect()
}

/// Allocates the siblings of `path` as witnesses, leaf level first.
pub fn sibling_witnesses(
    cs: &ConstraintSystemRef<Fr>,
    path: &MerklePath,
) -> Result<Vec<[FrVar; 3]>, SynthesisError> {
    path.siblings
        .iter()
        .map(|level| {
            let [a, b, c] = level.map(|s| FrVar::new_witness(cs.clone(), || Ok(s)));
            Ok([a?, b?, c?])
        })
        .collect()
}

/// The root reached from `leaf` along `index_bits` (little-endian; bits `2l, 2l + 1` are the
/// digit of level `l`) and `siblings` (leaf level first, each level in position order).
pub fn root_along(
    leaf: &FrVar,
    index_bits: &[Boolean<Fr>],
    siblings: &[[FrVar; 3]],
) -> Result<FrVar, SynthesisError> {
    levels(index_bits, siblings)?
        .iter()
        .try_fold(leaf.clone(), |node, level| level.parent(&node))
}

/// The roots before and after replacing `before` by `after` at one index.
pub fn write_leaf(
    before: &FrVar,
    after: &FrVar,
    index_bits: &[Boolean<Fr>],
    siblings: &[[FrVar; 3]],
) -> Result<(FrVar, FrVar), SynthesisError> {
    let levels = levels(index_bits, siblings)?;
    let climb = |leaf: &FrVar| {
        levels
            .iter()
            .try_fold(leaf.clone(), |node, level| level.parent(&node))
    };
    Ok((climb(before)?, climb(after)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::num::to_bits_le;
    use ark_r1cs_std::eq::EqGadget;
    use ark_r1cs_std::fields::fp::FpVar;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;
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
        mutate: impl FnOnce(&mut u32, &mut Vec<[Fr; 3]>, &mut Fr),
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
        let siblings: Vec<[FrVar; 3]> = siblings
            .iter()
            .map(|level| level.map(|s| FpVar::new_witness(cs.clone(), || Ok(s)).unwrap()))
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
        for index in [1u32, 77, 255, 3, 128, 2, 64, 192] {
            let (cs, _, _) = write(index, |_, _, _| {});
            assert!(cs.is_satisfied().unwrap(), "index {index}");
        }
    }

    #[test]
    fn a_pair_costs_what_the_docs_say() {
        let (cs, _, _) = write(77, |_, _, _| {});
        // 8 index bits + 1 packing, 4 levels × (4 shared + 2 × (3 + 297)), 2 root equalities.
        assert_eq!(cs.num_constraints(), 9 + 4 * (4 + 2 * 300) + 2);
    }

    #[test]
    fn every_mutation_of_the_path_is_unsatisfiable() {
        type Mutation = Box<dyn FnOnce(&mut u32, &mut Vec<[Fr; 3]>, &mut Fr)>;
        let mutations: Vec<(&str, Mutation)> = vec![
            ("index bit", Box::new(|i, _, _| *i ^= 4)),
            ("top index bit", Box::new(|i, _, _| *i ^= 1 << (DEPTH - 1))),
            (
                "index beyond the tree",
                Box::new(|i, _, _| *i |= 1 << DEPTH),
            ),
            ("low index bit", Box::new(|i, _, _| *i ^= 1)),
            ("digit swap", Box::new(|i, _, _| *i ^= 3 << 2)),
            (
                "leaf sibling 0",
                Box::new(|_, s, _| s[0][0] += Fr::from(1u64)),
            ),
            (
                "leaf sibling 1",
                Box::new(|_, s, _| s[0][1] += Fr::from(1u64)),
            ),
            (
                "leaf sibling 2",
                Box::new(|_, s, _| s[0][2] += Fr::from(1u64)),
            ),
            (
                "siblings reordered",
                Box::new(|_, s, _| s[usize::from(DEPTH / 2) - 1].swap(0, 2)),
            ),
            (
                "top sibling",
                Box::new(|_, s, _| s[usize::from(DEPTH / 2) - 1][2] += Fr::from(1u64)),
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
        // Every digit at both levels, distinct siblings so a misplaced child shows.
        for index in 0..16u32 {
            let bits: Vec<_> = (0..4)
                .map(|b| Boolean::new_witness(cs.clone(), || Ok((index >> b) & 1 == 1)).unwrap())
                .collect();
            let values = [[6u64, 7, 8], [9, 10, 11]].map(|l| l.map(Fr::from));
            let siblings: Vec<[FrVar; 3]> = values
                .iter()
                .map(|l| l.map(|s| FpVar::new_witness(cs.clone(), || Ok(s)).unwrap()))
                .collect();
            let root = root_along(&leaf, &bits, &siblings).unwrap();
            let path = zksettle_core::tree::MerklePath {
                index: AccountIndex(index),
                siblings: values.to_vec(),
            };
            assert_eq!(
                root.value().unwrap(),
                path.root(Fr::from(5u64)),
                "index {index}"
            );
        }
    }
}
