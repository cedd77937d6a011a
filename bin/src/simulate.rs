//! `zksettle simulate`: the batch state transition under signed random traffic, on RocksDB,
//! followed by a rebuild of the whole state from pubdata alone.

use super::proof_system::{SystemArgs, SystemKeys};
use super::prove::{prove_batches, prove_halo2_batches};
use super::prover::KeyArgs;
use clap::Args;
use eyre::{bail, ensure, WrapErr};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use zksettle_core::field::fr_to_decimal;
use zksettle_core::op::PubdataOp;
use zksettle_core::stf::{apply_batch, replay_batch, BatchInput, OpError, StfConfig};
use zksettle_core::tree::{AccountTree, RocksStore};
use zksettle_core::{
    AccountIndex, BatchShape, Deposit, Domain, Fr, L1Address, MemoryStore, Op, PrivateKey, TokenId,
    Transfer, Tx, Withdraw,
};

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// Number of user accounts opened by deposits before the traffic starts.
    #[arg(
        long = "sim.accounts",
        default_value_t = 64,
        env = "ZKSETTLE_SIM_ACCOUNTS"
    )]
    accounts: u32,
    /// Number of batches of transfers and withdrawals after the deposits.
    #[arg(
        long = "sim.batches",
        default_value_t = 20,
        env = "ZKSETTLE_SIM_BATCHES"
    )]
    batches: u64,
    /// Seed of the deterministic traffic generator.
    #[arg(long = "sim.seed", default_value_t = 1, env = "ZKSETTLE_SIM_SEED")]
    seed: u64,
    /// Batch capacity in chunks (one chunk holds one transfer between existing accounts).
    #[arg(
        long = "batch.chunks",
        default_value_t = 64,
        env = "ZKSETTLE_BATCH_CHUNKS"
    )]
    chunks: usize,
    /// Account tree depth in index bits (even, 2–32).
    #[arg(long = "tree.depth", default_value_t = 24, env = "ZKSETTLE_TREE_DEPTH")]
    depth: u8,
    /// RocksDB directory for the tree (must not hold a tree yet); a temporary one if omitted.
    #[arg(long = "db.path", env = "ZKSETTLE_DB_PATH")]
    db: Option<PathBuf>,
    /// Also prove every batch (with `--prover.system`; development keys unless given a
    /// ceremony's) and verify the proofs.
    #[arg(long = "prove", env = "ZKSETTLE_PROVE")]
    prove: bool,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    system: SystemArgs,
}

const OPERATOR: u32 = 0;
const FEE_ACCOUNTS: [AccountIndex; 2] = [AccountIndex(1), AccountIndex(2)];

fn user_key(seed: u64, user: u32) -> PrivateKey {
    let digest = Sha256::new()
        .chain_update(b"zksettle-sim")
        .chain_update(seed.to_be_bytes())
        .chain_update(user.to_be_bytes())
        .finalize();
    PrivateKey::from_bytes(digest.into())
}

fn user_address(user: u32) -> L1Address {
    let mut a = [0u8; 20];
    a[0] = 0xee;
    a[16..].copy_from_slice(&user.to_be_bytes());
    L1Address(a)
}

#[derive(Debug, Default)]
struct Stats {
    included: BTreeMap<&'static str, u64>,
    rejected: BTreeMap<String, u64>,
    stf_time: Duration,
    pubdata_bytes: u64,
}

fn kind(op: &PubdataOp) -> &'static str {
    match op {
        PubdataOp::Noop => "noop",
        PubdataOp::Deposit { .. } => "deposit",
        PubdataOp::Transfer { .. } => "transfer",
        PubdataOp::TransferToNew { .. } => "transfer_to_new",
        PubdataOp::Withdraw { .. } => "withdraw",
        PubdataOp::ForcedExit { .. } => "forced_exit",
    }
}

fn reason(e: &OpError) -> String {
    format!("{e:?}")
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn run(args: &SimulateArgs) -> eyre::Result<()> {
    ensure!(args.accounts >= 1, "--sim.accounts must be at least 1");
    let deposit_chunks = BatchShape {
        depth: args.depth,
        chunks: args.chunks,
        fee_slots: 2,
    }
    .op_chunks(zksettle_core::op::OP_DEPOSIT)
    .unwrap_or(usize::MAX);
    ensure!(
        args.chunks >= deposit_chunks,
        "--batch.chunks must be at least {deposit_chunks} (one deposit at depth {})",
        args.depth
    );
    let temp;
    let db_path = match &args.db {
        Some(p) => p.clone(),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let store =
        RocksStore::open(&db_path).wrap_err_with(|| format!("opening {}", db_path.display()))?;
    let mut tree = AccountTree::open(store, args.depth)?;
    if tree.highest_index()?.0 != 0 {
        bail!(
            "{} already holds a tree; simulate starts from an empty one",
            db_path.display()
        );
    }
    ensure!(
        u64::from(args.accounts) + 3 < tree.capacity(),
        "--sim.accounts does not fit a tree of depth {}",
        args.depth
    );
    let genesis_root = tree.root()?;
    let config = StfConfig {
        domain: Domain {
            chain_id: 31337,
            rollup: L1Address([0x5e; 20]),
        },
        shape: BatchShape {
            depth: args.depth,
            chunks: args.chunks,
            fee_slots: 2,
        },
    };
    println!(
        "zksettle simulate: {} accounts, {} traffic batches of {} chunks, tree depth {}",
        args.accounts, args.batches, args.chunks, args.depth
    );
    println!("  database: {}", db_path.display());
    println!("  genesis root: {}", fr_to_decimal(&genesis_root));

    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);
    let keys: Vec<PrivateKey> = (0..=args.accounts)
        .map(|u| user_key(args.seed, u))
        .collect();
    let mut owners: HashMap<AccountIndex, u32> = HashMap::new();
    let user_of_key: HashMap<[u8; 32], u32> = keys
        .iter()
        .enumerate()
        .map(|(u, k)| (k.public_key().pack(), u as u32))
        .collect();
    let mut pending: VecDeque<Op> = VecDeque::new();
    let deposit = |index: AccountIndex, user: u32, token: u32, amount: u128| {
        Op::Deposit(Deposit {
            to: index,
            token: TokenId(token),
            amount,
            public_key: keys[user as usize].public_key().0,
            l1_address: user_address(user),
        })
    };
    for (token, index) in FEE_ACCOUNTS.iter().enumerate() {
        pending.push_back(deposit(*index, OPERATOR, token as u32, 0));
        owners.insert(*index, OPERATOR);
    }
    for user in 1..=args.accounts {
        let index = AccountIndex(user + 2);
        pending.push_back(deposit(
            index,
            user,
            user % 2,
            rng.random_range(1u128..1000) * 10u128.pow(18),
        ));
        owners.insert(index, user);
    }

    let mut stats = Stats::default();
    let mut posted: Vec<(u64, Vec<u8>, Fr)> = Vec::new();
    let mut to_prove = Vec::new();
    let genesis_batches = pending.len().div_ceil(args.chunks / deposit_chunks) as u64;
    let progress = ProgressBar::new(genesis_batches + args.batches);
    progress.set_style(
        ProgressStyle::with_template("  {spinner} batch {pos}/{len} [{bar:30}] {msg}")?
            .progress_chars("=> "),
    );
    let mut number = 1u64;
    let mut traffic_batches = 0;
    while traffic_batches < args.batches || !pending.is_empty() {
        let ops: Vec<Op> = if pending.is_empty() {
            traffic_batches += 1;
            traffic(&mut rng, &tree, &keys, &owners, args.chunks)?
        } else {
            pending.drain(..).collect()
        };
        // Deposits pay no fee; the fee accounts exist once the opening deposits are in.
        let fee_recipients = if traffic_batches == 0 {
            vec![]
        } else {
            FEE_ACCOUNTS.to_vec()
        };
        let started = Instant::now();
        let applied = apply_batch(
            &mut tree,
            &config,
            &BatchInput {
                number,
                ops: ops.clone(),
                fee_recipients,
            },
        )?;
        tree.commit()?;
        stats.stf_time += started.elapsed();
        for op in &applied.witness.ops {
            *stats.included.entry(kind(&op.op)).or_default() += 1;
            if let PubdataOp::TransferToNew {
                to, to_public_key, ..
            } = op.op
            {
                owners.insert(to, user_of_key[&to_public_key.pack()]);
            }
        }
        for r in &applied.rejected {
            if matches!(r.error, OpError::ExceedsBatchCapacity { .. }) {
                pending.push_back(ops[r.position]);
            } else {
                *stats.rejected.entry(reason(&r.error)).or_default() += 1;
            }
        }
        stats.pubdata_bytes += applied.pubdata().len() as u64;
        if args.prove {
            to_prove.push((applied.witness.clone(), applied.commitment()));
        }
        posted.push((number, applied.pubdata().to_vec(), applied.new_root()));
        progress.set_message(format!(
            "{} ops, root {}…",
            applied.included.len(),
            &fr_to_decimal(&applied.new_root())[..12]
        ));
        progress.inc(1);
        number += 1;
    }
    progress.finish_and_clear();
    let final_root = tree.root()?;

    // Rebuild from pubdata alone, as an auditor reading L1 would.
    let started = Instant::now();
    let mut rebuilt = AccountTree::open(MemoryStore::new(), args.depth)?;
    for (number, pubdata, root) in &posted {
        let replayed = replay_batch(&mut rebuilt, &config, *number, pubdata)?;
        ensure!(
            replayed.new_root == *root,
            "replay of batch {number} reached another root"
        );
        rebuilt.commit()?;
    }
    let replay_time = started.elapsed();

    let included: u64 = stats.included.values().sum();
    println!("  batches: {}", posted.len());
    println!("  included ops: {included} {:?}", stats.included);
    println!(
        "  rejected ops: {} {:?}",
        stats.rejected.values().sum::<u64>(),
        stats.rejected
    );
    println!(
        "  pubdata posted: {} bytes ({} bytes per batch)",
        stats.pubdata_bytes,
        config.shape.pubdata_bytes()
    );
    println!(
        "  state transition: {:.0} ops/s ({:.2} s)",
        included as f64 / stats.stf_time.as_secs_f64(),
        stats.stf_time.as_secs_f64()
    );
    println!(
        "  replay from pubdata: {:.0} ops/s ({:.2} s)",
        included as f64 / replay_time.as_secs_f64(),
        replay_time.as_secs_f64()
    );
    println!("  final root: {}", fr_to_decimal(&final_root));
    println!("replay: ok (state rebuilt from pubdata alone matches the sequencer's root)");

    if args.prove {
        let keys = args.system.load(&args.keys, config.shape)?;
        let vk_hash = hex::encode(keys.vk_hash());
        let kind = if keys.insecure() {
            "INSECURE development keys"
        } else {
            "production keys"
        };
        let proven = match keys {
            SystemKeys::Groth16(keys) => prove_batches(keys, config.domain, &to_prove)?,
            SystemKeys::Halo2 { keys, .. } => prove_halo2_batches(keys, config.domain, &to_prove)?,
        };
        println!(
            "proofs: ok ({} batches proven and verified with {}, {:.2} s per batch, {} at a \
             time; {kind}, vk hash 0x{vk_hash})",
            proven.batches, args.system.system, proven.seconds_per_batch, proven.workers
        );
    }
    Ok(())
}

/// One batch worth of signed transfers and withdrawals from the current state.
fn traffic(
    rng: &mut ChaCha20Rng,
    tree: &AccountTree<RocksStore>,
    keys: &[PrivateKey],
    owners: &HashMap<AccountIndex, u32>,
    chunks: usize,
) -> eyre::Result<Vec<Op>> {
    let domain = Domain {
        chain_id: 31337,
        rollup: L1Address([0x5e; 20]),
    };
    let users: Vec<AccountIndex> = {
        let mut v: Vec<_> = owners
            .iter()
            .filter(|(_, u)| **u != OPERATOR)
            .map(|(i, _)| *i)
            .collect();
        v.sort();
        v
    };
    let mut nonces: HashMap<AccountIndex, u32> = HashMap::new();
    let mut next_new = tree.next_free_index()?.map_or(0, |i| i.0);
    let mut ops = Vec::with_capacity(chunks);
    let mut used = 0;
    while used < chunks {
        let from = users[rng.random_range(0..users.len())];
        let Some(sender) = tree.account(from)? else {
            continue;
        };
        let nonce = *nonces.entry(from).or_insert(sender.nonce);
        let key = &keys[owners[&from] as usize];
        let amount = rng.random_range(1u128..50_000) * 10u128.pow(rng.random_range(0..15));
        let fee = rng.random_range(0u128..2000);
        let op = if rng.random_bool(0.05) {
            used += 4;
            let w = Withdraw {
                from,
                token: sender.token,
                amount,
                fee,
                nonce,
                to_l1_address: user_address(owners[&from]),
            };
            let signature = Tx::Withdraw(w).sign(key, &domain).signature;
            Op::Withdraw {
                withdraw: w,
                signature,
            }
        } else {
            let to_user = rng.random_range(1..keys.len()) as u32;
            let existing =
                tree.accounts_by_key(&keys[to_user as usize].public_key(), sender.token)?;
            let to = match existing.first() {
                Some(i) if rng.random_bool(0.9) => {
                    used += 1;
                    *i
                }
                _ if next_new != 0 && u64::from(next_new) < tree.capacity() => {
                    used += 6;
                    next_new += 1;
                    AccountIndex(next_new - 1)
                }
                _ => continue,
            };
            let t = Transfer {
                from,
                token: sender.token,
                amount,
                fee,
                nonce,
                to: keys[to_user as usize].public_key(),
                to_l1_address: user_address(to_user),
            };
            let signature = Tx::Transfer(t).sign(key, &domain).signature;
            Op::Transfer {
                to,
                transfer: t,
                signature,
            }
        };
        nonces.insert(from, nonce + 1);
        ops.push(op);
    }
    Ok(ops)
}
