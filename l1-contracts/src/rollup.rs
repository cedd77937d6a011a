//! The rollup contract, typed: deployment of the Poseidon, Verifier and Rollup contracts, and
//! every call zksettle makes, over any [`Chain`].

use crate::bindings::{PoseidonT5, PoseidonT7, Rollup, Verifier};
use crate::chain::{Chain, ChainError, ChainLog, Receipt, TxRequest};
use crate::convert::{address, b256_of_fr, fr_of_b256, l1_address, proof_words};
use crate::generate::{verifier_key_words, KeyShapeError};
use alloy::primitives::{Address, Bytes, U256};
use alloy::sol_types::{SolCall, SolConstructor, SolEvent, SolInterface};
use ark_bn254::Bn254;
use ark_groth16::{Proof, VerifyingKey};
use zksettle_core::babyjubjub::Point;
use zksettle_core::tree::MerklePath;
use zksettle_core::{Account, AccountIndex, BatchShape, Fr, L1Address, TokenId};

/// Why a rollup operation failed.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The contract refused with one of its errors.
    #[error("the rollup contract refused: {0:?}")]
    Rollup(Rollup::RollupErrors),
    /// The chain failed (or the contract reverted with data that is not a rollup error).
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The contract answered something zksettle cannot read.
    #[error("unexpected contract output: {0}")]
    Decode(String),
    /// The verifying key cannot be deployed.
    #[error(transparent)]
    KeyShape(#[from] KeyShapeError),
    /// The deployed verifier's key is not the one expected.
    #[error("verifying key hash mismatch: the verifier holds {found}, expected {expected}")]
    VerifyingKeyMismatch {
        /// Expected (hex).
        expected: String,
        /// Found (hex).
        found: String,
    },
    /// The deployed Poseidon contracts do not hash as the core does.
    #[error("the deployed Poseidon contracts disagree with the core's Poseidon")]
    PoseidonMismatch,
    /// A deployment did not create a contract.
    #[error("deployment of {0} created no contract")]
    NotDeployed(&'static str),
}

impl L1Error {
    /// Decodes a revert into the rollup's own error where it is one.
    fn from_chain(e: ChainError) -> Self {
        if let ChainError::Reverted { data } = &e {
            if let Ok(err) = Rollup::RollupErrors::abi_decode(data) {
                return L1Error::Rollup(err);
            }
        }
        L1Error::Chain(e)
    }
}

/// What a deployment needs.
#[derive(Debug, Clone)]
pub struct DeployConfig {
    /// The batch circuit's verifying key.
    pub verifying_key: VerifyingKey<Bn254>,
    /// Its hash as recorded with the keys; the deployment checks the verifier computes it too.
    pub vk_hash: [u8; 32],
    /// Root of the genesis state.
    pub genesis_root: Fr,
    /// The circuit shape.
    pub shape: BatchShape,
    /// Seconds a priority operation may wait before exodus can be triggered.
    pub priority_window_seconds: u64,
}

/// Addresses of a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    /// The rollup.
    pub rollup: Address,
    /// Its Groth16 verifier.
    pub verifier: Address,
    /// Poseidon of four elements (tree nodes).
    pub poseidon4: Address,
    /// Poseidon of six elements (leaves).
    pub poseidon6: Address,
    /// Block the rollup was deployed in (where event scans start).
    pub block: u64,
}

/// A priority operation as the contract queued it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PriorityOp {
    /// An L1 deposit.
    Deposit {
        /// Queue position.
        serial: u64,
        /// Token.
        token: TokenId,
        /// Amount.
        #[serde(with = "zksettle_core::serde_u128")]
        amount: u128,
        /// Key, circomlib-packed.
        packed_key: [u8; 32],
        /// L1 address of the account.
        l1_address: L1Address,
        /// Unix time after which exodus may start if it is still queued.
        expiry: u64,
    },
    /// A forced-exit request.
    ForcedExit {
        /// Queue position.
        serial: u64,
        /// Account index.
        index: AccountIndex,
        /// Token.
        token: TokenId,
        /// Requester, paid if it is the account's L1 address.
        requester: L1Address,
        /// Unix time after which exodus may start if it is still queued.
        expiry: u64,
    },
}

impl PriorityOp {
    /// Queue position.
    pub fn serial(&self) -> u64 {
        match self {
            PriorityOp::Deposit { serial, .. } | PriorityOp::ForcedExit { serial, .. } => *serial,
        }
    }
}

/// A batch the contract verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBatch {
    /// Batch number.
    pub number: u64,
    /// Root before.
    pub old_root: Fr,
    /// Root after.
    pub new_root: Fr,
    /// The public input the proof was checked against.
    pub commitment: U256,
    /// Transaction that submitted it (its calldata holds the pubdata).
    pub tx_hash: alloy::primitives::B256,
    /// Block.
    pub block_number: u64,
}

/// A `submitBatch` call as it was mined: what an auditor replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSubmission {
    /// Batch number.
    pub number: u64,
    /// Root claimed after the batch.
    pub new_root: Fr,
    /// The batch's pubdata.
    pub pubdata: Vec<u8>,
    /// The proof as the verifier took it: A, B (EIP-197 order), C, big-endian words.
    pub proof: [[u8; 32]; 8],
}

/// The exodus `exit` call for `account` at `path` (what an account holder sends, from any
/// wallet, once the rollup is in exodus).
pub fn exit_call(account: &Account, path: &MerklePath) -> Rollup::exitCall {
    let leaf = Rollup::Leaf {
        index: path.index.0,
        token: account.token.0,
        nonce: account.nonce,
        balance: account.balance,
        keyX: crate::convert::u256_of_fr(&account.public_key.0.x),
        keyY: crate::convert::u256_of_fr(&account.public_key.0.y),
        l1Address: address(account.l1_address),
    };
    let siblings = path
        .siblings
        .iter()
        .map(|level| level.map(|s| crate::convert::u256_of_fr(&s)))
        .collect();
    Rollup::exitCall { leaf, siblings }
}

/// Deploys the Poseidon contracts, the Verifier for `config.verifying_key` and the Rollup.
pub async fn deploy<C: Chain>(chain: &C, config: &DeployConfig) -> Result<Deployment, L1Error> {
    let words = verifier_key_words(&config.verifying_key)?.map(|w| U256::from_be_bytes(w));
    let created =
        |receipt: Receipt, what| receipt.contract_address.ok_or(L1Error::NotDeployed(what));
    let poseidon4 = created(
        chain
            .send(TxRequest::deploy(PoseidonT5::BYTECODE.clone()))
            .await?,
        "PoseidonT5",
    )?;
    let poseidon6 = created(
        chain
            .send(TxRequest::deploy(PoseidonT7::BYTECODE.clone()))
            .await?,
        "PoseidonT7",
    )?;
    check_poseidon(chain, poseidon4, poseidon6).await?;
    let init = [
        Verifier::BYTECODE.as_ref(),
        &Verifier::constructorCall { vk: words }.abi_encode(),
    ]
    .concat();
    let verifier = created(chain.send(TxRequest::deploy(init)).await?, "Verifier")?;
    let found = call_contract(chain, verifier, Verifier::vkHashCall {}).await?;
    if found.0 != config.vk_hash {
        return Err(L1Error::VerifyingKeyMismatch {
            expected: hex::encode(config.vk_hash),
            found: hex::encode(found),
        });
    }
    let init = [
        Rollup::BYTECODE.as_ref(),
        &Rollup::constructorCall {
            verifier_: verifier,
            expectedVkHash: config.vk_hash.into(),
            poseidon4_: poseidon4,
            poseidon6_: poseidon6,
            genesisRoot: b256_of_fr(&config.genesis_root),
            depth_: config.shape.depth,
            chunks_: U256::from(config.shape.chunks),
            feeSlots_: U256::from(config.shape.fee_slots),
            priorityWindow_: config.priority_window_seconds,
        }
        .abi_encode(),
    ]
    .concat();
    let receipt = chain
        .send(TxRequest::deploy(init))
        .await
        .map_err(L1Error::from_chain)?;
    let block = receipt.block_number;
    let rollup = created(receipt, "Rollup")?;
    Ok(Deployment {
        rollup,
        verifier,
        poseidon4,
        poseidon6,
        block,
    })
}

/// Calls `to` with `call` and decodes what it returns.
async fn call_contract<C: Chain, T: SolCall>(
    chain: &C,
    to: Address,
    call: T,
) -> Result<T::Return, L1Error> {
    let out = chain
        .call(to, call.abi_encode().into())
        .await
        .map_err(L1Error::from_chain)?;
    T::abi_decode_returns(&out).map_err(|e| L1Error::Decode(e.to_string()))
}

/// Exits hash with the deployed Poseidon contracts: they must agree with the core's Poseidon,
/// or every exit would fail against a valid root.
async fn check_poseidon<C: Chain>(chain: &C, four: Address, six: Address) -> Result<(), L1Error> {
    use zksettle_core::poseidon::poseidon;
    let inputs: Vec<Fr> = (1..=6u64).map(Fr::from).collect();
    let word = |i: u64| U256::from(i);
    let got4 = call_contract(
        chain,
        four,
        PoseidonT5::hashCall {
            inputs: [1u64, 2, 3, 4].map(word),
        },
    )
    .await?;
    let got6 = call_contract(
        chain,
        six,
        PoseidonT7::hashCall {
            inputs: [1u64, 2, 3, 4, 5, 6].map(word),
        },
    )
    .await?;
    let expected = |n: usize| poseidon(&inputs[..n]).map(|h| crate::convert::u256_of_fr(&h));
    if Ok(got4) != expected(4) || Ok(got6) != expected(6) {
        return Err(L1Error::PoseidonMismatch);
    }
    Ok(())
}

/// The rollup at `address` on `chain`.
#[derive(Debug, Clone)]
pub struct RollupClient<C> {
    chain: C,
    address: Address,
}

impl<C: Chain> RollupClient<C> {
    /// The rollup at `address`.
    pub fn new(chain: C, address: Address) -> Self {
        RollupClient { chain, address }
    }

    /// The contract address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The chain handle.
    pub fn chain(&self) -> &C {
        &self.chain
    }

    async fn send(&self, call: impl SolCall, value: U256) -> Result<Receipt, L1Error> {
        self.chain
            .send(TxRequest::call(self.address, call.abi_encode()).with_value(value))
            .await
            .map_err(L1Error::from_chain)
    }

    async fn read<T: SolCall>(&self, call: T) -> Result<T::Return, L1Error> {
        call_contract(&self.chain, self.address, call).await
    }

    /// Registers an ERC-20 and returns its token id.
    pub async fn register_token(&self, token: Address) -> Result<TokenId, L1Error> {
        let receipt = self
            .send(Rollup::registerTokenCall { token }, U256::ZERO)
            .await?;
        let event = first_event::<Rollup::TokenRegistered>(&receipt)?;
        Ok(TokenId(event.tokenId))
    }

    /// Deposits `amount` wei for `key`'s account held by `l1`.
    pub async fn deposit_eth(
        &self,
        key: &Point,
        l1: L1Address,
        amount: U256,
    ) -> Result<PriorityOp, L1Error> {
        let receipt = self
            .send(
                Rollup::depositEthCall {
                    keyX: crate::convert::u256_of_fr(&key.x),
                    keyY: crate::convert::u256_of_fr(&key.y),
                    l1Address: address(l1),
                },
                amount,
            )
            .await?;
        deposit_of(&first_event::<Rollup::DepositQueued>(&receipt)?)
    }

    /// Deposits `amount` of the ERC-20 `token` (approved beforehand).
    pub async fn deposit_erc20(
        &self,
        token: Address,
        amount: U256,
        key: &Point,
        l1: L1Address,
    ) -> Result<PriorityOp, L1Error> {
        let receipt = self
            .send(
                Rollup::depositErc20Call {
                    token,
                    amount,
                    keyX: crate::convert::u256_of_fr(&key.x),
                    keyY: crate::convert::u256_of_fr(&key.y),
                    l1Address: address(l1),
                },
                U256::ZERO,
            )
            .await?;
        deposit_of(&first_event::<Rollup::DepositQueued>(&receipt)?)
    }

    /// Asks for the balance of account `index` in `token` to be paid to the sender.
    pub async fn request_forced_exit(
        &self,
        index: AccountIndex,
        token: TokenId,
    ) -> Result<PriorityOp, L1Error> {
        let receipt = self
            .send(
                Rollup::requestForcedExitCall {
                    index: index.0,
                    token: token.0,
                },
                U256::ZERO,
            )
            .await?;
        let e = first_event::<Rollup::ForcedExitQueued>(&receipt)?;
        Ok(PriorityOp::ForcedExit {
            serial: e.serial,
            index: AccountIndex(e.index),
            token: TokenId(e.token),
            requester: l1_address(e.requester),
            expiry: e.expiry,
        })
    }

    /// Submits batch `number` with its pubdata and proof.
    pub async fn submit_batch(
        &self,
        number: u64,
        new_root: &Fr,
        pubdata: &[u8],
        proof: &Proof<Bn254>,
    ) -> Result<Receipt, L1Error> {
        self.send(
            Rollup::submitBatchCall {
                number,
                newRoot: b256_of_fr(new_root),
                pubdata: Bytes::copy_from_slice(pubdata),
                proof: proof_words(proof),
            },
            U256::ZERO,
        )
        .await
    }

    /// Pays the sender's pending balance of `token`.
    pub async fn withdraw(&self, token: TokenId) -> Result<Receipt, L1Error> {
        self.send(Rollup::withdrawCall { token: token.0 }, U256::ZERO)
            .await
    }

    /// Stops the rollup (only once a priority operation has expired).
    pub async fn activate_exodus(&self) -> Result<Receipt, L1Error> {
        self.send(Rollup::activateExodusCall {}, U256::ZERO).await
    }

    /// In exodus, pays `account` at `path` its balance against the last verified root.
    pub async fn exit(&self, account: &Account, path: &MerklePath) -> Result<Receipt, L1Error> {
        self.send(exit_call(account, path), U256::ZERO).await
    }

    /// In exodus, refunds an unprocessed deposit to its L1 address.
    pub async fn refund_deposit(&self, deposit: &PriorityOp) -> Result<Receipt, L1Error> {
        let PriorityOp::Deposit {
            serial,
            token,
            amount,
            packed_key,
            l1_address,
            ..
        } = deposit
        else {
            return Err(L1Error::Decode("only deposits are refunded".into()));
        };
        self.send(
            Rollup::refundDepositCall {
                serial: *serial,
                token: token.0,
                amount: *amount,
                packedKey: (*packed_key).into(),
                l1Address: address(*l1_address),
            },
            U256::ZERO,
        )
        .await
    }

    /// The root after the last verified batch.
    pub async fn state_root(&self) -> Result<Fr, L1Error> {
        Ok(fr_of_b256(&self.read(Rollup::stateRootCall {}).await?))
    }

    /// Number of the last verified batch.
    pub async fn batch_number(&self) -> Result<u64, L1Error> {
        self.read(Rollup::batchNumberCall {}).await
    }

    /// Whether exodus is active.
    pub async fn exodus(&self) -> Result<bool, L1Error> {
        self.read(Rollup::exodusCall {}).await
    }

    /// The verifying-key hash the rollup checks proofs with.
    pub async fn vk_hash(&self) -> Result<[u8; 32], L1Error> {
        Ok(self.read(Rollup::vkHashCall {}).await?.0)
    }

    /// The batch shape the contract was deployed for (depth, chunks, fee slots).
    pub async fn shape(&self) -> Result<BatchShape, L1Error> {
        let depth = self.read(Rollup::depthCall {}).await?;
        let chunks = self.read(Rollup::chunksCall {}).await?;
        let fee_slots = self.read(Rollup::feeSlotsCall {}).await?;
        let count = |v: U256| {
            usize::try_from(v).map_err(|_| L1Error::Decode(format!("shape count {v} too large")))
        };
        Ok(BatchShape {
            depth,
            chunks: count(chunks)?,
            fee_slots: count(fee_slots)?,
        })
    }

    /// The `submitBatch` call mined in `tx_hash`. The transaction must call the rollup directly
    /// (a batch submitted through another contract is in that call's trace, not its input).
    pub async fn batch_submission(
        &self,
        tx_hash: alloy::primitives::B256,
    ) -> Result<BatchSubmission, L1Error> {
        let mined = self
            .chain
            .transaction_input(tx_hash)
            .await?
            .ok_or_else(|| {
                L1Error::Decode(format!("the node does not know transaction {tx_hash}"))
            })?;
        if mined.to != Some(self.address) {
            return Err(L1Error::Decode(format!(
                "transaction {tx_hash} does not call the rollup directly"
            )));
        }
        let call = Rollup::submitBatchCall::abi_decode(&mined.input).map_err(|e| {
            L1Error::Decode(format!(
                "transaction {tx_hash} is not a submitBatch call: {e}"
            ))
        })?;
        Ok(BatchSubmission {
            number: call.number,
            new_root: fr_of_b256(&call.newRoot),
            pubdata: call.pubdata.to_vec(),
            proof: call.proof.map(|w| w.to_be_bytes()),
        })
    }

    /// `(head, tail)` of the priority queue: the first unprocessed serial and the next free one.
    pub async fn priority_queue(&self) -> Result<(u64, u64), L1Error> {
        Ok((
            self.read(Rollup::priorityHeadCall {}).await?,
            self.read(Rollup::priorityTailCall {}).await?,
        ))
    }

    /// What `owner` can withdraw of `token`.
    pub async fn pending_balance(&self, owner: Address, token: TokenId) -> Result<U256, L1Error> {
        self.read(Rollup::pendingBalanceCall {
            _0: owner,
            _1: token.0,
        })
        .await
    }

    /// Priority operations queued in blocks `from..=to`, in queue order.
    pub async fn priority_ops(&self, from: u64, to: u64) -> Result<Vec<PriorityOp>, L1Error> {
        let mut ops = Vec::new();
        for l in self.logs(from, to).await? {
            if let Ok(e) = Rollup::DepositQueued::decode_log(&l.log) {
                ops.push(deposit_of(&e.data)?);
            } else if let Ok(e) = Rollup::ForcedExitQueued::decode_log(&l.log) {
                ops.push(PriorityOp::ForcedExit {
                    serial: e.serial,
                    index: AccountIndex(e.index),
                    token: TokenId(e.token),
                    requester: l1_address(e.requester),
                    expiry: e.expiry,
                });
            }
        }
        ops.sort_by_key(PriorityOp::serial);
        Ok(ops)
    }

    /// Batches verified in blocks `from..=to`, in order.
    pub async fn verified_batches(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<VerifiedBatch>, L1Error> {
        let mut batches = Vec::new();
        for l in self.logs(from, to).await? {
            if let Ok(e) = Rollup::BatchVerified::decode_log(&l.log) {
                batches.push(VerifiedBatch {
                    number: e.number,
                    old_root: fr_of_b256(&e.oldRoot),
                    new_root: fr_of_b256(&e.newRoot),
                    commitment: e.commitment,
                    tx_hash: l.tx_hash,
                    block_number: l.block_number,
                });
            }
        }
        batches.sort_by_key(|b| b.number);
        Ok(batches)
    }

    async fn logs(&self, from: u64, to: u64) -> Result<Vec<ChainLog>, L1Error> {
        self.chain
            .logs(self.address, from, to)
            .await
            .map_err(L1Error::from_chain)
    }
}

fn first_event<E: SolEvent>(receipt: &Receipt) -> Result<E, L1Error> {
    receipt
        .logs
        .iter()
        .find_map(|l| E::decode_log(l).ok().map(|l| l.data))
        .ok_or_else(|| L1Error::Decode(format!("no {} event", E::SIGNATURE)))
}

fn deposit_of(e: &Rollup::DepositQueued) -> Result<PriorityOp, L1Error> {
    Ok(PriorityOp::Deposit {
        serial: e.serial,
        token: TokenId(e.token),
        amount: e.amount,
        packed_key: e.packedKey.0,
        l1_address: l1_address(e.l1Address),
        expiry: e.expiry,
    })
}
