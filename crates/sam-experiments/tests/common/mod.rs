//! Shared by the MNIST claim tests: where the MNIST files are.

use std::path::{Path, PathBuf};

/// `$SAM_MNIST_DIR`, else `../shared/data/mnist` beside the repository, when it holds the four
/// files; `None` (the caller skips, saying so) otherwise.
pub fn mnist_dir() -> Option<PathBuf> {
    let d = std::env::var_os("SAM_MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist")
        });
    if sam_mnist::data::has_files(&d) {
        Some(d)
    } else {
        eprintln!("skipped: no MNIST files (set SAM_MNIST_DIR)");
        None
    }
}
