//! The contracts on the embedded EVM, without batch proofs: Poseidon and key packing bit-exact
//! with the core, the Verifier on a small circuit (valid, tampered, out-of-range inputs), and
//! the rollup's queue, token and exodus rules.

use alloy::primitives::{Address, U256};
use alloy::sol_types::{SolCall, SolConstructor};
use ark_bn254::{Bn254, Fr as ArkFr};
use ark_groth16::Groth16;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_snark::SNARK;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zksettle_core::{AccountIndex, BatchShape, Fr, L1Address, PrivateKey, TokenId};
use zksettle_l1::bindings::{PoseidonT5, PoseidonT7, Rollup, TestToken, Verifier};
use zksettle_l1::convert::{proof_words, u256_of_fr};
use zksettle_l1::generate::verifier_key_words;
use zksettle_l1::{Chain, ChainError, EmbeddedChain, L1Error, PriorityOp, RollupClient, TxRequest};

const CHAIN_ID: u64 = 31337;

fn chain() -> EmbeddedChain {
    let deployer = Address::repeat_byte(0xd0);
    EmbeddedChain::new(CHAIN_ID, &[(deployer, U256::from(10u128.pow(24)))])
}

async fn deploy_code(chain: &EmbeddedChain, init: Vec<u8>) -> Address {
    chain
        .send(TxRequest::deploy(init))
        .await
        .unwrap()
        .contract_address
        .unwrap()
}

async fn call<T: SolCall>(
    chain: &EmbeddedChain,
    to: Address,
    call: T,
) -> Result<T::Return, ChainError> {
    let out = chain.call(to, call.abi_encode().into()).await?;
    Ok(T::abi_decode_returns(&out).unwrap())
}

#[tokio::test]
async fn poseidon_contracts_match_the_core() {
    let chain = chain();
    let t5 = deploy_code(&chain, PoseidonT5::BYTECODE.to_vec()).await;
    let t7 = deploy_code(&chain, PoseidonT7::BYTECODE.to_vec()).await;
    for seed in 0u64..4 {
        let x = |i: u64| {
            Fr::from(seed * 1_000_003 + i) * Fr::from(0x1234_5678_9abc_u64).pow_like(seed + i)
        };
        let four = [x(1), x(2), x(3), x(4)];
        let got = call(
            &chain,
            t5,
            PoseidonT5::hashCall {
                inputs: four.map(|f| u256_of_fr(&f)),
            },
        )
        .await
        .unwrap();
        assert_eq!(got, u256_of_fr(&zksettle_core::poseidon::poseidon4(four)));
        let six = [x(1), x(2), x(3), x(4), x(5), x(6)];
        let got = call(
            &chain,
            t7,
            PoseidonT7::hashCall {
                inputs: six.map(|f| u256_of_fr(&f)),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            got,
            u256_of_fr(&zksettle_core::poseidon::poseidon(&six).unwrap())
        );
    }
    // Non-canonical inputs are refused, not reduced.
    let r = u256_of_fr(&-Fr::from(1u64)) + U256::from(1);
    let refused = call(
        &chain,
        t5,
        PoseidonT5::hashCall {
            inputs: [r, U256::ZERO, U256::ZERO, U256::ZERO],
        },
    )
    .await;
    assert!(matches!(refused, Err(ChainError::Reverted { .. })));
}

/// Small powers so the test inputs spread over the field.
trait PowLike {
    fn pow_like(self, e: u64) -> Self;
}

impl PowLike for Fr {
    fn pow_like(self, e: u64) -> Self {
        use ark_ff::Field;
        self.pow([e])
    }
}

/// Knowledge of `w` with `w·w = x`, `x` public: one public input, like the batch circuit.
#[derive(Clone)]
struct Square {
    w: Option<ArkFr>,
    x: Option<ArkFr>,
}

impl ConstraintSynthesizer<ArkFr> for Square {
    fn generate_constraints(self, cs: ConstraintSystemRef<ArkFr>) -> Result<(), SynthesisError> {
        use ark_relations::lc;
        let x = cs.new_input_variable(|| self.x.ok_or(SynthesisError::AssignmentMissing))?;
        let w = cs.new_witness_variable(|| self.w.ok_or(SynthesisError::AssignmentMissing))?;
        cs.enforce_r1cs_constraint(|| lc!() + w, || lc!() + w, || lc!() + x)
    }
}

#[tokio::test]
async fn the_verifier_accepts_valid_proofs_and_nothing_else() {
    let mut rng = StdRng::seed_from_u64(7);
    let (pk, vk) =
        Groth16::<Bn254>::circuit_specific_setup(Square { w: None, x: None }, &mut rng).unwrap();
    let w = ArkFr::from(12345u64);
    let x = w * w;
    let proof = Groth16::<Bn254>::prove(
        &pk,
        Square {
            w: Some(w),
            x: Some(x),
        },
        &mut rng,
    )
    .unwrap();

    let chain = chain();
    let words = verifier_key_words(&vk).unwrap().map(U256::from_be_bytes);
    let init = [
        Verifier::BYTECODE.as_ref(),
        &Verifier::constructorCall { vk: words }.abi_encode(),
    ]
    .concat();
    let verifier = deploy_code(&chain, init).await;

    let verify = |proof: [U256; 8], input: U256| {
        let chain = chain.clone();
        async move {
            call(&chain, verifier, Verifier::verifyProofCall { proof, input })
                .await
                .unwrap()
        }
    };
    let good = proof_words(&proof);
    let input = u256_of_fr(&x);
    assert!(verify(good, input).await);
    // Another input, the same input plus r (equal mod r, but not canonical).
    assert!(!verify(good, input + U256::from(1)).await);
    let r = u256_of_fr(&-Fr::from(1u64)) + U256::from(1);
    assert!(!verify(good, input + r).await);
    // Every word of the proof matters; off-curve and out-of-range coordinates are refused.
    for i in 0..8 {
        let mut bad = good;
        bad[i] += U256::from(1);
        assert!(!verify(bad, input).await, "word {i} + 1");
    }
    let q = U256::from_str_radix(
        "21888242871839275222246405745257275088696311157297823662689037894645226208583",
        10,
    )
    .unwrap();
    let mut shifted = good;
    shifted[1] += q;
    assert!(!verify(shifted, input).await, "A.y + q");

    // The verifier's key hash is SHA-256 of its constructor words.
    let hash = call(&chain, verifier, Verifier::vkHashCall {})
        .await
        .unwrap();
    let mut bytes = Vec::new();
    for w in words {
        bytes.extend(w.to_be_bytes::<32>());
    }
    use sha2::Digest;
    assert_eq!(hash.0, <[u8; 32]>::from(sha2::Sha256::digest(&bytes)));
}

/// A rollup whose verifier holds the small circuit's key: enough for everything but batches.
async fn rollup_with_window(chain: &EmbeddedChain, window: u64) -> RollupClient<EmbeddedChain> {
    let mut rng = StdRng::seed_from_u64(8);
    let (_, vk) =
        Groth16::<Bn254>::circuit_specific_setup(Square { w: None, x: None }, &mut rng).unwrap();
    let shape = BatchShape {
        depth: 8,
        chunks: 10,
        fee_slots: 1,
    };
    let genesis_root = zksettle_core::AccountTree::open(zksettle_core::MemoryStore::new(), 8)
        .unwrap()
        .root()
        .unwrap();
    let deployment = zksettle_l1::deploy(
        chain,
        &zksettle_l1::DeployConfig {
            vk_hash: zksettle_prover::vk_hash(&vk),
            verifying_key: vk,
            genesis_root,
            shape,
            priority_window_seconds: window,
        },
    )
    .await
    .unwrap();
    RollupClient::new(chain.clone(), deployment.rollup)
}

#[tokio::test]
async fn deposit_keys_pack_as_circomlib_does_and_off_curve_keys_are_refused() {
    let chain = chain();
    let client = rollup_with_window(&chain, 3600).await;
    for seed in 1u8..6 {
        let key = PrivateKey::from_bytes([seed; 32]).public_key().0;
        let packed = call(
            &chain,
            client.address(),
            Rollup::packKeyCall {
                x: u256_of_fr(&key.x),
                y: u256_of_fr(&key.y),
            },
        )
        .await
        .unwrap();
        assert_eq!(packed.0, key.pack());
    }
    let off = call(
        &chain,
        client.address(),
        Rollup::packKeyCall {
            x: U256::from(1),
            y: U256::from(1),
        },
    )
    .await;
    assert!(matches!(off, Err(ChainError::Reverted { .. })));
}

#[tokio::test]
async fn the_queue_takes_valid_requests_in_order_and_refuses_bad_ones() {
    let chain = chain();
    let client = rollup_with_window(&chain, 3600).await;
    let key = PrivateKey::from_bytes([3; 32]).public_key().0;
    let owner = L1Address([0xaa; 20]);
    let first = client
        .deposit_eth(&key, owner, U256::from(5u64))
        .await
        .unwrap();
    assert!(matches!(
        first,
        PriorityOp::Deposit { serial: 0, token: TokenId(0), amount: 5, l1_address, packed_key, .. }
            if l1_address == owner && packed_key == key.pack()
    ));
    let exit = client
        .request_forced_exit(AccountIndex(7), TokenId(0))
        .await
        .unwrap();
    assert_eq!(exit.serial(), 1);
    assert_eq!(client.priority_queue().await.unwrap(), (0, 2));
    let scanned = client
        .priority_ops(0, chain.block_number().await.unwrap())
        .await
        .unwrap();
    assert_eq!(scanned, vec![first, exit]);

    let refused = |r: Result<PriorityOp, L1Error>| match r {
        Err(L1Error::Rollup(e)) => format!("{e:?}"),
        other => panic!("expected a rollup error, got {other:?}"),
    };
    assert!(refused(client.deposit_eth(&key, owner, U256::ZERO).await).contains("ZeroAmount"));
    assert!(refused(
        client
            .deposit_eth(&key, L1Address::ZERO, U256::from(1))
            .await
    )
    .contains("MissingL1Address"));
    let mut off_curve = key;
    off_curve.x += Fr::from(1u64);
    assert!(
        refused(client.deposit_eth(&off_curve, owner, U256::from(1)).await)
            .contains("KeyNotOnCurve")
    );
    // Depth 8: indices 1 ..= 255.
    assert!(refused(
        client
            .request_forced_exit(AccountIndex(0), TokenId(0))
            .await
    )
    .contains("InvalidAccountIndex"));
    assert!(refused(
        client
            .request_forced_exit(AccountIndex(256), TokenId(0))
            .await
    )
    .contains("InvalidAccountIndex"));
    assert!(refused(
        client
            .request_forced_exit(AccountIndex(1), TokenId(9))
            .await
    )
    .contains("UnknownTokenId"));
    // Refused requests change nothing.
    assert_eq!(client.priority_queue().await.unwrap(), (0, 2));
}

#[tokio::test]
async fn tokens_register_once_and_erc20_deposits_credit_what_arrives() {
    let chain = chain();
    let client = rollup_with_window(&chain, 3600).await;
    let init = [
        TestToken::BYTECODE.as_ref(),
        &TestToken::constructorCall {
            name_: "Test".into(),
            symbol_: "TST".into(),
        }
        .abi_encode(),
    ]
    .concat();
    let token = deploy_code(&chain, init).await;
    assert_eq!(client.register_token(token).await.unwrap(), TokenId(1));
    assert!(matches!(
        client.register_token(token).await,
        Err(L1Error::Rollup(_))
    ));
    let me = chain.sender();
    chain
        .send(TxRequest::call(
            token,
            TestToken::mintCall {
                to: me,
                value: U256::from(1000),
            }
            .abi_encode(),
        ))
        .await
        .unwrap();
    chain
        .send(TxRequest::call(
            token,
            TestToken::approveCall {
                spender: client.address(),
                value: U256::from(600),
            }
            .abi_encode(),
        ))
        .await
        .unwrap();
    let key = PrivateKey::from_bytes([4; 32]).public_key().0;
    let deposit = client
        .deposit_erc20(token, U256::from(600), &key, L1Address([1; 20]))
        .await
        .unwrap();
    assert!(matches!(
        deposit,
        PriorityOp::Deposit {
            token: TokenId(1),
            amount: 600,
            ..
        }
    ));
    let held = call(&chain, token, TestToken::balanceOfCall(client.address()))
        .await
        .unwrap();
    assert_eq!(held, U256::from(600));
    // More than approved moves nothing.
    assert!(client
        .deposit_erc20(token, U256::from(1), &key, L1Address([1; 20]))
        .await
        .is_err());
}

#[tokio::test]
async fn exodus_waits_for_an_expired_priority_op_and_then_stops_the_rollup() {
    let chain = chain();
    let client = rollup_with_window(&chain, 3600).await;
    let nothing_queued = client.activate_exodus().await;
    assert!(matches!(nothing_queued, Err(L1Error::Rollup(_))));
    let key = PrivateKey::from_bytes([5; 32]).public_key().0;
    let deposit = client
        .deposit_eth(&key, L1Address([2; 20]), U256::from(77u64))
        .await
        .unwrap();
    assert!(matches!(
        client.activate_exodus().await,
        Err(L1Error::Rollup(_))
    ));
    chain.increase_time(3601).await.unwrap();
    client.activate_exodus().await.unwrap();
    assert!(client.exodus().await.unwrap());
    // No more requests, and the deposit comes back to its L1 address, once.
    assert!(client
        .deposit_eth(&key, L1Address([2; 20]), U256::from(1u64))
        .await
        .is_err());
    client.refund_deposit(&deposit).await.unwrap();
    assert!(client.refund_deposit(&deposit).await.is_err());
    assert_eq!(
        client
            .pending_balance(Address::from([2; 20]), TokenId(0))
            .await
            .unwrap(),
        U256::from(77u64)
    );
}
