//! The delivery ledger: an append-only JSON Lines file of signed, chained
//! entries, with a signed head file recording its length.
//!
//! Each line is the compact JSON of a [`LedgerEntry`] (fields in declaration
//! order) and a newline. `prev` is the SHA-256 of the previous line's bytes,
//! newline included (64 zeros for the first); `sig` is the owner key's
//! Ed25519 signature over the same JSON without `sig`. The head file
//! ([`head_path`]) is one line of compact JSON `{"count", "last", "key_id",
//! "sig"}`: the number of entries, the SHA-256 of the last line, and a
//! signature over the JSON without `sig`. Verification accepts only bytes
//! identical to the canonical rendering of what they parse to.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use serde::{Deserialize, Serialize};

use super::receipt::VerifiedReceipt;
use super::{check_id, check_time, first_difference, is_sha256_hex, sha256_hex, ProvenanceError};
use crate::key::{OwnerKey, PublicKey};
use crate::recipient::Recipient;

/// `prev` of the first entry, and `last` of the head of an empty ledger.
const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A tagged copy was delivered to a recipient.
    Delivery,
}

/// One verified ledger line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// Position in the ledger, from 0.
    pub seq: u64,
    /// SHA-256 (hex) of the previous line with its newline; 64 zeros first.
    pub prev: String,
    /// When the entry was made, RFC 3339 UTC.
    pub time: String,
    /// What the entry records.
    pub kind: EntryKind,
    /// Who received the delivery.
    pub recipient: String,
    /// The delivery id (as in the receipt).
    pub delivery_id: String,
    /// SHA-256 (hex) of the receipt file's bytes.
    pub receipt_sha256: String,
    /// The id of the key that signed the entry.
    pub key_id: String,
    /// Base64 Ed25519 signature over the entry's JSON without `sig`.
    pub sig: String,
}

/// The signed part of an entry: the same fields in the same order, less
/// `sig`.
#[derive(Serialize)]
struct UnsignedEntry<'a> {
    seq: u64,
    prev: &'a str,
    time: &'a str,
    kind: EntryKind,
    recipient: &'a str,
    delivery_id: &'a str,
    receipt_sha256: &'a str,
    key_id: &'a str,
}

impl LedgerEntry {
    fn signed_bytes(&self) -> Vec<u8> {
        let unsigned = UnsignedEntry {
            seq: self.seq,
            prev: &self.prev,
            time: &self.time,
            kind: self.kind,
            recipient: &self.recipient,
            delivery_id: &self.delivery_id,
            receipt_sha256: &self.receipt_sha256,
            key_id: &self.key_id,
        };
        // Serializing strings and integers cannot fail.
        serde_json::to_vec(&unsigned).unwrap_or_default()
    }

    /// The canonical line: compact JSON and a newline.
    fn line(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// The head file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    count: u64,
    last: String,
    key_id: String,
    sig: String,
}

#[derive(Serialize)]
struct UnsignedHead<'a> {
    count: u64,
    last: &'a str,
    key_id: &'a str,
}

impl Head {
    fn new(count: u64, last: &str, key: &OwnerKey) -> Head {
        let key_id = key.key_id();
        let sig = key.sign(&Self::signed_bytes_of(count, last, &key_id));
        Head {
            count,
            last: last.to_owned(),
            key_id,
            sig: Base64::encode_string(&sig),
        }
    }

    fn signed_bytes_of(count: u64, last: &str, key_id: &str) -> Vec<u8> {
        serde_json::to_vec(&UnsignedHead {
            count,
            last,
            key_id,
        })
        .unwrap_or_default()
    }

    fn line(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// The facts of a delivery to record in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// When, RFC 3339 UTC (as [`super::now_rfc3339`] writes it).
    pub time: String,
    /// Who received it.
    pub recipient: Recipient,
    /// The delivery id.
    pub delivery_id: String,
    /// SHA-256 (lowercase hex) of the receipt file's bytes.
    pub receipt_sha256: String,
}

impl DeliveryRecord {
    /// The record of the delivery a receipt describes; `receipt_bytes` are
    /// the receipt file's bytes.
    pub fn for_receipt(receipt: &VerifiedReceipt, receipt_bytes: &[u8]) -> DeliveryRecord {
        DeliveryRecord {
            time: receipt.time().to_owned(),
            recipient: receipt.recipient().clone(),
            delivery_id: receipt.delivery_id().to_owned(),
            receipt_sha256: sha256_hex(receipt_bytes),
        }
    }
}

/// What is wrong at the first bad place of a ledger.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerProblem {
    /// Not a ledger entry (or head) in JSON.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The bytes differ from the canonical rendering of what they parse to.
    #[error("not in canonical form (first difference at byte {byte_offset} of the line)")]
    NotCanonical {
        /// Offset in the line of the first byte that differs.
        byte_offset: usize,
    },
    /// The file ends inside a line (an interrupted write or a cut).
    #[error("incomplete last line (no newline): truncated or interrupted write")]
    IncompleteLine,
    /// Signed by a key that is not among the given public keys.
    #[error("signed by unknown key {0:?}")]
    UnknownKey(String),
    /// The signature does not verify: the entry (or head) was edited.
    #[error("bad signature: the entry was altered")]
    BadSignature,
    /// `prev` is not the hash of the line before: an entry before it was
    /// edited, removed or moved.
    #[error("wrong prev hash: an earlier entry was edited, reordered or deleted")]
    WrongPrev,
    /// `seq` is not the entry's position.
    #[error("wrong seq: expected {expected}, found {found}")]
    WrongSeq {
        /// The position (0-based) of the line.
        expected: u64,
        /// The `seq` it carries.
        found: u64,
    },
    /// A signed field holds a value no ledger writer produces.
    #[error("invalid field: {0}")]
    InvalidField(String),
    /// The ledger has entries but no head file.
    #[error("head file is missing (the ledger has entries)")]
    MissingHead,
    /// The ledger has fewer entries than its head records: lines were
    /// dropped from the end.
    #[error("truncated: the head records {head_count} entries, the ledger has {found}")]
    Truncated {
        /// Entries the head records.
        head_count: u64,
        /// Entries present.
        found: usize,
    },
    /// The ledger has more entries than the head records and the head
    /// matches an earlier state: an append was interrupted before its head
    /// update. [`append`] repairs this; nothing was lost.
    #[error("head is stale: it records {head_count} entries, the ledger has {found} (interrupted append?)")]
    HeadBehind {
        /// Entries the head records.
        head_count: u64,
        /// Entries present.
        found: usize,
    },
    /// The head's hash of the last entry matches no entry where it should.
    #[error("head does not match the ledger: the entry it records at {head_count} differs")]
    HeadMismatch {
        /// Entries the head records.
        head_count: u64,
    },
}

/// The first bad place of a ledger: the file (ledger or head), the 1-based
/// line when the problem is at a line, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {problem}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct LedgerFault {
    /// The ledger, or its head file.
    pub path: PathBuf,
    /// The 1-based line of the ledger, when the problem is at one.
    pub line: Option<usize>,
    /// What is wrong.
    pub problem: LedgerProblem,
}

/// The outcome of [`verify_ledger`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerReport {
    /// The ledger.
    pub path: PathBuf,
    /// The entries that verified, before the first fault.
    pub entries: Vec<LedgerEntry>,
    /// The first problem found, if any.
    pub fault: Option<LedgerFault>,
    /// SHA-256 of the last verified line (64 zeros when none).
    last_hash: String,
}

impl LedgerReport {
    /// All entries when the ledger verified, else the first fault as an
    /// error.
    pub fn into_entries(self) -> Result<Vec<LedgerEntry>, ProvenanceError> {
        match self.fault {
            None => Ok(self.entries),
            Some(fault) => Err(ProvenanceError::Ledger(Box::new(fault))),
        }
    }
}

/// The head file of a ledger: its path with `.head` appended.
pub fn head_path(ledger: &Path) -> PathBuf {
    let mut name = OsString::from(ledger.as_os_str());
    name.push(".head");
    PathBuf::from(name)
}

/// Verify a ledger and its head against trusted public keys. Reports the
/// first bad line (or a head problem); I/O errors are errors. Takes a
/// shared lock on the ledger so that it never sees an append half done.
pub fn verify_ledger(path: &Path, keys: &[PublicKey]) -> Result<LedgerReport, ProvenanceError> {
    let io = |source| ProvenanceError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    file.lock_shared().map_err(io)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io)?;
    let head_path = head_path(path);
    let head = read_optional(&head_path)?;
    Ok(verify_bytes(
        path,
        &bytes,
        &head_path,
        head.as_deref(),
        keys,
    ))
}

/// The recipients of every delivery in a verified ledger, each once, in the
/// order of their first delivery. Any fault is an error.
pub fn ledger_recipients(
    path: &Path,
    keys: &[PublicKey],
) -> Result<Vec<Recipient>, ProvenanceError> {
    let entries = verify_ledger(path, keys)?.into_entries()?;
    let mut out: Vec<Recipient> = Vec::new();
    for entry in &entries {
        // Verification checked every recipient id already.
        let Ok(recipient) = Recipient::new(&entry.recipient) else {
            continue;
        };
        if !out.contains(&recipient) {
            out.push(recipient);
        }
    }
    Ok(out)
}

/// Append a delivery to the ledger at `path` (created if absent) and
/// rewrite its head, signing both with `key`. Holds an exclusive lock on
/// the ledger throughout, so concurrent appenders (threads or processes)
/// serialize. Refuses, naming the first bad line, when the existing ledger
/// does not verify against `key` (a head left one append behind by a crash
/// is repaired). Returns the new entry.
pub fn append(
    path: &Path,
    record: &DeliveryRecord,
    key: &OwnerKey,
) -> Result<LedgerEntry, ProvenanceError> {
    check_time(&record.time)?;
    check_id("delivery id", &record.delivery_id)?;
    if !is_sha256_hex(&record.receipt_sha256) {
        return Err(ProvenanceError::Invalid {
            what: "receipt sha256",
            value: record.receipt_sha256.clone(),
            reason: "not 64 lowercase hex digits",
        });
    }
    let io = |source| ProvenanceError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io)?;
    file.lock().map_err(io)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io)?;
    let head_path = head_path(path);
    let head = read_optional(&head_path)?;
    let report = verify_bytes(
        path,
        &bytes,
        &head_path,
        head.as_deref(),
        &[key.public_key()],
    );
    match report.fault {
        None => {}
        Some(LedgerFault {
            problem: LedgerProblem::HeadBehind { .. },
            ..
        }) => {}
        Some(fault) => return Err(ProvenanceError::Ledger(Box::new(fault))),
    }
    if report.entries.is_empty() && head.is_none() {
        // A new ledger: record "no entries" first, so that a crash after the
        // first line leaves a head behind (repairable), never none.
        write_head(&head_path, &Head::new(0, ZERO_HASH, key))?;
    }
    let mut entry = LedgerEntry {
        seq: report.entries.len() as u64,
        prev: report.last_hash,
        time: record.time.clone(),
        kind: EntryKind::Delivery,
        recipient: record.recipient.as_str().to_owned(),
        delivery_id: record.delivery_id.clone(),
        receipt_sha256: record.receipt_sha256.clone(),
        key_id: key.key_id(),
        sig: String::new(),
    };
    entry.sig = Base64::encode_string(&key.sign(&entry.signed_bytes()));
    let line = entry.line();
    file.write_all(&line).map_err(io)?;
    file.sync_data().map_err(io)?;
    write_head(
        &head_path,
        &Head::new(entry.seq + 1, &sha256_hex(&line), key),
    )?;
    // The lock is released when `file` closes.
    Ok(entry)
}

/// The file's bytes, or `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, ProvenanceError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ProvenanceError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Replace the head atomically: write a temporary file beside it, flush,
/// rename over the head, flush the directory.
fn write_head(path: &Path, head: &Head) -> Result<(), ProvenanceError> {
    let mut tmp = OsString::from(path.as_os_str());
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let io_at = |p: &Path| {
        let p = p.to_owned();
        move |source| ProvenanceError::Io { path: p, source }
    };
    let mut file = File::create(&tmp).map_err(io_at(&tmp))?;
    file.write_all(&head.line()).map_err(io_at(&tmp))?;
    file.sync_all().map_err(io_at(&tmp))?;
    drop(file);
    fs::rename(&tmp, path).map_err(io_at(path))?;
    // Make the rename durable. Some file systems cannot sync a directory;
    // the rename itself has happened, so that is not an error.
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// Verify ledger bytes and head bytes (`None`: no head file).
fn verify_bytes(
    path: &Path,
    bytes: &[u8],
    head_path: &Path,
    head: Option<&[u8]>,
    keys: &[PublicKey],
) -> LedgerReport {
    let ids: Vec<String> = keys.iter().map(PublicKey::key_id).collect();
    let mut report = LedgerReport {
        path: path.to_owned(),
        entries: Vec::new(),
        fault: None,
        last_hash: ZERO_HASH.to_owned(),
    };
    let at_line = |line: usize, problem| {
        Some(LedgerFault {
            path: path.to_owned(),
            line: Some(line),
            problem,
        })
    };
    let mut rest = bytes;
    while !rest.is_empty() {
        let number = report.entries.len() + 1;
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            report.fault = at_line(number, LedgerProblem::IncompleteLine);
            return report;
        };
        let (line, tail) = rest.split_at(end + 1);
        rest = tail;
        match check_entry(line, number, &report.last_hash, keys, &ids) {
            Ok(entry) => {
                report.entries.push(entry);
                report.last_hash = sha256_hex(line);
            }
            Err(problem) => {
                report.fault = at_line(number, problem);
                return report;
            }
        }
    }
    let found = report.entries.len();
    let head_fault = |problem| {
        Some(LedgerFault {
            path: head_path.to_owned(),
            line: None,
            problem,
        })
    };
    let Some(head) = head else {
        if found > 0 {
            report.fault = head_fault(LedgerProblem::MissingHead);
        }
        return report;
    };
    let head = match check_head(head, keys, &ids) {
        Ok(head) => head,
        Err(problem) => {
            report.fault = head_fault(problem);
            return report;
        }
    };
    let head_count = head.count;
    if head_count > found as u64 {
        report.fault = at_line(found + 1, LedgerProblem::Truncated { head_count, found });
        return report;
    }
    // The hash of line `head_count`, the head's last entry.
    let recorded = match usize::try_from(head_count) {
        Ok(0) => ZERO_HASH.to_owned(),
        Ok(n) if n == found => report.last_hash.clone(),
        Ok(n) => report.entries[n].prev.clone(),
        Err(_) => String::new(),
    };
    if recorded != head.last {
        report.fault = head_fault(LedgerProblem::HeadMismatch { head_count });
    } else if head_count < found as u64 {
        report.fault = head_fault(LedgerProblem::HeadBehind { head_count, found });
    }
    report
}

/// Whether arbitrary `bytes`, taken as a ledger without head and as a
/// head of an empty ledger, are both reported as faulty (or, for the
/// ledger, empty).
#[cfg(test)]
pub(super) fn verify_bytes_for_tests(bytes: &[u8], keys: &[PublicKey]) -> bool {
    let (path, head) = (Path::new("L"), Path::new("L.head"));
    let as_ledger = verify_bytes(path, bytes, head, None, keys);
    let as_head = verify_bytes(path, b"", head, Some(bytes), keys);
    (bytes.is_empty() || as_ledger.fault.is_some()) && as_head.fault.is_some()
}

/// Check one line (with its newline) at 1-based `number`, after the line
/// whose hash is `prev`.
fn check_entry(
    line: &[u8],
    number: usize,
    prev: &str,
    keys: &[PublicKey],
    ids: &[String],
) -> Result<LedgerEntry, LedgerProblem> {
    let json = &line[..line.len() - 1];
    let entry: LedgerEntry =
        serde_json::from_slice(json).map_err(|e| LedgerProblem::Malformed(e.to_string()))?;
    let canonical = entry.line();
    if canonical != line {
        return Err(LedgerProblem::NotCanonical {
            byte_offset: first_difference(&canonical, line),
        });
    }
    let Some(index) = ids.iter().position(|id| *id == entry.key_id) else {
        return Err(LedgerProblem::UnknownKey(entry.key_id));
    };
    let sig = Base64::decode_vec(&entry.sig).map_err(|_| LedgerProblem::BadSignature)?;
    if !keys[index].verify(&entry.signed_bytes(), &sig) {
        return Err(LedgerProblem::BadSignature);
    }
    if entry.prev != prev {
        return Err(LedgerProblem::WrongPrev);
    }
    let expected = number as u64 - 1;
    if entry.seq != expected {
        return Err(LedgerProblem::WrongSeq {
            expected,
            found: entry.seq,
        });
    }
    check_time(&entry.time)
        .and_then(|()| check_id("delivery id", &entry.delivery_id))
        .map_err(|e| LedgerProblem::InvalidField(e.to_string()))?;
    Recipient::new(&entry.recipient).map_err(|e| LedgerProblem::InvalidField(e.to_string()))?;
    if !is_sha256_hex(&entry.receipt_sha256) {
        return Err(LedgerProblem::InvalidField(
            "receipt_sha256 is not 64 lowercase hex digits".to_owned(),
        ));
    }
    Ok(entry)
}

fn check_head(bytes: &[u8], keys: &[PublicKey], ids: &[String]) -> Result<Head, LedgerProblem> {
    let Some(json) = bytes.strip_suffix(b"\n") else {
        return Err(LedgerProblem::IncompleteLine);
    };
    let head: Head =
        serde_json::from_slice(json).map_err(|e| LedgerProblem::Malformed(e.to_string()))?;
    let canonical = head.line();
    if canonical != bytes {
        return Err(LedgerProblem::NotCanonical {
            byte_offset: first_difference(&canonical, bytes),
        });
    }
    let Some(index) = ids.iter().position(|id| *id == head.key_id) else {
        return Err(LedgerProblem::UnknownKey(head.key_id));
    };
    let sig = Base64::decode_vec(&head.sig).map_err(|_| LedgerProblem::BadSignature)?;
    if !keys[index].verify(
        &Head::signed_bytes_of(head.count, &head.last, &head.key_id),
        &sig,
    ) {
        return Err(LedgerProblem::BadSignature);
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: usize) -> DeliveryRecord {
        DeliveryRecord {
            time: super::super::rfc3339_utc(1_800_000_000 + i as u64),
            recipient: Recipient::new(&format!("vendor-{}", i % 3)).expect("id"),
            delivery_id: format!("d-{i}"),
            receipt_sha256: sha256_hex(format!("receipt {i}").as_bytes()),
        }
    }

    #[test]
    fn lines_are_canonical_and_chained() {
        let key = OwnerKey::from_seed([5; 32]);
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("ledger.jsonl");
        for i in 0..4 {
            let entry = append(&path, &record(i), &key).expect("append");
            assert_eq!(entry.seq, i as u64);
        }
        let bytes = fs::read(&path).expect("read");
        let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with(format!("{{\"seq\":0,\"prev\":\"{ZERO_HASH}\",").as_bytes()));
        let second: serde_json::Value = serde_json::from_slice(lines[1]).expect("json");
        assert_eq!(second["prev"], sha256_hex(lines[0]));
        assert_eq!(second["kind"], "delivery");
        let text = std::str::from_utf8(lines[1]).expect("utf8");
        let positions: Vec<usize> = [
            "\"seq\"",
            "\"prev\"",
            "\"time\"",
            "\"kind\"",
            "\"recipient\"",
            "\"delivery_id\"",
            "\"receipt_sha256\"",
            "\"key_id\"",
            "\"sig\"",
        ]
        .iter()
        .map(|k| text.find(k).expect("field"))
        .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");

        let head = fs::read(head_path(&path)).expect("head");
        let head: serde_json::Value = serde_json::from_slice(&head).expect("json");
        assert_eq!(head["count"], 4);
        assert_eq!(head["last"], sha256_hex(lines[3]));

        let report = verify_ledger(&path, &[key.public_key()]).expect("verify");
        assert_eq!(report.fault, None);
        assert_eq!(report.entries.len(), 4);
        assert_eq!(
            ledger_recipients(&path, &[key.public_key()]).expect("recipients"),
            ["vendor-0", "vendor-1", "vendor-2"]
                .map(|r| Recipient::new(r).expect("id"))
                .to_vec()
        );
    }

    #[test]
    fn a_head_left_behind_by_a_crash_is_reported_and_repaired() {
        let key = OwnerKey::from_seed([5; 32]);
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("ledger.jsonl");
        append(&path, &record(0), &key).expect("append");
        let old_head = fs::read(head_path(&path)).expect("head");
        append(&path, &record(1), &key).expect("append");
        fs::write(head_path(&path), &old_head).expect("restore old head");
        let report = verify_ledger(&path, &[key.public_key()]).expect("verify");
        assert_eq!(
            report.fault.map(|f| f.problem),
            Some(LedgerProblem::HeadBehind {
                head_count: 1,
                found: 2
            })
        );
        append(&path, &record(2), &key).expect("append repairs");
        let report = verify_ledger(&path, &[key.public_key()]).expect("verify");
        assert_eq!(report.fault, None);
        assert_eq!(report.entries.len(), 3);
    }

    #[test]
    fn the_first_append_writes_an_empty_head_first() {
        let key = OwnerKey::from_seed([5; 32]);
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("ledger.jsonl");
        // An empty ledger with no head verifies (nothing to lose yet).
        fs::write(&path, "").expect("touch");
        let report = verify_ledger(&path, &[key.public_key()]).expect("verify");
        assert_eq!((report.entries.len(), report.fault), (0, None));
        // The empty head verifies against an empty ledger.
        write_head(&head_path(&path), &Head::new(0, ZERO_HASH, &key)).expect("head");
        let report = verify_ledger(&path, &[key.public_key()]).expect("verify");
        assert_eq!(report.fault, None);
    }

    #[test]
    fn a_signed_entry_with_the_wrong_seq_is_reported() {
        let key = OwnerKey::from_seed([5; 32]);
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("ledger.jsonl");
        let first = append(&path, &record(0), &key).expect("append");
        let mut bytes = fs::read(&path).expect("read");
        let mut entry = first.clone();
        entry.seq = 5;
        entry.prev = sha256_hex(&bytes);
        entry.sig = Base64::encode_string(&key.sign(&entry.signed_bytes()));
        bytes.extend_from_slice(&entry.line());
        let report = verify_bytes(&path, &bytes, Path::new("h"), None, &[key.public_key()]);
        assert_eq!(report.entries, vec![first]);
        assert_eq!(
            report.fault,
            Some(LedgerFault {
                path: path.clone(),
                line: Some(2),
                problem: LedgerProblem::WrongSeq {
                    expected: 1,
                    found: 5
                }
            })
        );
        assert_eq!(
            report.fault.map(|f| f.to_string()),
            Some(format!(
                "{}:2: wrong seq: expected 1, found 5",
                path.display()
            ))
        );
    }

    #[test]
    fn append_refuses_bad_records() {
        let key = OwnerKey::from_seed([5; 32]);
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("ledger.jsonl");
        let mut bad = record(0);
        bad.time = "now".to_owned();
        assert!(append(&path, &bad, &key).is_err());
        let mut bad = record(0);
        bad.receipt_sha256 = "00".to_owned();
        assert!(append(&path, &bad, &key).is_err());
        let mut bad = record(0);
        bad.delivery_id = String::new();
        assert!(append(&path, &bad, &key).is_err());
        assert!(!path.exists(), "nothing written for a refused record");
    }

    #[test]
    fn verification_never_panics_on_odd_lines() {
        let key = OwnerKey::from_seed([5; 32]);
        let keys = [key.public_key()];
        let path = Path::new("L");
        let head = Path::new("L.head");
        for bytes in [
            &b"\n"[..],
            b"{}\n",
            b"[]\n",
            b"null\n",
            b"\xff\xfe\n",
            b"{\"seq\":1e400}\n",
            b"{\"seq\":18446744073709551616}\n",
            b"{\"seq\":-1}\n",
            b"{\"seq\":\"0\"}\n",
            b"\"\\ud800\"\n",
            b"{\"seq\":0,\"seq\":0}\n",
            b"x",
        ] {
            let report = verify_bytes(path, bytes, head, None, &keys);
            let fault = report.fault.expect("fault");
            assert_eq!(fault.line, Some(1), "{bytes:?}");
            for head_bytes in [bytes, b"{\"count\":99999999999999999999999}\n"] {
                let report = verify_bytes(path, b"", head, Some(head_bytes), &keys);
                assert_eq!(report.fault.expect("fault").line, None);
            }
        }
    }
}
