//! # samlab
//!
//! The facade of the samlab workspace: it re-exports the crates so that the workspace-level
//! property tests in `tests/` (one named test per claim of the review) can reach them.
//!
//! ```
//! use samlab::objectives::{Fig2, Objective};
//! assert_eq!(Fig2.value(&[1.0, 5.0]), 0.0);
//! ```

pub use sam_objectives as objectives;
pub use sam_optim as optim;
