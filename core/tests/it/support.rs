//! The shared test builders (`zksettle-test-support`) at this suite's shape: a wide tree and
//! batch, so that the state transition's limits are far away unless a test goes for them.

use zksettle_core::stf::StfConfig;
use zksettle_core::BatchShape;
pub(crate) use zksettle_test_support::{
    addr, deposit, forced_exit, key, transfer, withdraw, World,
};

pub(crate) const SHAPE: BatchShape = BatchShape {
    depth: 24,
    chunks: 64,
    fee_slots: 4,
};

pub(crate) fn config() -> StfConfig {
    StfConfig {
        domain: zksettle_test_support::domain(),
        shape: SHAPE,
    }
}

/// An empty world at [`SHAPE`].
pub(crate) fn world() -> World {
    World::new(SHAPE)
}
