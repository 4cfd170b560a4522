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
    for (lang, ext, kind, name, extra) in [
        (Lang::Rust, "rs", "rust", "rust", &[][..]),
        (Lang::Rust, "rs", "rust", "rust", &["--config", "max_width=40"][..]),
        (Lang::Python, "py", "py", "python", &[][..]),
        (Lang::Python, "py", "py", "python", &["--line-length", "30"][..]),
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
        assert!(broken.is_empty(), "{name}: the formatter changed the code digest of {broken:#?}");
        assert!(
            reformatted > 15,
            "{name}: only {reformatted} files reformatted; the check means little"
        );
    }
}
