//! Raw-witness mutations: a cheating prover is not bound to the typed [`BatchAssignment`], which
//! regenerates every derived value from the op. It may put any field element in any witness
//! variable. So this harness takes the full assignment `z = (1, x, w)` of one valid batch that
//! holds every op type (deposit into an existing account, transfer to a new and to an existing
//! account, withdrawal, a forced exit that pays and one that does not, a used and an unused fee
//! slot, Noop padding) and perturbs every witness variable in turn, by 1 and by a full-width field
//! element (1/7), with everything else unchanged. Each perturbation must break some R1CS constraint.
//!
//! The allow-list is one rule, not a list of indices: a variable that appears in **exactly one
//! constraint** may survive. Nothing else reads such a variable (the inverse witness of an
//! `is_zero` on a zero value: `x·inv = 1 − b` with `x = 0`; the quotient of a `0/0` division in
//! a disabled chunk), so its value cannot influence any other variable, any root or the
//! commitment. A surviving variable that appears in two or more constraints is a value the
//! constraints do not determine but something depends on: the test fails and lists them.
//!
//! Mutating the matrices' rows incrementally (each row's `⟨a,z⟩`, `⟨b,z⟩`, `⟨c,z⟩` kept, a
//! perturbation of `z_j` by `δ` re-checked only on the rows that hold `j`) makes the whole sweep
//! about `2·nnz` field products, a second or so for ~800k constraints.

use crate::support::*;
use ark_ff::{Field, One, Zero};
use ark_relations::gr1cs::Matrix;
use zksettle_circuits::{BatchAssignment, BatchCircuit, Fr};

/// The shape's R1CS matrices `[A, B, C]` and its number of instance variables.
fn matrices(a: &BatchAssignment) -> (Vec<Matrix<Fr>>, usize) {
    r1cs_matrices(a.shape)
}

fn dot(row: &[(Fr, usize)], z: &[Fr]) -> Fr {
    row.iter().map(|(coeff, col)| *coeff * z[*col]).sum()
}

/// Per variable, the rows it appears in with its coefficient in A, B and C.
type Occurrences = Vec<Vec<(usize, [Fr; 3])>>;

fn occurrences(matrices: &[Matrix<Fr>], variables: usize) -> Occurrences {
    let mut occ: Occurrences = vec![Vec::new(); variables];
    for (m, matrix) in matrices.iter().enumerate() {
        for (r, row) in matrix.iter().enumerate() {
            for (coeff, col) in row {
                let entry = &mut occ[*col];
                match entry.last_mut() {
                    Some((last, coeffs)) if *last == r => coeffs[m] += coeff,
                    _ => {
                        let mut coeffs = [Fr::zero(); 3];
                        coeffs[m] = *coeff;
                        entry.push((r, coeffs));
                    }
                }
            }
        }
    }
    // Rows were visited matrix by matrix: merge a variable's entries for the same row.
    for entry in &mut occ {
        entry.sort_by_key(|(r, _)| *r);
        entry.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                for m in 0..3 {
                    earlier.1[m] += later.1[m];
                }
                true
            } else {
                false
            }
        });
    }
    occ
}

/// What survived: `(variable, rows it appears in)`.
fn survivors(a: &BatchAssignment) -> (Vec<(usize, usize)>, usize) {
    let (matrices, instance_variables) = matrices(a);
    let full = BatchCircuit {
        assignment: a.clone(),
    }
    .full_assignment()
    .unwrap();
    assert_eq!(full.instance.len(), instance_variables);
    let z: Vec<Fr> = full.instance.iter().chain(&full.witness).copied().collect();
    let values: Vec<[Fr; 3]> = (0..matrices[0].len())
        .map(|r| {
            [
                dot(&matrices[0][r], &z),
                dot(&matrices[1][r], &z),
                dot(&matrices[2][r], &z),
            ]
        })
        .collect();
    for (r, [av, bv, cv]) in values.iter().enumerate() {
        assert_eq!(*av * bv, *cv, "the untouched witness breaks row {r}");
    }
    let occ = occurrences(&matrices, z.len());
    // 1, and 1/7: a full-width element no gadget's small coefficients cancel.
    let deltas = [Fr::one(), Fr::from(7u64).inverse().unwrap()];
    let mut survived = Vec::new();
    for (j, rows) in occ.iter().enumerate().skip(instance_variables) {
        let breaks = |delta: &Fr| {
            rows.iter().any(|(r, [ca, cb, cc])| {
                let [av, bv, cv] = values[*r];
                (av + *ca * delta) * (bv + *cb * delta) != cv + *cc * delta
            })
        };
        if !deltas.iter().all(breaks) {
            survived.push((j, rows.len()));
        }
    }
    (survived, z.len() - instance_variables)
}

/// One batch with every op type and both kinds of fee slot (see the module docs).
fn every_op_type() -> BatchAssignment {
    let mut w = funded_world(32);
    let applied = w.batch(
        vec![
            deposit(1, ETH, 5, 1),            // into an existing account: 8 chunks
            transfer(1, 1, 4, 7, 300, 10, 0), // opens account 4: 7 chunks
            transfer(1, 1, 2, 2, 500, 10, 1), // to an existing account: 1 chunk
            withdraw(2, 2, 100, 10, 0),       // 5 chunks
            forced_exit(3, 9),                // pays account 3's balance: 5 chunks
            forced_exit(2, 1),                // wrong requester, pays nothing: 5 chunks
        ],
        vec![3],
    );
    assert!(applied.rejected.is_empty(), "{:?}", applied.rejected);
    assignment(&w, &applied)
}

/// One batch at the limits of every range: a sender at balance 2^128 − 1 signing with nonce
/// 2^32 − 2 (its last usable one), credits that take a recipient, the fee recipient and a
/// deposit's account to exactly 2^128 − 1, and a withdrawal of a full-precision amount just
/// under 2^128. Genesis accounts are written straight into the tree: no deposit could make them.
fn boundary_values() -> BatchAssignment {
    use zksettle_core::{Account, AccountIndex, TokenId};
    let mut w = World::new(32);
    let max = u128::MAX;
    let (amount, fee, withdraw_fee, deposited) = (1_000_000, 1_000, 10, 12_345);
    let genesis = |owner: u8, balance: u128, nonce: u32| Account {
        token: TokenId(ETH),
        nonce,
        balance,
        public_key: key(owner).public_key(),
        l1_address: addr(owner),
    };
    for (index, account) in [
        (1, genesis(1, max, u32::MAX - 1)),
        (2, genesis(2, max - amount, 0)),
        (3, genesis(9, max - fee - withdraw_fee, 0)),
        (4, genesis(4, max, 0)),
        (5, genesis(5, max - deposited, 7)),
    ] {
        w.tree
            .set_account(AccountIndex(index), Some(account))
            .unwrap();
    }
    w.tree.commit().unwrap();
    let applied = w.batch(
        vec![
            transfer(1, 1, 2, 2, amount, fee, u32::MAX - 1),
            withdraw(4, 4, max - withdraw_fee, withdraw_fee, 0),
            deposit(5, ETH, deposited, 5),
        ],
        vec![3],
    );
    assert!(applied.rejected.is_empty(), "{:?}", applied.rejected);
    for index in [2, 3, 5] {
        let account = w.tree.account(AccountIndex(index)).unwrap().unwrap();
        assert_eq!(account.balance, max, "account {index} ends at 2^128 − 1");
    }
    let sender = w.tree.account(AccountIndex(1)).unwrap().unwrap();
    assert_eq!(sender.nonce, u32::MAX);
    assignment(&w, &applied)
}

#[test]
fn every_witness_variable_that_anything_reads_is_bound_by_the_constraints() {
    let a = every_op_type();
    let (survived, witnesses) = survivors(&a);
    let read_elsewhere: Vec<&(usize, usize)> =
        survived.iter().filter(|(_, rows)| *rows >= 2).collect();
    let unread = survived.iter().filter(|(_, rows)| *rows == 0).count();
    eprintln!(
        "{witnesses} witness variables; {} survive a perturbation: {} in one constraint only, \
         {unread} in none, {} in several",
        survived.len(),
        survived.len() - read_elsewhere.len() - unread,
        read_elsewhere.len()
    );
    assert!(
        read_elsewhere.is_empty(),
        "{} witness variables that other constraints read can change alone, first: {:?}",
        read_elsewhere.len(),
        &read_elsewhere[..read_elsewhere.len().min(20)]
    );
    assert_eq!(unread, 0, "witness variables no constraint reads");
}

#[test]
fn at_the_limits_of_every_range_every_witness_variable_that_anything_reads_is_bound() {
    let (survived, _) = survivors(&boundary_values());
    let read_elsewhere: Vec<&(usize, usize)> =
        survived.iter().filter(|(_, rows)| *rows >= 2).collect();
    assert!(
        read_elsewhere.is_empty(),
        "{} witness variables that other constraints read can change alone, first: {:?}",
        read_elsewhere.len(),
        &read_elsewhere[..read_elsewhere.len().min(20)]
    );
    assert!(
        !survived.iter().any(|(_, rows)| *rows == 0),
        "witness variables no constraint reads"
    );
}
