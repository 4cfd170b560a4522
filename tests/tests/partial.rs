//! Partial leaks and sharded evidence on real code: a tenth of a project's
//! files, or one file, traced with the printed bound; evidence from four
//! shards, written out and read back, gives exactly the single-scan verdict.

use std::fs;
use std::path::PathBuf;

use watermark_core::{score, tag_source, CodeParams, Evidence, Lang, TraceParams};
use watermark_tests::{candidates, corpus, sources, test_key};

/// One corpus project's Python files, tagged for one recipient of 100.
fn tagged_project(name: &str) -> (Vec<(PathBuf, Vec<u8>)>, usize) {
    let project = corpus()
        .into_iter()
        .find(|p| p.name.starts_with(name))
        .unwrap_or_else(|| panic!("corpus project {name} missing"));
    let key = test_key(41);
    let all = candidates(100);
    let who = 58;
    let files = sources(&project.dir, "py")
        .into_iter()
        .map(|rel| {
            let bytes = fs::read(project.dir.join(&rel)).expect("read");
            let tagged = tag_source(
                Lang::Python,
                &bytes,
                &key,
                &all[who],
                &CodeParams::default(),
            );
            (rel, tagged.output)
        })
        .collect();
    (files, who)
}

fn scan(files: &[&(PathBuf, Vec<u8>)]) -> Evidence {
    let key = test_key(41);
    let mut evidence = Evidence::new();
    for (path, bytes) in files {
        let _ = evidence.scan_named(Lang::Python, bytes, &key, &path.to_string_lossy());
    }
    evidence
}

/// Every other Python project of the corpus, untagged, each file's path
/// under `other/`; with `reads_lines`, each file also names `lineno`, as
/// code that reads its own line numbers does (tagging leaves such files as
/// they are).
fn unrelated_code(except: &str, reads_lines: bool) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for project in corpus() {
        if project.kind != "py" || project.name.starts_with(except) {
            continue;
        }
        for rel in sources(&project.dir, "py") {
            let mut bytes = fs::read(project.dir.join(&rel)).expect("read");
            if reads_lines {
                bytes.extend_from_slice(b"\nlineno = 0\n");
            }
            files.push((PathBuf::from("other").join(&project.name).join(rel), bytes));
        }
    }
    files
}

/// A copy's code mixed into a larger body of unrelated code is found
/// where it is: one leaked file among 80,000 lines of other projects is
/// named in its own look at a single file; a whole leaked project among
/// unrelated files that read their own line numbers (which tagging leaves
/// as they are) in the look at the files tagging edits. The plain test
/// over all files, printed beside, is diluted by the unrelated code.
#[test]
fn a_copy_mixed_into_unrelated_code_is_found_where_it_is() {
    let all = candidates(1000);
    let key = test_key(41);
    let (files, who) = tagged_project("tenacity");
    let largest = files
        .iter()
        .max_by_key(|(_, bytes)| bytes.len())
        .expect("files")
        .clone();
    let one_file: Vec<_> = std::iter::once((PathBuf::from("vendored").join(&largest.0), largest.1))
        .chain(unrelated_code("tenacity", false))
        .collect();
    let project: Vec<_> = files
        .iter()
        .map(|(rel, bytes)| (PathBuf::from("vendored").join(rel), bytes.clone()))
        .chain(unrelated_code("tenacity", true))
        .collect();
    for (what, suspect, look) in [
        ("one file among other projects", &one_file, "vendored/"),
        (
            "the project among line readers",
            &project,
            watermark_core::LOOK_TAGGABLE,
        ),
    ] {
        let evidence = scan(&suspect.iter().collect::<Vec<_>>());
        let verdict = score(&evidence, &key, &all, &TraceParams::default());
        let plain = score(
            &evidence,
            &key,
            &all,
            &TraceParams {
                per_file_looks: false,
                ..TraceParams::default()
            },
        );
        let right = |v: &watermark_core::Verdict| {
            v.candidates
                .iter()
                .find(|c| c.recipient == all[who].as_str())
                .expect("candidate")
                .clone()
        };
        let (found, diluted) = (right(&verdict), right(&plain));
        println!(
            "{what}: {} files, {} positions, {} looks: named {:?} in {}, log10 p {:.1}; \
             the plain test alone: log10 p {:.1}",
            suspect.len(),
            verdict.positions_observed,
            verdict.looks.len(),
            verdict
                .accused
                .iter()
                .map(|c| &c.recipient)
                .collect::<Vec<_>>(),
            found.look,
            found.log10_p_value,
            diluted.log10_p_value,
        );
        assert_eq!(verdict.accused.len(), 1, "{what}: {:?}", verdict.accused);
        assert_eq!(verdict.accused[0].recipient, all[who].as_str(), "{what}");
        assert!(
            found.look.starts_with(look),
            "{what}: found in {}",
            found.look
        );
        assert!(found.log10_p_value < diluted.log10_p_value, "{what}");
    }
}

#[test]
fn evidence_merged_from_four_shards_gives_the_single_scan_verdict() {
    let (files, _) = tagged_project("tomlkit");
    let key = test_key(41);
    let all = candidates(100);
    let whole = scan(&files.iter().collect::<Vec<_>>());
    let mut merged = Evidence::new();
    for shard in 0..4 {
        let part: Vec<_> = files.iter().skip(shard).step_by(4).collect();
        let json = scan(&part).to_json(&key);
        let (back, key_id) =
            Evidence::from_json(json.as_bytes(), std::slice::from_ref(&key)).expect("parse");
        assert_eq!(key_id, key.key_id());
        merged.merge(&back);
    }
    assert_eq!(merged, whole, "merged evidence differs from one scan");
    let one = score(&whole, &key, &all, &TraceParams::default());
    let four = score(&merged, &key, &all, &TraceParams::default());
    assert_eq!(
        serde_json::to_string(&one).expect("json"),
        serde_json::to_string(&four).expect("json"),
    );
    println!(
        "4 shards: {} files, {} positions, the same verdict ({:?})",
        whole.files_scanned(),
        whole.positions_observed(),
        one.accused.iter().map(|c| &c.recipient).collect::<Vec<_>>()
    );
    assert_eq!(one.accused.len(), 1);
}

#[test]
fn a_tenth_of_the_files_or_one_file_is_traced_with_the_printed_bound() {
    let all = candidates(100);
    let key = test_key(41);
    for project in ["tomlkit", "boltons", "markdown"] {
        let (files, who) = tagged_project(project);
        let tenth: Vec<_> = files.iter().step_by(10).collect();
        let largest = files
            .iter()
            .max_by_key(|(_, bytes)| bytes.len())
            .expect("files");
        for (what, part) in [("10 % of files", tenth), ("largest file", vec![largest])] {
            let evidence = scan(&part);
            let verdict = score(&evidence, &key, &all, &TraceParams::default());
            let best = &verdict.candidates[0];
            println!(
                "{project} {what} ({} files, {} positions): named {:?}, log10 p {:.1}, bound 1e-9 over 100",
                part.len(),
                verdict.positions_observed,
                verdict.accused.iter().map(|c| &c.recipient).collect::<Vec<_>>(),
                best.log10_p_value
            );
            assert_eq!(verdict.accused.len(), 1, "{project} {what}");
            assert_eq!(verdict.accused[0].recipient, all[who].as_str());
            assert!(best.log10_p_value <= verdict.log10_alpha_per_candidate);
        }
    }
}

/// An evidence file carries a MAC under the owner key: a shard edited
/// after it was written (a count changed, a locator dropped, a field
/// renamed) is refused, and so is one read with a key that was not given.
/// Otherwise a shard could quietly hide a recipient's evidence.
#[test]
fn evidence_files_are_authenticated() {
    let (files, _) = tagged_project("six");
    let key = test_key(41);
    let other = test_key(42);
    let evidence = scan(&files.iter().collect::<Vec<_>>());
    assert!(evidence.positions_observed() > 100);
    let json = evidence.to_json(&key);
    let keys = [other, key];
    let (back, key_id) = Evidence::from_json(json.as_bytes(), &keys).expect("round trip");
    assert_eq!(back, evidence);
    assert_eq!(key_id, keys[1].key_id());

    let lines: Vec<&str> = json.lines().collect();
    let count_changed = json.replacen(",1,0]", ",2,0]", 1);
    let without_a_line = [&lines[..2], &lines[3..]].concat().join("\n");
    for (what, text) in [("a count", count_changed), ("a line", without_a_line)] {
        assert_ne!(text, json, "{what}: the edit did nothing");
        let err = Evidence::from_json(text.as_bytes(), &keys).expect_err(what);
        assert!(err.contains("MAC does not match"), "{what}: {err}");
    }
    let err = Evidence::from_json(json.as_bytes(), &keys[..1]).expect_err("other key");
    assert!(err.contains("which was not given"), "{err}");
    let v1 = json.replace("watermark-evidence/v3", "watermark-evidence/v1");
    let err = Evidence::from_json(v1.as_bytes(), &keys).expect_err("v1");
    assert!(err.contains("carry no MAC"), "{err}");
}
