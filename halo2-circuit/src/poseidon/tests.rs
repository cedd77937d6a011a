use super::*;
use crate::field::to_core;
use crate::layout::{BaseColumns, SharedColumns, Tamper};
use ark_ff::PrimeField as _;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::dev::MockProver;
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::plonk::Circuit;
use rand::{Rng, SeedableRng};

/// Every width the batch statement hashes at.
const INPUT_COUNTS: [usize; 4] = [4, 5, 6, 7];
/// Rows: the four hashes (69 + 69 + 72 + 73) and their inputs (22), under 2^9 less blinding.
const K: u32 = 9;

/// Hashes of private inputs. The public instances are the inputs, in order, then (if
/// `outputs_public`) the hashes.
#[derive(Debug, Clone)]
struct Hashes {
    inputs: Vec<Vec<Fr>>,
    outputs_public: bool,
    tamper: Option<Tamper>,
}

#[derive(Debug, Clone)]
struct HashesConfig {
    base: BaseColumns,
    poseidon: PoseidonConfig,
}

impl Circuit<Fr> for Hashes {
    type Config = HashesConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> HashesConfig {
        let base = BaseColumns::configure(meta);
        let shared = SharedColumns::configure(meta, 8);
        HashesConfig {
            base,
            poseidon: PoseidonConfig::configure(meta, &shared, &INPUT_COUNTS),
        }
    }

    fn synthesize(
        &self,
        config: HashesConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        let (inputs, outputs) = layouter.assign_region(
            || "hashes",
            |mut region| {
                let mut layout = Layout::new(&mut region, self.tamper);
                let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
                for values in &self.inputs {
                    let first = layout.take_rows(values.len());
                    let words: Vec<Word> = values
                        .iter()
                        .enumerate()
                        .map(|(i, x)| {
                            layout.advice(config.base.witness, first + i, Value::known(*x))
                        })
                        .collect();
                    outputs.push(config.poseidon.hash(&mut layout, &words)?);
                    inputs.extend(words);
                }
                Ok((inputs, outputs))
            },
        )?;
        let public: Vec<Word> = if self.outputs_public {
            inputs.iter().chain(&outputs).copied().collect()
        } else {
            inputs
        };
        config.base.expose(&mut layouter, &public);
        Ok(())
    }
}

fn random_inputs(seed: u64) -> Vec<Vec<Fr>> {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    INPUT_COUNTS
        .iter()
        .map(|&n| {
            (0..n)
                .map(|_| {
                    to_circuit(&zksettle_core::Fr::from_le_bytes_mod_order(
                        &rng.random::<[u8; 32]>(),
                    ))
                })
                .collect()
        })
        .collect()
}

fn native_hashes(inputs: &[Vec<Fr>]) -> Vec<Fr> {
    inputs
        .iter()
        .map(|xs| {
            let xs: Vec<zksettle_core::Fr> = xs.iter().map(to_core).collect();
            to_circuit(&zksettle_core::poseidon::poseidon(&xs).expect("1 to 16 inputs"))
        })
        .collect()
}

/// The instance column of [`Hashes`]: the inputs, then the claimed hashes if any.
fn instance(inputs: &[Vec<Fr>], hashes: &[Fr]) -> Vec<Fr> {
    inputs.iter().flatten().chain(hashes).copied().collect()
}

fn verify(circuit: &Hashes, instance: Vec<Fr>) -> bool {
    MockProver::run(K, circuit, vec![instance])
        .expect("the circuit lays out within 2^K rows")
        .verify()
        .is_ok()
}

#[test]
fn every_width_hashes_as_the_core_does_which_is_circomlibs() {
    for seed in 0..4 {
        let inputs = random_inputs(seed);
        let public = instance(&inputs, &native_hashes(&inputs));
        let circuit = Hashes {
            inputs,
            outputs_public: true,
            tamper: None,
        };
        let prover = MockProver::run(K, &circuit, vec![public]).unwrap();
        assert_eq!(prover.verify(), Ok(()), "seed {seed}");
    }
}

#[test]
fn a_hash_other_than_poseidons_is_refused() {
    let inputs = random_inputs(9);
    for wrong in 0..INPUT_COUNTS.len() {
        let mut claimed = native_hashes(&inputs);
        claimed[wrong] += Fr::ONE;
        let circuit = Hashes {
            inputs: inputs.clone(),
            outputs_public: true,
            tamper: None,
        };
        assert!(
            !verify(&circuit, instance(&inputs, &claimed)),
            "hash {wrong} changed"
        );
    }
}

#[test]
fn a_width_without_gates_is_a_synthesis_error_not_a_hash() {
    let circuit = Hashes {
        inputs: vec![vec![Fr::ONE; 3]],
        outputs_public: true,
        tamper: None,
    };
    assert!(matches!(
        MockProver::run(K, &circuit, vec![vec![Fr::ZERO; 4]]),
        Err(Error::Synthesis)
    ));
}

/// The hashes are left unconstrained and the cheating prover carries its change forward
/// (`PoseidonConfig::hash` goes on from the cells as assigned), so the only things that can
/// refuse a changed cell are an input's copy and instance, and the gate of the round that made
/// it: a gate that constrained too little (the square's, say) fails this test.
#[test]
fn changing_any_one_advice_cell_of_any_width_breaks_a_gate() {
    let inputs = random_inputs(3);
    let public = instance(&inputs, &[]);
    // Per hash: its inputs, its state (rows × width) and its squares (8·t + R_P).
    let cells: usize = INPUT_COUNTS
        .iter()
        .map(|&n| {
            let (t, rows) = (n + 1, rows_of(n));
            n + t * rows + 8 * t + (rows - 9)
        })
        .sum();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
    let circuit = |tamper| Hashes {
        inputs: inputs.clone(),
        outputs_public: false,
        tamper,
    };
    for cell in (0..cells).step_by(crate::layout::sweep_stride(11)) {
        // A small change or an arbitrary one, in turn: neither may survive.
        let delta = if cell % 2 == 0 {
            Fr::ONE
        } else {
            to_circuit(&zksettle_core::Fr::from(rng.random::<u64>() | 1))
        };
        assert!(
            !verify(&circuit(Some(Tamper { cell, delta })), public.clone()),
            "advice cell {cell} changed by {delta:?} still verifies"
        );
    }
    // The count above is every cell: one past it changes nothing.
    let past_the_last = Tamper {
        cell: cells,
        delta: Fr::ONE,
    };
    assert!(verify(&circuit(Some(past_the_last)), public));
}

fn rows_of(inputs: usize) -> usize {
    let mut meta = ConstraintSystem::<Fr>::default();
    let shared = SharedColumns::configure(&mut meta, inputs + 1);
    PoseidonConfig::configure(&mut meta, &shared, &[inputs])
        .rows(inputs)
        .expect("configured")
}

#[test]
fn rows_per_hash_are_one_per_round_and_the_output() {
    assert_eq!(
        INPUT_COUNTS.map(rows_of),
        [69, 69, 72, 73],
        "the module docs' table"
    );
}
