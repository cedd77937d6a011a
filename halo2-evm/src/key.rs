//! A halo2 verifying key compiled into what an EVM verifier needs, nothing circuit-specific
//! left in code: counts, the fixed and permutation commitments, the gate and lookup programs
//! ([`crate::program`]), and the opening schedule (which commitment is opened at which point
//! with which evaluation, in halo2's order).
//!
//! The proof is read in halo2's order (`halo2_proofs::plonk::verify_proof` with GWC openings
//! and [`zksettle_halo2_circuit::transcript`]):
//!
//! ```text
//! points   advice (A) | per lookup: permuted input, permuted table | permutation products (P)
//!          | per lookup: product | vanishing random | quotient pieces (H)
//! scalars  advice evals | fixed evals | random eval | sigma evals
//!          | per permutation set: z(x), z(ωx), z(ω^last·x) but the last set's
//!          | per lookup: z(x), z(ωx), A'(x), A'(ω⁻¹x), S'(x)
//! points   one opening witness per point set
//! ```
//!
//! with the challenges `θ` after the advice, `β, γ` after the permuted lookups, `y` after the
//! vanishing random commitment, `x` after the quotient pieces, `v` after the scalars and `u`
//! after the witnesses. The scalars are the proof's evaluations in one array (`evals`), which
//! programs and the schedule index.

use crate::program::{Compiler, ProgramError, QueryIndex};
use crate::Fr;
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::{Field as _, PrimeField as _};
use halo2_proofs::plonk::{Any, VerifyingKey};
use halo2_proofs::poly::commitment::ParamsProver as _;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use zksettle_halo2_circuit::halo2_proofs;

/// Where an opened commitment comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commitment {
    /// The `i`-th point of the proof's first part (before the opening witnesses).
    Proof(usize),
    /// A fixed column's commitment, from the key.
    Fixed(usize),
    /// A permutation column's commitment (its σ), from the key.
    Sigma(usize),
    /// The quotient `Σ x^(n·i)·H_i`.
    Quotient,
}

/// Where an opened evaluation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluation {
    /// `evals[i]`.
    Proof(usize),
    /// The quotient's evaluation the gates, permutation and lookups imply.
    Quotient,
}

/// One opening: a commitment, the point set it is opened at, and its claimed value there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    /// Index into [`EvmKey::point_rotations`].
    pub point: usize,
    /// The commitment.
    pub commitment: Commitment,
    /// The value.
    pub evaluation: Evaluation,
}

/// The two programs of a lookup: its input and table expressions, each folded with `θ`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupPrograms {
    /// The input expressions.
    pub input: Vec<u8>,
    /// The table expressions.
    pub table: Vec<u8>,
}

/// Where a permutation column's evaluation at `x` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnEvaluation {
    /// `evals[i]` (an advice or fixed column).
    Proof(usize),
    /// The instance column's evaluation.
    Instance,
}

/// A verifying key for the EVM verifier.
#[derive(Debug, Clone, PartialEq)]
pub struct EvmKey {
    /// `log2` of the rows.
    pub k: u32,
    /// The domain's generator `ω`.
    pub omega: Fr,
    /// The key's hash, absorbed first.
    pub transcript_repr: Fr,
    /// Public inputs (values of the one instance column).
    pub num_instances: usize,
    /// Advice columns (commitments read first).
    pub num_advice: usize,
    /// Lookup arguments.
    pub num_lookups: usize,
    /// Permutation product sets.
    pub permutation_sets: usize,
    /// Columns per permutation set (the constraint degree − 2).
    pub chunk_len: usize,
    /// Quotient pieces.
    pub quotient_pieces: usize,
    /// Blinding rows: `ω^last = ω^−(blinding + 1)`.
    pub blinding_factors: usize,
    /// Advice queries (their evaluations come first).
    pub num_advice_queries: usize,
    /// Fixed queries.
    pub num_fixed_queries: usize,
    /// Each permutation column's evaluation at `x`, in permutation order.
    pub permutation_columns: Vec<ColumnEvaluation>,
    /// Fixed commitments.
    pub fixed_commitments: Vec<G1Affine>,
    /// Permutation commitments.
    pub sigma_commitments: Vec<G1Affine>,
    /// The constant pool of the programs.
    pub constants: Vec<Fr>,
    /// Registers the programs share.
    pub registers: usize,
    /// Every gate polynomial, folded with `y` in halo2's order.
    pub gates: Vec<u8>,
    /// Every lookup's programs.
    pub lookups: Vec<LookupPrograms>,
    /// The opening points, `x·ω^rotation`, in order of first use.
    pub point_rotations: Vec<i32>,
    /// The openings in halo2's order.
    pub openings: Vec<Opening>,
    /// `G1`, the first SRS point.
    pub g1: G1Affine,
    /// `G2`.
    pub g2: G2Affine,
    /// `τ·G2`.
    pub s_g2: G2Affine,
}

/// Why a key cannot be compiled for the EVM verifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// Not exactly one instance column queried once at the current row.
    #[error("the EVM verifier takes one instance column, queried at the current row")]
    Instances,
    /// A multi-phase circuit.
    #[error("multi-phase circuits (challenges) are not supported")]
    Phases,
    /// A program failed to compile.
    #[error("an expression does not compile: {0}")]
    Program(#[from] ProgramError),
    /// A permutation column without a query at the current row.
    #[error("a permutation column is not queried at the current row")]
    PermutationQuery,
    /// No copy constraints: the public input could not be bound to the witness.
    #[error("the circuit has no permutation argument")]
    NoPermutation,
}

/// The evaluation indices of a constraint system's queries.
struct Queries<'a> {
    advice: &'a [(
        halo2_proofs::plonk::Column<halo2_proofs::plonk::Advice>,
        halo2_proofs::poly::Rotation,
    )],
    fixed: &'a [(
        halo2_proofs::plonk::Column<halo2_proofs::plonk::Fixed>,
        halo2_proofs::poly::Rotation,
    )],
}

impl QueryIndex for Queries<'_> {
    fn advice(&self, column: usize, rotation: i32) -> Option<usize> {
        self.advice
            .iter()
            .position(|(c, r)| c.index() == column && r.0 == rotation)
    }

    fn fixed(&self, column: usize, rotation: i32) -> Option<usize> {
        self.fixed
            .iter()
            .position(|(c, r)| c.index() == column && r.0 == rotation)
            .map(|i| i + self.advice.len())
    }

    fn instance(&self, column: usize, rotation: i32) -> bool {
        column == 0 && rotation == 0
    }
}

impl EvmKey {
    /// Compiles `vk` (for `num_instances` public inputs) with the SRS `params` it was made with.
    pub fn compile(
        params: &ParamsKZG<Bn256>,
        vk: &VerifyingKey<G1Affine>,
        num_instances: usize,
    ) -> Result<Self, CompileError> {
        let cs = vk.cs();
        if cs.num_instance_columns() != 1
            || cs.instance_queries().len() != 1
            || cs.instance_queries()[0].1 .0 != 0
        {
            return Err(CompileError::Instances);
        }
        let later_phase = cs
            .advice_queries()
            .iter()
            .any(|(column, _)| column.column_type().phase() != 0);
        if cs.num_challenges() != 0 || later_phase {
            return Err(CompileError::Phases);
        }
        let queries = Queries {
            advice: cs.advice_queries(),
            fixed: cs.fixed_queries(),
        };
        let mut compiler = Compiler::new(&queries);
        let mut gate_roots = Vec::new();
        for gate in cs.gates() {
            for polynomial in gate.polynomials() {
                gate_roots.push(compiler.add(polynomial)?);
            }
        }
        let mut lookup_roots = Vec::new();
        for lookup in cs.lookups() {
            let mut roots = |expressions: &[halo2_proofs::plonk::Expression<Fr>]| {
                expressions
                    .iter()
                    .map(|e| compiler.add(e))
                    .collect::<Result<Vec<u32>, _>>()
            };
            let input = roots(lookup.input_expressions())?;
            let table = roots(lookup.table_expressions())?;
            lookup_roots.push((input, table));
        }
        // In the order they run: the gates, then each lookup's input and table.
        let gates = compiler.emit(&gate_roots)?;
        let mut lookups = Vec::new();
        for (input, table) in &lookup_roots {
            lookups.push(LookupPrograms {
                input: compiler.emit(input)?,
                table: compiler.emit(table)?,
            });
        }
        let constants = compiler.constants().to_vec();
        let registers = compiler.registers();

        let num_advice_queries = cs.advice_queries().len();
        let num_fixed_queries = cs.fixed_queries().len();
        let permutation_columns = cs
            .permutation()
            .get_columns()
            .iter()
            .map(|column| {
                let index = column.index();
                let found = match column.column_type() {
                    Any::Advice(_) => queries.advice(index, 0),
                    Any::Fixed => queries.fixed(index, 0),
                    Any::Instance => {
                        return Ok(ColumnEvaluation::Instance);
                    }
                };
                found
                    .map(ColumnEvaluation::Proof)
                    .ok_or(CompileError::PermutationQuery)
            })
            .collect::<Result<Vec<_>, _>>()?;

        if permutation_columns.is_empty() {
            return Err(CompileError::NoPermutation);
        }
        let chunk_len = cs.degree() - 2;
        let permutation_sets = permutation_columns.len().div_ceil(chunk_len);
        let domain = vk.get_domain();
        let mut key = Self {
            k: domain.k(),
            omega: domain.get_omega(),
            transcript_repr: vk.transcript_repr(),
            num_instances,
            num_advice: cs.num_advice_columns(),
            num_lookups: cs.lookups().len(),
            permutation_sets,
            chunk_len,
            quotient_pieces: domain.get_quotient_poly_degree(),
            blinding_factors: cs.blinding_factors(),
            num_advice_queries,
            num_fixed_queries,
            permutation_columns,
            fixed_commitments: vk.fixed_commitments().clone(),
            sigma_commitments: vk.permutation().commitments().clone(),
            constants,
            registers,
            gates,
            lookups,
            point_rotations: Vec::new(),
            openings: Vec::new(),
            g1: params.get_g()[0],
            g2: params.g2(),
            s_g2: params.s_g2(),
        };
        key.schedule_openings(cs);
        Ok(key)
    }

    /// Proof points before the opening witnesses.
    pub fn num_proof_points(&self) -> usize {
        self.num_advice + 3 * self.num_lookups + self.permutation_sets + 1 + self.quotient_pieces
    }

    /// Proof scalars.
    pub fn num_evals(&self) -> usize {
        self.lookup_evals_start() + 5 * self.num_lookups
    }

    /// The index in the proof points of advice column `i`'s commitment, and so on.
    pub(crate) fn lookup_permuted_point(&self, lookup: usize) -> usize {
        self.num_advice + 2 * lookup
    }

    pub(crate) fn permutation_product_point(&self, set: usize) -> usize {
        self.num_advice + 2 * self.num_lookups + set
    }

    pub(crate) fn lookup_product_point(&self, lookup: usize) -> usize {
        self.num_advice + 2 * self.num_lookups + self.permutation_sets + lookup
    }

    pub(crate) fn random_point(&self) -> usize {
        self.num_advice + 3 * self.num_lookups + self.permutation_sets
    }

    pub(crate) fn random_eval(&self) -> usize {
        self.num_advice_queries + self.num_fixed_queries
    }

    pub(crate) fn sigma_evals_start(&self) -> usize {
        self.random_eval() + 1
    }

    pub(crate) fn permutation_evals_start(&self) -> usize {
        self.sigma_evals_start() + self.sigma_commitments.len()
    }

    pub(crate) fn lookup_evals_start(&self) -> usize {
        self.permutation_evals_start() + 3 * self.permutation_sets - 1
    }

    /// `ω^last`'s rotation: the last usable row.
    pub fn last_rotation(&self) -> i32 {
        -(self.blinding_factors as i32 + 1)
    }

    fn open(&mut self, rotation: i32, commitment: Commitment, evaluation: Evaluation) {
        let point = match self.point_rotations.iter().position(|r| *r == rotation) {
            Some(point) => point,
            None => {
                self.point_rotations.push(rotation);
                self.point_rotations.len() - 1
            }
        };
        self.openings.push(Opening {
            point,
            commitment,
            evaluation,
        });
    }

    /// The openings in the order `verify_proof` builds its queries (GWC groups them by point in
    /// order of first use, and the powers of `v` and `u` follow that order).
    fn schedule_openings(&mut self, cs: &halo2_proofs::plonk::ConstraintSystem<Fr>) {
        for (i, (column, rotation)) in cs.advice_queries().iter().enumerate() {
            self.open(
                rotation.0,
                Commitment::Proof(column.index()),
                Evaluation::Proof(i),
            );
        }
        let permutation = self.permutation_evals_start();
        for set in 0..self.permutation_sets {
            let commitment = Commitment::Proof(self.permutation_product_point(set));
            self.open(0, commitment, Evaluation::Proof(permutation + 3 * set));
            self.open(1, commitment, Evaluation::Proof(permutation + 3 * set + 1));
        }
        let last = self.last_rotation();
        for set in (0..self.permutation_sets.saturating_sub(1)).rev() {
            let commitment = Commitment::Proof(self.permutation_product_point(set));
            self.open(
                last,
                commitment,
                Evaluation::Proof(permutation + 3 * set + 2),
            );
        }
        for lookup in 0..self.num_lookups {
            let evals = self.lookup_evals_start() + 5 * lookup;
            let product = Commitment::Proof(self.lookup_product_point(lookup));
            let input = Commitment::Proof(self.lookup_permuted_point(lookup));
            let table = Commitment::Proof(self.lookup_permuted_point(lookup) + 1);
            self.open(0, product, Evaluation::Proof(evals));
            self.open(0, input, Evaluation::Proof(evals + 2));
            self.open(0, table, Evaluation::Proof(evals + 4));
            self.open(-1, input, Evaluation::Proof(evals + 3));
            self.open(1, product, Evaluation::Proof(evals + 1));
        }
        for (i, (column, rotation)) in cs.fixed_queries().iter().enumerate() {
            self.open(
                rotation.0,
                Commitment::Fixed(column.index()),
                Evaluation::Proof(self.num_advice_queries + i),
            );
        }
        for i in 0..self.sigma_commitments.len() {
            self.open(
                0,
                Commitment::Sigma(i),
                Evaluation::Proof(self.sigma_evals_start() + i),
            );
        }
        self.open(0, Commitment::Quotient, Evaluation::Quotient);
        let random = Evaluation::Proof(self.random_eval());
        self.open(0, Commitment::Proof(self.random_point()), random);
    }

    /// `ω^rotation`.
    pub fn omega_to(&self, rotation: i32) -> Fr {
        let power = self.omega.pow_vartime([u64::from(rotation.unsigned_abs())]);
        if rotation >= 0 {
            power
        } else {
            power.invert().unwrap_or(Fr::ZERO)
        }
    }

    /// The domain size `n = 2^k` as a field element.
    pub fn n(&self) -> Fr {
        Fr::from(1u64 << self.k)
    }

    /// halo2's coset generator `δ`, for the permutation's column identities.
    pub fn delta() -> Fr {
        Fr::DELTA
    }
}
