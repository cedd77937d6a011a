use super::*;
use crate::ceremony::dev_ptau::{self, Secrets};
use crate::zkey::binfile::{g1_stored, G1_BYTES};
use ark_ec::PrimeGroup;
use ark_ff::Field as _;
use std::path::Path;
use zksettle_halo2_circuit::field::to_circuit;
use zksettle_halo2_circuit::halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use zksettle_halo2_circuit::halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, Advice, Circuit, Column, ConstraintSystem,
    Error, Instance,
};
use zksettle_halo2_circuit::halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use zksettle_halo2_circuit::halo2_proofs::poly::kzg::multiopen::{ProverGWC, VerifierGWC};
use zksettle_halo2_circuit::halo2_proofs::poly::kzg::strategy::SingleStrategy;
use zksettle_halo2_circuit::halo2_proofs::transcript::{
    TranscriptReadBuffer, TranscriptWriterBuffer,
};
use zksettle_halo2_circuit::layout::{BaseColumns, Layout, SharedColumns};
use zksettle_halo2_circuit::poseidon::PoseidonConfig;
use zksettle_halo2_circuit::range::RangeConfig;
use zksettle_halo2_circuit::transcript::{EvmTranscriptRead, EvmTranscriptWrite};

/// Rows: the byte table (256), one Poseidon(4) (69), its inputs (4) and a range check (2), under
/// 2^9 less blinding.
const K: u32 = 9;

/// Knowledge of four values, the first a byte, whose Poseidon hash is the public instance: a
/// custom gate, a lookup and copies, proven with the production choices (GWC openings, the EVM
/// transcript).
#[derive(Debug, Clone)]
struct Preimage {
    inputs: [Value<halo2_bn256::Fr>; 4],
}

impl Circuit<halo2_bn256::Fr> for Preimage {
    type Config = (
        Column<Advice>,
        Column<Instance>,
        PoseidonConfig,
        RangeConfig,
    );
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self {
            inputs: [Value::unknown(); 4],
        }
    }

    fn configure(meta: &mut ConstraintSystem<halo2_bn256::Fr>) -> Self::Config {
        let BaseColumns { witness, instance } = BaseColumns::configure(meta);
        let shared = SharedColumns::configure(meta, 5);
        (
            witness,
            instance,
            PoseidonConfig::configure(meta, &shared, &[4]),
            RangeConfig::configure(meta, &shared),
        )
    }

    fn synthesize(
        &self,
        (witness, instance, poseidon, range): Self::Config,
        mut layouter: impl Layouter<halo2_bn256::Fr>,
    ) -> Result<(), Error> {
        range.load_table(&mut layouter)?;
        let hash = layouter.assign_region(
            || "preimage",
            |mut region| {
                let mut layout = Layout::new(&mut region, None);
                let first = layout.take_rows(4);
                let words: Vec<_> = (0..4)
                    .map(|i| layout.advice(witness, first + i, self.inputs[i]))
                    .collect();
                range.check(&mut layout, &words[0], 8)?;
                poseidon.hash(&mut layout, &words)
            },
        )?;
        layouter.constrain_instance(hash.cell, instance, 0);
        Ok(())
    }
}

type Scheme = KZGCommitmentScheme<halo2_bn256::Bn256>;

fn prove(params: &KzgParams, circuit: &Preimage, hash: halo2_bn256::Fr) -> Vec<u8> {
    let vk = keygen_vk(params, circuit).unwrap();
    let pk = keygen_pk(params, vk, circuit).unwrap();
    let mut transcript = EvmTranscriptWrite::init(vec![]);
    create_proof::<Scheme, ProverGWC<'_, _>, _, _, _, _>(
        params,
        &pk,
        std::slice::from_ref(circuit),
        &[&[&[hash]]],
        StdRng::seed_from_u64(1),
        &mut transcript,
    )
    .unwrap();
    transcript.finalize()
}

fn verifies(params: &KzgParams, circuit: &Preimage, hash: halo2_bn256::Fr, proof: &[u8]) -> bool {
    let vk = keygen_vk(params, &circuit.without_witnesses()).unwrap();
    let mut transcript = EvmTranscriptRead::init(proof);
    verify_proof::<Scheme, VerifierGWC<'_, _>, _, _, _>(
        params.verifier_params(),
        &vk,
        SingleStrategy::new(params),
        &[&[&[hash]]],
        &mut transcript,
    )
    .is_ok()
}

fn dev_ptau(dir: &Path, power: u32) -> std::path::PathBuf {
    let path = dir.join(format!("dev_{power}.ptau"));
    dev_ptau::write(power, b"kzg tests", &path).unwrap();
    path
}

#[test]
fn a_powers_of_tau_gives_parameters_that_prove_and_verify_a_halo2_circuit() {
    let dir = tempfile::tempdir().unwrap();
    let mut ptau = Ptau::open(&dev_ptau(dir.path(), K)).unwrap();
    let params = kzg_params(&mut ptau, K).unwrap();
    // The parameters are the file's τ: τ^i·G1 for the seed's public τ.
    let tau = Secrets::from_seed(b"kzg tests").tau;
    let g1 = G1Projective::generator();
    assert_eq!(
        params.get_g()[3],
        g1_to_halo2(&(g1 * tau * tau * tau).into_affine())
    );

    let values = [3u64, 1, 4, 1].map(zksettle_core::Fr::from);
    let hash = to_circuit(&zksettle_core::poseidon::poseidon(&values).unwrap());
    let circuit = Preimage {
        inputs: values.map(|v| Value::known(to_circuit(&v))),
    };
    let proof = prove(&params, &circuit, hash);
    assert!(verifies(&params, &circuit, hash, &proof));
    assert!(!verifies(
        &params,
        &circuit,
        hash + halo2_bn256::Fr::from(1u64),
        &proof
    ));

    // A proof changed anywhere is refused, whatever the change makes of the encoding (a point
    // off the curve, a scalar past r, or valid values that do not verify), and a cut proof too.
    for at in (0..proof.len()).step_by(97) {
        let mut changed = proof.clone();
        changed[at] ^= 0x21;
        assert!(!verifies(&params, &circuit, hash, &changed), "byte {at}");
    }
    assert!(!verifies(
        &params,
        &circuit,
        hash,
        &proof[..proof.len() - 32]
    ));

    // Parameters from another τ do not verify the proof.
    let other_path = dir.path().join("other.ptau");
    dev_ptau::write(K, b"another tau", &other_path).unwrap();
    let mut other = Ptau::open(&other_path).unwrap();
    let other = kzg_params(&mut other, K).unwrap();
    assert!(!verifies(&other, &circuit, hash, &proof));
}

#[test]
fn a_circuit_larger_than_the_powers_of_tau_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut ptau = Ptau::open(&dev_ptau(dir.path(), 5)).unwrap();
    assert!(matches!(
        kzg_params(&mut ptau, 6),
        Err(KzgSetupError::TooSmall { k: 6, power: 5 })
    ));
    assert!(kzg_params(&mut ptau, 5).is_ok());
}

/// Overwrites point `index` of section 2 (τ^i·G1) with `point`, found by its stored bytes.
fn replace_tau_g1(path: &Path, index: usize, point: &G1Affine) {
    let mut bytes = std::fs::read(path).unwrap();
    let tau = Secrets::from_seed(b"kzg tests").tau;
    let original = (G1Projective::generator() * tau.pow([index as u64])).into_affine();
    let stored = g1_stored(&original);
    let at = bytes
        .windows(G1_BYTES)
        .position(|w| w == stored)
        .expect("the power is in the file");
    bytes[at..at + G1_BYTES].copy_from_slice(&g1_stored(point));
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn powers_that_are_not_of_one_tau_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tau = Secrets::from_seed(b"kzg tests").tau;
    let g1 = G1Projective::generator();
    for (index, point, what) in [
        // A valid curve point, off the sequence.
        (
            5,
            (g1 * (tau.pow([5]) + Fr::from(1u64))).into_affine(),
            "geometric",
        ),
        // The sequence of another τ from its fourth power on.
        (4, (g1 * Fr::from(7u64).pow([4])).into_affine(), "geometric"),
        // Not the generator first.
        (0, (g1 * Fr::from(2u64)).into_affine(), "generator"),
    ] {
        let path = dev_ptau(dir.path(), 6);
        replace_tau_g1(&path, index, &point);
        let mut ptau = Ptau::open(&path).unwrap();
        match kzg_params(&mut ptau, 6) {
            Err(KzgSetupError::NotPowersOfOneTau(why)) => {
                assert!(why.contains(what), "power {index}: {why}")
            }
            other => panic!("power {index} replaced: {other:?}"),
        }
    }
}

/// The development parameters of a seed are its development powers of tau's, without the file.
#[test]
fn development_parameters_are_the_seeds_powers_of_tau() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dev.ptau");
    dev_ptau::write(K, b"kzg dev params", &path).unwrap();
    let from_file = kzg_params(&mut Ptau::open(&path).unwrap(), K).unwrap();
    let direct = dev_kzg_params(b"kzg dev params", K).unwrap();
    assert_eq!(direct.get_g(), from_file.get_g());
    assert_eq!(direct.g2(), from_file.g2());
    assert_eq!(direct.s_g2(), from_file.s_g2());
    let other = dev_kzg_params(b"another seed", K).unwrap();
    assert_ne!(other.get_g()[1], direct.get_g()[1]);
    assert!(matches!(
        dev_kzg_params(b"kzg dev params", dev_ptau::MAX_POWER + 1),
        Err(KzgSetupError::TooSmall { .. })
    ));
}
