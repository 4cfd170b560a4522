//! Typed errors, one enum per concern. Messages name the file and position.

use std::path::PathBuf;

use crate::span::ByteSpan;

/// Loading, creating or saving an owner key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read.
    #[error("{}: cannot read key file: {source}", path.display())]
    Read {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not an Ed25519 PKCS#8 private key in PEM form.
    #[error("{}: not an Ed25519 private key in PKCS#8 PEM form ({reason})", path.display())]
    Malformed {
        /// The key file.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// The file is not an Ed25519 public key in PEM form.
    #[error("{}: not an Ed25519 public key in SubjectPublicKeyInfo PEM form ({reason})", path.display())]
    MalformedPublic {
        /// The key file.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// Refusing to overwrite an existing file.
    #[error("{}: already exists; refusing to overwrite it", path.display())]
    Exists {
        /// The file that exists.
        path: PathBuf,
    },
    /// The secret key's path ends in `.pub`, where its public half goes:
    /// a secret key under a public key's name is one published by mistake.
    #[error("{}: a secret key must not end in .pub (its public key is written beside it with that extension)", path.display())]
    PublicName {
        /// The path asked for.
        path: PathBuf,
    },
    /// The key could not be written.
    #[error("{}: cannot write key file: {source}", path.display())]
    Write {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Encoding the key to PEM failed.
    #[error("cannot encode key as PEM: {0}")]
    Encode(String),
}

/// A recipient identifier that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecipientError {
    /// The identifier is empty.
    #[error("recipient id is empty")]
    Empty,
    /// The identifier is longer than 200 bytes.
    #[error("recipient id {0:?} is longer than 200 bytes")]
    TooLong(String),
    /// The identifier contains a control character, a comma or leading or
    /// trailing whitespace (it must survive a comma-separated list).
    #[error("recipient id {0:?} contains a control character, a comma, or surrounding whitespace")]
    BadCharacter(String),
}

/// A rejected edit plan. These are bugs in a channel, never silently skipped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    /// Two edits overlap or insert at the same point.
    #[error("edits overlap: bytes {}..{} and {}..{}", first.byte_start(), first.byte_end(), second.byte_start(), second.byte_end())]
    Overlap {
        /// The earlier edit's span.
        first: ByteSpan,
        /// The later edit's span.
        second: ByteSpan,
    },
    /// An edit reaches past the end of the source.
    #[error("edit {byte_start}..{byte_end} is past the end of a {source_len}-byte source")]
    OutOfBounds {
        /// Start of the edit.
        byte_start: usize,
        /// End of the edit.
        byte_end: usize,
        /// Length of the source.
        source_len: usize,
    },
    /// An edit boundary falls inside a UTF-8 character.
    #[error("edit boundary at byte {byte_offset} is inside a character")]
    NotCharBoundary {
        /// The offending offset.
        byte_offset: usize,
    },
}

/// A failure of a whole-tree operation (the per-file problems are reported,
/// not raised; see [`crate::FileStatus`]).
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// An I/O error on a named path.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file could not carry a signed comment.
    #[error("{}: cannot sign: {message}", path.display())]
    Sign {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Walking the input tree failed.
    #[error("walking {}: {message}", path.display())]
    Walk {
        /// The root being walked.
        path: PathBuf,
        /// What the walker said.
        message: String,
    },
    /// The output path lies inside the input tree.
    #[error("output {} lies inside input {}; refusing to write into the input", output.display(), input.display())]
    OutputInsideInput {
        /// The input root.
        input: PathBuf,
        /// The output root.
        output: PathBuf,
    },
    /// The input lies inside the output path.
    #[error("input {} lies inside output {}; refusing", input.display(), output.display())]
    InputInsideOutput {
        /// The input root.
        input: PathBuf,
        /// The output root.
        output: PathBuf,
    },
    /// The output path already exists.
    #[error("output {} already exists; refusing to overwrite it (choose a new path)", path.display())]
    OutputExists {
        /// The existing output.
        path: PathBuf,
    },
    /// The input path does not exist or is not a file or directory.
    #[error("{}: no such file or directory", path.display())]
    NoInput {
        /// The missing input.
        path: PathBuf,
    },
}
