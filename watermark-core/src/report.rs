//! Per-file outcomes of the pipelines, for reports and JSON.

use std::path::PathBuf;

use serde::Serialize;

use crate::lang::Lang;

/// Why a file was copied unchanged (or read without evidence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum SkipReason {
    /// Larger than [`crate::MAX_FILE_BYTES`].
    #[error("file is {bytes} bytes, over the {} byte limit", crate::MAX_FILE_BYTES)]
    TooLarge {
        /// Size of the file.
        bytes: usize,
    },
    /// Contains a NUL byte.
    #[error("binary file (NUL byte at offset {byte_offset})")]
    Binary {
        /// Offset of the first NUL byte.
        byte_offset: usize,
    },
    /// Not valid UTF-8.
    #[error("invalid UTF-8 at {line}:{column}")]
    NotUtf8 {
        /// 1-based line.
        line: usize,
        /// 1-based byte column.
        column: usize,
    },
    /// A carriage return not followed by a line feed: languages and parsers
    /// disagree on whether it ends a line, so the file is never edited.
    #[error("lone carriage return (CR without LF) at {line}:{column}; file left unchanged")]
    LoneCarriageReturn {
        /// 1-based line.
        line: usize,
        /// 1-based byte column.
        column: usize,
    },
    /// The file has syntax the parser rejects, where a clean parse is
    /// needed (a signed comment's digest covers the whole file).
    #[error("syntax error at {line}:{column}; file left unchanged")]
    ParseErrors {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The file could not be read.
    #[error("cannot read: {message}")]
    Unreadable {
        /// The I/O error.
        message: String,
    },
    /// The parser gave up.
    #[error("parser timed out")]
    ParseTimeout,
    /// The grammar could not be loaded (a build problem).
    #[error("grammar failed to load: {message}")]
    Grammar {
        /// What tree-sitter said.
        message: String,
    },
    /// The code reads its own line numbers (a frame's line, `line!()`):
    /// moving a blank line or an item could change what it does, so the
    /// file is delivered unchanged.
    #[error(
        "the code reads its own line numbers (`{what}` at {line}:{column}); file left unchanged"
    )]
    ObservesLineNumbers {
        /// The name found.
        what: String,
        /// 1-based line.
        line: usize,
        /// 1-based byte column.
        column: usize,
    },
    /// A UI test's expected output sits beside the file (`NAME.stderr`):
    /// it pins the compiler's line numbers, so the file is delivered
    /// unchanged.
    #[error("its expected output {file} pins its line numbers; file left unchanged")]
    PinnedOutput {
        /// The file beside it.
        file: String,
    },
    /// The file's path matches a glob the owner asked to deliver verbatim
    /// (`tag --verbatim`): generated code, say.
    #[error("matches --verbatim {glob}; file left unchanged")]
    Verbatim {
        /// The glob it matches.
        glob: String,
    },
    /// A comment at the top says a program wrote the file (`@generated`,
    /// `DO NOT EDIT`): a diff against a fresh generation would show every
    /// mark, and regenerating would erase them, so it is delivered
    /// unchanged unless the owner asks otherwise (`tag --tag-generated`).
    #[error("marked as generated (\"{marker}\" on line {line}); file left unchanged")]
    Generated {
        /// The phrase found, in lower case.
        marker: String,
        /// Its 1-based line.
        line: usize,
    },
    /// The tagged text did not re-parse to the same program, so the
    /// original was kept. Indicates a bug in a channel; please report it.
    #[error("safety check failed ({detail}); file left unchanged")]
    VerifyFailed {
        /// What differed.
        detail: String,
    },
}

/// A place in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TextPosition {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl TextPosition {
    pub(crate) fn new((line, column): (usize, usize)) -> Self {
        TextPosition { line, column }
    }
}

impl std::fmt::Display for TextPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum FileStatus {
    /// A source file that was processed (tagged or read for evidence).
    Processed {
        /// Sites found (when tagging: those a tag may edit).
        sites: usize,
        /// Sites edited (0 when tracing).
        edits: usize,
        /// The first syntax error, in a file the parser does not fully
        /// accept: when tagging, the code around each error is left as it
        /// is and only the rest carries the mark.
        #[serde(skip_serializing_if = "Option::is_none")]
        syntax_error: Option<TextPosition>,
    },
    /// A source file left unchanged, with the reason.
    Skipped(SkipReason),
    /// Not a source file of a supported language: copied byte for byte.
    Copied,
    /// A symbolic link, recreated as a link (never followed).
    Symlink,
}

/// One file's outcome in a tree run.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// Path relative to the root of the run.
    #[serde(serialize_with = "serialize_path")]
    pub path: PathBuf,
    /// The language, for source files.
    #[serde(serialize_with = "serialize_lang")]
    pub lang: Option<Lang>,
    /// What happened.
    #[serde(flatten)]
    pub status: FileStatus,
}

/// A path as a JSON string: a name that is not UTF-8 (legal on Unix) is
/// shown with U+FFFD in place of its bad bytes rather than failing the
/// whole report.
pub(crate) fn serialize_path<S: serde::Serializer>(
    path: &std::path::Path,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

/// [`serialize_path`] for a list.
pub(crate) fn serialize_paths<S: serde::Serializer>(
    paths: &[PathBuf],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(paths.iter().map(|p| p.to_string_lossy()))
}

fn serialize_lang<S: serde::Serializer>(lang: &Option<Lang>, s: S) -> Result<S::Ok, S::Error> {
    match lang {
        Some(lang) => s.serialize_str(lang.name()),
        None => s.serialize_none(),
    }
}

/// Something that wants to hear about progress on long runs.
pub trait Progress: Sync {
    /// The run will visit `total` files.
    fn start(&self, total: u64);
    /// One more file is done.
    fn advance(&self);
}

/// Ignores progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _total: u64) {}
    fn advance(&self) {}
}
