//! Signed provenance: receipts and the delivery ledger refuse every
//! single-byte change and name the first bad line, concurrent appenders in
//! separate processes never corrupt the ledger, the public key alone
//! verifies, and an independent verifier in Python (the `cryptography`
//! package) accepts our receipts and refuses altered ones.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use watermark_core::provenance::{
    append, head_path, ledger_recipients, sha256_hex, verify_ledger, verify_receipt, write_receipt,
    DeliveryRecord, LedgerProblem, Receipt, SubjectStatus,
};
use watermark_core::{OwnerKey, PublicKey, Recipient};
use watermark_tests::{cache, test_key};

/// Sites per channel for the test receipts.
fn sites() -> BTreeMap<String, usize> {
    BTreeMap::from([("blank-line".to_owned(), 41), ("item-order".to_owned(), 3)])
}

/// A small signed receipt for two files.
fn small_receipt(key: &OwnerKey) -> Vec<u8> {
    let recipient = Recipient::new("acme").expect("id");
    let mut receipt =
        Receipt::new(&recipient, "d-7", "2026-11-26T10:00:00Z", sites()).expect("receipt");
    receipt
        .add_file("src/lib.rs", b"pub fn f() {}\n")
        .expect("file");
    receipt.add_file("README.md", b"# hi\n").expect("file");
    receipt.sign(key).to_bytes()
}

fn record(i: usize) -> DeliveryRecord {
    DeliveryRecord {
        time: format!("2026-11-26T10:{:02}:00Z", i % 60),
        recipient: Recipient::new(&format!("vendor-{}", i % 3)).expect("id"),
        delivery_id: format!("d-{i}"),
        receipt_sha256: sha256_hex(format!("receipt {i}").as_bytes()),
    }
}

/// A ledger of `n` entries in `dir`.
fn ledger(dir: &Path, key: &OwnerKey, n: usize) -> PathBuf {
    let path = dir.join("deliveries.jsonl");
    for i in 0..n {
        append(&path, &record(i), key).expect("append");
    }
    path
}

/// Every way to change one byte at `i`: flip bit 0, bit 5 and bit 7 (the
/// last makes invalid UTF-8), delete it, and insert a space before it.
fn single_byte_changes(bytes: &[u8], i: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for mask in [0x01, 0x20, 0x80] {
        let mut changed = bytes.to_vec();
        changed[i] ^= mask;
        out.push(changed);
    }
    let mut deleted = bytes.to_vec();
    deleted.remove(i);
    out.push(deleted);
    let mut inserted = bytes.to_vec();
    inserted.insert(i, b' ');
    out.push(inserted);
    out
}

/// (path, line, problem) of a ledger's first fault; panics when it verifies.
fn first_fault(path: &Path, keys: &[PublicKey]) -> (PathBuf, Option<usize>, LedgerProblem) {
    let report = verify_ledger(path, keys).expect("readable");
    let fault = report.fault.expect("the ledger must not verify");
    (fault.path, fault.line, fault.problem)
}

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

#[test]
fn every_single_byte_change_to_a_receipt_is_refused() {
    let key = test_key(11);
    let keys = [key.public_key()];
    let bytes = small_receipt(&key);
    let verified = verify_receipt(&bytes, &keys).expect("the original verifies");
    assert_eq!(verified.recipient().as_str(), "acme");
    assert_eq!(verified.delivery_id(), "d-7");
    assert_eq!(verified.time(), "2026-11-26T10:00:00Z");
    assert_eq!(verified.key_id(), key.key_id());
    assert_eq!(verified.sites_per_channel(), &sites());
    let names: Vec<&str> = verified.subjects().iter().map(|s| s.name()).collect();
    assert_eq!(names, ["README.md", "src/lib.rs"], "sorted by name");

    let mut variants = 0;
    for i in 0..bytes.len() {
        for changed in single_byte_changes(&bytes, i) {
            assert!(
                verify_receipt(&changed, &keys).is_err(),
                "a change at byte {i} ({:?}) went unnoticed:\n{}",
                char::from(bytes[i]),
                String::from_utf8_lossy(&changed)
            );
            variants += 1;
        }
    }
    assert!(bytes.len() > 400, "receipt of {} bytes", bytes.len());
    assert_eq!(variants, bytes.len() * 5);
    println!(
        "receipt: {} bytes, {variants} single-byte variants, all refused",
        bytes.len()
    );
    // And the receipt is refused by another key.
    assert!(verify_receipt(&bytes, &[test_key(12).public_key()]).is_err());
}

#[test]
fn a_verified_receipt_checks_the_delivered_files() {
    let key = test_key(11);
    let verified = verify_receipt(&small_receipt(&key), &[key.public_key()]).expect("verifies");
    let dir = tempfile::tempdir().expect("tmp");
    fs::create_dir(dir.path().join("src")).expect("mkdir");
    fs::write(dir.path().join("src/lib.rs"), "pub fn f() {}\n").expect("write");
    let statuses = verified.check_tree(dir.path()).expect("tree");
    assert_eq!(
        statuses,
        [
            ("README.md".to_owned(), SubjectStatus::Missing),
            ("src/lib.rs".to_owned(), SubjectStatus::Matches)
        ]
    );
    assert_eq!(
        verified.check_file("src/lib.rs", b"pub fn f() {}\n\n"),
        SubjectStatus::Changed
    );
    assert_eq!(
        verified.check_file("src/main.rs", b""),
        SubjectStatus::NotInReceipt
    );
}

#[test]
fn every_single_byte_change_to_a_ledger_is_found_at_its_line() {
    let key = test_key(11);
    let keys = [key.public_key()];
    let dir = tempfile::tempdir().expect("tmp");
    let path = ledger(dir.path(), &key, 5);
    let original = fs::read(&path).expect("read");
    let report = verify_ledger(&path, &keys).expect("verify");
    assert_eq!((report.entries.len(), report.fault), (5, None));
    assert_eq!(lines(&original).len(), 5);

    let mut variants = 0;
    for i in 0..original.len() {
        let line = 1 + original[..i].iter().filter(|&&b| b == b'\n').count();
        for changed in single_byte_changes(&original, i) {
            fs::write(&path, &changed).expect("write");
            let (at, at_line, problem) = first_fault(&path, &keys);
            assert_eq!(
                (at.as_path(), at_line),
                (path.as_path(), Some(line)),
                "change at byte {i} reported as {problem:?}"
            );
            variants += 1;
        }
    }
    assert_eq!(variants, original.len() * 5);
    fs::write(&path, &original).expect("restore");

    let head = head_path(&path);
    let original_head = fs::read(&head).expect("head");
    for i in 0..original_head.len() {
        for changed in single_byte_changes(&original_head, i) {
            fs::write(&head, &changed).expect("write");
            let (at, at_line, problem) = first_fault(&path, &keys);
            assert_eq!(
                (at.as_path(), at_line),
                (head.as_path(), None),
                "change at head byte {i} reported as {problem:?}"
            );
            variants += 1;
        }
    }
    assert_eq!(variants, (original.len() + original_head.len()) * 5);
    println!(
        "ledger: 5 entries, {} + {} head bytes, {variants} single-byte variants, each found at its line",
        original.len(),
        original_head.len()
    );
    fs::write(&head, &original_head).expect("restore");
    assert_eq!(verify_ledger(&path, &keys).expect("verify").fault, None);
}

#[test]
fn reordered_deleted_and_truncated_entries_are_found_at_the_right_line() {
    let key = test_key(11);
    let keys = [key.public_key()];
    let dir = tempfile::tempdir().expect("tmp");
    let path = ledger(dir.path(), &key, 5);
    let original = lines(&fs::read(&path).expect("read"));
    let write = |lines: &[Vec<u8>]| fs::write(&path, lines.concat()).expect("write");

    // Swap entries 2 and 3.
    let mut swapped = original.clone();
    swapped.swap(1, 2);
    write(&swapped);
    assert_eq!(
        first_fault(&path, &keys),
        (path.clone(), Some(2), LedgerProblem::WrongPrev)
    );

    // Delete entry 3.
    let mut deleted = original.clone();
    deleted.remove(2);
    write(&deleted);
    assert_eq!(
        first_fault(&path, &keys),
        (path.clone(), Some(3), LedgerProblem::WrongPrev)
    );

    // Delete the last entry: the chain is intact, the head disagrees.
    write(&original[..4]);
    assert_eq!(
        first_fault(&path, &keys),
        (
            path.clone(),
            Some(5),
            LedgerProblem::Truncated {
                head_count: 5,
                found: 4
            }
        )
    );

    // Keep only the first two entries.
    write(&original[..2]);
    assert_eq!(
        first_fault(&path, &keys),
        (
            path.clone(),
            Some(3),
            LedgerProblem::Truncated {
                head_count: 5,
                found: 2
            }
        )
    );

    // Cut in the middle of line 4.
    let mut cut = original[..3].concat();
    cut.extend_from_slice(&original[3][..original[3].len() / 2]);
    fs::write(&path, &cut).expect("write");
    assert_eq!(
        first_fault(&path, &keys),
        (path.clone(), Some(4), LedgerProblem::IncompleteLine)
    );

    // Empty the ledger.
    write(&[]);
    assert_eq!(
        first_fault(&path, &keys),
        (
            path.clone(),
            Some(1),
            LedgerProblem::Truncated {
                head_count: 5,
                found: 0
            }
        )
    );

    // Remove the head of an intact ledger.
    write(&original);
    assert_eq!(verify_ledger(&path, &keys).expect("verify").fault, None);
    let head = head_path(&path);
    let head_bytes = fs::read(&head).expect("head");
    fs::remove_file(&head).expect("rm head");
    assert_eq!(
        first_fault(&path, &keys),
        (head.clone(), None, LedgerProblem::MissingHead)
    );
    fs::write(&head, &head_bytes).expect("restore head");

    // Entries by a key that is not given.
    assert_eq!(
        first_fault(&path, &[test_key(12).public_key()]),
        (
            path.clone(),
            Some(1),
            LedgerProblem::UnknownKey(key.key_id())
        )
    );
}

#[test]
fn append_refuses_a_ledger_that_does_not_verify() {
    let key = test_key(11);
    let dir = tempfile::tempdir().expect("tmp");
    let path = ledger(dir.path(), &key, 4);
    let mut bytes = fs::read(&path).expect("read");
    let third = lines(&bytes)[..2].concat().len();
    // Change the recipient on line 3: "vendor-2" becomes "vendor-3".
    let at = third
        + bytes[third..]
            .windows(8)
            .position(|w| w == b"vendor-2")
            .expect("recipient")
        + 7;
    bytes[at] = b'3';
    fs::write(&path, &bytes).expect("write");
    let err = append(&path, &record(4), &key).expect_err("refused");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{}:3: bad signature", path.display())),
        "{message}"
    );
    assert_eq!(fs::read(&path).expect("read"), bytes, "nothing appended");
    assert!(ledger_recipients(&path, &[key.public_key()]).is_err());
}

#[test]
fn ledger_recipients_are_verified_unique_and_in_first_seen_order() {
    let key = test_key(11);
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("l.jsonl");
    for (i, who) in ["globex", "acme", "globex", "initech", "acme"]
        .into_iter()
        .enumerate()
    {
        let mut r = record(i);
        r.recipient = Recipient::new(who).expect("id");
        append(&path, &r, &key).expect("append");
    }
    let recipients = ledger_recipients(&path, &[key.public_key()]).expect("verified");
    let names: Vec<&str> = recipients.iter().map(Recipient::as_str).collect();
    assert_eq!(names, ["globex", "acme", "initech"]);
}

/// The environment variables that put this test binary in child mode.
const CHILD_LEDGER: &str = "WATERMARK_TEST_LEDGER_CHILD";
const CHILD_NAME: &str = "WATERMARK_TEST_LEDGER_CHILD_NAME";
const PER_CHILD: usize = 25;

#[test]
fn two_processes_append_concurrently() {
    let key = test_key(11);
    if let Some(path) = std::env::var_os(CHILD_LEDGER) {
        // Child mode: wait for the start signal, then append.
        let path = PathBuf::from(path);
        let name = std::env::var(CHILD_NAME).expect("child name");
        let go = path.with_extension("go");
        let start = Instant::now();
        while !go.exists() {
            assert!(start.elapsed() < Duration::from_secs(60), "no start signal");
            std::thread::sleep(Duration::from_millis(1));
        }
        for i in 0..PER_CHILD {
            let mut r = record(i);
            r.delivery_id = format!("{name}-{i}");
            r.recipient = Recipient::new(&name).expect("id");
            append(&path, &r, &key).expect("append");
        }
        return;
    }

    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("ledger.jsonl");
    let exe = std::env::current_exe().expect("test binary");
    let children: Vec<_> = ["left", "right"]
        .into_iter()
        .map(|name| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "two_processes_append_concurrently",
                    "--nocapture",
                ])
                .env(CHILD_LEDGER, &path)
                .env(CHILD_NAME, name)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn child")
        })
        .collect();
    fs::write(path.with_extension("go"), "").expect("start signal");
    for child in children {
        let output = child.wait_with_output().expect("wait");
        assert!(
            output.status.success(),
            "child failed: {:?}\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let report = verify_ledger(&path, &[key.public_key()]).expect("verify");
    assert_eq!(report.fault, None);
    assert_eq!(report.entries.len(), 2 * PER_CHILD);
    for name in ["left", "right"] {
        let ids: Vec<&str> = report
            .entries
            .iter()
            .filter(|e| e.recipient == name)
            .map(|e| e.delivery_id.as_str())
            .collect();
        let expected: Vec<String> = (0..PER_CHILD).map(|i| format!("{name}-{i}")).collect();
        assert_eq!(ids, expected, "each child's entries, once each, in order");
    }
    let switches = report
        .entries
        .windows(2)
        .filter(|w| w[0].recipient != w[1].recipient)
        .count();
    eprintln!("two_processes_append_concurrently: the appenders took turns {switches} times");
    assert!(
        switches > 0,
        "one child finished before the other started: the lock was not exercised"
    );
}

#[test]
fn the_public_key_alone_verifies_receipts_and_the_ledger() {
    let dir = tempfile::tempdir().expect("tmp");
    let secret = dir.path().join("owner.key");
    let key = test_key(13);
    let public = key.save(&secret).expect("save key");

    let bytes = small_receipt(&OwnerKey::load(&secret).expect("load secret"));
    let receipt = dir.path().join("receipt.json");
    let envelope = watermark_core::Envelope::from_bytes(&bytes).expect("canonical");
    write_receipt(&receipt, &envelope).expect("write receipt");
    assert!(
        write_receipt(&receipt, &envelope).is_err(),
        "a receipt is never overwritten"
    );
    let path = ledger(dir.path(), &key, 3);
    drop(key);
    fs::remove_file(&secret).expect("delete the secret");

    let keys = [PublicKey::load(&public).expect("load public key")];
    let on_disk = fs::read(&receipt).expect("read receipt");
    assert_eq!(on_disk, bytes);
    let verified = verify_receipt(&on_disk, &keys).expect("receipt verifies");
    assert_eq!(verified.key_id(), keys[0].key_id());
    let report = verify_ledger(&path, &keys).expect("verify");
    assert_eq!((report.entries.len(), report.fault), (3, None));
}

/// The tools venv's Python with `cryptography`, or `None` (after a loud
/// notice) when it is missing outside CI. Under `CI=true` a missing
/// interpreter or module fails the test.
fn python_with_cryptography() -> Option<PathBuf> {
    let python = cache().join("tools/bin/python");
    let problem = if !python.is_file() {
        Some(format!("{} does not exist", python.display()))
    } else {
        match Command::new(&python)
            .args(["-c", "import cryptography"])
            .output()
        {
            Ok(out) if out.status.success() => None,
            Ok(out) => Some(format!(
                "{} cannot import cryptography: {}",
                python.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Err(e) => Some(format!("cannot run {}: {e}", python.display())),
        }
    };
    let Some(problem) = problem else {
        return Some(python);
    };
    let message = format!(
        "independent DSSE verification needs Python with `cryptography`: {problem}; \
         run `bash scripts/setup.sh`"
    );
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "{message}");
    eprintln!("\n******** SKIPPED python_verifies_receipts_independently ********");
    eprintln!("******** {message}");
    eprintln!("****************************************************************\n");
    None
}

/// Run the Python verifier on a receipt; its exit code.
fn python_verify(python: &Path, receipt: &[u8], public_pem: &Path, dir: &Path) -> i32 {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/verify_dsse.py");
    let path = dir.join("candidate.json");
    fs::write(&path, receipt).expect("write");
    let output = Command::new(python)
        .arg(&script)
        .arg(&path)
        .arg(public_pem)
        .output()
        .expect("run verify_dsse.py");
    eprintln!(
        "verify_dsse.py: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output.status.code().expect("exit code")
}

/// Replace the base64 character at `index` of the JSON string field `field`
/// with another valid one (the JSON stays valid, the decoded bytes change).
fn alter_base64(receipt: &[u8], field: &str, index: usize) -> Vec<u8> {
    let text = std::str::from_utf8(receipt).expect("utf8");
    let start = text.find(&format!("\"{field}\": \"")).expect("field") + field.len() + 5;
    let mut bytes = receipt.to_vec();
    bytes[start + index] = if bytes[start + index] == b'A' {
        b'B'
    } else {
        b'A'
    };
    bytes
}

#[test]
fn python_verifies_receipts_independently() {
    let Some(python) = python_with_cryptography() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let key = test_key(11);
    let public = dir.path().join("owner.pub");
    fs::write(&public, key.public_pem().expect("pem")).expect("write pub");
    let good = small_receipt(&key);

    assert_eq!(python_verify(&python, &good, &public, dir.path()), 0);
    // A changed payload, a changed signature, another key's signature.
    let payload = alter_base64(&good, "payload", 10);
    assert!(verify_receipt(&payload, &[key.public_key()]).is_err());
    assert_eq!(python_verify(&python, &payload, &public, dir.path()), 1);
    let sig = alter_base64(&good, "sig", 5);
    assert!(verify_receipt(&sig, &[key.public_key()]).is_err());
    assert_eq!(python_verify(&python, &sig, &public, dir.path()), 1);
    let other = small_receipt(&test_key(12));
    assert_eq!(python_verify(&python, &other, &public, dir.path()), 1);
    assert_eq!(python_verify(&python, b"{", &public, dir.path()), 1);
}
