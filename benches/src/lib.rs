//! Criterion benchmarks of zksettle (`cargo bench -p zksettle-benches`) and the fixtures they
//! share. Each bench group puts zksettle's path beside the reference it must beat, so one run
//! gives the ratio the README's performance table quotes.

use zksettle_core::{Account, AccountIndex, L1Address, PrivateKey, TokenId};

/// `n` distinct accounts at pseudo-random indices of a depth-`depth` tree, deterministic.
pub fn random_accounts(n: u32, depth: u8, salt: u32) -> Vec<(AccountIndex, Option<Account>)> {
    let key = PrivateKey::from_bytes([7; 32]).public_key();
    let mask = (1u64 << depth) - 1;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n as usize);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ u64::from(salt);
    while out.len() < n as usize {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let index = (x & mask).max(1);
        if seen.insert(index) {
            let account = Account::new(
                TokenId(salt),
                u128::from(salt) + index as u128,
                key,
                L1Address([1; 20]),
            );
            out.push((AccountIndex(index as u32), Some(account)));
        }
    }
    out
}
