//! The batch validity circuit for one shape `(D, B, F)`: the statement of `docs/circuit.md` and
//! of `zksettle_circuits::BatchCircuit`, with the same witness layout
//! ([`BatchAssignment`]) and the same single public input, the batch commitment.
//!
//! With `r_0 = old_root`: each chunk maps `r_j` to `r_{j+1}` and gives its bytes
//! (`chunk.rs`); op framing ties consecutive chunks of an op; each used fee slot credits its
//! accrued fees to an existing account of its token; and the commitment is SHA-256 of
//! `chain_id ‖ rollup ‖ old_root ‖ new_root ‖ number ‖ chunks ‖ fee section` with its top three
//! bits cleared. Everything is laid out in one region (`layout`'s docs say why).

mod account;
mod chunk;
mod glue;
mod op;

pub use glue::Chips;

use crate::arith::ArithConfig;
use crate::eddsa::EddsaConfig;
use crate::field::to_circuit;
use crate::layout::{BaseColumns, Layout, SharedColumns, Tamper, Word};
use crate::merkle::MerkleConfig;
use crate::poseidon::PoseidonConfig;
use crate::range::RangeConfig;
use crate::sha256::{Byte, Sha256Chip};
use crate::spread::SpreadConfig;
use crate::Fr;
use account::{apply_write, AccountCells};
use chunk::ChunkOut;
use glue::Glue;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::ff::Field as _;
use halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};
use zksettle_circuits::batch::assignment::idle_write;
pub use zksettle_circuits::BatchAssignment;
use zksettle_core::BatchShape;

/// The circuit of one batch (or of the blank batch of its shape, for keys).
#[derive(Debug, Clone)]
pub struct BatchCircuit {
    /// The batch laid out for the circuit.
    pub assignment: BatchAssignment,
    /// Cells a negative test changes (empty for a prover).
    pub tamper: Vec<Tamper>,
}

impl BatchCircuit {
    /// The circuit of `assignment`, honest.
    pub fn new(assignment: BatchAssignment) -> Self {
        Self {
            assignment,
            tamper: Vec::new(),
        }
    }

    /// A bound on the rows a batch of `shape` lays out, from the chips' costs: per chunk about
    /// 2,400 rows besides its two leaf writes of 140 rows per tree level, 2,500 per SHA-256
    /// block, and per fee slot a write and its leaves. A test checks it against layouts.
    pub fn rows_bound(shape: BatchShape) -> usize {
        let levels = usize::from(shape.depth).div_ceil(2);
        let preimage = 100 + shape.pubdata_bytes();
        let blocks = (preimage + 9).div_ceil(64);
        shape.chunks * (2_400 + 2 * 140 * levels)
            + blocks * 2_500
            + shape.fee_slots * (400 + 140 * levels)
            + 2_000
    }

    /// The smallest `k` whose `2^k` rows hold [`Self::rows_bound`] and halo2's blinding rows.
    pub fn k(shape: BatchShape) -> u32 {
        (Self::rows_bound(shape) + BLINDING_ROWS)
            .next_power_of_two()
            .trailing_zeros()
    }

    /// The public input: the commitment.
    pub fn instance(&self) -> Vec<Vec<Fr>> {
        vec![vec![to_circuit(&self.assignment.commitment)]]
    }
}

/// Rows halo2 keeps for blinding at the end of the domain (its blinding factors plus one, for
/// this circuit's queries, with room to spare).
const BLINDING_ROWS: usize = 16;

/// The batch's columns and chips.
#[derive(Debug, Clone)]
pub struct BatchConfig {
    base: BaseColumns,
    chips: Chips,
}

impl Circuit<Fr> for BatchCircuit {
    type Config = BatchConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> BatchConfig {
        let base = BaseColumns::configure(meta);
        let shared = SharedColumns::configure(meta, 8);
        let chips = Chips {
            arith: ArithConfig::configure(meta, &shared),
            range: RangeConfig::configure(meta, &shared),
            linear: SpreadConfig::configure(meta, &shared),
            poseidon: PoseidonConfig::configure(meta, &shared, &[4, 5, 6, 7]),
            eddsa: EddsaConfig::configure(meta, &shared),
            merkle: MerkleConfig::configure(meta, &shared),
            shared,
        };
        BatchConfig { base, chips }
    }

    fn synthesize(
        &self,
        config: BatchConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        config.chips.range.load_table(&mut layouter)?;
        config.chips.linear.load_table(&mut layouter)?;
        let commitment = layouter.assign_region(
            || "batch",
            |mut region| {
                let mut layout = Layout::new(&mut region, self.tamper.clone());
                let glue = Glue::new(&config.chips, &mut layout)?;
                let commitment = self.lay_out(&glue, &mut layout)?;
                #[cfg(test)]
                tests::LAYOUT.with(|l| l.set((layout.rows_used(), layout.advice_cells())));
                Ok(commitment)
            },
        )?;
        config.base.expose(&mut layouter, &[commitment]);
        Ok(())
    }
}

/// What the batch lays out before its chunks.
struct Header {
    /// `chain_id ‖ rollup` (224 bits) and its bytes.
    domain: Word,
    domain_bytes: Vec<Word>,
    number_bytes: Vec<Word>,
    old_root: Word,
    fee_tokens: Vec<Word>,
}

impl BatchCircuit {
    fn lay_out(&self, glue: &Glue<'_>, layout: &mut Layout<'_, '_>) -> Result<Word, Error> {
        let a = &self.assignment;
        let header = self.header(glue, layout)?;
        let mut root = header.old_root;
        let mut chunks = Vec::with_capacity(a.chunks.len());
        for assignment in &a.chunks {
            let out = chunk::chunk(
                glue,
                layout,
                &a.shape,
                assignment,
                &root,
                &header.domain,
                &header.fee_tokens,
            )?;
            root = out.root;
            chunks.push(out);
        }
        self.finish(glue, layout, &header, &chunks)
    }

    fn header(&self, glue: &Glue<'_>, layout: &mut Layout<'_, '_>) -> Result<Header, Error> {
        let a = &self.assignment;
        let mut domain_be = [0u8; 32];
        domain_be[4..12].copy_from_slice(&a.domain.chain_id.to_be_bytes());
        domain_be[12..].copy_from_slice(&a.domain.rollup.0);
        let mut domain_le = domain_be;
        domain_le.reverse();
        let domain_value = Fr::from_bytes(&domain_le)
            .into_option()
            .ok_or(Error::Synthesis)?;
        let domain = glue.witness(layout, Value::known(domain_value));
        let mut domain_bytes = glue.bytes_le(layout, &domain, 224)?;
        domain_bytes.reverse();
        let number = glue.witness(layout, Value::known(Fr::from(a.number)));
        let mut number_bytes = glue.bytes_le(layout, &number, 64)?;
        number_bytes.reverse();
        let old_root = glue.witness(layout, Value::known(to_circuit(&a.old_root)));
        let tokens: Vec<Value<Fr>> = a
            .fees
            .iter()
            .map(|f| Value::known(Fr::from(u64::from(f.token.0))))
            .collect();
        let fee_tokens = glue.witnesses(layout, &tokens);
        Ok(Header {
            domain,
            domain_bytes,
            number_bytes,
            old_root,
            fee_tokens,
        })
    }

    /// Op framing across the chunks, fee settlement and the commitment.
    fn finish(
        &self,
        glue: &Glue<'_>,
        layout: &mut Layout<'_, '_>,
        header: &Header,
        chunks: &[ChunkOut],
    ) -> Result<Word, Error> {
        let g = glue;
        let a = &self.assignment;
        let shape = a.shape;
        let mut root = header.old_root;
        let mut pubdata: Vec<Word> = Vec::new();
        let mut previous: Option<&ChunkOut> = None;
        for out in chunks {
            match previous {
                None => g.assert_equal(layout, &out.starts, &g.one)?,
                Some(prev) => {
                    // A new op only after the previous op's last chunk; a chunk that does not
                    // start an op repeats the previous chunk's op one position further.
                    let continues = g.not(layout, &out.starts)?;
                    let not_last = g.not(layout, &prev.last)?;
                    g.zero_if(layout, &not_last, &out.starts)?;
                    for (now, before) in out.identity.iter().zip(&prev.identity) {
                        g.equal_if(layout, now, before, &continues)?;
                    }
                    let step = g.sum(
                        layout,
                        &[(&out.position, Fr::ONE), (&prev.position, -Fr::ONE)],
                        -Fr::ONE,
                    )?;
                    g.zero_if(layout, &step, &continues)?;
                }
            }
            previous = Some(out);
            root = out.root;
            pubdata.extend(out.pubdata.iter().copied());
        }
        if let Some(last) = previous {
            g.assert_equal(layout, &last.last, &g.one)?;
        }

        // Fee settlement.
        let mut fee_section: Vec<Word> = Vec::new();
        let mut used_tokens: Vec<(Word, Word)> = Vec::new();
        for (k, (slot, token)) in a.fees.iter().zip(&header.fee_tokens).enumerate() {
            let accrued: Vec<(&Word, Fr)> = chunks.iter().map(|c| (&c.fees[k], Fr::ONE)).collect();
            let total = g.sum(layout, &accrued, Fr::ZERO)?;
            let index = g.witness(layout, Value::known(Fr::from(u64::from(slot.recipient.0))));
            let mut index_bytes = g.bytes_le(layout, &index, usize::from(shape.depth))?;
            index_bytes.resize(shape.index_bytes(), g.zero);
            index_bytes.reverse();
            let index_zero = g.is_zero(layout, &index)?;
            let used = g.not(layout, &index_zero)?;
            let idle = idle_write(shape.depth);
            let write = slot.write.as_ref().unwrap_or(&idle);
            let before = AccountCells::witness(g, layout, write.before.as_ref())?;
            // Unused slots accrue nothing; used ones pay an existing account of their token.
            g.zero_if(layout, &total, &index_zero)?;
            let missing = g.not(layout, &before.exists)?;
            g.zero_if(layout, &missing, &used)?;
            g.equal_if(layout, &before.token, token, &used)?;
            for (other_used, other_token) in &used_tokens {
                let both = g.mul(layout, &used, other_used)?;
                let same = g.is_eq(layout, token, other_token)?;
                g.zero_if(layout, &same, &both)?;
            }
            used_tokens.push((used, *token));
            let after = AccountCells {
                balance: g.add(layout, &before.balance, &total)?,
                ..before.clone()
            };
            let written = g.mul(layout, &used, &after.balance)?;
            g.bytes_le(layout, &written, 128)?;
            root = apply_write(
                g,
                layout,
                &root,
                &used,
                &index,
                &write.path.siblings,
                (&before, &after),
            )?;
            fee_section.extend(index_bytes);
        }
        let new_root = root;

        // The commitment.
        let encodings = g.encodings();
        let mut old_root_bytes = encodings.bytes_at_most(layout, &header.old_root, -Fr::ONE)?;
        old_root_bytes.reverse();
        let mut new_root_bytes = encodings.bytes_at_most(layout, &new_root, -Fr::ONE)?;
        new_root_bytes.reverse();
        let preimage: Vec<Byte> = header
            .domain_bytes
            .iter()
            .chain(&old_root_bytes)
            .chain(&new_root_bytes)
            .chain(&header.number_bytes)
            .chain(&pubdata)
            .chain(&fee_section)
            .map(|b| Byte::Cell(*b))
            .collect();
        let sha = Sha256Chip::new(&g.chips.linear);
        let digest = sha.digest(layout, &preimage)?;
        sha.commitment(layout, &digest)
    }
}

#[cfg(test)]
mod tests;
