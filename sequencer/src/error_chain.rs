//! [`ErrorChain`]: an error with all its sources on one line, for logs and for messages that
//! leave the process (RPC internal errors). The crate's errors keep their causes as sources
//! rather than in their own message, so `Display` alone would print only the outermost step.

use std::fmt;

/// Displays an error and its sources, `: `-separated ("account tree: storage backend: IO error: …").
#[derive(Debug, Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'a));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(e) = source {
            write!(f, ": {e}")?;
            source = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DbError;
    use zksettle_core::tree::StoreError;

    #[test]
    fn a_chain_names_every_cause_once() {
        let e = DbError::Tree(StoreError::Backend(Box::new(std::io::Error::other(
            "disk full",
        ))));
        assert_eq!(
            ErrorChain(&e).to_string(),
            "account tree store: storage backend: disk full"
        );
    }
}
