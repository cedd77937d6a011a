//! An Ethereum chain in this process: revm executing the contracts' real bytecode over an
//! in-memory state, one block per transaction. `zksettle devnet` runs on it, so the whole system
//! works on a fresh machine with nothing else installed.

use crate::chain::{Chain, ChainError, ChainLog, MinedInput, Receipt, TxRequest};
use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use revm::context::result::{EVMError, ExecutionResult, InvalidTransaction};
use revm::context::{Context, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::handler::{MainnetContext, MainnetEvm};
use revm::primitives::hardfork::SpecId;
use revm::primitives::TxKind;
use revm::state::AccountInfo;
use revm::{DatabaseRef, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

type Evm = MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>;

/// Gas limit of every block and transaction (Ethereum mainnet's order of magnitude).
pub const BLOCK_GAS_LIMIT: u64 = 36_000_000;

/// The chain's state. The EVM itself is built per transaction around the database (revm's
/// context is not `Send`; building one costs microseconds), so the state can be shared across
/// threads.
struct State {
    db: CacheDB<EmptyDB>,
    chain_id: u64,
    block: u64,
    timestamp: u64,
    /// Seconds added to the wall clock by [`Chain::increase_time`].
    clock_offset: u64,
    logs: Vec<ChainLog>,
    /// What every mined transaction called, for [`Chain::transaction_input`].
    inputs: HashMap<B256, MinedInput>,
}

/// A handle on an in-process chain, sending from one account. Clones share the chain.
#[derive(Clone)]
pub struct EmbeddedChain {
    state: Arc<Mutex<State>>,
    sender: Address,
}

impl std::fmt::Debug for EmbeddedChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedChain")
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl EmbeddedChain {
    /// A new chain with id `chain_id` (Prague rules) whose genesis funds `accounts`; the handle
    /// sends from the first of them (or from the zero address if there are none).
    pub fn new(chain_id: u64, accounts: &[(Address, U256)]) -> Self {
        let mut db = CacheDB::<EmptyDB>::default();
        for (address, balance) in accounts {
            db.insert_account_info(*address, AccountInfo::from_balance(*balance));
        }
        let timestamp = now();
        EmbeddedChain {
            state: Arc::new(Mutex::new(State {
                db,
                chain_id,
                block: 0,
                timestamp,
                clock_offset: 0,
                logs: Vec::new(),
                inputs: HashMap::new(),
            })),
            sender: accounts.first().map_or(Address::ZERO, |(a, _)| *a),
        }
    }

    /// A handle on the same chain sending from `sender`.
    pub fn with_sender(&self, sender: Address) -> Self {
        EmbeddedChain {
            state: Arc::clone(&self.state),
            sender,
        }
    }

    /// Credits `amount` wei to `address` (development funding).
    pub fn fund(&self, address: Address, amount: U256) {
        let mut state = self.lock();
        let mut info = state
            .db
            .basic_ref(address)
            .ok()
            .flatten()
            .unwrap_or_default();
        info.balance = info.balance.saturating_add(amount);
        state.db.insert_account_info(address, info);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the EVM's committed state consistent: every
        // commit is one call.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn nonce(state: &State, address: Address) -> u64 {
        state
            .db
            .basic_ref(address)
            .ok()
            .flatten()
            .map_or(0, |a| a.nonce)
    }

    fn tx_env(state: &State, caller: Address, tx: &TxRequest) -> Result<TxEnv, ChainError> {
        TxEnv::builder()
            .caller(caller)
            .nonce(Self::nonce(state, caller))
            .gas_limit(BLOCK_GAS_LIMIT)
            .gas_price(0)
            .chain_id(Some(state.chain_id))
            .kind(tx.to.map_or(TxKind::Create, TxKind::Call))
            .value(tx.value)
            .data(tx.input.clone())
            .build()
            .map_err(|e| ChainError::Refused(Box::new(e)))
    }
}

impl State {
    /// An EVM over the state's database for a block at `number` and `timestamp`; the database
    /// must be put back with [`State::put_back`].
    fn evm(&mut self, number: u64, timestamp: u64) -> Evm {
        let chain_id = self.chain_id;
        Context::mainnet()
            .modify_cfg_chained(|cfg| {
                cfg.set_spec_and_mainnet_gas_params(SpecId::PRAGUE);
                cfg.chain_id = chain_id;
            })
            .modify_block_chained(|b| {
                b.number = U256::from(number);
                b.timestamp = U256::from(timestamp);
                b.basefee = 0;
                b.gas_limit = BLOCK_GAS_LIMIT;
            })
            .with_db(std::mem::take(&mut self.db))
            .build_mainnet()
    }

    fn put_back(&mut self, mut evm: Evm) {
        self.db = std::mem::take(&mut evm.ctx.journaled_state.database);
    }
}

fn refused(e: &EVMError<Infallible, InvalidTransaction>) -> ChainError {
    ChainError::Refused(Box::new(e.clone()))
}

fn outcome(
    result: ExecutionResult,
) -> Result<(u64, Vec<alloy::primitives::Log>, Bytes, Option<Address>), ChainError> {
    match result {
        ExecutionResult::Success { .. } => {
            let gas = result.tx_gas_used();
            let created = result.created_address();
            let output = result.output().cloned().unwrap_or_default();
            Ok((gas, result.into_logs(), output, created))
        }
        ExecutionResult::Revert { output, .. } => Err(ChainError::Reverted { data: output }),
        ExecutionResult::Halt { reason, .. } => Err(ChainError::Halted(format!("{reason:?}"))),
    }
}

impl Chain for EmbeddedChain {
    fn chain_id(&self) -> u64 {
        self.lock().chain_id
    }

    fn sender(&self) -> Address {
        self.sender
    }

    async fn send(&self, tx: TxRequest) -> Result<Receipt, ChainError> {
        let mut state = self.lock();
        let env = Self::tx_env(&state, self.sender, &tx)?;
        let tx_hash = keccak256(
            [
                self.sender.as_slice(),
                &env.nonce.to_be_bytes(),
                &state.chain_id.to_be_bytes(),
            ]
            .concat(),
        );
        // One block per transaction, its time the wall clock (plus any offset), never going
        // backwards.
        let block = state.block + 1;
        let timestamp = (now() + state.clock_offset).max(state.timestamp + 1);
        let mut evm = state.evm(block, timestamp);
        let result = evm.transact_commit(env).map_err(|e| refused(&e));
        state.put_back(evm);
        // A refused transaction mines no block; a reverted one does (and pays its gas).
        let result = result?;
        state.block = block;
        state.timestamp = timestamp;
        state.inputs.insert(
            tx_hash,
            MinedInput {
                to: tx.to,
                input: tx.input,
            },
        );
        let (gas_used, logs, _, contract_address) = outcome(result)?;
        state.logs.extend(logs.iter().map(|log| ChainLog {
            log: log.clone(),
            block_number: block,
            tx_hash,
        }));
        Ok(Receipt {
            tx_hash,
            block_number: block,
            gas_used,
            logs,
            contract_address,
        })
    }

    async fn call(&self, to: Address, input: Bytes) -> Result<Bytes, ChainError> {
        let mut state = self.lock();
        let env = Self::tx_env(&state, self.sender, &TxRequest::call(to, input))?;
        let (block, timestamp) = (state.block, state.timestamp);
        let mut evm = state.evm(block, timestamp);
        let result = evm.transact(env).map_err(|e| refused(&e));
        state.put_back(evm);
        outcome(result?.result).map(|(_, _, output, _)| output)
    }

    async fn logs(
        &self,
        address: Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<ChainLog>, ChainError> {
        Ok(self
            .lock()
            .logs
            .iter()
            .filter(|l| l.log.address == address && (from..=to).contains(&l.block_number))
            .cloned()
            .collect())
    }

    async fn transaction_input(&self, tx_hash: B256) -> Result<Option<MinedInput>, ChainError> {
        Ok(self.lock().inputs.get(&tx_hash).cloned())
    }

    async fn block_number(&self) -> Result<u64, ChainError> {
        Ok(self.lock().block)
    }

    /// The embedded chain never reorganizes: a block's hash is a function of its chain id and
    /// number.
    async fn block_hash(&self, number: u64) -> Result<Option<B256>, ChainError> {
        let head = self.lock().block;
        Ok((number <= head).then(|| {
            let mut preimage = [0u8; 16];
            preimage[..8].copy_from_slice(&self.chain_id().to_be_bytes());
            preimage[8..].copy_from_slice(&number.to_be_bytes());
            keccak256(preimage)
        }))
    }

    async fn balance(&self, address: Address) -> Result<U256, ChainError> {
        let state = self.lock();
        Ok(state
            .db
            .basic_ref(address)
            .ok()
            .flatten()
            .map_or(U256::ZERO, |a| a.balance))
    }

    async fn increase_time(&self, seconds: u64) -> Result<(), ChainError> {
        let mut state = self.lock();
        state.clock_offset += seconds;
        state.timestamp += seconds;
        Ok(())
    }
}
