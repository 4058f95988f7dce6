//! MNIST IDX files: reading (raw or gzip), verification (magic, dimensions, length, SHA-256 of
//! the decompressed bytes against the canonical values) and fetching from public mirrors.
//!
//! Lookup order (see [`LoadOptions`]): an explicit directory (`--data-dir`), the `SAM_MNIST_DIR`
//! environment variable, then `data/mnist/` in the repository; when the repository directory
//! lacks the files they are fetched from the mirrors (overridable with `SAM_MNIST_MIRRORS`, a
//! comma-separated list of base URLs), verified, and written through a temporary file that is
//! renamed into place, so no partial file is ever left behind.
//!
//! Verified cache: the image files take most of the start-up (about 0.25 s to read, decompress
//! and hash). After one has been verified, its payload is kept in
//! `$XDG_CACHE_HOME/samlab/mnist-verified/` (else `~/.cache/...`), keyed by the source file's
//! path, size, modification time and inode and by the canonical checksum; a later read of the
//! same unchanged file takes the cached bytes (length checked) instead. A changed file (new size,
//! mtime or inode) is verified again and replaces its entry; the folder keeps the four newest
//! entries (at most about 190 MB). `SAM_MNIST_NO_CACHE` set turns the cache off; failing to
//! write it is never an error. The small label files are always verified.

use crate::error::{MnistError, Result};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Pixels per image (28 x 28).
pub const PIXELS: usize = 784;
/// Number of classes.
pub const CLASSES: usize = 10;

/// One of the four canonical MNIST files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdxSpec {
    /// File name without `.gz`.
    pub name: &'static str,
    /// What the file holds (for messages).
    pub what: &'static str,
    /// Dimensions in the IDX header.
    pub dims: &'static [u32],
    /// SHA-256 (hex) of the decompressed file.
    pub sha256: &'static str,
}

impl IdxSpec {
    /// The IDX magic number: `0x0000_08nn` (unsigned bytes, `nn` dimensions).
    pub fn magic(&self) -> u32 {
        0x0800 | self.dims.len() as u32
    }
    /// Decompressed file length: header plus payload.
    pub fn file_len(&self) -> usize {
        4 + 4 * self.dims.len() + self.dims.iter().map(|&d| d as usize).product::<usize>()
    }
}

/// Training images.
pub const TRAIN_IMAGES: IdxSpec = IdxSpec {
    name: "train-images-idx3-ubyte",
    what: "training images",
    dims: &[60000, 28, 28],
    sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
};
/// Training labels.
pub const TRAIN_LABELS: IdxSpec = IdxSpec {
    name: "train-labels-idx1-ubyte",
    what: "training labels",
    dims: &[60000],
    sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
};
/// Test images.
pub const TEST_IMAGES: IdxSpec = IdxSpec {
    name: "t10k-images-idx3-ubyte",
    what: "test images",
    dims: &[10000, 28, 28],
    sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
};
/// Test labels.
pub const TEST_LABELS: IdxSpec = IdxSpec {
    name: "t10k-labels-idx1-ubyte",
    what: "test labels",
    dims: &[10000],
    sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
};
/// The four files, in the order train images, train labels, test images, test labels.
pub const FILES: [IdxSpec; 4] = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];

/// Default mirrors (base URLs; `<name>.gz` is appended).
pub const DEFAULT_MIRRORS: [&str; 2] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
];

/// Environment variable naming the data directory.
pub const ENV_DIR: &str = "SAM_MNIST_DIR";
/// Environment variable overriding the mirror list (comma-separated base URLs).
pub const ENV_MIRRORS: &str = "SAM_MNIST_MIRRORS";

/// The MNIST data set: raw pixels (row-major, 784 bytes per image) and labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Mnist {
    /// Training images, `n_train * 784` bytes.
    pub train_images: Vec<u8>,
    /// Training labels, `n_train` values in `0..10`.
    pub train_labels: Vec<u8>,
    /// Test images, `n_test * 784` bytes.
    pub test_images: Vec<u8>,
    /// Test labels.
    pub test_labels: Vec<u8>,
}

impl Mnist {
    /// Builds a data set from raw parts (e.g. synthetic data), checking shapes and labels.
    ///
    /// ```
    /// let m = sam_mnist::data::Mnist::from_parts(vec![0; 2 * 784], vec![3, 7], vec![255; 784], vec![1]).unwrap();
    /// assert_eq!((m.n_train(), m.n_test()), (2, 1));
    /// assert!(sam_mnist::data::Mnist::from_parts(vec![0; 784], vec![10], vec![], vec![]).is_err());
    /// ```
    pub fn from_parts(
        train_images: Vec<u8>,
        train_labels: Vec<u8>,
        test_images: Vec<u8>,
        test_labels: Vec<u8>,
    ) -> Result<Self> {
        for (what, imgs, labels) in [
            ("train", &train_images, &train_labels),
            ("test", &test_images, &test_labels),
        ] {
            if imgs.len() != labels.len() * PIXELS {
                return Err(MnistError::InvalidData(format!(
                    "{what} images have {} bytes, expected {} labels x 784 = {}",
                    imgs.len(),
                    labels.len(),
                    labels.len() * PIXELS
                )));
            }
            if let Some(&l) = labels.iter().find(|&&l| l as usize >= CLASSES) {
                return Err(MnistError::InvalidData(format!(
                    "{what} label {l} out of range, expected 0..=9"
                )));
            }
        }
        Ok(Mnist {
            train_images,
            train_labels,
            test_images,
            test_labels,
        })
    }
    /// Number of training images.
    pub fn n_train(&self) -> usize {
        self.train_labels.len()
    }
    /// Number of test images.
    pub fn n_test(&self) -> usize {
        self.test_labels.len()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks decompressed IDX bytes against `spec` (magic, dimensions, length, SHA-256) and returns
/// the payload. `path` is only used in error messages.
///
/// ```
/// use sam_mnist::data::{verify_idx, TRAIN_LABELS};
/// let err = verify_idx(&[0, 0, 8, 3], &TRAIN_LABELS, "x".as_ref()).unwrap_err();
/// assert!(err.to_string().contains("magic"));
/// ```
pub fn verify_idx(bytes: &[u8], spec: &IdxSpec, path: &Path) -> Result<Vec<u8>> {
    let nd = spec.dims.len();
    let header = 4 + 4 * nd;
    if bytes.len() < 4 {
        return Err(MnistError::BadLength {
            path: path.into(),
            found: bytes.len(),
            expected: spec.file_len(),
        });
    }
    let magic = u32::from_be_bytes(bytes[0..4].try_into().unwrap());
    if magic != spec.magic() {
        return Err(MnistError::BadMagic {
            path: path.into(),
            what: spec.what,
            found: magic,
            expected: spec.magic(),
        });
    }
    if bytes.len() < header {
        return Err(MnistError::BadLength {
            path: path.into(),
            found: bytes.len(),
            expected: spec.file_len(),
        });
    }
    let dims: Vec<u32> = (0..nd)
        .map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()))
        .collect();
    if dims != spec.dims {
        return Err(MnistError::BadDims {
            path: path.into(),
            found: dims,
            expected: spec.dims.to_vec(),
        });
    }
    if bytes.len() != spec.file_len() {
        return Err(MnistError::BadLength {
            path: path.into(),
            found: bytes.len(),
            expected: spec.file_len(),
        });
    }
    let found = hex(&Sha256::digest(bytes));
    if found != spec.sha256 {
        return Err(MnistError::Checksum {
            path: path.into(),
            found,
            expected: spec.sha256.to_string(),
        });
    }
    Ok(bytes[header..].to_vec())
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> MnistError + '_ {
    move |source| MnistError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Decompresses one gzip member, reading at most `max_len + 1` bytes of output (so a
/// decompression bomb is cut off and then fails the length check) and refusing data after the
/// member (a second member or trailing bytes, which `zcat` would decode differently).
fn gunzip(bytes: &[u8], path: &Path, max_len: usize) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(max_len.min(bytes.len().saturating_mul(8)) + 1);
    let mut dec = flate2::bufread::GzDecoder::new(bytes);
    (&mut dec)
        .take(max_len as u64 + 1)
        .read_to_end(&mut out)
        .map_err(io_err(path))?;
    if out.len() <= max_len && !dec.into_inner().is_empty() {
        return Err(MnistError::InvalidData(format!(
            "{}: data after the first gzip member (a concatenated or padded file): replace it with the original download",
            path.display()
        )));
    }
    Ok(out)
}

/// Payloads at least this large are cached once verified (the image files; the label files
/// verify in well under a millisecond).
const CACHE_MIN_PAYLOAD: usize = 1 << 20;

/// The cache entry of the verified payload of `src` (as it is now: size, mtime, inode), or
/// `None` when caching is off or there is no cache folder.
fn cache_entry(src: &Path, spec: &IdxSpec) -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    if std::env::var_os("SAM_MNIST_NO_CACHE").is_some() || spec.file_len() < CACHE_MIN_PAYLOAD {
        return None;
    }
    let meta = std::fs::metadata(src).ok()?;
    let path = std::fs::canonicalize(src).ok()?;
    // FNV-1a of the canonical path: one entry per source file
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.as_os_str().as_encoded_bytes() {
        h = (h ^ *b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let dir = cache_dir()?.with_file_name("mnist-verified");
    Some(dir.join(format!(
        "{}-{h:016x}-{}-{}.{}-{}-{}.u8",
        spec.name,
        meta.len(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ino(),
        &spec.sha256[..16]
    )))
}

/// The cached payload of `entry`, if present with the payload's exact length.
fn read_cached(entry: &Path, spec: &IdxSpec) -> Option<Vec<u8>> {
    let want = spec.file_len() - (4 + 4 * spec.dims.len());
    let len = std::fs::metadata(entry).ok()?.len();
    if len != want as u64 {
        return None;
    }
    std::fs::read(entry).ok().filter(|b| b.len() == want)
}

/// Entries kept in the cache folder (the newest; each is one image file's payload, 8 or 47 MB).
const CACHE_KEEP: usize = 4;

/// Writes `payload` as `entry` (through a temporary file renamed into place), removes the older
/// entries of the same source file and keeps the [`CACHE_KEEP`] newest entries in all; errors
/// are ignored (the cache is an optimisation).
fn write_cached(entry: &Path, spec: &IdxSpec, payload: &[u8]) {
    let (Some(dir), Some(name)) = (entry.parent(), entry.file_name()) else {
        return;
    };
    let name = name.to_string_lossy();
    // "<file name>-<path hash>-" identifies the source file
    let Some(prefix) = name.get(..spec.name.len() + 18) else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = dir.join(format!(".{name}.{}.tmp", sam_results::unique_suffix()));
    if std::fs::write(&tmp, payload).is_err() || std::fs::rename(&tmp, entry).is_err() {
        let _ = std::fs::remove_file(&tmp);
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut others: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n == *name || !n.ends_with(".u8") {
            continue;
        }
        if n.starts_with(prefix) {
            let _ = std::fs::remove_file(e.path());
        } else if let Ok(t) = e.metadata().and_then(|m| m.modified()) {
            others.push((t, e.path()));
        }
    }
    others.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (_, p) in others.iter().skip(CACHE_KEEP - 1) {
        let _ = std::fs::remove_file(p);
    }
}

/// [`verify_idx`] of the bytes `read` gives, through the verified cache of `src`.
fn verified(src: &Path, spec: &IdxSpec, read: impl FnOnce() -> Result<Vec<u8>>) -> Result<Vec<u8>> {
    let entry = cache_entry(src, spec);
    if let Some(hit) = entry.as_deref().and_then(|e| read_cached(e, spec)) {
        return Ok(hit);
    }
    let payload = verify_idx(&read()?, spec, src)?;
    if let Some(e) = &entry {
        write_cached(e, spec, &payload);
    }
    Ok(payload)
}

/// Reads one file from `dir` (`<name>` raw, else `<name>.gz`), verifies it and returns the payload
/// (through the verified cache for the image files: see the module docs).
///
/// ```
/// use sam_mnist::{data::{read_idx, TEST_LABELS}, MnistError};
/// let e = read_idx(std::path::Path::new("/nonexistent"), &TEST_LABELS).unwrap_err();
/// assert!(matches!(e, MnistError::Missing { .. }));
/// ```
pub fn read_idx(dir: &Path, spec: &IdxSpec) -> Result<Vec<u8>> {
    let raw = dir.join(spec.name);
    let gz = dir.join(format!("{}.gz", spec.name));
    if raw.is_file() {
        // a file larger than the canonical one is refused without reading it into memory
        // (smaller ones are read, to say exactly what is wrong with them)
        let len = std::fs::metadata(&raw).map_err(io_err(&raw))?.len();
        if len > spec.file_len() as u64 {
            return Err(MnistError::BadLength {
                path: raw,
                found: usize::try_from(len).unwrap_or(usize::MAX),
                expected: spec.file_len(),
            });
        }
        verified(&raw, spec, || std::fs::read(&raw).map_err(io_err(&raw)))
    } else if gz.is_file() {
        let len = std::fs::metadata(&gz).map_err(io_err(&gz))?.len();
        if len > MAX_DOWNLOAD {
            return Err(MnistError::InvalidData(format!(
                "{}: {len} bytes, more than any MNIST file compresses to ({MAX_DOWNLOAD}): replace it with the original download",
                gz.display()
            )));
        }
        verified(&gz, spec, || {
            let bytes = std::fs::read(&gz).map_err(io_err(&gz))?;
            gunzip(&bytes, &gz, spec.file_len())
        })
    } else {
        Err(MnistError::Missing {
            file: spec.name.to_string(),
            dir: dir.to_path_buf(),
        })
    }
}

/// Whether `dir` holds all four files (in either form; not verified).
///
/// ```
/// assert!(!sam_mnist::data::has_files(std::path::Path::new("/nonexistent")));
/// ```
pub fn has_files(dir: &Path) -> bool {
    FILES
        .iter()
        .all(|s| dir.join(s.name).is_file() || dir.join(format!("{}.gz", s.name)).is_file())
}

/// Reads and verifies the four files in `dir`.
///
/// ```
/// let e = sam_mnist::data::load_dir("/nonexistent".as_ref()).unwrap_err();
/// assert!(e.to_string().contains("train-images-idx3-ubyte"));
/// ```
pub fn load_dir(dir: &Path) -> Result<Mnist> {
    let mut parts = FILES.iter().map(|s| read_idx(dir, s));
    let (a, b, c, d) = (
        parts.next().unwrap()?,
        parts.next().unwrap()?,
        parts.next().unwrap()?,
        parts.next().unwrap()?,
    );
    Mnist::from_parts(a, b, c, d)
}

/// Where the data were found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The explicit `--data-dir`.
    Explicit(PathBuf),
    /// The `SAM_MNIST_DIR` environment variable.
    Env(PathBuf),
    /// `data/mnist/` in the repository or the current folder (already present).
    Repo(PathBuf),
    /// The user's cache folder (already present).
    Cache(PathBuf),
    /// Fetched now (into the cache folder, or `repo_dir` without one).
    Fetched(PathBuf),
}

impl Source {
    /// What kind of place: `explicit`, `env`, `repo`, `cache` or `fetched`.
    ///
    /// ```
    /// use sam_mnist::data::Source;
    /// assert_eq!(Source::Env("/d".into()).kind(), "env");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Explicit(_) => "explicit",
            Source::Env(_) => "env",
            Source::Repo(_) => "repo",
            Source::Cache(_) => "cache",
            Source::Fetched(_) => "fetched",
        }
    }
    /// The folder.
    pub fn path(&self) -> &Path {
        match self {
            Source::Explicit(p)
            | Source::Env(p)
            | Source::Repo(p)
            | Source::Cache(p)
            | Source::Fetched(p) => p,
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.path().display(), self.kind())
    }
}

/// How to find (and possibly fetch) the data. Build with [`LoadOptions::new`] (reads the
/// environment) or fill the fields directly (tests, for isolation from the environment).
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// `--data-dir`: used if given (must hold the files).
    pub data_dir: Option<PathBuf>,
    /// Value of `SAM_MNIST_DIR` if set: used next (must hold the files).
    pub env_dir: Option<PathBuf>,
    /// `data/mnist/` of the repository, or of the current folder for an installed binary.
    pub repo_dir: PathBuf,
    /// The user's cache folder (`$XDG_CACHE_HOME/samlab/mnist`, else `~/.cache/samlab/mnist`):
    /// looked in after `repo_dir`, and where downloads go. `None`: downloads go to `repo_dir`.
    pub cache_dir: Option<PathBuf>,
    /// Base URLs tried in order when the repository directory lacks the files.
    pub mirrors: Vec<String>,
    /// Whether fetching is allowed at all.
    pub allow_fetch: bool,
}

impl LoadOptions {
    /// Options from `--data-dir`, the environment (`SAM_MNIST_DIR`, `SAM_MNIST_MIRRORS`) and the
    /// repository's `data/mnist/` directory; fetching allowed.
    ///
    /// ```
    /// let o = sam_mnist::data::LoadOptions::new(None, "data/mnist".into());
    /// assert!(o.allow_fetch && !o.mirrors.is_empty());
    /// ```
    pub fn new(data_dir: Option<PathBuf>, repo_dir: PathBuf) -> Self {
        let mirrors = match std::env::var(ENV_MIRRORS) {
            Ok(s) if !s.trim().is_empty() => s
                .split(',')
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty())
                .collect(),
            _ => DEFAULT_MIRRORS.iter().map(|s| s.to_string()).collect(),
        };
        LoadOptions {
            data_dir,
            // an empty SAM_MNIST_DIR counts as unset, not as the current folder
            env_dir: std::env::var_os(ENV_DIR)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            repo_dir,
            cache_dir: cache_dir(),
            mirrors,
            allow_fetch: true,
        }
    }
}

/// Finds, verifies (and if needed fetches) the data; returns it with where it came from.
///
/// An explicit or environment directory must hold the files (an error says so otherwise); only
/// the repository directory is filled by fetching.
///
/// ```
/// use sam_mnist::data::{load, LoadOptions};
/// let opts = LoadOptions { data_dir: None, env_dir: None, repo_dir: "/nonexistent".into(),
///                          cache_dir: None, mirrors: vec![], allow_fetch: false };
/// assert!(load(&opts).is_err()); // not there, and fetching is off
/// ```
pub fn load(opts: &LoadOptions) -> Result<(Mnist, Source)> {
    if let Some(d) = &opts.data_dir {
        return Ok((load_dir(d)?, Source::Explicit(d.clone())));
    }
    if let Some(d) = &opts.env_dir {
        return Ok((load_dir(d)?, Source::Env(d.clone())));
    }
    let d = &opts.repo_dir;
    if has_files(d) {
        return Ok((load_dir(d)?, Source::Repo(d.clone())));
    }
    if let Some(c) = opts.cache_dir.as_ref().filter(|c| has_files(c)) {
        return Ok((load_dir(c)?, Source::Cache(c.clone())));
    }
    if !opts.allow_fetch {
        return Ok((load_dir(d)?, Source::Repo(d.clone())));
    }
    let target = opts.cache_dir.as_ref().unwrap_or(d);
    fetch(target, &opts.mirrors)?;
    Ok((load_dir(target)?, Source::Fetched(target.clone())))
}

/// The user's cache folder for MNIST: `$XDG_CACHE_HOME/samlab/mnist`, else
/// `$HOME/.cache/samlab/mnist` (`None` without either).
///
/// ```
/// if let Some(d) = sam_mnist::data::cache_dir() { assert!(d.ends_with("samlab/mnist")); }
/// ```
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("samlab").join("mnist"))
}

/// The longest a download may take, in seconds (`SAM_MNIST_TIMEOUT` overrides it); connecting
/// and waiting for the response each have at most a sixth of it (at least 5 s).
pub const DEFAULT_TIMEOUT_S: u64 = 120;

/// The download timeout: `SAM_MNIST_TIMEOUT` (whole seconds > 0) or [`DEFAULT_TIMEOUT_S`].
///
/// ```
/// assert!(sam_mnist::data::download_timeout().unwrap().as_secs() > 0);
/// ```
pub fn download_timeout() -> Result<std::time::Duration> {
    match std::env::var("SAM_MNIST_TIMEOUT") {
        Err(_) => Ok(std::time::Duration::from_secs(DEFAULT_TIMEOUT_S)),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(s) if s > 0 => Ok(std::time::Duration::from_secs(s)),
            _ => Err(sam_params::Invalid::new(
                "SAM_MNIST_TIMEOUT",
                format!("'{v}'"),
                format!("whole seconds > 0 (default {DEFAULT_TIMEOUT_S})"),
            )
            .into()),
        },
    }
}

fn http_get(url: &str) -> Result<Vec<u8>> {
    let http = |message: String| MnistError::Http {
        url: url.to_string(),
        message,
    };
    let total = download_timeout()?;
    let part = (total / 6)
        .max(std::time::Duration::from_secs(5))
        .min(total);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(total))
        .timeout_connect(Some(part))
        .timeout_recv_response(Some(part))
        .build()
        .into();
    let mut resp = agent.get(url).call().map_err(|e| {
        http(format!(
            "{e} (timeouts: {} s in all, {} s to connect or to answer; SAM_MNIST_TIMEOUT sets the total)",
            total.as_secs(),
            part.as_secs()
        ))
    })?;
    // a progress bar with bytes and rate on stderr (hidden when stderr is not a terminal)
    let len = resp
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let pb = indicatif::ProgressBar::new(len.unwrap_or(0));
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    pb.set_message(url.rsplit('/').next().unwrap_or(url).to_string());
    let mut out = Vec::new();
    // at most MAX_DOWNLOAD bytes: a mirror that never stops sending cannot fill the memory
    let read = pb
        .wrap_read(resp.body_mut().as_reader().take(MAX_DOWNLOAD + 1))
        .read_to_end(&mut out)
        .map_err(|e| http(e.to_string()));
    pb.finish_and_clear();
    read?;
    if out.len() as u64 > MAX_DOWNLOAD {
        return Err(http(format!(
            "more than {MAX_DOWNLOAD} bytes: not an MNIST file (the largest is about 10 MB)"
        )));
    }
    Ok(out)
}

/// The most bytes one download may bring (the largest MNIST file is about 10 MB gzipped).
const MAX_DOWNLOAD: u64 = 64 << 20;

/// Downloads every missing file of the four into `dir` from the first mirror that serves bytes
/// that verify. Each file is written to a temporary file in `dir` and renamed into place only
/// after verification; folders this call created are removed again when it fails.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("sam-mnist-doc-{}", std::process::id()));
/// let e = sam_mnist::data::fetch(&dir, &[]).unwrap_err(); // no mirrors: nothing to try
/// assert!(e.to_string().contains("could not fetch"));
/// assert!(!dir.exists()); // nothing left behind, not even the folder
/// ```
pub fn fetch(dir: &Path, mirrors: &[String]) -> Result<()> {
    download_timeout()?; // a bad SAM_MNIST_TIMEOUT is one error, before any folder or mirror
                         // the folders this call creates (deepest first), to remove again if every mirror fails
    let created: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .map(Path::to_path_buf)
        .collect();
    let result = fetch_into(dir, mirrors);
    if result.is_err() {
        for d in &created {
            let _ = std::fs::remove_dir(d); // only if still empty
        }
    }
    result
}

fn fetch_into(dir: &Path, mirrors: &[String]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    for spec in &FILES {
        if dir.join(spec.name).is_file() || dir.join(format!("{}.gz", spec.name)).is_file() {
            continue;
        }
        let mut attempts = Vec::new();
        let mut last = None;
        let mut ok = None;
        for m in mirrors {
            let url = format!("{}/{}.gz", m.trim_end_matches('/'), spec.name);
            let got = http_get(&url).and_then(|gz| {
                let raw = gunzip(&gz, Path::new(&url), spec.file_len())?;
                verify_idx(&raw, spec, Path::new(&url))?;
                Ok(gz)
            });
            match got {
                Ok(gz) => {
                    ok = Some(gz);
                    break;
                }
                Err(e) => {
                    attempts.push(format!("{url}: {e}"));
                    last = Some(e);
                }
            }
        }
        let Some(gz) = ok else {
            return Err(MnistError::FetchFailed {
                file: spec.name.to_string(),
                attempts,
                last: Box::new(last.unwrap_or(MnistError::Http {
                    url: String::new(),
                    message: "no mirrors given".into(),
                })),
            });
        };
        let dest = dir.join(format!("{}.gz", spec.name));
        sam_results::write_atomic(&dest, &gz).map_err(|e| MnistError::Io {
            path: dest.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
    }
    Ok(())
}
