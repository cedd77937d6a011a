//! Cross-crate integration and end-to-end tests of zksettle live in `it/` (one test binary).
