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
}

impl InputKind {
    /// The kind of `path`, by its name (`-` is stdin).
    pub fn of(path: &Path) -> InputKind {
        if path.as_os_str() == "-" {
            return InputKind::Stdin;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if path.is_dir() {
            InputKind::Tree
        } else if name.ends_with(".zip") {
            InputKind::Zip
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            InputKind::Tar { gzip: true }
        } else if name.ends_with(".tar") {
            InputKind::Tar { gzip: false }
        } else {
            InputKind::Tree
        }
    }
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
        InputKind::Stdin => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(MAX_FILE_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|source| TreeError::Io {
                    path: input.to_owned(),
                    source,
                })?;
            let lang = detect_lang(&bytes);
            vec![(PathBuf::from("<stdin>"), lang, bytes)]
        }
        InputKind::Zip => read_zip(input)?,
        InputKind::Tar { gzip } => read_tar(input, gzip)?,
    };
    Ok(scan_files(files, key, progress))
}

fn scan_files(
    files: Vec<(PathBuf, Option<Lang>, Vec<u8>)>,
    key: &OwnerKey,
    progress: &dyn Progress,
) -> (Evidence, Vec<FileReport>) {
    let prf = Prf::new(key);
    progress.start(files.len() as u64);
    let per_file: Vec<(Evidence, FileReport)> = files
        .into_par_iter()
        .filter_map(|(path, lang, bytes)| {
            let mut evidence = Evidence::new();
            let status = match lang {
                Some(lang) => match evidence.scan_with(lang, &bytes, &prf) {
                    Ok(sites) => FileStatus::Processed { sites, edits: 0 },
                    Err(reason) => FileStatus::Skipped(reason),
                },
                None if path.as_os_str() == "<stdin>" => {
                    FileStatus::Skipped(SkipReason::Unreadable {
                        message: "not text in a supported language".to_owned(),
                    })
                }
                None => return None,
            };
            progress.advance();
            Some((evidence, FileReport { path, lang, status }))
        })
        .collect();
    let (evidence, mut reports) = gather(per_file);
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    (evidence, reports)
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
fn read_member(reader: impl Read, budget: &mut u64, path: &Path) -> Result<Vec<u8>, TreeError> {
    let mut bytes = Vec::new();
    reader
        .take((MAX_FILE_BYTES as u64 + 1).min(*budget))
        .read_to_end(&mut bytes)
        .map_err(|e| archive_error(path, e))?;
    *budget = budget.saturating_sub(bytes.len() as u64);
    if *budget == 0 {
        return Err(archive_error(
            path,
            format!("more than {MAX_ARCHIVE_BYTES} bytes unpacked"),
        ));
    }
    Ok(bytes)
}

type Member = (PathBuf, Option<Lang>, Vec<u8>);

fn read_zip(path: &Path) -> Result<Vec<Member>, TreeError> {
    let bytes = read_all(path)?;
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| archive_error(path, e))?;
    let mut budget = MAX_ARCHIVE_BYTES;
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let member = archive.by_index(i).map_err(|e| archive_error(path, e))?;
        if !member.is_file() {
            continue;
        }
        let Some(name) = member.enclosed_name() else {
            continue;
        };
        let Some(lang) = Lang::from_path(&name) else {
            continue;
        };
        let bytes = read_member(member, &mut budget, path)?;
        out.push((name, Some(lang), bytes));
    }
    Ok(out)
}

fn read_tar(path: &Path, gzip: bool) -> Result<Vec<Member>, TreeError> {
    let bytes = read_all(path)?;
    let reader: Box<dyn Read> = if gzip {
        Box::new(flate2::read::GzDecoder::new(Cursor::new(bytes)))
    } else {
        Box::new(Cursor::new(bytes))
    };
    let mut archive = tar::Archive::new(reader);
    let mut budget = MAX_ARCHIVE_BYTES;
    let mut out = Vec::new();
    for entry in archive.entries().map_err(|e| archive_error(path, e))? {
        let entry = entry.map_err(|e| archive_error(path, e))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(|e| archive_error(path, e))?
            .into_owned();
        let Some(lang) = Lang::from_path(&name) else {
            continue;
        };
        let bytes = read_member(entry, &mut budget, path)?;
        out.push((name, Some(lang), bytes));
    }
    Ok(out)
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
