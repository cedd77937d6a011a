use super::*;
use zksettle_core::{Domain, L1Address, PrivateKey, TokenId, Transfer, Tx};

fn domain() -> Domain {
    Domain {
        chain_id: 1,
        rollup: L1Address([7; 20]),
    }
}

fn transfer(from: u32, nonce: Nonce, amount: Balance, fee: Balance) -> SignedTx {
    let key = PrivateKey::from_bytes([from as u8; 32]);
    Tx::Transfer(Transfer {
        from: AccountIndex(from),
        token: TokenId(0),
        amount,
        fee,
        nonce,
        to: PrivateKey::from_bytes([99; 32]).public_key(),
        to_l1_address: L1Address([99; 20]),
    })
    .sign(&key, &domain())
}

fn rich(nonce: Nonce) -> SenderState {
    SenderState {
        nonce,
        balance: 1_000_000,
    }
}

fn small() -> MempoolConfig {
    MempoolConfig {
        global_pending: 6,
        global_queued: 3,
        account_pending: 4,
        account_queued: 2,
        price_bump_percent: 10,
        lifetime_seconds: 60,
    }
}

#[test]
fn contiguous_nonces_are_pending_and_a_filled_gap_promotes_the_queue() {
    let mut pool = Mempool::new(small());
    let now = Instant::now();
    assert_eq!(
        pool.add(transfer(1, 5, 10, 1), rich(5), now),
        Ok(Added::Pending)
    );
    assert_eq!(
        pool.add(transfer(1, 7, 10, 1), rich(5), now),
        Ok(Added::Queued)
    );
    assert_eq!((pool.pending_len(), pool.queued_len()), (1, 1));
    assert_eq!(pool.next_nonce(AccountIndex(1), rich(5)), 6);
    assert_eq!(
        pool.add(transfer(1, 6, 10, 1), rich(5), now),
        Ok(Added::Pending)
    );
    assert_eq!((pool.pending_len(), pool.queued_len()), (3, 0));
    let nonces: Vec<Nonce> = pool.best(10).iter().map(|t| t.tx.tx.nonce()).collect();
    assert_eq!(nonces, [5, 6, 7]);
}

#[test]
fn used_and_far_future_nonces_and_duplicates_are_refused() {
    let mut pool = Mempool::new(small());
    let now = Instant::now();
    assert_eq!(
        pool.add(transfer(1, 4, 10, 1), rich(5), now),
        Err(PoolError::NonceTooLow {
            expected: 5,
            got: 4
        })
    );
    // account_pending + account_queued = 6 nonces from 5: 5..=10.
    assert_eq!(
        pool.add(transfer(1, 11, 10, 1), rich(5), now),
        Err(PoolError::NonceTooHigh {
            expected: 5,
            max: 10,
            got: 11
        })
    );
    let tx = transfer(1, 5, 10, 1);
    pool.add(tx, rich(5), now).unwrap();
    assert_eq!(pool.add(tx, rich(5), now), Err(PoolError::AlreadyKnown));
    assert_eq!(pool.len(), 1);
    // Refusals leave no empty sender behind.
    assert!(pool.add(transfer(2, 0, 10, 1), rich(3), now).is_err());
    assert_eq!(pool.senders.len(), 1);
}

#[test]
fn replacement_needs_the_price_bump() {
    let mut pool = Mempool::new(small());
    let now = Instant::now();
    let first = transfer(1, 0, 10, 100);
    pool.add(first, rich(0), now).unwrap();
    assert_eq!(
        pool.add(transfer(1, 0, 10, 109), rich(0), now),
        Err(PoolError::ReplacementUnderpriced { min_fee: 110 })
    );
    let second = transfer(1, 0, 10, 110);
    assert_eq!(
        pool.add(second, rich(0), now),
        Ok(Added::Replaced(first.hash()))
    );
    assert!(pool.get(&first.hash()).is_none());
    assert!(pool.get(&second.hash()).is_some_and(|(_, pending)| pending));
    assert_eq!(pool.len(), 1);
    // A zero fee is replaced by any positive one.
    pool.add(transfer(2, 0, 10, 0), rich(0), now).unwrap();
    assert_eq!(
        pool.add(transfer(2, 0, 11, 0), rich(0), now),
        Err(PoolError::ReplacementUnderpriced { min_fee: 1 })
    );
}

#[test]
fn the_pending_run_must_be_affordable_together() {
    let mut pool = Mempool::new(small());
    let now = Instant::now();
    let state = SenderState {
        nonce: 0,
        balance: 25,
    };
    pool.add(transfer(1, 0, 10, 1), state, now).unwrap();
    pool.add(transfer(1, 1, 10, 1), state, now).unwrap();
    assert_eq!(
        pool.add(transfer(1, 2, 3, 1), state, now),
        Err(PoolError::InsufficientBalance {
            balance: 25,
            required: 26,
        })
    );
    // A replacement that would make the run unaffordable is refused too.
    assert_eq!(
        pool.add(transfer(1, 0, 13, 2), state, now),
        Err(PoolError::InsufficientBalance {
            balance: 25,
            required: 26,
        })
    );
}

#[test]
fn account_and_global_limits_hold() {
    let mut pool = Mempool::new(small());
    let now = Instant::now();
    for n in 0..4 {
        pool.add(transfer(1, n, 1, 1), rich(0), now).unwrap();
    }
    assert_eq!(
        pool.add(transfer(1, 4, 1, 1), rich(0), now),
        Err(PoolError::AccountFull)
    );
    pool.add(transfer(2, 0, 1, 1), rich(0), now).unwrap();
    pool.add(transfer(2, 1, 1, 1), rich(0), now).unwrap();
    assert_eq!(
        pool.add(transfer(3, 0, 1, 1), rich(0), now),
        Err(PoolError::PoolFull)
    );
    pool.add(transfer(3, 2, 1, 1), rich(0), now).unwrap();
    pool.add(transfer(3, 3, 1, 1), rich(0), now).unwrap();
    assert_eq!(
        pool.add(transfer(3, 4, 1, 1), rich(0), now),
        Err(PoolError::AccountFull)
    );
    pool.add(transfer(4, 1, 1, 1), rich(0), now).unwrap();
    assert_eq!(
        pool.add(transfer(5, 1, 1, 1), rich(0), now),
        Err(PoolError::PoolFull)
    );
    assert_eq!((pool.pending_len(), pool.queued_len()), (6, 3));
}

#[test]
fn best_orders_by_fee_across_senders_and_by_nonce_within() {
    let mut pool = Mempool::new(MempoolConfig::default());
    let now = Instant::now();
    pool.add(transfer(1, 0, 1, 5), rich(0), now).unwrap();
    pool.add(transfer(1, 1, 1, 50), rich(0), now).unwrap();
    pool.add(transfer(2, 0, 1, 20), rich(0), now).unwrap();
    pool.add(transfer(3, 0, 1, 20), rich(0), now).unwrap();
    pool.add(transfer(4, 3, 1, 99), rich(0), now).unwrap(); // queued: never offered
    let order: Vec<(u32, Nonce)> = pool
        .best(10)
        .iter()
        .map(|t| (t.tx.tx.from().0, t.tx.tx.nonce()))
        .collect();
    // Sender 1's high-fee nonce 1 waits behind its nonce 0; equal fees go by arrival.
    assert_eq!(order, [(2, 0), (3, 0), (1, 0), (1, 1)]);
    assert_eq!(pool.best(2).len(), 2);
}

#[test]
fn reconcile_drops_used_and_unaffordable_and_requeues_after_a_gap() {
    let mut pool = Mempool::new(MempoolConfig::default());
    let now = Instant::now();
    let a: Vec<SignedTx> = (0..4).map(|n| transfer(1, n, 10, 1)).collect();
    for tx in &a {
        pool.add(*tx, rich(0), now).unwrap();
    }
    let b0 = transfer(2, 0, 10, 1);
    let b1 = transfer(2, 1, 10, 1);
    let b2 = transfer(2, 2, 10, 1);
    for tx in [b0, b1, b2] {
        pool.add(tx, rich(0), now).unwrap();
    }
    // The batch included a0 and b0, refused b1; account 1 now holds 11 (one more tx).
    let included: HashSet<TxHash> = [a[0].hash(), b0.hash()].into();
    let dropped = pool.reconcile(
        [AccountIndex(1), AccountIndex(2)],
        &included,
        &[(
            b1.hash(),
            DropReason::Refused {
                rule: "bad signature".into(),
            },
        )],
        |i| {
            Some(match i.0 {
                1 => SenderState {
                    nonce: 1,
                    balance: 11,
                },
                _ => rich(1),
            })
        },
    );
    assert!(dropped.contains(&Dropped {
        hash: b1.hash(),
        reason: DropReason::Refused {
            rule: "bad signature".into()
        }
    }));
    assert!(dropped.contains(&Dropped {
        hash: a[2].hash(),
        reason: DropReason::InsufficientBalance
    }));
    assert_eq!(dropped.len(), 2);
    assert!(pool.get(&a[0].hash()).is_none());
    assert!(pool.get(&a[1].hash()).is_some_and(|(_, pending)| pending));
    // a3 and b2 lost their predecessors: back to the queue until those nonces come again.
    assert!(pool.get(&a[3].hash()).is_some_and(|(_, pending)| !pending));
    assert!(pool.get(&b2.hash()).is_some_and(|(_, pending)| !pending));
    assert_eq!((pool.pending_len(), pool.queued_len()), (1, 2));
    let b1_again = transfer(2, 1, 10, 2);
    assert_eq!(pool.add(b1_again, rich(1), now), Ok(Added::Pending));
    assert!(pool.get(&b2.hash()).is_some_and(|(_, pending)| pending));
}

#[test]
fn a_transaction_superseded_on_chain_is_dropped_as_nonce_used() {
    let mut pool = Mempool::new(MempoolConfig::default());
    let now = Instant::now();
    let pooled = transfer(1, 0, 10, 1);
    pool.add(pooled, rich(0), now).unwrap();
    let dropped = pool.reconcile([AccountIndex(1)], &HashSet::new(), &[], |_| Some(rich(1)));
    assert_eq!(
        dropped,
        [Dropped {
            hash: pooled.hash(),
            reason: DropReason::NonceUsed
        }]
    );
    assert!(pool.is_empty());
}

#[test]
fn queued_transactions_expire_pending_ones_do_not() {
    let mut pool = Mempool::new(small());
    let start = Instant::now();
    let pending = transfer(1, 0, 1, 1);
    let queued = transfer(1, 2, 1, 1);
    pool.add(pending, rich(0), start).unwrap();
    pool.add(queued, rich(0), start).unwrap();
    assert!(pool
        .evict_expired(start + Duration::from_secs(60))
        .is_empty());
    let dropped = pool.evict_expired(start + Duration::from_secs(61));
    assert_eq!(
        dropped,
        [Dropped {
            hash: queued.hash(),
            reason: DropReason::Expired
        }]
    );
    assert_eq!(pool.len(), 1);
}

#[test]
fn a_pending_runs_cost_follows_inserts_replacements_and_removals_exactly() {
    let entry = |amount: Balance, fee: Balance| PoolTx {
        hash: [amount as u8; 32],
        tx: transfer(1, 0, amount, fee),
        arrival: 0,
        received: Instant::now(),
    };
    let mut run = PendingRun::default();
    run.insert(0, entry(10, 1));
    run.insert(1, entry(20, 2));
    assert_eq!(run.cost(), 33);
    // A replacement counts once: the old cost leaves as the new one enters.
    run.insert(1, entry(5, 5));
    assert_eq!(run.cost(), 21);
    assert!(run.remove(&0).is_some());
    assert!(run.remove(&0).is_none());
    assert_eq!(run.cost(), 10);
    // Past `Balance::MAX` the cost saturates, and comes back exactly when the run shrinks.
    run.insert(2, entry(Balance::MAX - 3, 0));
    run.insert(3, entry(100, 0));
    assert_eq!(run.cost(), Balance::MAX);
    run.remove(&3);
    assert_eq!(run.cost(), Balance::MAX);
    run.remove(&1);
    assert_eq!(run.cost(), Balance::MAX - 3);
    run.remove(&2);
    assert_eq!(run.cost(), 0);
}
