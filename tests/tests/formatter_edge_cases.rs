//! Cases an adversarial review found, each checked for many recipients
//! (different recipients choose different gaps): the formatter's fixed
//! point survives tagging, and inputs where parsers disagree are left alone.

use std::fs;
use std::path::PathBuf;

use watermark_core::{tag_source, CodeParams, FileStatus, Lang, Recipient, SkipReason};
use watermark_tests::{not_fixed_points, test_key};

fn recipients() -> Vec<Recipient> {
    (0..16)
        .map(|i| Recipient::new(&format!("r{i}")).expect("id"))
        .collect()
}

/// Tag `src` for every recipient and check the formatter still changes
/// nothing; returns how many copies differed from the input.
fn assert_fixed_point_kept(lang: Lang, src: &str) -> usize {
    let (name, ext) = match lang {
        Lang::Rust => ("rust", "rs"),
        Lang::Python => ("python", "py"),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let original = PathBuf::from(format!("original.{ext}"));
    fs::write(dir.path().join(&original), src).expect("write");
    assert!(
        not_fixed_points(dir.path(), std::slice::from_ref(&original), name).is_empty(),
        "test input is not a {name} fixed point:\n{src}"
    );
    let mut files = Vec::new();
    let mut changed = 0;
    for (i, recipient) in recipients().iter().enumerate() {
        let out = tag_source(
            lang,
            src.as_bytes(),
            &test_key(41),
            recipient,
            &CodeParams::default(),
        );
        changed += usize::from(out.output != src.as_bytes());
        let file = PathBuf::from(format!("copy{i}.{ext}"));
        fs::write(dir.path().join(&file), &out.output).expect("write");
        files.push(file);
    }
    let broken = not_fixed_points(dir.path(), &files, name);
    assert!(broken.is_empty(), "{name} reformats {broken:?} of:\n{src}");
    changed
}

#[test]
fn rustfmt_comment_alignment_after_a_trailing_comment() {
    for src in [
        "fn f() {\n    let a = 1; // trailing\n\n    // next\n    let b = 2;\n    let c = 3;\n}\n",
        "fn f() {\n    let a = 1; // trailing\n               // continued\n    let b = 2;\n    let c = 3;\n}\n",
        "struct A; // trailing\n\n// next\nstruct B;\nstruct C;\n",
        "fn f() {\n    let a = 1; // trailing\n\n    /* next */\n    let b = 2;\n}\n",
    ] {
        assert_fixed_point_kept(Lang::Rust, src);
    }
    // A trailing comment followed directly by code is still a site.
    let src = "fn f() {\n    let a = 1; // trailing\n    let b = 2;\n\n    let c = 3;\n}\n";
    assert!(
        assert_fixed_point_kept(Lang::Rust, src) > 0,
        "no copy used the sites"
    );
}

#[test]
fn black_formatter_directives() {
    for src in [
        "class A:\n    x = 1\n\n    y = 2  # fmt: skip\n    def f(self):\n        pass\n",
        "if z:\n    v = 4  # fmt: skip\nw = 2  # fmt: skip\n\n\ndef f():\n    pass\n",
        "class A:\n    x = 1\n\n    # fmt: off\n    y = [1,\n      2]\n    z = 3\n    # fmt: on\n    def f(self):\n        pass\n",
        "x = 1\ny = 2  # fmt:skip\nz = 3\n",
        "\"\"\"a\"\"\" \"\"\"b\"\"\"\n\nx = 1\ny = 2\n",
    ] {
        assert_fixed_point_kept(Lang::Python, src);
    }
}

#[test]
fn a_lone_carriage_return_leaves_the_file_alone() {
    // CPython ends a line at a lone CR, tree-sitter does not: here CPython
    // sees a triple-quoted string where tree-sitter sees statements.
    let src = b"s = 0  # \rs = \"\"\"\na = 1\nb = 2\n# \r\"\"\"\nprint(repr(s))\n";
    for recipient in recipients() {
        let out = tag_source(
            Lang::Python,
            src,
            &test_key(41),
            &recipient,
            &CodeParams::default(),
        );
        assert_eq!(out.output, src);
        assert_eq!(
            out.status,
            FileStatus::Skipped(SkipReason::LoneCarriageReturn {
                line: 1,
                column: 10
            })
        );
    }
}

#[test]
fn a_form_feed_line_is_a_page_break_not_a_blank_line() {
    let src = "def f():\n    a = 1\n\x0c\n    b = 2\n    c = 3\n";
    for recipient in recipients() {
        let out = tag_source(
            Lang::Python,
            src.as_bytes(),
            &test_key(41),
            &recipient,
            &CodeParams::default(),
        );
        let text = String::from_utf8(out.output).expect("utf-8");
        assert!(text.contains("\x0c\n"), "page break lost for {recipient}");
    }
}

/// Items that trade places keep black's blank-line rules: comment-led,
/// decorated and plain definitions at module and class level, a first
/// method right after the class line, stubs, overloads and nested classes.
#[test]
fn black_keeps_reordered_definitions() {
    let src = r#"import functools


# A comment on alpha.
def alpha(x):
    return x + 1


# A comment on beta.
def beta(x):
    return x * 2


@functools.lru_cache
def gamma(x):
    return x - 3


@functools.lru_cache
def delta(x):
    return x // 4


def epsilon(x):
    return x**5


def zeta(x):
    return -x


class Outer:
    def first(self):
        return 1

    def second(self):
        return 2

    @property
    def third(self):
        return 3

    @property
    def fourth(self):
        return 4

    class InnerA:
        def one(self):
            return 1

        def two(self):
            return 2

    class InnerB:
        x = 1

    def fifth(self): ...

    def sixth(self): ...
    def seventh(self):
        return 7

    def eighth(self):
        return 8


class Plain:

    def spaced(self):
        return "spaced"

    def after(self):
        return "after"
"#;
    let changed = assert_fixed_point_kept(Lang::Python, src);
    assert!(changed > 8, "only {changed} of 16 copies changed");
}

/// rustfmt keeps reordered items: doc comments, attributes, derive lists,
/// one-line items, impl blocks and nested modules.
#[test]
fn rustfmt_keeps_reordered_items() {
    let src = r#"/// Alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Alpha(u32);

/// Beta.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Beta {
    x: u32,
}

impl Alpha {
    /// One.
    #[inline]
    pub fn one(&self) -> u32 {
        self.0 + 1
    }

    pub fn two(&self) -> u32 {
        self.0 * 2
    }
    pub fn three(&self) -> u32 {
        self.0 - 3
    }

    // A plain comment on four.
    pub fn four(&self) -> u32 {
        self.0 / 4
    }
    pub const FIVE: u32 = 5;
    fn six() {}
}

mod inner {
    pub fn a() -> u32 {
        1
    }

    pub fn b() -> u32 {
        2
    }

    pub fn c() -> u32 {
        3
    }
}

const SEVEN: u32 = 7;
static EIGHT: u32 = 8;

fn nine() -> u32 {
    9
}
"#;
    let changed = assert_fixed_point_kept(Lang::Rust, src);
    assert!(changed > 8, "only {changed} of 16 copies changed");
}
