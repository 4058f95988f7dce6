//! The verified cache of the image files (issue 13, item 2): one test in its own process, since
//! it points `XDG_CACHE_HOME` at a temporary folder.

mod common;

use sam_mnist::data::{read_idx, TEST_IMAGES};

/// After one verified read, an unchanged file is served from the cache (proved by planting a
/// same-length entry with different bytes: the read returns them); a changed file (new mtime) is
/// verified again, so a corrupted file is refused and a restored one reads correctly.
#[test]
fn verified_cache_serves_unchanged_files_and_reverifies_changed_ones() {
    let Some(shared) = common::shared_dir() else {
        eprintln!("MNIST files not found: skipped");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    // SAFETY: the only test of this binary; no other thread reads the environment here
    unsafe { std::env::set_var("XDG_CACHE_HOME", &cache) };
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let name = ["t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"]
        .into_iter()
        .find(|n| shared.join(n).is_file())
        .unwrap();
    std::fs::copy(shared.join(name), data.join(name)).unwrap();

    let first = read_idx(&data, &TEST_IMAGES).unwrap();
    let entries: Vec<_> = std::fs::read_dir(cache.join("samlab/mnist-verified"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(std::fs::read(&entries[0]).unwrap(), first);

    // the second read takes the entry: plant different bytes of the same length in it
    let mut planted = first.clone();
    planted[0] ^= 0xff;
    std::fs::write(&entries[0], &planted).unwrap();
    assert_eq!(read_idx(&data, &TEST_IMAGES).unwrap(), planted);
    // an entry of the wrong length is ignored (verified again, and rewritten)
    std::fs::write(&entries[0], &first[..10]).unwrap();
    assert_eq!(read_idx(&data, &TEST_IMAGES).unwrap(), first);

    // the source changes (new mtime): verified again; corrupt, it is refused naming the file
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut bytes = std::fs::read(data.join(name)).unwrap();
    let k = bytes.len() / 2;
    bytes[k] ^= 0x01;
    std::fs::write(data.join(name), &bytes).unwrap();
    let err = read_idx(&data, &TEST_IMAGES).unwrap_err().to_string();
    assert!(err.contains(name), "{err}");
    // restored: correct again, and one entry per source file
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::copy(shared.join(name), data.join(name)).unwrap();
    assert_eq!(read_idx(&data, &TEST_IMAGES).unwrap(), first);
    let n = std::fs::read_dir(cache.join("samlab/mnist-verified"))
        .unwrap()
        .count();
    assert_eq!(n, 1);
}
