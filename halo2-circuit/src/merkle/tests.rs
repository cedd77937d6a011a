use super::*;
use crate::field::{to_circuit, to_core};
use crate::layout::{BaseColumns, Tamper};
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::Circuit;
use zksettle_core::account::leaf_value;
use zksettle_core::tree::{AccountTree, MemoryStore, MerklePath};
use zksettle_core::{Account, AccountIndex, L1Address, PrivateKey, TokenId};

/// Tree depth of the tests: 4 levels.
const DEPTH: u8 = 8;
const K: u32 = 10;

/// A leaf write: the instance is the index, the old and new leaf, then (if `roots_public`) the
/// old and new root.
#[derive(Debug, Clone)]
struct Write {
    index: Fr,
    before: Fr,
    after: Fr,
    siblings: Vec<[Fr; 3]>,
    roots_public: bool,
    tamper: Vec<Tamper>,
}

#[derive(Debug, Clone)]
struct WriteConfig {
    base: BaseColumns,
    poseidon: PoseidonConfig,
    merkle: MerkleConfig,
}

impl Circuit<Fr> for Write {
    type Config = WriteConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> WriteConfig {
        let base = BaseColumns::configure(meta);
        let shared = SharedColumns::configure(meta, 8);
        WriteConfig {
            base,
            poseidon: PoseidonConfig::configure(meta, &shared, &[4]),
            merkle: MerkleConfig::configure(meta, &shared),
        }
    }

    fn synthesize(
        &self,
        config: WriteConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        let public = layouter.assign_region(
            || "write",
            |mut region| {
                let mut layout = Layout::new(&mut region, self.tamper.clone());
                let values = [self.index, self.before, self.after].map(Value::known);
                let words = config.base.witnesses(&mut layout, &values);
                let siblings: Vec<[Value<Fr>; 3]> = self
                    .siblings
                    .iter()
                    .map(|level| level.map(Value::known))
                    .collect();
                let (old, new) = config.merkle.write_leaf(
                    &mut layout,
                    &config.poseidon,
                    &words[0],
                    (&words[1], &words[2]),
                    &siblings,
                )?;
                let roots = if self.roots_public {
                    vec![old, new]
                } else {
                    vec![]
                };
                Ok(words.into_iter().chain(roots).collect::<Vec<_>>())
            },
        )?;
        config.base.expose(&mut layouter, &public);
        Ok(())
    }
}

fn account(balance: u128) -> Account {
    Account::new(
        TokenId(1),
        balance,
        PrivateKey::from_bytes([3; 32]).public_key(),
        L1Address([9; 20]),
    )
}

/// A write of `index` to a new account in a tree holding a few, and its instance with the
/// native roots.
fn write(index: u32) -> (Write, Vec<Fr>) {
    let mut tree = AccountTree::open(MemoryStore::new(), DEPTH).unwrap();
    for i in [1u32, 2, 77, 200, 255] {
        tree.set_account(AccountIndex(i), Some(account(u128::from(i))))
            .unwrap();
    }
    let path = tree.merkle_path(AccountIndex(index)).unwrap();
    let before = leaf_value(tree.account(AccountIndex(index)).unwrap().as_ref());
    let after = leaf_value(Some(&account(1_000)));
    let circuit = Write {
        index: Fr::from(u64::from(index)),
        before: to_circuit(&before),
        after: to_circuit(&after),
        siblings: path
            .siblings
            .iter()
            .map(|level| level.map(|s| to_circuit(&s)))
            .collect(),
        roots_public: true,
        tamper: vec![],
    };
    let roots = [tree.root().unwrap(), path.root(after)].map(|r| to_circuit(&r));
    let instance = [circuit.index, circuit.before, circuit.after]
        .into_iter()
        .chain(roots)
        .collect();
    (circuit, instance)
}

fn accepts(circuit: &Write, mut instance: Vec<Fr>) -> bool {
    if !circuit.roots_public {
        instance.truncate(3);
    }
    MockProver::run(K, circuit, vec![instance])
        .expect("the circuit fits 2^K rows")
        .verify()
        .is_ok()
}

#[test]
fn roots_match_the_native_tree_for_present_and_empty_leaves() {
    for index in [1u32, 77, 255, 3, 128, 2, 64, 192] {
        let (circuit, instance) = write(index);
        assert!(accepts(&circuit, instance), "index {index}");
    }
}

#[test]
fn every_digit_places_the_node_where_the_native_path_does() {
    // Two levels, distinct siblings so that a misplaced child shows.
    let values = [[6u64, 7, 8], [9, 10, 11]].map(|l| l.map(zksettle_core::Fr::from));
    for index in 0..16u32 {
        let path = MerklePath {
            index: AccountIndex(index),
            siblings: values.to_vec(),
        };
        let (before, after) = (zksettle_core::Fr::from(5u64), zksettle_core::Fr::from(6u64));
        let circuit = Write {
            index: Fr::from(u64::from(index)),
            before: to_circuit(&before),
            after: to_circuit(&after),
            siblings: values.iter().map(|l| l.map(|s| to_circuit(&s))).collect(),
            roots_public: true,
            tamper: vec![],
        };
        let roots = [path.root(before), path.root(after)].map(|r| to_circuit(&r));
        let instance = vec![
            circuit.index,
            circuit.before,
            circuit.after,
            roots[0],
            roots[1],
        ];
        assert!(accepts(&circuit, instance), "index {index}");
    }
}

#[test]
fn every_mutation_of_the_path_is_refused() {
    let levels = usize::from(DEPTH / 2);
    type Mutation = Box<dyn Fn(&mut Write)>;
    let flip = |bits: u64| -> Mutation { Box::new(move |w| w.index = Fr::from(77 ^ bits)) };
    let sibling =
        |level: usize, j: usize| -> Mutation { Box::new(move |w| w.siblings[level][j] += Fr::ONE) };
    let mutations: Vec<(&str, Mutation)> = vec![
        ("index bit", flip(4)),
        ("top index bit", flip(1 << (DEPTH - 1))),
        ("index beyond the tree", flip(1 << DEPTH)),
        ("low index bit", flip(1)),
        ("digit swap", flip(3 << 2)),
        ("leaf sibling 0", sibling(0, 0)),
        ("leaf sibling 1", sibling(0, 1)),
        ("leaf sibling 2", sibling(0, 2)),
        ("top sibling", sibling(levels - 1, 2)),
        (
            "siblings reordered",
            Box::new(move |w| w.siblings[levels - 1].swap(0, 2)),
        ),
        ("old leaf", Box::new(|w| w.before += Fr::ONE)),
    ];
    for (name, mutate) in mutations {
        let (mut circuit, mut instance) = write(77);
        mutate(&mut circuit);
        // The instance names the mutated inputs: only the roots can refuse them.
        instance[..3].copy_from_slice(&[circuit.index, circuit.before, circuit.after]);
        assert!(!accepts(&circuit, instance), "{name}");
    }
}

#[test]
fn the_new_root_is_the_tree_with_only_that_leaf_changed() {
    let (circuit, mut instance) = write(77);
    instance[4] = to_circuit(&{
        let mut tree = AccountTree::open(MemoryStore::new(), DEPTH).unwrap();
        tree.set_account(AccountIndex(77), Some(account(1_000)))
            .unwrap();
        tree.root().unwrap()
    });
    assert!(!accepts(&circuit, instance), "the other accounts dropped");
    let (_, honest) = write(77);
    assert_eq!(to_core(&honest[3]), {
        let mut tree = AccountTree::open(MemoryStore::new(), DEPTH).unwrap();
        for i in [1u32, 2, 77, 200, 255] {
            tree.set_account(AccountIndex(i), Some(account(u128::from(i))))
                .unwrap();
        }
        tree.root().unwrap()
    });
}

/// Advice cells of the write's inputs and of one level's two placement rows (the module docs).
const INPUT_CELLS: usize = 3;
const PLACEMENT_CELLS: usize = 22;
/// Where the old row's digit bits are: after the inputs, the copy of `z`.
const LOW_BIT_CELL: usize = INPUT_CELLS + 1;
/// The old row's siblings, within a level's placement cells: after `z`, `b` and `b'`.
const OLD_SIBLING_CELLS: std::ops::Range<usize> = 3..6;

/// Digit bits `2` and `−1` keep the running sum of digit 0: only the boolean constraints refuse
/// them.
#[test]
fn non_boolean_digit_bits_that_keep_the_running_sum_are_refused() {
    let (mut circuit, instance) = write(76);
    circuit.roots_public = false;
    circuit.tamper = vec![
        Tamper {
            cell: LOW_BIT_CELL,
            delta: Fr::from(2),
        },
        Tamper {
            cell: LOW_BIT_CELL + 1,
            delta: -Fr::ONE,
        },
    ];
    assert!(!accepts(&circuit, instance));
}

/// The new row's digit bits and siblings, within a level's placement cells: after the old row's
/// 12 cells.
const NEW_LOW_BIT_CELL: usize = 12;

/// The new leaf written at another position than the old leaf was proven at (a digit bit
/// flipped, still boolean), or beside other siblings: only the same-level gate refuses it.
#[test]
fn the_new_leaf_cannot_move_to_another_position_or_other_siblings() {
    // 13 = digits 1, 3: at level 0, b = 1 and b' = 0.
    let (mut circuit, mut instance) = write(77);
    circuit.siblings.truncate(2);
    circuit.index = Fr::from(13);
    instance[0] = circuit.index;
    circuit.roots_public = false;
    let new_row = INPUT_CELLS + NEW_LOW_BIT_CELL;
    let changes = [
        ("b flipped", new_row, -Fr::ONE),
        ("b' flipped", new_row + 1, Fr::ONE),
        ("sibling 0", new_row + 2, Fr::ONE),
        ("sibling 1", new_row + 3, Fr::ONE),
        ("sibling 2", new_row + 4, Fr::ONE),
    ];
    for (name, cell, delta) in changes {
        circuit.tamper = vec![Tamper { cell, delta }];
        assert!(!accepts(&circuit, instance.clone()), "{name}");
    }
}

/// With the roots left free, only the gate that makes a cell (or a copy into a hash) can refuse
/// a change to it, carried forward: every cell of the placement rows of a two-level write, and
/// every `stride`-th of its hashes (the Poseidon chip's own sweep covers those).
#[test]
fn changing_any_one_advice_cell_with_the_roots_free_breaks_a_gate() {
    let (mut circuit, mut instance) = write(77);
    circuit.siblings.truncate(2);
    circuit.index = Fr::from(13);
    instance[0] = circuit.index;
    circuit.roots_public = false;
    assert!(accepts(&circuit, instance.clone()), "the honest write");
    let level_cells = PLACEMENT_CELLS + 2 * 445;
    let cells = INPUT_CELLS + 2 * level_cells;
    // The old row's siblings are the write's free inputs (any siblings give some roots); the new
    // row's copies of them are not.
    let offset = |cell: usize| cell.checked_sub(INPUT_CELLS).map(|c| c % level_cells);
    let is_free = |cell: usize| offset(cell).is_some_and(|o| OLD_SIBLING_CELLS.contains(&o));
    let is_placement = |cell: usize| offset(cell).is_none_or(|o| o < PLACEMENT_CELLS);
    let swept = (0..cells)
        .filter(|&cell| !is_free(cell))
        .filter(|&cell| is_placement(cell) || cell % crate::layout::sweep_stride(23) == 0);
    for cell in swept {
        let delta = if cell % 2 == 0 {
            Fr::ONE
        } else {
            Fr::from(0x1234_5678_9abc_def1)
        };
        circuit.tamper = vec![Tamper { cell, delta }];
        assert!(
            !accepts(&circuit, instance.clone()),
            "advice cell {cell} changed by {delta:?} still verifies"
        );
    }
    circuit.tamper = vec![Tamper {
        cell: cells,
        delta: Fr::ONE,
    }];
    assert!(accepts(&circuit, instance), "one past the last cell");
}

#[test]
fn a_real_proof_of_a_write_verifies() {
    let (circuit, instance) = write(77);
    assert!(crate::layout::real_proof_verifies(K, &circuit, &instance));
}
