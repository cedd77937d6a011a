use super::*;
use crate::layout::{BaseColumns, SharedColumns, Tamper};
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::dev::{MockProver, VerifyFailure};
use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use sha2::Digest as _;

const K: u32 = 13;

/// SHA-256 of a message whose first `cells` bytes are witness cells (public, as the instance's
/// first entries) and the rest constants; the instance goes on with the eight digest words and
/// the commitment.
#[derive(Debug, Clone)]
struct Hash {
    message: Vec<u8>,
    cells: usize,
    tamper: Vec<Tamper>,
}

#[derive(Debug, Clone)]
struct HashConfig {
    base: BaseColumns,
    spread: SpreadConfig,
}

impl Circuit<Fr> for Hash {
    type Config = HashConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> HashConfig {
        let base = BaseColumns::configure(meta);
        let shared = SharedColumns::configure(meta, 8);
        HashConfig {
            base,
            spread: SpreadConfig::configure(meta, &shared),
        }
    }

    fn synthesize(&self, config: HashConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        config.spread.load_table(&mut layouter)?;
        let (public, rows, cells) = layouter.assign_region(
            || "sha256",
            |mut region| {
                let mut layout = Layout::new(&mut region, self.tamper.clone());
                let values: Vec<Value<Fr>> = self.message[..self.cells]
                    .iter()
                    .map(|b| Value::known(Fr::from(u64::from(*b))))
                    .collect();
                let inputs = config.base.witnesses(&mut layout, &values);
                let (rows, cells) = (layout.rows_used(), layout.advice_cells());
                let message: Vec<Byte> = inputs
                    .iter()
                    .map(|w| Byte::Cell(*w))
                    .chain(
                        self.message[self.cells..]
                            .iter()
                            .map(|b| Byte::Constant(*b)),
                    )
                    .collect();
                let chip = Sha256Chip::new(&config.spread);
                let digest = chip.digest(&mut layout, &message)?;
                let commitment = chip.commitment(&mut layout, &digest)?;
                let mut public = inputs;
                public.extend(digest.words.iter().map(|w| w.dense));
                public.push(commitment);
                Ok((
                    public,
                    layout.rows_used() - rows,
                    layout.advice_cells() - cells,
                ))
            },
        )?;
        config.base.expose(&mut layouter, &public);
        LAYOUT.with(|l| l.set((rows, cells)));
        Ok(())
    }
}

thread_local! {
    /// Rows and advice cells of the last hash laid out on this thread.
    static LAYOUT: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// The instance of an honest hash of `message` with its first `cells` bytes witnessed.
fn instance(message: &[u8], cells: usize) -> Vec<Fr> {
    let digest: [u8; 32] = sha2::Sha256::digest(message).into();
    let mut out: Vec<Fr> = message[..cells]
        .iter()
        .map(|b| Fr::from(u64::from(*b)))
        .collect();
    out.extend(
        digest
            .chunks(4)
            .map(|w| Fr::from(u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]])))),
    );
    let mut truncated = digest;
    truncated[0] &= 0x1f;
    truncated.reverse();
    out.push(Fr::from_repr(truncated).expect("253 bits are canonical"));
    out
}

fn run(message: &[u8], cells: usize, tamper: Vec<Tamper>, public: Vec<Fr>) -> MockProver<Fr> {
    let circuit = Hash {
        message: message.to_vec(),
        cells,
        tamper,
    };
    MockProver::run(K, &circuit, vec![public]).expect("the circuit fits 2^K rows")
}

fn accepts(message: &[u8], cells: usize, tamper: Vec<Tamper>) -> bool {
    run(message, cells, tamper, instance(message, cells))
        .verify()
        .is_ok()
}

fn message(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(151) ^ 0x5a)
        .collect()
}

#[test]
fn digests_match_sha2_at_every_padding_edge() {
    // 55 and 56 bytes straddle the length field's block boundary; 119 is two blocks.
    for len in [0, 3, 55, 56, 64, 119] {
        let m = message(len);
        for cells in [len, len / 2] {
            let prover = run(&m, cells, vec![], instance(&m, cells));
            assert_eq!(prover.verify(), Ok(()), "{len} bytes, {cells} as cells");
        }
    }
}

#[test]
fn one_block_costs_the_rows_and_cells_the_module_docs_give() {
    assert!(accepts(b"abc", 3, vec![]));
    assert_eq!(LAYOUT.with(|l| l.get()), (2_408, 18_709));
}

#[test]
fn another_digest_or_commitment_is_refused() {
    let m = message(20);
    let honest = instance(&m, 20);
    for entry in 20..honest.len() {
        let mut public = honest.clone();
        public[entry] += Fr::ONE;
        assert!(
            run(&m, 20, vec![], public).verify().is_err(),
            "entry {entry}"
        );
    }
    let mut other = m.clone();
    other[7] ^= 1;
    let mut public = instance(&other, 20);
    public[..20].copy_from_slice(&honest[..20]);
    assert!(run(&m, 20, vec![], public).verify().is_err());
}

/// `W_0` of the empty message is `0x80000000`; its lowest piece (3 bits, value 0) is forged to
/// 8 with the next piece (4 bits, value 0) to −1, spreads to match: the cut's equation and
/// `W_0`'s value still hold (and `W_0`'s pieces feed no σ), so only the lookups refuse it.
#[test]
fn a_piece_past_its_width_balanced_by_the_next_is_refused_by_the_lookup_alone() {
    // The first equation laid out cuts W_0 after the 2 rows of constants (whose 12 cells come
    // first) and the cuts of a and e with their value and spread cells (see initial_state).
    let m: [u8; 0] = [];
    let w0_first_piece = first_cell_of_w0();
    let forged = vec![
        Tamper {
            cell: w0_first_piece,
            delta: Fr::from(8),
        },
        Tamper {
            cell: w0_first_piece + 1,
            delta: Fr::from(64),
        },
        Tamper {
            cell: w0_first_piece + 2,
            delta: -Fr::ONE,
        },
        Tamper {
            cell: w0_first_piece + 3,
            delta: -Fr::ONE,
        },
    ];
    let failures = run(&m, 0, forged, instance(&m, 0))
        .verify()
        .expect_err("the forged pieces are refused");
    assert!(
        failures
            .iter()
            .all(|f| matches!(f, VerifyFailure::Lookup { .. })),
        "{failures:?}"
    );
}

/// The number of the first advice cell of `W_0`'s cut, counted from a layout of the initial
/// state alone.
fn first_cell_of_w0() -> usize {
    // Constants: 6 words × (value, spread). a and e: a cut (pieces' two cells each, the
    // equation's running sums), then a value and a spread equation each.
    let cut = |pieces: usize| {
        let rows = pieces.div_ceil(4);
        2 * pieces + rows
    };
    let sum = |terms: usize| terms + terms.div_ceil(8);
    let a = cut(A_CUT.len()) + 2 * sum(1 + A_CUT.len());
    let e = cut(E_CUT.len()) + 2 * sum(1 + E_CUT.len());
    12 + a + e
}

/// A cheating prover changes one advice cell of an honest hash: some gate, lookup, copy or
/// constant refuses it, for every cell swept (all of them with `ZKSETTLE_HALO2_TAMPER_STRIDE=1`).
#[test]
fn changing_any_one_advice_cell_of_a_hash_breaks_it() {
    let m = message(5);
    assert!(accepts(&m, 5, vec![]));
    let cells = 5 + LAYOUT.with(|l| l.get()).1;
    for cell in (0..cells).step_by(crate::layout::sweep_stride(151)) {
        let delta = if cell % 2 == 0 {
            Fr::ONE
        } else {
            Fr::from(0x1_0000_0000)
        };
        assert!(
            !accepts(&m, 5, vec![Tamper { cell, delta }]),
            "advice cell {cell} changed by {delta:?} still verifies"
        );
    }
    assert!(accepts(
        &m,
        5,
        vec![Tamper {
            cell: cells,
            delta: Fr::ONE
        }]
    ));
}

#[test]
fn a_real_proof_of_a_hash_verifies() {
    let m = message(5);
    let circuit = Hash {
        message: m.clone(),
        cells: 5,
        tamper: vec![],
    };
    assert!(crate::layout::real_proof_verifies(
        12,
        &circuit,
        &instance(&m, 5)
    ));
}
