//! One operation over one language's corpus files, run once, for counting
//! instructions under callgrind (`scripts/instructions.sh`): unlike wall
//! time on a shared two-core machine, the count is the same on every run,
//! so two commits can be compared to the instruction.
//!
//! Usage: `instructions LANG OP` with LANG `rust` or `python` and OP one of
//! `load` (read the files only: the baseline every count subtracts),
//! `parse` (bare tree-sitter), `scan` (what trace does per file, without
//! scoring) and `tag`. It also prints the operation's wall time, loading
//! excluded, which `scripts/walltime.sh` reads.
//!
//! The files are those of the criterion bench: every project under the
//! corpus folder that `scripts/setup.sh` fills, by its main language. The
//! loader repeats the bench's instead of sharing it, because the script
//! copies this one file into older commits to count them too.

/// The CLI's allocator, so that the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use watermark_core::{tag_source, CodeParams, Evidence, Lang, OwnerKey, Recipient};

fn corpus_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"),
        PathBuf::from,
    );
    base.join("watermark-corpus").join("src")
}

/// Every regular file under `dir` (symbolic links not followed), sorted.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, out),
            Ok(meta) if meta.is_file() => out.push(path),
            _ => {}
        }
    }
}

/// The files of `lang` in the projects whose main language it is.
fn load(lang: Lang) -> Vec<Vec<u8>> {
    let mut projects: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    projects.retain(|p| p.is_dir());
    projects.sort();
    let mut files = Vec::new();
    for project in projects {
        let mut paths = Vec::new();
        walk(&project, &mut paths);
        let of = |l: Lang| {
            paths
                .iter()
                .filter(|p| Lang::from_path(p) == Some(l))
                .count()
        };
        if Lang::ALL.into_iter().max_by_key(|&l| of(l)) != Some(lang) {
            continue;
        }
        for path in paths.iter().filter(|p| Lang::from_path(p) == Some(lang)) {
            if let Ok(bytes) = fs::read(path) {
                files.push(bytes);
            }
        }
    }
    files
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [lang, op] = args.as_slice() else {
        eprintln!("usage: instructions rust|python load|parse|scan|tag");
        return ExitCode::from(2);
    };
    let Some(lang) = Lang::ALL.into_iter().find(|l| l.name() == lang) else {
        eprintln!("unknown language {lang}");
        return ExitCode::from(2);
    };
    let files = load(lang);
    if files.is_empty() {
        eprintln!("no {lang} files: run `bash scripts/setup.sh` first");
        return ExitCode::from(1);
    }
    let key = OwnerKey::from_seed([7; 32]);
    let recipient = Recipient::new("vendor-042").expect("valid recipient id");
    let mut checksum = 0usize;
    let start = std::time::Instant::now();
    match op.as_str() {
        "load" => {}
        "parse" => {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&lang.grammar()).expect("grammar loads");
            for file in &files {
                if let Some(tree) = parser.parse(file, None) {
                    checksum += tree.root_node().descendant_count();
                }
            }
        }
        "scan" => {
            let mut evidence = Evidence::new();
            for file in &files {
                checksum += usize::from(evidence.scan_source(lang, file, &key).is_ok());
            }
        }
        "tag" => {
            for file in &files {
                let tagged = tag_source(lang, file, &key, &recipient, &CodeParams::default());
                checksum += tagged.output.len();
            }
        }
        other => {
            eprintln!("unknown operation {other}");
            return ExitCode::from(2);
        }
    }
    let elapsed = start.elapsed();
    let bytes: usize = files.iter().map(Vec::len).sum();
    println!(
        "{lang} {op}: {} files, {bytes} bytes, checksum {checksum}, {} us",
        files.len(),
        elapsed.as_micros()
    );
    ExitCode::SUCCESS
}
