//! Helpers shared by the integration tests of sam-mnist.

use sam_mnist::data::Mnist;
use std::path::{Path, PathBuf};

/// The folder of the canonical MNIST files: `$SAM_MNIST_DIR`, else the shared copy beside the
/// project; `None` when the files are absent (present but corrupt files fail the caller).
#[allow(dead_code)]
pub fn shared_dir() -> Option<PathBuf> {
    let d = std::env::var_os("SAM_MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist")
        });
    sam_mnist::data::has_files(&d).then_some(d)
}

/// The real MNIST data, if its files are present.
#[allow(dead_code)]
pub fn real() -> Option<Mnist> {
    shared_dir().map(|d| sam_mnist::data::load_dir(&d).unwrap())
}
