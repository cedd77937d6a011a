//! The contracts on the embedded EVM, without batch proofs: Poseidon and key packing bit-exact
//! with the core, the Verifier on a small circuit (valid, tampered, out-of-range inputs), and
//! the rollup's queue, token and exodus rules.

use alloy::primitives::{Address, U256};
use alloy::sol_types::{SolCall, SolConstructor, SolInterface};
use ark_bn254::{Bn254, Fr as ArkFr};
use ark_groth16::Groth16;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_snark::SNARK;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zksettle_core::{AccountIndex, BatchShape, Fr, L1Address, PrivateKey, TokenId};
use zksettle_l1::bindings::Rollup::RollupErrors;
use zksettle_l1::bindings::{
    BlacklistToken, FeeOnTransferToken, NoReturnToken, PoseidonT5, PoseidonT7, Rollup, TestToken,
    Verifier,
};
use zksettle_l1::convert::{proof_words, u256_of_fr};
use zksettle_l1::generate::verifier_key_words;
use zksettle_l1::{
    Chain, ChainError, DeployConfig, Deployment, EmbeddedChain, L1Error, PriorityOp, RollupClient,
    TxRequest,
};

const CHAIN_ID: u64 = 31337;

pub(crate) fn chain() -> EmbeddedChain {
    let deployer = Address::repeat_byte(0xd0);
    EmbeddedChain::new(CHAIN_ID, &[(deployer, U256::from(10u128.pow(24)))])
}

pub(crate) async fn deploy_code(chain: &EmbeddedChain, init: Vec<u8>) -> Address {
    chain
        .send(TxRequest::deploy(init))
        .await
        .unwrap()
        .contract_address
        .unwrap()
}

pub(crate) async fn call<T: SolCall>(
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

/// A deployment whose verifier holds the small circuit's key: enough for everything but
/// batches. Depth 8, 10 chunks: a deposit fills a batch.
fn square_config(window: u64) -> DeployConfig {
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
    DeployConfig::new(
        zksettle_l1::BatchVerifierKey::Groth16(vk.clone()),
        zksettle_prover::vk_hash(&vk),
        genesis_root,
        shape,
        window,
    )
}

async fn rollup_with(
    chain: &EmbeddedChain,
    config: &DeployConfig,
) -> (Deployment, RollupClient<EmbeddedChain>) {
    let deployment = zksettle_l1::deploy(chain, config).await.unwrap();
    (
        deployment,
        RollupClient::new(chain.clone(), deployment.rollup),
    )
}

async fn rollup_with_window(chain: &EmbeddedChain, window: u64) -> RollupClient<EmbeddedChain> {
    rollup_with(chain, &square_config(window)).await.1
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

/// The rollup's refusal, or a panic naming what happened instead.
fn refusal<T: std::fmt::Debug>(result: Result<T, L1Error>) -> RollupErrors {
    match result {
        Err(L1Error::Rollup(e)) => e,
        other => panic!("expected the rollup to refuse, got {other:?}"),
    }
}

/// A funded handle on `chain` sending from a fresh address.
fn stranger(chain: &EmbeddedChain, byte: u8) -> EmbeddedChain {
    let address = Address::repeat_byte(byte);
    chain.fund(address, U256::from(10u128.pow(21)));
    chain.with_sender(address)
}

fn events<E: alloy::sol_types::SolEvent>(receipt: &zksettle_l1::Receipt) -> Vec<E> {
    receipt
        .logs
        .iter()
        .filter_map(|l| E::decode_log(l).ok().map(|l| l.data))
        .collect()
}

/// Any `submitBatch` call: the access rules come before the proof is looked at.
async fn submit_junk(client: &RollupClient<EmbeddedChain>, first_op: u8) -> RollupErrors {
    let shape = client.shape().await.unwrap();
    let mut pubdata = vec![0u8; shape.pubdata_bytes()];
    pubdata[0] = first_op;
    let number = client.batch_number().await.unwrap() + 1;
    let call = Rollup::submitBatchCall {
        number,
        newRoot: Default::default(),
        pubdata: pubdata.into(),
        proof: vec![1; 256].into(),
    };
    let result = client
        .chain()
        .send(TxRequest::call(client.address(), call.abi_encode()))
        .await;
    match result {
        Err(ChainError::Reverted { data }) => RollupErrors::abi_decode(&data).unwrap(),
        other => panic!("expected a revert, got {other:?}"),
    }
}

#[tokio::test]
async fn the_deployer_holds_every_role_by_default_and_only_governance_changes_them() {
    let chain = chain();
    let (deployment, rollup) = rollup_with(&chain, &square_config(3600)).await;
    let deployer = chain.sender();
    assert_eq!(rollup.governance().await.unwrap(), deployer);
    assert!(rollup.is_operator(deployer).await.unwrap());
    assert_eq!(rollup.guardian().await.unwrap(), deployer);
    assert_eq!(rollup.fee_recipient().await.unwrap(), deployer);
    assert_eq!(
        rollup.implementation().await.unwrap(),
        deployment.implementation
    );

    // A stranger can change nothing.
    let mallory = stranger(&chain, 0x66);
    let as_mallory = RollupClient::new(mallory.clone(), rollup.address());
    let me = mallory.sender();
    let not_governance =
        |e: RollupErrors| matches!(e, RollupErrors::NotGovernance(g) if g.caller == me);
    assert!(not_governance(refusal(
        as_mallory.set_operator(me, true).await
    )));
    assert!(not_governance(refusal(
        as_mallory.transfer_governance(me).await
    )));
    assert!(not_governance(refusal(as_mallory.set_guardian(me).await)));
    assert!(not_governance(refusal(
        as_mallory.set_fee_recipient(me).await
    )));
    assert!(not_governance(refusal(
        as_mallory.schedule_upgrade(deployment.implementation).await
    )));
    assert!(not_governance(refusal(as_mallory.cancel_upgrade().await)));
    assert!(not_governance(refusal(as_mallory.execute_upgrade().await)));
    assert!(!rollup.is_operator(me).await.unwrap());

    // Governance adds and removes operators, each change an event.
    let operator = Address::repeat_byte(0x0b);
    let added = rollup.set_operator(operator, true).await.unwrap();
    let logged: Vec<Rollup::OperatorSet> = events(&added);
    assert_eq!(logged.len(), 1);
    assert_eq!((logged[0].operator, logged[0].active), (operator, true));
    assert!(rollup.is_operator(operator).await.unwrap());
    let removed = rollup.set_operator(operator, false).await.unwrap();
    let logged: Vec<Rollup::OperatorSet> = events(&removed);
    assert_eq!((logged[0].operator, logged[0].active), (operator, false));
    assert!(!rollup.is_operator(operator).await.unwrap());

    // Governance moves on: the old one is a stranger from then on.
    let successor = stranger(&chain, 0x77);
    rollup
        .transfer_governance(successor.sender())
        .await
        .unwrap();
    assert!(matches!(
        refusal(rollup.set_operator(operator, true).await),
        RollupErrors::NotGovernance(_)
    ));
    RollupClient::new(successor, rollup.address())
        .set_operator(operator, true)
        .await
        .unwrap();
    assert!(rollup.is_operator(operator).await.unwrap());
    // Neither the implementation nor the proxy can be initialized again.
    let again = Rollup::initializeCall {
        genesisRoot: Default::default(),
        governance_: me,
        operator: me,
        guardian_: me,
        feeRecipient_: me,
    };
    for target in [rollup.address(), deployment.implementation] {
        let refused = mallory
            .send(TxRequest::call(target, again.abi_encode()))
            .await;
        assert!(
            matches!(&refused, Err(ChainError::Reverted { data })
                if matches!(RollupErrors::abi_decode(data), Ok(RollupErrors::AlreadyInitialized(_)))),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn submissions_come_from_operators_directly_and_carry_an_op() {
    let chain = chain();
    let (_, rollup) = rollup_with(&chain, &square_config(3600)).await;
    // The operator's all-Noop batch is refused before its proof is even checked.
    assert!(matches!(
        submit_junk(&rollup, 0).await,
        RollupErrors::EmptyBatch(_)
    ));
    assert!(matches!(
        submit_junk(&rollup, 1).await,
        RollupErrors::InvalidProof(_)
    ));
    // A stranger is no operator until the fallback opens (half the window, 1,800 s).
    let mallory = RollupClient::new(stranger(&chain, 0x66), rollup.address());
    assert!(matches!(
        submit_junk(&mallory, 1).await,
        RollupErrors::NotOperator(e) if e.caller == mallory.chain().sender()
    ));
    // (Every transaction here mines a block a second or more after the last.)
    chain.increase_time(1_700).await.unwrap();
    assert!(matches!(
        submit_junk(&mallory, 1).await,
        RollupErrors::NotOperator(_)
    ));
    chain.increase_time(100).await.unwrap();
    assert!(matches!(
        submit_junk(&mallory, 1).await,
        RollupErrors::InvalidProof(_)
    ));
}

#[tokio::test]
async fn only_the_guardian_pauses_and_a_pause_stops_nothing_but_batch_submission() {
    let chain = chain();
    let (_, rollup) = rollup_with(&chain, &square_config(3600)).await;
    let alice = RollupClient::new(stranger(&chain, 0xa1), rollup.address());
    assert!(matches!(
        refusal(alice.pause().await),
        RollupErrors::NotGuardian(_)
    ));
    rollup.pause().await.unwrap();
    assert!(rollup.paused().await.unwrap());
    assert!(matches!(
        refusal(alice.unpause().await),
        RollupErrors::NotGuardian(_)
    ));
    assert!(matches!(
        submit_junk(&rollup, 1).await,
        RollupErrors::BatchesPaused(_)
    ));
    rollup.unpause().await.unwrap();
    assert!(matches!(
        submit_junk(&rollup, 1).await,
        RollupErrors::InvalidProof(_)
    ));
    rollup.pause().await.unwrap();
    // Paused: deposits, forced-exit requests and withdrawals go on.
    let key = PrivateKey::from_bytes([5; 32]).public_key().0;
    let alice_l1 = zksettle_l1::convert::l1_address(alice.chain().sender());
    let deposit = alice
        .deposit_eth(&key, alice_l1, U256::from(900u64))
        .await
        .unwrap();
    alice
        .request_forced_exit(AccountIndex(3), TokenId(0))
        .await
        .unwrap();
    let fee = rollup.forced_exit_fee().await.unwrap();
    assert_eq!(
        rollup
            .pending_balance(chain.sender(), TokenId(0))
            .await
            .unwrap(),
        fee
    );
    rollup.withdraw(TokenId(0)).await.unwrap();
    // A pause longer than the window ends in exodus: exits and refunds go on too.
    chain.increase_time(3_601).await.unwrap();
    alice.activate_exodus().await.unwrap();
    alice.refund_deposit(&deposit).await.unwrap();
    alice.withdraw(TokenId(0)).await.unwrap();
    assert_eq!(chain.balance(rollup.address()).await.unwrap(), U256::ZERO);
}

#[tokio::test]
async fn forced_exits_pay_their_fee_to_the_fee_recipient_and_get_nothing_back() {
    let chain = chain();
    let (_, rollup) = rollup_with(&chain, &square_config(3600)).await;
    let fee = rollup.forced_exit_fee().await.unwrap();
    assert_eq!(fee, U256::from(DeployConfig::DEFAULT_FORCED_EXIT_FEE_WEI));
    let bob = RollupClient::new(stranger(&chain, 0xb0), rollup.address());
    assert!(matches!(
        refusal(
            bob.request_forced_exit_paying(AccountIndex(4), TokenId(0), fee - U256::from(1))
                .await
        ),
        RollupErrors::InsufficientFee(e) if e.required == fee && e.paid == fee - U256::from(1)
    ));
    assert_eq!(rollup.priority_queue().await.unwrap(), (0, 0));
    bob.request_forced_exit(AccountIndex(4), TokenId(0))
        .await
        .unwrap();
    // Paying more buys nothing: all of it is the fee.
    bob.request_forced_exit_paying(AccountIndex(5), TokenId(0), fee * U256::from(3))
        .await
        .unwrap();
    let deployer = chain.sender();
    assert_eq!(
        rollup.pending_balance(deployer, TokenId(0)).await.unwrap(),
        fee * U256::from(4)
    );
    // Governance redirects the fees.
    let treasury = Address::repeat_byte(0x7e);
    rollup.set_fee_recipient(treasury).await.unwrap();
    bob.request_forced_exit(AccountIndex(6), TokenId(0))
        .await
        .unwrap();
    assert_eq!(
        rollup.pending_balance(treasury, TokenId(0)).await.unwrap(),
        fee
    );
    assert!(matches!(
        refusal(rollup.set_fee_recipient(Address::ZERO).await),
        RollupErrors::ZeroAddress(_)
    ));
}

#[tokio::test]
async fn a_flood_stops_at_the_caps_with_deposits_held_to_half_the_queue() {
    let chain = chain();
    let mut config = square_config(3600);
    config.max_priority_ops = 6;
    config.max_forced_exits_per_index = 2;
    let (_, rollup) = rollup_with(&chain, &config).await;
    let mallory = RollupClient::new(stranger(&chain, 0x66), rollup.address());
    let key = PrivateKey::from_bytes([6; 32]).public_key().0;
    let l1 = zksettle_l1::convert::l1_address(mallory.chain().sender());
    for _ in 0..3 {
        mallory.deposit_eth(&key, l1, U256::from(1)).await.unwrap();
    }
    // 1-wei deposits cost only gas: they may fill half the queue, not more.
    assert!(matches!(
        refusal(mallory.deposit_eth(&key, l1, U256::from(1)).await),
        RollupErrors::PriorityQueueFull(_)
    ));
    for _ in 0..2 {
        mallory
            .request_forced_exit(AccountIndex(5), TokenId(0))
            .await
            .unwrap();
    }
    assert!(matches!(
        refusal(mallory.request_forced_exit(AccountIndex(5), TokenId(0)).await),
        RollupErrors::TooManyForcedExits(e) if e.index == 5
    ));
    assert_eq!(
        rollup.open_forced_exits(AccountIndex(5)).await.unwrap(),
        U256::from(2)
    );
    mallory
        .request_forced_exit(AccountIndex(6), TokenId(0))
        .await
        .unwrap();
    assert!(matches!(
        refusal(
            mallory
                .request_forced_exit(AccountIndex(7), TokenId(0))
                .await
        ),
        RollupErrors::PriorityQueueFull(_)
    ));
    assert_eq!(rollup.priority_queue().await.unwrap(), (0, 6));
}

#[tokio::test]
async fn deployment_refuses_timings_and_caps_that_would_leave_users_exposed() {
    let chain = chain();
    let deploy_error = |config: DeployConfig| {
        let chain = chain.clone();
        async move { refusal(zksettle_l1::deploy(&chain, &config).await) }
    };
    let bad_timing = |e: RollupErrors| matches!(e, RollupErrors::BadTiming(_));
    let bad_limits = |e: RollupErrors| matches!(e, RollupErrors::BadQueueLimits(_));
    // The fallback must open before operations expire; an upgrade's notice must outlast them.
    let mut c = square_config(3600);
    c.fallback_delay_seconds = 3600;
    assert!(bad_timing(deploy_error(c).await));
    let mut c = square_config(3600);
    c.fallback_delay_seconds = 0;
    assert!(bad_timing(deploy_error(c).await));
    let mut c = square_config(3600);
    c.upgrade_notice_seconds = 3600;
    assert!(bad_timing(deploy_error(c).await));
    // The cap must be drainable after the fallback opens: 1,800 s / 60 s = 30 one-deposit
    // batches.
    let c = square_config(3600);
    assert_eq!(c.max_priority_ops, 30);
    let mut too_many = c.clone();
    too_many.max_priority_ops = 31;
    assert!(bad_limits(deploy_error(too_many).await));
    let mut slower = c.clone();
    slower.batch_interval_seconds = 61;
    assert!(bad_limits(deploy_error(slower).await));
    let mut one = c.clone();
    one.max_priority_ops = 1;
    assert!(bad_limits(deploy_error(one).await));
    let mut none_per_index = c.clone();
    none_per_index.max_forced_exits_per_index = 0;
    assert!(bad_limits(deploy_error(none_per_index).await));
    let mut no_governance = c.clone();
    no_governance.roles.governance = Some(Address::ZERO);
    assert!(matches!(
        deploy_error(no_governance).await,
        RollupErrors::ZeroAddress(_)
    ));
    zksettle_l1::deploy(&chain, &c).await.unwrap();

    // A window under a day only on local development chains.
    let mut short = square_config(60);
    short.batch_interval_seconds = 1;
    short.max_priority_ops = DeployConfig::largest_queue(&short.shape, 60, 30, 1);
    for dev in [31337, 1337] {
        let dev_chain = EmbeddedChain::new(dev, &[(chain.sender(), U256::from(10u128.pow(24)))]);
        zksettle_l1::deploy(&dev_chain, &short).await.unwrap();
    }
    let public = EmbeddedChain::new(1, &[(chain.sender(), U256::from(10u128.pow(24)))]);
    for window in [60, 3600, 86_399] {
        let mut c = square_config(window);
        c.batch_interval_seconds = 1;
        c.max_priority_ops = 2;
        assert!(bad_timing(refusal(zksettle_l1::deploy(&public, &c).await)));
    }
    zksettle_l1::deploy(&public, &square_config(86_400))
        .await
        .unwrap();
}

#[tokio::test]
async fn upgrades_wait_out_their_notice_keep_the_state_and_never_land_in_exodus() {
    let chain = chain();
    let config = square_config(3600);
    let (deployment, rollup) = rollup_with(&chain, &config).await;
    assert_eq!(config.upgrade_notice_seconds, 7200);
    // Some state: a deposit, a forced exit (its fee a pending balance), a token.
    let key = PrivateKey::from_bytes([7; 32]).public_key().0;
    let deposit = rollup
        .deposit_eth(&key, L1Address([3; 20]), U256::from(1234u64))
        .await
        .unwrap();
    rollup
        .request_forced_exit(AccountIndex(9), TokenId(0))
        .await
        .unwrap();
    let token = deploy_code(&chain, test_token_init()).await;
    rollup.register_token(token).await.unwrap();
    let before = (
        rollup.state_root().await.unwrap(),
        rollup.priority_queue().await.unwrap(),
        rollup
            .pending_balance(chain.sender(), TokenId(0))
            .await
            .unwrap(),
        rollup.open_forced_exits(AccountIndex(9)).await.unwrap(),
    );

    // The new code: the same rollup with a higher forced-exit fee.
    let mut next_config = config.clone();
    next_config.forced_exit_fee_wei = U256::from(5_000_000_000_000_000u64);
    let next = zksettle_l1::deploy_implementation(&chain, &deployment, &next_config)
        .await
        .unwrap();
    assert!(matches!(
        refusal(rollup.execute_upgrade().await),
        RollupErrors::NoUpgradeScheduled(_)
    ));
    assert!(matches!(
        refusal(rollup.schedule_upgrade(Address::repeat_byte(0x12)).await),
        RollupErrors::NotAContract(_)
    ));
    let scheduled = rollup.schedule_upgrade(next).await.unwrap();
    let logged: Vec<Rollup::UpgradeScheduled> = events(&scheduled);
    let pending = rollup.pending_upgrade().await.unwrap().unwrap();
    assert_eq!(pending.implementation, next);
    assert_eq!(logged[0].readyAt, pending.ready_at);
    chain.increase_time(7_100).await.unwrap();
    assert!(matches!(
        refusal(rollup.execute_upgrade().await),
        RollupErrors::UpgradeNotReady(e) if e.readyAt == pending.ready_at
    ));
    chain.increase_time(100).await.unwrap();
    rollup.execute_upgrade().await.unwrap();
    assert_eq!(rollup.implementation().await.unwrap(), next);
    assert_eq!(rollup.pending_upgrade().await.unwrap(), None);
    assert_eq!(
        rollup.forced_exit_fee().await.unwrap(),
        next_config.forced_exit_fee_wei
    );
    let after = (
        rollup.state_root().await.unwrap(),
        rollup.priority_queue().await.unwrap(),
        rollup
            .pending_balance(chain.sender(), TokenId(0))
            .await
            .unwrap(),
        rollup.open_forced_exits(AccountIndex(9)).await.unwrap(),
    );
    assert_eq!(before, after);
    let id = call(&chain, rollup.address(), Rollup::tokenIdCall { token })
        .await
        .unwrap();
    assert_eq!(id, 1);

    // Cancelled upgrades never land.
    rollup
        .schedule_upgrade(deployment.implementation)
        .await
        .unwrap();
    rollup.cancel_upgrade().await.unwrap();
    chain.increase_time(7_201).await.unwrap();
    assert!(matches!(
        refusal(rollup.execute_upgrade().await),
        RollupErrors::NoUpgradeScheduled(_)
    ));

    // A user who rejects an upgrade lets an operation expire: exodus, and the upgrade is dead.
    rollup
        .schedule_upgrade(deployment.implementation)
        .await
        .unwrap();
    rollup.activate_exodus().await.unwrap();
    chain.increase_time(7_201).await.unwrap();
    assert!(matches!(
        refusal(rollup.execute_upgrade().await),
        RollupErrors::InExodus(_)
    ));
    assert_eq!(rollup.implementation().await.unwrap(), next);
    rollup.refund_deposit(&deposit).await.unwrap();
}

fn test_token_init() -> Vec<u8> {
    [
        TestToken::BYTECODE.as_ref(),
        &TestToken::constructorCall {
            name_: "Test".into(),
            symbol_: "TST".into(),
        }
        .abi_encode(),
    ]
    .concat()
}

/// Sends `call` to `to` from `from`'s handle and panics if it fails.
async fn send_ok(from: &EmbeddedChain, to: Address, call: impl SolCall) {
    from.send(TxRequest::call(to, call.abi_encode()))
        .await
        .unwrap();
}

/// `token`'s balance of `owner` (any ERC-20's `balanceOf`).
async fn token_balance(chain: &EmbeddedChain, token: Address, owner: Address) -> U256 {
    call(chain, token, TestToken::balanceOfCall(owner))
        .await
        .unwrap()
}

/// `owner` (its own handle) deposits `amount` of the registered `token` for a key, with
/// itself as the L1 address; then the window passes unprocessed, exodus starts and the
/// deposit is refunded to `owner`'s pending balance. How a test puts a token balance where
/// only `withdraw` can take it out.
async fn deposit_then_refund(
    rollup: &RollupClient<EmbeddedChain>,
    owner: &EmbeddedChain,
    token: Address,
    amount: u64,
) -> PriorityOp {
    let as_owner = RollupClient::new(owner.clone(), rollup.address());
    let key = PrivateKey::from_bytes([8; 32]).public_key().0;
    let deposit = as_owner
        .deposit_erc20(
            token,
            U256::from(amount),
            &key,
            zksettle_l1::convert::l1_address(owner.sender()),
        )
        .await
        .unwrap();
    owner.increase_time(3_601).await.unwrap();
    as_owner.activate_exodus().await.unwrap();
    as_owner.refund_deposit(&deposit).await.unwrap();
    deposit
}

#[tokio::test]
async fn a_token_returning_no_bool_deposits_and_withdraws() {
    let chain = chain();
    let rollup = rollup_with_window(&chain, 3600).await;
    let token = deploy_code(&chain, NoReturnToken::BYTECODE.to_vec()).await;
    let id = rollup.register_token(token).await.unwrap();
    let owner = stranger(&chain, 0x01);
    send_ok(
        &owner,
        token,
        NoReturnToken::mintCall {
            to: owner.sender(),
            value: U256::from(1_000),
        },
    )
    .await;
    send_ok(
        &owner,
        token,
        NoReturnToken::approveCall {
            spender: rollup.address(),
            value: U256::from(600),
        },
    )
    .await;
    // More than approved: the token reverts, and so does the deposit.
    let as_owner = RollupClient::new(owner.clone(), rollup.address());
    let key = PrivateKey::from_bytes([8; 32]).public_key().0;
    assert!(as_owner
        .deposit_erc20(token, U256::from(601), &key, L1Address([1; 20]))
        .await
        .is_err());
    let deposit = deposit_then_refund(&rollup, &owner, token, 600).await;
    assert!(matches!(deposit, PriorityOp::Deposit { amount: 600, token, .. } if token == id));
    assert_eq!(
        token_balance(&chain, token, owner.sender()).await,
        U256::from(400)
    );
    as_owner.withdraw(id).await.unwrap();
    assert_eq!(
        token_balance(&chain, token, owner.sender()).await,
        U256::from(1_000)
    );
    assert_eq!(
        token_balance(&chain, token, rollup.address()).await,
        U256::ZERO
    );
}

#[tokio::test]
async fn a_fee_on_transfer_deposit_credits_what_arrived() {
    let chain = chain();
    let rollup = rollup_with_window(&chain, 3600).await;
    let token = deploy_code(&chain, FeeOnTransferToken::BYTECODE.to_vec()).await;
    let id = rollup.register_token(token).await.unwrap();
    let owner = stranger(&chain, 0x02);
    send_ok(
        &owner,
        token,
        FeeOnTransferToken::mintCall {
            to: owner.sender(),
            value: U256::from(10_000),
        },
    )
    .await;
    send_ok(
        &owner,
        token,
        FeeOnTransferToken::approveCall {
            spender: rollup.address(),
            value: U256::from(10_000),
        },
    )
    .await;
    // 1,000 sent, 1% kept by the token: 990 arrive, and 990 is what the queue (and so L2) holds.
    let deposit = deposit_then_refund(&rollup, &owner, token, 1_000).await;
    assert!(matches!(deposit, PriorityOp::Deposit { amount: 990, .. }));
    assert_eq!(
        token_balance(&chain, token, rollup.address()).await,
        U256::from(990)
    );
    assert_eq!(
        rollup.pending_balance(owner.sender(), id).await.unwrap(),
        U256::from(990)
    );
    RollupClient::new(owner.clone(), rollup.address())
        .withdraw(id)
        .await
        .unwrap();
    // The withdrawal pays its own 1% on the way out; the rollup is left with nothing.
    assert_eq!(
        token_balance(&chain, token, owner.sender()).await,
        U256::from(9_000 + 990 - 9)
    );
    assert_eq!(
        token_balance(&chain, token, rollup.address()).await,
        U256::ZERO
    );
}

#[tokio::test]
async fn a_blacklisted_owner_withdraws_to_another_address_it_names() {
    let chain = chain();
    let rollup = rollup_with_window(&chain, 3600).await;
    let token = deploy_code(&chain, BlacklistToken::BYTECODE.to_vec()).await;
    let id = rollup.register_token(token).await.unwrap();
    let owner = stranger(&chain, 0x03);
    send_ok(
        &owner,
        token,
        BlacklistToken::mintCall {
            to: owner.sender(),
            value: U256::from(700),
        },
    )
    .await;
    send_ok(
        &owner,
        token,
        BlacklistToken::approveCall {
            spender: rollup.address(),
            value: U256::from(700),
        },
    )
    .await;
    deposit_then_refund(&rollup, &owner, token, 700).await;
    send_ok(
        &chain,
        token,
        BlacklistToken::setBlacklistedCall {
            account: owner.sender(),
            value: true,
        },
    )
    .await;
    let as_owner = RollupClient::new(owner.clone(), rollup.address());
    // Paying the owner itself reverts inside the token; the balance stays pending.
    assert!(matches!(
        refusal(as_owner.withdraw(id).await),
        RollupErrors::TransferFailed(_)
    ));
    assert!(matches!(
        refusal(as_owner.withdraw_to(id, Address::ZERO).await),
        RollupErrors::ZeroAddress(_)
    ));
    // Someone else cannot redirect it: withdrawTo pays the caller's own balance.
    let mallory = RollupClient::new(stranger(&chain, 0x66), rollup.address());
    assert!(matches!(
        refusal(mallory.withdraw_to(id, mallory.chain().sender()).await),
        RollupErrors::NothingToWithdraw(_)
    ));
    let elsewhere = Address::repeat_byte(0x44);
    as_owner.withdraw_to(id, elsewhere).await.unwrap();
    assert_eq!(
        token_balance(&chain, token, elsewhere).await,
        U256::from(700)
    );
    assert_eq!(
        rollup.pending_balance(owner.sender(), id).await.unwrap(),
        U256::ZERO
    );
    assert!(matches!(
        refusal(as_owner.withdraw_to(id, elsewhere).await),
        RollupErrors::NothingToWithdraw(_)
    ));
}
