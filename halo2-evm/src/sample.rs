//! A sample circuit with every feature the EVM verifier must handle (custom gates over two
//! rows, copies, constants, a lookup, several public inputs) and a real proof of it: the
//! conformance fixture the reference verifier and the contract are both checked on.

use crate::Fr;
use ark_std::rand::SeedableRng as _;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::halo2curves::ff::Field as _;
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, Circuit, ConstraintSystem, Error, VerifyingKey,
};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::ProverGWC;
use halo2_proofs::transcript::TranscriptWriterBuffer as _;
use zksettle_core::eddsa::PrivateKey;
use zksettle_halo2_circuit::babyjubjub::{coordinates, PointWords};
use zksettle_halo2_circuit::eddsa::{EddsaConfig, SignatureWords};
use zksettle_halo2_circuit::field::{subgroup_scalar, to_circuit};
use zksettle_halo2_circuit::halo2_proofs;
use zksettle_halo2_circuit::layout::{BaseColumns, Layout, SharedColumns};
use zksettle_halo2_circuit::poseidon::PoseidonConfig;
use zksettle_halo2_circuit::range::RangeConfig;
use zksettle_halo2_circuit::transcript::EvmTranscriptWrite;

/// Rows: the byte table, EdDSA (582), two Poseidon and the rest, under 2^11.
pub const K: u32 = 11;

/// A signed hash: four private values, the first a byte, hash to the first public input, which
/// the key of the next two public inputs signs (the signature private).
#[derive(Debug, Clone)]
pub struct SignedHash {
    values: [Value<Fr>; 4],
    signature: [Value<Fr>; 3],
    key: [Value<Fr>; 2],
}

#[derive(Debug, Clone)]
pub struct SignedHashConfig {
    base: BaseColumns,
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
        let base = BaseColumns::configure(meta);
        let shared = SharedColumns::configure(meta, 8);
        SignedHashConfig {
            base,
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
                let values: Vec<Value<Fr>> = (self.values.iter())
                    .chain(&self.signature)
                    .chain(&self.key)
                    .copied()
                    .collect();
                let cells = config.base.witnesses(&mut layout, &values);
                let row = layout.take_rows(1);
                let enabled = layout.constant(Fr::ONE, config.base.witness, row)?;
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
        config.base.expose(&mut layouter, &public);
        Ok(())
    }
}

/// The SRS, the verifying key, a proof and its public inputs.
#[derive(Debug)]
pub struct SampleProof {
    /// An insecure SRS from a fixed seed (a test fixture).
    pub params: ParamsKZG<Bn256>,
    /// The circuit's verifying key.
    pub vk: VerifyingKey<G1Affine>,
    /// A proof (GWC openings, the EVM transcript).
    pub proof: Vec<u8>,
    /// Its public inputs: the hash and the signing key.
    pub instances: Vec<Fr>,
}

/// Makes the keys and a proof. Panics only on a bug of this fixture (its witness is fixed).
pub fn sample_proof() -> SampleProof {
    let values = [7u64, 1, 4, 1].map(zksettle_core::Fr::from);
    let hash = zksettle_core::poseidon::poseidon(&values).expect("four inputs are in range");
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
    let vk =
        keygen_vk(&params, &circuit.without_witnesses()).expect("the sample circuit fits 2^K rows");
    let pk = keygen_pk(&params, vk.clone(), &circuit).expect("the sample circuit fits 2^K rows");
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
    .expect("the sample witness satisfies the circuit");
    SampleProof {
        params,
        vk,
        proof: transcript.finalize(),
        instances,
    }
}
