//! The reference verifier against halo2's `verify_proof` on real proofs of a circuit with every
//! feature the batch circuit uses: custom gates over two rows, copies, constants, a lookup, and
//! several public inputs.

use crate::key::EvmKey;
use crate::reference::{verify, Refusal};
use crate::Fr;
use ark_std::rand::SeedableRng as _;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::halo2curves::ff::Field as _;
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, Advice, Circuit, Column, ConstraintSystem,
    Error, Instance, VerifyingKey,
};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::{ProverGWC, VerifierGWC};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::transcript::{TranscriptReadBuffer as _, TranscriptWriterBuffer as _};
use zksettle_core::eddsa::PrivateKey;
use zksettle_halo2_circuit::babyjubjub::{coordinates, PointWords};
use zksettle_halo2_circuit::eddsa::{EddsaConfig, SignatureWords};
use zksettle_halo2_circuit::field::{subgroup_scalar, to_circuit};
use zksettle_halo2_circuit::halo2_proofs;
use zksettle_halo2_circuit::layout::{BaseColumns, Layout, SharedColumns, Word};
use zksettle_halo2_circuit::poseidon::PoseidonConfig;
use zksettle_halo2_circuit::range::RangeConfig;
use zksettle_halo2_circuit::transcript::{EvmTranscriptRead, EvmTranscriptWrite};

const K: u32 = 11;

/// A signed hash: four private values, the first a byte, hash to the first public input, which
/// the key of the next two public inputs signs (the signature private).
#[derive(Debug, Clone)]
struct SignedHash {
    values: [Value<Fr>; 4],
    signature: [Value<Fr>; 3],
    key: [Value<Fr>; 2],
}

#[derive(Debug, Clone)]
struct SignedHashConfig {
    witness: Column<Advice>,
    instance: Column<Instance>,
    poseidon: PoseidonConfig,
    range: RangeConfig,
    eddsa: EddsaConfig,
}

impl Circuit<Fr> for SignedHash {
    type Config = SignedHashConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self {
            values: [Value::unknown(); 4],
            signature: [Value::unknown(); 3],
            key: [Value::unknown(); 2],
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> SignedHashConfig {
        let BaseColumns { witness, instance } = BaseColumns::configure(meta);
        let shared = SharedColumns::configure(meta, 8);
        SignedHashConfig {
            witness,
            instance,
            poseidon: PoseidonConfig::configure(meta, &shared, &[4, 5]),
            range: RangeConfig::configure(meta, &shared),
            eddsa: EddsaConfig::configure(meta, &shared),
        }
    }

    fn synthesize(
        &self,
        config: SignedHashConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        config.range.load_table(&mut layouter)?;
        let public = layouter.assign_region(
            || "signed hash",
            |mut region| {
                let mut layout = Layout::new(&mut region, None);
                let first = layout.take_rows(10);
                let cells: Vec<Word> = self
                    .values
                    .iter()
                    .chain(&self.signature)
                    .chain(&self.key)
                    .enumerate()
                    .map(|(i, v)| layout.advice(config.witness, first + i, *v))
                    .collect();
                let enabled = layout.constant(Fr::ONE, config.witness, first + 9)?;
                config.range.check(&mut layout, &cells[0], 8)?;
                let hash = config.poseidon.hash(&mut layout, &cells[..4])?;
                let point = |i: usize| PointWords {
                    x: cells[i],
                    y: cells[i + 1],
                };
                let signature = SignatureWords {
                    r8: point(4),
                    s: cells[6],
                };
                config.eddsa.verify_if(
                    &mut layout,
                    &config.poseidon,
                    &hash,
                    &point(7),
                    &signature,
                    &enabled,
                )?;
                Ok([hash, cells[7], cells[8]])
            },
        )?;
        for (row, word) in public.iter().enumerate() {
            layouter.constrain_instance(word.cell, config.instance, row);
        }
        Ok(())
    }
}

struct Setup {
    params: ParamsKZG<Bn256>,
    vk: VerifyingKey<G1Affine>,
    proof: Vec<u8>,
    instances: Vec<Fr>,
}

fn setup() -> Setup {
    let values = [7u64, 1, 4, 1].map(zksettle_core::Fr::from);
    let hash = zksettle_core::poseidon::poseidon(&values).unwrap();
    let key = PrivateKey::from_bytes([9; 32]);
    let signature = key.sign(hash);
    let (ax, ay) = coordinates(&key.public_key().0);
    let (rx, ry) = coordinates(&signature.r8);
    let circuit = SignedHash {
        values: values.map(|v| Value::known(to_circuit(&v))),
        signature: [rx, ry, subgroup_scalar(&signature.s)].map(Value::known),
        key: [ax, ay].map(Value::known),
    };
    let mut rng = ark_std::rand::rngs::StdRng::seed_from_u64(29);
    let params = ParamsKZG::<Bn256>::setup(K, &mut rng);
    let vk = keygen_vk(&params, &circuit.without_witnesses()).unwrap();
    let pk = keygen_pk(&params, vk.clone(), &circuit).unwrap();
    let instances = vec![to_circuit(&hash), ax, ay];
    let mut transcript = EvmTranscriptWrite::init(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverGWC<'_, _>, _, _, _, _>(
        &params,
        &pk,
        &[circuit],
        &[&[&instances]],
        rng,
        &mut transcript,
    )
    .unwrap();
    Setup {
        params,
        vk,
        proof: transcript.finalize(),
        instances,
    }
}

fn halo2_accepts(setup: &Setup, instances: &[Fr], proof: &[u8]) -> bool {
    let mut transcript = EvmTranscriptRead::init(proof);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierGWC<'_, _>, _, _, _>(
        &setup.params,
        &setup.vk,
        SingleStrategy::new(&setup.params),
        &[&[instances]],
        &mut transcript,
    )
    .is_ok()
}

#[test]
fn the_reference_verifier_accepts_and_refuses_what_halo2_does() {
    let setup = setup();
    let key = EvmKey::compile(&setup.params, &setup.vk, 3).unwrap();
    assert!(halo2_accepts(&setup, &setup.instances, &setup.proof));
    verify(&key, &setup.instances, &setup.proof).unwrap();

    for i in 0..3 {
        let mut wrong = setup.instances.clone();
        wrong[i] += Fr::ONE;
        assert!(!halo2_accepts(&setup, &wrong, &setup.proof));
        assert!(
            matches!(verify(&key, &wrong, &setup.proof), Err(Refusal::Pairing)),
            "instance {i}"
        );
    }
    // Every part of the proof matters to both.
    let mut refused = 0;
    for at in (0..setup.proof.len()).step_by(61) {
        let mut changed = setup.proof.clone();
        changed[at] ^= 0x10;
        assert!(
            !halo2_accepts(&setup, &setup.instances, &changed),
            "byte {at}"
        );
        assert!(
            verify(&key, &setup.instances, &changed).is_err(),
            "byte {at}"
        );
        refused += 1;
    }
    assert!(refused > 50);
    let mut longer = setup.proof.clone();
    longer.push(0);
    assert!(matches!(
        verify(&key, &setup.instances, &longer),
        Err(Refusal::Trailing(1))
    ));
    assert!(matches!(
        verify(&key, &setup.instances, &setup.proof[..100]),
        Err(Refusal::Malformed(_))
    ));
    assert!(matches!(
        verify(&key, &setup.instances[..2], &setup.proof),
        Err(Refusal::Instances {
            got: 2,
            expected: 3
        })
    ));
}

#[test]
fn the_key_reads_the_whole_proof() {
    let setup = setup();
    let key = EvmKey::compile(&setup.params, &setup.vk, 3).unwrap();
    let points = key.num_proof_points() + key.point_rotations.len();
    assert_eq!(setup.proof.len(), 64 * points + 32 * key.num_evals());
}

/// Every part of the key takes part: a valid proof is refused once any is changed.
#[test]
fn a_changed_key_refuses_a_valid_proof() {
    let setup = setup();
    let key = EvmKey::compile(&setup.params, &setup.vk, 3).unwrap();
    type Change = Box<dyn Fn(&mut EvmKey)>;
    let changes: Vec<(&str, Change)> = vec![
        ("a gate constant", Box::new(|k| k.constants[3] += Fr::ONE)),
        (
            "a gate's last fold dropped",
            Box::new(|k| k.gates.truncate(k.gates.len() - 1)),
        ),
        (
            "a lookup's table program",
            Box::new(|k| k.lookups[0].table = k.lookups[0].input.clone()),
        ),
        (
            "a fixed commitment",
            Box::new(|k| k.fixed_commitments.swap(0, 1)),
        ),
        (
            "a sigma commitment",
            Box::new(|k| k.sigma_commitments.swap(0, 1)),
        ),
        (
            "the permutation's columns",
            Box::new(|k| k.permutation_columns.swap(0, 1)),
        ),
        (
            "the transcript's key hash",
            Box::new(|k| k.transcript_repr += Fr::ONE),
        ),
        (
            "an opening's point",
            Box::new(|k| k.point_rotations.swap(0, 1)),
        ),
        ("τ·G2", Box::new(|k| k.s_g2 = k.g2)),
    ];
    for (name, change) in changes {
        let mut changed = key.clone();
        change(&mut changed);
        assert!(
            verify(&changed, &setup.instances, &setup.proof).is_err(),
            "{name}"
        );
    }
    eprintln!(
        "proof {} bytes; key: {} constants, {} gate bytes, {} lookup bytes, {} fixed and {} sigma commitments, {} points",
        setup.proof.len(),
        key.constants.len(),
        key.gates.len(),
        key.lookups.iter().map(|l| l.input.len() + l.table.len()).sum::<usize>(),
        key.fixed_commitments.len(),
        key.sigma_commitments.len(),
        key.point_rotations.len(),
    );
}
