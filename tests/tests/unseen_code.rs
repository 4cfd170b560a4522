//! Code outside the pinned corpus, whose rules were never tuned on it: the
//! pure-Python formatters that `scripts/setup.sh` installs into its tools
//! venv (yapf with its own test suite, autopep8, pycodestyle, platformdirs;
//! about 39,000 lines). Tagged copies must behave exactly as the originals
//! (yapf's 611 tests pass, and both formatters give byte-identical output on
//! real files), and a tagged copy reformatted with black must still name
//! its recipient and nobody else.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use watermark_core::{
    scan_tree, score, tag_tree, CodeParams, NoProgress, TraceParams, WalkOptions,
};
use watermark_tests::{black, candidates, copy_tree, corpus, files_under, named, test_key, tool};

const KEY_SEED: u8 = 23;

/// What the tools venv installs that is pure Python (black and isort are
/// compiled with mypyc, so their `.py` files are not what runs).
const PACKAGES: [&str; 6] = [
    "yapf",
    "yapf_third_party",
    "yapftests",
    "autopep8.py",
    "pycodestyle.py",
    "platformdirs",
];

/// The tools venv's `site-packages`.
fn site_packages() -> PathBuf {
    let lib = tool("python")
        .parent()
        .and_then(Path::parent)
        .expect("venv root")
        .join("lib");
    let found = fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("{}: {e}; run `bash scripts/setup.sh`", lib.display()))
        .filter_map(|e| e.ok().map(|e| e.path().join("site-packages")))
        .find(|p| p.join("yapf").is_dir());
    found.unwrap_or_else(|| panic!("no site-packages with yapf under {}", lib.display()))
}

/// Copy the pure-Python packages into `to`, without byte-code caches.
fn copy_packages(to: &Path) {
    let site = site_packages();
    for package in PACKAGES {
        let from = site.join(package);
        assert!(from.exists(), "{} missing", from.display());
        if from.is_dir() {
            for rel in files_under(&from) {
                if rel.components().any(|c| c.as_os_str() == "__pycache__") {
                    continue;
                }
                let dest = to.join(package).join(&rel);
                fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
                fs::copy(from.join(&rel), &dest).expect("copy");
            }
        } else {
            fs::copy(&from, to.join(package)).expect("copy");
        }
    }
}

/// The venv's interpreter without its site-packages (`-S`), importing only
/// from `tree`, so the code that runs is the copy under test.
fn python_in(tree: &Path) -> Command {
    let mut command = Command::new(tool("python"));
    command
        .arg("-S")
        .env("PYTHONPATH", tree)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(tree);
    command
}

fn describe(output: &Output) -> String {
    format!(
        "status {}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Run yapf's own test suite against the copy in `tree`; returns how many
/// tests ran, and panics unless all passed.
fn yapf_tests(tree: &Path) -> usize {
    let output = python_in(tree)
        .args(["-m", "unittest", "discover", "-s", "yapftests"])
        .args(["-p", "*_test.py", "-t", "."])
        .output()
        .expect("run python");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.trim_end().ends_with("OK"),
        "yapf tests failed in {}:\n{}",
        tree.display(),
        describe(&output)
    );
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("Ran ")?.split(' ').next()?.parse().ok())
        .expect("unittest prints how many tests ran")
}

/// Real files to format: every fourth Python file of the corpus under
/// 40 kB (about 50 files from every Python project), copied into `to`.
fn sample_files(to: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for project in corpus().into_iter().filter(|p| p.kind == "py") {
        let sources: Vec<PathBuf> = files_under(&project.dir)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "py"))
            .filter(|p| fs::metadata(project.dir.join(p)).is_ok_and(|m| m.len() < 40_000))
            .collect();
        for rel in sources.into_iter().step_by(4) {
            let name = PathBuf::from(&project.name).join(&rel);
            let dest = to.join(&name);
            fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
            fs::copy(project.dir.join(&rel), &dest).expect("copy");
            files.push(name);
        }
    }
    files
}

/// Format `files` under `dir` in place with the formatter `module` as the
/// copy in `tree` implements it.
fn format_with(tree: &Path, module: &str, args: &[&str], dir: &Path, files: &[PathBuf]) {
    let output = python_in(tree)
        .args(["-m", module])
        .args(args)
        .args(files.iter().map(|f| dir.join(f)))
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "{module} from {} failed:\n{}",
        tree.display(),
        describe(&output)
    );
}

fn read_all(dir: &Path, files: &[PathBuf]) -> Vec<Vec<u8>> {
    files
        .iter()
        .map(|f| fs::read(dir.join(f)).expect("read"))
        .collect()
}

#[test]
fn tagged_formatters_behave_exactly_as_the_originals() {
    let work = tempfile::tempdir().expect("tempdir");
    let original = work.path().join("original");
    copy_packages(&original);
    let key = test_key(KEY_SEED);
    let all = candidates(100);
    let (alpha, beta) = (&all[3], &all[71]);
    let mut copies = Vec::new();
    for recipient in [alpha, beta] {
        let out = work.path().join(recipient.as_str());
        let report = tag_tree(
            &original,
            &out,
            &key,
            recipient,
            &CodeParams::default(),
            WalkOptions::default(),
            &NoProgress,
        )
        .expect("tag");
        let changed = files_under(&original)
            .iter()
            .filter(|rel| fs::read(original.join(rel)).ok() != fs::read(out.join(rel)).ok())
            .count();
        println!(
            "{recipient}: {} files delivered, {changed} changed by tagging",
            report.delivered.len()
        );
        assert!(changed >= 50, "{recipient}: only {changed} files changed");
        copies.push(out);
    }

    // 1. yapf's own test suite, run against the tagged yapf (the tests
    //    themselves are tagged too).
    let expected = yapf_tests(&original);
    assert!(expected >= 600, "only {expected} yapf tests ran");
    for copy in &copies {
        assert_eq!(yapf_tests(copy), expected, "{}", copy.display());
    }

    // 2. The tagged formatters format real files byte for byte as the
    //    originals do.
    let pristine = work.path().join("pristine");
    let files = sample_files(&pristine);
    assert!(files.len() >= 40, "only {} sample files", files.len());
    let formatters: [(&str, &[&str]); 2] = [
        ("yapf", &["-i", "--style", "pep8"]),
        ("autopep8", &["-i", "--aggressive"]),
    ];
    for (module, args) in formatters {
        let by_original = work.path().join(format!("{module}-original"));
        copy_tree(&pristine, &by_original);
        format_with(&original, module, args, &by_original, &files);
        let expected = read_all(&by_original, &files);
        let touched = expected
            .iter()
            .zip(read_all(&pristine, &files))
            .filter(|(a, b)| *a != b)
            .count();
        assert!(touched >= 10, "{module} changed only {touched} files");
        for copy in &copies {
            let by_copy = work.path().join(format!("{module}-by-copy"));
            let _ = fs::remove_dir_all(&by_copy);
            copy_tree(&pristine, &by_copy);
            format_with(copy, module, args, &by_copy, &files);
            for (file, (want, got)) in files
                .iter()
                .zip(expected.iter().zip(read_all(&by_copy, &files)))
            {
                assert!(
                    *want == got,
                    "{module} from {} formats {} differently",
                    copy.display(),
                    file.display()
                );
            }
        }
        println!(
            "{module}: {touched} of {} files reformatted, identically by the tagged copies",
            files.len()
        );
    }

    // 3. A tagged copy reformatted with black names its recipient and
    //    nobody else; the untagged original names nobody.
    let leak = work.path().join("leak");
    copy_tree(&copies[0], &leak);
    let output = Command::new(black())
        .args(["-q", "--fast"])
        .arg(&leak)
        .output()
        .expect("black");
    assert!(output.status.success(), "black: {}", describe(&output));
    let trace = |dir: &Path| {
        let (evidence, _) =
            scan_tree(dir, &key, WalkOptions::default(), &NoProgress).expect("scan");
        score(&evidence, &key, &all, &TraceParams::default())
    };
    let verdict = trace(&leak);
    let named = named(&verdict);
    println!(
        "black-formatted leak: {} positions, named {named:?}, log10 p {:.1}",
        verdict.positions_observed, verdict.candidates[0].log10_p_value
    );
    assert_eq!(named, [alpha.as_str()]);
    assert!(verdict.candidates[0].log10_p_value < -100.0);
    let verdict = trace(&original);
    assert!(
        verdict.accused.is_empty(),
        "the untagged original named {:?}",
        verdict.accused
    );
}
