//! Files with syntax the grammar lacks are a normal case in real code
//! (`safe fn` in extern blocks, negative const arguments, some macro
//! tokens): the code around each error stays exactly as written, the rest
//! of the file carries the mark, the copy still behaves as the original,
//! and its recipient is named.

use std::fs;
use std::process::Command;

use watermark_core::{
    score, tag_source, CodeParams, Evidence, FileStatus, Lang, Recipient, TextPosition, TraceParams,
};
use watermark_tests::{candidates, named, run_rust_program, test_key};

/// Items tree-sitter-rust rejects and rustc accepts, each in an item of
/// its own: these must come back byte for byte.
const REJECTED: [&str; 5] = [
    "fn negative() -> i8 {\n    let r: R<-5> = R;\n\n    let s: R<-7> = R;\n\n    r.value() + s.value()\n}\n",
    "fn pattern(x: u8) -> u8 {\n    let y = x;\n\n    match y {\n        raw @ (1 | 2) => raw,\n        _ => 0,\n    }\n}\n",
    "macro_rules! tilde {\n    (~ $x:expr) => {\n        $x + 1\n    };\n}\n",
    "fn bounded() -> u8\nwhere\n    (): Copy,\n{\n    let a = 1;\n\n    a + 1\n}\n",
    "unsafe extern \"C\" {\n    pub safe fn abs(x: i32) -> i32;\n}\n",
];

/// A program around [`REJECTED`]: many plain functions with blank lines
/// between their statements, and a `main` printing what every function
/// returns.
fn rust_program() -> String {
    let mut src = String::from(
        "struct R<const N: i8>;\n\nimpl<const N: i8> R<N> {\n    fn value(&self) -> i8 {\n        N\n    }\n}\n\n",
    );
    let mut calls = String::new();
    for (f, rejected) in (0..40).zip(REJECTED.iter().cycle()) {
        src += &format!("fn f{f}(x: u64) -> u64 {{\n");
        for s in 0..6 {
            src += &format!("    let v{s} = x.wrapping_mul({}) ^ {s};\n", f * 13 + s);
            if (f + s) % 3 == 0 {
                src += "\n";
            }
        }
        src += "    v0 + v5\n}\n\n";
        calls += &format!("    println!(\"{{}}\", f{f}({f}));\n");
        if f % 8 == 4 {
            src += rejected;
            src += "\n";
        }
    }
    src += "fn main() {\n";
    src += &calls;
    src += "    println!(\"{} {} {} {} {}\", negative(), pattern(2), tilde!(~ 41), bounded(), abs(-3));\n}\n";
    src
}

fn tag(lang: Lang, src: &str, recipient: &Recipient) -> (String, usize, Option<TextPosition>) {
    let tagged = tag_source(
        lang,
        src.as_bytes(),
        &test_key(61),
        recipient,
        &CodeParams::default(),
    );
    let FileStatus::Processed {
        edits,
        syntax_error,
        ..
    } = tagged.status
    else {
        panic!("not processed: {:?}", tagged.status);
    };
    (
        String::from_utf8(tagged.output).expect("utf-8"),
        edits,
        syntax_error,
    )
}

/// The recipients a scan of `text` names among 100.
fn trace(lang: Lang, text: &str) -> Vec<String> {
    let key = test_key(61);
    let mut evidence = Evidence::new();
    evidence
        .scan_source(lang, text.as_bytes(), &key)
        .expect("scan");
    let verdict = score(&evidence, &key, &candidates(100), &TraceParams::default());
    named(&verdict).into_iter().map(str::to_owned).collect()
}

#[test]
fn rust_code_around_syntax_errors_is_tagged_and_behaves_the_same() {
    for item in REJECTED {
        let (_, _, error) = tag(Lang::Rust, item, &Recipient::new("r").expect("id"));
        assert!(error.is_some(), "tree-sitter now accepts {item}");
    }
    let src = rust_program();
    let expected = run_rust_program(&src);
    let everyone = candidates(100);
    for r in [3, 42, 77] {
        let recipient = &everyone[r];
        let (copy, edits, error) = tag(Lang::Rust, &src, recipient);
        assert!(
            error.is_some(),
            "the program has syntax tree-sitter rejects"
        );
        assert!(edits > 20, "{recipient}: only {edits} edits");
        for item in REJECTED {
            assert!(
                copy.contains(item),
                "{recipient}: an item with a syntax error changed:\n{item}"
            );
        }
        assert_eq!(
            run_rust_program(&copy),
            expected,
            "{recipient}: behaves differently"
        );
        assert_eq!(trace(Lang::Rust, &copy), [recipient.as_str()]);
        // Tagging the copy again changes nothing.
        assert_eq!(tag(Lang::Rust, &copy, recipient).0, copy);
    }
}

#[test]
fn python_code_around_a_syntax_error_is_tagged() {
    // PEP 696 type parameter defaults (Python 3.13), which the grammar
    // lacks: that function and its neighbours stay as written.
    let rejected = "def newer[T: int = str](x: T) -> T:\n    y = x\n\n    return y\n";
    let mut src = String::from("import os\n\n\n");
    for f in 0..40 {
        src += &format!("def f{f}(x):\n");
        for s in 0..5 {
            src += &format!("    v{s} = os.sep * {} + str(x)\n", f * 7 + s);
            if (f + s) % 3 == 0 {
                src += "\n";
            }
        }
        src += "    return v0 + v4\n\n\n";
        if f == 20 {
            src += rejected;
            src += "\n\n";
        }
    }
    let neighbours = [
        "def f20(x):\n    v0 = os.sep * 140 + str(x)\n    v1 = os.sep * 141 + str(x)\n\n",
        "def f21(x):\n    v0 = os.sep * 147 + str(x)\n\n    v1 = os.sep * 148 + str(x)\n",
    ];
    for neighbour in neighbours {
        assert!(src.contains(neighbour), "test setup: {neighbour}");
    }
    let alone = tag(Lang::Python, rejected, &Recipient::new("r").expect("id"));
    assert!(alone.2.is_some(), "tree-sitter now accepts {rejected}");
    let everyone = candidates(100);
    for r in [5, 60] {
        let recipient = &everyone[r];
        let (copy, edits, error) = tag(Lang::Python, &src, recipient);
        assert!(error.is_some());
        assert!(edits > 20, "{recipient}: only {edits} edits");
        assert!(
            copy.contains(rejected),
            "{recipient}: the rejected function changed"
        );
        for neighbour in neighbours {
            assert!(copy.contains(neighbour), "{recipient}: {neighbour} changed");
        }
        assert_eq!(trace(Lang::Python, &copy), [recipient.as_str()]);
    }
}

/// A file the parser cannot read at all keeps every byte.
#[test]
fn a_file_that_is_all_error_is_left_alone() {
    let src = "}}} fn ( {\n    let a = 1;\n\n    let b = 2;\n\n    a + b\n";
    for r in candidates(8) {
        let (copy, edits, error) = tag(Lang::Rust, src, &r);
        assert_eq!((copy.as_str(), edits), (src, 0));
        assert_eq!(error.map(|e| e.line), Some(1));
    }
}

/// The sources of every crate `Cargo.lock` pins from a registry (what
/// cargo downloaded to build this workspace), by `cargo metadata`.
fn locked_registry_crates() -> Vec<std::path::PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(watermark_tests::workspace())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let mut dirs: Vec<std::path::PathBuf> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["source"].as_str().is_some_and(|s| s.contains("registry")))
        .filter_map(|p| {
            let manifest = std::path::Path::new(p["manifest_path"].as_str()?);
            Some(manifest.parent()?.to_path_buf())
        })
        .collect();
    dirs.sort();
    dirs
}

/// Real third-party code with syntax tree-sitter-rust lacks: the Rust
/// files of the crates this workspace is built from (`anyhow`, `syn`,
/// `proc-macro2`, `typenum` ... have such files). Each is tagged around
/// its errors, the line of its first error comes back unchanged and still
/// holds the first error, tagging again changes nothing, and together they
/// name their recipient.
#[test]
fn locked_dependencies_with_syntax_errors_are_tagged_around_them() {
    let crates = locked_registry_crates();
    assert!(crates.len() > 50, "only {} registry crates", crates.len());
    let files: Vec<std::path::PathBuf> = crates
        .iter()
        .flat_map(|dir| {
            watermark_tests::sources(dir, "rs")
                .into_iter()
                .map(|file| dir.join(file))
        })
        .collect();
    // Only the files tree-sitter rejects, found with two threads.
    let rejected = |part: &[std::path::PathBuf]| -> Vec<(std::path::PathBuf, String)> {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&Lang::Rust.grammar())
            .expect("grammar loads");
        part.iter()
            .filter_map(|path| {
                let text = fs::read_to_string(path).ok()?;
                let tree = parser.parse(&text, None)?;
                tree.root_node().has_error().then(|| (path.clone(), text))
            })
            .collect()
    };
    let (first, second) = files.split_at(files.len() / 2);
    let with_errors: Vec<(std::path::PathBuf, String)> = std::thread::scope(|s| {
        let other = s.spawn(|| rejected(second));
        let mut found = rejected(first);
        found.extend(other.join().expect("thread"));
        found
    });
    assert!(
        with_errors.len() >= 10,
        "only {} of {} files have syntax errors: the test needs more",
        with_errors.len(),
        files.len()
    );
    let key = test_key(61);
    let recipient = &candidates(100)[17];
    let mut evidence = Evidence::new();
    let (mut sites, mut edits, mut lines) = (0, 0, 0);
    for (path, src) in &with_errors {
        let (copy, file_edits, error) = tag(Lang::Rust, src, recipient);
        let at = error.unwrap_or_else(|| panic!("{}: no syntax error reported", path.display()));
        let (_, again_edits, again) = tag(Lang::Rust, &copy, recipient);
        assert_eq!(again_edits, 0, "{}: tagging again edits", path.display());
        let again = again.expect("the copy keeps its syntax error");
        let line = |text: &str, n: usize| text.lines().nth(n - 1).map(str::to_owned);
        assert_eq!(
            line(&copy, again.line),
            line(src, at.line),
            "{}: the line of the first syntax error changed",
            path.display()
        );
        assert_eq!(again.column, at.column, "{}", path.display());
        edits += file_edits;
        sites += evidence
            .scan_source(Lang::Rust, copy.as_bytes(), &key)
            .expect("scan");
        lines += src.lines().count();
    }
    let verdict = score(&evidence, &key, &candidates(100), &TraceParams::default());
    println!(
        "{} of {} dependency files have syntax errors ({lines} lines): {edits} edits, \
         {sites} sites read back, log10 p {:.1}",
        with_errors.len(),
        files.len(),
        verdict.accused.first().map_or(0.0, |a| a.log10_p_value),
    );
    assert!(
        edits > 100,
        "only {edits} edits in files with syntax errors"
    );
    assert_eq!(named(&verdict), [recipient.as_str()]);
}

/// An error between top-level items (here a stray `}`, as a block the
/// parser closed too early would leave) means the parser lost track of
/// where items begin and end: nothing in the file is edited, however many
/// sites the rest has.
#[test]
fn an_error_between_top_level_items_leaves_the_whole_file_alone() {
    let function = |f: usize| {
        format!(
            "fn f{f}(x: u64) -> u64 {{\n    let a = x + {f};\n\n    let b = a * 2;\n    b\n}}\n\n"
        )
    };
    let mut src: String = (0..20).map(function).collect();
    src += "}\n\n";
    src.extend((20..40).map(function));
    let mut tagged_without_it = 0;
    for r in candidates(4) {
        let (copy, edits, error) = tag(Lang::Rust, &src, &r);
        assert_eq!((copy.as_str(), edits), (src.as_str(), 0), "{r}");
        assert_eq!(error.map(|e| e.line), Some(141), "{r}");
        tagged_without_it += tag(Lang::Rust, &src.replace("}\n\n}", "}\n\n"), &r).1;
    }
    assert!(
        tagged_without_it > 40,
        "the file has sites: {tagged_without_it} edits"
    );
}
