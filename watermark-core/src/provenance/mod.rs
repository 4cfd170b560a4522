//! Signed provenance of deliveries: a receipt per tag run and an
//! append-only ledger of every delivery.
//!
//! A **receipt** is an [in-toto Statement v1] naming every delivered file by
//! its SHA-256 digest, with a predicate ([`PREDICATE_TYPE`]) recording the
//! recipient, the delivery id, the time, the tool version, the key id and
//! the number of sites per channel. It travels in a [DSSE] envelope signed
//! with the owner key over the DSSE pre-authentication encoding ([`pae`]).
//! [`verify_receipt`] needs only the public key and accepts nothing but the
//! exact bytes [`Envelope::to_bytes`] writes, so any change to a receipt,
//! even of whitespace, is detected.
//!
//! The **ledger** is a JSON Lines file, one signed entry per delivery, each
//! entry holding the SHA-256 of the line before it. A signed head file
//! beside it (`LEDGER.head`, see [`head_path`]) records the number of
//! entries and the hash of the last line, so that dropping whole lines from
//! the end is detected too. [`append`] holds an exclusive lock on the ledger
//! while it reads, verifies, appends and rewrites the head, so concurrent
//! `tag` runs never corrupt it.
//!
//! What this cannot detect: someone who keeps an old copy of both the
//! ledger and its head can put that pair back, losing the later entries;
//! keep a copy of the head elsewhere (or publish its hash) when that matters.
//!
//! ```
//! use std::collections::BTreeMap;
//! use watermark_core::provenance::{append, verify_ledger, verify_receipt, DeliveryRecord, Receipt, SubjectStatus};
//! use watermark_core::{OwnerKey, Recipient};
//!
//! let key = OwnerKey::from_seed([1; 32]);
//! let acme = Recipient::new("acme").unwrap();
//! let sites = BTreeMap::from([("blank-line".to_owned(), 12)]);
//! let mut receipt = Receipt::new(&acme, "d-0001", "2026-11-26T10:00:00Z", sites).unwrap();
//! receipt.add_file("src/lib.rs", b"fn main() {}\n").unwrap();
//! let bytes = receipt.sign(&key).to_bytes();
//!
//! let verified = verify_receipt(&bytes, &[key.public_key()]).unwrap();
//! assert_eq!(verified.recipient().as_str(), "acme");
//! assert_eq!(verified.check_file("src/lib.rs", b"fn main() {}\n"), SubjectStatus::Matches);
//!
//! let dir = tempfile::tempdir().unwrap();
//! let ledger = dir.path().join("deliveries.jsonl");
//! let record = DeliveryRecord::for_receipt(&verified, &bytes);
//! append(&ledger, &record, &key).unwrap();
//! let report = verify_ledger(&ledger, &[key.public_key()]).unwrap();
//! assert!(report.fault.is_none());
//! assert_eq!(report.entries.len(), 1);
//! ```
//!
//! [in-toto Statement v1]: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
//! [DSSE]: https://github.com/secure-systems-lab/dsse/blob/master/protocol.md

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

mod dsse;
mod ledger;
mod receipt;

pub use dsse::{pae, Envelope, EnvelopeSignature, PAYLOAD_TYPE};
pub use ledger::{
    append, head_path, ledger_recipients, verify_ledger, DeliveryRecord, EntryKind, LedgerEntry,
    LedgerFault, LedgerProblem, LedgerReport,
};
pub use receipt::{
    read_receipt, verify_receipt, write_receipt, DeliveryPredicate, Receipt, Statement, Subject,
    SubjectStatus, VerifiedReceipt, PREDICATE_TYPE, STATEMENT_TYPE,
};

/// A failure to build, write, read or verify a receipt or a ledger.
#[derive(Debug, thiserror::Error)]
pub enum ProvenanceError {
    /// An I/O error on a named path.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Refusing to overwrite an existing receipt.
    #[error("{}: already exists; refusing to overwrite a receipt", path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// A value given to build a receipt or a ledger entry is unusable.
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        /// Which value (`"time"`, `"subject name"`, ...).
        what: &'static str,
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A receipt does not verify.
    #[error("{}{fault}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    Receipt {
        /// The receipt file, when the receipt was read from one.
        path: Option<PathBuf>,
        /// What is wrong.
        fault: ReceiptFault,
    },
    /// A ledger (or its head) does not verify; `fault` names the first bad
    /// line.
    #[error("{0}")]
    Ledger(Box<LedgerFault>),
}

/// Why a receipt does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptFault {
    /// Not a DSSE envelope in JSON (the message gives line and column).
    #[error("receipt is not a DSSE envelope: {0}")]
    Malformed(String),
    /// The bytes differ from the canonical rendering of the envelope they
    /// parse to (edited whitespace, escapes, order, ...).
    #[error("receipt is not in canonical form: first difference at byte {byte_offset}")]
    NotCanonical {
        /// Offset of the first byte that differs.
        byte_offset: usize,
    },
    /// The envelope carries something other than an in-toto statement.
    #[error("receipt payloadType is {0:?}, expected {PAYLOAD_TYPE:?}")]
    PayloadType(String),
    /// A base64 field is not strict, padded, standard base64.
    #[error("receipt field {0} is not canonical base64")]
    Base64(&'static str),
    /// The envelope has no signature.
    #[error("receipt has no signature")]
    NoSignature,
    /// No signature is by one of the given keys.
    #[error("receipt is signed by key id(s) {keyids:?}, none of the given public keys")]
    UnknownKey {
        /// The key ids of the signatures present.
        keyids: Vec<String>,
    },
    /// A signature by one of the given keys does not verify.
    #[error("receipt signature by key {keyid} is invalid")]
    BadSignature {
        /// The signing key's id.
        keyid: String,
    },
    /// The signed payload is not a delivery statement of ours.
    #[error("receipt statement is invalid: {0}")]
    Statement(String),
    /// The statement names another key than the one that signed it.
    #[error("receipt statement names key {in_statement} but was signed by key {signer}")]
    KeyMismatch {
        /// The key id inside the statement.
        in_statement: String,
        /// The key id that signed the envelope.
        signer: String,
    },
}

/// Lowercase hex of the SHA-256 digest of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Whether `s` is 64 lowercase hex digits (a SHA-256 digest as we write it).
fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks shared by free-text identifiers (delivery ids, key ids):
/// non-empty, at most 200 bytes, no control characters.
fn check_id(what: &'static str, value: &str) -> Result<(), ProvenanceError> {
    let reason = if value.is_empty() {
        "empty"
    } else if value.len() > 200 {
        "longer than 200 bytes"
    } else if value.chars().any(char::is_control) {
        "contains a control character"
    } else {
        return Ok(());
    };
    Err(ProvenanceError::Invalid {
        what,
        value: value.to_owned(),
        reason,
    })
}

fn check_time(value: &str) -> Result<(), ProvenanceError> {
    match parse_rfc3339_utc(value) {
        Some(_) => Ok(()),
        None => Err(ProvenanceError::Invalid {
            what: "time",
            value: value.to_owned(),
            reason: "not an RFC 3339 UTC time of the form 2026-11-26T10:00:00Z",
        }),
    }
}

/// The current time as RFC 3339 UTC with whole seconds
/// (`2026-11-26T10:00:00Z`). A clock set before 1970 reads as the epoch.
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339_utc(secs)
}

/// Seconds since the Unix epoch as RFC 3339 UTC with whole seconds. Years
/// past 9999 print with more digits, which [`parse_rfc3339_utc`] refuses.
pub fn rfc3339_utc(unix_secs: u64) -> String {
    // u64::MAX / 86_400 < i64::MAX: the cast cannot wrap.
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Seconds since the Unix epoch of a time written exactly as
/// [`rfc3339_utc`] writes it (`YYYY-MM-DDTHH:MM:SSZ`, 1970 to 9999, no
/// fractions, no offsets, no leap seconds); `None` for anything else.
pub fn parse_rfc3339_utc(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if year < 1970 || day == 0 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = u64::try_from(days_from_civil(i64::from(year), month, day)).ok()?;
    Some(days * 86_400 + u64::from(hour * 3600 + minute * 60 + second))
}

/// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian;
/// Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both are in small ranges by construction.
    (year, month as u32, day as u32)
}

/// Day count since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Offset of the first byte where `a` and `b` differ (the shorter length if
/// one is a prefix of the other).
fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_known_timestamps() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(951_868_799), "2000-02-29T23:59:59Z");
        assert_eq!(rfc3339_utc(951_868_800), "2000-03-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_234_567_890), "2009-02-13T23:31:30Z");
        assert_eq!(rfc3339_utc(4_102_444_800), "2100-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(1_709_164_800), "2024-02-29T00:00:00Z");
    }

    #[test]
    fn rfc3339_parses_what_it_prints() {
        // Every day from 1970 to past 2100 (2000 is a leap year, 2100 not),
        // at a time of day that changes with the day.
        for day in 0..50_000u64 {
            let secs = day * 86_400 + (day * 7919) % 86_400;
            let text = rfc3339_utc(secs);
            assert_eq!(parse_rfc3339_utc(&text), Some(secs), "{text}");
        }
        assert_eq!(
            parse_rfc3339_utc("9999-12-31T23:59:59Z"),
            Some(253_402_300_799)
        );
        let now = now_rfc3339();
        assert!(parse_rfc3339_utc(&now).is_some(), "{now}");
    }

    #[test]
    fn rfc3339_refuses_other_forms() {
        for bad in [
            "",
            "2026-11-26",
            "2026-11-26T10:00:00",
            "2026-11-26T10:00:00+00:00",
            "2026-11-26T10:00:00.5Z",
            "2026-11-26t10:00:00Z",
            "2026-11-26T10:00:00z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-00T00:00:00Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T10:60:00Z",
            "2026-11-26T10:00:60Z",
            "1969-12-31T23:59:59Z",
            "+026-11-26T10:00:00Z",
            "2026-1-126T10:00:00Z",
            "２026-11-26T10:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_utc(bad), None, "{bad:?}");
        }
        assert!(parse_rfc3339_utc("2000-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn sha256_of_known_inputs() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_sha256_hex(&sha256_hex(b"abc")));
        assert!(!is_sha256_hex(&sha256_hex(b"abc").to_uppercase()));
        assert!(!is_sha256_hex("00"));
    }

    proptest::proptest! {
        /// Arbitrary bytes are refused as a receipt and reported as a bad
        /// ledger or head, never a panic.
        #[test]
        fn verification_is_total(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let keys = [crate::OwnerKey::from_seed([2; 32]).public_key()];
            proptest::prop_assert!(verify_receipt(&bytes, &keys).is_err());
            proptest::prop_assert!(ledger::verify_bytes_for_tests(&bytes, &keys));
        }
    }
}
