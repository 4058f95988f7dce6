//! IDX reading, verification and fetching: each corruption gives its own error, the fetch path
//! works against a local HTTP server and never leaves a partial or bad file behind.

mod common;
use common::shared_dir;

use sam_mnist::data::{self, LoadOptions, Source, FILES, TRAIN_LABELS};
use sam_mnist::MnistError;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

fn idx_bytes(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(payload);
    v
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn corrupt_files_give_specific_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    // missing
    let e = data::read_idx(p, &TRAIN_LABELS).unwrap_err();
    assert!(matches!(e, MnistError::Missing { .. }), "{e}");
    assert!(
        e.to_string().contains("train-labels-idx1-ubyte") && e.to_string().contains("--data-dir")
    );
    let f = p.join(TRAIN_LABELS.name);
    let write = |b: &[u8]| std::fs::write(&f, b).unwrap();
    // wrong magic (an images header on the labels file)
    write(&idx_bytes(0x0803, &[60000, 28, 28], &[0; 10]));
    let e = data::read_idx(p, &TRAIN_LABELS).unwrap_err();
    assert!(
        matches!(
            e,
            MnistError::BadMagic {
                found: 0x0803,
                expected: 0x0801,
                ..
            }
        ),
        "{e}"
    );
    // wrong dims
    write(&idx_bytes(0x0801, &[59999], &[0; 59999]));
    let e = data::read_idx(p, &TRAIN_LABELS).unwrap_err();
    assert!(matches!(e, MnistError::BadDims { .. }), "{e}");
    assert!(e.to_string().contains("60000"));
    // truncated
    write(&idx_bytes(0x0801, &[60000], &[0; 1000]));
    let e = data::read_idx(p, &TRAIN_LABELS).unwrap_err();
    assert!(
        matches!(
            e,
            MnistError::BadLength {
                found: 1008,
                expected: 60008,
                ..
            }
        ),
        "{e}"
    );
    // truncated header
    write(&[0, 0, 8, 1, 0]);
    assert!(matches!(
        data::read_idx(p, &TRAIN_LABELS).unwrap_err(),
        MnistError::BadLength { .. }
    ));
    // right shape, wrong content
    write(&idx_bytes(0x0801, &[60000], &[0; 60000]));
    let e = data::read_idx(p, &TRAIN_LABELS).unwrap_err();
    assert!(matches!(e, MnistError::Checksum { .. }), "{e}");
    assert!(e.to_string().contains(TRAIN_LABELS.sha256));
    // the same through gzip, and a corrupt gzip stream
    std::fs::remove_file(&f).unwrap();
    let g = p.join(format!("{}.gz", TRAIN_LABELS.name));
    std::fs::write(&g, gz(&idx_bytes(0x0801, &[60000], &[1; 60000]))).unwrap();
    assert!(matches!(
        data::read_idx(p, &TRAIN_LABELS).unwrap_err(),
        MnistError::Checksum { .. }
    ));
    let mut bad = gz(&idx_bytes(0x0801, &[60000], &[1; 60000]));
    bad.truncate(bad.len() / 2);
    std::fs::write(&g, bad).unwrap();
    let e = data::read_idx(p, &TRAIN_LABELS).unwrap_err();
    assert!(matches!(e, MnistError::Io { .. }), "{e}");
    // an explicit directory that lacks the files is an error, not a silent fallback
    let opts = LoadOptions {
        data_dir: Some(p.to_path_buf()),
        env_dir: None,
        repo_dir: p.join("repo"),
        cache_dir: None,
        mirrors: vec![],
        allow_fetch: true,
    };
    assert!(data::load(&opts).is_err());
}

#[test]
fn real_data_loads_and_verifies() {
    let Some(d) = shared_dir() else {
        eprintln!("skipped: no shared MNIST copy");
        return;
    };
    let m = data::load_dir(&d).unwrap();
    assert_eq!((m.n_train(), m.n_test()), (60000, 10000));
    assert_eq!(m.train_images.len(), 60000 * 784);
    // the lookup order: explicit > env > repo
    let opts = LoadOptions {
        data_dir: None,
        env_dir: Some(d.clone()),
        repo_dir: "/nonexistent".into(),
        cache_dir: None,
        mirrors: vec![],
        allow_fetch: false,
    };
    assert_eq!(data::load(&opts).unwrap().1, Source::Env(d.clone()));
    // the user's cache folder comes after the repository's data/mnist (issue 12, item 11)
    let cached = LoadOptions {
        env_dir: None,
        cache_dir: Some(d.clone()),
        ..opts.clone()
    };
    assert_eq!(data::load(&cached).unwrap().1, Source::Cache(d.clone()));
    let opts = LoadOptions {
        data_dir: Some(d.clone()),
        ..opts
    };
    assert_eq!(data::load(&opts).unwrap().1, Source::Explicit(d));
}

/// A one-thread HTTP/1.1 server on 127.0.0.1 serving `files` (path -> bytes), 404 otherwise.
fn serve(files: Vec<(String, Vec<u8>)>) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let files = Arc::new(files);
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&req)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let body = files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, b)| b.clone());
            let (status, body) = match body {
                Some(b) => ("200 OK", b),
                None => ("404 Not Found", b"not found".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    format!("http://{addr}/mnist/")
}

#[test]
fn fetch_from_local_server_verifies_and_leaves_no_partial_files() {
    let Some(d) = shared_dir() else {
        eprintln!("skipped: no shared MNIST copy");
        return;
    };
    // good bytes (the canonical gz files) behind a mirror that 404s first
    let good: Vec<(String, Vec<u8>)> = FILES
        .iter()
        .map(|s| {
            let b = std::fs::read(d.join(format!("{}.gz", s.name))).unwrap();
            (format!("/mnist/{}.gz", s.name), b)
        })
        .collect();
    let url = serve(good);
    let dead = serve(vec![]);
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("data/mnist");
    let opts = LoadOptions {
        data_dir: None,
        env_dir: None,
        repo_dir: repo.clone(),
        cache_dir: None,
        mirrors: vec![dead, url],
        allow_fetch: true,
    };
    let (m, src) = data::load(&opts).unwrap();
    assert_eq!(src, Source::Fetched(repo.clone()));
    assert_eq!(m.n_test(), 10000);
    let mut names: Vec<_> = std::fs::read_dir(&repo)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    // second load: found in the repo, no fetch
    assert_eq!(data::load(&opts).unwrap().1, Source::Repo(repo));

    // bad bytes: a well-formed labels file with the wrong content -> checksum error, no file
    let bad_labels = gz(&idx_bytes(0x0801, &[60000], &[7; 60000]));
    let bad = serve(vec![(
        format!("/mnist/{}.gz", TRAIN_LABELS.name),
        bad_labels,
    )]);
    let tmp2 = tempfile::tempdir().unwrap();
    let repo2 = tmp2.path().join("data/mnist");
    std::fs::create_dir_all(&repo2).unwrap();
    // the images are already there, so only the labels are fetched
    std::fs::copy(
        d.join("train-images-idx3-ubyte.gz"),
        repo2.join("train-images-idx3-ubyte.gz"),
    )
    .unwrap();
    let e = data::fetch(&repo2, &[bad]).unwrap_err();
    match &e {
        MnistError::FetchFailed { file, last, .. } => {
            assert_eq!(file, TRAIN_LABELS.name);
            assert!(matches!(**last, MnistError::Checksum { .. }), "{last}");
        }
        other => panic!("unexpected {other}"),
    }
    let left: Vec<_> = std::fs::read_dir(&repo2)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left.len(),
        1,
        "only the pre-existing file remains: {left:?}"
    );
}
