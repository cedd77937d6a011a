use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use std::sync::{Mutex, OnceLock};
use zksettle_core::stf::{apply_batch, BatchInput, StfConfig};
use zksettle_core::tree::{AccountTree, MemoryStore};
use zksettle_core::{AccountIndex, BatchShape, Domain, ForcedExit, Fr, Op, TokenId, Tx, Withdraw};
use zksettle_prover::qap::Reduction;
use zksettle_prover::{
    verify, BatchKeys, BatchProof, BatchProver, KeyError, KeyStore, Progress, ProverError,
    ProverPool,
};

/// Depth 8 keeps the circuit small: a deposit takes 10 chunks of 8 bytes.
pub(crate) const SHAPE: BatchShape = BatchShape {
    depth: 8,
    chunks: 10,
    fee_slots: 1,
};

pub(crate) use zksettle_test_support::{addr, domain, key};

pub(crate) fn keys() -> &'static (tempfile::TempDir, BatchKeys) {
    static KEYS: OnceLock<(tempfile::TempDir, BatchKeys)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let phases = Mutex::new(Vec::new());
        let keys = KeyStore::new(dir.path())
            .load_or_setup_with_progress(SHAPE, b"zksettle tests", &|p: Progress| {
                phases.lock().unwrap().push((p.phase, p.fraction))
            })
            .unwrap();
        let phases = phases.into_inner().unwrap();
        let names: Vec<_> = phases.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["setup", "hash", "write", "done"]);
        assert!(phases.windows(2).all(|w| w[0].1 <= w[1].1));
        (dir, keys)
    })
}

use zksettle_test_support::native_transfer as transfer;

/// A deposit of 1,000,000 of the native token.
fn deposit(to: u32, owner: u8) -> Op {
    zksettle_test_support::deposit(to, 0, 1_000_000, owner)
}

#[test]
fn every_op_type_is_proven_and_verified() {
    let (_, keys) = keys();
    assert!(keys.insecure);
    let config = StfConfig {
        domain: domain(),
        shape: SHAPE,
    };
    let mut tree = AccountTree::open(MemoryStore::new(), SHAPE.depth).unwrap();
    let withdraw = |nonce| {
        let w = Withdraw {
            from: AccountIndex(2),
            token: TokenId(0),
            amount: 777,
            fee: 0,
            nonce,
            to_l1_address: addr(2),
        };
        Op::Withdraw {
            withdraw: w,
            signature: Tx::Withdraw(w).sign(&key(2), &domain()).signature,
        }
    };
    let batches: Vec<(Vec<Op>, Vec<u32>)> = vec![
        (vec![deposit(1, 1)], vec![]),
        (vec![deposit(2, 2)], vec![]),
        (
            vec![
                transfer(1, 1, 2, 2, 500, 0, 0),
                transfer(1, 1, 9, 4, 1_000, 0, 1),
            ],
            vec![],
        ),
        (vec![withdraw(0), transfer(2, 2, 1, 1, 5, 0, 1)], vec![]),
        (
            vec![Op::ForcedExit(ForcedExit {
                index: AccountIndex(9),
                token: TokenId(0),
                requester: addr(4),
            })],
            vec![],
        ),
    ];
    // The state transition runs batch after batch; the proofs then run two at a time.
    let mut applied_batches = Vec::new();
    for (number, (ops, recipients)) in batches.into_iter().enumerate() {
        let input = BatchInput {
            number: number as u64 + 1,
            ops,
            fee_recipients: recipients.into_iter().map(AccountIndex).collect(),
        };
        let applied = apply_batch(&mut tree, &config, &input).unwrap();
        assert!(
            applied.rejected.is_empty(),
            "batch {number}: {:?}",
            applied.rejected
        );
        tree.commit().unwrap();
        applied_batches.push(applied);
    }
    let pool = ProverPool::new(keys.clone(), domain(), 2, 2).unwrap();
    assert_eq!(pool.workers(), 2);
    let witnesses: Vec<_> = applied_batches.iter().map(|a| a.witness.clone()).collect();
    let phases = Mutex::new(vec![Vec::new(); witnesses.len()]);
    let proofs = pool.prove_all(&witnesses, &|job, p: Progress| {
        phases.lock().unwrap()[job].push(p.phase)
    });
    for (applied, proof) in applied_batches.iter().zip(proofs) {
        let proof = proof.unwrap();
        assert_eq!(proof.commitment, applied.commitment());
        assert!(verify(keys.verifying_key(), &proof).unwrap());
        // The proof is bound to its public input.
        let wrong = BatchProof {
            commitment: proof.commitment + Fr::from(1u64),
            ..proof.clone()
        };
        assert!(!verify(keys.verifying_key(), &wrong).unwrap());

        let mut bytes = Vec::new();
        proof.serialize_compressed(&mut bytes).unwrap();
        assert_eq!(
            BatchProof::deserialize_compressed(&bytes[..]).unwrap(),
            proof
        );
    }
    for batch_phases in phases.into_inner().unwrap() {
        assert_eq!(batch_phases, ["witness", "prove", "verify", "done"]);
    }
}

#[test]
fn a_witness_that_does_not_satisfy_the_circuit_is_refused() {
    let (_, keys) = keys();
    let prover = BatchProver::new(keys.clone(), domain()).unwrap();
    let config = StfConfig {
        domain: domain(),
        shape: SHAPE,
    };
    let mut tree = AccountTree::open(MemoryStore::new(), SHAPE.depth).unwrap();
    let applied = apply_batch(
        &mut tree,
        &config,
        &BatchInput {
            number: 1,
            ops: vec![deposit(3, 3)],
            fee_recipients: vec![],
        },
    )
    .unwrap();
    let mut witness = applied.witness.clone();
    witness.old_root += Fr::from(1u64);
    assert!(matches!(
        prover.prove(&witness, &|_| {}),
        Err(ProverError::Unsatisfied(_))
    ));
    // Another deployment's prover makes a different commitment from the same witness.
    let other = BatchProver::new(
        keys.clone(),
        Domain {
            chain_id: 1,
            ..domain()
        },
    )
    .unwrap();
    assert!(matches!(
        other.prove(&applied.witness, &|_| {}),
        Err(ProverError::Unsatisfied(_))
    ));
}

#[test]
fn key_files_round_trip_and_a_tampered_verifying_key_is_refused() {
    let (dir, keys) = keys();
    let store = KeyStore::new(dir.path());
    let path = store.path(SHAPE, b"zksettle tests").unwrap();
    assert!(path.to_string_lossy().contains("insecure-dev"));
    // Named for the circuit this build synthesizes: keys of an older circuit are never loaded.
    let digest = zksettle_prover::ShapeConstraints::of(SHAPE)
        .unwrap()
        .digest();
    assert_eq!(
        digest,
        zksettle_prover::ShapeConstraints::of(SHAPE)
            .unwrap()
            .digest()
    );
    assert!(path
        .to_string_lossy()
        .contains(&format!("-c{}-", hex::encode(&digest[..6]))));
    let loaded = store.load_or_setup(SHAPE, b"zksettle tests").unwrap();
    assert_eq!(loaded.vk_hash, keys.vk_hash);
    assert_eq!(loaded.proving_key, keys.proving_key);

    let mut bytes = std::fs::read(&path).unwrap();
    let copy = dir.path().join("tampered.pk");
    bytes[24] ^= 1; // the recorded hash
    std::fs::write(&copy, &bytes).unwrap();
    assert!(matches!(
        BatchKeys::read(&copy, SHAPE),
        Err(KeyError::VerifyingKeyMismatch { .. })
    ));
    std::fs::write(&copy, b"not a key").unwrap();
    assert!(matches!(
        BatchKeys::read(&copy, SHAPE),
        Err(KeyError::Io { .. } | KeyError::NotAKeyFile(_))
    ));
}

/// The third of three batches (two deposits, then a transfer paying a fee): its witness.
pub(crate) fn a_transfer_batch() -> zksettle_core::stf::BatchWitness {
    let config = StfConfig {
        domain: domain(),
        shape: SHAPE,
    };
    let mut tree = AccountTree::open(MemoryStore::new(), SHAPE.depth).unwrap();
    let mut applied = None;
    for (number, (ops, recipients)) in [
        (vec![deposit(1, 1)], vec![]),
        (vec![deposit(2, 2)], vec![]),
        (vec![transfer(1, 1, 2, 2, 500, 3, 0)], vec![AccountIndex(2)]),
    ]
    .into_iter()
    .enumerate()
    {
        let input = BatchInput {
            number: number as u64 + 1,
            ops,
            fee_recipients: recipients,
        };
        let batch = apply_batch(&mut tree, &config, &input).unwrap();
        assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
        tree.commit().unwrap();
        applied = Some(batch);
    }
    applied.unwrap().witness
}

#[test]
fn the_msm_prover_makes_the_proof_arkworks_makes_bit_for_bit() {
    use ark_bn254::Bn254;
    use ark_groth16::Groth16;
    use ark_snark::SNARK;
    use zksettle_circuits::{BatchAssignment, BatchCircuit};
    use zksettle_prover::groth16::{create_proof, Groth16Error, MsmBackends};
    use zksettle_prover::{ArkMsm, KeyTables, MsmError, Pippenger, ShapeConstraints};

    let (_, keys) = keys();
    let witness = a_transfer_batch();
    let assignment = BatchAssignment::from_witness(SHAPE, domain(), &witness).unwrap();
    let commitment = assignment.commitment;
    let z = BatchCircuit { assignment }
        .full_assignment()
        .unwrap()
        .concatenated();
    let shape = ShapeConstraints::of(SHAPE).unwrap();
    let instance = shape.instance(&z);
    let pk = &keys.proving_key;
    // Fixed randomisers, so the three provers must agree exactly.
    let (r, s) = (Fr::from(0x5eed_u64), -Fr::from(12_345_u64));
    let reference = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
        pk,
        r,
        s,
        instance.matrices,
        instance.instance_variables,
        instance.constraints,
        &z,
    )
    .unwrap();
    let pippenger = Pippenger::default();
    let ours = create_proof(
        MsmBackends {
            g1: &pippenger,
            g2: &pippenger,
            key_g1: None,
        },
        pk,
        Reduction::Libsnark,
        None,
        r,
        s,
        instance,
    )
    .unwrap();
    let with_ark_msm = create_proof(
        MsmBackends {
            g1: &ArkMsm,
            g2: &ArkMsm,
            key_g1: None,
        },
        pk,
        Reduction::Libsnark,
        None,
        r,
        s,
        instance,
    )
    .unwrap();
    assert_eq!(ours, reference);
    assert_eq!(with_ark_msm, reference);
    // Every query on a fixed-base table, then a budget that fits only some of them.
    let backends = MsmBackends {
        g1: &pippenger,
        g2: &pippenger,
        key_g1: None,
    };
    let all = KeyTables::build(pk, usize::MAX, 2).unwrap();
    assert_eq!(all.queries(), 5);
    let budget = all.memory_bytes() / 3;
    let some = KeyTables::build(pk, budget, 2).unwrap();
    assert!(
        (1..5).contains(&some.queries()) && some.memory_bytes() <= budget,
        "{some:?}"
    );
    for tables in [&all, &some] {
        let with_tables = create_proof(
            backends,
            pk,
            Reduction::Libsnark,
            Some(tables),
            r,
            s,
            instance,
        )
        .unwrap();
        assert_eq!(with_tables, reference);
    }
    assert!(Groth16::<Bn254>::verify(keys.verifying_key(), &[commitment], &ours).unwrap());

    // A key for other matrices is refused by name, not proven against.
    let mut short = pk.clone();
    short.l_query.pop();
    let backends = MsmBackends {
        g1: &pippenger,
        g2: &pippenger,
        key_g1: None,
    };
    assert!(matches!(
        create_proof(backends, &short, Reduction::Libsnark, None, r, s, instance),
        Err(Groth16Error::KeyMismatch(MsmError::LengthMismatch { .. }))
    ));
}
