//! Total on bad input: every case gives a per-file message, no panic, the
//! bad file copied unchanged, and CRLF / BOM / tabs preserved byte for byte.

use std::fs;
use std::path::Path;

use watermark_core::{
    tag_source, tag_tree, CodeParams, Evidence, FileReport, FileStatus, Lang, NoProgress,
    Recipient, SkipReason, TextPosition, WalkOptions,
};
use watermark_tests::test_key;

fn recipient() -> Recipient {
    Recipient::new("vendor-007").expect("id")
}

fn tag(lang: Lang, bytes: &[u8]) -> watermark_core::TaggedFile {
    tag_source(
        lang,
        bytes,
        &test_key(5),
        &recipient(),
        &CodeParams::default(),
    )
}

/// A Rust file with many statement gaps, some blank.
fn rust_source(functions: usize) -> String {
    let mut src = String::new();
    for f in 0..functions {
        src += &format!("fn f{f}(x: u64) -> u64 {{\n");
        for s in 0..6 {
            src += &format!("    let v{s} = x.wrapping_mul({}) ^ {s};\n", f * 13 + s);
            if (f + s) % 4 == 0 {
                src += "\n";
            }
        }
        src += "    v0 + v5\n}\n\n";
    }
    src
}

fn python_source(functions: usize) -> String {
    let mut src = String::new();
    for f in 0..functions {
        src += &format!("def f{f}(x):\n");
        for s in 0..6 {
            src += &format!("    v{s} = x * {} + {s}\n", f * 13 + s);
            if (f + s) % 4 == 0 {
                src += "\n";
            }
        }
        src += "    return v0 + v5\n\n\n";
    }
    src
}

fn edits(status: &FileStatus) -> usize {
    match status {
        FileStatus::Processed { edits, .. } => *edits,
        other => panic!("expected a processed file, got {other:?}"),
    }
}

/// The text without whitespace-only lines (what tagging may change).
/// The non-blank lines, sorted: tagging may add or remove blank lines and
/// reorder items, and must keep every other line byte for byte.
fn non_blank_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = bytes
        .split_inclusive(|&b| b == b'\n')
        .filter(|line| !line.iter().all(|b| b.is_ascii_whitespace()))
        .collect();
    lines.sort_unstable();
    lines
}

#[test]
fn binary_file_with_a_source_name_is_copied_unchanged() {
    let mut bytes = b"fn main() {}\n".to_vec();
    bytes.extend_from_slice(&[0, 159, 146, 150, 0, 1, 2]);
    let out = tag(Lang::Rust, &bytes);
    assert_eq!(out.output, bytes);
    assert_eq!(
        out.status,
        FileStatus::Skipped(SkipReason::Binary { byte_offset: 13 })
    );
    assert!(Evidence::new()
        .scan_source(Lang::Rust, &bytes, &test_key(5))
        .is_err());
}

#[test]
fn invalid_utf8_is_copied_unchanged_with_its_position() {
    let bytes = b"x = 1\ny = '\xff\xfe'\n".to_vec();
    let out = tag(Lang::Python, &bytes);
    assert_eq!(out.output, bytes);
    let FileStatus::Skipped(reason) = &out.status else {
        panic!("{:?}", out.status)
    };
    assert_eq!(reason, &SkipReason::NotUtf8 { line: 2, column: 6 });
    assert_eq!(reason.to_string(), "invalid UTF-8 at 2:6");
}

/// The code around a syntax error is left alone (here the whole file:
/// `ok` stands next to the broken item), and the error's position is
/// reported. `tests/syntax_errors.rs` tags the rest of such files.
#[test]
fn syntax_errors_are_left_alone_and_reported_with_their_position() {
    for (lang, src) in [
        (
            Lang::Rust,
            "fn ok() {\n    let a = 1;\n    let b = 2;\n}\n\nfn broken( {\n    let c = ;\n}\n",
        ),
        (
            Lang::Python,
            "def ok():\n    a = 1\n    b = 2\n\ndef broken(:\n    pass\n",
        ),
    ] {
        let out = tag(lang, src.as_bytes());
        assert_eq!(out.output, src.as_bytes(), "{lang}");
        let FileStatus::Processed {
            edits: 0,
            syntax_error: Some(at),
            ..
        } = &out.status
        else {
            panic!("{lang}: {:?}", out.status)
        };
        assert!(at.line >= 5, "{lang}: error reported at line {}", at.line);
    }
}

#[test]
fn crlf_line_endings_are_kept_everywhere() {
    for (lang, src) in [
        (Lang::Rust, rust_source(30)),
        (Lang::Python, python_source(30)),
    ] {
        let crlf = src.replace('\n', "\r\n");
        let out = tag(lang, crlf.as_bytes());
        assert!(
            edits(&out.status) > 10,
            "{lang}: too few edits to test anything"
        );
        let text = String::from_utf8(out.output.clone()).expect("utf-8");
        assert!(
            !text.replace("\r\n", "").contains('\n'),
            "{lang}: a bare LF appeared"
        );
        assert!(
            !text.replace("\r\n", "").contains('\r'),
            "{lang}: a bare CR appeared"
        );
        assert_eq!(
            non_blank_lines(&out.output),
            non_blank_lines(crlf.as_bytes()),
            "{lang}"
        );
    }
}

#[test]
fn a_bom_is_kept() {
    for (lang, src) in [
        (Lang::Rust, rust_source(30)),
        (Lang::Python, python_source(30)),
    ] {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(src.as_bytes());
        let out = tag(lang, &bytes);
        assert!(edits(&out.status) > 10, "{lang}");
        assert!(out.output.starts_with(b"\xEF\xBB\xBF"), "{lang}: BOM lost");
        assert!(
            !out.output[3..].starts_with(b"\xEF\xBB\xBF"),
            "{lang}: BOM doubled"
        );
        // Items may move: compare the lines after the BOM.
        assert!(
            non_blank_lines(&out.output[3..]) == non_blank_lines(&bytes[3..]),
            "{lang}"
        );
    }
}

#[test]
fn tab_indentation_and_non_ascii_text_are_kept() {
    for (lang, src) in [
        (Lang::Rust, rust_source(30)),
        (Lang::Python, python_source(30)),
    ] {
        let tabbed = src
            .replace("    ", "\t")
            .replace("x * ", "x * 1 + len('héllo→') * ")
            .replace("wrapping_mul(", "wrapping_mul(\"ü\".len() as u64 + ");
        let out = tag(lang, tabbed.as_bytes());
        assert!(edits(&out.status) > 10, "{lang}: {:?}", out.status);
        assert_eq!(
            non_blank_lines(&out.output),
            non_blank_lines(tabbed.as_bytes()),
            "{lang}"
        );
        // Inserted blank lines are empty: no stray indentation.
        let stray = out
            .output
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty() && l.iter().all(|b| b.is_ascii_whitespace()));
        assert_eq!(stray.count(), 0, "{lang}: a whitespace-only line appeared");
    }
}

#[test]
fn a_five_megabyte_file_is_tagged() {
    let mut src = rust_source(20);
    while src.len() < 5 << 20 {
        src += &rust_source(200);
    }
    let out = tag(Lang::Rust, src.as_bytes());
    assert!(edits(&out.status) > 1000, "{:?}", out.status);
    assert_eq!(
        non_blank_lines(&out.output),
        non_blank_lines(src.as_bytes())
    );
}

/// Past the size limit a file is delivered as it is and reported, never
/// parsed: its syntax tree would take about 150 times its size in memory.
#[test]
fn a_file_over_the_size_limit_is_left_alone() {
    let mut src = rust_source(20);
    while src.len() <= watermark_core::MAX_FILE_BYTES {
        src += &rust_source(200);
    }
    let out = tag(Lang::Rust, src.as_bytes());
    assert!(
        matches!(out.status, FileStatus::Skipped(SkipReason::TooLarge { bytes }) if bytes == src.len()),
        "{:?}",
        out.status
    );
    assert_eq!(out.output, src.as_bytes());
    assert_eq!(watermark_core::MAX_FILE_BYTES, 8 << 20);
}

#[test]
fn ten_thousand_deep_nesting_does_not_crash() {
    let depth = 10_000;
    let rust = format!(
        "fn f() {{\n    let a = 1;\n    let b = {}1{};\n}}\n",
        "{".repeat(depth),
        "}".repeat(depth)
    );
    let python = format!("a = 1\nb = {}1{}\n", "[".repeat(depth), "]".repeat(depth));
    let python_blocks: String = (0..1000)
        .map(|i| format!("{}if x:\n", " ".repeat(i)))
        .collect::<String>()
        + &" ".repeat(1000)
        + "pass\n";
    for (lang, src) in [
        (Lang::Rust, rust),
        (Lang::Python, python),
        (Lang::Python, python_blocks),
    ] {
        let out = tag(lang, src.as_bytes());
        match &out.status {
            FileStatus::Processed { .. } => {
                assert_eq!(
                    non_blank_lines(&out.output),
                    non_blank_lines(src.as_bytes())
                );
            }
            FileStatus::Skipped(_) => assert_eq!(out.output, src.as_bytes()),
            other => panic!("{other:?}"),
        }
        let _ = Evidence::new().scan_source(lang, src.as_bytes(), &test_key(5));
    }
}

#[test]
fn an_empty_file_stays_empty() {
    for lang in Lang::ALL {
        let out = tag(lang, b"");
        assert_eq!(out.output, b"");
        assert_eq!(
            out.status,
            FileStatus::Processed {
                sites: 0,
                edits: 0,
                syntax_error: None
            }
        );
    }
}

#[cfg(unix)]
#[test]
fn a_tree_with_every_bad_case_and_symlink_loops() {
    use std::os::unix::fs::{symlink, PermissionsExt};

    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("pkg")).expect("mkdir");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("binary.rs", vec![0x7f, b'E', b'L', b'F', 0, 0, 1]),
        ("latin1.py", b"name = 'caf\xe9'\n".to_vec()),
        ("broken.rs", b"fn broken( {\n".to_vec()),
        ("empty.py", Vec::new()),
        ("good.rs", rust_source(10).into_bytes()),
        (
            "pkg/crlf.py",
            python_source(10).replace('\n', "\r\n").into_bytes(),
        ),
        ("notes.txt", b"not source\r\n\xff".to_vec()),
    ];
    for (name, bytes) in &cases {
        fs::write(src.join(name), bytes).expect("write");
    }
    fs::set_permissions(src.join("good.rs"), fs::Permissions::from_mode(0o755)).expect("chmod");
    // Version-control metadata: the history, and Subversion's and
    // Mercurial's pristine copies, are never delivered.
    for vcs in [
        ".git/config",
        ".svn/pristine/ab/good.rs.svn-base",
        ".hg/store/data/good.rs.i",
        "pkg/.git",
    ] {
        let path = src.join(vcs);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, rust_source(3)).expect("write");
    }
    symlink("b", src.join("a")).expect("symlink");
    symlink("a", src.join("b")).expect("symlink");
    symlink(".", src.join("pkg/self")).expect("symlink");
    let out = dir.path().join("out");
    let report = tag_tree(
        &src,
        &out,
        &test_key(5),
        &recipient(),
        &CodeParams::default(),
        WalkOptions::default(),
        &NoProgress,
    )
    .expect("tag tree");
    let by_path = |p: &str| -> &FileReport {
        report
            .files
            .iter()
            .find(|f| f.path == Path::new(p))
            .unwrap_or_else(|| panic!("no report for {p}"))
    };
    assert!(matches!(
        by_path("binary.rs").status,
        FileStatus::Skipped(SkipReason::Binary { .. })
    ));
    assert!(matches!(
        by_path("latin1.py").status,
        FileStatus::Skipped(SkipReason::NotUtf8 {
            line: 1,
            column: 12
        })
    ));
    assert!(matches!(
        by_path("broken.rs").status,
        FileStatus::Processed {
            sites: 0,
            syntax_error: Some(TextPosition { line: 1, .. }),
            ..
        }
    ));
    assert_eq!(by_path("notes.txt").status, FileStatus::Copied);
    assert_eq!(by_path("a").status, FileStatus::Symlink);
    assert_eq!(by_path("pkg/self").status, FileStatus::Symlink);
    assert!(edits(&by_path("good.rs").status) > 0);
    for (name, bytes) in &cases {
        let got = fs::read(out.join(name)).expect("output file");
        if *name == "good.rs" || *name == "pkg/crlf.py" {
            assert_eq!(non_blank_lines(&got), non_blank_lines(bytes), "{name}");
        } else {
            assert_eq!(&got, bytes, "{name} changed");
        }
    }
    for vcs in [".git", ".svn", ".hg", "pkg/.git"] {
        assert!(!out.join(vcs).exists(), "{vcs} delivered");
        assert!(
            report.files.iter().all(|f| !f.path.starts_with(vcs)),
            "{vcs} reported"
        );
    }
    assert_eq!(fs::read_link(out.join("a")).expect("link"), Path::new("b"));
    assert_eq!(
        fs::read_link(out.join("pkg/self")).expect("link"),
        Path::new(".")
    );
    let mode = fs::metadata(out.join("good.rs"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755, "file mode not kept");
}

/// One hostile byte per file cannot hide it from a trace: a `coding:` line
/// with one Latin-1 byte, or a lone CR in a docstring (CPython reads both
/// files and runs them the same). Tagging refuses such files, but reading
/// a suspect decodes them leniently, and only sites next to the byte can
/// change.
#[test]
fn one_odd_byte_does_not_hide_a_suspect_file() {
    let mut src = String::from("\"\"\"Module doc.\"\"\"\n\n");
    for f in 0..40 {
        src += &format!("def f{f}(x):\n    a = x * {f}\n\n    b = a + 1\n    return b\n\n\n");
    }
    let tagged = tag(Lang::Python, src.as_bytes());
    assert!(matches!(tagged.status, FileStatus::Processed { .. }));
    let key = test_key(5);
    let mut clean = Evidence::new();
    let sites = clean
        .scan_source(Lang::Python, &tagged.output, &key)
        .expect("scan");
    assert!(sites >= 80, "only {sites} sites");
    let text = String::from_utf8(tagged.output.clone()).expect("utf-8");
    let mut latin1 = b"# -*- coding: latin-1 -*-\n".to_vec();
    latin1.extend_from_slice(
        text.replacen("Module doc.", "Module d\u{e9}c.", 1)
            .as_bytes(),
    );
    // The replacement above is valid UTF-8 (é); make it one Latin-1 byte.
    let latin1: Vec<u8> = {
        let s = String::from_utf8(latin1).expect("utf-8");
        let at = s.find('é').expect("é");
        let mut b = s.into_bytes();
        b.splice(at..at + 2, [0xe9]);
        b
    };
    assert!(std::str::from_utf8(&latin1).is_err());
    let lone_cr = text.replacen("Module doc.", "Module\rdoc.", 1).into_bytes();
    for (name, bytes) in [("latin-1", latin1), ("lone CR", lone_cr)] {
        assert!(
            !matches!(
                tag(Lang::Python, &bytes).status,
                FileStatus::Processed { .. }
            ),
            "{name}: tagging should refuse it"
        );
        let mut evidence = Evidence::new();
        let read = evidence
            .scan_source(Lang::Python, &bytes, &key)
            .unwrap_or_else(|e| panic!("{name}: not read: {e}"));
        let (kept, total) = watermark_tests::positions_kept(&clean, &evidence);
        assert!(
            read >= sites - 2 && kept + 2 >= total,
            "{name}: read {read} of {sites} sites, kept {kept} of {total} positions"
        );
    }
}
