//! A sequencer-shaped run of the core: batches applied to a RocksDB tree and committed one atomic
//! write each, the process "restarted" (database closed and reopened) between batches, and the
//! whole state rebuilt from the posted pubdata on a fresh tree.

use zksettle_core::stf::{apply_batch, replay_batch, BatchInput, StfConfig};
use zksettle_core::tree::{AccountTree, RocksStore};
use zksettle_core::{
    AccountIndex, BatchShape, Deposit, Domain, L1Address, MemoryStore, Op, PrivateKey, TokenId,
    Transfer, Tx,
};

const SHAPE: BatchShape = BatchShape {
    depth: 24,
    chunks: 32,
    fee_slots: 2,
};

fn config() -> StfConfig {
    StfConfig {
        domain: Domain {
            chain_id: 1,
            rollup: L1Address([0x42; 20]),
        },
        shape: SHAPE,
    }
}

fn key(i: u8) -> PrivateKey {
    PrivateKey::from_bytes([i; 32])
}

fn transfer(from: u32, signer: u8, to: u32, recipient: u8, amount: u128, nonce: u32) -> Op {
    let t = Transfer {
        from: AccountIndex(from),
        token: TokenId(0),
        amount,
        fee: 1,
        nonce,
        to: key(recipient).public_key(),
        to_l1_address: L1Address([recipient; 20]),
    };
    let signature = Tx::Transfer(t)
        .sign(&key(signer), &config().domain)
        .signature;
    Op::Transfer {
        to: AccountIndex(to),
        transfer: t,
        signature,
    }
}

#[test]
fn restarts_lose_nothing_and_pubdata_rebuilds_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut posted = Vec::new();
    let batches: Vec<(Vec<Op>, Vec<AccountIndex>)> = vec![
        (
            (1..=4u8)
                .map(|i| {
                    Op::Deposit(Deposit {
                        to: AccountIndex(u32::from(i)),
                        token: TokenId(0),
                        amount: 1_000_000,
                        public_key: key(i).public_key().0,
                        l1_address: L1Address([i; 20]),
                    })
                })
                .collect(),
            vec![],
        ),
        (
            vec![transfer(2, 2, 3, 3, 500, 0), transfer(3, 3, 9, 9, 250, 0)],
            vec![AccountIndex(1)],
        ),
        (
            vec![transfer(9, 9, 2, 2, 100, 0), transfer(2, 2, 3, 3, 1, 1)],
            vec![AccountIndex(1)],
        ),
    ];
    for (n, (ops, fees)) in batches.into_iter().enumerate() {
        // Each batch runs in a freshly opened database, as after a restart.
        let mut tree =
            AccountTree::open(RocksStore::open(dir.path()).unwrap(), SHAPE.depth).unwrap();
        let input = BatchInput {
            number: n as u64 + 1,
            ops,
            fee_recipients: fees,
        };
        let applied = apply_batch(&mut tree, &config(), &input).unwrap();
        assert!(applied.rejected.is_empty(), "{:?}", applied.rejected);
        tree.commit().unwrap();
        posted.push((input.number, applied.pubdata().to_vec(), applied.new_root()));
        drop(tree);
        // Changes made but never committed (a crash before the write) leave no trace.
        let mut crashed =
            AccountTree::open(RocksStore::open(dir.path()).unwrap(), SHAPE.depth).unwrap();
        let stray =
            zksettle_core::Account::new(TokenId(0), 5, key(7).public_key(), L1Address::ZERO);
        crashed.set_account(AccountIndex(77), Some(stray)).unwrap();
    }
    let tree = AccountTree::open(RocksStore::open(dir.path()).unwrap(), SHAPE.depth).unwrap();
    assert_eq!(tree.root().unwrap(), posted.last().unwrap().2);
    assert_eq!(tree.account(AccountIndex(77)).unwrap(), None);
    let balance = |i: u32| tree.account(AccountIndex(i)).unwrap().unwrap().balance;
    assert_eq!(
        balance(1),
        1_000_000 + 4,
        "four fees of 1 settled to the fee account"
    );
    assert_eq!(balance(2), 1_000_000 - 501 + 100 - 2);
    assert_eq!(balance(3), 1_000_000 + 500 - 251 + 1);
    assert_eq!(balance(9), 250 - 101);

    let mut rebuilt = AccountTree::open(MemoryStore::new(), SHAPE.depth).unwrap();
    for (number, pubdata, root) in &posted {
        let replayed = replay_batch(&mut rebuilt, &config(), *number, pubdata).unwrap();
        assert_eq!(replayed.new_root, *root);
        rebuilt.commit().unwrap();
    }
    for i in [1, 2, 3, 4, 9] {
        assert_eq!(
            rebuilt.account(AccountIndex(i)).unwrap(),
            tree.account(AccountIndex(i)).unwrap()
        );
    }
}
