//! The batch circuit against the native state transition: batches the core accepts satisfy the
//! circuit with the same commitment, and witnesses mutated one field at a time do not.

// Test fixtures fail the test by panicking, like the assertions around them.
#![allow(clippy::unwrap_used)]

mod agreement;
mod batch;
mod differential;
mod mutation_cases;
mod mutations;
mod raw_mutations;
mod refusals;
mod support;
