//! Moving a blank line or an item shifts line numbers, and some code reads
//! its own: pyparsing adds a hard-coded `LINE_DIFF` to a frame's line to
//! recognise its own call in a traceback, the `log` crate's tests compare
//! `line!()` with `Location::caller()`, trybuild compares compiler messages
//! with a `.stderr` file beside the test. Found by running real packages'
//! test suites on tagged copies. Such files are delivered unchanged, so
//! every copy behaves as the original; everything else is still tagged.

use std::fs;
use std::process::Command;

use watermark_core::{
    tag_source, tag_tree, CodeParams, FileStatus, Lang, NoProgress, SkipReason, WalkOptions,
};
use watermark_tests::{candidates, run_rust_program, test_key};

/// Plain functions with blank lines between their statements: room for
/// many edits, so a copy that was edited would be.
fn filler(lang: Lang, count: usize) -> String {
    let mut out = String::new();
    for f in 0..count {
        match lang {
            Lang::Rust => {
                out += &format!("fn f{f}(x: u64) -> u64 {{\n");
                for s in 0..6 {
                    out += &format!("    let x = x.wrapping_mul({}) ^ {s};\n", f * 7 + s);
                    if (f + s) % 2 == 0 {
                        out += "\n";
                    }
                }
                out += "    x\n}\n\n";
            }
            _ => {
                out += &format!("def f{f}(x):\n");
                for s in 0..6 {
                    out += &format!("    x = (x * {} ^ {s}) % 1000003\n", f * 7 + s);
                    if (f + s) % 2 == 0 {
                        out += "\n";
                    }
                }
                out += "    return x\n\n\n";
            }
        }
    }
    out
}

/// The recipients' copies of `src`: each tagged file's status and output.
fn copies(lang: Lang, src: &str) -> Vec<(FileStatus, String)> {
    let key = test_key(41);
    candidates(8)
        .iter()
        .map(|r| {
            let tagged = tag_source(lang, src.as_bytes(), &key, r, &CodeParams::default());
            let text = String::from_utf8(tagged.output).expect("utf-8");
            (tagged.status, text)
        })
        .collect()
}

fn assert_left_alone(lang: Lang, src: &str, what: &str, line: usize) {
    for (status, text) in copies(lang, src) {
        match status {
            FileStatus::Skipped(SkipReason::ObservesLineNumbers {
                what: found,
                line: at,
                ..
            }) => {
                assert_eq!((found.as_str(), at), (what, line), "{lang}");
            }
            other => panic!("{lang}: expected the file left alone, got {other:?}"),
        }
        assert_eq!(text, src, "{lang}: a copy differs from the original");
    }
}

/// The `log` crate's check: a `#[track_caller]` function compares the
/// line its caller stands on with a line recorded just above the call.
#[test]
fn a_rust_program_that_compares_line_numbers_runs_the_same_in_every_copy() {
    let src = format!(
        "{}#[track_caller]\nfn here() -> u32 {{\n    std::panic::Location::caller().line()\n}}\n\n\
         fn main() {{\n    let mut x = 1;\n    let recorded = line!();\n\n    x = f0(x);\n    \
         let call = here();\n\n    println!(\"{{}} {{}}\", call - recorded, f3(x));\n}}\n",
        filler(Lang::Rust, 12)
    );
    let original = run_rust_program(&src);
    assert!(original.starts_with("3 "), "{original}");
    // `line!` comes first in the file: the first observer is reported.
    let line = src
        .lines()
        .position(|l| l.contains("line!"))
        .expect("line!")
        + 1;
    let at_caller = src.find("Location").expect("Location");
    assert!(at_caller < src.find("line!").expect("line!"));
    let caller_line = src[..at_caller].lines().count();
    assert_left_alone(Lang::Rust, &src, "Location::caller", caller_line);
    assert!(line > caller_line);
    // Either observer alone is enough.
    let only_line = src.replace(
        "std::panic::Location::caller().line()",
        "/* Location::caller() */ 7",
    );
    assert_left_alone(Lang::Rust, &only_line, "line!", line);
}

/// pyparsing's `_trim_arity`: a hard-coded distance between the line a
/// frame reports and the line of a later call.
#[test]
fn a_python_program_with_a_hard_coded_line_distance_runs_the_same_in_every_copy() {
    let src = format!(
        "import traceback\n\n\n{}def trim():\n    LINE_DIFF = 4\n    \
         marker = traceback.extract_stack(limit=2)[-1]\n    x = f1(3)\n\n    \
         y = f2(x)\n    call = traceback.extract_stack(limit=1)[-1]\n    \
         return call[1] - marker[1] == LINE_DIFF, y\n\n\nprint(trim())\n",
        filler(Lang::Python, 12)
    );
    let run = |text: &str| {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("prog.py");
        fs::write(&path, text).expect("write");
        let out = Command::new("python3")
            .arg(&path)
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let original = run(&src);
    assert!(original.starts_with("(True,"), "{original}");
    let line = src
        .lines()
        .position(|l| l.contains("extract_stack"))
        .expect("extract_stack")
        + 1;
    assert_left_alone(Lang::Python, &src, "extract_stack", line);
    for (_, text) in copies(Lang::Python, &src) {
        assert_eq!(run(&text), original);
    }
}

/// Names that only look like observers: in comments and strings, part of
/// a longer name, a frame's globals rather than its line. Those files are
/// tagged as usual.
#[test]
fn look_alikes_do_not_stop_tagging() {
    let rust = format!(
        "{}// line!() and Location::caller() in a comment\n\
         fn g(line: u32) -> String {{\n    let s = \"line!() Location::caller()\";\n\n    \
         format!(\"{{s}}{{}}\", Location::caller_id(line))\n}}\n",
        filler(Lang::Rust, 6)
    );
    let python = format!(
        "import sys\n\n\n{}def g():\n    # frame.f_lineno in a comment\n    \
         s = \"lineno f_lineno extract_stack\"\n\n    return sys._getframe(1).f_globals, s, linenos\n",
        filler(Lang::Python, 6)
    );
    for (lang, src) in [(Lang::Rust, rust), (Lang::Python, python)] {
        let mut edits = 0;
        for (status, _) in copies(lang, &src) {
            match status {
                FileStatus::Processed { edits: e, .. } => edits += e,
                other => panic!("{lang}: expected the file tagged, got {other:?}"),
            }
        }
        assert!(edits > 8, "{lang}: only {edits} edits over 8 copies");
    }
}

/// A UI test (trybuild, compiletest) pins the compiler's messages, line
/// numbers included, in a file beside it: the test is delivered unchanged,
/// the code beside it is tagged.
#[test]
fn ui_tests_with_pinned_output_are_delivered_unchanged() {
    let work = tempfile::tempdir().expect("tempdir");
    let src = work.path().join("src");
    fs::create_dir_all(src.join("tests/ui")).expect("mkdir");
    fs::create_dir_all(src.join("src")).expect("mkdir");
    let ui = filler(Lang::Rust, 8) + "fn main() {\n    let x: u8 = \"no\";\n}\n";
    fs::write(src.join("tests/ui/mismatch.rs"), &ui).expect("write");
    fs::write(
        src.join("tests/ui/mismatch.stderr"),
        "error[E0308]: mismatched types\n  --> tests/ui/mismatch.rs:59:17\n",
    )
    .expect("write");
    fs::write(src.join("src/lib.rs"), filler(Lang::Rust, 8)).expect("write");
    let key = test_key(42);
    let out = work.path().join("out");
    let report = tag_tree(
        &src,
        &out,
        &key,
        &candidates(3)[1],
        &CodeParams::default(),
        WalkOptions::default(),
        &NoProgress,
    )
    .expect("tag");
    let status = |path: &str| {
        report
            .files
            .iter()
            .find(|f| f.path.to_string_lossy() == path)
            .map(|f| f.status.clone())
            .unwrap_or_else(|| panic!("{path} not reported"))
    };
    assert_eq!(
        status("tests/ui/mismatch.rs"),
        FileStatus::Skipped(SkipReason::PinnedOutput {
            file: "mismatch.stderr".to_owned()
        })
    );
    assert_eq!(
        fs::read_to_string(out.join("tests/ui/mismatch.rs")).expect("read"),
        ui
    );
    assert!(
        matches!(status("src/lib.rs"), FileStatus::Processed { edits, .. } if edits > 0),
        "{:?}",
        status("src/lib.rs")
    );
}
