//! The one region a circuit is laid out in.
//!
//! `halo2-axiom`'s floor planner places every region at row 0 (it keeps no region offsets), so
//! two regions would overwrite each other's rows. A circuit therefore assigns everything inside
//! one `assign_region` call through a [`Layout`], which hands out rows from a cursor: a chip asks
//! for the rows it needs ([`Layout::take_rows`]) and lays out its cells there.
//!
//! Every advice cell goes through [`Layout::advice`], which numbers them in assignment order.
//! That numbering is what [`Tamper`] addresses: a negative test lays out a valid witness with one
//! advice cell changed, as a cheating prover may, and checks that some constraint fails, for
//! every cell a chip assigns. Several changes at once make a consistent forgery (non-boolean bits
//! that keep a running sum, say) that a missing constraint would let through. Nothing in an honest
//! prover's path sets a tamper.

use crate::Fr;
use halo2_proofs::circuit::{Cell, Layouter, Region, Value};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Fixed, Instance, Selector};

/// The columns every circuit of this crate starts with: a fixed column for the constants that
/// [`Layout::constant`] fixes cells to, an advice column for free witness values, and the
/// public instance column, the last two with equality (copies in and out).
#[derive(Debug, Clone, Copy)]
pub struct BaseColumns {
    /// Free witness values: inputs a chip copies from.
    pub witness: Column<Advice>,
    /// The public inputs.
    pub instance: Column<Instance>,
}

impl BaseColumns {
    /// Adds the columns.
    pub fn configure(meta: &mut ConstraintSystem<Fr>) -> Self {
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        let witness = meta.advice_column();
        meta.enable_equality(witness);
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        Self { witness, instance }
    }

    /// Makes `words` the public inputs, in order.
    pub fn expose(&self, layouter: &mut impl Layouter<Fr>, words: &[Word]) {
        for (row, word) in words.iter().enumerate() {
            layouter.constrain_instance(word.cell, self.instance, row);
        }
    }

    /// Lays out `values` as free witness cells in fresh rows.
    pub fn witnesses(&self, layout: &mut Layout<'_, '_>, values: &[Value<Fr>]) -> Vec<Word> {
        let first = layout.take_rows(values.len());
        values
            .iter()
            .enumerate()
            .map(|(i, value)| layout.advice(self.witness, first + i, *value))
            .collect()
    }
}

/// The columns the chips share. A chip lays out its own rows, so the columns one chip uses in its
/// rows are free in another's: a circuit pays for its widest chip, not for the sum of them (the
/// prover commits to every column over every row, and the verifier opens each).
#[derive(Debug, Clone)]
pub struct SharedColumns {
    /// Advice columns with equality, for cells copied in or out.
    pub copyable: Vec<Column<Advice>>,
    /// Advice columns without equality, for intermediate values.
    pub plain: Vec<Column<Advice>>,
    /// Fixed columns, for per-row constants.
    pub fixed: Vec<Column<Fixed>>,
}

impl SharedColumns {
    /// `width` columns of each kind.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, width: usize) -> Self {
        let copyable: Vec<Column<Advice>> = (0..width).map(|_| meta.advice_column()).collect();
        for column in &copyable {
            meta.enable_equality(*column);
        }
        Self {
            copyable,
            plain: (0..width).map(|_| meta.advice_column()).collect(),
            fixed: (0..width).map(|_| meta.fixed_column()).collect(),
        }
    }

    /// Panics, at configuration time, if a chip needs more columns than the circuit made:
    /// a bug of the circuit's shape, never of a witness.
    pub fn require(&self, chip: &str, copyable: usize, plain: usize, fixed: usize) {
        assert!(
            self.copyable.len() >= copyable
                && self.plain.len() >= plain
                && self.fixed.len() >= fixed,
            "{chip} needs {copyable} copyable, {plain} plain and {fixed} fixed shared columns"
        );
    }
}

/// An assigned advice cell and the value it holds (unknown while keys are generated).
#[derive(Debug, Clone, Copy)]
pub struct Word {
    /// Where it is, for copy constraints.
    pub cell: Cell,
    /// What it holds.
    pub value: Value<Fr>,
}

/// Which cells a tamper sweep changes: every `stride`-th, `default` unless
/// `ZKSETTLE_HALO2_TAMPER_STRIDE` says (1 sweeps every cell).
#[cfg(test)]
pub(crate) fn sweep_stride(default: usize) -> usize {
    std::env::var("ZKSETTLE_HALO2_TAMPER_STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&s| s > 0)
        .unwrap_or(default)
}

/// A change a cheating prover makes to one advice cell: `delta` added to the value of the
/// `cell`-th advice cell in assignment order.
#[derive(Debug, Clone, Copy)]
pub struct Tamper {
    /// The cell's number in assignment order, from 0.
    pub cell: usize,
    /// What is added to its honest value (non-zero for a real change).
    pub delta: Fr,
}

/// The region a circuit is laid out in, with its row cursor.
#[derive(Debug)]
pub struct Layout<'a, 'r> {
    region: &'a mut Region<'r, Fr>,
    next_row: usize,
    advice_cells: usize,
    tamper: Vec<Tamper>,
}

impl<'a, 'r> Layout<'a, 'r> {
    /// A layout from row 0 of `region`, honest (`None`) or with cells changed.
    pub fn new(region: &'a mut Region<'r, Fr>, tamper: impl IntoIterator<Item = Tamper>) -> Self {
        Self {
            region,
            next_row: 0,
            advice_cells: 0,
            tamper: tamper.into_iter().collect(),
        }
    }

    /// Reserves `count` rows and returns the first.
    pub fn take_rows(&mut self, count: usize) -> usize {
        let first = self.next_row;
        self.next_row += count;
        first
    }

    /// Rows used so far.
    pub fn rows_used(&self) -> usize {
        self.next_row
    }

    /// Advice cells assigned so far (what a [`Tamper`] can address).
    pub fn advice_cells(&self) -> usize {
        self.advice_cells
    }

    /// Assigns an advice cell.
    pub fn advice(&mut self, column: Column<Advice>, row: usize, value: Value<Fr>) -> Word {
        let number = self.advice_cells;
        self.advice_cells += 1;
        let value = self
            .tamper
            .iter()
            .filter(|tamper| tamper.cell == number)
            .fold(value, |value, tamper| value.map(|v| v + tamper.delta));
        let cell = self.region.assign_advice(column, row, value).cell();
        Word { cell, value }
    }

    /// Assigns an advice cell that must equal `word` (a copy constraint).
    pub fn copy(&mut self, word: &Word, column: Column<Advice>, row: usize) -> Word {
        let copy = self.advice(column, row, word.value);
        self.region.constrain_equal(word.cell, copy.cell);
        copy
    }

    /// Assigns an advice cell that must equal the constant `value`.
    pub fn constant(
        &mut self,
        value: Fr,
        column: Column<Advice>,
        row: usize,
    ) -> Result<Word, Error> {
        let word = self.advice(column, row, Value::known(value));
        self.region.constrain_constant(word.cell, value)?;
        Ok(word)
    }

    /// Assigns a fixed cell.
    pub fn fixed(&mut self, column: Column<Fixed>, row: usize, value: Fr) {
        self.region.assign_fixed(column, row, value);
    }

    /// Turns `selector` on at `row`.
    pub fn enable(&mut self, selector: Selector, row: usize) -> Result<(), Error> {
        selector.enable(self.region, row)
    }
}

/// Whether a real KZG proof of `circuit` (keys from `circuit` itself, halo2's own Blake2b
/// transcript, GWC openings, a fixed-seed SRS) verifies under `instance`: the check a
/// MockProver cannot make, that the gates, lookups and copies survive key generation (selector
/// compression, the lookup and permutation arguments' degrees).
#[cfg(test)]
pub(crate) fn real_proof_verifies<C: halo2_proofs::plonk::Circuit<Fr>>(
    k: u32,
    circuit: &C,
    instance: &[Fr],
) -> bool {
    use ark_std::rand::SeedableRng;
    use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
    use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk, verify_proof};
    use halo2_proofs::poly::commitment::ParamsProver as _;
    use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
    use halo2_proofs::poly::kzg::multiopen::{ProverGWC, VerifierGWC};
    use halo2_proofs::poly::kzg::strategy::SingleStrategy;
    use halo2_proofs::transcript::{
        Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer,
    };
    // halo2 takes rand_core 0.6 generators, which arkworks' are.
    let rng = || ark_std::rand::rngs::StdRng::seed_from_u64(29);
    let params = ParamsKZG::<Bn256>::setup(k, rng());
    let vk = keygen_vk(&params, circuit).expect("keys");
    let pk = keygen_pk(&params, vk, circuit).expect("keys");
    let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    create_proof::<KZGCommitmentScheme<Bn256>, ProverGWC<'_, _>, _, _, _, _>(
        &params,
        &pk,
        std::slice::from_ref(circuit),
        &[&[instance]],
        rng(),
        &mut transcript,
    )
    .expect("a proof");
    let proof = transcript.finalize();
    let mut transcript = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(&proof[..]);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierGWC<'_, _>, _, _, _>(
        params.verifier_params(),
        pk.get_vk(),
        SingleStrategy::new(&params),
        &[&[instance]],
        &mut transcript,
    )
    .is_ok()
}
