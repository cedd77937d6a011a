//! The whole L2 state rebuilt from L1 data alone: `zksettle verify chain`.
//!
//! Starting from the genesis accounts (none, for a deployment with an empty genesis), each
//! batch's pubdata is replayed with the core's replay path (`zksettle_core::replay_batch`, the
//! same state rules as the sequencer's transition). For batch `n` the rebuild checks that
//!
//! - batches come as `1, 2, …` with none missing or out of order;
//! - the root before it is the root the rebuild reached, and the roots after it agree;
//! - its commitment, recomputed from the data, is the one the contract recorded;
//! - its deposits and forced exits are the queued L1 operations, in queue order;
//! - its proof verifies for that commitment under the deployment's key: Groth16 proofs all
//!   together, in chunks, by a random linear combination (a failing chunk is checked proof by
//!   proof to name the batch); halo2 proofs one by one, in parallel ([`crate::halo2`]). The key
//!   given must be of the deployment's proof system (read from its verifier contract).
//!
//! and, at the end, that the contract's batch count and root are the rebuilt ones. What is left
//! is the account set any holder can exit from, with no sequencer involved.

use crate::batch::Claim;
use crate::export::BatchProofData;
use crate::halo2::ProofChecker;
use crate::l1data::L1Record;
use alloy::primitives::U256;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use zksettle_core::field::fr_to_decimal;
use zksettle_core::stf::BatchError;
use zksettle_core::tree::TreeError;
use zksettle_core::{
    replay_batch, Account, AccountIndex, AccountTree, Fr, MemoryStore, PubdataOp, StfConfig,
    TokenId,
};
use zksettle_l1::PriorityOp;

/// Proofs checked per multi-pairing (the progress bar moves per chunk).
pub const PROOF_CHUNK: usize = 256;

/// One account of an account-set file: the `--accounts-out` export, and the genesis input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEntry {
    /// Leaf index.
    pub index: AccountIndex,
    /// The leaf.
    #[serde(flatten)]
    pub account: Account,
}

/// Why the chain does not rebuild. Every variant names the batch at fault.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// The verifying key is not the contract's.
    #[error("wrong verifying key: the contract checks key hash {contract}, the key given hashes to {key}")]
    WrongKeyHash {
        /// The contract's (hex).
        contract: String,
        /// The given key's (hex).
        key: String,
    },
    /// A batch belongs to another deployment (chain, contract, shape or key).
    #[error("batch {0} belongs to another deployment than the chain header")]
    ForeignBatch(u64),
    /// A batch number is skipped.
    #[error("batch {expected} is missing (the next batch found is {found})")]
    MissingBatch {
        /// The number expected.
        expected: u64,
        /// The number found instead.
        found: u64,
    },
    /// A batch comes after a later one, or twice.
    #[error("batch {found} is out of order: batch {expected} was expected at position {position}")]
    OutOfOrder {
        /// Position in the record.
        position: usize,
        /// The number expected.
        expected: u64,
        /// The number found.
        found: u64,
    },
    /// A genesis account holds a key no account can hold: off the curve, outside the
    /// prime-order subgroup, or otherwise not a valid key (only the identity, the locked key of
    /// protocol §7, is allowed besides valid keys). The circuit checks that a signer's key is on
    /// the curve, but a key such as (0, 0) in a genesis state would be a forgery waiting.
    #[error(
        "genesis account {index:?} holds a key that is neither a valid key nor the locked key"
    )]
    GenesisKey {
        /// The account's index.
        index: AccountIndex,
    },
    /// The genesis accounts do not reach the root the first batch starts from.
    #[error("the genesis state has root {genesis}, batch 1 starts from {recorded}")]
    GenesisRoot {
        /// The rebuilt genesis root (decimal).
        genesis: String,
        /// Batch 1's old root (decimal).
        recorded: String,
    },
    /// A batch starts from another root than the rebuild reached.
    #[error("batch {number} starts from root {recorded}, the rebuilt state has {rebuilt}")]
    OldRoot {
        /// Batch.
        number: u64,
        /// Its recorded old root (decimal).
        recorded: String,
        /// The rebuilt root (decimal).
        rebuilt: String,
    },
    /// The pubdata does not replay.
    #[error("batch {number}: its pubdata does not replay: {error}")]
    Replay {
        /// Batch.
        number: u64,
        /// Why.
        error: BatchError,
    },
    /// The pubdata replays to another root than the contract stored.
    #[error("batch {number}: its pubdata reaches root {replayed}, the contract stored {recorded}")]
    NewRoot {
        /// Batch.
        number: u64,
        /// The stored root (decimal).
        recorded: String,
        /// The replayed root (decimal).
        replayed: String,
    },
    /// The commitment of the data is not the one the contract checked the proof against.
    #[error("batch {number}: its data commits to {replayed}, the contract recorded {recorded}")]
    Commitment {
        /// Batch.
        number: u64,
        /// Recorded (decimal).
        recorded: String,
        /// Recomputed (decimal).
        replayed: String,
    },
    /// A deposit or forced exit in the pubdata is not the next queued L1 operation.
    #[error("batch {number}, op {position}: {reason}")]
    PriorityOp {
        /// Batch.
        number: u64,
        /// Position of the op in the batch.
        position: usize,
        /// What differs.
        reason: String,
    },
    /// A proof is not well-formed.
    #[error("batch {number}: malformed proof: {error}")]
    MalformedProof {
        /// Batch.
        number: u64,
        /// Why.
        error: crate::snarkjs::SnarkjsError,
    },
    /// Proofs that do not verify.
    #[error("invalid proofs for batches {0:?}")]
    InvalidProofs(Vec<u64>),
    /// The key given is of another proof system than the deployment's verifier.
    #[error("the deployment settles with {deployment}; the key given is a {key} key")]
    WrongSystem {
        /// The deployment's system.
        deployment: zksettle_l1::ProofSystem,
        /// The key's.
        key: zksettle_l1::ProofSystem,
    },
    /// A batch's proof is of another proof system than the deployment's.
    #[error("batch {0}: its proof is of another proof system than the deployment's")]
    ProofOfAnotherSystem(u64),
    /// The contract counts another number of batches than the record holds.
    #[error("the contract has verified {contract} batches, the record holds {found}")]
    BatchCount {
        /// The contract's batch number.
        contract: u64,
        /// Batches in the record.
        found: u64,
    },
    /// The rebuilt root is not the contract's.
    #[error("the rebuilt root {rebuilt} is not the contract's root {contract}")]
    FinalRoot {
        /// The contract's (decimal).
        contract: String,
        /// Rebuilt (decimal).
        rebuilt: String,
    },
    /// The tree failed (a genesis index out of range, for one).
    #[error(transparent)]
    Tree(#[from] TreeError),
}

/// What `verify chain` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// Batches replayed and verified.
    pub batches: u64,
    /// Proofs verified.
    pub proofs: usize,
    /// Priority operations the batches consumed.
    pub priority_ops: u64,
    /// The final root (equal to the contract's).
    #[serde(with = "zksettle_core::field::serde_decimal")]
    pub state_root: Fr,
    /// Accounts in the final state.
    pub accounts: usize,
    /// Per token, the sum of all balances (decimal).
    pub totals: BTreeMap<TokenId, String>,
}

/// A rebuilt chain: the state and the report.
#[derive(Debug)]
pub struct Rebuilt {
    /// The deployment.
    pub domain: zksettle_core::Domain,
    /// The account tree at the contract's root.
    pub tree: AccountTree<MemoryStore>,
    /// Every account, by index.
    pub accounts: BTreeMap<AccountIndex, Account>,
    /// The summary.
    pub report: ChainReport,
}

/// A step of a rebuild, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Batches replayed so far, of the total.
    Replay(u64, u64),
    /// Proofs verified so far, of the total.
    Proofs(u64, u64),
}

/// Rebuilds the chain in `record` from `genesis` and checks it (see the module docs).
pub fn rebuild(
    record: &L1Record,
    verifier: &ProofChecker,
    genesis: &[AccountEntry],
    progress: &(dyn Fn(Step) + Sync),
) -> Result<Rebuilt, RebuildError> {
    let header = &record.header;
    if verifier.system() != header.proof_system {
        return Err(RebuildError::WrongSystem {
            deployment: header.proof_system,
            key: verifier.system(),
        });
    }
    if verifier.key_hash() != &header.vk_hash {
        return Err(RebuildError::WrongKeyHash {
            contract: hex::encode(header.vk_hash),
            key: hex::encode(verifier.key_hash()),
        });
    }
    let config = StfConfig {
        domain: zksettle_core::Domain {
            chain_id: header.chain_id,
            rollup: header.rollup,
        },
        shape: header.shape,
    };
    let mut tree = AccountTree::open(MemoryStore::new(), header.shape.depth)?;
    if let Some(bad) = genesis.iter().find(|e| {
        !e.account.public_key.is_valid()
            && e.account.public_key.0 != zksettle_core::babyjubjub::Point::IDENTITY
    }) {
        return Err(RebuildError::GenesisKey { index: bad.index });
    }
    let mut touched: BTreeSet<AccountIndex> = genesis.iter().map(|e| e.index).collect();
    let updates: Vec<_> = genesis.iter().map(|e| (e.index, Some(e.account))).collect();
    tree.set_accounts(&updates)?;
    tree.commit()?;
    let mut queue = PriorityQueue::new(&header.priority_ops);
    let mut claims = Vec::with_capacity(record.batches.len());
    let total = record.batches.len() as u64;
    for (position, batch) in record.batches.iter().enumerate() {
        let expected = position as u64 + 1;
        if batch.number != expected {
            let expected_later = record.batches[position..]
                .iter()
                .any(|b| b.number == expected);
            return Err(if batch.number > expected && !expected_later {
                RebuildError::MissingBatch {
                    expected,
                    found: batch.number,
                }
            } else {
                RebuildError::OutOfOrder {
                    position,
                    expected,
                    found: batch.number,
                }
            });
        }
        let number = batch.number;
        if batch.chain_id != header.chain_id
            || batch.rollup != header.rollup
            || batch.shape != header.shape
            || batch.vk_hash != header.vk_hash
        {
            return Err(RebuildError::ForeignBatch(number));
        }
        let root = tree.root()?;
        if batch.old_root != root {
            return Err(if number == 1 {
                RebuildError::GenesisRoot {
                    genesis: fr_to_decimal(&root),
                    recorded: fr_to_decimal(&batch.old_root),
                }
            } else {
                RebuildError::OldRoot {
                    number,
                    recorded: fr_to_decimal(&batch.old_root),
                    rebuilt: fr_to_decimal(&root),
                }
            });
        }
        let replayed = replay_batch(&mut tree, &config, number, &batch.pubdata)
            .map_err(|error| RebuildError::Replay { number, error })?;
        if replayed.new_root != batch.new_root {
            return Err(RebuildError::NewRoot {
                number,
                recorded: fr_to_decimal(&batch.new_root),
                replayed: fr_to_decimal(&replayed.new_root),
            });
        }
        if replayed.commitment != batch.commitment {
            return Err(RebuildError::Commitment {
                number,
                recorded: fr_to_decimal(&batch.commitment),
                replayed: fr_to_decimal(&replayed.commitment),
            });
        }
        for (op_position, op) in replayed.ops.iter().enumerate() {
            queue
                .consume(op)
                .map_err(|reason| RebuildError::PriorityOp {
                    number,
                    position: op_position,
                    reason,
                })?;
            touched.extend(indices_of(op));
        }
        tree.commit()?;
        claims.push((replayed.commitment, &batch.proof));
        progress(Step::Replay(expected, total));
    }
    if header.batch_number != total {
        return Err(RebuildError::BatchCount {
            contract: header.batch_number,
            found: total,
        });
    }
    let state_root = tree.root()?;
    if state_root != header.state_root {
        return Err(RebuildError::FinalRoot {
            contract: fr_to_decimal(&header.state_root),
            rebuilt: fr_to_decimal(&state_root),
        });
    }
    verify_proofs(verifier, record, &claims, progress)?;

    let mut accounts = BTreeMap::new();
    let mut sums: BTreeMap<TokenId, U256> = BTreeMap::new();
    for index in touched {
        if let Some(account) = tree.account(index)? {
            *sums.entry(account.token).or_default() += U256::from(account.balance);
            accounts.insert(index, account);
        }
    }
    let report = ChainReport {
        batches: total,
        proofs: claims.len(),
        priority_ops: queue.consumed as u64,
        state_root,
        accounts: accounts.len(),
        totals: sums.into_iter().map(|(t, s)| (t, s.to_string())).collect(),
    };
    Ok(Rebuilt {
        domain: config.domain,
        tree,
        accounts,
        report,
    })
}

/// All proofs: Groth16's [`PROOF_CHUNK`] per multi-pairing, failing chunks checked one by
/// one; halo2's one by one, in parallel.
fn verify_proofs(
    verifier: &ProofChecker,
    record: &L1Record,
    claims: &[(Fr, &BatchProofData)],
    progress: &(dyn Fn(Step) + Sync),
) -> Result<(), RebuildError> {
    let mut invalid = Vec::new();
    let mut done = 0;
    for (chunk_index, chunk) in claims.chunks(PROOF_CHUNK).enumerate() {
        let offset = chunk_index * PROOF_CHUNK;
        let number = |i: usize| record.batches[offset + i].number;
        let located = match verifier {
            ProofChecker::Groth16(verifier) => {
                let mut groth16 = Vec::with_capacity(chunk.len());
                for (i, (commitment, proof)) in chunk.iter().enumerate() {
                    let BatchProofData::Groth16(proof) = proof else {
                        return Err(RebuildError::ProofOfAnotherSystem(number(i)));
                    };
                    groth16.push(Claim {
                        public: vec![*commitment],
                        proof: proof
                            .import()
                            .map_err(|error| RebuildError::MalformedProof {
                                number: number(i),
                                error,
                            })?,
                    });
                }
                verifier.locate_invalid(&groth16)
            }
            ProofChecker::Halo2(verifier) => {
                let mut halo2 = Vec::with_capacity(chunk.len());
                for (i, (commitment, proof)) in chunk.iter().enumerate() {
                    let BatchProofData::Halo2 { halo2: bytes } = proof else {
                        return Err(RebuildError::ProofOfAnotherSystem(number(i)));
                    };
                    halo2.push((*commitment, bytes.as_slice()));
                }
                verifier.locate_invalid(&halo2)
            }
        };
        invalid.extend(located.into_iter().map(number));
        done += chunk.len() as u64;
        progress(Step::Proofs(done, claims.len() as u64));
    }
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(RebuildError::InvalidProofs(invalid))
    }
}

/// Account indices an op writes.
fn indices_of(op: &PubdataOp) -> Vec<AccountIndex> {
    match *op {
        PubdataOp::Noop => vec![],
        PubdataOp::Deposit { to, .. } => vec![to],
        PubdataOp::Transfer { from, to, .. } | PubdataOp::TransferToNew { from, to, .. } => {
            vec![from, to]
        }
        PubdataOp::Withdraw { from, .. } => vec![from],
        PubdataOp::ForcedExit { index, .. } => vec![index],
    }
}

/// The L1 priority queue as the batches consume it.
struct PriorityQueue<'a> {
    ops: &'a [PriorityOp],
    consumed: usize,
}

impl<'a> PriorityQueue<'a> {
    fn new(ops: &'a [PriorityOp]) -> Self {
        PriorityQueue { ops, consumed: 0 }
    }

    /// Checks a pubdata op against the next queued operation if it is a priority op.
    fn consume(&mut self, op: &PubdataOp) -> Result<(), String> {
        if !op.is_priority() {
            return Ok(());
        }
        let Some(queued) = self.ops.get(self.consumed) else {
            return Err(format!(
                "a priority op beyond the {} queued on L1",
                self.ops.len()
            ));
        };
        let serial = queued.serial();
        match (op, queued) {
            (
                PubdataOp::Deposit {
                    token,
                    amount,
                    public_key,
                    l1_address,
                    ..
                },
                PriorityOp::Deposit {
                    token: q_token,
                    amount: q_amount,
                    packed_key,
                    l1_address: q_address,
                    ..
                },
            ) if token == q_token
                && amount == q_amount
                && &public_key.pack() == packed_key
                && l1_address == q_address => {}
            (
                PubdataOp::ForcedExit {
                    index,
                    token,
                    l1_address,
                    ..
                },
                PriorityOp::ForcedExit {
                    index: q_index,
                    token: q_token,
                    requester,
                    ..
                },
            ) if index == q_index && token == q_token && l1_address == requester => {}
            _ => {
                return Err(format!(
                    "{op:?} is not the queued priority op {serial}: {queued:?}"
                ))
            }
        }
        self.consumed += 1;
        Ok(())
    }
}
