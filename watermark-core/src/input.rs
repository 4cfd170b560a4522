//! Suspect inputs beyond a directory or a file: a pasted snippet on stdin
//! (language detected) and archives (`.zip`, `.tar`, `.tar.gz`, `.tgz`)
//! read in memory, never extracted to disk.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::code::prf::Prf;
use crate::error::TreeError;
use crate::evidence::Evidence;
use crate::key::OwnerKey;
use crate::lang::Lang;
use crate::report::{FileReport, FileStatus, Progress, SkipReason};
use crate::syntax::{decode, parse, MAX_FILE_BYTES};
use crate::tree::{gather, scan_tree, WalkOptions};

/// Most bytes read out of one archive in all (a guard against
/// decompression bombs).
pub const MAX_ARCHIVE_BYTES: u64 = 4 << 30;

/// What kind of suspect a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `-`: one snippet on standard input.
    Stdin,
    /// A zip archive.
    Zip,
    /// A tar archive, gzip-compressed or not.
    Tar {
        /// Whether it is gzip-compressed.
        gzip: bool,
    },
    /// A directory or a single source file.
    Tree,
    /// A single file whose name selects no language and that is no
    /// archive (`leak.rs.txt`, `paste.orig`): read as a snippet, its
    /// language detected like stdin's.
    File,
    /// An archive in a compression format trace does not read (`xz`,
    /// `bzip2` ...), known by its first bytes: refused by name rather than
    /// read as nothing.
    Unsupported(&'static str),
}

impl InputKind {
    /// The kind of `path` (`-` is stdin): a directory or a source file is
    /// a tree; any other file is an archive by its first bytes (a saved
    /// download often has no extension), or by its name when it is too
    /// short to tell.
    pub fn of(path: &Path) -> InputKind {
        if path.as_os_str() == "-" {
            return InputKind::Stdin;
        }
        if path.is_dir() || Lang::from_path(path).is_some() {
            return InputKind::Tree;
        }
        if let Some(kind) = Self::by_magic(&file_head(path)) {
            return kind;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.ends_with(".zip") {
            InputKind::Zip
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            InputKind::Tar { gzip: true }
        } else if name.ends_with(".tar") {
            InputKind::Tar { gzip: false }
        } else if path.is_file() {
            InputKind::File
        } else {
            InputKind::Tree
        }
    }

    fn by_magic(head: &[u8]) -> Option<InputKind> {
        let kind = if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            InputKind::Zip
        } else if head.starts_with(&[0x1f, 0x8b]) {
            InputKind::Tar { gzip: true }
        } else if head.get(257..262) == Some(b"ustar") {
            InputKind::Tar { gzip: false }
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            InputKind::Unsupported("xz")
        } else if head.starts_with(b"BZh") {
            InputKind::Unsupported("bzip2")
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            InputKind::Unsupported("zstd")
        } else if head.starts_with(&[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c]) {
            InputKind::Unsupported("7-Zip")
        } else if head.starts_with(b"Rar!") {
            InputKind::Unsupported("RAR")
        } else {
            return None;
        };
        Some(kind)
    }
}

/// The first 512 bytes of a regular file (fewer if it is shorter; none
/// if it cannot be read or is not a regular file, which is never opened).
fn file_head(path: &Path) -> Vec<u8> {
    let mut head = Vec::with_capacity(512);
    // Checked before opening: opening a FIFO blocks until a writer comes.
    if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        if let Ok(file) = std::fs::File::open(path) {
            let _ = file.take(512).read_to_end(&mut head);
        }
    }
    head
}

/// The language a snippet is most likely in: the one whose parser finds
/// the fewest syntax errors (ties go to the first language).
pub fn detect_lang(bytes: &[u8]) -> Option<Lang> {
    let text = decode(bytes).ok()?.text;
    Lang::ALL
        .into_iter()
        .filter_map(|lang| {
            let parsed = parse(lang, text).ok()?;
            Some((error_count(&parsed.tree.root_node()), lang))
        })
        .min_by_key(|&(errors, _)| errors)
        .map(|(_, lang)| lang)
}

fn error_count(root: &tree_sitter::Node<'_>) -> usize {
    if !root.has_error() {
        return 0;
    }
    let mut count = 0;
    let mut cursor = root.walk();
    'walk: loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            count += 1;
        }
        if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    count
}

/// Read a suspect of any kind into evidence: a tree or file (as
/// [`scan_tree`]), stdin, or an archive.
pub fn scan_input(
    input: &Path,
    key: &OwnerKey,
    options: WalkOptions,
    progress: &dyn Progress,
) -> Result<(Evidence, Vec<FileReport>), TreeError> {
    let files = match InputKind::of(input) {
        InputKind::Tree => return scan_tree(input, key, options, progress),
        InputKind::Unsupported(format) => {
            return Err(archive_error(
                input,
                format!(
                    "{format}-compressed, which trace does not read: \
                     unpack it, or repack it as .zip or .tar.gz"
                ),
            ))
        }
        InputKind::Stdin => {
            let bytes = read_up_to_limit(std::io::stdin(), input)?;
            let lang = detect_lang(&bytes);
            vec![Member {
                path: PathBuf::from("<stdin>"),
                lang,
                content: Ok(bytes),
            }]
        }
        InputKind::File => {
            let bytes = read_all_bounded(input)?;
            let lang = detect_lang(&bytes);
            vec![Member {
                path: input.to_owned(),
                lang,
                content: Ok(bytes),
            }]
        }
        InputKind::Zip => read_zip(input)?,
        InputKind::Tar { gzip } => read_tar(input, gzip)?,
    };
    Ok(scan_files(files, key, progress))
}

fn scan_files(
    files: Vec<Member>,
    key: &OwnerKey,
    progress: &dyn Progress,
) -> (Evidence, Vec<FileReport>) {
    let prf = Prf::new(key);
    progress.start(files.len() as u64);
    let per_file: Vec<(Evidence, FileReport)> = files
        .into_par_iter()
        .map(
            |Member {
                 path,
                 lang,
                 content,
             }| {
                let (evidence, status) = match (lang, content) {
                    (_, Err(message)) => (
                        Evidence::new(),
                        FileStatus::Skipped(SkipReason::Unreadable { message }),
                    ),
                    (Some(lang), Ok(bytes)) => Evidence::of_file(lang, &bytes, &prf, &path),
                    (None, Ok(bytes)) => (
                        Evidence::new(),
                        FileStatus::Skipped(if bytes.len() > MAX_FILE_BYTES {
                            SkipReason::TooLarge { bytes: bytes.len() }
                        } else {
                            SkipReason::Unreadable {
                                message: "not text in a supported language".to_owned(),
                            }
                        }),
                    ),
                };
                progress.advance();
                (evidence, FileReport { path, lang, status })
            },
        )
        .collect();
    let (evidence, mut reports) = gather(per_file);
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    (evidence, reports)
}

/// A file's first [`MAX_FILE_BYTES`] + 1 bytes (more make it too large
/// whatever they hold).
fn read_all_bounded(path: &Path) -> Result<Vec<u8>, TreeError> {
    let file = std::fs::File::open(path).map_err(|source| TreeError::Io {
        path: path.to_owned(),
        source,
    })?;
    read_up_to_limit(file, path)
}

/// The first [`MAX_FILE_BYTES`] + 1 bytes of `reader` (stdin or the file
/// at `path`).
fn read_up_to_limit(reader: impl Read, path: &Path) -> Result<Vec<u8>, TreeError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| TreeError::Io {
            path: path.to_owned(),
            source,
        })?;
    Ok(bytes)
}

fn read_all(path: &Path) -> Result<Vec<u8>, TreeError> {
    std::fs::read(path).map_err(|source| TreeError::Io {
        path: path.to_owned(),
        source,
    })
}

fn archive_error(path: &Path, message: impl std::fmt::Display) -> TreeError {
    TreeError::Walk {
        path: path.to_owned(),
        message: format!("not a readable archive: {message}"),
    }
}

/// Read one member, at most [`MAX_FILE_BYTES`] + 1 bytes of it (a larger
/// member is then reported too large by the scanner).
/// One member's bytes; `Ok(Err(why))` when this member cannot be read (a
/// corrupt stream: the others still are), `Err` when the archive unpacks
/// to more than [`MAX_ARCHIVE_BYTES`] (a bomb: nothing more is read).
fn read_member(
    reader: impl Read,
    budget: &mut u64,
    path: &Path,
) -> Result<Result<Vec<u8>, String>, TreeError> {
    let mut bytes = Vec::new();
    let read = reader
        .take((MAX_FILE_BYTES as u64 + 1).min(*budget))
        .read_to_end(&mut bytes);
    *budget = budget.saturating_sub(bytes.len() as u64);
    if *budget == 0 {
        return Err(archive_error(
            path,
            format!("more than {MAX_ARCHIVE_BYTES} bytes unpacked"),
        ));
    }
    Ok(read
        .map(|_| bytes)
        .map_err(|e| format!("unreadable in the archive: {e}")))
}

fn read_zip(path: &Path) -> Result<Vec<Member>, TreeError> {
    let bytes = read_all(path)?;
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| archive_error(path, e))?;
    let mut budget = MAX_ARCHIVE_BYTES;
    let mut out = Vec::new();
    for i in 0..archive.len() {
        // The name first, without decompressing: a member that is not
        // source (encrypted, or in a method not built in) is no reason to
        // stop reading the others.
        let (name, lang) = {
            let raw = archive
                .by_index_raw(i)
                .map_err(|e| archive_error(path, e))?;
            if !raw.is_file() {
                continue;
            }
            // Nothing is extracted, so a name that climbs out (`../x.py`)
            // or is absolute is read like any other, by its safe form.
            let name = raw.enclosed_name().unwrap_or_else(|| raw.mangled_name());
            let Some(lang) = Lang::from_path(&name) else {
                continue;
            };
            (name, lang)
        };
        match archive.by_index(i) {
            Ok(member) => out.push(match read_member(member, &mut budget, path)? {
                Ok(bytes) => Member::read(name, lang, bytes),
                Err(why) => Member::unreadable(name, lang, why),
            }),
            Err(err) => out.push(Member::unreadable(name, lang, err.to_string())),
        }
    }
    Ok(out)
}

fn read_tar(path: &Path, gzip: bool) -> Result<Vec<Member>, TreeError> {
    let bytes = read_all(path)?;
    let open = || -> tar::Archive<Box<dyn Read + '_>> {
        let reader: Box<dyn Read> = if gzip {
            // Every member of a multi-member gzip stream (valid gzip, as
            // `cat a.gz b.gz` makes), not only the first.
            Box::new(flate2::read::MultiGzDecoder::new(Cursor::new(&bytes[..])))
        } else {
            Box::new(Cursor::new(&bytes[..]))
        };
        tar::Archive::new(reader)
    };
    let mut budget = MAX_ARCHIVE_BYTES;
    let mut out = Vec::new();
    // Source-named hard links, resolved once every member is known.
    let mut links: Vec<(PathBuf, Lang, PathBuf)> = Vec::new();
    let mut archive = open();
    for entry in archive.entries().map_err(|e| archive_error(path, e))? {
        // A stream cut short (a half-downloaded .tgz): what came before
        // is read, and the break is reported.
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                out.push(Member {
                    path: PathBuf::from("(the rest of the archive)"),
                    lang: None,
                    content: Err(format!("unreadable, nothing after this point read: {e}")),
                });
                break;
            }
        };
        let kind = entry.header().entry_type();
        if !kind.is_file() && !kind.is_hard_link() {
            continue;
        }
        let name = entry
            .path()
            .map_err(|e| archive_error(path, e))?
            .into_owned();
        let Some(lang) = Lang::from_path(&name) else {
            continue;
        };
        if kind.is_hard_link() {
            match entry.link_name() {
                Ok(Some(target)) => links.push((name, lang, target.into_owned())),
                _ => out.push(Member::unreadable(
                    name,
                    lang,
                    "hard link without a target".into(),
                )),
            }
            continue;
        }
        match read_member(entry, &mut budget, path)? {
            Ok(bytes) => out.push(Member::read(name, lang, bytes)),
            Err(why) => {
                out.push(Member::unreadable(name, lang, why));
                break;
            }
        }
    }
    if links.is_empty() {
        return Ok(out);
    }
    // A second pass for link targets stored under names that are not
    // source (or not read): a hard link's data is its target's.
    let wanted: std::collections::BTreeSet<&Path> =
        links.iter().map(|(_, _, t)| t.as_path()).collect();
    let mut targets: std::collections::BTreeMap<PathBuf, Vec<u8>> =
        std::collections::BTreeMap::new();
    let mut archive = open();
    for entry in archive.entries().map_err(|e| archive_error(path, e))? {
        let Ok(entry) = entry else {
            break;
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(|e| archive_error(path, e))?
            .into_owned();
        if wanted.contains(name.as_path()) {
            match read_member(entry, &mut budget, path)? {
                Ok(bytes) => {
                    targets.insert(name, bytes);
                }
                Err(_) => break,
            }
        }
    }
    for (name, lang, target) in links {
        out.push(match targets.get(&target) {
            Some(bytes) => Member::read(name, lang, bytes.clone()),
            None => Member::unreadable(
                name,
                lang,
                format!(
                    "hard link to {}, which the archive does not hold",
                    target.display()
                ),
            ),
        });
    }
    Ok(out)
}

/// One source member of an archive (or the snippet on stdin).
#[derive(Debug)]
struct Member {
    path: PathBuf,
    /// `None` for a snippet in no language we read.
    lang: Option<Lang>,
    /// Its bytes, or why they could not be read.
    content: Result<Vec<u8>, String>,
}

impl Member {
    fn read(path: PathBuf, lang: Lang, bytes: Vec<u8>) -> Member {
        Member {
            path,
            lang: Some(lang),
            content: Ok(bytes),
        }
    }

    fn unreadable(path: PathBuf, lang: Lang, message: String) -> Member {
        Member {
            path,
            lang: Some(lang),
            content: Err(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_told_apart() {
        let rust =
            b"fn main() {\n    let x: Vec<u8> = Vec::new();\n    println!(\"{}\", x.len());\n}\n";
        let python = b"def main():\n    x = []\n    print(len(x))\n\nclass A:\n    pass\n";
        assert_eq!(detect_lang(rust), Some(Lang::Rust));
        assert_eq!(detect_lang(python), Some(Lang::Python));
        assert_eq!(detect_lang(b"\xff\xfe\x00"), None);
    }

    #[test]
    fn kinds_by_name() {
        assert_eq!(InputKind::of(Path::new("-")), InputKind::Stdin);
        assert_eq!(InputKind::of(Path::new("a/leak.ZIP")), InputKind::Zip);
        assert_eq!(
            InputKind::of(Path::new("leak.tgz")),
            InputKind::Tar { gzip: true }
        );
        assert_eq!(
            InputKind::of(Path::new("leak.tar.gz")),
            InputKind::Tar { gzip: true }
        );
        assert_eq!(
            InputKind::of(Path::new("leak.tar")),
            InputKind::Tar { gzip: false }
        );
        assert_eq!(InputKind::of(Path::new("leak.py")), InputKind::Tree);
    }
}
