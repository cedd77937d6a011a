//! `cargo run --release -p zksettle-benches --bin gas-report -- [B ...]`: L1 gas of zksettle on
//! the embedded EVM (Prague rules), from real proven batches of `B` transfers at depth 24
//! (default B = 8 16 32; at depth 24 a batch must hold a 7-chunk deposit): batch submission
//! (through the rollup's proxy, by an operator), proof verification, deposit, forced-exit
//! request (paying its fee), withdrawal and exodus exit. Gas per transfer at B = 512 comes from a least-squares line
//! through the measured batch costs, printed beside the target it must meet.
//!
//! Keys come from the insecure development setup, cached in `~/.cache/zksettle/keys` (shared
//! with `prove-report`).

use alloy::primitives::{Address, U256};
use alloy::sol_types::SolCall;
use zksettle_benches::transfer_batch_in;
use zksettle_core::{BatchShape, Domain, L1Address, PrivateKey, TokenId};
use zksettle_l1::convert::{l1_address, u256_of_fr};
use zksettle_l1::{
    deploy, predicted_rollup_address, BatchVerifierKey, Chain, DeployConfig, EmbeddedChain,
    RollupClient, TxRequest, VerifierProof,
};
use zksettle_prover::{BatchProver, KeyStore, INSECURE_SETUP_NOTICE};

const DEPTH: u8 = 24;
const TARGET_VERIFY_GAS: u64 = 210_000;
const TARGET_GAS_PER_TRANSFER_AT_512: f64 = 750.0;

#[derive(Debug)]
struct BatchGas {
    chunks: usize,
    submit: u64,
    verify: u64,
}

fn main() -> eyre::Result<()> {
    let mut results = zksettle_benches::results::Results::new("gas-report");
    let capacities = zksettle_benches::capacities_from_args(&[8, 16, 32])?;
    let cache = zksettle_benches::key_cache_dir();
    results.line(INSECURE_SETUP_NOTICE);
    results.line(format!(
        "zksettle gas report: embedded EVM (revm, Prague), depth {DEPTH}"
    ));
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let mut measured = Vec::new();
    let mut once = None;
    for chunks in capacities {
        let shape = BatchShape {
            depth: DEPTH,
            chunks,
            fee_slots: 1,
        };
        let keys = KeyStore::new(&cache).load_or_setup(shape, b"zksettle bench")?;
        let (batch, other) = runtime.block_on(measure(shape, &keys))?;
        results.line(format!(
            "B={chunks:>3}: submitBatch {} gas ({:.0} per transfer), of which the verifier call {} gas",
            batch.submit,
            batch.submit as f64 / chunks as f64,
            batch.verify
        ));
        once.get_or_insert(other);
        measured.push(batch);
    }
    if let Some(o) = once {
        results.line(format!(
            "deposit (ether) {} gas, forced-exit request {} gas, withdraw (ether) {} gas, exodus exit {} gas",
            o.deposit, o.forced_exit, o.withdraw, o.exit
        ));
    }
    let verify = measured.iter().map(|m| m.verify).max().unwrap_or_default();
    results.line(format!(
        "proof verification: {verify} gas (target <= {TARGET_VERIFY_GAS}): {}",
        if verify <= TARGET_VERIFY_GAS {
            "met"
        } else {
            "MISSED"
        }
    ));
    if measured.len() >= 2 {
        let (fixed, per_chunk) = fit(&measured);
        let at_512 = (fixed + 512.0 * per_chunk) / 512.0;
        results.line(format!(
            "linear model: gas(B) = {fixed:.0} + {per_chunk:.1}·B; at B=512: {at_512:.0} gas per transfer \
             (target <= {TARGET_GAS_PER_TRANSFER_AT_512}): {}",
            if at_512 <= TARGET_GAS_PER_TRANSFER_AT_512 { "met" } else { "MISSED" }
        ));
    }
    results.write()?;
    Ok(())
}

/// Least squares `gas = a + b·B`.
fn fit(points: &[BatchGas]) -> (f64, f64) {
    let n = points.len() as f64;
    let (sx, sy) = points.iter().fold((0.0, 0.0), |(sx, sy), p| {
        (sx + p.chunks as f64, sy + p.submit as f64)
    });
    let (mx, my) = (sx / n, sy / n);
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), p| {
        let dx = p.chunks as f64 - mx;
        (num + dx * (p.submit as f64 - my), den + dx * dx)
    });
    let b = num / den;
    (my - b * mx, b)
}

struct OtherGas {
    deposit: u64,
    forced_exit: u64,
    withdraw: u64,
    exit: u64,
}

async fn measure(
    shape: BatchShape,
    keys: &zksettle_prover::BatchKeys,
) -> eyre::Result<(BatchGas, OtherGas)> {
    let operator = Address::repeat_byte(0x0a);
    let user = Address::from([1; 20]);
    let chain = EmbeddedChain::new(
        31337,
        &[
            (operator, U256::from(10u128.pow(24))),
            (user, U256::from(10u128.pow(24))),
        ],
    );
    // The rollup's address (its proxy's) is known before the batch is signed for it.
    let verifier_key = BatchVerifierKey::Groth16(keys.verifying_key().clone());
    let rollup_address = predicted_rollup_address(operator, 0, &verifier_key)?;
    let domain = Domain {
        chain_id: 31337,
        rollup: l1_address(rollup_address),
    };
    let fixture = transfer_batch_in(DEPTH, shape.chunks, domain)?;
    let config = DeployConfig::new(
        verifier_key,
        keys.vk_hash,
        fixture.genesis_root,
        shape,
        3600,
    );
    let deployment = deploy(&chain, &config).await?;
    eyre::ensure!(
        deployment.rollup == rollup_address,
        "unexpected rollup address"
    );
    let rollup = RollupClient::new(chain.clone(), deployment.rollup);

    let proof = BatchProver::new(keys.clone(), domain)?.prove(&fixture.batch.witness, &|_| {})?;
    let verify = zksettle_benches::gas::verify_batch_gas(
        &chain,
        deployment.verifier,
        &proof.proof.verifier_bytes(),
        &proof.commitment,
    )
    .await?;
    let submit = rollup
        .submit_batch(
            1,
            &fixture.batch.new_root(),
            fixture.batch.pubdata(),
            &proof.proof,
        )
        .await?
        .gas_used;

    // The other operations, from a user's account.
    let as_user = RollupClient::new(chain.with_sender(user), deployment.rollup);
    let key = PrivateKey::from_bytes([9; 32]).public_key().0;
    let deposit = as_user
        .chain()
        .send(
            TxRequest::call(
                deployment.rollup,
                zksettle_l1::bindings::Rollup::depositEthCall {
                    keyX: u256_of_fr(&key.x),
                    keyY: u256_of_fr(&key.y),
                    l1Address: user,
                }
                .abi_encode(),
            )
            .with_value(U256::from(10u64.pow(18))),
        )
        .await?
        .gas_used;
    let forced_exit = as_user
        .chain()
        .send(
            TxRequest::call(
                deployment.rollup,
                zksettle_l1::bindings::Rollup::requestForcedExitCall { index: 2, token: 0 }
                    .abi_encode(),
            )
            .with_value(rollup.forced_exit_fee().await?),
        )
        .await?
        .gas_used;
    // An exit presents a path against the last verified root; the fixture's path is of the
    // genesis state, so exodus runs on a second deployment still at its genesis.
    let second = deploy(&chain.with_sender(operator), &config).await?;
    // The fixture's genesis balances were never deposited on this chain: back them, as the
    // deposits that made them would have.
    chain.fund(second.rollup, U256::from(10u64.pow(18)));
    let second_rollup = RollupClient::new(chain.with_sender(user), second.rollup);
    second_rollup
        .deposit_eth(&key, L1Address([1; 20]), U256::from(5u64))
        .await?;
    chain.increase_time(3601).await?;
    second_rollup.activate_exodus().await?;
    let (account, path) = &fixture.genesis_leaf;
    let exit = second_rollup.exit(account, path).await?.gas_used;
    let withdraw = second_rollup.withdraw(TokenId(0)).await?.gas_used;
    Ok((
        BatchGas {
            chunks: shape.chunks,
            submit,
            verify,
        },
        OtherGas {
            deposit,
            forced_exit,
            withdraw,
            exit,
        },
    ))
}
