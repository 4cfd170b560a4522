//! Signed provenance comments on real code: the code digest they sign does
//! not change under rustfmt and black, signed copies keep the formatters'
//! fixed points, and tampering is told apart from formatting.

use std::fs;
use std::path::PathBuf;

use watermark_core::signed::code_digest;
use watermark_core::Lang;
use watermark_tests::{copy_tree, corpus, format_in_place_with, sources};

/// Files where a narrow line width makes the formatter add parentheses
/// around code that tree-sitter parses wrongly without them, so the two
/// trees differ although Python reads both alike: tree-sitter-python binds
/// `as` in `with a if b else c as out:` to `c` alone.
const KNOWN_MISPARSES: &[&str] = &["tabulate-0.10.0/tabulate/__init__.py"];

/// Format every corpus file with its language's formatter and compare the
/// code digests before and after. Every file the formatter changed and
/// that parses must keep its digest. Besides the default settings, a
/// narrow line width makes the formatters rewrite much more (wrapping,
/// trailing commas, parentheses, blocks).
#[test]
fn code_digest_survives_the_formatters_on_the_corpus() {
    let narrow_rust: &[&str] = &["--config", "max_width=40"];
    let narrow_python: &[&str] = &["--line-length", "30"];
    for (lang, ext, kind, name, extra) in [
        (Lang::Rust, "rs", "rust", "rust", &[][..]),
        (Lang::Rust, "rs", "rust", "rust", narrow_rust),
        (Lang::Python, "py", "py", "python", &[][..]),
        (Lang::Python, "py", "py", "python", narrow_python),
        (Lang::Python, "py", "py", "ruff", &[][..]),
        (Lang::Python, "py", "py", "ruff", narrow_python),
    ] {
        let work = tempfile::tempdir().expect("tempdir");
        let (mut compared, mut reformatted) = (0, 0);
        let mut broken: Vec<String> = Vec::new();
        for project in corpus().into_iter().filter(|p| p.kind == kind) {
            let formatted = work.path().join(&project.name);
            copy_tree(&project.dir, &formatted);
            let files: Vec<PathBuf> = sources(&formatted, ext);
            format_in_place_with(&formatted, &files, name, extra);
            for file in &files {
                let before = fs::read(project.dir.join(file)).expect("read");
                let after = fs::read(formatted.join(file)).expect("read");
                let Ok(digest) = code_digest(lang, &before) else {
                    continue;
                };
                compared += 1;
                if before == after {
                    continue;
                }
                reformatted += 1;
                let label = format!("{}/{}", project.name, file.display());
                if !extra.is_empty() && KNOWN_MISPARSES.contains(&label.as_str()) {
                    continue;
                }
                if code_digest(lang, &after).ok() != Some(digest) {
                    broken.push(label);
                }
            }
        }
        println!("{name} {extra:?}: {compared} files, {reformatted} changed by the formatter, {} digests changed", broken.len());
        assert!(
            broken.is_empty(),
            "{name}: the formatter changed the code digest of {broken:#?}"
        );
        assert!(
            reformatted > 15,
            "{name}: only {reformatted} files reformatted; the check means little"
        );
    }
}

const PY_SAMPLE: &str = r#"#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Doc."""
import os


def area(width, height=2):
    # the product
    return width * height + len(os.sep)


class Box:
    def __init__(self, items):
        self.items = list(items)

    def total(self):
        return sum(x for x in self.items if x > 0) or 'none'
"#;

const RS_SAMPLE: &str = r#"//! Crate doc.
#![allow(dead_code)]

use std::fmt;

// A box.
pub struct Boxed { items: Vec<u32> }

impl Boxed {
    pub fn total(&self) -> u32 {
        // sum of positives
        self.items.iter().filter(|x| **x > 0).sum()
    }
}

impl fmt::Display for Boxed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.total())
    }
}
"#;

/// What one byte of a signed file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Byte {
    /// Part of the signature comment or its notice line (after the opener).
    Signature,
    /// Inside an ordinary comment's text.
    Comment,
    /// Whitespace outside strings.
    Space,
    /// Anything else: code.
    Code,
}

/// Classify every byte of `text` (signature lines found by their marker,
/// comments by the opener, strings by quotes: enough for the samples,
/// which hold no quote or comment opener inside strings or comments).
fn classify(text: &str, opener: &str) -> Vec<Byte> {
    let mut out = Vec::with_capacity(text.len());
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let body = line.trim_end_matches('\n');
        let signature = body.contains("watermark-signed:")
            || lines
                .get(i + 1)
                .is_some_and(|next| next.contains("watermark-signed:"));
        let mut in_string: Option<char> = None;
        let mut comment_from: Option<usize> = None;
        for (at, c) in line.char_indices() {
            if comment_from.is_none() && in_string.is_none() && line[at..].starts_with(opener) {
                comment_from = Some(at);
            }
            let kind = if let Some(from) = comment_from {
                // The opener itself, a shebang or the encoding line are code
                // to a verifier; only the text after the opener is comment.
                let text_start = from + opener.len();
                if i < 2 && opener == "#" {
                    // Shebang and encoding line: a blank line above the
                    // encoding line moves it out of the first two lines.
                    Byte::Code
                } else if c == '\n' {
                    Byte::Space
                } else if at < text_start {
                    Byte::Code
                } else if signature {
                    Byte::Signature
                } else {
                    Byte::Comment
                }
            } else if in_string.is_none() && c.is_ascii_whitespace() {
                Byte::Space
            } else {
                if matches!(c, '"' | '\'') && !(opener == "//" && c == '\'') {
                    in_string = match in_string {
                        Some(q) if q == c => None,
                        None => Some(c),
                        other => other,
                    };
                }
                Byte::Code
            };
            out.extend(std::iter::repeat_n(kind, c.len_utf8()));
        }
    }
    out
}

/// Every single-byte change to a signed file: to its code reports "code
/// changed", to its comments or whitespace stays valid, to its signature or
/// notice reports invalid. Exhaustive over two small files.
#[test]
fn single_byte_tampering_is_told_apart_exhaustively() {
    use watermark_core::signed::{sign_source, verify_source, SignatureStatus};
    use watermark_core::{OwnerKey, Recipient};
    let key = OwnerKey::from_seed([5; 32]);
    let keys = [key.public_key()];
    let recipient = Recipient::new("acme").expect("id");
    for (lang, sample, opener) in [
        (Lang::Python, PY_SAMPLE, "#"),
        (Lang::Rust, RS_SAMPLE, "//"),
    ] {
        let signed = sign_source(
            lang,
            sample.as_bytes(),
            &key,
            &recipient,
            "delivery-7",
            "src/sample",
            Some("Licensed to ACME under agreement #123"),
        )
        .expect("sign");
        let text = String::from_utf8(signed).expect("utf-8");
        let status = |bytes: &[u8]| {
            let found = verify_source(lang, bytes, &keys);
            match found.as_slice() {
                [one] => Some(one.status.clone()),
                [] => None,
                more => panic!("{} signatures found", more.len()),
            }
        };
        assert_eq!(status(text.as_bytes()), Some(SignatureStatus::Valid));
        let classes = classify(&text, opener);
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        let bytes = text.as_bytes();
        for (at, &class) in classes.iter().enumerate() {
            let original = bytes[at];
            let mut variants: Vec<Vec<u8>> = Vec::new();
            if class == Byte::Space {
                // Whitespace that changes nothing: one more space (outside
                // indentation), or trailing spaces before a line break.
                let in_indent = bytes[..at]
                    .iter()
                    .rev()
                    .take_while(|&&b| b != b'\n')
                    .all(|&b| b == b' ');
                if original == b' ' && !in_indent {
                    variants.push([&bytes[..at], b" ", &bytes[at..]].concat());
                }
                if original == b'\n' {
                    variants.push([&bytes[..at], b"  ", &bytes[at..]].concat());
                    variants.push([&bytes[..at], b"\n", &bytes[at..]].concat());
                }
            } else {
                for flip in [0x01u8, 0x20] {
                    let b = original ^ flip;
                    if b.is_ascii_graphic() || b == b' ' {
                        let mut v = bytes.to_vec();
                        v[at] = b;
                        variants.push(v);
                    }
                }
                variants.push([&bytes[..at], &bytes[at + 1..]].concat());
            }
            for variant in variants {
                let got = status(&variant);
                let ok = match class {
                    // A changed key id names a key nobody gave: as bad.
                    Byte::Signature => matches!(
                        got,
                        Some(SignatureStatus::Invalid { .. } | SignatureStatus::UnknownKey)
                    ),
                    Byte::Comment | Byte::Space => got == Some(SignatureStatus::Valid),
                    Byte::Code => matches!(
                        got,
                        Some(SignatureStatus::CodeChanged { .. } | SignatureStatus::Invalid { .. })
                    ),
                };
                assert!(
                    ok,
                    "{lang}: byte {at} ({class:?}, {:?}) changed: got {got:?}\n{}",
                    char::from(original),
                    String::from_utf8_lossy(&variant)
                );
                *counts.entry(format!("{class:?}")).or_default() += 1;
            }
        }
        println!(
            "{lang}: {} bytes, variants checked per class: {counts:?}",
            bytes.len()
        );
        for class in ["Signature", "Comment", "Space", "Code"] {
            assert!(
                counts.get(class).copied().unwrap_or(0) > 10,
                "{lang}: too few {class} variants"
            );
        }
    }
}
