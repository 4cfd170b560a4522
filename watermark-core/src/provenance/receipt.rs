//! Delivery receipts: an in-toto statement naming every delivered file by
//! its SHA-256, signed in a DSSE envelope.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::dsse::Envelope;
use super::{check_id, check_time, is_sha256_hex, sha256_hex, ProvenanceError, ReceiptFault};
use crate::key::{OwnerKey, PublicKey};
use crate::recipient::Recipient;

/// The `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// The `predicateType` of a delivery receipt.
pub const PREDICATE_TYPE: &str = "https://watermark.dev/delivery/v1";

/// An in-toto Statement v1 whose predicate is a [`DeliveryPredicate`].
/// Fields serialize in the order `_type`, `subject`, `predicateType`,
/// `predicate`; unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    #[serde(rename = "_type")]
    statement_type: String,
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    predicate: DeliveryPredicate,
}

/// One delivered file: its path in the delivery and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    name: String,
    digest: SubjectDigest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectDigest {
    sha256: String,
}

/// What a receipt records about a delivery besides the files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeliveryPredicate {
    recipient: String,
    delivery_id: String,
    time: String,
    tool_version: String,
    key_id: String,
    sites_per_channel: BTreeMap<String, usize>,
}

impl Subject {
    /// The subject for a delivered file's content. `name` is its path in
    /// the delivery with `/` separators (relative, no `.` or `..`).
    pub fn of_file(name: &str, bytes: &[u8]) -> Result<Subject, ProvenanceError> {
        Subject::with_sha256(name, &sha256_hex(bytes))
    }

    /// The subject for a file whose SHA-256 (64 lowercase hex digits) is
    /// already known.
    pub fn with_sha256(name: &str, sha256: &str) -> Result<Subject, ProvenanceError> {
        if let Err(reason) = check_subject_name(name) {
            return Err(ProvenanceError::Invalid {
                what: "subject name",
                value: name.to_owned(),
                reason,
            });
        }
        if !is_sha256_hex(sha256) {
            return Err(ProvenanceError::Invalid {
                what: "sha256",
                value: sha256.to_owned(),
                reason: "not 64 lowercase hex digits",
            });
        }
        Ok(Subject {
            name: name.to_owned(),
            digest: SubjectDigest {
                sha256: sha256.to_owned(),
            },
        })
    }

    /// The file's path in the delivery, `/`-separated.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file's SHA-256 as lowercase hex.
    pub fn sha256(&self) -> &str {
        &self.digest.sha256
    }
}

/// A relative `/`-separated path with no empty, `.` or `..` component, no
/// backslash and no control character.
fn check_subject_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        Err("empty")
    } else if name.contains('\\') {
        Err("contains a backslash; use '/' separators")
    } else if name.chars().any(char::is_control) {
        Err("contains a control character")
    } else if name
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        Err("not a relative path of non-empty components without '.' or '..'")
    } else {
        Ok(())
    }
}

impl DeliveryPredicate {
    /// The recipient id as written.
    pub fn recipient(&self) -> &str {
        &self.recipient
    }

    /// The delivery id.
    pub fn delivery_id(&self) -> &str {
        &self.delivery_id
    }

    /// The delivery time, RFC 3339 UTC.
    pub fn time(&self) -> &str {
        &self.time
    }

    /// The version of the tool that tagged the delivery.
    pub fn tool_version(&self) -> &str {
        &self.tool_version
    }

    /// The id of the key that tagged and signed.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// How many sites each channel carried, by channel name.
    pub fn sites_per_channel(&self) -> &BTreeMap<String, usize> {
        &self.sites_per_channel
    }
}

impl Statement {
    /// The delivered files, sorted by name.
    pub fn subjects(&self) -> &[Subject] {
        &self.subject
    }

    /// The delivery facts.
    pub fn predicate(&self) -> &DeliveryPredicate {
        &self.predicate
    }

    /// The payload form: compact JSON, fields in declaration order.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing strings, maps with string keys and integers cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parse and check a statement: the in-toto and predicate types, subject
    /// names (valid, sorted, unique) and digests, the time and the ids.
    pub fn from_bytes(bytes: &[u8]) -> Result<Statement, ReceiptFault> {
        Self::parse(bytes).map_err(ReceiptFault::Statement)
    }

    fn parse(bytes: &[u8]) -> Result<Statement, String> {
        let statement: Statement = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if statement.statement_type != STATEMENT_TYPE {
            return Err(format!(
                "_type is {:?}, expected {STATEMENT_TYPE:?}",
                statement.statement_type
            ));
        }
        if statement.predicate_type != PREDICATE_TYPE {
            return Err(format!(
                "predicateType is {:?}, expected {PREDICATE_TYPE:?}",
                statement.predicate_type
            ));
        }
        for (i, subject) in statement.subject.iter().enumerate() {
            check_subject_name(subject.name())
                .map_err(|reason| format!("subject name {:?}: {reason}", subject.name()))?;
            if !is_sha256_hex(subject.sha256()) {
                return Err(format!(
                    "subject {:?}: sha256 is not 64 lowercase hex digits",
                    subject.name()
                ));
            }
            if i > 0 && statement.subject[i - 1].name >= subject.name {
                return Err(format!(
                    "subject {:?} is out of order or listed twice",
                    subject.name()
                ));
            }
        }
        let p = &statement.predicate;
        Recipient::new(&p.recipient).map_err(|e| e.to_string())?;
        check_id("delivery id", &p.delivery_id).map_err(|e| e.to_string())?;
        check_id("key id", &p.key_id).map_err(|e| e.to_string())?;
        check_time(&p.time).map_err(|e| e.to_string())?;
        Ok(statement)
    }
}

/// The facts of one delivery, collected while tagging; [`Receipt::sign`]
/// turns them into a signed envelope.
#[derive(Debug, Clone)]
pub struct Receipt {
    recipient: Recipient,
    delivery_id: String,
    time: String,
    sites_per_channel: BTreeMap<String, usize>,
    /// Name -> sha256; a map so that subjects come out sorted by name.
    subjects: BTreeMap<String, Subject>,
}

impl Receipt {
    /// Start a receipt. `time` is RFC 3339 UTC as [`super::now_rfc3339`]
    /// writes it; `delivery_id` is non-empty, at most 200 bytes, without
    /// control characters.
    pub fn new(
        recipient: &Recipient,
        delivery_id: &str,
        time: &str,
        sites_per_channel: BTreeMap<String, usize>,
    ) -> Result<Receipt, ProvenanceError> {
        check_id("delivery id", delivery_id)?;
        check_time(time)?;
        Ok(Receipt {
            recipient: recipient.clone(),
            delivery_id: delivery_id.to_owned(),
            time: time.to_owned(),
            sites_per_channel,
            subjects: BTreeMap::new(),
        })
    }

    /// Add a delivered file by content.
    pub fn add_file(&mut self, name: &str, bytes: &[u8]) -> Result<(), ProvenanceError> {
        self.add_subject(Subject::of_file(name, bytes)?)
    }

    /// Add a delivered file (see [`Subject`]); each name at most once.
    pub fn add_subject(&mut self, subject: Subject) -> Result<(), ProvenanceError> {
        if self.subjects.contains_key(subject.name()) {
            return Err(ProvenanceError::Invalid {
                what: "subject name",
                value: subject.name,
                reason: "listed twice",
            });
        }
        self.subjects.insert(subject.name.clone(), subject);
        Ok(())
    }

    /// The statement, as signed by the key with id `key_id`.
    pub fn build(&self, key_id: &str) -> Statement {
        Statement {
            statement_type: STATEMENT_TYPE.to_owned(),
            subject: self.subjects.values().cloned().collect(),
            predicate_type: PREDICATE_TYPE.to_owned(),
            predicate: DeliveryPredicate {
                recipient: self.recipient.as_str().to_owned(),
                delivery_id: self.delivery_id.clone(),
                time: self.time.clone(),
                tool_version: env!("CARGO_PKG_VERSION").to_owned(),
                key_id: key_id.to_owned(),
                sites_per_channel: self.sites_per_channel.clone(),
            },
        }
    }

    /// The statement in a DSSE envelope signed with `key`.
    pub fn sign(&self, key: &OwnerKey) -> Envelope {
        Envelope::sign(&self.build(&key.key_id()).to_bytes(), key)
    }
}

/// A receipt whose signature verified against a trusted key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReceipt {
    statement: Statement,
    recipient: Recipient,
}

/// How a delivered file compares with its receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubjectStatus {
    /// The content has the SHA-256 the receipt records.
    Matches,
    /// The content differs from what was delivered.
    Changed,
    /// The receipt lists the file but it is not there.
    Missing,
    /// The receipt does not list a file of that name.
    NotInReceipt,
}

impl VerifiedReceipt {
    /// The recipient of the delivery.
    pub fn recipient(&self) -> &Recipient {
        &self.recipient
    }

    /// The delivery id.
    pub fn delivery_id(&self) -> &str {
        self.statement.predicate.delivery_id()
    }

    /// The delivery time, RFC 3339 UTC.
    pub fn time(&self) -> &str {
        self.statement.predicate.time()
    }

    /// The id of the key that signed (also the one the statement names).
    pub fn key_id(&self) -> &str {
        self.statement.predicate.key_id()
    }

    /// The tool version that tagged the delivery.
    pub fn tool_version(&self) -> &str {
        self.statement.predicate.tool_version()
    }

    /// Sites per channel, by channel name.
    pub fn sites_per_channel(&self) -> &BTreeMap<String, usize> {
        self.statement.predicate.sites_per_channel()
    }

    /// The delivered files, sorted by name.
    pub fn subjects(&self) -> &[Subject] {
        self.statement.subjects()
    }

    /// The whole statement.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }

    /// Compare a file's content with the receipt. `name` is its path in
    /// the delivery with `/` separators.
    pub fn check_file(&self, name: &str, bytes: &[u8]) -> SubjectStatus {
        match self.subject(name) {
            None => SubjectStatus::NotInReceipt,
            Some(subject) if subject.sha256() == sha256_hex(bytes) => SubjectStatus::Matches,
            Some(_) => SubjectStatus::Changed,
        }
    }

    /// Compare every file the receipt lists with the file of that path
    /// under `root` (a delivered tree), then name every other regular file
    /// under `root` (a directory) as not in the receipt: a file added to a
    /// delivery is as much a change as one edited. Symbolic links are not
    /// covered (receipts list files).
    pub fn check_tree(&self, root: &Path) -> Result<Vec<(String, SubjectStatus)>, ProvenanceError> {
        let mut out = Vec::with_capacity(self.subjects().len());
        for subject in self.subjects() {
            let path = subject
                .name()
                .split('/')
                .fold(root.to_owned(), |path, part| path.join(part));
            let status = match fs::read(&path) {
                Ok(bytes) => self.check_file(subject.name(), &bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => SubjectStatus::Missing,
                Err(source) => return Err(ProvenanceError::Io { path, source }),
            };
            out.push((subject.name().to_owned(), status));
        }
        if root.is_dir() {
            let present = crate::tree::regular_files(root).map_err(|e| ProvenanceError::Io {
                path: root.to_owned(),
                source: std::io::Error::other(e.to_string()),
            })?;
            for name in present {
                if self.subject(&name).is_none() {
                    out.push((name, SubjectStatus::NotInReceipt));
                }
            }
        }
        Ok(out)
    }

    fn subject(&self, name: &str) -> Option<&Subject> {
        let subjects = self.subjects();
        subjects
            .binary_search_by(|s| s.name().cmp(name))
            .ok()
            .map(|i| &subjects[i])
    }
}

/// Verify a receipt's bytes against trusted public keys: the bytes must be
/// exactly the canonical rendering ([`Envelope::to_bytes`]) of the envelope
/// they parse to, its payload an in-toto statement of a delivery, signed by
/// one of `keys`, and the statement must name the key that signed it.
pub fn verify_receipt(
    bytes: &[u8],
    keys: &[PublicKey],
) -> Result<VerifiedReceipt, ProvenanceError> {
    verify(bytes, keys).map_err(|fault| ProvenanceError::Receipt { path: None, fault })
}

/// Read a receipt file and [`verify_receipt`] it; errors name the file.
pub fn read_receipt(path: &Path, keys: &[PublicKey]) -> Result<VerifiedReceipt, ProvenanceError> {
    let bytes = fs::read(path).map_err(|source| ProvenanceError::Io {
        path: path.to_owned(),
        source,
    })?;
    verify(&bytes, keys).map_err(|fault| ProvenanceError::Receipt {
        path: Some(path.to_owned()),
        fault,
    })
}

fn verify(bytes: &[u8], keys: &[PublicKey]) -> Result<VerifiedReceipt, ReceiptFault> {
    let envelope = Envelope::from_bytes(bytes)?;
    let (payload, signer) = envelope.verify(keys)?;
    let statement = Statement::from_bytes(&payload)?;
    let signer = signer.key_id();
    if statement.predicate.key_id != signer {
        return Err(ReceiptFault::KeyMismatch {
            in_statement: statement.predicate.key_id,
            signer,
        });
    }
    let recipient = Recipient::new(&statement.predicate.recipient)
        .map_err(|e| ReceiptFault::Statement(e.to_string()))?;
    Ok(VerifiedReceipt {
        statement,
        recipient,
    })
}

/// Write a receipt to a new file (never overwriting one) and flush it to
/// disk.
pub fn write_receipt(path: &Path, envelope: &Envelope) -> Result<(), ProvenanceError> {
    let io = |source| ProvenanceError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                ProvenanceError::Exists {
                    path: path.to_owned(),
                }
            } else {
                io(source)
            }
        })?;
    file.write_all(&envelope.to_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> Receipt {
        let recipient = Recipient::new("acme").expect("id");
        let sites = BTreeMap::from([("blank-line".to_owned(), 7), ("item-order".to_owned(), 2)]);
        let mut receipt =
            Receipt::new(&recipient, "d-1", "2026-11-26T10:00:00Z", sites).expect("receipt");
        receipt.add_file("src/z.rs", b"z").expect("z");
        receipt.add_file("a.py", b"a").expect("a");
        receipt
    }

    #[test]
    fn statement_shape_and_round_trip() {
        let key = OwnerKey::from_seed([9; 32]);
        let statement = receipt().build(&key.key_id());
        let json: serde_json::Value = serde_json::from_slice(&statement.to_bytes()).expect("json");
        assert_eq!(json["_type"], STATEMENT_TYPE);
        assert_eq!(json["predicateType"], PREDICATE_TYPE);
        assert_eq!(json["subject"][0]["name"], "a.py");
        assert_eq!(json["subject"][0]["digest"]["sha256"], sha256_hex(b"a"));
        assert_eq!(json["subject"][1]["name"], "src/z.rs");
        assert_eq!(json["predicate"]["recipient"], "acme");
        assert_eq!(json["predicate"]["deliveryId"], "d-1");
        assert_eq!(json["predicate"]["time"], "2026-11-26T10:00:00Z");
        assert_eq!(json["predicate"]["toolVersion"], env!("CARGO_PKG_VERSION"));
        assert_eq!(json["predicate"]["keyId"], key.key_id());
        assert_eq!(json["predicate"]["sitesPerChannel"]["blank-line"], 7);
        assert_eq!(Statement::from_bytes(&statement.to_bytes()), Ok(statement));
    }

    #[test]
    fn verified_receipt_checks_files() {
        let key = OwnerKey::from_seed([9; 32]);
        let bytes = receipt().sign(&key).to_bytes();
        let verified = verify_receipt(&bytes, &[key.public_key()]).expect("verifies");
        assert_eq!(verified.recipient().as_str(), "acme");
        assert_eq!(verified.delivery_id(), "d-1");
        assert_eq!(verified.key_id(), key.key_id());
        assert_eq!(verified.check_file("a.py", b"a"), SubjectStatus::Matches);
        assert_eq!(
            verified.check_file("src/z.rs", b"z"),
            SubjectStatus::Matches
        );
        assert_eq!(verified.check_file("a.py", b"b"), SubjectStatus::Changed);
        assert_eq!(
            verified.check_file("b.py", b"a"),
            SubjectStatus::NotInReceipt
        );

        let dir = tempfile::tempdir().expect("tmp");
        fs::write(dir.path().join("a.py"), "A").expect("write");
        assert_eq!(
            verified.check_tree(dir.path()).expect("tree"),
            vec![
                ("a.py".to_owned(), SubjectStatus::Changed),
                ("src/z.rs".to_owned(), SubjectStatus::Missing)
            ]
        );
    }

    #[test]
    fn bad_inputs_are_refused() {
        let recipient = Recipient::new("acme").expect("id");
        assert!(Receipt::new(&recipient, "", "2026-11-26T10:00:00Z", BTreeMap::new()).is_err());
        assert!(Receipt::new(&recipient, "d\n1", "2026-11-26T10:00:00Z", BTreeMap::new()).is_err());
        assert!(Receipt::new(&recipient, "d-1", "yesterday", BTreeMap::new()).is_err());
        let mut r = receipt();
        for name in [
            "",
            "/abs",
            "a//b",
            "a/./b",
            "../up",
            "a/..",
            "win\\path",
            "tab\there",
            "dir/",
        ] {
            assert!(r.add_file(name, b"x").is_err(), "{name:?}");
        }
        assert!(r.add_file("a.py", b"again").is_err(), "duplicate");
        assert!(Subject::with_sha256("x", "ABC").is_err());
        assert!(Subject::with_sha256("x", &sha256_hex(b"").to_uppercase()).is_err());
    }

    #[test]
    fn a_statement_naming_another_key_is_refused() {
        let key = OwnerKey::from_seed([9; 32]);
        let statement = receipt().build("0123456789abcdef");
        let bytes = Envelope::sign(&statement.to_bytes(), &key).to_bytes();
        match verify_receipt(&bytes, &[key.public_key()]) {
            Err(ProvenanceError::Receipt {
                fault: ReceiptFault::KeyMismatch { .. },
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn write_receipt_never_overwrites() {
        let key = OwnerKey::from_seed([9; 32]);
        let envelope = receipt().sign(&key);
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("r.json");
        write_receipt(&path, &envelope).expect("first write");
        fs::write(&path, "precious").expect("overwrite by hand");
        assert!(matches!(
            write_receipt(&path, &envelope),
            Err(ProvenanceError::Exists { .. })
        ));
        assert_eq!(fs::read_to_string(&path).expect("read"), "precious");
        let err = read_receipt(&path, &[key.public_key()]).expect_err("not a receipt");
        assert!(
            err.to_string()
                .starts_with(&format!("{}: ", path.display())),
            "{err}"
        );
    }
}
