//! Issue 12's data defects, each a regression test: a gzip bomb is cut off at the expected size
//! plus one byte (bounded time and memory), a concatenated gzip is refused, and a stalled mirror
//! gives up within its timeout.

mod common;

use flate2::{write::GzEncoder, Compression};
use sam_mnist::data::{fetch, read_idx, TEST_LABELS};
use std::io::Write;
use std::time::{Duration, Instant};

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Issue 12, item 6: "a gzip bomb is decompressed whole into memory (4 GiB, 10 s)". 256 MiB of
/// zeros behind a valid header (about 250 KB compressed) must be refused after reading the
/// label file's 10008 bytes plus one, not decompressed whole.
#[test]
fn gzip_bomb_is_cut_off_at_the_expected_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = GzEncoder::new(Vec::new(), Compression::best());
    e.write_all(&[0, 0, 8, 1, 0, 0, 0x27, 0x10]).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        e.write_all(&zeros).unwrap();
    }
    std::fs::write(
        dir.path().join(format!("{}.gz", TEST_LABELS.name)),
        e.finish().unwrap(),
    )
    .unwrap();
    let t = Instant::now();
    let err = read_idx(dir.path(), &TEST_LABELS).unwrap_err().to_string();
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "took {:?}",
        t.elapsed()
    );
    assert!(err.contains("10009 bytes after decompression"), "{err}");
}

/// Issue 12, item 6: "a concatenated gzip (a second member appended) is accepted although zcat
/// gives different bytes". A valid label file followed by a second member must be refused.
#[test]
fn concatenated_gzip_is_refused() {
    let labels = {
        let mut v = vec![0, 0, 8, 1, 0, 0, 0x27, 0x10];
        v.extend((0..10_000).map(|i| (i % 10) as u8));
        v
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{}.gz", TEST_LABELS.name));
    // one member alone reaches the checksum check (synthetic labels: a checksum error)
    std::fs::write(&path, gz(&labels)).unwrap();
    let one = read_idx(dir.path(), &TEST_LABELS).unwrap_err().to_string();
    assert!(one.contains("SHA-256") || one.contains("checksum"), "{one}");
    // two members: refused before, naming the trailing data
    let mut two = gz(&labels);
    two.extend(gz(b"appended"));
    std::fs::write(&path, two).unwrap();
    let err = read_idx(dir.path(), &TEST_LABELS).unwrap_err().to_string();
    assert!(err.contains("after the first gzip member"), "{err}");
}

/// Issue 12, item 1: "a stalled mirror hangs forever". A local server that accepts and never
/// answers must give an error naming the mirror within the timeout (SAM_MNIST_TIMEOUT = 2 s).
#[test]
fn stalled_mirror_times_out_naming_the_mirror() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // accept connections and hold them open without a byte of answer
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    std::env::set_var("SAM_MNIST_TIMEOUT", "2");
    let dir = tempfile::tempdir().unwrap();
    let mirror = format!("http://127.0.0.1:{port}");
    let t = Instant::now();
    let err = fetch(dir.path(), std::slice::from_ref(&mirror))
        .unwrap_err()
        .to_string();
    assert!(
        t.elapsed() < Duration::from_secs(15),
        "took {:?}",
        t.elapsed()
    );
    assert!(err.contains(&mirror), "{err}");
    assert!(err.contains("SAM_MNIST_TIMEOUT"), "{err}");
    // nothing was left in the folder
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Issue 12, Deliver: corrupt-data cases generated from the real file (the test labels): each is
/// refused with an error naming the file, never a panic, and the intact copy still loads.
#[test]
fn corruptions_of_the_real_file_are_refused_naming_it() {
    let Some(shared) = common::shared_dir() else {
        eprintln!("skipped: no shared MNIST copy");
        return;
    };
    let real_gz = std::fs::read(shared.join(format!("{}.gz", TEST_LABELS.name))).unwrap();
    let raw = {
        use std::io::Read;
        let mut v = Vec::new();
        flate2::read::GzDecoder::new(&real_gz[..])
            .read_to_end(&mut v)
            .unwrap();
        v
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(TEST_LABELS.name);
    let check = |bytes: &[u8], want: &str| {
        std::fs::write(&path, bytes).unwrap();
        let e = read_idx(dir.path(), &TEST_LABELS).unwrap_err().to_string();
        assert!(e.contains(want), "expected '{want}' in: {e}");
        assert!(e.contains(&*path.to_string_lossy()), "names the file: {e}");
    };
    check(&raw[..raw.len() - 100], "bytes");
    let mut flipped = raw.clone();
    flipped[5000] ^= 1;
    check(&flipped, "SHA-256");
    let mut magic = raw.clone();
    magic[2] = 9;
    check(&magic, "magic");
    check(&[], "bytes");
    // the intact copy loads; as .gz with a second member appended, it is refused
    check_ok(&raw, dir.path());
    std::fs::remove_file(&path).unwrap();
    let gz_path = dir.path().join(format!("{}.gz", TEST_LABELS.name));
    let mut two = real_gz.clone();
    two.extend(gz(b"x"));
    std::fs::write(&gz_path, two).unwrap();
    let e = read_idx(dir.path(), &TEST_LABELS).unwrap_err().to_string();
    assert!(e.contains("after the first gzip member"), "{e}");
    // truncated gzip
    std::fs::write(&gz_path, &real_gz[..real_gz.len() / 2]).unwrap();
    assert!(read_idx(dir.path(), &TEST_LABELS).is_err());
}

fn check_ok(raw: &[u8], dir: &std::path::Path) {
    std::fs::write(dir.join(TEST_LABELS.name), raw).unwrap();
    assert_eq!(read_idx(dir, &TEST_LABELS).unwrap().len(), 10_000);
}

/// A replay folder (`load_replay`) with a missing, truncated, non-gzip, non-finite or
/// non-permutation file is refused with an error naming the file, and never panics.
#[test]
fn bad_replay_files_are_refused_with_the_path() {
    use sam_mnist::model::{n_params, SIZES};
    use sam_mnist::train::load_replay;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let weights = |n: usize, bad: bool| {
        let mut w: Vec<u8> = (0..n)
            .flat_map(|i| (i as f32 * 1e-6).to_le_bytes())
            .collect();
        if bad {
            w[4..8].copy_from_slice(&f32::NAN.to_le_bytes());
        }
        gz(&w)
    };
    let perms = |p: &[u32]| p.iter().flat_map(|i| i.to_le_bytes()).collect::<Vec<u8>>();
    let np = n_params(&SIZES);
    let cases: Vec<(&str, Vec<u8>, Vec<u8>, &str)> = vec![
        (
            "init.f32.gz",
            weights(np - 1, false),
            perms(&[1, 0, 2, 3]),
            "bytes after decompression",
        ),
        (
            "init.f32.gz",
            b"not gzip".to_vec(),
            perms(&[1, 0, 2, 3]),
            "not a gzip file",
        ),
        (
            "init.f32.gz",
            weights(np, true),
            perms(&[1, 0, 2, 3]),
            "weight 1 is not finite",
        ),
        (
            "perms.u32",
            weights(np, false),
            perms(&[1, 0, 2]),
            "not whole epochs",
        ),
        (
            "perms.u32",
            weights(np, false),
            perms(&[1, 1, 2, 3]),
            "epoch 1 is not a permutation",
        ),
        (
            "perms.u32",
            weights(np, false),
            perms(&[1, 0, 2, 4]),
            "epoch 1 is not a permutation",
        ),
    ];
    for (file, init, order, says) in cases {
        std::fs::write(d.join("init.f32.gz"), &init).unwrap();
        std::fs::write(d.join("perms.u32"), &order).unwrap();
        let e = load_replay(d, 4).unwrap_err().to_string();
        assert!(e.contains(file) && e.contains(says), "{e}");
    }
    std::fs::write(d.join("perms.u32"), perms(&[1, 0, 2, 3, 3, 2, 1, 0])).unwrap();
    let ok = load_replay(d, 4).unwrap();
    assert_eq!(ok.orders, vec![vec![1, 0, 2, 3], vec![3, 2, 1, 0]]);
    std::fs::remove_file(d.join("perms.u32")).unwrap();
    let e = load_replay(d, 4).unwrap_err().to_string();
    assert!(e.contains("perms.u32") && e.contains("cannot read"), "{e}");
}
