//! The offline verifier on a real chain: after the end-to-end run, the whole state is rebuilt
//! from L1 data alone and checked against the contract; tampered records, batches and proofs are
//! refused with the fault named; the Solidity verifier and the offline verifier agree on a
//! shared list of valid and invalid proofs; and an account exits in exodus with the proof the
//! rebuild produced.

use crate::settlement::l2::user;
use alloy::primitives::{Address, U256};
use alloy::sol_types::{SolCall, SolEvent};
use zksettle_core::{AccountIndex, Fr};
use zksettle_l1::bindings::{Rollup, Verifier};
use zksettle_l1::convert::l1_address;
use zksettle_l1::{Chain, PriorityOp, RollupClient, TxRequest};
use zksettle_prover::BatchKeys;
use zksettle_verifier::{
    exit_proof, rebuild, BatchExport, BatchFileError, BatchProofData, BatchVerifier, L1Record,
    ProofChecker, RebuildError, Rebuilt, SnarkjsKey, SnarkjsProof,
};

fn no_progress(_: zksettle_verifier::Step) {}

fn rebuild_record(record: &L1Record, verifier: &BatchVerifier) -> Result<Rebuilt, RebuildError> {
    rebuild(record, &groth16_key(verifier), &[], &no_progress)
}

/// The Groth16 deployment's key as the rebuild and batch checks take it.
fn groth16_key(verifier: &BatchVerifier) -> ProofChecker {
    ProofChecker::Groth16(verifier.clone())
}

/// A Groth16 batch's snarkjs proof.
fn snarkjs_proof(batch: &mut BatchExport) -> &mut SnarkjsProof {
    match &mut batch.proof {
        BatchProofData::Groth16(proof) => proof,
        BatchProofData::Halo2 { .. } => panic!("a Groth16 deployment's batch"),
    }
}

/// Everything the offline verifier promises, on the chain the node just settled.
pub(crate) async fn audit<C: Chain + Clone>(
    operator: &C,
    rollup: Address,
    verifier_contract: Address,
    keys: &BatchKeys,
) {
    let client = RollupClient::new(operator.clone(), rollup);
    let verifier = BatchVerifier::new(keys.verifying_key());
    let record = L1Record::read(&client, 0, |_, _| {}).await.unwrap();
    let contract_root = client.state_root().await.unwrap();
    assert!(
        record.batches.len() >= 3,
        "{} batches",
        record.batches.len()
    );

    // The state rebuilt from L1 alone is the contract's, with the balances the node reported.
    let rebuilt = rebuild_record(&record, &verifier).unwrap();
    assert_eq!(rebuilt.report.state_root, contract_root);
    assert_eq!(rebuilt.report.batches, client.batch_number().await.unwrap());
    assert_eq!(rebuilt.report.proofs, record.batches.len());
    assert_eq!(rebuilt.report.priority_ops, 4);
    let balance = |i: u32| rebuilt.accounts[&AccountIndex(i)].balance;
    assert_eq!(
        [balance(1), balance(2), balance(3), balance(4)],
        [1 + 5, 1_000_000 - 5 * 1_001 - 2_000, 0, 500]
    );
    assert_eq!(rebuilt.report.accounts, 4);
    let total: u128 = (1..=4).map(balance).sum();
    assert_eq!(
        rebuilt.report.totals[&zksettle_core::TokenId(0)],
        total.to_string()
    );

    // The export directory holds the same record, and rebuilds the same.
    let dir = tempfile::tempdir().unwrap();
    record.write_dir(dir.path()).unwrap();
    let reread = L1Record::read_dir(dir.path()).unwrap();
    assert_eq!(reread, record);

    tampered_chains(&record, &verifier, keys);
    tampered_batches(&record.batches[1], &verifier);
    snarkjs_accepts_batch_proofs(&record.batches[1], &verifier);
    shared_proof_list(operator, verifier_contract, &record, &verifier).await;
    exodus_exit(operator, &client, &rebuilt).await;
}

fn tampered_chains(record: &L1Record, verifier: &BatchVerifier, keys: &BatchKeys) {
    let with = |change: &dyn Fn(&mut L1Record)| {
        let mut r = record.clone();
        change(&mut r);
        rebuild_record(&r, verifier).unwrap_err()
    };
    // A genesis account whose key is off the curve, (0, 0), under which a signature check
    // could be cheated, is refused before anything is replayed (review F7).
    let forged_key = zksettle_verifier::AccountEntry {
        index: AccountIndex(9),
        account: zksettle_core::Account::new(
            zksettle_core::TokenId(0),
            1,
            zksettle_core::PublicKey(zksettle_core::babyjubjub::Point {
                x: Fr::from(0u64),
                y: Fr::from(0u64),
            }),
            zksettle_core::L1Address([9; 20]),
        ),
    };
    assert!(matches!(
        rebuild(record, &groth16_key(verifier), &[forged_key], &no_progress),
        Err(RebuildError::GenesisKey {
            index: AccountIndex(9)
        })
    ));
    let missing = with(&|r| {
        r.batches.remove(1);
    });
    assert!(
        matches!(
            missing,
            RebuildError::MissingBatch {
                expected: 2,
                found: 3
            }
        ),
        "{missing}"
    );
    let reordered = with(&|r| r.batches.swap(1, 2));
    assert!(
        matches!(
            reordered,
            RebuildError::OutOfOrder {
                expected: 2,
                found: 3,
                ..
            }
        ),
        "{reordered}"
    );
    let truncated = with(&|r| {
        r.batches.pop();
    });
    assert!(
        matches!(truncated, RebuildError::BatchCount { .. }),
        "{truncated}"
    );
    let duplicated = with(&|r| {
        let again = r.batches[0].clone();
        r.batches.insert(1, again);
    });
    assert!(
        matches!(duplicated, RebuildError::OutOfOrder { .. }),
        "{duplicated}"
    );

    // Pubdata that does not reproduce the stored root: the batch is named. Flipping the last
    // byte of the first chunk changes a deposit's or transfer's amount bytes.
    let position = record
        .batches
        .iter()
        .position(|b| b.pubdata.iter().any(|&x| x != 0))
        .unwrap();
    let number = record.batches[position].number;
    let chunk = record.header.shape.chunk_bytes();
    let bad_pubdata = with(&|r| r.batches[position].pubdata[chunk - 1] ^= 1);
    assert!(
        matches!(
            bad_pubdata,
            RebuildError::NewRoot { number: n, .. } | RebuildError::Replay { number: n, .. }
                if n == number
        ),
        "{bad_pubdata}"
    );
    let bad_commitment = with(&|r| r.batches[position].commitment += Fr::from(1u64));
    assert!(
        matches!(bad_commitment, RebuildError::Commitment { number: n, .. } if n == number),
        "{bad_commitment}"
    );
    let bad_root = with(&|r| r.header.state_root += Fr::from(1u64));
    assert!(
        matches!(bad_root, RebuildError::FinalRoot { .. }),
        "{bad_root}"
    );
    // A proof of another batch: the data replays, the proof does not verify, and it is named.
    let last = record.batches.len() - 1;
    let swapped_proof = with(&|r| r.batches[last].proof = r.batches[0].proof.clone());
    let last_number = record.batches[last].number;
    assert!(
        matches!(&swapped_proof, RebuildError::InvalidProofs(n) if n == &[last_number]),
        "{swapped_proof}"
    );
    // A deposit the queue never held.
    let bad_queue = with(&|r| {
        if let PriorityOp::Deposit { amount, .. } = &mut r.header.priority_ops[1] {
            *amount += 1;
        }
    });
    assert!(
        matches!(bad_queue, RebuildError::PriorityOp { .. }),
        "{bad_queue}"
    );
    // Another key.
    let other_key = {
        let mut vk = keys.verifying_key().clone();
        vk.delta_g2 = vk.gamma_g2;
        BatchVerifier::new(&vk)
    };
    let wrong_key = rebuild_record(record, &other_key).unwrap_err();
    assert!(
        matches!(wrong_key, RebuildError::WrongKeyHash { .. }),
        "{wrong_key}"
    );
}

/// One batch, each field tampered in turn: each refusal names its fault.
fn tampered_batches(batch: &BatchExport, verifier: &BatchVerifier) {
    batch.verify(&groth16_key(verifier)).unwrap();
    let text = serde_json::to_string(batch).unwrap();
    assert_eq!(&BatchExport::from_json(&text).unwrap(), batch);
    let refused = |change: &dyn Fn(&mut BatchExport)| {
        let mut b = batch.clone();
        change(&mut b);
        b.verify(&groth16_key(verifier)).unwrap_err()
    };
    let commitment_moves: [&dyn Fn(&mut BatchExport); 6] = [
        &|b| b.chain_id += 1,
        &|b| b.rollup.0[19] ^= 1,
        &|b| b.number += 1,
        &|b| b.old_root += Fr::from(1u64),
        &|b| b.new_root += Fr::from(1u64),
        &|b| b.commitment += Fr::from(1u64),
    ];
    for change in commitment_moves {
        let e = refused(change);
        assert!(
            matches!(e, BatchFileError::CommitmentMismatch { .. }),
            "{e}"
        );
    }
    // The pubdata, moved with a commitment that matches it: the proof is what refuses.
    let e = refused(&|b| {
        let at = b.pubdata.len() - 1;
        b.pubdata[at] ^= 1;
        b.commitment = b.recomputed_commitment();
    });
    assert!(
        matches!(
            e,
            BatchFileError::InvalidProof(_) | BatchFileError::Pubdata(_)
        ),
        "{e}"
    );
    let e = refused(&|b| {
        b.pubdata.pop();
    });
    assert!(matches!(e, BatchFileError::Pubdata(_)), "{e}");
    let e = refused(&|b| b.vk_hash[0] ^= 1);
    assert!(matches!(e, BatchFileError::WrongKeyHash { .. }), "{e}");
    let proof_moves: [&dyn Fn(&mut BatchExport); 3] = [
        &|b| {
            let proof = snarkjs_proof(b);
            std::mem::swap(&mut proof.pi_a, &mut proof.pi_c);
        },
        &|b| snarkjs_proof(b).pi_b.swap(0, 1),
        &|b| snarkjs_proof(b).pi_c[1] = "1".into(),
    ];
    for change in proof_moves {
        let e = refused(change);
        assert!(
            matches!(
                e,
                BatchFileError::InvalidProof(_) | BatchFileError::MalformedProof(_)
            ),
            "{e}"
        );
    }
    let e =
        BatchExport::from_json(&text.replace("zksettle-batch/1", "zksettle-batch/9")).unwrap_err();
    assert!(matches!(e, BatchFileError::Malformed(_)), "{e}");
}

/// A real batch proof, exported in snarkjs' formats, passes `snarkjs groth16 verify`; with
/// another commitment it does not.
fn snarkjs_accepts_batch_proofs(batch: &BatchExport, verifier: &BatchVerifier) {
    use zksettle_verifier::snarkjs::export_public;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, value: &dyn erased::Json| {
        std::fs::write(dir.path().join(name), value.json()).unwrap();
    };
    write("verification_key.json", &SnarkjsKey::export(verifier.key()));
    write("proof.json", &batch.proof);
    write(
        "public.json",
        &export_public(&[batch.recomputed_commitment()]),
    );
    assert!(crate::snarkjs::snarkjs_verifies(dir.path()));
    write(
        "public.json",
        &export_public(&[batch.recomputed_commitment() + Fr::from(1u64)]),
    );
    assert!(!crate::snarkjs::snarkjs_verifies(dir.path()));
}

mod erased {
    /// Anything serialisable, behind a reference.
    pub(super) trait Json {
        fn json(&self) -> String;
    }

    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string_pretty(self).unwrap()
        }
    }
}

/// Valid and invalid proofs through the Solidity verifier and the offline verifier: both accept
/// exactly the valid ones.
async fn shared_proof_list<C: Chain>(
    chain: &C,
    verifier_contract: Address,
    record: &L1Record,
    verifier: &BatchVerifier,
) {
    let words = |b: &BatchExport| {
        let proof = snarkjs_proof(&mut b.clone()).import().unwrap();
        zksettle_prover::evm::proof_words(&proof)
    };
    let input =
        |b: &BatchExport| U256::from_be_bytes(zksettle_core::field::fr_to_be_bytes(&b.commitment));
    let p = U256::from_str_radix(
        "21888242871839275222246405745257275088696311157297823662689037894645226208583",
        10,
    )
    .unwrap();
    let r = U256::from_str_radix(
        "21888242871839275222246405745257275088548364400416034343698204186575808495617",
        10,
    )
    .unwrap();
    let (first, second) = (&record.batches[0], &record.batches[1]);
    let mut cases: Vec<(&str, [[u8; 32]; 8], U256, bool)> = vec![
        ("batch 1", words(first), input(first), true),
        ("batch 2", words(second), input(second), true),
        (
            "batch 1 proof, batch 2 input",
            words(first),
            input(second),
            false,
        ),
        (
            "input + 1",
            words(first),
            input(first) + U256::from(1),
            false,
        ),
        ("input + r", words(first), input(first) + r, false),
    ];
    let mut tweak = |what: &'static str, change: &dyn Fn(&mut [[u8; 32]; 8])| {
        let mut w = words(first);
        change(&mut w);
        cases.push((what, w, input(first), false));
    };
    tweak("A.y negated", &|w| {
        w[1] = (p - U256::from_be_bytes(w[1])).to_be_bytes();
    });
    tweak("A.x + p (non-canonical)", &|w| {
        w[0] = (U256::from_be_bytes(w[0]) + p).to_be_bytes();
    });
    tweak("A off the curve", &|w| w[1][31] ^= 1);
    tweak("B coordinates swapped", &|w| w.swap(2, 3));
    tweak("C = A", &|w| {
        w[6] = w[0];
        w[7] = w[1];
    });
    tweak("A at infinity", &|w| {
        w[0] = [0; 32];
        w[1] = [0; 32];
    });
    for (what, proof, public, valid) in cases {
        let call = Verifier::verifyProofCall {
            proof: proof.map(U256::from_be_bytes),
            input: public,
        };
        let solidity = chain
            .call(verifier_contract, call.abi_encode().into())
            .await
            .ok()
            .and_then(|out| Verifier::verifyProofCall::abi_decode_returns(&out).ok())
            .unwrap_or(false);
        // A public input at or above r is not a field element: refused before any pairing.
        let offline = match zksettle_core::field::fr_from_be_bytes(&public.to_be_bytes::<32>()) {
            Ok(public) => zksettle_verifier::SnarkjsProof::from_evm_words(&proof)
                .import()
                .is_ok_and(|proof| {
                    verifier.verify_one(&zksettle_verifier::Claim {
                        public: vec![public],
                        proof,
                    })
                }),
            Err(_) => false,
        };
        assert_eq!((solidity, offline), (valid, valid), "{what}");
    }
}

/// Exodus: a deposit left unprocessed past its window stops the rollup, and Alice exits her
/// account with the proof the rebuild made, sent as raw calldata from her wallet.
async fn exodus_exit<C: Chain + Clone>(operator: &C, client: &RollupClient<C>, rebuilt: &Rebuilt) {
    let proof = exit_proof(rebuilt, AccountIndex(2)).unwrap();
    assert_eq!(proof.root, client.state_root().await.unwrap());
    client
        .deposit_eth(
            &user(9).public_key().0,
            l1_address(operator.sender()),
            U256::from(7),
        )
        .await
        .unwrap();
    operator.increase_time(3600 + 60).await.unwrap();
    client.activate_exodus().await.unwrap();
    let alice = rebuilt.accounts[&AccountIndex(2)];
    let owner = Address::from(alice.l1_address.0);
    let before = client.pending_balance(owner, alice.token).await.unwrap();
    let receipt = operator
        .send(TxRequest::call(client.address(), proof.calldata.clone()))
        .await
        .unwrap();
    let exited = receipt
        .logs
        .iter()
        .find_map(|l| Rollup::Exited::decode_log(l).ok())
        .expect("an Exited event");
    assert_eq!((exited.index, exited.balance), (2, alice.balance));
    assert_eq!(
        client.pending_balance(owner, alice.token).await.unwrap(),
        before + U256::from(alice.balance)
    );
    // No account exits twice.
    assert!(operator
        .send(TxRequest::call(client.address(), proof.calldata))
        .await
        .is_err());
}
