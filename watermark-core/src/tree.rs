//! Whole trees: walk (respecting .gitignore), tag into a fresh output tree
//! written atomically, scan a suspect tree for evidence, inspect capacity.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::channel::{all_refusals, all_sites, editable_sites, ChannelId, Refusal};
use crate::code::prf::Prf;
use crate::embed::{tag_source, CodeParams};
use crate::error::TreeError;
use crate::evidence::Evidence;
use crate::key::OwnerKey;
use crate::key::PublicKey;
use crate::lang::Lang;
use crate::recipient::Recipient;
use crate::report::{FileReport, FileStatus, Progress, SkipReason, TextPosition};
use crate::signed::{sign_source, verify_source, FoundSignature, SignError};
use crate::syntax::{decode, index, parse};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;

/// How a tree is walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkOptions {
    /// Respect `.gitignore`, `.ignore` and `.git/info/exclude` files
    /// (whether or not the tree is a git repository). Version-control
    /// directories (`.git`, `.hg`, `.svn`, `.bzr`, `_darcs`, `CVS`) are
    /// always skipped.
    pub respect_ignore: bool,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            respect_ignore: true,
        }
    }
}

/// Version-control metadata directories: never delivered (they hold the
/// untagged history, and Subversion and Mercurial keep pristine copies of
/// every file) and never read as a suspect's code.
const VCS_DIRS: [&str; 6] = [".git", ".hg", ".svn", ".bzr", "_darcs", "CVS"];

fn is_vcs_dir(name: &std::ffi::OsStr) -> bool {
    VCS_DIRS.iter().any(|vcs| name == *vcs)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    Dir,
    File,
    Symlink,
    /// A FIFO, socket or device: never opened (reading a FIFO blocks,
    /// reading a device may never end).
    Special,
}

impl EntryKind {
    fn of(file_type: fs::FileType) -> EntryKind {
        if file_type.is_symlink() {
            EntryKind::Symlink
        } else if file_type.is_dir() {
            EntryKind::Dir
        } else if file_type.is_file() {
            EntryKind::File
        } else {
            EntryKind::Special
        }
    }
}

/// What a walk found: the entries, and the parts it could not read.
struct Listing {
    entries: Vec<Entry>,
    /// Paths the walk could not enter or read, with the reason.
    unreadable: Vec<(PathBuf, String)>,
}

impl Listing {
    /// The entries, or the first unreadable part as an error: a delivery
    /// must be complete.
    fn complete(self, root: &Path) -> Result<Vec<Entry>, TreeError> {
        match self.unreadable.into_iter().next() {
            None => Ok(self.entries),
            Some((path, message)) => Err(TreeError::Walk {
                path: if path.as_os_str().is_empty() {
                    root.to_owned()
                } else {
                    path
                },
                message,
            }),
        }
    }

    /// Reports for what a reading walk skipped: special files with a
    /// source name, and parts it could not read.
    fn skipped_reports(&self) -> Vec<FileReport> {
        let special = self
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Special)
            .filter_map(|e| {
                let lang = Lang::from_path(&e.abs)?;
                Some(FileReport {
                    path: e.report_path(),
                    lang: Some(lang),
                    status: FileStatus::Skipped(SkipReason::Unreadable {
                        message: "not a regular file (a FIFO, socket or device); not opened"
                            .to_owned(),
                    }),
                })
            });
        let unreadable = self.unreadable.iter().map(|(path, message)| FileReport {
            path: path.clone(),
            lang: None,
            status: FileStatus::Skipped(SkipReason::Unreadable {
                message: message.clone(),
            }),
        });
        special.chain(unreadable).collect()
    }
}

#[derive(Debug, Clone)]
struct Entry {
    /// Relative to the root; empty when the root itself is a file.
    rel: PathBuf,
    abs: PathBuf,
    kind: EntryKind,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TreeError + '_ {
    move |source| TreeError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Every entry under `root`, sorted by path. Symlinks inside the tree are
/// never followed; the root itself is, when it is one (a link named on
/// the command line means what it points to). A part of the tree that
/// cannot be read is listed in [`Listing::unreadable`] and the walk goes
/// on.
fn list(root: &Path, options: WalkOptions) -> Result<Listing, TreeError> {
    let meta = fs::metadata(root).map_err(|_| TreeError::NoInput {
        path: root.to_owned(),
    })?;
    if !meta.is_dir() {
        return Ok(Listing {
            entries: vec![Entry {
                rel: PathBuf::new(),
                abs: root.to_owned(),
                kind: EntryKind::of(meta.file_type()),
            }],
            unreadable: Vec::new(),
        });
    }
    // The walker does not follow links, the root included: walk what a
    // root link points to, reporting paths under the name given.
    let target = if fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink()) {
        fs::canonicalize(root).map_err(io_err(root))?
    } else {
        root.to_owned()
    };
    let respect = options.respect_ignore;
    let walker = ignore::WalkBuilder::new(&target)
        .hidden(false)
        .parents(false)
        .require_git(false)
        .git_ignore(respect)
        .git_exclude(respect)
        .git_global(false)
        .ignore(respect)
        .follow_links(false)
        .filter_entry(|e| !is_vcs_dir(e.file_name()))
        .build();
    let mut listing = Listing {
        entries: Vec::new(),
        unreadable: Vec::new(),
    };
    for item in walker {
        let entry = match item {
            Ok(entry) => entry,
            Err(err) => {
                let path = walk_error_path(&err)
                    .map(|p| p.strip_prefix(&target).unwrap_or(p).to_owned())
                    .unwrap_or_default();
                listing.unreadable.push((path, err.to_string()));
                continue;
            }
        };
        let Some(file_type) = entry.file_type() else {
            continue;
        };
        let rel = entry
            .path()
            .strip_prefix(&target)
            .unwrap_or(entry.path())
            .to_owned();
        if rel.as_os_str().is_empty() {
            continue;
        }
        let abs = root.join(&rel);
        let kind = EntryKind::of(file_type);
        listing.entries.push(Entry { rel, abs, kind });
    }
    listing.entries.sort_by(|a, b| a.rel.cmp(&b.rel));
    listing.unreadable.sort();
    Ok(listing)
}

/// The path an `ignore` walk error is about, if it names one.
fn walk_error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

/// The regular files of a supported language, with their language.
/// The expected output pinned beside a source file, if any: a UI test
/// (trybuild, compiletest) compares the compiler's messages, line numbers
/// included, with `NAME.stderr` or `NAME.stdout`, so no edit may shift them.
fn pinned_output(source: &Path) -> Option<String> {
    ["stderr", "stdout"].into_iter().find_map(|ext| {
        let beside = source.with_extension(ext);
        beside.is_file().then(|| {
            beside
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
    })
}

fn source_files(entries: &[Entry]) -> Vec<(&Entry, Lang)> {
    entries
        .iter()
        .filter(|e| e.kind == EntryKind::File)
        .filter_map(|e| Some((e, Lang::from_path(&e.abs)?)))
        .collect()
}

impl Entry {
    /// The path to report: relative to the root, or the root itself when
    /// the root is a file.
    fn report_path(&self) -> PathBuf {
        if self.rel.as_os_str().is_empty() {
            self.abs.clone()
        } else {
            self.rel.clone()
        }
    }
}

/// The summary of a tag run.
#[derive(Debug, Clone, Serialize)]
pub struct TagReport {
    /// One report per file, in path order.
    pub files: Vec<FileReport>,
    /// Every delivered regular file (not symlinks), in path order: what a
    /// receipt lists.
    pub delivered: Vec<Delivered>,
    /// Sites found per channel over the whole run.
    pub channel_sites: BTreeMap<String, usize>,
    /// Files an ignore file (`.gitignore`, `.ignore`) kept out of the
    /// delivery, in path order: a generated `_version.py` or a
    /// `Cargo.lock` a build needs may be among them.
    #[serde(serialize_with = "crate::report::serialize_paths")]
    pub left_out: Vec<PathBuf>,
}

/// One delivered file.
#[derive(Debug, Clone, Serialize)]
pub struct Delivered {
    /// Path in the delivery, `/`-separated.
    pub path: String,
    /// SHA-256 of the delivered bytes, lower-case hex.
    pub sha256: String,
    /// Whether it carries a signed provenance comment.
    pub signed: bool,
}

/// Signed provenance comments for a tag run.
#[derive(Debug, Clone)]
pub struct SignOptions {
    /// The delivery (this run), signed into every comment.
    pub delivery_id: String,
    /// The human line above each signature, if any.
    pub notice: Option<String>,
    /// Only files whose path in the delivery matches get a comment (all
    /// source files when `None`).
    pub only: Option<globset::GlobSet>,
}

impl SignOptions {
    /// Checked options: `globs` select the files to sign (all source files
    /// when empty).
    pub fn new(
        delivery_id: &str,
        notice: Option<&str>,
        globs: &[String],
    ) -> Result<Self, SignError> {
        if let Some(notice) = notice {
            if notice.len() > crate::signed::MAX_NOTICE_BYTES || notice.contains(char::is_control) {
                return Err(SignError::BadNotice);
            }
        }
        if delivery_id.is_empty() || delivery_id.len() > 200 {
            return Err(SignError::BadField("the delivery id"));
        }
        let only = glob_set(globs).map_err(|e| SignError::BadGlob(e.to_string()))?;
        Ok(SignOptions {
            delivery_id: delivery_id.to_owned(),
            notice: notice.map(str::to_owned),
            only,
        })
    }

    fn wants(&self, path: &str) -> bool {
        self.only.as_ref().is_none_or(|set| set.is_match(path))
    }
}

/// One set of `globs` (`None` when there are none), matched against paths
/// in the delivery.
fn glob_set(globs: &[String]) -> Result<Option<globset::GlobSet>, globset::Error> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = globset::GlobSetBuilder::new();
    for glob in globs {
        builder.add(globset::Glob::new(glob)?);
    }
    builder.build().map(Some)
}

/// Files a tag run delivers unchanged whatever they hold (`tag --verbatim
/// GLOB`): generated code, say, where blank lines its generator never
/// writes would show and regenerating would erase the mark anyway.
///
/// Generated files (see [`Lang::generated_marker`]) are delivered unchanged
/// too, unless [`Verbatim::tag_generated`] says otherwise.
#[derive(Debug, Clone, Default)]
pub struct Verbatim {
    set: Option<globset::GlobSet>,
    globs: Vec<String>,
    tag_generated: bool,
}

impl Verbatim {
    /// Files whose path in the delivery (`/`-separated, relative to the
    /// tree) matches one of `globs`; nothing when empty.
    pub fn new(globs: &[String]) -> Result<Self, globset::Error> {
        Ok(Verbatim {
            set: glob_set(globs)?,
            globs: globs.to_vec(),
            tag_generated: false,
        })
    }

    /// Whether files marked as generated are tagged like any other (by
    /// default they are delivered unchanged).
    #[must_use]
    pub fn tag_generated(mut self, yes: bool) -> Self {
        self.tag_generated = yes;
        self
    }

    /// Why a source file in `lang` at `path` (in the delivery) holding
    /// `bytes` is delivered unchanged, if it is.
    fn reason(&self, lang: Lang, path: &str, bytes: &[u8]) -> Option<SkipReason> {
        if let Some(glob) = self.matching(path) {
            return Some(SkipReason::Verbatim {
                glob: glob.to_owned(),
            });
        }
        if self.tag_generated {
            return None;
        }
        let (marker, line) = lang.generated_marker(bytes)?;
        Some(SkipReason::Generated {
            marker: marker.to_owned(),
            line,
        })
    }

    /// The first glob `path` matches.
    fn matching(&self, path: &str) -> Option<&str> {
        let set = self.set.as_ref()?;
        let first = set.matches(path).into_iter().min()?;
        self.globs.get(first).map(String::as_str)
    }
}

/// Tag every source file of `input` for `recipient` into the new path
/// `output`; copy every other file byte for byte, modes kept; recreate
/// symlinks as links. Never writes into `input`. The output appears
/// atomically: it is built beside `output` and renamed into place, so a
/// failed run leaves nothing behind. `output` must not exist (or be an
/// empty directory). Generated files ([`Lang::generated_marker`]) are
/// delivered unchanged.
pub fn tag_tree(
    input: &Path,
    output: &Path,
    key: &OwnerKey,
    recipient: &Recipient,
    params: &CodeParams,
    options: WalkOptions,
    progress: &dyn Progress,
) -> Result<TagReport, TreeError> {
    tag_tree_signed(
        input,
        output,
        key,
        recipient,
        params,
        options,
        None,
        &Verbatim::default(),
        progress,
    )
}

/// [`tag_tree`], and with `signing` a signed provenance comment in every
/// source file it selects (see [`crate::signed`]). A file that cannot carry
/// one (it does not parse) is delivered without and reported. Files that
/// `verbatim` matches, and generated files unless it says to tag them, are
/// delivered unchanged, without a comment.
#[allow(clippy::too_many_arguments)]
pub fn tag_tree_signed(
    input: &Path,
    output: &Path,
    key: &OwnerKey,
    recipient: &Recipient,
    params: &CodeParams,
    options: WalkOptions,
    signing: Option<&SignOptions>,
    verbatim: &Verbatim,
    progress: &dyn Progress,
) -> Result<TagReport, TreeError> {
    check_output(input, output)?;
    let entries = list(input, options)?.complete(input)?;
    let parent = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = output.file_name().unwrap_or_default().to_string_lossy();
    // Beside the output (so the final rename stays on one file system),
    // under a name nobody can guess, created here and nowhere else: a
    // failed run removes only what it made itself. A single file is
    // staged inside it too.
    let staging = parent.join(format!(
        ".{name}.watermark-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    fs::create_dir(&staging).map_err(io_err(&staging))?;
    let single_file = entries.len() == 1 && entries[0].rel.as_os_str().is_empty();
    let staged = if single_file {
        staging.join("tagged")
    } else {
        staging.clone()
    };
    let result = (|| {
        for entry in entries.iter().filter(|e| e.kind == EntryKind::Dir) {
            let dir = staging.join(&entry.rel);
            fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        }
        let files: Vec<&Entry> = entries
            .iter()
            .filter(|e| e.kind != EntryKind::Dir)
            .collect();
        progress.start(files.len() as u64);
        let reports = files
            .par_iter()
            .map(|entry| {
                let dest = if single_file {
                    staged.clone()
                } else {
                    staging.join(&entry.rel)
                };
                let report = tag_one(entry, &dest, key, recipient, params, signing, verbatim);
                progress.advance();
                report
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !single_file {
            // Directory modes last, so a read-only directory can be filled.
            for entry in entries.iter().rev().filter(|e| e.kind == EntryKind::Dir) {
                copy_mode(&entry.abs, &staging.join(&entry.rel))?;
            }
            copy_mode(input, &staging)?;
        }
        Ok(reports)
    })()
    .and_then(|reports| {
        publish(&staged, output, single_file)
            .map(|()| reports)
            .map_err(|source| TreeError::Io {
                path: output.to_owned(),
                source,
            })
    });
    // A published tree is no longer at `staging`; anything else staged is
    // this run's own.
    if single_file || result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    let outcomes = result?;
    let mut files = Vec::with_capacity(outcomes.len());
    let mut delivered = Vec::with_capacity(outcomes.len());
    let mut channel_sites: BTreeMap<String, usize> = ChannelId::ALL
        .iter()
        .map(|id| (id.name().to_owned(), 0))
        .collect();
    for outcome in outcomes {
        for (id, count) in &outcome.channel_sites {
            *channel_sites.entry(id.name().to_owned()).or_default() += count;
        }
        if let Some(file) = outcome.delivered {
            delivered.push(file);
        }
        files.push(outcome.report);
    }
    Ok(TagReport {
        files,
        delivered,
        channel_sites,
        left_out: left_out(input, options, &entries),
    })
}

/// The regular files under `input` that ignore files kept out of
/// `entries` (nothing when they were not respected).
fn left_out(input: &Path, options: WalkOptions, entries: &[Entry]) -> Vec<PathBuf> {
    if !options.respect_ignore || !input.is_dir() {
        return Vec::new();
    }
    let Ok(all) = list(
        input,
        WalkOptions {
            respect_ignore: false,
        },
    ) else {
        return Vec::new();
    };
    let kept: std::collections::BTreeSet<&Path> = entries.iter().map(|e| e.rel.as_path()).collect();
    let mut out: Vec<PathBuf> = all
        .entries
        .into_iter()
        .filter(|e| e.kind == EntryKind::File && !kept.contains(e.rel.as_path()))
        .map(|e| e.rel)
        .collect();
    out.sort();
    out
}

/// Move the staged output into place without replacing anything that
/// appeared there during the run: a file by a hard link (which fails if
/// the name exists), a directory by a rename (which fails over anything
/// but an empty directory, the one kind of output allowed to exist).
fn publish(staging: &Path, output: &Path, single_file: bool) -> std::io::Result<()> {
    if single_file {
        match fs::hard_link(staging, output) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Err(err),
            // A file system without hard links: check, then rename.
            Err(err) => match fs::symlink_metadata(output) {
                Ok(_) => Err(err),
                Err(_) => fs::rename(staging, output),
            },
        }
    } else {
        fs::rename(staging, output)
    }
}

/// One file's part of a tag run.
struct TagOutcome {
    report: FileReport,
    delivered: Option<Delivered>,
    channel_sites: Vec<(ChannelId, usize)>,
}

/// `rel` with `/` separators, as a receipt and a signed comment name it.
/// Every regular file under the directory `root` (ignore files not
/// respected, version-control directories skipped), as paths in the
/// delivery (`/`-separated), sorted.
pub(crate) fn regular_files(root: &Path) -> Result<Vec<String>, TreeError> {
    let listing = list(
        root,
        WalkOptions {
            respect_ignore: false,
        },
    )?;
    let mut names: Vec<String> = listing
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::File && !e.rel.as_os_str().is_empty())
        .map(|e| delivery_path(&e.rel))
        .collect();
    names.sort();
    Ok(names)
}

fn delivery_path(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn tag_one(
    entry: &Entry,
    dest: &Path,
    key: &OwnerKey,
    recipient: &Recipient,
    params: &CodeParams,
    signing: Option<&SignOptions>,
    verbatim: &Verbatim,
) -> Result<TagOutcome, TreeError> {
    let rel = if entry.rel.as_os_str().is_empty() {
        PathBuf::from(entry.abs.file_name().unwrap_or_default())
    } else {
        entry.rel.clone()
    };
    if entry.kind == EntryKind::Special {
        // Never opened: a FIFO would block the run, a device never end.
        return Ok(TagOutcome {
            report: FileReport {
                path: rel,
                lang: Lang::from_path(&entry.abs),
                status: FileStatus::Skipped(SkipReason::Unreadable {
                    message: "not a regular file (a FIFO, socket or device); not delivered"
                        .to_owned(),
                }),
            },
            delivered: None,
            channel_sites: Vec::new(),
        });
    }
    if entry.kind == EntryKind::Symlink {
        let target = fs::read_link(&entry.abs).map_err(io_err(&entry.abs))?;
        make_symlink(&target, dest)?;
        return Ok(TagOutcome {
            report: FileReport {
                path: rel,
                lang: None,
                status: FileStatus::Symlink,
            },
            delivered: None,
            channel_sites: Vec::new(),
        });
    }
    let bytes = fs::read(&entry.abs).map_err(io_err(&entry.abs))?;
    let lang = Lang::from_path(&entry.abs);
    let path = delivery_path(&rel);
    let mut signed = false;
    // Source files delivered unchanged, asked for or pinned by a UI test.
    let left_alone = lang.and_then(|lang| {
        verbatim
            .reason(lang, &path, &bytes)
            .or_else(|| pinned_output(&entry.abs).map(|file| SkipReason::PinnedOutput { file }))
    });
    let untouched = left_alone.is_some();
    let (output, mut status, channel_sites) = match (lang, left_alone) {
        (Some(_), Some(reason)) => (bytes, FileStatus::Skipped(reason), Vec::new()),
        (Some(lang), None) => {
            let tagged = tag_source(lang, &bytes, key, recipient, params);
            (tagged.output, tagged.status, tagged.channel_sites)
        }
        (None, _) => (bytes, FileStatus::Copied, Vec::new()),
    };
    let output = match (lang, signing) {
        (Some(lang), Some(signing)) if signing.wants(&path) && !untouched => {
            match sign_source(
                lang,
                &output,
                key,
                recipient,
                &signing.delivery_id,
                &path,
                signing.notice.as_deref(),
            ) {
                Ok(with_comment) => {
                    signed = true;
                    with_comment
                }
                Err(SignError::Source(reason)) => {
                    // Unsignable: delivered as tagged. A file tagged around
                    // its syntax errors already reports them; otherwise the
                    // reason is reported unless it was skipped anyway.
                    if matches!(
                        status,
                        FileStatus::Processed {
                            syntax_error: None,
                            ..
                        }
                    ) {
                        status = FileStatus::Skipped(reason);
                    }
                    output
                }
                Err(e) => {
                    return Err(TreeError::Sign {
                        path: entry.abs.clone(),
                        message: e.to_string(),
                    })
                }
            }
        }
        _ => output,
    };
    write_new(dest, &output)?;
    copy_mode(&entry.abs, dest)?;
    let sha256 = hex(&Sha256::digest(&output));
    Ok(TagOutcome {
        report: FileReport {
            path: rel,
            lang,
            status,
        },
        delivered: Some(Delivered {
            path,
            sha256,
            signed,
        }),
        channel_sites,
    })
}

/// Write a file that must not exist yet (never through a symlink or over
/// a file someone else put there).
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), TreeError> {
    use std::io::Write as _;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_err(path))?;
    file.write_all(bytes).map_err(io_err(path))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn copy_mode(from: &Path, to: &Path) -> Result<(), TreeError> {
    let perms = fs::metadata(from).map_err(io_err(from))?.permissions();
    fs::set_permissions(to, perms).map_err(io_err(to))
}

#[cfg(unix)]
fn make_symlink(target: &Path, link: &Path) -> Result<(), TreeError> {
    std::os::unix::fs::symlink(target, link).map_err(io_err(link))
}

#[cfg(not(unix))]
fn make_symlink(target: &Path, link: &Path) -> Result<(), TreeError> {
    let _ = target;
    Err(TreeError::Io {
        path: link.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::Unsupported, "symlinks"),
    })
}

/// Refuse an output that exists (unless an empty directory) or that lies
/// inside the input.
/// Whether [`tag_tree`] would accept this input and output (the output
/// new and outside the input, the input outside the output), so a caller
/// can refuse before any other work.
pub fn check_tag_paths(input: &Path, output: &Path) -> Result<(), TreeError> {
    check_output(input, output)
}

fn check_output(input: &Path, output: &Path) -> Result<(), TreeError> {
    let input_abs = fs::canonicalize(input).map_err(|_| TreeError::NoInput {
        path: input.to_owned(),
    })?;
    if let Ok(meta) = fs::symlink_metadata(output) {
        let empty_dir = meta.is_dir()
            && fs::read_dir(output)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
        if !empty_dir {
            return Err(TreeError::OutputExists {
                path: output.to_owned(),
            });
        }
    }
    let parent = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let parent_abs = fs::canonicalize(parent).map_err(io_err(parent))?;
    let output_abs = parent_abs.join(output.file_name().unwrap_or_default());
    if output_abs.starts_with(&input_abs) {
        return Err(TreeError::OutputInsideInput {
            input: input.to_owned(),
            output: output.to_owned(),
        });
    }
    Ok(())
}

/// Read every source file under `input` (a directory or one file) and
/// collect the evidence. Unreadable or undecodable files are reported and
/// skipped; the scan goes on.
pub fn scan_tree(
    input: &Path,
    key: &OwnerKey,
    options: WalkOptions,
    progress: &dyn Progress,
) -> Result<(Evidence, Vec<FileReport>), TreeError> {
    let listing = list(input, options)?;
    let prf = Prf::new(key);
    let sources = source_files(&listing.entries);
    progress.start(sources.len() as u64);
    let mut per_file: Vec<(Evidence, FileReport)> = sources
        .par_iter()
        .map(|&(entry, lang)| {
            let path = entry.report_path();
            let (evidence, status) = match read_bounded(&entry.abs) {
                Ok(bytes) => Evidence::of_file(lang, &bytes, &prf, &path),
                Err(reason) => (Evidence::new(), FileStatus::Skipped(reason)),
            };
            progress.advance();
            (
                evidence,
                FileReport {
                    path,
                    lang: Some(lang),
                    status,
                },
            )
        })
        .collect();
    per_file.extend(
        listing
            .skipped_reports()
            .into_iter()
            .map(|report| (Evidence::new(), report)),
    );
    let (evidence, mut reports) = gather(per_file);
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((evidence, reports))
}

/// A suspect file's bytes, never more than [`crate::MAX_FILE_BYTES`] + 1
/// of them: a larger file is too large whatever its content, and its size
/// is known before reading.
fn read_bounded(path: &Path) -> Result<Vec<u8>, SkipReason> {
    use std::io::Read as _;
    let unreadable = |e: std::io::Error| SkipReason::Unreadable {
        message: e.to_string(),
    };
    let file = fs::File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    if len > crate::MAX_FILE_BYTES as u64 {
        return Err(SkipReason::TooLarge {
            bytes: usize::try_from(len).unwrap_or(usize::MAX),
        });
    }
    let mut bytes = Vec::new();
    file.take(crate::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    Ok(bytes)
}

/// One body of evidence and the file reports, from per-file scans.
pub(crate) fn gather(per_file: Vec<(Evidence, FileReport)>) -> (Evidence, Vec<FileReport>) {
    let mut evidence = Evidence::new();
    let mut reports = Vec::with_capacity(per_file.len());
    for (file_evidence, report) in per_file {
        evidence.merge(&file_evidence);
        reports.push(report);
    }
    (evidence, reports)
}

/// The signed comments of one source file.
#[derive(Debug, Clone, Serialize)]
pub struct FileSignatures {
    /// Path relative to the root (the root itself for a single file).
    #[serde(serialize_with = "crate::report::serialize_path")]
    pub path: PathBuf,
    /// The file's language.
    #[serde(serialize_with = "serialize_lang_name")]
    pub lang: Lang,
    /// Every signature comment found, checked.
    pub signatures: Vec<FoundSignature>,
    /// Whether the path each signature names is where the file now is
    /// (relative to the root; always true for a single file, which has
    /// no root to be relative to).
    pub at_signed_path: bool,
}

fn serialize_lang_name<S: serde::Serializer>(lang: &Lang, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(lang.name())
}

/// Check the signed comments of every source file under `input` against
/// `keys`, without any secret.
pub fn verify_tree(
    input: &Path,
    keys: &[PublicKey],
    options: WalkOptions,
    progress: &dyn Progress,
) -> Result<Vec<FileSignatures>, TreeError> {
    let entries = list(input, options)?.complete(input)?;
    let sources = source_files(&entries);
    progress.start(sources.len() as u64);
    let files = sources
        .par_iter()
        .map(|&(entry, lang)| {
            let bytes = fs::read(&entry.abs).map_err(io_err(&entry.abs))?;
            let signatures = verify_source(lang, &bytes, keys);
            let single = entry.rel.as_os_str().is_empty();
            let here = delivery_path(&entry.rel);
            let at_signed_path = single
                || signatures
                    .iter()
                    .filter_map(|f| f.fields.as_ref())
                    .all(|f| f.path == here);
            progress.advance();
            Ok(FileSignatures {
                path: entry.report_path(),
                lang,
                signatures,
                at_signed_path,
            })
        })
        .collect::<Result<Vec<_>, TreeError>>()?;
    Ok(files)
}

/// Capacity of one source file.
#[derive(Debug, Clone, Serialize)]
pub struct FileInspection {
    /// The file's report (status and site count).
    #[serde(flatten)]
    pub report: FileReport,
    /// Lines in the file.
    pub lines: usize,
    /// Sites per channel: `(channel name, sites, sites showing value 1)`.
    pub channels: Vec<ChannelCapacity>,
    /// What the channels leave in place, and why (for the item-order
    /// channel: every fixed body, item and pair).
    pub refusals: Vec<ChannelRefusal>,
}

/// One entry of the refusal log.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelRefusal {
    /// Channel name (`all` for code no channel edits).
    pub channel: &'static str,
    /// What was refused, where and why.
    #[serde(flatten)]
    pub refusal: Refusal,
}

/// Sites of one channel in one file.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelCapacity {
    /// Channel name.
    pub channel: &'static str,
    /// Sites found.
    pub sites: usize,
    /// Sites currently showing value 1 (for blank lines: a blank line).
    pub ones: usize,
}

/// Sites and capacity per source file (no key needed).
pub fn inspect_tree(
    input: &Path,
    options: WalkOptions,
    progress: &dyn Progress,
) -> Result<Vec<FileInspection>, TreeError> {
    let entries = list(input, options)?.complete(input)?;
    let prf = Prf::new(&OwnerKey::from_seed([0; 32]));
    let sources = source_files(&entries);
    progress.start(sources.len() as u64);
    Ok(sources
        .par_iter()
        .map(|&(entry, lang)| {
            let path = entry.report_path();
            let result = fs::read(&entry.abs)
                .map_err(|e| crate::report::SkipReason::Unreadable {
                    message: e.to_string(),
                })
                .and_then(|bytes| {
                    if let Some(file) = pinned_output(&entry.abs) {
                        return Err(SkipReason::PinnedOutput { file });
                    }
                    let decoded = decode(&bytes)?;
                    let lines = decoded.text.lines().count();
                    let parsed = parse(lang, decoded.text)?;
                    let index = index(&parsed);
                    parsed.refuse_line_observers()?;
                    // What a tag may edit: around syntax errors, nothing.
                    let extents = parsed.error_extents();
                    let sites = editable_sites(&extents, all_sites(&parsed, &index, &prf));
                    let channels = ChannelId::ALL
                        .iter()
                        .map(|&id| {
                            let of = sites.iter().filter(|s| s.channel == id);
                            ChannelCapacity {
                                channel: id.name(),
                                sites: of.clone().count(),
                                ones: of.filter(|s| s.value).count(),
                            }
                        })
                        .collect();
                    let refusals = extents
                        .into_iter()
                        .map(|extent| ChannelRefusal {
                            channel: "all",
                            refusal: Refusal {
                                line: extent.first_line,
                                reason: format!(
                                    "left alone: lines {}-{} hold a syntax error \
                                     (the item around it and its neighbours)",
                                    extent.first_line, extent.last_line
                                ),
                            },
                        })
                        .chain(all_refusals(&parsed, &index, &prf).into_iter().map(
                            |(id, refusal)| ChannelRefusal {
                                channel: id.name(),
                                refusal,
                            },
                        ))
                        .collect();
                    let status = FileStatus::Processed {
                        sites: sites.len(),
                        edits: 0,
                        syntax_error: parsed.first_error().map(TextPosition::new),
                    };
                    Ok((lines, channels, refusals, status))
                });
            progress.advance();
            let (lines, channels, refusals, status) = match result {
                Ok(found) => found,
                Err(reason) => (0, Vec::new(), Vec::new(), FileStatus::Skipped(reason)),
            };
            FileInspection {
                report: FileReport {
                    path,
                    lang: Some(lang),
                    status,
                },
                lines,
                channels,
                refusals,
            }
        })
        .collect())
}
