//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in `sam-mnist`. Each message names the offending file or value,
/// what was expected, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum MnistError {
    /// A required IDX file is in none of the looked-up forms.
    #[error(
        "MNIST file {file} not found in {dir} (looked for {file} and {file}.gz); \
         pass --data-dir DIR or set SAM_MNIST_DIR to a directory holding the four IDX files, \
         or let samlab fetch them into data/mnist/"
    )]
    Missing {
        /// The IDX file name (without `.gz`).
        file: String,
        /// The directory that was searched.
        dir: PathBuf,
    },
    /// Reading or decompressing a file failed.
    #[error("cannot read {path}: {source}; check the file is a readable (gzip-compressed or raw) IDX file, or delete it so it is fetched again")]
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file does not start with the IDX magic number expected for it.
    #[error("{path}: bad IDX magic number {found:#010x}, expected {expected:#010x}; the file is not the MNIST {what} file: replace it with the canonical one")]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// What the file should hold.
        what: &'static str,
        /// The magic number found.
        found: u32,
        /// The magic number expected.
        expected: u32,
    },
    /// The IDX header dimensions are not the canonical ones.
    #[error("{path}: IDX dimensions {found:?}, expected {expected:?}; replace the file with the canonical MNIST file")]
    BadDims {
        /// The file.
        path: PathBuf,
        /// Dimensions found in the header.
        found: Vec<u32>,
        /// Dimensions expected.
        expected: Vec<u32>,
    },
    /// The payload is shorter (or longer) than the header says.
    #[error("{path}: {found} bytes after decompression, expected {expected} (header + payload); the file is truncated or corrupt: delete it and fetch it again")]
    BadLength {
        /// The file.
        path: PathBuf,
        /// Decompressed length found.
        found: usize,
        /// Decompressed length expected.
        expected: usize,
    },
    /// The SHA-256 of the decompressed bytes is not the canonical one.
    #[error("{path}: SHA-256 of the decompressed bytes is {found}, expected {expected}; the file is corrupt or not canonical MNIST: delete it and fetch it again")]
    Checksum {
        /// The file (or URL for fetched bytes).
        path: PathBuf,
        /// The digest found (hex).
        found: String,
        /// The canonical digest (hex).
        expected: String,
    },
    /// Fetching a file failed on every mirror.
    #[error("could not fetch {file} from any mirror ({}); last error: {last}. Check the network or pass --data-dir / SAM_MNIST_DIR, or set SAM_MNIST_MIRRORS to a comma-separated list of base URLs", attempts.join("; "))]
    FetchFailed {
        /// The IDX file name.
        file: String,
        /// One line per mirror tried.
        attempts: Vec<String>,
        /// The last mirror's error.
        last: Box<MnistError>,
    },
    /// A single HTTP download failed.
    #[error("download of {url} failed: {message}")]
    Http {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A data set given as raw vectors is inconsistent.
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// A hyperparameter is out of range (the workspace's one error shape).
    #[error(transparent)]
    Invalid(#[from] sam_params::Invalid),
    /// A parameter or direction vector has the wrong shape.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The loss became NaN or infinite.
    #[error("non-finite loss {loss} at epoch {epoch}, step {step} ({what}); lower the learning rate (or rho)")]
    NonFinite {
        /// Epoch (1-based; 0 = before training).
        epoch: usize,
        /// Step within the epoch (0-based).
        step: usize,
        /// The loss value.
        loss: f64,
        /// Where it was detected.
        what: &'static str,
    },
    /// The optimizer stack rejected a setting.
    #[error(transparent)]
    Optim(#[from] sam_optim::OptimError),
}

/// `Result` with [`MnistError`].
pub type Result<T> = std::result::Result<T, MnistError>;
