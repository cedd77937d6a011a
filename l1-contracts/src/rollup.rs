//! The rollup contract, typed: deployment of the Poseidon, Verifier and Rollup contracts and
//! the proxy that is the rollup's address, and every call zksettle makes, over any [`Chain`].

use crate::batch_verifier::{BatchVerifierKey, VerifierProof};
use crate::bindings::{PoseidonT5, PoseidonT7, Rollup, RollupProxy};
use crate::chain::{Chain, ChainError, ChainLog, Receipt, TxRequest};
use crate::convert::{address, b256_of_fr, fr_of_b256, l1_address};
use crate::generate::KeyShapeError;
use alloy::primitives::{Address, Bytes, U256};
use alloy::sol_types::{SolCall, SolConstructor, SolEvent, SolInterface};
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
    /// The halo2 key does not fit the verifier's key contracts.
    #[error(transparent)]
    KeyParts(#[from] zksettle_halo2_evm::encoding::PartsError),
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

/// What a deployment needs. [`DeployConfig::new`] fills everything beyond the key, the genesis
/// and the window with development defaults; the contract refuses values that would leave
/// users unsafe (protocol §13).
#[derive(Debug, Clone)]
pub struct DeployConfig {
    /// The batch circuit's verifying key, of the deployment's proof system.
    pub verifying_key: BatchVerifierKey,
    /// Its hash as recorded with the keys; the deployment checks the verifier computes it too.
    pub vk_hash: [u8; 32],
    /// Root of the genesis state.
    pub genesis_root: Fr,
    /// The circuit shape.
    pub shape: BatchShape,
    /// Seconds a priority operation may wait before exodus can be triggered (at least a day,
    /// except on the local development chain ids 31337 and 1337).
    pub priority_window_seconds: u64,
    /// Seconds without a batch from an operator after which anyone may submit batches (below
    /// the window, so a permissionless prover can still process the queue).
    pub fallback_delay_seconds: u64,
    /// Seconds between scheduling an upgrade and executing it (above the window).
    pub upgrade_notice_seconds: u64,
    /// Seconds one batch takes to prove and land, as the deployer declares it: the contract
    /// checks that `max_priority_ops` can be processed after the fallback opens at that pace.
    pub batch_interval_seconds: u64,
    /// Most priority operations open at once (deposits may fill half).
    pub max_priority_ops: u64,
    /// Most forced exits open at once for one account index.
    pub max_forced_exits_per_index: u32,
    /// Wei each forced-exit request pays to the fee recipient.
    pub forced_exit_fee_wei: U256,
    /// Who governs, operates, guards and receives fees.
    pub roles: Roles,
}

/// The rollup's roles at deployment; `None` is the deploying account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Roles {
    /// Manages operators, guardian and fee recipient; schedules upgrades.
    pub governance: Option<Address>,
    /// The first operator (`Some(Address::ZERO)`: none until governance names one).
    pub operator: Option<Address>,
    /// May pause batch submission (`Some(Address::ZERO)`: no one).
    pub guardian: Option<Address>,
    /// Receives forced-exit fees.
    pub fee_recipient: Option<Address>,
}

impl DeployConfig {
    /// Batch interval [`DeployConfig::new`] declares: a minute, about what a devnet-sized batch
    /// takes to prove and land.
    pub const DEFAULT_BATCH_INTERVAL_SECONDS: u64 = 60;
    /// Open forced exits per account index [`DeployConfig::new`] allows: the owner needs one;
    /// the second lets it retry while a stranger's request on its index is open.
    pub const DEFAULT_MAX_FORCED_EXITS_PER_INDEX: u32 = 2;
    /// Forced-exit fee [`DeployConfig::new`] sets: 0.001 ether, well above what settling a
    /// forced exit's four chunks costs the operator in gas (a few thousand), small beside an
    /// owner's balance leaving; what a flood of them costs (protocol §13).
    pub const DEFAULT_FORCED_EXIT_FEE_WEI: u64 = 1_000_000_000_000_000;

    /// [`Self::new`] over the empty account tree of `shape`'s depth: the genesis of a fresh
    /// rollup.
    pub fn with_empty_genesis(
        verifying_key: BatchVerifierKey,
        vk_hash: [u8; 32],
        shape: BatchShape,
        priority_window_seconds: u64,
    ) -> Result<Self, zksettle_core::tree::TreeError> {
        let empty = zksettle_core::tree::AccountTree::open(
            zksettle_core::tree::MemoryStore::new(),
            shape.depth,
        )?;
        Ok(Self::new(
            verifying_key,
            vk_hash,
            empty.root()?,
            shape,
            priority_window_seconds,
        ))
    }

    /// A deployment with development defaults: the deployer holds every role; the fallback
    /// opens after half the window and an upgrade waits two windows; batches are declared to
    /// take [`Self::DEFAULT_BATCH_INTERVAL_SECONDS`]; the queue cap is the largest the contract
    /// accepts for those ([`Self::largest_queue`]).
    pub fn new(
        verifying_key: BatchVerifierKey,
        vk_hash: [u8; 32],
        genesis_root: Fr,
        shape: BatchShape,
        priority_window_seconds: u64,
    ) -> Self {
        let fallback_delay_seconds = priority_window_seconds / 2;
        let batch_interval_seconds = Self::DEFAULT_BATCH_INTERVAL_SECONDS;
        DeployConfig {
            verifying_key,
            vk_hash,
            genesis_root,
            shape,
            priority_window_seconds,
            fallback_delay_seconds,
            upgrade_notice_seconds: priority_window_seconds.saturating_mul(2),
            batch_interval_seconds,
            max_priority_ops: Self::largest_queue(
                &shape,
                priority_window_seconds,
                fallback_delay_seconds,
                batch_interval_seconds,
            ),
            max_forced_exits_per_index: Self::DEFAULT_MAX_FORCED_EXITS_PER_INDEX,
            forced_exit_fee_wei: U256::from(Self::DEFAULT_FORCED_EXIT_FEE_WEI),
            roles: Roles::default(),
        }
    }

    /// The most priority operations the contract lets open at once for these timings: the
    /// batches that fit between the fallback opening and the window closing, times the
    /// operations a batch holds when every one is as large as a deposit (protocol §13).
    pub fn largest_queue(
        shape: &BatchShape,
        priority_window_seconds: u64,
        fallback_delay_seconds: u64,
        batch_interval_seconds: u64,
    ) -> u64 {
        let per_batch = shape
            .op_chunks(zksettle_core::op::OP_DEPOSIT)
            .and_then(|deposit| shape.chunks.checked_div(deposit))
            .map_or(0, |n| u64::try_from(n).unwrap_or(u64::MAX));
        let batches = priority_window_seconds
            .saturating_sub(fallback_delay_seconds)
            .checked_div(batch_interval_seconds)
            .unwrap_or(0);
        batches.saturating_mul(per_batch)
    }
}

/// Addresses of a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    /// The rollup: the proxy, whose address is the domain of every commitment and signature.
    pub rollup: Address,
    /// The `Rollup` code the proxy runs at deployment.
    pub implementation: Address,
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

/// An upgrade governance has scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingUpgrade {
    /// The code that will be installed.
    pub implementation: Address,
    /// Unix time from which it may be.
    pub ready_at: u64,
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
    /// The proof as the deployment's verifier took it
    /// ([`crate::batch_verifier::VerifierProof`]).
    pub proof: Vec<u8>,
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

/// Transactions [`deploy`] sends before the proxy besides the verifier's (two Poseidons, the
/// rollup's code): the proxy is the deployer's contract created at its nonce plus these and
/// [`BatchVerifierKey::deploy_transactions`].
const TRANSACTIONS_BEFORE_PROXY: u64 = 3;

/// The address [`deploy`] gives the rollup of `key` when the deployer's next nonce is `nonce`:
/// what a batch or signature made before deployment must bind (protocol §10).
pub fn predicted_rollup_address(
    deployer: Address,
    nonce: u64,
    key: &BatchVerifierKey,
) -> Result<Address, L1Error> {
    Ok(deployer.create(nonce + TRANSACTIONS_BEFORE_PROXY + key.deploy_transactions()?))
}

/// Deploys the Poseidon contracts, the batch verifier for `config.verifying_key` (of its proof
/// system), the `Rollup` code and the `RollupProxy` that is the rollup (initialized in its
/// deploying transaction).
pub async fn deploy<C: Chain>(chain: &C, config: &DeployConfig) -> Result<Deployment, L1Error> {
    let poseidon4 = created(
        &chain
            .send(TxRequest::deploy(PoseidonT5::BYTECODE.clone()))
            .await?,
        "PoseidonT5",
    )?;
    let poseidon6 = created(
        &chain
            .send(TxRequest::deploy(PoseidonT7::BYTECODE.clone()))
            .await?,
        "PoseidonT7",
    )?;
    check_poseidon(chain, poseidon4, poseidon6).await?;
    if config.verifying_key.vk_hash() != config.vk_hash {
        return Err(L1Error::VerifyingKeyMismatch {
            expected: hex::encode(config.vk_hash),
            found: hex::encode(config.verifying_key.vk_hash()),
        });
    }
    let verifier = config.verifying_key.deploy(chain).await?;
    let implementation = deploy_code(chain, config, verifier, poseidon4, poseidon6).await?;
    let deployer = chain.sender();
    let role = |r: Option<Address>| r.unwrap_or(deployer);
    let initialization = Rollup::initializeCall {
        genesisRoot: b256_of_fr(&config.genesis_root),
        governance_: role(config.roles.governance),
        operator: role(config.roles.operator),
        guardian_: role(config.roles.guardian),
        feeRecipient_: role(config.roles.fee_recipient),
    };
    let init = [
        RollupProxy::BYTECODE.as_ref(),
        &RollupProxy::constructorCall {
            implementation,
            initialization: initialization.abi_encode().into(),
        }
        .abi_encode(),
    ]
    .concat();
    let receipt = chain
        .send(TxRequest::deploy(init))
        .await
        .map_err(L1Error::from_chain)?;
    let block = receipt.block_number;
    let rollup = created(&receipt, "RollupProxy")?;
    Ok(Deployment {
        rollup,
        implementation,
        verifier,
        poseidon4,
        poseidon6,
        block,
    })
}

/// Deploys new `Rollup` code for `deployment` (its verifier and Poseidon contracts, the
/// constants of `config`), to install with [`RollupClient::schedule_upgrade`] and
/// [`RollupClient::execute_upgrade`]. `config`'s genesis root and roles are not used: the state
/// stays the proxy's.
pub async fn deploy_implementation<C: Chain>(
    chain: &C,
    deployment: &Deployment,
    config: &DeployConfig,
) -> Result<Address, L1Error> {
    deploy_code(
        chain,
        config,
        deployment.verifier,
        deployment.poseidon4,
        deployment.poseidon6,
    )
    .await
}

/// Deploys the `Rollup` code with `config`'s constants.
async fn deploy_code<C: Chain>(
    chain: &C,
    config: &DeployConfig,
    verifier: Address,
    poseidon4: Address,
    poseidon6: Address,
) -> Result<Address, L1Error> {
    let params = Rollup::Params {
        verifier,
        expectedVkHash: config.vk_hash.into(),
        poseidon4,
        poseidon6,
        depth: config.shape.depth,
        chunks: U256::from(config.shape.chunks),
        feeSlots: U256::from(config.shape.fee_slots),
        priorityWindow: config.priority_window_seconds,
        fallbackDelay: config.fallback_delay_seconds,
        upgradeNotice: config.upgrade_notice_seconds,
        batchInterval: config.batch_interval_seconds,
        maxPriorityOps: config.max_priority_ops,
        maxForcedExitsPerIndex: config.max_forced_exits_per_index,
        forcedExitFee: config.forced_exit_fee_wei,
    };
    let init = [
        Rollup::BYTECODE.as_ref(),
        &Rollup::constructorCall { p: params }.abi_encode(),
    ]
    .concat();
    let receipt = chain
        .send(TxRequest::deploy(init))
        .await
        .map_err(L1Error::from_chain)?;
    created(&receipt, "Rollup")
}

/// The contract a deployment's receipt reports.
fn created(receipt: &Receipt, what: &'static str) -> Result<Address, L1Error> {
    receipt.contract_address.ok_or(L1Error::NotDeployed(what))
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
        Ok(deposit_of(&first_event::<Rollup::DepositQueued>(&receipt)?))
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
        Ok(deposit_of(&first_event::<Rollup::DepositQueued>(&receipt)?))
    }

    /// Asks for the balance of account `index` in `token` to be paid to the sender, paying the
    /// contract's forced-exit fee (read first).
    pub async fn request_forced_exit(
        &self,
        index: AccountIndex,
        token: TokenId,
    ) -> Result<PriorityOp, L1Error> {
        let fee = self.forced_exit_fee().await?;
        self.request_forced_exit_paying(index, token, fee).await
    }

    /// [`Self::request_forced_exit`] paying `fee` wei, whatever the contract asks.
    pub async fn request_forced_exit_paying(
        &self,
        index: AccountIndex,
        token: TokenId,
        fee: U256,
    ) -> Result<PriorityOp, L1Error> {
        let receipt = self
            .send(
                Rollup::requestForcedExitCall {
                    index: index.0,
                    token: token.0,
                },
                fee,
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
        proof: &(impl VerifierProof + ?Sized),
    ) -> Result<Receipt, L1Error> {
        self.send(
            Rollup::submitBatchCall {
                number,
                newRoot: b256_of_fr(new_root),
                pubdata: Bytes::copy_from_slice(pubdata),
                proof: proof.verifier_bytes(),
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

    /// Pays the sender's pending balance of `token` to `to` (when the sender's own address
    /// cannot receive it).
    pub async fn withdraw_to(&self, token: TokenId, to: Address) -> Result<Receipt, L1Error> {
        self.send(Rollup::withdrawToCall { token: token.0, to }, U256::ZERO)
            .await
    }

    /// Forced exits queued and not yet processed for account `index`.
    pub async fn open_forced_exits(&self, index: AccountIndex) -> Result<U256, L1Error> {
        self.read(Rollup::openForcedExitsCall(index.0)).await
    }

    /// Wei a forced-exit request must pay.
    pub async fn forced_exit_fee(&self) -> Result<U256, L1Error> {
        self.read(Rollup::forcedExitFeeCall {}).await
    }

    /// Governance: lets `operator` submit batches at any time, or no longer.
    pub async fn set_operator(&self, operator: Address, active: bool) -> Result<Receipt, L1Error> {
        self.send(
            Rollup::setOperatorCall {
                operator,
                active_: active,
            },
            U256::ZERO,
        )
        .await
    }

    /// Whether `account` is an operator.
    pub async fn is_operator(&self, account: Address) -> Result<bool, L1Error> {
        self.read(Rollup::isOperatorCall(account)).await
    }

    /// Governance: hands governance to `next`.
    pub async fn transfer_governance(&self, next: Address) -> Result<Receipt, L1Error> {
        self.send(Rollup::transferGovernanceCall { next }, U256::ZERO)
            .await
    }

    /// Governance: names the guardian (zero: none).
    pub async fn set_guardian(&self, guardian: Address) -> Result<Receipt, L1Error> {
        self.send(
            Rollup::setGuardianCall {
                guardian_: guardian,
            },
            U256::ZERO,
        )
        .await
    }

    /// Governance: names who receives forced-exit fees.
    pub async fn set_fee_recipient(&self, recipient: Address) -> Result<Receipt, L1Error> {
        self.send(Rollup::setFeeRecipientCall { recipient }, U256::ZERO)
            .await
    }

    /// The governance address.
    pub async fn governance(&self) -> Result<Address, L1Error> {
        self.read(Rollup::governanceCall {}).await
    }

    /// The guardian address (zero: none).
    pub async fn guardian(&self) -> Result<Address, L1Error> {
        self.read(Rollup::guardianCall {}).await
    }

    /// Who receives forced-exit fees.
    pub async fn fee_recipient(&self) -> Result<Address, L1Error> {
        self.read(Rollup::feeRecipientCall {}).await
    }

    /// Guardian: stops batch submission (and nothing else).
    pub async fn pause(&self) -> Result<Receipt, L1Error> {
        self.send(Rollup::pauseCall {}, U256::ZERO).await
    }

    /// Guardian: resumes batch submission.
    pub async fn unpause(&self) -> Result<Receipt, L1Error> {
        self.send(Rollup::unpauseCall {}, U256::ZERO).await
    }

    /// Whether batch submission is paused.
    pub async fn paused(&self) -> Result<bool, L1Error> {
        self.read(Rollup::pausedCall {}).await
    }

    /// Governance: announces `implementation` as the rollup's next code; it may be installed
    /// once the contract's upgrade notice has passed.
    pub async fn schedule_upgrade(&self, implementation: Address) -> Result<Receipt, L1Error> {
        self.send(
            Rollup::scheduleUpgradeCall {
                implementation_: implementation,
            },
            U256::ZERO,
        )
        .await
    }

    /// Governance: withdraws the scheduled upgrade.
    pub async fn cancel_upgrade(&self) -> Result<Receipt, L1Error> {
        self.send(Rollup::cancelUpgradeCall {}, U256::ZERO).await
    }

    /// Governance: installs the scheduled upgrade (after its notice, never in exodus).
    pub async fn execute_upgrade(&self) -> Result<Receipt, L1Error> {
        self.send(Rollup::executeUpgradeCall {}, U256::ZERO).await
    }

    /// The `Rollup` code the proxy runs.
    pub async fn implementation(&self) -> Result<Address, L1Error> {
        self.read(Rollup::implementationCall {}).await
    }

    /// The scheduled upgrade, if any.
    pub async fn pending_upgrade(&self) -> Result<Option<PendingUpgrade>, L1Error> {
        let implementation = self.read(Rollup::pendingImplementationCall {}).await?;
        if implementation == Address::ZERO {
            return Ok(None);
        }
        let ready_at = self.read(Rollup::upgradeReadyAtCall {}).await?;
        Ok(Some(PendingUpgrade {
            implementation,
            ready_at,
        }))
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

    /// The deployment's batch verifier (`IBatchVerifier`: Groth16's or halo2's).
    pub async fn verifier(&self) -> Result<Address, L1Error> {
        self.read(Rollup::verifierCall {}).await
    }

    /// The deployment's proof system, read from its verifier: `Halo2Verifier` answers
    /// `keyHash()`; the Groth16 `Verifier` has no such function, so the call reverts.
    pub async fn proof_system(&self) -> Result<crate::ProofSystem, L1Error> {
        let verifier = self.verifier().await?;
        let probe = crate::bindings::Halo2Verifier::keyHashCall {}.abi_encode();
        match self.chain.call(verifier, probe.into()).await {
            Ok(_) => Ok(crate::ProofSystem::Halo2),
            Err(ChainError::Reverted { .. }) => Ok(crate::ProofSystem::Groth16),
            Err(e) => Err(L1Error::Chain(e)),
        }
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
    /// (a batch submitted through another contract is in that call's trace, not its input);
    /// the contract refuses every other submission (`NotDirectCall`), so every verified batch
    /// decodes here.
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
        decode_submit_batch(&mined.input).map_err(|e| {
            L1Error::Decode(format!(
                "transaction {tx_hash} is not a submitBatch call: {e}"
            ))
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
            ops.extend(priority_op_of_log(&l.log));
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
            batches.extend(verified_batch_of_log(&l));
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
        .find_map(event::<E>)
        .ok_or_else(|| L1Error::Decode(format!("no {} event", E::SIGNATURE)))
}

/// Event `E` if `log` is its one ABI encoding. The contract emits nothing else; alloy's decoder,
/// validating or not, also takes dirty padding in a topic or trailing data, which would give
/// one event several logs.
fn event<E: SolEvent>(log: &alloy::primitives::Log) -> Option<E> {
    let e = E::decode_log_data(&log.data).ok()?;
    (e.encode_log_data() == log.data).then_some(e)
}

fn deposit_of(e: &Rollup::DepositQueued) -> PriorityOp {
    PriorityOp::Deposit {
        serial: e.serial,
        token: TokenId(e.token),
        amount: e.amount,
        packed_key: e.packedKey.0,
        l1_address: l1_address(e.l1Address),
        expiry: e.expiry,
    }
}

/// The priority operation a log records (`DepositQueued`, `ForcedExitQueued`), `None` for any
/// other log: what the node's watcher and `zksettle verify chain` read from L1. Decoded
/// strictly, as every event here: a log must be its event's one ABI encoding. Fuzzed by `zksettle-fuzz` (never
/// panics; what it decodes re-encodes to the same log).
pub fn priority_op_of_log(log: &alloy::primitives::Log) -> Option<PriorityOp> {
    if let Some(e) = event::<Rollup::DepositQueued>(log) {
        return Some(deposit_of(&e));
    }
    event::<Rollup::ForcedExitQueued>(log).map(|e| PriorityOp::ForcedExit {
        serial: e.serial,
        index: AccountIndex(e.index),
        token: TokenId(e.token),
        requester: l1_address(e.requester),
        expiry: e.expiry,
    })
}

/// The batch a `BatchVerified` log records, `None` for any other log; decoded strictly
/// and fuzzed as [`priority_op_of_log`].
pub fn verified_batch_of_log(l: &ChainLog) -> Option<VerifiedBatch> {
    let e = event::<Rollup::BatchVerified>(&l.log)?;
    Some(VerifiedBatch {
        number: e.number,
        old_root: fr_of_b256(&e.oldRoot),
        new_root: fr_of_b256(&e.newRoot),
        commitment: e.commitment,
        tx_hash: l.tx_hash,
        block_number: l.block_number,
    })
}

/// Decodes `submitBatch` calldata as the contract does: alloy's ABI decoder without the
/// canonical-encoding check, because the contract (Solidity's decoder) accepts some
/// non-canonical encodings too (trailing bytes, for one) and a batch L1 verified must be
/// followed, not refused; the values decoded are what the contract used. Fuzzed by
/// `zksettle-fuzz` (never panics, allocates at most the input's length).
pub fn decode_submit_batch(input: &[u8]) -> Result<BatchSubmission, alloy::sol_types::Error> {
    let call = Rollup::submitBatchCall::abi_decode(input)?;
    Ok(BatchSubmission {
        number: call.number,
        new_root: fr_of_b256(&call.newRoot),
        pubdata: call.pubdata.to_vec(),
        proof: call.proof.to_vec(),
    })
}
