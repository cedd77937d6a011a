use super::*;
use crate::account::{L1Address, TokenId};
use crate::eddsa::PrivateKey;
use crate::poseidon::poseidon;

fn account(seed: u8, token: u32, balance: u128) -> Account {
    Account::new(
        TokenId(token),
        balance,
        PrivateKey::from_bytes([seed; 32]).public_key(),
        L1Address([seed; 20]),
    )
}

/// Root of a full tree computed level by level from every leaf: the definition, with no sparsity.
fn reference_root(depth: u8, leaves: &HashMap<u32, Account>) -> Fr {
    let mut level: Vec<Fr> = (0..1u32 << depth)
        .map(|i| leaf_value(leaves.get(&i)))
        .collect();
    while level.len() > 1 {
        level = level.chunks(4).map(|c| poseidon(c).unwrap()).collect();
    }
    level[0]
}

#[test]
fn empty_tree_root_is_the_empty_subtree_value() {
    let tree = AccountTree::open(MemoryStore::new(), 24).unwrap();
    assert_eq!(tree.levels(), 12);
    assert_eq!(tree.root().unwrap(), empty_subtree_values()[12]);
    let path = tree.merkle_path(AccountIndex(12345)).unwrap();
    assert_eq!(path.root(Fr::from(0u64)), tree.root().unwrap());
}

#[test]
fn sparse_updates_match_the_dense_definition() {
    let depth = 6;
    let mut tree = AccountTree::open(MemoryStore::new(), depth).unwrap();
    let mut leaves = HashMap::new();
    for (step, index) in [3u32, 17, 63, 1, 17, 8, 3, 62, 61].into_iter().enumerate() {
        let a = account(step as u8 + 1, step as u32, step as u128 * 1000);
        tree.set_account(AccountIndex(index), Some(a)).unwrap();
        leaves.insert(index, a);
        assert_eq!(tree.root().unwrap(), reference_root(depth, &leaves));
        let path = tree.merkle_path(AccountIndex(index)).unwrap();
        assert_eq!(path.root(a.leaf_hash()), tree.root().unwrap());
    }
    tree.set_account(AccountIndex(17), None).unwrap();
    leaves.remove(&17);
    assert_eq!(tree.root().unwrap(), reference_root(depth, &leaves));
}

#[test]
fn bulk_update_equals_one_by_one() {
    let updates: Vec<_> = (1..300u32)
        .map(|i| {
            (
                AccountIndex(i * 7919 % (1 << 20)),
                Some(account((i % 250) as u8, i, u128::from(i))),
            )
        })
        .collect();
    let mut bulk = AccountTree::open(MemoryStore::new(), 20).unwrap();
    bulk.set_accounts(&updates).unwrap();
    let mut single = AccountTree::open(MemoryStore::new(), 20).unwrap();
    for (i, a) in &updates {
        single.set_account(*i, *a).unwrap();
    }
    assert_eq!(bulk.root().unwrap(), single.root().unwrap());
}

#[test]
fn index_rules() {
    let mut tree = AccountTree::open(MemoryStore::new(), 4).unwrap();
    assert!(matches!(
        tree.set_account(AccountIndex(0), None),
        Err(TreeError::ReservedIndex)
    ));
    assert!(matches!(
        tree.set_account(AccountIndex(16), None),
        Err(TreeError::IndexOutOfRange {
            index: 16,
            depth: 4
        })
    ));
    assert!(matches!(
        AccountTree::open(MemoryStore::new(), 0),
        Err(TreeError::DepthOutOfRange(0))
    ));
    assert!(matches!(
        AccountTree::open(MemoryStore::new(), 33),
        Err(TreeError::DepthOutOfRange(33))
    ));
    assert!(matches!(
        AccountTree::open(MemoryStore::new(), 5),
        Err(TreeError::DepthOutOfRange(5))
    ));
    assert_eq!(tree.next_free_index().unwrap(), Some(AccountIndex(1)));
    tree.set_account(AccountIndex(15), Some(account(1, 0, 1)))
        .unwrap();
    assert_eq!(tree.next_free_index().unwrap(), None);
}

#[test]
fn commit_discard_and_snapshots() {
    let mut tree = AccountTree::open(MemoryStore::new(), 8).unwrap();
    let empty = tree.root().unwrap();
    tree.set_account(AccountIndex(1), Some(account(1, 0, 5)))
        .unwrap();
    let one = tree.root().unwrap();
    tree.discard();
    assert_eq!(tree.root().unwrap(), empty);
    assert_eq!(tree.account(AccountIndex(1)).unwrap(), None);

    tree.set_account(AccountIndex(1), Some(account(1, 0, 5)))
        .unwrap();
    tree.commit().unwrap();
    assert_eq!(tree.root().unwrap(), one);
    let snap = tree.snapshot();
    tree.set_account(AccountIndex(2), Some(account(2, 0, 5)))
        .unwrap();
    assert_ne!(tree.root().unwrap(), one);
    tree.restore(snap);
    assert_eq!(tree.root().unwrap(), one);
    // Removing the only account returns the store to holding no nodes at all.
    tree.set_account(AccountIndex(1), None).unwrap();
    tree.commit().unwrap();
    assert_eq!(tree.root().unwrap(), empty);
    assert_eq!(tree.store().node_count(), 0);
}

#[test]
fn key_index_follows_accounts() {
    let mut tree = AccountTree::open(MemoryStore::new(), 8).unwrap();
    let a = account(1, 3, 5);
    tree.set_account(AccountIndex(4), Some(a)).unwrap();
    tree.set_account(AccountIndex(2), Some(a)).unwrap();
    tree.set_account(AccountIndex(5), Some(account(1, 4, 5)))
        .unwrap();
    assert_eq!(
        tree.accounts_by_key(&a.public_key, TokenId(3)).unwrap(),
        vec![AccountIndex(2), AccountIndex(4)]
    );
    tree.commit().unwrap();
    assert_eq!(
        tree.accounts_by_key(&a.public_key, TokenId(3)).unwrap(),
        vec![AccountIndex(2), AccountIndex(4)]
    );
    tree.set_account(AccountIndex(2), None).unwrap();
    assert_eq!(
        tree.accounts_by_key(&a.public_key, TokenId(3)).unwrap(),
        vec![AccountIndex(4)]
    );
    tree.commit().unwrap();
    assert_eq!(
        tree.accounts_by_key(&a.public_key, TokenId(3)).unwrap(),
        vec![AccountIndex(4)]
    );
    assert_eq!(tree.highest_index().unwrap(), AccountIndex(5));
}

#[cfg(feature = "rocksdb")]
#[test]
fn rocksdb_store_matches_memory_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    let updates: Vec<_> = (1..200u32)
        .map(|i| {
            (
                AccountIndex(i * 31),
                Some(account(i as u8, i % 3, u128::from(i))),
            )
        })
        .collect();
    let mut memory = AccountTree::open(MemoryStore::new(), 16).unwrap();
    memory.set_accounts(&updates).unwrap();
    let root = {
        let mut rocks = AccountTree::open(RocksStore::open(dir.path()).unwrap(), 16).unwrap();
        rocks.set_accounts(&updates[..100]).unwrap();
        rocks.commit().unwrap();
        rocks.set_accounts(&updates[100..]).unwrap();
        rocks.commit().unwrap();
        // Uncommitted changes are not persisted.
        rocks
            .set_account(AccountIndex(1), Some(account(9, 9, 9)))
            .unwrap();
        memory.root().unwrap()
    };
    let reopened = AccountTree::open(RocksStore::open(dir.path()).unwrap(), 16).unwrap();
    assert_eq!(reopened.root().unwrap(), root);
    assert_eq!(reopened.account(AccountIndex(31)).unwrap(), updates[0].1);
    assert_eq!(reopened.account(AccountIndex(1)).unwrap(), None);
    assert_eq!(reopened.highest_index().unwrap(), AccountIndex(199 * 31));
    let a = updates[4].1.unwrap();
    assert_eq!(
        reopened.accounts_by_key(&a.public_key, a.token).unwrap(),
        vec![AccountIndex(5 * 31)]
    );
    drop(reopened);
    let err = AccountTree::open(RocksStore::open(dir.path()).unwrap(), 20).unwrap_err();
    assert!(matches!(
        err,
        TreeError::Store(StoreError::DepthMismatch {
            stored: 16,
            requested: 20
        })
    ));
}
