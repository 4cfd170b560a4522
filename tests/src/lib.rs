//! Helpers shared by the integration tests: where the corpus and the
//! formatters are, and small tree utilities.
//!
//! Tests that need the corpus or a formatter fail loudly when it is missing
//! (run `bash scripts/setup.sh`); they never pass by skipping.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use watermark_core::{Evidence, OwnerKey, Recipient};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `../shared` beside the checkout (or `$WATERMARK_SHARED`).
pub fn shared() -> PathBuf {
    std::env::var_os("WATERMARK_SHARED")
        .map_or_else(|| workspace().join("../shared"), PathBuf::from)
}

/// The cache that `scripts/setup.sh` fills.
pub fn cache() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"),
        PathBuf::from,
    );
    base.join("watermark-corpus")
}

/// One pinned corpus project.
#[derive(Debug, Clone)]
pub struct Project {
    /// `NAME-VERSION`.
    pub name: String,
    /// Its pristine source.
    pub dir: PathBuf,
    /// `"rust"` or `"py"`.
    pub kind: &'static str,
}

/// Every project of the pinned lists, checked to be present. Panics with
/// instructions when the corpus is missing: a test needing it must fail.
pub fn corpus() -> Vec<Project> {
    let mut projects = Vec::new();
    for (list, kind) in [("rust.txt", "rust"), ("python.txt", "py")] {
        let path = shared().join("corpus").join(list);
        let text = fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "corpus list {} unreadable ({e}); is ../shared there?",
                path.display()
            )
        });
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let (Some(name), Some(version)) = (words.next(), words.next()) else {
                continue;
            };
            if name.starts_with('#') {
                continue;
            }
            let name = format!("{name}-{version}");
            let dir = cache().join("src").join(&name);
            assert!(
                dir.is_dir(),
                "corpus project {} missing: run `bash scripts/setup.sh` first",
                dir.display()
            );
            projects.push(Project { name, dir, kind });
        }
    }
    assert!(
        projects.len() >= 16,
        "expected the 16 pinned projects, found {}",
        projects.len()
    );
    projects
}

/// A tool that `scripts/setup.sh` installs into its tools venv (yapf,
/// autopep8, isort ...).
pub fn tool(name: &str) -> PathBuf {
    let path = cache().join("tools/bin").join(name);
    assert!(
        path.is_file(),
        "{name} missing at {}: run `bash scripts/setup.sh`",
        path.display()
    );
    path
}

/// The black executable installed by `scripts/setup.sh`.
pub fn black() -> PathBuf {
    let path = cache().join("tools/bin/black");
    assert!(
        path.is_file(),
        "black missing at {}: run `bash scripts/setup.sh`",
        path.display()
    );
    path
}

/// The ruff that `scripts/setup.sh` installs.
pub fn ruff() -> PathBuf {
    let path = cache().join("tools/bin/ruff");
    assert!(
        path.is_file(),
        "ruff missing at {}: run `bash scripts/setup.sh`",
        path.display()
    );
    path
}

/// Compile `src` as a Rust 2021 program with rustc, run it and return its
/// standard output; panics with rustc's messages if it does not compile.
pub fn run_rust_program(src: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("main.rs");
    fs::write(&path, src).expect("write");
    let out = Command::new("rustc")
        .args(["--edition", "2021", "-o"])
        .arg(dir.path().join("main"))
        .arg(&path)
        .output()
        .expect("rustc runs");
    assert!(
        out.status.success(),
        "does not compile:\n{}\n{src}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(dir.path().join("main"))
        .output()
        .expect("runs");
    assert!(run.status.success(), "exits with {}:\n{src}", run.status);
    String::from_utf8(run.stdout).expect("utf-8")
}

/// The recipients a verdict names, highest score first.
pub fn named(verdict: &watermark_core::Verdict) -> Vec<&str> {
    verdict
        .accused
        .iter()
        .map(|c| c.recipient.as_str())
        .collect()
}

/// A deterministic test key.
pub fn test_key(seed: u8) -> OwnerKey {
    OwnerKey::from_seed([seed; 32])
}

/// `count` candidate recipients `vendor-000`, `vendor-001`, ...
pub fn candidates(count: usize) -> Vec<Recipient> {
    (0..count)
        .map(|i| Recipient::new(&format!("vendor-{i:03}")).expect("valid id"))
        .collect()
}

/// Every regular file under `root`, relative, sorted (skips `.git`).
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() && entry.file_name() != ".git" {
                stack.push(path);
            } else if ft.is_file() {
                out.push(path.strip_prefix(root).expect("under root").to_owned());
            }
        }
    }
    out.sort();
    out
}

/// Source files of one extension under `root`, relative.
pub fn sources(root: &Path, ext: &str) -> Vec<PathBuf> {
    files_under(root)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect()
}

/// Copy a tree (regular files and directories only).
pub fn copy_tree(from: &Path, to: &Path) {
    for rel in files_under(from) {
        let dest = to.join(&rel);
        fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        fs::copy(from.join(&rel), &dest).expect("copy");
    }
}

/// Files (relative to `root`) that the formatter would change, or cannot
/// format, with default settings. `files` are relative to `root`.
pub fn not_fixed_points(root: &Path, files: &[PathBuf], lang: &str) -> BTreeSet<PathBuf> {
    let mut changed = BTreeSet::new();
    for chunk in files.chunks(200) {
        let output = formatter(root, lang, true)
            .args(chunk)
            .output()
            .expect("run formatter");
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        for line in text.lines() {
            let path = if lang == "rust" {
                line.strip_prefix("Diff in ")
                    .and_then(|rest| rest.trim_end_matches(':').rsplit_once(':').map(|(p, _)| p))
                    .or_else(|| {
                        line.split_once("--> ")
                            .and_then(|(_, rest)| rest.split(':').next())
                    })
            } else {
                line.strip_prefix("would reformat ").or_else(|| {
                    line.strip_prefix("error: cannot format ")
                        .and_then(|rest| rest.split(':').next())
                })
            };
            if let Some(path) = path {
                let path = Path::new(path.trim());
                changed.insert(path.strip_prefix(root).unwrap_or(path).to_owned());
            }
        }
    }
    changed
}

fn formatter(root: &Path, lang: &str, check: bool) -> Command {
    let mut command = if lang == "rust" {
        let mut c = Command::new("rustfmt");
        c.args([
            "--edition",
            "2021",
            "--color",
            "never",
            "--config",
            "skip_children=true",
        ]);
        c
    } else if lang == "ruff" {
        let mut c = Command::new(ruff());
        c.args(["format", "--isolated"]);
        c
    } else {
        let mut c = Command::new(black());
        c.args(["--config", "/dev/null"]);
        c
    };
    if check {
        command.arg("--check");
    } else if lang != "rust" {
        command.arg("-q");
    }
    command.current_dir(root);
    command
}

/// Run a formatter in place over `files` (relative to `root`), default
/// settings. Files it cannot parse are left as they are.
pub fn format_in_place(root: &Path, files: &[PathBuf], lang: &str) {
    format_in_place_with(root, files, lang, &[]);
}

/// [`format_in_place`] with extra formatter arguments (a narrower line
/// width, say, to make the formatter rewrite more).
pub fn format_in_place_with(root: &Path, files: &[PathBuf], lang: &str, extra: &[&str]) {
    for chunk in files.chunks(200) {
        formatter(root, lang, false)
            .args(extra)
            .args(chunk)
            .output()
            .expect("run formatter");
    }
}

/// How many of `before`'s positions (majority values) `after` shows with
/// the same value: `(kept, total)`.
pub fn positions_kept(before: &Evidence, after: &Evidence) -> (usize, usize) {
    let after_values: std::collections::BTreeMap<_, _> = after
        .tallies()
        .filter_map(|(l, t)| Some((l, t.majority()?)))
        .collect();
    before
        .tallies()
        .filter_map(|(l, t)| Some((l, t.majority()?)))
        .fold((0, 0), |(kept, total), (l, value)| {
            (
                kept + usize::from(after_values.get(&l) == Some(&value)),
                total + 1,
            )
        })
}
