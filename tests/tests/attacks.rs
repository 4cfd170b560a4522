//! Attacks on a leaked copy that keep the program meaningfully the same:
//! consistent renaming of every identifier, partial leaks, deleted items,
//! and re-tagging under another key (which erases the mark: the check
//! there is that nobody is named).

use std::fs;
use std::path::Path;

use watermark_core::{
    scan_tree, score, tag_tree, ChannelId, CodeParams, Lang, NoProgress, TraceParams, WalkOptions,
};
use watermark_tests::{candidates, corpus, files_under, named, positions_kept, test_key};

/// Rename every identifier of a source file consistently (`x` -> `zz_x_`):
/// a bijection on names, as an obfuscator or a refactoring would do.
fn rename_identifiers(lang: Lang, text: &str) -> String {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&lang.grammar()).expect("grammar");
    let tree = parser.parse(text, None).expect("parse");
    let kinds = lang.table().identifier_kinds;
    let mut spans = Vec::new();
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if kinds.contains(&node.kind()) && node.child_count() == 0 {
            spans.push((node.start_byte(), node.end_byte()));
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                let mut out = String::with_capacity(text.len() * 2);
                let mut last = 0;
                for (start, end) in spans {
                    out.push_str(&text[last..start]);
                    out.push_str("zz_");
                    out.push_str(&text[start..end]);
                    out.push('_');
                    last = end;
                }
                out.push_str(&text[last..]);
                return out;
            }
        }
    }
}

#[test]
fn consistent_renaming_of_every_identifier_keeps_the_trace() {
    let key = test_key(23);
    let all = candidates(100);
    let work = tempfile::tempdir().expect("tempdir");
    let mut kept = Vec::new();
    for (i, project) in corpus().into_iter().enumerate() {
        let recipient = &all[(i * 13 + 5) % 100];
        let copy = work.path().join("copy").join(&project.name);
        fs::create_dir_all(copy.parent().expect("parent")).expect("mkdir");
        tag_tree(
            &project.dir,
            &copy,
            &key,
            recipient,
            &CodeParams::default(),
            WalkOptions::default(),
            &NoProgress,
        )
        .expect("tag");
        let renamed = work.path().join("renamed").join(&project.name);
        for rel in files_under(&copy) {
            let Some(lang) = Lang::from_path(&rel) else {
                continue;
            };
            let Ok(text) = fs::read_to_string(copy.join(&rel)) else {
                continue;
            };
            let dest = renamed.join(&rel);
            fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
            fs::write(&dest, rename_identifiers(lang, &text)).expect("write");
        }
        let (before, _) =
            scan_tree(&copy, &key, WalkOptions::default(), &NoProgress).expect("scan");
        let (after, _) =
            scan_tree(&renamed, &key, WalkOptions::default(), &NoProgress).expect("scan");
        let (same, total) = positions_kept(&before, &after);
        let verdict = score(&after, &key, &all, &TraceParams::default());
        let named = named(&verdict);
        println!(
            "{:<22} renamed: {same} of {total} positions kept, named {named:?} (log10 p {:.1})",
            project.name, verdict.candidates[0].log10_p_value
        );
        assert_eq!(named, [recipient.as_str()], "{}", project.name);
        kept.push(same as f64 / total as f64);
    }
    let mean = kept.iter().sum::<f64>() / kept.len() as f64;
    println!("mean fraction of positions surviving a full renaming: {mean:.3}");
    // 0.896 measured. This renaming also renames `object`, `Exception`
    // and every import, which real code cannot survive; Python classes are
    // movable only when their bases are known by name to be quiet (or are
    // quiet classes of the same file), so renamed bases fix them and their
    // order sites vanish (markdown keeps 2,167 of 2,616). Every project is
    // still named, which is what the assertion above checks.
    assert!(mean > 0.85, "{mean}");
}

#[test]
fn partial_leaks_are_traced_or_name_nobody_never_a_wrong_one() {
    let key = test_key(29);
    let all = candidates(100);
    let work = tempfile::tempdir().expect("tempdir");
    for (i, project) in corpus().into_iter().enumerate() {
        let recipient = &all[(i * 7 + 3) % 100];
        let copy = work.path().join(&project.name);
        tag_tree(
            &project.dir,
            &copy,
            &key,
            recipient,
            &CodeParams::default(),
            WalkOptions::default(),
            &NoProgress,
        )
        .expect("tag");
        // Every tenth source file, as a leak of a few files.
        let leak = work.path().join(format!("{}-leak", project.name));
        let mut leaked = 0;
        for (n, rel) in files_under(&copy)
            .into_iter()
            .filter(|r| Lang::from_path(r).is_some())
            .enumerate()
        {
            if n % 10 == 0 {
                let dest = leak.join(&rel);
                fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
                fs::copy(copy.join(&rel), &dest).expect("copy");
                leaked += 1;
            }
        }
        let (evidence, _) =
            scan_tree(Path::new(&leak), &key, WalkOptions::default(), &NoProgress).expect("scan");
        let verdict = score(&evidence, &key, &all, &TraceParams::default());
        let named = named(&verdict);
        println!(
            "{:<22} {leaked} files leaked, {} positions: named {named:?} (log10 p {:.1})",
            project.name, verdict.positions_observed, verdict.candidates[0].log10_p_value
        );
        assert!(
            named.is_empty() || named == [recipient.as_str()],
            "{}: wrong accusation {named:?}",
            project.name
        );
    }
}

/// A leaker holding this tool re-tags the copy under a key of their own.
/// Every site is found from the code alone, whatever the key, so this
/// re-draws every position: the mark is erased (a limit stated in the
/// README), and what must hold is that nobody is named. Each project's
/// copy is still read in full (the positions are there, with values that
/// no longer follow the owner's key).
#[test]
fn re_tagging_under_another_key_erases_the_mark_and_names_nobody() {
    let key = test_key(29);
    let attacker = test_key(230);
    let all = candidates(100);
    let mallory = watermark_core::Recipient::new("mallory").expect("id");
    let work = tempfile::tempdir().expect("tempdir");
    let mut best = f64::MAX;
    for (i, project) in corpus().into_iter().enumerate() {
        let recipient = &all[(i * 11 + 5) % 100];
        let copy = work.path().join(&project.name);
        let again = work.path().join(format!("{}-again", project.name));
        for (from, to, key, who) in [
            (&project.dir, &copy, &key, recipient),
            (&copy, &again, &attacker, &mallory),
        ] {
            tag_tree(
                from,
                to,
                key,
                who,
                &CodeParams::default(),
                WalkOptions::default(),
                &NoProgress,
            )
            .expect("tag");
        }
        let (before, _) =
            scan_tree(&copy, &key, WalkOptions::default(), &NoProgress).expect("scan");
        let (after, _) =
            scan_tree(&again, &key, WalkOptions::default(), &NoProgress).expect("scan");
        let verdict = score(&after, &key, &all, &TraceParams::default());
        let named = named(&verdict);
        let (kept, total) = positions_kept(&before, &after);
        println!(
            "{:<22} {kept} of {total} positions keep their value; named {named:?} \
             (best log10 p {:.1})",
            project.name, verdict.candidates[0].log10_p_value
        );
        assert!(named.is_empty(), "{}: named {named:?}", project.name);
        assert!(
            verdict.positions_observed * 10 >= total * 9,
            "{}: only {} of {total} positions read",
            project.name,
            verdict.positions_observed
        );
        best = best.min(verdict.candidates[0].log10_p_value);
    }
    println!("smallest log10 p of any candidate: {best:.1}");
}

/// Delete the `nth` function or method of a file (with
/// the lines it spans), as a leaker trimming code would.
fn delete_item(lang: Lang, text: &str, nth: usize) -> Option<String> {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&lang.grammar()).expect("grammar");
    let tree = parser.parse(text, None)?;
    let kinds = ["function_item", "function_definition"];
    let mut found = Vec::new();
    let mut cursor = tree.walk();
    'walk: loop {
        let node = cursor.node();
        if kinds.contains(&node.kind()) {
            found.push((node.start_byte(), node.end_byte()));
        } else if node.start_position().row < node.end_position().row && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    let &(start, end) = found.get(nth % found.len().max(1))?;
    let start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    Some(format!("{}{}", &text[..start], &text[end..]))
}

/// The item-order channel's property (2): deleting an item disturbs only
/// the pairs of its own stretch. Measured over every corpus file with one
/// item deleted; the blank-line channel for comparison.
#[test]
fn deleting_an_item_disturbs_few_order_sites() {
    let key = test_key(23);
    let recipient = &candidates(1)[0];
    let (mut kept_order, mut total_order, mut kept_blank, mut total_blank) = (0, 0, 0, 0);
    for project in corpus() {
        for rel in files_under(&project.dir) {
            let Some(lang) = Lang::from_path(&rel) else {
                continue;
            };
            let bytes = fs::read(project.dir.join(&rel)).expect("read");
            let tagged =
                watermark_core::tag_source(lang, &bytes, &key, recipient, &CodeParams::default());
            let Ok(text) = String::from_utf8(tagged.output) else {
                continue;
            };
            let Some(trimmed) = delete_item(lang, &text, rel.as_os_str().len()) else {
                continue;
            };
            let mut before = watermark_core::Evidence::new();
            let mut after = watermark_core::Evidence::new();
            if before.scan_source(lang, text.as_bytes(), &key).is_err()
                || after.scan_source(lang, trimmed.as_bytes(), &key).is_err()
            {
                continue;
            }
            for (id, kept, total) in [
                (ChannelId::ItemOrder, &mut kept_order, &mut total_order),
                (ChannelId::BlankLines, &mut kept_blank, &mut total_blank),
            ] {
                let now: std::collections::BTreeMap<_, _> =
                    after.tallies().filter(|(_, t)| t.channel == id).collect();
                for (locator, tally) in before.tallies().filter(|(_, t)| t.channel == id) {
                    *total += 1;
                    *kept += usize::from(now.get(&locator) == Some(&tally));
                }
            }
        }
    }
    let order = kept_order as f64 / total_order as f64;
    let blank = kept_blank as f64 / total_blank as f64;
    println!(
        "one item deleted per file: item-order {kept_order}/{total_order} ({order:.3}) positions kept, blank-lines {kept_blank}/{total_blank} ({blank:.3})"
    );
    assert!(total_order > 500, "{total_order}");
    // Measured: 0.82 (blank lines 0.93, most of their loss inside the
    // deleted function).
    assert!(order > 0.75, "{order}");
}
