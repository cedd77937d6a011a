//! The gas of a deployment's verifier call as the rollup pays it: `verifyBatch(proof,
//! commitment)` made from a probe contract (`BatchGasProbe`), which measures around the call,
//! so the call's own cost is in and the transaction's calldata is not.

use alloy::primitives::Address;
use alloy::sol_types::SolCall;
use zksettle_core::Fr;
use zksettle_l1::bindings::BatchGasProbe;
use zksettle_l1::convert::u256_of_fr;
use zksettle_l1::{Chain, TxRequest};

/// Gas of `verifier.verifyBatch(proof, commitment)`; an error unless the verifier accepts.
pub async fn verify_batch_gas<C: Chain>(
    chain: &C,
    verifier: Address,
    proof: &[u8],
    commitment: &Fr,
) -> eyre::Result<u64> {
    let probe = chain
        .send(TxRequest::deploy(BatchGasProbe::BYTECODE.clone()))
        .await?
        .contract_address
        .ok_or_else(|| eyre::eyre!("the gas probe was not deployed"))?;
    let call = BatchGasProbe::measureVerifyBatchCall {
        verifier,
        proof: proof.to_vec().into(),
        commitment: u256_of_fr(commitment),
    };
    let out = BatchGasProbe::measureVerifyBatchCall::abi_decode_returns(
        &chain.call(probe, call.abi_encode().into()).await?,
    )?;
    eyre::ensure!(out.ok, "the verifier at {verifier} refused the batch proof");
    Ok(out.gasUsed.try_into()?)
}
